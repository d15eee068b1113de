"""The shipped arXiv-taxonomy model: card, loading, and the topics of two seed digest papers."""

from __future__ import annotations

import json

from zotrec.sources import read_source
from zotrec.topics import load_topic_model, shipped_model_path
from zotrec.topics.model import card_path, sha256_file
from zotrec.topics.taxonomy import NAMES


def test_shipped_model_and_card_agree():
    path = shipped_model_path()
    card = json.loads(card_path(path).read_text())
    assert card["sha256"] == sha256_file(path)
    assert path.stat().st_size <= 25 * 1024 * 1024
    model = load_topic_model()
    assert model.labels == card["labels"] and len(model.labels) >= 100
    assert all(label in NAMES for label in model.labels)  # every label has a human-readable name
    assert model.name("q-bio.NC") == "Neurons and Cognition" or "q-bio.NC" not in model.labels
    # the card's date-split figures were measured on this very file, metadata table included
    assert card["benchmark"]["model"]["sha256"] == card["sha256"]
    assert card["benchmark"]["model"]["trained_without_test_days"]
    if model.has_metadata:
        assert card["metadata"]["keys"] == len(model._p["metadata"]["keys"])
        assert {"context", "alone", "context_text_only"} <= set(card["benchmark"]["narrow"])


def test_seed_digest_papers_get_the_expected_topics(shared_data):
    digest = shared_data / "digests" / "hf-daily-papers-search-dynamics.txt"
    papers = {p.title: p for p in read_source(str(digest))}
    model = load_topic_model()
    westerlund = papers["Structure and Dynamics of the Young Massive Star Cluster Westerlund 1"]
    sindy = papers["SINDy-RL: Interpretable and Efficient Model-Based Reinforcement Learning"]
    assert westerlund.abstract and sindy.abstract
    west_topics, sindy_topics = model.predict([westerlund, sindy])
    assert west_topics and west_topics[0].label.startswith("astro-ph"), west_topics
    assert {"cs.LG", "eess.SY", "math.OC"} & {t.label for t in sindy_topics}, sindy_topics
    assert sindy_topics[0].label in {"cs.LG", "eess.SY", "math.OC", "cs.RO", "cs.AI"}, sindy_topics
