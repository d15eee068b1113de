"""Library backends behind one protocol (see base.py), found by name in one registry.

``embedded`` (a local SQLite file), ``web`` (Zotero Web API), ``local`` (the desktop app's local API,
writes on Zotero 10+), ``sqlite`` (read-only ``zotero.sqlite``). Each backend module is imported only
when it is opened.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zotrec.errors import ConfigError
from zotrec.library.base import Library, LibrarySnapshot, WriteResult

Settings = Callable[[str], str]  # setting name -> value ("" when unset)


@dataclass(frozen=True)
class Backend:
    """A way to reach a library: its name in the config and how to open it."""

    name: str
    opens: Callable[[Settings, Path], Library]  # (settings, item cache file) -> library


def _embedded(get: Settings, cache_path: Path) -> Library:
    from zotrec import paths
    from zotrec.library.embedded import EmbeddedLibrary

    return EmbeddedLibrary(Path(get("library")) if get("library") else paths.data_dir() / "library.sqlite")


def _web(get: Settings, cache_path: Path) -> Library:
    from zotrec.library.web import WebLibrary

    if not get("library_id"):
        raise ConfigError("the web backend needs a library ID: set ZOTERO_LIBRARY_ID or zotero.library_id")
    return WebLibrary(
        api_key=get("api_key") or None,
        library_id=get("library_id"),
        library_type=get("library_type") or "user",
        endpoint=get("endpoint") or None,
        cache_path=cache_path,
    )


def _local(get: Settings, cache_path: Path) -> Library:
    from zotrec.library.local import LocalLibrary

    return LocalLibrary(
        local_api_key=get("local_api_key") or None, endpoint=get("endpoint") or None, cache_path=cache_path
    )


def _sqlite(get: Settings, cache_path: Path) -> Library:
    from zotrec.library.zotero_sqlite import ZoteroSqliteLibrary

    if not get("library"):
        raise ConfigError("the sqlite backend needs the path of zotero.sqlite in zotero.library")
    return ZoteroSqliteLibrary(Path(get("library")).expanduser())


REGISTRY: dict[str, Backend] = {
    b.name: b
    for b in (
        Backend("embedded", _embedded),
        Backend("web", _web),
        Backend("local", _local),
        Backend("sqlite", _sqlite),
    )
}
BACKENDS = tuple(REGISTRY)


def open_library(settings: Any, *, cache_dir: Path | None = None) -> Library:
    """The backend named by ``settings`` (a zotrec.config.ZoteroSettings, or a dict with the same keys:
    ``backend``, ``library``, ``library_id``, ``library_type``, ``api_key``, ``endpoint``,
    ``local_api_key``; zotrec.config has applied the environment variables before)."""
    from zotrec import paths

    def get(name: str) -> str:
        value = settings.get(name, "") if isinstance(settings, dict) else getattr(settings, name, "")
        return str(value or "")

    name = get("backend") or "embedded"
    if name not in REGISTRY:
        raise ConfigError(f"unknown library backend {name!r}: use one of {', '.join(BACKENDS)}")
    return REGISTRY[name].opens(get, (cache_dir or paths.cache_dir()) / "zotero-items.sqlite")


__all__ = ["BACKENDS", "REGISTRY", "Backend", "Library", "LibrarySnapshot", "WriteResult", "open_library"]
