"""Conversion between Zotero item JSON (``data`` dicts) and :class:`Paper`."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from zotrec.paper import Paper, normalize_arxiv_id, normalize_doi
from zotrec.text import clean_label

# Item types that are not papers (children and files).
NON_PAPER_TYPES = {"note", "attachment", "annotation"}


def parse_zotero_date(value: str | None) -> date | None:
    """Best-effort parse of Zotero's free-form date field (``2023-09-05``, ``May 01, 1980``, ``2014``)."""
    if not value:
        return None
    text = value.strip()
    match = re.match(r"(\d{4})-(\d{1,2})-(\d{1,2})", text)
    try:
        if match:
            return date(int(match[1]), int(match[2]), int(match[3]))
        match = re.match(r"(\d{4})-(\d{1,2})\b", text)
        if match:
            return date(int(match[1]), int(match[2]), 1)
        from dateutil import parser as date_parser  # shipped with pyzotero's deps? fall back below

        return date_parser.parse(text, default=date_parser.parse("2000-01-01")).date()
    except Exception:  # any unparseable date just stays unknown
        match = re.search(r"\b(1[5-9]\d\d|20\d\d)\b", text)
        return date(int(match[1]), 1, 1) if match else None


def _creator_name(creator: dict[str, Any]) -> str:
    if creator.get("name"):
        return str(creator["name"])
    return " ".join(p for p in (creator.get("firstName", ""), creator.get("lastName", "")) if p)


def creator_names(item: dict[str, Any]) -> list[str]:
    """The item's creators' names as written (empty ones left out)."""
    return [name for name in map(_creator_name, item.get("creators", [])) if name]


def item_ids(item: dict[str, Any]) -> tuple[str | None, str | None]:
    """The item's arXiv id (from its archive id, URL, extra field or DOI) and DOI, normalised."""
    extra = item.get("extra", "") or ""
    arxiv = None
    for candidate in (item.get("archiveID"), item.get("url"), extra, item.get("DOI")):
        if candidate and ("arxiv" in str(candidate).lower()):
            arxiv = normalize_arxiv_id(str(candidate))
            if arxiv:
                break
    return arxiv, normalize_doi(item.get("DOI") or "") or normalize_doi(extra)


def item_to_paper(
    item: dict[str, Any], collection_paths: dict[str, str] | None = None, *, abstract: bool = True
) -> Paper:
    """A library item (Zotero ``data`` dict) as a Paper carrying its key, collections and tags.

    ``abstract=False`` leaves the abstract out (identity lookups: no need to decode its LaTeX)."""
    paths = collection_paths or {}
    arxiv, doi = item_ids(item)
    return Paper(
        title=item.get("title", "") or "",
        abstract=(item.get("abstractNote", "") or "") if abstract else "",
        authors=creator_names(item),
        date=parse_zotero_date(item.get("date")),
        arxiv_id=arxiv,
        doi=doi,
        url=item.get("url") or None,
        source="library",
        journal=item.get("publicationTitle") or item.get("proceedingsTitle") or None,
        item_type=item.get("itemType"),
        key=item.get("key"),
        collections=[paths.get(k, k) for k in item.get("collections", [])],
        tags=[t["tag"] for t in item.get("tags", []) if t.get("tag")],
        date_added=item.get("dateAdded"),
    )


def split_name(name: str) -> dict[str, str]:
    """A Zotero creator dict from a display name (``Ada Lovelace`` or ``Lovelace, Ada``)."""
    name = " ".join(name.split())
    if "," in name:
        last, first = (p.strip() for p in name.split(",", 1))
    elif " " in name:
        first, last = name.rsplit(" ", 1)
    else:
        return {"creatorType": "author", "name": name}
    return {"creatorType": "author", "firstName": first, "lastName": last}


def paper_to_item(
    paper: Paper,
    *,
    collections: list[str] | None = None,
    tags: list[str] | None = None,
) -> dict[str, Any]:
    """A new Zotero item for a paper: ``preprint`` unless a journal is known."""
    is_journal = bool(paper.journal) and not paper.arxiv_id
    item: dict[str, Any] = {
        "itemType": "journalArticle" if is_journal else "preprint",
        "title": paper.title,
        "creators": [split_name(a) for a in paper.authors if a.strip()],
        "abstractNote": paper.abstract,
        "date": paper.date.isoformat() if paper.date else "",
        "url": paper.link or "",
        "DOI": paper.doi or "",
        "tags": [{"tag": t} for t in (tags or [])],
        "collections": list(collections or []),
        "relations": {},
    }
    if is_journal:
        item["publicationTitle"] = paper.journal or ""
    else:
        if paper.arxiv_id:
            item["archiveID"] = f"arXiv:{paper.arxiv_id}"
            item["repository"] = "arXiv"
        elif paper.extras.get("repository"):
            item["repository"] = clean_label(paper.extras["repository"])
    return item


def note_item(parent_key: str, html: str) -> dict[str, Any]:
    """A child note under ``parent_key`` (child items carry no collections)."""
    return {"itemType": "note", "note": html, "parentItem": parent_key, "tags": [], "relations": {}}
