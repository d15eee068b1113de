"""Feedback from Zotero itself: what the user did with the items zotrec pushed.

Moved or copied into another collection, or tagged ``zotrec:+`` -> positive (+1);
trashed, deleted, or tagged ``zotrec:-`` -> negative (-1); left alone -> neutral (0).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from zotrec.library.base import LibrarySnapshot
from zotrec.state import StateStore

POSITIVE_TAG = "zotrec:+"
NEGATIVE_TAG = "zotrec:-"
HOW_TO = (
    f"tag an item zotrec pushed {POSITIVE_TAG} (or file it in one of your collections) when it was worth "
    f"reading, {NEGATIVE_TAG} (or move it to the trash) when it was not; the next sync learns from it"
)


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


def collect_feedback(
    snapshot: LibrarySnapshot, state: StateStore, library_id: str, target_collection: str
) -> list[Signal]:
    """Read signals for every item zotrec pushed into this library and store them in the state."""
    records = {r.identity: r for r in state.outbox(library_id).landed()}
    signals = read_signals(snapshot, {i: r.item_key for i, r in records.items() if r.item_key}, target_collection)
    for sig in signals:
        state.set_feedback(library_id, sig.identity, sig.item_key, sig.value, sig.reason, records[sig.identity].paper)
    return signals


@dataclass
class LibraryFeedback:
    """One library's feedback as the state holds it, and what it does to the scores."""

    library: str
    signals: list[dict[str, Any]]  # the state's feedback rows, oldest first
    effect: Any = None  # zotrec.recommend.explain.FeedbackEffect; None before the library's first sync

    def count(self, value: int) -> int:
        return sum(1 for r in self.signals if r["value"] == value)

    def describe(self) -> str:
        """The lines above the library's table: counts, score shifts, terms raised and lowered."""
        lines = [
            (
                f"{self.library}: {self.count(1) + self.count(-1)} signals learned "
                f"({self.count(1)} liked, {self.count(-1)} disliked; {self.count(0)} left alone)"
            )
        ]
        effect = self.effect
        if effect is None:
            marked = self.count(1) or self.count(-1)
            why = "shown once this library has been synced" if marked else "none yet, every item was left alone"
            lines.append(f"  how they move scores: {why}")
            return "\n".join(lines)
        shifts = [
            f"papers you {word} {shift:+.0f} points"
            for word, shift in (("liked", effect.liked_shift), ("disliked", effect.disliked_shift))
            if shift is not None
        ]
        if shifts:
            lines.append("  scores (0-100) with this feedback: " + ", ".join(shifts))
        if effect.raised:
            lines.append("  terms raised most: " + ", ".join(t for t, _ in effect.raised))
        if effect.lowered:
            lines.append("  terms lowered most: " + ", ".join(t for t, _ in effect.lowered))
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        return {
            "library": self.library,
            "liked": self.count(1),
            "disliked": self.count(-1),
            "left_alone": self.count(0),
            "effect": self.effect.to_json() if self.effect is not None else None,
            "signals": [
                {k: v for k, v in r.items() if k != "paper"} | {"title": r["paper"].get("title", "")}
                for r in self.signals
            ],
        }


def feedback_report(state: StateStore, n_terms: int = 8) -> list[LibraryFeedback]:
    """Per library: the signals learned and, once the library's features are in the feature cache
    (after a sync), how they move scores (:func:`zotrec.recommend.explain.feedback_effect`)."""
    from zotrec.paper import Paper
    from zotrec.recommend.cache import FeatureCache

    cache = FeatureCache()
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in state.feedback():
        groups.setdefault(row.get("library") or "unknown library", []).append(row)
    report = []
    for library, rows in groups.items():
        entry = LibraryFeedback(library, rows)
        cached = cache.load(library) if any(r["value"] for r in rows) else None
        if cached is not None:
            from zotrec.recommend.explain import feedback_effect

            pairs = [(Paper.from_json(r["paper"]), int(r["value"])) for r in rows if r["value"]]
            entry.effect = feedback_effect(cached.index, pairs, n_terms)
        report.append(entry)
    return report
