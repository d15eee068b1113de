"""The runner around the pipeline: for `zotrec sync` (:func:`run_sync`) the config, the library, the
state, the run lock and the run log, then :func:`zotrec.pipeline.sync`; for `zotrec recommend`
(:func:`recommend_only`) the same stage without lock or push."""

from __future__ import annotations

import datetime as dt
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zotrec import paths
from zotrec.config import Config, load_config
from zotrec.errors import ConfigError, NoSuchLibrary, ZotrecError
from zotrec.interests import InterestSettings
from zotrec.library.base import Library, LibrarySnapshot
from zotrec.lock import RunLock
from zotrec.logs import log, setup_file_log
from zotrec.pipeline import Progress, SyncOptions, SyncResult, rank, sync
from zotrec.recommend.cache import FeatureCache, library_index
from zotrec.sources.limits import check_digest_sizes
from zotrec.state import StateStore


@dataclass
class SyncRequest:
    """What the user asked for on the command line (None = not given, use config)."""

    digests: list[str] = field(default_factory=list)
    demo: bool = False
    library: Path | None = None
    collection: str | None = None
    top: int | None = None
    threshold: float | None = None
    min_picks: int | None = None
    per_topic: int | None = None
    digest_date: dt.date | None = None
    skip_replacements: bool = False
    enrich: bool = False
    dry_run: bool = False
    report: Path | None = None
    email: bool | None = None  # --email / --no-email; None: as email.when says
    feed: Path | None = None  # --feed FILE; None: feed.path
    config_path: Path | None = None
    state_path: Path | None = None


def personal_model_path(cfg: Config) -> Path | None:
    """The personal topic model: the configured one, else the one `zotrec train personal` saved."""
    if cfg.personal_model:
        return Path(cfg.personal_model)
    trained = paths.personal_model_file()
    return trained if trained.is_file() else None


def sync_options(cfg: Config, request: SyncRequest) -> SyncOptions:
    """Merge flags over the config (flag > env > file > default)."""
    s = cfg.sync
    return SyncOptions(
        digests=list(request.digests) or list(cfg.digests),
        collection=request.collection or s.collection,
        threshold=request.threshold if request.threshold is not None else s.threshold,
        top_n=request.top if request.top is not None else s.top_n,
        min_picks=request.min_picks if request.min_picks is not None else s.min_picks,
        per_topic_max=request.per_topic if request.per_topic is not None else (s.per_topic_max or None),
        route_by_topic=s.route_by_topic,
        push_tags=cfg.push.tags,
        dry_run=request.dry_run,
        digest_date=request.digest_date,
        skip_replacements=request.skip_replacements or s.skip_replacements,
        enrich=request.enrich or s.enrich,
        source_timeout=cfg.sources.timeout,
        model_path=Path(cfg.topic_model) if cfg.topic_model else None,
        personal_model_path=personal_model_path(cfg),
        interests=interest_settings(cfg),
        per_interest_max=s.per_interest or None,
        file_into=cfg.push.file_into,
    )


def interest_settings(cfg: Config) -> InterestSettings:
    """The ``[profile]`` keys as interest settings (zotrec's own collection always left out)."""
    p = cfg.profile
    return InterestSettings(
        min_items=p.min_items, include=tuple(p.collections), exclude=tuple(p.exclude), own=(cfg.sync.collection,)
    )


def resolve_library(cfg: Config, request: SyncRequest) -> tuple[Library, str]:
    """The library to use and its state id: --library / --demo override the configured backend."""
    from zotrec.library import open_library

    if request.demo:
        from zotrec.demo import ensure_demo_library

        path = request.library or paths.demo_library_file()
        library = ensure_demo_library(path)
        return library, f"embedded:{path.resolve()}"
    if request.library:
        from zotrec.library.embedded import EmbeddedLibrary

        if not request.library.exists():  # a typo must not become a new, empty library
            raise NoSuchLibrary(
                f"{request.library}: no such library file (--library names an embedded library; "
                f"create one with `zotrec library import FILE --library {request.library}`)"
            )
        return EmbeddedLibrary(request.library), f"embedded:{request.library.resolve()}"
    return open_library(cfg.zotero, cache_dir=paths.cache_dir()), cfg.library_id()


def run_sync(request: SyncRequest, progress: Progress | None = None) -> tuple[SyncResult, list[str]]:
    """Take the run lock, load config, open library and state, run the pipeline, log what happened."""
    try:
        setup_file_log()
    except OSError:  # an unwritable log must not stop the run (errors still reach stderr)
        pass
    started = time.time()
    log.info("sync start (pid %d%s)", os.getpid(), ", dry run" if request.dry_run else "")
    try:
        with RunLock():
            result, warnings = _run_locked(request, progress)
    except ZotrecError as err:
        log.error("sync failed (exit %d): %s", err.exit_code, err)
        raise
    except BaseException as err:
        log.error("sync failed: %s: %s", type(err).__name__, err)
        raise
    log_result(result, warnings, time.time() - started)
    return result, warnings


