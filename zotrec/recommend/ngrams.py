"""Word 1-2 gram counts as scikit-learn's ``CountVectorizer`` gives them, in a fraction of its time.

scikit-learn builds every n-gram string of every document and looks each one up in a dict (a
Python exception per unknown bigram); here a document costs one regular-expression scan and one
dict lookup per word: words become integer ids, bigrams pairs of ids, and the counting, document
frequencies and vocabulary lookups run in numpy. Tokens are scikit-learn's own (its lowercasing,
``strip_accents_unicode``, ``token_pattern`` and stop words, stop words dropped before bigrams are
formed), so the vocabulary and every count are the same (tests compare them); vectorizers that use
anything else (a custom analyzer, preprocessor or tokenizer, other n-gram ranges) are left to
scikit-learn.
"""

from __future__ import annotations

import re
import weakref
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import repeat
from numbers import Integral
from typing import TYPE_CHECKING, Any

import numpy as np

from zotrec.recommend.texts import ASCII_FORMS
from zotrec.text import strip_accents

if TYPE_CHECKING:
    import scipy.sparse as sp

UNKNOWN = -1  # a word in no vocabulary term
STOP = -2  # a stop word: dropped before bigrams are formed


def supported(vec: Any) -> bool:
    """Whether ``vec`` (a Count/TfidfVectorizer) tokenises in the plain way this module reproduces."""
    return (
        vec.input == "content"
        and vec.analyzer == "word"
        and vec.preprocessor is None
        and vec.tokenizer is None
        and vec.strip_accents in (None, "unicode")
        and tuple(vec.ngram_range) in ((1, 1), (1, 2))
        and not vec.binary
        and re.compile(vec.token_pattern).groups == 0
    )


def word_splitter(vec: Any) -> Callable[[str], list[str]]:
    """``vec``'s unigram tokens of a document, stop words included (scikit-learn's preprocessing)."""
    findall = re.compile(vec.token_pattern).findall
    fast = ASCII_FORMS.get(vec.token_pattern)
    ascii_findall = re.compile(fast).findall if fast else findall
    lower, strip = vec.lowercase, vec.strip_accents == "unicode"

    def split(doc: str) -> list[str]:
        if lower:
            doc = doc.lower()
        if doc.isascii():
            return ascii_findall(doc)
        if strip:
            doc = strip_accents(doc)
        return findall(doc)

    return split


