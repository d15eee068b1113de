"""Every fault switch of the loopback server: after the fault and a re-run, each paper is there exactly once."""

from __future__ import annotations

import pytest
from test_zotero_web import arxiv_papers, library_items, make_lib
from zotero_server import ZoteroServer

from zotrec.errors import LibraryError
from zotrec.library.items import item_to_paper, note_item, paper_to_item
from zotrec.library.web import WebLibrary
from zotrec.paper import Paper

COLLECTION = "zotrec: Recommended"


@pytest.fixture
def server(shared_data):
    with ZoteroServer() as srv:
        srv.load(library_items(shared_data, 60))
        yield srv


def push(lib: WebLibrary, papers: list[Paper]) -> dict[str, int]:
    """A minimal push as a sync does it: read, find/create the collection, skip present papers,
    create the rest, then one child note per paper (a note already there is not written twice:
    its key derives from its parent)."""
    snap = lib.snapshot()
    coll = lib.ensure_collection(COLLECTION)
    present: dict[str, str] = {}
    for item in snap.items_in_collection(coll):
        for k in item_to_paper(item).identity_keys():
            present[k] = item["key"]
    todo = [p for p in papers if not any(k in present for k in p.identity_keys())]
    result = lib.create_items([paper_to_item(p, collections=[coll], tags=["zotrec"]) for p in todo])
    keys = sorted(set(result.created.values()) | {present[p.primary_key] for p in papers if p.primary_key in present})
    notes = lib.create_items([note_item(key, "<p>Recommended by zotrec</p>") for key in keys])
    return {"created": len(result.created), "failed": len(result.failed), "notes": len(notes.created)}


def assert_exactly_once(server: ZoteroServer, papers: list[Paper], notes: bool = True) -> None:
    coll = server.collection_by_name(COLLECTION)
    assert coll, "the collection exists"
    assert sum(1 for c in server.lib.collections.values() if c["name"] == COLLECTION) == 1
    items = server.collection_items(coll)
    archive_ids = sorted(i["archiveID"] for i in items)
    assert archive_ids == sorted(f"arXiv:{p.arxiv_id}" for p in papers), "each paper exactly once"
    if notes:
        for item in items:
            assert len(server.children(item["key"])) == 1, f"one note under {item['title']!r}"
    # nothing outside the collection was created for these papers (no stray copies)
    ids = {f"arXiv:{p.arxiv_id}" for p in papers}
    assert sum(1 for d in server.items(include_trashed=True) if d.get("archiveID") in ids) == len(papers)


@pytest.fixture
def papers(shared_data):
    return arxiv_papers(shared_data, 12)


def _next_write(server: ZoteroServer, offset: int = 1) -> int:
    return server.writes + offset


def test_nth_write_fails_with_500_then_succeeds_on_retry(server, tmp_path, papers):
    lib = make_lib(server, tmp_path)
    lib.ensure_collection(COLLECTION)
    server.faults.fail_writes = {_next_write(server)}  # the item batch
    outcome = push(lib, papers)
    assert outcome == {"created": 12, "failed": 0, "notes": 12}
    assert server.count("/items", method="POST") == 3  # 500, retry, notes
    assert_exactly_once(server, papers)
    assert push(make_lib(server, tmp_path), papers)["created"] == 0
    assert_exactly_once(server, papers)


def test_persistent_500_is_a_clear_failure_and_the_rerun_completes(server, tmp_path, papers):
    lib = make_lib(server, tmp_path, max_retries=2)
    lib.ensure_collection(COLLECTION)
    first = _next_write(server)
    server.faults.fail_writes = set(range(first, first + 3))
    with pytest.raises(LibraryError) as err:
        push(lib, papers)
    assert "\n" not in str(err.value) and "run the sync again" in str(err.value)
    assert server.collection_items(server.collection_by_name(COLLECTION)) == []
    server.faults.fail_writes = set()
    assert push(make_lib(server, tmp_path), papers)["created"] == 12
    assert_exactly_once(server, papers)


def test_connection_dropped_after_commit_retry_reuses_the_token(server, tmp_path, papers):
    lib = make_lib(server, tmp_path)
    lib.ensure_collection(COLLECTION)
    server.faults.drop_after_commit = {_next_write(server)}
    snap_items = [
        paper_to_item(p, collections=[server.collection_by_name(COLLECTION)], tags=["zotrec"]) for p in papers
    ]
    result = lib.create_items(snap_items)
    assert result.token_already_used is True
    assert sorted(result.created) == list(range(12)) and not result.failed
    posts = [r for r in server.log if r.method == "POST" and r.path.endswith("/items")]
    assert [r.status for r in posts] == [-200, 412]  # committed but unanswered, then "token already used"
    assert_exactly_once(server, papers, notes=False)
    # the re-run (a new process) pushes nothing new and adds the notes once
    lib2 = make_lib(server, tmp_path / "second")
    assert lib2.create_items(snap_items).created == result.created  # our keys exist: not created twice
    lib2.create_items([note_item(k, "<p>why</p>") for k in result.created.values()])
    assert_exactly_once(server, papers)


