"""`zotrec auth local` against the loopback server in Zotero 10 desktop mode."""

from __future__ import annotations

import stat
import tomllib

from typer.testing import CliRunner
from zotero_server import ZoteroServer

from zotrec.cli import app
from zotrec.config import load_config


def test_auth_local_stores_key_privately(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('[sync]\ntop_n = 5\n\n[zotero]\nbackend = "local"\n')
    with ZoteroServer(local=True, local_writes=True) as server:
        out = CliRunner().invoke(app, ["--config", str(config), "auth", "local", "--endpoint", server.endpoint])
        assert out.exit_code == 0, out.output
        key = next(iter(server.local_keys))
    assert key not in out.stdout  # the key is never printed
    data = tomllib.loads(config.read_text())
    assert data["zotero"]["local_api_key"] == key and data["sync"]["top_n"] == 5
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert load_config(config).zotero.local_api_key == key


def test_auth_local_on_old_zotero_is_one_line(tmp_path):
    with ZoteroServer(local=True) as server:
        out = CliRunner().invoke(
            app, ["--config", str(tmp_path / "c.toml"), "auth", "local", "--endpoint", server.endpoint]
        )
    assert out.exit_code == 5
    assert len(out.stderr.strip().splitlines()) == 1 and "Zotero 10" in out.stderr
