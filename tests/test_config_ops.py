"""Configuration for unattended runs: `zotrec init` (flags or prompts, 0600), precedence, masking,
warnings for a key in a file others can read, and `zotrec doctor` against real backends."""

from __future__ import annotations

import json
import stat
import tomllib
from pathlib import Path

from opshelp import FAKE_KEY, embedded_config, write_config
from typer.testing import CliRunner
from zotero_server import ZoteroServer

from zotrec import paths
from zotrec.cli import app
from zotrec.config import load_config
from zotrec.demo import demo_digest_path, ensure_demo_library
from zotrec.errors import EXIT_BACKEND, EXIT_CONFIG, EXIT_INPUT
from zotrec.runner import SyncRequest, sync_options

runner = CliRunner()


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# -- init ----------------------------------------------------------------------------------------
def test_init_with_flags_writes_a_private_commented_config(isolated_dirs):
    result = runner.invoke(
        app,
        [
            "init",
            "--no-input",
            "--backend",
            "web",
            "--library-id",
            "4242",
            "--library-type",
            "group",
            "--api-key",
            FAKE_KEY,
            "--collection",
            "inbox/zotrec",
            "--threshold",
            "55",
            "--top",
            "7",
            "--digest",
            "https://export.arxiv.org/rss/cs.LG",
            "--digest",
            "/tmp/digest.txt",
        ],
    )
    assert result.exit_code == 0, result.output
    assert FAKE_KEY not in result.output
    path = paths.config_file()
    assert _mode(path) == 0o600
    text = path.read_text()
    assert text.count("\n# ") > 10  # commented
    data = tomllib.loads(text)
    assert data["zotero"] == {"backend": "web", "library_id": "4242", "library_type": "group", "api_key": FAKE_KEY}
    cfg = load_config(env={})
    assert (cfg.sync.collection, cfg.sync.threshold, cfg.sync.top_n) == ("inbox/zotrec", 55.0, 7)
    assert cfg.digests == ["https://export.arxiv.org/rss/cs.LG", "/tmp/digest.txt"]
    assert not cfg.warnings
    # an existing file is kept unless --force
    again = runner.invoke(app, ["init", "--no-input"])
    assert again.exit_code == EXIT_CONFIG and "--force" in again.stderr
    assert path.read_text() == text
    assert runner.invoke(app, ["init", "--no-input", "--force"]).exit_code == 0
    assert load_config(env={}).zotero.backend == "embedded"


def test_init_interactive_prompts(isolated_dirs, tmp_path):
    target = tmp_path / "conf" / "zotrec.toml"
    answers = "\n".join(["web", "98765", "user", FAKE_KEY, "zotrec: Daily", "65", "5", "a.txt, b.txt"]) + "\n"
    result = runner.invoke(app, ["--config", str(target), "init"], input=answers)
    assert result.exit_code == 0, result.output
    assert FAKE_KEY not in result.stdout  # the key prompt hides the input
    assert _mode(target) == 0o600
    cfg = load_config(target, env={})
    assert cfg.zotero.library_id == "98765" and cfg.zotero.api_key == FAKE_KEY
    assert cfg.sync.collection == "zotrec: Daily" and cfg.sync.top_n == 5 and cfg.digests == ["a.txt", "b.txt"]


def test_init_refuses_values_that_would_fail_later(isolated_dirs):
    result = runner.invoke(
        app, ["init", "--no-input", "--backend", "web", "--library-id", "jdoe", "--api-key", FAKE_KEY]
    )
    assert result.exit_code == EXIT_CONFIG
    assert "numeric" in result.stderr and FAKE_KEY not in result.output
    assert not paths.config_file().exists()
    assert list(paths.config_dir().glob("*")) == []  # no temp file left behind
    result = runner.invoke(app, ["init", "--no-input", "--backend", "dropbox"])
    assert result.exit_code == EXIT_CONFIG and result.stderr.count("\n") == 1


# -- precedence, masking, permissions ------------------------------------------------------------
def test_precedence_flag_env_file_default(isolated_dirs, monkeypatch):
    assert load_config(env={}).sync.threshold == 60.0  # default
    write_config(paths.config_file(), "[sync]\nthreshold = 70\ntop_n = 4\n")
    assert load_config(env={}).sync.threshold == 70.0  # file
    monkeypatch.setenv("ZOTREC_THRESHOLD", "80")
    cfg = load_config()
    assert cfg.sync.threshold == 80.0 and cfg.sync.top_n == 4  # env over file, file over default
    options = sync_options(cfg, SyncRequest(threshold=90.0))
    assert options.threshold == 90.0 and options.top_n == 4  # flag over env
    assert sync_options(cfg, SyncRequest()).threshold == 80.0


