"""Library items whose JSON is decoded only when a run reads more than their head.

A daily run reads few fields of most items: key, version, title, collections, date added, venue
(which items form the profile, their content ids, interests, pushed items). Decoding the JSON of
every item of a 50,000-item embedded library costs about 0.7 s of CPU; a :class:`LazyItem` holds
the :data:`HEAD` fields (kept between runs by :class:`HeadCache`, per item key and version) and the
item's JSON text, and decodes the text the first time anything else is asked of it: other fields,
its length, iteration, comparison, a copy. From then on it is the decoded dict, so code that reads
items sees no difference (tests compare them with the decoded items).
"""

from __future__ import annotations

import hashlib
import json
import logging
import pickle
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from zotrec import later
from zotrec.private_file import write_private

log = logging.getLogger("zotrec")

# The fields a lazy item answers without decoding (present or known to be absent).
HEAD = frozenset(
    ("key", "version", "itemType", "title", "collections", "dateAdded", "publicationTitle", "proceedingsTitle")
)
FORMAT = 1


def head_of(item: dict[str, Any]) -> dict[str, Any]:
    """The :data:`HEAD` fields the item has."""
    return {k: item[k] for k in HEAD if k in item}


class LazyItem(dict):
    """An item dict that decodes its JSON on first use beyond :data:`HEAD`."""

    __slots__ = ("_raw",)

    def __init__(self, head: dict[str, Any], raw: str) -> None:
        super().__init__(head)
        self._raw: str | None = raw

    def _load(self) -> None:
        raw = self._raw
        if raw is not None:
            self._raw = None
            data = json.loads(raw)
            dict.clear(self)
            dict.update(self, data)

    def __getitem__(self, key: Any) -> Any:
        if self._raw is not None and key not in HEAD:
            self._load()
        return dict.__getitem__(self, key)

    def get(self, key: Any, default: Any = None) -> Any:
        if self._raw is not None and key not in HEAD:
            self._load()
        return dict.get(self, key, default)

    def __contains__(self, key: object) -> bool:
        if self._raw is not None and key not in HEAD:
            self._load()
        return dict.__contains__(self, key)

    def decoded(self) -> dict[str, Any]:
        """The whole item as a plain dict."""
        self._load()
        return dict(dict.items(self))

    # everything else sees the whole item
    def __iter__(self) -> Iterator[Any]:
        self._load()
        return dict.__iter__(self)

    def __len__(self) -> int:
        self._load()
        return dict.__len__(self)

    def __reversed__(self) -> Iterator[Any]:
        self._load()
        return dict.__reversed__(self)

    def keys(self):
        self._load()
        return dict.keys(self)

    def items(self):
        self._load()
        return dict.items(self)

    def values(self):
        self._load()
        return dict.values(self)

    def __eq__(self, other: object) -> bool:
        self._load()
        if isinstance(other, LazyItem):
            other._load()
        return dict.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    __hash__ = None

    def __repr__(self) -> str:
        self._load()
        return dict.__repr__(self)

    def copy(self) -> dict[str, Any]:
        return self.decoded()

    def __reduce__(self) -> Any:  # pickled (and copied) as the plain dict it stands for
        return (dict, (self.decoded(),))

    def __or__(self, other: Any) -> Any:
        return self.decoded() | other

    def __ror__(self, other: Any) -> Any:
        self._load()
        return other | self.decoded()

    # writes decode first, so the decoded text never overwrites them
    def __setitem__(self, key: Any, value: Any) -> None:
        self._load()
        dict.__setitem__(self, key, value)

    def __delitem__(self, key: Any) -> None:
        self._load()
        dict.__delitem__(self, key)

    def __ior__(self, other: Any) -> Any:
        self._load()
        return dict.__ior__(self, other)

    def update(self, *args: Any, **kwargs: Any) -> None:
        self._load()
        dict.update(self, *args, **kwargs)

    def setdefault(self, key: Any, default: Any = None) -> Any:
        self._load()
        return dict.setdefault(self, key, default)

    def pop(self, *args: Any) -> Any:
        self._load()
        return dict.pop(self, *args)

    def popitem(self) -> tuple[Any, Any]:
        self._load()
        return dict.popitem(self)

    def clear(self) -> None:
        self._raw = None
        dict.clear(self)


class HeadCache:
    """The :data:`HEAD` fields of a library file's items, by item key, for one version and length of
    the item's JSON; kept in the cache folder (safe to delete: items are then decoded)."""

    def __init__(self, library: Path, folder: Path | None = None) -> None:
        if folder is None:
            from zotrec import paths

            folder = paths.cache_dir() / "item-heads"
        digest = hashlib.blake2b(str(library.resolve()).encode(), digest_size=16).hexdigest()
        self.path = Path(folder) / f"{digest}.pickle"
        self.heads: dict[str, tuple[int, int, dict[str, Any]]] = {}
        self.changed = False
        later.wait(self.path)
        try:
            with open(self.path, "rb") as fh:
                fmt, heads = pickle.load(fh)
            if fmt == FORMAT and isinstance(heads, dict):
                self.heads = heads
        except FileNotFoundError:
            pass
        except Exception as err:  # unreadable: items are decoded
            log.warning("item head cache %s unreadable (%s)", self.path, type(err).__name__)

    def item(self, key: str, version: int, raw: str) -> dict[str, Any]:
        """The item of this JSON text: lazy when its head is kept, else decoded (and its head kept)."""
        kept = self.heads.get(key)
        if kept is not None and kept[0] == version and kept[1] == len(raw):
            return LazyItem(kept[2], raw)
        item = json.loads(raw)
        self.heads[key] = (version, len(raw), head_of(item))
        self.changed = True
        return item

    def store(self, keys: set[str]) -> None:
        """Write the heads of ``keys`` (the items of this snapshot) when any changed."""
        if not self.changed and len(keys) == len(self.heads):
            return
        heads = {k: v for k, v in self.heads.items() if k in keys}
        path = self.path

        def write() -> None:
            try:
                write_private(path, lambda fh: pickle.dump((FORMAT, heads), fh, protocol=5))
            except OSError as err:
                log.warning("item head cache not written (%s)", err)

        later.write(path, write)
