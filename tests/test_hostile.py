"""Hostile inputs: every one ends in a one-line error (or a warning) with the documented exit code,
never a traceback, and never the API key."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest
from opshelp import FAKE_KEY, embedded_config, prepared_embedded, session_root, write_config
from typer.testing import CliRunner

from zotrec import paths
from zotrec.cli import app
from zotrec.config import load_config
from zotrec.errors import EXIT_CONFIG, EXIT_INPUT, ConfigError

runner = CliRunner()


@pytest.fixture
def setup(isolated_dirs, model, tmp_path_factory):
    library = prepared_embedded(isolated_dirs, session_root(tmp_path_factory))
    config = embedded_config(isolated_dirs, model, library)
    return {"home": isolated_dirs, "library": library, "config": config, "model": model}


def _one_line_error(result, code: int) -> str:
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    lines = [l for l in result.stderr.splitlines() if l.startswith("error:")]
    assert len(lines) == 1, result.stderr
    return lines[0]


# -- config ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text, expected",
    [
        ("[zotero\nbackend = 'web'\n", "not valid TOML"),
        ('[sync]\nthreshold = "high"\n', "sync.threshold must be a number"),
        ("[sync]\ntop_n = [1, 2]\n", "sync.top_n must be an integer"),
        ("[sync]\nthreshold = nan\n", "between 0 and 100"),
        ("[sync]\ntop_n = -3\n", "top_n must be >= 0"),
        ('[sync]\nroute_by_topic = "perhaps"\n', "route_by_topic must be true or false"),
        ('[sources]\ndigests = "one.txt"\n', "sources.digests must be a list"),
        ("zotero = 5\n", "[zotero] must be a table"),
        ('[zotero]\nbackend = "dropbox"\n', "zotero.backend must be one of"),
        ('[zotero]\nlibrary_type = "groups"\n', "library_type must be one of user, group"),
        (
            f'[zotero]\nbackend = "web"\nlibrary_id = "1"\napi_key = ["{FAKE_KEY}"]\n',
            "zotero.api_key must be a string, got a list",
        ),
        ("\x00\x01binary", "not valid TOML"),
    ],
)
def test_bad_config_is_one_line_exit_4(setup, text, expected):
    write_config(setup["config"], text)
    for args in (["sync"], ["config", "show"], ["doctor"]):
        result = runner.invoke(app, args)
        if args == ["doctor"]:
            assert result.exit_code == EXIT_CONFIG and expected in result.stderr
            continue
        line = _one_line_error(result, EXIT_CONFIG)
        assert expected in line, line
        assert FAKE_KEY not in result.output


def test_unknown_keys_are_warned_and_the_run_goes_on(setup):
    text = setup["config"].read_text()
    text = "stray = true\n" + text.replace("[sync]\n", '[sync]\ncolour = "blue"\n') + "\n[plugins]\nfoo = 1\n"
    write_config(setup["config"], text)
    result = runner.invoke(app, ["sync", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "unknown key sync.colour ignored" in result.stderr
    assert "unknown section [plugins] ignored" in result.stderr
    assert "unknown key 'stray' ignored" in result.stderr


@pytest.mark.parametrize(
    "library_id, expected",
    [
        ("jdoe", "must be the numeric user id"),
        ("https://www.zotero.org/groups/2345678/dynamics", 'library_id = "2345678" and library_type = "group"'),
        ("-5", "must be the numeric"),
        (FAKE_KEY, "must be the numeric"),  # the key pasted into the wrong field is still never shown
        ("", "is empty"),
    ],
)
def test_library_id_of_the_wrong_kind(isolated_dirs, monkeypatch, library_id, expected):
    monkeypatch.setenv("ZOTERO_API_KEY", FAKE_KEY)
    write_config(paths.config_file(), f'[zotero]\nbackend = "web"\nlibrary_id = {json.dumps(library_id)}\n')
    result = runner.invoke(app, ["sync", "--digest", "x.txt"])
    line = _one_line_error(result, EXIT_CONFIG)
    assert expected in line and FAKE_KEY not in result.output
    with pytest.raises(ConfigError):
        load_config()


# -- model -----------------------------------------------------------------------------------------
class _Boobytrap:
    """Unpickling this would create a file: proves the sha256 is checked before anything is unpickled."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (Path(self.marker),))


def test_model_file_replaced_by_another_pickle(setup, tmp_path):
    import joblib

    fake = tmp_path / "topics.joblib"
    marker = tmp_path / "pwned"
    joblib.dump({"format": "zotrec-topic-model/1", "labels": ["x"], "trap": _Boobytrap(str(marker))}, fake)
    from zotrec.topics.model import card_path

    card_path(fake).write_text(card_path(setup["model"]).read_text())  # the genuine model's card
    setup["config"].write_text(setup["config"].read_text().replace(str(setup["model"]), str(fake)))
    result = runner.invoke(app, ["sync"])
    line = _one_line_error(result, EXIT_CONFIG)
    assert "sha256" in line and "does not match" in line
    assert not marker.exists()
    # a pickle of something else entirely, without a card
    fake.write_bytes(pickle.dumps(["not", "a", "model"]))
    card_path(fake).unlink()
    line = _one_line_error(runner.invoke(app, ["sync"]), EXIT_CONFIG)
    assert "model card" in line


