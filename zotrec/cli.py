"""The Typer CLI: thin wrappers that parse options, call library functions and print.

Heavy libraries (scikit-learn, pyzotero, feedparser) are imported inside commands so that
`zotrec --help` and `zotrec --version` start fast.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, Optional

import typer
from typer.core import TyperGroup

from zotrec import __version__
from zotrec.errors import EXIT_FAILURE, ZotrecError

GLOBAL_FLAGS = ("--quiet", "-q", "--debug")
GLOBAL_VALUED = ("--config",)


def hoist_global_options(args: list[str]) -> list[str]:
    """Move --quiet/-q, --debug and --config FILE to the front, so that they work after the command
    name too (``zotrec sync --quiet``); arguments after ``--`` are left alone."""
    front: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            rest += args[i:]
            break
        if arg in GLOBAL_FLAGS or any(arg.startswith(f"{name}=") for name in GLOBAL_VALUED):
            front.append(arg)
        elif arg in GLOBAL_VALUED and i + 1 < len(args):
            front += args[i : i + 2]
            i += 1
        else:
            rest.append(arg)
        i += 1
    return front + rest


class _Zotrec(TyperGroup):
    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        return super().parse_args(ctx, hoist_global_options(list(args)))


app = typer.Typer(
    rich_markup_mode=None,  # plain help: rendering it with rich costs 0.1 s of start-up
    cls=_Zotrec,
    name="zotrec",
    help="Classify new papers by topic and recommend them into your Zotero library.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
library_app = typer.Typer(
    rich_markup_mode=None, help="The embedded library file: import exports, export collections.", no_args_is_help=True
)
config_app = typer.Typer(rich_markup_mode=None, help="Show or change the configuration.", no_args_is_help=True)
app.add_typer(library_app, name="library")
app.add_typer(config_app, name="config")
auth_app = typer.Typer(
    rich_markup_mode=None, help="Authorize zotrec with the Zotero desktop app.", no_args_is_help=True
)
app.add_typer(auth_app, name="auth")


class Ctx:
    """Global options shared by every command."""

    quiet: bool = False
    debug: bool = False
    config_path: Optional[Path] = None


CTX = Ctx()


def _version(value: bool) -> None:
    if value:
        typer.echo(f"zotrec {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print nothing but errors (for cron)."),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks and debug logs."),
    config: Optional[Path] = typer.Option(None, "--config", help="Config file (default: the user config dir)."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    CTX.quiet, CTX.debug, CTX.config_path = quiet, debug, config
    logging.basicConfig(level=logging.DEBUG if debug else logging.WARNING, format="%(levelname)s %(message)s")


# -- output helpers -------------------------------------------------------------------------
def console():
    """stdout; every string printed as plain text (titles are data, never markup)."""
    from zotrec.terminal import plain_console

    return plain_console(quiet=CTX.quiet)


def err_console():
    from zotrec.terminal import plain_console

    return plain_console(stderr=True)


def error_line(message: str) -> None:
    """One line on stderr, whatever happens (also in --quiet mode); secrets redacted."""
    from zotrec.logs import redact
    from zotrec.text import strip_controls

    sys.stderr.write(f"error: {redact(' '.join(strip_controls(str(message)).split()))}\n")


def warn_line(message: str, *, always: bool = False) -> None:
    """One ``warning:`` line on stderr (secrets redacted); in --quiet mode only when ``always`` (a
    warning that makes the exit code 3, such as a source read only in part)."""
    from zotrec.logs import redact
    from zotrec.text import strip_controls

    if always or not CTX.quiet:
        sys.stderr.write(f"warning: {redact(' '.join(strip_controls(str(message)).split()))}\n")


def run(func: Callable[[], int | None]) -> None:
    """Call a command body: ZotrecError -> one line + its exit code; anything else -> one line, code 1.

    ``--debug`` adds the traceback; the exit code stays the documented one. Files and folders the
    command creates are private to the user (umask 077: files 0600, folders 0700)."""
    umask = os.umask(0o077)
    try:
        from zotrec import paths

        for folder in (paths.data_dir(), paths.cache_dir()):
            paths.make_private_tree(folder)  # what an older version left open to others
        code = func()
    except typer.Exit:
        raise
    except ZotrecError as err:
        _traceback()
        error_line(str(err))
        raise typer.Exit(err.exit_code) from None
    except KeyboardInterrupt:
        error_line("interrupted")
        raise typer.Exit(130) from None
    except Exception as err:  # no traceback without --debug
        _traceback()
        error_line(f"unexpected {type(err).__name__}: {err}" + ("" if CTX.debug else " (run with --debug for details)"))
        raise typer.Exit(EXIT_FAILURE) from None
    finally:
        os.umask(umask)
    raise typer.Exit(code or 0)


def _traceback() -> None:
    if CTX.debug:
        import traceback

        from zotrec.logs import redact

        sys.stderr.write(redact("".join(traceback.format_exc())))


def print_json(data: Any) -> None:
    """JSON on stdout; a lone surrogate or C1 control left in old state rows is dropped, not fatal."""
    from zotrec.text import strip_controls

    sys.stdout.write(strip_controls(json.dumps(data, indent=2, ensure_ascii=False, default=str)) + "\n")


def load_cfg():
    from zotrec.config import load_config

    cfg = load_config(CTX.config_path)
    for warning in cfg.warnings:
        warn_line(warning)
    return cfg


def open_state(read_only: bool = False):
    """The state store; ``read_only``: a blank one in memory when no sync has created the file yet."""
    from zotrec import paths
    from zotrec.state import StateStore

    if read_only and not paths.state_file().exists():
        return StateStore.blank()
    state = StateStore(paths.state_file())
    if rebuilt := state.rebuilt_warning():
        warn_line(rebuilt)
    return state


def ranked_table(ranked: list, title: str):
    from rich.table import Table

    table = Table(title=title, show_lines=False, expand=True)
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("score", justify="right", no_wrap=True)
    table.add_column("topics", max_width=22)
    with_interests = any(getattr(r, "interest", None) for r in ranked)
    if with_interests:
        table.add_column("interest", max_width=24)
    table.add_column("title", ratio=3)
    table.add_column("why: nearest in your library", ratio=2)
    for rank_no, r in enumerate(ranked, 1):
        topics = ", ".join(t.label for t in r.topics[:2]) or "-"
        why = r.reasons[0].title if r.reasons else "-"
        interest = [r.interest or "-"] if with_interests else []
        table.add_row(str(rank_no), f"{r.score:.1f}", topics, *interest, r.paper.title, why)
    return table


# -- sync -----------------------------------------------------------------------------------
@app.command()
def sync(
    more: Optional[list[str]] = typer.Argument(
        None, metavar="[SOURCE]...", help="More digests (as in --digest A B C)."
    ),
    digest: list[str] = typer.Option(
        [], "--digest", "-d", help="Digest file or URL (repeatable; replaces the configured digests)."
    ),
    demo: bool = typer.Option(False, "--demo", help="Run offline on the shipped demo digest and library."),
    library: Optional[Path] = typer.Option(None, "--library", help="Embedded library file to use."),
    collection: Optional[str] = typer.Option(None, "--collection", help="Target collection."),
    top: Optional[int] = typer.Option(None, "--top", help="Push at most N papers (default 20)."),
    threshold: Optional[float] = typer.Option(None, "--threshold", help="Minimum score, 0-100."),
    min_picks: Optional[int] = typer.Option(
        None, "--min-picks", help="When fewer pass the threshold, add the best above 50 up to N (default 3)."
    ),
    per_topic: Optional[int] = typer.Option(None, "--per-topic", help="At most K papers per top topic."),
    digest_date: Optional[dt.datetime] = typer.Option(
        None, "--digest-date", formats=["%Y-%m-%d"], help="Reference date for dates without a year."
    ),
    skip_replacements: bool = typer.Option(False, "--skip-replacements", help="Skip arXiv replacements."),
    enrich: bool = typer.Option(False, "--enrich", help="Look up missing arXiv ids by title (network)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Everything except writes: show what would be pushed."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON summary."),
    report: Optional[Path] = typer.Option(None, "--report", help="Also write the HTML report to FILE."),
    email: Optional[bool] = typer.Option(
        None, "--email/--no-email", help="Send (or not) this run's e-mail, whatever email.when says."
    ),
    feed: Optional[Path] = typer.Option(
        None, "--feed", help="Write the Atom feed of the last picks to FILE (default: feed.path)."
    ),
) -> None:
    """Read digests, rank them against your library, push the best into a Zotero collection."""

    def body() -> int:
        from zotrec.runner import SyncRequest, run_sync

        request = SyncRequest(
            digests=list(digest) + list(more or []),
            demo=demo,
            library=library,
            collection=collection,
            top=top,
            threshold=threshold,
            min_picks=min_picks,
            per_topic=per_topic,
            digest_date=digest_date.date() if digest_date else None,
            skip_replacements=skip_replacements,
            enrich=enrich,
            dry_run=dry_run,
            report=report,
            email=email,
            feed=feed,
            config_path=CTX.config_path,
        )
        from zotrec.terminal import status as spinner

        out = console()
        with spinner(out, "syncing", spinner="dots") if not (CTX.quiet or as_json) else _nullcontext() as status:
            progress = (lambda msg: status.update(msg)) if status else None
            result, warnings = run_sync(request, progress=progress)
        _print_problems(result, warnings)
        if as_json:
            data = result.to_json()
            data.pop("all", None)
            data["delivery"] = result.delivery.to_json() if result.delivery else None
            print_json(data)
        else:
            print_sync(result, out)
        return result.exit_code

    run(body)


def _print_sources(reports: list[Any]) -> int:
    """Each failed source as an error line, each partly read one as a warning; how many failed."""
    for report in reports:
        if report.error:
            error_line(f"{report.source}: {report.error}")
        elif report.partial:
            warn_line(f"{report.source}: {report.partial}", always=True)
    return sum(1 for report in reports if report.error)


def _print_problems(result: Any, warnings: list[str]) -> None:
    """A sync's warnings and errors on stderr, one line each: sources, pushes, delivery."""
    for warning in warnings + result.warnings:
        warn_line(warning)
    for src in result.failed_sources:
        error_line(f"{src.source}: {src.error}")
    for src in result.partial_sources:
        warn_line(f"{src.source}: {src.partial}", always=True)
    for paper, problem in result.outcome.failed:
        error_line(f"could not push {paper.title!r}: {problem} (will retry next run)")
    for paper, problem in result.outcome.rejected:
        error_line(f"could not push {paper.title!r}: {problem} (not retried; see zotrec history --run {result.run_id})")
    for problem in result.delivery.errors if result.delivery else []:
        error_line(problem)


