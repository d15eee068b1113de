"""Papers the user already has: in the library (live or in the trash) or pushed there by zotrec.

Such digest papers are never recommended and never take a top-N slot; they say why instead
("already in your library", "pushed on 2026-11-30"). A paper matches by arXiv id, DOI or
normalised title (:meth:`zotrec.paper.Paper.identity_keys`), and by a near-identical title of one of
its nearest library items (the same paper with other punctuation, a typo fixed, a subtitle changed).
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz

from zotrec.library.items import item_to_paper
from zotrec.paper import Paper, normalize_title

IN_LIBRARY = "already in your library"
PUSHED = "pushed on"  # + the date
IN_TRASH = "already in your library (in the trash)"
FUZZY_TITLE = 0.9  # difflib ratio of normalised titles from which two papers are the same paper


def identity_index(items: Iterable[dict[str, Any]]) -> dict[str, str]:
    """Identity key (arXiv id, DOI, normalised title) -> item key, first item wins."""
    return identity_indexes(items)[0]


def identity_indexes(*groups: Iterable[dict[str, Any]]) -> list[dict[str, str]]:
    """:func:`identity_index` of each group of items, their keys read in one pass over the kept keys."""
    from zotrec.library.identity import identity_keys

    lists = [list(items) for items in groups]
    found = iter(identity_keys([item for items in lists for item in items]))  # kept between runs per item version
    indexes = []
    for items in lists:
        index: dict[str, str] = {}
        for item, keys in zip(items, found):
            for key in keys:
                index.setdefault(key, item["key"])
        indexes.append(index)
    return indexes


def _timestamp(value: str | None) -> float | None:
    """Epoch seconds of a Zotero ``dateAdded`` (``2026-11-30T07:31:02Z``), or None."""
    try:
        return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp() if value else None
    except ValueError:
        return None


def pushed_today(why: str | None, today: dt.date | None = None) -> bool:
    """True for a paper zotrec pushed earlier on the same day (a second run of a day completes it)."""
    return why == f"{PUSHED} {(today or dt.date.today()).isoformat()}"


def same_title(a: str, b: str) -> bool:
    """True when two titles are the same title up to case, accents, punctuation and small edits."""
    x, y = normalize_title(a), normalize_title(b)
    if not x or not y:
        return False
    if x == y:
        return True
    if min(len(x), len(y)) < 20:  # short titles ("Introduction") match only exactly
        return False
    # rapidfuzz's ratio (longest common subsequence) bounds difflib's from above: most pairs stop here
    if fuzz.ratio(x, y) < 100 * FUZZY_TITLE - 1e-6:
        return False
    return difflib.SequenceMatcher(None, x, y, autojunk=False).ratio() >= FUZZY_TITLE


@dataclass
class KnownPapers:
    """What the library and zotrec's own pushes already hold, by identity key."""

    live: dict[str, str] = field(default_factory=dict)  # identity key -> live item key
    trashed: dict[str, str] = field(default_factory=dict)  # identity key -> trashed item key
    pushed: dict[str, float] = field(default_factory=dict)  # identity key -> when zotrec pushed it (epoch)

    @classmethod
    def build(
        cls, snapshot: Any, state: Any = None, library_id: str | None = None, collection: str | None = None
    ) -> KnownPapers:
        """From a library snapshot and, when given, the pushes the state recorded for ``library_id``.

        Items in zotrec's own ``collection`` (or below it) count as pushed on the day they were added,
        also when the state that recorded them is gone."""
        pushed: dict[str, float] = {}
        if state is not None and library_id is not None:
            for paper_json, created in state.pushed_papers(library_id):
                for key in Paper.from_json(paper_json).identity_keys():
                    pushed.setdefault(key, created)
        if collection:
            ours = {
                k
                for k in snapshot.collections
                if (p := snapshot.collection_path(k)) == collection or p.startswith(collection + "/")
            }
            for item in snapshot.items if ours else ():
                if not ours.isdisjoint(item.get("collections") or ()):
                    added = _timestamp(item.get("dateAdded"))
                    if added is not None:
                        for key in item_to_paper(item).identity_keys():
                            pushed.setdefault(key, added)
        live, trashed = identity_indexes(snapshot.items, snapshot.trashed)
        return cls(live=live, trashed=trashed, pushed=pushed)

    @property
    def in_library(self) -> set[str]:
        return set(self.live) | set(self.trashed)

    def why(self, paper: Paper, nearest_titles: Iterable[str] = ()) -> str | None:
        """Why ``paper`` is already known ("pushed on DATE", "already in your library"), or None.

        ``nearest_titles`` are the titles of its nearest library items (the recommender's reasons),
        checked for a near-identical title."""
        keys = paper.identity_keys()
        when = next((self.pushed[k] for k in keys if k in self.pushed), None)
        if when is not None:
            return f"{PUSHED} {dt.datetime.fromtimestamp(when).date().isoformat()}"
        if any(k in self.live for k in keys):
            return IN_LIBRARY
        if any(k in self.trashed for k in keys):
            return IN_TRASH
        if any(same_title(paper.title, title) for title in nearest_titles):
            return IN_LIBRARY
        return None
