"""Cost of the text cleaning every Paper goes through (LaTeX to Unicode, control characters).

    python -m benchmarks.clean_text [--limit N]

Reads the arXiv daily corpora in ../shared/data/corpora (raw titles, abstracts and authors as
arXiv writes them: LaTeX included), builds a Paper from each record with and without the cleaning
step, and prints the per-paper cost and how many strings needed the LaTeX parser.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from zotrec import text
from zotrec.paper import Paper

CORPORA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "corpora"


def records(limit: int) -> list[dict]:
    rows: list[dict] = []
    for folder in ("arxiv-daily-cs", "arxiv-daily-astro", "arxiv-daily-qbio", "arxiv-daily-broad"):
        for path in sorted((CORPORA / folder).glob("*.jsonl")):
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    rows.append(json.loads(line))
                if len(rows) >= limit:
                    return rows
    return rows


def build(rows: list[dict]) -> float:
    start = time.perf_counter()
    for row in rows:
        authors = row.get("authors") or []
        Paper(
            title=row.get("title", ""),
            abstract=row.get("summary") or row.get("abstract") or "",
            authors=authors if isinstance(authors, list) else [authors],
            url=row.get("id"),
        )
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=20_000)
    args = parser.parse_args()
    rows = records(args.limit)
    if not rows:
        raise SystemExit(f"no corpus under {CORPORA}")
    strings = [s for r in rows for s in (r.get("title", ""), r.get("summary") or "")]
    parsed = sum(1 for s in strings if text._LATEX.search(s))
    dollars = sum(1 for s in strings if not text._LATEX.search(s) and s.count("$") >= 2)
    cleaned = build(rows)
    original = text.clean_text, text.clean_url
    text_module_paper = __import__("zotrec.paper", fromlist=["clean_text"])
    text_module_paper.clean_text = lambda v: " ".join(str(v or "").split())  # type: ignore[attr-defined]
    try:
        plain = build(rows)
    finally:
        text_module_paper.clean_text = original[0]  # type: ignore[attr-defined]
    print(f"papers: {len(rows):,} ({len(strings):,} titles and abstracts)")
    print(
        f"strings through the LaTeX parser: {parsed:,} ({parsed / len(strings):.1%}); "
        f"$-only math stripped by regex: {dollars:,} ({dollars / len(strings):.1%})"
    )
    print(f"Paper() with cleaning: {cleaned:.2f} s = {cleaned / len(rows) * 1e6:.0f} us/paper")
    print(f"Paper() whitespace only: {plain:.2f} s = {plain / len(rows) * 1e6:.0f} us/paper")
    print(
        f"cleaning adds {(cleaned - plain) / len(rows) * 1e6:.0f} us/paper "
        f"({(cleaned - plain) * 50_000 / len(rows):.1f} s for 50,000 library items like these)"
    )


if __name__ == "__main__":
    main()
