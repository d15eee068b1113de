"""Scoring digest papers against the user's library.

How a paper is scored
---------------------
1. Features (:mod:`zotrec.recommend.features`): tf-idf of title + abstract (word 1-2 grams, CJK
   character 1-2 grams) beside tf-idf of author names (weight 0.5), fitted once per library version
   on the library plus a shipped background sample of real arXiv papers; cached as a
   :class:`LibraryIndex` (``to_bytes``/``from_bytes``).
2. A linear model (LinearSVC, C=0.3, balanced classes) learns "your library" against "the rest"
   (a library under 50 items trains on every item and then expands itself: the model is fitted
   again with the digest papers its first pass ranked highest, the top 5 % and at most 10, as extra
   positives of weight 0.3; small-library benchmark, ``benchmarks/small_library.py``):
   positives are the library items (plus papers you marked +1, weight 5); negatives are the day's
   digest (as arxiv-sanity-lite does), papers you marked -1 (weight 5), and the background sample,
   whose weight fades from 1 to 0 as the digest grows to 1,000 papers (it stands in for a small digest).
   A Complement Naive Bayes log ratio fitted on the same weighted rows (smoothing 0.1, scaled to unit
   spread over the training rows) is added to the SVM's weights with weight 0.5: one linear model.
3. Nearest neighbours: the mean cosine similarity to the 5 most similar library items (on each
   paper's 40 weightiest terms), minus the similarity to the closest paper you marked -1; papers
   marked +1 count as library items here.
4. raw = model margin + 2 x neighbour similarity.
5. Interests (:mod:`zotrec.interests`, a library with two or more): each interest's raw value is
   2 x the mean similarity to the 5 nearest papers *of that interest* (from the same neighbour
   search), and each interest has its own scale (below). Papers are ranked by score, then by raw
   value above the median reference of the scale that gave the score.

The score scale (0-100, the same meaning every day)
---------------------------------------------------
A paper's raw value is compared with two fixed reference sets scored by the same model on the
same day, neither of which the model was trained on: held-out papers of the background sample
("a random arXiv paper") and held-out items of your own library ("a typical paper you saved")::

    score = 50 x (share of reference arXiv papers it beats) + 50 x (share of reference library items it beats)

So a typical random arXiv paper scores about 25, a paper that beats every reference arXiv paper but
no library item scores 50, a paper as close to your interests as the median item of your library
scores about 75, and a score near 100 means it beats every reference item of your library. Because
the scale is anchored on your own library, a threshold (e.g. 60) means the same thing every day
whatever the digest. Beyond the outermost reference of each set the share does not clamp to 0 or
1: the last half step of the set (``0.5 / n``) is spread over the distance to that reference (see
:func:`_ecdf`), so the score is strictly increasing in the raw value, never reaches 0 or 100, and
papers beyond every reference keep their order (no pile-up of ties at either end). The references
are every 8th background paper (829) and 10% of the library (at most 200 items), drawn by a hash of
each item's title so that neither its key nor the library's size decides which, less the items you
marked +1 or -1 (the model is trained on those as feedback); a library under 50 items, trained on in
full, serves as its own reference. Papers flagged
``extras["non_research"]`` score 0 and come last; against an empty library every paper scores 0.

An interest's scale is the same formula with that interest's raw values: the same arXiv
references, and the interest's own held-out papers as library references (a fifth of them, at
least 2 and at most 40, kept out of training with the library references). A paper's score is its
best over the library and the interests, where an interest can lift only a paper that already
scores 50 or more on the library's scale (it beats every reference arXiv paper): "75" means as close
to the library, or to one interest, as the median of its papers; a small interest is not crowded out
by a large one, and an arXiv paper near one small interest does not overtake library-like ones.
A paper's ``interest`` is where it belongs best (:mod:`zotrec.recommend.filing`), or None when it
scores below 50 on the library's scale and on every interest's.
"""

from __future__ import annotations

import hashlib
import pickle
import zlib
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

import numpy as np
import scipy.sparse as sp
from sklearn.svm import LinearSVC

from zotrec.interests import Interests, InterestSettings, select_interests
from zotrec.paper import Paper, normalize_title
from zotrec.ranked import Reason
from zotrec.recommend import features
from zotrec.recommend.background import load_background
from zotrec.recommend.filing import InterestClassifier, venue_text
from zotrec.recommend.texts import PaperTokens

FORMAT_VERSION = 5


@dataclass(frozen=True)
class Settings:
    """Tunable parts of the recommender (defaults = what the benchmark chose)."""

    C: float = 0.3
    knn_k: int = 5
    knn_weight: float = 2.0
    use_background: bool = True
    # per-paper weight of background negatives (digest negatives weigh 1); None: 1 - digest size / 1000,
    # so the background stands in for a small digest and steps aside for a full day of arXiv
    background_weight: float | None = None
    feedback_weight: float = 5.0
    # per-paper weight of papers marked -1 in the linear model; None: ``feedback_weight``
    negative_weight: float | None = None
    negative_penalty: float = 1.0
    max_train_positives: int = 20000
    # a Complement Naive Bayes log-ratio on the same rows, scaled to unit spread over the training rows,
    # added to the linear model with this weight (0: off); it sharpens the top of the ranking
    nb_weight: float = 0.5
    nb_alpha: float = 0.1
    # a library under this many items trains on every item (none held out for the scale's reference)
    # and expands itself from the digest: the model is fitted a second time with the digest papers
    # it ranked first (the top 5 %, at most ``expand_top``) as extra positives of weight ``expand_weight``;
    # a few: on a day where 2 % of the digest is relevant, more of them are mostly noise and push it up
    small_library: int = 50
    expand_top: int = 10
    expand_weight: float = 0.3


