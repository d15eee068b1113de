"""LocalLibrary (pyzotero local=True) against the loopback server mounted at /api with local semantics."""

from __future__ import annotations

import pytest
from test_zotero_web import arxiv_papers, library_items
from zotero_server import ZoteroServer

from zotrec.errors import LibraryError
from zotrec.library import open_library
from zotrec.library.items import note_item, paper_to_item
from zotrec.library.local import LocalLibrary, authorize_local


def local_lib(server: ZoteroServer, tmp_path, **kw) -> LocalLibrary:
    kw.setdefault("base_delay", 0.01)
    return LocalLibrary(endpoint=server.endpoint, cache_path=tmp_path / "cache.sqlite", **kw)


def test_read_on_zotero_7_and_incremental(shared_data, tmp_path):
    with ZoteroServer(local=True) as server:  # Zotero 7-9: read-only local API
        assert server.endpoint.endswith("/api")
        keys = server.load(library_items(shared_data, 230))
        lib = local_lib(server, tmp_path)
        snap = lib.snapshot()
        assert len(snap.items) == 230
        assert server.count("/items/top") == 3  # pages of 100; Link URLs carry /api
        server.touch_item(keys[0], title="Edited in the desktop app")
        server.reset_log()
        again = local_lib(server, tmp_path).snapshot()
        assert {i["key"]: i for i in again.items}[keys[0]]["title"] == "Edited in the desktop app"
        assert server.count() <= 4  # server check + 3 incremental requests
        assert lib.probe()["writable"] is False


def test_writes_on_old_zotero_say_what_to_do(shared_data, tmp_path):
    with ZoteroServer(local=True) as server:
        lib = local_lib(server, tmp_path, local_api_key="somekey")
        with pytest.raises(LibraryError) as err:
            lib.ensure_collection("zotrec: Recommended")
        message = str(err.value)
        assert "Zotero 10" in message and "Web API" in message and "export" in message
        assert server.lib.collections == {}
        with pytest.raises(LibraryError, match="Zotero 10"):
            authorize_local(endpoint=server.endpoint)
        # without a key: the message says how to get one
        with pytest.raises(LibraryError, match="zotrec auth local"):
            local_lib(server, tmp_path).create_items([{"itemType": "preprint", "title": "x"}])


def test_local_api_disabled_or_not_running(tmp_path):
    with ZoteroServer(local=True) as server:
        server.local_api_enabled = False
        with pytest.raises(LibraryError, match="Allow other applications"):
            local_lib(server, tmp_path).snapshot()
    lib = LocalLibrary(endpoint="http://127.0.0.1:9/api", cache_path=tmp_path / "c.sqlite", base_delay=0.01)
    with pytest.raises(LibraryError, match="is the Zotero app running"):
        lib.snapshot()


def test_writes_on_zotero_10_with_an_authorized_key(shared_data, tmp_path):
    with ZoteroServer(local=True, local_writes=True) as server:
        server.load(library_items(shared_data, 20))
        granted = authorize_local("zotrec", endpoint=server.endpoint)
        assert granted["remember"] is True and granted["key"] in server.local_keys
        lib = local_lib(server, tmp_path, local_api_key=granted["key"])
        assert lib.probe()["writable"] is True
        coll = lib.ensure_collection("zotrec: Recommended")
        papers = arxiv_papers(shared_data, 5)
        items = [paper_to_item(p, collections=[coll], tags=["zotrec"]) for p in papers]
        # the connection drops after the server committed the batch: the retry reuses the token
        server.faults.drop_after_commit = {server.writes + 1}
        result = lib.create_items(items)
        assert sorted(result.created) == list(range(5))
        notes = lib.create_items([note_item(k, "<p>why</p>") for k in result.created.values()])
        assert len(notes.created) == 5
        in_coll = server.collection_items(coll)
        assert sorted(i["archiveID"] for i in in_coll) == sorted(f"arXiv:{p.arxiv_id}" for p in papers)
        assert all(len(server.children(i["key"])) == 1 for i in in_coll)
        # every write carried the server ID and the key (the server refuses writes without them)
        assert all(r.status in (200, -200, 412) for r in server.log if r.method == "POST")
        snap = lib.snapshot()
        assert len(snap.items_in_collection(coll)) == 5


def test_wrong_local_key(tmp_path):
    with ZoteroServer(local=True, local_writes=True) as server:
        lib = local_lib(server, tmp_path, local_api_key="not-a-granted-key")
        with pytest.raises(LibraryError, match="zotrec auth local"):
            lib.ensure_collection("zotrec: Recommended")
        assert lib.probe()["writable"] is False


def test_open_library_local(tmp_path):
    with ZoteroServer(local=True) as server:
        lib = open_library({"backend": "local", "endpoint": server.endpoint}, cache_dir=tmp_path)
        assert isinstance(lib, LocalLibrary)
        assert lib.probe()["reachable"] is True


def test_incremental_read_without_a_deleted_endpoint(shared_data, tmp_path):
    with ZoteroServer(local=True) as server:
        server.missing_endpoints = {"/deleted"}
        keys = server.load(library_items(shared_data, 30))
        lib = local_lib(server, tmp_path)
        assert len(lib.snapshot().items) == 30
        server.delete_item(keys[0])
        server.touch_item(keys[1], title="changed")
        snap = lib.snapshot()
        assert keys[0] not in {i["key"] for i in snap.items} and len(snap.items) == 29
        assert {i["key"]: i["title"] for i in snap.items}[keys[1]] == "changed"
