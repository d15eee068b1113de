"""arXiv metadata as JSON lines (daily-arXiv corpora, Kaggle arXiv snapshot); also .jsonl.gz."""

from __future__ import annotations

import json
import re
from typing import Any

from zotrec.paper import Paper, arxiv_version, normalize_arxiv_id, normalize_doi
from zotrec.sources.common import Options, ParseProblem, one_line, parse_date
from zotrec.text import clean_text

NAME = "arxiv-jsonl"

_CATEGORY = re.compile(r"^[a-z-]+(\.[A-Za-z-]+)?$")


def _authors(value: Any) -> list[str]:
    if isinstance(value, list):
        names = []
        for a in value:
            if isinstance(a, str):
                names.append(a)
            elif isinstance(a, list):  # Kaggle authors_parsed: [last, first, suffix]
                names.append(" ".join(x for x in (a[1:2] + a[:1] + a[2:3]) if x))
            elif isinstance(a, dict) and a.get("name"):
                names.append(a["name"])
        return [clean_text(n) for n in names if n and n.strip()]
    if isinstance(value, str):
        names = [n.strip() for n in re.split(r",\s*(?:and\s+)?|\s+and\s+", value) if n.strip()]
        return [clean_text(n) for n in names]
    return []


def _categories(value: Any) -> list[str]:
    items = value.split() if isinstance(value, str) else list(value or [])
    return [c for c in items if isinstance(c, str) and _CATEGORY.match(c)]


def record_to_paper(rec: dict, source: str) -> Paper | None:
    title = rec.get("title")
    if not title:
        return None
    raw_id = str(rec.get("id") or rec.get("arxiv_id") or "")
    versions = rec.get("versions") or []
    version = arxiv_version(raw_id)
    if not version and versions and isinstance(versions[-1], dict):
        version = versions[-1].get("version")
    date = parse_date(rec.get("published") or rec.get("date"))
    if not date and versions and isinstance(versions[0], dict):
        date = parse_date(versions[0].get("created"))  # first submission
    date = date or parse_date(rec.get("update_date"))
    extras = {}
    for key in ("comment", "comments", "journal-ref", "AI"):
        if rec.get(key) and key != "journal-ref":
            extras[key.replace("-", "_").lower()] = rec[key]
    return Paper(
        title=title,
        abstract=rec.get("summary") or rec.get("abstract") or "",
        authors=_authors(rec.get("authors_parsed") or rec.get("authors")),
        date=date,
        arxiv_id=normalize_arxiv_id(raw_id) or (raw_id or None),
        arxiv_version=version,
        doi=normalize_doi(rec.get("doi")),
        url=rec.get("abs") or (f"https://arxiv.org/abs/{raw_id}" if raw_id else None),
        source=source,
        categories=_categories(rec.get("categories")),
        journal=rec.get("journal-ref") or None,
        item_type="preprint" if raw_id else None,
        extras=extras,
    )


def parse(text: str, source: str, options: Options) -> list[Paper]:
    papers: list[Paper] = []
    bad: list[int] = []
    first_bad = ""
    last = 0
    for lineno, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        last = lineno
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as err:
            bad.append(lineno)
            first_bad = first_bad or f"line {lineno}: {err.msg}"
            continue
        if isinstance(rec, list):  # a JSON array of records instead of lines
            papers.extend(p for p in (record_to_paper(r, source) for r in rec if isinstance(r, dict)) if p)
            continue
        if isinstance(rec, dict):
            paper = record_to_paper(rec, source)
            if paper:
                papers.append(paper)
    if bad and (not papers or len(bad) > len(papers)):
        raise ParseProblem(f"not JSON lines ({len(bad)} bad lines; first at {one_line(first_bad, 80)})")
    if not papers:
        raise ParseProblem("no records with a title in the JSON lines")
    if bad:
        options.partial = _skipped(bad, last, text, first_bad, len(papers))
        for paper in papers:
            paper.extras["skipped_bad_lines"] = len(bad)
    return papers


def _skipped(bad: list[int], last: int, text: str, first_bad: str, read: int) -> str:
    """The one line that says which lines were not read."""
    if bad == [last] and not text.endswith("\n"):
        return (
            f"partly read: the file ends in the middle of a record at line {last} (cut off?); "
            f"read the {read} records before it, the rest is missing"
        )
    lines = "1 line is" if len(bad) == 1 else f"{len(bad)} lines are"
    return f"partly read: {lines} not valid JSON and skipped (first at {one_line(first_bad, 80)}); read {read} records"
