"""Metrics for topic models: micro/macro-F1, top-1 primary category and archive, confusions."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..paper import Paper
from .context import SHIPPED, Settings
from .model import TextLike, TopicModel
from .taxonomy import archive_set


@dataclass
class Evaluation:
    n: int
    micro_f1: float
    macro_f1: float
    micro_precision: float
    micro_recall: float
    top1_primary: float | None  # over papers whose primary label the model knows
    top1_archive: float | None
    primary_covered: int
    no_topic_rate: float  # share of papers with no confident topic
    per_label: list[dict[str, Any]] = field(default_factory=list)
    confusions: list[dict[str, Any]] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if k not in ("per_label", "confusions")}
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in out.items()}


def evaluate(
    model: TopicModel,
    items: Sequence[TextLike],
    label_lists: Sequence[Sequence[str]],
    *,
    primary: Sequence[str | None] | None = None,
    archives: bool = True,
    top_confusions: int = 15,
    only: Sequence[str] | None = None,
    digests: Sequence[Hashable] | None = None,
    settings: Settings = SHIPPED,
    scores: tuple[np.ndarray, np.ndarray] | None = None,
) -> Evaluation:
    """Score ``model`` on labelled papers; true labels outside the model's labels are ignored.

    The papers are decoded as :meth:`TopicModel.predict` decodes them: ``digests`` gives each
    paper's digest (papers of one digest are one batch, decoded in context); None = each paper
    alone, without context. The main topic is the first listed (none listed = a miss).
    ``primary`` defaults to the first label of each list. ``only``: score on these labels alone
    (the others are neither predicted nor expected). ``settings``/``scores``: as in
    :meth:`TopicModel.decode` (the context settings; the papers' calibrated columns if computed).
    """
    labels = model.labels
    keep = np.array([only is None or label in set(only) for label in labels])
    index = {label: j for j, label in enumerate(labels)}
    n, L = len(items), len(labels)
    Y = np.zeros((n, L), dtype=bool)
    for i, ls in enumerate(label_lists):
        for label in ls:
            if label in index:
                Y[i, index[label]] = True
    chosen, first = decode_all(model, items, digests, settings, scores)
    chosen = chosen[:, keep]
    first = np.where(keep[np.maximum(first, 0)] & (first >= 0), first, -1)
    first = np.where(first >= 0, np.cumsum(keep)[np.maximum(first, 0)] - 1, -1)
    labels = [label for label, k in zip(labels, keep) if k]
    thresholds = model.thresholds[keep]
    index = {label: j for j, label in enumerate(labels)}
    L = len(labels)
    Y = Y[:, keep]
    pred = chosen
    tp = (pred & Y).sum(0)
    fp = (pred & ~Y).sum(0)
    fn = (~pred & Y).sum(0)
    micro_p = tp.sum() / max(tp.sum() + fp.sum(), 1)
    micro_r = tp.sum() / max(tp.sum() + fn.sum(), 1)
    micro_f1 = 2 * tp.sum() / max(2 * tp.sum() + fp.sum() + fn.sum(), 1)
    f1 = np.where(tp + fp + fn > 0, 2 * tp / np.maximum(2 * tp + fp + fn, 1), 0.0)
    support = Y.sum(0)
    macro_f1 = float(f1[support > 0].mean()) if (support > 0).any() else 0.0

    prim = list(primary) if primary is not None else [ls[0] if ls else None for ls in label_lists]
    hits, arch_hits, covered, confusions = _main_topic_hits(prim, labels, first)
    per_label = [
        {
            "label": label,
            "name": model.name(label),
            "support": int(support[j]),
            "precision": round(float(tp[j] / max(tp[j] + fp[j], 1)), 4),
            "recall": round(float(tp[j] / max(tp[j] + fn[j], 1)), 4),
            "f1": round(float(f1[j]), 4),
            "threshold": round(float(thresholds[j]), 4),
        }
        for j, label in enumerate(labels)
    ]
    return Evaluation(
        n=n,
        micro_f1=float(micro_f1),
        macro_f1=macro_f1,
        micro_precision=float(micro_p),
        micro_recall=float(micro_r),
        top1_primary=hits / covered if covered else None,
        top1_archive=(arch_hits / covered if covered else None) if archives else None,
        primary_covered=covered,
        no_topic_rate=float((~pred.any(1)).mean()) if n else 0.0,
        per_label=per_label,
        confusions=[{"true": t, "predicted": g, "count": c} for (t, g), c in confusions.most_common(top_confusions)],
    )


def _main_topic_hits(
    prim: Sequence[str | None], labels: list[str], first: np.ndarray
) -> tuple[int, int, int, Counter[tuple[str, str]]]:
    """(main topic right, same arXiv archive, papers whose main label the model knows, confusions)."""
    index = set(labels)
    hits = arch_hits = covered = 0
    confusions: Counter[tuple[str, str]] = Counter()
    for i, p in enumerate(prim):
        if p not in index:
            continue
        covered += 1
        guess = labels[first[i]] if first[i] >= 0 else "none"
        if guess == p:
            hits += 1
        else:
            confusions[(p, guess)] += 1
        if guess != "none" and archive_set(p) & archive_set(guess):
            arch_hits += 1
    return hits, arch_hits, covered, confusions


def decode_all(
    model: TopicModel,
    items: Sequence[TextLike],
    digests: Sequence[Hashable] | None = None,
    settings: Settings = SHIPPED,
    scores: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Chosen topics (n, labels) and main topic (n,) of every paper, digest by digest.

    ``digests``: each paper's digest; papers of one digest are decoded together, in context.
    None: every paper alone (no context, today's rule for a one-paper digest).
    """
    n, L = len(items), len(model.labels)
    chosen = np.zeros((n, L), dtype=bool)
    first = np.full(n, -1)
    by_digest: dict[Hashable, list[int]] = defaultdict(list)
    for i in range(n):  # no digests: one call without context (the same as paper by paper)
        by_digest[None if digests is None else digests[i]].append(i)
    for rows in by_digest.values():
        part = None if scores is None else (scores[0][rows], scores[1][rows])
        decoded = model.decode([items[i] for i in rows], context=digests is not None, settings=settings, scores=part)
        chosen[rows] = decoded.chosen
        first[rows] = decoded.first()
    return chosen, first


def no_topic_by_source(
    model: TopicModel, digests: dict[str, Sequence[Paper]], context: bool = True
) -> dict[str, dict[str, Any]]:
    """Share of papers with no confident topic, per source kind (``{kind: papers}``), each digest
    decoded as one batch: ``{kind: {"papers", "no_topic", "share"}}``."""
    out: dict[str, dict[str, Any]] = {}
    for kind, papers in digests.items():
        topics = model.predict(list(papers), context=context) if papers else []
        none = sum(1 for t in topics if not t)
        out[kind] = {"papers": len(topics), "no_topic": none, "share": none / len(topics) if topics else 0.0}
    return out
