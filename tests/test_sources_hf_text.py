"""Hugging Face Daily Papers page as text: the seed digest the user gave the project."""

from __future__ import annotations

import datetime as dt

import pytest

from zotrec.errors import SourceError
from zotrec.sources import parse_bytes, read_source, read_sources

SEED = "digests/hf-daily-papers-search-dynamics.txt"
REF = dt.date(2025, 12, 15)


@pytest.fixture
def seed(shared_data):
    return shared_data / SEED


def test_seed_yields_38_papers_with_fields(seed):
    papers = read_source(str(seed), digest_date=REF)
    # 38 = `grep -c ' authors$' hf-daily-papers-search-dynamics.txt` (one "N authors" line a paper)
    assert len(papers) == 38
    assert all(p.title and len(p.abstract) > 300 for p in papers)
    assert all(p.authors == [] and p.extras["n_authors"] >= 1 for p in papers)
    assert all(p.source == str(seed) for p in papers)
    assert all(p.date is not None and p.date <= REF for p in papers)
    first = papers[0]
    assert first.title == ("Improving equilibrium propagation without weight symmetry through Jacobian homeostasis")
    assert first.abstract.startswith("Equilibrium propagation (EP) is a compelling alternative")
    assert first.extras["n_authors"] == 2
    assert first.date == dt.date(2023, 9, 5)
    assert "upvotes" not in first.extras
    # "Jan 28" (no year) resolves to the last Jan 28 not after the digest date
    assert papers[1].title == "Structure and Dynamics of the Young Massive Star Cluster Westerlund 1"
    assert papers[1].date == dt.date(2025, 1, 28)
    assert papers[1].extras["n_authors"] == 11
    # "Oct 23 3": date without year and 3 upvotes on one line
    diffusion = next(p for p in papers if p.title == "The Principles of Diffusion Models")
    assert diffusion.date == dt.date(2025, 10, 23)
    assert diffusion.extras == {"n_authors": 5, "upvotes": 3, "format": "hf-text"}
    # "Aug 26, 2024 2" and "May 28 4"
    upvoted = {p.title.split(":")[0]: p.extras["upvotes"] for p in papers if "upvotes" in p.extras}
    assert upvoted == {
        "The Principles of Diffusion Models": 3,
        "Meta Flow Matching": 2,
        "The Entropy Mechanism of Reinforcement Learning for Reasoning Language Models": 4,
    }
    entropy = papers[-2]
    assert entropy.extras["n_authors"] == 17 and entropy.date == dt.date(2025, 5, 28)
    # page chrome never becomes a paper
    titles = {p.title for p in papers}
    assert not titles & {"Subscribe", "Daily Papers", "byAK and the research community", "new"}


def test_dates_never_in_future_relative_to_digest_date(seed):
    early = dt.date(2025, 6, 1)
    papers = read_source(str(seed), digest_date=early)
    assert all(p.date <= early for p in papers)
    oct23 = next(p for p in papers if p.title == "The Principles of Diffusion Models")
    assert oct23.date == dt.date(2024, 10, 23)  # Oct 23 is after Jun 1, so last year's


def test_default_digest_date_is_today(seed):
    papers = read_source(str(seed))
    assert all(p.date <= dt.date.today() for p in papers)


def test_minimal_page_text_and_separate_upvote_line():
    text = (
        "Daily Papers\n\nbyAK and the research community\n\nMar 3\n\n"
        "A Title\n\nAn abstract.\n\n  • 2 authors\n·\nFeb 29\n\n7\n\n"
        "Second Paper Title\n\nSecond abstract.\n\n• 1 author\n·\nJan 5, 2020\n"
    ).encode()
    papers = parse_bytes(text, "page.txt", digest_date=dt.date(2025, 3, 3))
    assert [p.title for p in papers] == ["A Title", "Second Paper Title"]
    assert papers[0].date == dt.date(2024, 2, 29)  # latest Feb 29 not after the digest date
    assert papers[0].extras["upvotes"] == 7
    assert papers[1].extras["n_authors"] == 1 and papers[1].date == dt.date(2020, 1, 5)


def test_read_sources_dedupes_and_reports(seed, tmp_path):
    missing = tmp_path / "nope.txt"
    papers, reports = read_sources([str(seed), str(missing), str(seed)], digest_date=REF)
    assert len(papers) == 38
    assert [r.count for r in reports] == [38, 0, 38]
    assert reports[1].error == "file not found"
    assert reports[0].error is None and reports[0].format == "hf-text"


def test_missing_file_is_one_line_source_error(tmp_path):
    with pytest.raises(SourceError) as info:
        read_source(str(tmp_path / "absent.txt"))
    assert str(info.value) == f"{tmp_path / 'absent.txt'}: file not found"


def test_duplicates_across_sources_fill_missing_fields(seed, tmp_path):
    """The page text has no ids or names; the same paper in a JSON line brings them."""
    line = (
        '{"id": "2202.02435", "title": "On Neural Differential Equations", "summary": "x", '
        '"authors": ["Patrick Kidger"], "categories": ["cs.LG", "math.DS"]}\n'
    )
    jsonl = tmp_path / "one.jsonl"
    jsonl.write_text(line)
    papers, reports = read_sources([str(seed), str(jsonl)], digest_date=REF)
    assert len(papers) == 38 and [r.count for r in reports] == [38, 1]
    kidger = next(p for p in papers if p.title == "On Neural Differential Equations")
    assert kidger.arxiv_id == "2202.02435" and kidger.authors == ["Patrick Kidger"]
    assert kidger.categories == ["cs.LG", "math.DS"]
    assert kidger.source == str(seed) and kidger.date == dt.date(2022, 2, 4)  # first record wins
    assert kidger.abstract.startswith("The conjoining of dynamical systems")  # not replaced by "x"
    assert kidger.extras["n_authors"] == 1
