"""Shared helpers for feed formats (feedparser on real bytes): well-formedness, text, DOI, kinds."""

from __future__ import annotations

import re
from typing import Any

import feedparser
from bs4 import BeautifulSoup
from lxml import etree

from zotrec.paper import normalize_doi
from zotrec.sources.common import ParseProblem, one_line, parse_date

_XML_DECL = re.compile(r"^<\?xml[^>]*\?>")
_BLOCK_END = re.compile(r"(</(?:p|div|li|h\d|td|tr|blockquote)>|<br\s*/?>)", re.I)
_NAME_SPLIT = re.compile(r"\s*,\s*(?:and\s+)?|\s+and\s+|\s*;\s*")


def check_xml(text: str) -> None:
    """Raise :class:`ParseProblem` when ``text`` is not well-formed XML (e.g. truncated).

    Undefined HTML entities (``&nbsp;``), common in real feeds, are tolerated.
    """
    data = text.encode("utf-8")
    data = re.sub(rb"^<\?xml[^>]*\?>", b"", data.lstrip())
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, recover=False)
    try:
        etree.fromstring(data, parser)
    except etree.XMLSyntaxError as err:
        message = str(err)
        if "Entity '" in message and "not defined" in message:
            return
        raise ParseProblem(f"malformed XML ({one_line(message, 120)})") from None


def parse_feed(text: str) -> Any:
    """Parse with feedparser after a strict well-formedness check; refuse feeds without entries."""
    check_xml(text)
    # the text is already decoded: drop a declaration that names another encoding
    data = _XML_DECL.sub("", text.lstrip("\ufeff \t\r\n"), count=1).encode("utf-8")
    feed = feedparser.parse(data, sanitize_html=False, resolve_relative_uris=False)
    if not feed.entries:
        if not feed.version:
            raise ParseProblem("not an RSS or Atom feed")
        raise ParseProblem("feed has no entries")
    return feed


def html_text(value: str | None) -> str:
    """Plain text of an HTML fragment (tags dropped, whitespace squashed)."""
    if not value:
        return ""
    if "<" not in value and "&" not in value:
        return " ".join(value.split())
    # block ends become spaces; inline markup (S<sub>N</sub>2) joins without one
    value = _BLOCK_END.sub(r"\1 ", value)
    return " ".join(BeautifulSoup(value, "html.parser").get_text("").split())


def split_names(value: str) -> list[str]:
    """Split "A, B and C" into names."""
    return [n.strip() for n in _NAME_SPLIT.split(value or "") if n.strip()]


def entry_authors(entry: Any) -> list[str]:
    names: list[str] = []
    for author in entry.get("authors") or []:
        name = (author.get("name") or "").strip()
        if name:
            names.append(name)
    if len(names) == 1 and ("," in names[0] or " and " in names[0]):
        names = split_names(names[0])
    if not names and entry.get("author"):
        names = split_names(entry["author"])
    return names


def entry_date(entry: Any):
    """The entry's date as written (no time-zone shift), from published, dc:date or updated."""
    for key in ("published", "dc_date", "prism_publicationdate", "prism_coverdate", "updated", "created"):
        value = dict.get(entry, key)  # plain dict access: no feedparser key aliasing
        date = parse_date(value) if value else None
        if date:
            return date
    for key in ("published_parsed", "updated_parsed"):
        if dict.get(entry, key):
            return parse_date(dict.get(entry, key))
    return None


def entry_doi(entry: Any) -> str | None:
    for key in ("prism_doi", "dc_identifier", "arxiv_doi", "doi"):
        doi = normalize_doi(entry.get(key))
        if doi:
            return doi
    for key in ("id", "link"):
        value = entry.get(key) or ""
        if "doi" in value.lower():
            doi = normalize_doi(value)
            if doi:
                return doi
    return None


_KIND_PREFIXES = [
    (re.compile(r"^(author|publisher)?\s*correction\b|^(erratum|corrigendum|correction to)\b", re.I), "correction"),
    (
        re.compile(
            r"^retraction( note)?\b|^retracted\b|^expression of concern\b|^editorial expression of concern", re.I
        ),
        "retraction",
    ),
    (re.compile(r"^addendum\b", re.I), "correction"),
    (re.compile(r"^editorial\b", re.I), "editorial"),
    (re.compile(r"^(daily briefing|news|podcast|nature briefing)\b", re.I), "news"),
    (re.compile(r"^(obituary)\b", re.I), "obituary"),
    (re.compile(r"^(book review|books in brief)\b", re.I), "review-of-book"),
]
_KIND_TERMS = {
    "news": "news",
    "news & views": "news",
    "news and views": "news",
    "news feature": "news",
    "editorial": "editorial",
    "correction": "correction",
    "erratum": "correction",
    "corrigendum": "correction",
    "addendum": "correction",
    "retraction": "retraction",
    "obituary": "obituary",
    "comment": "comment",
    "correspondence": "comment",
    "book review": "review-of-book",
    "books & arts": "review-of-book",
    "career column": "news",
    "career feature": "news",
    "podcast": "news",
    "research highlight": "news",
    "world view": "comment",
    "outlook": "news",
    "expression of concern": "retraction",
}


def non_research_kind(title: str, doi: str | None = None, terms: list[str] | tuple = ()) -> str | None:
    """Why an item is not a research paper (news, correction, editorial, ...), or None."""
    for pattern, kind in _KIND_PREFIXES:
        if pattern.search(title or ""):
            return kind
    for term in terms:
        term_kind = _KIND_TERMS.get(term.strip().lower())
        if term_kind:
            return term_kind
    if doi and re.match(r"10\.1038/d\d{5}-", doi):
        return "news"  # Nature magazine content (news, comment, careers), not research articles
    return None
