"""The embedded demo: the user's HF Daily Papers page against 150 real arXiv papers (see data/demo/DATA.md)."""

from __future__ import annotations

import hashlib
import json
from importlib import resources
from pathlib import Path

from zotrec.library.embedded import KEY_ALPHABET, EmbeddedLibrary
from zotrec.library.items import paper_to_item
from zotrec.paper import Paper

DEMO_COLLECTION = "Dynamics and learning"


def demo_digest_path() -> Path:
    return Path(str(resources.files("zotrec") / "data" / "demo" / "hf-daily-papers-search-dynamics.txt"))


def demo_library_papers() -> list[Paper]:
    text = (resources.files("zotrec") / "data" / "demo" / "library.jsonl").read_text(encoding="utf-8")
    papers = []
    for line in text.splitlines():
        row = json.loads(line)
        papers.append(
            Paper(
                title=row["title"],
                abstract=row["summary"],
                authors=row.get("authors", []),
                arxiv_id=row["id"],
                categories=row.get("categories", []),
                source="zotrec demo library",
                date_added=(row.get("announced") or "") + "T00:00:00Z" if row.get("announced") else None,
            )
        )
    return papers


def ensure_demo_library(path: Path) -> EmbeddedLibrary:
    """Open the demo library at ``path``, filling it with the shipped papers the first time."""
    library = EmbeddedLibrary(path)
    if library.count() == 0:
        key = library.ensure_collection(DEMO_COLLECTION)
        items = []
        for paper in demo_library_papers():
            item = paper_to_item(paper, collections=[key], tags=paper.categories[:1])
            item["key"] = demo_key(paper.arxiv_id or paper.title)
            if paper.date_added:
                item["dateAdded"] = paper.date_added
            items.append(item)
        library.add_items(items)
    return library


def demo_key(text: str) -> str:
    """The demo item key of the paper ``text`` names (its arXiv id): every installation's demo
    library has the same keys, as a real library keeps its own."""
    digest = hashlib.blake2b(text.encode(), digest_size=8).digest()
    return "".join(KEY_ALPHABET[b % len(KEY_ALPHABET)] for b in digest)
