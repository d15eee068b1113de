"""The HTML report: content checked by value against the demo sync, re-rendering from the state,
escaping, no remote resources, keeping the last N reports, and the CLI paths that write it."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from report_demo import demo_home
from typer.testing import CliRunner

from zotrec import paths
from zotrec.cli import app
from zotrec.demo import demo_digest_path
from zotrec.errors import EXIT_USAGE
from zotrec.paper import Paper
from zotrec.pipeline import SyncResult
from zotrec.ranked import Ranked, Reason, Topic
from zotrec.report import display_title, keep_report, render_report, report_name, write_report
from zotrec.sources import SourceReport

runner = CliRunner()


@pytest.fixture(scope="module")
def demo():
    """The demo home (two demo syncs, shared), run 1's summary and the page `sync --report` wrote."""
    d = demo_home()
    return d, d.summary, d.live.read_text(encoding="utf-8")


def _text(node) -> str:
    return " ".join(node.get_text(" ").split())


def test_header_shows_sources_library_and_counts(demo):
    _, summary, html = demo
    soup = BeautifulSoup(html, "html.parser")
    stats = {_text(d.dt): _text(d.dd) for d in soup.select("dl.stats > div")}
    assert stats == {
        "papers read": "38",
        "recommended": str(len(summary["recommended"])),
        "pushed": str(len(summary["pushed"])),
        "library items": "150",
    }
    assert len(summary["pushed"]) == len(summary["recommended"]) > 0
    (source,) = soup.select("ul.sources li")
    assert "hf-daily-papers-search-dynamics.txt" in _text(source) and "38 papers" in _text(source)
    started = dt.datetime.fromtimestamp(summary["started"], dt.UTC)
    assert started.strftime("%d %B %Y, %H:%M UTC") in _text(soup.select_one(".when"))
    assert f"threshold {summary['threshold']:g}" in _text(soup.select_one(".lib"))
    assert summary["library"]["description"] in _text(soup.select_one(".lib"))


def test_recommendations_best_first_with_scores_topics_and_why(demo):
    _, summary, html = demo
    soup = BeautifulSoup(html, "html.parser")
    cards = soup.select("#recommended li.paper")
    assert len(cards) == len(summary["recommended"]) > 0
    for card, rec in zip(cards, summary["recommended"]):
        assert _text(card.h3) == display_title(rec["title"])
        assert _text(card.select_one(".score b")) == f"{rec['score']:.1f}"
        width = float(re.search(r"width: ([\d.]+)%", card.select_one(".fill")["style"]).group(1))
        assert width == pytest.approx(rec["score"], abs=0.05)
        chips = [_text(li) for li in card.select(".chips li")]
        assert chips == [f"{t['name']} {t['label']} · {round(100 * t['probability'])}%" for t in rec["topics"]]
        reasons = card.select(".reasons li")
        assert [_text(li).rsplit(" ", 1)[0] for li in reasons] == [display_title(r["title"]) for r in rec["reasons"]]
        # the demo library is a file of zotrec's, not a Zotero library: no zotero:// links at all
        assert all(r["key"] for r in rec["reasons"]) and not card.select('a[href^="zotero:"]')
        assert [_text(t) for t in card.select(".term")] == rec["terms"]
        # the abstract, folded
        abstract = card.select_one("details.abstract")
        assert abstract is not None and not abstract.has_attr("open")
        assert _text(abstract.p) == " ".join(rec["abstract"].split()) and rec["abstract"]
    scores = [r["score"] for r in summary["all"]]
    assert scores == sorted(scores, reverse=True)
    # the topics shown are real arXiv category names from the shipped model
    assert any(t["name"] for r in summary["recommended"] for t in r["topics"])


def test_rest_of_digest_collapsed_with_scores_and_why_not(demo):
    _, summary, html = demo
    soup = BeautifulSoup(html, "html.parser")
    details = soup.select_one("#rest details")
    assert details is not None and not details.has_attr("open")
    rest = [r for r in summary["all"] if not r["chosen"]]
    items = details.select("ol.rest > li")
    assert len(items) == len(rest) == 38 - len(summary["recommended"])
    for li, paper in zip(items, rest):
        assert _text(li.select_one(".pill")) == f"{paper['score']:.0f}"
        assert display_title(paper["title"]) in _text(li)
        assert paper["why_not"] in _text(li.select_one(".whynot"))


