"""Every use of pyzotero's private API, in one place (tested with pyzotero 1.16; pyproject.toml bounds
the version to what this module was tested with, and tests/test_pyzotero_api.py fails when a name
it needs is gone).

pyzotero has no public call to: POST a batch with the caller's own ``Zotero-Write-Token`` (``_write``),
wait for and set its ``Backoff`` pause (``_check_backoff``, ``_set_backoff``), send a plain authorised
GET (``_send``), drop the query parameters a previous call left behind (``url_params``), or point a
client at another base URL or local server (``endpoint``, ``server_id``).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx2
from pyzotero import zotero

PRIVATE_NAMES = ("_write", "_check_backoff", "_set_backoff", "_send")


def make_client(
    library_id: str,
    library_type: str,
    api_key: str | None,
    *,
    client: httpx2.Client,
    endpoint: str,
    local: bool = False,
    local_api_key: str | None = None,
) -> zotero.Zotero:
    """A pyzotero client on ``client`` that talks to ``endpoint``."""
    zot = zotero.Zotero(library_id, library_type, api_key, client=client, local=local, local_api_key=local_api_key)
    zot.endpoint = endpoint
    return zot


def clear_params(zot: zotero.Zotero) -> None:
    """Forget the query parameters of the previous call (pyzotero would add them to the next one)."""
    zot.url_params = None


def wait_for_backoff(zot: zotero.Zotero) -> None:
    """Sleep while the server's last ``Backoff`` header asks clients to pause."""
    zot._check_backoff()


def bound_backoff(zot: zotero.Zotero, wait: Callable[[float], None]) -> None:
    """Send pyzotero's own pause before each request (it sleeps out any ``Backoff`` or ``Retry-After``,
    an hour if asked) through ``wait(seconds_left)``, which sleeps or refuses."""
    zot._check_backoff = lambda: wait(zot.backoff_until - time.time())  # type: ignore[method-assign]


def set_backoff(zot: zotero.Zotero, seconds: float) -> None:
    zot._set_backoff(seconds)


def post(zot: zotero.Zotero, url: str, objects: list, token: str | None = None) -> httpx2.Response:
    """POST ``objects`` as JSON to ``url`` with the client's authorisation (and ``token`` as the
    ``Zotero-Write-Token``); the response whatever its status."""
    headers = {"Zotero-Write-Token": token} if token else None
    return zot._write("POST", url, json=objects, **({"headers": headers} if headers else {}))


def get(zot: zotero.Zotero, url: str) -> httpx2.Response:
    """GET ``url`` with the client's authorisation; the response whatever its status."""
    return zot._send("GET", url)


def set_server_id(zot: zotero.Zotero, server_id: str) -> None:
    """The local server's ID (pyzotero needs it to write through the desktop local API)."""
    zot.server_id = server_id


def server_id(zot: zotero.Zotero) -> str | None:
    return getattr(zot, "server_id", None)


def set_endpoint(zot: zotero.Zotero, endpoint: str) -> None:
    zot.endpoint = endpoint
