"""WebLibrary (real pyzotero) against the loopback Zotero Web API server: reads, counts, writes, errors."""

from __future__ import annotations

import logging
from datetime import date
from functools import cache
from pathlib import Path

import pytest
from zotero_server import ZoteroServer, arxiv_records, items_from_bibtex

from zotrec.config import load_config
from zotrec.errors import ConfigError, LibraryError
from zotrec.library import open_library
from zotrec.library.items import note_item, paper_to_item
from zotrec.library.web import WebLibrary
from zotrec.paper import Paper, dedupe

BIB = "libraries/astro-bbt-Straw674/zotero_library_2026_0605.bib"
ARXIV = "corpora/arxiv-daily-cs/2025-09-01.jsonl"


@cache
def _bib_items(path: str) -> tuple:
    return tuple(items_from_bibtex(path))


def library_items(shared_data: Path, limit: int = 1000) -> list[dict]:
    """``limit`` real items (a Zotero BibTeX export of an astrophysics library)."""
    import copy

    return copy.deepcopy(list(_bib_items(str(shared_data / BIB))[:limit]))


def arxiv_papers(shared_data: Path, limit: int = 20, skip: int = 0) -> list[Paper]:
    out = []
    for rec in arxiv_records(shared_data / ARXIV):
        out.append(
            Paper(
                title=rec["title"],
                abstract=rec["summary"],
                authors=rec["authors"],
                arxiv_id=rec["id"],
                date=date(2025, 9, 1),
                source="arxiv",
            )
        )
    return dedupe(out)[skip : skip + limit]  # the day's file lists some papers twice


@pytest.fixture
def server():
    with ZoteroServer() as srv:
        yield srv


def make_lib(server: ZoteroServer, tmp_path: Path, **kw) -> WebLibrary:
    kw.setdefault("api_key", server.api_key)
    kw.setdefault("cache_path", tmp_path / "cache.sqlite")
    kw.setdefault("base_delay", 0.01)
    return WebLibrary(library_id=server.library_id, library_type=server.library_type, endpoint=server.endpoint, **kw)


# ------------------------------------------------------------------------------------------ reads
def test_first_read_is_one_request_per_100_items_then_incremental(server, tmp_path, shared_data):
    keys = server.load(library_items(shared_data, 1000))
    lib = make_lib(server, tmp_path)
    snap = lib.snapshot()
    assert len(snap.items) == 1000
    assert server.count("/items/top") == 10  # 1,000 items: 10 pages of 100
    assert server.count("/collections") == 1
    assert server.count() == 11
    lib.close()

    # unchanged: a new process (new object, same cache file) costs <= 2 requests
    server.reset_log()
    lib = make_lib(server, tmp_path)
    again = lib.snapshot()
    assert server.count() <= 2
    assert again.version == snap.version and len(again.items) == 1000

    # five items change (edited, retitled, trashed, deleted): <= 3 requests
    server.touch_item(keys[0], title="A new title")
    server.touch_item(keys[1], abstractNote="changed abstract")
    server.touch_item(keys[2], tags=[{"tag": "read"}])
    server.trash_item(keys[3])
    server.delete_item(keys[4])
    server.reset_log()
    changed = lib.snapshot()
    assert server.count() <= 3
    by_key = {i["key"]: i for i in changed.items}
    assert by_key[keys[0]]["title"] == "A new title"
    assert by_key[keys[1]]["abstractNote"] == "changed abstract"
    assert by_key[keys[2]]["tags"] == [{"tag": "read"}]
    assert keys[3] not in by_key and keys[3] in {i["key"] for i in changed.trashed}
    assert keys[4] not in by_key
    assert len(changed.items) == 998
    assert changed.version == server.lib.version
    # and the same state comes from a fresh full read
    fresh = make_lib(server, tmp_path / "other").snapshot()
    assert sorted(i["key"] for i in fresh.items) == sorted(by_key)


