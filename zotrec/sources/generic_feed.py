"""Any publisher's RSS 2.0 / Atom / RSS 1.0 feed: keep the DOI, mark news and corrections."""

from __future__ import annotations

from zotrec.paper import Paper, normalize_arxiv_id
from zotrec.sources.common import Options
from zotrec.sources.feeds import (
    entry_authors,
    entry_date,
    entry_doi,
    html_text,
    non_research_kind,
    parse_feed,
)

NAME = "feed"


def entry_to_paper(entry, feed_meta, source: str, abstract: str | None = None) -> Paper:
    title = html_text(entry.get("title"))
    doi = entry_doi(entry)
    terms = [t.get("term") or "" for t in entry.get("tags") or []]
    for key in ("dc_type", "prism_section"):
        if entry.get(key):
            terms.append(entry[key])
    if abstract is None:
        content = entry.get("content") or []
        body = entry.get("summary") or (content[0].get("value") if content else "")
        abstract = html_text(body)
    journal = entry.get("prism_publicationname") or feed_meta.get("prism_publicationname") or feed_meta.get("title")
    extras: dict = {}
    kind = non_research_kind(title, doi, terms)
    if kind:
        extras["non_research"] = True
        extras["item_kind"] = kind
    for key, name in (("prism_volume", "volume"), ("prism_number", "issue"), ("prism_startingpage", "pages")):
        if entry.get(key):
            extras[name] = entry[key]
    link = entry.get("link") or entry.get("prism_url")
    return Paper(
        title=title,
        abstract="" if abstract == title else abstract,
        authors=entry_authors(entry),
        date=entry_date(entry),
        arxiv_id=normalize_arxiv_id(link) if link and "arxiv.org/" in link else None,
        doi=doi,
        url=link,
        source=source,
        categories=[t for t in terms if t and kind is None][:10],
        journal=" ".join(journal.split()) if journal else None,
        item_type="journalArticle" if doi else None,
        extras=extras,
    )


def parse(text: str, source: str, options: Options) -> list[Paper]:
    feed = parse_feed(text)
    return [entry_to_paper(entry, feed.feed, source) for entry in feed.entries]
