"""The record of one ranked digest paper, from ranking through push to the report.

A :class:`Ranked` carries the paper, its 0-100 score, its :class:`Topic` labels (best first), the
:class:`Reason` library items it is closest to, and whether it was chosen (or why not). The push
writes it into Zotero (item tags and the child note), the CLI prints it, and ``to_json`` is the shape
stored in the run summary that the report renders (``Topic.from_json`` and ``Reason.from_json`` read
it back).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from zotrec.paper import Paper

NO_TOPIC = "none"


@dataclass(frozen=True)
class Topic:
    """One predicted topic: a label (``cs.LG`` or a collection path), its name, its probability."""

    label: str
    name: str
    probability: float
    source: str = "model"  # "arxiv": the digest listed it (probability 1); "model": a classifier's label

    def to_json(self, digits: int = 4) -> dict[str, Any]:
        return {
            "label": self.label,
            "name": self.name,
            "probability": round(float(self.probability), digits),
            "source": self.source,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Topic:
        """A topic from a stored run summary (missing fields read as empty)."""
        return cls(
            str(data.get("label") or ""),
            str(data.get("name") or ""),
            float(data.get("probability") or 0.0),
            str(data.get("source") or "model"),
        )

    @classmethod
    def listed(cls, categories: list[str]) -> list[Topic]:
        """The arXiv categories a digest lists for a paper as topics: primary first, probability 1."""
        from zotrec.topics import taxonomy

        return [cls(code, taxonomy.name(code), 1.0, "arxiv") for code in taxonomy.listed(categories)]


@dataclass(frozen=True)
class Reason:
    """A library item close to the recommended paper: its title, its Zotero key, the cosine similarity."""

    title: str
    key: str | None
    similarity: float

    def to_json(self) -> dict[str, Any]:
        return {"title": self.title, "key": self.key, "similarity": round(float(self.similarity), 3)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Reason:
        """A reason from a stored run summary (missing fields read as empty)."""
        key = data.get("key")
        return cls(str(data.get("title") or ""), str(key) if key else None, float(data.get("similarity") or 0.0))


@dataclass
class Ranked:
    """A digest paper with its score, topics and reasons, and whether it was chosen."""

    paper: Paper
    score: float  # 0-100, see zotrec.recommend.model
    topics: list[Topic] = field(default_factory=list)  # best first
    reasons: list[Reason] = field(default_factory=list)  # nearest library items, closest first
    terms: list[str] = field(default_factory=list)  # the terms that weighed most for this paper
    chosen: bool = False
    why_not: str | None = None  # "below threshold", "top-N reached", "already in your library", ...
    disliked: str | None = None  # a paper marked not relevant that held this one down
    known: str | None = None  # why the paper is already the user's ("pushed on DATE"): never chosen
    reason_picked: str | None = None  # "above threshold" or "daily minimum" when chosen
    subcollection: str | None = None  # where to file it below the target collection (its interest or topic)
    interest: str | None = None  # the interest (collection path) it matched best, None when none stands out

    @property
    def top_label(self) -> str:
        """The label of the best topic, ``"none"`` without a topic."""
        return self.topics[0].label if self.topics else NO_TOPIC

    def to_json(self) -> dict[str, Any]:
        return {
            "title": self.paper.title,
            "ids": self.paper.ids(),
            "url": self.paper.link,
            "authors": self.paper.authors,
            "date": self.paper.date.isoformat() if self.paper.date else None,
            "source": self.paper.source,
            "score": round(self.score, 1),
            "interest": self.interest,
            "topics": [t.to_json(digits=3) for t in self.topics],
            "reasons": [r.to_json() for r in self.reasons],
            "terms": self.terms,
            "chosen": self.chosen,
            "reason_picked": self.reason_picked,
            "why_not": self.why_not,
            **({"abstract": self.paper.abstract} if self.chosen else {}),  # the report folds the picks' abstracts
        }