# -- digests ----------------------------------------------------------------------------------------
def _jsonl(path: Path, n: int) -> Path:
    with path.open("w") as fh:
        for i in range(n):
            fh.write(
                json.dumps(
                    {
                        "id": f"2509.{i:05d}",
                        "categories": ["cs.LG"],
                        "title": f"Paper {i} on dynamics",
                        "summary": "We study learned dynamical systems.",
                        "authors": ["A. Author"],
                    }
                )
                + "\n"
            )
    return path


def test_digest_of_200k_entries_is_refused_quickly(setup, tmp_path):
    big = _jsonl(tmp_path / "big.jsonl", 200_000)
    result = runner.invoke(app, ["sync", "--digest", str(big)])
    line = _one_line_error(result, EXIT_INPUT)
    assert "holds 200,000 entries" in line and "sync.max_papers" in line
    result = runner.invoke(app, ["recommend", "--library", str(setup["library"]), "--digest", str(big)])
    assert result.exit_code == EXIT_INPUT and "200,000 entries" in result.stderr
    # the limit is a setting: a small digest under it runs
    small = _jsonl(tmp_path / "small.jsonl", 300)
    result = runner.invoke(app, ["sync", "--dry-run", "--json", "--digest", str(small)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["papers"] == 300


def test_digest_that_is_not_a_digest(setup, tmp_path):
    for name, data in [("empty.txt", b""), ("binary.jsonl", bytes(range(256)) * 100), ("dir", None)]:
        path = tmp_path / name
        path.mkdir() if data is None else path.write_bytes(data)
        result = runner.invoke(app, ["sync", "--digest", str(path)])
        assert result.exit_code == EXIT_INPUT, (name, result.output)
        assert "Traceback" not in result.output and str(path) in result.stderr


def test_state_file_that_is_a_directory(setup):
    state = paths.state_file()
    state.unlink()
    state.mkdir()
    line = _one_line_error(runner.invoke(app, ["sync", "--dry-run"]), EXIT_CONFIG)
    assert "not a regular file" in line


# -- secrets ------------------------------------------------------------------------------------------
def test_api_key_never_appears_anywhere(isolated_dirs, model, monkeypatch, tmp_path):
    """Commands run with a known fake key: stdout, stderr, --json, the log and the state never show it."""
    from opshelp import run_zotrec
    from zotero_server import ZoteroServer

    outputs = []
    with ZoteroServer(api_key="SERVERKEY" + "x" * 15, library_id="123456") as server:  # refuses our key: 403
        write_config(
            paths.config_file(),
            (
                f'[zotero]\nbackend = "web"\nlibrary_id = "123456"\napi_key = "{FAKE_KEY}"\n'
                f'endpoint = "{server.endpoint}"\n\n[sources]\ndigests = ["{Path(__file__).parent / "missing.txt"}"]\n'
                f'[model]\ntopics = "{model}"\n'
            ),
            mode=0o644,
        )  # readable by others: warned, still never printed
        for args in (
            ["config", "show"],
            ["config", "show", "--json"],
            ["doctor"],
            ["doctor", "--json"],
            ["sync"],
            ["sync", "--json"],
            ["--quiet", "sync"],
            ["history", "--json"],
            ["schedule"],
        ):
            result = runner.invoke(app, args)
            outputs.append((args, result.stdout + result.stderr))
        sync = runner.invoke(app, ["sync"])
        assert sync.exit_code == 5 and "ZOTERO_API_KEY" in sync.stderr, sync.stderr
        proc = run_zotrec("--debug", "sync", timeout=120)  # a real process, even with --debug
        outputs.append((["--debug", "sync"], proc.stdout + proc.stderr))
    monkeypatch.setenv("ZOTREC_CRONTAB", str(tmp_path / "fake-crontab"))
    (tmp_path / "fake-crontab").write_text(f'#!/bin/sh\n[ "$1" = -l ] && exit 0\ncat > {tmp_path / "table"}\n')
    (tmp_path / "fake-crontab").chmod(0o755)
    assert runner.invoke(app, ["schedule", "--install"]).exit_code == 0
    for args, text in outputs:
        assert FAKE_KEY not in text, f"key shown by zotrec {' '.join(args)}"
    assert FAKE_KEY not in (tmp_path / "table").read_text()
    files = [p for p in isolated_dirs.rglob("*") if p.is_file() and p.suffix != ".toml"]
    assert any(p.name == "zotrec.log" for p in files)
    for path in files:
        assert FAKE_KEY.encode() not in path.read_bytes(), f"key found in {path}"