def test_collections_paths_trash_and_children_are_not_papers(server, tmp_path, shared_data):
    server.load(
        [],
        collections=[
            {"key": "AAAAAAAA", "name": "Physics"},
            {"key": "BBBBBBBB", "name": "Waves", "parentCollection": "AAAAAAAA"},
        ],
    )
    items = library_items(shared_data, 5)
    items[0]["collections"] = ["BBBBBBBB"]
    keys = server.load(items)
    server.load(
        [
            {"itemType": "note", "note": "<p>child</p>", "parentItem": keys[0]},
            {
                "itemType": "attachment",
                "title": "PDF",
                "linkMode": "linked_url",
                "url": "https://x.org/a.pdf",
                "parentItem": keys[0],
            },
            {"itemType": "note", "note": "<p>standalone</p>"},
        ]
    )
    server.trash_item(keys[1])
    snap = make_lib(server, tmp_path).snapshot()
    assert {i["key"] for i in snap.items} == set(keys) - {keys[1]}
    assert [i["key"] for i in snap.trashed] == [keys[1]]
    assert snap.collection_path("BBBBBBBB") == "Physics/Waves"
    assert snap.find_collection("Physics/Waves") == "BBBBBBBB"
    paper = next(p for p in snap.papers() if p.key == keys[0])
    assert paper.collections == ["Physics/Waves"]
    assert paper.abstract and paper.authors


def test_full_read_restarts_when_the_library_changes_between_pages(server, tmp_path, shared_data):
    keys = server.load(library_items(shared_data, 250))
    state = {"n": 0}

    def meddle(req):
        if req.path.endswith("/items/top"):
            state["n"] += 1
            if state["n"] == 2:  # someone deletes an item while zotrec reads page 2
                server.delete_item(keys[10])

    server.on_request = meddle
    snap = make_lib(server, tmp_path).snapshot()
    server.on_request = None
    assert sorted(i["key"] for i in snap.items) == sorted(set(keys) - {keys[10]})
    assert snap.version == server.lib.version


def test_version_changed_behind_the_clients_back(server, tmp_path, shared_data):
    server.load(library_items(shared_data, 30))
    lib = make_lib(server, tmp_path)
    lib.snapshot()
    server.bump_version(7)  # e.g. a settings or tag change elsewhere: no item changed
    snap = lib.snapshot()
    assert snap.version == server.lib.version and len(snap.items) == 30
    server.reset_log()
    lib.snapshot()
    assert server.count() == 1


# ------------------------------------------------------------------------------------------ writes
def test_ensure_collection_nested_and_idempotent(server, tmp_path):
    lib = make_lib(server, tmp_path)
    key = lib.ensure_collection("zotrec: Recommended/Gravitational waves")
    parent = server.collection_by_name("zotrec: Recommended")
    assert parent and server.collection_by_name("Gravitational waves", parent) == key
    server.reset_log()
    assert lib.ensure_collection("zotrec: Recommended/Gravitational waves") == key
    assert server.count(method="POST") == 0
    # another process finds it too (no second collection)
    other = make_lib(server, tmp_path / "b")
    assert other.ensure_collection("zotrec: Recommended/Gravitational waves") == key
    assert len(server.lib.collections) == 2


