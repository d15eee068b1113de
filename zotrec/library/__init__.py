"""Library backends behind one protocol (see base.py): embedded file, Web API, desktop, zotero.sqlite."""

from __future__ import annotations

from pathlib import Path

from zotrec.library.base import Library, LibrarySnapshot, WriteResult


def open_library(settings, *, cache_dir: Path | None = None) -> Library:
    """The backend named by ``settings`` (a zotrec.config.ZoteroSettings)."""
    from zotrec import paths

    if settings.backend == "embedded":
        from zotrec.library.embedded import EmbeddedLibrary

        return EmbeddedLibrary(Path(settings.library) if settings.library else paths.data_dir() / "library.sqlite")
    from zotrec.errors import ConfigError

    raise ConfigError(f"backend {settings.backend!r} is not available in this build")


__all__ = ["Library", "LibrarySnapshot", "WriteResult", "open_library"]
