"""Feedback from Zotero itself: what the user did with the items zotrec pushed.

Moved or copied into another collection, or tagged ``zotrec:+`` -> positive (+1);
trashed, deleted, or tagged ``zotrec:-`` -> negative (-1); left alone -> neutral (0).
"""

from __future__ import annotations

from dataclasses import dataclass

from zotrec.library.base import LibrarySnapshot
from zotrec.state import StateStore

POSITIVE_TAG = "zotrec:+"
NEGATIVE_TAG = "zotrec:-"


@dataclass
class Signal:
    identity: str
    item_key: str
    value: int
    reason: str


def read_signals(snapshot: LibrarySnapshot, pushed: dict[str, str], target_collection: str) -> list[Signal]:
    """Signals for pushed items (``identity -> item key``) from the state of the library."""
    live = {item["key"]: item for item in snapshot.items}
    trashed = {item["key"] for item in snapshot.trashed}
    ours = {key for key in snapshot.collections if _under(snapshot.collection_path(key), target_collection)}
    signals = []
    for identity, key in pushed.items():
        if key in trashed:
            signals.append(Signal(identity, key, -1, "moved to the trash"))
            continue
        item = live.get(key)
        if item is None:
            signals.append(Signal(identity, key, -1, "deleted"))
            continue
        tags = {t.get("tag") for t in item.get("tags", [])}
        others = [c for c in item.get("collections", []) if c not in ours]
        if NEGATIVE_TAG in tags:
            signals.append(Signal(identity, key, -1, f"tagged {NEGATIVE_TAG}"))
        elif POSITIVE_TAG in tags:
            signals.append(Signal(identity, key, 1, f"tagged {POSITIVE_TAG}"))
        elif others:
            names = ", ".join(snapshot.collection_path(c) for c in others)
            signals.append(Signal(identity, key, 1, f"filed in {names}"))
        else:
            signals.append(Signal(identity, key, 0, "left alone"))
    return signals


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root + "/")


def collect_feedback(snapshot: LibrarySnapshot, state: StateStore, library_id: str, target_collection: str) -> list[Signal]:
    """Read signals for every item zotrec pushed into this library and store them in the state."""
    records = {r.identity: r for r in state.outbox(library_id).landed()}
    signals = read_signals(snapshot, {i: r.item_key for i, r in records.items() if r.item_key}, target_collection)
    for sig in signals:
        state.set_feedback(library_id, sig.identity, sig.item_key, sig.value, sig.reason, records[sig.identity].paper)
    return signals
