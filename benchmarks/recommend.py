"""Recommender quality benchmark: library hold-out on real libraries, zotrec against three anchors.

    python benchmarks/recommend.py [--splits 3] [--libraries astro,nlp,...] [--quick]
    python -m benchmarks.recommend --drift 0.05,0.1,0.2,0.3   # incremental index against full rebuilds

For each real library in ../shared/data/libraries, hide a random fifth of its papers that have an
abstract in a pool of real arXiv papers of the same field (../shared/data/corpora), drop pool papers
the library holds (same arXiv id, DOI or normalised title: :func:`not_in_library`), let each method
see the other four fifths, rank the pool, and report
AUC, nDCG@20, P@10, R@50 and MRR averaged over the splits. Anchors, as published:

- ZAD (zotero-arxiv-daily): sum_i w_i cos(paper, lib_i), library newest first, w_i = 1/(1+log10(i+1)),
  normalised (on zotrec's tf-idf features);
- ZotWatch: max cosine to any library item (zotrec's tf-idf features);
- ASL (arxiv-sanity-lite): its own TfidfVectorizer (1-2 grams, 20k features, sublinear tf,
  max_df 0.1, min_df 5) fitted on library + pool, LinearSVC(C=0.01, class_weight="balanced"),
  positives = library, negatives = every pool paper, score = decision function.
"""

from __future__ import annotations

import argparse
import glob
import json
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import roc_auc_score
from sklearn.svm import LinearSVC

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.speed import ASL_VECTORIZER  # the arxiv-sanity-lite settings, one place
from zotrec.paper import Paper
from zotrec.recommend import LibraryIndex, Recommender, Settings
from zotrec.recommend.model import top_k_similar

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
LIBS = DATA / "libraries"
CORPORA = DATA / "corpora"

# name -> (library file, corpora folders that make its pool)
LIBRARIES = {
    "astro": ("astro-bbt-Straw674/zotero_library_2026_0605.bib", ["arxiv-daily-astro"]),
    "nlp": ("nlp-ChenghaoMou/My Library.bib", ["arxiv-daily-cs"]),
    "sysbio": ("systemsbio-scalefreegan/My Library.rdf", ["arxiv-daily-qbio"]),
    "genomics": ("genomics-qizhengyang2017/MyLibrary.json", ["arxiv-daily-qbio"]),
    "hep-ml": ("hep-ml-ChristianMichelsen/My_Library.bib", ["arxiv-daily-astro", "arxiv-daily-cs"]),
}


# -- reading ---------------------------------------------------------------------------------
def _clean(value: str) -> str:
    return " ".join(re.sub(r"[{}]", "", value or "").split())


def _read_bib(path: Path) -> list[Paper]:
    import bibtexparser
    from bibtexparser.bparser import BibTexParser

    parser = BibTexParser(common_strings=True, ignore_nonstandard_types=False)
    db = bibtexparser.loads(path.read_text(encoding="utf-8", errors="replace"), parser=parser)
    return [
        Paper(
            title=_clean(e.get("title", "")),
            abstract=_clean(e.get("abstract", "")),
            key=e.get("ID"),
            date_added=e.get("urldate") or None,
            arxiv_id=e.get("eprint") or None,
            doi=e.get("doi") or None,
        )
        for e in db.entries
    ]


def _read_csl(path: Path) -> list[Paper]:
    return [
        Paper(
            title=d.get("title", ""),
            abstract=d.get("abstract", ""),
            key=d.get("id"),
            date_added=(d.get("accessed") or {}).get("date-parts", [[None]])[0][0]
            and "-".join(f"{int(x):02d}" for x in d["accessed"]["date-parts"][0]),
            doi=d.get("DOI"),
        )
        for d in json.loads(path.read_text(encoding="utf-8"))
    ]