class _nullcontext:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


def plural(count: int, noun: str) -> str:
    """``1 new item``, ``2 new items``."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def picks_title(result) -> str:
    """The table's title: picks of papers read, the threshold, and how many picks only the daily minimum added."""
    from zotrec.pipeline import DAILY_MINIMUM

    below = sum(1 for r in result.recommended if r.reason_picked == DAILY_MINIMUM)
    minimum = f"; {below} of them below it, as the daily minimum" if below else ""
    return (
        f"{len(result.recommended)} recommended of {result.papers_read} papers "
        f"(threshold {result.threshold:g}{minimum})"
    )


def print_sync(result, out) -> None:
    title = picks_title(result)
    if result.recommended:
        out.print(ranked_table(result.recommended, title))
    else:
        out.print(title)
    verb = "would push" if result.dry_run else "pushed"
    known = len(result.known) + len(result.outcome.skipped_duplicates)
    out.print(
        f"{verb} {plural(len(result.outcome.pushed), 'new item')}; {plural(known, 'digest paper')} "
        f"{'was' if known == 1 else 'were'} already in your library or pushed before; library: "
        f"{result.library_description} ({plural(result.library_size, 'item')})"
    )
    if result.delivery is not None:
        print_delivery(result.delivery, out)
    if result.empty_reason:
        out.print(result.empty_reason, soft_wrap=True, markup=False, highlight=False)


