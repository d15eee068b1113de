"""Which interest a paper belongs to: one linear classifier per interest, trained on the library.

Each interest gets a LinearSVC (balanced classes, C=0.3) of its papers against the library's other
papers, on the recommender's own features (text and author tf-idf) beside a small block of venue
words (journal or proceedings title, word 1-3 grams, weight 0.5): a paper from the venue a
collection gathers is filed there even when its text is generic. Trained once per library version
with the :class:`~zotrec.recommend.model.LibraryIndex` (no digest involved), so ranking a digest
costs one sparse product. A paper's interest is the one with the largest margin.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.svm import LinearSVC

from zotrec.paper import Paper

C = 0.3
VENUE_WEIGHT = 0.5
MAX_POSITIVES = 5_000  # per interest, a seeded sample above this
MAX_NEGATIVES = 10_000


def venue_text(paper: Paper | str | None) -> str:
    """A paper's journal or proceedings title (or that title itself), lowercased words."""
    name = paper.journal if isinstance(paper, Paper) else paper
    return re.sub(r"[^a-z0-9]+", " ", (name or "").lower()).strip()


@dataclass
class InterestClassifier:
    """One-vs-rest linear models over (features | venue words); ``coef`` is features x interests."""

    venues: Any  # fitted TfidfVectorizer, or None when no library paper has a venue
    coef: np.ndarray  # (n_features + n_venue_terms) x interests, float32
    intercept: np.ndarray  # interests

    @classmethod
    def fit(cls, X: sp.csr_matrix, texts: list[str], membership: np.ndarray, seed: int = 0) -> InterestClassifier:
        """``texts``: each row's venue (:func:`venue_text`)."""
        venues = TfidfVectorizer(ngram_range=(1, 3), sublinear_tf=True, dtype=np.float32)
        try:
            V = venues.fit_transform(texts) * VENUE_WEIGHT
        except ValueError:  # no venue at all
            venues, V = None, sp.csr_matrix((X.shape[0], 0), dtype=np.float32)
        Z = sp.hstack([X, V], format="csr")
        k = membership.shape[1]
        coef = np.zeros((Z.shape[1], k), dtype=np.float32)
        intercept = np.full(k, -1.0)
        rng = np.random.default_rng(seed)
        for j in range(k):
            pos, neg = np.flatnonzero(membership[:, j]), np.flatnonzero(~membership[:, j])
            if not len(pos) or not len(neg):
                continue
            if len(pos) > MAX_POSITIVES:
                pos = rng.choice(pos, size=MAX_POSITIVES, replace=False)
            if len(neg) > MAX_NEGATIVES:
                neg = rng.choice(neg, size=MAX_NEGATIVES, replace=False)
            rows = np.concatenate([pos, neg])
            y = np.r_[np.ones(len(pos)), np.zeros(len(neg))]
            model = LinearSVC(C=C, class_weight="balanced", max_iter=5000, random_state=0).fit(Z[rows], y)
            coef[:, j] = model.coef_.ravel()
            intercept[j] = float(model.intercept_[0])
        return cls(venues, coef, intercept)

    def margins(self, X: sp.csr_matrix, texts: list[str]) -> np.ndarray:
        """papers x interests decision values (``texts``: each paper's venue)."""
        if self.venues is not None:
            V = self.venues.transform(texts) * VENUE_WEIGHT
        else:
            V = sp.csr_matrix((X.shape[0], 0), dtype=np.float32)
        Z = sp.hstack([X, V], format="csr")
        return np.asarray(Z @ self.coef) + self.intercept


@dataclass
class InterestSummary:
    """One interest as `zotrec interests` shows it."""

    name: str
    size: int  # library papers counted into it
    words: list[str]  # the terms that weigh most for it
    held_out: int  # its papers held out to measure accuracy
    accuracy: float | None  # share of those filed into one of their own interests (None: too few to hold out)

    def to_json(self) -> dict[str, Any]:
        return {
            "interest": self.name,
            "size": self.size,
            "top_words": self.words,
            "held_out": self.held_out,
            "accuracy": None if self.accuracy is None else round(self.accuracy, 3),
        }


def describe(
    X: sp.csr_matrix,
    venues: list[str],
    membership: np.ndarray,
    names: list[str],
    terms: np.ndarray,
    holdout: float = 0.2,
    seed: int = 0,
    n_words: int = 6,
) -> list[InterestSummary]:
    """Size, top words (of the classifier trained on every paper) and held-out accuracy of each interest:
    a seeded fifth of each interest's papers (at least 1, for interests of 5 or more) is held out, the
    classifier is trained on the rest of the library and files the held-out papers."""
    rng = np.random.default_rng(seed)
    test = np.zeros(X.shape[0], dtype=bool)
    for j in range(len(names)):
        members = np.flatnonzero(membership[:, j])
        if len(members) >= 5:
            test[rng.choice(members, size=max(1, round(holdout * len(members))), replace=False)] = True
    train = np.flatnonzero(~test)
    held = np.flatnonzero(test)
    predicted = np.zeros(0, dtype=np.int64)
    if len(held):
        probe = InterestClassifier.fit(X[train], [venues[i] for i in train], membership[train], seed=seed)
        predicted = probe.margins(X[held], [venues[i] for i in held]).argmax(axis=1)
    full = InterestClassifier.fit(X, venues, membership, seed=seed)
    n_features = X.shape[1]
    out = []
    for j, name in enumerate(names):
        weights = full.coef[:n_features, j]
        top = [str(terms[t]) for t in np.argsort(-weights)[: 4 * n_words] if weights[t] > 0]
        top = [t for t in top if not t.startswith("author:")][:n_words]
        mine = membership[held, j]
        hits = membership[held[mine], predicted[mine]] if mine.any() else np.zeros(0, dtype=bool)
        out.append(
            InterestSummary(
                name, int(membership[:, j].sum()), top, int(mine.sum()), float(hits.mean()) if len(hits) else None
            )
        )
    return out