def _read_rdf(path: Path) -> list[Paper]:
    from lxml import etree

    ns = {
        "dc": "http://purl.org/dc/elements/1.1/",
        "dcterms": "http://purl.org/dc/terms/",
        "z": "http://www.zotero.org/namespaces/export#",
    }
    root = etree.parse(str(path)).getroot()
    papers = []
    for node in root:
        kind = node.findtext("z:itemType", namespaces=ns)
        title = node.findtext("dc:title", namespaces=ns)
        if not title or kind in (None, "attachment", "note"):
            continue
        papers.append(
            Paper(
                title=title,
                abstract=node.findtext("dcterms:abstract", namespaces=ns) or "",
                key=node.get("{http://www.w3.org/1999/02/22-rdf-syntax-ns#}about"),
                date_added=node.findtext("dcterms:dateSubmitted", namespaces=ns),
            )
        )
    return papers


def read_library(path: Path) -> list[Paper]:
    """Papers of a library export: ``zotrec.sources.read_source`` when it reads it, else a minimal parser."""
    try:
        from zotrec.sources import read_source

        papers = read_source(str(path))
        if papers and any(p.abstract for p in papers):
            return papers
    except Exception:  # the format may not be supported (yet)
        pass
    return {".bib": _read_bib, ".json": _read_csl, ".rdf": _read_rdf}[path.suffix.lower()](path)


def read_pool(folders: list[str]) -> list[Paper]:
    seen, papers = set(), []
    for folder in folders:
        for f in sorted(glob.glob(str(CORPORA / folder / "*.jsonl"))):
            for line in open(f, encoding="utf-8"):
                if not line.strip():
                    continue
                d = json.loads(line)
                if d["id"] in seen or not d.get("summary"):
                    continue
                seen.add(d["id"])
                papers.append(
                    Paper(title=d["title"], abstract=d["summary"], arxiv_id=d["id"], authors=d.get("authors") or [])
                )
    return papers