def test_create_items_with_all_fields_and_child_notes(server, tmp_path, shared_data):
    lib = make_lib(server, tmp_path)
    coll = lib.ensure_collection("zotrec: Recommended")
    papers = arxiv_papers(shared_data, 3)
    papers[0].doi = "10.48550/arXiv." + papers[0].arxiv_id
    journal = Paper(
        title="A journal paper about learning dynamics",
        abstract="We study x.",
        authors=["Ada Lovelace"],
        doi="10.1103/PhysRevLett.116.061102",
        journal="Physical Review Letters",
        date=date(2016, 2, 11),
    )
    items = [paper_to_item(p, collections=[coll], tags=["zotrec", "topic: vision"]) for p in papers + [journal]]
    result = lib.create_items(items)
    assert sorted(result.created) == [0, 1, 2, 3] and not result.failed
    stored = server.lib.items[result.created[0]]
    assert stored["itemType"] == "preprint"
    assert stored["title"] == papers[0].title
    assert stored["abstractNote"] == papers[0].abstract
    assert stored["creators"][0] == {
        "creatorType": "author",
        "firstName": papers[0].authors[0].rsplit(" ", 1)[0],
        "lastName": papers[0].authors[0].rsplit(" ", 1)[1],
    }
    assert len(stored["creators"]) == len(papers[0].authors)
    assert stored["date"] == "2025-09-01"
    assert stored["url"] == f"https://arxiv.org/abs/{papers[0].arxiv_id}"
    assert stored["DOI"] == papers[0].doi
    assert stored["archiveID"] == f"arXiv:{papers[0].arxiv_id}"
    assert stored["repository"] == "arXiv"
    assert {t["tag"] for t in stored["tags"]} == {"zotrec", "topic: vision"}
    assert stored["collections"] == [coll]
    article = server.lib.items[result.created[3]]
    assert article["itemType"] == "journalArticle" and article["publicationTitle"] == "Physical Review Letters"

    notes = lib.create_items(
        [note_item(result.created[i], f"<p>Recommended by zotrec: score {i}</p>") for i in range(4)]
    )
    assert sorted(notes.created) == [0, 1, 2, 3]
    children = server.children(result.created[0])
    assert len(children) == 1 and children[0]["note"] == "<p>Recommended by zotrec: score 0</p>"
    assert "collections" not in children[0] or children[0]["collections"] == []
    # the collection holds exactly the four items; the snapshot shows them as papers, notes excluded
    assert len(server.collection_items(coll)) == 4
    snap = lib.snapshot()
    assert len(snap.items_in_collection(coll)) == 4


def test_batches_of_at_most_50_and_partial_failures(server, tmp_path, shared_data):
    lib = make_lib(server, tmp_path)
    coll = lib.ensure_collection("zotrec: Recommended")
    papers = arxiv_papers(shared_data, 110)
    items = [paper_to_item(p, collections=[coll], tags=["zotrec"]) for p in papers]
    items[7]["collections"] = ["ZZZZZZZZ"]  # unknown collection: failed with 409, the rest lands
    server.reset_log()
    result = lib.create_items(items)
    assert server.count("/items", method="POST") == 3  # 50 + 50 + 10
    assert all(r.status == 200 for r in server.log if r.method == "POST")
    assert len(result.created) == 109
    assert result.failed[7].startswith("409") and "ZZZZZZZZ" in result.failed[7]
    assert len(server.collection_items(coll)) == 109
    # the failed one is retried next run; the others are not written twice
    items[7]["collections"] = [coll]
    again = lib.create_items(items)
    assert len(again.created) == 110 and not again.failed
    assert len(server.collection_items(coll)) == 110


def test_never_modifies_items_it_did_not_create(server, tmp_path, shared_data):
    keys = server.load(library_items(shared_data, 3))
    before = server.items()
    lib = make_lib(server, tmp_path)
    # even an item that names an existing user key is refused by the server (version 0), not overwritten
    result = lib.create_items([{"itemType": "preprint", "title": "Hijack", "key": keys[0], "version": 0}])
    assert result.failed[0].startswith("412") and not result.created
    assert server.items()[:3] == before
    assert all(r.method in ("GET", "POST") for r in server.log)


