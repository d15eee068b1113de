"""The topic model: train, save (joblib + model card), load (sha256-verified) and predict.

Features: tf-idf over words and word bigrams of title + abstract (the title counted twice).
Classifier: one linear SVM per label (one-vs-rest), its weights sparsified to the strongest terms
and stored as float32; Platt-calibrated probabilities fitted on out-of-fold scores; a decision
threshold per label chosen for F1 on those same out-of-fold probabilities.
Metadata (optional, :mod:`zotrec.topics.metadata`): a paper's known authors move its calibrated
columns on the log-odds scale; a paper without them is decoded from its text alone.
"""

from __future__ import annotations

import hashlib
import io
import json
import platform
import re
import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from itertools import pairwise
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import scipy
import scipy.sparse as sp
import sklearn
from joblib import Parallel, delayed
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import HashingVectorizer

from ..errors import ModelError
from ..paper import Paper
from ..ranked import Topic
from . import context as digest
from . import experts as listing
from . import language, taxonomy
from . import metadata as meta

FORMAT = "zotrec-topic-model/1"
SHIPPED_NAME = "topics.joblib"

TextLike = str | Paper | tuple[str, str]
MAIN_FLOOR = 0.1  # an arXiv paper's likeliest main topic is one of its topics from this probability on
Progress = Callable[[str], None]


def document(item: TextLike) -> str:
    """The text the model reads: title twice (titles are dense in topic words), then the abstract."""
    if isinstance(item, Paper):
        title, abstract = item.title, item.abstract
    elif isinstance(item, tuple):
        title, abstract = item
    else:
        return str(item)
    title = (title or "").strip()
    return f"{title}. {title}. {abstract or ''}"


def card_path(path: Path) -> Path:
    """The model card beside a model file: ``topics.joblib`` -> ``topics.card.json``."""
    return path.with_suffix(".card.json")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def shipped_model_path() -> Path:
    """The shipped arXiv-taxonomy model: in the installed package ``zotrec.models``, or in the
    top-level ``models/`` of a source checkout (when ``zotrec`` is imported from the source tree)."""
    try:
        return Path(str(resources.files("zotrec.models").joinpath(SHIPPED_NAME)))
    except ModuleNotFoundError:
        return Path(__file__).resolve().parents[2] / "models" / SHIPPED_NAME


def library_versions() -> dict[str, str]:
    return {
        "python": platform.python_version(),
        "scikit-learn": sklearn.__version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "joblib": joblib.__version__,
    }


