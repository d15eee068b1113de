"""Fetch a digest URL: timeouts, bounded retry with backoff (429/5xx, Retry-After), and a local
cache with conditional GET (ETag / Last-Modified) so an unchanged digest is not downloaded again.

Two clocks bound a fetch: ``timeout`` for each read (a silent server) and ``deadline`` for the
whole fetch, retries and waits included (a server that trickles one byte every few seconds never
trips a per-read timeout). A server that asks for a longer wait than :data:`MAX_WAIT` is not obeyed:
the source fails with a line naming the wait it refused, and the run goes on with the others.

The cache lives under ``cache_dir`` (default ``zotrec.paths.cache_dir() / "http"``): one
``<sha256(url)>.body`` file and one ``.json`` file with the validators a URL.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import os
import pathlib
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx2

from zotrec import paths
from zotrec.sources.common import MAX_BYTES, one_line, source_error

TIMEOUT = 20.0  # seconds, connect and read
DEADLINE = 60.0  # seconds for a whole fetch, retries included (sources.timeout)
ATTEMPTS = 4  # tries in all for 429/5xx and network errors
BACKOFF = 1.0  # first wait in seconds; doubles each retry
MAX_WAIT = 60.0  # never sleep longer than this for one retry, whatever Retry-After says
RETRY_STATUS = {429, 500, 502, 503, 504}
USER_AGENT = "zotrec/0.1 (paper recommendations for Zotero)"


@dataclass
class FetchResult:
    url: str
    body: bytes
    status: int  # 200, or 304 when the cached copy was confirmed
    from_cache: bool
    attempts: int


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _cache_paths(cache_dir: pathlib.Path, url: str) -> tuple[pathlib.Path, pathlib.Path]:
    key = hashlib.sha256(url.encode("utf-8")).hexdigest()
    return cache_dir / f"{key}.body", cache_dir / f"{key}.json"


def _write_atomic(path: pathlib.Path, data: bytes) -> None:
    tmp = path.with_suffix(path.suffix + f".{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def request(
    url: str,
    *,
    headers: dict[str, str] | None = None,
    timeout: float = TIMEOUT,
    attempts: int = ATTEMPTS,
    backoff: float = BACKOFF,
    sleep: Callable[[float], None] = time.sleep,
    source: str | None = None,
    deadline: float = DEADLINE,
) -> tuple[httpx2.Response, bytes, int]:
    """GET ``url`` with bounded retries; return (response, body, attempts used).

    Raises :class:`SourceError` (naming ``source`` or the URL) when every attempt failed, the
    server answered with an error that retrying cannot fix, asked for a wait longer than
    :data:`MAX_WAIT`, or the whole fetch took longer than ``deadline`` seconds.
    """
    name = source or url
    all_headers = {"User-Agent": USER_AGENT, **(headers or {})}
    problem = "no attempt made"
    end = time.monotonic() + deadline
    late = f"no complete answer within {deadline:g} s (sources.timeout)"
    with httpx2.Client(timeout=timeout, follow_redirects=True, headers=all_headers) as client:
        for attempt in range(1, max(1, attempts) + 1):
            wait = backoff * 2 ** (attempt - 1)
            left = end - time.monotonic()
            if left <= 0:
                raise source_error(name, f"{late}; last problem: {problem}")
            size = 0  # bytes of the body received in this attempt
            try:
                with client.stream("GET", url, timeout=min(timeout, left)) as response:
                    if response.status_code in RETRY_STATUS:
                        problem = f"HTTP {response.status_code} {response.reason_phrase}".strip()
                        hinted = _retry_after(response.headers.get("Retry-After"))
                        if hinted is not None and hinted > MAX_WAIT:
                            raise source_error(
                                name,
                                f"{problem}: the server asks zotrec to wait {hinted:.0f} s, "
                                f"longer than the {MAX_WAIT:g} s it waits; try again later",
                            )
                        wait = hinted if hinted is not None else wait
                    elif response.status_code >= 400:
                        raise source_error(name, f"HTTP {response.status_code} {response.reason_phrase}".strip())
                    else:
                        length = response.headers.get("Content-Length")
                        if length and length.isdigit() and int(length) > MAX_BYTES:
                            raise source_error(name, _too_large(int(length)))
                        chunks = []
                        for chunk in response.iter_bytes():
                            if time.monotonic() > end:
                                raise source_error(name, f"{late} (still receiving after {size:,} bytes)")
                            size += len(chunk)
                            if size > MAX_BYTES:
                                raise source_error(name, _too_large(size, partial=True))
                            chunks.append(chunk)
                        return response, b"".join(chunks), attempt
            except httpx2.TimeoutException:
                problem = f"timed out after {timeout:g} s"
            except httpx2.TransportError as err:
                reason = one_line(err, 100) or type(err).__name__
                problem = (
                    f"the download broke off after {size:,} bytes ({reason})" if size else f"cannot connect ({reason})"
                )
            except httpx2.InvalidURL as err:
                raise source_error(name, f"invalid URL ({one_line(err, 100)})") from None
            if attempt < attempts:
                wait = min(MAX_WAIT, max(0.0, wait))
                if wait >= end - time.monotonic():
                    raise source_error(name, f"{late}; last problem: {problem}")
                sleep(wait)
    raise source_error(name, f"{problem} (gave up after {attempts} attempts)")


def _too_large(size: int, partial: bool = False) -> str:
    limit = MAX_BYTES // (1024 * 1024)
    more = "more than " if partial else ""
    return f"too large ({more}{size / 1e6:.1f} MB; the limit for a digest is {limit} MB)"


def fetch_result(
    url: str,
    *,
    cache_dir: pathlib.Path | None = None,
    use_cache: bool = True,
    timeout: float = TIMEOUT,
    attempts: int = ATTEMPTS,
    backoff: float = BACKOFF,
    sleep: Callable[[float], None] = time.sleep,
    deadline: float = DEADLINE,
) -> FetchResult:
    """Fetch ``url`` through the conditional-GET cache."""
    cache = pathlib.Path(cache_dir) if cache_dir else paths.cache_dir() / "http"
    body_path, meta_path = _cache_paths(cache, url)
    headers: dict[str, str] = {}
    meta: dict = {}
    if use_cache and body_path.exists() and meta_path.exists():
        try:
            meta = json.loads(meta_path.read_text())
        except (OSError, ValueError):
            meta = {}
        if meta.get("etag"):
            headers["If-None-Match"] = meta["etag"]
        if meta.get("last_modified"):
            headers["If-Modified-Since"] = meta["last_modified"]
    response, body, used = request(
        url, headers=headers, timeout=timeout, attempts=attempts, backoff=backoff, sleep=sleep, deadline=deadline
    )
    if response.status_code == 304 and headers:
        try:
            return FetchResult(url, body_path.read_bytes(), 304, True, used)
        except OSError:  # cache vanished between the check and now: fetch unconditionally
            return fetch_result(
                url,
                cache_dir=cache,
                use_cache=False,
                timeout=timeout,
                attempts=attempts,
                backoff=backoff,
                sleep=sleep,
                deadline=deadline,
            )
    if use_cache and (response.headers.get("ETag") or response.headers.get("Last-Modified")):
        try:
            cache.mkdir(parents=True, exist_ok=True)
            _write_atomic(body_path, body)
            meta = {
                "url": url,
                "etag": response.headers.get("ETag"),
                "last_modified": response.headers.get("Last-Modified"),
                "fetched_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            }
            _write_atomic(meta_path, json.dumps(meta).encode())
        except OSError:
            pass  # a cache we cannot write is not an error
    return FetchResult(url, body, response.status_code, False, used)


def fetch(url: str, *, cache_dir: pathlib.Path | None = None, **options) -> bytes:
    """The body of ``url`` (from the cache when the server says it has not changed)."""
    return fetch_result(url, cache_dir=cache_dir, **options).body
