"""`zotrec parse`: a thin wrapper over read_sources (table or JSON, one-line errors, exit codes)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from zotrec.cli import app
from zotrec.errors import EXIT_INPUT, EXIT_PARTIAL

runner = CliRunner()


def invoke(*args):
    try:
        return CliRunner(mix_stderr=False).invoke(app, list(args))
    except TypeError:  # click >= 8.2 keeps stderr apart already
        return runner.invoke(app, list(args))


def test_parse_json_has_the_documented_fields(shared_data):
    seed = str(shared_data / "digests/hf-daily-papers-search-dynamics.txt")
    result = invoke("parse", seed, "--json", "--digest-date", "2025-12-15")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert len(data) == 38
    first = data[0]
    assert {"title", "abstract", "authors", "date", "ids", "url", "source", "extras"} <= set(first)
    assert first["date"] == "2023-09-05" and first["ids"] == {} and first["source"] == seed
    assert first["extras"]["n_authors"] == 2


def test_parse_table_and_ids(shared_data):
    path = str(shared_data / "digests/arxiv-api-atom/query_cs.RO-neural_2025-10-17.atom.xml")
    result = invoke("parse", path)
    assert result.exit_code == 0
    assert "arXiv:2510.14968" in result.stdout and "2 papers" in result.stdout


def test_parse_partial_and_total_failure(shared_data, tmp_path):
    good = str(shared_data / "digests/hf-daily-papers-api/2025-06-12.json")
    empty = tmp_path / "empty.rss"
    empty.write_bytes(b"")
    result = invoke("parse", good, str(empty), "--json")
    assert result.exit_code == EXIT_PARTIAL
    assert len(json.loads(result.stdout)) == 10
    assert result.stderr.strip() == f"error: {empty}: empty file"
    result = invoke("parse", str(empty), str(tmp_path / "missing.txt"))
    assert result.exit_code == EXIT_INPUT
    assert result.stderr.splitlines() == [
        f"error: {empty}: empty file",
        f"error: {tmp_path / 'missing.txt'}: file not found",
    ]
    assert "Traceback" not in result.stderr


def test_parse_skip_replacements(shared_data):
    path = str(shared_data / "digests/arxiv-mail/q-fin_daily_2023-03-17.txt")
    result = invoke("parse", path, "--json", "--skip-replacements")
    assert result.exit_code == 0
    assert {p["extras"]["section"] for p in json.loads(result.stdout)} == {"new"}