# ------------------------------------------------------------------------------------------ errors
def test_bad_key_forbidden_message_names_the_setting_and_hides_the_key(server, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    secret = "WRONGKEY9876543210secret"
    lib = make_lib(server, tmp_path, api_key=secret)
    with pytest.raises(LibraryError) as err:
        lib.snapshot()
    message = str(err.value)
    assert "ZOTERO_API_KEY" in message and "403" in message
    assert "\n" not in message and secret not in message
    assert secret not in caplog.text
    info = lib.probe()
    assert info["reachable"] is False and secret not in str(info)


def test_unknown_library_is_a_404_message(server, tmp_path):
    lib = WebLibrary(
        api_key=server.api_key, library_id="999", endpoint=server.endpoint, cache_path=tmp_path / "c.sqlite"
    )
    with pytest.raises(LibraryError, match="ZOTERO_LIBRARY_ID"):
        lib.snapshot()
    with pytest.raises(ConfigError, match="numeric"):
        WebLibrary(api_key="x", library_id="someuser", endpoint=server.endpoint)


def test_write_access_denied(server, tmp_path, shared_data):
    server.write_access = False
    lib = make_lib(server, tmp_path)
    with pytest.raises(LibraryError, match="write access"):
        lib.ensure_collection("zotrec: Recommended")
    info = lib.probe()
    assert info["reachable"] and info["writable"] is False
    assert server.api_key not in str(info)


def test_probe_and_open_library(server, tmp_path, shared_data, monkeypatch):
    server.load(library_items(shared_data, 42))
    monkeypatch.setenv("ZOTREC_ZOTERO_ENDPOINT", server.endpoint)
    monkeypatch.setenv("ZOTERO_API_KEY", server.api_key)
    monkeypatch.setenv("ZOTERO_LIBRARY_ID", server.library_id)
    lib = open_library(load_config().zotero, cache_dir=tmp_path)  # the environment is read by the config only
    assert isinstance(lib, WebLibrary) and lib.endpoint == server.endpoint
    info = lib.probe()
    assert info == {
        "backend": "web",
        "description": lib.description,
        "reachable": True,
        "items": 42,
        "writable": True,
        "problem": None,
    }
    assert server.api_key not in lib.description
    assert len(lib.snapshot().items) == 42
    lib.close()
    with pytest.raises(ConfigError):
        open_library({"backend": "nope"})


def test_unreachable_server_is_a_clear_failure(tmp_path):
    lib = WebLibrary(
        api_key="k",
        library_id="1",
        endpoint="http://127.0.0.1:9",
        max_retries=1,
        base_delay=0.01,
        cache_path=tmp_path / "c.sqlite",
    )
    with pytest.raises(LibraryError, match="did not answer"):
        lib.snapshot()
    assert lib.probe()["reachable"] is False


def test_group_library(tmp_path, shared_data):
    with ZoteroServer(library_type="group", library_id="4711") as server:
        server.load(library_items(shared_data, 12))
        lib = make_lib(server, tmp_path)
        assert lib.description.endswith("/groups/4711")
        assert len(lib.snapshot().items) == 12
        coll = lib.ensure_collection("zotrec: Recommended")
        result = lib.create_items([paper_to_item(p, collections=[coll]) for p in arxiv_papers(shared_data, 3)])
        assert len(result.created) == 3 and len(server.collection_items(coll)) == 3
        assert lib.probe()["writable"] is True


def test_a_corrupt_cache_costs_one_full_read(server, tmp_path, shared_data):
    server.load(library_items(shared_data, 150))
    make_lib(server, tmp_path).snapshot()
    (tmp_path / "cache.sqlite").write_bytes(b"this is not a database" * 100)
    server.reset_log()
    snap = make_lib(server, tmp_path).snapshot()
    assert len(snap.items) == 150 and server.count("/items/top") == 2
    server.reset_log()
    make_lib(server, tmp_path).snapshot()
    assert server.count() == 1
    assert list(tmp_path.glob("cache.sqlite.corrupt-*"))


def test_after_request_hook_sees_committed_writes(server, tmp_path):
    seen = []
    server.after_request = lambda req: seen.append((req.method, req.status, len(server.lib.collections)))
    make_lib(server, tmp_path).ensure_collection("zotrec: Recommended")
    assert ("POST", 200, 1) in seen
