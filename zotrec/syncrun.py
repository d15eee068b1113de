"""From a command line to a run: resolve config, library, state and demo data, then call sync/rank."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from zotrec import paths
from zotrec.config import Config, load_config
from zotrec.errors import ConfigError
from zotrec.library.base import Library
from zotrec.state import StateStore
from zotrec.sync import Progress, SyncOptions, SyncResult, rank, read_digests, sync


@dataclass
class SyncRequest:
    """What the user asked for on the command line (None = not given, use config)."""

    digests: list[str] = field(default_factory=list)
    demo: bool = False
    library: Path | None = None
    collection: str | None = None
    top: int | None = None
    threshold: float | None = None
    per_topic: int | None = None
    digest_date: dt.date | None = None
    skip_replacements: bool = False
    enrich: bool = False
    dry_run: bool = False
    report: Path | None = None
    config_path: Path | None = None
    state_path: Path | None = None


def sync_options(cfg: Config, request: SyncRequest) -> SyncOptions:
    """Merge flags over the config (flag > env > file > default)."""
    s = cfg.sync
    return SyncOptions(
        digests=list(request.digests) or list(cfg.digests),
        collection=request.collection or s.collection,
        threshold=request.threshold if request.threshold is not None else s.threshold,
        top_n=request.top if request.top is not None else s.top_n,
        per_topic_max=request.per_topic if request.per_topic is not None else (s.per_topic_max or None),
        route_by_topic=s.route_by_topic,
        dry_run=request.dry_run,
        digest_date=request.digest_date,
        skip_replacements=request.skip_replacements or s.skip_replacements,
        enrich=request.enrich or s.enrich,
        model_path=Path(cfg.topic_model) if cfg.topic_model else None,
        personal_model_path=Path(cfg.personal_model) if cfg.personal_model else None,
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

        return EmbeddedLibrary(request.library), f"embedded:{request.library.resolve()}"
    return open_library(cfg.zotero, cache_dir=paths.cache_dir()), cfg.library_id()


def run_sync(request: SyncRequest, progress: Progress | None = None) -> tuple[SyncResult, list[str]]:
    """Load config, open library and state, run the pipeline, write the report if asked."""
    cfg = load_config(request.config_path)
    options = sync_options(cfg, request)
    if request.demo and not request.digests:
        from zotrec.demo import demo_digest_path

        options.digests = [str(demo_digest_path())]
    if not options.digests:
        raise ConfigError("no digest to read: pass --digest SOURCE or set sources.digests in the config")
    library, library_id = resolve_library(cfg, request)
    state = StateStore(request.state_path or paths.state_file())
    warnings = list(cfg.warnings)
    if state.recovered_from:
        warnings.append(f"state file was corrupt; moved to {state.recovered_from} and rebuilt")
    try:
        result = sync(library, state, options, library_id=library_id, progress=progress)
        write_reports(result, request.report, cfg.keep_reports)
    finally:
        state.close()
        library.close()
    return result, warnings


def write_reports(result: SyncResult, report: Path | None, keep: int) -> None:
    """Write the HTML report to ``report`` and/or keep the last ``keep`` reports in the data dir."""
    if not report and not keep:
        return
    try:
        from zotrec.report import keep_report, write_report
    except ImportError:  # the report module is optional while it is being built
        return
    if report:
        write_report(result, report)
    if keep:
        keep_report(result, keep)


def recommend_only(
    library_spec: str,
    digests: list[str],
    *,
    top: int = 20,
    threshold: float = 60.0,
    digest_date: dt.date | None = None,
    report: Path | None = None,
    config_path: Path | None = None,
) -> SyncResult:
    """Rank digests against a library given as a file (export or embedded) or 'config'; push nothing."""
    from zotrec.library.transfer import snapshot_from_file

    options = SyncOptions(digests=digests, top_n=top, threshold=threshold, digest_date=digest_date)
    papers, reports = read_digests(options)
    if library_spec == "config":
        cfg = load_config(config_path)
        from zotrec.library import open_library

        library = open_library(cfg.zotero, cache_dir=paths.cache_dir())
        snapshot, description, library_id = library.snapshot(), library.description, cfg.library_id()
        library.close()
    else:
        path = Path(library_spec)
        snapshot = snapshot_from_file(path)
        description, library_id = str(path), f"file:{path.resolve()}"
    from zotrec.sync import library_topics

    state = StateStore(paths.state_file())
    try:
        ranked = rank(papers, snapshot, library_id, options, state)
    finally:
        state.close()
    result = SyncResult(
        run_id=None, papers_read=len(papers), sources=reports, ranked=ranked,
        library_size=len(snapshot.items), library_description=description, threshold=threshold, dry_run=True,
        library_topics=library_topics(snapshot, library_id, options.model_path),
    )
    if report:
        write_reports(result, report, 0)
    return result
