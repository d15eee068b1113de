"""The text a paper is vectorised by, and its word ids, made without scikit-learn.

:func:`paper_text` is what the text features read; :func:`tokenize` splits papers' texts into word
ids (:class:`~zotrec.recommend.ngrams.Tokens`) with the shipped vectorizer's settings, so another
process (the digest reader, :mod:`zotrec.digest_side`) can do it while this one loads
scikit-learn. A fitted vectorizer counts them only when it splits words the same way
(:meth:`PaperTokens.fits`); its counts are then those of the texts themselves.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from zotrec.paper import Paper
    from zotrec.recommend.ngrams import Tokens

_TEX = re.compile(r"\$[^$]*\$|\\[a-zA-Z]+|[{}]")
_TAGS = re.compile(r"<[^>]+>")
# words (latin letters first) and single CJK characters (so 1-2 grams give CJK character bigrams)
TOKEN_PATTERN = r"(?u)\b[a-zA-Z_][a-zA-Z0-9_\-]+\b|[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]"
LATIN_PATTERN = r"(?u)\b[a-zA-Z_][a-zA-Z0-9_\-]+\b"  # without CJK characters
# In ASCII text both find the same words as this pattern, which has no alternative for other
# scripts to try at every position (tests compare them): zotrec.recommend.ngrams splits by it there.
ASCII_PATTERN = r"(?a)\b[a-zA-Z_][a-zA-Z0-9_\-]+\b"
ASCII_FORMS = {TOKEN_PATTERN: ASCII_PATTERN, LATIN_PATTERN: ASCII_PATTERN}


def paper_text(paper: Paper) -> str:
    """Title + abstract with TeX and HTML markup stripped (the title counted twice: it is denser)."""
    return text_of(paper.title, paper.abstract)


def text_of(title: str, abstract: str) -> str:
    """:func:`paper_text` of a paper with this (cleaned) title and abstract."""
    text = f"{title}. {title}. {abstract}"
    if "$" in text or "\\" in text or "{" in text or "}" in text:
        text = _TEX.sub(" ", text)
    return _TAGS.sub(" ", text) if "<" in text else text


@dataclass(frozen=True)
class Split:
    """How words are split (the attributes :func:`zotrec.recommend.ngrams.word_splitter` reads)."""

    token_pattern: str = TOKEN_PATTERN
    lowercase: bool = True
    strip_accents: str | None = "unicode"


@dataclass(frozen=True)
class PaperTokens:
    """The word ids of some papers' :func:`paper_text`, one document per paper, and how they were split."""

    split: Split
    tokens: Tokens

    def fits(self, vec: Any, n_papers: int) -> bool:
        """Whether ``vec`` (a fitted text vectorizer) may count these for ``n_papers`` papers."""
        from zotrec.recommend import ngrams

        same = (vec.token_pattern, vec.lowercase, vec.strip_accents) == (
            self.split.token_pattern,
            self.split.lowercase,
            self.split.strip_accents,
        )
        return same and len(self.tokens) == n_papers and ngrams.supported(vec)

    def take(self, rows: list[int]) -> PaperTokens:
        """The papers ``rows`` in that order."""
        return PaperTokens(self.split, self.tokens.take(rows))


def tokenize(papers: list[Paper], split: Split | None = None) -> PaperTokens:
    """The word ids of ``papers``' texts (numpy, no scikit-learn)."""
    from zotrec.recommend import ngrams

    split = split or Split()
    return PaperTokens(split, ngrams.tokenize(split, [paper_text(p) for p in papers]))
