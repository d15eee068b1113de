"""Topic model benchmarks: quality on a date split of the real corpora, and throughput.

Quality (issue 9): ``python -m benchmarks.topics quality [--splits narrow,broad] [--write-card]``.
The corpora in ../shared/data/corpora are read and deduplicated by arXiv id, then split by date
*within each corpus*: the papers of the earliest ~80 % of announcement days train, the papers of the
later days test (undated rows, the Kaggle 2007 snapshot and the id-less Keras subset, only train).
``narrow`` = the cs/astro/q-bio day files, labels with >= 20 training papers; ``broad`` = every
corpus. Reported: micro/macro-F1 of the confident topics, top-1 accuracy on the primary category and
on its archive, the confusions that cost most. ``--write-card`` stores the figures in the shipped
model card (models/topics.card.json) and models/topics.md.

Throughput (below):

In a fresh process: load the shipped model (``zotrec.topics.load_topic_model()``: sha256 check and
unpickling, timed apart), then ``model.predict(papers)`` on the 2,000 real papers of the scale
digest, several times; papers/s = 2,000 / median predict time. The model load is reported apart
because a run pays it once whatever the digest size.

    python -m benchmarks.topics [--repeats 5]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import date
from pathlib import Path

from benchmarks import Row, emit, median, python_child

TARGET_PER_S = 2000.0


def worker(repeats: int) -> None:
    from benchmarks import scale_data
    from benchmarks.speed import topic_model_path

    papers = scale_data.digest_papers()
    import zotrec.topics  # noqa: F401 - imports are not the model's cost

    start = time.perf_counter()
    model = zotrec.topics.load_topic_model(topic_model_path())
    load = time.perf_counter() - start
    runs, cpu = [], []
    for _ in range(repeats):
        t, c = time.perf_counter(), time.process_time()
        labels = model.predict(papers)
        runs.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    emit({
        "papers": len(papers), "load_s": load, "predict_s": runs, "predict_cpu_s": cpu,
        "labelled": sum(1 for x in labels if x), "labels": len(model.labels),
    })


def measure(repeats: int = 5, log=print) -> tuple[list[Row], dict]:
    child = python_child("benchmarks.topics", "_worker", str(repeats))
    try:
        res = child.result()
    except RuntimeError as err:
        return [Row("5 topics", "shipped model throughput", "failed", ">= 2000/s", "n/a", str(err).splitlines()[-1][:120])], {}
    res["maxrss_mb"] = child.maxrss_mb
    per_s = res["papers"] / median(res["predict_s"])
    per_s_cpu = res["papers"] / median(res["predict_cpu_s"])
    log(f"  topics: {per_s:.0f} papers/s (cpu {per_s_cpu:.0f}/s), load {res['load_s']:.2f} s")
    rows = [
        Row("5 topics", f"predict, {res['papers']} papers ({res['labels']} labels)", f"{per_s:,.0f} papers/s",
            ">= 2,000/s", "ok" if per_s >= TARGET_PER_S else "MISS",
            f"CPU-time rate {per_s_cpu:,.0f}/s; {res['labelled']} papers got a confident label"),
        Row("5 topics", "model load (sha256 + unpickle), once per run", f"{res['load_s']:.2f} s", "", "",
            f"process peak RSS {child.maxrss_mb:.0f} MB"),
    ]
    return rows, res


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "_worker":
        worker(int(argv[1]))
        return 0
    if argv and argv[0] == "quality":
        return quality_main(argv[1:])
    if argv and argv[0] == "personal":
        return personal_main(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m benchmarks.topics")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    from benchmarks import print_table

    rows, _ = measure(args.repeats, log=lambda m: print(m, file=sys.stderr))
    print_table(rows)
    return 0


# -- quality ----------------------------------------------------------------------------------------
CORPORA = Path(__file__).resolve().parents[2] / "shared" / "data" / "corpora"
NARROW = ("arxiv-daily-cs", "arxiv-daily-astro", "arxiv-daily-qbio")
TARGETS = {
    "narrow": {"micro_f1": 0.76, "top1_primary": 0.82},
    "broad": {"micro_f1": 0.65, "top1_primary": 0.68, "top1_archive": 0.85},
}
REFERENCE = {  # issue 9: tf-idf (1-2 grams) + one-vs-rest LinearSVC, later days than trained on
    "narrow": {"micro_f1": 0.70, "top1_primary": 0.78},
    "broad": {"micro_f1": 0.59, "top1_primary": 0.61, "top1_archive": 0.78},
}


def date_split(records, test_share: float = 0.2):
    """Per corpus: rows of the latest days (about ``test_share`` of its dated rows) test, the rest train."""
    from collections import defaultdict

    by_corpus = defaultdict(list)
    for r in records:
        by_corpus[r.corpus].append(r)
    train, test, cuts = [], [], {}
    for corpus, rows in sorted(by_corpus.items()):
        dated = sorted(r.day for r in rows if r.day)
        days = sorted(set(dated))
        if len(days) < 5:
            train += rows
            continue
        cut = dated[int(len(dated) * (1 - test_share))]
        if cut == days[0]:
            train += rows
            continue
        cuts[corpus] = cut.isoformat()
        for r in rows:
            (test if r.day and r.day >= cut else train).append(r)
    return train, test, cuts


def run_split(name: str, records, log=print, also=None, **params) -> dict:
    from zotrec.topics.build import train_from_records
    from zotrec.topics.evaluate import evaluate

    train, test, cuts = date_split(records)
    log(f"[{name}] {len(train)} train / {len(test)} test papers; test from: {cuts}")
    t0 = time.perf_counter()
    model = train_from_records(train, progress=lambda m: log(f"[{name}]   {m}"), **params)
    fit_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    ev = evaluate(model, [(r.title, r.abstract) for r in test], [r.labels for r in test])
    eval_s = time.perf_counter() - t0
    summary = ev.summary()
    log(f"[{name}] {summary}")
    extra = {}
    if also:  # the same model on another test set, on that set's labels only
        other_name, other_test, other_labels = also
        other_test = [r for r in other_test if r.day and any(r.day >= date.fromisoformat(c) and r.corpus == k
                                                            for k, c in cuts.items())]
        ev2 = evaluate(model, [(r.title, r.abstract) for r in other_test], [r.labels for r in other_test],
                       only=other_labels)
        extra[other_name] = {"test_papers": len(other_test), "labels": len(other_labels), **ev2.summary(),
                             "confusions": ev2.confusions[:10]}
        log(f"[{name}] on {other_name}: {extra[other_name]}")
    return {
        **extra,
        "split": name,
        "train_papers": len(train),
        "test_papers": len(test),
        "test_days_from": cuts,
        "labels": len(model.labels),
        "left_out": model.card["left_out"],
        "fit_seconds": round(fit_s, 1),
        "eval_papers_per_s": round(len(test) / eval_s, 1),
        **summary,
        "targets": TARGETS[name],
        "reference": REFERENCE[name],
        "confusions": ev.confusions,
        "per_label": ev.per_label,
    }


def quality_main(argv: list[str]) -> int:
    from zotrec.topics.corpus import read_corpus

    parser = argparse.ArgumentParser(prog="python -m benchmarks.topics quality")
    parser.add_argument("--splits", default="narrow,broad")
    parser.add_argument("--corpora", default=str(CORPORA))
    parser.add_argument("--out", help="write the full results (JSON) here")
    parser.add_argument("--write-card", action="store_true", help="store the figures in the shipped model card")
    args = parser.parse_args(argv)
    log = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731
    records = read_corpus([args.corpora])
    results = {}
    narrow_records = [r for r in records if r.corpus in NARROW]
    _, narrow_test, _ = date_split(narrow_records)
    for name in args.splits.split(","):
        if name == "narrow":
            results[name] = run_split(name, narrow_records, log=log)
        else:
            also = None
            if "narrow" in results:  # the broad model (trained on every corpus) on the narrow test days
                also = ("narrow_test", narrow_test, [row["label"] for row in results["narrow"]["per_label"]])
            results[name] = run_split(name, records, log=log, also=also)
    for name, res in results.items():
        print(f"\n== {name}: {res['train_papers']} train / {res['test_papers']} test papers, {res['labels']} labels")
        for key in ("micro_f1", "macro_f1", "top1_primary", "top1_archive", "no_topic_rate"):
            target = res["targets"].get(key)
            ref = res["reference"].get(key)
            mark = "" if target is None else ("  ok" if res[key] >= target else "  MISS")
            extra = "" if target is None else f"  (target >= {target}, reference {ref})"
            print(f"  {key:14s} {res[key]:.4f}{extra}{mark}")
        print("  costly confusions (true -> predicted top-1):")
        for c in res["confusions"][:10]:
            print(f"    {c['true']:>18s} -> {c['predicted']:<18s} {c['count']}")
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
    if args.write_card:
        from zotrec.topics.card import write_benchmark

        write_benchmark(results, command="python -m benchmarks.topics quality --write-card")
    return 0


# -- personal topics ---------------------------------------------------------------------------------
LIBRARIES = Path(__file__).resolve().parents[2] / "shared" / "data" / "libraries"
PERSONAL = {  # real Zotero exports whose items carry tags (none of them carries collections)
    "systemsbio (Zotero RDF)": "systemsbio-scalefreegan/My Library.rdf",
    "nlp (Better BibTeX)": "nlp-ChenghaoMou/My Library.bib",
    "hep-ml (Better BibLaTeX)": "hep-ml-ChristianMichelsen/My_Library.bib",
}


def personal_main(argv: list[str]) -> int:
    """Personal tags: hold out a random fifth of the tagged papers, train on the rest, micro-F1."""
    from zotrec.sources import read_source
    from zotrec.topics.personal import train_personal_model

    parser = argparse.ArgumentParser(prog="python -m benchmarks.topics personal")
    parser.add_argument("--min-examples", type=int, default=5)
    parser.add_argument("--out", help="write the results (JSON) here")
    parser.add_argument("--write-card", action="store_true", help="store the figures in models/topics.card.json")
    args = parser.parse_args(argv)
    results = {}
    for name, rel in PERSONAL.items():
        papers = read_source(str(LIBRARIES / rel), dedupe_within=False)
        model, report = train_personal_model(
            papers, collections=False, tags=True, min_examples=args.min_examples, holdout=0.2, seed=0
        )
        m = report.metrics
        results[name] = {
            "file": rel, "papers": report.papers, "tagged_papers": report.used_papers,
            "tags_learned": len(report.labels), "tags_left_out": len(report.left_out),
            **{k: m.get(k) for k in ("test_papers", "micro_f1", "macro_f1", "micro_precision", "micro_recall",
                                     "top1_primary", "no_topic_rate")},
        }
        print(f"{name}: {report.used_papers} tagged papers, {len(report.labels)} tags with >= "
              f"{args.min_examples} papers ({len(report.left_out)} left out); held-out fifth "
              f"({m.get('test_papers')} papers): micro-F1 {m.get('micro_f1', float('nan')):.3f}, "
              f"macro-F1 {m.get('macro_f1', float('nan')):.3f}, P {m.get('micro_precision', float('nan')):.3f}, "
              f"R {m.get('micro_recall', float('nan')):.3f}")
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
    if args.write_card:
        from zotrec.topics.card import write_personal_benchmark

        write_personal_benchmark(results, command="python -m benchmarks.topics personal --write-card")
    return 0


if __name__ == "__main__":
    sys.exit(main())
