"""Push recommendations into a Zotero collection, exactly once.

Protocol (survives a kill at any moment):
1. skip papers already in the library (arXiv id, DOI, normalised title) or pushed before;
2. record the intent (item JSON, note, write token) in the state before any write;
3. reconcile pending intents with what is actually in the target collection;
4. write pending items in batches of <= 50, each batch with its stored ``Zotero-Write-Token``
   (a retried batch is never written twice), then the child notes the same way;
5. an entry refused for a reason a retry can fix stays pending with its error and is retried on
   the next run; one refused for its content (400, 413, text that cannot be encoded) is marked
   failed with its reason and never sent again, so it cannot block other pushes or later runs.
Every status change goes through the library's :class:`~zotrec.state.Outbox`.
"""

from __future__ import annotations

import datetime as dt
import html
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any
from urllib.parse import urlsplit

from zotrec.errors import RejectedWrite
from zotrec.feedback import HOW_TO
from zotrec.known import KnownPapers, identity_index
from zotrec.library.base import MAX_OBJECTS_PER_WRITE, Library, LibrarySnapshot, WriteResult
from zotrec.library.items import note_item, paper_to_item
from zotrec.paper import Paper
from zotrec.ranked import Ranked
from zotrec.sources.common import one_line
from zotrec.state import Outbox, PushRecord, StateStore, iter_chunks

ZOTREC_TAG = "zotrec"
TAG_MODES = ("main", "all", "none")  # push.tags: which topics become Zotero tags
# Per-entry answers no retry can fix: the server refused the content itself (invalid, too large).
_REFUSED = {"400", "413"}


@dataclass
class PushOutcome:
    pushed: list[tuple[Paper, str]] = field(default_factory=list)  # (paper, item key) created now
    failed: list[tuple[Paper, str]] = field(default_factory=list)  # (paper, error) retried next run
    rejected: list[tuple[Paper, str]] = field(default_factory=list)  # (paper, reason) failed for good
    skipped_duplicates: list[Paper] = field(default_factory=list)
    recovered: int = 0  # intents of earlier runs found already in the collection


def note_html(candidate: Ranked) -> str:
    """The child note that says why zotrec recommended the paper."""
    esc = html.escape
    topics = (
        ", ".join(f"{esc(t.name)} ({esc(t.label)}, {t.probability:.0%})" for t in candidate.topics) or "none confident"
    )
    nearest = "".join(
        f"<li>{esc(r.title)}" + (f" [{esc(r.key)}]" if r.key else "") + f" (similarity {r.similarity:.2f})</li>"
        for r in candidate.reasons
    )
    terms = ", ".join(esc(t) for t in candidate.terms)
    interest = (
        f"<p><b>Interest:</b> {esc(candidate.interest)}: of your collections, the one this paper matches "
        f"best (its words, authors and venue against the papers you filed there)</p>"
        if candidate.interest
        else ""
    )
    return (
        f"<h2>Recommended by zotrec</h2>"
        f"<p><b>Score:</b> {candidate.score:.1f} / 100</p>" + interest + f"<p><b>Topics:</b> {topics}</p>"
        f"<p><b>Nearest papers in your library:</b></p><ul>{nearest}</ul>"
        + (f"<p><b>Terms that weighed most:</b> {terms}</p>" if terms else "")
        + f"<p><b>Source:</b> {esc(source_name(candidate.paper.source))}</p>"
        + f"<p><i>Teach zotrec: {esc(HOW_TO)}.</i></p>"
    )


def source_name(source: str) -> str:
    """How a note names the digest: a URL without its query (private feeds put tokens there), a
    local file by its name only (no path)."""
    if source.lower().startswith(("http://", "https://")):
        return urlsplit(source)._replace(query="", fragment="").geturl()
    return PurePath(source).name or "a local file"


def item_tags(candidate: Ranked, mode: str = "main", run_date: dt.date | None = None) -> list[str]:
    """``zotrec``, ``zotrec:<run date>`` and the topics ``mode`` asks for (``main``: the first one;
    ``all``; ``none``), arXiv categories worded as Zotero's own arXiv import words them."""
    from zotrec.topics import taxonomy  # here: the package loads numpy, which `zotrec --help` does not need

    topics = {"main": candidate.topics[:1], "all": candidate.topics}.get(mode, [])
    tags = [ZOTREC_TAG, f"{ZOTREC_TAG}:{(run_date or dt.date.today()).isoformat()}"]
    for topic in topics:
        tag = taxonomy.zotero_tag(topic.label)
        if tag not in tags:
            tags.append(tag)
    return tags


def candidate_item(candidate: Ranked, collection_key: str, tags: str = "main") -> dict[str, Any]:
    return paper_to_item(candidate.paper, collections=[collection_key], tags=item_tags(candidate, tags))


def select_new(
    candidates: list[Ranked], in_library: set[str], state: StateStore, library_id: str
) -> tuple[list[Ranked], list[Ranked]]:
    """Split candidates into (new, duplicates of the library or of earlier pushes)."""
    pushed_before = state.pushed_identities(library_id)
    new, dupes = [], []
    for cand in candidates:
        keys = cand.paper.identity_keys()
        if any(k in in_library for k in keys) or cand.paper.primary_key in pushed_before:
            dupes.append(cand)
        else:
            new.append(cand)
    return new, dupes