@pytest.mark.parametrize("which", ["collection", "items", "notes"])
def test_process_dies_after_a_committed_write_then_rerun(server, tmp_path, papers, which):
    """No retry at all (the process is gone): the next run reads the library and completes the push."""
    lib = make_lib(server, tmp_path, max_retries=0)
    offset = {"collection": 1, "items": 2, "notes": 3}[which]
    server.faults.drop_after_commit = {_next_write(server, offset)}
    with pytest.raises(LibraryError):
        push(lib, papers)
    server.faults.drop_after_commit = set()
    outcome = push(make_lib(server, tmp_path / "rerun"), papers)
    assert outcome["created"] == (12 if which == "collection" else 0)
    assert_exactly_once(server, papers)


def test_rerun_without_reconciliation_still_creates_nothing_twice(server, tmp_path, papers):
    """Even a caller that forgets what it pushed cannot duplicate: keys derive from the papers."""
    lib = make_lib(server, tmp_path)
    coll = lib.ensure_collection(COLLECTION)
    items = [paper_to_item(p, collections=[coll], tags=["zotrec"]) for p in papers]
    first = lib.create_items(items)
    again = make_lib(server, tmp_path / "x").create_items(items, write_token="f" * 32)
    assert again.created == first.created and not again.failed
    assert_exactly_once(server, papers, notes=False)


def test_429_with_retry_after_is_honoured(server, tmp_path, papers):
    lib = make_lib(server, tmp_path)
    lib.ensure_collection(COLLECTION)
    server.faults.rate_limit = 2
    server.faults.rate_limit_writes_only = True
    server.faults.retry_after = "0.05"
    outcome = push(lib, papers)
    assert outcome["created"] == 12
    statuses = [r.status for r in server.log if r.method == "POST" and r.path.endswith("/items")]
    assert statuses[:3] == [429, 429, 200]
    assert_exactly_once(server, papers)


def test_429_and_503_on_reads_are_retried(server, tmp_path, papers):
    server.faults.rate_limit = 2
    server.faults.retry_after = "0.01"
    lib = make_lib(server, tmp_path)
    assert len(lib.snapshot().items) == 60
    server.faults.unavailable = 2
    assert push(make_lib(server, tmp_path / "b"), papers)["created"] == 12
    assert_exactly_once(server, papers)


def test_long_retry_after_gives_up_with_a_message(server, tmp_path, papers):
    lib = make_lib(server, tmp_path, max_wait=5)
    lib.ensure_collection(COLLECTION)
    server.faults.unavailable = 1
    server.faults.retry_after = "3600"
    with pytest.raises(LibraryError, match="wait 3600 s"):
        lib.create_items([paper_to_item(papers[0], collections=[server.collection_by_name(COLLECTION)])])
    server.faults.retry_after = "0"
    assert push(make_lib(server, tmp_path), papers)["created"] == 12
    assert_exactly_once(server, papers)


def test_network_errors_before_the_server_handles_the_request(server, tmp_path, papers):
    lib = make_lib(server, tmp_path)
    server.faults.drop_before = 3  # first reads and writes lose their connection
    assert push(lib, papers)["created"] == 12
    assert_exactly_once(server, papers)


def test_library_version_changes_behind_the_clients_back(server, tmp_path, papers):
    lib = make_lib(server, tmp_path)
    lib.snapshot()
    server.bump_version(3)
    # another client adds one of the papers to the collection meanwhile
    coll = lib.ensure_collection(COLLECTION)
    server.load([paper_to_item(papers[0], collections=[coll])])
    server.bump_version()
    outcome = push(lib, papers)
    assert outcome["created"] == 11
    assert push(lib, papers)["created"] == 0
    assert_exactly_once(server, papers, notes=False)


def test_backoff_header_on_every_answer(server, tmp_path, papers):
    server.faults.backoff = "0.01"
    assert push(make_lib(server, tmp_path), papers)["created"] == 12
    assert_exactly_once(server, papers)


def test_kill_after_every_write_request_of_a_push(shared_data, tmp_path, papers):
    """For every write N of a push, the connection dies after the server committed it and the
    process gives up; a re-run (new process) completes: 0 duplicates, 0 missing."""
    writes_in_a_push = 3  # collection, items, notes
    for n in range(1, writes_in_a_push + 1):
        with ZoteroServer() as server:
            server.load(library_items(shared_data, 20))
            server.faults.drop_after_commit = {n}
            with pytest.raises(LibraryError):
                push(make_lib(server, tmp_path / f"k{n}", max_retries=0), papers)
            server.faults.drop_after_commit = set()
            push(make_lib(server, tmp_path / f"r{n}"), papers)
            coll = server.collection_by_name(COLLECTION)
            assert sorted(i["archiveID"] for i in server.collection_items(coll)) == sorted(
                f"arXiv:{p.arxiv_id}" for p in papers
            ), n


def test_a_reused_token_with_entries_that_never_landed_posts_them_again(server, tmp_path, papers):
    """The caller retries a stored token but the batch now holds an entry the first attempt did not
    write (it was refused, or the batch changed): that entry is posted again under a new token."""
    lib = make_lib(server, tmp_path)
    coll = lib.ensure_collection(COLLECTION)
    items = [paper_to_item(p, collections=[coll], tags=["zotrec"]) for p in papers[:4]]
    token = "b" * 32
    first = lib.create_items(items[:3], write_token=token)
    assert len(first.created) == 3
    again = lib.create_items(items, write_token=token)
    assert again.token_already_used is True
    assert sorted(again.created) == [0, 1, 2, 3] and not again.failed
    assert again.created[0] == first.created[0]
    assert_exactly_once(server, papers[:4], notes=False)
