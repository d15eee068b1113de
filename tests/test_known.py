"""Papers the user already has (library items, live or trashed, and zotrec's own pushes) never take a
recommendation slot: a real sync against the loopback Zotero Web API server holding a real library."""

from __future__ import annotations

import copy
import datetime as dt
import json

import pytest
from typer.testing import CliRunner
from zotero_server import ZoteroServer, items_from_bibtex

from zotrec.cli import app
from zotrec.known import IN_LIBRARY, KnownPapers, same_title
from zotrec.library.base import LibrarySnapshot
from zotrec.library.items import item_to_paper
from zotrec.paper import Paper
from zotrec.pipeline import SyncOptions, choose
from zotrec.ranked import Ranked
from zotrec.report import render_report
from zotrec.state import StateStore

NLP_LIBRARY = "libraries/nlp-ChenghaoMou/My Library.bib"
DAY = "corpora/arxiv-daily-cs/2025-09-01.jsonl"
runner = CliRunner()


def _record(paper: Paper, **ids: str) -> dict:
    return {"title": paper.title, "summary": paper.abstract, "authors": paper.authors or ["A. Author"], **ids}


def test_same_title_is_fuzzy_but_not_loose():
    title = "Noise-Robust De-Duplication at Scale"
    assert same_title(title, "Noise robust de-duplication at scale.")
    assert same_title(
        "Attention is all you need for neural machine translation",
        "Attention Is All You Need for Neural Machine Translaton",
    )  # a typo
    assert not same_title(
        "Attention is all you need for neural machine translation",
        "Attention is not all you need for image segmentation",
    )
    assert not same_title("Introduction", "Introductions")  # short titles match only exactly


def test_same_title_agrees_with_difflib_on_edited_titles():
    """The quick bound never turns away a pair that difflib's ratio alone would call the same title."""
    import difflib
    import random

    from zotrec.known import FUZZY_TITLE
    from zotrec.paper import normalize_title

    rng = random.Random(7)
    base = [
        "Attention is all you need for neural machine translation",
        "Noise-robust de-duplication of web-scale text corpora",
        "A survey of large language models for code generation",
        "Graph neural networks for molecular property prediction",
    ]
    verdicts = set()
    for _ in range(400):
        a = rng.choice(base)
        chars = list(a)
        for _ in range(rng.randint(0, 12)):
            i = rng.randrange(len(chars))
            chars[i : i + rng.randint(0, 2)] = rng.choice(["", "x", "ab", " "])
        b = "".join(chars) if rng.random() < 0.8 else rng.choice(base)
        x, y = normalize_title(a), normalize_title(b)
        expected = x == y or (
            min(len(x), len(y)) >= 20 and difflib.SequenceMatcher(None, x, y, autojunk=False).ratio() >= FUZZY_TITLE
        )
        assert same_title(a, b) == expected, (a, b)
        verdicts.add(expected)
    assert verdicts == {True, False}


def test_pushed_before_says_when(tmp_path):
    state = StateStore(tmp_path / "state.sqlite")
    from zotrec.state import PushRecord

    paper = Paper(title="A paper zotrec pushed into this library before", arxiv_id="2501.00001")
    state.record_intents(
        [
            PushRecord(
                identity=paper.primary_key,
                run_id=1,
                library="lib",
                collection="c",
                status="done",
                item_key="ABCD2345",
                write_token=None,
                note_token=None,
                item={},
                note="",
                paper=paper.to_json(),
                error=None,
            )
        ]
    )
    known = KnownPapers.build(LibrarySnapshot(version=0), state, "lib")
    assert known.why(Paper(title="Another title", arxiv_id="2501.00001v2")).startswith("pushed on 20")
    assert KnownPapers.build(LibrarySnapshot(version=0), state, "other").why(paper) is None
    state.close()