def test_pictures_match_the_run(demo):
    _, summary, html = demo
    soup = BeautifulSoup(html, "html.parser")
    topics_svg, scores_svg = soup.select("svg.chart")
    # the score histogram counts every digest paper once, and marks the threshold
    assert sum(int(_text(t)) for t in scores_svg.select("text.count")) == 38
    assert _text(scores_svg.select_one("text.threshold-label")) == f"threshold {summary['threshold']:g}"
    chosen = sum(
        int(re.search(r": (\d+) recommended", _text(r.title)).group(1)) for r in scores_svg.select("rect.bar-chosen")
    )
    assert chosen == len(summary["recommended"])
    # the topic picture: the digest's most common top topic, against the library's distribution
    assert summary["library_topics"] and sum(summary["library_topics"].values()) <= 150
    top = {}
    for paper in summary["all"]:
        label = paper["topics"][0]["label"] if paper["topics"] else "none"
        top[label] = top.get(label, 0) + 1
    best = max(top, key=top.get)
    labels = [_text(t) for t in topics_svg.select("text.lbl")]
    assert any(f"({best})" in label or label == best or "no confident" in label for label in labels)
    assert topics_svg.select("rect.bar-library"), "library bars drawn"


def test_page_is_self_contained(demo):
    """No resource from anywhere: no script, no external stylesheet, image, font or frame; CSP forbids them."""
    _, _, html = demo
    soup = BeautifulSoup(html, "html.parser")
    assert not soup.find_all(["script", "iframe", "object", "embed", "img", "video", "audio", "source"])
    for link in soup.find_all("link"):
        assert link["href"].startswith("data:"), link
    for tag in soup.find_all(True):
        for attr in ("src", "srcset", "poster", "data", "background", "xlink:href"):
            assert attr not in tag.attrs, tag
        if tag.name != "a" and tag.has_attr("href"):
            assert tag["href"].startswith("data:") or tag["href"].startswith("#"), tag
    assert not re.search(r"url\(|@import|@font-face", html)
    csp = soup.find("meta", attrs={"http-equiv": "Content-Security-Policy"})["content"]
    assert "default-src 'none'" in csp
    for a in soup.find_all("a"):
        assert re.match(r"https?://", a["href"]), a  # the demo library is not a Zotero library


def test_escaping_and_safe_links():
    paper = Paper(
        title="<script>alert(1)</script> Bounds for {N}-body & $a<b$ \\& more",
        url="javascript:alert(1)",
        authors=["A. <b>Bold</b>"],
        date=dt.date(2024, 1, 2),
        source="x",
    )
    ranked = [
        Ranked(
            paper=paper,
            score=88.0,
            topics=[Topic("cs.LG", "Machine <Learning>", 0.9)],
            reasons=[Reason("Near & <dear>", "ABCD1234", 0.4), Reason("No key", 'bad key"', 0.3)],
            terms=["<i>"],
            chosen=True,
        )
    ]
    result = SyncResult(
        run_id=None,
        papers_read=1,
        sources=[SourceReport("<src>", 1)],
        ranked=ranked,
        library_size=1,
        library_description="lib <x>",
        threshold=60.0,
        library_id="web:user:1",
    )
    html = render_report(result.to_json())
    assert "<script" not in html and "<b>Bold" not in html and "<i>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Machine &lt;Learning&gt;" in html and "Near &amp; &lt;dear&gt;" in html
    assert "javascript:" not in html
    soup = BeautifulSoup(html, "html.parser")
    # the Paper decoded the title's LaTeX when it was built; the report escapes what is left
    assert _text(soup.select_one("#recommended h3")) == "<script>alert(1)</script> Bounds for N-body & a<b & more"
    hrefs = [a["href"] for a in soup.select(".reasons a")]
    assert hrefs == ["zotero://select/library/items/ABCD1234"]  # a malformed key gets no link
    # TeX case braces are dropped for display outside math
    assert display_title("The {Koopman} operator \\& {SINDy}") == "The Koopman operator & SINDy"


