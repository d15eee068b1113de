"""Fetching digest URLs from a real HTTP server on 127.0.0.1: retries, Retry-After, conditional GET."""

from __future__ import annotations

import datetime as dt
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from zotrec.errors import SourceError
from zotrec.sources import read_source, read_sources
from zotrec.sources.common import MAX_BYTES
from zotrec.sources.fetch import fetch_result


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:
        """A client that hangs up early (zotrec stops reading a body past its size cap) is expected."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class Server:
    """A loopback server: ``routes[path]`` is a list of (status, headers, body) served in turn
    (the last one repeats); a route with an ETag answers 304 to a matching If-None-Match."""

    def __init__(self) -> None:
        self.routes: dict[str, list[tuple[int, dict, bytes]]] = {}
        self.requests: list[tuple[str, dict]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                outer.requests.append((self.path, dict(self.headers)))
                script = outer.routes.get(self.path.split("?")[0])
                if not script:
                    self.send_response(404)
                    self.end_headers()
                    return
                status, headers, body = script.pop(0) if len(script) > 1 else script[0]
                etag = headers.get("ETag")
                if status == 200 and etag and self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                lm = headers.get("Last-Modified")
                if status == 200 and lm and not etag and self.headers.get("If-Modified-Since") == lm:
                    self.send_response(304)
                    self.end_headers()
                    return
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                if "Content-Length" not in headers:  # a route may announce more than it sends (a cut)
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = _QuietServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def count(self, path: str) -> int:
        return sum(1 for p, _ in self.requests if p.split("?")[0] == path)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    srv = Server()
    yield srv
    srv.close()


@pytest.fixture
def seed_bytes(shared_data):
    return (shared_data / "digests/hf-daily-papers-search-dynamics.txt").read_bytes()


def test_url_parses_like_a_file_and_sets_source(server, seed_bytes, tmp_path):
    server.routes["/hf.txt"] = [(200, {"ETag": '"v1"'}, seed_bytes)]
    url = server.url("/hf.txt")
    papers = read_source(url, digest_date=dt.date(2025, 12, 15), cache_dir=tmp_path)
    assert len(papers) == 38 and all(p.source == url for p in papers)


def test_conditional_get_with_etag(server, seed_bytes, tmp_path):
    server.routes["/d.txt"] = [(200, {"ETag": '"abc"'}, seed_bytes)]
    url = server.url("/d.txt")
    first = fetch_result(url, cache_dir=tmp_path)
    assert (first.status, first.from_cache) == (200, False)
    second = fetch_result(url, cache_dir=tmp_path)
    assert (second.status, second.from_cache) == (304, True)
    assert second.body == seed_bytes
    assert server.count("/d.txt") == 2
    assert server.requests[1][1].get("If-None-Match") == '"abc"'
    assert "If-None-Match" not in server.requests[0][1]


def test_conditional_get_with_last_modified(server, seed_bytes, tmp_path):
    lm = "Wed, 21 Oct 2025 07:28:00 GMT"
    server.routes["/lm.txt"] = [(200, {"Last-Modified": lm}, seed_bytes)]
    url = server.url("/lm.txt")
    assert fetch_result(url, cache_dir=tmp_path).from_cache is False
    again = fetch_result(url, cache_dir=tmp_path)
    assert again.from_cache is True and again.body == seed_bytes
    assert server.requests[-1][1].get("If-Modified-Since") == lm


def test_default_cache_dir_under_zotrec_cache(server, seed_bytes, isolated_dirs):
    server.routes["/c.txt"] = [(200, {"ETag": '"x"'}, seed_bytes)]
    fetch_result(server.url("/c.txt"))
    assert list((isolated_dirs / "cache" / "http").glob("*.body"))


def test_retry_on_503_honours_retry_after(server, seed_bytes, tmp_path):
    server.routes["/busy"] = [
        (503, {"Retry-After": "7"}, b"busy"),
        (429, {}, b"slow down"),
        (200, {}, seed_bytes),
    ]
    waits: list[float] = []
    result = fetch_result(server.url("/busy"), cache_dir=tmp_path, backoff=0.5, sleep=waits.append)
    assert result.body == seed_bytes and result.attempts == 3
    assert waits == [7.0, 1.0]  # Retry-After first, then exponential backoff 0.5 * 2
    assert server.count("/busy") == 3


def test_a_retry_after_beyond_the_limit_is_refused_with_one_line(server, tmp_path):
    server.routes["/cap"] = [(503, {"Retry-After": "3600"}, b""), (200, {}, b"x")]
    waits: list[float] = []
    with pytest.raises(SourceError) as info:
        fetch_result(server.url("/cap"), cache_dir=tmp_path, sleep=waits.append)
    assert waits == [] and server.count("/cap") == 1  # not obeyed, not retried at once either
    assert info.value.problem == (
        "HTTP 503 Service Unavailable: the server asks zotrec to wait 3600 s, "
        "longer than the 60 s it waits; try again later"
    )
    server.routes["/short"] = [(503, {"Retry-After": "2"}, b""), (200, {}, b"x")]
    fetch_result(server.url("/short"), cache_dir=tmp_path, sleep=waits.append)
    assert waits == [2.0]  # a wait within the limit is obeyed


def test_bounded_retries_then_one_line_error(server, tmp_path):
    server.routes["/down"] = [(500, {}, b"oops")]
    url = server.url("/down")
    with pytest.raises(SourceError) as info:
        fetch_result(url, cache_dir=tmp_path, attempts=3, sleep=lambda s: None)
    assert str(info.value) == f"{url}: HTTP 500 Internal Server Error (gave up after 3 attempts)"
    assert server.count("/down") == 3


def test_404_is_not_retried(server, tmp_path):
    url = server.url("/missing")
    with pytest.raises(SourceError) as info:
        read_source(url, cache_dir=tmp_path)
    assert info.value.problem == "HTTP 404 Not Found"
    assert server.count("/missing") == 1


def test_connection_refused(tmp_path):
    srv = Server()
    url = srv.url("/gone")
    srv.close()
    with pytest.raises(SourceError) as info:
        fetch_result(url, cache_dir=tmp_path, attempts=2, sleep=lambda s: None)
    assert info.value.problem.startswith("cannot connect")
    assert "\n" not in str(info.value)


def test_too_large_download_refused(server, tmp_path):
    server.routes["/big"] = [(200, {}, b"x" * (MAX_BYTES + 10))]
    with pytest.raises(SourceError) as info:
        fetch_result(server.url("/big"), cache_dir=tmp_path)
    assert "too large" in info.value.problem and "40 MB" in info.value.problem


def test_read_sources_mixes_urls_and_files(server, seed_bytes, tmp_path, shared_data):
    server.routes["/ok.txt"] = [(200, {}, seed_bytes)]
    specs = [
        server.url("/ok.txt"),
        server.url("/nope"),
        str(shared_data / "digests/hf-daily-papers-api/2024-10-01.json"),
    ]
    papers, reports = read_sources(specs, cache_dir=tmp_path, digest_date=dt.date(2025, 12, 15))
    assert [r.count for r in reports] == [38, 0, 11]
    assert reports[1].error == "HTTP 404 Not Found"
    assert len(papers) == 49


def test_a_download_that_breaks_off_says_so(server, seed_bytes, tmp_path):
    """The server announces the whole file and closes after part of it: not "cannot connect"."""
    server.routes["/cut.txt"] = [(200, {"Content-Length": str(len(seed_bytes))}, seed_bytes[:5000])]
    with pytest.raises(SourceError) as info:
        fetch_result(server.url("/cut.txt"), cache_dir=tmp_path, attempts=3, sleep=lambda s: None)
    assert info.value.problem.startswith("the download broke off after 5,000 bytes"), info.value.problem
    assert info.value.problem.endswith("(gave up after 3 attempts)") and "cannot connect" not in info.value.problem
