"""Word ids made by another process (:mod:`zotrec.recommend.texts`) give the rows the texts give,
and the terms are scikit-learn's feature names."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import scipy.sparse as sp

from zotrec.paper import Paper
from zotrec.recommend import texts
from zotrec.recommend.background import load_background
from zotrec.recommend.features import Featurizer


@pytest.fixture(scope="module")
def fitted() -> tuple[Featurizer, list[Paper]]:
    names = ["Ada Lovelace", "A. Turing", "Grace Hopper", "Émilie du Châtelet", "K. Gödel", "Noether, Emmy"]
    papers = [replace(p, authors=[names[i % 6], names[(i * 7) % 6]]) for i, p in enumerate(load_background()[:400])]
    odd = [
        Paper(title="Ünïcödé café naïve résumé; Ångström ﬁber", abstract="$\\alpha$-decay in <i>thin</i> films"),
        Paper(title="日本語の研究と한국어 문장", abstract="mixed with English words, hyphen-ated 3d"),
        Paper(title="", abstract=""),
    ]
    featurizer = Featurizer()
    featurizer.fit_transform(papers[:300])
    return featurizer, papers[300:] + odd


def _same(a: sp.csr_matrix, b: sp.csr_matrix) -> bool:
    return (
        a.shape == b.shape
        and a.dtype == b.dtype
        and np.array_equal(a.indptr, b.indptr)
        and np.array_equal(a.indices, b.indices)
        and np.array_equal(a.data, b.data)
    )


def test_tokens_from_elsewhere_give_the_rows_of_the_texts(fitted):
    featurizer, papers = fitted
    tokens = texts.tokenize(papers)
    assert tokens.fits(featurizer.text, len(papers))
    want = featurizer.transform(papers)
    assert want.nnz > 1000
    assert _same(featurizer.transform(papers, tokens), want)
    rows = [5, 0, len(papers) - 1, 17]
    assert _same(featurizer.transform([papers[i] for i in rows], tokens.take(rows)), want[rows])


def test_tokens_split_otherwise_or_of_other_papers_are_not_used(fitted):
    featurizer, papers = fitted
    want = featurizer.transform(papers)
    upper = texts.tokenize(papers, texts.Split(lowercase=False))
    assert not upper.fits(featurizer.text, len(papers))
    assert _same(featurizer.transform(papers, upper), want)
    fewer = texts.tokenize(papers[:-1])
    assert not fewer.fits(featurizer.text, len(papers))
    assert _same(featurizer.transform(papers, fewer), want)


def test_feature_names_are_scikit_learns(fitted):
    featurizer, _ = fitted
    want = list(featurizer.text.get_feature_names_out())
    want += [f"author:{a}" for a in featurizer.authors.get_feature_names_out()]
    names = featurizer.feature_names()
    assert names.dtype == object and len(names) > 1000 and list(names) == want
    assert any(n.startswith("author:") for n in names)