@dataclass
class Recommendation:
    paper: Paper
    score: float  # 0-100, see the module docstring
    reasons: list[Reason]  # the 3 nearest library items, closest first
    terms: list[str]  # the terms that weighed most for this paper
    raw: float = 0.0  # breaks ties of equal scores: raw value above the median reference of its scale
    disliked: str | None = None  # the paper marked -1 that held this one down (see Recommender.rank)
    interest: str | None = None  # the interest (collection path) the paper matched best, None if none stands out

    def to_json(self) -> dict[str, Any]:
        return {
            "score": round(self.score, 1),
            "interest": self.interest,
            "reasons": [r.to_json() for r in self.reasons],
            "terms": self.terms,
        }


def _draws(titles: list[str], salt: bytes) -> np.ndarray:
    """A number per row drawn from its title alone (a keyed hash, 64 bits): the same whatever the
    item's key, its row, the library's size or the run. ``salt`` makes the draws of one use
    independent of another's."""
    blake2b = hashlib.blake2b
    return np.fromiter(
        (
            int.from_bytes(blake2b(t.encode("utf-8", "surrogatepass"), digest_size=8, key=salt).digest(), "big")
            for t in titles
        ),
        dtype=np.uint64,
        count=len(titles),
    )


def _reference_indices(titles: list[str], share: float, cap: int) -> np.ndarray:
    """``share`` of the rows (at least 3, at most ``cap``; none under 10 rows): those whose title draws
    lowest (:func:`_draws`), so an item is a reference or not by its title, not by where a random
    item key sorts it, and adding or removing items leaves the others where they were."""
    n = len(titles)
    if n < 10:
        return np.arange(0)
    count = min(cap, max(3, int(n * share)))
    return np.sort(np.argsort(_draws(titles, b"library"), kind="stable")[:count])


DEFAULT_INTERESTS = InterestSettings()
INTEREST_REFS = (0.2, 2, 40)  # share of each interest's papers held out as its references (at least, at most)


def _reference_rows(titles: list[str], membership: np.ndarray) -> np.ndarray:
    """The library's reference rows: 10% (at most 200, :func:`_reference_indices`), topped up so that
    each interest has a fifth of its papers (at least 2, at most 40) among them, its members that
    draw lowest first."""
    if len(titles) < 10:
        return np.arange(0)
    refs = set(_reference_indices(titles, 0.1, 200).tolist())
    draws = _draws(titles, b"interest")
    share, low, high = INTEREST_REFS
    for j in range(membership.shape[1]):
        members = np.flatnonzero(membership[:, j])
        want = min(high, max(low, round(share * len(members))), len(members) - 1)
        have = [m for m in members if m in refs]
        if want > len(have):
            rest = np.setdiff1d(members, have)
            rest = rest[np.argsort(draws[rest], kind="stable")]
            refs.update(rest[: want - len(have)].tolist())
    return np.asarray(sorted(refs), dtype=np.int64)


