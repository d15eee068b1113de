"""Hostile inputs, generated here: every parser answers with a one-line SourceError naming the
source (never a traceback), and read_sources still reads the good sources of the same run."""

from __future__ import annotations

import datetime as dt
import gzip
import os
import random

import pytest

from zotrec.errors import SourceError
from zotrec.sources import FORMATS, MAX_BYTES, parse_bytes, read_source, read_sources

REAL = {
    "arxiv-api": "digests/arxiv-api-atom/query_all-nicotine_2026-07-17.atom.xml",
    "arxiv-feed": "digests/arxiv-rss-atom/cs.AI_2025-08-20_trimmed.atom.xml",
    "journal-rdf": "digests/journal-rss-nature/nature_current_2024-06-20.rss",
    "hf-api": "digests/hf-daily-papers-api/2024-10-01.json",
    "hf-text": "digests/hf-daily-papers-search-dynamics.txt",
    "arxiv-mail": "digests/arxiv-mail/q-fin_daily_2023-03-17.txt",
    "zotero-rdf": "libraries/systemsbio-scalefreegan/My Library.rdf",
    "csl-json": "libraries/biomedoptics-ajaygunalan/My Library.json",
}

EMPTY_FEEDS = {
    "rss2-no-items.xml": b'<?xml version="1.0"?><rss version="2.0"><channel><title>J</title></channel></rss>',
    "atom-no-entries.xml": b'<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><id>x</id></feed>',
    "arxiv-api-zero.xml": (
        b'<feed xmlns="http://www.w3.org/2005/Atom" xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">'
        b"<id>https://arxiv.org/api/q</id><opensearch:totalResults>0</opensearch:totalResults></feed>"
    ),
    "nature-no-items.rss": (
        b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/">'
        b'<channel rdf:about="x"><title>Nature</title></channel></rdf:RDF>'
    ),
    "arxiv-rss-zero.xml": (
        b'<feed xmlns="http://www.w3.org/2005/Atom" xmlns:arxiv="http://arxiv.org/schemas/atom">'
        b"<id>http://rss.arxiv.org/atom/cs.AI</id><title>cs.AI updates on arXiv.org</title></feed>"
    ),
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> dict[str, str]:
    from conftest import SHARED_DATA

    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data not found at {SHARED_DATA}")
    return hostile_corpus(tmp_path_factory.mktemp("hostile"), SHARED_DATA)


def hostile_corpus(tmp_path, shared_data) -> dict[str, str]:
    """name -> path of a generated bad input (the missing file is not created)."""
    rng = random.Random(42)
    files: dict[str, bytes] = {
        "empty.txt": b"",
        "blank.json": b"  \n\t\n",
        "junk.bin": bytes(rng.randrange(256) for _ in range(4096)),
        "junk-printable.txt": "".join(rng.choice("abc xyz;:{}<>") for _ in range(3000)).encode(),
        "latin1.txt": (shared_data / REAL["hf-text"])
        .read_text()
        .replace("Schrödinger", "Schrödinger")
        .encode("latin-1", "replace"),
        "utf16-no-bom.xml": (shared_data / REAL["arxiv-api"]).read_text().encode("utf-16-le"),
        "bad.json": b'[{"paper": {"id": "2409.1", "title": "x"',
        "empty-list.json": b"[]",
        "scalar.json": b"42",
        "no-title.json": b'[{"foo": 1}]',
        "prose.bib": b"This is not a bibliography at all, just prose without entries.\n",
        "broken.jsonl.gz": gzip.compress(b'{"id": "1", "title": "t", "summary": "s"}\n' * 50)[:40],
        "garbage-lines.jsonl": b"{nope\n{still not json\n",
        "page.html": b"<html><head><title>Hi</title></head><body><p>Nothing here</p></body></html>",
        "nested.json": b"[" * 100000 + b"]" * 100000,
        **EMPTY_FEEDS,
    }
    data = (shared_data / REAL["zotero-rdf"]).read_bytes()  # feeds cut off: tests/test_sources_truncated.py
    files["truncated-zotero-rdf.xml"] = data[: len(data) // 2]
    paths = {}
    for name, data in files.items():
        path = tmp_path / name
        path.write_bytes(data)
        paths[name] = str(path)
    big = tmp_path / "huge.txt"
    with open(big, "wb") as fh:  # 50 MB, written sparsely-fast
        fh.truncate(50 * 1024 * 1024)
    paths["huge.txt"] = str(big)
    paths["missing.txt"] = str(tmp_path / "does-not-exist.txt")
    paths["a-directory"] = str(tmp_path)
    return paths


def check_one_line(err: SourceError, spec: str) -> None:
    message = str(err)
    assert message.startswith(f"{spec}: ")
    assert err.source == spec and err.problem
    assert "\n" not in message and len(err.problem) <= 200
    assert "Traceback" not in message


EXPECTED_PROBLEMS = {
    "empty.txt": "empty file",
    "blank.json": "empty (only whitespace)",
    "junk.bin": "binary data, not a text digest",
    "missing.txt": "file not found",
    "a-directory": "is a directory, not a digest file",
    "huge.txt": "too large (52.4 MB; the limit for a digest is 40 MB)",
    "empty-list.json": "JSON list is empty: no papers",
    "rss2-no-items.xml": "feed has no entries",
    "atom-no-entries.xml": "feed has no entries",
    "arxiv-api-zero.xml": "feed has no entries",
    "nature-no-items.rss": "feed has no entries",
    "arxiv-rss-zero.xml": "feed has no entries",
}


def test_every_hostile_input_gives_one_line_error(corpus):
    for name, spec in corpus.items():
        with pytest.raises(SourceError) as info:
            read_source(spec)
        check_one_line(info.value, spec)
        if name in EXPECTED_PROBLEMS:
            assert info.value.problem == EXPECTED_PROBLEMS[name], name
    assert "not UTF-8" in pytest.raises(SourceError, read_source, corpus["latin1.txt"]).value.problem
    problem = pytest.raises(SourceError, read_source, corpus["truncated-zotero-rdf.xml"]).value.problem
    assert problem.startswith("malformed XML"), problem
    assert pytest.raises(SourceError, read_source, corpus["broken.jsonl.gz"]).value.problem.startswith("broken gzip")


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_every_parser_refuses_bad_bytes_cleanly(fmt, corpus, shared_data):
    """Force each parser (format=...) onto every hostile payload: SourceError or papers, nothing else."""
    payloads = {n: open(p, "rb").read() for n, p in corpus.items() if os.path.isfile(p) and n != "huge.txt"}
    for real_fmt, rel in REAL.items():  # the other formats' real files, fed to the wrong parser
        if real_fmt != fmt:
            payloads[f"real-{real_fmt}"] = (shared_data / rel).read_bytes()[:60_000]
    for name, data in payloads.items():
        try:
            papers = parse_bytes(data, name, format=fmt)
        except SourceError as err:
            check_one_line(err, name)
        else:
            assert papers and all(p.title for p in papers), (fmt, name)
    with pytest.raises(SourceError) as info:
        parse_bytes(b"x" * (MAX_BYTES + 1), "big", format=fmt)
    assert info.value.problem.startswith("too large")


def test_read_sources_goes_on_after_bad_sources(corpus, shared_data):
    good = [str(shared_data / REAL["hf-api"]), str(shared_data / REAL["arxiv-mail"])]
    specs = [good[0], *corpus.values(), good[1]]
    papers, reports = read_sources(specs, digest_date=dt.date(2025, 12, 15))
    assert len(papers) == 11 + 16
    assert [r.count for r in reports if r.error is None] == [11, 16]
    bad = [r for r in reports if r.error]
    assert len(bad) == len(corpus)
    assert all(r.count == 0 and "\n" not in r.error for r in bad)


def test_xml_entity_attacks_are_harmless(tmp_path):
    laughs = "".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(2, 10))
    bomb = (
        f'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY lol1 "lol">{laughs}]>'
        '<rss version="2.0"><channel><item><title>&lol9;</title></item></channel></rss>'
    ).encode()
    with pytest.raises(SourceError) as info:
        parse_bytes(bomb, "bomb.xml")
    assert info.value.problem.startswith("malformed XML")
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    xxe = (
        f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file://{secret}">]>'
        '<rss version="2.0"><channel><item><title>A &xxe; title</title><link>https://x.org/1</link>'
        "</item></channel></rss>"
    ).encode()
    for fmt in ("feed", "journal-rdf", "arxiv-api", "arxiv-feed", "zotero-rdf"):
        try:
            papers = parse_bytes(xxe, "xxe.xml", format=fmt)
        except SourceError:
            continue
        assert all("TOP-SECRET" not in str(p.to_json()) for p in papers)


def test_a_truncated_json_digest_names_where_it_stops(tmp_path):
    """A download cut inside a string: json's own wording and position, read as one sentence."""
    path = tmp_path / "daily_papers.json"
    path.write_bytes(b'[{"paper": {"id": "2410.00001",\n  "title": "A cut-off tit')
    problem = pytest.raises(SourceError, read_source, str(path)).value.problem
    assert problem == "invalid JSON (Unterminated string starting at: line 2 column 12)"
