"""Digest context: the batch's label mix re-estimated (EM), batch decoding, the one-paper
fallback, journal articles without a forced topic, and the per-source no-topic report."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from zotrec.paper import Paper
from zotrec.topics import context as digest
from zotrec.topics import load_topic_model, train_topic_model
from zotrec.topics.corpus import read_corpus
from zotrec.topics.evaluate import decode_all, no_topic_by_source
from zotrec.topics.model import MAIN_FLOOR, _confident, _may_be_arxiv

TINY = Path(__file__).parent / "data" / "arxiv-tiny.jsonl"  # 142 real arXiv records (metadata CC0)


@pytest.fixture(scope="module")
def tiny():
    records = read_corpus([TINY])
    model = train_topic_model(
        [(r.title, r.abstract) for r in records], [r.labels for r in records], min_examples=10, n_jobs=1, primary=True
    )
    return model, records


@pytest.fixture(scope="module")
def shipped():
    return load_topic_model()


def _bayes_batch(rng, true_mix, prior, n=400):
    """Posteriors (under ``prior``) of ``n`` papers drawn from ``true_mix`` with noisy likelihoods."""
    L = len(prior)
    likelihood = rng.dirichlet(np.ones(L) * 0.5, size=L)  # p(observation | class), L observations
    classes = rng.choice(L, size=n, p=true_mix)
    observations = np.array([rng.choice(L, p=likelihood[c]) for c in classes])
    post = likelihood[:, observations].T * prior
    return post / post.sum(1, keepdims=True), classes


def test_em_recovers_the_batch_mix_better_than_the_training_prior():
    rng = np.random.default_rng(3)
    prior = np.array([0.25, 0.25, 0.25, 0.25])
    true_mix = np.array([0.7, 0.2, 0.05, 0.05])
    post, classes = _bayes_batch(rng, true_mix, prior)
    mix = digest.reestimate(post, prior, strength=1.0)
    counted = np.bincount(classes, minlength=4) / len(classes)
    assert np.abs(mix - counted).sum() < np.abs(post.mean(0) - counted).sum()  # beats the mean posterior
    assert mix.argmax() == 0 and abs(mix.sum() - 1) < 1e-9
    adjusted = digest.adjust(post, prior, mix)
    assert (adjusted.argmax(1) == classes).mean() > (post.argmax(1) == classes).mean()


def test_em_strength_and_known_papers_pull_the_estimate():
    prior = np.array([0.5, 0.5])
    post = np.array([[0.9, 0.1]] * 4)
    weak, strong = digest.reestimate(post, prior, strength=1.0), digest.reestimate(post, prior, strength=100.0)
    assert weak[0] > strong[0] > 0.5  # a few papers move a strongly held prior little
    known = np.array([[0.0, 1.0]] * 20)  # twenty papers whose category the digest gives
    assert digest.reestimate(post, prior, strength=1.0, observed=known)[0] < 0.5


def test_rare_labels_keep_their_training_share_and_unsupported_shares_fall():
    prior = np.array([0.6, 0.399, 0.001])
    post = np.tile([0.30, 0.10, 0.60], (50, 1))  # a rare label whose probabilities look high everywhere
    free = digest.reestimate(post, prior, strength=1.0)
    held = digest.reestimate(post, prior, strength=1.0, min_share=0.01)
    assert free[2] > 0.5  # plain EM lets the rare label soak up the batch
    assert held[2] == prior[2] and abs(held.sum() - 1) < 1e-9 and held[0] > held[1]
    post = np.tile([0.9, 0.1, 0.0], (20, 1))
    plain, discounted = (
        digest.reestimate(post, prior, strength=1.0),
        digest.reestimate(post, prior, strength=1.0, discount=1.0),
    )
    assert discounted[2] < plain[2] and discounted[0] > plain[0]


PRIOR4 = np.array([0.4, 0.3, 0.2, 0.1])
LISTINGS = np.array([[0.90, 0.02, 0.03, 0.05], [0.02, 0.03, 0.05, 0.90]])  # two digest types


def test_type_center_picks_the_digest_type_that_explains_the_batch():
    rng = np.random.default_rng(5)
    post, _ = _bayes_batch(rng, LISTINGS[1], PRIOR4, n=40)
    center = digest.type_center(post, PRIOR4, LISTINGS)
    assert np.abs(center - LISTINGS[1]).sum() < 0.01 and abs(center.sum() - 1) < 1e-9
    uninformative = np.tile(PRIOR4, (10, 1))  # every type explains these papers equally well
    assert np.allclose(digest.type_center(uninformative, PRIOR4, LISTINGS), (LISTINGS.sum(0) + PRIOR4) / 3, atol=1e-4)
    known = np.tile([1.0, 0.0, 0.0, 0.0], (30, 1))  # papers whose main topic the digest gives count too
    assert np.abs(digest.type_center(post[:2], PRIOR4, LISTINGS, observed=known) - LISTINGS[0]).sum() < 0.01


def test_reestimate_starts_from_and_is_pulled_to_the_center():
    post = np.tile([0.25, 0.25, 0.25, 0.25], (4, 1))
    assert np.allclose(digest.reestimate(post, PRIOR4, center=None), digest.reestimate(post, PRIOR4))
    pulled = digest.reestimate(post, PRIOR4, center=LISTINGS[0], strength=100.0)
    assert np.abs(pulled - LISTINGS[0]).sum() < 0.05
    frozen = digest.reestimate(post, PRIOR4, center=LISTINGS[0], strength=1.0, min_share=0.15)
    assert frozen[3] == LISTINGS[0][3]  # a rare training label keeps the center's share


def test_digest_types_raise_main_topic_accuracy_on_small_listings():
    rng = np.random.default_rng(11)
    right = {"training mix": 0, "digest types": 0}
    for _ in range(40):  # forty digests of 6 papers from the second listing
        post, classes = _bayes_batch(rng, LISTINGS[1], PRIOR4, n=6)
        for name, center in (("training mix", None), ("digest types", digest.type_center(post, PRIOR4, LISTINGS))):
            strength = 10.0 if center is None else 100.0
            mix = digest.reestimate(post, PRIOR4, center=center, strength=strength)
            right[name] += int((digest.adjust(post, PRIOR4, mix).argmax(1) == classes).sum())
    assert right["digest types"] > right["training mix"] + 10, right


def test_a_paper_unlike_the_digest_type_keeps_its_main_topic():
    rng = np.random.default_rng(2)
    listing = np.clip(rng.dirichlet([8, 1, 1, 0.1], size=30), 0.001, None)  # 30 papers of the first listing
    outlier = np.array([[0.01, 0.96, 0.015, 0.015]])  # one paper clearly of label 1, which the listing hardly holds
    M = np.vstack([listing, outlier])
    types = np.array([[0.97, 0.0005, 0.0145, 0.015], LISTINGS[1]])
    prior = {"topic": PRIOR4, "main": PRIOR4, "given_main": np.eye(4) * 0.9 + 0.05, "types": types}
    none = np.zeros_like(M)
    _, main, _ = digest.in_context(M, M, prior, np.full(4, 0.5), none, none)
    assert main[-1].argmax() == 1 and (main[:-1].argmax(1) == listing.argmax(1)).mean() > 0.9
    pure = digest.Settings(type_discount=0.5, type_blend=0.0)  # the type alone, and a discount: the lone label goes
    assert digest.in_context(M, M, prior, np.full(4, 0.5), none, none, pure)[1][-1].argmax() == 0


def test_a_journal_feed_is_decoded_without_digest_types(tiny):
    model, records = tiny
    index = {label: j for j, label in enumerate(model.labels)}
    listing = np.full(len(index), 1e-3)  # one digest type: these papers' own main-topic mix
    for r in records:
        if r.labels and r.labels[0] in index:
            listing[index[r.labels[0]]] += 1.0
    journal = [Paper(title=r.title, abstract=r.abstract, doi=f"10.1/{i}", journal="J") for i, r in enumerate(records)]
    arxiv = [Paper(title=r.title, abstract=r.abstract, arxiv_id=r.id) for r in records]
    plain = [model.decode(papers) for papers in (journal, arxiv)]
    model._p["prior"]["types"] = digest._normalised(listing)[None]
    try:
        typed = [model.decode(papers) for papers in (journal, arxiv)]
    finally:
        del model._p["prior"]["types"]
    assert np.array_equal(typed[0].chosen, plain[0].chosen) and np.allclose(typed[0].proba, plain[0].proba)
    assert not np.allclose(typed[1].main, plain[1].main)  # arXiv papers: decoded under the type


def test_types_file_round_trip_and_loading(tiny, tmp_path):
    from zotrec.errors import ModelError
    from zotrec.topics.model import save_topic_model

    model, _ = tiny
    labels = model.labels
    counts = {"listing": {labels[0]: 30.0, labels[1]: 10.0, "no.such-label": 5.0}, "other": {labels[2]: 20.0}}
    path = save_topic_model(model, tmp_path / "m.joblib")
    assert load_topic_model(path)._p["prior"].get("types") is None  # no file: the training mix alone
    digest.write_types(digest.types_path(path), counts, note="test")
    assert digest.read_types(digest.types_path(path)) == counts
    types = load_topic_model(path)._p["prior"]["types"]
    main = digest._normalised(model._p["prior"]["main"])
    assert types.shape == (2, len(labels)) and np.allclose(types.sum(1), 1.0)
    expected = (30.0 + digest.TYPE_SMOOTH * main[0]) / (40.0 + digest.TYPE_SMOOTH)  # unknown labels dropped
    assert types[0, 0] == pytest.approx(expected)
    digest.types_path(path).write_text('{"format": "something else"}')
    with pytest.raises(ModelError, match="unreadable digest types"):
        load_topic_model(path)


def test_topic_shares_follow_the_main_topics_through_co_occurrence():
    given_main = np.array([[1.0, 0.1], [0.5, 1.0]])  # main 0 rarely carries label 1; main 1 often carries 0
    prior = np.array([0.5, 0.5])
    mains_0 = np.tile([1.0, 0.0], (40, 1))
    share = digest.topic_shares(mains_0, prior, given_main, strength=0.0)
    assert np.allclose(share, [1.0 - 1e-6, 0.1])
    known = np.array([[0.0, 1.0]] * 40)  # forty papers known to carry label 1 only
    assert digest.topic_shares(mains_0, prior, given_main, strength=0.0, observed=known)[1] > 0.5
    P = np.array([[0.6, 0.6]])
    shifted = digest.shift_topics(P, prior, share)
    assert shifted[0, 0] > 0.6 > shifted[0, 1]


def test_in_context_a_second_label_needs_the_floor(tiny):
    model, records = tiny
    papers = [Paper(title=r.title, abstract=r.abstract, arxiv_id=r.id) for r in records[:30]]
    decoded = model.decode(papers)
    first = decoded.first()
    for row, picked, main in zip(decoded.proba, decoded.chosen, first):
        others = np.flatnonzero(picked)
        assert (row[others[others != main]] >= digest.SHIPPED.floor).all()


def test_topic_shift_follows_the_batch_and_power_zero_leaves_it():
    P = np.array([[0.8, 0.01], [0.7, 0.02], [0.9, 0.01]])
    prior = np.array([0.1, 0.1])
    shifted = digest.shift_topics(P, prior)
    assert (shifted[:, 0] > P[:, 0]).all() and (shifted[:, 1] < P[:, 1]).all()
    assert np.allclose(digest.shift_topics(P, prior, power=0.0), P, atol=1e-6)


def test_f1_threshold_maximises_the_expected_f1():
    P = np.random.default_rng(0).random((30, 7)) ** 3
    t = digest.f1_threshold(P)

    def expected_f1(cut):
        return 2 * P[P >= cut].sum() / ((P >= cut).sum() + P.sum())

    assert expected_f1(t) >= max(expected_f1(c) for c in np.unique(P)) - 1e-12


def test_batch_decoding_and_the_one_paper_fallback(tiny):
    model, records = tiny
    assert model.has_context
    papers = [Paper(title=r.title, abstract=r.abstract, arxiv_id=r.id) for r in records[:40]]
    alone = [model.predict([p])[0] for p in papers]  # a one-paper digest: today's rule
    assert model.predict(papers, context=False) == alone  # without context a batch is paper by paper
    assert [model.predict([p], context=True)[0] for p in papers] == alone  # one paper: the fallback
    in_context = model.predict(papers)
    assert len(in_context) == len(papers) and in_context != alone  # the batch changes the decoding
    chosen, first = decode_all(model, papers, digests=["d"] * 20 + ["e"] * 20)
    for rows in (slice(0, 20), slice(20, 40)):  # each digest decoded as its own batch
        decoded = model.decode(papers[rows])
        assert (chosen[rows] == decoded.chosen).all() and (first[rows] == decoded.first()).all()


def test_known_categories_move_the_mix_of_the_others(tiny):
    model, records = tiny
    cv = model.labels.index("cs.CV")
    unknown = [Paper(title=r.title, abstract=r.abstract) for r in records if "cs.CV" not in r.labels][:10]
    known = [
        Paper(title=r.title, abstract=r.abstract, categories=["cs.CV"]) for r in records if r.labels[:1] == ["cs.CV"]
    ][:10]
    without = model.decode(unknown + [Paper(title=p.title, abstract=p.abstract) for p in known]).main[:10, cv]
    with_known = model.decode(unknown + known).main[:10, cv]
    assert (with_known >= without).all() and (with_known > without).any()


def test_a_journal_article_gets_no_forced_topic():
    papers = [
        Paper(title="A", arxiv_id="2501.00001"),
        Paper(title="B"),  # origin unknown (a Hugging Face text page): may be on arXiv
        Paper(title="C", doi="10.1038/s41586-024-00001-1", journal="Nature"),
        Paper(title="D", journal="Nature", extras={"non_research": True}),
        Paper(title="E", doi="10.1/x", arxiv_id="2501.00002"),
    ]
    assert _may_be_arxiv(papers).tolist() == [True, True, False, False, True]
    proba = np.full((5, 3), 0.05, dtype=np.float32)
    proba[:, 1] = 2 * MAIN_FLOOR  # likely enough to be forced in, below its threshold
    main = proba.copy()
    chosen = _confident(proba, main, np.full(3, 0.9), "arxiv", _may_be_arxiv(papers))
    assert chosen.any(1).tolist() == [True, True, False, False, True]


def test_no_topic_report_counts_per_source(tiny):
    model, records = tiny
    arxiv = [Paper(title=r.title, abstract=r.abstract, arxiv_id=r.id) for r in records[:15]]
    journal = [Paper(title="zzkq wvvx", abstract="qqqq xxyz", doi=f"10.1/{i}", journal="J") for i in range(3)]
    journal += [Paper(title=r.title, abstract=r.abstract, doi="10.1/y", journal="J") for r in records[15:20]]
    report = no_topic_by_source(model, {"arXiv": arxiv, "journal RSS": journal, "empty": []})
    for kind, papers in (("arXiv", arxiv), ("journal RSS", journal)):
        expected = sum(1 for t in model.predict(papers) if not t)
        assert report[kind] == {"papers": len(papers), "no_topic": expected, "share": expected / len(papers)}
    assert report["journal RSS"]["no_topic"] >= 3  # text outside the model's words: no topic
    assert report["empty"] == {"papers": 0, "no_topic": 0, "share": 0.0}


def test_context_lifts_main_topic_accuracy_on_a_real_cs_day(shipped, shared_data):
    records = read_corpus([shared_data / "corpora" / "arxiv-daily-cs" / "2025-09-29.jsonl"])
    known = [r for r in records if r.labels and r.labels[0] in shipped.labels]
    papers = [Paper(title=r.title, abstract=r.abstract, arxiv_id=r.id) for r in known]
    truth = np.array([shipped.labels.index(r.labels[0]) for r in known])
    alone = (shipped.decode(papers, context=False).first() == truth).mean()
    in_context = (shipped.decode(papers).first() == truth).mean()
    assert in_context > alone + 0.05, (alone, in_context)


def test_sync_labels_the_digest_as_one_batch(demo_library, shipped):
    from zotrec.runner import SyncRequest, run_sync

    result, _ = run_sync(SyncRequest(demo=True, library=demo_library))
    papers = [r.paper for r in result.ranked]
    listed = [[t.label for t in r.topics] for r in result.ranked]
    assert listed == [[t.label for t in ts] for ts in shipped.predict(papers)]  # the run's papers: one batch
    alone = [[t.label for t in ts] for ts in shipped.predict(papers, context=False)]
    assert listed != alone  # and the batch's context changed some of them
