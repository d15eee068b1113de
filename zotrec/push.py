"""Push recommendations into a Zotero collection, exactly once.

Protocol (survives a kill at any moment):
1. skip papers already in the library (arXiv id, DOI, normalised title) or pushed before;
2. record the intent (item JSON, note, write token) in the state before any write;
3. reconcile pending intents with what is actually in the target collection;
4. write pending items in batches of <= 50, each batch with its stored ``Zotero-Write-Token``
   (a retried batch is never written twice), then the child notes the same way;
5. entries the server rejects stay pending with their error and are retried on the next run.
"""

from __future__ import annotations

import html
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from zotrec.library.base import MAX_OBJECTS_PER_WRITE, Library, LibrarySnapshot
from zotrec.library.items import item_to_paper, note_item, paper_to_item
from zotrec.paper import Paper
from zotrec.ranked import Ranked
from zotrec.state import PushRecord, StateStore, iter_chunks, new_token

ZOTREC_TAG = "zotrec"
PENDING = ("intent", "created", "failed")


@dataclass
class PushOutcome:
    pushed: list[tuple[Paper, str]] = field(default_factory=list)  # (paper, item key) created now
    failed: list[tuple[Paper, str]] = field(default_factory=list)  # (paper, error) left pending
    skipped_duplicates: list[Paper] = field(default_factory=list)
    recovered: int = 0  # intents of earlier runs found already in the collection


def identity_index(items: list[dict[str, Any]]) -> dict[str, str]:
    """Identity key (arXiv id, DOI, normalised title) -> item key, first item wins."""
    index: dict[str, str] = {}
    for item in items:
        for key in item_to_paper(item, abstract=False).identity_keys():
            index.setdefault(key, item["key"])
    return index


def note_html(candidate: Ranked) -> str:
    """The child note that says why zotrec recommended the paper."""
    esc = html.escape
    topics = ", ".join(
        f"{esc(t.name)} ({esc(t.label)}, {t.probability:.0%})" for t in candidate.topics
    ) or "none confident"
    nearest = "".join(
        f"<li>{esc(r.title)}" + (f" [{esc(r.key)}]" if r.key else "") + f" (similarity {r.similarity:.2f})</li>"
        for r in candidate.reasons
    )
    terms = ", ".join(esc(t) for t in candidate.terms)
    return (
        f"<h2>Recommended by zotrec</h2>"
        f"<p><b>Score:</b> {candidate.score:.1f} / 100</p>"
        f"<p><b>Topics:</b> {topics}</p>"
        f"<p><b>Nearest papers in your library:</b></p><ul>{nearest}</ul>"
        + (f"<p><b>Terms that weighed most:</b> {terms}</p>" if terms else "")
        + f"<p><b>Source:</b> {esc(candidate.paper.source)}</p>"
    )


def candidate_item(candidate: Ranked, collection_key: str) -> dict[str, Any]:
    tags = [ZOTREC_TAG] + [t.label for t in candidate.topics]
    return paper_to_item(candidate.paper, collections=[collection_key], tags=tags)


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
) -> PushOutcome:
    """Push ``candidates`` (best first) and any pending intents of earlier runs."""
    outcome = PushOutcome()
    live = identity_index(snapshot.items)
    in_library = set(live) | set(identity_index(snapshot.trashed))
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
                    identity=cand.paper.primary_key, run_id=run_id, library=library_id, collection=path,
                    status="intent", item_key=None, write_token=None, note_token=None,
                    item=candidate_item(cand, keys[path]), note=note_html(cand),
                    paper=cand.paper.to_json(), error=None,
                )
            )
        state.record_intents(records)

    pending = state.pushes(library_id, PENDING)
    outcome.recovered = _reconcile(pending, live, state)
    pending = state.pushes(library_id, PENDING)
    _write_items(library, state, [r for r in pending if r.status in ("intent", "failed")], outcome)
    created = state.pushes(library_id, ("created",))
    _write_notes(library, state, created, outcome)
    return outcome


def _reconcile(pending: list[PushRecord], by_identity: dict[str, str], state: StateStore) -> int:
    """Mark intents whose item already exists (an earlier run died after writing) as created."""
    recovered = 0
    for rec in pending:
        if rec.status == "created":
            continue
        paper = Paper.from_json(rec.paper)
        found = next((by_identity[k] for k in paper.identity_keys() if k in by_identity), None)
        if found:
            state.mark_pushed(rec.identity, "created", found)
            recovered += 1
    return recovered


def _batches(records: list[PushRecord], token_of) -> list[list[PushRecord]]:
    """Group records that share a stored token (a retried batch keeps its token), then chunk the rest."""
    grouped: dict[str, list[PushRecord]] = defaultdict(list)
    fresh: list[PushRecord] = []
    for rec in records:
        token = token_of(rec)
        (grouped[token] if token else fresh).append(rec)
    return list(grouped.values()) + list(iter_chunks(fresh, MAX_OBJECTS_PER_WRITE))


def _write_items(library: Library, state: StateStore, records: list[PushRecord], outcome: PushOutcome) -> None:
    for batch in _batches(records, lambda r: r.write_token):
        token = batch[0].write_token or new_token()
        if not batch[0].write_token:
            state.set_batch_token([r.identity for r in batch], token)
        result = library.create_items([r.item for r in batch], write_token=token)
        if result.token_already_used and not result.created:
            # landed earlier but the answer was lost: find the items by reading the library
            _reconcile(batch, identity_index(library.snapshot().items), state)
            landed = {r.identity: r for r in state.pushes(batch[0].library, ("created",))}
            for rec in batch:
                if rec.identity in landed:
                    outcome.pushed.append((Paper.from_json(rec.paper), landed[rec.identity].item_key or ""))
                else:  # the server refused this entry in the lost answer: retry with a new token
                    state.mark_pushed(rec.identity, "failed", error="rejected in an earlier attempt")
                    state.set_batch_token([rec.identity], "", "write_token")
                    outcome.failed.append((Paper.from_json(rec.paper), "rejected in an earlier attempt"))
            continue
        for index, rec in enumerate(batch):
            paper = Paper.from_json(rec.paper)
            if index in result.created:
                state.mark_pushed(rec.identity, "created", result.created[index])
                outcome.pushed.append((paper, result.created[index]))
            else:
                error = result.failed.get(index, "not in the server's answer")
                # a failed entry keeps a fresh token next time: its batch did not land as a whole
                state.mark_pushed(rec.identity, "failed", error=error)
                state.set_batch_token([rec.identity], "", "write_token")
                outcome.failed.append((paper, error))


def _write_notes(library: Library, state: StateStore, records: list[PushRecord], outcome: PushOutcome) -> None:
    for batch in _batches(records, lambda r: r.note_token):
        token = batch[0].note_token or new_token()
        if not batch[0].note_token:
            state.set_batch_token([r.identity for r in batch], token, "note_token")
        notes = [note_item(r.item_key or "", r.note) for r in batch]
        result = library.create_items(notes, write_token=token)
        for index, rec in enumerate(batch):
            if result.token_already_used or index in result.created:
                state.mark_pushed(rec.identity, "done")
            else:
                error = result.failed.get(index, "note not in the server's answer")
                state.set_batch_token([rec.identity], "", "note_token")
                outcome.failed.append((Paper.from_json(rec.paper), f"note: {error}"))
