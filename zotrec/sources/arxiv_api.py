"""arXiv API Atom responses (export.arxiv.org/api/query), old and new style."""

from __future__ import annotations

from zotrec.paper import Paper, arxiv_version, normalize_arxiv_id
from zotrec.sources.common import Options, ParseProblem, one_line
from zotrec.sources.feeds import entry_authors, entry_date, entry_doi, html_text, parse_feed

NAME = "arxiv-api"


def entry_to_paper(entry, source: str) -> Paper:
    raw_id = entry.get("id") or entry.get("link") or ""
    arxiv_id = normalize_arxiv_id(raw_id)
    primary = (entry.get("arxiv_primary_category") or {}).get("term")
    categories = [t.get("term") for t in entry.get("tags") or [] if t.get("term")]
    if primary:
        categories = [primary] + [c for c in categories if c != primary]
    url = next(
        (lk.get("href") for lk in entry.get("links") or [] if lk.get("rel") == "alternate"),
        entry.get("link"),
    )
    extras = {}
    for key, name in (("arxiv_comment", "comment"), ("arxiv_journal_ref", "journal_ref")):
        if entry.get(key):
            extras[name] = " ".join(entry[key].split())
    updated = dict.get(entry, "updated")  # plain dict access: no feedparser key aliasing
    if updated:
        extras["updated"] = updated[:10]
    return Paper(
        title=html_text(entry.get("title")),
        abstract=html_text(entry.get("summary")),
        authors=entry_authors(entry),
        date=entry_date(entry),
        arxiv_id=arxiv_id,
        arxiv_version=arxiv_version(raw_id),
        doi=entry_doi(entry),
        url=url,
        source=source,
        categories=categories,
        journal=extras.get("journal_ref"),
        item_type="preprint",
        extras=extras,
    )


def parse(text: str, source: str, options: Options) -> list[Paper]:
    feed = parse_feed(text)
    papers = []
    for entry in feed.entries:
        if "api/errors" in (entry.get("id") or ""):
            raise ParseProblem(f"arXiv API error: {one_line(entry.get('summary') or entry.get('title'), 150)}")
        papers.append(entry_to_paper(entry, source))
    total = feed.feed.get("opensearch_totalresults")
    if total:
        for paper in papers:
            paper.extras["total_results"] = int(total) if str(total).isdigit() else total
    return papers
