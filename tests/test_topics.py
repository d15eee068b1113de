"""Topic model: train -> save -> load -> predict, the sha256/version refusals, too-small classes."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import joblib
import pytest

from zotrec.errors import ModelError
from zotrec.paper import Paper
from zotrec.topics import Topic, load_topic_model, save_topic_model, train_topic_model
from zotrec.topics.corpus import read_corpus
from zotrec.topics.model import card_path

TINY = Path(__file__).parent / "data" / "arxiv-tiny.jsonl"  # 142 real arXiv records (metadata CC0)


@pytest.fixture(scope="module")
def tiny_records():
    return read_corpus([TINY])


@pytest.fixture(scope="module")
def tiny_model(tiny_records):
    texts = [(r.title, r.abstract) for r in tiny_records]
    labels = [r.labels for r in tiny_records]
    return train_topic_model(texts, labels, min_examples=10, n_jobs=1, primary=True)


def test_train_save_load_predict(tiny_model, tmp_path):
    path = save_topic_model(tiny_model, tmp_path / "topics.joblib")
    card = json.loads(card_path(path).read_text())
    assert card["sha256"] and card["labels"] == tiny_model.labels
    assert card["training_size"] == 142 and card["library_versions"]["scikit-learn"]
    model = load_topic_model(path)
    assert {"astro-ph.GA", "cs.CV", "cs.CL", "q-bio.QM"} <= set(model.labels)
    assert model.card["sha256"] == card["sha256"]
    papers = [
        Paper(
            title="A spectroscopic survey of star-forming galaxies at high redshift",
            abstract="We measure stellar masses, gas-phase metallicities and star formation rates of "
            "galaxies observed with JWST and compare them with simulations of galaxy evolution.",
        ),
        Paper(
            title="Instruction tuning of large language models for machine translation",
            abstract="We fine-tune a multilingual language model on parallel text and evaluate "
            "translation quality with BLEU on low-resource language pairs.",
        ),
    ]
    topics = model.predict(papers)
    assert len(topics) == 2
    assert all(isinstance(t, Topic) for t in topics[0])
    assert topics[0] and topics[0][0].label == "astro-ph.GA"
    assert topics[0][0].name == "Astrophysics of Galaxies"
    assert topics[1] and topics[1][0].label == "cs.CL"
    probs = [t.probability for t in topics[0]]
    assert probs == sorted(probs, reverse=True) and all(0 <= p <= 1 for p in probs)
    assert model.predict([]) == []


def test_no_confident_topic_is_an_empty_list(tiny_model):
    [topics] = tiny_model.predict([Paper(title="zzzz qqqq")])
    assert topics == []
    [ranked] = tiny_model.rank([Paper(title="zzzz qqqq")], k=2)
    assert len(ranked) == 2  # rank() always answers, predict() only when confident


def test_an_arxiv_paper_keeps_its_likeliest_main_topic_and_personal_labels_do_not(tiny_model):
    import numpy as np

    from zotrec.topics.model import MAIN_FLOOR, TopicModel

    thr = tiny_model.thresholds
    j = int(np.argmax(thr))
    assert thr[j] * 0.9 > MAIN_FLOOR
    proba = np.tile(thr * 0.9, (2, 1)).astype(np.float32)  # every label just below its threshold
    proba[1, j] = MAIN_FLOOR / 2  # the second paper's main topic is too unlikely
    main = np.zeros_like(proba)
    main[:, j] = 1.0
    chosen = tiny_model.confident(proba, main)
    assert chosen[0].tolist() == [k == j for k in range(len(thr))]  # forced in, nothing else
    assert not chosen[1].any()  # below the floor: no confident topic
    personal = TopicModel({**tiny_model._p, "kind": "personal"})
    assert not personal.confident(proba, main).any()  # collections: thresholds alone


class _Tripwire:
    """Unpickling this object would create a file: proof that a foreign pickle was executed."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):
        return (Path(self.path).touch, ())


def test_refuses_a_replaced_model_file_before_unpickling(tiny_model, tmp_path):
    path = save_topic_model(tiny_model, tmp_path / "topics.joblib")
    marker = tmp_path / "unpickled"
    path.write_bytes(pickle.dumps(_Tripwire(str(marker))))
    with pytest.raises(ModelError, match="sha256") as err:
        load_topic_model(path)
    assert "\n" not in str(err.value)
    assert not marker.exists()


def test_refuses_another_joblib_model(tiny_model, tmp_path):
    path = save_topic_model(tiny_model, tmp_path / "topics.joblib")
    joblib.dump({"format": "zotrec-topic-model/1", "labels": []}, path)
    with pytest.raises(ModelError, match="does not match"):
        load_topic_model(path)


def test_refuses_other_sklearn_version_and_missing_card(tiny_model, tmp_path):
    path = save_topic_model(tiny_model, tmp_path / "topics.joblib")
    card = json.loads(card_path(path).read_text())
    card["library_versions"]["scikit-learn"] = "0.24.2"
    card_path(path).write_text(json.dumps(card))
    with pytest.raises(ModelError, match="scikit-learn 0.24.2"):
        load_topic_model(path)
    card_path(path).unlink()
    with pytest.raises(ModelError, match="card"):
        load_topic_model(path)
    with pytest.raises(ModelError, match="no topic model"):
        load_topic_model(tmp_path / "absent.joblib")


def test_too_small_class_is_left_out(tiny_records):
    texts = [(r.title, r.abstract) for r in tiny_records]
    labels = [list(r.labels) for r in tiny_records]
    for ls in labels[:4]:
        ls.append("physics.rare-label")
    model = train_topic_model(texts, labels, min_examples=10, n_jobs=1)
    assert "physics.rare-label" not in model.labels
    assert model.card["left_out"]["physics.rare-label"] == 4
    assert "astro-ph.GA" in model.labels