@dataclass
class LibraryIndex:
    """Features of the user's library (and of the background sample), picklable and cacheable."""

    vectorizer: Any
    library: sp.csr_matrix
    titles: list[str]
    keys: list[str | None]
    added: list[str]  # each item's dateAdded (ISO, "" when unknown)
    recency_rank: np.ndarray  # 0 = most recently added
    background: sp.csr_matrix
    lib_ref: np.ndarray  # library rows held out of training: the scale's positive reference
    bg_ref: np.ndarray  # background rows held out of training: the scale's negative reference
    neighbours: sp.csr_matrix  # library rows cut to their KNN_TERMS weightiest terms (nearest-neighbour search)
    interests: list[str] = field(default_factory=list)  # interest names (collection paths), see zotrec.interests
    membership: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=bool))  # library row x interest
    filing: InterestClassifier | None = None  # which interest a paper belongs to
    interest_key: str = ""  # identifies the collections and settings the interests were found with
    filing_rows: frozenset[str] = frozenset()  # the rows the filing classifier was fitted on (see filing_signature)
    _terms: np.ndarray | None = field(default=None, repr=False)
    _neighbours_t: sp.csr_matrix | None = field(default=None, repr=False)

    @classmethod
    def build(
        cls,
        library: list[Paper],
        feature_settings: features.FeatureSettings | None = None,
        interests: InterestSettings | None = DEFAULT_INTERESTS,
    ) -> LibraryIndex:
        """Fit the feature space on library + background and vectorize both; find the interests
        (``interests=None``: none, the library is one profile)."""
        papers = [p for p in library if (p.title or p.abstract)]
        vec = features.Featurizer(feature_settings)
        X = vec.fit_transform(papers + load_background())
        n = len(papers)
        index = cls.assemble(
            vec, X[:n], [p.title for p in papers], [p.key for p in papers], [p.date_added or "" for p in papers], X[n:]
        )
        if interests is None:
            return index
        return index.with_interests([p.collections for p in papers], [venue_text(p) for p in papers], interests)

    def with_interests(
        self,
        collections: list[list[str]],
        venues: list[str],
        settings: InterestSettings,
        key: str = "",
        row_ids: list[str] | None = None,
        previous: LibraryIndex | None = None,
    ) -> LibraryIndex:
        """This index with the interests of its rows (``collections[i]``: row i's collection paths,
        ``venues[i]``: its journal or proceedings title): membership, each interest's reference rows and
        the filing classifier. Fewer than two interests: none (a single interest is the library itself).

        ``row_ids`` (each row's content id) and ``previous`` (the index of an earlier run) let the
        filing classifier of ``previous`` be kept when it reads the same features and interests and
        at most ``FILING_DRIFT`` of the rows it was fitted on changed since (:func:`reusable_filing`)."""
        n = len(self)
        found = select_interests(collections, settings)
        if len(found) < 2:
            found = Interests([], {}, settings)
        membership = np.zeros((n, len(found)), dtype=bool)
        labels = found.labels(collections) if len(found) else []
        if labels:
            column = {name: j for j, name in enumerate(found.names)}
            cells = [(i, column[x]) for i, of_row in enumerate(labels) for x in of_row]
            if cells:
                rows, cols = np.asarray(cells, dtype=np.int64).T
                membership[rows, cols] = True
        names = list(found.names)
        signature = filing_signature(row_ids, labels) if row_ids is not None and names else frozenset()
        kept = reusable_filing(previous, self, names, signature)
        filing: InterestClassifier | None
        if kept is not None:
            filing, signature = kept
        else:
            filing = InterestClassifier.fit(self.library, venues, membership, seed=n) if names else None
        return replace(
            self,
            interests=names,
            membership=membership,
            lib_ref=_reference_rows(self.titles, membership) if names else _reference_indices(self.titles, 0.1, 200),
            filing=filing,
            interest_key=key,
            filing_rows=signature,
        )

    @classmethod
    def assemble(
        cls,
        vectorizer: Any,
        library: sp.csr_matrix,
        titles: list[str],
        keys: list[str | None],
        added: list[str],
        background: sp.csr_matrix,
        neighbours: sp.csr_matrix | None = None,
    ) -> LibraryIndex:
        """An index from library rows already vectorised by ``vectorizer`` (``neighbours``: their pruned
        rows, when known). The references and the recency order depend only on these arguments."""
        n = library.shape[0]
        order = sorted(range(n), key=added.__getitem__, reverse=True)
        recency = np.empty(n, dtype=np.int32)
        recency[np.asarray(order, dtype=np.int64)] = np.arange(n, dtype=np.int32)
        return cls(
            vectorizer=vectorizer,
            library=library,
            titles=titles,
            keys=keys,
            added=added,
            recency_rank=recency,
            background=background,
            lib_ref=_reference_indices(titles, 0.1, 200),
            bg_ref=np.arange(0, background.shape[0], 8),
            neighbours=prune_rows(library, KNN_TERMS) if neighbours is None else neighbours,
        )

    def __len__(self) -> int:
        return self.library.shape[0]

    @property
    def terms(self) -> np.ndarray:
        if self._terms is None:
            self._terms = self.vectorizer.feature_names()
        return self._terms

    @property
    def neighbours_t(self) -> sp.csr_matrix:
        """``neighbours`` transposed (CSR), made once per run for the nearest-neighbour searches."""
        if self._neighbours_t is None:
            self._neighbours_t = self.neighbours.T.tocsr()
        return self._neighbours_t

    def __getstate__(self) -> dict[str, Any]:
        return dict(self.__dict__, _terms=None, _neighbours_t=None)  # derived: made again when needed

    def transform(self, papers: list[Paper], tokens: PaperTokens | None = None) -> sp.csr_matrix:
        """The rows of ``papers`` (``tokens``: their word ids when already made, see :mod:`zotrec.recommend.texts`)."""
        return self.vectorizer.transform(papers, tokens)

    def to_bytes(self) -> bytes:
        state = dict(self.__dict__, _terms=None, _neighbours_t=None)
        return zlib.compress(pickle.dumps((FORMAT_VERSION, state), protocol=5), 1)

    @classmethod
    def from_bytes(cls, data: bytes) -> LibraryIndex:
        version, state = pickle.loads(zlib.decompress(data))
        if version != FORMAT_VERSION:
            raise ValueError(f"library index format {version}, expected {FORMAT_VERSION}")
        return cls(**state)


FILING_DRIFT = 0.05  # share of its rows that may change before the filing classifier is fitted again


def filing_signature(row_ids: list[str], labels: list[list[str]]) -> frozenset[str]:
    """One text per row: its content id and the interests it is in (``labels``, as
    :meth:`zotrec.interests.Interests.labels` gives them): a row moved to another collection counts
    as changed even where its content id does not say so."""
    joined: dict[tuple[str, ...], str] = {}
    out = []
    for rid, of_row in zip(row_ids, labels):
        key = tuple(of_row)
        text = joined.get(key)
        if text is None:
            text = joined[key] = "\x1e".join(sorted(of_row))
        out.append(f"{rid}\x1f{text}")
    return frozenset(out)


def reusable_filing(
    previous: LibraryIndex | None, index: LibraryIndex, names: list[str], rows: frozenset[str]
) -> tuple[InterestClassifier, frozenset[str]] | None:
    """``previous``'s filing classifier and the rows it was fitted on, when ``index`` can keep it: the
    same vectorizer (the classifier's weights are over its features), the same interests, and at
    most ``FILING_DRIFT`` of those rows changed (added, edited, deleted or moved; ``rows``: the
    current :func:`filing_signature`). None: fit it again."""
    if previous is None or previous.filing is None or not rows:
        return None
    fitted: frozenset[str] = getattr(previous, "filing_rows", frozenset())
    if not fitted or previous.vectorizer is not index.vectorizer or previous.interests != names:
        return None
    if len(rows ^ fitted) > FILING_DRIFT * len(fitted):
        return None
    return previous.filing, fitted


def _mask_out(n: int, idx: np.ndarray) -> np.ndarray:
    keep = np.ones(n, dtype=bool)
    keep[idx] = False
    return np.flatnonzero(keep)