# -- metrics ---------------------------------------------------------------------------------
def metrics(scores: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    order = np.argsort(-scores, kind="stable")
    rel = labels[order]
    n_pos = int(labels.sum())
    discounts = 1.0 / np.log2(np.arange(2, 22))
    dcg = float((rel[:20] * discounts[: len(rel[:20])]).sum())
    idcg = float(discounts[: min(20, n_pos)].sum())
    first = np.flatnonzero(rel)
    return {
        "AUC": roc_auc_score(labels, scores),
        "nDCG@20": dcg / idcg if idcg else 0.0,
        "P@10": float(rel[:10].mean()),
        "R@50": float(rel[:50].sum() / n_pos),
        "MRR": 1.0 / (first[0] + 1) if len(first) else 0.0,
    }


# -- methods ---------------------------------------------------------------------------------
def _recency_order(library: list[Paper]) -> np.ndarray:
    return np.asarray(sorted(range(len(library)), key=lambda i: library[i].date_added or "", reverse=True))


def anchor_zad(index: LibraryIndex, library: list[Paper], pool: list[Paper]) -> np.ndarray:
    X = index.transform(pool)
    order = _recency_order(library)
    w = 1.0 / (1.0 + np.log10(np.arange(len(order)) + 1.0))
    w = (w / w.sum()).astype(np.float32)
    weights = np.empty(len(order), dtype=np.float32)
    weights[order] = w
    return np.asarray(X @ (index.library.T @ weights)).ravel()  # sum_i w_i cos(x, lib_i)


def anchor_zotwatch(index: LibraryIndex, library: list[Paper], pool: list[Paper]) -> np.ndarray:
    _, sims = top_k_similar(index.transform(pool), index.library, 1)
    return sims[:, 0]


def anchor_asl(index: LibraryIndex, library: list[Paper], pool: list[Paper]) -> np.ndarray:
    vec = TfidfVectorizer(**ASL_VECTORIZER)
    X = vec.fit_transform([p.text for p in library + pool])
    y = np.r_[np.ones(len(library)), np.zeros(len(pool))]
    svm = LinearSVC(class_weight="balanced", max_iter=10000, tol=1e-6, C=0.01)
    svm.fit(X, y)
    return svm.decision_function(X[len(library) :])


def zotrec_method(settings: Settings):
    def run(index: LibraryIndex, library: list[Paper], pool: list[Paper]) -> np.ndarray:
        recs = Recommender(index, settings=settings).rank(pool)
        pos = {id(r.paper): r.raw for r in recs}
        return np.asarray([pos[id(p)] for p in pool])

    return run


@dataclass
class Case:
    name: str
    library: list[Paper]
    pool: list[Paper]


def not_in_library(pool: list[Paper], library: list[Paper]) -> list[Paper]:
    """The pool papers that share no identity key (arXiv id, DOI, normalised title) with a library paper.

    A title alone misses a paper whose two copies decode differently (the astro library's Zotero title
    of arXiv 2510.15650 keeps a stray ``rm`` of ``{\\rm eff}`` that the arXiv title's LaTeX drops)."""
    known = {key for paper in library for key in paper.identity_keys()}
    return [p for p in pool if known.isdisjoint(p.identity_keys())]


def load_cases(names: list[str]) -> list[Case]:
    cases = []
    for name in names:
        lib_file, folders = LIBRARIES[name]
        library = read_library(LIBS / lib_file)
        cases.append(Case(name, library, not_in_library(read_pool(folders), library)))
    return cases


def run(cases: list[Case], methods: dict, splits: int, seed0: int = 0) -> dict[str, dict[str, dict[str, float]]]:
    results: dict[str, dict[str, list[dict[str, float]]]] = {}
    for case in cases:
        with_abs = [p for p in case.library if p.abstract]
        for split in range(splits):
            rng = np.random.default_rng(seed0 + split)
            perm = rng.permutation(len(with_abs))
            n_out = len(with_abs) // 5
            held_out = [with_abs[i] for i in perm[:n_out]]
            held_in = [with_abs[i] for i in perm[n_out:]]
            pool = held_out + case.pool
            labels = np.r_[np.ones(len(held_out)), np.zeros(len(case.pool))]
            t0 = time.perf_counter()
            index = LibraryIndex.build(held_in)
            build_s = time.perf_counter() - t0
            for mname, method in methods.items():
                t0 = time.perf_counter()
                scores = method(index, held_in, pool)
                m = metrics(np.asarray(scores, dtype=np.float64), labels)
                m["s"] = time.perf_counter() - t0 + (build_s if mname.startswith("zotrec") else 0.0)
                results.setdefault(mname, {}).setdefault(case.name, []).append(m)
    return {
        mname: {lib: {k: float(np.mean([r[k] for r in runs])) for k in runs[0]} for lib, runs in per.items()}
        for mname, per in results.items()
    }


def fixed_vocabulary_index(base: list[Paper], today: list[Paper]) -> LibraryIndex:
    """The index the daily incremental update gives: vectorizer fitted on ``base`` (the library at the
    last full build), ``today``'s items vectorised with it (zotrec.recommend.cache.update_index gives
    exactly this index; tests/test_feature_cache.py checks it)."""
    full = LibraryIndex.build(base)
    vec = full.vectorizer
    papers = [p for p in today if p.title or p.abstract]
    return LibraryIndex.assemble(
        vec,
        vec.transform(papers),
        [p.title for p in papers],
        [p.key for p in papers],
        [p.date_added or "" for p in papers],
        full.background,
    )


def run_drift(cases: list[Case], drifts: list[float], splits: int) -> dict[float, list[tuple[float, float]]]:
    """AUC of a full rebuild and of the fixed-vocabulary (incremental) index, per drift level.

    Drift d: the last full build saw the library without a random share of today's items, so that
    the items added since are d x the items then (d = items added / items at the full build)."""
    out: dict[float, list[tuple[float, float]]] = {d: [] for d in drifts}
    for case in cases:
        with_abs = [p for p in case.library if p.abstract]
        for split in range(splits):
            rng = np.random.default_rng(split)
            perm = rng.permutation(len(with_abs))
            n_out = len(with_abs) // 5
            held_out = [with_abs[i] for i in perm[:n_out]]
            held_in = [with_abs[i] for i in perm[n_out:]]
            pool = held_out + case.pool
            labels = np.r_[np.ones(len(held_out)), np.zeros(len(case.pool))]
            score = zotrec_method(Settings())
            full = metrics(score(LibraryIndex.build(held_in), held_in, pool), labels)["AUC"]
            for d in drifts:
                added = int(round(len(held_in) * d / (1 + d)))
                order = np.random.default_rng(1000 + split).permutation(len(held_in))
                base = [held_in[i] for i in sorted(order[added:])]
                inc = metrics(score(fixed_vocabulary_index(base, held_in), held_in, pool), labels)["AUC"]
                out[d].append((full, inc))
                print(
                    f"  {case.name} split {split} drift {d:.2f}: full {full:.4f}, incremental {inc:.4f}",
                    file=sys.stderr,
                    flush=True,
                )
    return out


def print_drift(results: dict[float, list[tuple[float, float]]]) -> None:
    print("\nIncremental (vocabulary fixed at the last full build) against a full rebuild, mean AUC")
    print(f"{'drift':>6} {'full':>8} {'incremental':>12} {'difference':>11} {'worst':>8}")
    for d, pairs in results.items():
        full = float(np.mean([f for f, _ in pairs]))
        inc = float(np.mean([i for _, i in pairs]))
        worst = min(i - f for f, i in pairs)
        print(f"{d:6.2f} {full:8.4f} {inc:12.4f} {inc - full:+11.4f} {worst:+8.4f}")


def print_table(summary, cases: list[Case], splits: int) -> None:
    keys = ["AUC", "nDCG@20", "P@10", "R@50", "MRR"]
    print(f"\nLibrary hold-out, {splits} random splits (1/5 of each library's papers with abstract hidden in a pool)")
    for case in cases:
        n = sum(1 for p in case.library if p.abstract)
        print(f"  {case.name}: {n} library papers with abstract, {n // 5} hidden, pool {len(case.pool)} arXiv papers")
    header = f"{'method':<12} {'library':<9} " + " ".join(f"{k:>8}" for k in keys) + f" {'sec':>6}"
    print(header)
    print("-" * len(header))
    for mname, per in summary.items():
        for lib, m in per.items():
            print(f"{mname:<12} {lib:<9} " + " ".join(f"{m[k]:8.3f}" for k in keys) + f" {m['s']:6.1f}")
        mean = {k: float(np.mean([m[k] for m in per.values()])) for k in keys + ["s"]}
        print(f"{mname:<12} {'MEAN':<9} " + " ".join(f"{mean[k]:8.3f}" for k in keys) + f" {mean['s']:6.1f}")
        print()
    if "zotrec" in summary:
        anchors = [m for m in summary if m in ("ZAD", "ZotWatch", "ASL")]
        worst = []
        for lib, m in summary["zotrec"].items():
            best = max(summary[a][lib]["AUC"] for a in anchors) if anchors else 0.0
            worst.append((m["AUC"] - best, lib))
        mean_auc = np.mean([m["AUC"] for m in summary["zotrec"].values()])
        mean_ndcg = np.mean([m["nDCG@20"] for m in summary["zotrec"].values()])
        gap, lib = min(worst)
        ok = mean_auc >= 0.98 and mean_ndcg >= 0.98 and gap >= -0.01
        print(
            f"target (mean AUC >= 0.98, mean nDCG@20 >= 0.98, no library > 0.01 AUC below the best anchor): "
            f"AUC {mean_auc:.3f}, nDCG@20 {mean_ndcg:.3f}, worst gap to best anchor {gap:+.3f} ({lib}) -> "
            f"{'MET' if ok else 'NOT MET'}"
        )


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--splits", type=int, default=3)
    ap.add_argument("--libraries", default=",".join(LIBRARIES))
    ap.add_argument("--no-anchors", action="store_true")
    ap.add_argument("--drift", help="compare incremental with full rebuilds at these drift levels (e.g. 0.05,0.1,0.2)")
    args = ap.parse_args(argv)
    if not LIBS.is_dir():
        raise SystemExit(f"shared data not found at {DATA}")
    cases = load_cases(args.libraries.split(","))
    if args.drift:
        print_drift(run_drift(cases, [float(d) for d in args.drift.split(",")], args.splits))
        return
    methods = {"zotrec": zotrec_method(Settings())}
    if not args.no_anchors:
        methods.update({"ZAD": anchor_zad, "ZotWatch": anchor_zotwatch, "ASL": anchor_asl})
    t0 = time.perf_counter()
    summary = run(cases, methods, args.splits)
    print_table(summary, cases, args.splits)
    print(f"\nbenchmark time {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
