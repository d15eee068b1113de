"""The embedded library: a local SQLite file that behaves like a Zotero library for zotrec.

Items are stored in Zotero's item JSON shape (the ``data`` object of the Web API), with
object versions and a library version that every write bumps, collections with parents,
tags inside the item JSON, and child notes with ``parentItem``.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from zotrec.errors import LibraryError, NoSuchLibrary
from zotrec.library.base import MAX_OBJECTS_PER_WRITE, Collection, LibrarySnapshot, WriteResult
from zotrec.library.items import NON_PAPER_TYPES

KEY_ALPHABET = "23456789ABCDEFGHIJKLMNPQRSTUVWXYZ"
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS items (
    key TEXT PRIMARY KEY, version INTEGER NOT NULL, item_type TEXT NOT NULL,
    parent TEXT, deleted INTEGER NOT NULL DEFAULT 0, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS items_parent ON items(parent);
CREATE TABLE IF NOT EXISTS write_tokens (token TEXT PRIMARY KEY, result TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS collections (
    key TEXT PRIMARY KEY, version INTEGER NOT NULL, name TEXT NOT NULL, parent TEXT);
"""
FORMAT_TAG = "zotrec-embedded-library-1"
_OWN_TABLES = {"meta", "items", "write_tokens", "collections"}


def refuse_foreign(path: Path) -> None:
    """Raise :class:`LibraryError`, before anything writes to it, when ``path`` holds something
    other than a zotrec library: Zotero's own ``zotero.sqlite``, another SQLite file, an export.

    The file is opened read-only; an empty or missing file, or one holding only this module's
    tables (a library whose creation was cut short), passes.
    """
    if not path.is_file() or path.stat().st_size == 0:
        return
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            db.close()
    except sqlite3.DatabaseError as err:
        raise LibraryError(
            f"{path}: not a zotrec library file ({err}); a Zotero export (BibTeX, RDF, JSON) goes in with "
            "`zotrec library import FILE`"
        ) from None
    if tables <= _OWN_TABLES:
        return
    if {"itemDataValues", "libraries"} <= tables:
        raise LibraryError(
            f"{path}: this is Zotero's own database, not a zotrec library file; to read it, set "
            'zotero.backend = "sqlite" (zotrec only reads it); nothing was written to it'
        )
    raise LibraryError(
        f"{path}: not a zotrec library file (an SQLite file with other tables); nothing was written to it"
    )