def _word_ids(
    vec: Any,
    docs: Sequence[str],
    ids_of: Callable[[list[str]], Iterable[int]],
    split: Callable[[str], list[str]] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``ids_of(tokens)`` of every document, flat, and the number of ids of each document
    (``split``: how a document becomes tokens; ``vec``'s way by default)."""
    split = split or word_splitter(vec)
    flat: list[int] = []
    lengths = np.empty(len(docs), dtype=np.int64)
    for n, doc in enumerate(docs):
        before = len(flat)
        flat += ids_of(split(doc))
        lengths[n] = len(flat) - before
    return np.asarray(flat, dtype=np.int64), lengths


def _pairs(ids: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Consecutive known words of one document: (first ids, second ids, rows)."""
    same = (rows[1:] == rows[:-1]) & (ids[1:] >= 0) & (ids[:-1] >= 0)
    return ids[:-1][same], ids[1:][same], rows[:-1][same]


def _matrix(rows: np.ndarray, cols: np.ndarray, shape: tuple[int, int], dtype: Any) -> sp.csr_matrix:
    """Counts of (row, column) pairs as a canonical CSR matrix (sorted indices, no duplicates)."""
    import scipy.sparse as sp  # here: tokenising (the digest reader process) needs numpy only

    X = sp.csr_matrix((np.ones(len(rows), dtype=dtype), (rows, cols)), shape=shape)
    X.sum_duplicates()
    return X


@dataclass(frozen=True)
class Tokens:
    """Documents as word ids (stop words included): document ``i`` is ``ids[bounds[i]:bounds[i + 1]]``,
    word id ``j`` is ``words[j]``. What :func:`fit_count` and :func:`count` read, made once per text."""

    words: list[str]
    ids: np.ndarray  # int32
    bounds: np.ndarray  # int64, one more than there are documents

    def __len__(self) -> int:
        return len(self.bounds) - 1

    def rows(self) -> np.ndarray:
        """The document of each id."""
        return np.repeat(np.arange(len(self), dtype=np.int64), np.diff(self.bounds))

    def take(self, docs: np.ndarray | Sequence[int]) -> Tokens:
        """The documents ``docs`` in that order (the same word table)."""
        docs = np.asarray(docs, dtype=np.int64)
        starts, lengths = self.bounds[docs], np.diff(self.bounds)[docs]
        bounds = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        at = np.repeat(starts - bounds[:-1], lengths) + np.arange(bounds[-1], dtype=np.int64)
        return Tokens(self.words, self.ids[at], bounds)

    def document(self, i: int) -> list[str]:
        """The words of document ``i``."""
        return [self.words[j] for j in self.ids[self.bounds[i] : self.bounds[i + 1]].tolist()]


def tokenize(vec: Any, docs: Sequence[str], split: Callable[[str], list[str]] | None = None) -> Tokens:
    """``vec``'s unigram tokens of each document as word ids (scikit-learn's preprocessing; or
    ``split``'s tokens, as an ``analyzer`` gives them)."""
    words: defaultdict[str, int] = defaultdict()
    words.default_factory = words.__len__
    ids, lengths = _word_ids(vec, docs, lambda tokens: map(words.__getitem__, tokens), split)
    bounds = np.zeros(len(docs) + 1, dtype=np.int64)
    np.cumsum(lengths, out=bounds[1:])
    return Tokens(list(words), ids.astype(np.int32), bounds)


def merge(parts: Sequence[Tokens]) -> Tokens:
    """The documents of ``parts``, one part after another, in one word table."""
    index: dict[str, int] = {}
    ids, bounds, offset = [], [np.zeros(1, dtype=np.int64)], 0
    for part in parts:
        remap = np.fromiter(
            (index.setdefault(word, len(index)) for word in part.words), dtype=np.int32, count=len(part.words)
        )
        ids.append(remap[part.ids])
        bounds.append(part.bounds[1:] + offset)
        offset += int(part.bounds[-1])
    return Tokens(list(index), np.concatenate(ids) if ids else np.zeros(0, np.int32), np.concatenate(bounds))


@dataclass(frozen=True)
class Lookup:
    """A fitted vocabulary as ids: word -> word id, word id -> unigram column, bigram key -> column."""

    words: dict[str, int]  # every word of a vocabulary term; stop words map to STOP
    unigram: np.ndarray  # column of each word id as a unigram term (-1: none)
    bigram_keys: np.ndarray  # first * n_words + second, sorted
    bigram_cols: np.ndarray  # the column of each key
    n_columns: int

    @classmethod
    def of(cls, vocabulary: dict[str, int], stop_words: frozenset[str] | None) -> Lookup:
        terms = list(vocabulary)
        columns = np.fromiter(map(int, vocabulary.values()), dtype=np.int64, count=len(terms))
        parts = [term.split(" ") for term in terms]
        distinct = dict.fromkeys(word for pair in parts for word in pair)
        words: dict[str, int] = dict(zip(distinct, range(len(distinct))))
        single = np.fromiter(map(len, parts), dtype=np.int64, count=len(parts)) == 1
        unigram = np.full(len(words), -1, dtype=np.int64)
        unigram[[words[t] for t, one in zip(terms, single.tolist()) if one]] = columns[single]
        pairs = [p for p, one in zip(parts, single.tolist()) if not one]
        keys = np.fromiter((words[a] * len(words) + words[b] for a, b in pairs), dtype=np.int64, count=len(pairs))
        order = np.argsort(keys, kind="stable")
        for word in stop_words or ():
            words.setdefault(word, STOP)
        return cls(words, unigram, keys[order], columns[~single][order], int(columns.max(initial=-1)) + 1)

    @classmethod
    def of_keys(cls, names: np.ndarray, n_words: int, keys: np.ndarray, stop_words: frozenset[str] | None) -> Lookup:
        """:meth:`of` the vocabulary whose column ``j`` is the term of ``keys[j]`` (:func:`fit_count`'s
        keys: a word id below ``n_words``, else ``n_words + first * n_words + second``; ``names``: the
        word of each id), the same table made without splitting the terms' strings."""
        single = keys < n_words
        first, second = np.divmod(keys[~single] - n_words, n_words)
        lengths = np.where(single, 1, 2)
        starts = np.cumsum(lengths) - lengths
        sequence = np.empty(int(lengths.sum()), dtype=np.int64)  # the terms' words, term by term
        sequence[starts[single]] = keys[single]
        sequence[starts[~single]] = first
        sequence[starts[~single] + 1] = second
        distinct, at = np.unique(sequence, return_index=True)
        in_order = distinct[np.argsort(at, kind="stable")]  # in order of first appearance, as ``of`` numbers them
        renumber = np.full(n_words, -1, dtype=np.int64)
        renumber[in_order] = np.arange(len(in_order))
        words: dict[str, int] = dict(zip(names[in_order].tolist(), range(len(in_order))))
        unigram = np.full(len(words), -1, dtype=np.int64)
        unigram[renumber[keys[single]]] = np.flatnonzero(single)
        pair_keys = renumber[first] * len(words) + renumber[second]
        order = np.argsort(pair_keys, kind="stable")
        for word in stop_words or ():
            words.setdefault(word, STOP)
        return cls(words, unigram, pair_keys[order], np.flatnonzero(~single)[order], len(keys))

    @cached_property
    def pairs(self) -> Any:
        """The bigram columns as a word x word matrix (CSR): entry (first, second) is the column of
        the bigram plus one, 0 for none (made once; not pickled)."""
        import scipy.sparse as sp

        n = len(self.unigram)
        first, second = np.divmod(self.bigram_keys, n)
        table = sp.csr_array((self.bigram_cols + 1, (first, second)), shape=(n, n))
        table.sort_indices()
        return table

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "pairs"}


_LOOKUPS: weakref.WeakKeyDictionary[Any, tuple[dict[str, int], Lookup]] = weakref.WeakKeyDictionary()
# The vocabularies fit_count made lately, by id: (the vocabulary, how to make its Lookup from the fit's arrays).
_FITTED: dict[int, tuple[dict[str, int], Callable[[frozenset[str] | None], Lookup]]] = {}


def lookup(vec: Any) -> Lookup:
    """The :class:`Lookup` of a fitted vectorizer (built once per vectorizer and vocabulary)."""
    vocabulary, found = _LOOKUPS.get(vec, (None, None))
    if found is None or vocabulary is not vec.vocabulary_:
        fitted = _FITTED.get(id(vec.vocabulary_))
        if fitted is not None and fitted[0] is vec.vocabulary_:
            found = fitted[1](vec.get_stop_words())
        else:
            found = Lookup.of(vec.vocabulary_, vec.get_stop_words())
        _LOOKUPS[vec] = (vec.vocabulary_, found)
    return found


def keep(vec: Any, table: Lookup) -> None:
    """Take ``table`` as the :class:`Lookup` of ``vec``'s present vocabulary (one saved with it)."""
    _LOOKUPS[vec] = (vec.vocabulary_, table)


def count(vec: Any, docs: Sequence[str] | Tokens, table: Lookup | None = None) -> sp.csr_matrix:
    """``vec``'s term counts of ``docs`` (texts, or their :class:`Tokens`) with its fitted vocabulary
    (``CountVectorizer.transform``)."""
    table = table or lookup(vec)
    if isinstance(docs, Tokens):
        to_table = np.fromiter(map(table.words.get, docs.words, repeat(UNKNOWN)), dtype=np.int64, count=len(docs.words))
        ids, rows = to_table[docs.ids], docs.rows()
    else:
        get = table.words.get
        ids, lengths = _word_ids(vec, docs, lambda tokens: map(get, tokens, repeat(UNKNOWN)))
        rows = np.repeat(np.arange(len(docs), dtype=np.int64), lengths)
    spoken = ids != STOP
    ids, rows = ids[spoken], rows[spoken]
    known = ids >= 0
    uni_cols = table.unigram[ids[known]]
    uni_rows = rows[known][uni_cols >= 0]
    uni_cols = uni_cols[uni_cols >= 0]
    all_rows, all_cols = [uni_rows], [uni_cols]
    if tuple(vec.ngram_range) == (1, 2) and len(table.bigram_keys):
        first, second, pair_rows = _pairs(ids, rows)
        columns = table.pairs[first, second] - 1
        hit = columns >= 0
        all_rows.append(pair_rows[hit])
        all_cols.append(columns[hit])
    return _matrix(np.concatenate(all_rows), np.concatenate(all_cols), (len(docs), table.n_columns), vec.dtype)


def fit_count(
    vec: Any, docs: Sequence[str] | Tokens, max_features: int | None = None
) -> tuple[dict[str, int], sp.csr_matrix]:
    """The vocabulary ``vec.fit`` would learn (terms pruned by ``min_df`` and ``max_df``, sorted) and
    the counts of ``docs`` (texts, or their :class:`Tokens`) in it (``CountVectorizer.fit_transform``).
    ``max_features``: only the terms of highest total count are kept, chosen as scikit-learn chooses
    them (argsort of minus the term frequency over the sorted survivors)."""
    tokens = docs if isinstance(docs, Tokens) else tokenize(vec, docs)
    stop = frozenset(vec.get_stop_words() or ())
    used = np.zeros(len(tokens.words), dtype=bool)
    used[tokens.ids] = True
    spoken = used & np.fromiter((w not in stop for w in tokens.words), dtype=bool, count=len(tokens.words))
    renumber = np.cumsum(spoken, dtype=np.int64) - 1  # the other words from 0, stop words dropped
    keep = spoken[tokens.ids]
    ids, rows = renumber[tokens.ids[keep]], tokens.rows()[keep]
    n_words = int(spoken.sum())
    names = np.array([w for w, s in zip(tokens.words, spoken.tolist()) if s] or [""], dtype=object)
    if len(tokens) * (n_words + n_words * n_words) >= 2**62:
        raise OverflowError("too many distinct words to count them as pairs of ids")
    keys, key_rows = ids, rows
    if tuple(vec.ngram_range) == (1, 2):
        first, second, pair_rows = _pairs(ids, rows)
        keys = np.concatenate([ids, n_words + first * n_words + second])
        key_rows = np.concatenate([rows, pair_rows])
    if not len(keys):
        raise ValueError("empty vocabulary; perhaps the documents only contain stop words")
    doc, key, tf = _document_terms(key_rows, keys, n_words + n_words * n_words)
    terms, term_of, dfs = _group(key)
    n_docs = len(tokens)
    high = vec.max_df if isinstance(vec.max_df, Integral) else vec.max_df * n_docs
    low = vec.min_df if isinstance(vec.min_df, Integral) else vec.min_df * n_docs
    if high < low:
        raise ValueError("max_df corresponds to < documents than min_df")
    kept = np.flatnonzero((dfs <= high) & (dfs >= low))
    if not len(kept):
        raise ValueError("After pruning, no terms remain. Try a lower min_df or a higher max_df.")
    strings = [
        names[t] if t < n_words else f"{names[(t - n_words) // n_words]} {names[(t - n_words) % n_words]}"
        for t in terms[kept].tolist()
    ]
    by_name = np.asarray(sorted(range(len(strings)), key=strings.__getitem__), dtype=np.int64)
    if max_features is not None and len(by_name) > max_features:
        tfs = np.bincount(term_of, weights=tf, minlength=len(terms))[kept[by_name]]
        by_name = by_name[np.sort((-tfs.astype(_sum_dtype(vec.dtype))).argsort()[:max_features])]
    column = np.full(len(terms), -1, dtype=np.int64)
    column[kept[by_name]] = np.arange(len(by_name))
    X = _document_matrix(doc, column[term_of], tf, (n_docs, len(by_name)), vec.dtype)
    vocabulary = {strings[i]: n for n, i in enumerate(by_name.tolist())}
    term_keys = terms[kept[by_name]]
    while len(_FITTED) >= 4:
        del _FITTED[next(iter(_FITTED))]
    _FITTED[id(vocabulary)] = (vocabulary, lambda stop_words: Lookup.of_keys(names, n_words, term_keys, stop_words))
    return vocabulary, X


def _document_terms(rows: np.ndarray, keys: np.ndarray, span: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each (row, key) pair once, sorted by row then key: (rows, keys, how often the pair occurs)."""
    pairs = np.sort(rows * span + keys)
    starts = np.flatnonzero(np.concatenate([[True], pairs[1:] != pairs[:-1]]))
    counts = np.diff(np.append(starts, len(pairs)))
    doc, key = np.divmod(pairs[starts], span)
    return doc, key, counts


def _group(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct values (sorted), the position of each value among them, and how often each occurs
    (``np.unique`` with ``return_inverse`` and ``return_counts``, by one sort of value and position
    packed in one integer when both fit in 63 bits)."""
    low = max(1, (len(values) - 1).bit_length())
    if len(values) and int(values.min()) >= 0 and int(values.max()).bit_length() + low <= 63:
        packed = np.sort((values << low) | np.arange(len(values), dtype=values.dtype))
        ordered, order = packed >> low, packed & ((1 << low) - 1)
    else:
        order = np.argsort(values, kind="stable")
        ordered = values[order]
    new = np.concatenate([[True], ordered[1:] != ordered[:-1]])
    starts = np.flatnonzero(new)
    inverse = np.empty(len(values), dtype=np.int64)
    inverse[order] = np.cumsum(new) - 1
    return ordered[starts], inverse, np.diff(np.append(starts, len(values)))


def _sum_dtype(dtype: Any) -> np.dtype:
    """The dtype of a column sum of a sparse matrix of ``dtype`` (scipy's: small integers widen)."""
    import scipy.sparse as sp

    return np.asarray(sp.csr_matrix((1, 1), dtype=dtype).sum(axis=0)).dtype


def _document_matrix(
    rows: np.ndarray, cols: np.ndarray, counts: np.ndarray, shape: tuple[int, int], dtype: Any
) -> sp.csr_matrix:
    """The canonical CSR matrix of distinct (row, column) pairs given in row order (``cols`` -1: left out)."""
    import scipy.sparse as sp

    keep = cols >= 0
    rows, cols = rows[keep], cols[keep]
    indptr = np.zeros(shape[0] + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=shape[0]), out=indptr[1:])
    X = sp.csr_matrix((counts[keep].astype(dtype), cols, indptr), shape=shape)
    X.sort_indices()
    return X