def _ecdf(refs: np.ndarray):
    """The share of ``refs`` a raw value beats, as a continuous, strictly increasing function.

    Between the smallest and the largest reference it is the interpolated empirical CDF (levels
    ``(i + 0.5) / n``). Beyond them, where a plain ECDF would clamp to 0 or 1 and tie every paper
    there, the last half step ``0.5 / n`` is spread over the distance to the outermost reference:
    ``edge / (1 + d / spread)`` below and ``1 - edge / (1 + d / spread)`` above, ``spread`` being
    the references' standard deviation. The tails never reach 0 or 1, so papers the model ranks
    apart keep distinct scores at both ends, and the meaning inside the references is unchanged.
    """
    refs = np.sort(np.asarray(refs, dtype=np.float64))
    n = len(refs)
    if n == 0:
        return lambda x: np.full(np.shape(x), 0.5)
    levels = (np.arange(n) + 0.5) / n
    edge = 0.5 / n
    spread = float(refs.std()) if n > 1 else 0.0
    spread = spread if spread > 0 else 1.0

    def share(x):
        x = np.asarray(x, dtype=np.float64)
        out = np.interp(x, refs, levels)
        below, above = x < refs[0], x > refs[-1]
        out[below] = edge / (1.0 + (refs[0] - x[below]) / spread)
        out[above] = 1.0 - edge / (1.0 + (x[above] - refs[-1]) / spread)
        return out

    return share


KNN_TERMS = 40
DISLIKE_SIMILARITY = 0.5  # a paper this close to one marked -1 is "like" it
DISLIKE_POINTS = 5.0  # or the -1 paper's neighbour penalty cost it this many points
INTEREST_NEIGHBOURS = 50  # nearest library papers searched for each interest's neighbour part
INTEREST_MIN_SCORE = 50.0  # an interest "stands out" when the paper scores at least this
# an interest lifts a paper's score only when the paper already beats every arXiv reference on the
# library's scale (a lift below that let arXiv papers near one small interest overtake library-like ones)
INTEREST_GATE = 50.0


PRUNE_CHUNK = 8192  # rows pruned per pass: bounds the temporary arrays of a large library


def prune_rows(X: sp.csr_matrix, k: int) -> sp.csr_matrix:
    """Each row cut to its ``k`` largest entries and l2-normalised again (sparser, faster products).

    Row by row (ties broken by column): a row comes out the same whatever other rows the matrix holds,
    so a large matrix is pruned ``PRUNE_CHUNK`` rows at a time."""
    X = X.tocsr()
    if X.shape[0] <= PRUNE_CHUNK:
        return _prune(X, k)
    parts = [_prune(X[i : i + PRUNE_CHUNK], k) for i in range(0, X.shape[0], PRUNE_CHUNK)]
    return sp.vstack(parts, format="csr")


def top_entries(X: sp.csr_matrix, k: int) -> sp.csr_matrix:
    """Each row cut to its ``k`` largest entries, values unchanged (equal weights: the lower columns
    first, as :func:`prune_rows` chooses). These are the only entries of these columns ``prune_rows``
    can keep, so ``prune_rows`` of these rows beside other columns equals ``prune_rows`` of the whole
    rows beside them: a large matrix can be cut block by block before its other columns are known."""
    X = X.astype(np.float32)
    X.sort_indices()
    counts = np.diff(X.indptr)
    keep = _top_k(X.data, np.repeat(np.arange(X.shape[0]), counts), X.indptr, counts, k)
    indptr = np.concatenate([[0], np.cumsum(np.minimum(counts, k))])
    return sp.csr_matrix((X.data[keep], X.indices[keep], indptr), shape=X.shape)


def _prune(X: sp.csr_matrix, k: int) -> sp.csr_matrix:
    X = X.astype(np.float32)
    X.sort_indices()
    counts = np.diff(X.indptr)
    rows = np.repeat(np.arange(X.shape[0]), counts)
    keep = _top_k(X.data, rows, X.indptr, counts, k)
    data, cols, kept_rows = X.data[keep], X.indices[keep], rows[keep]
    norms = np.sqrt(np.bincount(kept_rows, weights=data.astype(np.float64) ** 2, minlength=X.shape[0]))
    norms[norms == 0] = 1.0
    data = (data / norms[kept_rows]).astype(np.float32)
    indptr = np.concatenate([[0], np.cumsum(np.minimum(counts, k))])
    return sp.csr_matrix((data, cols, indptr), shape=X.shape)


def _top_k(data: np.ndarray, rows: np.ndarray, indptr: np.ndarray, counts: np.ndarray, k: int) -> np.ndarray:
    """Mask of each row's ``k`` largest entries (equal weights: the lower columns, stored first).

    Non-negative float32 weights sort as their bit patterns: one sort of (row, weight) keys gives each
    row's k-th weight; entries above it are kept, and entries equal to it in column order up to k."""
    big = counts > k
    if not big.any():
        return np.ones(len(data), dtype=bool)
    if np.signbit(data).any() or not np.isfinite(data).all():  # the general way: a lexicographic sort
        order = np.lexsort((-data, rows))
        keep = np.zeros(len(data), dtype=bool)
        keep[order[np.arange(len(order)) - indptr[rows[order]] < k]] = True
        return keep
    low = np.uint64(0xFFFFFFFF)
    bits = data.view(np.uint32).astype(np.uint64)
    ordered = np.sort((rows.astype(np.uint64) << np.uint64(32)) | (low - bits))  # row, then weight descending
    kth = np.zeros(len(counts), dtype=np.uint64)
    kth[big] = low - (ordered[indptr[:-1][big] + k - 1] & low)
    limit = kth[rows]
    above = bits > limit
    tie = (bits == limit) & big[rows]
    need = k - np.bincount(rows[above], minlength=len(counts))
    seen = np.cumsum(tie)
    before = np.concatenate([[0], seen])[indptr[:-1]]
    return ~big[rows] | above | (tie & (seen - before[rows] <= need[rows]))


