"""The fast word n-gram counts are scikit-learn's: the same vocabulary and the same count in every cell."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer, strip_accents_unicode

from zotrec.recommend import features, ngrams
from zotrec.recommend.background import load_background

ODD = [
    "",
    "the and of",  # stop words only
    "Ünïcödé café naïve résumé; Ångström ﬁber ½ ℌilbert",
    "日本語の研究と한국어 문장 mixed with English words",
    "a\u0301\u0327 combining marks alone x\u0308y",
    "hyphen-ated words_with_underscores 3d 2x ab-cd-ef",
    "repeat repeat repeat repeat the repeat",
    "Repeat, REPEAT; repeat. Other words between the repeats and the end",
]


@pytest.fixture(scope="module")
def texts() -> list[str]:
    return [features.paper_text(p) for p in load_background()[:500]] + ODD


def _same(a: sp.spmatrix, b: sp.spmatrix) -> bool:
    a, b = sp.csr_matrix(a), sp.csr_matrix(b)
    a.sort_indices()
    b.sort_indices()
    return (
        a.shape == b.shape
        and a.dtype == b.dtype
        and np.array_equal(a.indptr, b.indptr)
        and np.array_equal(a.indices, b.indices)
        and np.array_equal(a.data, b.data)
    )


SETTINGS = [
    {"stop_words": "english", "ngram_range": (1, 2), "min_df": 2, "max_df": 0.5, "strip_accents": "unicode"},
    {
        "stop_words": "english",
        "ngram_range": (1, 2),
        "min_df": 3,
        "max_df": 40,
        "token_pattern": features.TOKEN_PATTERN,
    },
    {"stop_words": None, "ngram_range": (1, 1), "min_df": 1, "max_df": 1.0, "lowercase": False},
    {"stop_words": ["model", "data"], "ngram_range": (1, 2), "min_df": 0.01, "max_df": 0.9, "strip_accents": None},
]


@pytest.mark.parametrize("params", SETTINGS)
def test_fit_and_transform_counts_are_scikit_learns(texts, params):
    reference = CountVectorizer(dtype=np.float32, **params)
    want = reference.fit_transform(texts[:300])
    fast = CountVectorizer(dtype=np.float32, **params)
    assert ngrams.supported(fast)
    vocabulary, got = ngrams.fit_count(fast, texts[:300])
    assert vocabulary == reference.vocabulary_
    assert _same(got, want)
    assert _same(ngrams.count(reference, texts[300:]), reference.transform(texts[300:]))


def test_strip_accents_is_scikit_learns():
    rng = np.random.default_rng(0)
    samples = ODD + ["".join(map(chr, rng.integers(0x80, 0x2FFFF, size=300))) for _ in range(200)]
    marks = [0x301, 0x327, 0x308, 0x20D7, 0x1DC0, 0xE9, 0xC5, 0xFB01, 0xBD, 0x2460]  # marks, accented, compat
    mixed = [rng.choice([*range(0x20, 0x7F), *marks], size=200) for _ in range(200)]  # ASCII runs between them
    samples += ["".join(map(chr, codes)) for codes in mixed] + [" e\u0301 a\u0327b ", "\u0301x", "x\u0301"]
    assert [ngrams.strip_accents(s) for s in samples] == [strip_accents_unicode(s) for s in samples]


def test_tfidf_fit_and_transform_match_scikit_learn(texts):
    """The shipped vectorizer: ``fit_tfidf`` and ``_transform_chunk`` give scikit-learn's matrices."""
    vec = features.Featurizer()._text_vectorizer(300)
    X = features.fit_tfidf(vec, texts[:300])
    reference = TfidfVectorizer(**vec.get_params())
    want = reference.fit_transform(texts[:300])
    assert vec.vocabulary_ == reference.vocabulary_
    assert abs(X - want).max() < 1e-6
    assert _same(features._transform_chunk(vec, texts[300:]), reference.transform(texts[300:]).astype(np.float32))


def test_other_vectorizers_are_left_to_scikit_learn(texts):
    assert not ngrams.supported(CountVectorizer(analyzer="char"))
    assert not ngrams.supported(CountVectorizer(ngram_range=(1, 3)))
    assert not ngrams.supported(CountVectorizer(token_pattern=r"(\w+)"))
    assert not ngrams.supported(TfidfVectorizer(analyzer=str.split))
    vec = TfidfVectorizer(analyzer=str.split, dtype=np.float32).fit(texts[:50])
    assert _same(features._transform_chunk(vec, texts[50:80]), vec.transform(texts[50:80]))


