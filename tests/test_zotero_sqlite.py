"""ZoteroSqliteLibrary on a database built from Zotero's own DDL with real rows inserted here."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest
from test_zotero_web import library_items

from zotrec.errors import LibraryError
from zotrec.library import open_library
from zotrec.library.zotero_sqlite import ZoteroSqliteLibrary

TYPES = [
    "journalArticle",
    "preprint",
    "conferencePaper",
    "book",
    "bookSection",
    "thesis",
    "document",
    "note",
    "attachment",
]
FIELDS = [
    "title",
    "abstractNote",
    "date",
    "DOI",
    "url",
    "archiveID",
    "repository",
    "publicationTitle",
    "volume",
    "issue",
    "pages",
    "ISSN",
    "ISBN",
    "publisher",
    "proceedingsTitle",
    "bookTitle",
    "extra",
]


class ZoteroDB:
    """Writes rows the way Zotero lays them out (itemData -> itemDataValues, itemCreators -> creators ...)."""

    def __init__(self, path: Path, schema: str, wal: bool = False) -> None:
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.executescript(schema)
        self.db.execute("PRAGMA synchronous=OFF")
        if wal:
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA wal_autocheckpoint=0")
        self.db.execute(
            "INSERT INTO libraries (libraryID, type, editable, filesEditable, version) VALUES (1, 'user', 1, 1, 42)"
        )
        self.db.execute("INSERT INTO libraries (libraryID, type, editable, filesEditable) VALUES (2, 'group', 1, 1)")
        for i, name in enumerate(TYPES, 1):
            self.db.execute("INSERT INTO itemTypes (itemTypeID, typeName) VALUES (?, ?)", (i, name))
        for i, name in enumerate(FIELDS, 1):
            self.db.execute("INSERT INTO fields (fieldID, fieldName) VALUES (?, ?)", (i, name))
        self.db.execute("INSERT INTO creatorTypes VALUES (1, 'author'), (2, 'editor')")
        self._n = 0

    def key(self) -> str:
        self._n += 1
        return f"K{self._n:07d}".replace("0", "A").replace("1", "B")

    def _value(self, value: str) -> int:
        self.db.execute("INSERT OR IGNORE INTO itemDataValues (value) VALUES (?)", (value,))
        return self.db.execute("SELECT valueID FROM itemDataValues WHERE value = ?", (value,)).fetchone()[0]

    def add_item(self, data: dict, library: int = 1) -> int:
        type_id = TYPES.index(data["itemType"]) + 1
        cur = self.db.execute(
            "INSERT INTO items (itemTypeID, libraryID, key, version) VALUES (?, ?, ?, 3)",
            (type_id, library, self.key()),
        )
        item_id = cur.lastrowid
        for name, value in data.items():
            if name in FIELDS and value:
                self.db.execute(
                    "INSERT INTO itemData VALUES (?, ?, ?)", (item_id, FIELDS.index(name) + 1, self._value(value))
                )
        for order, creator in enumerate(data.get("creators", [])):
            first, last, mode = (
                (None, creator["name"], 1) if "name" in creator else (creator["firstName"], creator["lastName"], 0)
            )
            self.db.execute(
                "INSERT OR IGNORE INTO creators (firstName, lastName, fieldMode) VALUES (?, ?, ?)", (first, last, mode)
            )
            cid = self.db.execute(
                "SELECT creatorID FROM creators WHERE lastName IS ? AND firstName IS ? AND fieldMode = ?",
                (last, first, mode),
            ).fetchone()[0]
            self.db.execute("INSERT INTO itemCreators VALUES (?, ?, 1, ?)", (item_id, cid, order))
        for tag in data.get("tags", []):
            self.db.execute("INSERT OR IGNORE INTO tags (name) VALUES (?)", (tag["tag"],))
            tid = self.db.execute("SELECT tagID FROM tags WHERE name = ?", (tag["tag"],)).fetchone()[0]
            self.db.execute("INSERT INTO itemTags VALUES (?, ?, 0)", (item_id, tid))
        return item_id

    def add_collection(self, name: str, parent: int | None = None) -> int:
        return self.db.execute(
            "INSERT INTO collections (collectionName, parentCollectionID, libraryID, key) VALUES (?, ?, 1, ?)",
            (name, parent, self.key()),
        ).lastrowid

    def key_of(self, item_id: int) -> str:
        return self.db.execute("SELECT key FROM items WHERE itemID = ?", (item_id,)).fetchone()[0]


def _digest(path: Path) -> dict[str, str]:
    out = {}
    for p in sorted(path.parent.glob(path.name + "*")):
        out[p.name] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


@pytest.fixture
def schema(shared_data) -> str:
    return (shared_data / "zotero-schema" / "userdata.sql").read_text(encoding="utf-8")


def build(tmp_path: Path, schema: str, shared_data: Path, wal: bool = False) -> tuple[ZoteroDB, dict]:
    zdb = ZoteroDB(tmp_path / "zotero.sqlite", schema, wal=wal)
    zdb.db.execute("BEGIN")
    items = library_items(shared_data, 40)
    ids = [zdb.add_item(it) for it in items]
    physics = zdb.add_collection("Physics")
    waves = zdb.add_collection("Waves", physics)
    zdb.db.execute("INSERT INTO collectionItems VALUES (?, ?, 0)", (waves, ids[0]))
    note = zdb.add_item({"itemType": "note"})
    zdb.db.execute("INSERT INTO itemNotes VALUES (?, ?, '<p>my note</p>', 'my note')", (note, ids[0]))
    attachment = zdb.add_item({"itemType": "attachment", "title": "PDF"})
    zdb.db.execute(
        "INSERT INTO itemAttachments (itemID, parentItemID, linkMode, contentType) VALUES (?, ?, 1, 'application/pdf')",
        (attachment, ids[0]),
    )
    zdb.db.execute("INSERT INTO deletedItems (itemID) VALUES (?)", (ids[1],))
    zdb.add_item({"itemType": "preprint", "title": "In a group library"}, library=2)
    zdb.db.execute("COMMIT")
    return zdb, {"ids": ids, "items": items, "waves": waves}


def test_reads_items_collections_trash_from_zotero_schema(tmp_path, schema, shared_data):
    zdb, info = build(tmp_path, schema, shared_data)
    zdb.db.close()
    path = tmp_path / "zotero.sqlite"
    before = _digest(path)
    snap = ZoteroSqliteLibrary(path).snapshot()
    assert _digest(path) == before, "zotero.sqlite is never written"
    assert len(snap.items) == 39 and len(snap.trashed) == 1
    by_title = {i["title"]: i for i in snap.items}
    first = info["items"][0]
    item = by_title[first["title"]]
    assert item["itemType"] == first["itemType"]
    assert item["abstractNote"] == first["abstractNote"] and item["DOI"] == first["DOI"]
    assert [c.get("lastName") or c.get("name") for c in item["creators"]] == [
        c.get("lastName") or c.get("name") for c in first["creators"]
    ]
    assert snap.collection_path(item["collections"][0]) == "Physics/Waves"
    paper = next(p for p in snap.papers() if p.title == first["title"])
    assert paper.collections == ["Physics/Waves"] and paper.doi
    assert "In a group library" not in by_title
    assert all(i["itemType"] not in ("note", "attachment") for i in snap.items)


def test_reads_commits_that_are_only_in_the_wal_while_zotero_holds_its_lock(tmp_path, schema, shared_data):
    zdb, info = build(tmp_path, schema, shared_data, wal=True)
    # like Zotero 10: exclusive locking, WAL not checkpointed, connection kept open
    zdb.db.execute("PRAGMA locking_mode=EXCLUSIVE")
    zdb.db.execute("BEGIN")
    zdb.add_item(
        {
            "itemType": "preprint",
            "title": "Only in the WAL",
            "archiveID": "arXiv:2509.00001",
            "repository": "arXiv",
            "creators": [{"firstName": "Ada", "lastName": "Lovelace"}],
        }
    )
    zdb.db.execute("COMMIT")
    path = tmp_path / "zotero.sqlite"
    assert (tmp_path / "zotero.sqlite-wal").stat().st_size > 0
    with pytest.raises(sqlite3.OperationalError):  # a plain SQLite reader is locked out
        sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=0.1).execute("SELECT count(*) FROM items").fetchone()
    before = _digest(path)
    lib = ZoteroSqliteLibrary(path)
    snap = lib.snapshot()
    titles = {i["title"] for i in snap.items}
    assert "Only in the WAL" in titles
    wal_item = next(i for i in snap.items if i["title"] == "Only in the WAL")
    assert wal_item["archiveID"] == "arXiv:2509.00001" and wal_item["repository"] == "arXiv"
    assert _digest(path) == before
    assert lib.probe() == {
        "backend": "sqlite",
        "description": lib.description,
        "reachable": True,
        "items": len(snap.items),
        "writable": False,
        "problem": None,
    }
    zdb.db.close()


def test_never_writes(tmp_path, schema, shared_data):
    zdb, _ = build(tmp_path, schema, shared_data)
    zdb.db.close()
    lib = open_library({"backend": "sqlite", "library": str(tmp_path / "zotero.sqlite")})
    assert isinstance(lib, ZoteroSqliteLibrary) and lib.writable() is False
    assert lib.ensure_collection("Physics/Waves")  # an existing collection is found
    with pytest.raises(LibraryError, match="read-only") as err:
        lib.ensure_collection("zotrec: Recommended")
    assert "Web API" in str(err.value) and "export" in str(err.value)
    with pytest.raises(LibraryError, match="read-only"):
        lib.create_items([{"itemType": "preprint", "title": "x"}])


def test_missing_or_foreign_file(tmp_path):
    with pytest.raises(LibraryError, match="no such file"):
        ZoteroSqliteLibrary(tmp_path / "nope.sqlite").snapshot()
    other = tmp_path / "other.sqlite"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    with pytest.raises(LibraryError, match="not a Zotero database"):
        ZoteroSqliteLibrary(other).snapshot()
    text = tmp_path / "text.sqlite"
    text.write_text("hello")
    with pytest.raises(LibraryError, match="not a Zotero database"):
        ZoteroSqliteLibrary(text).snapshot()
