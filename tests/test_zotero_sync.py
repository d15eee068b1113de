"""`zotrec sync` end to end against the loopback Zotero Web API server holding a real library."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from test_zotero_web import _bib_items
from typer.testing import CliRunner
from zotero_server import ZoteroServer

from zotrec import paths
from zotrec.cli import app
from zotrec.runner import SyncRequest, run_sync
from zotrec.topics.taxonomy import zotero_tag

NLP_LIBRARY = "libraries/nlp-ChenghaoMou/My Library.bib"
DIGEST = "corpora/arxiv-daily-cs/2025-09-01.jsonl"  # a day of arXiv cs papers, with authors
COLLECTION = "zotrec: Recommended"
runner = CliRunner()


@pytest.fixture
def digest(shared_data) -> str:
    return str(shared_data / DIGEST)


@pytest.fixture
def zotero(shared_data, monkeypatch, isolated_dirs, tmp_path_factory):
    """A loopback Web API server with a real researcher's library, and the env that points zotrec at it."""
    import copy

    from zotrec.topics.model import shipped_model_path

    if not shipped_model_path().is_file():  # the shipped model is built separately: train a tiny one
        from opshelp import tiny_topic_model, write_config

        model = tiny_topic_model(tmp_path_factory.mktemp("model"))
        write_config(paths.config_file(), f"[model]\ntopics = {json.dumps(str(model))}\n")
    with ZoteroServer() as server:
        server.load(copy.deepcopy(list(_bib_items(str(shared_data / NLP_LIBRARY)))))
        monkeypatch.setenv("ZOTREC_BACKEND", "web")
        monkeypatch.setenv("ZOTERO_API_KEY", server.api_key)
        monkeypatch.setenv("ZOTERO_LIBRARY_ID", server.library_id)
        monkeypatch.setenv("ZOTERO_LIBRARY_TYPE", "user")
        monkeypatch.setenv("ZOTREC_ZOTERO_ENDPOINT", server.endpoint)
        monkeypatch.setenv("ZOTREC_THRESHOLD", "0")
        monkeypatch.setenv("ZOTREC_TOP_N", "8")
        yield server


def test_sync_end_to_end_with_faults_then_a_second_run_creates_nothing(zotero, digest):
    """One real sync (the scorer's first fit is the slow part, so one test does it all):
    the first request is rate-limited (429 + Retry-After), the next gets a 503, and the connection
    drops right after the server committed the item batch. Then a second run through the CLI."""
    server = zotero
    before = len(server.lib.items)
    server.faults.retry_after = "0"
    server.faults.rate_limit = 1
    server.faults.unavailable = 1
    state = {"item_posts": 0}

    def drop_item_batch(req):
        if req.method == "POST" and req.path.endswith("/items"):
            state["item_posts"] += 1
            if state["item_posts"] == 1:
                server.faults.drop_after_commit = {req.write_number}

    server.on_request = drop_item_batch
    result, _ = run_sync(SyncRequest(digests=[digest]))
    server.on_request = None
    assert result.papers_read > 100 and result.exit_code == 0
    assert result.library_size >= 600  # the real library was read through pyzotero
    pushed = result.outcome.pushed
    assert len(pushed) == len(result.recommended) == 8 and not result.outcome.failed
    statuses = [r.status for r in server.log if r.method == "POST" and r.path.endswith("/items")]
    assert statuses[:2] == [-200, 412]  # the committed batch was not written again

    coll = server.collection_by_name(COLLECTION)
    assert coll
    assert sum(1 for c in server.lib.collections.values() if c["name"] == COLLECTION) == 1
    items = server.collection_items(coll)
    assert sorted(i["key"] for i in items) == sorted(key for _, key in pushed)
    by_key = {i["key"]: i for i in items}
    topics = {r.paper.primary_key: r.topics[0] for r in result.recommended}
    for paper, key in pushed:
        item = by_key[key]
        assert item["itemType"] == ("preprint" if paper.arxiv_id or not paper.journal else "journalArticle")
        assert item["title"] == paper.title
        assert item["creators"] and all(c["creatorType"] == "author" for c in item["creators"])
        assert len(item["creators"]) == len(paper.authors)
        assert item["abstractNote"] == paper.abstract and item["abstractNote"]
        assert item["date"] == (paper.date.isoformat() if paper.date else "")
        assert item["url"] == paper.link and item["url"].startswith("https://arxiv.org/abs/")
        assert item["DOI"] == (paper.doi or "")
        assert item["archiveID"] == f"arXiv:{paper.arxiv_id}"
        assert item["repository"] == "arXiv"
        # the day's listing gives each paper's categories: its primary one is the one topic tag, in
        # Zotero's own arXiv wording, beside zotrec and zotrec:<run date>
        main = topics[paper.primary_key]
        assert main.source == "arxiv" and main.probability == 1.0 and main.label == paper.categories[0]
        assert [t["tag"] for t in item["tags"]] == [
            "zotrec",
            f"zotrec:{dt.date.today().isoformat()}",
            zotero_tag(main.label),
        ]
        assert "Teach zotrec" in server.children(key)[0]["note"] and "zotrec:+" in server.children(key)[0]["note"]
        notes = server.children(key)
        assert len(notes) == 1 and notes[0]["itemType"] == "note"
        assert "Recommended by zotrec" in notes[0]["note"] and "Score" in notes[0]["note"]
    assert len(server.lib.items) == before + 16  # 8 items + 8 notes, nothing else

    # second run, through the CLI: incremental read, nothing created
    server.reset_log()
    out = runner.invoke(app, ["sync", "--digest", digest, "--json"])
    assert out.exit_code == 0, out.output
    again = json.loads(out.stdout)
    assert again["pushed"] == [] and len(again["known"]) == 8
    assert server.count(method="POST") == 0
    assert server.count("/items/top") == 0  # no full read: the item cache made it incremental
    assert len(server.lib.items) == before + 16
    assert server.api_key not in out.output
    for path in list(paths.data_dir().rglob("*")) + list(paths.cache_dir().rglob("*")):
        if path.is_file():
            assert server.api_key.encode() not in path.read_bytes(), path


def test_doctor_reports_the_backend_without_the_key(zotero):
    server = zotero
    out = runner.invoke(app, ["doctor"])
    text = out.output
    assert server.api_key not in text
    assert "Web API" in text and server.endpoint in text
    assert "writes allowed" in text
    assert f"{len([d for d in server.items() if not d.get('parentItem')])} items" in text
