"""Listing experts: chosen for a batch that reads like their listing, never for one paper or a
journal feed, blended with the broad model, saved in the model file and checked when loaded."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest

from zotrec.errors import ModelError
from zotrec.paper import Paper
from zotrec.topics import context as digest
from zotrec.topics import experts as listing
from zotrec.topics import load_topic_model, save_topic_model, train_topic_model
from zotrec.topics.build import add_listing_experts
from zotrec.topics.corpus import read_corpus
from zotrec.topics.model import TopicModel

TINY = Path(__file__).parent / "data" / "arxiv-tiny.jsonl"  # 142 real arXiv records (metadata CC0)
CS = ("cs.CV", "cs.CL")


@pytest.fixture(scope="module")
def tiny():
    """A broad model, two digest types (a cs listing with an expert, a q-bio one without) and the records."""
    records = read_corpus([TINY])
    model = train_topic_model(
        [(r.title, r.abstract) for r in records], [r.labels for r in records], min_examples=10, n_jobs=1, primary=True
    )
    counts: dict[str, dict[str, float]] = {"cs-listing": {}, "bio-listing": {}}
    for r in records:
        kind = "cs-listing" if r.labels[0] in CS else "bio-listing"
        counts[kind][r.labels[0]] = counts[kind].get(r.labels[0], 0.0) + 1.0
    prior = model._p["prior"]
    prior["types"] = digest.digest_types(counts, model.labels, prior["main"])
    prior["type_names"] = list(counts)
    cs = [r for r in records if r.labels[0] in CS]
    add_listing_experts(model, {"cs-listing": cs}, min_examples=5)
    return model, records


def _papers(records, journal: bool = False) -> list[Paper]:
    if journal:
        return [Paper(title=r.title, abstract=r.abstract, doi=f"10.1/{i}", journal="J") for i, r in enumerate(records)]
    return [Paper(title=r.title, abstract=r.abstract, arxiv_id=r.id) for r in records]


def _without_experts(model: TopicModel) -> TopicModel:
    payload = {k: v for k, v in model._p.items() if k != "experts"}
    return TopicModel(payload, model.card)


def test_a_listing_like_batch_is_decoded_by_its_expert(tiny):
    model, records = tiny
    cs = [r for r in records if r.labels[0] in CS][:30]
    papers = _papers(cs)
    P_all, _known = model._calibrated(papers)
    L = len(model.labels)
    none = np.zeros((len(papers), L))
    name, weights = listing.pick(model._p["experts"], model._p["prior"], P_all[:, L:], none)
    assert name == "cs-listing" and weights is not None and abs(weights.sum() - 1) < 1e-9
    own = set(model._p["experts"]["cs-listing"]["labels"])
    decoded, broad = model.decode(papers), _without_experts(model).decode(papers)
    assert {model.labels[j] for j in np.flatnonzero(decoded.chosen.any(0))} <= own  # the listing's labels only
    assert not np.allclose(decoded.proba, broad.proba)  # the expert's columns were blended in
    truth = np.array([model.labels.index(r.labels[0]) for r in cs])
    assert (decoded.first() == truth).mean() >= (broad.first() == truth).mean()
    never = digest.Settings(expert_type=1.1)  # no type posterior reaches it: the broad model decodes
    assert np.array_equal(model.decode(papers, settings=never).chosen, broad.chosen)


def test_a_batch_of_another_type_keeps_the_broad_model(tiny):
    model, records = tiny
    papers = _papers([r for r in records if r.labels[0] not in CS][:20])
    decoded, broad = model.decode(papers), _without_experts(model).decode(papers)
    assert np.array_equal(decoded.chosen, broad.chosen) and np.allclose(decoded.main, broad.main)


def test_a_batch_its_listing_mix_does_not_explain_keeps_the_broad_model(tiny):
    """Only cs.CL papers still read most like the cs.CV/cs.CL listing, but their own mix explains them
    far better than the listing's half-and-half: the broad model decodes them."""
    model, records = tiny
    prior, L = model._p["prior"], len(model.labels)
    listing_mix = prior["types"][prior["type_names"].index("cs-listing")]

    def main_columns(rows):
        return model._calibrated(_papers(rows))[0][:, L:]

    mixed = main_columns([r for r in records if r.labels[0] in CS][:30])
    one_side = main_columns([r for r in records if r.labels[0] == "cs.CL"][:40])
    limit = digest.SHIPPED.expert_drift + digest.SHIPPED.expert_drift_papers / 40
    assert (
        listing.drift(mixed, prior["main"], listing_mix)
        < limit / 3
        < limit
        < listing.drift(one_side, prior["main"], listing_mix)
    )
    none = np.zeros_like(one_side)
    name, weights = listing.pick(model._p["experts"], prior, one_side, none)
    assert name is None and weights is not None and int(weights.argmax()) == prior["type_names"].index("cs-listing")
    loose = digest.Settings(expert_drift=float("inf"))
    assert listing.pick(model._p["experts"], prior, one_side, none, loose)[0] == "cs-listing"
    papers = _papers([r for r in records if r.labels[0] == "cs.CL"][:40])
    decoded, broad = model.decode(papers), _without_experts(model).decode(papers)
    assert np.array_equal(decoded.chosen, broad.chosen) and np.allclose(decoded.main, broad.main)
    assert not np.allclose(model.decode(papers, settings=loose).proba, broad.proba)


