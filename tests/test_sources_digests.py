"""Every real digest in ../shared/data/digests parses, with exact counts and spot-checked fields.

Counts were made by reading the files, not by running the parser:
- Atom (API, RSS): ``grep -c '<entry>' FILE``
- Nature RSS 1.0: ``grep -c '<item ' FILE``
- HF API JSON: ``grep -o '"discussionId"' FILE | wc -l`` (one per paper)
- arXiv e-mail: ``grep -c '^arXiv:' FILE``; per section with awk over the ``%-%-`` (cross-lists),
  ``%%--%%`` (replacements) and ``%%%---`` (end) separator lines
- HF page text: ``grep -c ' authors$' FILE``
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from zotrec.sources import read_source, read_sources

D = dt.date

EXPECTED = {
    "arxiv-api-atom/query_all-nicotine_2026-07-17.atom.xml": (10, "arxiv-api"),
    "arxiv-api-atom/query_cs.RO-neural_2025-10-17.atom.xml": (2, "arxiv-api"),
    "arxiv-mail/astro-ph_daily_2023-03-03.txt": (97, "arxiv-mail"),
    "arxiv-mail/q-fin_daily_2023-03-17.txt": (16, "arxiv-mail"),
    "arxiv-rss-atom/cs.AI_2025-08-20_trimmed.atom.xml": (7, "arxiv-feed"),
    "hf-daily-papers-api/2024-10-01.json": (11, "hf-api"),
    "hf-daily-papers-api/2025-06-12.json": (10, "hf-api"),
    "hf-daily-papers-search-dynamics.txt": (38, "hf-text"),
    "journal-rss-nature/nature_current_2024-06-20.rss": (75, "journal-rdf"),
    "journal-rss-nature/nature_current_2024-07-18.rss": (75, "journal-rdf"),
}


def read(shared_data, name, **kw):
    return read_source(str(shared_data / "digests" / name), digest_date=D(2025, 12, 15), **kw)


def test_every_digest_file_is_covered(shared_data):
    files = {
        str(p.relative_to(shared_data / "digests"))
        for p in (shared_data / "digests").rglob("*")
        if p.is_file() and p.name != "MANIFEST.md"
    }
    assert files == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_digest_counts_and_common_fields(shared_data, name):
    count, fmt = EXPECTED[name]
    papers = read(shared_data, name)
    assert len(papers) == count
    path = str(shared_data / "digests" / name)
    for paper in papers:
        assert paper.title and paper.source == path
        assert paper.extras["format"] == fmt
        data = paper.to_json()
        assert {"title", "abstract", "authors", "date", "ids", "url", "source", "extras"} <= set(data)


def test_arxiv_api_new_style(shared_data):
    papers = read(shared_data, "arxiv-api-atom/query_all-nicotine_2026-07-17.atom.xml")
    first = papers[0]
    assert first.title == "Single Molecule Transistor based Nanopore for the detection of Nicotine"
    assert (first.arxiv_id, first.arxiv_version) == ("1509.01687", "v1")
    assert first.authors == ["S. J. Ray"]
    assert first.categories == ["cond-mat.mes-hall", "physics.comp-ph"]
    assert first.doi == "10.1063/1.4904358"
    assert first.journal == "Journal of Applied Physics 116, 244307 (2014)"
    assert first.date == D(2015, 9, 5)
    assert first.extras["total_results"] == 58
    second = papers[1]
    assert (second.arxiv_id, second.arxiv_version) == ("1206.3474", "v2")
    assert second.authors == ["Hyung-June Lee", "Gunn Kim", "Young-Kyun Kwon"]
    assert second.extras["updated"] == "2013-07-09"
    assert all(p.abstract for p in papers)


def test_arxiv_api_old_style_primary_category_first(shared_data):
    papers = read(shared_data, "arxiv-api-atom/query_cs.RO-neural_2025-10-17.atom.xml")
    rdd = papers[0]
    assert rdd.title == ("RDD: Retrieval-Based Demonstration Decomposer for Planner Alignment in Long-Horizon Tasks")
    assert rdd.arxiv_id == "2510.14968" and rdd.arxiv_version == "v1"
    assert rdd.categories == ["cs.RO", "cs.AI", "cs.CV", "cs.LG", "cs.SY", "eess.SY"]
    assert rdd.authors == ["Mingxuan Yan", "Yuping Wang", "Zechun Liu", "Jiachen Li"]
    assert rdd.abstract.startswith("To tackle long-horizon tasks")
    assert rdd.extras["comment"].startswith("39th Conference on Neural Information Processing")
    assert rdd.doi is None
    assert papers[1].title == "Neural Implicit Flow Fields for Spatio-Temporal Motion Mapping"


def test_arxiv_rss_atom(shared_data):
    papers = read(shared_data, "arxiv-rss-atom/cs.AI_2025-08-20_trimmed.atom.xml")
    assert Counter(p.extras["section"] for p in papers) == {"cross": 5, "new": 2}
    align = papers[0]
    assert align.title.startswith("ALIGN: Word Association Learning")
    assert (align.arxiv_id, align.arxiv_version) == ("2508.13426", "v1")
    assert align.authors == ["Chunhua Liu", "Kabir Manandhar Shrestha", "Sukai Huang"]
    assert align.categories == ["cs.CL", "cs.AI"]
    assert align.abstract.startswith("As large language models (LLMs) increasingly mediate")
    assert "Announce Type" not in align.abstract
    assert align.date == D(2025, 8, 20)
    last = papers[-1]
    assert last.title == "Reward Shaping in Multi-Agent Reinforcement Learning"
    assert last.authors == ["Carol White", "Dave Brown"] and last.extras["section"] == "new"


def test_arxiv_mail_sections_and_fields(shared_data):
    papers = read(shared_data, "arxiv-mail/astro-ph_daily_2023-03-03.txt")
    # awk over the section separators: 53 new, 4 cross-lists, 40 replacements
    assert Counter(p.extras["section"] for p in papers) == {"new": 53, "cross": 4, "replacement": 40}
    first = papers[0]
    assert first.title == "Census of Gaseous Satellites around Local Spiral Galaxies"
    assert first.authors == ["Jingyao Zhu", "Mary E Putman"]
    assert first.arxiv_id == "2303.00763" and first.categories == ["astro-ph.GA"]
    assert first.date == D(2023, 3, 1)
    assert first.extras["listing_date"] == "2023-03-03"
    euro = next(p for p in papers if p.arxiv_id == "2303.00812")
    assert euro.extras["section"] == "cross" and euro.extras["cross_listing"] is True
    assert euro.categories[0] == "gr-qc"
    assert len(read(shared_data, "arxiv-mail/astro-ph_daily_2023-03-03.txt", skip_replacements=True)) == 57


def test_arxiv_mail_qfin(shared_data):
    papers = read(shared_data, "arxiv-mail/q-fin_daily_2023-03-17.txt")
    assert Counter(p.extras["section"] for p in papers) == {"new": 13, "replacement": 3}
    first = papers[0]
    assert first.title == "A Bayesian derivation of the square root law of market impact"
    assert first.authors == ["Louis Saddier", "Matteo Marsili"]
    assert first.categories == ["q-fin.TR", "cond-mat.stat-mech"]
    assert first.extras["comments"] == "16 pages, 5 figures"
    vol = next(p for p in papers if p.arxiv_id == "2303.09330")
    assert vol.title == ("Portfolio Volatility Estimation Relative to Stock Market Cross-Sectional Intrinsic Entropy")
    assert vol.doi == "10.3390/jrfm16020114"
    assert vol.journal == "Journal of Risk Financial Management 2023, 16(2), 114"
    tail = papers[-1]
    assert tail.arxiv_id == "2206.14015" and tail.extras["section"] == "replacement"
    assert tail.abstract == "" and tail.date == D(2023, 3, 16)
    skipped = read(shared_data, "arxiv-mail/q-fin_daily_2023-03-17.txt", skip_replacements=True)
    assert len(skipped) == 13 and all(p.extras["section"] == "new" for p in skipped)


def test_hf_api_json_both_schemas(shared_data):
    old = read(shared_data, "hf-daily-papers-api/2024-10-01.json")
    mm = old[0]
    assert mm.title == "MM1.5: Methods, Analysis & Insights from Multimodal LLM Fine-tuning"
    assert mm.arxiv_id == "2409.20566" and mm.extras["upvotes"] == 23
    assert mm.authors[:3] == ["Haotian Zhang", "Mingfei Gao", "Zhe Gan"]
    assert "ai_summary" not in mm.extras
    new = read(shared_data, "hf-daily-papers-api/2025-06-12.json")
    seed = new[0]
    assert seed.title == "Seedance 1.0: Exploring the Boundaries of Video Generation Models"
    assert seed.arxiv_id == "2506.09113" and seed.extras["upvotes"] == 24
    assert len(seed.authors) == 44 and seed.date == D(2025, 6, 10)
    assert seed.extras["ai_summary"] and seed.extras["projectPage"] == "https://seed.bytedance.com/seedance"
    assert [p.extras["upvotes"] for p in new[1:3]] == [19, 15]


def test_nature_rss_marks_non_research(shared_data):
    papers = read(shared_data, "journal-rss-nature/nature_current_2024-06-20.rss")
    # grep: 46 d41586 (magazine) DOIs, 29 s41586 (articles) of which 6 are corrections/retraction
    kinds = Counter(p.extras.get("item_kind", "research") for p in papers)
    assert kinds == {"news": 46, "correction": 5, "retraction": 1, "research": 23}
    assert all(p.doi and p.doi.startswith("10.1038/") for p in papers)
    assert all(p.journal == "Nature" for p in papers)
    # grep -o '<dc:date>[^<]*' | sort | uniq -c
    assert Counter(p.date for p in papers) == {
        D(2024, 6, 14): 4,
        D(2024, 6, 17): 12,
        D(2024, 6, 18): 17,
        D(2024, 6, 19): 42,
    }
    corr = papers[0]
    assert corr.title.startswith("Author Correction: Extensive halogen-mediated ozone destruction")
    assert corr.extras["non_research"] is True and corr.doi == "10.1038/s41586-024-07649-w"
    assert corr.authors[0] == "Katie A. Read" and len(corr.authors) == 16
    news = papers[1]
    assert news.title == "How huge black holes sprouted just after the Big Bang"
    assert news.abstract.startswith("Hubble observations of faint galaxies")
    assert "Published online" not in news.abstract


def test_nature_rss_second_snapshot(shared_data):
    papers = read(shared_data, "journal-rss-nature/nature_current_2024-07-18.rss")
    research = [p for p in papers if not p.extras.get("non_research")]
    assert len(research) == 27  # 31 s41586 DOIs minus 4 "Author Correction"
    catalysis = papers[0]
    assert catalysis.title == "Catalysis of an SN2 pathway by geometric preorganization"
    assert catalysis.authors == ["Gabriel J. Lovinger", "Marcus H. Sak", "Eric N. Jacobsen"]
    assert catalysis.doi == "10.1038/s41586-024-07811-4"


def test_all_digests_together_dedupe(shared_data):
    specs = [str(shared_data / "digests" / n) for n in sorted(EXPECTED)]
    papers, reports = read_sources(specs, digest_date=D(2025, 12, 15))
    assert [r.error for r in reports] == [None] * len(specs)
    assert sum(r.count for r in reports) == sum(c for c, _ in EXPECTED.values())
    keys = [k for p in papers for k in p.identity_keys()]
    assert len(keys) == len(set(keys))
