"""The incremental item cache: a library's version, items and collections in a SQLite file.

A remote backend (Web API, desktop local API) reads the whole library once and afterwards only
what changed since the cached library version (``since``, ``/deleted``). The cache is keyed by a
partition name (endpoint + library, plus the server ID for the local API, whose versions mean
nothing elsewhere), so one file can hold several libraries. A cache file that cannot be read is
moved aside and rebuilt: losing the cache costs one full read, never a failure.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS libraries (
    name TEXT PRIMARY KEY, version INTEGER NOT NULL, server_id TEXT NOT NULL DEFAULT '', updated REAL NOT NULL);
CREATE TABLE IF NOT EXISTS items (
    library TEXT NOT NULL, key TEXT NOT NULL, version INTEGER NOT NULL, data TEXT NOT NULL,
    PRIMARY KEY (library, key));
CREATE TABLE IF NOT EXISTS collections (
    library TEXT NOT NULL, key TEXT NOT NULL, version INTEGER NOT NULL, data TEXT NOT NULL,
    PRIMARY KEY (library, key));
"""


@dataclass
class CachedLibrary:
    """What the cache holds for one library: ``data`` dicts keyed by object key."""

    version: int
    items: dict[str, dict[str, Any]] = field(default_factory=dict)
    collections: dict[str, dict[str, Any]] = field(default_factory=dict)
    server_id: str = ""


class ItemCache:
    """A SQLite cache file (created on first use) for one or more libraries."""

    def __init__(self, path: Path | str, partition: str) -> None:
        self.path = Path(path)
        self.partition = partition
        self._db: sqlite3.Connection | None = None

    def _connect(self) -> sqlite3.Connection:
        if self._db is not None:
            return self._db
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = self._open()
        except sqlite3.DatabaseError as err:
            aside = self.path.with_name(f"{self.path.name}.corrupt-{int(time.time())}")
            log.warning("item cache %s unreadable (%s); moved to %s and rebuilt", self.path, err, aside)
            self.path.replace(aside)
            self._db = self._open()
        return self._db

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30)
        try:
            db.executescript(SCHEMA)
            db.execute("SELECT count(*) FROM libraries").fetchone()
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    def load(self) -> CachedLibrary | None:
        """The cached library, or None when there is none (or it cannot be read)."""
        try:
            db = self._connect()
            row = db.execute("SELECT version, server_id FROM libraries WHERE name = ?", (self.partition,)).fetchone()
            if row is None:
                return None
            cached = CachedLibrary(version=int(row[0]), server_id=row[1])
            for key, data in db.execute("SELECT key, data FROM items WHERE library = ?", (self.partition,)):
                cached.items[key] = json.loads(data)
            for key, data in db.execute("SELECT key, data FROM collections WHERE library = ?", (self.partition,)):
                cached.collections[key] = json.loads(data)
            return cached
        except (sqlite3.Error, OSError, ValueError) as err:
            log.warning("item cache %s unreadable (%s); reading the library in full", self.path, err)
            self.clear()
            return None

    def save(self, cached: CachedLibrary) -> None:
        """Replace this library's cached state (one transaction)."""
        try:
            db = self._connect()
            with db:
                db.execute("DELETE FROM items WHERE library = ?", (self.partition,))
                db.execute("DELETE FROM collections WHERE library = ?", (self.partition,))
                db.executemany(
                    "INSERT INTO items VALUES (?, ?, ?, ?)",
                    [(self.partition, k, int(d.get("version", 0)), json.dumps(d)) for k, d in cached.items.items()],
                )
                db.executemany(
                    "INSERT INTO collections VALUES (?, ?, ?, ?)",
                    [
                        (self.partition, k, int(d.get("version", 0)), json.dumps(d))
                        for k, d in cached.collections.items()
                    ],
                )
                db.execute(
                    "INSERT OR REPLACE INTO libraries VALUES (?, ?, ?, ?)",
                    (self.partition, int(cached.version), cached.server_id, time.time()),
                )
        except (sqlite3.Error, OSError) as err:  # a cache that cannot be written only costs speed
            log.warning("item cache %s not written (%s); running without it", self.path, err)

    def clear(self) -> None:
        """Forget this library (the next read is a full read)."""
        try:
            db = self._connect()
            with db:
                for table, column in (("items", "library"), ("collections", "library"), ("libraries", "name")):
                    db.execute(f"DELETE FROM {table} WHERE {column} = ?", (self.partition,))
        except (sqlite3.Error, OSError):
            pass

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
