"""Read-only backend for Zotero's own database file (``zotero.sqlite``), for users without an API key.

How it reads without disturbing a running Zotero: **it copies** ``zotero.sqlite`` together with its
``-wal`` file (Zotero 10+ runs in WAL mode; recent commits may live only in the WAL until Zotero
checkpoints it) and a ``-journal`` if one exists, into a private temporary directory, and queries
the copy. The copy is repeated when a file changed while it was being copied. It does **not** use
``immutable=1``: that ignores the WAL (missing recent changes) and can read a half-written page.
Zotero keeps the database under an exclusive lock while it runs, which blocks SQLite readers but
not a plain file copy. zotrec never opens the original with SQLite and never writes to it.

Writing is not possible through this backend: use the Web API or the desktop local API backend,
or export a collection (``zotrec library export``) and import the file in Zotero.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from zotrec.errors import LibraryError
from zotrec.library.base import Collection, LibrarySnapshot, WriteResult
from zotrec.library.items import NON_PAPER_TYPES

READ_ONLY = (
    "the zotero.sqlite backend is read-only: to write recommendations use the Web API backend "
    '(backend = "web" with ZOTERO_API_KEY) or the desktop local API (backend = "local", Zotero 10+), '
    "or `zotrec library export` and import the file in Zotero"
)
_SIDE_FILES = ("-wal", "-journal")


def _stat(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return st.st_size, st.st_mtime_ns


def _timestamp(value: str | None) -> int:
    if not value:
        return 0
    try:
        return int(datetime.strptime(value[:19], "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC).timestamp())
    except ValueError:
        return 0


def _iso(value: str | None) -> str:
    return value.replace(" ", "T") + "Z" if value and "T" not in value else (value or "")


class ZoteroSqliteLibrary:
    """The user library (or ``library_id``) of a ``zotero.sqlite`` file, read from a private copy."""

    backend = "sqlite"

    def __init__(self, path: Path | str, *, library_id: int | None = None, attempts: int = 5) -> None:
        self.path = Path(path)
        self.library_id = library_id
        self.attempts = attempts
        self.description = f"zotero.sqlite (read-only copy) {self.path}"

    # ------------------------------------------------------------------ copying
    def _copy(self, target_dir: Path) -> Path:
        """A consistent copy of the database and its side files in ``target_dir``."""
        if not self.path.is_file():
            raise LibraryError(f"{self.path}: no such file (the Zotero data directory holds zotero.sqlite)")
        target = target_dir / "zotero.sqlite"
        sources = [self.path] + [self.path.with_name(self.path.name + s) for s in _SIDE_FILES]
        for attempt in range(self.attempts):
            before = [_stat(p) for p in sources]
            for source in sources:
                copy = target.with_name(target.name + source.name[len(self.path.name) :])
                copy.unlink(missing_ok=True)
                if before[sources.index(source)] is not None:
                    try:
                        shutil.copyfile(source, copy)
                    except FileNotFoundError:  # a -journal/-wal vanished between stat and copy
                        pass
                    except OSError as err:
                        raise LibraryError(f"{self.path}: cannot read ({err.strerror})") from None
            if [_stat(p) for p in sources] == before:
                return target
            time.sleep(0.05 * (attempt + 1))  # Zotero wrote meanwhile: copy again
        raise LibraryError(f"{self.path} kept changing while zotrec copied it; try again, or use the local API backend")

    # ------------------------------------------------------------------ reading
    def snapshot(self) -> LibrarySnapshot:
        with tempfile.TemporaryDirectory(prefix="zotrec-zotero-") as tmp:
            for attempt in range(self.attempts):
                copy = self._copy(Path(tmp))
                try:
                    db = sqlite3.connect(copy)
                    try:
                        return self._read(db)
                    finally:
                        db.close()
                except sqlite3.DatabaseError as err:
                    if "no such table" in str(err) or "file is not a database" in str(err):
                        raise LibraryError(f"{self.path}: not a Zotero database ({err})") from None
                    last = err  # e.g. a torn copy: copy again
                    time.sleep(0.05 * (attempt + 1))
            raise LibraryError(f"{self.path}: could not read a consistent copy ({last}); try again")

    def _library(self, db: sqlite3.Connection) -> int:
        if self.library_id is not None:
            return self.library_id
        row = db.execute("SELECT libraryID FROM libraries WHERE type = 'user' ORDER BY libraryID LIMIT 1").fetchone()
        if row is None:
            raise LibraryError(f"{self.path}: no user library in this database")
        return int(row[0])

    @staticmethod
    def _names(db: sqlite3.Connection, combined: str, plain: str, id_col: str, name_col: str) -> dict[int, str]:
        names = {int(i): n for i, n in db.execute(f"SELECT {id_col}, {name_col} FROM {combined}")}
        if not names:  # the *Combined tables are filled at Zotero's startup; fall back to the base tables
            names = {int(i): n for i, n in db.execute(f"SELECT {id_col}, {name_col} FROM {plain}")}
        return names

    @staticmethod
    def _add_creators_and_tags(db: sqlite3.Connection, items: dict[int, dict[str, Any]]) -> None:
        """Fill each item's creators (in their order) and tags from the database."""
        for item_id, first, last, mode, ctype in db.execute(
            "SELECT ic.itemID, c.firstName, c.lastName, c.fieldMode, ct.creatorType FROM itemCreators ic "
            "JOIN creators c USING (creatorID) JOIN creatorTypes ct USING (creatorTypeID) "
            "ORDER BY ic.itemID, ic.orderIndex"
        ):
            if item_id in items:
                creator = (
                    {"creatorType": ctype, "name": last or ""}
                    if mode == 1
                    else {"creatorType": ctype, "firstName": first or "", "lastName": last or ""}
                )
                items[item_id]["creators"].append(creator)
        for item_id, name, ttype in db.execute(
            "SELECT it.itemID, t.name, it.type FROM itemTags it JOIN tags t USING (tagID) ORDER BY t.name"
        ):
            if item_id in items:
                items[item_id]["tags"].append({"tag": name, "type": ttype} if ttype else {"tag": name})

    def _read(self, db: sqlite3.Connection) -> LibrarySnapshot:
        db.execute("BEGIN")  # one read transaction: a consistent view of the copy
        lib = self._library(db)
        types = self._names(db, "itemTypesCombined", "itemTypes", "itemTypeID", "typeName")
        fields = self._names(db, "fieldsCombined", "fields", "fieldID", "fieldName")
        items: dict[int, dict[str, Any]] = {}
        changed = 0
        for item_id, type_id, key, version, added, modified, client_modified in db.execute(
            "SELECT itemID, itemTypeID, key, version, dateAdded, dateModified, clientDateModified "
            "FROM items WHERE libraryID = ?",
            (lib,),
        ):
            items[item_id] = {
                "key": key,
                "version": version,
                "itemType": types.get(type_id, "document"),
                "dateAdded": _iso(added),
                "dateModified": _iso(modified),
                "creators": [],
                "tags": [],
                "collections": [],
                "relations": {},
            }
            changed = max(changed, _timestamp(client_modified), _timestamp(modified))
        for item_id, field_id, value in db.execute(
            "SELECT d.itemID, d.fieldID, v.value FROM itemData d JOIN itemDataValues v USING (valueID) "
            "JOIN items i ON i.itemID = d.itemID WHERE i.libraryID = ?",
            (lib,),
        ):
            if item_id in items and field_id in fields:
                items[item_id][fields[field_id]] = "" if value is None else str(value)
        self._add_creators_and_tags(db, items)
        # collections (those in the trash are left out)
        colls: dict[int, tuple[str, str, int | None]] = {}
        trashed_colls = {r[0] for r in db.execute("SELECT collectionID FROM deletedCollections")}
        for cid, name, parent, key, _version, client_modified in db.execute(
            "SELECT collectionID, collectionName, parentCollectionID, key, version, clientDateModified "
            "FROM collections WHERE libraryID = ?",
            (lib,),
        ):
            colls[cid] = (key, name, parent)
            changed = max(changed, _timestamp(client_modified))
        coll_items: dict[int, list[str]] = defaultdict(list)
        for cid, item_id in db.execute("SELECT collectionID, itemID FROM collectionItems ORDER BY orderIndex"):
            if cid in colls and cid not in trashed_colls:
                coll_items[item_id].append(colls[cid][0])
        children = {
            r[0]
            for r in db.execute(
                "SELECT itemID FROM itemNotes WHERE parentItemID IS NOT NULL UNION "
                "SELECT itemID FROM itemAttachments WHERE parentItemID IS NOT NULL UNION "
                "SELECT itemID FROM itemAnnotations"
            )
        }
        trashed = {r[0] for r in db.execute("SELECT itemID FROM deletedItems")}
        row = db.execute("SELECT version FROM libraries WHERE libraryID = ?", (lib,)).fetchone()
        db.execute("COMMIT")

        snap = LibrarySnapshot(version=max(int(row[0]) if row else 0, changed))
        for cid, (key, name, parent) in colls.items():
            if cid in trashed_colls:
                continue
            parent_key = colls[parent][0] if parent in colls and parent not in trashed_colls else None
            snap.collections[key] = Collection(key, name, parent_key)
        for item_id, data in items.items():
            if item_id in children or data["itemType"] in NON_PAPER_TYPES:
                continue
            data["collections"] = coll_items.get(item_id, [])
            if item_id in trashed:
                data["deleted"] = 1
                snap.trashed.append(data)
            else:
                snap.items.append(data)
        return snap

    # ------------------------------------------------------------------ writing: never
    def writable(self) -> bool:
        return False

    def ensure_collection(self, path: str) -> str:
        key = self.snapshot().find_collection(path.strip("/"))
        if key:
            return key
        raise LibraryError(READ_ONLY)

    def create_items(self, items: list[dict[str, Any]], *, write_token: str | None = None) -> WriteResult:
        raise LibraryError(READ_ONLY)

    def probe(self) -> dict[str, Any]:
        info: dict[str, Any] = {
            "backend": self.backend,
            "description": self.description,
            "reachable": False,
            "items": None,
            "writable": False,
            "problem": None,
        }
        try:
            info["items"] = len(self.snapshot().items)
            info["reachable"] = True
        except LibraryError as err:
            info["problem"] = str(err)
        return info

    describe = probe

    def close(self) -> None:
        pass