def test_empty_run_renders():
    result = SyncResult(
        run_id=3,
        papers_read=0,
        sources=[SourceReport("feed.xml", 0, error="HTTP 404")],
        ranked=[],
        library_size=0,
        library_description="empty",
        threshold=60.0,
    )
    soup = BeautifulSoup(render_report(result.to_json()), "html.parser")
    assert "failed: HTTP 404" in _text(soup.select_one("ul.sources"))
    assert "nothing recommended: the digests held no papers" in _text(soup)  # the run's own last line
    assert soup.select_one("#rest") is None


def test_sync_report_and_rerender_from_state_are_identical(demo, tmp_path, monkeypatch):
    d, _, html = demo
    monkeypatch.setenv("ZOTREC_HOME", str(d.home))
    again = tmp_path / "again.html"
    res = runner.invoke(app, ["report", "1", "--out", str(again)])
    assert res.exit_code == 0, res.output
    assert res.output.strip() == str(again)
    assert again.read_text(encoding="utf-8") == html
    # default: the last run, into the reports folder of the data dir (where sync kept it: keep = 1)
    kept = paths.data_dir() / "reports" / "zotrec-run-2.html"
    before = kept.read_bytes()
    res = runner.invoke(app, ["report"])
    assert res.exit_code == 0, res.output
    assert Path(res.output.strip()) == kept and kept.read_bytes() == before
    soup = BeautifulSoup(before, "html.parser")
    assert "run 2" in _text(soup.select_one(".brand"))
    assert {_text(x.dt): _text(x.dd) for x in soup.select("dl.stats > div")}["pushed"] == "0"


def test_report_of_unknown_run_is_one_line_error(demo, monkeypatch, tmp_path):
    res = runner.invoke(app, ["report"])  # a fresh home: no run yet
    assert res.exit_code != 0 and "no recorded run" in res.output
    monkeypatch.setenv("ZOTREC_HOME", str(demo[0].home))
    res = runner.invoke(app, ["report", "99"])
    assert res.exit_code == EXIT_USAGE  # a wrong RUN argument, not an unexpected failure (exit 1)
    assert "no summary for run 99" in res.output and len(res.output.strip().splitlines()) == 1
    mail = tmp_path / "mail.toml"
    mail.write_text('[email]\nto = "me@example.org"\nhost = "127.0.0.1"\n', encoding="utf-8")
    for args in (["history", "--run", "99"], ["--config", str(mail), "report", "--email", "99"]):
        res = runner.invoke(app, args)
        assert res.exit_code == EXIT_USAGE and "run 99 in the state" in res.stderr, (args, res.output)


