"""How feedback moves scores: the terms it raised and lowered most, and the scores of the marked papers.

Two models are fitted on the same library without a digest (the background sample as the
negatives), one with the feedback and one without; the difference of their term weights says which
words (and authors) the feedback made count more or less, and the difference of their 0-100
scores on the papers the user marked says how far those papers moved.
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
    raised: list[tuple[str, float]] = field(default_factory=list)  # (term, weight change), largest first
    lowered: list[tuple[str, float]] = field(default_factory=list)  # (term, weight change), most negative first
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
    effect.raised, effect.lowered = top_changes(coef_after - coef_before, index.terms, n_terms)
    shift = after - before
    if effect.liked:
        effect.liked_shift = float(shift[values > 0].mean())
    if effect.disliked:
        effect.disliked_shift = float(shift[values < 0].mean())
    return effect
