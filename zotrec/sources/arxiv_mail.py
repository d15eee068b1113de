"""arXiv daily listing e-mail ("new" file): new submissions, cross-lists and replacements."""

from __future__ import annotations

import re
from datetime import date

from zotrec.paper import Paper, arxiv_version, normalize_arxiv_id, normalize_doi
from zotrec.sources.common import Options, ParseProblem, parse_date

NAME = "arxiv-mail"

# section separators of the listing: cross-lists start after "%-%-", replacements after "%%--%%"
_CROSS_START = re.compile(r"^%-%-%-")
_REPL_START = re.compile(r"^%%--%%--")
_END = re.compile(r"^%%%---%%%")
_ENTRY_ID = re.compile(r"^arXiv:(\S+)")
_FIELD = re.compile(r"^([A-Za-z][A-Za-z-]*):\s?(.*)$")
_DATE_IN = re.compile(r"(\d{1,2}\s+[A-Z][a-z]{2}\s+\d{4})")
_SIZE = re.compile(r"\s*\(\d+kb[^)]*\)\s*$")


def _drop_parens(text: str) -> str:
    """Remove balanced parenthesised groups (author affiliations)."""
    out, depth = [], 0
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")" and depth:
            depth -= 1
        elif depth == 0:
            out.append(ch)
    return "".join(out)


def split_authors(value: str) -> list[str]:
    value = _drop_parens(value)
    parts = re.split(r"\s*,\s*(?:and\s+)?|\s+and\s+", value)
    return [" ".join(p.split()) for p in parts if p.strip()]


def _fields(lines: list[str]) -> dict[str, str]:
    fields: dict[str, str] = {}
    key = None
    for line in lines:
        match = _FIELD.match(line)
        if match and not line.startswith((" ", "\t")):
            key = match.group(1).lower()
            fields.setdefault(key, match.group(2).strip())
            if key in fields and fields[key] != match.group(2).strip():
                pass  # keep the first (e.g. the first "Date:" of several versions)
        elif line.lower().startswith("replaced with revised version"):
            fields["replaced"] = line[len("replaced with revised version") :].strip()
            key = None
        elif key and line.startswith((" ", "\t")):
            fields[key] = f"{fields[key]} {line.strip()}"
    return fields


def _header_date(value: str):
    """The mail's own Date: header ("Fri,  3 Mar 23 01:29:12 GMT", two-digit year)."""
    match = re.search(r"(\d{1,2})\s+([A-Z][a-z]{2})\s+(\d{2,4})\b", value)
    if not match:
        return None
    year = int(match.group(3))
    year = year + 2000 if year < 100 else year
    return parse_date(f"{match.group(1)} {match.group(2)} {year}")


def sniff(text: str) -> bool:
    return bool(re.search(r"^\\\\\s*\narXiv:\S+", text[:200000], re.MULTILINE))


def parse(text: str, source: str, options: Options) -> list[Paper]:
    lines = text.replace("\r\n", "\n").split("\n")
    header = _fields(lines[:8])
    listing_date = _header_date(header.get("date", ""))
    section = "new"
    papers: list[Paper] = []
    n_entries = 0
    i = 0
    while i < len(lines):
        line = lines[i]
        if _CROSS_START.match(line):
            section = "cross"
        elif _REPL_START.match(line):
            section = "replacement"
        elif _END.match(line):
            section = "end"
        entry = _ENTRY_ID.match(lines[i + 1]) if line.strip() == "\\\\" and i + 1 < len(lines) else None
        if not entry:
            i += 1
            continue
        raw_id = entry.group(1)
        cross_listing = "cross-list" in lines[i + 1]
        i += 2
        head: list[str] = []
        while i < len(lines) and not lines[i].startswith("\\\\"):
            head.append(lines[i])
            i += 1
        abstract: list[str] = []
        if i < len(lines) and lines[i].strip() == "\\\\":  # abstract follows
            i += 1
            while i < len(lines) and not lines[i].startswith("\\\\ ("):
                if lines[i].strip() == "\\\\" or _END.match(lines[i]) or lines[i].startswith("-----"):
                    break
                abstract.append(lines[i])
                i += 1
        link = lines[i] if i < len(lines) and lines[i].startswith("\\\\ (") else ""
        n_entries += 1
        if not link and i >= len(lines):  # the text ends inside this entry: it was cut off
            options.partial = (
                f"partly read: the file ends in the middle of entry arXiv:{raw_id} at line {len(lines)} "
                f"(cut off?); read the {len(papers)} entries before it, the rest is missing"
            )
            break
        entry_section = section if section != "end" else "replacement"
        if options.skip_replacements and entry_section == "replacement":
            continue
        paper = _paper(_fields(head), raw_id, abstract, link, cross_listing, entry_section, listing_date, source)
        if paper is not None:
            papers.append(paper)
    if n_entries == 0:
        raise ParseProblem("no entries found in the arXiv listing e-mail")
    return papers


def _paper(
    fields: dict[str, str],
    raw_id: str,
    abstract: list[str],
    link: str,
    cross_listing: bool,
    section: str,
    listing_date: date | None,
    source: str,
) -> Paper | None:
    """One listing entry as a Paper (None without a title): ``fields`` from its head lines, ``link``
    its closing ``\\\\ (https://...)`` line, ``section`` new, cross or replacement."""
    title = fields.get("title")
    if not title:
        return None
    date_text = fields.get("date") or fields.get("replaced") or ""
    date_match = _DATE_IN.search(date_text)
    extras: dict = {"section": section}
    if cross_listing:
        extras["cross_listing"] = True
    for key in ("comments", "journal-ref", "report-no", "msc-class", "acm-class", "license"):
        if fields.get(key):
            extras[key.replace("-", "_")] = fields[key]
    if fields.get("replaced"):
        extras["replaced"] = _SIZE.sub("", fields["replaced"])
    if listing_date:
        extras["listing_date"] = listing_date.isoformat()
    url = re.search(r"https?://\S+?(?=\s|,|$)", link)
    return Paper(
        title=title,
        abstract=" ".join(abstract),
        authors=split_authors(fields.get("authors", "")),
        date=parse_date(date_match.group(1)) if date_match else listing_date,
        arxiv_id=normalize_arxiv_id(raw_id) or raw_id,
        arxiv_version=arxiv_version(raw_id),
        doi=normalize_doi(fields.get("doi")),
        url=url.group(0) if url else f"https://arxiv.org/abs/{raw_id}",
        source=source,
        categories=fields.get("categories", "").split(),
        journal=fields.get("journal-ref"),
        item_type="preprint",
        extras=extras,
    )
