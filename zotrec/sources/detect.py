"""Guess a digest's format from its first bytes (and its name as a tie-breaker)."""

from __future__ import annotations

import json
import re
from typing import Any

from zotrec.sources.common import ParseProblem

# format name -> module name under zotrec.sources (each has ``parse(text, source, options)``)
FORMATS = {
    "hf-text": "hf_text",
    "hf-html": "hf_html",
    "hf-api": "hf_api",
    "arxiv-feed": "arxiv_feed",
    "arxiv-api": "arxiv_api",
    "arxiv-mail": "arxiv_mail",
    "journal-rdf": "journal_rdf",
    "feed": "generic_feed",
    "arxiv-jsonl": "arxiv_jsonl",
    "arxiv-csv": "arxiv_csv",
    "bibtex": "bibtex",
    "ris": "ris",
    "csl-json": "csl_json",
    "zotero-rdf": "zotero_rdf",
    "bbt-json": "bbt_json",
}

_BIBTEX = re.compile(r"^\s*@\s*[A-Za-z]+\s*[{(]", re.MULTILINE)
_RIS = re.compile(r"^TY  - ", re.MULTILINE)
_MAIL = re.compile(r"^\\\\\s*$\s*^arXiv:\S+", re.MULTILINE)


def _json_kind(text: str, name: str) -> str:
    stripped = text.lstrip()
    if stripped.startswith("{") and "\n" in stripped.strip():
        # JSON lines: several objects, one a line
        first = stripped.split("\n", 1)[0].strip()
        try:
            obj = json.loads(first)
        except ValueError:
            obj = None
        if isinstance(obj, dict) and not _parses_whole(stripped):
            if "paper" in obj and isinstance(obj["paper"], dict):
                return "hf-api"
            if (
                any(k in obj for k in ("itemType", "type"))
                and "id" in obj
                and "abstract" in obj
                and "summary" not in obj
            ):
                return "csl-json"
            return "arxiv-jsonl"
    try:
        data = json.loads(stripped)
    except json.JSONDecodeError as err:
        if name.endswith((".jsonl", ".ndjson")):
            return "arxiv-jsonl"
        raise ParseProblem(f"invalid JSON ({err.msg}: line {err.lineno} column {err.colno})") from None
    from zotrec.sources import bbt_json

    if bbt_json.looks_like(data):
        return "bbt-json"
    items: list[Any] = data if isinstance(data, list) else [data]
    if isinstance(data, dict):
        for key in ("dailyPapers", "items", "papers", "data"):
            if isinstance(data.get(key), list):
                items = data[key]
                break
    record = next((x for x in items if isinstance(x, dict)), None)
    if record is None:
        if isinstance(data, list) and not data:
            raise ParseProblem("JSON list is empty: no papers")
        raise ParseProblem("JSON holds no objects that could be papers")
    if "paper" in record and isinstance(record["paper"], dict):
        return "hf-api"
    if "type" in record and ("author" in record or "issued" in record or "container-title" in record):
        return "csl-json"
    if "summary" in record and "id" in record:
        return "arxiv-jsonl"
    if "title" in record and "type" in record:
        return "csl-json"
    if "title" in record and "summary" in record:
        return "hf-api"
    if "title" in record:
        return "arxiv-jsonl"
    raise ParseProblem("JSON format not recognised (no title fields)")


def _parses_whole(text: str) -> bool:
    try:
        json.loads(text)
        return True
    except ValueError:
        return False


def _xml_kind(head: str, text: str) -> str:
    low = head.lower()
    if "<html" in low or "<!doctype html" in low:
        return "hf-html"
    if "zotero.org/namespaces/export" in low:
        return "zotero-rdf"
    if "<rdf:rdf" in low or "purl.org/rss/1.0" in low:
        return "journal-rdf"
    if "arxiv.org/api" in low or "opensearch" in low and "arxiv" in low:
        return "arxiv-api"
    if "arxiv:announce_type" in text or "rss.arxiv.org" in low:
        return "arxiv-feed"
    if re.search(r"<(rss|feed|rdf)\b", low):
        return "feed"
    if "<" in low:
        return "feed"  # let the feed parser say what is wrong
    raise ParseProblem("format not recognised")


def detect_format(text: str, name: str = "") -> str:
    """Return a format name of :data:`FORMATS` for decoded ``text`` (``name`` helps with ties)."""
    stripped = text.lstrip("\ufeff \t\r\n")
    if not stripped:
        raise ParseProblem("empty (only whitespace)")
    head = stripped[:6000]
    lname = name.lower()
    if stripped[0] in "[{":
        return _json_kind(stripped, lname)
    if stripped.startswith("<"):
        return _xml_kind(head, stripped[:200000])
    if _RIS.search(head):
        return "ris"
    if _MAIL.search(stripped[:200000]) or re.search(r"^arXiv:\d{4}\.\d{4,5}", head, re.MULTILINE) and "Title:" in head:
        return "arxiv-mail"
    from zotrec.sources import arxiv_csv

    if arxiv_csv.sniff(head):
        return "arxiv-csv"
    if lname.endswith((".bib", ".bibtex")) or _BIBTEX.search(head):
        return "bibtex"
    from zotrec.sources import hf_text

    if hf_text.sniff(stripped):
        return "hf-text"
    raise ParseProblem(
        "format not recognised (expected a feed, HTML, JSON, JSON lines, CSV, BibTeX, RIS, "
        "an arXiv listing e-mail or a Hugging Face page as text)"
    )
