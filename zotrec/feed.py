"""The Atom feed of the last picks, for any feed reader (Zotero's File > New Feed included).

The entries are rebuilt from the run summaries in the state on every write, newest run first, so the
feed never loses a pick and never lists one twice: each paper has one stable id (its arXiv id, DOI
or folded title) and keeps the date of the run that first picked it. The file is written with
feedgen and replaced atomically, so a reader never sees half a feed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zotrec import __version__
from zotrec.errors import EXIT_PARTIAL, ZotrecError
from zotrec.report import display_title, identity, new_picks, paper_links, why_line

FEED_ID = "urn:zotrec:picks"
MAX_RUNS = 1000  # how far back the state is read to fill the feed
_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


class FeedError(ZotrecError):
    """The feed could not be written; the run itself is complete."""

    exit_code = EXIT_PARTIAL


@dataclass
class FeedEntry:
    """One picked paper in the feed."""

    id: str
    paper: dict[str, Any]
    picked: dt.datetime  # the start of the run that first picked it
    run_id: int | None = None


def entry_id(paper: dict[str, Any]) -> str:
    """A stable id for a paper (a URN), the same in every run that picks it."""
    key = identity(paper)
    kind, _, value = key.partition(":")
    if kind in ("arxiv", "doi"):
        return f"urn:zotrec:{kind}:{re.sub(r'[^A-Za-z0-9._/:;()-]', '_', value)}"
    return "urn:zotrec:title:" + hashlib.sha256(value.encode("utf-8")).hexdigest()[:24]


def collect_entries(summaries: Iterable[dict[str, Any]], keep: int) -> list[FeedEntry]:
    """The last ``keep`` distinct picks from run summaries given newest first (dry runs left out)."""
    entries: dict[str, FeedEntry] = {}
    for summary in summaries:
        if summary.get("dry_run"):
            continue
        picked = dt.datetime.fromtimestamp(float(summary.get("started") or 0), dt.UTC)
        for paper in new_picks(summary):
            key = entry_id(paper)
            if key in entries:  # also picked by an older run: the entry keeps the first date
                entries[key].picked, entries[key].run_id = picked, summary.get("run_id")
            elif len(entries) < keep:
                entries[key] = FeedEntry(key, paper, picked, summary.get("run_id"))
        if len(entries) >= keep:
            break
    return sorted(entries.values(), key=lambda e: (e.picked, -float(e.paper.get("score") or 0)), reverse=True)


def state_summaries(state: Any, limit: int = MAX_RUNS) -> Iterable[dict[str, Any]]:
    """Run summaries from the state, newest first (read lazily: the feed usually needs a few)."""
    for run in state.runs(limit):
        summary = state.run_summary(run["id"])
        if summary:
            yield summary


def _clean(text: Any) -> str:
    """Text that XML can carry (control characters and lone surrogates dropped)."""
    return " ".join(_XML_BAD.sub("", str(text or "")).split())


def render_feed(entries: list[FeedEntry], title: str = "zotrec picks") -> bytes:
    """The Atom document of the entries (UTF-8 bytes)."""
    from feedgen.feed import FeedGenerator

    feed = FeedGenerator()
    feed.id(FEED_ID)
    feed.title(title)
    feed.subtitle("Papers zotrec recommended for your library, newest first")
    feed.generator("zotrec", version=__version__)
    feed.author({"name": "zotrec"})
    feed.link(href="https://arxiv.org/", rel="related")
    newest = max((e.picked for e in entries), default=dt.datetime.fromtimestamp(0, dt.UTC))
    feed.updated(newest)
    for item in reversed(entries):  # feedgen prepends: add oldest first to keep newest on top
        paper = item.paper
        href, links = paper_links(paper)
        entry = feed.add_entry()
        entry.id(item.id)
        entry.title(_clean(display_title(paper.get("title"))))
        entry.updated(item.picked)
        entry.published(item.picked)
        for author in paper.get("authors") or []:
            if _clean(author):
                entry.author({"name": _clean(author)})
        if href:  # one link: feedgen 1.0 drops the rel attribute, so every link would read as alternate
            entry.link(href=href)
        why = _clean(why_line(paper))
        score = f"score {float(paper.get('score') or 0):.0f}"
        abstract = _clean(paper.get("abstract"))
        more = " · ".join(f"{label}: {link}" for label, link in links if link != href)
        text = "\n\n".join(x for x in (abstract, f"Why ({score}): {why}" if why else score, more) if x)
        if href:
            entry.summary(text)
        else:  # Atom: an entry without a link carries its text as content
            entry.content(text, type="text")
        for topic in paper.get("topics") or []:
            if _clean(topic.get("label")):
                entry.category(term=_clean(topic.get("label")), label=_clean(topic.get("name")) or None)
    return feed.atom_str(pretty=True)


def write_feed(path: Path | str, summaries: Iterable[dict[str, Any]], keep: int = 100) -> int:
    """Write the feed of the last ``keep`` picks to ``path`` atomically; returns the entry count."""
    path = Path(path).expanduser()
    entries = collect_entries(summaries, keep)
    try:
        data = render_feed(entries)
    except ValueError as err:  # feedgen refuses a field
        raise FeedError(f"{path}: feed not written ({err})") from None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as err:
        raise FeedError(f"{path}: cannot write the feed ({err.strerror or err})") from None
    return len(entries)


def check_writable(path: Path | str) -> str:
    """Say whether the feed file can be written there (creates nothing but a removed temp file)."""
    path = Path(path).expanduser()
    folder = path.parent
    if path.is_dir():
        raise FeedError(f"{path} is a directory: feed.path must name a file (e.g. {path / 'zotrec.atom'})")
    probe = folder
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir():
        raise FeedError(f"{path}: {probe} is not a directory")
    try:
        if folder.exists():
            with tempfile.NamedTemporaryFile(dir=folder, prefix=f".{path.name}."):
                pass
        elif not os.access(probe, os.W_OK):
            raise PermissionError(13, "Permission denied")
    except OSError as err:
        raise FeedError(f"{path}: not writable ({err.strerror or err})") from None
    return f"{path} writable" + ("" if path.exists() else " (created by the next sync)")
