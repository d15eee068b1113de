"""Feedback read back from Zotero: what the user did with the items zotrec pushed.

Rules, per pushed item (first match wins):

- tagged ``zotrec:-`` -> -1; tagged ``zotrec:+`` -> +1 (an explicit tag beats everything else);
- in the trash, or gone from the library (deleted) -> -1;
- filed in any collection other than zotrec's target collection (moved or copied there) -> +1;
- otherwise (left alone in the target collection, or merely unfiled) -> 0.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

POSITIVE_TAG = "zotrec:+"
NEGATIVE_TAG = "zotrec:-"


def _tags(item: Mapping[str, Any]) -> set[str]:
    return {t.get("tag", "") if isinstance(t, Mapping) else str(t) for t in item.get("tags", [])}


def item_feedback(item: Mapping[str, Any] | None, trashed: bool, target_collection_key: str | None) -> int:
    """+1 / -1 / 0 for one pushed item (``None`` = no longer in the library)."""
    if item is not None:
        tags = _tags(item)
        if NEGATIVE_TAG in tags:
            return -1
        if POSITIVE_TAG in tags:
            return 1
    if trashed or item is None:
        return -1
    others = [c for c in item.get("collections", []) if c != target_collection_key]
    return 1 if others else 0


def feedback_from_library(
    pushed: Mapping[str, str],
    snapshot_items: Iterable[Mapping[str, Any]],
    trashed_keys: Iterable[str | Mapping[str, Any]],
    target_collection_key: str | None,
) -> list[tuple[str, int]]:
    """Feedback for every pushed item: ``[(paper_id, +1 | -1 | 0)]`` in ``pushed`` order.

    ``pushed`` maps the Zotero item key zotrec created to the paper id zotrec recorded for it;
    ``snapshot_items`` are the library's items (Zotero ``data`` dicts with ``key``, ``collections``,
    ``tags``); ``trashed_keys`` are keys (or item dicts) of trashed items.
    """
    items = {item.get("key"): item for item in snapshot_items}
    trashed: dict[str, Mapping[str, Any] | None] = {}
    for entry in trashed_keys:
        if isinstance(entry, Mapping):
            trashed[str(entry.get("key"))] = entry
        else:
            trashed[str(entry)] = None
    out = []
    for item_key, paper_id in pushed.items():
        if item_key in items:
            value = item_feedback(items[item_key], False, target_collection_key)
        elif item_key in trashed:
            value = item_feedback(trashed[item_key], True, target_collection_key)
        else:
            value = item_feedback(None, False, target_collection_key)
        out.append((paper_id, value))
    return out


def feedback_from_snapshot(pushed: Mapping[str, str], snapshot: Any, target_collection_key: str | None) -> list[tuple[str, int]]:
    """:func:`feedback_from_library` on a :class:`~zotrec.library.base.LibrarySnapshot`."""
    return feedback_from_library(pushed, snapshot.items, snapshot.trashed, target_collection_key)
