"""Fill the embedded library from Zotero exports, and export its collections for Zotero's File > Import."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zotrec.errors import NoSuchLibrary
from zotrec.library.base import Collection, LibrarySnapshot
from zotrec.library.embedded import EmbeddedLibrary
from zotrec.library.items import item_to_paper, paper_to_item
from zotrec.paper import Paper

EXPORT_FORMATS = ("ris", "bibtex", "csljson")


@dataclass
class Imported:
    """What ``zotrec library import`` did: items added, items already there, and why only part
    of the file was read (a file cut off), if so."""

    added: int
    skipped: int
    partial: str | None = None


def _item_for(paper: Paper, collection_keys: list[str]) -> dict[str, Any]:
    item = paper_to_item(paper, collections=collection_keys, tags=paper.tags)
    if paper.item_type and paper.item_type not in (item["itemType"],):
        item["itemType"] = paper.item_type
        if paper.journal:
            item["publicationTitle"] = paper.journal
        if paper.item_type != "preprint":
            item.pop("archiveID", None)
            item.pop("repository", None)
            if paper.arxiv_id:
                item["extra"] = f"arXiv: {paper.arxiv_id}"
    return item


def _import_keys(paper: Paper) -> list[str]:
    """Identity keys, with a fallback for short untitled-ish entries (title + first author)."""
    first = paper.authors[0].lower() if paper.authors else ""
    return paper.identity_keys() or [f"raw:{paper.norm_title}|{first}"]


def import_file(file: Path, target: Path) -> Imported:
    """Import an export into the embedded library at ``target``: its complete entries, when the
    file was cut off (``partial`` says so)."""
    from zotrec.sources import read_digest

    digest = read_digest(str(file))
    papers = digest.papers
    library = EmbeddedLibrary(target)
    try:
        snapshot = library.snapshot()
        known = {k for item in snapshot.items for k in _import_keys(item_to_paper(item, abstract=False))}
        keys: dict[str, str] = {}
        items, skipped = [], 0
        for paper in papers:
            keys_of_paper = _import_keys(paper)
            if any(k in known for k in keys_of_paper):
                skipped += 1
                continue
            known.update(keys_of_paper)
            for path in paper.collections:
                if path not in keys:
                    keys[path] = library.ensure_collection(path)
            items.append(_item_for(paper, [keys[p] for p in paper.collections]))
        library.add_items(items)
        return Imported(len(items), skipped, digest.partial)
    finally:
        library.close()


def snapshot_from_file(path: Path, lazy: bool = False) -> LibrarySnapshot:
    """A library given as a file: an embedded library (.sqlite) or a Zotero export. ``lazy``: an
    embedded library's items are decoded when read beyond their head (:mod:`zotrec.library.lazy`)."""
    if not path.exists():
        raise NoSuchLibrary(f"{path}: no such file")
    if path.suffix in (".sqlite", ".db"):
        library = EmbeddedLibrary(path, create=False)
        try:
            return library.snapshot(lazy=lazy)
        finally:
            library.close()
    from zotrec.library.filecache import cached_snapshot

    return cached_snapshot(path, parse_export)


def parse_export(path: Path) -> LibrarySnapshot:
    """An export file as a snapshot: items keyed ``F0000000``, ``F0000001``... in file order, version 0."""
    from zotrec.sources import read_digest

    digest = read_digest(str(path))
    papers = digest.papers
    collections: dict[str, Collection] = {}
    by_path: dict[str, str] = {}
    items = []
    for number, paper in enumerate(papers):
        for cpath in paper.collections:
            parts = cpath.split("/")
            for depth in range(1, len(parts) + 1):  # parents first, even those that list no item
                prefix = "/".join(parts[:depth])
                if prefix not in by_path:
                    by_path[prefix] = f"C{len(by_path):07d}"
                    parent = by_path.get("/".join(parts[: depth - 1])) if depth > 1 else None
                    collections[by_path[prefix]] = Collection(by_path[prefix], parts[depth - 1], parent)
        item = _item_for(paper, [by_path[c] for c in paper.collections])
        item["key"] = f"F{number:07d}"
        item["dateAdded"] = paper.date_added or ""
        items.append(item)
    return LibrarySnapshot(version=0, items=items, collections=collections, partial=digest.partial)


def export_collection(library_path: Path, collection: str, fmt: str) -> str:
    """The items of ``collection`` (with subcollections) as RIS, BibTeX or CSL-JSON text."""
    if fmt not in EXPORT_FORMATS:
        raise NoSuchLibrary(f"unknown export format {fmt!r}: use one of {', '.join(EXPORT_FORMATS)}")
    library = EmbeddedLibrary(library_path, create=False)
    try:
        snapshot = library.snapshot()
        roots = [k for k in snapshot.collections if snapshot.collection_path(k) == collection]
        if not roots:
            names = sorted({snapshot.collection_path(k) for k in snapshot.collections})
            known = (
                f"its collections: {', '.join(names[:5])}{', ...' if len(names) > 5 else ''}"
                if names
                else "it has no collection yet (the first sync creates zotrec's)"
            )
            raise NoSuchLibrary(f"{library_path}: no collection named {collection!r}; {known}")
        keys = {
            k
            for k in snapshot.collections
            if snapshot.collection_path(k) == collection or snapshot.collection_path(k).startswith(collection + "/")
        }
        items = [i for i in snapshot.items if keys & set(i.get("collections", []))]
        notes = {
            i["key"]: [c["note"] for c in library.children(i["key"]) if c.get("itemType") == "note"] for i in items
        }
    finally:
        library.close()
    return {"ris": to_ris, "bibtex": to_bibtex, "csljson": to_csljson}[fmt](items, notes)