def print_delivery(delivery, out) -> None:
    if delivery.emailed:
        out.print(f"e-mailed the picks to {', '.join(delivery.emailed)}", markup=False, soft_wrap=True)
    if delivery.feed:
        out.print(f"feed: {delivery.feed} ({delivery.feed_entries} entries)", markup=False, soft_wrap=True)
    if delivery.report:  # the last line: where to look
        out.print(f"report: {delivery.report.resolve().as_uri()}", markup=False, soft_wrap=True)


@app.command()
def recommend(
    more: Optional[list[str]] = typer.Argument(
        None, metavar="[SOURCE]...", help="More digests (as in --digest A B C)."
    ),
    library: Optional[str] = typer.Option(
        None,
        "--library",
        help="Library: BibTeX/CSL-JSON/Zotero RDF file, embedded .sqlite, or 'config' (the default: the configured library).",
    ),
    digest: list[str] = typer.Option([], "--digest", "-d", help="Digest file or URL (repeatable)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    show_all: bool = typer.Option(False, "--all", help="Every digest paper, not only the recommended ones."),
    top: Optional[int] = typer.Option(None, "--top", help="Recommend at most N (default: sync.top_n, 20)."),
    threshold: Optional[float] = typer.Option(
        None, "--threshold", help="Minimum score, 0-100 (default: sync.threshold, 60)."
    ),
    min_picks: Optional[int] = typer.Option(
        None,
        "--min-picks",
        help="When fewer pass the threshold, add the best above 50 up to N (default: sync.min_picks, 3).",
    ),
    digest_date: Optional[dt.datetime] = typer.Option(
        None, "--digest-date", formats=["%Y-%m-%d"], help="Reference date for dates without a year."
    ),
    report: Optional[Path] = typer.Option(None, "--report", help="Write an HTML report to FILE."),
) -> None:
    """Rank digest papers against a library with the configured settings, without pushing anything."""

    def body() -> int:
        from zotrec.errors import ConfigError
        from zotrec.runner import recommend_only

        digests = list(digest) + list(more or [])
        if not digests:
            raise ConfigError("no digest to rank: pass --digest SOURCE (repeatable)")
        result = recommend_only(
            library or "config",
            digests,
            top=top,
            threshold=threshold,
            min_picks=min_picks,
            digest_date=digest_date.date() if digest_date else None,
            report=report,
            config_path=CTX.config_path,
        )
        for src in result.failed_sources:
            error_line(f"{src.source}: {src.error}")
        for src in result.partial_sources:
            warn_line(f"{src.source}: {src.partial}", always=True)
        for warning in result.warnings:
            warn_line(warning)
        shown = result.ranked if show_all else result.recommended
        if as_json:
            print_json([r.to_json() for r in shown])
        else:
            out = console()
            out.print(ranked_table(shown, picks_title(result)) if shown else picks_title(result))
            if result.empty_reason:
                out.print(result.empty_reason, soft_wrap=True, markup=False, highlight=False)
        return result.exit_code

    run(body)


@app.command()
def report(
    run_id: Optional[int] = typer.Argument(
        None, metavar="RUN", help="Run number (see `zotrec history`); default the last run."
    ),
    out: Optional[Path] = typer.Option(
        None, "--out", "-o", help="Write to FILE (default: the reports folder in the data dir)."
    ),
    open_it: bool = typer.Option(
        False, "--open", help="Open the report in the web browser (without RUN: the latest kept one)."
    ),
    email: bool = typer.Option(False, "--email", help="Send the run's e-mail again (its report attached)."),
) -> None:
    """Re-render the HTML report of a recorded run from the state; prints the path written."""

    def body() -> int:
        from zotrec.report import latest_report, open_in_browser, run_report

        if email:
            from zotrec.deliver import resend

            cfg = load_cfg()
            state = open_state(read_only=True)
            try:
                sent_run, recipients = resend(state, cfg, run_id)
            finally:
                state.close()
            console().print(f"e-mailed run {sent_run}'s picks to {', '.join(recipients)}", markup=False)
            return 0
        if open_it and run_id is None and out is None:
            path = latest_report()
        else:
            state = open_state(read_only=True)
            try:
                path = run_report(state, run_id, out)
            finally:
                state.close()
        typer.echo(str(path))
        if open_it and not open_in_browser(path):
            warn_line(f"no web browser found: open {path.resolve().as_uri()} yourself")
        return 0

    run(body)


# -- library --------------------------------------------------------------------------------
@library_app.command("import")
def library_import(
    file: Path = typer.Argument(
        ..., help="Zotero export: BibTeX (.bib), CSL-JSON or Better BibTeX JSON (.json), Zotero RDF (.rdf)."
    ),
    library: Optional[Path] = typer.Option(None, "--library", help="Embedded library file (default: the data dir)."),
) -> None:
    """Fill the embedded library from a Zotero export (collections and tags kept)."""

    def body() -> int:
        from zotrec.library.transfer import import_file

        target = library or _default_embedded()
        from zotrec.errors import EXIT_PARTIAL

        result = import_file(file, target)
        if result.partial:
            warn_line(f"{file}: {result.partial}", always=True)
        console().print(f"imported {result.added} items into {target} ({result.skipped} already there)")
        return EXIT_PARTIAL if result.partial else 0

    run(body)


@library_app.command("export")
def library_export(
    collection: str = typer.Option("zotrec: Recommended", "--collection", help="Collection path to export."),
    fmt: str = typer.Option("ris", "--format", help="ris | bibtex | csljson"),
    library: Optional[Path] = typer.Option(None, "--library", help="Embedded library file."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Write to FILE instead of stdout."),
) -> None:
    """Export a collection so it can be imported into Zotero by hand (File > Import)."""

    def body() -> int:
        from zotrec.library.transfer import export_collection

        text = export_collection(library or _default_embedded(), collection, fmt)
        if out:
            out.write_text(text, encoding="utf-8")
            console().print(f"wrote {out}")
        else:
            sys.stdout.write(text)
        return 0

    run(body)


def _default_embedded() -> Path:
    cfg = load_cfg()
    from zotrec import paths

    return (
        Path(cfg.zotero.library)
        if cfg.zotero.backend == "embedded" and cfg.zotero.library
        else paths.data_dir() / "library.sqlite"
    )


# -- state -------------------------------------------------------------------------------------
@app.command()
def history(
    run_id: Optional[int] = typer.Option(None, "--run", help="Show what run ID pushed."),
    limit: int = typer.Option(20, "--limit", help="How many runs."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List recent runs with their counts, or what one run pushed."""

    def body() -> int:
        from zotrec.history import recent_runs, run_details

        state = open_state(read_only=True)
        if run_id is None:
            runs = recent_runs(state, limit)
            if as_json:
                print_json(runs)
            elif not runs:
                console().print("no runs recorded yet: `zotrec sync` records each run", markup=False)
            else:
                from rich.table import Table

                table = Table(title="recent runs")
                for col in ("run", "started", "duration", "outcome", "papers", "recommended", "pushed", "failed"):
                    table.add_column(col)
                for r in runs:
                    c = r["counts"]
                    table.add_row(
                        str(r["id"]),
                        r["started_at"],
                        r["duration"],
                        r["outcome"],
                        str(c.get("papers", "")),
                        str(c.get("recommended", "")),
                        str(c.get("pushed", "")),
                        str(c.get("failed", "")),
                    )
                console().print(table)
        else:
            details = run_details(state, run_id)
            if as_json:
                print_json(details)
            else:
                out = console()
                out.print(f"run {run_id}: {details['outcome']}, pushed {len(details['pushed'])}")
                for p in details["pushed"]:
                    why = f"  ({p['error']})" if p["error"] else ""
                    out.print(f"  {p['item_key'] or '-':8}  {p['status']:7}  {p['collection']}  {p['title']}{why}")
        return 0

    run(body)


@app.command()
def feedback(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Show what zotrec learned from what you did with the items it pushed."""

    def body() -> int:
        from zotrec.feedback import feedback_report

        state = open_state(read_only=True)
        report = feedback_report(state)
        if as_json:
            print_json([entry.to_json() for entry in report])
            return 0
        from rich.table import Table

        out = console()
        if not any(r["value"] for entry in report for r in entry.signals):
            from zotrec.feedback import HOW_TO

            out.print(f"no feedback yet: {HOW_TO} (README: Teach zotrec)", markup=False, soft_wrap=True)
        for entry in report:
            out.print(entry.describe())
            table = Table(title="feedback from Zotero (+1 liked, -1 disliked, 0 left alone)")
            for col in ("value", "why", "item", "title"):
                table.add_column(col)
            for r in entry.signals:
                table.add_row(f"{r['value']:+d}", r["reason"], r["item_key"] or "-", r["paper"]["title"])
            out.print(table)
        return 0

    run(body)


@app.command()
def interests(
    library: Optional[Path] = typer.Option(
        None, "--library", help="Embedded library or Zotero export (default: the configured backend)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List your interests (collections with profile.min_items papers or more): size, top words, held-out accuracy."""

    def body() -> int:
        from zotrec.runner import SyncRequest, list_interests

        with _status("reading the library", as_json):
            found, size, partial = list_interests(SyncRequest(library=library, config_path=CTX.config_path))
        if partial:
            warn_line(f"{library}: {partial}")
        if as_json:
            print_json([s.to_json() for s in found])
            return 0
        out = console()
        if not found:
            out.print(
                f"no interests: fewer than two collections hold profile.min_items papers or more ({size} "
                "papers); zotrec scores against the whole library as one profile"
            )
            return 0
        from rich.table import Table

        table = Table(
            title=f"{len(found)} interests in {size} papers (accuracy: held-out fifth filed into its interest)"
        )
        for col in ("interest", "papers", "held-out accuracy", "top words"):
            table.add_column(col)
        for s in found:
            acc = "-" if s.accuracy is None else f"{s.accuracy:.0%} of {s.held_out}"
            table.add_row(s.name, str(s.size), acc, ", ".join(s.words))
        out.print(table)
        return 0

    run(body)


@config_app.command("show")
def config_show(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Print the effective configuration (flags > environment > file > defaults), secrets masked."""

    def body() -> int:
        cfg = load_cfg()
        data = cfg.masked()
        if as_json:
            print_json(data)
            return 0
        out = console()
        out.print(f"# effective configuration (file: {data.pop('config_file') or 'none, defaults'})")
        for section, values in data.items():
            out.print(f"[{section}]")
            for key, value in values.items():
                out.print(f"{key} = {json.dumps(value)}")
        return 0

    run(body)


@config_app.command("set")
def config_set(
    key: str = typer.Argument(..., help="Setting, as section.name (see `zotrec config show`), e.g. sync.threshold."),
    value: str = typer.Argument(..., help='New value (a list: comma-separated, or as in the file: \'["a", "b"]\').'),
) -> None:
    """Change one setting in the config file (checked first; comments and other values kept)."""

    def body() -> int:
        from zotrec.config import mask
        from zotrec.init_config import set_setting

        path, setting, parsed, warnings = set_setting(key, value, CTX.config_path)
        for warning in warnings:
            warn_line(warning)
        shown = mask(parsed) if setting.secret else json.dumps(parsed)
        console().print(f"{setting.key} = {shown} in {path}")
        return 0

    run(body)


# -- operations: init, doctor, schedule ---------------------------------------------------------
@app.command()
def init(
    backend: Optional[str] = typer.Option(None, "--backend", help="embedded | web | local | sqlite"),
    library: Optional[str] = typer.Option(None, "--library", help="Embedded library file, or path of zotero.sqlite."),
    library_id: Optional[str] = typer.Option(None, "--library-id", help="Web API: numeric user or group id."),
    library_type: Optional[str] = typer.Option(None, "--library-type", help="user | group"),
    api_key: Optional[str] = typer.Option(None, "--api-key", help="Web API key (stored in the 0600 config file)."),
    endpoint: Optional[str] = typer.Option(None, "--endpoint", help="Web API base URL override."),
    collection: Optional[str] = typer.Option(None, "--collection", help="Target collection."),
    threshold: Optional[float] = typer.Option(None, "--threshold", help="Minimum score, 0-100."),
    top: Optional[int] = typer.Option(None, "--top", help="Push at most N papers per run."),
    digest: list[str] = typer.Option([], "--digest", "-d", help="Digest file or URL read on every sync (repeatable)."),
    topic_model: Optional[str] = typer.Option(None, "--topic-model", help="Topic model file (default: shipped)."),
    no_input: bool = typer.Option(False, "--no-input", help="Never prompt: take flags and defaults (for scripts)."),
    force: bool = typer.Option(False, "--force", help="Replace an existing config file."),
) -> None:
    """Write a commented config file (prompts for what the flags do not give, unless --no-input)."""

    def body() -> int:
        from zotrec.init_config import collect_values, init_config

        given = {
            "zotero.backend": backend,
            "zotero.library": library,
            "zotero.library_id": library_id,
            "zotero.library_type": library_type,
            "zotero.api_key": api_key,
            "zotero.endpoint": endpoint,
            "sync.collection": collection,
            "sync.threshold": threshold,
            "sync.top_n": top,
            "sources.digests": list(digest) or None,
            "model.topics": topic_model,
        }

        def ask(setting, default) -> str:
            hidden, shown = setting.secret, f"{default:g}" if isinstance(default, float) else str(default)
            return typer.prompt(
                setting.prompt, default=shown, type=str, hide_input=hidden, show_default=not hidden and shown != ""
            )

        values = collect_values(given, ask if not no_input else None, tell=error_line)
        path, warnings = init_config(values, CTX.config_path, force=force)
        for warning in warnings:
            warn_line(warning)
        console().print(f"wrote {path} (mode 600); check it with `zotrec doctor`")
        return 0

    run(body)


@app.command()
def doctor(
    as_json: bool = typer.Option(False, "--json", help="Print the checks as JSON."),
    no_sources: bool = typer.Option(False, "--no-sources", help="Do not read the configured sources."),
) -> None:
    """Check config, backend, library, write access, models and sources: one line per check."""

    def body() -> int:
        from zotrec.doctor import exit_code, run_checks
        from zotrec.text import strip_controls

        checks = run_checks(CTX.config_path, check_sources=not no_sources)
        if as_json:
            print_json({"checks": [c.to_json() for c in checks], "exit_code": exit_code(checks)})
        else:
            for check in checks:
                if check.status == "FAIL":
                    sys.stderr.write(strip_controls(check.line()) + "\n")
                elif not CTX.quiet:
                    sys.stdout.write(strip_controls(check.line()) + "\n")
        return exit_code(checks)

    run(body)


@app.command()
def schedule(
    at: str = typer.Option("07:30", "--at", help="Time of day, HH:MM (24-hour clock)."),
    install: bool = typer.Option(False, "--install", help="Add the line to your crontab (idempotent)."),
    systemd_dir: Optional[Path] = typer.Option(None, "--systemd-dir", help="Also write the systemd units into DIR."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Print a crontab line and a systemd service + timer that run `zotrec sync` daily for this config."""

    def body() -> int:
        from zotrec.schedule import UNIT, install_crontab, make_schedule, write_systemd_units

        plan = make_schedule(CTX.config_path, at)
        for warning in plan.warnings:
            warn_line(warning)
        status = install_crontab(plan) if install else None
        written = write_systemd_units(plan, systemd_dir) if systemd_dir else []
        if as_json:
            print_json(
                {
                    "crontab": plan.crontab_line(),
                    "service": plan.service_unit(),
                    "timer": plan.timer_unit(),
                    "installed": status,
                    "written": [str(p) for p in written],
                }
            )
            return 0
        if install:
            console().print(f"crontab: {status}: {plan.crontab_line()}")
            return 0
        out = sys.stdout
        out.write(
            f"# crontab line (add with `crontab -e`, or run `zotrec schedule --install`):\n{plan.crontab_line()}\n\n"
        )
        out.write(f"# systemd user units: ~/.config/systemd/user/{UNIT}.service\n{plan.service_unit()}\n")
        out.write(f"# ~/.config/systemd/user/{UNIT}.timer\n{plan.timer_unit()}\n")
        out.write(f"# then: systemctl --user daemon-reload && systemctl --user enable --now {UNIT}.timer\n")
        for path in written:
            out.write(f"# wrote {path}\n")
        return 0

    run(body)


# -- parse ----------------------------------------------------------------------------------
@app.command("parse")
def parse_cmd(
    sources: list[str] = typer.Argument(..., help="Digest files or URLs (any supported format)."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON list of papers."),
    digest_date: Optional[dt.datetime] = typer.Option(
        None, "--digest-date", formats=["%Y-%m-%d"], help="Reference date for dates without a year."
    ),
    skip_replacements: bool = typer.Option(False, "--skip-replacements", help="Skip arXiv replacements."),
    enrich: bool = typer.Option(False, "--enrich", help="Look up missing arXiv ids by title (network)."),
) -> None:
    """Read digests and print the papers found: a table, or with --json a list of objects."""

    def body() -> int:
        from zotrec.sources import read_sources, sources_exit_code

        papers, reports = read_sources(
            list(sources),
            digest_date=digest_date.date() if digest_date else None,
            skip_replacements=skip_replacements,
            enrich=enrich,
        )
        failed = _print_sources(reports)
        if as_json:
            print_json([paper.to_json() for paper in papers])
        elif papers or not failed:
            console().print(papers_table(papers, reports))
        return sources_exit_code(reports)

    run(body)


def papers_table(papers: list, reports: list):
    from rich.table import Table

    read = sum(r.count for r in reports)
    table = Table(
        title=f"{plural(len(papers), 'paper')} ({read} read from {plural(len(reports), 'source')})", expand=True
    )
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("date", no_wrap=True)
    table.add_column("title", ratio=3)
    table.add_column("authors", ratio=1)
    table.add_column("ids", no_wrap=True)
    for number, paper in enumerate(papers, 1):
        n_authors = paper.extras.get("n_authors")
        authors = ", ".join(paper.authors[:2]) + (" et al." if len(paper.authors) > 2 else "")
        if not authors and n_authors:
            authors = f"{n_authors} authors"
        ids = paper.arxiv_id and f"arXiv:{paper.arxiv_id}" or paper.doi and f"doi:{paper.doi}" or ""
        table.add_row(str(number), paper.date.isoformat() if paper.date else "-", paper.title, authors, ids)
    return table


# -- topics: train / classify / eval ------------------------------------------------------
train_app = typer.Typer(
    rich_markup_mode=None, help="Train topic models: the arXiv-taxonomy one or your personal one.", no_args_is_help=True
)
eval_app = typer.Typer(rich_markup_mode=None, help="Measure a topic model on labelled papers.", no_args_is_help=True)
app.add_typer(train_app, name="train")
app.add_typer(eval_app, name="eval")


def _status(label: str, quiet: bool = False):
    """A spinner on stderr that shows the progress messages (nothing with --quiet / --json)."""
    if CTX.quiet or quiet:
        return _nullcontext()
    return err_console().status(label, spinner="dots")


def _metrics_line(metrics: dict) -> str:
    keys = ("micro_f1", "macro_f1", "top1_primary", "top1_archive", "no_topic_rate")
    return ", ".join(f"{k} {metrics[k]:.3f}" for k in keys if isinstance(metrics.get(k), float))


@train_app.command("topics")
def train_topics(
    corpus: list[Path] = typer.Option(
        ...,
        "--corpus",
        help="Labelled papers: JSONL with arXiv fields (plain or .gz) or CSV with title/abstract/labels; a file or a folder (repeatable).",
    ),
    out: Optional[Path] = typer.Option(
        None, "--out", help="Model file to write (default: <data dir>/models/topics.joblib)."
    ),
    min_examples: int = typer.Option(20, "--min-examples", help="Leave out labels with fewer training papers."),
    as_json: bool = typer.Option(False, "--json", help="Print the model card as JSON."),
) -> None:
    """Train the arXiv-taxonomy topic model; prints progress and the held-out metrics."""

    def body() -> int:
        from zotrec import paths
        from zotrec.topics.build import train_from_corpora

        target = out or paths.data_dir() / "models" / "topics.joblib"
        with _status("training topics", as_json) as status:
            model = train_from_corpora(
                corpus,
                out=target,
                progress=(lambda m: status.update(m)) if status else None,
                min_examples=min_examples,
            )
        if as_json:
            print_json(model.card)
            return 0
        out_console = console()
        card = model.card
        out_console.print(
            f"wrote {target} ({card['size_bytes'] / 1e6:.1f} MB, sha256 {card['sha256'][:12]}…) and its card"
        )
        out_console.print(
            f"{len(model.labels)} labels from {card['training_size']} papers; left out (too few papers): "
            + (", ".join(f"{k} ({v})" for k, v in card["left_out"].items()) or "none")
        )
        held = card.get("metrics", {}).get("holdout", {})
        if held:
            out_console.print(f"held-out ({held.get('papers')} papers): {_metrics_line(held)}")
        out_console.print(
            f'use it with: zotrec classify ... --model {target}  (or model.topics = "{target}" in the config)'
        )
        return 0

    run(body)


@train_app.command("personal")
def train_personal(
    library: Optional[Path] = typer.Option(
        None, "--library", help="Embedded library file (default: the configured backend)."
    ),
    tags: bool = typer.Option(False, "--tags", help="Also learn tags (as #tag labels), not only collections."),
    min_examples: int = typer.Option(
        5, "--min-examples", help="Leave out tags with fewer papers (collections: profile.min_items)."
    ),
    out: Optional[Path] = typer.Option(None, "--out", help="Model file (default: <data dir>/models/personal.joblib)."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Learn your collections (and tags) from your library; prints held-out metrics."""

    def body() -> int:
        from zotrec.runner import SyncRequest, interest_settings, resolve_library
        from zotrec.topics.personal import save_personal_model, train_personal_model

        cfg = load_cfg()
        lib, _ = resolve_library(cfg, SyncRequest(library=library, config_path=CTX.config_path))
        with _status("reading the library", as_json) as status:
            papers = lib.snapshot().papers()
            model, report = train_personal_model(
                papers,
                tags=tags,
                min_examples=min_examples,
                interests=interest_settings(cfg),
                progress=(lambda m: status.update(m)) if status else None,
            )
            target = save_personal_model(model, out)
        if as_json:
            print_json(
                {
                    "model": str(target),
                    "papers": report.papers,
                    "used_papers": report.used_papers,
                    "labels": report.labels,
                    "left_out": report.left_out,
                    "metrics": report.metrics,
                }
            )
            return 0
        out_console = console()
        out_console.print(
            f"wrote {target}: {len(report.labels)} labels from {report.used_papers} of {report.papers} papers"
        )
        if report.left_out:
            out_console.print(
                f"left out (fewer than {min_examples} papers): "
                + ", ".join(f"{k} ({v})" for k, v in report.left_out.items())
            )
        if report.metrics.get("micro_f1") is not None:
            out_console.print(
                f"held-out fifth ({report.metrics['test_papers']} papers): {_metrics_line(report.metrics)}"
            )
        out_console.print(_personal_model_hint(target))
        return 0

    run(body)


@app.command()
def classify(
    sources: list[str] = typer.Argument(..., help="Digest files or URLs (any supported format)."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON list of {title, topics}."),
    model: Optional[Path] = typer.Option(
        None, "--model", help="Topic model file (default: model.topics from the config, else the shipped one)."
    ),
) -> None:
    """Label every paper of the digests as sync does: the arXiv categories a digest lists, the
    topic model's labels (with their probabilities) for the papers it lists none for."""

    def body() -> int:
        from zotrec.runner import classify_only
        from zotrec.sources import sources_exit_code

        papers, topics, reports = classify_only(list(sources), model=model, config_path=CTX.config_path)
        failed = _print_sources(reports)
        if as_json:
            print_json([{"title": p.title, "topics": [t.to_json() for t in ts]} for p, ts in zip(papers, topics)])
        elif papers or not failed:
            from rich.table import Table

            table = Table(title=f"{len(papers)} papers", expand=True)
            table.add_column("#", justify="right", no_wrap=True)
            table.add_column("title", ratio=3)
            table.add_column("topics (probability)", ratio=2)
            for number, (paper, ts) in enumerate(zip(papers, topics), 1):
                label = "; ".join(f"{t.label} {t.name} ({t.probability:.2f})" for t in ts) or "no confident topic"
                table.add_row(str(number), paper.title, label)
            console().print(table)
        return sources_exit_code(reports)

    run(body)


def _personal_model_hint(target: Path) -> str:
    """Whether the next sync reads the model just written, and if not, the command that makes it."""
    import shlex

    from zotrec.runner import personal_model_path

    used = personal_model_path(load_cfg())
    if used is not None and used.resolve() == target.resolve():
        return "the next sync uses it (model.personal)"
    return f"use it in sync: zotrec config set model.personal {shlex.quote(str(target))}"


@eval_app.command("topics")
def eval_topics(
    corpus: list[Path] = typer.Option(
        ..., "--corpus", help="Labelled papers (JSONL or CSV, file or folder; repeatable)."
    ),
    model: Optional[Path] = typer.Option(None, "--model", help="Topic model file (default: the shipped one)."),
    as_json: bool = typer.Option(False, "--json", help="Print the metrics as JSON."),
) -> None:
    """Micro/macro-F1, top-1 accuracy on the primary category, per-label precision/recall."""

    def body() -> int:
        from zotrec.topics import load_topic_model
        from zotrec.topics.corpus import read_corpus
        from zotrec.topics.evaluate import evaluate

        with _status("reading the corpus", as_json) as status:
            records = read_corpus(corpus)
            topic_model = load_topic_model(model)
            if status:
                status.update(f"classifying {len(records)} papers")
            ev = evaluate(
                topic_model,
                [(r.title, r.abstract) for r in records],
                [r.labels for r in records],
                archives=topic_model.kind == "arxiv",
            )
        if as_json:
            print_json({**ev.summary(), "confusions": ev.confusions, "per_label": ev.per_label})
            return 0
        from rich.table import Table

        out_console = console()
        out_console.print(f"{ev.n} papers: {_metrics_line(ev.summary())}")
        table = Table(title="per label", expand=False)
        for col in ("label", "name", "support", "precision", "recall", "F1"):
            table.add_column(col, justify="right" if col in ("support", "precision", "recall", "F1") else "left")
        for row in ev.per_label:
            if row["support"]:
                table.add_row(
                    row["label"],
                    row["name"],
                    str(row["support"]),
                    f"{row['precision']:.2f}",
                    f"{row['recall']:.2f}",
                    f"{row['f1']:.2f}",
                )
        out_console.print(table)
        return 0

    run(body)


@auth_app.command("local")
def auth_local_cmd(
    endpoint: Optional[str] = typer.Option(
        None, "--endpoint", help="Local API URL (default http://127.0.0.1:23119/api)."
    ),
) -> None:
    """Ask Zotero 10+ for a local API key (approve the dialog) and store it in the config file (0600)."""

    def body() -> int:
        from zotrec.auth import auth_local

        path, persistent = auth_local(CTX.config_path, endpoint)
        console().print(
            f"stored the local API key in {path}"
            + ("" if persistent else " (single use: run again and choose 'Always Allow' for daily syncs)")
        )
        return 0

    run(body)


# One command is one short process that builds large, long-lived structures (a 50k-item library
# snapshot, its caches): full collections of the cyclic garbage collector every few thousand
# allocations re-scan all of them (about a tenth of a 50k-item daily run). Young objects are still
# collected; cycles among old ones wait for the process to end.
GC_THRESHOLDS = (100_000, 20, 100)


def main() -> None:
    """Console-script entry point."""
    import gc

    from zotrec import later

    gc.set_threshold(*GC_THRESHOLDS)
    later.ENABLED = True  # cache files are written by a child while the run goes on
    try:
        app()
    except SystemExit as done:
        from zotrec.quick_exit import leave

        leave(done.code)  # the output is out: skip the interpreter's teardown


if __name__ == "__main__":
    main()