def test_recommend_writes_a_report(demo, tmp_path, monkeypatch):
    d = demo[0]
    monkeypatch.setenv("ZOTREC_HOME", str(d.home))  # reuse the library index cached by the demo syncs
    out = tmp_path / "rec.html"
    res = runner.invoke(
        app,
        [
            "--config",
            str(d.config),
            "recommend",
            "--library",
            "config",
            "--digest",
            str(demo_digest_path()),
            "--report",
            str(out),
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    recommended = json.loads(res.output)
    soup = BeautifulSoup(out.read_text(encoding="utf-8"), "html.parser")
    assert [_text(h) for h in soup.select("#recommended h3")] == [display_title(r["title"]) for r in recommended]
    stats = {_text(x.dt): _text(x.dd) for x in soup.select("dl.stats > div")}
    assert stats["would push"] == "0" and stats["papers read"] == "38"
    assert soup.select("svg.chart rect.bar-library")


def test_keep_last_n_reports(demo, tmp_path):
    _, summary, _ = demo
    folder = paths.data_dir() / "reports"
    folder.mkdir(parents=True)
    (folder / "notes.html").write_text("mine")  # not ours: never pruned
    written = []
    for run_id in (1, 2, 3):
        written.append(keep_report(dict(summary, run_id=run_id), 2))
    assert sorted(p.name for p in folder.iterdir()) == [
        "latest.html",
        "notes.html",
        "zotrec-run-2.html",
        "zotrec-run-3.html",
    ]
    assert written[-1] == folder / "zotrec-run-3.html"
    assert (folder / "latest.html").read_bytes() == written[-1].read_bytes()
    assert keep_report(summary, 0) is None
    assert report_name(dict(summary, run_id=None, started=0)) == "zotrec-19700101-000000.html"


def test_keep_reports_config_through_sync(demo):
    """The demo home's config keeps 1 report: after two syncs only run 2's is left."""
    folder = demo[0].home / "data" / "reports"
    assert [p.name for p in folder.glob("zotrec-*.html")] == ["zotrec-run-2.html"]
    assert (folder / "latest.html").read_bytes() == (folder / "zotrec-run-2.html").read_bytes()


def test_write_report_error_is_one_line(tmp_path, demo):
    _, summary, _ = demo
    blocker = tmp_path / "file"
    blocker.write_text("x")
    from zotrec.report import ReportError

    with pytest.raises(ReportError, match="cannot write the report"):
        write_report(summary, blocker / "sub" / "r.html")


def _one_pick(library_id: str, **paper) -> BeautifulSoup:
    ranked = [
        Ranked(
            paper=Paper(**paper),
            score=80.0,
            topics=[],
            reasons=[Reason("Mine", "ABCD1234", 0.5)],
            terms=[],
            chosen=True,
        )
    ]
    result = SyncResult(
        run_id=7,
        papers_read=1,
        sources=[],
        ranked=ranked,
        library_size=1,
        library_description="lib",
        threshold=60.0,
        library_id=library_id,
    )
    result.outcome.pushed.append((ranked[0].paper, "KEYZ9876"))
    return BeautifulSoup(render_report(result.to_json()), "html.parser")


@pytest.mark.parametrize(
    "library_id, select",
    [
        ("web:user:123", "zotero://select/library/items/"),
        ("web:group:4567", "zotero://select/groups/4567/items/"),
        ("local:user:0", "zotero://select/library/items/"),
        ("sqlite:/home/me/Zotero/zotero.sqlite", "zotero://select/library/items/"),
        ("embedded:/home/me/lib.sqlite", None),
        ("file:/home/me/My Library.bib", None),
    ],
)
def test_report_links_arxiv_pdf_doi_and_zotero_only_for_zotero_libraries(library_id, select):
    soup = _one_pick(
        library_id, title="A paper", arxiv_id="2401.01234v2", doi="10.1000/XYZ.9", abstract="We <b>show</b>."
    )
    card = soup.select_one("#recommended li.paper")
    assert card.h3.a["href"] == "https://arxiv.org/abs/2401.01234"
    ids = {_text(a): a["href"] for a in card.select(".meta a.id") if not a["href"].startswith("zotero:")}
    assert ids == {
        "arXiv:2401.01234": "https://arxiv.org/abs/2401.01234",
        "PDF": "https://arxiv.org/pdf/2401.01234",
        "doi:10.1000/xyz.9": "https://doi.org/10.1000/xyz.9",
    }
    zotero = [a["href"] for a in soup.select('a[href^="zotero:"]')]
    if select is None:
        assert zotero == []
    else:  # the nearest library item and the pushed item, both in that library
        assert zotero == [f"{select}KEYZ9876", f"{select}ABCD1234"]
    assert _text(card.select_one("details.abstract p")) == "We <b>show</b>."  # data, not markup


def test_report_links_doi_only_and_no_id():
    card = _one_pick("web:user:1", title="Only a DOI", doi="10.5555/abc").select_one("#recommended li.paper")
    assert card.h3.a["href"] == "https://doi.org/10.5555/abc"
    assert [a["href"] for a in card.select(".meta a.id") if a["href"].startswith("http")] == [
        "https://doi.org/10.5555/abc"
    ]
    card = _one_pick("web:user:1", title="No id at all").select_one("#recommended li.paper")
    assert card.h3.a is None and not card.select("details.abstract")
