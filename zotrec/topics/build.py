"""Train the arXiv-taxonomy topic model from labelled corpora (what `zotrec train topics` runs)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .corpus import Record, read_corpus
from .experts import check_experts, train_expert
from .metadata import Weights, check_table, paper_keys, train_table
from .model import Progress, TopicModel, _targets, save_topic_model, train_topic_model


def corpus_summary(records: Sequence[Record]) -> dict[str, Any]:
    """What a model was trained on: corpora, sizes, announcement-day range."""
    days = sorted(r.day for r in records if r.day)
    return {
        "papers": len(records),
        "corpora": dict(Counter(r.corpus for r in records).most_common()),
        "first_day": days[0].isoformat() if days else None,
        "last_day": days[-1].isoformat() if days else None,
        "dedup": "by arXiv id, else normalised title; labels merged; earliest announcement day kept",
        "labels": "arXiv categories, official aliases merged (cs.SY->eess.SY, math.IT->cs.IT, "
        "math.MP->math-ph, stat.TH->math.ST, cs.NA->math.NA, q-fin.EC->econ.GN); "
        "legacy archive codes and MSC/ACM classes dropped",
    }


def train_from_records(records: Sequence[Record], progress: Progress | None = None, **params: Any) -> TopicModel:
    params.setdefault("primary", True)
    model = train_topic_model(
        [(r.title, r.abstract) for r in records], [r.labels for r in records], progress=progress, **params
    )
    model.card["training_data"] = corpus_summary(records)
    return model


def train_from_corpora(
    paths: Sequence[Path | str],
    out: Path | str | None = None,
    progress: Progress | None = None,
    **params: Any,
) -> TopicModel:
    """Read the corpora under ``paths``, train, and save to ``out`` when given."""
    say = progress or (lambda _msg: None)
    records = read_corpus(paths)
    say(f"read {len(records)} labelled papers from {len(paths)} path(s)")
    model = train_from_records(records, progress=progress, **params)
    model.card["training_data"]["paths"] = [str(p) for p in paths]
    if out is not None:
        save_topic_model(model, out)
    return model


def add_listing_experts(
    model: TopicModel, listings: dict[str, Sequence[Record]], progress: Progress | None = None, **params: Any
) -> TopicModel:
    """Give ``model`` one expert per listing (``{listing name: its training papers}``; the name is the
    listing's digest type, as in ``topics.mixes.json``), trained on the model's own features.
    The expert weights go into the model file; the card lists each expert's papers and labels."""
    say = progress or (lambda _msg: None)
    experts = dict(model._p.get("experts") or {})
    about = dict(model.card.get("experts") or {})
    for name, records in listings.items():
        say(f"listing expert {name}: {len(records)} papers")
        X = model.features([(r.title, r.abstract) for r in records])
        experts[name] = train_expert(model._p, X, [r.labels for r in records], **params)
        about[name] = {"papers": len(records), "labels": list(experts[name]["labels"]), **params}
    check_experts(experts, model.labels, len(model._p["idf"]))
    model._p["experts"] = experts
    model.card["experts"] = about
    return model


def add_metadata_table(model: TopicModel, records: Sequence[Record], weights: Weights | None = None) -> TopicModel:
    """Give ``model`` the metadata table of ``records``: their authors and venue words, counted per
    category (see :mod:`zotrec.topics.metadata`); the card says how many keys it holds."""
    weights = weights or Weights()
    index = {label: j for j, label in enumerate(model.labels)}
    Y = _targets([r.labels for r in records], index, bool(model._p.get("primary")))
    table = train_table([paper_keys(r.paper()) for r in records], Y, weights)
    check_table(table, len(model._p["calib"]))
    model._p["metadata"] = table
    model.card["metadata"] = {
        "papers": len(records),
        "keys": len(table["keys"]),
        "weights": table["weights"],
        "what": "authors (first and last name part) and venue words of the comment and journal reference, "
        "hashed; per key, its training papers per category (topic and main topic)",
    }
    return model
