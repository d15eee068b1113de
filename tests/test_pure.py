"""Unit tests of the pure functions the pipeline leans on: identifier normalisation, merging of
duplicate records, the choice of picks and Zotero keys derived from papers."""

from __future__ import annotations

import pytest

from zotrec.library.web import KEY_CHARS, derived_key
from zotrec.paper import Paper, normalize_arxiv_id, normalize_doi, normalize_title
from zotrec.pipeline import SyncOptions, choose
from zotrec.ranked import Ranked, Topic
from zotrec.sources import merge_duplicates


@pytest.mark.parametrize(
    "value, expected",
    [
        ("2401.01234", "2401.01234"),
        ("2401.01234v3", "2401.01234"),
        ("arXiv:2401.01234v2", "2401.01234"),
        ("https://arxiv.org/abs/2401.01234v2", "2401.01234"),
        ("https://arxiv.org/pdf/2401.01234v1.pdf", "2401.01234"),
        ("1501.0123", "1501.0123"),  # four-digit numbers before 2015
        ("hep-th/9901001v2", "hep-th/9901001"),
        ("math.AG/0601001", "math.AG/0601001"),
        ("https://arxiv.org/abs/cond-mat/0102536", "cond-mat/0102536"),
        ("  2401.01234  ", "2401.01234"),
        ("12401.01234", None),  # part of a longer number
        ("2401.012345678", None),
        ("version 1.2.3", None),
        ("", None),
        (None, None),
    ],
)
def test_normalize_arxiv_id(value, expected):
    assert normalize_arxiv_id(value) == expected


@pytest.mark.parametrize(
    "value, expected",
    [
        ("10.1038/s41586-024-07000-1", "10.1038/s41586-024-07000-1"),
        ("https://doi.org/10.1103/PhysRevLett.130.010001", "10.1103/physrevlett.130.010001"),
        ("doi:10.1145/3580305.3599256", "10.1145/3580305.3599256"),
        ("DOI: 10.1000/XYZ.", "10.1000/xyz"),  # sentence punctuation dropped
        ("(see 10.1000/abc)", "10.1000/abc"),
        ("10.12/too-short-prefix", None),
        ("no doi here", None),
        ("", None),
        (None, None),
    ],
)
def test_normalize_doi(value, expected):
    assert normalize_doi(value) == expected


def _folded_title(value: str) -> str:
    """normalize_title spelled out character by character: the reference it must match."""
    import re
    import unicodedata

    text = "".join(ch for ch in unicodedata.normalize("NFKD", value) if not unicodedata.combining(ch))
    text = re.sub(r"<[^>]+>", " ", re.sub(r"\$[^$]*\$", " ", text))
    return " ".join(re.sub(r"[^\w]+", " ", text.lower()).split())


def test_normalize_title_folds_accents_markup_and_punctuation():
    from zotrec.recommend.background import load_background

    odd = ["Ünïcödé café $x^2$ <b>bold</b> ＄fullwidth＄ ﬁber", "x\u0308y Ångström", "<i>a</i>$b$c", "日本語の研究"]
    titles = odd + [p.title for p in load_background()[:2000]]
    assert [normalize_title(t) for t in titles] == [_folded_title(t) for t in titles]
    assert normalize_title("Ünïcödé <b>café</b>: $x$ naïve") == "unicode cafe naive"


def test_merge_duplicates_fills_the_first_record_from_later_ones():
    page = Paper(title="Koopman Operators for Chaos", source="hf-page")
    api = Paper(
        title="Koopman operators for chaos",
        arxiv_id="2401.01234",
        authors=["A. Author"],
        abstract="We study...",
        source="hf-api",
        extras={"upvotes": 12, "format": "hf-api"},
    )
    other = Paper(title="Something else", doi="10.1000/other", source="feed")
    merged = merge_duplicates([page, api, other])
    assert merged == [page, api, other]  # nothing dropped here: dedupe keeps the first record later
    assert page.arxiv_id == "2401.01234" and page.authors == ["A. Author"] and page.abstract == "We study..."
    assert page.extras["upvotes"] == 12 and "format" not in page.extras
    assert page.authors is not api.authors  # a copy, not the duplicate's list
    assert other.arxiv_id is None and other.extras == {}


def test_merge_duplicates_keeps_what_the_first_record_has():
    first = Paper(title="A paper", arxiv_id="2401.00001", abstract="first abstract")
    later = Paper(title="A paper", arxiv_id="2401.00001", abstract="other abstract", doi="10.1000/x")
    merge_duplicates([first, later])
    assert first.abstract == "first abstract" and first.doi == "10.1000/x"


def _ranked(score: float, label: str | None = None, **extras) -> Ranked:
    topics = [Topic(label, label, 0.9)] if label else []
    return Ranked(paper=Paper(title=f"paper {score} {label}", extras=extras), score=score, topics=topics)


def test_choose_threshold_top_n_and_reasons():
    ranked = [_ranked(95), _ranked(90), _ranked(85), _ranked(40), _ranked(30)]
    choose(ranked, SyncOptions(digests=[], threshold=60, top_n=2))
    assert [r.chosen for r in ranked] == [True, True, False, False, False]
    assert ranked[2].why_not == "top 2 reached"
    assert ranked[3].why_not == "below threshold 60"
    assert all(r.why_not is None for r in ranked[:2])


def test_choose_per_topic_cap_counts_the_top_topic():
    ranked = [_ranked(99, "cs.LG"), _ranked(98, "cs.LG"), _ranked(97, "cs.LG"), _ranked(96, "math.DS"), _ranked(95)]
    choose(ranked, SyncOptions(digests=[], threshold=60, top_n=10, per_topic_max=2))
    assert [r.chosen for r in ranked] == [True, True, False, True, True]
    assert ranked[2].why_not == "per-topic cap 2 reached for cs.LG"


def test_choose_never_picks_a_non_research_item():
    ranked = [_ranked(99, non_research="news"), _ranked(90)]
    choose(ranked, SyncOptions(digests=[], threshold=60, top_n=10))
    assert [r.chosen for r in ranked] == [False, True]
    assert ranked[0].why_not == "not a research paper"


def test_derived_key_is_a_stable_zotero_key():
    key = derived_key("https://api.zotero.org/users/1", "arxiv:2401.01234")
    assert len(key) == 8 and set(key) <= set(KEY_CHARS) and "O" not in key and "0" not in key
    assert key == derived_key("https://api.zotero.org/users/1", "arxiv:2401.01234")
    assert key != derived_key("https://api.zotero.org/users/2", "arxiv:2401.01234")
    # the parts are separated: moving a character from one part to the next changes the key
    assert derived_key("ab", "c") != derived_key("a", "bc")
    keys = {derived_key("lib", f"arxiv:2401.{i:05d}") for i in range(2000)}
    assert len(keys) == 2000  # no collision among a realistic number of papers


def test_a_score_just_under_the_threshold_is_never_shown_at_it():
    """The empty day's sentence said "scored 50.0, below the threshold 50" for a 49.97."""
    from zotrec.paper import Paper
    from zotrec.pipeline import why_empty
    from zotrec.ranked import Ranked

    near = Ranked(Paper(title="UrbanInsight"), 49.97)
    assert "'UrbanInsight', scored 49.97, below the threshold 50 and" in why_empty([near], 50.0, 3)
    assert "scored 47.3, below the threshold 60" in why_empty([Ranked(Paper(title="T"), 47.31)], 60.0, 3)
    assert "scored 59.999, below the threshold 60" in why_empty([Ranked(Paper(title="T"), 59.9991)], 60.0, 0)
