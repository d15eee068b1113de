"""Digest shorthands, as zotero-arxiv-daily takes them: an arXiv category (``cs.LG``, ``astro-ph.GA``,
an archive such as ``hep-th``, several joined by ``+``: ``cs.LG+stat.ML``) means that category's
arXiv feed, ``hf`` the Hugging Face Daily Papers API. A file of that name wins over the shorthand."""

from __future__ import annotations

import pathlib

HF_DAILY_PAPERS = "https://huggingface.co/api/daily_papers"
ARXIV_FEED = "https://rss.arxiv.org/atom/{}"


def _is_arxiv_code(code: str) -> bool:
    from zotrec.topics import taxonomy

    return taxonomy.is_category(code) or code in taxonomy.ARCHIVES


def expand(spec: str) -> str:
    """The URL a shorthand stands for, or ``spec`` unchanged."""
    text = spec.strip()
    if not text or "/" in text or "\\" in text or pathlib.Path(text).expanduser().exists():
        return spec
    if text.lower() == "hf":
        return HF_DAILY_PAPERS
    if all(_is_arxiv_code(code) for code in text.split("+")):
        return ARXIV_FEED.format(text)
    return spec