@pytest.fixture
def setup(shared_data, tmp_path, monkeypatch):
    """A 60-item real library on the loopback server (one of its papers trashed) and a digest of
    3 of its papers (by arXiv id, by DOI from the trash, by a near-identical title) + 10 new ones."""
    items = copy.deepcopy(items_from_bibtex(str(shared_data / NLP_LIBRARY)))
    papers = [item_to_paper(i) for i in items]
    with_abstract = [i for i, p in enumerate(papers) if p.abstract and len(p.title) > 30]
    by_arxiv = next(i for i in with_abstract if papers[i].arxiv_id)
    by_doi = next(i for i in with_abstract if papers[i].doi and not papers[i].arxiv_id)
    by_title = next(
        i
        for i in with_abstract
        if not papers[i].doi and not papers[i].arxiv_id and "{" not in papers[i].title and "\\" not in papers[i].title
    )
    chosen = [by_arxiv, by_doi, by_title] + [i for i in with_abstract if i not in (by_arxiv, by_doi, by_title)][:57]
    new = []
    for line in (shared_data / DAY).read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        if rec.get("summary") and all(rec["title"] != r["title"] for r in new):
            new.append(rec)
        if len(new) == 10:
            break
    a, b, c = papers[by_arxiv], papers[by_doi], papers[by_title]
    retitled = c.title[:-1] + ("s" if c.title[-1] != "s" else "x") + "."  # a small edit, other punctuation
    known = [
        _record(
            Paper(title="A completely different title for the same arXiv paper", abstract=a.abstract),
            id=f"{a.arxiv_id}v3",
        ),
        _record(Paper(title="Yet another wording of this journal article", abstract=b.abstract), doi=b.doi),
        _record(Paper(title=retitled.upper(), abstract=c.abstract)),
    ]
    digest = tmp_path / "today.jsonl"
    digest.write_text(
        "\n".join(json.dumps(r) for r in known[:2] + new[:5] + known[2:] + new[5:]) + "\n", encoding="utf-8"
    )
    server = ZoteroServer().__enter__()
    keys = server.load([items[i] for i in chosen])
    server.trash_item(keys[1])
    for var, value in (
        ("ZOTREC_BACKEND", "web"),
        ("ZOTERO_API_KEY", server.api_key),
        ("ZOTERO_LIBRARY_ID", server.library_id),
        ("ZOTERO_LIBRARY_TYPE", "user"),
        ("ZOTREC_ZOTERO_ENDPOINT", server.endpoint),
    ):
        monkeypatch.setenv(var, value)
    yield server, digest, [r["title"] for r in known], [r["title"] for r in new]
    server.__exit__(None, None, None)


def test_library_papers_never_take_a_slot(setup, tmp_path):
    _, digest, known_titles, new_titles = setup
    out = runner.invoke(
        app,
        [
            "sync",
            "--digest",
            str(digest),
            "--top",
            "5",
            "--threshold",
            "0",
            "--json",
            "--report",
            str(tmp_path / "report.html"),
        ],
    )
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert data["papers"] == 13
    assert len(data["pushed"]) == 5 and {p["title"] for p in data["pushed"]} <= set(new_titles)
    assert [r["reason_picked"] for r in data["recommended"]] == ["above threshold"] * 5
    assert sorted(k["title"] for k in data["known"]) == sorted(known_titles)
    why = {k["title"]: k["why_not"] for k in data["known"]}
    assert why[known_titles[0]] == IN_LIBRARY and why[known_titles[2]] == IN_LIBRARY
    assert why[known_titles[1]].startswith(IN_LIBRARY) and "trash" in why[known_titles[1]]
    assert data["skipped_duplicates"] == 0  # none reached the push step
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert page.count("already in your library") >= 3

    # a second run of the same day: the 5 pushed say when and fill the day's 5 slots
    again = runner.invoke(app, ["sync", "--digest", str(digest), "--top", "5", "--threshold", "0", "--json"])
    second = json.loads(again.stdout)
    assert second["pushed"] == [] and second["recommended"] == []
    pushed_on = [k for k in second["known"] if k["why_not"] == f"pushed on {dt.date.today().isoformat()}"]
    assert len(pushed_on) == 5 and len(second["known"]) == 8


