"""Personal topics: a model of the user's interests (see :mod:`zotrec.interests`) and, optionally, tags.

The collection labels are exactly the interests the recommender scores and files into: the same
``[profile]`` settings pick them (``min_items``, include/exclude globs, zotrec's own collection left
out), and a paper of a subcollection too small to be an interest is labelled with its parent.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .. import paths
from ..errors import ModelError
from ..interests import Interests, InterestSettings, select_interests
from ..paper import Paper
from .model import Progress, TopicModel, save_topic_model, train_topic_model

TAG_PREFIX = "#"  # tag labels are "#tag", collection labels are their path "A/B"


def personal_model_path() -> Path:
    """Where `zotrec train personal` keeps the user's model (under the data dir)."""
    return paths.personal_model_file()


def paper_labels(paper: Paper, interests: Interests | None = None, *, tags: bool = False) -> list[str]:
    """The personal labels of a library paper: its interests (collection paths) and (optionally) ``#tag``s."""
    labels: list[str] = interests.of(paper.collections) if interests is not None else []
    if tags:
        labels += [TAG_PREFIX + t.strip() for t in paper.tags if t and t.strip()]
    return list(dict.fromkeys(labels))


@dataclass
class PersonalReport:
    """What `train personal` learned, what it left out and how well it does on held-out papers."""

    papers: int
    used_papers: int
    labels: list[str]
    left_out: dict[str, int]  # label -> examples, too few to learn
    metrics: dict[str, Any] = field(default_factory=dict)


def _usable(paper: Paper) -> bool:
    return bool(paper.title) and len(paper.text) >= 20


def train_personal_model(
    papers: Sequence[Paper],
    *,
    collections: bool = True,
    tags: bool = False,
    interests: InterestSettings | None = None,
    min_examples: int = 5,
    holdout: float = 0.2,
    seed: int = 0,
    progress: Progress | None = None,
) -> tuple[TopicModel, PersonalReport]:
    """Train a personal model from library papers: the interests picked by ``interests`` (defaults:
    collections with 8 or more papers) and, with ``tags``, tags with ``min_examples`` papers or more.

    With ``holdout`` > 0, a random fifth of the labelled papers is held out first to measure
    micro-F1 (reported), then the model is retrained on all of them.
    """
    from .evaluate import evaluate

    settings = interests or InterestSettings()
    usable = [p for p in papers if _usable(p)]
    chosen = select_interests(usable, settings) if collections else None
    labelled = [(p, paper_labels(p, chosen, tags=tags)) for p in usable]
    labelled = [(p, ls) for p, ls in labelled if ls]
    if not labelled:
        what = "collections or tags" if tags else "collections"
        raise ModelError(f"no library paper with a title and {what}: nothing to learn personal topics from")
    counts = Counter(label for _, ls in labelled for label in ls)
    left_out = {label: n for label, n in sorted(counts.items()) if n < min_examples and label.startswith(TAG_PREFIX)}
    if len(counts) == len(left_out):
        raise ModelError(
            f"no interest and no tag with {min_examples} or more papers with a title: too few examples to learn from"
        )
    smallest = min(min_examples, settings.min_items) if chosen is not None and len(chosen) else min_examples
    params: dict[str, Any] = dict(
        min_examples=smallest,
        kind="personal",
        seed=seed,
        progress=progress,
        names={label: label.lstrip(TAG_PREFIX) for label in counts},
    )
    metrics: dict[str, Any] = {}
    if holdout and len(labelled) >= 25:
        rng = np.random.default_rng(seed)
        test = rng.random(len(labelled)) < holdout
        train_part = [labelled[i] for i in np.flatnonzero(~test)]
        test_part = [labelled[i] for i in np.flatnonzero(test)]
        try:
            probe = train_topic_model([p for p, _ in train_part], [ls for _, ls in train_part], **params)
            ev = evaluate(probe, [p for p, _ in test_part], [ls for _, ls in test_part], archives=False)
            metrics = {"holdout": holdout, "test_papers": len(test_part), **ev.summary()}
            metrics.pop("top1_archive", None)
        except ModelError:
            metrics = {"holdout": holdout, "note": "too few examples to hold any out"}
    model = train_topic_model([p for p, _ in labelled], [ls for _, ls in labelled], **params)
    model.card["training_data"] = {
        "source": "library",
        "papers": len(papers),
        "used_papers": len(labelled),
        "collections": collections,
        "tags": tags,
    }
    model.card["metrics"] = {"personal_holdout": metrics}
    report = PersonalReport(
        papers=len(papers), used_papers=len(labelled), labels=model.labels, left_out=left_out, metrics=metrics
    )
    return model, report


def save_personal_model(model: TopicModel, path: Path | None = None) -> Path:
    return save_topic_model(model, path or personal_model_path())
