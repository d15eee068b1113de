"""The embedded library backend, import of real Zotero exports, and collection export."""

from __future__ import annotations

import json
import sqlite3

import pytest
import rispy

from zotrec.errors import LibraryError
from zotrec.library.base import Library
from zotrec.library.embedded import KEY_ALPHABET, EmbeddedLibrary
from zotrec.library.items import note_item, paper_to_item
from zotrec.library.transfer import export_collection, import_file, snapshot_from_file
from zotrec.paper import Paper

PAPER = Paper(
    title="Limits and Powers of Koopman Learning",
    abstract="Dynamical systems provide a comprehensive way to study complex behaviours.",
    authors=["Matthew J. Colbrook", "Igor Mezic", "Alexei Stepanenko"],
    arxiv_id="2407.06312v2",
)


def test_protocol_and_item_shape(tmp_path):
    lib = EmbeddedLibrary(tmp_path / "l.sqlite")
    assert isinstance(lib, Library)
    coll = lib.ensure_collection("zotrec: Recommended/cs.LG")
    assert lib.ensure_collection("zotrec: Recommended/cs.LG") == coll  # found, not created twice
    result = lib.create_items([paper_to_item(PAPER, collections=[coll], tags=["zotrec"])])
    key = result.created[0]
    assert len(key) == 8 and set(key) <= set(KEY_ALPHABET)
    item = lib.item(key)
    assert item["itemType"] == "preprint"
    assert item["archiveID"] == "arXiv:2407.06312" and item["repository"] == "arXiv"
    assert item["creators"][1] == {"creatorType": "author", "firstName": "Igor", "lastName": "Mezic"}
    assert item["url"] == "https://arxiv.org/abs/2407.06312"
    snap = lib.snapshot()
    assert snap.collection_path(coll) == "zotrec: Recommended/cs.LG"
    assert snap.papers()[0].collections == ["zotrec: Recommended/cs.LG"]
    assert snap.version == lib.version >= 3


def test_write_token_never_writes_twice(tmp_path):
    lib = EmbeddedLibrary(tmp_path / "l.sqlite")
    item = paper_to_item(PAPER)
    first = lib.create_items([item], write_token="a" * 32)
    again = lib.create_items([item], write_token="a" * 32)
    assert again.token_already_used and again.created == first.created
    assert len(lib.snapshot().items) == 1


def test_failed_entries_are_reported(tmp_path):
    lib = EmbeddedLibrary(tmp_path / "l.sqlite")
    good = paper_to_item(PAPER)
    bad = paper_to_item(PAPER, collections=["ABCD2345"])
    result = lib.create_items([good, bad, note_item("ZZZZ9999", "<p>x</p>")])
    assert 0 in result.created
    assert "409" in result.failed[1] and "ABCD2345" in result.failed[1]
    assert "Parent item" in result.failed[2]
    with pytest.raises(LibraryError):
        lib.create_items([good] * 51)


def test_notes_and_trash_are_not_papers(tmp_path):
    lib = EmbeddedLibrary(tmp_path / "l.sqlite")
    key = lib.create_items([paper_to_item(PAPER)]).created[0]
    lib.create_items([note_item(key, "<p>why</p>")])
    assert len(lib.snapshot().items) == 1
    lib.trash_item(key)
    snap = lib.snapshot()
    assert snap.items == [] and snap.trashed[0]["key"] == key


def test_not_a_library_file(tmp_path):
    other = tmp_path / "other.sqlite"
    db = sqlite3.connect(other)
    db.execute("CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT)")
    db.execute("INSERT INTO meta VALUES ('format', 'something-else')")
    db.commit()
    db.close()
    with pytest.raises(LibraryError, match="not a zotrec library"):
        EmbeddedLibrary(other)
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"\x00garbage" * 100)
    with pytest.raises(LibraryError, match="junk.sqlite"):
        EmbeddedLibrary(junk)


@pytest.mark.parametrize(
    "folder,name,min_items",
    [
        ("systemsbio-scalefreegan", "My Library.rdf", 300),
        ("biomedoptics-ajaygunalan", "My Library.json", 500),
        ("hep-ml-ChristianMichelsen", "My_Library.bib", 250),
    ],
)
def test_import_real_exports(shared_data, tmp_path, folder, name, min_items):
    target = tmp_path / "lib.sqlite"
    first = import_file(shared_data / "libraries" / folder / name, target)
    added = first.added
    assert added >= min_items and first.partial is None
    again = import_file(shared_data / "libraries" / folder / name, target)
    assert again.added == 0 and again.skipped >= added  # importing twice adds nothing
    lib = EmbeddedLibrary(target)
    papers = lib.snapshot().papers()
    lib.close()
    assert sum(1 for p in papers if p.abstract) > min_items // 3
    file_snapshot = snapshot_from_file(shared_data / "libraries" / folder / name)
    assert len(file_snapshot.items) >= added


def test_rdf_import_keeps_collections_or_tags(shared_data, tmp_path):
    target = tmp_path / "lib.sqlite"
    import_file(shared_data / "libraries" / "systemsbio-scalefreegan" / "My Library.rdf", target)
    lib = EmbeddedLibrary(target)
    papers = lib.snapshot().papers()
    lib.close()
    assert any(p.tags for p in papers) or any(p.collections for p in papers)


def _library_with_recommendation(tmp_path):
    lib = EmbeddedLibrary(tmp_path / "l.sqlite")
    coll = lib.ensure_collection("zotrec: Recommended")
    key = lib.create_items([paper_to_item(PAPER, collections=[coll], tags=["zotrec", "cs.LG"])]).created[0]
    lib.create_items([note_item(key, "<p>Score: 91</p>")])
    lib.create_items([paper_to_item(Paper(title="Not exported: an unrelated item in the library"))])
    lib.close()
    return tmp_path / "l.sqlite"


def test_export_ris(tmp_path):
    text = export_collection(_library_with_recommendation(tmp_path), "zotrec: Recommended", "ris")
    entries = rispy.loads(text)
    assert len(entries) == 1
    assert entries[0]["title"] == PAPER.title
    assert entries[0]["doi"] if PAPER.doi else True
    assert "Mezic, Igor" in entries[0]["authors"]
    assert "zotrec" in entries[0]["keywords"]


def test_export_bibtex_and_csljson(tmp_path):
    path = _library_with_recommendation(tmp_path)
    bib = export_collection(path, "zotrec: Recommended", "bibtex")
    assert "eprint = {2407.06312}" in bib and "Koopman" in bib and "unrelated" not in bib
    csl = json.loads(export_collection(path, "zotrec: Recommended", "csljson"))
    assert csl[0]["title"] == PAPER.title and csl[0]["author"][0]["family"] == "Colbrook"
    with pytest.raises(LibraryError, match="no collection"):
        export_collection(path, "Nope", "ris")
    with pytest.raises(LibraryError, match="unknown export format"):
        export_collection(path, "zotrec: Recommended", "docx")
