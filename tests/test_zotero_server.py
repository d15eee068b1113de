"""The loopback server itself: response shapes against recorded real responses, v3 write rules, script mode."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx2
import pytest
from pyzotero import errors as ze
from pyzotero import zotero
from zotero_server import KEY_RE, ZoteroServer

HERE = Path(__file__).resolve().parent


@pytest.fixture
def server():
    with ZoteroServer() as srv:
        yield srv


@pytest.fixture
def zot(server):
    z = zotero.Zotero(
        server.library_id,
        "user",
        server.api_key,
        client=httpx2.Client(trust_env=False, follow_redirects=True, timeout=30),
    )
    z.endpoint = server.endpoint
    return z


def _shape(value, depth: int = 0):
    """Type skeleton of a JSON value (dict keys, element types) for shape comparisons."""
    if isinstance(value, dict):
        return {k: _shape(v, depth + 1) for k, v in value.items()} if depth < 2 else "object"
    if isinstance(value, list):
        return "array"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    return "string" if isinstance(value, str) else "null"


def _record(shared_data: Path, name: str):
    return json.loads((shared_data / "zotero-api" / name).read_text(encoding="utf-8"))


def test_item_and_collection_shapes_match_recorded_responses(server, zot, shared_data):
    server.load([], collections=[{"key": "N7W92H48", "name": "LoC"}])
    server.load(
        [
            {
                "itemType": "book",
                "title": "A book",
                "creators": [{"creatorType": "author", "name": "Inst."}],
                "collections": ["N7W92H48"],
            }
        ]
    )
    real_item = _record(shared_data, "item_doc.json")
    ours = zot.items()[0]
    assert set(ours) == set(real_item)  # key, version, library, links, meta, data
    assert set(ours["library"]) == set(real_item["library"])
    assert set(ours["links"]) >= {"self", "alternate"}
    assert set(ours["meta"]) <= set(real_item["meta"]) | {"numChildren"}
    assert set(real_item["data"]) - set(ours["data"]) <= {
        "series",
        "seriesNumber",
        "volume",
        "numberOfVolumes",
        "edition",
        "place",
        "publisher",
        "numPages",
        "ISBN",
        "accessDate",
        "archive",
        "archiveLocation",
        "libraryCatalog",
        "callNumber",
        "shortTitle",
        "language",
        "rights",
        "extra",
        "abstractNote",
        "date",
        "url",
    }
    assert KEY_RE.match(ours["key"]) and ours["data"]["key"] == ours["key"]
    real_colls = _record(shared_data, "collections_doc.json")
    our_coll = zot.collections()[0]
    assert _shape(our_coll)["data"].keys() == _shape(real_colls[0])["data"].keys()
    assert our_coll["data"]["parentCollection"] is False  # top level is false, as recorded
    assert set(our_coll["meta"]) == set(real_colls[0]["meta"])
    assert set(our_coll) == set(real_colls[0])
    # versions, keys and tags
    versions = zot.item_versions()
    assert versions and all(KEY_RE.match(k) and isinstance(v, int) for k, v in versions.items())
    assert all(isinstance(v, int) for v in _record(shared_data, "item_versions.json").values())
    keys = httpx2.get(
        f"{server.endpoint}{server.prefix}/items", params={"format": "keys"}, headers={"Zotero-API-Key": server.api_key}
    ).text
    assert keys.endswith("\n") and all(KEY_RE.match(k) for k in keys.split())
    server.touch_item(list(versions)[0], tags=[{"tag": "banana"}])
    raw_tags = httpx2.get(f"{server.endpoint}{server.prefix}/tags", headers={"Zotero-API-Key": server.api_key}).json()
    assert set(raw_tags[0]) == set(_record(shared_data, "tags_doc.json")[0])
    assert set(raw_tags[0]["meta"]) == {"type", "numItems"}
    assert zot.tags() == ["banana"]


def test_templates_and_item_fields(zot):
    preprint = zot.item_template("preprint")
    assert {"archiveID", "repository", "DOI", "abstractNote", "citationKey"} <= set(preprint)
    assert preprint["creators"] == [{"creatorType": "author", "firstName": "", "lastName": ""}]
    assert zot.item_template("note") == {"itemType": "note", "note": "", "tags": [], "collections": [], "relations": {}}
    article = zot.item_template("journalArticle")
    assert "publicationTitle" in article and "archiveID" not in article
    fields = {f["field"] for f in zot.item_fields()}
    assert {"archiveID", "repository", "citationKey", "title", "abstractNote", "DOI", "url", "date"} <= fields
    # so pyzotero's check_items/update_item accept zotrec's fields
    result = zot.create_items([dict(preprint, title="T", archiveID="arXiv:2401.00001", repository="arXiv")])
    item = zot.item(result["success"]["0"])
    item["data"]["title"] = "T2"
    assert zot.update_item(item["data"]) is True


def test_pagination_links_totals_and_unknown_parameters(server, zot):
    server.load([{"itemType": "preprint", "title": f"Paper {i}"} for i in range(130)])
    page = zot.top(limit=50, unknownParam="x")
    assert len(page) == 50 and zot.request.headers["Total-Results"] == "130"
    assert "start=50" in zot.links["next"] and "start=100" in zot.links["last"]
    assert len(zot.everything(zot.top(limit=50))) == 130
    assert zot.num_items() == 130
    r = httpx2.get(f"{server.endpoint}{server.prefix}/items", headers={"Zotero-API-Key": server.api_key})
    assert len(r.json()) == 25  # default limit
    version = int(r.headers["Last-Modified-Version"])
    r = httpx2.get(
        f"{server.endpoint}{server.prefix}/items",
        headers={"Zotero-API-Key": server.api_key, "If-Modified-Since-Version": str(version)},
    )
    assert r.status_code == 304


def test_write_rules(server, zot):
    url = f"{server.endpoint}{server.prefix}/items"
    auth = {"Zotero-API-Key": server.api_key}
    item = {"itemType": "preprint", "title": "x"}
    assert httpx2.post(url, json=[item] * 51, headers=auth).status_code == 413
    token = {"Zotero-Write-Token": "a" * 32, **auth}
    first = httpx2.post(url, json=[item], headers=token)
    assert first.status_code == 200 and set(first.json()) == {"successful", "success", "unchanged", "failed"}
    again = httpx2.post(url, json=[item], headers=token)
    assert again.status_code == 412 and "token" in again.text.lower()
    assert httpx2.post(url, json=[item], headers={"Zotero-Write-Token": "abc", **auth}).status_code == 400
    stale = httpx2.post(url, json=[item], headers={"If-Unmodified-Since-Version": "0", **auth})
    assert stale.status_code == 412
    key = first.json()["success"]["0"]
    keyed = httpx2.post(url, json=[{"key": key, "title": "y"}], headers=auth).json()
    assert keyed["failed"]["0"]["code"] == 428
    mine = httpx2.post(
        url, json=[{"key": "ABCDEFGH", "version": 0, "itemType": "preprint", "title": "z"}], headers=auth
    ).json()
    assert mine["success"] == {"0": "ABCDEFGH"}
    taken = httpx2.post(
        url, json=[{"key": "ABCDEFGH", "version": 0, "itemType": "preprint", "title": "z2"}], headers=auth
    ).json()
    assert taken["failed"]["0"]["code"] == 412 and server.lib.items["ABCDEFGH"]["title"] == "z"
    unknown = httpx2.post(url, json=[dict(item, collections=["ZZZZZZZZ"])], headers=auth).json()
    assert unknown["failed"]["0"] == {
        "code": 409,
        "message": "Collection ZZZZZZZZ not found",
        "data": {"collection": "ZZZZZZZZ"},
    }
    bad_field = httpx2.post(url, json=[{"itemType": "book", "DOI": "10.1/x"}], headers=auth).json()
    assert bad_field["failed"]["0"]["code"] == 400 and "DOI" in bad_field["failed"]["0"]["message"]
    single = httpx2.patch(f"{url}/{key}", json={"title": "w"}, headers=auth)
    assert single.status_code == 428
    with pytest.raises(ze.PreConditionFailedError):
        zot.update_item({"key": key, "version": 0, "title": "w"})
    deleted = httpx2.get(f"{server.endpoint}{server.prefix}/deleted", headers=auth)
    assert deleted.status_code == 400
    assert httpx2.get(f"{server.endpoint}/users/999/items", headers=auth).status_code == 404
    assert httpx2.get(url, headers={"Zotero-API-Key": "nope"}).status_code == 403


def test_script_mode(tmp_path):
    data = tmp_path / "lib.json"
    data.write_text(
        json.dumps({"items": [{"itemType": "preprint", "title": "From a file"}], "collections": [{"name": "C"}]})
    )
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "zotero_server.py"), "--port", "0", "--load", str(data)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline().split()
        assert line[0] == "READY"
        items = httpx2.get(
            f"{line[1]}/users/123456/items", headers={"Zotero-API-Key": "TESTKEY0123456789abcdefXYZ"}
        ).json()
        assert [i["data"]["title"] for i in items] == ["From a file"]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
