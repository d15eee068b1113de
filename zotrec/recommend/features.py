"""Text features: one tf-idf space (word 1-2 grams) fitted on the library plus the background sample."""

from __future__ import annotations

import re

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer

from zotrec.paper import Paper

_TEX = re.compile(r"\$[^$]*\$|\\[a-zA-Z]+|[{}]")
_TAGS = re.compile(r"<[^>]+>")


def paper_text(paper: Paper) -> str:
    """Title + abstract with TeX and HTML markup stripped (the title counted twice: it is denser)."""
    text = f"{paper.title}. {paper.title}. {paper.abstract}"
    return _TAGS.sub(" ", _TEX.sub(" ", text))


def make_vectorizer(n_docs: int) -> TfidfVectorizer:
    """The vectorizer: unicode-folded word uni+bigrams, sublinear tf, l2 norm, float32."""
    return TfidfVectorizer(
        strip_accents="unicode",
        lowercase=True,
        stop_words="english",
        token_pattern=r"(?u)\b[a-zA-Z_][a-zA-Z0-9_\-]+\b",
        ngram_range=(1, 2),
        min_df=2 if n_docs < 20000 else 3,
        max_df=0.5,
        max_features=100_000,
        sublinear_tf=True,
        dtype=np.float32,
    )


def fit_transform(papers: list[Paper]) -> tuple[TfidfVectorizer, sp.csr_matrix]:
    """Fit the vectorizer on ``papers`` and return it with their features (one tokenizing pass)."""
    vec = make_vectorizer(len(papers))
    X = vec.fit_transform([paper_text(p) for p in papers]).astype(np.float32).tocsr()
    vec.stop_words_ = None  # sklearn keeps every pruned term here; large and useless once fitted
    return vec, X


def transform(vec: TfidfVectorizer, papers: list[Paper]) -> sp.csr_matrix:
    if not papers:
        return sp.csr_matrix((0, len(vec.vocabulary_)), dtype=np.float32)
    return vec.transform([paper_text(p) for p in papers]).astype(np.float32).tocsr()
