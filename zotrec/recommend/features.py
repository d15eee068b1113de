"""Features: tf-idf of title + abstract (word 1-2 grams) next to tf-idf of author names.

Both spaces are fitted once per library version on the library plus the background sample; the
author block is scaled by ``author_weight`` and stacked beside the text block, so a row's squared
norm is ``1 + author_weight**2`` when it has authors.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer, TfidfVectorizer

from zotrec.paper import Paper
from zotrec.recommend import ngrams
from zotrec.recommend.texts import LATIN_PATTERN, TOKEN_PATTERN, PaperTokens, paper_text


@dataclass(frozen=True)
class FeatureSettings:
    max_df: float = 0.5
    max_features: int = 100_000
    author_weight: float = 0.5
    cjk: bool = True


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in text if not unicodedata.combining(ch)).lower()


def author_tokens(paper: Paper) -> str:
    """One token per author: ``lastname_initial`` (``Ada Lovelace`` and ``A. Lovelace`` -> ``lovelace_a``)."""
    return author_tokens_of(paper.authors)


def author_tokens_of(names: list[str]) -> str:
    """:func:`author_tokens` of a paper with these (cleaned) author names."""
    return " ".join(token for name in names[:50] if (token := _author_token(name)))


@lru_cache(maxsize=1 << 17)  # names repeat across a library's papers
def _author_token(name: str) -> str:
    """``lastname_initial`` of one name, "" when its last name has fewer than two letters."""
    name = name.lower() if name.isascii() else _fold(name)
    if "," in name:
        last, first = name.split(",", 1)
    else:
        parts = name.replace(".", ". ").split()
        if not parts:
            return ""
        last, first = parts[-1], " ".join(parts[:-1])
    last = _NON_LETTER.sub("", last)
    initial = _NON_LETTER.sub("", first)[:1]
    return f"{last}_{initial}" if len(last) >= 2 else ""


_NON_LETTER = re.compile(r"[^a-z]")


class Featurizer:
    """Text (and optionally author) tf-idf, fitted once; ``transform`` gives float32 CSR rows."""

    def __init__(self, settings: FeatureSettings | None = None) -> None:
        self.settings = settings or FeatureSettings()
        self.text: TfidfVectorizer | None = None
        self.authors: TfidfVectorizer | None = None

    def _text_vectorizer(self, n_docs: int) -> TfidfVectorizer:
        s = self.settings
        return TfidfVectorizer(
            strip_accents="unicode",
            lowercase=True,
            stop_words="english",
            token_pattern=TOKEN_PATTERN if s.cjk else LATIN_PATTERN,
            ngram_range=(1, 2),
            min_df=2 if n_docs < 20000 else 3,
            max_df=s.max_df,
            max_features=s.max_features,
            sublinear_tf=True,
            dtype=np.float32,
        )

    def fit_transform(self, papers: list[Paper]) -> sp.csr_matrix:
        """Fit on ``papers`` (on a random ``FIT_SAMPLE`` of them when there are more) and transform all."""
        return self.fit_transform_texts([paper_text(p) for p in papers], [author_tokens(p) for p in papers])

    def fit_transform_texts(self, texts: list[str], authors: list[str]) -> sp.csr_matrix:
        """:meth:`fit_transform` of papers given by their :func:`paper_text` and :func:`author_tokens`."""
        return self.fit_transform_tokens(self.tokenize(texts), authors)

    def tokenize(self, texts: list[str]) -> ngrams.Tokens:
        """The word ids :meth:`fit_transform_tokens` reads (any process can make them)."""
        return ngrams.tokenize(self._text_vectorizer(0), texts)

    def fit_transform_tokens(self, tokens: ngrams.Tokens, authors: list[str]) -> sp.csr_matrix:
        """:meth:`fit_transform_texts` of the texts ``tokens`` come from (:meth:`tokenize`).

        On more than ``FIT_SAMPLE`` papers the vocabulary and idf are fitted on a random sample of
        them (:func:`fit_sample`: those of a large library are settled long before 15k papers),
        then all are counted."""
        n = len(tokens)
        sample = fit_sample(n)
        if sample is None:
            X = self.fit_text(tokens, n)
        else:
            in_sample = np.zeros(n, dtype=bool)
            in_sample[sample] = True
            rest = np.flatnonzero(~in_sample)
            X = join_rows(
                [self.fit_text(tokens.take(sample), n), self.transform_tokens(tokens.take(rest))], [sample, rest]
            )
        return self.with_authors(X, authors)

    def fit_text(self, tokens: ngrams.Tokens, n_docs: int) -> sp.csr_matrix:
        """Fit the text space on ``tokens`` (the fit sample of ``n_docs`` papers): their float32 rows."""
        self.text = self._text_vectorizer(min(n_docs, FIT_SAMPLE))
        return fit_tfidf(self.text, tokens).astype(np.float32)

    def transform_tokens(self, tokens: ngrams.Tokens) -> sp.csr_matrix:
        """The text rows of ``tokens`` in the fitted text space (no author block)."""
        return _transform_chunk(self.text, tokens)

    def with_authors(self, X: sp.csr_matrix, authors: list[str]) -> sp.csr_matrix:
        """Fit the author space on ``authors`` (one per row of ``X``, the text rows) and put its rows
        beside them."""
        return beside(X, self.fit_authors(authors))

    def fit_authors(self, authors: list[str]) -> sp.csr_matrix | None:
        """Fit the author space on papers' :func:`author_tokens`: their rows, scaled by ``author_weight``
        (None: no author block)."""
        self.authors = None
        if self.settings.author_weight <= 0:
            return None
        vectorizer = TfidfVectorizer(analyzer=str.split, min_df=2, sublinear_tf=True, dtype=np.float32)
        try:  # its fit_transform, counted by ngrams (the same vocabulary, idf and rows)
            A = fit_tfidf(vectorizer, ngrams.tokenize(vectorizer, authors, str.split)).astype(np.float32)
        except OverflowError:  # more distinct names than ngrams' keys hold
            A = vectorizer.fit_transform(authors).astype(np.float32)
        except ValueError:  # no author appears twice
            return None
        vectorizer.stop_words_ = None
        self.authors = vectorizer
        return A * self.settings.author_weight

    @property
    def n_features(self) -> int:
        n = len(self.text.vocabulary_) if self.text is not None else 0
        return n + (len(self.authors.vocabulary_) if self.authors is not None else 0)

    def transform(self, papers: list[Paper], tokens: PaperTokens | None = None) -> sp.csr_matrix:
        """The rows of ``papers``; ``tokens``: their texts' word ids when already made (counted only
        when this vectorizer splits words as they were split)."""
        if not papers:
            return sp.csr_matrix((0, self.n_features), dtype=np.float32)
        if tokens is not None and tokens.fits(self.text, len(papers)):
            X = self.transform_tokens(tokens.tokens)
        else:
            X = _transform_texts(self.text, [paper_text(p) for p in papers])
        if self.authors is not None:
            A = self.authors.transform([author_tokens(p) for p in papers]).astype(np.float32)
            X = sp.hstack([X, A * self.settings.author_weight], format="csr")
        return X.tocsr()

    def feature_names(self) -> np.ndarray:
        assert self.text is not None, "fit the features first"
        names = list(_terms(self.text))
        if self.authors is not None:
            names += [f"author:{a}" for a in _terms(self.authors)]
        return np.asarray(names, dtype=object)

    def __getstate__(self) -> dict[str, Any]:
        return dict(self.__dict__)


def beside(X: sp.csr_matrix, A: sp.csr_matrix | None) -> sp.csr_matrix:
    """Text rows ``X`` with their author rows ``A`` (:meth:`Featurizer.fit_authors`) beside them."""
    if A is not None:
        X = sp.hstack([X, A], format="csr")
    return X.tocsr()


def _terms(vec: Any) -> np.ndarray:
    """``vec.get_feature_names_out()``: each term at its column, placed directly rather than by
    sorting the vocabulary (which a run's ~100k terms make cost a tenth of a second)."""
    vocabulary = vec.vocabulary_
    columns = np.fromiter(vocabulary.values(), dtype=np.intp, count=len(vocabulary))
    if not np.array_equal(np.sort(columns), np.arange(len(columns))):
        return vec.get_feature_names_out()
    names = np.empty(len(columns), dtype=object)
    names[columns] = list(vocabulary)
    return names


FIT_SAMPLE = 15_000  # papers the vocabulary and idf are fitted on
PARALLEL_FROM = 6_000  # transform this many texts or more in two worker processes


def fit_sample(n_docs: int) -> np.ndarray | None:
    """The rows (sorted) the text space of ``n_docs`` papers is fitted on; None: all of them."""
    if n_docs <= FIT_SAMPLE:
        return None
    return np.sort(np.random.default_rng(n_docs).choice(n_docs, size=FIT_SAMPLE, replace=False))


def join_rows(blocks: list[sp.csr_matrix], rows: list[np.ndarray]) -> sp.csr_matrix:
    """One matrix from ``blocks`` whose rows are the rows ``rows[i]`` of it (each row once)."""
    order = np.argsort(np.concatenate(rows), kind="stable")
    return sp.vstack(blocks, format="csr")[order]


def _transform_chunk(
    vec: TfidfVectorizer, texts: list[str] | ngrams.Tokens, table: ngrams.Lookup | None = None
) -> sp.csr_matrix:
    """``vec.transform(texts)`` as float32 CSR, counted by :mod:`zotrec.recommend.ngrams` when it can
    (``texts`` may be given as their :class:`~zotrec.recommend.ngrams.Tokens`)."""
    if not ngrams.supported(vec):
        assert not isinstance(texts, ngrams.Tokens), "tokens are made for the shipped vectorizer only"
        return vec.transform(texts).astype(np.float32).tocsr()
    counts = ngrams.count(vec, texts, table)
    return vec._tfidf.transform(counts, copy=False).astype(np.float32, copy=False).tocsr()


def _transform_texts(vec: TfidfVectorizer, texts: list[str]) -> sp.csr_matrix:
    """``vec.transform`` as float32 CSR; large inputs split over two joblib worker processes."""
    if len(texts) < PARALLEL_FROM:
        return _transform_chunk(vec, texts)
    from joblib import Parallel, delayed

    half = (len(texts) + 1) // 2
    table = ngrams.lookup(vec) if ngrams.supported(vec) else None
    parts = Parallel(n_jobs=2)(delayed(_transform_chunk)(vec, chunk, table) for chunk in (texts[:half], texts[half:]))
    return sp.vstack(parts, format="csr")


def _fit_counts(
    counter: CountVectorizer, texts: list[str] | ngrams.Tokens, limit: int | None
) -> tuple[dict[str, int], sp.csr_matrix]:
    """The vocabulary and counts of ``counter.fit_transform(texts)`` (``texts`` or their tokens), cut
    to the ``limit`` terms of highest total count as scikit-learn cuts them (argsort of minus the
    term frequency over the sorted survivors)."""
    if isinstance(texts, ngrams.Tokens):
        return ngrams.fit_count(counter, texts, limit)
    if ngrams.supported(counter):
        try:
            return ngrams.fit_count(counter, texts, limit)
        except OverflowError:  # more distinct words than pairs of int64 ids can tell apart
            pass
    counts = counter.fit_transform(texts)
    vocabulary = counter.vocabulary_
    if limit is not None and len(vocabulary) > limit:
        tfs = np.asarray(counts.sum(axis=0)).ravel()
        keep = np.sort((-tfs).argsort()[:limit])
        names = np.empty(len(vocabulary), dtype=object)
        for term, j in vocabulary.items():
            names[j] = term
        vocabulary = {str(term): i for i, term in enumerate(names[keep])}
        counts = counts[:, keep]
    return vocabulary, counts


def fit_tfidf(vec: TfidfVectorizer, texts: list[str] | ngrams.Tokens) -> sp.csr_matrix:
    """``vec.fit_transform(texts)``: the same vocabulary, idf and matrix, faster and in less memory
    (``texts`` may be given as their :class:`~zotrec.recommend.ngrams.Tokens`).

    The counts come from :mod:`zotrec.recommend.ngrams` (scikit-learn's for vectorizers it does not
    cover), pruned by ``min_df``/``max_df`` before any term string is made and sorted as
    scikit-learn sorts them, then cut to ``max_features`` as scikit-learn does it (argsort of minus
    the term frequency over the sorted survivors).
    """
    params = vec.get_params()
    limit = params["max_features"]
    counter = CountVectorizer(
        **{k: v for k, v in params.items() if k in CountVectorizer().get_params() and k != "max_features"}
    )
    vocabulary, counts = _fit_counts(counter, texts, limit)
    vec.vocabulary_ = vocabulary
    vec.fixed_vocabulary_ = False
    vec._tfidf = TfidfTransformer(
        norm=vec.norm, use_idf=vec.use_idf, smooth_idf=vec.smooth_idf, sublinear_tf=vec.sublinear_tf
    ).fit(counts)
    return vec._tfidf.transform(counts, copy=False)
