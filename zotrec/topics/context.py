"""Digest context: estimate a digest's label mix from the digest itself, then decode under it.

A digest is a batch: a cs.CV listing holds few ``eess.IV`` papers, an astro-ph listing no
``stat.ML`` ones. The model's calibrated probabilities assume the label mix of its training papers.
Three steps adapt them to the batch (none of them needs a label):

- main topic: EM prior re-estimation (Saerens, Latinne & Decaestecker 2002, "Adjusting the outputs
  of a classifier to new a priori probabilities") on the main-topic probabilities, normalised over
  the labels; papers whose category is known (a digest that gives arXiv categories) enter the
  estimate with it instead of the model's guess. Labels that were rarely a main topic in training
  keep their training share: their calibrated probabilities rest on a handful of papers and EM
  would let them soak up the batch (one with 4 training papers took 37% of a cs day). Without
  digest types, a small discount per label drops the shares no paper really supports (a listing
  holds few categories);
- topics: each label's share in the batch is what the estimated main-topic mix implies through
  the training co-occurrence of labels (``given_main[k, j]`` = share of papers with main topic k
  that also carry j; a cs.CV listing implies few ``cs.LG`` cross-lists), and each probability's odds
  are scaled by (batch share / training share);
- decision: a label is kept above the largest of its own threshold, the batch's F1 plug-in
  threshold (the cut that maximises the F1 the probabilities expect) and a floor; the main topic is
  the label with the best adjusted main-topic probability times adjusted topic probability.

Estimates are MAP ones: a prior mix counts as ``strength`` pseudo-papers, so a digest of a few
papers moves little. The prior mix is the training mix, or, when the model knows digest types (the
main-topic mixes of the training side's daily digests, one per source: an astro-ph listing, a q-bio
listing, a feed that follows hep-th and gr-qc; ``<model>.mixes.json`` beside the model file), the
types weighted by how well each explains the batch (the training mix is one of them), with a
tenth of the training mix blended in: a batch that reads like a cs.CV/cs.CL listing starts from
that listing's mix, and few of its papers go to ``eess.IV`` or ``cs.LG``, which such listings
rarely hold as a main topic, while a lone paper clearly of another category keeps it (the caller
leaves the types out for a digest of journal articles only). A digest of one paper is decoded
without context (the caller's plain rule).
The shipped :class:`Settings` were chosen on validation days (a model trained on earlier days,
scored on the days before the benchmark's test days: ``python -m benchmarks.topics validate``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

EPS = 1e-6
TYPE_SMOOTH = 5.0  # pseudo-papers of the training mix in each digest type's mix
TYPES_FORMAT = "zotrec-digest-types/1"
MAIN_STRENGTH = 10.0  # pseudo-papers of the training mix in the main-topic estimate
TOPIC_STRENGTH = 5.0  # pseudo-papers of the training mix in each label's share


@dataclass(frozen=True)
class Settings:
    """How far a digest moves the decoding (the defaults are the shipped settings)."""

    main_strength: float = MAIN_STRENGTH  # pseudo-papers of the training mix in the main-topic estimate
    main_discount: float = 0.5  # papers' worth of share each label must earn in the main-topic estimate
    min_main_share: float = 0.0025  # labels rarer than this as a training main topic keep their share
    topic_power: float = 1.0  # how far a label's odds follow its estimated share (1 = fully)
    floor: float = 0.7  # a label other than the forced main topic needs this probability
    type_strength: float = 300.0  # pseudo-papers of the digest type's mix (when the model knows types)
    type_blend: float = 0.1  # share of the training mix in that starting mix (a paper unlike the type keeps a chance)
    type_discount: float = 0.0  # main_discount when the model knows types (the type's mix is sparse already)
    expert_type: float = 0.5  # a listing expert decodes a digest whose type posterior gives its listing this much
    expert_weight: float = 0.5  # the expert's weight in the geometric blend with the broad model (1 = alone)
    expert_strength: float = 100.0  # main_strength of an expert's decoding (pulled to its listing's mix)
    expert_floor: float = 0.5  # floor of an expert's decoding
    expert_drift: float = 0.3  # most a batch's own mix may gain over its listing's for the expert (experts.drift)
    expert_drift_papers: float = 2.0  # ... plus this over the batch size (a small batch gains by chance)
    expert_order: float = 1.0  # power of an expert's primary-label head on its main scores (0 = not used)


SHIPPED = Settings()


def in_context(
    P: np.ndarray,
    M: np.ndarray,
    prior: dict[str, Any],
    thresholds: np.ndarray,
    topics_known: np.ndarray,
    main_known: np.ndarray,
    settings: Settings = SHIPPED,
    weights: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A batch decoded under its own label mix: (topic probabilities, main scores, thresholds).

    ``P``/``M``: (n, L) topic and main-topic probabilities under the training mix ``prior``
    (``topic``, ``main``, ``given_main``); ``topics_known``/``main_known``: (n, L) 0/1 rows of the
    papers whose categories the digest gives (all zero for the others); ``weights``: the batch's
    digest-type posterior (:func:`type_weights`) when already computed.
    """
    known, seen = main_known.any(1), topics_known.any(1)
    types = prior.get("types")
    center = None
    if types is not None:
        if weights is None:
            weights = type_weights(M[~known], prior["main"], types, observed=main_known[known])
        mixes = np.vstack([np.asarray(types, float).reshape(-1, len(prior["main"])), _normalised(prior["main"])[None]])
        center = weights @ mixes
        center = (1.0 - settings.type_blend) * center + settings.type_blend * _normalised(prior["main"])
    mix = reestimate(
        M[~known],
        prior["main"],
        center=center,
        strength=settings.main_strength if center is None else settings.type_strength,
        discount=settings.main_discount if center is None else settings.type_discount,
        min_share=settings.min_main_share,
        observed=main_known[known],
    )
    adjusted = adjust(M, prior["main"], mix)
    share = topic_shares(adjusted[~seen], prior["topic"], prior["given_main"], observed=topics_known[seen])
    P = shift_topics(P, prior["topic"], share, power=settings.topic_power)
    main = adjusted * P  # in context the topic probability counts fully
    cut = max(f1_threshold(P), settings.floor)
    return P, main.astype(np.float32), np.maximum(thresholds, cut)