def _run_locked(request: SyncRequest, progress: Progress | None) -> tuple[SyncResult, list[str]]:
    cfg = load_config(request.config_path)
    options = sync_options(cfg, request)
    if request.demo and not request.digests:
        from zotrec.demo import demo_digest_path

        options.digests = [str(demo_digest_path())]
    if not options.digests:
        raise ConfigError("no digest to read: pass --digest SOURCE or set sources.digests in the config")
    check_digest_sizes(options.digests, cfg.sync.max_papers)
    log.info(
        "config %s; digests: %s; collection %r; threshold %g; top %d",
        cfg.path or "(defaults)",
        ", ".join(options.digests),
        options.collection,
        options.threshold,
        options.top_n,
    )
    library, library_id = resolve_library(cfg, request)
    log.info("library: %s", library.description)
    state = StateStore(request.state_path or paths.state_file())
    warnings = list(cfg.warnings)
    if rebuilt := state.rebuilt_warning():
        warnings.append(rebuilt)
    interrupted = state.mark_interrupted()
    if interrupted:
        log.warning("%d earlier run(s) were interrupted; their pending pushes are reconciled now", interrupted)
    for warning in warnings:
        log.warning("%s", warning)
    try:
        result = sync(library, state, options, library_id=library_id, progress=progress)
        if progress:
            progress("delivering the report")
        from zotrec.deliver import deliver

        result.delivery = deliver(result, cfg, state, report=request.report, email=request.email, feed=request.feed)
    finally:
        state.close()
        library.close()
    return result, warnings


def log_result(result: SyncResult, warnings: list[str], seconds: float) -> None:
    """What a run did, in the run log: sources, pushes, failures, outcome."""
    for src in result.sources:
        if src.error:
            log.error("source %s failed: %s", src.source, src.error)
        elif getattr(src, "partial", None):
            log.warning("source %s: %d papers, %s", src.source, src.count, src.partial)
        else:
            log.info("source %s: %d papers", src.source, src.count)
    verb = "would push" if result.dry_run else "pushed"
    for paper, key in result.outcome.pushed:
        log.info("%s %s%s", verb, paper.title, f" [{key}]" if key else "")
    for paper, problem in result.outcome.failed:
        log.error("could not push %s: %s (will retry next run)", paper.title, problem)
    for paper, problem in result.outcome.rejected:
        log.error("could not push %s: %s (not retried)", paper.title, problem)
    delivery = result.delivery
    if delivery is not None:
        if delivery.report:
            log.info("report: %s", delivery.report)
        if delivery.feed:
            log.info("feed: %s (%d entries)", delivery.feed, delivery.feed_entries)
        if delivery.emailed:
            log.info("e-mailed the picks to %s", ", ".join(delivery.emailed))
        for problem in delivery.errors:
            log.error("%s", problem)
        log.info("delivered in %.2fs", delivery.seconds)
    for warning in result.warnings:
        log.warning("%s", warning)
    if result.empty_reason:
        log.info("%s", result.empty_reason)
    log.info(
        "run %s finished in %.1fs: exit %d; %d papers, %d already known, %d recommended, %s %d, "
        "%d duplicates skipped, %d recovered, %d failed; library %s (%d items)",
        result.run_id,
        seconds,
        result.exit_code,
        result.papers_read,
        len(result.known),
        len(result.recommended),
        verb,
        len(result.outcome.pushed),
        len(result.outcome.skipped_duplicates),
        result.outcome.recovered,
        len(result.outcome.failed) + len(result.outcome.rejected),
        result.library_description,
        result.library_size,
    )


def write_reports(result: SyncResult, report: Path | None) -> None:
    """Write the HTML report of a ranking to ``report`` (a sync's reports are written by zotrec.deliver)."""
    if report:
        from zotrec.report import write_report

        write_report(result, report)


