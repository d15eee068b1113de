"""Where zotrec keeps its files: platformdirs, or everything under $ZOTREC_HOME when set."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP = "zotrec"


def _home() -> Path | None:
    value = os.environ.get("ZOTREC_HOME")
    return Path(value) if value else None


def config_dir() -> Path:
    home = _home()
    return home / "config" if home else Path(platformdirs.user_config_dir(APP))


def data_dir() -> Path:
    home = _home()
    return home / "data" if home else Path(platformdirs.user_data_dir(APP))


def cache_dir() -> Path:
    home = _home()
    return home / "cache" if home else Path(platformdirs.user_cache_dir(APP))


def config_file() -> Path:
    return config_dir() / "config.toml"


def state_file() -> Path:
    return data_dir() / "state.sqlite"


def demo_library_file() -> Path:
    return data_dir() / "demo-library.sqlite"


def personal_model_file() -> Path:
    """Where `zotrec train personal` keeps the user's topic model."""
    return data_dir() / "models" / "personal.joblib"


def ensure(path: Path) -> Path:
    """Create ``path`` (a directory) and return it."""
    path.mkdir(parents=True, exist_ok=True)
    return path


def make_private(path: Path) -> None:
    """Take group and other permissions off a file or folder zotrec keeps (0644 -> 0600), if it exists.

    Files written since umask 077 are private already; this tightens those of older versions. The
    owner's bits are left alone (a state file the user made read-only stays read-only)."""
    try:
        mode = path.stat().st_mode
        if mode & 0o077:
            path.chmod(mode & 0o700)
    except OSError:
        pass  # not ours, or gone: nothing to tighten


def make_private_tree(root: Path) -> None:
    """:func:`make_private` on ``root`` and everything below it (what an older version left open)."""
    if not root.is_dir():
        return
    make_private(root)
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            make_private(Path(folder) / name)
