"""CSL-JSON (Zotero "CSL JSON" and Better CSL JSON exports)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from zotrec.paper import Paper, arxiv_version, normalize_arxiv_id, normalize_doi
from zotrec.sources.common import Options, ParseProblem, parse_date

NAME = "csl-json"

# CSL type -> Zotero item type
ITEM_TYPES = {
    "article-journal": "journalArticle",
    "article": "preprint",
    "paper-conference": "conferencePaper",
    "book": "book",
    "chapter": "bookSection",
    "thesis": "thesis",
    "report": "report",
    "webpage": "webpage",
    "post-weblog": "blogPost",
    "post": "forumPost",
    "article-magazine": "magazineArticle",
    "article-newspaper": "newspaperArticle",
    "manuscript": "manuscript",
    "dataset": "dataset",
    "software": "computerProgram",
    "patent": "patent",
    "motion_picture": "film",
    "speech": "presentation",
    "entry-encyclopedia": "encyclopediaArticle",
    "entry-dictionary": "dictionaryEntry",
    "legislation": "statute",
    "legal_case": "case",
    "bill": "bill",
    "interview": "interview",
    "personal_communication": "letter",
    "broadcast": "tvBroadcast",
    "graphic": "artwork",
    "map": "map",
    "song": "audioRecording",
    "document": "document",
    "standard": "standard",
    "review": "journalArticle",
    "review-book": "journalArticle",
}


def _name(person: dict) -> str:
    if person.get("literal"):
        return person["literal"]
    parts = [person.get("given"), person.get("non-dropping-particle"), person.get("family"), person.get("suffix")]
    return " ".join(p for p in parts if p)


def _date(value: Any):
    if not isinstance(value, dict):
        return parse_date(value)
    parts = (value.get("date-parts") or [[]])[0]
    try:
        if parts and parts[0]:
            numbers = [int(x) for x in parts[:3]] + [1, 1]
            return dt.date(numbers[0], numbers[1] or 1, numbers[2] or 1)
    except (ValueError, TypeError):
        pass
    return parse_date(value.get("raw") or value.get("literal"))


def item_to_paper(item: dict, source: str) -> Paper | None:
    title = item.get("title")
    if not title:
        return None
    raw_arxiv = None
    for key in ("URL", "number", "DOI", "archive_location"):
        value = str(item.get(key) or "")
        if "arxiv" in value.lower() or (key == "number" and item.get("type") == "article"):
            if normalize_arxiv_id(value):
                raw_arxiv = value
                break
    keywords = item.get("keyword") or ""
    tags = [k.strip() for k in (keywords if isinstance(keywords, list) else keywords.split(",")) if k.strip()]
    extras = {}
    for key in ("id", "citation-key", "volume", "issue", "page", "publisher", "language"):
        if item.get(key):
            extras[key.replace("-", "_")] = item[key]
    return Paper(
        title=title,
        abstract=item.get("abstract") or "",
        authors=[n for n in (_name(p) for p in item.get("author") or [] if isinstance(p, dict)) if n],
        date=_date(item.get("issued")),
        arxiv_id=normalize_arxiv_id(raw_arxiv) if raw_arxiv else None,
        arxiv_version=arxiv_version(raw_arxiv) if raw_arxiv else None,
        doi=normalize_doi(item.get("DOI")),
        url=item.get("URL"),
        source=source,
        journal=item.get("container-title") or None,
        item_type=ITEM_TYPES.get(item.get("type", ""), "document"),
        tags=tags,
        extras=extras,
    )


def parse(text: str, source: str, options: Options) -> list[Paper]:
    try:
        data = json.loads(text)
    except ValueError as err:
        raise ParseProblem(f"invalid JSON ({err})") from None
    if isinstance(data, dict):
        data = data.get("items") if isinstance(data.get("items"), list) else [data]
    if not isinstance(data, list):
        raise ParseProblem("expected a JSON list of CSL items")
    papers = [p for p in (item_to_paper(i, source) for i in data if isinstance(i, dict)) if p]
    if not papers:
        raise ParseProblem("no CSL items with a title")
    return papers
