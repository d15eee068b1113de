"""Simulated weeks: how much better zotrec's picks get as a reader corrects them every day.

    python -m benchmarks.weeks [--quick] [--days 20] [--libraries astro,nlp,...] [--fifth topic|random]
                               [--start 10] [--seeds 3 | --seeds 0 --seed 1,4] [--set NAME=VALUE]
                               [--arms feedback,none] [--json FILE] [--table FILE,...]

For each real library (``benchmarks/learning_cases.py``) a simulated reader's true interests are a
fifth of its papers, hidden from zotrec; zotrec's library is taken from the other four fifths and
imported into an embedded library file. Every day, a digest of 200 papers (a few hidden ones, the
rest arXiv papers of the same field; an arXiv paper zotrec did not push may come back on a later day,
as the pools hold 1,054-6,226 papers for 20 x 195 places) is written as an arXiv JSON-lines file and
``zotrec sync`` runs on it exactly as from cron (``zotrec.runner.run_sync``: threshold 0, top 10,
its own state file and home folder). The reader then acts in the library as in Zotero: a pushed
paper that is one of the hidden ones is filed into the collection "Reading" (+1 for zotrec, and it
becomes a library item), every other pushed paper is moved to the trash (-1). zotrec reads these
signals on the next run through ``zotrec.feedback``. The same days are run a second time with a
reader who never acts (no feedback). Both arms see the same hidden papers on the same days; a paper
zotrec pushed is not offered to that arm again. At the end, the feedback arm's ``zotrec feedback``
summary is printed per library (signals learned, terms raised and lowered).

The setting (defaults): ``--fifth topic``, the fifth of the library nearest one random paper of it
(a current project), and ``--start 10``: zotrec knows 10 random papers of the other four fifths (a
new user, or a project the library says little about). Why: with all four fifths as the library
the picks without feedback are at or near the ceiling from day one (P@10 0.369 of a possible 0.414
on days 1-5 over the 7 libraries, 0.311 of 0.369 on days 16-20: 1.19x at most), and a random
fifth (``--fifth random``) is described by any sample of the rest as well as by the hidden papers
filed later, so feedback has little to add; ``--start 0`` and ``--fifth random`` give those
settings.

Each seed draws its own fifth (around another paper), starting papers, days and arXiv papers: one
seed moves a library's mean by +-0.02 (one paper in 50), so the run repeats the simulation over
``--seeds`` seeds (default 3) and reports means over them. Prints P@10 per day (hidden papers among
the 10 pushed / 10, mean over the seeds) with and without feedback, the mean of days 16-20 per
library with its spread over the seeds next to its ceiling (the day's hidden papers / 10: a library whose fifth
holds fewer than 100 papers has 3-4 or 1-2 a day), and the target: mean P@10 of days 16-20 with
feedback >= 1.25x without, and never worse on any library (on the means over the seeds; the ratio of
each seed is printed too). ``--quick``: libraries nlp and systems
biology. ``--set NAME=VALUE`` (repeatable) runs with a recommender setting changed (what-if studies;
without it the benchmark measures what ships); ``--arms feedback`` runs one arm; ``--json`` keeps the
figures (written after every library) and ``--table a.json,b.json`` prints the table of saved runs,
the arms of the same seed and library merged (a feedback-only what-if beside a saved no-feedback arm:
settings of the feedback do not change the arm without it).
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
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.learning_cases import CASES, Case, load
from zotrec.paper import Paper

DIGEST = 200
TOP = 10
LAST_DAYS = 5  # the target compares the mean P@10 of the last 5 days
TARGET = 1.25
START = 10  # papers zotrec starts from (see the module docstring)
SEEDS = 3  # one seed moves a library's mean by +-0.02 (one paper in 50)


def _rng(tag: int, case: Case, seed: int) -> np.random.Generator:
    """The generator of one random choice of a run (seed 0 draws what the single-seed benchmark drew)."""
    return np.random.default_rng([tag, sum(map(ord, case.name))] + ([seed] if seed else []))


def split(case: Case, fifth: str = "topic", seed: int = 0) -> tuple[list[Paper], list[Paper]]:
    """(the library zotrec sees: four fifths, the reader's hidden interests: one fifth).

    ``fifth="topic"``: the fifth of the library closest (tf-idf cosine) to one random paper of it,
    a current project the rest of the library knows little of; ``"random"``: a random fifth, which
    the other four fifths already describe."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    rng = _rng(0, case, seed)
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
    """Per day, the hidden papers of that day's digest (each hidden paper shown on one day only):
    ``per_day`` a day, or as many as the fifth allows when it holds fewer than ``per_day x days``."""
    rng = _rng(1, case, seed)
    order = [hidden[i] for i in rng.permutation(len(hidden))]
    if len(order) >= per_day * days:
        return [order[d * per_day : (d + 1) * per_day] for d in range(days)]
    # a small fifth is spread evenly: day sizes differ by one at most (39 papers: 2 a day, 1 on the last)
    cuts = np.cumsum([0] + [len(order) // days + (d < len(order) % days) for d in range(days)])
    return [order[cuts[d] : cuts[d + 1]] for d in range(days)]


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

    def feedback_summary(self) -> str:
        """What ``zotrec feedback`` says in this arm's home: signals learned, terms raised and lowered."""
        from zotrec import paths
        from zotrec.feedback import feedback_report
        from zotrec.state import StateStore

        with self._env():
            state = StateStore(paths.state_file())
            try:
                return "\n".join(entry.describe() for entry in feedback_report(state, n_terms=6))
            finally:
                state.close()


def simulate(
    case: Case,
    days: int,
    per_day: int,
    root: Path,
    fifth: str = "topic",
    start: int | None = None,
    log=print,
    arms: tuple[str, ...] = ("feedback", "none"),
    seed: int = 0,
) -> dict[str, list[float]]:
    """P@10 per day for the ``arms`` (``feedback``, ``none``), and ``ceiling``: the best P@10 possible
    each day (the day's hidden papers, at most 10, over 10). ``start``: the library zotrec sees is that
    many papers of the four fifths (a new user), else all of them. ``seed`` draws the fifth, the starting
    papers, the days' hidden papers and the arXiv papers around them."""
    library, hidden = split(case, fifth, seed)
    if start is not None and start < len(library):
        pick = _rng(4, case, seed).choice(len(library), size=start, replace=False)
        library = [library[i] for i in sorted(pick)]
    todays_hidden = schedule(case, hidden, days, per_day, seed)
    wanted = {p.norm_title for p in hidden}
    rng = _rng(2, case, seed)
    arxiv = [case.pool[i] for i in rng.permutation(len(case.pool))]
    out: dict[str, list[float]] = {"ceiling": [min(len(h), TOP) / TOP for h in todays_hidden]}
    for arm in arms:
        acts = arm == "feedback"
        reader = Reader(root / f"{case.name}-{seed}-{arm}", library, acts)
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
            np.random.default_rng([3, d] + ([seed] if seed else [])).shuffle(digest)
            t0 = time.perf_counter()
            out[arm].append(reader.day(digest, wanted, d + 1))
            log(
                f"  {case.name:<12} seed {seed} {arm:<8} day {d + 1:>2}: P@10 {out[arm][-1]:.1f}  ({time.perf_counter() - t0:.1f} s)"
            )
        if acts:
            log("  " + reader.feedback_summary().replace("\n", "\n  "))
    return out


Results = dict[int, dict[str, dict[str, list[float]]]]  # seed -> library -> arm (and "ceiling") -> P@10 per day


def _last(values: list[float], days: int) -> float:
    return float(np.mean(values[max(0, days - LAST_DAYS) : days]))


def print_table(results: Results, days: int) -> bool:
    """The P@10 table (a cell: with feedback / without, mean over the seeds), the mean of the last days per
    library with its spread over the seeds, and the target (on the means over the seeds)."""
    seeds = sorted(results)
    names = list(results[seeds[0]])
    print(
        f"\nSimulated weeks: P@10 per day, with feedback / without (digest {DIGEST} papers, top {TOP} pushed; "
        f"mean of {len(seeds)} seed{'s' * (len(seeds) > 1)}: {', '.join(map(str, seeds))})"
    )
    header = f"{'day':>4} " + "".join(f"{n[:12]:>13}" for n in names) + f"{'mean':>13}"
    print(header)
    print("-" * len(header))
    for d in range(days):
        per = {n: [float(np.mean([results[s][n][a][d] for s in seeds])) for a in ("feedback", "none")] for n in names}
        cells = [f"{f:.2f}/{n:.2f}" for f, n in per.values()]
        mf, mn = np.mean([v[0] for v in per.values()]), np.mean([v[1] for v in per.values()])
        print(f"{d + 1:>4} " + "".join(f"{c:>13}" for c in cells) + f"{mf:.2f}/{mn:.2f}".rjust(13))
    print(
        f"\ndays {max(1, days - LAST_DAYS + 1)}-{days}, mean P@10 over the seeds (+- their standard deviation; "
        "ratio range: lowest-highest seed; ceiling: the day's hidden papers / 10)"
    )
    print(
        f"{'library':<13}{'hidden/day':>11}{'feedback':>15}{'none':>15}{'ratio':>8}{'range':>13}"
        f"{'worse':>7}{'ceiling':>9}"
    )
    f_lib, n_lib = {}, {}
    for name in names:
        f = np.array([_last(results[s][name]["feedback"], days) for s in seeds])
        n = np.array([_last(results[s][name]["none"], days) for s in seeds])
        c = float(np.mean([_last(results[s][name]["ceiling"], days) for s in seeds]))
        f_lib[name], n_lib[name] = f, n
        per_day = sorted({round(x * TOP) for s in seeds for x in results[s][name]["ceiling"][:days]})
        shown = f"{per_day[0]}" if len(per_day) == 1 else f"{per_day[0]}-{per_day[-1]}"
        ratio = f"{f.mean() / n.mean():.2f}x" if n.mean() else "-"
        each = [a / b for a, b in zip(f, n) if b]
        spread = f"{min(each):.2f}-{max(each):.2f}" if each else "-"
        print(
            f"{name:<13}{shown:>11}{f'{f.mean():.3f}+-{f.std():.3f}':>15}{f'{n.mean():.3f}+-{n.std():.3f}':>15}"
            f"{ratio:>8}{spread:>13}{f'{int((f < n).sum())}/{len(seeds)}':>7}{c:>9.2f}"
        )
    per_seed = [
        float(np.mean([f_lib[n][i] for n in names]) / np.mean([n_lib[n][i] for n in names])) for i in range(len(seeds))
    ]
    mf = float(np.mean([f_lib[n].mean() for n in names]))
    mn = float(np.mean([n_lib[n].mean() for n in names]))
    ratio = mf / mn if mn else float("inf")
    never_worse = all(f_lib[n].mean() >= n_lib[n].mean() for n in names)
    ok = ratio >= TARGET and never_worse
    if len(seeds) > 1:
        print(
            "ratio of the means, per seed: "
            + ", ".join(f"{s}: {r:.3f}x" for s, r in zip(seeds, per_seed))
            + f" (mean {np.mean(per_seed):.3f}x +- {np.std(per_seed):.3f})"
        )
    print(
        f"target: mean {mf:.3f} / {mn:.3f} = {ratio:.3f}x (>= {TARGET}x), never worse on a library (mean over "
        f"the seeds): {'yes' if never_worse else 'NO'} -> {'MET' if ok else 'NOT MET'}"
    )
    return ok


def load_runs(files: str) -> Results:
    """The results of saved ``--json`` runs (comma-separated files), arms of the same seed and library merged;
    a seed is kept only for the libraries that have both arms."""
    results: Results = {}
    for part in files.split(","):
        saved = json.loads(Path(part).read_text())
        runs = saved["seeds"] if "seeds" in saved else {"0": saved["results"]}
        for seed, libraries in runs.items():
            for name, arms in libraries.items():
                results.setdefault(int(seed), {}).setdefault(name, {}).update(arms)
    complete = [
        {n for n, arms in libraries.items() if {"feedback", "none", "ceiling"} <= set(arms)}
        for libraries in results.values()
    ]
    keep = set.intersection(*complete) if complete else set()
    return {s: {n: arms for n, arms in libraries.items() if n in keep} for s, libraries in results.items()}


def _settings(pairs: list[str]) -> dict[str, Any]:
    """``--set name=value`` pairs: fields of zotrec.recommend.Settings to change (what-if runs)."""
    from zotrec.recommend import Settings

    defaults = Settings()
    out: dict[str, Any] = {}
    for pair in pairs:
        name, _, value = pair.partition("=")
        if name not in Settings.__dataclass_fields__:
            raise SystemExit(f"--set {pair}: no such setting (one of {', '.join(Settings.__dataclass_fields__)})")
        kind = type(getattr(defaults, name))
        out[name] = kind(float(value)) if kind in (int, float) else float(value)
    return out


def _use_settings(overrides: dict[str, Any]) -> None:
    """Every Recommender the sync builds uses these settings (what-if runs; the default measures what ships)."""
    import functools

    import zotrec.recommend as recommend

    settings = recommend.Settings(**overrides)  # type: ignore[arg-type]
    recommend.Recommender = functools.partial(recommend.Recommender, settings=settings)  # type: ignore[misc]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=int, default=20)
    ap.add_argument("--per-day", type=int, default=5, help="hidden papers per digest (fewer when the fifth is small)")
    ap.add_argument("--libraries", default=",".join(CASES))
    ap.add_argument(
        "--fifth",
        choices=("random", "topic"),
        default="topic",
        help="the reader's interests: the fifth nearest one paper (default) or a random fifth",
    )
    ap.add_argument(
        "--start",
        type=int,
        default=START,
        help=f"zotrec starts from this many papers of the other four fifths (default {START}; 0: all of them)",
    )
    ap.add_argument("--quick", action="store_true", help="libraries nlp and sysbio")
    ap.add_argument("--seeds", type=int, default=SEEDS, help=f"run seeds 0 .. N-1 (default {SEEDS})")
    ap.add_argument("--seed", default="0", help="with --seeds 0: these seeds (comma-separated)")
    ap.add_argument("--arms", default="feedback,none", help="feedback, none or both (default)")
    ap.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="what-if: a recommender setting")
    ap.add_argument("--json", type=Path, help="also write the P@10 per day here")
    ap.add_argument("--table", help="print the table from these --json files (comma-separated), run nothing")
    args = ap.parse_args(argv)
    if args.table:
        results = load_runs(args.table)
        if not any(results.values()):
            raise SystemExit(f"--table {args.table}: no library with both arms in every seed")
        print_table(results, len(next(iter(next(iter(results.values())).values()))["ceiling"]))
        return
    overrides = _settings(args.set)
    if overrides:
        _use_settings(overrides)
    names = ["nlp", "sysbio"] if args.quick else args.libraries.split(",")
    seeds = list(range(args.seeds)) if args.seeds else [int(x) for x in args.seed.split(",")]
    cases = load(names, pool_size=None)
    arms = tuple(args.arms.split(","))
    start = args.start or None
    t0 = time.perf_counter()
    results: Results = {}
    with tempfile.TemporaryDirectory(prefix="zotrec-bench-weeks-") as tmp:
        for seed in seeds:
            for case in cases:
                results.setdefault(seed, {})[case.name] = simulate(
                    case, args.days, args.per_day, Path(tmp), args.fifth, start, arms=arms, seed=seed
                )
                if args.json:  # after every library, so that a run cut short keeps what it measured
                    payload = {"fifth": args.fifth, "start": start, "settings": overrides, "seeds": results}
                    args.json.write_text(json.dumps(payload, indent=1), encoding="utf-8")
    told = f"from {start} papers of the other four fifths" if start else "from the other four fifths"
    print(f"\nreader's interests: a {args.fifth} fifth of each library; zotrec starts {told}")
    if overrides:
        print("what-if settings: " + ", ".join(f"{k}={v:g}" for k, v in overrides.items()))
    if set(arms) == {"feedback", "none"}:
        print_table(results, args.days)
    print(f"\nbenchmark time {time.perf_counter() - t0:.0f} s (2-core machine shared with other jobs)")


if __name__ == "__main__":
    main()
