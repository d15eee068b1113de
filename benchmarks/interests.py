"""Interests benchmark: does scoring each collection as its own profile find and file every interest?

    python -m benchmarks.interests [--splits 3] [--library bbt|rdf] [--pool arxiv-daily-cs]

On the real group library in ../shared/data/libraries/semanticbim-accord (26 collections, topics
and venues alike), hide a random fifth of each collection's papers that have an abstract in a pool
of real arXiv papers (../shared/data/corpora), let each method see the rest of the library (papers
without abstract included, as zotrec sees a library), rank the pool, and report averaged over the
splits:

- interest coverage: of the collections with >= 3 hidden papers, the share with at least one hidden
  paper in the top 20 of the pool (target >= 0.8 and ahead of the single profile);
- filing accuracy: for the hidden papers in zotrec-with-interests' top 100, how often the interest a
  method names is one the paper really belongs to: one of its collections, or the interest its
  collections count into (a subcollection too small to be an interest counts into its parent);
  target >= 0.80 and ahead of the nearest-neighbour rule (the interest of the nearest library paper
  that has one) and of tf-idf + LinearSVC one-vs-rest (arxiv-sanity-lite's features, C=0.01 and
  C=1, balanced), all measured on the same papers;
- AUC and nDCG@20 of the whole ranking: no worse than the single profile by more than 0.005.

Methods: zotrec with interests (what ships), zotrec with the library as one profile
(``LibraryIndex.build(..., interests=None)``), and arxiv-sanity-lite (its tf-idf + LinearSVC
ranking; for filing, its one SVM per tag, i.e. the one-vs-rest classifier above).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.svm import LinearSVC

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.recommend import DATA, anchor_asl, metrics, read_pool
from zotrec.interests import Interests, InterestSettings, select_interests
from zotrec.paper import Paper, normalize_title
from zotrec.pipeline import balance
from zotrec.ranked import Ranked
from zotrec.recommend import LibraryIndex, Recommender
from zotrec.recommend.model import top_k_similar

LIBRARY = DATA / "libraries" / "semanticbim-accord"
FILES = {"bbt": "better-bibtex-json.json", "rdf": "zotero.rdf"}
TOP_COVER, TOP_FILE, MIN_HIDDEN = 20, 100, 3


def load(kind: str, pool_folders: list[str]) -> tuple[list[Paper], list[Paper]]:
    from zotrec.sources import read_source

    library = read_source(str(LIBRARY / FILES[kind]))
    titles = {normalize_title(p.title) for p in library}
    pool = [p for p in read_pool(pool_folders) if normalize_title(p.title) not in titles]
    return library, pool


def split(library: list[Paper], seed: int) -> tuple[list[Paper], list[Paper]]:
    """(seen, hidden): a random fifth of each collection's papers with an abstract is hidden. The
    papers are drawn in title order, so every export of one library (RDF, Better BibTeX JSON) hides
    the same papers, whatever order it lists them in."""
    rng = np.random.default_rng(seed)
    by_collection: dict[str, list[int]] = {}
    order = sorted(range(len(library)), key=lambda i: (normalize_title(library[i].title), library[i].title or ""))
    for i in order:
        p = library[i]
        if p.abstract:
            for c in p.collections:
                by_collection.setdefault(c, []).append(i)
    hidden: set[int] = set()
    for c in sorted(by_collection):
        members = by_collection[c]
        hidden.update(rng.choice(members, size=len(members) // 5, replace=False).tolist())
    seen = [p for i, p in enumerate(library) if i not in hidden]
    return seen, [library[i] for i in sorted(hidden)]


def truth(paper: Paper, interests: Interests) -> set[str]:
    """The interests a paper really belongs to: its collections and what they count into."""
    return set(paper.collections) | set(interests.of(paper.collections))


# -- filing baselines ------------------------------------------------------------------------------
def file_nearest(index: LibraryIndex, papers: list[Paper]) -> list[str | None]:
    idx, sims = top_k_similar(index.transform(papers), index.library, 20)
    out = []
    for row, sim in zip(idx, sims):
        found = None
        for i, s in zip(row, sim):
            cols = np.flatnonzero(index.membership[i]) if s > 0 else []
            if len(cols):
                found = index.interests[cols[0]]
                break
        out.append(found)
    return out


def file_ovr(seen: list[Paper], interests: Interests, papers: list[Paper], C: float) -> list[str | None]:
    """tf-idf (arxiv-sanity-lite's settings) + one LinearSVC per interest, trained on the library."""
    vec = TfidfVectorizer(
        strip_accents="unicode",
        lowercase=True,
        stop_words="english",
        token_pattern=r"(?u)\b[a-zA-Z_][a-zA-Z0-9_]+\b",
        ngram_range=(1, 2),
        max_features=20000,
        sublinear_tf=True,
        max_df=0.1,
        min_df=2,
    )
    labels = interests.labels(seen)
    X = vec.fit_transform([p.text for p in seen])
    Q = vec.transform([p.text for p in papers])
    margins = np.full((len(papers), len(interests)), -np.inf)
    for j, name in enumerate(interests.names):
        y = np.asarray([name in ls for ls in labels], dtype=int)
        if 0 < y.sum() < len(y):
            svm = LinearSVC(C=C, class_weight="balanced", max_iter=10000).fit(X, y)
            margins[:, j] = svm.decision_function(Q)
    return [interests.names[int(j)] for j in margins.argmax(axis=1)]


# -- one split ---------------------------------------------------------------------------------------
def coverage(order: np.ndarray, pool: list[Paper], hidden: list[Paper]) -> tuple[float, int]:
    counts = Counter(c for p in hidden for c in p.collections)
    targets = {c for c, n in counts.items() if n >= MIN_HIDDEN}
    top = [pool[i] for i in order[:TOP_COVER] if i < len(hidden)]
    covered = {c for p in top for c in p.collections} & targets
    return len(covered) / len(targets) if targets else float("nan"), len(targets)


def run_split(library: list[Paper], arxiv: list[Paper], seed: int) -> dict[str, dict[str, float]]:
    seen, hidden = split(library, seed)
    pool = hidden + arxiv
    labels = np.r_[np.ones(len(hidden)), np.zeros(len(arxiv))]
    out: dict[str, dict[str, float]] = {}
    t0 = time.perf_counter()
    index = LibraryIndex.build(seen)
    recs = Recommender(index).rank(pool)
    # the order sync picks in: equal scores balanced over interests (zotrec.sync.balance)
    ranked = balance([Ranked(r.paper, r.score, interest=r.interest) for r in recs])
    position = {id(r.paper): n for n, r in enumerate(ranked)}
    order = np.asarray(sorted(range(len(pool)), key=lambda i: position[id(pool[i])]))
    named = {id(r.paper): r.interest for r in recs}
    out["zotrec-interests"] = _ranking(order, labels, pool, hidden) | {"s": time.perf_counter() - t0}
    t0 = time.perf_counter()
    single = LibraryIndex.build(seen, interests=None)
    recs1 = Recommender(single).rank(pool)
    pos1 = {id(r.paper): n for n, r in enumerate(recs1)}
    order1 = np.asarray(sorted(range(len(pool)), key=lambda i: pos1[id(pool[i])]))
    out["zotrec-single"] = _ranking(order1, labels, pool, hidden) | {"s": time.perf_counter() - t0}
    t0 = time.perf_counter()
    asl = anchor_asl(single, seen, pool)
    out["arxiv-sanity-lite"] = _ranking(np.argsort(-asl, kind="stable"), labels, pool, hidden) | {
        "s": time.perf_counter() - t0
    }
    # filing: the hidden papers in zotrec-with-interests' top 100, every method on the same papers
    interests = select_interests(seen, InterestSettings())
    top = [pool[i] for i in order[:TOP_FILE] if i < len(hidden)]
    truths = [truth(p, interests) for p in top]

    def accuracy(names: list[str | None]) -> float:
        return float(np.mean([n in t for n, t in zip(names, truths)])) if top else float("nan")

    out["zotrec-interests"]["filing"] = accuracy([named[id(p)] for p in top])
    out["zotrec-interests"]["filed"] = float(len(top))
    out["nearest neighbour"] = {"filing": accuracy(file_nearest(index, top))}
    out["arxiv-sanity-lite"]["filing"] = accuracy(file_ovr(seen, interests, top, C=0.01))
    out["tf-idf+LinearSVC OvR C=1"] = {"filing": accuracy(file_ovr(seen, interests, top, C=1.0))}
    return out


def _ranking(order: np.ndarray, labels: np.ndarray, pool: list[Paper], hidden: list[Paper]) -> dict[str, float]:
    scores = np.empty(len(order))
    scores[order] = -np.arange(len(order), dtype=np.float64)  # rank position as the score
    m = metrics(scores, labels)
    cover, targets = coverage(order, pool, hidden)
    return {"AUC": m["AUC"], "nDCG@20": m["nDCG@20"], "coverage": cover, "targets": float(targets)}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--splits", type=int, default=3)
    ap.add_argument("--library", choices=sorted(FILES), default="bbt")
    ap.add_argument("--pool", default="arxiv-daily-cs")
    args = ap.parse_args(argv)
    if not LIBRARY.is_dir():
        raise SystemExit(f"shared data not found at {LIBRARY}")
    library, arxiv = load(args.library, args.pool.split(","))
    t0 = time.perf_counter()
    runs = [run_split(library, arxiv, seed) for seed in range(args.splits)]
    print_table(runs, library, arxiv, args)
    print(f"\nbenchmark time {time.perf_counter() - t0:.0f} s (2 shared cores, other jobs running)")


def print_table(runs: list[dict[str, dict[str, float]]], library, arxiv, args) -> None:
    n_abs = sum(1 for p in library if p.abstract)
    print(
        f"\nInterests: {LIBRARY.name} ({args.library}: {len(library)} papers, {n_abs} with abstract, "
        f"{len({c for p in library for c in p.collections})} collections), pool {len(arxiv)} arXiv papers "
        f"({args.pool}), {len(runs)} splits"
    )
    keys = ["coverage", "filing", "AUC", "nDCG@20", "s"]
    header = f"{'method':<28}" + "".join(f"{k:>10}" for k in keys)
    print(header)
    print("-" * len(header))
    mean: dict[str, dict[str, float]] = {}
    for method in runs[0]:
        mean[method] = {
            k: float(np.nanmean([r[method].get(k, np.nan) for r in runs])) for k in keys + ["targets", "filed"]
        }
        print(
            f"{method:<28}"
            + "".join(f"{mean[method][k]:10.3f}" if not np.isnan(mean[method][k]) else f"{'-':>10}" for k in keys)
        )
    zi, zs = mean["zotrec-interests"], mean["zotrec-single"]
    print(
        f"\ncollections with >= {MIN_HIDDEN} hidden papers per split: {zi['targets']:.1f}; hidden papers filed "
        f"(in the top {TOP_FILE}): {zi['filed']:.1f}"
    )
    baselines = max(mean[m]["filing"] for m in mean if m != "zotrec-interests" and not np.isnan(mean[m]["filing"]))
    checks = [
        ("coverage >= 0.8", zi["coverage"] >= 0.8),
        ("coverage ahead of single profile", zi["coverage"] > zs["coverage"]),
        ("filing >= 0.80", zi["filing"] >= 0.80),
        ("filing ahead of NN and OvR", zi["filing"] > baselines),
        ("AUC within 0.005 of single", zi["AUC"] >= zs["AUC"] - 0.005),
        ("nDCG@20 within 0.005 of single", zi["nDCG@20"] >= zs["nDCG@20"] - 0.005),
    ]
    print("targets: " + "; ".join(f"{name} {'MET' if ok else 'MISSED'}" for name, ok in checks))


if __name__ == "__main__":
    main()
