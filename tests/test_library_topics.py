"""The library's topic counts: labels kept per item, only added or edited items labelled again."""

from __future__ import annotations

import json
from collections import Counter

from zotrec.library.base import LibrarySnapshot
from zotrec.library.items import item_to_paper
from zotrec.topics import load_topic_model
from zotrec.topics.library import _cache_file, library_topic_counts

TITLES = [
    ("Deep residual learning for image recognition", "We train very deep convolutional networks on ImageNet."),
    ("Dark matter halos of dwarf galaxies", "We measure rotation curves of dwarf galaxies with radio telescopes."),
    ("Attention is all you need", "A transformer for machine translation built on attention alone."),
    ("Gene regulatory networks in yeast", "We infer transcription factor targets from expression data."),
    ("Quantum error correction with surface codes", "Logical qubits from noisy physical qubits."),
    ("Exoplanet atmospheres from transit spectra", "We detect water vapour in hot Jupiter atmospheres."),
]


def _items() -> list[dict]:
    return [
        {"key": f"K{n:07d}", "version": 1, "itemType": "journalArticle", "title": t, "abstractNote": a, "creators": []}
        for n, (t, a) in enumerate(TITLES)
    ]


def _full_counts(items: list[dict]) -> dict[str, int]:
    found = load_topic_model().predict([item_to_paper(i) for i in items], context=False)
    return dict(Counter(f[0].label if f else "none" for f in found))


def test_counts_match_a_full_labelling_and_reuse_kept_labels(tmp_path):
    items = _items()
    assert library_topic_counts(LibrarySnapshot(1, items), "lib", folder=tmp_path) == _full_counts(items)
    path = _cache_file("lib", tmp_path)
    kept = json.loads(path.read_text())
    kept["labels"]["K0000000:1"] = "kept.label"  # a label the model would not give: proves it is reused
    path.write_text(json.dumps(kept))
    edited = [dict(i) for i in items[:-1]]  # last one deleted
    edited[2] = dict(edited[2], title="Protein folding with deep learning", version=2)
    counts = library_topic_counts(LibrarySnapshot(2, edited), "lib", folder=tmp_path)
    expected = Counter(_full_counts(edited[1:]))
    expected["kept.label"] += 1
    assert counts == dict(expected)
    assert set(json.loads(path.read_text())["labels"]) == {f"{i['key']}:{i['version']}" for i in edited}


def test_labels_from_two_workers_are_the_serial_labels(monkeypatch):
    """Many items are labelled in two worker processes; each is labelled alone, so the split changes nothing."""
    from zotrec.topics import library

    items = _items() * 3
    serial = library._label_chunk(items, {}, None)
    monkeypatch.setattr(library, "PARALLEL_FROM", 4)
    assert library.top_labels(items, {}) == serial
    assert Counter(serial) == Counter({k: 3 * v for k, v in _full_counts(_items()).items()})
