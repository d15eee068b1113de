"""A loopback Zotero Web API v3 server for tests: a real HTTP server on 127.0.0.1 in a thread.

It emulates the part of the Web API that pyzotero 1.16 and zotrec use, following the v3 docs and
the dataserver (see ../shared/docs/zotero-facts.md), with response shapes checked against the
recorded responses in ../shared/data/zotero-api:

* object keys of 8 characters from ``23456789ABCDEFGHIJKLMNPQRSTUVWXYZ``; a library version that
  every write bumps, and object versions; ``since``, ``format=json|versions|keys``, ``itemKey``,
  ``includeTrashed``, ``itemType``, ``sort``/``direction``, ``limit`` (1-100, default 25) and
  ``start`` with ``Total-Results`` and ``Link`` (first/prev/next/last/alternate);
  ``If-Modified-Since-Version`` -> 304; unknown query parameters are ignored;
* ``/items``, ``/items/top``, ``/items/trash``, ``/items/K``, ``/items/K/children``,
  ``/collections``, ``/collections/top``, ``/collections/K``, ``/collections/K/collections``,
  ``/collections/K/items[/top]``, ``/deleted?since=`` (400 without ``since``), ``/tags``,
  ``/items/new?itemType=`` (templates), ``/itemFields``, ``/itemTypes``, ``/itemTypeFields``,
  ``/keys/current``;
* writes: multi-object ``POST`` of items/collections (<= 50 objects or 413; ``successful`` /
  ``success`` / ``unchanged`` / ``failed`` keyed by index), ``Zotero-Write-Token`` (5-32 chars;
  reuse of a token of a successful request -> 412), ``If-Unmodified-Since-Version`` (412),
  keyed objects need ``version`` (428 per object; ``version: 0`` creates under the given key,
  an existing key with a stale version fails with 412), unknown collection -> failed 409,
  unknown parent -> 409, child with collections -> 400, invalid field for the type -> 400;
  ``PATCH``/``PUT``/``DELETE`` of single items (428 without a version, 412 when stale);
* auth: ``Authorization: Bearer`` / ``Zotero-API-Key`` / ``?key=`` must match (403), write access
  can be withdrawn (403), a wrong library gives 404;
* ``Backoff`` and ``Retry-After`` headers.

Local mode (``local=True``) mounts everything under ``/api`` with the desktop local API's
semantics: user ID 0, no ``/items/new``, a ``Zotero-Server-ID`` header on every response, and
writes only when ``local_writes`` is on (Zotero 10+), which then need ``Zotero-Server-ID``
(428/412) and a local API key (401) obtained from ``POST /api/local/authorize``.

Fault switches (:class:`Faults`): fail the Nth write with 500, drop the connection after
committing the Nth write, answer the next N requests with 429 + ``Retry-After`` (or 503),
send ``Backoff``, and :meth:`ZoteroServer.bump_version` / :meth:`touch_item` change the library
behind the client's back. Every request is logged (:attr:`ZoteroServer.log`, :meth:`count`);
``on_request`` is called before each request is handled and ``after_request`` after it was
committed but before the answer is sent (e.g. to SIGKILL a ``zotrec sync`` subprocess there).

Run as a script: ``python tests/zotero_server.py --port N --load FILE`` (JSON or BibTeX).
"""

from __future__ import annotations

import argparse
import copy
import html
import json
import random
import re
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

KEY_CHARS = "23456789ABCDEFGHIJKLMNPQRSTUVWXYZ"
KEY_RE = re.compile(r"^[23456789ABCDEFGHIJKLMNPQRSTUVWXYZ]{8}$")
MAX_WRITE = 50
TOKEN_TTL = 12 * 3600

_COMMON_TAIL = ["url", "accessDate", "archive", "archiveLocation", "libraryCatalog", "callNumber", "rights", "extra"]
# Fields per item type, in Zotero schema order (zotero-schema schema.json; journalArticle as in
# schema <= v32, preprint as in v14+). Types not listed here are unknown (400).
ITEM_TYPES: dict[str, list[str]] = {
    "preprint": [
        "title",
        "abstractNote",
        "genre",
        "repository",
        "archiveID",
        "place",
        "date",
        "series",
        "seriesNumber",
        "DOI",
        "citationKey",
        "url",
        "accessDate",
        "archive",
        "archiveLocation",
        "shortTitle",
        "language",
        "libraryCatalog",
        "callNumber",
        "rights",
        "extra",
    ],
    "journalArticle": [
        "title",
        "abstractNote",
        "publicationTitle",
        "volume",
        "issue",
        "pages",
        "date",
        "series",
        "seriesTitle",
        "seriesText",
        "journalAbbreviation",
        "language",
        "DOI",
        "ISSN",
        "shortTitle",
        *_COMMON_TAIL,
    ],
    "conferencePaper": [
        "title",
        "abstractNote",
        "date",
        "proceedingsTitle",
        "conferenceName",
        "place",
        "publisher",
        "volume",
        "pages",
        "series",
        "language",
        "DOI",
        "ISBN",
        "shortTitle",
        *_COMMON_TAIL,
    ],
    "book": [
        "title",
        "abstractNote",
        "series",
        "seriesNumber",
        "volume",
        "numberOfVolumes",
        "edition",
        "place",
        "publisher",
        "date",
        "numPages",
        "language",
        "ISBN",
        "shortTitle",
        *_COMMON_TAIL,
    ],
    "bookSection": [
        "title",
        "abstractNote",
        "bookTitle",
        "series",
        "seriesNumber",
        "volume",
        "numberOfVolumes",
        "edition",
        "place",
        "publisher",
        "date",
        "pages",
        "language",
        "ISBN",
        "shortTitle",
        *_COMMON_TAIL,
    ],
    "thesis": [
        "title",
        "abstractNote",
        "thesisType",
        "university",
        "place",
        "date",
        "numPages",
        "language",
        "shortTitle",
        *_COMMON_TAIL,
    ],
    "report": [
        "title",
        "abstractNote",
        "reportNumber",
        "reportType",
        "seriesTitle",
        "place",
        "institution",
        "date",
        "pages",
        "language",
        "shortTitle",
        *_COMMON_TAIL,
    ],
    "manuscript": [
        "title",
        "abstractNote",
        "manuscriptType",
        "place",
        "date",
        "numPages",
        "language",
        "shortTitle",
        *_COMMON_TAIL,
    ],
    "document": ["title", "abstractNote", "publisher", "date", "language", "shortTitle", *_COMMON_TAIL],
    "webpage": [
        "title",
        "abstractNote",
        "websiteTitle",
        "websiteType",
        "date",
        "shortTitle",
        "url",
        "accessDate",
        "language",
        "rights",
        "extra",
    ],
    "note": ["note"],
    "attachment": [
        "title",
        "accessDate",
        "url",
        "note",
        "contentType",
        "charset",
        "filename",
        "md5",
        "mtime",
        "linkMode",
        "path",
    ],
}
CHILD_TYPES = {"note", "attachment", "annotation"}
# Properties every object may carry besides its type's fields.
BASE_PROPS = {
    "key",
    "version",
    "itemType",
    "tags",
    "collections",
    "relations",
    "deleted",
    "dateAdded",
    "dateModified",
    "parentItem",
    "creators",
    "inPublications",
}
LOCALIZED = {
    "abstractNote": "Abstract",
    "archiveID": "Archive ID",
    "DOI": "DOI",
    "url": "URL",
    "publicationTitle": "Publication",
    "citationKey": "Citation Key",
}