def recommend_only(
    library_spec: str,
    digests: list[str],
    *,
    top: int | None = None,
    threshold: float | None = None,
    min_picks: int | None = None,
    digest_date: dt.date | None = None,
    report: Path | None = None,
    config_path: Path | None = None,
) -> SyncResult:
    """Rank digests against a library given as a file (export or embedded) or 'config'; push nothing.

    The settings are the ones a sync would use (:func:`sync_options`: the flags given here over the
    config: topic and personal models, threshold, top N, caps, interests, ``sync.max_papers``), so
    the picks are the ones `zotrec sync` would push. The digests are read and labelled in a second
    process while this one reads the library (:mod:`zotrec.digest_side`)."""
    from zotrec import digest_side

    cfg = load_config(config_path)
    request = SyncRequest(
        digests=list(digests), top=top, threshold=threshold, min_picks=min_picks, digest_date=digest_date
    )
    options = sync_options(cfg, request)
    options.dry_run = True
    check_digest_sizes(options.digests, cfg.sync.max_papers)
    side = digest_side.start(options)
    try:
        side.start_topics()  # scikit-learn first: the labeller then starts while the library is read
        snapshot, description, library_id = _library_for(library_spec, cfg)
        # read-only: a state file that does not exist yet (no sync ran) is not created for nothing
        state = StateStore(paths.state_file()) if paths.state_file().exists() else None
        try:
            index = library_index(
                snapshot, library_id, FeatureCache(), options.collection, interests=options.interest_settings()
            )
            papers, reports = side.papers()
            ranked = rank(
                papers, snapshot, library_id, options, state, topics=side.topics, index=index, tokens=side.tokens
            )
        finally:
            if state is not None:
                state.close()
    finally:
        side.close()
    from zotrec.pipeline import library_problem
    from zotrec.recommend.cache import iter_profile_items
    from zotrec.report import library_topics

    result = SyncResult(
        run_id=None,
        papers_read=len(papers),
        sources=reports,
        ranked=ranked,
        library_size=len(snapshot.items),
        library_description=description,
        threshold=options.threshold,
        dry_run=True,
        # only the report shows the library's topics: labelling a large library is not done for nothing
        library_topics=library_topics(snapshot, library_id, options.model_path, options.collection) if report else {},
        library_id=library_id,
        warnings=[problem]
        if papers and (problem := library_problem(iter_profile_items(snapshot, options.collection)))
        else [],
        min_picks=options.min_picks,
    )
    if partial := getattr(snapshot, "partial", None):  # a library export cut off: say so on every run
        result.warnings.insert(0, f"{description}: {partial}")
    write_reports(result, report)
    return result


def _library_for(library_spec: str, cfg: Config) -> tuple[Any, str, str]:
    """The snapshot, description and state id of ``--library``: a file, or 'config' (the configured
    library)."""
    if library_spec == "config":
        from zotrec.library import open_library

        embedded = Path(cfg.zotero.library or paths.data_dir() / "library.sqlite")
        if cfg.zotero.backend == "embedded" and not embedded.exists():  # read-only: not created for nothing
            return LibrarySnapshot(version=0), f"embedded library {embedded} (no such file yet)", cfg.library_id()
        library = open_library(cfg.zotero, cache_dir=paths.cache_dir())
        try:
            return library.snapshot(), library.description, cfg.library_id()
        finally:
            library.close()
    from zotrec.library.transfer import snapshot_from_file

    path = Path(library_spec)
    return snapshot_from_file(path, lazy=True), str(path), f"file:{path.resolve()}"


def list_interests(request: SyncRequest) -> tuple[list[Any], int, str | None]:
    """The interests of the configured library (or of ``request.library``: an embedded library or a
    Zotero export file) with size, top words and held-out filing accuracy; also the profile's size,
    and why an export file was read only in part (cut off), if so."""
    from zotrec.recommend.cache import FeatureCache, library_index, profile_rows
    from zotrec.recommend.filing import describe, venue_text

    cfg = load_config(request.config_path)
    options = sync_options(cfg, request)
    if request.library and request.library.suffix not in (".sqlite", ".db"):
        from zotrec.library.transfer import snapshot_from_file

        snapshot, library_id = snapshot_from_file(request.library), f"file:{request.library.resolve()}"
    elif request.library is None and not request.demo:
        snapshot, _, library_id = _library_for("config", cfg)
    else:
        library, library_id = resolve_library(cfg, request)
        try:
            snapshot = library.snapshot()
        finally:
            library.close()
    items, _ = profile_rows(snapshot, options.collection)  # in the order of the index's rows
    index = library_index(
        snapshot, library_id, FeatureCache(), options.collection, interests=options.interest_settings()
    )
    if not index.interests:
        return [], len(items), getattr(snapshot, "partial", None)
    venues = [venue_text(i.get("publicationTitle") or i.get("proceedingsTitle")) for i in items]
    described = describe(index.library, venues, index.membership, index.interests, index.terms)
    return described, len(items), getattr(snapshot, "partial", None)


def classify_only(
    digests: list[str], *, model: Path | None = None, config_path: Path | None = None
) -> tuple[list[Any], list[Any], list[Any]]:
    """The papers of ``digests``, their topics as a sync gives them, and one report per source.

    A paper's own arXiv categories come first, the topic model labels the rest (``model``, else
    ``model.topics`` from the config, else the shipped one), and the personal model's labels follow
    when one is configured or trained, exactly as :func:`zotrec.pipeline.label_topics` does for sync."""
    from zotrec.pipeline import label_topics, read_digests

    cfg = load_config(config_path)
    options = sync_options(cfg, SyncRequest(digests=list(digests)))
    if model is not None:
        options.model_path = model
    check_digest_sizes(options.digests, cfg.sync.max_papers)
    papers, reports = read_digests(options)
    return papers, label_topics(papers, options), reports