def test_a_refitted_vectorizer_gets_a_new_lookup(texts):
    vec = CountVectorizer(dtype=np.float32).fit(texts[:20])
    first = ngrams.lookup(vec)
    assert ngrams.lookup(vec) is first
    vec.fit(texts[20:40])
    assert ngrams.lookup(vec) is not first
    assert _same(ngrams.count(vec, texts[40:60]), vec.transform(texts[40:60]))


def test_no_vocabulary_left_raises_as_scikit_learn_does():
    with pytest.raises(ValueError, match="empty vocabulary"):
        ngrams.fit_count(CountVectorizer(stop_words="english"), ["the and of", "a an"])
    with pytest.raises(ValueError, match="no terms remain"):
        ngrams.fit_count(CountVectorizer(min_df=2), ["alpha beta", "gamma delta", "epsilon zeta"])


@pytest.mark.parametrize("params", SETTINGS[:2])
def test_tokens_made_in_parts_count_as_the_texts(texts, params):
    """Texts tokenised in parts (as two processes do), merged into one word table and cut again:
    the same vocabulary and counts as the texts themselves, and as scikit-learn's."""
    vec = CountVectorizer(dtype=np.float32, **params)
    parts = [ngrams.tokenize(vec, texts[:150]), ngrams.tokenize(vec, texts[150:])]
    tokens = ngrams.merge(parts)
    assert len(tokens) == len(texts)
    assert [tokens.document(i) for i in (0, 149, 150, len(texts) - 1)] == [
        ngrams.word_splitter(vec)(texts[i]) for i in (0, 149, 150, len(texts) - 1)
    ]
    order = np.random.default_rng(0).permutation(len(texts))
    fit_at, rest_at = order[:300], order[300:]
    reference = CountVectorizer(dtype=np.float32, **params)
    want = reference.fit_transform([texts[i] for i in fit_at])
    vocabulary, got = ngrams.fit_count(vec, tokens.take(fit_at))
    assert vocabulary == reference.vocabulary_
    assert _same(got, want)
    rest = [texts[i] for i in rest_at]
    assert _same(ngrams.count(reference, tokens.take(rest_at)), reference.transform(rest))
    assert _same(ngrams.count(reference, tokens.take(rest_at)), ngrams.count(reference, rest))


def test_a_sampled_fit_on_tokens_is_scikit_learns(texts, monkeypatch):
    """More papers than the fit sample: vocabulary and idf from the sample, every paper counted in
    them, as scikit-learn's vectorizer fitted on the sample and applied to all gives it."""
    monkeypatch.setattr(features, "FIT_SAMPLE", 200)
    featurizer = features.Featurizer(features.FeatureSettings(author_weight=0))
    X = featurizer.fit_transform_tokens(featurizer.tokenize(texts), [""] * len(texts))
    sample = np.sort(np.random.default_rng(len(texts)).choice(len(texts), size=200, replace=False))
    reference = TfidfVectorizer(**featurizer._text_vectorizer(200).get_params())
    reference.fit([texts[i] for i in sample])
    assert featurizer.text is not None and featurizer.text.vocabulary_ == reference.vocabulary_
    want = reference.transform(texts).astype(np.float32)
    assert X.shape == want.shape and abs(X - want).max() < 1e-6
    # and exactly what the serial path on the texts gives
    again = features.Featurizer(features.FeatureSettings(author_weight=0)).fit_transform_texts(texts, [""] * len(texts))
    assert _same(X, again)


def test_the_ascii_token_pattern_finds_the_same_words_in_ascii_text(texts):
    """Documents in ASCII are split by a pattern without the CJK alternative: the same words."""
    import re
    import string

    from zotrec.recommend import texts as texts_module

    rng = np.random.default_rng(0)
    alphabet = np.array(list(string.printable))
    odd = ["".join(rng.choice(alphabet, size=200)) for _ in range(300)]
    odd += ["_a a_ -ab ab- a-b- __ x1 1x é-ab ab_1-2 a\nb\tc", "word-\nnext", "-", "a"]
    ascii_texts = [t for t in texts + odd if t.isascii()]
    assert len(ascii_texts) > 650  # the sample's ASCII texts and the odd strings
    fast = re.compile(texts_module.ASCII_PATTERN).findall
    for pattern in (texts_module.TOKEN_PATTERN, texts_module.LATIN_PATTERN):
        assert texts_module.ASCII_FORMS[pattern] == texts_module.ASCII_PATTERN
        slow = re.compile(pattern).findall
        assert all(slow(t) == fast(t) and slow(t.lower()) == fast(t.lower()) for t in ascii_texts)
        split = ngrams.word_splitter(TfidfVectorizer(token_pattern=pattern, strip_accents="unicode"))
        assert [split(t) for t in texts] == [slow(strip_accents_unicode(t.lower())) for t in texts]


