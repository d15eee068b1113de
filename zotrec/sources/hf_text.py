"""Hugging Face Daily Papers page copied as text (title, abstract, "N authors", date, upvotes)."""

from __future__ import annotations

import re

from zotrec.paper import Paper
from zotrec.sources.common import Options, ParseProblem, resolve_month_day

NAME = "hf-text"

_AUTHORS = re.compile(r"^(?:[•·\-*]\s*)?(\d+)\s+authors?$", re.IGNORECASE)
_DATE = re.compile(
    r"^(?:·\s*)?(?P<month>[A-Z][a-z]{2,8})\.?\s+(?P<day>\d{1,2})(?:,\s*(?P<year>\d{4}))?"
    r"(?:\s+(?P<upvotes>\d+))?$"
)
_UPVOTES = re.compile(r"^(?:▲\s*)?(\d+)$")
_CHROME = {
    "new",
    "subscribe",
    "daily papers",
    "get trending papers in your email inbox!",
    "byak and the research community",
    "submitted by",
    "papers",
    "·",
    "•",
}


def sniff(text: str) -> bool:
    """True when the text looks like a copied HF papers page."""
    lines = [ln.strip() for ln in text.splitlines()[:400]]
    return sum(1 for ln in lines if _AUTHORS.match(ln)) >= 1 and any(_DATE.match(ln) for ln in lines)


def _is_chrome(line: str) -> bool:
    low = line.lower()
    return low in _CHROME or low.startswith("byak") or bool(_DATE.match(line)) or bool(_UPVOTES.match(line))


def parse(text: str, source: str, options: Options) -> list[Paper]:
    lines = [ln.strip() for ln in text.splitlines()]
    lines = [ln for ln in lines if ln]
    papers: list[Paper] = []
    block: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        match = _AUTHORS.match(line)
        if not match:
            block.append(line)
            i += 1
            continue
        n_authors = int(match.group(1))
        content = [ln for ln in block if not _is_chrome(ln)]
        block = []
        i += 1
        # after the author count: an optional "·", a date line, optionally an upvote count
        date = None
        upvotes = None
        while i < len(lines) and lines[i] in ("·", "•"):
            i += 1
        if i < len(lines):
            dmatch = _DATE.match(lines[i])
            if dmatch:
                year = int(dmatch.group("year")) if dmatch.group("year") else None
                date = resolve_month_day(dmatch.group("month"), int(dmatch.group("day")), year, options.digest_date)
                if dmatch.group("upvotes"):
                    upvotes = int(dmatch.group("upvotes"))
                i += 1
                count = _UPVOTES.match(lines[i]) if upvotes is None and i < len(lines) else None
                if count:
                    # an upvote count on its own line, only if it is not the next paper's title
                    upvotes = int(count.group(1))
                    i += 1
        if not content:
            continue
        title, abstract = content[0], " ".join(content[1:])
        extras: dict = {"n_authors": n_authors}
        if upvotes is not None:
            extras["upvotes"] = upvotes
        papers.append(Paper(title=title, abstract=abstract, date=date, source=source, extras=extras))
    if not papers:
        raise ParseProblem("no papers found in the Hugging Face page text")
    return papers
