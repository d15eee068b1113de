"""Simulated weeks: how much better zotrec's picks get as a reader corrects them every day.

    python -m benchmarks.weeks [--quick] [--days 20] [--libraries astro,nlp,...] [--per-day 5]

For each real library (``benchmarks/learning_cases.py``) a simulated reader's true interests are a
random fifth of its papers, hidden from zotrec; the other four fifths are imported into an
embedded library file. Every day, a digest of 200 papers (a few hidden ones, the rest arXiv papers
of the same field, never shown twice) is written as an arXiv JSON-lines file and ``zotrec sync``
runs on it exactly as from cron (``zotrec.runner.run_sync``: threshold 0, top 10, its own state
file and home folder). The reader then acts in the library as in Zotero: a pushed paper that is
one of the hidden ones is filed into the collection "Reading" (+1 for zotrec, and it becomes a
library item), every other pushed paper is moved to the trash (-1). zotrec reads these signals
on the next run through ``zotrec.feedback``. The same days are run a second time with a reader who
never acts (no feedback). Both arms see the same digests; a paper zotrec pushed is not offered to
that arm again.

Prints P@10 per day (hidden papers among the 10 pushed / 10) with and without feedback, and the
target: mean P@10 of days 16-20 with feedback >= 1.25x without, and never worse on any library.
``--start N``: zotrec starts from N papers of the four fifths (a new user) instead of all of them.
``--quick``: libraries nlp and systems biology.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.learning_cases import CASES, Case, load
from zotrec.paper import Paper

DIGEST = 200
TOP = 10
LAST_DAYS = 5  # the target compares the mean P@10 of the last 5 days
TARGET = 1.25


def split(case: Case, fifth: str = "topic", seed: int = 0) -> tuple[list[Paper], list[Paper]]:
    """(the library zotrec sees: four fifths, the reader's hidden interests: one fifth).

    ``fifth="topic"``: the fifth of the library closest (tf-idf cosine) to one random paper of it,
    a current project the rest of the library knows little of; ``"random"``: a random fifth, which
    the other four fifths already describe."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    rng = np.random.default_rng([seed, sum(map(ord, case.name))])
    n_hidden = len(case.library) // 5
    if fifth == "random":
        order = rng.permutation(len(case.library))
    else:
        X = TfidfVectorizer(stop_words="english", sublinear_tf=True, min_df=2).fit_transform(
            [p.text for p in case.library]
        )
        centre = int(rng.integers(len(case.library)))
        order = np.argsort(-(X @ X[centre].T).toarray().ravel(), kind="stable")
    return [case.library[i] for i in order[n_hidden:]], [case.library[i] for i in order[:n_hidden]]


def schedule(case: Case, hidden: list[Paper], days: int, per_day: int, seed: int = 0) -> list[list[Paper]]:
    """Per day, the hidden papers of that day's digest (each hidden paper shown on one day only)."""
    rng = np.random.default_rng([seed + 1, sum(map(ord, case.name))])
    order = [hidden[i] for i in rng.permutation(len(hidden))]
    per_day = max(1, min(per_day, len(order) // days))
    return [order[d * per_day : (d + 1) * per_day] for d in range(days)]


def _record(paper: Paper) -> dict:
    rec = {
        "id": paper.arxiv_id or "",
        "title": paper.title,
        "summary": paper.abstract,
        "authors": paper.authors,
        "categories": paper.categories,
    }
    if paper.doi:
        rec["doi"] = paper.doi
    return rec


class Reader:
    """One arm of the simulation: a library file, a zotrec home, and a reader who acts or not."""

    def __init__(self, root: Path, library: list[Paper], acts: bool) -> None:
        from zotrec.library.embedded import EmbeddedLibrary
        from zotrec.library.items import paper_to_item

        self.root, self.acts = root, acts
        self.home = root / "home"
        self.library_path = root / "library.sqlite"
        lib = EmbeddedLibrary(self.library_path)
        lib.add_items(paper_to_item(p) for p in library)
        self.reading = lib.ensure_collection("Reading")
        lib.close()
        self.pushed: set[str] = set()  # normalised titles zotrec pushed in this arm

    @contextlib.contextmanager
    def _env(self):
        old = os.environ.get("ZOTREC_HOME")
        os.environ["ZOTREC_HOME"] = str(self.home)
        try:
            yield
        finally:
            if old is None:
                os.environ.pop("ZOTREC_HOME", None)
            else:
                os.environ["ZOTREC_HOME"] = old

    def day(self, digest: list[Paper], wanted: set[str], number: int) -> float:
        """Run zotrec on ``digest``, act on what it pushed; return P@10."""
        from zotrec.library.embedded import EmbeddedLibrary
        from zotrec.runner import SyncRequest, run_sync

        path = self.root / f"day-{number:02d}.jsonl"
        path.write_text("".join(json.dumps(_record(p)) + "\n" for p in digest), encoding="utf-8")
        with self._env():
            result, _ = run_sync(SyncRequest(digests=[str(path)], library=self.library_path, threshold=0, top=TOP))
        hits = 0
        lib = EmbeddedLibrary(self.library_path)
        try:
            for paper, key in result.outcome.pushed:
                self.pushed.add(paper.norm_title)
                good = paper.norm_title in wanted
                hits += good
                if not self.acts or not key:
                    continue
                if good:  # filed where the reader keeps papers: +1, and now part of the library
                    item = lib.item(key)
                    lib.update_item(key, {"collections": item["collections"] + [self.reading]})
                else:
                    lib.trash_item(key)
        finally:
            lib.close()
        return hits / TOP


def simulate(
    case: Case, days: int, per_day: int, root: Path, fifth: str = "random", start: int | None = None, log=print
) -> dict[str, list[float]]:
    """P@10 per day for the arms ``feedback`` and ``none``; ``start``: the library zotrec sees is
    that many papers of the four fifths (a new user), else all of them."""
    library, hidden = split(case, fifth)
    if start is not None and start < len(library):
        pick = np.random.default_rng([4, sum(map(ord, case.name))]).choice(len(library), size=start, replace=False)
        library = [library[i] for i in sorted(pick)]
    todays_hidden = schedule(case, hidden, days, per_day)
    wanted = {p.norm_title for p in hidden}
    rng = np.random.default_rng([2, sum(map(ord, case.name))])
    arxiv = [case.pool[i] for i in rng.permutation(len(case.pool))]
    out: dict[str, list[float]] = {}
    for arm, acts in (("feedback", True), ("none", False)):
        reader = Reader(root / f"{case.name}-{arm}", library, acts)
        cursor = 0
        out[arm] = []
        for d in range(days):
            need = DIGEST - len(todays_hidden[d])
            papers: list[Paper] = []
            today: set[str] = set()
            for _ in range(len(arxiv)):  # in a fixed order, wrapping round; never a paper pushed before
                if len(papers) == need:
                    break
                p = arxiv[cursor % len(arxiv)]
                cursor += 1
                if p.norm_title not in reader.pushed and p.norm_title not in today:
                    today.add(p.norm_title)
                    papers.append(p)
            digest = list(todays_hidden[d]) + papers
            np.random.default_rng([3, d]).shuffle(digest)
            t0 = time.perf_counter()
            out[arm].append(reader.day(digest, wanted, d + 1))
            log(
                f"  {case.name:<12} {arm:<8} day {d + 1:>2}: P@10 {out[arm][-1]:.1f}  ({time.perf_counter() - t0:.1f} s)"
            )
    return out


def print_table(results: dict[str, dict[str, list[float]]], days: int, per_day: dict[str, int]) -> bool:
    last = slice(days - LAST_DAYS, days)
    print(f"\nSimulated weeks: P@10 per day, with feedback / without (digest {DIGEST} papers, top {TOP} pushed)")
    header = f"{'day':>4} " + "".join(f"{n[:12]:>14}" for n in results) + f"{'mean':>14}"
    print(header)
    print("-" * len(header))
    for d in range(days):
        cells = [f"{r['feedback'][d]:.2f}/{r['none'][d]:.2f}" for r in results.values()]
        mf = np.mean([r["feedback"][d] for r in results.values()])
        mn = np.mean([r["none"][d] for r in results.values()])
        print(f"{d + 1:>4} " + "".join(f"{c:>14}" for c in cells) + f"{mf:.2f}/{mn:.2f}".rjust(14))
    print("hidden papers per digest: " + ", ".join(f"{n} {k}" for n, k in per_day.items()))
    ratios = {}
    for name, r in results.items():
        f, n = float(np.mean(r["feedback"][last])), float(np.mean(r["none"][last]))
        ratios[name] = (f, n)
    mf = float(np.mean([f for f, _ in ratios.values()]))
    mn = float(np.mean([n for _, n in ratios.values()]))
    print(
        f"days {days - LAST_DAYS + 1}-{days} mean P@10 with / without feedback: "
        + ", ".join(f"{k} {f:.2f}/{n:.2f}" for k, (f, n) in ratios.items())
    )
    ratio = mf / mn if mn else float("inf")
    never_worse = all(f >= n for f, n in ratios.values())
    ok = ratio >= TARGET and never_worse
    print(
        f"target: mean {mf:.3f} / {mn:.3f} = {ratio:.2f}x (>= {TARGET}x), never worse on a library: "
        f"{'yes' if never_worse else 'NO'} -> {'MET' if ok else 'NOT MET'}"
    )
    return ok


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=int, default=20)
    ap.add_argument("--per-day", type=int, default=5, help="hidden papers per digest (fewer when the fifth is small)")
    ap.add_argument("--libraries", default=",".join(CASES))
    ap.add_argument(
        "--fifth",
        choices=("random", "topic"),
        default="random",
        help="the reader's interests: a random fifth (default) or the fifth nearest one paper",
    )
    ap.add_argument(
        "--start",
        type=int,
        default=None,
        help="zotrec starts from this many papers of the other four fifths (default: all of them)",
    )
    ap.add_argument("--quick", action="store_true", help="libraries nlp and sysbio")
    args = ap.parse_args(argv)
    names = ["nlp", "sysbio"] if args.quick else args.libraries.split(",")
    cases = load(names, pool_size=None)
    t0 = time.perf_counter()
    results, per_day = {}, {}
    with tempfile.TemporaryDirectory(prefix="zotrec-bench-weeks-") as tmp:
        for case in cases:
            _, hidden = split(case, args.fifth)
            per_day[case.name] = len(schedule(case, hidden, args.days, args.per_day)[0])
            results[case.name] = simulate(case, args.days, args.per_day, Path(tmp), args.fifth, args.start)
    start = f"from {args.start} papers of the other four fifths" if args.start else "from the other four fifths"
    print(f"\nreader's interests: a {args.fifth} fifth of each library; zotrec starts {start}")
    print_table(results, args.days, per_day)
    print(f"\nbenchmark time {time.perf_counter() - t0:.0f} s (2-core machine shared with other jobs)")


if __name__ == "__main__":
    main()
