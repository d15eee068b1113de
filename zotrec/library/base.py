"""The library protocol every backend implements (embedded file, Web API, desktop, zotero.sqlite)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from zotrec.library.items import item_to_paper
from zotrec.paper import Paper

MAX_OBJECTS_PER_WRITE = 50


@dataclass
class Collection:
    key: str
    name: str
    parent: str | None = None


@dataclass
class LibrarySnapshot:
    """What a backend read: items in Zotero's item JSON shape (``data`` dicts) and collections.

    ``items`` holds top-level regular items (no notes, no attachments, no trashed items);
    ``trashed`` holds trashed items; ``version`` is the library version (opaque, increasing).
    """

    version: int
    items: list[dict[str, Any]] = field(default_factory=list)
    collections: dict[str, Collection] = field(default_factory=dict)
    trashed: list[dict[str, Any]] = field(default_factory=list)
    partial: str | None = None  # an export file read only in part (cut off): why

    def collection_path(self, key: str) -> str:
        """``Parent/Child`` path of a collection key (unknown keys give the key itself)."""
        parts: list[str] = []
        seen: set[str] = set()
        while key and key in self.collections and key not in seen:
            seen.add(key)
            parts.append(self.collections[key].name)
            key = self.collections[key].parent or ""
        return "/".join(reversed(parts)) if parts else key

    def find_collection(self, path: str) -> str | None:
        """Key of the collection with this path, or None."""
        for key in self.collections:
            if self.collection_path(key) == path:
                return key
        return None

    def papers(self) -> list[Paper]:
        """Every item as a :class:`Paper` with its key, collection paths and tags."""
        paths = {key: self.collection_path(key) for key in self.collections}
        return [item_to_paper(item, paths) for item in self.items]

    def items_in_collection(self, key: str) -> list[dict[str, Any]]:
        return [item for item in self.items if key in item.get("collections", [])]


@dataclass
class WriteResult:
    """Outcome of one multi-object write: index in the request -> key, or -> error message."""

    created: dict[int, str] = field(default_factory=dict)
    failed: dict[int, str] = field(default_factory=dict)
    # True when the server said the write token was already used: the batch landed in an
    # earlier attempt whose answer was lost, and ``created`` may be empty (reconcile by reading).
    token_already_used: bool = False


@runtime_checkable
class Library(Protocol):
    """A Zotero library as zotrec uses it."""

    description: str  # e.g. "embedded library /home/u/.local/share/zotrec/demo.sqlite"

    def snapshot(self) -> LibrarySnapshot:
        """Read items and collections (incrementally where the backend can)."""
        ...

    def ensure_collection(self, path: str) -> str:
        """Key of the collection at ``path`` (``A/B``), created with its parents if missing."""
        ...

    def create_items(self, items: list[dict[str, Any]], *, write_token: str | None = None) -> WriteResult:
        """Create at most 50 items (regular items, or notes with ``parentItem``).

        ``write_token`` (32 hex chars) makes the write idempotent: sending the same token
        again never writes twice (the Web API answers 412, reported as ``token_already_used``).
        """
        ...

    def writable(self) -> bool:
        """True when this backend can create items."""
        ...

    def close(self) -> None: ...