def new_key(rng: random.Random | None = None) -> str:
    rng = rng or random.SystemRandom()
    return "".join(rng.choice(KEY_CHARS) for _ in range(8))


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def template(item_type: str) -> dict[str, Any]:
    """``GET /items/new?itemType=T``: every field of the type, empty."""
    if item_type == "note":
        return {"itemType": "note", "note": "", "tags": [], "collections": [], "relations": {}}
    out: dict[str, Any] = {"itemType": item_type}
    fields = ITEM_TYPES[item_type]
    out["title"] = ""
    if item_type != "attachment":
        out["creators"] = [{"creatorType": "author", "firstName": "", "lastName": ""}]
    for name in fields:
        if name != "title":
            out[name] = ""
    out.update({"tags": [], "collections": [], "relations": {}})
    return out


def all_fields() -> list[str]:
    names: list[str] = []
    for fields in ITEM_TYPES.values():
        for name in fields:
            if name not in names:
                names.append(name)
    return sorted(names, key=str.lower)


@dataclass
class Faults:
    """Switches that make the server misbehave. Write numbers count POST/PATCH/PUT/DELETE from 1."""

    fail_writes: set[int] = field(default_factory=set)  # answer these writes with 500, commit nothing
    drop_after_commit: set[int] = field(default_factory=set)  # commit, then close without answering
    rate_limit: int = 0  # answer the next N requests with 429
    rate_limit_writes_only: bool = False
    unavailable: int = 0  # answer the next N requests with 503
    retry_after: str | None = "0"  # Retry-After value sent with 429/503 (None: header absent)
    backoff: str | None = None  # Backoff header on every 2xx response
    drop_before: int = 0  # close the next N connections before handling (network error)


@dataclass
class Request:
    method: str
    path: str  # without the /api mount, without the query
    query: dict[str, str]
    status: int = 0
    write_number: int = 0


class LibraryState:
    """One library's objects and versions."""

    def __init__(self) -> None:
        self.version = 0
        self.items: dict[str, dict[str, Any]] = {}  # key -> data (with key, version)
        self.collections: dict[str, dict[str, Any]] = {}
        self.deleted: dict[str, dict[str, int]] = {"items": {}, "collections": {}}


