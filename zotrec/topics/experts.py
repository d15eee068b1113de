"""Listing experts: one-vs-rest heads trained on one arXiv listing's days, used when a digest reads
like that listing.

A broad model trained on every archive does not know it is reading, say, the cs.CV/cs.CL/cs.AI
listing: it puts ``eess.IV`` before ``cs.CV``, and the broad corpus holds few cs.CV/cs.CL/cs.AI
primaries at all. An expert is a head of the same kind as the broad model (topic and main-topic
columns, Platt scaling, a threshold per label, a label mix), trained only on the papers of one
listing's training days over the labels that listing holds. It reads the broad model's features
(the hashing and idf are shared: the text is vectorized once). A digest whose type posterior
(:func:`zotrec.topics.context.type_weights`) names that listing, and whose own label mix the
listing's still explains (:func:`drift`), is decoded over the expert's labels with a blend of the
expert's and the broad model's calibrated columns; any other digest, a single paper, and a journal
feed keep the broad model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import scipy.sparse as sp

from ..errors import ModelError
from . import context as digest

EXPERT_FIELDS = ("labels", "coef", "intercept", "calib", "thresholds", "prior")
DRIFT_STRENGTH = 30.0  # pseudo-papers of the listing's mix in the batch's own mix (see drift)


def train_expert(
    model_payload: dict[str, Any],
    X: sp.csr_matrix,
    label_lists: Sequence[Sequence[str]],
    *,
    min_examples: int = 10,
    C: float = 0.3,
    keep_weights: int = 2000,
    folds: int = 5,
    seed: int = 0,
    n_jobs: int = 1,
) -> dict[str, Any]:
    """An expert over the labels of one listing's papers (``X``: their rows under the broad model's
    features; ``label_lists``: their categories, primary first). Labels the broad model lacks, or with
    fewer than ``min_examples`` papers here, are left out. Calibration: out-of-fold scores (``folds``)."""
    from .model import _calibration, _Fit, _kept_labels, _label_mix, _sigmoid, _targets

    known = set(model_payload["labels"])
    lists = [[label for label in labels if label in known] for labels in label_lists]
    _counts, kept, _left = _kept_labels(lists, min_examples)
    index = {label: j for j, label in enumerate(kept)}
    Y = _targets(lists, index, True)
    fit = _Fit(C, keep_weights, n_jobs, 0, seed, lambda _msg: None)
    coef, intercept, cal_scores, cal_Y, _held = fit.calibrated(X, Y, None, folds, 0.2, True, len(kept))
    calib, thresholds = _calibration(cal_scores, cal_Y, len(kept), "arxiv", 50.0, 0.3)
    expert = {
        "labels": kept,
        "coef": coef.astype(np.float32),
        "intercept": np.asarray(intercept, dtype=np.float32),
        "calib": calib,
        "thresholds": thresholds,
        "prior": _label_mix(Y, len(kept), True),
    }
    order = order_head(_sigmoid(cal_scores.astype(np.float32), calib), cal_Y, len(kept))
    if order is not None:
        expert["order"] = order
    return expert


def order_head(cal_P: np.ndarray, Y: np.ndarray, L: int, C: float = 1.0) -> dict[str, np.ndarray] | None:
    """Which of an expert's L labels is a paper's primary, from all its calibrated columns (topics and
    main topics, as log-odds): a multinomial logistic regression fitted on out-of-fold columns
    ``cal_P`` (n, 2L) and targets ``Y`` (n, 2L). It reads what the one-vs-rest main columns each miss
    (a cs.CL column beside a strong cs.AI one). None when fewer than two labels are ever primary."""
    from sklearn.linear_model import LogisticRegression

    has = Y[:, L:].any(1)
    y = Y[has, L:].argmax(1)
    if len(np.unique(y)) < 2:
        return None
    fit = LogisticRegression(C=C, max_iter=2000).fit(_log_odds(cal_P[has]), y)
    coef, intercept = fit.coef_, fit.intercept_
    if len(fit.classes_) == 2:  # scikit-learn keeps one row for two classes: the softmax of (0, row)
        coef, intercept = np.vstack([np.zeros_like(coef), coef]), np.concatenate([[0.0], intercept])
    return {
        "coef": coef.astype(np.float32),
        "intercept": np.asarray(intercept, dtype=np.float32),
        "classes": fit.classes_.astype(np.int64),
    }


def order_proba(expert: dict[str, Any], own: np.ndarray) -> np.ndarray | None:
    """The expert's primary-label probabilities (n, its labels) from its calibrated columns ``own``;
    None for an expert without an order head."""
    head = expert.get("order")
    if head is None:
        return None
    z = _log_odds(own) @ head["coef"].T + head["intercept"]
    z = np.exp(z - z.max(1, keepdims=True))
    S = np.full((len(own), len(expert["labels"])), 1e-6, dtype=np.float32)
    S[:, head["classes"]] += (z / z.sum(1, keepdims=True)).astype(np.float32)
    return S


def _log_odds(P: np.ndarray) -> np.ndarray:
    P = np.clip(np.asarray(P, dtype=np.float32), 1e-6, 1 - 1e-6)
    return np.log(P / (1 - P))


def check_experts(experts: Any, labels: Sequence[str], n_features: int) -> None:
    """Raise ModelError unless ``experts`` is ``{listing: expert}`` whose experts fit the broad model."""
    if not isinstance(experts, dict):
        raise ModelError("listing experts: not a mapping of listing name to expert")
    known = set(labels)
    for name, expert in experts.items():
        if not isinstance(expert, dict) or any(k not in expert for k in EXPERT_FIELDS):
            raise ModelError(f"listing expert {name!r}: missing fields")
        own = list(expert["labels"])
        L = len(own)
        if not L or not set(own) <= known:
            raise ModelError(f"listing expert {name!r}: labels the broad model does not have")
        coef = expert["coef"]
        shapes_ok = (
            sp.issparse(coef)
            and coef.shape == (2 * L, n_features)
            and np.shape(expert["intercept"]) == (2 * L,)
            and np.shape(expert["calib"]) == (2 * L, 2)
            and np.shape(expert["thresholds"]) == (L,)
        )
        prior = expert["prior"]
        if not shapes_ok or not isinstance(prior, dict) or np.shape(prior.get("given_main", ())) != (L, L):
            raise ModelError(f"listing expert {name!r}: its weights do not match its labels")
        order = expert.get("order")
        if order is not None and not _order_fits(order, L):
            raise ModelError(f"listing expert {name!r}: its order head does not match its labels")


def _order_fits(order: Any, L: int) -> bool:
    if not isinstance(order, dict) or any(k not in order for k in ("coef", "intercept", "classes")):
        return False
    classes = np.asarray(order["classes"])
    K = len(classes)
    return (
        np.shape(order["coef"]) == (K, 2 * L)
        and np.shape(order["intercept"]) == (K,)
        and K >= 2
        and bool(((classes >= 0) & (classes < L)).all())
    )


def expert_columns(expert: dict[str, Any], X: sp.csr_matrix) -> np.ndarray:
    """The expert's calibrated columns (topics, then main topics) for feature rows ``X``: (n, 2 x its labels)."""
    from .model import _sigmoid

    scores = np.asarray((X @ expert["coef"].T).toarray(), dtype=np.float32) + expert["intercept"]
    return _sigmoid(scores, expert["calib"])


