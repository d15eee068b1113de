"""The shipped background sample stores its text as Papers clean it, so cold runs decode no LaTeX."""

from __future__ import annotations

from zotrec.recommend.background import _load_rows, background_texts, load_background, shipped_text
from zotrec.text import clean_text


def test_shipped_text_is_already_clean_unless_cleaning_is_unstable():
    """Every stored title and abstract is its own clean_text (building its Paper decodes nothing), or
    was kept as written because cleaning it twice differs from cleaning it once."""
    raw = 0
    for _, title, abstract, _ in _load_rows():
        for text in (title, abstract):
            if clean_text(text) != text:
                assert clean_text(clean_text(text)) != clean_text(text)
                raw += 1
    assert raw < 10


def test_shipped_text_gives_the_paper_the_raw_text_gives():
    for text in ["Fr\\'ed\\'eric's $\\alpha$-stable   process", "plain  text", "$x$ and $$y$$ in {braces}", ""]:
        assert clean_text(shipped_text(text)) == clean_text(text)


def test_background_texts_are_the_papers_titles_and_abstracts():
    papers = load_background()
    assert background_texts() == [(p.title, p.abstract) for p in papers]
    assert not any(p.authors for p in papers)  # the sample has no authors
