"""The Zotero Web API backend (pyzotero 1.16), also the base of the desktop local API backend.

Reads are incremental: the first read fetches ``/items/top?includeTrashed=1`` (one request per
100 items) and ``/collections``; later reads ask ``/items?since=V`` (1 request when nothing
changed), then ``/deleted?since=V`` and ``/collections?since=V`` only when the library version
moved (3 requests for a few changes). The library version and the items live in an
:class:`~zotrec.library.cache.ItemCache` file. A full read whose pages disagree about the library
version (someone wrote meanwhile) is restarted, so no item is skipped by shifting offsets.

Writes never touch objects zotrec did not create: every new object is posted under a key that
zotrec derives from the paper (or the collection path) with ``"version": 0``, which the server only
accepts for a key that does not exist yet, so a retried write can never create a second copy and can
never change someone else's item. Each batch (<= 50 objects) carries a ``Zotero-Write-Token``
that is reused for every retry of that batch (pyzotero's ``create_items`` makes a new token per
call and does not retry, so zotrec posts through pyzotero's client itself); a 412 "Write token
already used" means an earlier attempt landed, and the keys are then confirmed by reading them.
``successful`` / ``unchanged`` / ``failed`` of every answer are read; failed entries are returned
to the caller (who retries them on the next run). 429/503 honour ``Retry-After`` / ``Backoff``,
network errors and 5xx are retried with exponential backoff, all bounded; then a one-line
:class:`~zotrec.errors.LibraryError`. The API key never appears in a message or a log line.
"""

from __future__ import annotations

import copy
import hashlib
import html
import json
import logging
import os
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx2
from pyzotero import errors as ze

from zotrec.errors import ConfigError, LibraryError, RejectedWrite
from zotrec.library import pyzotero_api
from zotrec.library.base import MAX_OBJECTS_PER_WRITE, Collection, LibrarySnapshot, WriteResult
from zotrec.library.cache import CachedLibrary, ItemCache
from zotrec.library.items import NON_PAPER_TYPES, item_to_paper

log = logging.getLogger(__name__)

DEFAULT_ENDPOINT = "https://api.zotero.org"
KEY_CHARS = "23456789ABCDEFGHIJKLMNPQRSTUVWXYZ"
PAGE = 100
# Properties a new item may carry besides the fields of its type's template.
_ITEM_PROPS = {"itemType", "key", "version", "parentItem", "collections", "tags", "relations", "creators", "deleted"}
_RETRY_STATUS = {409, 429, 500, 502, 503, 504}


