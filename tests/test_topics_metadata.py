"""Metadata evidence: author keys and venue words (pure functions), the table's evidence moving a
paper towards its authors' categories, papers without metadata decoded exactly as by the text,
the table saved in the model file and checked when loaded."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pytest

from zotrec.errors import ModelError
from zotrec.paper import Paper
from zotrec.topics import context as digest
from zotrec.topics import load_topic_model, save_topic_model, train_topic_model
from zotrec.topics import metadata as meta
from zotrec.topics.build import add_listing_experts, add_metadata_table
from zotrec.topics.corpus import Record, read_corpus
from zotrec.topics.model import TopicModel

TINY = Path(__file__).parent / "data" / "arxiv-tiny.jsonl"  # 142 real arXiv records (metadata CC0)


def test_author_key_folds_accents_case_and_middle_names():
    assert meta.author_key("Shisong Chen") == "shisong chen"
    assert meta.author_key("José  María  Gómez-Ruiz") == "jose gomez-ruiz"
    assert meta.author_key("  PLANCK  ") == "planck"
    assert meta.author_key("1234 ,") == ""


def test_venue_words_keep_names_and_drop_plain_words():
    assert meta.venue_words("Accepted to CVPR 2025; 12 pages, 5 figures") == ["cvpr"]
    assert meta.venue_words("Submitted to MNRAS", "ApJ 901, 12 (2024)") == ["mnras", "apj"]
    assert meta.venue_words("") == []


def test_paper_keys_only_for_arxiv_papers():
    paper = Paper(
        title="T", authors=["Ada Lovelace", "ada lovelace"], arxiv_id="2501.00001", extras={"comment": "ICML"}
    )
    assert meta.paper_keys(paper) == (["ada lovelace"], ["icml"])
    journal_item = Paper(title="T", authors=["Ada Lovelace"], doi="10.1/x", journal="Nature")
    assert meta.paper_keys(journal_item) == ([], [])
    assert meta.paper_keys(("title", "abstract")) == ([], [])
    mail = Paper(title="T", authors=["B C"], arxiv_id="2501.00002", journal="MNRAS 1, 2", extras={"comments": "x"})
    assert meta.paper_keys(mail) == (["b c"], ["mnras"])


def _lead(label: str) -> str:
    """An invented group leader who posts every paper of main topic ``label``."""
    return label.replace(".", "x").replace("-", "y") + " Lead"


def _with_authors(records: list[Record]) -> list[Record]:
    """The tiny corpus with invented authors: one group per primary category, two per paper."""
    out = []
    for i, r in enumerate(records):
        r = copy.copy(r)
        r.authors = [_lead(r.labels[0]), "Student " + "".join(chr(97 + int(d)) for d in str(i))]
        r.comment = "Accepted to VENUEX" if r.labels[0].startswith("astro") else ""
        out.append(r)
    return out


@pytest.fixture(scope="module")
def tiny():
    records = _with_authors(read_corpus([TINY]))
    model = train_topic_model(
        [(r.title, r.abstract) for r in records], [r.labels for r in records], min_examples=10, n_jobs=1, primary=True
    )
    add_metadata_table(model, records, meta.Weights(venue_topic=0.3, venue_main=0.3))
    return model, records


def _paper(r: Record, authors: list[str] | None = None, comment: str = "") -> Paper:
    extras = {"comment": comment} if comment else {}
    return Paper(title=r.title, abstract=r.abstract, arxiv_id=r.id, authors=authors or [], extras=extras)


def _text_only(model: TopicModel) -> TopicModel:
    return TopicModel({k: v for k, v in model._p.items() if k != "metadata"}, model.card)


def test_an_author_moves_a_paper_towards_the_authors_categories(tiny):
    model, records = tiny
    labels = model.labels
    L = len(labels)
    group = next(r.labels[0] for r in records if r.labels[0] in labels)
    other = next(r for r in records if r.labels[0] != group and r.labels[0] in labels)
    j = labels.index(group)
    bare, signed = _paper(other), _paper(other, authors=[_lead(group)])
    E = model.evidence([bare, signed])
    assert E is not None and not E[0].any()
    assert E[1, j] > 0 and E[1, L + j] > 0 and E[1, L + j] == E[1, L:].max()
    main = model.main_scores([bare, signed])
    assert main[1, j] > main[0, j]
    assert np.array_equal(model._calibrated([bare, signed])[0][0], model._calibrated([bare])[0][0])
    unknown = _paper(other, authors=["Nobody Known"], comment="Accepted to NOWHEREVENUE")
    assert model.evidence([unknown]) is None


def test_papers_without_metadata_decode_exactly_as_the_text(tiny):
    model, records = tiny
    plain = _text_only(model)
    papers = [_paper(r) for r in records[:40]]
    journal = [
        Paper(title=r.title, abstract=r.abstract, doi=f"10.1/{i}", journal="J", authors=r.authors)
        for i, r in enumerate(records[:40])
    ]
    for batch in (papers, journal, [(r.title, r.abstract) for r in records[:40]]):
        for context in (True, False):
            got, want = model.decode(batch, context), plain.decode(batch, context)
            assert np.array_equal(got.proba, want.proba) and np.array_equal(got.chosen, want.chosen)


def test_a_venue_word_counts_once_it_is_seen_often_enough(tiny):
    model, records = tiny
    astro = [j for j, label in enumerate(model.labels) if label.startswith("astro")]
    paper = _paper(next(r for r in records if not r.labels[0].startswith("astro")), comment="Accepted to VENUEX")
    E = model.evidence([paper])
    assert E is not None and E[0, astro].max() > 0
    rare = copy.deepcopy(model._p["metadata"])
    rare["weights"]["venue_min"] = 10_000
    model_rare = TopicModel({**model._p, "metadata": rare}, model.card)
    assert model_rare.evidence([paper]) is None


def test_the_table_survives_a_round_trip_and_is_checked(tiny, tmp_path):
    model, records = tiny
    path = save_topic_model(model, tmp_path / "topics.joblib")
    loaded = load_topic_model(path)
    papers = [_paper(r, authors=r.authors, comment=r.comment) for r in records[:30]]
    assert np.array_equal(loaded.decode(papers).proba, model.decode(papers).proba)
    assert loaded.card["metadata"]["keys"] == len(model._p["metadata"]["keys"])
    broken = dict(model._p)
    broken["metadata"] = {**model._p["metadata"], "base": np.zeros(3, dtype=np.float32)}
    with pytest.raises(ModelError, match="metadata table"):
        TopicModel(broken)
    broken["metadata"] = {"keys": []}
    with pytest.raises(ModelError, match="metadata table"):
        TopicModel(broken)


def test_a_corpus_record_carries_its_metadata_to_the_paper(tmp_path):
    row = {
        "id": "2509.00001",
        "categories": ["cs.CV"],
        "title": "A title",
        "summary": "An abstract.",
        "authors": ["Ada Lovelace", "Alan Turing"],
        "comment": "Accepted to CVPR 2025",
        "journal_ref": "IEEE TPAMI 1 (2025)",
    }
    (tmp_path / "day.jsonl").write_text(json.dumps(row) + "\n", encoding="utf-8")
    (record,) = read_corpus([tmp_path])
    paper = record.paper()
    assert paper.authors == ["Ada Lovelace", "Alan Turing"] and paper.arxiv_id == "2509.00001"
    assert not paper.categories
    assert meta.paper_keys(paper) == (["ada lovelace", "alan turing"], ["cvpr", "ieee", "tpami"])


def test_a_table_without_venue_weights_stores_authors_only():
    keys = [(["ada lovelace"], ["cvpr"]), (["alan turing"], ["cvpr", "icml"])]
    Y = np.array([[1, 0, 1, 0], [0, 1, 0, 1]], dtype=np.int8)
    assert len(meta.train_table(keys, Y)["keys"]) == 2
    table = meta.train_table(keys, Y, meta.Weights(venue_topic=0.1))
    assert len(table["keys"]) == 4 and table["counts"].shape == (4, 4)
    assert sorted(table["papers"].tolist()) == [1, 1, 1, 2]


def test_the_digest_type_and_its_expert_are_read_from_the_text(tiny):
    """A cs batch whose invented authors all post astro-ph papers stays a cs listing for its expert:
    the authors move each paper's columns, not the choice of the decoding."""
    model, records = tiny
    cs_labels = ("cs.CV", "cs.CL")
    counts: dict[str, dict[str, float]] = {"cs-listing": {}, "other": {}}
    for r in records:
        kind = "cs-listing" if r.labels[0] in cs_labels else "other"
        counts[kind][r.labels[0]] = counts[kind].get(r.labels[0], 0.0) + 1.0
    payload = copy.deepcopy(model._p)
    payload["prior"]["types"] = digest.digest_types(counts, model.labels, payload["prior"]["main"])
    payload["prior"]["type_names"] = list(counts)
    payload["metadata"]["weights"] |= {"author_topic": 3.0, "author_main": 3.0}
    typed = TopicModel(payload, model.card)
    add_listing_experts(typed, {"cs-listing": [r for r in records if r.labels[0] in cs_labels]}, min_examples=5)
    astro = next(label for label in typed.labels if label.startswith("astro"))
    cs = [r for r in records if r.labels[0] in cs_labels][:30]
    signed = [_paper(r, authors=[_lead(astro)]) for r in cs]
    own = set(typed._p["experts"]["cs-listing"]["labels"])
    chosen = typed.decode(signed).chosen
    assert chosen.any() and {typed.labels[j] for j in np.flatnonzero(chosen.any(0))} <= own
    alone = typed.decode(signed, context=False)
    assert (
        alone.chosen[:, typed.labels.index(astro)].sum()
        > typed.decode([_paper(r) for r in cs], context=False).chosen[:, typed.labels.index(astro)].sum()
    )