def _creators(item: dict[str, Any]) -> list[dict[str, str]]:
    return [c for c in item.get("creators", []) if c.get("lastName") or c.get("name")]


def _strip_html(text: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", text).split())


def to_ris(items: list[dict[str, Any]], notes: dict[str, list[str]]) -> str:
    import rispy

    entries = []
    for item in items:
        entry: dict[str, Any] = {
            "type_of_reference": "JOUR",
            "title": item.get("title", ""),
            "authors": [
                c.get("name") or f"{c.get('lastName', '')}, {c.get('firstName', '')}".strip(", ")
                for c in _creators(item)
            ],
            "abstract": item.get("abstractNote", ""),
            "date": item.get("date", ""),
            "urls": [item["url"]] if item.get("url") else [],
            "keywords": [t["tag"] for t in item.get("tags", [])],
        }
        if item.get("publicationTitle"):
            entry["journal_name"] = item["publicationTitle"]
        elif item.get("repository"):
            entry["journal_name"] = item["repository"]
        if item.get("DOI"):
            entry["doi"] = item["DOI"]
        if item.get("archiveID"):
            entry["number"] = item["archiveID"]
        if notes.get(item["key"]):
            entry["notes"] = [_strip_html(n) for n in notes[item["key"]]]
        entries.append({k: v for k, v in entry.items() if v})
    return rispy.dumps(entries)


def _citekey(item: dict[str, Any], used: set[str]) -> str:
    creators = _creators(item)
    last = (creators[0].get("lastName") or creators[0].get("name") or "anon") if creators else "anon"
    year = re.search(r"\d{4}", item.get("date", "") or "")
    word = next((w for w in re.findall(r"[A-Za-z]+", item.get("title", "")) if len(w) > 3), "paper")
    base = re.sub(r"[^A-Za-z0-9]", "", f"{last}{year.group(0) if year else ''}{word.lower()}") or "item"
    key, n = base, 1
    while key in used:
        n += 1
        key = f"{base}{n}"
    used.add(key)
    return key


def to_bibtex(items: list[dict[str, Any]], notes: dict[str, list[str]]) -> str:
    from bibtexparser.bibdatabase import BibDatabase
    from bibtexparser.bwriter import BibTexWriter

    db = BibDatabase()
    used: set[str] = set()
    for item in items:
        entry = {
            "ENTRYTYPE": "article" if item.get("itemType") == "journalArticle" else "misc",
            "ID": _citekey(item, used),
            "title": item.get("title", ""),
            "author": " and ".join(
                c.get("name") or f"{c.get('lastName', '')}, {c.get('firstName', '')}".strip(", ")
                for c in _creators(item)
            ),
            "abstract": item.get("abstractNote", ""),
            "url": item.get("url", ""),
            "doi": item.get("DOI", ""),
            "keywords": ", ".join(t["tag"] for t in item.get("tags", [])),
        }
        year = re.search(r"\d{4}", item.get("date", "") or "")
        if year:
            entry["year"] = year.group(0)
        if item.get("publicationTitle"):
            entry["journal"] = item["publicationTitle"]
        if item.get("archiveID", "").startswith("arXiv:"):
            entry["eprint"] = item["archiveID"].split(":", 1)[1]
            entry["archiveprefix"] = "arXiv"
        if notes.get(item["key"]):
            entry["note"] = _strip_html(notes[item["key"]][0])
        db.entries.append({k: v for k, v in entry.items() if v})
    return BibTexWriter().write(db)


def to_csljson(items: list[dict[str, Any]], notes: dict[str, list[str]]) -> str:
    out = []
    for item in items:
        entry: dict[str, Any] = {
            "id": item["key"],
            "type": "article-journal" if item.get("itemType") == "journalArticle" else "article",
            "title": item.get("title", ""),
            "author": [
                {"literal": c["name"]}
                if c.get("name")
                else {"family": c.get("lastName", ""), "given": c.get("firstName", "")}
                for c in _creators(item)
            ],
            "abstract": item.get("abstractNote", ""),
            "URL": item.get("url", ""),
            "DOI": item.get("DOI", ""),
            "container-title": item.get("publicationTitle") or item.get("repository", ""),
            "number": item.get("archiveID", ""),
            "keyword": ", ".join(t["tag"] for t in item.get("tags", [])),
        }
        parts = [int(p) for p in re.findall(r"\d+", item.get("date", "") or "")[:3]]
        if parts:
            entry["issued"] = {"date-parts": [parts]}
        if notes.get(item["key"]):
            entry["note"] = _strip_html(notes[item["key"]][0])
        out.append({k: v for k, v in entry.items() if v})
    return json.dumps(out, indent=2, ensure_ascii=False) + "\n"