def reestimate(
    posteriors: np.ndarray,
    prior: np.ndarray,
    *,
    center: np.ndarray | None = None,
    strength: float = MAIN_STRENGTH,
    discount: float = 0.0,
    min_share: float = 0.0,
    observed: np.ndarray | None = None,
    iters: int = 100,
    tol: float = 1e-4,
) -> np.ndarray:
    """The class mix of a batch by EM (shape (L,), sums to 1).

    ``posteriors``: (n, L) probabilities of L exclusive classes under the training mix ``prior``
    (rows are normalised here). ``observed``: (m, L) rows of papers whose class is known (one-hot);
    they count in the mix as they are. ``center``: the mix the estimate starts from and is pulled
    to (default: ``prior``), as ``strength`` pseudo-papers. ``discount``: papers' worth subtracted
    from every class's count (shares that no paper clearly supports fall to zero). ``min_share``:
    classes below this training share keep their ``center`` share. Stops when no class share
    moves by ``tol`` (on 20,000 papers: 25 iterations, main topics as at 1e-9).
    """
    prior = _normalised(prior)
    center = prior if center is None else _normalised(center)
    Q = _rows(posteriors)
    known = np.zeros_like(prior) if observed is None else np.asarray(observed, float).sum(0)
    frozen = prior < min_share
    fixed = center[frozen].sum()
    mix = center.copy()
    for _ in range(iters):
        counts = adjust(Q, prior, mix).sum(0) + known + strength * center
        new = np.maximum(counts - discount, 0.0) + EPS
        new[frozen] = 0.0
        new *= (1.0 - fixed) / new.sum()
        new[frozen] = center[frozen]
        done = np.abs(new - mix).max() < tol
        mix = new
        if done:
            break
    return mix