def push(
    library: Library,
    snapshot: LibrarySnapshot,
    state: StateStore,
    run_id: int,
    candidates: list[Ranked],
    *,
    collection: str,
    library_id: str,
    dry_run: bool = False,
    known: KnownPapers | None = None,
    tags: str = "main",
) -> PushOutcome:
    """Push ``candidates`` (best first) and any pending intents of earlier runs.

    ``known`` is the library's identity index when the caller built it already (ranking does)."""
    outcome = PushOutcome()
    outbox = state.outbox(library_id)
    known = known or KnownPapers.build(snapshot)
    live = known.live
    in_library = known.in_library
    new, dupes = select_new(candidates, in_library, state, library_id)
    outcome.skipped_duplicates = [c.paper for c in dupes]
    if dry_run:
        outcome.pushed = [(c.paper, "") for c in new]
        return outcome

    if new:
        keys: dict[str, str] = {}
        records = []
        for cand in new:
            path = f"{collection}/{cand.subcollection}" if cand.subcollection else collection
            if path not in keys:
                keys[path] = library.ensure_collection(path)
            records.append(
                PushRecord(
                    identity=cand.paper.primary_key,
                    run_id=run_id,
                    library=library_id,
                    collection=path,
                    status="intent",
                    item_key=None,
                    write_token=None,
                    note_token=None,
                    item=candidate_item(cand, keys[path], tags),
                    note=note_html(cand),
                    paper=cand.paper.to_json(),
                    error=None,
                )
            )
        outbox.add(records)

    outcome.recovered = _reconcile(outbox, outbox.to_create(), live)
    _write_items(library, outbox, outbox.to_create(), outcome)
    _write_notes(library, outbox, outbox.to_annotate(), outcome)
    return outcome


def _reconcile(outbox: Outbox, intents: list[PushRecord], by_identity: dict[str, str]) -> int:
    """Mark intents whose item already exists (an earlier run died after writing) as created."""
    recovered = 0
    for rec in intents:
        paper = Paper.from_json(rec.paper)
        found = next((by_identity[k] for k in paper.identity_keys() if k in by_identity), None)
        if found:
            outbox.created(rec, found)
            recovered += 1
    return recovered


def _batches(records: list[PushRecord], column: str) -> list[list[PushRecord]]:
    """Group records that share a stored token (a retried batch keeps its token), then chunk the rest."""
    grouped: dict[str, list[PushRecord]] = defaultdict(list)
    fresh: list[PushRecord] = []
    for rec in records:
        token = getattr(rec, column)
        (grouped[token] if token else fresh).append(rec)
    return list(grouped.values()) + list(iter_chunks(fresh, MAX_OBJECTS_PER_WRITE))


def permanent(error: str) -> bool:
    """Whether a per-entry error from the server is one no retry can fix (the content was refused)."""
    return error.split(" ", 1)[0] in _REFUSED


def _send(
    library: Library,
    outbox: Outbox,
    batch: list[PushRecord],
    column: str,
    objects: list[dict[str, Any]],
    outcome: PushOutcome,
) -> WriteResult | None:
    """Send one batch under its token. A batch refused as a whole for its content is sent again one
    push at a time (nothing of it was written), so only the push at fault is marked failed."""
    try:
        return library.create_items(objects, write_token=outbox.token(batch, column))
    except (RejectedWrite, UnicodeError, TypeError, ValueError) as err:
        reason = _reason(err)
        if len(batch) == 1:
            rec = batch[0]
            if column == "write_token":
                outbox.give_up(rec, reason)
                outcome.rejected.append((Paper.from_json(rec.paper), reason))
            else:  # the item exists; only its note is refused
                outbox.done(rec, error=f"note: {reason}")
            return None
        for rec in batch:
            outbox.retry_later(rec, reason, column)
        writer = _write_items if column == "write_token" else _write_notes
        for rec in batch:
            writer(library, outbox, [rec], outcome)
        return None


def _reason(err: BaseException) -> str:
    if isinstance(err, UnicodeError):
        return one_line(f"its text cannot be sent to Zotero ({err})", 200)
    return one_line(str(err) or type(err).__name__, 200)


def _write_items(library: Library, outbox: Outbox, records: list[PushRecord], outcome: PushOutcome) -> None:
    for batch in _batches(records, "write_token"):
        result = _send(library, outbox, batch, "write_token", [r.item for r in batch], outcome)
        if result is None:
            continue
        if result.token_already_used and not result.created:
            # landed earlier but the answer was lost: find the items by reading the library
            _reconcile(outbox, batch, identity_index(library.snapshot().items))
            for rec in batch:
                if rec.status == "created":
                    outcome.pushed.append((Paper.from_json(rec.paper), rec.item_key or ""))
                else:  # the server refused this entry in the lost answer: retry with a new token
                    outbox.retry_later(rec, "rejected in an earlier attempt")
                    outcome.failed.append((Paper.from_json(rec.paper), "rejected in an earlier attempt"))
            continue
        for index, rec in enumerate(batch):
            paper = Paper.from_json(rec.paper)
            if index in result.created:
                outbox.created(rec, result.created[index])
                outcome.pushed.append((paper, result.created[index]))
                continue
            error = result.failed.get(index, "not in the server's answer")
            if permanent(error):
                outbox.give_up(rec, error)
                outcome.rejected.append((paper, error))
            else:  # next time in a new batch with a fresh token: this one did not land as a whole
                outbox.retry_later(rec, error)
                outcome.failed.append((paper, error))


def _write_notes(library: Library, outbox: Outbox, records: list[PushRecord], outcome: PushOutcome) -> None:
    for batch in _batches(records, "note_token"):
        notes = [note_item(r.item_key or "", r.note) for r in batch]
        result = _send(library, outbox, batch, "note_token", notes, outcome)
        if result is None:
            continue
        for index, rec in enumerate(batch):
            if result.token_already_used or index in result.created:
                outbox.done(rec)
                continue
            error = result.failed.get(index, "note not in the server's answer")
            if permanent(error):
                outbox.done(rec, error=f"note: {error}")
            else:
                outbox.retry_later(rec, error, "note_token")
                outcome.failed.append((Paper.from_json(rec.paper), f"note: {error}"))
