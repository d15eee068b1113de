"""The library-feature cache: a library's features kept between runs and updated item by item.

Each profile item has a content id: ``KEY:VERSION`` for items with a version (Zotero, the
embedded library), else a hash of what its features are built from (title, abstract, creators,
date added), so a library read from an export file, whose items get positional keys and version
0, is still matched by content. Rows are in content-id order, whatever order the backend lists the
items in. One cache file per library holds the :class:`LibraryIndex`, the content id of each row,
and the ids at the last full build.

A run then takes one of three paths:

- **unchanged** (same ids and keys): the cached index as it is;
- **incremental**: rows of unchanged items are reused, only added or edited items are vectorised
  with the cached vectorizer (its vocabulary and idf fixed at the last full build, from the
  background sample and the library of then), deleted rows dropped. The result is exactly the index
  :meth:`LibraryIndex.build` would give with that vectorizer (tests compare them);
- **full** rebuild: no usable cache, or the library drifted from the last full build by more than
  ``MAX_DRIFT`` (items added, edited or deleted since, over the items then): vocabulary and idf are
  refitted on the library of today.

The cache lives in the user's cache folder (safe to delete: the next run rebuilds it); a cache that
cannot be read is rebuilt and one that cannot be written only costs the next run's time.
"""

from __future__ import annotations

import hashlib
import json
import logging
import pickle
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from pathlib import Path
from typing import Any

from zotrec import later
from zotrec.library.base import LibrarySnapshot
from zotrec.private_file import write_private

log = logging.getLogger("zotrec")

DEFAULT_COLLECTION = "zotrec: Recommended"
# A full refit once this share of the library (added + edited + deleted items, over the items at the
# last full build) changed since it: measured by `python -m benchmarks.recommend --drift`, the
# ranking quality of an incremental index stays within 0.002 AUC of a full rebuild up to here.
MAX_DRIFT = 0.2
CACHE_FORMAT = 2


def profile_items(snapshot: LibrarySnapshot, collection: str = DEFAULT_COLLECTION) -> list[dict[str, Any]]:
    """The items that describe the user's interests: every item with a title, except items
    that sit only in zotrec's own collection (those count once the user acts on them: feedback)."""
    return list(iter_profile_items(snapshot, collection))


def iter_profile_items(snapshot: LibrarySnapshot, collection: str = DEFAULT_COLLECTION) -> Iterator[dict[str, Any]]:
    """:func:`profile_items` one at a time."""
    ours = {
        k
        for k in snapshot.collections
        if (p := snapshot.collection_path(k)) == collection or p.startswith(collection + "/")
    }
    for item in snapshot.items:
        cols = set(item.get("collections", []))
        if not (item.get("title") or "").split() or (cols and cols <= ours):
            continue
        yield item


def profile_rows(
    snapshot: LibrarySnapshot, collection: str = DEFAULT_COLLECTION
) -> tuple[list[dict[str, Any]], list[str]]:
    """The profile items and their content ids, sorted by content id: the index's rows do not depend
    on the order a backend lists the items in."""
    items = profile_items(snapshot, collection)
    ids = [content_id(item) for item in items]
    order = sorted(range(len(items)), key=ids.__getitem__)  # distinct ids (nearly always): sorted by id alone
    if any(ids[a] == ids[b] for a, b in zip(order, order[1:])):  # equal ids: by key, then by position
        order = [
            n for _, _, n in sorted((cid, item.get("key") or "", n) for n, (cid, item) in enumerate(zip(ids, items)))
        ]
    return [items[n] for n in order], [ids[n] for n in order]


def content_id(item: dict[str, Any]) -> str:
    """``KEY:VERSION`` for a versioned item, else a hash of the fields its features come from."""
    version = item.get("version")
    if version and item.get("key"):
        return f"{item['key']}:{version}"
    creators = "\x1e".join(
        f"{c.get('firstName', '')}\x1d{c.get('lastName', '')}\x1d{c.get('name', '')}"
        for c in item.get("creators") or ()
        if isinstance(c, dict)
    )
    text = "\x1f".join(
        (str(item.get("title") or ""), str(item.get("abstractNote") or ""), creators, str(item.get("dateAdded") or ""))
    )
    return "h:" + hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=12).hexdigest()


def fingerprint(items: Sequence[dict[str, Any]]) -> str:
    """Identifies the profile's content (any order): unchanged by zotrec's own pushes, changed by
    any edit; items read from a file are identified by content (their positional keys mean nothing)."""
    digest = hashlib.sha256()
    for one in sorted(content_id(i) for i in items):
        digest.update(f"{one};".encode())
    return digest.hexdigest()[:32]