def test_the_author_space_is_scikit_learns():
    """Author tokens fitted by ngrams: scikit-learn's TfidfVectorizer(analyzer=str.split) vocabulary,
    idf and rows; no author twice: no author block, as scikit-learn's ValueError said."""
    from zotrec.recommend.features import Featurizer, author_tokens

    authors = [author_tokens(p) for p in load_background()[:2000]] + ["", "solo_x", "solo_x  twice_y", " a_b\tc_d "]
    vec = Featurizer()
    got = vec.fit_authors(authors)
    want_vec = TfidfVectorizer(analyzer=str.split, min_df=2, sublinear_tf=True, dtype=np.float32)
    want = want_vec.fit_transform(authors).astype(np.float32) * vec.settings.author_weight
    assert vec.authors.vocabulary_ == want_vec.vocabulary_ and _same(got, want)
    assert np.array_equal(vec.authors.idf_, want_vec.idf_)
    assert _same(vec.authors.transform(authors[:50]), want_vec.transform(authors[:50]))
    assert Featurizer().fit_authors(["a_b c_d", "e_f", ""]) is None


@pytest.mark.parametrize("dtype", [np.float32, np.int64])
@pytest.mark.parametrize("limit", [1, 50, 400])
def test_a_vocabulary_cut_to_max_features_is_scikit_learns(texts, dtype, limit):
    """The terms of highest total count, ties at the cut broken as scikit-learn breaks them."""
    params = {"stop_words": "english", "ngram_range": (1, 2), "min_df": 2, "max_df": 0.5, "dtype": dtype}
    reference = CountVectorizer(max_features=limit, **params)
    want = reference.fit_transform(texts[:300])
    vocabulary, got = ngrams.fit_count(CountVectorizer(**params), texts[:300], max_features=limit)
    assert len(vocabulary) == limit
    assert vocabulary == reference.vocabulary_
    assert _same(got, want)


def test_grouping_is_numpys_unique():
    rng = np.random.default_rng(0)
    for values in (
        rng.integers(0, 50, 1000),
        rng.integers(0, 2**40, 5000),
        rng.integers(2**55, 2**62, 300),  # too wide to pack with the positions: sorted by argsort
        np.array([7]),
    ):
        terms, inverse, counts = ngrams._group(values.astype(np.int64))
        want_terms, want_inverse, want_counts = np.unique(values, return_inverse=True, return_counts=True)
        assert np.array_equal(terms, want_terms)
        assert np.array_equal(inverse, want_inverse)
        assert np.array_equal(counts, want_counts)


def _same_lookup(a: ngrams.Lookup, b: ngrams.Lookup) -> bool:
    return (
        a.words == b.words
        and list(a.words) == list(b.words)
        and a.n_columns == b.n_columns
        and all(np.array_equal(getattr(a, k), getattr(b, k)) for k in ("unigram", "bigram_keys", "bigram_cols"))
    )


@pytest.mark.parametrize("params", SETTINGS)
def test_the_lookup_of_a_fit_is_made_from_its_arrays_as_the_vocabulary_gives_it(texts, params, monkeypatch):
    vec = CountVectorizer(dtype=np.float32, **params)
    vec.vocabulary_, _ = ngrams.fit_count(vec, texts[:300])
    want = ngrams.Lookup.of(vec.vocabulary_, vec.get_stop_words())

    def not_from_strings(*args: object) -> None:
        raise AssertionError("built from the vocabulary's strings")

    monkeypatch.setattr(ngrams.Lookup, "of", not_from_strings)
    got = ngrams.lookup(vec)
    assert _same_lookup(got, want)
    assert _same(
        ngrams.count(vec, texts[300:]),
        CountVectorizer(dtype=np.float32, **params).fit(texts[:300]).transform(texts[300:]),
    )


def test_the_bigram_table_is_made_once_and_not_pickled(texts):
    import pickle

    vec = CountVectorizer(dtype=np.float32, ngram_range=(1, 2)).fit(texts[:100])
    table = ngrams.Lookup.of(vec.vocabulary_, vec.get_stop_words())
    assert table.pairs is table.pairs
    n = len(table.unigram)
    first, second = np.divmod(table.bigram_keys, n)
    assert np.array_equal(table.pairs[first, second] - 1, table.bigram_cols)
    assert table.pairs.nnz == len(table.bigram_keys)
    again = pickle.loads(pickle.dumps(table))
    assert "pairs" not in again.__dict__ and _same_lookup(again, table)
    assert np.array_equal(again.pairs.toarray(), table.pairs.toarray())
