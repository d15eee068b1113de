"""`zotrec auth local`: get a local API key from Zotero 10+ and keep it in the config file (mode 0600)."""

from __future__ import annotations

import os
import re
from pathlib import Path

from zotrec import paths


def store_local_key(key: str, config_path: Path | None = None) -> Path:
    """Write ``zotero.local_api_key`` (and ``backend = "local"`` if none is set) into the config file."""
    path = Path(config_path) if config_path else paths.config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    line = f'local_api_key = "{key}"'
    if re.search(r"(?m)^\s*local_api_key\s*=.*$", text):
        text = re.sub(r"(?m)^\s*local_api_key\s*=.*$", line, text)
    elif re.search(r"(?m)^\[zotero\]\s*$", text):
        text = re.sub(r"(?m)^\[zotero\]\s*$", "[zotero]\n" + line, text, count=1)
    else:
        text = text.rstrip() + ("\n\n" if text.strip() else "") + f'[zotero]\nbackend = "local"\n{line}\n'
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.chmod(path, 0o600)
    return path


def auth_local(config_path: Path | None = None, endpoint: str | None = None) -> tuple[Path, bool]:
    """Run Zotero's authorize flow (the user approves a dialog) and store the key; returns (file, persistent)."""
    from zotrec.library.local import authorize_local

    answer = authorize_local("zotrec", endpoint=endpoint)
    return store_local_key(answer["key"], config_path), bool(answer.get("remember"))
