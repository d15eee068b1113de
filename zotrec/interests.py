"""Interests: the user's collections that are large enough to learn from, one profile each.

An interest is a collection path ("A/B") with at least ``min_items`` papers. A subcollection too
small to qualify counts into its parent (and on up to the nearest collection that qualifies); a
subcollection that qualifies is an interest of its own and its papers do not count into the parent.
``include`` globs (when given) pick which collections count, ``exclude`` globs drop some; both match
the whole path with :func:`fnmatch.fnmatchcase` (``*`` also matches "/"). zotrec's own collection
and everything under it never count.

The same interests are the classes of the personal topic model (`zotrec train personal`) and the
profiles the recommender scores each paper against (:mod:`zotrec.recommend.model`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase

from zotrec.paper import Paper

DEFAULT_MIN_ITEMS = 8


@dataclass(frozen=True)
class InterestSettings:
    """Which collections are interests (the ``[profile]`` section of the config)."""

    min_items: int = DEFAULT_MIN_ITEMS
    include: tuple[str, ...] = ()  # globs over collection paths; empty: every collection
    exclude: tuple[str, ...] = ()
    own: tuple[str, ...] = ("zotrec: Recommended",)  # zotrec's own collections, always left out

    def key(self) -> str:
        """A stable text for cache keys."""
        return repr((self.min_items, self.include, self.exclude, self.own))


def _clean(path: str) -> str:
    return "/".join(p.strip() for p in (path or "").split("/") if p.strip())


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root + "/")


def eligible(path: str, settings: InterestSettings) -> bool:
    """Whether a collection path may count at all (globs and zotrec's own collections)."""
    if not path or any(_under(path, _clean(own)) for own in settings.own if own):
        return False
    if settings.include and not any(fnmatchcase(path, g) for g in settings.include):
        return False
    return not any(fnmatchcase(path, g) for g in settings.exclude)


def _ancestors(path: str) -> list[str]:
    """``path`` and its parents, deepest first ("A/B/C", "A/B", "A")."""
    parts = path.split("/")
    return ["/".join(parts[:i]) for i in range(len(parts), 0, -1)]


@dataclass
class Interests:
    """The qualifying collections of a library and how each paper maps onto them."""

    names: list[str]  # collection paths, largest interest first
    sizes: dict[str, int]  # interest -> papers counted into it
    settings: InterestSettings = field(default_factory=InterestSettings)

    def __len__(self) -> int:
        return len(self.names)

    def of(self, collections: Iterable[str]) -> list[str]:
        """The interests a paper in ``collections`` belongs to (each collection to its nearest qualifying one)."""
        return _map(collections, set(self.names), self.settings)

    def labels(self, papers: Sequence[Paper | Sequence[str]]) -> list[list[str]]:
        """Each paper's interests (``papers``: Papers, or each paper's collection paths); papers in the
        same collections are mapped once (a large library has few distinct sets of collections)."""
        qualifying = set(self.names)
        mapped: dict[tuple[str, ...], list[str]] = {}
        out = []
        for paper in papers:
            paths = tuple(_paths(paper))
            found = mapped.get(paths)
            if found is None:
                found = mapped[paths] = _map(paths, qualifying, self.settings)
            out.append(list(found))
        return out


def _paths(paper: Paper | Sequence[str]) -> Sequence[str]:
    return paper.collections if isinstance(paper, Paper) else paper


def _map(collections: Iterable[str], qualifying: set[str], settings: InterestSettings) -> list[str]:
    out: list[str] = []
    for c in collections:
        c = _clean(c)
        if not eligible(c, settings):
            continue
        found = next((a for a in _ancestors(c) if a in qualifying and eligible(a, settings)), None)
        if found and found not in out:
            out.append(found)
    return out


def select_interests(papers: Sequence[Paper | Sequence[str]], settings: InterestSettings | None = None) -> Interests:
    """The interests of a library (``papers``: Papers, or each paper's collection paths): every
    eligible collection with ``min_items`` papers or more.

    Counting goes bottom-up: the deepest collections are decided first; a paper of a collection that
    does not qualify counts towards its parent (each paper once per collection it reaches).
    """
    settings = settings or InterestSettings()
    members: dict[str, set[int]] = {}
    cleaned: dict[str, str | None] = {}  # each distinct path cleaned and checked once
    for i, paper in enumerate(papers):
        for raw in _paths(paper):
            if raw not in cleaned:
                c = _clean(raw)
                cleaned[raw] = c if eligible(c, settings) else None
            path = cleaned[raw]
            if path is not None:
                members.setdefault(path, set()).add(i)
    # every ancestor exists as a node, even when it lists no paper of its own
    for path in list(members):
        for a in _ancestors(path)[1:]:
            if eligible(a, settings):
                members.setdefault(a, set())
    qualifying: set[str] = set()
    for path in sorted(members, key=lambda p: -p.count("/")):  # deepest first
        if len(members[path]) >= max(1, settings.min_items):
            qualifying.add(path)
            continue
        parent = next((a for a in _ancestors(path)[1:] if a in members), None)
        if parent is not None:
            members[parent] |= members[path]
    sizes = Counter({p: len(members[p]) for p in qualifying})
    names = sorted(qualifying, key=lambda p: (-sizes[p], p))
    return Interests(names=names, sizes=dict(sizes), settings=settings)