@dataclass
class CachedIndex:
    """What one cache file holds."""

    index: Any  # LibraryIndex
    ids: list[str]  # content id of each library row
    keys: list[str | None]  # item key of each row (positional for export files)
    base_ids: frozenset[str] = field(default_factory=frozenset)  # ids at the last full build
    format: tuple[int, int] = (0, 0)  # (CACHE_FORMAT, LibraryIndex FORMAT_VERSION), set by FeatureCache.store
    lookup: Any = None  # the word-id lookup of the vectorizer's vocabulary (ngrams.Lookup), set by store

    def drift(self, ids: Sequence[str]) -> float:
        """Items added, edited or deleted since the last full build, over the items then."""
        current = set(ids)
        changed = len(current - self.base_ids) + len(self.base_ids - current)
        return changed / len(self.base_ids) if self.base_ids else float("inf")


class FeatureCache:
    """One pickle file per library under ``folder`` (the user's cache folder by default)."""

    def __init__(self, folder: Path | None = None) -> None:
        if folder is None:
            from zotrec import paths

            folder = paths.cache_dir() / "library-features"
        self.folder = Path(folder)

    def path(self, library_id: str) -> Path:
        return self.folder / (hashlib.blake2b(library_id.encode(), digest_size=16).hexdigest() + ".pickle")

    def load(self, library_id: str) -> CachedIndex | None:
        path = self.path(library_id)
        later.wait(path)
        try:
            with open(path, "rb") as fh:
                cached = pickle.load(fh)
        except FileNotFoundError:
            return None
        except Exception as err:  # a stale or foreign cache is rebuilt
            log.warning("library feature cache %s unreadable (%s); rebuilding", path, type(err).__name__)
            return None
        from zotrec.recommend.model import FORMAT_VERSION, LibraryIndex

        if not isinstance(cached, CachedIndex) or cached.format != (CACHE_FORMAT, FORMAT_VERSION):
            return None
        if not isinstance(cached.index, LibraryIndex):
            return None
        text = getattr(cached.index.vectorizer, "text", None)
        if getattr(cached, "lookup", None) is not None and text is not None:
            from zotrec.recommend import ngrams

            ngrams.keep(text, cached.lookup)  # building it again from the vocabulary costs 0.2 s a run
        return cached

    def store(self, library_id: str, cached: CachedIndex) -> None:
        from zotrec.recommend.model import FORMAT_VERSION

        cached.format = (CACHE_FORMAT, FORMAT_VERSION)
        text = getattr(cached.index.vectorizer, "text", None)
        if text is not None:
            from zotrec.recommend import ngrams

            cached.lookup = ngrams.lookup(text) if ngrams.supported(text) else None
        path = self.path(library_id)

        def write() -> None:
            try:
                write_private(path, lambda fh: pickle.dump(cached, fh, protocol=5))
            except OSError as err:
                log.warning("library feature cache not written (%s): the next run builds the features again", err)

        later.write(path, write)  # nothing in this run reads it again


def _papers(items: list[dict[str, Any]], snapshot: LibrarySnapshot) -> list[Any]:
    from zotrec.library.items import item_to_paper

    paths = {key: snapshot.collection_path(key) for key in snapshot.collections}
    return [item_to_paper(item, paths) for item in items]


def library_index(
    snapshot: LibrarySnapshot,
    library_id: str,
    cache: FeatureCache | None = None,
    collection: str = DEFAULT_COLLECTION,
    max_drift: float = MAX_DRIFT,
    interests: Any = None,
) -> Any:
    """The library's features and interests (a :class:`LibraryIndex`), from ``cache`` where the
    content allows. ``interests``: :class:`zotrec.interests.InterestSettings` (None: the defaults
    with ``collection`` left out).

    Papers are built only for the items that are vectorised (every item on a full build, the
    added and edited ones on an incremental update, none when nothing changed). The interests are
    found again only when the items' collections, venues or the settings changed; the filing
    classifier is fitted again only past ``FILING_DRIFT`` of changed rows or with new features or
    interests.
    """
    from zotrec.interests import InterestSettings

    settings = interests or InterestSettings(own=(collection,))
    items, ids = profile_rows(snapshot, collection)
    keys = [item.get("key") for item in items]
    cached = cache.load(library_id) if cache is not None else None
    previous = cached.index if cached is not None else None
    if cached is not None and cached.ids == ids and cached.keys == keys:
        index = _with_interests(cached.index, items, snapshot, settings, ids, previous)
        if cache is not None and (index is not cached.index or _lacks_lookup(cached)):
            cache.store(library_id, CachedIndex(index, ids, keys, cached.base_ids))
        return index
    inputs: list[Any] = []  # the interests' inputs, when made while the items convert
    if cached is not None and cached.drift(ids) <= max_drift:
        index = update_index(cached.index, cached.ids, items, ids, snapshot, keys)
        record = CachedIndex(index, ids, keys, cached.base_ids)
    else:
        from zotrec.library.identity import remember
        from zotrec.recommend.fullbuild import full_build

        index, rows, kept = full_build(
            items, snapshot, while_waiting=lambda: inputs.append(_interest_inputs(items, snapshot, settings))
        )
        remember(items, [r.identity for r in rows])  # the known-papers check reads them next
        del rows
        kept_ids = [ids[i] for i in kept]
        record = CachedIndex(index, ids, keys, frozenset(kept_ids))
        if len(kept) != len(items):  # rows are aligned with items: rebuild those without text incrementally
            index = update_index(index, kept_ids, items, ids, snapshot, keys)
    index = record.index = _with_interests(index, items, snapshot, settings, ids, previous, *inputs)
    if cache is not None:
        cache.store(library_id, record)
    return index