def type_center(
    posteriors: np.ndarray, prior: np.ndarray, types: np.ndarray, observed: np.ndarray | None = None
) -> np.ndarray:
    """The prior mix of a batch: the digest types (rows of ``types``, plus the training ``prior``)
    weighted by their likelihood of the batch, with equal prior odds.

    ``posteriors``: (n, L) main-topic probabilities under ``prior``; under type k a paper's
    likelihood is proportional to sum_j posterior_j x type_kj / prior_j. ``observed``: (m, L)
    one-hot rows of papers whose main topic is known (likelihood type_kj / prior_j).
    """
    prior = _normalised(prior)
    mixes = np.vstack([np.asarray(types, float).reshape(-1, len(prior)), prior[None]])
    return type_weights(posteriors, prior, types, observed) @ mixes


def type_weights(
    posteriors: np.ndarray, prior: np.ndarray, types: np.ndarray, observed: np.ndarray | None = None
) -> np.ndarray:
    """The digest-type posterior of a batch, shape (K + 1,): each type (rows of ``types``), then the
    training ``prior``, weighted by its likelihood of the batch with equal prior odds (see
    :func:`type_center`)."""
    prior = _normalised(prior)
    mixes = np.vstack([np.asarray(types, float).reshape(-1, len(prior)), prior[None]])
    ratio = (mixes / prior).T  # (L, K)
    loglik = np.log(_rows(posteriors) @ ratio).sum(0)
    if observed is not None and len(observed):
        loglik += np.log(np.asarray(observed, float) @ ratio + EPS).sum(0)
    weight = np.exp(loglik - loglik.max())
    return weight / weight.sum()


def log_likelihood(
    posteriors: np.ndarray, prior: np.ndarray, mix: np.ndarray, observed: np.ndarray | None = None
) -> float:
    """Log-likelihood of a batch under the main-topic ``mix`` (up to a constant that does not depend
    on the mix): a paper's likelihood is proportional to sum_j posterior_j x mix_j / prior_j, that of a
    paper whose main topic j is known (``observed``, one-hot rows) to mix_j / prior_j."""
    ratio = _normalised(mix) / _normalised(prior)
    total = float(np.log(_rows(posteriors) @ ratio).sum()) if len(posteriors) else 0.0
    if observed is not None and len(observed):
        total += float(np.log(np.asarray(observed, float) @ ratio + EPS).sum())
    return total


def digest_types(counts: dict[str, dict[str, float]], labels: list[str], prior: np.ndarray) -> np.ndarray:
    """Each digest type's main-topic mix over ``labels`` (K, L): its papers' main-topic counts
    with ``TYPE_SMOOTH`` pseudo-papers of the training ``prior``; labels the model lacks are dropped."""
    prior = _normalised(prior)
    index = {label: j for j, label in enumerate(labels)}
    rows = np.zeros((len(counts), len(labels)))
    for k, per_label in enumerate(counts.values()):
        for label, n in per_label.items():
            if label in index:
                rows[k, index[label]] = n
    return (rows + TYPE_SMOOTH * prior) / (rows.sum(1, keepdims=True) + TYPE_SMOOTH)


def types_path(model_path: Path) -> Path:
    """The digest-type file beside a model file: ``topics.joblib`` -> ``topics.mixes.json``."""
    return model_path.with_suffix(".mixes.json")


def read_types(path: Path) -> dict[str, dict[str, float]] | None:
    """The digest types' main-topic counts (``{type: {label: papers}}``), None when there is no
    such file; a malformed file raises ValueError."""
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or data.get("format") != TYPES_FORMAT or not isinstance(data.get("types"), dict):
        raise ValueError(f"{path.name}: not a {TYPES_FORMAT} file")
    return {str(k): {str(label): float(n) for label, n in v.items()} for k, v in data["types"].items()}


