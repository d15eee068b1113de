"""`zotrec auth local`: get a local API key from Zotero 10+ and keep it in the config file (mode 0600)."""

from __future__ import annotations

from pathlib import Path


def store_local_key(key: str, config_path: Path | None = None) -> Path:
    """Write ``zotero.local_api_key`` (and ``backend = "local"`` if none is set) into the config file."""
    from zotrec.config import config_file, read_toml
    from zotrec.init_config import update_config

    path = config_file(config_path)
    current = read_toml(path) if path.exists() else {}
    changes = {"zotero.local_api_key": key}
    if "backend" not in (current.get("zotero") or {}):
        changes["zotero.backend"] = "local"
    return update_config(changes, path, check=False)[0]


def auth_local(config_path: Path | None = None, endpoint: str | None = None) -> tuple[Path, bool]:
    """Run Zotero's authorize flow (the user approves a dialog) and store the key; returns (file, persistent)."""
    from zotrec.library.local import authorize_local

    answer = authorize_local("zotrec", endpoint=endpoint)
    return store_local_key(answer["key"], config_path), bool(answer.get("remember"))
