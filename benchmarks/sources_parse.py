"""Speed and yield of the digest parsers on the real data beside the project.

    python benchmarks/sources_parse.py [--corpora]

Prints, per file: format, papers read, share with abstract / authors / date / arXiv id / DOI,
and parse time. Not a test: figures vary with the machine.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from zotrec.errors import SourceError
from zotrec.sources import parse_bytes

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def share(papers, test) -> str:
    return f"{100 * sum(1 for p in papers if test(p)) / max(1, len(papers)):3.0f}%"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora", action="store_true", help="also every corpora/*.jsonl(.gz) file")
    args = parser.parse_args()
    files = sorted(p for p in (DATA / "digests").rglob("*") if p.is_file() and p.suffix != ".md")
    files += sorted(p for p in (DATA / "libraries").rglob("*") if p.suffix in (".bib", ".json", ".rdf"))
    if args.corpora:
        files += sorted((DATA / "corpora").glob("*/*.jsonl*"))
    print(
        f"{'file':60} {'format':12} {'papers':>6} {'abstr':>5} {'auth':>5} {'date':>5} {'arXiv':>5} {'DOI':>5} {'sec':>6} {'papers/s':>8}"
    )
    total_papers, total_time = 0, 0.0
    for path in files:
        data = path.read_bytes()
        start = time.perf_counter()
        try:
            papers = parse_bytes(data, str(path))
        except SourceError as err:
            print(f"{str(path.relative_to(DATA))[:60]:60} error: {err.problem}")
            continue
        took = time.perf_counter() - start
        total_papers += len(papers)
        total_time += took
        fmt = papers[0].extras.get("format", "?")
        print(
            f"{str(path.relative_to(DATA))[:60]:60} {fmt:12} {len(papers):6d} "
            f"{share(papers, lambda p: p.abstract):>5} {share(papers, lambda p: p.authors or p.extras.get('n_authors')):>5} "
            f"{share(papers, lambda p: p.date):>5} {share(papers, lambda p: p.arxiv_id):>5} "
            f"{share(papers, lambda p: p.doi):>5} {took:6.2f} {len(papers) / max(took, 1e-9):8.0f}"
        )
    print(f"total: {total_papers} papers in {total_time:.1f} s")


if __name__ == "__main__":
    main()
