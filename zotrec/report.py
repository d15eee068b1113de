"""The HTML report of a run: one self-contained page (inline CSS and SVG, no script, no remote loads).

Everything is rendered from the run summary (``SyncResult.to_json()``, also stored in the state), so
``zotrec report RUN`` re-renders any past run exactly as the live sync wrote it. The library's topic
counts the report draws come from here too (:func:`library_topics`, labelled incrementally by
:mod:`zotrec.topics.library`). A kept copy of each run's page sits in the data dir, the newest also
as ``latest.html``.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zotrec import __version__, paths
from zotrec.errors import UnknownRun, ZotrecError
from zotrec.ranked import NO_TOPIC, Reason, Topic
from zotrec.text import clean_text

if TYPE_CHECKING:
    from zotrec.library.base import LibrarySnapshot

log = logging.getLogger("zotrec")

TEMPLATES = Path(__file__).with_name("templates")
ZOTERO_KEY = re.compile(r"^[A-Z0-9]{8}$")
SAFE_URL = re.compile(r"^https?://[^\s\"'<>]+$", re.IGNORECASE)
KEPT = re.compile(r"^zotrec-(run-\d+|\d{8}-\d{6})\.html$")
LATEST = "latest.html"
MAX_AUTHORS = 8
MAX_TOPIC_ROWS = 8

# chart geometry (SVG user units; the charts scale to the column width)
CHART_W = 360
LABEL_H = 15
BAR_H = 9


class ReportError(ZotrecError):
    """A report could not be rendered or written."""


# -- values for the template ------------------------------------------------------------------
def display_title(title: str | None) -> str:
    """The title as a person reads it (the Paper's own cleaning: summaries of older runs kept raw LaTeX)."""
    return clean_text(title) or "(untitled)"


def safe_url(url: str | None) -> str | None:
    """Only plain http(s) links go into an href (no javascript:, data:, file:)."""
    return url if url and SAFE_URL.match(url) else None


def zotero_library(library_id: str | None) -> str | None:
    """The ``zotero://select`` path of a run's library: ``library`` (a user's own), ``groups/ID``, or
    None when the library is not a Zotero library (an embedded file, an export read from disk)."""
    backend, _, rest = (library_id or "").partition(":")
    if backend == "sqlite":
        return "library"
    if backend in ("web", "local"):
        kind, _, number = rest.partition(":")
        if kind == "group":
            return f"groups/{number}" if number.isdigit() else None
        return "library"
    return None


def zotero_link(key: str | None, library: str | None = "library") -> str | None:
    """A link that selects the item in the Zotero app; None outside a Zotero library or for a bad key."""
    return f"zotero://select/{library}/items/{key}" if library and key and ZOTERO_KEY.match(key) else None


def paper_links(paper: dict[str, Any]) -> tuple[str | None, list[tuple[str, str]]]:
    """The title's link and the identifier links (label, href) of a digest paper: arXiv page and
    PDF, DOI."""
    ids = paper.get("ids") or {}
    links: list[tuple[str, str]] = []
    if ids.get("arxiv"):
        links.append((f"arXiv:{ids['arxiv']}", f"https://arxiv.org/abs/{ids['arxiv']}"))
        links.append(("PDF", f"https://arxiv.org/pdf/{ids['arxiv']}"))
    if ids.get("doi"):
        links.append((f"doi:{ids['doi']}", f"https://doi.org/{ids['doi']}"))
    links = [(label, href) for label, href in links if safe_url(href)]
    href = safe_url(paper.get("url")) or (links[0][1] if links else None)
    return href, links


def source_name(source: str) -> str:
    """A short name for a digest source: the file name of a path, the URL as given."""
    if "://" in source:
        return source
    return Path(source).name or source


def when(timestamp: float | None) -> str:
    if not timestamp:
        return "unknown date"
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%A %d %B %Y, %H:%M UTC")


def paper_view(
    paper: dict[str, Any], rank: int, pushed_keys: dict[str, str], library: str | None = None
) -> dict[str, Any]:
    href, links = paper_links(paper)
    authors = list(paper.get("authors") or [])
    score = float(paper.get("score") or 0.0)
    return {
        "rank": rank,
        "title": display_title(paper.get("title")),
        "href": href,
        "links": links,
        "authors": authors[:MAX_AUTHORS],
        "more_authors": max(0, len(authors) - MAX_AUTHORS),
        "date": paper.get("date"),
        "abstract": " ".join(str(paper.get("abstract") or "").split()),
        "score": score,
        "score_pct": max(0.0, min(100.0, score)),
        "interest": paper.get("interest"),
        "topics": [
            {"label": t.label, "name": t.name or t.label, "pct": round(100 * t.probability)} for t in _topics(paper)
        ],
        "reasons": [
            {"title": display_title(r.title), "href": zotero_link(r.key, library), "similarity": r.similarity}
            for r in _reasons(paper)
        ],
        "terms": list(paper.get("terms") or []),
        "chosen": bool(paper.get("chosen")),
        "reason_picked": paper.get("reason_picked"),
        "why_not": paper.get("why_not"),
        "in_zotero": zotero_link(pushed_keys.get(identity(paper)), library),
    }


def identity(paper: dict[str, Any]) -> str:
    """The strongest identity of a summary paper: arXiv id, then DOI, then the folded title."""
    ids = paper.get("ids") or {}
    if ids.get("arxiv"):
        return f"arxiv:{ids['arxiv'].lower()}"
    if ids.get("doi"):
        return f"doi:{ids['doi'].lower()}"
    return "title:" + " ".join((paper.get("title") or "").lower().split())


def _topics(paper: dict[str, Any]) -> list[Topic]:
    return [Topic.from_json(t) for t in paper.get("topics") or []]


def _reasons(paper: dict[str, Any]) -> list[Reason]:
    return [Reason.from_json(r) for r in paper.get("reasons") or []]


# -- pictures ------------------------------------------------------------------------------------
def _top_label(paper: dict[str, Any]) -> str:
    topics = _topics(paper)
    return (topics[0].label or NO_TOPIC) if topics else NO_TOPIC


def topic_chart(papers: list[dict[str, Any]], library: dict[str, int]) -> dict[str, Any]:
    """Shares of each top topic in the digest and in the library, as bar geometry."""
    names: dict[str, str] = {}
    digest: dict[str, int] = {}
    for p in papers:
        label = _top_label(p)
        digest[label] = digest.get(label, 0) + 1
        for t in _topics(p):
            names.setdefault(t.label, t.name)
    n_digest, n_library = sum(digest.values()), sum(library.values())

    def share(counts: dict[str, int], total: int, label: str) -> float:
        return counts.get(label, 0) / total if total else 0.0

    labels = sorted(
        set(digest) | set(library),
        key=lambda l: (-max(share(digest, n_digest, l), share(library, n_library, l)), l),
    )
    shown, rest = labels[:MAX_TOPIC_ROWS], labels[MAX_TOPIC_ROWS:]
    rows = [
        (l, names.get(l) or _taxonomy_name(l), share(digest, n_digest, l), share(library, n_library, l)) for l in shown
    ]
    if rest:
        rows.append(
            (
                "other",
                f"other: {len(rest)} more topics",
                sum(share(digest, n_digest, l) for l in rest),
                sum(share(library, n_library, l) for l in rest),
            )
        )
    has_library = n_library > 0
    row_h = LABEL_H + BAR_H * (2 if has_library else 1) + 8
    top = 24
    scale = max([max(d, lib) for _, _, d, lib in rows] + [0.01])
    width = CHART_W - 44  # room for the percentage on the right
    bars = []
    for i, (label, name, d, lib) in enumerate(rows):
        y = top + i * row_h
        text = _clip(name if label == "other" else label if not name or name == label else f"{name} ({label})", 52)
        row: dict[str, Any] = {"text": text, "y": y + 11, "bars": []}
        series = [("digest", d)] + ([("library", lib)] if has_library else [])
        for j, (kind, value) in enumerate(series):
            by = y + LABEL_H + j * BAR_H
            w = width * value / scale
            row["bars"].append(
                {
                    "kind": kind,
                    "x": 0,
                    "y": by,
                    "w": round(max(w, 1.0 if value else 0.0), 1),
                    "h": BAR_H - 2,
                    "tx": round(w + 4, 1),
                    "ty": by + BAR_H - 2,
                    "pct": f"{100 * value:.0f}%",
                }
            )
        bars.append(row)
    return {
        "width": CHART_W,
        "height": top + len(rows) * row_h + 4,
        "rows": bars,
        "has_library": has_library,
        "n_digest": n_digest,
        "n_library": n_library,
    }


def _clip(text: str, size: int) -> str:
    return text if len(text) <= size else text[: size - 1].rstrip() + "\u2026"


def _taxonomy_name(label: str) -> str:
    if label == "none":
        return "no confident topic"
    try:
        from zotrec.topics import taxonomy

        return taxonomy.name(label)
    except Exception:  # a name is a nicety, the label is enough
        return label


def score_chart(papers: list[dict[str, Any]], threshold: float) -> dict[str, Any]:
    """A histogram of scores in bins of 10 (chosen papers stacked apart) with the threshold marked."""
    chosen, other = [0] * 10, [0] * 10
    for p in papers:
        b = min(9, max(0, int(float(p.get("score") or 0) // 10)))
        (chosen if p.get("chosen") else other)[b] += 1
    left, right, top, bottom = 28, 14, 34, 24
    plot_w, plot_h = CHART_W - left - right, 130
    peak = max([c + o for c, o in zip(chosen, other)] + [1])
    step = plot_w / 10
    bins = []
    for i in range(10):
        x = left + i * step + 1
        h_other = plot_h * other[i] / peak
        h_chosen = plot_h * chosen[i] / peak
        y0 = top + plot_h
        bins.append(
            {
                "x": round(x, 1),
                "w": round(step - 2, 1),
                "other": {"y": round(y0 - h_other, 1), "h": round(h_other, 1), "n": other[i]},
                "chosen": {"y": round(y0 - h_other - h_chosen, 1), "h": round(h_chosen, 1), "n": chosen[i]},
                "label": f"{i * 10}-{i * 10 + 10}",
                "count": chosen[i] + other[i],
                "cx": round(x + (step - 2) / 2, 1),
                "cy": round(y0 - h_other - h_chosen - 3, 1),
            }
        )
    t = max(0.0, min(100.0, float(threshold)))
    return {
        "width": CHART_W,
        "height": top + plot_h + bottom,
        "bins": bins,
        "left": left,
        "right": CHART_W - right,
        "top": top,
        "base": top + plot_h,
        "ticks": [{"x": round(left + plot_w * v / 100, 1), "v": v} for v in range(0, 101, 20)],
        "threshold": {
            "x": round(left + plot_w * t / 100, 1),
            "v": f"{threshold:g}",
            "anchor": "end" if t > 70 else "start",
            "tx": round(left + plot_w * t / 100 + (-4 if t > 70 else 4), 1),
        },
        "peak": peak,
    }


# -- the page ------------------------------------------------------------------------------------
def report_context(summary: dict[str, Any]) -> dict[str, Any]:
    """Everything the template shows, computed from a run summary."""
    everything = summary.get("all")
    if everything is None:  # a summary without the full digest (e.g. trimmed JSON): show what we have
        everything = list(summary.get("recommended") or [])
    pushed = summary.get("pushed") or []
    pushed_keys = {identity(p): p.get("key") for p in pushed if p.get("key")}
    library = summary.get("library") or {}
    zotero = zotero_library(library.get("id"))
    ranked = [paper_view(p, i, pushed_keys, zotero) for i, p in enumerate(everything, 1)]
    recommended = [p for p in ranked if p["chosen"]]
    rest = [p for p in ranked if not p["chosen"]]
    sources = [
        {
            "name": source_name(str(s.get("source", ""))),
            "full": str(s.get("source", "")),
            "count": s.get("count", 0),
            "error": s.get("error"),
            "format": s.get("format"),
            "partial": s.get("partial"),
        }
        for s in summary.get("sources") or []
    ]
    started, finished = summary.get("started"), summary.get("finished")
    threshold = float(summary.get("threshold") or 0.0)
    return {
        "run_id": summary.get("run_id"),
        "date": when(started),
        "duration": f"{finished - started:.1f} s" if started and finished else None,
        "sources": sources,
        "failed_sources": [s for s in sources if s["error"]],
        "papers": summary.get("papers", len(everything)),
        "library": {"description": library.get("description", ""), "size": library.get("size", 0)},
        "threshold": threshold,
        "recommended": recommended,
        "rest": rest,
        "pushed": len(pushed),
        "failed": summary.get("failed") or [],
        "skipped_duplicates": summary.get("skipped_duplicates", 0),
        "known": len(summary.get("known") or []),
        "empty_reason": summary.get("empty_reason"),
        "dry_run": bool(summary.get("dry_run")),
        "topic_chart": topic_chart(everything, dict(summary.get("library_topics") or {})),
        "score_chart": score_chart(everything, threshold),
        "version": __version__,
    }


def _environment():
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    return Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=True,  # every value is escaped: titles carry <, & and TeX
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_report(summary: dict[str, Any]) -> str:
    """The report page (HTML) of one run summary."""
    return _environment().get_template("report.html.j2").render(**report_context(summary))


def _summary(result_or_summary: Any) -> dict[str, Any]:
    if isinstance(result_or_summary, dict):
        return result_or_summary
    return result_or_summary.to_json()


def write_report(result_or_summary: Any, path: Path | str) -> Path:
    """Render a run (a SyncResult or its summary dict) into ``path``, atomically."""
    return write_html(Path(path), render_report(_summary(result_or_summary)))


def write_html(path: Path | str, html: str) -> Path:
    """Write a rendered page to ``path`` atomically (ReportError with one line when it cannot)."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(html)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as err:
        raise ReportError(f"{path}: cannot write the report ({err.strerror or err})") from None
    return path


def reports_dir() -> Path:
    return paths.data_dir() / "reports"


def report_name(summary: dict[str, Any]) -> str:
    """``zotrec-run-N.html`` for a recorded run, else ``zotrec-YYYYMMDD-HHMMSS.html`` (UTC start)."""
    if summary.get("run_id") is not None:
        return f"zotrec-run-{int(summary['run_id'])}.html"
    started = dt.datetime.fromtimestamp(summary.get("started") or 0, dt.UTC)
    return f"zotrec-{started:%Y%m%d-%H%M%S}.html"


def keep_report(result_or_summary: Any, keep: int, html: str | None = None) -> Path | None:
    """Write the report (``html``, rendered when not given) into the data dir's reports folder, and the
    same page as ``latest.html``; keep only the newest ``keep`` run reports there. Returns the run's report."""
    if keep <= 0:
        return None
    summary = _summary(result_or_summary)
    folder = reports_dir()
    html = render_report(summary) if html is None else html
    path = write_html(folder / report_name(summary), html)
    write_html(folder / LATEST, html)
    prune_reports(folder, keep)
    return path


def latest_report() -> Path:
    """The newest kept report (``latest.html``); one clear error when no sync has kept one yet."""
    path = reports_dir() / LATEST
    if not path.is_file():
        raise UnknownRun(f"{path}: no report kept yet (run `zotrec sync`; reports.keep must be > 0)")
    return path


def open_in_browser(path: Path) -> bool:
    """Open a report in the default web browser; False when no browser could be started."""
    import webbrowser

    try:
        return bool(webbrowser.open(path.resolve().as_uri()))
    except webbrowser.Error:
        return False


def prune_reports(folder: Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` reports zotrec wrote there (other files are left alone)."""
    kept = [p for p in folder.iterdir() if p.is_file() and KEPT.match(p.name)]
    kept.sort(key=lambda p: (p.stat().st_mtime, _run_number(p.name)), reverse=True)
    removed = []
    for old in kept[keep:]:
        try:
            old.unlink()
            removed.append(old)
        except OSError:
            pass
    return removed


def highest_kept_run(folder: Path | None = None) -> int:
    """The largest run number among the kept ``zotrec-run-N.html`` reports (0 when there is none)."""
    folder = folder or reports_dir()
    try:
        return max([0, *(_run_number(p.name) for p in folder.iterdir())])
    except OSError:
        return 0


def _run_number(name: str) -> int:
    match = re.match(r"zotrec-run-(\d+)\.html$", name)
    return int(match.group(1)) if match else -1


def run_report(state: Any, run_id: int | None = None, out: Path | None = None) -> Path:
    """Re-render a recorded run (default: the last one) from the state; returns the file written."""
    if run_id is None:
        run_id = state.last_run_id()
        if run_id is None:
            raise UnknownRun("no recorded run to report on yet (run `zotrec sync` first)")
    summary = state.run_summary(run_id)
    if summary is None:
        raise UnknownRun(f"no summary for run {run_id} in the state (see `zotrec history`)")
    return write_report(summary, out or reports_dir() / report_name(summary))


# -- what a run delivers ------------------------------------------------------------------------
def new_picks(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """The run's picks that are new to the library: recommended and pushed (or failing, to be retried)
    by this run; a recommended paper found already in the library or pushed before is not new."""
    taken = {identity(p) for p in summary.get("pushed") or []}
    failing = {" ".join((f.get("title") or "").split()) for f in summary.get("failed") or []}
    return [
        r
        for r in summary.get("recommended") or []
        if identity(r) in taken or " ".join((r.get("title") or "").split()) in failing
    ]


def why_line(paper: dict[str, Any]) -> str:
    """One line of why: the closest library paper, else the words that weighed most."""
    reasons = _reasons(paper)
    if reasons:
        return f"closest in your library: {display_title(reasons[0].title)} ({reasons[0].similarity:.2f})"
    terms = [str(t) for t in paper.get("terms") or []][:5]
    return f"words that weighed most: {', '.join(terms)}" if terms else ""


def run_date(summary: dict[str, Any]) -> str:
    """The local calendar date a run started (YYYY-MM-DD)."""
    started = summary.get("started") or 0
    return dt.datetime.fromtimestamp(started).date().isoformat()


# -- the library's topics (the report's topic picture) -------------------------------------------
def library_topics(
    snapshot: LibrarySnapshot, library_id: str, model_path: Path | None = None, collection: str | None = None
) -> dict[str, int]:
    """The top-topic counts of the library's profile items; each item's label is kept by content id,
    so a run labels only the items added or edited since the last one (:mod:`zotrec.topics.library`)."""
    from zotrec.recommend.cache import DEFAULT_COLLECTION
    from zotrec.topics.library import library_topic_counts

    try:
        return library_topic_counts(snapshot, library_id, model_path, collection or DEFAULT_COLLECTION)
    except Exception as err:
        log.warning("library topic distribution not computed: %s", err)
        return {}
