"""arXiv RSS/Atom feeds (rss.arxiv.org/rss/CAT, rss.arxiv.org/atom/CAT) with announce types."""

from __future__ import annotations

import re

from zotrec.paper import Paper, arxiv_version, normalize_arxiv_id
from zotrec.sources.common import Options
from zotrec.sources.feeds import entry_authors, entry_date, entry_doi, html_text, parse_feed

NAME = "arxiv-feed"

_PREFIX = re.compile(r"^\s*arXiv:\S+\s+Announce Type:\s*(?P<type>[\w-]+)\s*(?:Abstract:\s*)?", re.I)
# announce type -> section (same names as the listing e-mail)
SECTIONS = {"new": "new", "cross": "cross", "replace": "replacement", "replace-cross": "replacement"}


def parse(text: str, source: str, options: Options) -> list[Paper]:
    feed = parse_feed(text)
    papers = []
    for entry in feed.entries:
        raw_id = entry.get("id") or entry.get("link") or ""
        summary = html_text(entry.get("summary"))
        announce = entry.get("arxiv_announce_type")
        match = _PREFIX.match(summary)
        if match:
            announce = announce or match.group("type")
            summary = summary[match.end() :]
            version = arxiv_version(match.group(0)) or arxiv_version(raw_id)
        else:
            version = arxiv_version(raw_id)
        announce = (announce or "new").strip().lower()
        section = SECTIONS.get(announce, announce)
        if options.skip_replacements and section == "replacement":
            continue
        categories = [t.get("term") for t in entry.get("tags") or [] if t.get("term")]
        extras = {"section": section, "announce_type": announce}
        if entry.get("rights"):
            extras["license"] = entry["rights"]
        journal = entry.get("arxiv_journal_reference") or entry.get("arxiv_journal_ref")
        papers.append(
            Paper(
                title=html_text(entry.get("title")),
                abstract=summary,
                authors=entry_authors(entry),
                date=entry_date(entry),
                arxiv_id=normalize_arxiv_id(raw_id) or normalize_arxiv_id(entry.get("link")),
                arxiv_version=version,
                doi=entry_doi(entry),
                url=entry.get("link"),
                source=source,
                categories=categories,
                journal=journal,
                item_type="preprint",
                extras=extras,
            )
        )
    return papers