def top_k_similar(
    queries: sp.csr_matrix,
    library: sp.csr_matrix,
    k: int,
    chunk: int = 256,
    exclude: np.ndarray | None = None,
    library_t: sp.csr_matrix | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Indices and cosines of the ``k`` most similar library rows for each query row, best first
    (equal cosines: lower library row first).

    Works on the sparse product (a few % dense with pruned rows): no dense query x library matrix;
    only the candidates for each row's ``k`` best are sorted.
    Rows with fewer than ``k`` positive cosines are padded with similarity 0 (index 0).
    ``exclude[i]`` (optional) is a library row to ignore for query ``i`` (itself, for references).
    ``library_t``: ``library.T`` as CSR, when the caller keeps it.
    """
    n, m = queries.shape[0], library.shape[0]
    k = max(0, min(k, m))
    idx = np.zeros((n, k), dtype=np.int64)
    sims = np.zeros((n, k), dtype=np.float32)
    if k == 0 or n == 0:
        return idx, sims
    lib_t = library.T.tocsr() if library_t is None else library_t
    for start in range(0, n, chunk):
        block = (queries[start : start + chunk] @ lib_t).tocsr()
        rows = np.repeat(np.arange(block.shape[0]), np.diff(block.indptr))
        cols, vals = block.indices, block.data
        keep = vals > 0
        if exclude is not None:
            keep &= cols != exclude[start : start + chunk][rows]
        rows, cols, vals = rows[keep], cols[keep], vals[keep]
        # each row's k-th best cosine: entries below it cannot be among its k best
        ends = np.cumsum(np.bincount(rows, minlength=block.shape[0]))
        cut = np.full(block.shape[0], -np.inf, dtype=np.float32)
        for r in np.flatnonzero(np.diff(ends, prepend=0) > k):
            row_vals = vals[ends[r - 1] if r else 0 : ends[r]]
            cut[r] = np.partition(row_vals, len(row_vals) - k)[len(row_vals) - k]
        candidate = vals >= cut[rows]
        rows, cols, vals = rows[candidate], cols[candidate], vals[candidate]
        order = np.lexsort((cols, -vals, rows))  # by row, best first, then by library row
        rows, cols, vals = rows[order], cols[order], vals[order]
        first = np.searchsorted(rows, np.arange(block.shape[0]))
        rank_in_row = np.arange(len(rows)) - first[rows]
        top = rank_in_row < k
        idx[start + rows[top], rank_in_row[top]] = cols[top]
        sims[start + rows[top], rank_in_row[top]] = vals[top]
    return idx, sims


class Recommender:
    """Ranks digest papers for one library (and the feedback given so far)."""

    def __init__(
        self,
        index: LibraryIndex,
        *,
        feedback: list[tuple[Paper, int]] | None = None,
        settings: Settings | None = None,
    ) -> None:
        self.index = index
        self.settings = settings or Settings()
        self.feedback = [(p, int(v)) for p, v in (feedback or []) if int(v) != 0]

    # -- scoring -----------------------------------------------------------------------------
    def _fit(
        self, digest: sp.csr_matrix, fb_pos: sp.csr_matrix, fb_neg: sp.csr_matrix, expansion: np.ndarray | None = None
    ) -> _Linear | None:
        """Train the linear model on library (+1 feedback) against background, -1 feedback and digest;
        the digest rows ``expansion`` are also positives, of weight ``expand_weight``."""
        s, ix = self.settings, self.index
        train_lib = _mask_out(len(ix), ix.lib_ref) if len(ix) >= s.small_library else np.arange(len(ix))
        if len(train_lib) > s.max_train_positives:  # keep the newest half, sample the rest
            recent = train_lib[np.argsort(ix.recency_rank[train_lib], kind="stable")]
            half = s.max_train_positives // 2
            rng = np.random.default_rng(len(train_lib))
            rest = rng.choice(recent[half:], size=s.max_train_positives - half, replace=False)
            train_lib = np.sort(np.concatenate([recent[:half], rest]))
        blocks, labels, weights = [ix.library[train_lib]], [np.ones(len(train_lib))], [np.ones(len(train_lib))]
        bg_weight = s.background_weight
        if bg_weight is None:
            bg_weight = max(0.0, 1.0 - digest.shape[0] / 1000.0)
        if s.use_background and bg_weight > 0:
            bg = ix.background[_mask_out(ix.background.shape[0], ix.bg_ref)]
            blocks.append(bg)
            labels.append(np.zeros(bg.shape[0]))
            weights.append(np.full(bg.shape[0], bg_weight))
        extra = digest[expansion] if expansion is not None else digest[:0]
        for block, label, weight in (
            (fb_pos, 1.0, s.feedback_weight),
            (fb_neg, 0.0, s.feedback_weight if s.negative_weight is None else s.negative_weight),
            (digest, 0.0, 1.0),
            (extra, 1.0, s.expand_weight),
        ):
            if block.shape[0]:
                blocks.append(block)
                labels.append(np.full(block.shape[0], label))
                weights.append(np.full(block.shape[0], weight))
        y = np.concatenate(labels)
        if len(np.unique(y)) < 2:
            return None
        return self._train(sp.vstack(blocks, format="csr"), y, np.concatenate(weights))

    def _classifier(self) -> Any:
        return LinearSVC(C=self.settings.C, max_iter=5000, tol=1e-4, random_state=0)

    def _train(self, X, y, w) -> _Linear:
        s = self.settings
        w = w.copy()
        pos, neg = y == 1, y == 0
        w[pos] *= len(y) / (2.0 * w[pos].sum())  # balanced classes, as class_weight="balanced"
        w[neg] *= len(y) / (2.0 * w[neg].sum())
        model = self._classifier()
        model.fit(X, y, sample_weight=w)
        coef = np.asarray(model.coef_, dtype=np.float64).ravel()
        intercept = float(np.ravel(model.intercept_)[0])
        if s.nb_weight > 0:
            nb_coef, nb_shift = _complement_nb(X, y, w, s.nb_alpha)
            coef = coef + s.nb_weight * nb_coef
            intercept += s.nb_weight * nb_shift
        return _Linear(coef.astype(np.float32), intercept)

    def _raw(self, margin: np.ndarray, X: sp.csr_matrix, fb_pos, fb_neg, exclude=None, k_keep: int = 3):
        """``raw`` (margin + neighbour part), the ``k_keep`` nearest library rows, and each interest's
        raw value (columns of ``ix.interests``; see :meth:`_interest_raw`)."""
        near, nn_idx, nn_sim, per_interest = self._near(X, fb_pos, fb_neg, exclude, k_keep)
        return margin + near, nn_idx, nn_sim, per_interest

    def _near(self, X: sp.csr_matrix, fb_pos, fb_neg, exclude=None, k_keep: int = 3):
        """What :meth:`_raw` adds to the margin (the neighbour part: the model plays no part in it), and
        the rest of what it returns."""
        s, ix = self.settings, self.index
        k = max(s.knn_k, k_keep, INTEREST_NEIGHBOURS if ix.interests else 0)
        Xq = prune_rows(X, KNN_TERMS)
        nn_idx, nn_sim = top_k_similar(Xq, ix.neighbours, k, exclude=exclude, library_t=ix.neighbours_t)
        if fb_pos.shape[0]:  # +1 papers count as library items for the neighbour part
            _, fb_sim = top_k_similar(Xq, prune_rows(fb_pos, KNN_TERMS), 1)
            nn_sim_all = np.sort(np.concatenate([nn_sim, fb_sim], axis=1), axis=1)[:, ::-1]
        else:
            nn_sim_all = nn_sim
        knn = nn_sim_all[:, : s.knn_k].mean(axis=1) if nn_sim_all.shape[1] else np.zeros(X.shape[0])
        penalty = np.zeros(X.shape[0])
        if fb_neg.shape[0]:
            _, neg_sim = top_k_similar(Xq, prune_rows(fb_neg, KNN_TERMS), 1)
            penalty = s.negative_penalty * neg_sim[:, 0]
        per_interest = self._interest_raw(nn_idx, nn_sim, penalty)
        return s.knn_weight * (knn - penalty), nn_idx[:, :k_keep], nn_sim[:, :k_keep], per_interest

    def _interest_raw(self, nn_idx: np.ndarray, nn_sim: np.ndarray, penalty: np.ndarray) -> np.ndarray:
        """Each interest's raw value: ``knn_weight`` x the mean similarity to the ``knn_k`` nearest papers
        *of that interest*, found among the paper's ``INTEREST_NEIGHBOURS`` nearest library papers (the
        search the library's neighbour part already made: no extra pass over the library), less the
        penalty of a close paper marked -1. Shape (papers, interests).

        The library model's margin is left out on purpose: it is learnt mostly from the largest
        interests and would carry them into every interest's value (interest coverage on the real
        group library: 0.65 with the margin, 0.91 without; see benchmarks/interests.py)."""
        s, ix = self.settings, self.index
        if not ix.interests:
            return np.zeros((len(penalty), 0))
        member = ix.membership[nn_idx] & (nn_sim > 0)[:, :, None]  # papers x neighbours x interests
        first_k = member & (np.cumsum(member, axis=1) <= s.knn_k)
        knn = (first_k * nn_sim[:, :, None]).sum(axis=1) / s.knn_k
        return s.knn_weight * (knn - penalty[:, None])

    def _features(self, papers: list[Paper], tokens: PaperTokens | None = None):
        ix = self.index
        digest = ix.transform(papers, tokens)
        fb_pos = ix.transform([p for p, v in self.feedback if v > 0])
        fb_neg = ix.transform([p for p, v in self.feedback if v < 0])
        return digest, fb_pos, fb_neg

    def rank(self, papers: list[Paper], tokens: PaperTokens | None = None) -> list[Recommendation]:
        """Every paper, best first, with a 0-100 score, its interest, 3 nearest library items and terms
        (``tokens``: the word ids of ``papers``' texts when already made, :func:`zotrec.recommend.texts.tokenize`)."""
        if not papers:
            return []
        ix = self.index
        research = [i for i, p in enumerate(papers) if not p.extras.get("non_research")]
        if tokens is not None:
            tokens = tokens.take(research) if len(tokens.tokens) == len(papers) else None
        digest, fb_pos, fb_neg = self._features([papers[i] for i in research], tokens)
        model, (near, nn_idx, nn_sim, per_interest), references = self._fit_meanwhile(digest, fb_pos, fb_neg)
        raw = _margin(model, digest) + near
        top = expansion_rows(raw, len(ix), self.settings)
        if top is not None:
            model = self._fit(digest, fb_pos, fb_neg, top)
            raw = _margin(model, digest) + near
        interest: list[str | None] = [None] * len(raw)
        if len(ix) == 0 and fb_pos.shape[0] == 0:  # nothing to compare with: no paper is recommended
            scores, order_key = np.zeros(len(raw)), raw
        else:
            scales = self._scales(model, fb_pos, fb_neg, references)
            scores, order_key = scales.library(raw), raw - scales.library_median
            if ix.interests:
                interest_scores = scales.interests(per_interest)
                best = interest_scores.argmax(axis=1)
                rows = np.arange(len(raw))
                best_score = interest_scores[rows, best]
                interest = self._file([papers[i] for i in research], digest, np.maximum(scores, best_score))
                wins = (best_score > scores) & (scores >= INTEREST_GATE)
                scores = np.where(wins, best_score, scores)
                order_key = np.where(wins, per_interest[rows, best] - scales.interest_medians[best], order_key)
        terms = explain_terms(model, digest, ix.terms, n=5)
        disliked = self._disliked(digest, fb_neg, raw, scores, model, fb_pos)
        recs: list[Recommendation] = []
        for j, i in enumerate(research):
            reasons = [
                Reason(title=ix.titles[t], key=ix.keys[t], similarity=float(sim))
                for t, sim in zip(nn_idx[j], nn_sim[j])
                if sim > 0
            ]
            recs.append(
                Recommendation(
                    papers[i],
                    float(scores[j]),
                    reasons,
                    terms[j],
                    float(order_key[j]),
                    disliked=disliked[j],
                    interest=interest[j],
                )
            )
        recs.sort(key=lambda r: (-r.score, -r.raw))
        done = set(research)
        recs.extend(Recommendation(p, 0.0, [], [], float("-inf")) for i, p in enumerate(papers) if i not in done)
        return recs

    def _disliked(self, digest, fb_neg, raw, scores, model, fb_pos) -> list[str | None]:
        """For each digest paper, the title of the closest paper marked -1 when that paper held it
        down: it is very like it (cosine >= DISLIKE_SIMILARITY), or its neighbour penalty alone cost
        it DISLIKE_POINTS or more on the 0-100 scale."""
        if not fb_neg.shape[0] or not digest.shape[0]:
            return [None] * digest.shape[0]
        s = self.settings
        idx, sim = top_k_similar(prune_rows(digest, KNN_TERMS), prune_rows(fb_neg, KNN_TERMS), 1)
        without = self._scale(model, fb_pos, fb_neg)(raw + s.knn_weight * s.negative_penalty * sim[:, 0])
        titles = [p.title for p, v in self.feedback if v < 0]
        return [
            titles[int(idx[j, 0])]
            if sim[j, 0] > 0 and (sim[j, 0] >= DISLIKE_SIMILARITY or without[j] - scores[j] >= DISLIKE_POINTS)
            else None
            for j in range(digest.shape[0])
        ]

    def _scale(self, model: _Linear | None, fb_pos, fb_neg):
        """The library's 0-100 scale (raw -> score)."""
        return self._scales(model, fb_pos, fb_neg).library

    def without_digest(self, papers: list[Paper]) -> tuple[np.ndarray, np.ndarray]:
        """What the library and the feedback alone say: the model fitted with no digest (the
        background sample as the negatives). Returns the 0-100 scores of ``papers`` (input order)
        and the linear model's weight per feature (zeros when there is nothing to learn from)."""
        X, fb_pos, fb_neg = self._features(papers)
        model = self._fit(X[:0], fb_pos, fb_neg)
        raw, _, _, _ = self._raw(_margin(model, X), X, fb_pos, fb_neg, k_keep=0)
        if len(self.index) == 0 and fb_pos.shape[0] == 0:
            scores = np.zeros(len(raw))
        else:
            scores = self._scales(model, fb_pos, fb_neg).library(raw)
        coef = model.coef if model is not None else np.zeros(X.shape[1], dtype=np.float32)
        return scores, coef

    def _file(self, papers: list[Paper], X: sp.csr_matrix, scores: np.ndarray) -> list[str | None]:
        """The interest each paper belongs to (the filing classifier's choice), None for a paper that
        stands out nowhere: ``scores`` (its best on the library's and the interests' scales, ungated)
        below ``INTEREST_MIN_SCORE``, so it beats not even every arXiv reference on any of them."""
        ix = self.index
        if ix.filing is None:
            return [None] * len(papers)
        best = ix.filing.margins(X, [venue_text(p) for p in papers]).argmax(axis=1)
        return [ix.interests[b] if v >= INTEREST_MIN_SCORE else None for b, v in zip(best, scores)]

    def _held_out(self) -> np.ndarray:
        """The library's reference rows the model was not trained on: ``lib_ref`` less the items
        marked +1 or -1 (same key or title). Such an item is trained on as feedback and, in the
        neighbour part, meets its own feedback copy (similarity 1): kept as a reference, it would
        move the scale by where a random item key put it among the rows."""
        ix = self.index
        titles = {normalize_title(p.title) for p, _ in self.feedback} - {""}
        keys = {p.key for p, _ in self.feedback if p.key}
        if not titles and not keys:
            return ix.lib_ref
        kept = [
            r for r in ix.lib_ref.tolist() if ix.keys[r] not in keys and normalize_title(ix.titles[r]) not in titles
        ]
        return np.asarray(kept, dtype=ix.lib_ref.dtype) if kept else ix.lib_ref

    def _fit_meanwhile(self, digest: sp.csr_matrix, fb_pos, fb_neg) -> tuple[_Linear | None, Any, _References]:
        """:meth:`_fit`, in a second thread (liblinear lets go of the GIL while it trains), and meanwhile
        in this one what does not depend on the model: :meth:`_near` of the digest, the reference
        rows' (:meth:`_references`) and the feature names (:func:`explain_terms` reads them)."""
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=1) as pool:
            fitting = pool.submit(self._fit, digest, fb_pos, fb_neg)
            near = self._near(digest, fb_pos, fb_neg)
            references = self._references(fb_pos, fb_neg)
            _ = self.index.terms
            return fitting.result(), near, references

    def _references(self, fb_pos, fb_neg) -> _References:
        """The scale's reference rows and their neighbour parts (:meth:`_near`)."""
        ix = self.index
        bg = ix.background[ix.bg_ref]
        bg_near, _, _, bg_int = self._near(bg, fb_pos, fb_neg, k_keep=0)
        if len(ix.lib_ref) and len(ix) >= self.settings.small_library:
            refs = self._held_out()
        else:  # small library: its own items (all trained on, so a little optimistic)
            refs = np.arange(len(ix))
        lib = ix.library[refs]
        lib_near, _, _, lib_int = self._near(lib, fb_pos, fb_neg, exclude=refs, k_keep=0)
        return _References(bg, bg_near, bg_int, refs, lib, lib_near, lib_int)

    def _scales(self, model: _Linear | None, fb_pos, fb_neg, references: _References | None = None) -> _Scales:
        """The 0-100 scales of the library and of each interest, from the reference rows
        (``references``: their :meth:`_references`, when made)."""
        ix = self.index
        r = references or self._references(fb_pos, fb_neg)
        bg_raw = _margin(model, r.bg) + r.bg_near
        lib_raw = _margin(model, r.lib) + r.lib_near
        interest_refs = [r.lib_int[ix.membership[r.refs, j], j] for j in range(len(ix.interests))]
        return _Scales(bg_raw, lib_raw, r.bg_int, interest_refs)


