"""The Zotero desktop local API backend (pyzotero ``local=True``, ``http://127.0.0.1:23119/api``).

Reading works on Zotero 7 and later once the user enables Settings -> Advanced -> "Allow other
applications on this computer to communicate with Zotero". Writing needs Zotero 10 or later and a
local API key, which :func:`authorize_local` obtains (Zotero shows an Allow / Always Allow / Deny
dialog; ``zotrec auth local`` calls it and stores the key). Older versions are read-only: a write
then fails with a message that points to the Web API backend or to the export path.

Everything else (incremental reads, derived keys, write tokens, retries) is the Web API backend's;
the cache is partitioned by the local server ID, because local versions mean nothing elsewhere.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx2
from pyzotero import errors as ze
from pyzotero import zotero

from zotrec.errors import LibraryError
from zotrec.library import pyzotero_api
from zotrec.library.cache import CachedLibrary
from zotrec.library.web import WebLibrary, _one_line

LOCAL_ENDPOINT = "http://127.0.0.1:23119/api"
ENABLE_HINT = (
    "enable it in Zotero: Settings -> Advanced -> 'Allow other applications on this computer to "
    "communicate with Zotero' (Zotero 7 or later)"
)
READ_ONLY_HINT = (
    "this Zotero's local API is read-only (writes need Zotero 10 or later): use the Web API backend "
    '(backend = "web" with ZOTERO_API_KEY), or `zotrec library export` and import the file in Zotero'
)


class LocalLibrary(WebLibrary):
    """The library of the Zotero desktop app running on this computer."""

    backend = "local"

    def __init__(
        self,
        *,
        local_api_key: str | None = None,
        endpoint: str | None = None,
        cache_path: Path | str | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("max_retries", 2)
        super().__init__(
            api_key=None,
            library_id="0",
            library_type="user",
            endpoint=endpoint or LOCAL_ENDPOINT,
            cache_path=cache_path,
            local=True,
            local_api_key=local_api_key,
            **kwargs,
        )
        self.description = f"Zotero desktop local API {self.endpoint}"
        self._server_checked = False
        self._no_deleted_endpoint = False

    # -- messages -------------------------------------------------------------------------
    def _where(self) -> str:
        return f"the Zotero desktop app at {self.endpoint}"

    def _forbidden(self, write: bool) -> LibraryError:
        if write:
            return LibraryError("Zotero refused the local API key: run `zotrec auth local` and choose 'Always Allow'")
        return LibraryError(f"the Zotero local API is off: {ENABLE_HINT}")

    def _not_found(self) -> LibraryError:
        return LibraryError(f"the Zotero local API is not available at {self.endpoint}: {ENABLE_HINT}")

    def _unreachable(self, problem: str) -> LibraryError:
        return LibraryError(f"Zotero is not answering at {self.endpoint} ({problem}): is the Zotero app running?")

    def _no_write_key(self) -> LibraryError:
        return LibraryError("writing through the Zotero local API needs a local API key: run `zotrec auth local`")

    def _write_unsupported(self, detail: str) -> LibraryError:
        return LibraryError(READ_ONLY_HINT)

    def _write_error(self, status: int, body: str) -> LibraryError:
        if status == 401:
            return self._forbidden(True)
        if status in (400, 405, 501) and ("method" in body.lower() or status != 400):
            return LibraryError(READ_ONLY_HINT)
        if status in (412, 428) and "server-id" in body.lower():
            return LibraryError(
                f"the Zotero app at {self.endpoint} is a different installation than before "
                f"({_one_line(body)}); run the sync again"
            )
        return super()._write_error(status, body)

    # -- server identity: local versions only mean something for one server ID -------------
    def _check_server(self) -> None:
        if self._server_checked:
            return
        self.requests += 1
        try:
            response = pyzotero_api.get(self.zot, f"{self.endpoint}/")
        except httpx2.TransportError as err:
            raise self._unreachable(f"network error: {type(err).__name__}") from None
        if response.status_code == 403:
            raise self._forbidden(False)
        server_id = response.headers.get("Zotero-Server-ID") or ""
        if server_id:
            pyzotero_api.set_server_id(self.zot, server_id)
        if self.cache:
            self.cache.partition = f"{self.partition}#{server_id}"
        self._server_checked = True

    def _deleted(self, since: int, state: CachedLibrary) -> dict[str, Any]:
        """``/deleted`` where the local API has it; otherwise compare all current keys with the cache."""
        if not self._no_deleted_endpoint:
            try:
                return super()._deleted(since, state)
            except LibraryError:
                response = self.zot.request
                if response is None or response.status_code != 404:
                    raise
                self._no_deleted_endpoint = True
        items = self._read(self.zot.item_versions, includeTrashed=1)
        collections = self._read(self.zot.collection_versions)
        return {
            "items": [k for k in state.items if k not in items],
            "collections": [k for k in state.collections if k not in collections],
        }

    def _current_state(self):
        self._check_server()
        return super()._current_state()

    def writable(self) -> bool:
        return bool(self.local_api_key)

    def _write_access(self) -> bool:
        """True when an empty write with our key is accepted (Zotero 10+, valid key)."""
        if not self.local_api_key:
            return False
        try:
            self._check_server()
            if not pyzotero_api.server_id(self.zot):
                return False  # Zotero 7-9: read-only local API
            self.requests += 1
            response = pyzotero_api.post(self.zot, f"{self.endpoint}{self.prefix}/items", [])
        except (httpx2.TransportError, ze.PyZoteroError, LibraryError):
            return False
        return response.status_code == 200


def authorize_local(app_name: str = "zotrec", endpoint: str | None = None) -> dict[str, Any]:
    """Ask the running Zotero (10+) for a local API key; the user approves it in a dialog.

    Returns ``{"key": ..., "remember": bool}``; a key given with "Allow" (remember False) works for
    one write only, so zotrec asks for "Always Allow".
    """
    client = httpx2.Client(follow_redirects=True, timeout=120, trust_env=False, verify=False)
    zot = zotero.Zotero("0", "user", local=True, client=client)
    url = (endpoint or LOCAL_ENDPOINT).rstrip("/")
    pyzotero_api.set_endpoint(zot, url)
    try:
        return zot.authorize_local(app_name)
    except ze.LocalAPIDeniedError:
        raise LibraryError("Zotero denied the request for a local API key (choose 'Always Allow')") from None
    except ze.TooManyRequestsError:
        raise LibraryError(
            "Zotero is rate-limiting key requests; wait a minute and run `zotrec auth local` again"
        ) from None
    except ze.UnsupportedParamsError:
        raise LibraryError(READ_ONLY_HINT) from None
    except ze.UserNotAuthorisedError:
        raise LibraryError(f"the Zotero local API is off: {ENABLE_HINT}") from None
    except ze.PyZoteroError as err:
        raise LibraryError(
            f"Zotero refused the key request: {_one_line(str(err).splitlines()[-1] if str(err) else '')}"
        ) from None
    except httpx2.TransportError as err:
        raise LibraryError(
            f"Zotero is not answering at {url} ({type(err).__name__}): is the Zotero app running?"
        ) from None
    finally:
        client.close()