def blend(broad: np.ndarray, own: np.ndarray, weight: float, geometric: bool = False) -> np.ndarray:
    """The expert's columns ``own`` blended with the broad model's same columns ``broad``: ``weight``
    on the expert (1 = the expert alone), arithmetic mean of the probabilities or of their logits."""
    if weight >= 1.0:
        return own
    if not geometric:
        return (weight * own + (1.0 - weight) * broad).astype(np.float32)
    eps = 1e-6
    a, b = np.clip(own, eps, 1 - eps), np.clip(broad, eps, 1 - eps)
    z = weight * np.log(a / (1 - a)) + (1.0 - weight) * np.log(b / (1 - b))
    return (1.0 / (1.0 + np.exp(-z))).astype(np.float32)


def columns_of(labels: Sequence[str], own: Sequence[str]) -> np.ndarray:
    """Where each of the expert's labels ``own`` sits among the broad model's ``labels``."""
    index = {label: j for j, label in enumerate(labels)}
    return np.array([index[label] for label in own], dtype=np.int64)


def pick(
    experts: dict[str, Any],
    prior: dict[str, Any],
    M: np.ndarray,
    main_known: np.ndarray,
    settings: digest.Settings = digest.SHIPPED,
) -> tuple[str | None, np.ndarray | None]:
    """The listing whose expert decodes this batch, and the batch's digest-type posterior (None
    without types). The listing is the likeliest digest type when it has an expert, its weight is
    at least ``settings.expert_type`` and its mix still explains the batch (:func:`drift` at most
    ``expert_drift`` + ``expert_drift_papers`` / papers); None = the broad model.

    ``M``: (n, L) the broad model's main-topic probabilities; ``main_known``: (n, L) one-hot rows of
    the papers whose primary category the digest gives (they count with it)."""
    names, types = prior.get("type_names"), prior.get("types")
    if types is None:
        return None, None
    known = main_known.any(1)
    weights = digest.type_weights(M[~known], prior["main"], types, observed=main_known[known])
    k = int(weights.argmax())
    if not (experts and names and k < len(names) and names[k] in experts and weights[k] >= settings.expert_type):
        return None, weights
    mix = np.asarray(types, float).reshape(-1, len(prior["main"]))[k]
    gain = drift(M[~known], prior["main"], mix, main_known[known])
    if gain > settings.expert_drift + settings.expert_drift_papers / max(len(M), 1):
        return None, weights
    return str(names[k]), weights


