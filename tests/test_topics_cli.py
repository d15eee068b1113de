"""zotrec train topics|personal, classify, eval topics through the CLI (typer's CliRunner)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from zotrec.cli import app

TINY = Path(__file__).parent / "data" / "arxiv-tiny.jsonl"
runner = CliRunner()


def test_classify_json_on_the_seed_digest(shared_data):
    digest = shared_data / "digests" / "hf-daily-papers-search-dynamics.txt"
    result = runner.invoke(app, ["classify", str(digest), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert len(data) == 38
    by_title = {d["title"]: d["topics"] for d in data}
    west = by_title["Structure and Dynamics of the Young Massive Star Cluster Westerlund 1"]
    assert west[0]["label"].startswith("astro-ph") and set(west[0]) == {"label", "name", "probability", "source"}


def test_train_classify_eval_with_a_trained_model(tmp_path):
    out = tmp_path / "mine.joblib"
    result = runner.invoke(app, ["train", "topics", "--corpus", str(TINY), "--out", str(out), "--min-examples", "10"])
    assert result.exit_code == 0, result.output
    assert out.exists() and out.with_suffix(".card.json").exists()
    assert "held-out" in result.stdout
    result = runner.invoke(app, ["eval", "topics", "--corpus", str(TINY), "--model", str(out), "--json"])
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.stdout)
    assert metrics["n"] == 142 and metrics["micro_f1"] > 0.5
    assert {"astro-ph.GA", "cs.CL", "cs.CV", "q-bio.QM"} <= {row["label"] for row in metrics["per_label"]}


def test_classify_refuses_a_tampered_model(tmp_path):
    model = tmp_path / "m.joblib"
    model.write_bytes(b"not a model")
    model.with_suffix(".card.json").write_text(json.dumps({"sha256": "0" * 64}))
    digest = tmp_path / "d.jsonl"
    digest.write_text(json.dumps({"id": "2401.00001", "title": "A paper", "summary": "About galaxies."}) + "\n")
    result = runner.invoke(app, ["classify", str(digest), "--model", str(model)])
    assert result.exit_code == 4
    assert "sha256" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_train_personal_from_an_embedded_library(shared_data, tmp_path):
    library = tmp_path / "lib.sqlite"
    export = shared_data / "libraries" / "hep-ml-ChristianMichelsen" / "My_Library.bib"
    result = runner.invoke(app, ["library", "import", str(export), "--library", str(library)])
    assert result.exit_code == 0, result.output
    out = tmp_path / "personal.joblib"
    result = runner.invoke(app, ["train", "personal", "--library", str(library), "--tags", "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["labels"] and report["left_out"]  # rare tags are reported, not learnt
    assert all(n < 5 for n in report["left_out"].values())
    assert report["metrics"]["micro_f1"] > 0


def test_classify_gives_the_topics_a_sync_gives(tmp_path):
    """Listed categories are kept as the digest gives them; the rest come from model.topics of the config."""
    out = tmp_path / "mine.joblib"
    result = runner.invoke(app, ["train", "topics", "--corpus", str(TINY), "--out", str(out), "--min-examples", "10"])
    assert result.exit_code == 0, result.output
    config = tmp_path / "config.toml"
    config.write_text(f'[model]\ntopics = "{out}"\n')
    digest = tmp_path / "d.jsonl"
    rows = [
        {"id": "2401.00001", "title": "Strings on branes", "summary": "Dualities.", "categories": ["hep-th", "gr-qc"]},
        {"id": "2401.00002", "title": "Quasars at high redshift", "summary": "We find galaxies and quasars."},
    ]
    digest.write_text("".join(json.dumps(row) + "\n" for row in rows))
    result = runner.invoke(app, ["--config", str(config), "classify", str(digest), "--json"])
    assert result.exit_code == 0, result.output
    listed, labelled = (entry["topics"] for entry in json.loads(result.stdout))
    assert [(t["label"], t["source"], t["probability"]) for t in listed] == [
        ("hep-th", "arxiv", 1.0),
        ("gr-qc", "arxiv", 1.0),
    ]
    assert labelled and all(t["source"] == "model" for t in labelled)
    mine = json.loads(out.with_suffix(".card.json").read_text())["labels"]
    assert len(mine) < 20 and {t["label"] for t in labelled} <= set(mine)  # the configured model, not the shipped one
