"""RIS reference files via rispy."""

from __future__ import annotations

import re

import rispy

from zotrec.paper import Paper, normalize_arxiv_id, normalize_doi
from zotrec.sources.common import Options, ParseProblem, parse_date

NAME = "ris"

# RIS type -> Zotero item type
ITEM_TYPES = {
    "JOUR": "journalArticle",
    "JFULL": "journalArticle",
    "EJOUR": "journalArticle",
    "ABST": "journalArticle",
    "MGZN": "magazineArticle",
    "NEWS": "newspaperArticle",
    "BOOK": "book",
    "EBOOK": "book",
    "EDBOOK": "book",
    "CHAP": "bookSection",
    "ECHAP": "bookSection",
    "CONF": "conferencePaper",
    "CPAPER": "conferencePaper",
    "THES": "thesis",
    "RPRT": "report",
    "ELEC": "webpage",
    "WEB": "webpage",
    "BLOG": "blogPost",
    "COMP": "computerProgram",
    "DATA": "dataset",
    "PAT": "patent",
    "UNPB": "manuscript",
    "MANSCPT": "manuscript",
    "GEN": "document",
    "STAND": "standard",
    "PCOMM": "letter",
    "SLIDE": "presentation",
}


def _first(entry: dict, *keys: str):
    for key in keys:
        value = entry.get(key)
        if isinstance(value, list):
            value = value[0] if value else None
        if value:
            return value
    return None


def entry_to_paper(entry: dict, source: str) -> Paper | None:
    title = _first(entry, "title", "primary_title", "translated_title", "short_title")
    if not title:
        return None
    authors = []
    for key in ("authors", "first_authors", "secondary_authors"):
        for name in entry.get(key) or []:
            if "," in name:
                last, first = [x.strip() for x in name.split(",", 1)]
                name = f"{first} {last}".strip()
            authors.append(name)
        if authors:
            break
    urls = entry.get("urls") or []
    url = urls[0] if urls else None
    raw_arxiv = next((u for u in urls if "arxiv.org" in u), None)
    doi = normalize_doi(_first(entry, "doi"))
    date_text = _first(entry, "date", "publication_year", "year")
    date = parse_date(str(date_text).replace("/", "-").strip("-")) if date_text else None
    ris_type = (entry.get("type_of_reference") or "").upper()
    return Paper(
        title=title,
        abstract=_first(entry, "abstract", "notes_abstract") or "",
        authors=authors,
        date=date,
        arxiv_id=normalize_arxiv_id(raw_arxiv) if raw_arxiv else None,
        doi=doi,
        url=url,
        source=source,
        journal=_first(entry, "journal_name", "secondary_title", "alternate_title3", "alternate_title1"),
        item_type=ITEM_TYPES.get(ris_type, "document" if ris_type else None),
        tags=[k for k in entry.get("keywords") or [] if k],
        extras={k: entry[k] for k in ("volume", "number", "start_page", "publisher") if entry.get(k)},
    )


_RECORD_START = re.compile(r"^TY  - ", re.MULTILINE)
_RECORD_END = re.compile(r"^ER  -", re.MULTILINE)


def parse(text: str, source: str, options: Options) -> list[Paper]:
    try:
        entries = rispy.loads(text, skip_unknown_tags=True)
    except Exception as err:
        raise ParseProblem(f"invalid RIS ({type(err).__name__}: {err})") from None
    papers = [p for p in (entry_to_paper(e, source) for e in entries) if p]
    if not papers:
        raise ParseProblem("no RIS records with a title")
    starts = [m.start() for m in _RECORD_START.finditer(text)]
    if len(starts) > len(_RECORD_END.findall(text)) and not _RECORD_END.search(text, starts[-1]):
        line = text.count("\n", 0, starts[-1]) + 1  # the last record has no ER line: cut off
        options.partial = (
            f"partly read: the file ends in the middle of the record at line {line} (cut off?); "
            f"read the {len(papers)} records before it, the rest is missing"
        )
    return papers
