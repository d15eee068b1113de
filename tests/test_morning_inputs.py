"""What a new user sees first: digest shorthands, a library that cannot give useful scores (warned on
every sync, failed by doctor), and `zotrec feedback` before any feedback exists."""

from __future__ import annotations

from opshelp import embedded_config, write_config
from typer.testing import CliRunner

from zotrec import paths
from zotrec.cli import app
from zotrec.demo import demo_digest_path
from zotrec.errors import EXIT_CONFIG
from zotrec.library.embedded import EmbeddedLibrary
from zotrec.sources.shorthand import ARXIV_FEED, HF_DAILY_PAPERS, expand

runner = CliRunner()


def test_shorthands_mean_feeds(tmp_path, monkeypatch):
    assert expand("cs.LG") == "https://rss.arxiv.org/atom/cs.LG"
    assert expand("astro-ph.GA") == ARXIV_FEED.format("astro-ph.GA")
    assert expand("hep-th") == ARXIV_FEED.format("hep-th")  # an archive without sub-categories
    assert expand("cs.LG+stat.ML") == ARXIV_FEED.format("cs.LG+stat.ML")
    assert expand("hf") == expand("HF") == HF_DAILY_PAPERS
    for other in ("cs.XX", "today.atom", "digests/cs.LG", "https://example.org/cs.LG"):
        assert expand(other) == other
    monkeypatch.chdir(tmp_path)
    (tmp_path / "cs.LG").write_text("a file of that name", encoding="utf-8")
    assert expand("cs.LG") == "cs.LG"  # a file wins


def _library(path, abstracts: int, items: int = 8):
    lib = EmbeddedLibrary(path)
    lib.create_items(
        [
            {
                "itemType": "preprint",
                "title": f"A paper on topic number {i}",
                "abstractNote": "words about the topic" if i < abstracts else "",
                "creators": [],
                "tags": [],
                "collections": [],
                "relations": {},
            }
            for i in range(items)
        ],
        write_token="t" * 32,
    )
    lib.close()


def test_library_without_abstracts_is_warned_on_every_sync_and_failed_by_doctor(isolated_dirs, model, tmp_path):
    library = tmp_path / "lib.sqlite"
    _library(library, abstracts=2)
    embedded_config(isolated_dirs, model, library)
    for _ in range(2):
        out = runner.invoke(app, ["sync", "--dry-run"])
        assert out.exit_code == 0, out.output
        warnings = [line for line in out.stderr.splitlines() if line.startswith("warning:")]
        assert len(warnings) == 1 and "only 2 of your 8 library items have an abstract" in warnings[0]
        assert "titles alone" in warnings[0]
    doctor = runner.invoke(app, ["doctor", "--no-sources"])
    assert doctor.exit_code == EXIT_CONFIG
    assert "FAIL  library" in doctor.stderr and "only 2 of your 8" in doctor.stderr


def test_empty_library_is_warned_and_failed(isolated_dirs, model, tmp_path):
    library = tmp_path / "empty.sqlite"
    EmbeddedLibrary(library).close()
    embedded_config(isolated_dirs, model, library, digests=[str(demo_digest_path())])
    out = runner.invoke(app, ["sync", "--dry-run"])
    assert out.exit_code == 0, out.output
    assert "warning: your library is empty" in out.stderr
    assert out.stdout.strip().splitlines()[-1].startswith("nothing recommended: ")
    doctor = runner.invoke(app, ["doctor", "--no-sources"])
    assert doctor.exit_code == EXIT_CONFIG and "FAIL  library" in doctor.stderr and "empty" in doctor.stderr


def test_feedback_before_any_says_how(isolated_dirs):
    write_config(paths.config_file(), "")
    out = runner.invoke(app, ["feedback"])
    assert out.exit_code == 0, out.output
    assert out.stdout.startswith("no feedback yet: ") and "zotrec:+" in out.stdout and "zotrec:-" in out.stdout


def test_a_paper_held_down_by_feedback_says_which(demo_index):
    from zotrec.paper import Paper
    from zotrec.pipeline import SyncOptions, choose
    from zotrec.ranked import Ranked
    from zotrec.recommend import Recommender
    from zotrec.sources import read_source

    _, index = demo_index
    digest = read_source(str(demo_digest_path()))
    before = Recommender(index).rank(digest)
    top = before[0].paper
    assert all(r.disliked is None for r in before)
    marked = Paper(title=top.title, abstract=top.abstract)  # the user trashed this very paper last week
    after = Recommender(index, feedback=[(marked, -1)]).rank(digest)
    held = next(r for r in after if r.paper.title == top.title)
    assert held.disliked == top.title and held.score < before[0].score
    ranked = [Ranked(paper=r.paper, score=r.score, disliked=r.disliked) for r in after]
    choose(ranked, SyncOptions(digests=[], threshold=held.score + 0.1, top_n=20, min_picks=3))
    mine = next(r for r in ranked if r.paper.title == top.title)
    assert not mine.chosen and mine.why_not == f"like {top.title!r} you marked not relevant"
    assert sum(r.disliked is not None for r in after) < len(after) // 2  # only the papers like it