class _References(NamedTuple):
    """The scale's reference rows (background, library) with their neighbour parts and interest values."""

    bg: sp.csr_matrix
    bg_near: np.ndarray
    bg_int: np.ndarray
    refs: np.ndarray  # library rows
    lib: sp.csr_matrix
    lib_near: np.ndarray
    lib_int: np.ndarray


def _scale(bg_raw: np.ndarray, lib_raw: np.ndarray):
    """raw -> 0-100: 50 x share of the arXiv references beaten + 50 x share of the library references beaten."""
    f_bg, f_lib = _ecdf(bg_raw), _ecdf(lib_raw)
    return lambda x: 100.0 * (0.5 * f_bg(x) + 0.5 * f_lib(x))


class _Scales:
    """The library's scale, and one per interest (its own arXiv and interest references)."""

    def __init__(self, bg_raw, lib_raw, bg_interest: np.ndarray, interest_refs: list[np.ndarray]) -> None:
        self.library = _scale(bg_raw, lib_raw)
        self.library_median = float(np.median(lib_raw)) if len(lib_raw) else 0.0
        self._interest = [_scale(bg_interest[:, j], refs) for j, refs in enumerate(interest_refs)]
        self.interest_medians = np.asarray([float(np.median(r)) if len(r) else 0.0 for r in interest_refs])

    def interests(self, per_interest: np.ndarray) -> np.ndarray:
        out = np.zeros(per_interest.shape)
        for j, scale in enumerate(self._interest):
            out[:, j] = scale(per_interest[:, j])
        return out


