"""The 0-100 score scale on real data: pile-ups at the ends, and how many papers pass a threshold.

    python -m benchmarks.scale [--seeds 3] [--days 3]

Part 0: the shipped demo (its 150-paper library against its 38-paper digest).

Part 1 (ends of the scale): a 10-paper library (random papers from a real NLP library, and from
the demo library, one draw per seed) against a pool of about 1,150 arXiv cs papers (the first 4 days of
``../shared/data/corpora/arxiv-daily-cs``). Prints, per seed, how many papers tie at 0.0 and at
100.0 (scores as ``--json`` shows them, one decimal), how many the table shows as 0 and 100 (no
decimal), the most papers sharing one value among the best 35, and whether the score is strictly
monotone in the model's raw value (papers ranked apart are never tied; the ranking itself never
depends on the scale).

Part 2 (thresholds): the two real ML libraries (NLP and HEP-ML) against held-out arXiv cs days,
one day at a time: how many papers score at least 50, 55, 60, 65 and 70. Papers already in the
library are left out, as a sync leaves them out.

Everything runs through the shipped code path: ``LibraryIndex.build`` and ``Recommender.rank``.
"""

from __future__ import annotations

import argparse
import glob
import json
import random
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.recommend import CORPORA, LIBS, read_library  # noqa: E402
from zotrec.paper import Paper  # noqa: E402
from zotrec.recommend import LibraryIndex, Recommender  # noqa: E402

NLP = "nlp-ChenghaoMou/My Library.bib"
ML_LIBRARIES = {"nlp": NLP, "hep-ml": "hep-ml-ChristianMichelsen/My_Library.bib"}
THRESHOLDS = (50, 55, 60, 65, 70)


def read_day(path: str) -> list[Paper]:
    papers = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.strip():
            d = json.loads(line)
            papers.append(
                Paper(
                    title=d["title"], abstract=d.get("summary") or "", arxiv_id=d["id"], authors=d.get("authors") or []
                )
            )
    return papers


def days() -> list[str]:
    return sorted(glob.glob(str(CORPORA / "arxiv-daily-cs" / "*.jsonl")))


def without_known(pool: list[Paper], library: list[Paper]) -> list[Paper]:
    known = {k for p in library for k in p.identity_keys()}
    return [p for p in pool if not any(k in known for k in p.identity_keys())]


def demo() -> None:
    from zotrec.demo import demo_digest_path, demo_library_papers
    from zotrec.sources import read_source

    recs = Recommender(LibraryIndex.build(demo_library_papers())).rank(read_source(str(demo_digest_path())))
    shown = [round(r.score, 1) for r in recs]
    print(
        f"part 0: the demo (150-paper library, {len(recs)}-paper digest): {sum(s >= 60 for s in shown)} papers "
        f">= 60, {sum(s == 100 for s in shown)} at 100.0, {sum(s == 0 for s in shown)} at 0.0; best five: "
        + ", ".join(f"{s:.1f}" for s in shown[:5])
    )


def ends(seeds: int) -> None:
    from zotrec.demo import demo_library_papers

    pool: list[Paper] = []
    for day in days()[:4]:
        pool += read_day(day)
    sources = {"nlp": [p for p in read_library(LIBS / NLP) if p.abstract], "demo": demo_library_papers()}
    print(
        f"\npart 1: 10-paper libraries (drawn from the NLP library and from the demo library) against {len(pool)} cs papers"
    )
    print(
        "library  seed  papers  at 0.0  at 100.0  shown 0  shown 100  most tied in best 35  strictly monotone  seconds"
    )
    for (name, library), seed in ((item, seed) for item in sources.items() for seed in range(seeds)):
        small = random.Random(seed).sample(library, 10)
        papers = without_known(pool, small)
        started = time.perf_counter()
        recs = Recommender(LibraryIndex.build(small)).rank(papers)
        seconds = time.perf_counter() - started
        shown = np.array([round(r.score, 1) for r in recs])
        table = np.array([float(f"{r.score:.0f}") for r in recs])
        best = shown[:35]
        _, counts = np.unique(best, return_counts=True)
        raw = np.array([r.raw for r in recs])
        scores = np.array([r.score for r in recs])
        monotone = bool(np.all(np.diff(scores) <= 1e-12)) and bool(np.all((np.diff(raw) < 0) <= (np.diff(scores) < 0)))
        print(
            f"{name:<7}  {seed:>4}  {len(recs):>6}  {int((shown == 0).sum()):>6}  {int((shown == 100).sum()):>8}  "
            f"{int((table == 0).sum()):>7}  {int((table == 100).sum()):>9}  "
            f"{int(counts.max()):>20}  {monotone!s:>17}  {seconds:7.1f}"
        )


def thresholds(n_days: int) -> None:
    held_out = days()[-n_days:]
    print(
        f"\npart 2: papers at or above each score, ML libraries against held-out cs days ({', '.join(Path(d).stem for d in held_out)})"
    )
    print("library  day          papers  " + "  ".join(f">={t}" for t in THRESHOLDS))
    for name, rel in ML_LIBRARIES.items():
        library = read_library(LIBS / rel)
        index = LibraryIndex.build(library)
        for day in held_out:
            papers = without_known(read_day(day), library)
            scores = np.array([r.score for r in Recommender(index).rank(papers)])
            counts = "  ".join(f"{int((scores >= t).sum()):>4}" for t in THRESHOLDS)
            print(f"{name:<7}  {Path(day).stem}  {len(papers):>6}  {counts}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=3, help="10-paper libraries to draw (part 1)")
    parser.add_argument("--days", type=int, default=3, help="held-out cs days (part 2)")
    args = parser.parse_args(argv)
    demo()
    ends(args.seeds)
    thresholds(args.days)


if __name__ == "__main__":
    main()