def write_types(path: Path, counts: dict[str, dict[str, float]], **about: object) -> Path:
    """Write the digest types (``{type: {label: papers}}``) and what they were counted from."""
    data = {"format": TYPES_FORMAT, **about, "types": counts}
    path.write_text(json.dumps(data, indent=1, sort_keys=False) + "\n", encoding="utf-8")
    return path


def adjust(posteriors: np.ndarray, prior: np.ndarray, mix: np.ndarray) -> np.ndarray:
    """Posteriors of exclusive classes moved from the training ``prior`` to the batch ``mix``."""
    R = _rows(posteriors) * (np.asarray(mix, float) / _normalised(prior))
    return R / R.sum(1, keepdims=True)


def topic_shares(
    main: np.ndarray,
    prior: np.ndarray,
    given_main: np.ndarray,
    *,
    strength: float = TOPIC_STRENGTH,
    observed: np.ndarray | None = None,
) -> np.ndarray:
    """Each label's share among the batch's papers, as the main-topic posteriors imply it.

    ``main``: (n, L) main-topic posteriors under the batch's mix; ``given_main``: (L, L) training
    share of papers with main topic k that carry label j; ``prior``: each label's training share
    (``strength`` pseudo-papers of it); ``observed``: (m, L) 0/1 rows of papers whose labels are known.
    """
    prior = np.clip(np.asarray(prior, float), EPS, 1 - EPS)
    known = np.zeros_like(prior) if observed is None else np.asarray(observed, float).sum(0)
    total = len(main) + (0 if observed is None else len(observed)) + strength
    expected = np.asarray(main, float).sum(0) @ np.asarray(given_main, float)
    return np.clip((expected + known + strength * prior) / total, EPS, 1 - EPS)


def shift_topics(
    proba: np.ndarray,
    prior: np.ndarray,
    share: np.ndarray | None = None,
    *,
    strength: float = TOPIC_STRENGTH,
    power: float = 1.0,
    observed: np.ndarray | None = None,
) -> np.ndarray:
    """One-vs-rest topic probabilities moved towards the batch's share of each label.

    ``prior``: each label's share among the training papers. ``share``: the batch's share of each
    label (None: the mean of ``proba``, with ``strength`` pseudo-papers of the prior and the known
    rows ``observed``). Returns probabilities of the same shape as ``proba``.
    """
    prior = np.clip(np.asarray(prior, float), EPS, 1 - EPS)
    P = np.asarray(proba, float)
    if share is None:
        known = np.zeros_like(prior) if observed is None else np.asarray(observed, float).sum(0)
        total = len(P) + (0 if observed is None else len(observed)) + strength
        share = (P.sum(0) + known + strength * prior) / total
    share = np.clip(share, EPS, 1 - EPS)
    ratio = ((share / (1 - share)) / (prior / (1 - prior))) ** power
    odds = ratio * P
    return (odds / (odds + 1 - P)).astype(np.float32)


def f1_threshold(proba: np.ndarray) -> float:
    """The probability cut that maximises the micro-F1 the calibrated ``proba`` expect.

    Expected true positives of "every cell >= t" = the sum of those probabilities; expected
    positives = the sum of all probabilities (plug-in estimate, no label needed).
    """
    values = np.sort(np.asarray(proba, float).ravel())[::-1]
    if not len(values) or values[0] <= 0:
        return 1.0
    f1 = 2 * np.cumsum(values) / (np.arange(1, len(values) + 1) + values.sum())
    return float(values[int(np.argmax(f1))])


def _normalised(prior: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(prior, dtype=np.float64), EPS, None)
    return p / p.sum()


def _rows(posteriors: np.ndarray) -> np.ndarray:
    Q = np.clip(np.asarray(posteriors, dtype=np.float64), 0.0, None) + EPS
    return Q / Q.sum(1, keepdims=True)
