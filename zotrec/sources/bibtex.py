"""BibTeX / BibLaTeX files (Zotero and Better BibTeX exports) via bibtexparser 1.x."""

from __future__ import annotations

import re

import bibtexparser
from bibtexparser.bparser import BibTexParser

from zotrec.paper import Paper, arxiv_version, normalize_arxiv_id, normalize_doi
from zotrec.sources.common import MONTHS, Options, ParseProblem, parse_date
from zotrec.text import clean_text

NAME = "bibtex"

# BibTeX/BibLaTeX entry type -> Zotero item type
ITEM_TYPES = {
    "article": "journalArticle",
    "inproceedings": "conferencePaper",
    "conference": "conferencePaper",
    "proceedings": "book",
    "book": "book",
    "inbook": "bookSection",
    "incollection": "bookSection",
    "phdthesis": "thesis",
    "mastersthesis": "thesis",
    "thesis": "thesis",
    "techreport": "report",
    "report": "report",
    "online": "webpage",
    "electronic": "webpage",
    "www": "webpage",
    "unpublished": "manuscript",
    "manual": "document",
    "software": "computerProgram",
    "letter": "letter",
    "patent": "patent",
    "dataset": "dataset",
    "booklet": "book",
    "misc": "document",
    "periodical": "journalArticle",
    "collection": "book",
}


def _authors(value: str) -> list[str]:
    names = []
    for part in re.split(r"\s+and\s+", value.strip()) if value.strip() else []:
        part = clean_text(part)
        if "," in part:
            pieces = [p.strip() for p in part.split(",")]
            last, first = pieces[0], ",".join(pieces[1:]).strip()
            # "von Last, Jr, First" keeps it simple: First Last
            if len(pieces) == 3:
                last, first = f"{pieces[0]} {pieces[1]}", pieces[2]
            part = f"{first} {last}".strip()
        if part and part.lower() != "others":
            names.append(" ".join(part.split()))
    return names


def _date(entry: dict):
    if entry.get("date"):
        date = parse_date(entry["date"])
        if date:
            return date
    year = re.search(r"\d{4}", entry.get("year", ""))
    if not year:
        return None
    month_text = str(entry.get("month", "")).strip().lower()
    month = MONTHS.get(month_text[:3]) or (
        int(month_text) if month_text.isdigit() and 1 <= int(month_text) <= 12 else 1
    )
    return parse_date(f"{year.group(0)}-{month:02d}-01")


def _arxiv(entry: dict) -> str | None:
    prefix = (entry.get("archiveprefix") or entry.get("eprinttype") or "").lower()
    if entry.get("eprint") and (prefix == "arxiv" or not prefix):
        found = normalize_arxiv_id(entry["eprint"])
        if found:
            return entry["eprint"]
    for key in ("url", "doi", "journal", "note", "howpublished"):
        value = entry.get(key) or ""
        if "arxiv" in value.lower():
            found = normalize_arxiv_id(value)
            if found:
                return value
    return None


def entry_to_paper(entry: dict, source: str) -> Paper | None:
    title = clean_text(entry.get("title"))
    if not title:
        return None
    kind = entry.get("ENTRYTYPE", "").lower()
    raw_arxiv = _arxiv(entry)
    item_type = ITEM_TYPES.get(kind, "document")
    if (
        kind in ("misc", "online", "unpublished", "article")
        and raw_arxiv
        and not entry.get("journal", "").strip(" {}").lower().startswith(("phys", "nature", "science"))
    ):
        item_type = "preprint" if kind != "article" else item_type
    keywords = entry.get("keywords") or entry.get("keyword") or ""
    tags = [clean_text(k) for k in re.split(r"\s*[,;]\s*", keywords) if k.strip()]
    journal = entry.get("journal") or entry.get("journaltitle") or entry.get("booktitle")
    url = entry.get("url") or (entry.get("howpublished") if "://" in entry.get("howpublished", "") else None)
    extras = {"citation_key": entry.get("ID")}
    for key in ("volume", "number", "pages", "publisher", "urldate"):
        if entry.get(key):
            extras[key] = clean_text(entry[key])
    return Paper(
        title=title,
        abstract=clean_text(entry.get("abstract")),
        authors=_authors(entry.get("author") or entry.get("editor") or ""),
        date=_date(entry),
        arxiv_id=normalize_arxiv_id(raw_arxiv) if raw_arxiv else None,
        arxiv_version=arxiv_version(raw_arxiv) if raw_arxiv else None,
        doi=normalize_doi(entry.get("doi")),
        url=url,
        source=source,
        categories=[entry["primaryclass"]] if entry.get("primaryclass") else [],
        journal=clean_text(journal) or None,
        item_type=item_type,
        tags=tags,
        extras=extras,
    )


_ENTRY_START = re.compile(r"^[ \t]*@[ \t]*[A-Za-z]+[ \t]*[{(]", re.MULTILINE)


def parse(text: str, source: str, options: Options) -> list[Paper]:
    # bibtexparser is slow on text that is not BibTeX: look for an entry before handing it over
    first = _ENTRY_START.search(text)
    if not first:
        raise ParseProblem("no BibTeX entries (no line starts with @type{)")
    whole, text = text, text[first.start() :]
    parser = BibTexParser(common_strings=True, ignore_nonstandard_types=False)
    try:
        database = bibtexparser.loads(text, parser=parser)
    except Exception as err:  # pyparsing errors carry a line number
        raise ParseProblem(f"invalid BibTeX ({type(err).__name__}: {err})") from None
    papers = [p for p in (entry_to_paper(e, source) for e in database.entries) if p]
    if not papers:
        raise ParseProblem("no BibTeX entries with a title")
    options.partial = _unread(text, database.entries, len(papers), first.start(), whole)
    return papers


_KEYED_START = re.compile(r"^[ \t]*@[ \t]*([A-Za-z]+)[ \t]*[{(][ \t]*([^,\s]*)", re.MULTILINE)


def _unread(text: str, entries: list[dict], read: int, offset: int, whole: str) -> str | None:
    """One line naming the entries bibtexparser dropped (a file cut off, a broken entry), or None."""
    parsed = {e.get("ID") for e in entries}
    starts = [m for m in _KEYED_START.finditer(text) if m.group(1).lower() not in ("comment", "string", "preamble")]
    missing = [m for m in starts if m.group(2) not in parsed]
    if not missing:
        return None
    first = missing[0]
    line = whole.count("\n", 0, offset + first.start()) + 1
    name = f"@{first.group(1)}{{{first.group(2)}"
    if (
        len(missing) == 1
        and first is starts[-1]
        and text[first.start() :].count("{") > text[first.start() :].count("}")
    ):
        return (
            f"partly read: the file ends in the middle of entry {name} at line {line} (cut off?); "
            f"read the {read} entries before it, the rest is missing"
        )
    entries_text = "1 entry" if len(missing) == 1 else f"{len(missing)} entries"
    return f"partly read: {entries_text} could not be read (the first: {name} at line {line}); read {read} entries"
