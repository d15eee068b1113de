"""Attacks on a running zotrec: hostile titles, slow servers, long waits, bad paths, full disks.

Each test plays one attack end to end through the real command and checks what zotrec does now:
one line, the documented exit code, nothing lost, later runs unaffected.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from opshelp import embedded_config, prepared_embedded, session_root
from typer.testing import CliRunner

from zotrec.cli import app
from zotrec.demo import demo_digest_path
from zotrec.sources import read_source

runner = CliRunner()

MARKUP = ["[/INST]", "[/b]", "[link=javascript:alert(1)]click me[/link]", "[bold red]loud", ":warning:"]


@pytest.fixture
def setup(isolated_dirs, model, tmp_path_factory):
    library = prepared_embedded(isolated_dirs, session_root(tmp_path_factory))
    config = embedded_config(isolated_dirs, model, library)
    return {"home": isolated_dirs, "library": library, "config": config, "model": model}


def hostile_digest(path: Path, inject: list[str]) -> Path:
    """The demo digest's papers as JSON lines, each title carrying one of ``inject``."""
    with path.open("w", encoding="utf-8") as fh:
        for number, paper in enumerate(read_source(str(demo_digest_path()))):
            title = f"{inject[number % len(inject)]} {paper.title}"
            fh.write(json.dumps({"id": f"2509.{number:05d}", "title": title, "summary": paper.abstract,
                                 "authors": ["[/i] A. Author"], "categories": ["cs.LG"]}) + "\n")
    return path


def test_markup_in_titles_prints_as_text_in_every_table(setup, tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "400")  # one row per paper: the titles can be searched whole
    digest = hostile_digest(tmp_path / "markup.jsonl", MARKUP)
    commands = [
        ["sync", "--digest", str(digest)],
        ["--quiet", "sync", "--digest", str(digest)],
        ["recommend", "--library", str(setup["library"]), "--digest", str(digest), "--all"],
        ["parse", str(digest)],
        ["classify", str(digest)],
        ["history"],
        ["history", "--run", "1"],
        ["feedback"],
        ["sync", "--digest", str(digest), "--dry-run"],
    ]
    outputs = {}
    for args in commands:
        result = runner.invoke(app, args)
        assert result.exit_code == 0, (args, result.output)
        assert "Traceback" not in result.output and "MarkupError" not in result.output, args
        outputs[" ".join(args[:2]) if args[-1] != "--dry-run" else "dry run"] = result.stdout
    shown = [line for line in outputs["sync --digest"].splitlines() if re.match(r"│\s*\d+\s*│", line)]
    assert len(shown) == 5 and all(any(m in line for m in MARKUP) for line in shown)  # every row, as written
    for key in ("recommend --library", "parse " + str(digest), "classify " + str(digest)):
        assert all(m in outputs[key] for m in MARKUP), key  # all 38 papers: every injection verbatim
    pushed = outputs["history --run"].splitlines()[1:]
    assert len(pushed) == 5 and all(any(m in line for m in MARKUP) for line in pushed)
    assert any(m in outputs["feedback"] for m in MARKUP)  # run 2 read the feedback on run 1's pushes
    assert not any("\x1b]8;" in out for out in outputs.values())  # no terminal hyperlink anywhere
