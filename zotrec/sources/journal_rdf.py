"""Journal RSS 1.0 / RDF feeds with PRISM and Dublin Core (Nature and other publishers)."""

from __future__ import annotations

import re

from zotrec.paper import Paper
from zotrec.sources.common import Options
from zotrec.sources.feeds import html_text, parse_feed
from zotrec.sources.generic_feed import entry_to_paper

NAME = "journal-rdf"

# Nature's content:encoded starts with "<p>Nature, Published online: 19 June 2024; doi:...</p>"
_PUBLISHED = re.compile(r"^\s*<p>\s*[^<]*Published online:.*?</p>", re.I | re.S)


def parse(text: str, source: str, options: Options) -> list[Paper]:
    feed = parse_feed(text)
    papers = []
    for entry in feed.entries:
        content = entry.get("content") or []
        body = content[0].get("value") if content else entry.get("summary") or ""
        body = _PUBLISHED.sub("", body)
        paper = entry_to_paper(entry, feed.feed, source, abstract=html_text(body))
        if paper.abstract == paper.title:
            paper.abstract = ""
        papers.append(paper)
    return papers