def test_the_order_head_picks_the_primary_among_the_expert_labels(tiny):
    model, records = tiny
    expert = model._p["experts"]["cs-listing"]
    cs = [r for r in records if r.labels[0] in CS]
    papers = _papers(cs)
    own = listing.expert_columns(expert, model.features(papers))
    S = listing.order_proba(expert, own)
    assert S is not None and S.shape == (len(cs), len(expert["labels"]))
    assert np.allclose(S.sum(1), 1.0, atol=1e-3)
    truth = np.array([expert["labels"].index(r.labels[0]) for r in cs])
    assert (S.argmax(1) == truth).mean() > 0.8  # the papers it was fitted on
    off = digest.Settings(expert_order=0.0)
    without = copy.deepcopy(model)
    del without._p["experts"]["cs-listing"]["order"]  # a file from before the head decodes as expert_order 0
    assert np.array_equal(without.decode(papers[:30]).main, model.decode(papers[:30], settings=off).main)
    assert not np.allclose(model.decode(papers[:30]).main, model.decode(papers[:30], settings=off).main)


def test_order_head_of_two_labels_is_a_softmax_over_both():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 200)
    Y = np.zeros((200, 4))
    Y[np.arange(200), y] = Y[np.arange(200), 2 + y] = 1
    cal_P = np.clip(0.8 * Y + 0.1 + 0.05 * rng.random((200, 4)), 0, 1)
    head = listing.order_head(cal_P, Y, 2)
    assert head is not None and head["coef"].shape == (2, 4) and list(head["classes"]) == [0, 1]
    S = listing.order_proba({"labels": ["a", "b"], "order": head}, cal_P)
    assert S is not None and (S.argmax(1) == y).mean() > 0.95
    assert listing.order_head(cal_P, np.zeros((200, 4)), 2) is None


def test_drift_is_small_for_a_batch_drawn_from_the_mix():
    prior, mix = np.full(3, 1 / 3), np.array([0.5, 0.5, 0.0])
    sure = np.eye(3) * 0.9 + 0.05  # confident posteriors of each class
    drawn = sure[[0, 1] * 20]  # half class 0, half class 1: the listing's mix
    one_class = sure[[0] * 40]
    assert listing.drift(drawn, prior, mix) < 0.01 < 0.3 < listing.drift(one_class, prior, mix)
    assert listing.drift(drawn[:0], prior, mix) == 0.0
    known = np.eye(3)[[0] * 40]  # papers whose main topic the digest gives count as they are
    assert listing.drift(drawn[:0], prior, mix, observed=known) > 0.3


def test_one_paper_and_a_journal_feed_keep_todays_rules(tiny):
    model, records = tiny
    cs = [r for r in records if r.labels[0] in CS][:20]
    plain = _without_experts(model)
    for paper in _papers(cs[:5]):  # one paper: decoded alone, by the broad model
        assert model.predict([paper]) == plain.predict([paper]) == plain.predict([paper], context=False)
    journal = _papers(cs, journal=True)  # journal articles only: no digest types, so no listing expert
    decoded = model.decode(journal)
    assert np.array_equal(decoded.chosen, plain.decode(journal).chosen)
    without_types = _without_experts(model)
    without_types._p["prior"] = {k: v for k, v in model._p["prior"].items() if k not in ("types", "type_names")}
    assert np.array_equal(decoded.chosen, without_types.decode(journal).chosen)


def test_experts_round_trip_in_the_model_file(tiny, tmp_path):
    model, records = tiny
    path = save_topic_model(model, tmp_path / "m.joblib")
    loaded = load_topic_model(path)
    assert loaded.experts == ["cs-listing"] and loaded.card["experts"]["cs-listing"]["papers"] > 0
    assert "types" not in loaded._p["prior"]  # digest types live beside the file, never in it
    digest.write_types(digest.types_path(path), {"cs-listing": {"cs.CV": 20.0, "cs.CL": 10.0}})
    loaded = load_topic_model(path)
    assert loaded._p["prior"]["type_names"] == ["cs-listing"]
    papers = _papers([r for r in records if r.labels[0] in CS][:20])
    expert = loaded._p["experts"]["cs-listing"]
    assert listing.expert_columns(expert, loaded.features(papers)).shape == (20, 2 * len(expert["labels"]))


@pytest.mark.parametrize(
    "spoil, message",
    [
        (lambda e: e.pop("calib"), "missing fields"),
        (lambda e: e["labels"].__setitem__(0, "no.such-label"), "labels the broad model does not have"),
        (lambda e: e.__setitem__("coef", e["coef"][:-1]), "do not match"),
        (lambda e: e.__setitem__("thresholds", e["thresholds"][:-1]), "do not match"),
        (lambda e: e["order"].__setitem__("coef", e["order"]["coef"][:, :-1]), "order head"),
    ],
)
def test_a_malformed_expert_is_a_model_error(tiny, tmp_path, spoil, message):
    model, _ = tiny
    payload = copy.deepcopy(model._p)
    spoil(payload["experts"]["cs-listing"])
    with pytest.raises(ModelError, match=message):
        TopicModel(payload)
    good = save_topic_model(model, tmp_path / "m.joblib")
    bad = TopicModel.__new__(TopicModel)  # saved as a file: loading refuses it with the same error
    bad._p, bad.card = payload, dict(model.card)
    save_topic_model(bad, good)
    with pytest.raises(ModelError, match=message):
        load_topic_model(good)
    with pytest.raises(ModelError, match="not a mapping"):
        TopicModel({**model._p, "experts": ["cs-listing"]})


def test_blend_weights():
    broad, own = np.array([[0.2, 0.8]]), np.array([[0.6, 0.4]])
    assert np.allclose(listing.blend(broad, own, 1.0), own)
    assert np.allclose(listing.blend(broad, own, 0.0, geometric=True), broad, atol=1e-5)
    assert np.allclose(listing.blend(broad, own, 0.5), [[0.4, 0.6]])
    middle = listing.blend(broad, own, 0.5, geometric=True)
    assert (np.minimum(broad, own) < middle).all() and (middle < np.maximum(broad, own)).all()
