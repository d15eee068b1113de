"""``--enrich``: find arXiv ids for papers that lack identifiers by looking their titles up in
the arXiv API, politely (at most one request every 3 s, several titles a request), with a cache.

A failed lookup leaves the paper as it was. The endpoint can be overridden with the environment
variable ``ZOTREC_ARXIV_API`` (tests point it at a loopback server).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import pathlib
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from zotrec import paths
from zotrec.errors import SourceError
from zotrec.paper import Paper
from zotrec.sources import arxiv_api
from zotrec.sources.common import Options, ParseProblem, decode
from zotrec.sources.fetch import request

log = logging.getLogger(__name__)

ENDPOINT = "https://export.arxiv.org/api/query"
MIN_INTERVAL = 3.0  # seconds between two requests, as arXiv asks
BATCH = 10  # titles a request (joined with OR)
NEGATIVE_TTL_DAYS = 7  # re-ask for a title that was not found after this long
MATCH_RATIO = 95  # rapidfuzz ratio of normalised titles that counts as the same paper


def endpoint() -> str:
    from zotrec.config import ARXIV_API_ENV, environ

    return environ(ARXIV_API_ENV) or ENDPOINT


class RateLimiter:
    """At most one call of :meth:`wait` returns every ``interval`` seconds (process-wide)."""

    def __init__(
        self,
        interval: float = MIN_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval, self.clock, self.sleep = interval, clock, sleep
        self._last: float | None = None
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:
            if self._last is not None:
                delay = self._last + self.interval - self.clock()
                if delay > 0:
                    self.sleep(delay)
            self._last = self.clock()


LIMITER = RateLimiter()


@dataclass
class EnrichReport:
    candidates: int = 0  # papers without arXiv id and DOI
    matched: int = 0
    from_cache: int = 0
    requests: int = 0
    errors: list[str] = field(default_factory=list)


class TitleCache:
    """norm title -> arXiv record (dict) or a dated 'not found', in one JSON file."""

    def __init__(self, path: pathlib.Path) -> None:
        self.path = path
        try:
            self.data: dict = json.loads(path.read_text())
        except (OSError, ValueError):
            self.data = {}

    def get(self, key: str) -> tuple[bool, dict | None]:
        entry = self.data.get(key)
        if not entry:
            return False, None
        if entry.get("found"):
            return True, entry["found"]
        checked = dt.date.fromisoformat(entry.get("checked", "1970-01-01"))
        return (dt.date.today() - checked).days < NEGATIVE_TTL_DAYS, None

    def put(self, key: str, record: dict | None) -> None:
        self.data[key] = {"found": record, "checked": dt.date.today().isoformat()}

    def save(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(self.data))
            os.replace(tmp, self.path)
        except OSError as err:
            log.warning("cannot write the enrichment cache %s: %s", self.path, err)


def _query_url(titles: list[str], base: str) -> str:
    terms = " OR ".join(f'ti:"{t}"' for t in titles)
    query = urllib.parse.urlencode({"search_query": terms, "start": 0, "max_results": max(5, 3 * len(titles))})
    return f"{base}?{query}"


def _record(paper: Paper) -> dict:
    return {
        "title": paper.title,
        "arxiv_id": paper.arxiv_id,
        "arxiv_version": paper.arxiv_version,
        "authors": paper.authors,
        "categories": paper.categories,
        "doi": paper.doi,
        "abstract": paper.abstract,
        "date": paper.date.isoformat() if paper.date else None,
        "journal": paper.journal,
    }


def _apply(paper: Paper, record: dict) -> None:
    """Fill what the paper lacks from the arXiv record; never overwrite what the digest said."""
    paper.arxiv_id = record["arxiv_id"]
    paper.arxiv_version = paper.arxiv_version or record.get("arxiv_version")
    paper.doi = paper.doi or record.get("doi")
    paper.authors = paper.authors or list(record.get("authors") or [])
    paper.categories = paper.categories or list(record.get("categories") or [])
    paper.abstract = paper.abstract or record.get("abstract") or ""
    paper.journal = paper.journal or record.get("journal")
    if paper.date is None and record.get("date"):
        paper.date = dt.date.fromisoformat(record["date"])
    paper.extras["enriched"] = "arxiv"


def _best(title_key: str, found: list[Paper]) -> Paper | None:
    best, score = None, 0.0
    for candidate in found:
        ratio = fuzz.ratio(title_key, candidate.norm_title)
        if ratio > score:
            best, score = candidate, ratio
    return best if score >= MATCH_RATIO else None


def enrich_papers(
    papers: list[Paper],
    *,
    cache_dir: pathlib.Path | None = None,
    limiter: RateLimiter | None = None,
    batch_size: int = BATCH,
    attempts: int = 2,
    timeout: float = 20.0,
) -> EnrichReport:
    """Look up papers without arXiv id and DOI by title; fill ids and missing fields in place."""
    limiter = limiter or LIMITER
    cache = TitleCache(pathlib.Path(cache_dir or paths.cache_dir()) / "arxiv-titles.json")
    report = EnrichReport()
    todo: dict[str, list[Paper]] = {}
    for paper in papers:
        if paper.arxiv_id or paper.doi or len(paper.norm_title) < 12:
            continue
        report.candidates += 1
        known, record = cache.get(paper.norm_title)
        if known:
            report.from_cache += 1
            if record:
                _apply(paper, record)
                report.matched += 1
            continue
        todo.setdefault(paper.norm_title, []).append(paper)
    keys = list(todo)
    base = endpoint()
    failures = 0
    for start in range(0, len(keys), max(1, batch_size)):
        batch = keys[start : start + batch_size]
        url = _query_url(batch, base)
        limiter.wait()
        report.requests += 1
        try:
            _, body, _ = request(
                url, attempts=attempts, backoff=MIN_INTERVAL, timeout=timeout, source="arXiv API", sleep=limiter.sleep
            )
            found = arxiv_api.parse(decode(body), "arXiv API", Options())
        except (SourceError, ParseProblem) as err:
            message = str(err) if isinstance(err, SourceError) else f"arXiv API: {err}"
            if "feed has no entries" in message:
                found = []
            else:
                report.errors.append(message)
                log.warning("enrichment lookup failed: %s", message)
                failures += 1
                if failures >= 2:
                    break  # the service is down: stop asking, keep the papers as they are
                continue
        for key in batch:
            match = _best(key, found)
            record = _record(match) if match else None
            cache.put(key, record)
            if record:
                for paper in todo[key]:
                    _apply(paper, record)
                    report.matched += 1
    cache.save()
    return report
