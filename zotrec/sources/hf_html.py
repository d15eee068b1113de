"""Hugging Face Papers page HTML (huggingface.co/papers, /papers/date/..., search pages).

The page embeds its data as JSON in ``<div data-target="DailyPapers" data-props="...">``; that is
read first. Without it, paper cards (``<article>`` with a ``/papers/ID`` link) are read, and as a
last resort the visible text goes through the page-as-text parser.
"""

from __future__ import annotations

import json
import re
import warnings

from bs4 import BeautifulSoup

from zotrec.paper import Paper, normalize_arxiv_id
from zotrec.sources import hf_api, hf_text
from zotrec.sources.common import Options, ParseProblem

NAME = "hf-html"

_PAPER_HREF = re.compile(r"^(?:https?://huggingface\.co)?/papers/(\d{4}\.\d{4,5})")


def _props_papers(soup: BeautifulSoup, source: str) -> list[Paper]:
    papers: list[Paper] = []
    for node in soup.select("[data-props]"):
        try:
            props = json.loads(str(node["data-props"]))
        except (ValueError, TypeError):
            continue
        if not isinstance(props, dict):
            continue
        items = None
        for key in ("dailyPapers", "papers", "searchResults", "items"):
            if isinstance(props.get(key), list):
                items = props[key]
                break
        if not items:
            continue
        for item in items:
            if isinstance(item, dict):
                paper = hf_api.item_to_paper(item, source)
                if paper:
                    papers.append(paper)
    return papers


def _card_papers(soup: BeautifulSoup, source: str) -> list[Paper]:
    papers = []
    for card in soup.find_all("article"):
        link = card.find("a", href=_PAPER_HREF)
        heading = card.find(["h3", "h2", "h1"]) or link
        if heading is None:
            continue
        title = heading.get_text(" ", strip=True)
        if not title:
            continue
        href = _PAPER_HREF.match(str(link["href"])) if link else None
        arxiv_id = normalize_arxiv_id(href.group(1)) if href else None
        extras = {}
        count = card.find(string=re.compile(r"^\s*\d+\s*$"))  # the upvote counter
        if count:
            extras["upvotes"] = int(count.strip())
        summary = card.find("p")
        papers.append(
            Paper(
                title=title,
                abstract=summary.get_text(" ", strip=True) if summary else "",
                arxiv_id=arxiv_id,
                url=f"https://huggingface.co/papers/{arxiv_id}" if arxiv_id else None,
                source=source,
                item_type="preprint" if arxiv_id else None,
                extras=extras,
            )
        )
    return papers


def parse(text: str, source: str, options: Options) -> list[Paper]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # bs4 warns when the "HTML" is really XML
        soup = BeautifulSoup(text, "lxml")
    papers = _props_papers(soup, source) or _card_papers(soup, source)
    if papers:
        return papers
    body_text = soup.get_text("\n")
    if hf_text.sniff(body_text):
        return hf_text.parse(body_text, source, options)
    raise ParseProblem("HTML page without papers (only Hugging Face Papers pages are supported)")
