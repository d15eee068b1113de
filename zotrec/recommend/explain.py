"""How feedback moves scores: the terms it raised and lowered most, and the scores of the marked papers.

Two models are fitted on the same library without a digest (the background sample as the
negatives), one with the feedback and one without. A term's weight change times its mean tf-idf in
the papers marked +1 is how much it moved those papers' margins: the terms raised most are the
largest positive such products (words and authors of what you liked that now count more); the
terms lowered most, the most negative products over the papers marked -1. Generic words whose
weight shifts only because the classes were re-balanced, and which the marked papers barely use,
stay out of both lists. The difference of the two models' 0-100 scores on the marked papers says
how far those papers moved.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from zotrec.paper import Paper
from zotrec.recommend.model import LibraryIndex, Recommender


@dataclass
class FeedbackEffect:
    """What a library's feedback changed (shifts on the 0-100 scale; None without such papers)."""

    liked: int
    disliked: int
    # (term, weight change x mean tf-idf in the papers marked +1), largest first
    raised: list[tuple[str, float]] = field(default_factory=list)
    # (term, weight change x mean tf-idf in the papers marked -1), most negative first
    lowered: list[tuple[str, float]] = field(default_factory=list)
    liked_shift: float | None = None  # mean score change of the papers marked +1
    disliked_shift: float | None = None  # mean score change of the papers marked -1

    def to_json(self) -> dict[str, object]:
        return {
            "liked": self.liked,
            "disliked": self.disliked,
            "raised": [{"term": t, "change": round(d, 4)} for t, d in self.raised],
            "lowered": [{"term": t, "change": round(d, 4)} for t, d in self.lowered],
            "liked_shift": None if self.liked_shift is None else round(self.liked_shift, 1),
            "disliked_shift": None if self.disliked_shift is None else round(self.disliked_shift, 1),
        }


def term_label(name: str) -> str:
    """A feature name as a person reads it (``author:lovelace_a`` -> ``author Lovelace A.``)."""
    if name.startswith("author:"):
        last, _, initial = name[len("author:") :].rpartition("_")
        last = last or initial
        return f"author {last.title()}" + (f" {initial.upper()}." if initial and last != initial else "")
    return name


def top_changes(
    delta: np.ndarray, names: np.ndarray, n: int
) -> tuple[list[tuple[str, float]], list[tuple[str, float]]]:
    """The ``n`` most raised (positive ``delta``) and most lowered (negative) features, by size."""
    order = np.argsort(delta, kind="stable")
    raised = [(term_label(str(names[i])), float(delta[i])) for i in order[::-1][:n] if delta[i] > 0]
    lowered = [(term_label(str(names[i])), float(delta[i])) for i in order[:n] if delta[i] < 0]
    return raised, lowered


def _mean_row(index: LibraryIndex, papers: list[Paper], mask: np.ndarray) -> np.ndarray:
    """The mean feature row of the ``papers`` selected by ``mask`` (zeros when none is)."""
    chosen = [p for p, m in zip(papers, mask) if m]
    if not chosen:
        return np.zeros(len(index.terms))
    return np.asarray(index.transform(chosen).mean(axis=0), dtype=np.float64).ravel()


def feedback_effect(index: LibraryIndex, feedback: list[tuple[Paper, int]], n_terms: int = 8) -> FeedbackEffect:
    """Compare the model with and without ``feedback`` (pairs of paper and +1/-1) on ``index``."""
    pairs = [(p, int(v)) for p, v in feedback if int(v) != 0]
    papers = [p for p, _ in pairs]
    values = np.asarray([v for _, v in pairs])
    effect = FeedbackEffect(liked=int((values > 0).sum()), disliked=int((values < 0).sum()))
    if not pairs:
        return effect
    after, coef_after = Recommender(index, feedback=pairs).without_digest(papers)
    before, coef_before = Recommender(index).without_digest(papers)
    delta = coef_after - coef_before
    effect.raised, _ = top_changes(delta * _mean_row(index, papers, values > 0), index.terms, n_terms)
    _, effect.lowered = top_changes(delta * _mean_row(index, papers, values < 0), index.terms, n_terms)
    shift = after - before
    if effect.liked:
        effect.liked_shift = float(shift[values > 0].mean())
    if effect.disliked:
        effect.disliked_shift = float(shift[values < 0].mean())
    return effect