class ZoteroServer:
    """The server, its state and its switches. Use as a context manager or call start()/stop()."""

    def __init__(
        self,
        *,
        library_id: str = "123456",
        library_type: str = "user",
        api_key: str | None = "TESTKEY0123456789abcdefXYZ",
        write_access: bool = True,
        local: bool = False,
        local_writes: bool = False,
        port: int = 0,
        seed: int | None = None,
    ) -> None:
        self.local = local
        self.library_type = library_type
        self.library_id = "0" if local else str(library_id)
        self.api_key = api_key
        self.write_access = write_access
        self.local_writes = local_writes
        self.server_id = uuid.uuid4().hex[:8] if local else None
        self.local_keys: dict[str, bool] = {}  # local API key -> remember
        self.local_api_enabled = True
        self.missing_endpoints: set[str] = set()  # library paths (e.g. "/deleted") that answer 404
        self.lib = LibraryState()
        self.faults = Faults()
        self.log: list[Request] = []
        self.on_request: Callable[[Request], None] | None = None  # before a request is handled
        self.after_request: Callable[[Request], None] | None = None  # after it was committed, before the answer
        self.tokens: dict[str, float] = {}
        self.writes = 0
        self.lock = threading.RLock()
        self._rng = random.Random(seed) if seed is not None else random.SystemRandom()
        self._port = port
        self._child_counts: dict[str, int] | None = None
        self.httpd: ThreadingHTTPServer | None = None
        self.thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------------
    def start(self) -> ZoteroServer:
        server = self

        class Handler(_Handler):
            zotero = server

        self.httpd = ThreadingHTTPServer(("127.0.0.1", self._port), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(
            target=lambda: self.httpd.serve_forever(poll_interval=0.05), name="zotero-loopback", daemon=True
        )
        self.thread.start()
        return self

    def stop(self) -> None:
        if self.httpd:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None

    def __enter__(self) -> ZoteroServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self.httpd is not None
        return self.httpd.server_address[1]

    @property
    def endpoint(self) -> str:
        """Base URL for pyzotero's ``endpoint`` (``/api`` included in local mode)."""
        return f"http://127.0.0.1:{self.port}" + ("/api" if self.local else "")

    @property
    def prefix(self) -> str:
        return f"/{self.library_type}s/{self.library_id}"

    # -- state helpers for tests -----------------------------------------------------------
    def _bump(self) -> int:
        self.lib.version += 1
        return self.lib.version

    def load(self, items: list[dict[str, Any]], collections: list[dict[str, Any]] | None = None) -> list[str]:
        """Add items (``data`` dicts, optional ``key``) and collections in one library version."""
        with self.lock:
            version = self._bump()
            for coll in collections or []:
                key = coll.get("key") or self._fresh_key()
                parent = coll.get("parentCollection") or False
                self.lib.collections[key] = {
                    "key": key,
                    "version": version,
                    "name": coll["name"],
                    "parentCollection": parent,
                    "relations": {},
                }
            keys = []
            for item in items:
                data = self._fill(item)
                data["key"] = data.get("key") or self._fresh_key()
                data["version"] = version
                data.setdefault("dateAdded", _now())
                data.setdefault("dateModified", data["dateAdded"])
                self.lib.items[data["key"]] = data
                keys.append(data["key"])
            return keys

    def bump_version(self, by: int = 1) -> int:
        """Change the library version behind the client's back (no object changes)."""
        with self.lock:
            self.lib.version += by
            return self.lib.version

    def touch_item(self, key: str, **changes: Any) -> None:
        """Modify an item as another client would (bumps versions)."""
        with self.lock:
            data = self.lib.items[key]
            data.update(changes)
            data["version"] = self._bump()
            data["dateModified"] = _now()

    def trash_item(self, key: str) -> None:
        self.touch_item(key, deleted=1)

    def delete_item(self, key: str) -> None:
        with self.lock:
            version = self._bump()
            for child in [k for k, d in self.lib.items.items() if d.get("parentItem") == key] + [key]:
                self.lib.items.pop(child, None)
                self.lib.deleted["items"][child] = version

    def items(self, *, include_trashed: bool = False) -> list[dict[str, Any]]:
        """The library's item ``data`` dicts (shallow copies; do not modify nested values)."""
        with self.lock:
            return [dict(d) for d in self.lib.items.values() if include_trashed or not d.get("deleted")]

    def collection_items(self, key: str) -> list[dict[str, Any]]:
        return [d for d in self.items() if key in d.get("collections", [])]

    def children(self, key: str) -> list[dict[str, Any]]:
        return [d for d in self.items() if d.get("parentItem") == key]

    def collection_by_name(self, name: str, parent: str | None = None) -> str | None:
        with self.lock:
            for key, coll in self.lib.collections.items():
                if coll["name"] == name and (coll["parentCollection"] or None) == parent:
                    return key
        return None

    def count(self, path_suffix: str | None = None, method: str | None = None) -> int:
        """Requests logged whose path ends with ``path_suffix`` (all when None) and method matches."""
        with self.lock:
            return sum(
                1
                for r in self.log
                if (path_suffix is None or r.path.endswith(path_suffix)) and (method is None or r.method == method)
            )

    def reset_log(self) -> None:
        with self.lock:
            self.log.clear()

    # -- internals ----------------------------------------------------------------------------
    def _fresh_key(self) -> str:
        while True:
            key = new_key(self._rng)
            if key not in self.lib.items and key not in self.lib.collections:
                return key

    def _fill(self, item: dict[str, Any]) -> dict[str, Any]:
        """An item with every field of its type (as the real API returns them)."""
        item_type = item.get("itemType", "document")
        base = template(item_type) if item_type in ITEM_TYPES else {}
        if item_type in CHILD_TYPES:
            base.pop("collections", None)
        base.pop("creators", None) if not item.get("creators") and item_type in CHILD_TYPES else None
        if "creators" in base:
            base["creators"] = []
        base.update(json.loads(json.dumps(item)))
        return base

    def library_obj(self) -> dict[str, Any]:
        name = "loopback"
        return {
            "type": self.library_type,
            "id": int(self.library_id),
            "name": name,
            "links": {"alternate": {"href": f"https://www.zotero.org/{name}", "type": "text/html"}},
        }

    def item_obj(self, data: dict[str, Any], base: str) -> dict[str, Any]:
        key = data["key"]
        links: dict[str, Any] = {
            "self": {"href": f"{base}{self.prefix}/items/{key}", "type": "application/json"},
            "alternate": {"href": f"https://www.zotero.org/loopback/items/{key}", "type": "text/html"},
        }
        if data.get("parentItem"):
            links["up"] = {"href": f"{base}{self.prefix}/items/{data['parentItem']}", "type": "application/json"}
        meta: dict[str, Any] = {}
        creators = data.get("creators") or []
        if creators:
            names = [c.get("lastName") or c.get("name", "") for c in creators]
            meta["creatorSummary"] = names[0] + (
                " et al." if len(names) > 2 else (f" and {names[1]}" if len(names) == 2 else "")
            )
        year = re.search(r"\d{4}", data.get("date", "") or "")
        if year:
            meta["parsedDate"] = year.group(0)
        if data.get("itemType") not in CHILD_TYPES:
            counts = self._child_counts
            meta["numChildren"] = (
                counts.get(key, 0)
                if counts is not None
                else sum(1 for d in self.lib.items.values() if d.get("parentItem") == key)
            )
        # no copy: responses are serialised while the server lock is held
        return {
            "key": key,
            "version": data["version"],
            "library": self.library_obj(),
            "links": links,
            "meta": meta,
            "data": data,
        }

    def collection_obj(self, data: dict[str, Any], base: str) -> dict[str, Any]:
        key = data["key"]
        return {
            "key": key,
            "version": data["version"],
            "library": self.library_obj(),
            "links": {
                "self": {"href": f"{base}{self.prefix}/collections/{key}", "type": "application/json"},
                "alternate": {"href": f"https://www.zotero.org/loopback/collections/{key}", "type": "text/html"},
            },
            "meta": {
                "numCollections": sum(1 for c in self.lib.collections.values() if c["parentCollection"] == key),
                "numItems": sum(
                    1 for d in self.lib.items.values() if key in d.get("collections", []) and not d.get("deleted")
                ),
            },
            "data": data,
        }


class _Json(str):
    """An already serialised JSON body."""


def _check_key(obj: dict[str, Any], lib_checked: bool, objects: dict[str, Any], kind: str) -> dict[str, Any] | None:
    """The v3 rules for a keyed object in a multi-object write; returns the existing object, if any."""
    key = obj.get("key")
    if not key:
        return None
    if not isinstance(key, str) or not KEY_RE.match(key):
        raise HTTPFail(400, f"'{key}' is not a valid {kind.lower()} key")
    existing = objects.get(key)
    if "version" not in obj and not lib_checked:
        raise HTTPFail(
            428, "Either If-Unmodified-Since-Version or object version must be provided for key-based writes"
        )
    if "version" in obj:
        version = _int(str(obj["version"]), "version")
        if existing is None and version > 0:
            raise HTTPFail(404, f"{kind} doesn't exist (to create, use version 0)")
        if existing is not None and existing["version"] > version:
            raise HTTPFail(
                412,
                f"{kind} has been modified since specified version (expected {version}, found {existing['version']})",
            )
    return existing


class HTTPFail(Exception):
    def __init__(
        self, status: int, message: str, headers: dict[str, str] | None = None, extra: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}
        self.extra = extra or {}  # e.g. {"data": {"collection": KEY}} in a "failed" entry


class _Handler(BaseHTTPRequestHandler):
    zotero: ZoteroServer
    protocol_version = "HTTP/1.1"
    server_version = "ZoteroLoopback/1.0"
    disable_nagle_algorithm = True  # headers and body go out in separate writes

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    # -- plumbing ---------------------------------------------------------------------------
    def _send(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
        z = self.zotero
        if isinstance(body, _Json):
            payload = str(body).encode()
            ctype = "application/json"
        elif isinstance(body, (dict, list)):
            payload = json.dumps(body, ensure_ascii=False).encode()
            ctype = "application/json"
        else:
            payload = (body or "").encode() if status != 304 else b""
            ctype = "text/plain; charset=utf-8"
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Zotero-API-Version", "3")
        if z.local and z.local_writes:  # Zotero 10+ (the write-capable local API) sends its server ID
            self.send_header("Zotero-Server-ID", z.server_id or "")
        if z.faults.backoff and 200 <= status < 300:
            self.send_header("Backoff", z.faults.backoff)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if not raw:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            raise HTTPFail(400, "Invalid JSON") from None

    def _dispatch(self, method: str) -> None:
        z = self.zotero
        parts = urlsplit(self.path)
        path = parts.path
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        if z.local:
            if not (path == "/api" or path.startswith("/api/")):
                self._send(404, "Not found")
                return
            path = path[len("/api") :] or "/"
        body = self._body() if method in ("POST", "PATCH", "PUT") else None
        is_write = method != "GET"
        with z.lock:
            req = Request(method, path, query)
            if is_write:
                z.writes += 1
                req.write_number = z.writes
            z.log.append(req)
        if z.on_request:
            z.on_request(req)
        faults = z.faults
        with z.lock:
            if faults.drop_before > 0:
                faults.drop_before -= 1
                req.status = -1
                self.close_connection = True
                return
            retry = {"Retry-After": faults.retry_after} if faults.retry_after is not None else {}
            if faults.rate_limit > 0 and (is_write or not faults.rate_limit_writes_only):
                faults.rate_limit -= 1
                req.status = 429
                self._send(429, "Too Many Requests", retry)
                return
            if faults.unavailable > 0:
                faults.unavailable -= 1
                req.status = 503
                self._send(503, "Service Unavailable", retry)
                return
            if is_write and req.write_number in faults.fail_writes:
                req.status = 500
                self._send(500, "An error occurred")
                return
            try:
                status, payload, headers = self._route(method, path, query, body)
            except HTTPFail as fail:
                status, payload, headers = fail.status, fail.message, fail.headers
            req.status = status
            if is_write and req.write_number in faults.drop_after_commit:
                req.status = -status
                self.close_connection = True
                return
            if isinstance(payload, (dict, list)):
                payload = _Json(json.dumps(payload, ensure_ascii=False))
        if z.after_request:
            z.after_request(req)
        self._send(status, payload, headers)

    # -- auth ---------------------------------------------------------------------------------
    def _key(self, query: dict[str, str]) -> str | None:
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Bearer "):
            return auth[7:].strip()
        return self.headers.get("Zotero-API-Key") or query.get("key")

    def _check_auth(self, query: dict[str, str], write: bool) -> None:
        z = self.zotero
        if z.local:
            if not z.local_api_enabled:
                raise HTTPFail(403, "Local API is not enabled")
            if write:
                if not z.local_writes:
                    raise HTTPFail(400, "Endpoint does not support method")
                sid = self.headers.get("Zotero-Server-ID")
                if not sid:
                    raise HTTPFail(428, "Zotero-Server-ID not provided")
                if sid != z.server_id:
                    raise HTTPFail(412, "Zotero-Server-ID does not match")
                key = self.headers.get("Zotero-API-Key")
                if not key:
                    raise HTTPFail(401, "API key required")
                if key not in z.local_keys:
                    raise HTTPFail(401, "Invalid or expired API key")
            return
        if z.api_key is not None:
            key = self._key(query)
            if key != z.api_key:
                raise HTTPFail(403, "Forbidden")
            if write and not z.write_access:
                raise HTTPFail(403, "Write access denied")

    def _consume_local_key(self) -> None:
        z = self.zotero
        key = self.headers.get("Zotero-API-Key")
        if z.local and key in z.local_keys and not z.local_keys[key]:
            del z.local_keys[key]  # "Allow" keys are single use

    # -- routing --------------------------------------------------------------------------------
    def _route(self, method: str, path: str, query: dict[str, str], body: Any) -> tuple[int, Any, dict[str, str]]:
        z = self.zotero
        base = z.endpoint
        if z.local and not z.local_api_enabled:
            raise HTTPFail(403, "Local API is not enabled")
        if z.local and path == "/" and method == "GET":
            return 200, "Nothing to see here.", {}
        if z.local and path == "/local/authorize" and method == "POST" and z.local_writes:
            if not isinstance(body, dict) or not body.get("appName"):
                raise HTTPFail(400, "appName required")
            key = uuid.uuid4().hex
            z.local_keys[key] = True
            return 200, {"key": key, "remember": True}, {}
        # global endpoints
        if path == "/items/new" and method == "GET":
            if z.local:
                raise HTTPFail(404, "Not found")
            item_type = query.get("itemType", "")
            if item_type not in ITEM_TYPES:
                raise HTTPFail(400, f"Invalid item type '{item_type}'")
            return 200, template(item_type), {}
        if path == "/itemFields" and method == "GET":
            return (
                200,
                [
                    {"field": f, "localized": LOCALIZED.get(f, re.sub(r"(?<!^)([A-Z])", r" \1", f).title())}
                    for f in all_fields()
                ],
                {},
            )
        if path == "/itemTypes" and method == "GET":
            return (
                200,
                [{"itemType": t, "localized": re.sub(r"(?<!^)([A-Z])", r" \1", t).title()} for t in sorted(ITEM_TYPES)],
                {},
            )
        if path == "/itemTypeFields" and method == "GET":
            item_type = query.get("itemType", "")
            if item_type not in ITEM_TYPES:
                raise HTTPFail(400, f"Invalid item type '{item_type}'")
            return 200, [{"field": f, "localized": LOCALIZED.get(f, f)} for f in ITEM_TYPES[item_type]], {}
        if path.startswith("/keys/") and method == "GET":
            key = path[len("/keys/") :]
            if key == "current":
                key = self._key(query) or ""
            if z.api_key is None or key != z.api_key:
                raise HTTPFail(403, "Forbidden")
            lib = {"library": True, "notes": True, "write": z.write_access}
            access = {"user": lib} if z.library_type == "user" else {"groups": {z.library_id: lib}}
            return 200, {"key": "*" * 8, "userID": int(z.library_id), "username": "loopback", "access": access}, {}
        match = re.match(r"^/(users|groups)/([^/]+)(/.*)?$", path)
        if not match:
            raise HTTPFail(404, "Not found")
        if f"/{match[1]}/{match[2]}" != z.prefix:
            self._check_auth(query, write=False)
            raise HTTPFail(404, "Not found")
        rest = match[3] or "/"
        write = method != "GET"
        self._check_auth(query, write)
        lib = z.lib
        if method == "GET":
            return self._read(rest, query, base)
        if method == "POST" and rest in ("/items", "/items/", "/collections", "/collections/"):
            result = self._multi_write("items" if rest.startswith("/items") else "collections", body, query, base)
            self._consume_local_key()
            return result
        m = re.match(r"^/items/([A-Z0-9]{8})$", rest)
        if m and method in ("PATCH", "PUT"):
            return self._single_write(m[1], body, method, base)
        if m and method == "DELETE":
            self._check_version_header(lib.items.get(m[1]), single=True)
            if m[1] not in lib.items:
                raise HTTPFail(404, "Not found")
            version = z._bump()
            for k in [k for k, d in lib.items.items() if d.get("parentItem") == m[1]] + [m[1]]:
                lib.items.pop(k, None)
                lib.deleted["items"][k] = version
            return 204, None, {"Last-Modified-Version": str(version)}
        if rest == "/items" and method == "DELETE":
            self._check_version_header(None, single=False)
            keys = [k for k in query.get("itemKey", "").split(",") if k]
            if len(keys) > MAX_WRITE:
                raise HTTPFail(413, f"Only {MAX_WRITE} objects can be deleted at a time")
            version = z._bump()
            for k in keys:
                if lib.items.pop(k, None) is not None:
                    lib.deleted["items"][k] = version
            return 204, None, {"Last-Modified-Version": str(version)}
        raise HTTPFail(405, "Method not allowed")

    def _check_version_header(self, obj: dict[str, Any] | None, single: bool) -> int | None:
        value = self.headers.get("If-Unmodified-Since-Version")
        lib = self.zotero.lib
        if value is None:
            if single:
                raise HTTPFail(428, "If-Unmodified-Since-Version not provided")
            return None
        try:
            expected = int(value)
        except ValueError:
            raise HTTPFail(400, "Invalid If-Unmodified-Since-Version value") from None
        current = obj["version"] if (single and obj is not None) else lib.version
        if current > expected:
            what = "Item" if single else "Library"
            raise HTTPFail(
                412, f"{what} has been modified since specified version (expected {expected}, found {current})"
            )
        return expected

    # -- reads ------------------------------------------------------------------------------------
    def _read(self, rest: str, query: dict[str, str], base: str) -> tuple[int, Any, dict[str, str]]:
        z = self.zotero
        lib = z.lib
        headers = {"Last-Modified-Version": str(lib.version)}
        ims = self.headers.get("If-Modified-Since-Version")
        if (
            ims is not None
            and ims.isdigit()
            and int(ims) >= lib.version
            and not re.match(r"^/(items|collections)/[A-Z0-9]{8}$", rest)
        ):
            return 304, None, headers
        if rest in z.missing_endpoints:
            raise HTTPFail(404, "Not found")
        if rest == "/deleted":
            if "since" not in query:
                raise HTTPFail(400, "'since' parameter must be provided")
            since = _int(query["since"], "since")
            return (
                200,
                {
                    "collections": [k for k, v in lib.deleted["collections"].items() if v > since],
                    "items": [k for k, v in lib.deleted["items"].items() if v > since],
                    "searches": [],
                    "tags": [],
                    "settings": [],
                },
                headers,
            )
        m = re.match(r"^/items/([A-Z0-9]{8})$", rest)
        if m:
            data = lib.items.get(m[1])
            if data is None:
                raise HTTPFail(404, "Item not found")
            return 200, z.item_obj(data, base), {"Last-Modified-Version": str(data["version"])}
        m = re.match(r"^/collections/([A-Z0-9]{8})$", rest)
        if m:
            coll = lib.collections.get(m[1])
            if coll is None:
                raise HTTPFail(404, "Collection not found")
            return 200, z.collection_obj(coll, base), {"Last-Modified-Version": str(coll["version"])}
        trashed = query.get("includeTrashed") in ("1", "true")
        if rest in ("/items", "/items/top", "/items/trash") or re.match(
            r"^/(items/[A-Z0-9]{8}/children|collections/[A-Z0-9]{8}/items(/top)?)$", rest
        ):
            objs = list(lib.items.values())
            if rest == "/items/trash":
                objs = [d for d in objs if d.get("deleted")]
            elif not trashed and "/children" not in rest:
                objs = [d for d in objs if not d.get("deleted")]
            if rest.endswith("/top") or rest == "/items/trash":
                objs = [d for d in objs if not d.get("parentItem")]
            m = re.match(r"^/items/([A-Z0-9]{8})/children$", rest)
            if m:
                if m[1] not in lib.items:
                    raise HTTPFail(404, "Not found")
                objs = [d for d in objs if d.get("parentItem") == m[1]]
            m = re.match(r"^/collections/([A-Z0-9]{8})/items", rest)
            if m:
                if m[1] not in lib.collections:
                    raise HTTPFail(404, "Collection not found")
                objs = [d for d in objs if m[1] in d.get("collections", [])]
            if query.get("itemKey"):
                wanted = set(query["itemKey"].split(","))
                if len(wanted) > MAX_WRITE:
                    raise HTTPFail(400, f"Only {MAX_WRITE} keys can be specified at a time")
                objs = [d for d in objs if d["key"] in wanted]
            if query.get("itemType"):
                objs = [d for d in objs if _type_matches(d.get("itemType", ""), query["itemType"])]
            z._child_counts = {}
            for d in lib.items.values():
                if d.get("parentItem"):
                    z._child_counts[d["parentItem"]] = z._child_counts.get(d["parentItem"], 0) + 1
            try:
                return self._listing(rest, objs, query, base, z.item_obj, headers)
            finally:
                z._child_counts = None
        if rest in ("/collections", "/collections/top") or re.match(r"^/collections/[A-Z0-9]{8}/collections$", rest):
            objs = list(lib.collections.values())
            if rest == "/collections/top":
                objs = [c for c in objs if not c["parentCollection"]]
            m = re.match(r"^/collections/([A-Z0-9]{8})/collections$", rest)
            if m:
                objs = [c for c in objs if c["parentCollection"] == m[1]]
            if query.get("collectionKey"):
                wanted = set(query["collectionKey"].split(","))
                objs = [c for c in objs if c["key"] in wanted]
            return self._listing(rest, objs, query, base, z.collection_obj, headers)
        if rest == "/tags":
            counts: dict[tuple[str, int], int] = {}
            for d in lib.items.values():
                if d.get("deleted"):
                    continue
                for t in d.get("tags", []):
                    k = (t["tag"], int(t.get("type", 0)))
                    counts[k] = counts.get(k, 0) + 1
            tags = [
                {
                    "tag": tag,
                    "links": {"self": {"href": f"{base}{z.prefix}/tags/{quote(tag)}", "type": "application/json"}},
                    "meta": {"type": ttype, "numItems": n},
                }
                for (tag, ttype), n in sorted(counts.items())
            ]
            return self._listing(rest, tags, query, base, lambda o, b: o, headers, versioned=False)
        raise HTTPFail(404, "Not found")

    def _listing(
        self,
        rest: str,
        objs: list[dict[str, Any]],
        query: dict[str, str],
        base: str,
        render: Callable[[dict[str, Any], str], Any],
        headers: dict[str, str],
        versioned: bool = True,
    ) -> tuple[int, Any, dict[str, str]]:
        if versioned and "since" in query:
            since = _int(query["since"], "since")
            objs = [o for o in objs if o["version"] > since]
        fmt = query.get("format", "json")
        if fmt == "versions" and versioned:
            return 200, {o["key"]: o["version"] for o in objs}, headers
        if fmt == "keys" and versioned:
            return 200, "\n".join(o["key"] for o in objs) + "\n", headers
        if fmt not in ("json", "versions", "keys"):
            raise HTTPFail(400, f"Invalid 'format' value '{fmt}'")
        sort = query.get("sort", "dateModified")
        if versioned:
            direction = query.get("direction", "asc" if sort == "title" else "desc")
            keyf: Callable[[dict[str, Any]], Any]
            if sort in ("dateAdded", "dateModified"):
                keyf = lambda o: (o.get(sort) or "", o["version"], o["key"])
            elif sort == "title":
                keyf = lambda o: ((o.get("title") or o.get("name") or "").lower(), o["key"])
            else:
                keyf = lambda o: (str(o.get(sort, "")), o["key"])
            objs = sorted(objs, key=keyf, reverse=direction == "desc")
        total = len(objs)
        limit = min(max(_int(query.get("limit", "25"), "limit"), 1), 100)
        start = max(_int(query.get("start", "0"), "start"), 0)
        page = objs[start : start + limit]
        headers = {**headers, "Total-Results": str(total)}
        links = []
        keep = {k: v for k, v in query.items() if k not in ("start", "key") and not (k == "format" and v == "json")}

        def link(rel: str, at: int) -> None:
            params = dict(keep)
            if at:
                params["start"] = str(at)
            qs = urlencode(params)
            links.append(f'<{base}{self.zotero.prefix}{rest}{"?" + qs if qs else ""}>; rel="{rel}"')

        if start > 0:
            link("first", 0)
            link("prev", max(start - limit, 0))
        if start + limit < total:
            link("next", start + limit)
            link("last", ((total - 1) // limit) * limit)
        links.append(f'<https://www.zotero.org/loopback{"/items" if "items" in rest else ""}>; rel="alternate"')
        headers["Link"] = ", ".join(links)
        return 200, [render(o, base) for o in page], headers

    # -- writes ----------------------------------------------------------------------------------
    def _multi_write(self, kind: str, body: Any, query: dict[str, str], base: str) -> tuple[int, Any, dict[str, str]]:
        z = self.zotero
        lib = z.lib
        if not isinstance(body, list):
            raise HTTPFail(400, "Uploaded data must be a JSON array")
        if len(body) > MAX_WRITE:
            raise HTTPFail(413, f"Only {MAX_WRITE} objects can be submitted at a time")
        token = self.headers.get("Zotero-Write-Token")
        now = time.time()
        if token is not None:
            if not 5 <= len(token) <= 32:
                raise HTTPFail(400, "Write token must be 5-32 characters in length")
            if z.api_key is None and not z.local:
                raise HTTPFail(400, "Write token cannot be used without an API key")
            used = z.tokens.get(token)
            if used is not None and now - used < TOKEN_TTL:
                raise HTTPFail(412, "Write token already used")
        lib_checked = self._check_version_header(None, single=False) is not None
        version = lib.version + 1
        result: dict[str, Any] = {"successful": {}, "success": {}, "unchanged": {}, "failed": {}}
        store = lib.items if kind == "items" else lib.collections
        changed = False
        for index, obj in enumerate(body):
            idx = str(index)
            try:
                if not isinstance(obj, dict):
                    raise HTTPFail(400, "Invalid value for index 0 in uploaded data; expected JSON object")
                key, data, is_new = (self._validate_item if kind == "items" else self._validate_collection)(
                    obj, lib_checked
                )
                if not is_new and _same(store[key], data):
                    result["unchanged"][idx] = key
                    continue
                data["key"] = key
                data["version"] = version
                if kind == "items":
                    data["dateModified"] = _now()
                    if is_new:
                        data.setdefault("dateAdded", data["dateModified"])
                store[key] = data
                lib.deleted[kind].pop(key, None)
                changed = True
                render = z.item_obj if kind == "items" else z.collection_obj
                result["successful"][idx] = render(data, base)
                result["success"][idx] = key
            except HTTPFail as fail:
                entry: dict[str, Any] = {"code": fail.status, "message": html.escape(fail.message)}
                key = obj.get("key") if isinstance(obj, dict) else None
                if key:
                    entry = {"key": key, **entry}
                entry.update(fail.extra)
                result["failed"][idx] = entry
        if changed:
            lib.version = version
            for entry in result["successful"].values():
                entry["version"] = entry["data"]["version"] = version
        if token is not None:
            z.tokens[token] = now
        return 200, result, {"Last-Modified-Version": str(lib.version)}

    def _validate_item(self, obj: dict[str, Any], lib_checked: bool) -> tuple[str, dict[str, Any], bool]:
        z = self.zotero
        lib = z.lib
        key = obj.get("key")
        existing = _check_key(obj, lib_checked, lib.items, "Item")
        item_type = obj.get("itemType") or (existing or {}).get("itemType")
        if not item_type:
            raise HTTPFail(400, "'itemType' property not provided")
        if item_type not in ITEM_TYPES:
            raise HTTPFail(400, f"'{item_type}' is not a valid itemType")
        data = copy.deepcopy(existing) if existing else z._fill({"itemType": item_type})
        for name, value in obj.items():
            if name in ("key", "version"):
                continue
            if name not in BASE_PROPS and name not in ITEM_TYPES[item_type]:
                if value in ("", None):
                    continue
                raise HTTPFail(400, f"'{name}' is not a valid field for type '{item_type}'")
            data[name] = copy.deepcopy(value)
        parent = data.get("parentItem")
        if item_type in CHILD_TYPES:
            data.pop("collections", None) if not data.get("collections") else None
            if parent:
                if data.get("collections"):
                    raise HTTPFail(400, "Child items cannot be assigned to collections")
                if parent not in lib.items:
                    raise HTTPFail(409, f"Parent item {parent} not found", extra={"data": {"parentItem": parent}})
        elif parent:
            raise HTTPFail(400, f"Parent item cannot be set for {item_type} items")
        for ckey in data.get("collections", []):
            if ckey not in lib.collections:
                raise HTTPFail(409, f"Collection {ckey} not found", extra={"data": {"collection": ckey}})
        tags = []
        for tag in data.get("tags", []):
            if not isinstance(tag, dict) or not str(tag.get("tag", "")).strip():
                raise HTTPFail(400, "Tag must be an object with a non-empty 'tag' property")
            tags.append({k: v for k, v in tag.items() if k in ("tag", "type")})
        data["tags"] = tags
        creators = []
        for creator in data.get("creators", []):
            if not isinstance(creator, dict) or "creatorType" not in creator:
                raise HTTPFail(400, "Creator must be an object with 'creatorType'")
            if creator.get("name") or creator.get("lastName") or creator.get("firstName"):
                creators.append(creator)  # empty template creators are dropped
        if "creators" in data:
            data["creators"] = creators
        return key or z._fresh_key(), data, existing is None

    def _validate_collection(self, obj: dict[str, Any], lib_checked: bool) -> tuple[str, dict[str, Any], bool]:
        z = self.zotero
        lib = z.lib
        key = obj.get("key")
        existing = _check_key(obj, lib_checked, lib.collections, "Collection")
        name = obj.get("name", (existing or {}).get("name", ""))
        if not str(name).strip():
            raise HTTPFail(400, "Collection name cannot be empty")
        parent = obj.get("parentCollection", (existing or {}).get("parentCollection", False)) or False
        if parent and parent not in lib.collections:
            raise HTTPFail(409, f"Parent collection {parent} doesn't exist", extra={"data": {"collection": parent}})
        data = copy.deepcopy(existing) if existing else {"name": "", "parentCollection": False, "relations": {}}
        data.update({"name": str(name), "parentCollection": parent})
        if "relations" in obj:
            data["relations"] = obj["relations"]
        return key or z._fresh_key(), data, existing is None

    def _single_write(self, key: str, body: Any, method: str, base: str) -> tuple[int, Any, dict[str, str]]:
        z = self.zotero
        lib = z.lib
        if not isinstance(body, dict):
            raise HTTPFail(400, "Uploaded data must be a JSON object")
        existing = lib.items.get(key)
        header = self.headers.get("If-Unmodified-Since-Version")
        version = body.get("version") if header is None else _int(header, "If-Unmodified-Since-Version")
        if version is None:
            raise HTTPFail(
                428, "Either If-Unmodified-Since-Version or 'version' property must be provided for single-item writes"
            )
        if existing is None:
            if int(version) > 0:
                raise HTTPFail(404, "Item not found")
        elif existing["version"] > int(version):
            raise HTTPFail(
                412, f"Item has been modified since specified version (expected {version}, found {existing['version']})"
            )
        obj = dict(body, key=key, version=existing["version"] if existing else 0)
        if method == "PUT" and existing is not None:
            obj = {**z._fill({"itemType": body.get("itemType", existing["itemType"])}), **obj}
        _, data, _ = self._validate_item(obj, True)
        if existing is not None and _same(existing, data):
            return 204, None, {"Last-Modified-Version": str(existing["version"])}
        new_version = z._bump()
        data.update(key=key, version=new_version, dateModified=_now())
        data.setdefault("dateAdded", data["dateModified"])
        lib.items[key] = data
        lib.deleted["items"].pop(key, None)
        return 204, None, {"Last-Modified-Version": str(new_version)}


def _same(old: dict[str, Any], new: dict[str, Any]) -> bool:
    skip = {"version", "dateModified", "key"}
    return {k: v for k, v in old.items() if k not in skip} == {k: v for k, v in new.items() if k not in skip}


def _int(value: str, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise HTTPFail(400, f"Invalid '{name}' value '{value}'") from None


def _type_matches(item_type: str, expr: str) -> bool:
    """``itemType`` search: ``book``, ``-attachment``, ``book || journalArticle``."""
    expr = expr.strip()
    if expr.startswith("-"):
        return not _type_matches(item_type, expr[1:])
    return item_type in {t.strip() for t in expr.split("||")}


# -- loading real libraries -------------------------------------------------------------------------
_BIB_TYPES = {
    "article": "journalArticle",
    "inproceedings": "conferencePaper",
    "conference": "conferencePaper",
    "book": "book",
    "incollection": "bookSection",
    "inbook": "bookSection",
    "phdthesis": "thesis",
    "mastersthesis": "thesis",
    "thesis": "thesis",
    "techreport": "report",
    "report": "report",
    "online": "webpage",
    "unpublished": "manuscript",
}


def _clean_tex(value: str) -> str:
    value = re.sub(r"\\[a-zA-Z]+\{([^{}]*)\}", r"\1", value)
    value = value.replace("{", "").replace("}", "").replace("\\&", "&").replace("~", " ")
    return " ".join(value.split())


_DELIM = re.compile(r'[{}"]')
_BARE = re.compile(r"[^,}\s]*")
_FIELD_START = re.compile(r"\s*,?\s*([A-Za-z][\w-]*)\s*=\s*")


def _bib_entries(text: str) -> list[dict[str, str]]:
    """A minimal, brace-aware BibTeX reader (fast enough for 1,000-entry test libraries)."""
    entries = []
    for match in re.finditer(r"@(\w+)\s*\{\s*([^,\s]*)\s*,", text):
        kind = match.group(1).lower()
        if kind in ("comment", "string", "preamble"):
            continue
        entry = {"ENTRYTYPE": kind, "ID": match.group(2)}
        pos = match.end()
        while True:
            field_match = _FIELD_START.match(text, pos)
            if not field_match:
                break
            name = field_match.group(1).lower()
            pos = field_match.end()
            if pos < len(text) and text[pos] in '{"':
                quoted = text[pos] == '"'
                depth, start = 0, pos + 1
                if quoted:
                    pos += 1
                while True:
                    hit = _DELIM.search(text, pos)
                    if hit is None:
                        pos = len(text)
                        break
                    pos = hit.start()
                    ch = text[pos]
                    if ch == "{":
                        depth += 1
                    elif ch == "}":
                        depth -= 1
                        if depth == 0 and not quoted:
                            break
                    elif quoted and depth == 0:
                        break
                    pos += 1
                value = text[start:pos]
                pos += 1
            else:
                bare = _BARE.match(text, pos)
                value = bare.group(0) if bare else ""
                pos += len(value)
            entry[name] = value
        entries.append(entry)
    return entries


def items_from_bibtex(path: str | Path, limit: int | None = None) -> list[dict[str, Any]]:
    """Zotero item ``data`` dicts from a BibTeX export (minimal, for loading test libraries)."""
    entries = _bib_entries(Path(path).read_text(encoding="utf-8"))

    class _DB:
        pass

    db = _DB()
    db.entries = entries  # type: ignore[attr-defined]
    items = []
    for entry in db.entries:
        kind = entry.get("ENTRYTYPE", "misc").lower()
        eprint = entry.get("eprint", "")
        is_arxiv = (
            "arxiv"
            in (
                entry.get("archiveprefix", "")
                + entry.get("eprinttype", "")
                + entry.get("publisher", "")
                + entry.get("url", "")
            ).lower()
        )
        item_type = _BIB_TYPES.get(kind, "preprint" if (eprint or is_arxiv) else "document")
        fields = ITEM_TYPES[item_type]
        item: dict[str, Any] = {"itemType": item_type, "title": _clean_tex(entry.get("title", ""))}
        creators = []
        for name in re.split(r"\s+and\s+", entry.get("author", "")):
            name = _clean_tex(name)
            if not name:
                continue
            if "," in name:
                last, first = (p.strip() for p in name.split(",", 1))
                creators.append({"creatorType": "author", "firstName": first, "lastName": last})
            else:
                creators.append({"creatorType": "author", "name": name})
        item["creators"] = creators
        mapping = {
            "abstract": "abstractNote",
            "doi": "DOI",
            "url": "url",
            "journal": "publicationTitle",
            "journaltitle": "publicationTitle",
            "booktitle": "proceedingsTitle" if item_type == "conferencePaper" else "bookTitle",
            "volume": "volume",
            "number": "issue",
            "pages": "pages",
            "publisher": "publisher",
            "issn": "ISSN",
            "isbn": "ISBN",
            "language": "language",
        }
        for bib, zot in mapping.items():
            if entry.get(bib) and zot in fields:
                item[zot] = _clean_tex(entry[bib]) if zot not in ("url", "DOI") else entry[bib].strip()
        date = entry.get("date") or entry.get("year", "")
        if date:
            item["date"] = date.strip()
        if item_type == "preprint" and eprint:
            item["archiveID"] = f"arXiv:{eprint.strip()}"
            item["repository"] = "arXiv"
        keywords = [k.strip() for k in re.split(r"[,;]", entry.get("keywords", "")) if k.strip()]
        item["tags"] = [{"tag": _clean_tex(k)} for k in keywords if _clean_tex(k)]
        item["collections"] = []
        item["relations"] = {}
        items.append(item)
        if limit and len(items) >= limit:
            break
    return items


def arxiv_records(path: str | Path, limit: int | None = None) -> list[dict[str, Any]]:
    """Records of an arXiv JSON-lines corpus file (id, title, summary, authors, published...)."""
    records = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                records.append(json.loads(line))
                if limit and len(records) >= limit:
                    break
    return records


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Loopback Zotero Web API v3 server (tests)")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--load", help="JSON (list of item data dicts, or {items, collections}) or BibTeX file")
    parser.add_argument("--limit", type=int, default=None, help="load at most this many items")
    parser.add_argument("--api-key", default="TESTKEY0123456789abcdefXYZ")
    parser.add_argument("--library-id", default="123456")
    parser.add_argument("--library-type", default="user", choices=["user", "group"])
    parser.add_argument("--local", action="store_true", help="desktop local API semantics under /api")
    parser.add_argument("--local-writes", action="store_true", help="local API accepts writes (Zotero 10+)")
    args = parser.parse_args(argv)
    server = ZoteroServer(
        library_id=args.library_id,
        library_type=args.library_type,
        api_key=args.api_key,
        local=args.local,
        local_writes=args.local_writes,
        port=args.port,
    )
    if args.load:
        path = Path(args.load)
        if path.suffix.lower() == ".bib":
            server.load(items_from_bibtex(path, args.limit))
        else:
            data = json.loads(path.read_text(encoding="utf-8"))
            items = data if isinstance(data, list) else data.get("items", [])
            server.load(
                items[: args.limit] if args.limit else items,
                None if isinstance(data, list) else data.get("collections"),
            )
    server.start()
    print(f"READY {server.endpoint} {len(server.lib.items)} items", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