def expansion_rows(raw: np.ndarray, library_size: int, s: Settings) -> np.ndarray | None:
    """The digest rows a small library expands itself with: the top 5 % of a first ranking by
    ``raw`` (at most ``s.expand_top``), best first; None for a library of ``s.small_library`` items
    or more, or a digest under 20 papers."""
    count = min(s.expand_top, len(raw) // 20)
    if library_size >= s.small_library or s.expand_weight <= 0 or count < 1:
        return None
    return np.argsort(-raw, kind="stable")[:count]


def _complement_nb(X: sp.csr_matrix, y: np.ndarray, w: np.ndarray, alpha: float) -> tuple[np.ndarray, float]:
    """Complement Naive Bayes (two classes) as a linear model: the smoothed log ratio of each term's
    weighted share in the library rows against its share in the other rows (what
    ``ComplementNB(alpha).feature_log_prob_[1] - [0]`` gives), scaled so that its values over the
    training rows have unit standard deviation. Returns (coef, intercept = -mean / std)."""
    pos = np.asarray(X[y == 1].T @ w[y == 1], dtype=np.float64).ravel() + alpha
    neg = np.asarray(X[y != 1].T @ w[y != 1], dtype=np.float64).ravel() + alpha
    coef = np.log(pos / pos.sum()) - np.log(neg / neg.sum())
    values = np.asarray(X @ coef).ravel()
    std = float(values.std()) or 1.0
    return coef / std, -float(values.mean()) / std


@dataclass
class _Linear:
    coef: np.ndarray
    intercept: float

    def decision_function(self, X: sp.csr_matrix) -> np.ndarray:
        return np.asarray(X @ self.coef).ravel() + self.intercept


def _margin(model: _Linear | None, X: sp.csr_matrix) -> np.ndarray:
    return model.decision_function(X) if model is not None else np.zeros(X.shape[0])


def explain_terms(model: _Linear | None, X: sp.csr_matrix, names: np.ndarray, n: int = 5) -> list[list[str]]:
    """For each row, the ``n`` terms with the largest positive weight x tf-idf product."""
    coef = np.ones(X.shape[1], dtype=np.float32) if model is None else model.coef
    contrib = X.multiply(coef[np.newaxis, :]).tocsr()
    out = []
    for i in range(contrib.shape[0]):
        start, end = contrib.indptr[i], contrib.indptr[i + 1]
        vals, cols = contrib.data[start:end], contrib.indices[start:end]
        keep = vals > 0
        vals, cols = vals[keep], cols[keep]
        top = cols[np.argsort(-vals)[:n]]
        out.append([str(names[c]) for c in top])
    return out


__all__ = ["LibraryIndex", "Reason", "Recommendation", "Recommender", "Settings", "replace"]