def _lacks_lookup(cached: CachedIndex) -> bool:
    """Whether the file has no word-id lookup where it could keep one (written before they were kept)."""
    from zotrec.recommend import ngrams

    text = getattr(cached.index.vectorizer, "text", None)
    return cached.lookup is None and text is not None and ngrams.supported(text)


def _with_interests(
    index: Any,
    items: list[dict[str, Any]],
    snapshot: LibrarySnapshot,
    settings: Any,
    ids: list[str],
    previous: Any,
    inputs: Any = None,
) -> Any:
    """``index`` (rows aligned with ``items``, content ids ``ids``) with the interests of these items
    under ``settings``; the same object when it already has them. ``previous``: the cached index,
    whose filing classifier is kept while few rows changed (``LibraryIndex.with_interests``).
    ``inputs``: the items' :func:`_interest_inputs`, when made."""
    collections, venues, key = inputs or _interest_inputs(items, snapshot, settings)
    if getattr(index, "interest_key", None) == key:
        return index
    return index.with_interests(collections, venues, settings, key=key, row_ids=ids, previous=previous)


def _interest_inputs(
    items: list[dict[str, Any]], snapshot: LibrarySnapshot, settings: Any
) -> tuple[list[list[str]], list[str], str]:
    """What the interests of ``items`` are found from (each item's collection paths and venue) and
    the key of those and ``settings``."""
    from zotrec.recommend.filing import venue_text

    paths = {key: snapshot.collection_path(key) for key in snapshot.collections}
    collections = [[paths[c] for c in item.get("collections", []) if c in paths] for item in items]
    texts: dict[Any, str] = {}  # few distinct venues: each normalised once
    venues = [
        texts[v] if v in texts else texts.setdefault(v, venue_text(v))
        for v in (item.get("publicationTitle") or item.get("proceedingsTitle") for item in items)
    ]
    key = hashlib.sha256(json.dumps([settings.key(), collections, venues]).encode()).hexdigest()[:32]
    return collections, venues, key


def update_index(
    index: Any,
    row_ids: list[str],
    items: list[dict[str, Any]],
    ids: list[str],
    snapshot: LibrarySnapshot,
    keys: list[str | None] | None = None,
) -> Any:
    """``index`` (rows identified by ``row_ids``) brought to ``items`` with its vectorizer unchanged:
    reused rows for known ids, new rows for the others, in the order of ``items`` (``keys``: their
    item keys, when the caller has them)."""
    import numpy as np

    from zotrec.recommend.model import KNN_TERMS, LibraryIndex, prune_rows

    where = dict(zip(row_ids, range(len(row_ids))))
    take = np.array(list(map(where.get, ids, repeat(-1))), dtype=np.int64)  # the row each item reuses, -1: none
    new_at = np.flatnonzero(take < 0)
    papers = _papers([items[i] for i in new_at], snapshot)
    new_X = index.vectorizer.transform(papers) if papers else index.library[:0]
    take[new_at] = np.arange(len(row_ids), len(row_ids) + len(new_at))
    order = take.tolist()
    titles = list(map((index.titles + [p.title for p in papers]).__getitem__, order))
    added = list(map((index.added + [p.date_added or "" for p in papers]).__getitem__, order))
    return LibraryIndex.assemble(
        index.vectorizer,
        _take_rows(index.library, new_X, take).astype(np.float32, copy=False),
        titles,
        [item.get("key") for item in items] if keys is None else keys,
        added,
        index.background,
        _take_rows(index.neighbours, prune_rows(new_X, KNN_TERMS), take).astype(np.float32, copy=False),
    )


def _take_rows(old: Any, new: Any, take: Any) -> Any:
    """Rows ``take`` of ``old`` stacked over ``new`` (CSR), as one CSR matrix."""
    import scipy.sparse as sp

    return sp.vstack([old, new], format="csr")[take] if new.shape[0] else old[take]
