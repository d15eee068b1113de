"""Better BibTeX JSON exports: Zotero items (``items``) and the collections that list them.

The export is one JSON object: ``items`` are Zotero item JSON (``itemType``, ``title``,
``creators``, ``abstractNote``, ``itemID``...), and ``collections`` maps a collection key to
``{"name", "parent", "items": [itemID...], "collections": [child keys]}``. Each paper carries the
paths ("Parent/Child") of the collections that list it; a "/" inside a name becomes "∕", as in the
Zotero RDF reader.
"""

from __future__ import annotations

import json
import re
from typing import Any

from zotrec.paper import Paper, arxiv_version, normalize_arxiv_id, normalize_doi
from zotrec.sources.common import Options, ParseProblem, parse_date

NAME = "bbt-json"

SKIP_TYPES = {"attachment", "note", "annotation"}
_CONTAINERS = ("publicationTitle", "proceedingsTitle", "bookTitle", "conferenceName", "websiteTitle", "repository")


def looks_like(data: Any) -> bool:
    """A Better BibTeX (or Zotero) JSON export: an object whose ``items`` are Zotero item JSON."""
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        return False
    first = next((x for x in data["items"] if isinstance(x, dict)), None)
    return first is not None and "itemType" in first and ("collections" in data or "itemID" in first or "key" in first)


def collection_paths(collections: Any) -> dict[Any, list[str]]:
    """itemID -> the paths of the collections that list it."""
    if not isinstance(collections, dict):
        return {}
    nodes = {key: c for key, c in collections.items() if isinstance(c, dict)}

    def path(key: str) -> str:
        names, seen = [], set()
        while key in nodes and key not in seen:
            seen.add(key)
            names.append(str(nodes[key].get("name") or key).replace("/", "∕"))
            key = nodes[key].get("parent") or ""
        return "/".join(reversed(names))

    membership: dict[Any, list[str]] = {}
    for key, node in nodes.items():
        for item_id in node.get("items") or []:
            paths = membership.setdefault(item_id, [])
            if (p := path(key)) not in paths:
                paths.append(p)
    return membership


def _authors(item: dict[str, Any]) -> list[str]:
    names = []
    for c in item.get("creators") or []:
        if not isinstance(c, dict) or c.get("creatorType", "author") not in ("author", "editor", "contributor"):
            continue
        name = c.get("name") or f"{c.get('firstName') or ''} {c.get('lastName') or ''}".strip()
        if name:
            names.append(name)
    return names


def _arxiv(item: dict[str, Any]) -> str | None:
    for key in ("archiveID", "url", "DOI", "extra"):
        value = str(item.get(key) or "")
        if "arxiv" in value.lower():
            match = re.search(r"arxiv[:./\s]*(?:abs/)?([\w.\-/]+\d)", value, re.IGNORECASE)
            if match and normalize_arxiv_id(match.group(1)):
                return match.group(1)
    return None


def item_to_paper(item: dict[str, Any], source: str, collections: list[str]) -> Paper | None:
    title = " ".join(str(item.get("title") or "").split())
    if not title or item.get("itemType") in SKIP_TYPES:
        return None
    raw_arxiv = _arxiv(item)
    tags = [t.get("tag", "") if isinstance(t, dict) else str(t) for t in item.get("tags") or []]
    journal = next((str(item[k]) for k in _CONTAINERS if item.get(k)), None)
    extras = {k: item[k] for k in ("citationKey", "volume", "issue", "pages", "publisher", "language") if item.get(k)}
    return Paper(
        title=title,
        abstract=str(item.get("abstractNote") or ""),
        authors=_authors(item),
        date=parse_date(str(item.get("date") or "")) if item.get("date") else None,
        arxiv_id=normalize_arxiv_id(raw_arxiv) if raw_arxiv else None,
        arxiv_version=arxiv_version(raw_arxiv) if raw_arxiv else None,
        doi=normalize_doi(item.get("DOI")) if item.get("DOI") else None,
        url=item.get("url") or None,
        source=source,
        journal=journal,
        item_type=str(item.get("itemType")),
        collections=collections,
        tags=[t for t in tags if t],
        date_added=item.get("dateAdded") or None,
        extras=extras,
    )


def parse(text: str, source: str, options: Options) -> list[Paper]:
    try:
        data = json.loads(text)
    except ValueError as err:
        raise ParseProblem(f"invalid JSON ({err})") from None
    if not looks_like(data):
        raise ParseProblem("expected a Better BibTeX JSON export (an object with Zotero 'items')")
    membership = collection_paths(data.get("collections"))
    papers = []
    for item in data["items"]:
        if isinstance(item, dict):
            paper = item_to_paper(item, source, membership.get(item.get("itemID"), []))
            if paper is not None:
                papers.append(paper)
    if not papers:
        raise ParseProblem("no Zotero items with a title in the Better BibTeX JSON export")
    return papers