def test_a_missing_config_file_named_by_the_environment_is_an_error(isolated_dirs, monkeypatch, tmp_path):
    """$ZOTREC_CONFIG works as --config: a typo in a cron line stops the run instead of running on defaults."""
    missing = tmp_path / "typo.toml"
    monkeypatch.setenv("ZOTREC_CONFIG", str(missing))
    for args in (["sync", "--dry-run", "--digest", str(demo_digest_path())], ["doctor", "--no-sources"]):
        result = runner.invoke(app, args)
        assert result.exit_code == EXIT_CONFIG, result.output
        assert f"{missing} (from $ZOTREC_CONFIG): config file not found" in result.stderr
    monkeypatch.delenv("ZOTREC_CONFIG")
    assert load_config().path is None  # no file named: defaults, as before
    result = runner.invoke(app, ["--config", str(missing), "config", "show"])
    assert result.exit_code == EXIT_CONFIG and f"{missing}: config file not found" in result.stderr
    monkeypatch.setenv("ZOTREC_CONFIG", str(missing))  # init and config set create the file it names
    assert runner.invoke(app, ["config", "set", "sync.threshold", "55"]).exit_code == 0
    assert load_config().sync.threshold == 55.0


def test_config_show_masks_the_key_and_warns_about_readable_files(isolated_dirs):
    path = write_config(
        paths.config_file(), f'[zotero]\nbackend = "web"\nlibrary_id = "1"\napi_key = "{FAKE_KEY}"\n', mode=0o644
    )
    result = runner.invoke(app, ["config", "show"])
    assert result.exit_code == 0
    assert FAKE_KEY not in result.output
    assert f"chmod 600 {path}" in result.stderr
    data = json.loads(runner.invoke(app, ["config", "show", "--json"]).stdout)
    assert data["zotero"]["api_key"].startswith("****") and FAKE_KEY not in json.dumps(data)
    path.chmod(0o600)
    assert "chmod" not in runner.invoke(app, ["config", "show"]).stderr


# -- doctor --------------------------------------------------------------------------------------
def test_doctor_embedded_all_ok_then_failures(isolated_dirs, model, tmp_path):
    library = tmp_path / "library.sqlite"
    ensure_demo_library(library).close()
    config = embedded_config(isolated_dirs, model, library)
    result = runner.invoke(app, ["doctor"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    names = [line.split()[1] for line in lines]
    for name in ("config", "data", "state", "lock", "backend", "library", "write", "topic", "source"):
        assert name in names, lines
    assert all(line.startswith("ok") for line in lines), lines
    assert any("150 items" in line for line in lines)
    assert any("sha256 matches" in line for line in lines)
    # a missing source fails with the input code; the others still report
    embedded_config(isolated_dirs, model, library, digests=[str(demo_digest_path()), str(tmp_path / "gone.txt")])
    result = runner.invoke(app, ["doctor"])
    assert result.exit_code == EXIT_INPUT
    assert "FAIL  source" in result.stderr and "gone.txt: file not found" in result.stderr
    # a damaged model fails with the config code
    broken = tmp_path / "broken.joblib"
    broken.write_bytes(model.read_bytes()[:-10] + b"0123456789")
    shutil_copy_card(model, broken)
    embedded_config(isolated_dirs, model, library, extra="")
    config.write_text(config.read_text().replace(str(model), str(broken)))
    data = json.loads(runner.invoke(app, ["doctor", "--json"]).stdout)
    assert data["exit_code"] == EXIT_CONFIG
    bad = [c for c in data["checks"] if c["status"] == "FAIL"]
    assert bad[0]["name"] == "topic model" and "sha256" in bad[0]["detail"]


def shutil_copy_card(model: Path, target: Path) -> None:
    from zotrec.topics.model import card_path

    card_path(target).write_text(card_path(model).read_text().replace(model.name, target.name))


def test_doctor_web_backend_never_prints_the_key(isolated_dirs, monkeypatch):
    with ZoteroServer(api_key=FAKE_KEY, library_id="123456") as server:
        server.load([{"itemType": "preprint", "title": f"Paper {i}", "abstractNote": "x"} for i in range(7)])
        monkeypatch.setenv("ZOTERO_API_KEY", FAKE_KEY)
        monkeypatch.setenv("ZOTERO_LIBRARY_ID", "123456")
        monkeypatch.setenv("ZOTREC_ZOTERO_ENDPOINT", server.endpoint)
        write_config(paths.config_file(), '[zotero]\nbackend = "web"\n')
        result = runner.invoke(app, ["doctor", "--no-sources"])
        assert FAKE_KEY not in result.output
        lines = result.output.splitlines()
        assert any(l.startswith("ok") and "backend" in l and server.endpoint in l for l in lines), lines
        assert any(l.startswith("ok") and "7 items" in l for l in lines), lines
        assert any(l.startswith("ok") and "writes allowed" in l for l in lines), lines
        server.write_access = False
        result = runner.invoke(app, ["doctor", "--no-sources"])
        assert result.exit_code == EXIT_BACKEND
        assert "FAIL  write" in result.stderr and FAKE_KEY not in result.output
        monkeypatch.setenv("ZOTERO_API_KEY", "WRONG" + FAKE_KEY[5:])
        result = runner.invoke(app, ["doctor", "--no-sources", "--json"])
        assert result.exit_code == EXIT_BACKEND
        assert FAKE_KEY[5:] not in result.output  # neither key, nor most of it
