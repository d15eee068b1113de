"""Lazy library items: the same snapshot as the decoded one, decoded only beyond their head."""

from __future__ import annotations

import copy
import json
import pickle

from zotrec.library.embedded import EmbeddedLibrary
from zotrec.library.items import paper_to_item
from zotrec.library.lazy import HEAD, HeadCache, LazyItem, head_of
from zotrec.paper import Paper

FULL = {
    "key": "ABCD2345",
    "version": 7,
    "itemType": "preprint",
    "title": "Dark matter halos",
    "abstractNote": "We measure halos.",
    "creators": [{"creatorType": "author", "firstName": "A", "lastName": "Bee"}],
    "collections": ["C1"],
    "tags": [{"tag": "x"}],
    "publicationTitle": None,
}


def lazy() -> LazyItem:
    return LazyItem(head_of(FULL), json.dumps(FULL))


def test_the_head_answers_without_decoding():
    item = lazy()
    assert item.get("title") == "Dark matter halos" and item["collections"] == ["C1"]
    assert item.get("dateAdded") is None and "proceedingsTitle" not in item  # known to be absent
    assert item.get("publicationTitle", "x") is None  # present as null, as decoded
    assert item._raw is not None


def test_anything_beyond_the_head_is_the_decoded_item():
    assert lazy().get("abstractNote") == FULL["abstractNote"] and lazy()["creators"] == FULL["creators"]
    for view in (
        lambda i: i,
        dict,
        lambda i: {**i},
        lambda i: json.loads(json.dumps(i)),
        lambda i: json.loads(json.dumps(i, sort_keys=True)),
        lambda i: pickle.loads(pickle.dumps(i)),
        copy.copy,
        copy.deepcopy,
        lambda i: i.copy(),
        lambda i: dict(i.items()),
    ):
        assert view(lazy()) == FULL
    assert list(lazy()) == list(FULL) and len(lazy()) == len(FULL) and repr(lazy()) == repr(FULL)
    assert type(pickle.loads(pickle.dumps(lazy()))) is dict
    item = lazy()
    item["title"] = "Edited"  # a write decodes first: the text never overwrites it
    assert item["title"] == "Edited" and item["abstractNote"] == FULL["abstractNote"]
    assert set(HEAD) >= set(head_of(FULL)) and "abstractNote" not in head_of(FULL)


def test_lazy_snapshot_equals_the_decoded_one_and_decodes_only_changed_items(tmp_path, monkeypatch):
    monkeypatch.setenv("ZOTREC_HOME", str(tmp_path / "home"))
    lib = EmbeddedLibrary(tmp_path / "library.sqlite")
    papers = [Paper(title=f"Paper {n}", abstract=f"Abstract {n}.", authors=["Ann Bee"]) for n in range(6)]
    lib.create_items([paper_to_item(p) for p in papers])
    first = lib.snapshot(lazy=True)  # no heads yet: every item decoded, heads kept
    assert not any(isinstance(i, LazyItem) for i in first.items)
    key = first.items[2]["key"]
    lib.update_item(key, {"title": "Paper 2, revised"})
    lib.delete_item(first.items[4]["key"])
    second = lib.snapshot(lazy=True)
    eager = lib.snapshot()
    lazies = [i for i in second.items + second.trashed if isinstance(i, LazyItem)]
    assert len(lazies) == 4  # the edited and the trashed item were decoded again
    assert all(i._raw is not None for i in lazies)
    assert second.items == eager.items and second.trashed == eager.trashed and second.version == eager.version
    heads = HeadCache(tmp_path / "library.sqlite")
    assert heads.heads[key][2]["title"] == "Paper 2, revised"
    lib.close()