def test_papers_pushed_on_an_earlier_day_take_no_slot():
    def ranked(title: str, score: float, known: str | None = None) -> Ranked:
        return Ranked(paper=Paper(title=title), score=score, known=known)

    today = f"pushed on {dt.date.today().isoformat()}"
    papers = [
        ranked("old pick", 90, "pushed on 2020-01-02"),
        ranked("mine", 85, IN_LIBRARY),
        ranked("new one", 80),
        ranked("new two", 75),
        ranked("new three", 70),
    ]
    choose(papers, SyncOptions(digests=[], threshold=60, top_n=2))
    assert [r.paper.title for r in papers if r.chosen] == ["new one", "new two"]
    assert [r.why_not for r in papers[:2]] == ["pushed on 2020-01-02", IN_LIBRARY]
    assert papers[4].why_not == "top 2 reached"
    again = [ranked("today's pick", 90, today), ranked("new one", 80), ranked("new two", 75)]
    choose(again, SyncOptions(digests=[], threshold=60, top_n=2))
    assert [r.paper.title for r in again if r.chosen] == ["new one"]


def test_recommend_all_marks_library_papers(setup, shared_data, warm_file_library):
    _, digest, known_titles, _ = setup
    out = runner.invoke(
        app,
        [
            "recommend",
            "--library",
            str(warm_file_library(shared_data / NLP_LIBRARY)),
            "--digest",
            str(digest),
            "--all",
            "--json",
            "--threshold",
            "0",
        ],
    )
    assert out.exit_code == 0, out.output
    ranked = json.loads(out.stdout)
    marked = {r["title"]: r for r in ranked if r["why_not"] and r["why_not"].startswith(IN_LIBRARY)}
    # the whole library file is the library here: the DOI paper is live in it, not trashed
    assert set(marked) == set(known_titles) and not any(r["chosen"] for r in marked.values())
    assert sum(r["chosen"] for r in ranked) == 10


def test_report_lists_known_papers_with_why():
    summary = {
        "papers": 2,
        "threshold": 60,
        "all": [
            {"title": "Mine already", "score": 91.0, "chosen": False, "why_not": "already in your library"},
            {"title": "Pushed last week", "score": 80.0, "chosen": False, "why_not": "pushed on 2026-11-24"},
        ],
    }
    page = render_report(summary)
    assert "already in your library" in page and "pushed on 2026-11-24" in page


def test_identity_indexes_of_several_groups_are_each_groups_index(tmp_path, monkeypatch):
    """Live and trashed items' keys read in one pass: the indexes one pass per group gives."""
    from zotrec.known import identity_index, identity_indexes

    monkeypatch.setenv("ZOTREC_HOME", str(tmp_path))
    live = [
        {"key": "A1", "version": 3, "title": "Deep Sets of points", "DOI": "10.1000/xyz"},
        {"key": "A2", "version": 1, "title": "Deep  sets of points!", "extra": "arXiv: 1703.06114"},
        {"key": "A3", "title": "No version here", "url": "https://arxiv.org/abs/2101.00001v2"},
    ]
    trashed = [
        {"key": "T1", "version": 2, "title": "Deep Sets of Points"},
        {"key": "T2", "title": "Gone for good, this one"},
    ]
    together = identity_indexes(live, trashed)
    assert together == [identity_index(live), identity_index(trashed)]
    assert together[0]["title:deep sets of points"] == "A1" and together[1]["title:deep sets of points"] == "T1"
    assert together[0]["doi:10.1000/xyz"] == "A1" and "title:gone for good this one" in together[1]
    assert identity_indexes(live, []) == [identity_index(live), {}]