def new_key() -> str:
    """A random Zotero object key (8 characters, no 0/1/O)."""
    return "".join(secrets.choice(KEY_ALPHABET) for _ in range(8))


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class EmbeddedLibrary:
    """A Zotero-like library in one SQLite file (created on first use)."""

    def __init__(self, path: Path | str, *, create: bool = True) -> None:
        self.path = Path(path)
        self.description = f"embedded library {self.path}"
        if not self.path.exists() and not create:
            raise NoSuchLibrary(f"{self.path}: no such library file (create one with `zotrec library import`)")
        refuse_foreign(self.path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(self.path, timeout=30)
            self._db.executescript(SCHEMA)
            fmt = self._meta("format")
            if fmt is None:
                with self._db:
                    self._db.execute("INSERT INTO meta VALUES ('format', ?)", (FORMAT_TAG,))
                    self._db.execute("INSERT OR IGNORE INTO meta VALUES ('version', '0')")
            elif fmt != FORMAT_TAG:
                raise LibraryError(f"{self.path}: not a zotrec library file (format {fmt!r})")
        except sqlite3.DatabaseError as err:
            raise LibraryError(f"{self.path}: not a zotrec library file ({err})") from None

    # -- protocol -------------------------------------------------------------------------
    def snapshot(self, lazy: bool = False) -> LibrarySnapshot:
        """Every item as Zotero's item JSON; with ``lazy``, items whose head this file's
        :class:`~zotrec.library.lazy.HeadCache` kept are decoded only when more is read of them."""
        heads = None
        if lazy:
            from zotrec.library.lazy import HeadCache

            heads = HeadCache(self.path)
        items: list[dict[str, Any]] = []
        trashed: list[dict[str, Any]] = []
        for key, version, data_json, deleted, item_type in self._db.execute(
            "SELECT key, version, data, deleted, item_type FROM items WHERE parent IS NULL ORDER BY rowid"
        ):
            if item_type in NON_PAPER_TYPES:
                continue
            item = heads.item(key, version, data_json) if heads is not None else json.loads(data_json)
            (trashed if deleted else items).append(item)
        if heads is not None:
            heads.store({item["key"] for item in items} | {item["key"] for item in trashed})
        collections = {
            key: Collection(key, name, parent)
            for key, name, parent in self._db.execute("SELECT key, name, parent FROM collections")
        }
        return LibrarySnapshot(self.version, items, collections, trashed)

    def ensure_collection(self, path: str) -> str:
        parent: str | None = None
        for name in [p for p in path.split("/") if p]:
            row = self._db.execute(
                "SELECT key FROM collections WHERE name = ? AND parent IS ?", (name, parent)
            ).fetchone()
            if row:
                parent = row[0]
                continue
            with self._db:
                version = self._bump()
                key = new_key()
                self._db.execute("INSERT INTO collections VALUES (?, ?, ?, ?)", (key, version, name, parent))
            parent = key
        if parent is None:
            raise LibraryError(f"invalid collection path {path!r}")
        return parent

    def create_items(self, items: list[dict[str, Any]], *, write_token: str | None = None) -> WriteResult:
        if len(items) > MAX_OBJECTS_PER_WRITE:
            raise LibraryError(f"at most {MAX_OBJECTS_PER_WRITE} items per write, got {len(items)}")
        if write_token:
            row = self._db.execute("SELECT result FROM write_tokens WHERE token = ?", (write_token,)).fetchone()
            if row:  # the batch landed before: never write it twice
                done = json.loads(row[0])
                return WriteResult(
                    created={int(k): v for k, v in done["created"].items()},
                    failed={int(k): v for k, v in done["failed"].items()},
                    token_already_used=True,
                )
        result = WriteResult()
        collections = {row[0] for row in self._db.execute("SELECT key FROM collections")}
        with self._db:
            version = self._bump()
            for index, item in enumerate(items):
                problem = self._validate(item, collections)
                if problem:
                    result.failed[index] = problem
                    continue
                data = dict(item)
                data["key"] = data.get("key") or new_key()
                data["version"] = version
                data.setdefault("tags", [])
                data.setdefault("relations", {})
                if not data.get("parentItem"):
                    data.setdefault("collections", [])
                data["dateAdded"] = data["dateModified"] = _now()
                self._db.execute(
                    "INSERT OR REPLACE INTO items VALUES (?, ?, ?, ?, 0, ?)",
                    (data["key"], version, data["itemType"], data.get("parentItem"), json.dumps(data)),
                )
                result.created[index] = data["key"]
            if write_token:
                self._db.execute(
                    "INSERT INTO write_tokens VALUES (?, ?)",
                    (write_token, json.dumps({"created": result.created, "failed": result.failed})),
                )
        return result

    def writable(self) -> bool:
        return True

    def close(self) -> None:
        self._db.close()

    # -- user-side operations (what a person does in Zotero) ------------------------------
    @property
    def version(self) -> int:
        return int(self._meta("version") or 0)

    def item(self, key: str) -> dict[str, Any] | None:
        row = self._db.execute("SELECT data, deleted FROM items WHERE key = ?", (key,)).fetchone()
        if not row:
            return None
        data = json.loads(row[0])
        if row[1]:
            data["deleted"] = 1
        return data

    def children(self, key: str) -> list[dict[str, Any]]:
        rows = self._db.execute("SELECT data FROM items WHERE parent = ? ORDER BY rowid", (key,))
        return [json.loads(r[0]) for r in rows]

    def update_item(self, key: str, changes: dict[str, Any]) -> None:
        """Patch an item's fields (tags and collections are complete lists, as in Zotero)."""
        data = self.item(key)
        if data is None:
            raise LibraryError(f"no item {key}")
        data.pop("deleted", None)
        data.update(changes)
        with self._db:
            data["version"] = self._bump()
            data["dateModified"] = _now()
            self._db.execute(
                "UPDATE items SET data = ?, version = ? WHERE key = ?", (json.dumps(data), data["version"], key)
            )

    def trash_item(self, key: str) -> None:
        with self._db:
            self._db.execute("UPDATE items SET deleted = 1, version = ? WHERE key = ?", (self._bump(), key))

    def delete_item(self, key: str) -> None:
        with self._db:
            self._bump()
            self._db.execute("DELETE FROM items WHERE key = ? OR parent = ?", (key, key))

    def add_items(self, items: Iterable[dict[str, Any]]) -> list[str]:
        """Bulk insert (imports): every item in one transaction, keys returned in order."""
        keys = []
        with self._db:
            version = self._bump()
            for item in items:
                data = dict(item)
                data["key"] = data.get("key") or new_key()
                data["version"] = version
                data.setdefault("tags", [])
                data.setdefault("collections", [])
                data.setdefault("relations", {})
                data.setdefault("dateAdded", _now())
                data.setdefault("dateModified", data["dateAdded"])
                self._db.execute(
                    "INSERT OR REPLACE INTO items VALUES (?, ?, ?, ?, 0, ?)",
                    (data["key"], version, data["itemType"], data.get("parentItem"), json.dumps(data)),
                )
                keys.append(data["key"])
        return keys

    def count(self) -> int:
        return self._db.execute(
            "SELECT count(*) FROM items WHERE parent IS NULL AND deleted = 0 AND item_type NOT IN ('note','attachment')"
        ).fetchone()[0]

    # -- internals ------------------------------------------------------------------------
    def _meta(self, name: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
        return row[0] if row else None

    def _bump(self) -> int:
        version = self.version + 1
        self._db.execute("INSERT OR REPLACE INTO meta VALUES ('version', ?)", (str(version),))
        return version

    def _validate(self, item: dict[str, Any], collections: set[str]) -> str | None:
        if not item.get("itemType"):
            return "400 itemType is required"
        parent = item.get("parentItem")
        if parent:
            if item.get("collections"):
                return "400 Child items cannot be assigned to collections"
            if not self._db.execute("SELECT 1 FROM items WHERE key = ?", (parent,)).fetchone():
                return f"409 Parent item {parent} not found"
        for key in item.get("collections", []):
            if key not in collections:
                return f"409 Collection {key} not found"
        return None