def drift(M: np.ndarray, prior_main: np.ndarray, mix: np.ndarray, observed: np.ndarray | None = None) -> float:
    """How much better the batch's own main-topic mix explains it than its listing's ``mix``: the
    gain in log-likelihood per paper when the mix is estimated from the batch (MAP, with
    ``DRIFT_STRENGTH`` pseudo-papers of ``mix``).

    An expert learns its listing as the listing selects it: a listing that follows astro-ph.GA, .CO
    and .IM holds only those astro-ph.HE/.SR/.EP papers that are cross-listed to them, and its expert
    sends such papers to astro-ph.IM. A day of every astro-ph subject still reads most like that
    listing, but its own mix gains ~0.45 per paper over the listing's, against 0.05-0.2 for the
    listing's own days: such a batch is left to the broad model. ``M``: (n, L) main-topic
    probabilities under the training mix ``prior_main``; ``observed``: one-hot rows of known main topics.
    """
    n = len(M) + (0 if observed is None else len(observed))
    if not n:
        return 0.0
    own = digest.reestimate(M, prior_main, center=mix, strength=DRIFT_STRENGTH, observed=observed)
    gain = digest.log_likelihood(M, prior_main, own, observed) - digest.log_likelihood(M, prior_main, mix, observed)
    return gain / n


def in_listing(
    expert: dict[str, Any],
    cols: np.ndarray,
    broad: np.ndarray,
    prior: dict[str, Any],
    own: np.ndarray,
    topics_known: np.ndarray,
    main_known: np.ndarray,
    settings: digest.Settings,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A listing-like batch decoded over the expert's labels: (topic probabilities, main scores,
    thresholds), each over the expert's labels.

    ``broad``: (n, 2L) the broad model's calibrated columns, moved from its training mix to the
    listing's (topics by odds, main topics by prior shift) before the geometric blend with the
    expert's own columns ``own`` (n, 2 x its labels); the blend is then decoded in context, pulled
    to the listing's mix, and its main scores are weighed by the expert's order head (which label is
    the primary, :func:`order_head`) when it has one. ``topics_known``/``main_known``: (n, L) rows
    of the given categories."""
    L, Le, mine = len(prior["topic"]), len(cols), expert["prior"]
    P = digest.shift_topics(broad[:, cols], prior["topic"][cols], mine["topic"])
    M = digest.adjust(broad[:, L + cols], prior["main"][cols], mine["main"])
    P = blend(P, own[:, :Le], settings.expert_weight, geometric=True)
    M = blend(M, own[:, Le:], settings.expert_weight, geometric=True)
    decoding = replace(settings, main_strength=settings.expert_strength, main_discount=0.0, floor=settings.expert_floor)
    P, main, cut = digest.in_context(
        P, M, mine, expert["thresholds"], topics_known[:, cols], main_known[:, cols], decoding
    )
    S = order_proba(expert, own) if settings.expert_order > 0 else None
    if S is not None:  # which listed label is the primary: the order head reads all the expert's columns
        main = (main * S**settings.expert_order).astype(np.float32)
    return P, main, cut