class TopicModel:
    """A trained multi-label topic classifier (arXiv categories or personal collections/tags)."""

    def __init__(self, payload: dict[str, Any], card: dict[str, Any] | None = None) -> None:
        if payload.get("format") != FORMAT:
            raise ModelError(f"not a zotrec topic model (format {payload.get('format')!r})")
        if "experts" in payload:
            listing.check_experts(payload["experts"], payload.get("labels") or [], len(payload.get("idf", ())))
        if "metadata" in payload:
            meta.check_table(payload["metadata"], len(payload.get("calib", ())))
        self._p = payload
        self.card: dict[str, Any] = card or {}
        self._names: dict[str, str] = payload.get("names") or {}
        # (scores, labels) of the calibration papers after training; not saved (benchmarks, analysis)
        self.calibration_data: tuple[np.ndarray, np.ndarray] | None = None

    @property
    def labels(self) -> list[str]:
        return list(self._p["labels"])

    @property
    def kind(self) -> str:
        return self._p.get("kind", "arxiv")

    @property
    def thresholds(self) -> np.ndarray:
        return self._p["thresholds"]

    def name(self, label: str) -> str:
        return self._names.get(label) or taxonomy.name(label)

    # -- scoring ------------------------------------------------------------------------------
    def decision(self, items: Sequence[TextLike]) -> np.ndarray:
        """Raw linear scores, shape (n, labels)."""
        X = self.features(items)
        return np.asarray((X @ self._p["coef"].T).toarray(), dtype=np.float32) + self._p["intercept"]

    def features(self, items: Sequence[TextLike]) -> sp.csr_matrix:
        """The tf-idf rows the classifier reads."""
        idf = self._p["idf"]
        return _weigh(_counts([document(i) for i in items], len(idf)), idf)

    def predict_proba(self, items: Sequence[TextLike]) -> np.ndarray:
        """Calibrated probability of every label, shape (n, labels)."""
        return self._proba(items)[0]

    def _proba(self, items: Sequence[TextLike]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Topic probabilities, main-topic scores, and whether each paper had a word the model knows
        (the text's columns moved by the papers' metadata evidence)."""
        P, known = self._calibrated(items)
        P = meta.apply(P, self.evidence(items))
        return P[:, : len(self._p["labels"])], _main(P, len(self._p["labels"])), known

    def _calibrated(self, items: Sequence[TextLike]) -> tuple[np.ndarray, np.ndarray]:
        """Every calibrated column of the text (topics, then main topics when trained), and the
        known-word mask."""
        P, known, _X = self._scored(items)
        return P, known

    def _scored(self, items: Sequence[TextLike]) -> tuple[np.ndarray, np.ndarray, sp.csr_matrix]:
        """``_calibrated`` and the feature rows it read (a listing expert reads them too)."""
        L = len(self._p["labels"]) * (2 if self._p.get("primary") else 1)
        X = self.features(items) if items else sp.csr_matrix((0, len(self._p["idf"])), dtype=np.float32)
        scores = np.asarray((X @ self._p["coef"].T).toarray(), dtype=np.float32) + self._p["intercept"]
        return _sigmoid(scores, self._p["calib"]).reshape(-1, L), np.diff(X.indptr) > 0, X

    def evidence(self, items: Sequence[TextLike]) -> np.ndarray | None:
        """The papers' metadata evidence (authors, venue words) on every calibrated column, in
        log-odds units; None when the model has no metadata table or no paper has known metadata."""
        table = self._p.get("metadata")
        return meta.evidence(table, items) if table is not None and len(items) else None

    def main_scores(self, items: Sequence[TextLike]) -> np.ndarray:
        """How likely each label is the paper's main (primary) topic, shape (n, labels)."""
        return self._proba(items)[1]

    def confident(self, proba: np.ndarray, main: np.ndarray) -> np.ndarray:
        """Which topics each paper gets, shape (n, labels), from its probabilities and main scores.

        A label counts when its probability reaches the label's threshold. An arXiv paper always has
        a category, so for an arXiv-taxonomy model the likeliest main topic counts too when its
        probability is at least ``MAIN_FLOOR`` (below that the paper has no confident topic).
        Personal collections and tags keep thresholds alone: a new paper may belong in none.
        """
        return _confident(proba, main, self._p["thresholds"], self.kind)

    @property
    def has_context(self) -> bool:
        """Whether the model can decode a digest in context (it stores its training label mix and
        label co-occurrence)."""
        prior = self._p.get("prior") or {}
        return self.kind == "arxiv" and bool(self._p.get("primary")) and "given_main" in prior

    def decode(
        self,
        items: Sequence[TextLike],
        context: bool = True,
        settings: digest.Settings = digest.SHIPPED,
        scores: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> Decoded:
        """Probabilities, main scores and chosen topics of a batch of papers (see :meth:`predict`).

        ``settings``: how far the batch moves the decoding; ``scores``: the papers' calibrated
        columns of the text and known-word mask when already computed (``_calibrated``; benchmarks
        reuse them). The papers' metadata evidence moves the columns before any decoding. An
        arXiv-taxonomy model leaves a paper written in another language than English out of the
        batch (:mod:`zotrec.topics.language`): it gets no topic, its probabilities are its own alone.
        """
        X = None
        if scores is None:
            P_text, known, X = self._scored(items)
        else:
            P_text, known = scores
        P_all = meta.apply(P_text, self.evidence(items))
        foreign = language.foreign(items) if self.kind == "arxiv" else np.zeros(len(items), dtype=bool)
        if not foreign.any():
            return self._decode(items, context, settings, P_text, P_all, known, X)
        L = len(self._p["labels"])
        P, main = P_all[:, :L].copy(), _main(P_all, L)
        chosen = np.zeros(P.shape, dtype=bool)
        keep = np.flatnonzero(~foreign)
        if len(keep):
            part = self._decode(
                [items[i] for i in keep.tolist()],
                context,
                settings,
                P_text[keep],
                P_all[keep],
                known[keep],
                None if X is None else X[keep],
            )
            P[keep], main[keep], chosen[keep] = part.proba, part.main, part.chosen
        return Decoded(P, main, chosen)

    def _decode(
        self,
        items: Sequence[TextLike],
        context: bool,
        settings: digest.Settings,
        P_text: np.ndarray,
        P_all: np.ndarray,
        known: np.ndarray,
        X: sp.csr_matrix | None,
    ) -> Decoded:
        """:meth:`decode` of a batch of papers in the model's language (``P_text``: their calibrated
        text columns, ``P_all``: the same with their metadata evidence applied)."""
        L = len(self._p["labels"])
        P = P_all[:, :L]
        thresholds = self._p["thresholds"]
        may_be_arxiv = _may_be_arxiv(items)
        if context and self.has_context and len(items) > 1:
            topics_known, main_known = _observed(items, self._p["labels"])
            prior = self._p["prior"]
            if not may_be_arxiv.any():  # digest types are arXiv listings' mixes: a journal feed is none of them
                prior = {k: v for k, v in prior.items() if k not in ("types", "type_names")}
            experts = self._p.get("experts") or {}
            # the digest's type and its expert are read from the text: authors move papers, not the digest
            name, weights = listing.pick(experts, prior, P_text[:, L:], main_known, settings)
            if name is not None:
                X = self.features(items) if X is None else X
                P, main, thresholds = self._in_listing(name, P_all, X, topics_known, main_known, settings)
            else:
                P, main, thresholds = digest.in_context(
                    P, P_all[:, L:], prior, thresholds, topics_known, main_known, settings, weights
                )
        else:
            main = _main(P_all, L)
        chosen = _confident(P, main, thresholds, self.kind, may_be_arxiv)
        chosen[~known] = False
        return Decoded(P, main, chosen)

    @property
    def has_metadata(self) -> bool:
        """Whether the model reads paper metadata (authors, venue words) besides the text."""
        return self._p.get("metadata") is not None

    @property
    def experts(self) -> list[str]:
        """The listings this model has an expert for (see :mod:`zotrec.topics.experts`)."""
        return list(self._p.get("experts") or {})

    def _in_listing(
        self,
        name: str,
        P_all: np.ndarray,
        X: sp.csr_matrix,
        topics_known: np.ndarray,
        main_known: np.ndarray,
        settings: digest.Settings,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """A batch decoded by the expert of listing ``name``: (probabilities, main scores, thresholds)
        over all labels; labels outside the expert's keep the broad probability and are never chosen."""
        expert, L = self._p["experts"][name], len(self._p["labels"])
        cols = listing.columns_of(self._p["labels"], expert["labels"])
        own = listing.expert_columns(expert, X)
        P_sub, main_sub, cut_sub = listing.in_listing(
            expert, cols, P_all, self._p["prior"], own, topics_known, main_known, settings
        )
        P = P_all[:, :L].copy()
        P[:, cols] = P_sub
        main = np.zeros_like(P)
        main[:, cols] = main_sub
        thresholds = np.full(L, 2.0, dtype=np.float32)  # above any probability
        thresholds[cols] = cut_sub
        return P, main, thresholds

    def predict(self, papers: Sequence[TextLike], max_topics: int = 5, context: bool = True) -> list[list[Topic]]:
        """For every paper, its confident topics ([] = no confident topic).

        The papers are one digest: with ``context`` (and two papers or more) their topics are
        decoded under the label mix estimated from the batch (:mod:`zotrec.topics.context`); a
        paper whose arXiv categories are given counts in that estimate with them. Otherwise, and
        for a single paper, each paper is decoded alone (:meth:`confident`).
        Order: the confident topic most likely to be the paper's main (primary) category first, then
        the others by probability. A paper without a single word the model knows has no topic, nor
        has a paper in another language than English, and a journal article (a DOI or journal, no
        arXiv id) gets no topic unless one clears its threshold.
        """
        labels = self._p["labels"]
        proba, listed, _ = self.decode(papers, context).ordered(max_topics)
        return [
            [Topic(labels[j], self.name(labels[j]), float(row[j])) for j in hits] for row, hits in zip(proba, listed)
        ]

    def rank(self, papers: Sequence[TextLike], k: int = 3) -> list[list[Topic]]:
        """The ``k`` likeliest main topics of every paper, confident or not (with their probabilities)."""
        labels = self._p["labels"]
        out = []
        proba, main, _ = self._proba(papers)
        for row, main_row in zip(proba, main):
            top = np.argsort(-main_row, kind="stable")[:k]
            out.append([Topic(labels[j], self.name(labels[j]), float(row[j])) for j in top])
        return out


@dataclass
class Decoded:
    """A decoded batch: topic probabilities, main-topic scores, chosen topics (all (n, labels))."""

    proba: np.ndarray
    main: np.ndarray
    chosen: np.ndarray

    def first(self) -> np.ndarray:
        """Each paper's main topic: the chosen label with the best main score (-1 = no topic)."""
        if not self.chosen.size:
            return np.full(len(self.chosen), -1)
        return np.where(self.chosen.any(1), np.where(self.chosen, self.main, -np.inf).argmax(1), -1)

    def ordered(self, max_topics: int = 5) -> tuple[np.ndarray, list[np.ndarray], np.ndarray]:
        """(probabilities, chosen label indices in listing order, main topic) of every paper."""
        hits_all: list[np.ndarray] = []
        firsts = self.first()
        for row, picked, first in zip(self.proba, self.chosen, firsts):
            hits = np.flatnonzero(picked)
            hits = hits[np.argsort(-row[hits], kind="stable")]
            if len(hits) > 1:  # the likeliest main topic first, then by probability
                hits = np.concatenate([[first], hits[hits != first]])
            hits_all.append(hits[:max_topics])
        return self.proba, hits_all, firsts


def _may_be_arxiv(items: Sequence[TextLike]) -> np.ndarray:
    """False for a paper known not to be on arXiv: a journal item (DOI or journal, no arXiv id)."""
    return np.array(
        [
            not (isinstance(i, Paper) and (i.journal_item or (not i.arxiv_id and i.extras.get("non_research"))))
            for i in items
        ],
        dtype=bool,
    )


def _observed(items: Sequence[TextLike], labels: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """0/1 rows of the papers' given arXiv categories: all of them, and the primary (first) one."""
    index = {label: j for j, label in enumerate(labels)}
    topics = np.zeros((len(items), len(labels)), dtype=np.float32)
    main = np.zeros_like(topics)
    for i, item in enumerate(items):
        cats = [
            index[c] for c in (taxonomy.canonical(c) for c in getattr(item, "categories", None) or []) if c in index
        ]
        if cats:
            topics[i, cats] = 1.0
            main[i, cats[0]] = 1.0
    return topics, main


def _confident(
    proba: np.ndarray, main: np.ndarray, thresholds: np.ndarray, kind: str, forced_ok: np.ndarray | None = None
) -> np.ndarray:
    pred = proba >= thresholds
    if kind == "arxiv" and len(proba) and proba.shape[1]:
        rows = np.arange(len(proba))
        top = main.argmax(1)
        sure = proba[rows, top] >= MAIN_FLOOR
        if forced_ok is not None:
            sure &= forced_ok
        pred[rows[sure], top[sure]] = True
    return pred


def _main(P: np.ndarray, L: int) -> np.ndarray:
    """Main-topic score: P(label is the primary) x sqrt(P(label is a topic)) when the model has
    primary columns (the two agree on the main topic more often than either alone: +0.01 top-1 on
    the date split), else the topic probability."""
    if P.shape[1] != 2 * L:
        return P[:, :L]
    return P[:, L:] * np.sqrt(P[:, :L])


def _sigmoid(scores: np.ndarray, calib: np.ndarray) -> np.ndarray:
    z = scores * calib[:, 0] + calib[:, 1]
    return (1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))).astype(np.float32)


# -- features ---------------------------------------------------------------------------------
_TOKEN = re.compile(r"[^\W\d_][\w-]*\w|[^\W\d_]")
N_FEATURES = 2**20


def analyze(doc: str) -> list[str]:
    """Lower-cased word tokens (letters first; digits, hyphens inside) and word bigrams."""
    toks = _TOKEN.findall(doc.lower())
    return toks + [a + " " + b for a, b in pairwise(toks)]


def _hasher(n_features: int) -> HashingVectorizer:
    return HashingVectorizer(n_features=n_features, analyzer=analyze, alternate_sign=False, norm=None, dtype=np.float32)


def _counts(docs: list[str], n_features: int, n_jobs: int = 1) -> sp.csr_matrix:
    hasher = _hasher(n_features)
    if n_jobs <= 1 or len(docs) < 20_000:
        return hasher.transform(docs).tocsr()
    step = -(-len(docs) // n_jobs)
    parts = Parallel(n_jobs=n_jobs)(delayed(hasher.transform)(docs[i : i + step]) for i in range(0, len(docs), step))
    return sp.vstack(parts).tocsr()


def _weigh(X: sp.csr_matrix, idf: np.ndarray) -> sp.csr_matrix:
    """Sublinear tf times idf, rows scaled to unit length (in place on ``X``)."""
    np.log(X.data, out=X.data)
    X.data += 1.0
    X.data *= idf[X.indices]
    X.eliminate_zeros()
    norms = np.sqrt(np.asarray(X.multiply(X).sum(1)).ravel())
    norms[norms == 0] = 1.0
    X.data /= np.repeat(norms, np.diff(X.indptr)).astype(np.float32)
    return X


def _group(label: str) -> str:
    return re.split(r"[./]", label, maxsplit=1)[0]


def _fit_idf(X: sp.csr_matrix, min_df: int = 2, max_df: float = 0.5) -> np.ndarray:
    n = X.shape[0]
    df = np.bincount(X.indices, minlength=X.shape[1])
    idf = (np.log((1 + n) / (1 + df)) + 1.0).astype(np.float32)
    idf[(df < min_df) | (df > max_df * n)] = 0.0
    return idf


# -- training ---------------------------------------------------------------------------------
def _fit_label(X: sp.csr_matrix, y: np.ndarray, C: float, keep: int) -> tuple[np.ndarray, float]:
    from sklearn.svm import LinearSVC

    if y.min() == y.max():  # a label absent from (or on every paper of) this training slice
        return np.zeros(X.shape[1], dtype=np.float32), (5.0 if y[0] else -5.0)
    clf = LinearSVC(C=C, max_iter=30, tol=0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    w = clf.coef_.ravel().astype(np.float32)
    if keep and np.count_nonzero(w) > keep:
        cut = np.partition(np.abs(w), -keep)[-keep]
        w[np.abs(w) < cut] = 0.0
    return w, float(clf.intercept_[0])


def _rows_for(j: int, Y: np.ndarray, groups: np.ndarray | None, max_neg: int, rng: np.random.Generator):
    """Training rows for label ``j``: its positives, every negative of its group (same arXiv
    archive: the hard negatives), and a random sample of the other negatives."""
    if groups is None or len(Y) <= max_neg:
        return None
    y = Y[:, j].astype(bool)
    near = groups[:, j] & ~y
    far = np.flatnonzero(~groups[:, j] & ~y)
    take = max(max_neg - int(y.sum()) - int(near.sum()), max_neg // 4, 4 * int(y.sum()))
    pick = np.zeros(len(Y), dtype=bool)
    pick[y | near] = True
    if take < len(far):
        pick[rng.choice(far, size=take, replace=False)] = True
    else:
        pick[far] = True
    return np.flatnonzero(pick)


def _fit_one(X, Y, j, rows, C, keep):
    if rows is None:
        return _fit_label(X, Y[:, j], C, keep)
    return _fit_label(X[rows], Y[rows, j], C, keep)


def _fit_all(
    X: sp.csr_matrix,
    Y: np.ndarray,
    C: float,
    keep: int,
    n_jobs: int,
    groups: np.ndarray | None = None,
    max_neg: int = 12_000,
    seed: int = 0,
):
    rng = np.random.default_rng(seed)
    rows = [_rows_for(j, Y, groups, max_neg, rng) for j in range(Y.shape[1])]
    results = Parallel(n_jobs=n_jobs, prefer="threads")(
        delayed(_fit_one)(X, Y, j, rows[j], C, keep) for j in range(Y.shape[1])
    )
    coef = sp.csr_matrix(np.vstack([w for w, _ in results]))
    intercept = np.array([b for _, b in results], dtype=np.float32)
    return coef, intercept


def _platt(scores: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Platt scaling of one label's scores: a 1-D logistic regression on held-out data."""
    from sklearn.linear_model import LogisticRegression

    if y.min() == y.max():
        return 1.0, (2.0 if y[0] else -8.0)
    lr = LogisticRegression(C=100.0, max_iter=200)
    lr.fit(scores.reshape(-1, 1), y)
    return float(lr.coef_[0, 0]), float(lr.intercept_[0])


def _best_threshold(prob: np.ndarray, y: np.ndarray, floor: float = 0.05, forced: np.ndarray | None = None) -> float:
    """The probability threshold with the best F1 on out-of-fold data (0.5 when too few positives).

    ``forced``: papers that get this label whatever its threshold (it is their likeliest main
    topic); they count in the F1 as they are, and the threshold is chosen on the other papers.
    """
    pos = int(y.sum())
    if pos < 3:
        return 0.5
    tp0 = k0 = 0
    if forced is not None and forced.any():
        tp0, k0 = int(y[forced].sum()), int(forced.sum())
        prob, y = prob[~forced], y[~forced]
        if not len(prob):
            return 0.95
    order = np.argsort(-prob, kind="stable")
    ys = y[order]
    tp = tp0 + np.cumsum(ys)
    k = k0 + np.arange(1, len(ys) + 1)
    f1 = 2 * tp / (k + pos)
    best = int(np.argmax(f1))
    if k0 and 2 * tp0 / (k0 + pos) >= f1[best]:  # the forced papers alone do best
        return 0.95
    # midway between the last accepted and the next probability, never below the floor
    thr = prob[order[best]] if best + 1 >= len(order) else (prob[order[best]] + prob[order[best + 1]]) / 2
    return float(min(max(thr, floor), 0.95))


def _targets(label_lists: Sequence[Sequence[str]], index: dict[str, int], primary: bool) -> np.ndarray:
    """Columns 0..L-1: "label j is one of the paper's topics"; with ``primary``, columns L..2L-1:
    "label j is the paper's main (first-listed) topic", which orders topics and gives top-1."""
    L = len(index)
    Y = np.zeros((len(label_lists), 2 * L if primary else L), dtype=np.int8)
    for i, labels in enumerate(label_lists):
        for label in labels:
            if label in index:
                Y[i, index[label]] = 1
        if primary and labels and labels[0] in index:
            Y[i, L + index[labels[0]]] = 1
    return Y


def _negative_groups(label_lists: Sequence[Sequence[str]], kept: list[str], primary: bool) -> np.ndarray:
    """For each paper and target column, whether the paper is in the label's group: its arXiv archive
    (or first collection level). Papers of the same group are the hard negatives every label keeps."""
    kept_set = set(kept)
    group_of = sorted({_group(label) for label in kept})
    gi = {g: k for k, g in enumerate(group_of)}
    in_group = np.zeros((len(label_lists), len(group_of)), dtype=bool)
    for i, labels in enumerate(label_lists):
        for label in labels:
            if label in kept_set:
                in_group[i, gi[_group(label)]] = True
    return in_group[:, [gi[_group(label)] for label in kept] * (2 if primary else 1)]


@dataclass
class _Fit:
    """The training settings shared by every fit of one model."""

    C: float
    keep_weights: int
    n_jobs: int
    max_negatives: int
    seed: int
    say: Progress

    def all(self, X: sp.csr_matrix, Y: np.ndarray, groups: np.ndarray | None, max_negatives: int | None = None):
        negatives = self.max_negatives if max_negatives is None else max_negatives
        return _fit_all(X, Y, self.C, self.keep_weights, self.n_jobs, groups, negatives, self.seed)

    def calibrated(
        self,
        X: sp.csr_matrix,
        Y: np.ndarray,
        groups: np.ndarray | None,
        folds: int,
        calibration: float,
        refit: bool,
        n_labels: int,
    ):
        """Weights and the scores to calibrate them on: ``(coef, intercept, cal_scores, cal_Y, held)``.

        With ``folds`` (small data, a personal library) out-of-fold scores of every paper calibrate,
        then the weights are refitted on all papers; otherwise a random ``calibration`` share is held
        out (and with ``refit`` the weights are refitted on all papers)."""
        n = X.shape[0]
        rng = np.random.default_rng(self.seed)
        if folds and n >= 10 * folds:
            fold_of = rng.permutation(n) % folds
            cal_scores, cal_Y = np.zeros((n, Y.shape[1]), dtype=np.float32), Y
            for f in range(folds):
                self.say(f"calibration fold {f + 1}/{folds}")
                part = fold_of == f
                coef, intercept = self.all(X[~part], Y[~part], None, 0)
                cal_scores[part] = (X[part] @ coef.T).toarray() + intercept
            self.say(f"fitting {n_labels} labels on all {n} papers")
            coef, intercept = self.all(X, Y, groups)
            return coef, intercept, cal_scores, cal_Y, np.ones(n, dtype=bool)
        held = rng.random(n) < calibration
        if held.sum() < 10 or (~held).sum() < 10:
            held[:] = False
        if held.any():
            self.say(f"fitting {n_labels} labels on {int((~held).sum())} papers, calibrating on {int(held.sum())}")
            coef, intercept = self.all(X[~held], Y[~held], None if groups is None else groups[~held])
            cal_scores, cal_Y = (X[held] @ coef.T).toarray() + intercept, Y[held]
        if refit or not held.any():
            self.say(f"fitting {n_labels} labels on all {n} papers")
            coef, intercept = self.all(X, Y, groups)
            if not held.any():  # too few papers to hold any out: calibrate on the training scores
                cal_scores, cal_Y = (X @ coef.T).toarray() + intercept, Y
        return coef, intercept, cal_scores, cal_Y, held


def _calibration(
    cal_scores: np.ndarray, cal_Y: np.ndarray, L: int, kind: str, prior_weight: float, prior: float
) -> tuple[np.ndarray, np.ndarray]:
    """Each target column's Platt scaling, and each label's F1-optimal threshold shrunk towards
    ``prior`` as if ``prior_weight`` more positives had chosen it (few positives, noisy thresholds)."""
    calib = np.zeros((cal_Y.shape[1], 2), dtype=np.float32)
    thresholds = np.zeros(L, dtype=np.float32)
    for j in range(cal_Y.shape[1]):
        calib[j] = _platt(cal_scores[:, j].astype(np.float64), cal_Y[:, j])
    positives = cal_Y[:, :L].sum(0)
    cal_P = _sigmoid(cal_scores, calib)
    # which calibration papers get a label whatever its threshold (see TopicModel.confident)
    forced = _confident(cal_P[:, :L], _main(cal_P, L), np.ones(L, dtype=np.float32) * 2, kind)
    for j in range(L):
        best = _best_threshold(cal_P[:, j], cal_Y[:, j], forced=forced[:, j])
        thresholds[j] = (positives[j] * best + prior_weight * prior) / (positives[j] + prior_weight)
    return calib, thresholds


def _kept_labels(label_lists: Sequence[Sequence[str]], min_examples: int) -> tuple[Counter, list[str], dict[str, int]]:
    """Papers per label, the labels with at least ``min_examples`` papers, and the others with their counts."""
    counts = Counter(label for labels in label_lists for label in dict.fromkeys(labels))
    kept = sorted(label for label, n in counts.items() if n >= min_examples)
    if not kept:
        raise ModelError(f"no label has at least {min_examples} examples: nothing to train")
    return counts, kept, {label: n for label, n in sorted(counts.items()) if n < min_examples}


def _label_mix(Y: np.ndarray, L: int, primary: bool) -> dict[str, np.ndarray]:
    """The training label mix that digest context re-estimates: the share of papers with each label
    as a topic, and as the main (first) one; with ``primary``, ``given_main[k, j]`` = the share of
    papers with main topic k that carry label j (one pseudo-paper of the overall share)."""
    topic = Y[:, :L].mean(0)
    mix = {"topic": topic.astype(np.float32), "main": (Y[:, L:] if primary else Y[:, :L]).mean(0).astype(np.float32)}
    if primary:
        main = Y[:, L:].astype(np.float64)
        counts = main.T @ Y[:, :L].astype(np.float64)
        mix["given_main"] = ((counts + topic) / (main.sum(0)[:, None] + 1.0)).astype(np.float32)
    return mix


def train_topic_model(
    texts: Sequence[TextLike],
    label_lists: Sequence[Sequence[str]],
    *,
    min_examples: int = 20,
    C: float = 0.3,
    keep_weights: int = 4000,
    calibration: float = 0.2,
    refit: bool = True,
    folds: int | None = None,
    primary: bool = False,
    threshold_prior_weight: float = 50.0,
    threshold_prior: float = 0.3,
    n_features: int = N_FEATURES,
    n_jobs: int = 2,
    max_negatives: int = 12_000,
    seed: int = 0,
    kind: str = "arxiv",
    names: dict[str, str] | None = None,
    progress: Progress | None = None,
) -> TopicModel:
    """Train a multi-label topic model; labels with fewer than ``min_examples`` papers are left out.

    A random ``calibration`` share of the papers is held out to fit each label's Platt scaling and
    F1-optimal threshold; with ``refit`` the weights are then refitted on all papers. With ``folds``
    (default: 5 below 5,000 papers) out-of-fold scores of every paper calibrate instead. The left-out
    labels and their counts are in ``model.card["left_out"]``.
    """
    say = progress or (lambda _msg: None)
    if len(texts) != len(label_lists):
        raise ValueError("texts and label_lists differ in length")
    counts, kept, left_out = _kept_labels(label_lists, min_examples)
    index = {label: j for j, label in enumerate(kept)}
    L = len(kept)
    Y = _targets(label_lists, index, primary)
    n = len(texts)
    groups = _negative_groups(label_lists, kept, primary) if max_negatives and n > max_negatives else None
    say(f"vectorizing {n} papers")
    X = _counts([document(t) for t in texts], n_features, n_jobs)
    idf = _fit_idf(X)
    X = _weigh(X, idf)

    if folds is None:
        folds = 5 if n < 5000 else 0
    fit = _Fit(C, keep_weights, n_jobs, max_negatives, seed, say)
    coef, intercept, cal_scores, cal_Y, held = fit.calibrated(X, Y, groups, folds, calibration, refit, len(kept))
    calib, thresholds = _calibration(cal_scores, cal_Y, L, kind, threshold_prior_weight, threshold_prior)

    metrics = {}
    if held.any():
        prim = np.array([index.get(ls[0], -1) if ls else -1 for ls in label_lists])[held]
        metrics["holdout"] = _holdout_metrics(cal_scores, cal_Y[:, :L], calib, thresholds, prim, kept, kind)
    name_map = {label: (names or {}).get(label) or taxonomy.name(label) for label in kept}
    payload = _payload(
        kind, kept, name_map, idf, coef, intercept, calib, thresholds, primary, _label_mix(Y, L, primary)
    )
    params = {
        "C": C,
        "keep_weights": keep_weights,
        "max_negatives": max_negatives,
        "calibration": calibration,
        "refit": refit,
        "folds": folds,
        "seed": seed,
        "primary": primary,
        "threshold_prior_weight": threshold_prior_weight,
        "threshold_prior": threshold_prior,
    }
    card = _card(kind, kept, counts, left_out, min_examples, n, int(held.sum()), n_features, idf, coef, params, metrics)
    model = TopicModel(payload, card)
    model.calibration_data = (cal_scores, cal_Y)  # not saved: for analysis and benchmarks
    return model


def _payload(
    kind: str,
    kept: list[str],
    names: dict[str, str],
    idf: Any,
    coef: Any,
    intercept: Any,
    calib: Any,
    thresholds: Any,
    primary: bool,
    prior: Any,
) -> dict[str, Any]:
    """What the model file stores: labels, idf, sparse weights, calibration, thresholds, label mix."""
    return {
        "format": FORMAT,
        "kind": kind,
        "labels": kept,
        "names": names,
        "idf": idf,
        "coef": coef.astype(np.float32),
        "intercept": intercept,
        "calib": calib,
        "thresholds": thresholds,
        "primary": bool(primary),
        "prior": prior,
    }


def _card(
    kind: str,
    kept: list[str],
    counts: dict[str, int],
    left_out: Any,
    min_examples: int,
    n: int,
    calibration_size: int,
    n_features: int,
    idf: Any,
    coef: Any,
    params: dict[str, Any],
    metrics: dict[str, Any],
) -> dict[str, Any]:
    """The model card: training data, features, parameters, hold-out metrics, versions."""
    return {
        "format": FORMAT,
        "kind": kind,
        "labels": kept,
        "label_counts": {label: counts[label] for label in kept},
        "left_out": left_out,
        "min_examples": min_examples,
        "training_size": n,
        "calibration_size": calibration_size,
        "features": {"hashed": n_features, "used": int(np.count_nonzero(idf)), "weights_kept": int(coef.nnz)},
        "params": params,
        "metrics": metrics,
        "trained_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "library_versions": library_versions(),
    }


def _holdout_metrics(scores, Y, calib, thresholds, primary, labels, kind) -> dict[str, Any]:
    """Metrics on the held-out calibration papers (thresholds were tuned there: a little optimistic)."""
    L = len(labels)
    P_all = _sigmoid(scores, calib)
    P = P_all[:, :L]
    rank_by = _main(P_all, L)
    pred = _confident(P, rank_by, thresholds, kind)
    Yb = Y.astype(bool)
    tp, fp, fn = (pred & Yb).sum(), (pred & ~Yb).sum(), (~pred & Yb).sum()
    out: dict[str, Any] = {
        "papers": len(Y),
        "micro_f1": float(2 * tp / max(2 * tp + fp + fn, 1)),
        "note": "held-out training papers (random share, or out-of-fold); thresholds were tuned on them",
    }
    has = primary >= 0
    if has.any():
        top = rank_by.argmax(1)
        out["top1_primary"] = float((top[has] == primary[has]).mean())
        if kind == "arxiv":
            sets = [taxonomy.archive_set(label) for label in labels]
            out["top1_archive"] = float(np.mean([bool(sets[t] & sets[g]) for t, g in zip(top[has], primary[has])]))
    return out


# -- save / load ------------------------------------------------------------------------------
def save_topic_model(model: TopicModel, path: Path | str, **card_extra: Any) -> Path:
    """Write ``path`` (joblib) and its card ``path.with_suffix('.card.json')`` with the sha256."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    payload = dict(model._p)
    if isinstance(payload.get("prior"), dict):  # digest types live beside the file (topics.mixes.json)
        payload["prior"] = {k: v for k, v in payload["prior"].items() if k not in ("types", "type_names")}
    joblib.dump(payload, buffer, compress=("zlib", 6))
    data = buffer.getvalue()
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(data)
    tmp.replace(path)
    card = dict(model.card)
    card.update(card_extra)
    card["file"] = path.name
    card["size_bytes"] = len(data)
    card["sha256"] = hashlib.sha256(data).hexdigest()
    card["library_versions"] = card.get("library_versions") or library_versions()
    card_path(path).write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    model.card = card
    return path


def read_card(path: Path) -> dict[str, Any]:
    cpath = card_path(path)
    try:
        return json.loads(cpath.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(f"{path}: model card {cpath.name} is missing; refusing to load the model") from None
    except (OSError, json.JSONDecodeError) as exc:
        raise ModelError(f"{cpath}: unreadable model card ({exc})") from None


def load_topic_model(path: Path | str | None = None) -> TopicModel:
    """Load a topic model (None = the shipped one) after checking its sha256 and scikit-learn version.

    A joblib file is a pickle: the hash is checked on the bytes *before* anything is unpickled.
    """
    path = Path(path) if path is not None else shipped_model_path()
    if not path.is_file():
        raise ModelError(f"{path}: no topic model there (train one with `zotrec train topics`)")
    card = read_card(path)
    data = path.read_bytes()
    actual = hashlib.sha256(data).hexdigest()
    if card.get("sha256") != actual:
        raise ModelError(
            f"{path}: sha256 {actual[:12]}… does not match its model card ({str(card.get('sha256'))[:12]}…); "
            "refusing to load a file that is not the one zotrec saved"
        )
    trained_with = (card.get("library_versions") or {}).get("scikit-learn")
    if trained_with != sklearn.__version__:
        raise ModelError(
            f"{path}: trained with scikit-learn {trained_with}, installed {sklearn.__version__}; "
            f"install scikit-learn=={trained_with} or retrain with `zotrec train topics`"
        )
    try:
        payload = joblib.load(io.BytesIO(data))
    except Exception as exc:
        raise ModelError(f"{path}: cannot read the model ({type(exc).__name__}: {exc})") from None
    if not isinstance(payload, dict):
        raise ModelError(f"{path}: not a zotrec topic model")
    _attach_types(payload, path)
    try:
        return TopicModel(payload, card)
    except ModelError as exc:
        raise ModelError(f"{path}: {exc}") from None


def _attach_types(payload: dict[str, Any], path: Path) -> None:
    """Add the digest types beside the model file (``topics.mixes.json``), if any, to its label mix."""
    try:
        counts = digest.read_types(digest.types_path(path))
    except (OSError, ValueError) as exc:
        raise ModelError(f"{digest.types_path(path)}: unreadable digest types ({exc})") from None
    prior = payload.get("prior")
    if counts and payload.get("primary") and isinstance(prior, dict) and "main" in prior:
        prior["types"] = digest.digest_types(counts, list(payload["labels"]), prior["main"])
        prior["type_names"] = list(counts)
