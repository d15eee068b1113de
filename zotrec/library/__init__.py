"""Library backends behind one protocol (see base.py): embedded file, Web API, desktop, zotero.sqlite."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from zotrec.library.base import Library, LibrarySnapshot, WriteResult

BACKENDS = ("embedded", "web", "local", "sqlite")


def _get(settings: Any, name: str) -> str:
    value = settings.get(name, "") if isinstance(settings, dict) else getattr(settings, name, "")
    return str(value or "")


def open_library(settings: Any, *, cache_dir: Path | None = None) -> Library:
    """The backend named by ``settings`` (a zotrec.config.ZoteroSettings, or a dict with the same keys).

    ``backend``: ``embedded`` (``library`` = file), ``web`` (``api_key``, ``library_id``, ``library_type``,
    ``endpoint``; zotrec.config applies the environment variables before),
    ``local`` (desktop local API; ``local_api_key`` for writes on Zotero 10+), ``sqlite``
    (``library`` = path of zotero.sqlite, read-only).
    """
    from zotrec import paths
    from zotrec.errors import ConfigError

    backend = _get(settings, "backend") or "embedded"
    cache_path = (cache_dir or paths.cache_dir()) / "zotero-items.sqlite"
    if backend == "embedded":
        from zotrec.library.embedded import EmbeddedLibrary

        library = _get(settings, "library")
        return EmbeddedLibrary(Path(library) if library else paths.data_dir() / "library.sqlite")
    if backend == "web":
        from zotrec.library.web import WebLibrary

        library_id = _get(settings, "library_id")
        if not library_id:
            raise ConfigError("the web backend needs a library ID: set ZOTERO_LIBRARY_ID or zotero.library_id")
        return WebLibrary(
            api_key=_get(settings, "api_key") or None,
            library_id=library_id,
            library_type=_get(settings, "library_type") or "user",
            endpoint=_get(settings, "endpoint") or None,
            cache_path=cache_path,
        )
    if backend == "local":
        from zotrec.library.local import LocalLibrary

        return LocalLibrary(
            local_api_key=_get(settings, "local_api_key") or None,
            endpoint=_get(settings, "endpoint") or None,
            cache_path=cache_path,
        )
    if backend == "sqlite":
        from zotrec.library.zotero_sqlite import ZoteroSqliteLibrary

        path = _get(settings, "library")
        if not path:
            raise ConfigError("the sqlite backend needs the path of zotero.sqlite in zotero.library")
        return ZoteroSqliteLibrary(Path(path).expanduser())
    raise ConfigError(f"unknown library backend {backend!r}: use one of {', '.join(BACKENDS)}")


__all__ = ["BACKENDS", "Library", "LibrarySnapshot", "WriteResult", "open_library"]
