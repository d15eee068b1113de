"""Hugging Face daily papers API JSON (huggingface.co/api/daily_papers): fields vary by year."""

from __future__ import annotations

import json
from typing import Any

from zotrec.paper import Paper, normalize_arxiv_id
from zotrec.sources.common import Options, ParseProblem, parse_date

NAME = "hf-api"


def _items(data: Any) -> list[dict]:
    if isinstance(data, dict):
        for key in ("dailyPapers", "papers", "items", "data"):
            if isinstance(data.get(key), list):
                return data[key]
        return [data]
    if isinstance(data, list):
        return data
    raise ParseProblem("expected a JSON list of daily papers")


def _authors(paper: dict) -> list[str]:
    names = []
    for author in paper.get("authors") or []:
        if isinstance(author, str):
            name = author
        elif isinstance(author, dict):
            if author.get("hidden"):
                continue
            name = author.get("name") or (author.get("user") or {}).get("fullname") or ""
        else:
            continue
        if name.strip():
            names.append(" ".join(name.split()))
    return names


def item_to_paper(item: dict, source: str) -> Paper | None:
    nested = item.get("paper")
    paper: dict[str, Any] = nested if isinstance(nested, dict) else item
    title = paper.get("title") or item.get("title")
    if not title:
        return None
    arxiv_id = normalize_arxiv_id(str(paper.get("id") or ""))
    extras: dict[str, Any] = {}
    upvotes = paper.get("upvotes", item.get("upvotes"))
    if isinstance(upvotes, int):
        extras["upvotes"] = upvotes
    for key in ("numComments", "githubRepo", "githubStars", "projectPage", "ai_summary", "ai_keywords"):
        value = item.get(key, paper.get(key))
        if value not in (None, "", []):
            extras[key] = value
    submitted = paper.get("submittedOnDailyAt") or item.get("publishedAt")
    if submitted:
        extras["daily_date"] = str(submitted)[:10]
    return Paper(
        title=title,
        abstract=paper.get("summary") or item.get("summary") or "",
        authors=_authors(paper),
        date=parse_date(paper.get("publishedAt") or item.get("publishedAt")),
        arxiv_id=arxiv_id,
        url=f"https://huggingface.co/papers/{paper['id']}" if paper.get("id") else None,
        source=source,
        item_type="preprint" if arxiv_id else None,
        extras=extras,
    )


def parse(text: str, source: str, options: Options) -> list[Paper]:
    try:
        data = json.loads(text)
    except ValueError as err:
        raise ParseProblem(f"invalid JSON ({err})") from None
    items = _items(data)
    papers = [p for p in (item_to_paper(i, source) for i in items if isinstance(i, dict)) if p]
    if not papers:
        raise ParseProblem("no papers in the daily papers JSON")
    return papers
