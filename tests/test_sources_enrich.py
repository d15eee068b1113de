"""--enrich: arXiv title look-ups against a loopback arXiv API server (rate limit, cache, failures)."""

from __future__ import annotations

import datetime as dt
import re
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape

import pytest

from zotrec.paper import normalize_title
from zotrec.sources import read_source, read_sources
from zotrec.sources.enrich import RateLimiter, enrich_papers

# Real arXiv ids of three papers of the seed digest.
CATALOGUE = {
    "Limits and Powers of Koopman Learning": (
        "2405.08864v1",
        ["Matthew J. Colbrook", "Igor Mezić", "Alexei Stepanenko"],
    ),
    "Generalized Teacher Forcing for Learning Chaotic Dynamics": (
        "2306.04406v2",
        ["Florian Hess", "Zahra Monfared", "Manuel Brenner", "Daniel Durstewitz"],
    ),
    "On Neural Differential Equations": ("2202.02435v1", ["Patrick Kidger"]),
}
BY_KEY = {normalize_title(t): (t, *v) for t, v in CATALOGUE.items()}


def atom(entries: list[tuple[str, str, list[str]]]) -> bytes:
    body = "".join(
        f"<entry><id>http://arxiv.org/abs/{aid}</id><title>{escape(title)}</title>"
        f"<summary>Abstract of {escape(title)}.</summary><published>2024-05-14T17:59:00Z</published>"
        + "".join(f"<author><name>{escape(a)}</name></author>" for a in authors)
        + '<arxiv:primary_category term="cs.LG"/><category term="cs.LG"/><category term="math.DS"/></entry>'
        for title, aid, authors in entries
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom" '
        'xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">'
        f"<id>https://arxiv.org/api/x</id><title>arXiv Query</title><opensearch:totalResults>{len(entries)}"
        f"</opensearch:totalResults>{body}</feed>"
    ).encode()


class ArxivServer:
    def __init__(self) -> None:
        self.queries: list[str] = []
        self.fail = False
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                query = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)["search_query"][0]
                outer.queries.append(query)
                if outer.fail:
                    self.send_response(503)
                    self.end_headers()
                    return
                found = [
                    BY_KEY[normalize_title(t)]
                    for t in re.findall(r'ti:"([^"]+)"', query)
                    if normalize_title(t) in BY_KEY
                ]
                data = atom(found)
                self.send_response(200)
                self.send_header("Content-Type", "application/atom+xml")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/api/query"


@pytest.fixture
def arxiv(monkeypatch):
    server = ArxivServer()
    monkeypatch.setenv("ZOTREC_ARXIV_API", server.url)
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()


class FakeClock:
    """A clock that only moves when someone sleeps: records every wait without waiting."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def seed_papers(shared_data):
    return read_source(
        str(shared_data / "digests/hf-daily-papers-search-dynamics.txt"), digest_date=dt.date(2025, 12, 15)
    )


def test_enrich_fills_ids_politely_and_caches(arxiv, seed_papers, tmp_path):
    fake = FakeClock()
    limiter = RateLimiter(3.0, clock=fake.clock, sleep=fake.sleep)
    report = enrich_papers(seed_papers, cache_dir=tmp_path, limiter=limiter)
    # 38 titles, 10 a request -> 4 requests, each at least 3 s after the previous one
    assert report.candidates == 38 and report.requests == 4 == len(arxiv.queries)
    assert fake.sleeps == [3.0, 3.0, 3.0]
    assert report.matched == 3 and not report.errors
    koopman = next(p for p in seed_papers if p.title == "Limits and Powers of Koopman Learning")
    assert (koopman.arxiv_id, koopman.arxiv_version) == ("2405.08864", "v1")
    assert koopman.authors == ["Matthew J. Colbrook", "Igor Mezić", "Alexei Stepanenko"]
    assert koopman.categories == ["cs.LG", "math.DS"] and koopman.extras["enriched"] == "arxiv"
    assert koopman.date == dt.date(2024, 7, 8)  # the digest's own date is kept
    assert koopman.abstract.startswith("Dynamical systems provide")  # and its abstract
    untouched = next(p for p in seed_papers if p.title == "The Principles of Diffusion Models")
    assert untouched.arxiv_id is None and "enriched" not in untouched.extras

    # a second run answers everything from the cache: no request at all
    again = read_source(str(seed_papers[0].source), digest_date=dt.date(2025, 12, 15))
    report2 = enrich_papers(again, cache_dir=tmp_path, limiter=limiter)
    assert report2.requests == 0 and report2.from_cache == 38 and report2.matched == 3
    assert len(arxiv.queries) == 4


def test_failed_lookup_keeps_papers(arxiv, seed_papers, tmp_path):
    arxiv.fail = True
    fake = FakeClock()
    before = [p.to_json() for p in seed_papers]
    report = enrich_papers(seed_papers, cache_dir=tmp_path, limiter=RateLimiter(3.0, fake.clock, fake.sleep))
    assert [p.to_json() for p in seed_papers] == before
    assert report.matched == 0 and len(report.errors) == 2  # stops after two failed batches
    assert report.errors[0].startswith("arXiv API: HTTP 503")
    # failures are not cached: the next run asks again
    arxiv.fail = False
    report = enrich_papers(seed_papers, cache_dir=tmp_path, limiter=RateLimiter(3.0, fake.clock, fake.sleep))
    assert report.matched == 3


def test_read_sources_enrich_dedupes_after_lookup(arxiv, shared_data, tmp_path, monkeypatch):
    import zotrec.sources.enrich as enrich_mod

    fake = FakeClock()
    monkeypatch.setattr(enrich_mod, "LIMITER", RateLimiter(3.0, fake.clock, fake.sleep))
    jsonl = tmp_path / "one.jsonl"
    jsonl.write_text('{"id": "2202.02435", "title": "On neural differential equations (thesis)", "summary": "s"}\n')
    seed = str(shared_data / "digests/hf-daily-papers-search-dynamics.txt")
    papers, reports = read_sources(
        [seed, str(jsonl)], enrich=True, cache_dir=tmp_path, digest_date=dt.date(2025, 12, 15)
    )
    assert [r.count for r in reports] == [38, 1]
    # "On Neural Differential Equations" got arXiv id 2202.02435 and is the same as the JSON line
    assert len(papers) == 38
    assert sum(1 for p in papers if p.arxiv_id) == 3
