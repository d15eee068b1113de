"""The settings schema against everything that describes it: README's reference and example, the file
`zotrec init` writes, `config show`, `config set`, and `init` asking again after a wrong answer.

After adding or changing a setting, regenerate README's parts with ``python tests/test_settings.py --write``.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from zotrec import paths
from zotrec.cli import app, hoist_global_options
from zotrec.config import (
    ENV_VARS,
    SCHEMA,
    Config,
    environment_list,
    find_setting,
    load_config,
    reference_table,
)
from zotrec.errors import EXIT_CONFIG, ConfigError
from zotrec.init_config import render_config

README = Path(__file__).resolve().parents[1] / "README.md"
EXAMPLE = {
    "zotero.backend": "web",
    "zotero.library_id": "1234567",
    "zotero.api_key": "YOUR_KEY",
    "sources.digests": [
        "https://rss.arxiv.org/rss/cs.LG",
        "https://huggingface.co/api/daily_papers",
        "/home/me/digests/today.eml",
    ],
    "reports.keep": 7,
}
runner = CliRunner()


def readme_parts() -> dict[str, str]:
    """What README.md must show between each pair of markers, from the schema."""
    return {
        "settings": reference_table(),
        "environment": environment_list(),
        "example": "```toml\n" + render_config(EXAMPLE) + "```\n",
    }


def _between(text: str, name: str) -> str:
    match = re.search(rf"<!-- {name}:begin[^>]*-->\n(.*?)<!-- {name}:end -->", text, re.S)
    assert match, f"README.md has no {name}:begin/end markers"
    return match.group(1)


@pytest.mark.parametrize("part", ["settings", "environment", "example"])
def test_readme_matches_the_schema(part):
    assert _between(README.read_text(encoding="utf-8"), part) == readme_parts()[part], (
        "README.md differs from the settings schema: run `python tests/test_settings.py --write`"
    )


def test_every_setting_is_described_and_its_default_loads(isolated_dirs):
    cfg = load_config(env={})
    for s in SCHEMA:
        assert s.help and s.kind in ("str", "int", "float", "bool", "list"), s
        assert cfg.get(s) == s.default
        assert s.problem(s.default) is None or s.key == "zotero.library_id"
    assert len({s.key for s in SCHEMA}) == len(SCHEMA) and len(ENV_VARS) == len({s.env for s in SCHEMA if s.env})


def test_example_file_loads_back_to_its_values(isolated_dirs):
    path = paths.config_file()
    path.parent.mkdir(parents=True)
    path.write_text(render_config(EXAMPLE))
    path.chmod(0o600)
    cfg = load_config(env={})
    for key, value in EXAMPLE.items():
        assert cfg.get(find_setting(key)) == value
    assert not cfg.warnings


def test_environment_names_the_variable_and_wins_over_the_file(isolated_dirs):
    path = paths.config_file()
    path.parent.mkdir(parents=True)
    path.write_text("[sync]\ntop_n = 4\n")
    assert load_config(env={"ZOTREC_TOP_N": "9"}).sync.top_n == 9
    with pytest.raises(ConfigError, match="ZOTREC_TOP_N must be an integer"):
        load_config(env={"ZOTREC_TOP_N": "many"})
    with pytest.raises(ConfigError, match="sync.threshold must be between 0 and 100"):
        load_config(env={"ZOTREC_THRESHOLD": "150"})


def test_config_show_lists_every_setting(isolated_dirs):
    result = runner.invoke(app, ["config", "show", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    shown = {f"{section}.{key}" for section, values in data.items() if isinstance(values, dict) for key in values}
    assert shown == {s.key for s in SCHEMA}


def test_config_set_checks_keeps_comments_and_masks_secrets(isolated_dirs):
    assert runner.invoke(app, ["init", "--no-input"]).exit_code == 0
    path = paths.config_file()
    comments = [line for line in path.read_text().splitlines() if line.startswith("#")]
    result = runner.invoke(app, ["config", "set", "sync.threshold", "55"])
    assert result.exit_code == 0, result.output
    assert "sync.threshold = 55" in result.stdout
    assert load_config(env={}).sync.threshold == 55.0
    assert [line for line in path.read_text().splitlines() if line.startswith("#")] == comments
    assert path.stat().st_mode & 0o777 == 0o600
    result = runner.invoke(app, ["config", "set", "sources.digests", "a.txt, https://x.org/feed"])
    assert result.exit_code == 0 and load_config(env={}).digests == ["a.txt", "https://x.org/feed"]
    as_in_file = '["b.xml", "https://x.org/feed?a=1,2"]'  # TOML's own list: not split at its commas
    result = runner.invoke(app, ["config", "set", "sources.digests", as_in_file])
    assert result.exit_code == 0 and load_config(env={}).digests == ["b.xml", "https://x.org/feed?a=1,2"]
    before = path.read_text()
    for key, value, message in [
        ("sources.digests", '["b.xml", 3]', "sources.digests must be a list of strings"),
        ("sources.digests", '["b.xml"', "sources.digests must be a list of strings"),
        ("sync.threshold", "lots", "sync.threshold must be a number"),
        ("sync.top_n", "-1", "sync.top_n must be >= 0"),
        ("zotero.backend", "dropbox", "zotero.backend must be one of"),
        ("zotero.library_id", "jdoe", "numeric"),
        ("sync.nope", "1", "unknown setting 'sync.nope'"),
    ]:
        result = runner.invoke(app, ["config", "set", key, "--", value])
        assert result.exit_code == EXIT_CONFIG and message in result.stderr, (key, result.stderr)
        assert result.stderr.count("\n") == 1
    assert path.read_text() == before  # nothing written on a refused value
    secret = "S3CRETKEY1234567890abcd"
    result = runner.invoke(app, ["config", "set", "zotero.api_key", secret])
    assert result.exit_code == 0 and secret not in result.output
    assert load_config(env={}).zotero.api_key == secret


def test_init_asks_again_after_a_wrong_answer(isolated_dirs, tmp_path):
    target = tmp_path / "zotrec.toml"
    answers = (
        "\n".join(["dropbox", "web", "jdoe", "98765", "team", "group", "KEY123", "inbox", "150", "55", "x", "5", ""])
        + "\n"
    )
    result = runner.invoke(app, ["--config", str(target), "init"], input=answers)
    assert result.exit_code == 0, result.output
    for message in (
        "zotero.backend must be one of",
        "numeric",
        "zotero.library_type must be one of",
        "sync.threshold must be between 0 and 100",
        "sync.top_n must be an integer",
    ):
        assert message in result.stderr, (message, result.stderr)
    cfg = load_config(target, env={})
    z = cfg.zotero
    assert (z.backend, z.library_id, z.library_type, z.api_key) == ("web", "98765", "group", "KEY123")
    assert (cfg.sync.collection, cfg.sync.threshold, cfg.sync.top_n, cfg.digests) == ("inbox", 55.0, 5, [])


@pytest.mark.parametrize(
    "args, expected",
    [
        (["sync", "--quiet"], ["--quiet", "sync"]),
        (["sync", "--config", "c.toml", "-d", "x"], ["--config", "c.toml", "sync", "-d", "x"]),
        (["config", "show", "--debug", "--config=c.toml"], ["--debug", "--config=c.toml", "config", "show"]),
        (["-q", "sync", "--", "--quiet"], ["-q", "sync", "--", "--quiet"]),
    ],
)
def test_global_options_after_the_command_name(args, expected):
    assert hoist_global_options(args) == expected


def test_global_options_work_on_either_side(isolated_dirs, tmp_path):
    config = tmp_path / "elsewhere.toml"
    config.write_text("[sync]\ntop_n = 3\n")
    for args in (
        ["--config", str(config), "config", "show", "--json"],
        ["config", "show", "--json", "--config", str(config)],
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["sync"]["top_n"] == 3
    config.write_text("[sync]\ntop_n = 3\nsurprise = 1\n")
    assert "unknown key" in runner.invoke(app, ["config", "show", "--config", str(config)]).stderr
    assert runner.invoke(app, ["config", "show", "--config", str(config), "--quiet"]).stderr == ""


def test_masked_config_never_holds_a_secret():
    cfg = Config()
    cfg.zotero.api_key = "VERYSECRETVALUE42"
    assert "VERYSECRETVALUE" not in json.dumps(cfg.masked())


def _write_readme() -> None:
    text = README.read_text(encoding="utf-8")
    for name, body in readme_parts().items():
        text = re.sub(
            rf"(<!-- {name}:begin[^>]*-->\n).*?(<!-- {name}:end -->)",
            lambda m, body=body: m.group(1) + body + m.group(2),
            text,
            flags=re.S,
        )
    README.write_text(text, encoding="utf-8")


if __name__ == "__main__" and "--write" in sys.argv:
    _write_readme()