def derived_key(*parts: str) -> str:
    """A Zotero object key (8 chars of ``23456789A-Z`` without O) derived from ``parts``."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).digest()
    return "".join(KEY_CHARS[b % len(KEY_CHARS)] for b in digest[:8])


def _lmv(response: httpx2.Response | None) -> int | None:
    if response is None:
        return None
    value = response.headers.get("Last-Modified-Version")
    return int(value) if value and value.isdigit() else None


def _retry_after(response: httpx2.Response | None) -> float | None:
    if response is None:
        return None
    value = response.headers.get("Retry-After") or response.headers.get("Backoff")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _one_line(text: str, limit: int = 160) -> str:
    text = " ".join(html.unescape(str(text)).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _is_loopback(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return host in ("127.0.0.1", "localhost", "::1")


class WebLibrary:
    """A Zotero user or group library through the Web API (or, via :class:`LocalLibrary`, the desktop)."""

    backend = "web"

    def __init__(
        self,
        *,
        api_key: str | None,
        library_id: str | int,
        library_type: str = "user",
        endpoint: str | None = None,
        cache_path: Path | str | None = None,
        client: httpx2.Client | None = None,
        max_retries: int = 4,
        max_wait: float = 60.0,
        base_delay: float = 0.5,
        timeout: float = 30.0,
        local: bool = False,
        local_api_key: str | None = None,
    ) -> None:
        library_id = str(library_id).strip()
        if library_type not in ("user", "group"):
            raise ConfigError(f"ZOTERO_LIBRARY_TYPE must be 'user' or 'group', not {library_type!r}")
        if not library_id.isdigit():
            raise ConfigError(
                "ZOTERO_LIBRARY_ID must be the numeric library ID (zotero.org/settings/keys shows "
                "'Your userID'; a group's ID is in its URL), not a user name"
            )
        self.local = local
        self.library_id = library_id
        self.library_type = library_type
        self.api_key = api_key or None
        self.local_api_key = local_api_key or None
        default = "http://127.0.0.1:23119/api" if local else DEFAULT_ENDPOINT
        self.endpoint = (endpoint or default).rstrip("/")
        self.max_retries = max_retries
        self.max_wait = max_wait
        self.base_delay = base_delay
        plain_http = self.endpoint.startswith("http://")  # no TLS: skip loading the CA bundle
        client = client or httpx2.Client(
            follow_redirects=True,
            timeout=timeout,
            trust_env=not (local or _is_loopback(self.endpoint)),
            verify=not plain_http,
        )
        self.zot = pyzotero_api.make_client(
            library_id,
            library_type,
            self.api_key,
            client=client,
            endpoint=self.endpoint,
            local=local,
            local_api_key=self.local_api_key,
        )
        # pyzotero sleeps out any Backoff / Retry-After before its next request, however long:
        # zotrec waits at most max_wait and otherwise stops with a line naming the refused wait
        pyzotero_api.bound_backoff(self.zot, self._wait_for_server)
        self.prefix = f"/{library_type}s/{library_id}"
        self.partition = f"{self.endpoint}{self.prefix}"
        self.description = f"Zotero {'local API' if local else 'Web API'} {self.endpoint}{self.prefix}"
        self.cache = ItemCache(cache_path, self.partition) if cache_path else None
        self._state: CachedLibrary | None = None
        self._templates: dict[str, dict[str, Any] | None] = {}
        self._derived: set[str] = set()  # keys zotrec derived from papers (412 on them = already there)
        self.requests = 0  # HTTP requests this object made (reads and writes)

    # ---------------------------------------------------------------- messages
    def _scrub(self, text: str) -> str:
        for secret in (self.api_key, self.local_api_key):
            if secret:
                text = text.replace(secret, "***")
        return text

    def _where(self) -> str:
        return f"{self.library_type}s/{self.library_id} at {self.endpoint}"

    def _forbidden(self, write: bool) -> LibraryError:
        what = "write to" if write else "read"
        return LibraryError(
            f"Zotero refused the API key (403) to {what} {self._where()}: set ZOTERO_API_KEY to a key "
            f"with {'write' if write else 'read'} access to this library (zotero.org/settings/keys)"
        )

    def _not_found(self) -> LibraryError:
        return LibraryError(
            f"Zotero has no library {self._where()} (404): check ZOTERO_LIBRARY_ID (numeric) and "
            f"ZOTERO_LIBRARY_TYPE (user or group)"
        )

    def _http_error(self, status: int, body: str, write: bool) -> LibraryError:
        if status in (401, 403):
            return self._forbidden(write)
        if status == 404:
            return self._not_found()
        return LibraryError(self._scrub(f"Zotero answered {status} for {self._where()}: {_one_line(body)}"))

    # ---------------------------------------------------------------- low level
    def _sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)

    def _wait_for_server(self, remainder: float) -> None:
        if remainder > self.max_wait:
            pyzotero_api.set_backoff(self.zot, 0)
            raise LibraryError(
                f"Zotero asks zotrec to wait {remainder:.0f} s ({self._where()}), longer than the "
                f"{self.max_wait:g} s zotrec waits; try again later"
            )
        self._sleep(remainder)

    def _delay(self, attempt: int, server: float | None) -> float:
        if server is not None:
            if server > self.max_wait:
                raise LibraryError(
                    f"Zotero asks zotrec to wait {server:.0f} s ({self._where()}), longer than the "
                    f"{self.max_wait:g} s zotrec waits; try again later"
                )
            return server
        return min(self.base_delay * (2**attempt) * (1 + random.random() / 4), self.max_wait)

    def _read(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Call a pyzotero read with bounded retries; pyzotero's own errors become LibraryError."""
        problem = ""
        for attempt in range(self.max_retries + 1):
            pyzotero_api.clear_params(self.zot)
            self.requests += 1
            try:
                return fn(*args, **kwargs)
            except (ze.UserNotAuthorisedError, ze.ResourceNotFoundError, ze.UnsupportedParamsError) as err:
                response = self.zot.request
                status = response.status_code if response is not None else 0
                raise self._read_error(err, status, response) from None
            except (ze.TooManyRetriesError, ze.HTTPError, ze.ConflictError) as err:
                response = self.zot.request
                status = response.status_code if response is not None else 0
                if status and status not in _RETRY_STATUS:
                    body = response.text if response is not None else str(err)
                    raise self._http_error(status, body, False) from None
                problem = f"HTTP {status or 429}"
                delay = self._delay(attempt, _retry_after(response))
            except httpx2.TransportError as err:
                problem = f"network error: {type(err).__name__}"
                delay = self._delay(attempt, None)
            except ze.PyZoteroError as err:
                raise LibraryError(
                    self._scrub(f"Zotero read failed for {self._where()}: {_one_line(str(err))}")
                ) from None
            except ValueError as err:  # JSON that does not parse
                problem = f"unreadable answer ({type(err).__name__})"
                delay = self._delay(attempt, None)
            if attempt < self.max_retries:
                log.info("Zotero read failed (%s); retrying in %.1f s", problem, delay)
                self._sleep(delay)
        raise self._unreachable(problem)

    def _unreachable(self, problem: str) -> LibraryError:
        return LibraryError(
            f"Zotero did not answer ({problem}) after {self.max_retries + 1} attempts "
            f"({self._where()}); check the network and try again"
        )

    def _read_error(self, err: Exception, status: int, response: httpx2.Response | None) -> LibraryError:
        if status in (401, 403):
            return self._forbidden(False)
        if status == 404:
            return self._not_found()
        body = response.text if response is not None else str(err)
        return self._http_error(status, body, False)

    def _read_all(self, fn: Callable[..., Any], **kwargs: Any) -> tuple[list[Any], int | None, bool]:
        """Every page of a listing: (objects, library version, consistent across pages)."""
        page = self._read(fn, **kwargs)
        version = _lmv(self.zot.request)
        objects = list(page)
        consistent = True
        while self.zot.links and self.zot.links.get("next"):
            page = self._read(self.zot.follow)
            if _lmv(self.zot.request) != version:
                consistent = False
                break
            objects.extend(page)
        return objects, version, consistent

    def _post(self, kind: str, objects: list[dict[str, Any]], token: str) -> tuple[dict[str, Any] | None, int | None]:
        """POST a batch with a write token, retrying with the SAME token.

        Returns (answer JSON, library version); the answer is None when the server says the token
        was already used (an earlier attempt of this very batch landed).
        """
        url = f"{self.endpoint}{self.prefix}/{kind}"
        problem = ""
        for attempt in range(self.max_retries + 1):
            pyzotero_api.wait_for_backoff(self.zot)
            self.requests += 1
            try:
                response = pyzotero_api.post(self.zot, url, objects, token)
            except httpx2.TransportError as err:
                problem = f"network error: {type(err).__name__}"
                delay = self._delay(attempt, None)
            except ze.PyZoteroError as err:  # local API: server ID could not be obtained
                raise self._write_unsupported(str(err)) from None
            else:
                status = response.status_code
                backoff = response.headers.get("Backoff")
                if backoff:
                    try:
                        pyzotero_api.set_backoff(self.zot, min(float(backoff), self.max_wait))
                    except ValueError:
                        pass
                if status == 200:
                    try:
                        return response.json(), _lmv(response)
                    except ValueError:
                        problem = "unreadable answer to a write"
                        delay = self._delay(attempt, None)
                elif status == 412 and "token" in response.text.lower():
                    return None, _lmv(response)
                elif status in _RETRY_STATUS:
                    problem = f"HTTP {status}"
                    delay = self._delay(attempt, _retry_after(response) if status in (429, 503) else None)
                else:
                    raise self._write_error(status, response.text)
            if attempt < self.max_retries:
                log.info("Zotero write failed (%s); retrying the same batch in %.1f s", problem, delay)
                self._sleep(delay)
        raise LibraryError(
            f"Zotero did not accept the write ({problem}) after {self.max_retries + 1} attempts "
            f"({self._where()}); nothing was written twice, run the sync again later"
        )

    def _write_error(self, status: int, body: str) -> LibraryError:
        if status in (401, 403):
            return self._forbidden(True)
        if status in (400, 413):  # the content itself was refused: no retry can fix it
            return RejectedWrite(self._scrub(f"Zotero refused the write ({status}): {_one_line(body)}"))
        return self._http_error(status, body, True)

    def _write_unsupported(self, detail: str) -> LibraryError:
        return LibraryError(self._scrub(f"Zotero refused the write: {_one_line(detail)}"))

    # ---------------------------------------------------------------- reading
    def _load_state(self) -> CachedLibrary | None:
        if self._state is not None:
            return self._state
        return self.cache.load() if self.cache else None

    def _save_state(self, state: CachedLibrary) -> None:
        self._state = state
        if self.cache:
            self.cache.save(state)

    def _full_read(self) -> CachedLibrary:
        for _ in range(3):
            items, version, consistent = self._read_all(self.zot.top, includeTrashed=1, limit=PAGE)
            if not consistent:
                log.info("library changed while it was read; reading again")
                continue
            collections, coll_version, consistent = self._read_all(self.zot.collections, limit=PAGE)
            if not consistent or coll_version != version:
                continue
            state = CachedLibrary(version=version or 0)
            for obj in items:
                data = obj["data"]
                if not data.get("parentItem"):
                    state.items[data["key"]] = data
            for obj in collections:
                state.collections[obj["data"]["key"]] = obj["data"]
            return state
        raise LibraryError(f"the library kept changing while zotrec read it ({self._where()}); try again")

    def _incremental(self, state: CachedLibrary) -> CachedLibrary:
        for _ in range(3):
            since = state.version
            changed, version, consistent = self._read_all(self.zot.items, since=since, includeTrashed=1, limit=PAGE)
            if not consistent:
                continue
            if version is None or version < since:  # a different or restored library: start over
                return self._full_read()
            if version == since and not changed:
                return state
            deleted = self._deleted(since, state)
            collections, _, consistent = self._read_all(self.zot.collections, since=since, limit=PAGE)
            if not consistent:
                continue
            new = CachedLibrary(
                version=version, items=dict(state.items), collections=dict(state.collections), server_id=state.server_id
            )
            for obj in changed:
                data = obj["data"]
                if data.get("parentItem"):
                    new.items.pop(data["key"], None)
                else:
                    new.items[data["key"]] = data
            for key in deleted.get("items", []):
                new.items.pop(key, None)
            for key in deleted.get("collections", []):
                new.collections.pop(key, None)
            for obj in collections:
                new.collections[obj["data"]["key"]] = obj["data"]
            return new
        raise LibraryError(f"the library kept changing while zotrec read it ({self._where()}); try again")

    def _deleted(self, since: int, state: CachedLibrary) -> dict[str, Any]:
        """Keys of objects deleted since ``since`` (``/deleted?since=``)."""
        return self._read(self.zot.deleted, since=since)

    def _current_state(self) -> CachedLibrary:
        state = self._load_state()
        state = self._full_read() if state is None else self._incremental(state)
        self._save_state(state)
        return state

    def snapshot(self) -> LibrarySnapshot:
        state = self._current_state()
        snap = LibrarySnapshot(version=state.version)
        for key, data in state.collections.items():
            if not data.get("deleted"):
                snap.collections[key] = Collection(key, data.get("name", ""), data.get("parentCollection") or None)
        for data in state.items.values():
            if data.get("itemType") in NON_PAPER_TYPES or data.get("parentItem"):
                continue
            (snap.trashed if data.get("deleted") else snap.items).append(data)
        return snap

    # ---------------------------------------------------------------- writing
    def writable(self) -> bool:
        return bool(self.local_api_key if self.local else self.api_key)

    def _require_writable(self) -> None:
        if not self.writable():
            raise self._no_write_key()

    def _no_write_key(self) -> LibraryError:
        return LibraryError(
            f"zotrec cannot write to {self._where()} without an API key: set ZOTERO_API_KEY "
            "(a key with write access, zotero.org/settings/keys)"
        )

    def ensure_collection(self, path: str) -> str:
        parts = [p.strip() for p in path.split("/") if p.strip()]
        if not parts:
            raise LibraryError(f"invalid collection path {path!r}")
        self._require_writable()
        state = self._state or self._current_state()
        parent: str | None = None
        for depth, name in enumerate(parts):
            found = next(
                (
                    k
                    for k, d in state.collections.items()
                    if d.get("name") == name and (d.get("parentCollection") or None) == parent and not d.get("deleted")
                ),
                None,
            )
            if found is None:
                found = self._create_collection(state, name, parent, "/".join(parts[: depth + 1]))
            parent = found
        assert parent is not None
        return parent

    def _create_collection(self, state: CachedLibrary, name: str, parent: str | None, path: str) -> str:
        """Create one collection under a key derived from its path (a retry cannot duplicate it)."""
        key = derived_key(self.partition, "collection", path)
        body: dict[str, Any] = {"key": key, "version": 0, "name": name, "parentCollection": parent or False}
        token = hashlib.sha256(json.dumps([self.partition, body], sort_keys=True).encode()).hexdigest()[:32]
        answer, _ = self._post("collections", [body], token)
        if answer is None:  # an earlier attempt of this very request landed
            state.collections[key] = dict(body)
            return key
        if "0" in (answer.get("successful") or {}):
            data = answer["successful"]["0"]["data"]
            state.collections[data["key"]] = data
            return data["key"]
        failure = (answer.get("failed") or {}).get("0") or {}
        if failure.get("code") == 412:
            # our key is taken (the collection was trashed or renamed): let the server pick a key
            body = {"name": name, "parentCollection": parent or False}
            answer, _ = self._post("collections", [body], os.urandom(16).hex())
            if answer and "0" in (answer.get("successful") or {}):
                data = answer["successful"]["0"]["data"]
                state.collections[data["key"]] = data
                return data["key"]
            failure = ((answer or {}).get("failed") or {}).get("0") or failure
        raise LibraryError(
            f"Zotero could not create the collection {path!r}: {failure.get('code', '')} "
            f"{_one_line(failure.get('message', 'no answer'))}; run the sync again"
        )

    def _template(self, item_type: str) -> dict[str, Any] | None:
        """The type's template from ``/items/new`` (None where there is none, e.g. the local API)."""
        if item_type not in self._templates:
            if self.local:
                self._templates[item_type] = None
            else:
                try:
                    self._templates[item_type] = self._read(self.zot.item_template, item_type)
                except LibraryError as err:
                    if "400" not in str(err):
                        raise
                    self._templates[item_type] = None  # unknown type: the server will say so per item
        return self._templates[item_type]

    def _prepare(self, item: dict[str, Any]) -> dict[str, Any]:
        """The object to post: fields valid for the type only, and a key derived from the paper."""
        data = {k: copy.deepcopy(v) for k, v in item.items() if v is not None}
        item_type = str(data.get("itemType", ""))
        template = self._template(item_type) if item_type else None
        if template is not None:
            allowed = set(template) | _ITEM_PROPS
            dropped = [k for k in data if k not in allowed]
            for k in dropped:
                if data[k] not in ("", [], {}):
                    log.debug("field %s is not valid for %s; left out", k, item_type)
                del data[k]
        if data.get("parentItem") and not data.get("collections"):
            data.pop("collections", None)
        if not data.get("key"):
            data["key"] = self._item_key(data)
            self._derived.add(data["key"])
        data.setdefault("version", 0)
        return data

    def _item_key(self, data: dict[str, Any]) -> str:
        if data.get("parentItem"):
            return derived_key(self.partition, "note", str(data["parentItem"]), str(data.get("itemType")))
        identity = item_to_paper(data, abstract=False).primary_key
        if identity == "title:":
            return derived_key(self.partition, "random", os.urandom(16).hex())
        return derived_key(self.partition, "item", identity, ",".join(sorted(data.get("collections", []))))

    def create_items(self, items: list[dict[str, Any]], *, write_token: str | None = None) -> WriteResult:
        """Create items in batches of <= 50; ``write_token`` (if given) is used for a single batch."""
        self._require_writable()
        result = WriteResult()
        chunks = [items[i : i + MAX_OBJECTS_PER_WRITE] for i in range(0, len(items), MAX_OBJECTS_PER_WRITE)]
        for number, chunk in enumerate(chunks):
            offset = number * MAX_OBJECTS_PER_WRITE
            batch = [self._prepare(item) for item in chunk]
            if write_token and len(chunks) == 1:
                token = write_token
            else:
                seed = json.dumps([self.partition, write_token, batch], sort_keys=True, default=str)
                token = hashlib.sha256(seed.encode()).hexdigest()[:32]
            self._write_batch(batch, list(range(offset, offset + len(batch))), token, result)
        return result

    def _write_batch(
        self, batch: list[dict[str, Any]], positions: list[int], token: str, result: WriteResult, again: bool = True
    ) -> None:
        """POST one batch; ``positions`` are the batch's indexes in the caller's list."""
        answer, _ = self._post("items", batch, token)
        if answer is not None:
            self._read_answer(answer, batch, positions, result)
            return
        result.token_already_used = True
        missing = self._confirm(batch, positions, result)
        if missing and again:
            # entries the lost answer had refused (or a batch that changed since): post them again
            # under a new token; their derived keys make a second copy impossible
            retry = [batch[i] for i in missing]
            seed = json.dumps([token, "again", retry], sort_keys=True, default=str)
            new_token = hashlib.sha256(seed.encode()).hexdigest()[:32]
            self._write_batch(retry, [positions[i] for i in missing], new_token, result, again=False)

    def _read_answer(
        self, answer: dict[str, Any], batch: list[dict[str, Any]], positions: list[int], result: WriteResult
    ) -> None:
        successful = answer.get("successful") or {}
        success = answer.get("success") or {}
        unchanged = answer.get("unchanged") or {}
        failed = answer.get("failed") or {}
        for index, (obj, position) in enumerate(zip(batch, positions)):
            i = str(index)
            result.failed.pop(position, None)
            if i in successful:
                result.created[position] = successful[i].get("key") or successful[i]["data"]["key"]
            elif i in success:
                result.created[position] = success[i]
            elif i in unchanged:
                result.created[position] = unchanged[i]
            elif i in failed:
                entry = failed[i] or {}
                code = entry.get("code")
                message = _one_line(entry.get("message", ""))
                ours = obj["key"] in self._derived and entry.get("key") == obj["key"]
                if code == 412 and ours and obj.get("version") == 0:
                    # our key exists already: an earlier attempt created this very item
                    result.created[position] = obj["key"]
                else:
                    result.failed[position] = f"{code} {message}".strip()
            else:
                result.failed[position] = "not in the server's answer"

    def _confirm(self, batch: list[dict[str, Any]], positions: list[int], result: WriteResult) -> list[int]:
        """After 'write token already used': record the batch's keys that exist; return the others."""
        keys = [obj["key"] for obj in batch]
        found = self._read(self.zot.items, itemKey=",".join(keys), includeTrashed=1, limit=len(keys))
        present = {obj["key"] for obj in found}
        missing = []
        for index, (key, position) in enumerate(zip(keys, positions)):
            if key in present:
                result.created[position] = key
            else:
                result.failed[position] = "rejected in an earlier attempt whose answer was lost"
                missing.append(index)
        return missing

    # ---------------------------------------------------------------- doctor
    def probe(self) -> dict[str, Any]:
        """For ``zotrec doctor``: backend, reachable, library size, writes allowed (never the key)."""
        info: dict[str, Any] = {
            "backend": self.backend,
            "description": self.description,
            "reachable": False,
            "items": None,
            "writable": None,
            "problem": None,
        }
        try:
            info["items"] = self._read(self.zot.num_items)
            info["reachable"] = True
            info["writable"] = self._write_access()
        except (LibraryError, ConfigError) as err:
            info["problem"] = self._scrub(str(err))
        return info

    describe = probe

    def _write_access(self) -> bool:
        if not self.api_key:
            return False
        self.requests += 1
        try:
            response = pyzotero_api.get(self.zot, f"{self.endpoint}/keys/current")
        except httpx2.TransportError:
            return False
        if response.status_code != 200:
            return False
        access = response.json().get("access", {})
        if self.library_type == "user":
            return bool(access.get("user", {}).get("write"))
        groups = access.get("groups", {})
        entry = groups.get(self.library_id) or groups.get("all") or {}
        return bool(entry.get("write"))

    def close(self) -> None:
        if self.cache:
            self.cache.close()
        if self.zot.client is not None:
            self.zot.client.close()
