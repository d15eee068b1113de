"""Topic model benchmarks: quality on a date split of the real corpora, and throughput.

Quality of the shipped model: ``python -m benchmarks.topics quality [--narrow-reference] [--write-card]``.
The corpora in ../shared/data/corpora are read and deduplicated by arXiv id, then split by date
*within each corpus*: the papers of the earliest ~80 % of announcement days train, the papers of the
later days test (undated rows, the Kaggle 2007 snapshot and the id-less Keras subset, only train).
The shipped model is trained on the training side (``python -m benchmarks.topics train``), so the
test days are unseen by the very file that ships. The test papers are fed as digests give them,
without categories: one digest per corpus and day (per scraper repository and day for the broad
corpus), decoded as ``zotrec classify`` / ``zotrec sync`` decode them, with digest context and
without. ``narrow`` = the test papers of the cs/astro/q-bio day files, ``broad`` = all of them.
Reported: micro/macro-F1 of the listed topics, main-topic (first listed) accuracy on the primary
category and on its archive, the share with no confident topic, the costliest confusions; then
the share of papers with no confident topic per source kind on the real digests of
../shared/data/digests. ``--narrow-reference`` also trains a model on the narrow training days only
(labelled as trained for the evaluation). ``--write-card`` stores the figures in the shipped model
card (models/topics.card.json) and models/topics.md.

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
from collections import Counter
from pathlib import Path
from typing import Any

from benchmarks import Row, emit, median, python_child

TARGET_PER_S = 2000.0


def worker(repeats: int) -> None:
    from benchmarks import scale_data
    from benchmarks.speed import topic_model_path

    papers = scale_data.digest_papers()
    import zotrec.topics

    start = time.perf_counter()
    model = zotrec.topics.load_topic_model(topic_model_path())
    load = time.perf_counter() - start
    runs, cpu, labels = _timed_predictions(model, papers, repeats)
    listing = listing_papers()
    listing_runs, listing_cpu, listing_labels = _timed_predictions(model, listing, repeats) if listing else ([], [], [])
    emit(
        {
            "papers": len(papers),
            "load_s": load,
            "predict_s": runs,
            "predict_cpu_s": cpu,
            "labelled": sum(1 for x in labels if x),
            "labels": len(model.labels),
            "listing_papers": len(listing),
            "listing_predict_s": listing_runs,
            "listing_predict_cpu_s": listing_cpu,
            "listing_main": dict(Counter(x[0].label for x in listing_labels if x).most_common(3)),
        }
    )


def _timed_predictions(model: Any, papers: list[Any], repeats: int) -> tuple[list[float], list[float], list[Any]]:
    runs, cpu, labels = [], [], []
    for _ in range(repeats):
        t, c = time.perf_counter(), time.process_time()
        labels = model.predict(papers)
        runs.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return runs, cpu, labels


def listing_papers(count: int = 2000) -> list[Any]:
    """The first ``count`` papers of the shared cs listing days, as one digest (it goes to the cs
    listing expert, the costliest decoding); empty when the shared data is absent."""
    from zotrec.paper import Paper

    rows: list[dict[str, Any]] = []
    for path in sorted((CORPORA / "arxiv-daily-cs").glob("*.jsonl")):
        rows += [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]
        if len(rows) >= count:
            break
    return [Paper(title=r.get("title", ""), abstract=r.get("summary", "")) for r in rows[:count]]


def measure(repeats: int = 5, log=print) -> tuple[list[Row], dict]:
    child = python_child("benchmarks.topics", "_worker", str(repeats))
    try:
        res = child.result()
    except RuntimeError as err:
        return [
            Row("5 topics", "shipped model throughput", "failed", ">= 2000/s", "n/a", str(err).splitlines()[-1][:120])
        ], {}
    res["maxrss_mb"] = child.maxrss_mb
    per_s = res["papers"] / median(res["predict_s"])
    per_s_cpu = res["papers"] / median(res["predict_cpu_s"])
    log(f"  topics: {per_s:.0f} papers/s (cpu {per_s_cpu:.0f}/s), load {res['load_s']:.2f} s")
    rows = [
        Row(
            "5 topics",
            f"predict, {res['papers']} papers ({res['labels']} labels)",
            f"{per_s:,.0f} papers/s",
            ">= 2,000/s",
            "ok" if per_s >= TARGET_PER_S else "MISS",
            f"CPU-time rate {per_s_cpu:,.0f}/s; {res['labelled']} papers got a confident label",
        ),
        *_listing_rows(res),
        Row(
            "5 topics",
            "model load (sha256 + unpickle), once per run",
            f"{res['load_s']:.2f} s",
            "",
            "",
            f"process peak RSS {child.maxrss_mb:.0f} MB",
        ),
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
    if argv and argv[0] == "train":
        return train_main(argv[1:])
    if argv and argv[0] == "validate":
        return validate_main(argv[1:])
    if argv and argv[0] == "mixes":
        return mixes_main(argv[1:])
    if argv and argv[0] == "experts":
        return experts_main(argv[1:])
    if argv and argv[0] == "metadata":
        return metadata_main(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m benchmarks.topics")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    from benchmarks import print_table

    rows, _ = measure(args.repeats, log=lambda m: print(m, file=sys.stderr))
    print_table(rows)
    return 0


def _listing_rows(res: dict[str, Any]) -> list[Row]:
    if not res.get("listing_papers"):
        return [
            Row("5 topics", "predict, a cs listing digest (expert)", "skipped", ">= 2,000/s", "n/a", "no shared data")
        ]
    per_s = res["listing_papers"] / median(res["listing_predict_s"])
    per_s_cpu = res["listing_papers"] / median(res["listing_predict_cpu_s"])
    return [
        Row(
            "5 topics",
            f"predict, {res['listing_papers']} papers of the cs listing (cs expert)",
            f"{per_s:,.0f} papers/s",
            ">= 2,000/s",
            "ok" if per_s >= TARGET_PER_S else "MISS",
            f"CPU-time rate {per_s_cpu:,.0f}/s; main topics {res['listing_main']}",
        )
    ]


# -- quality ----------------------------------------------------------------------------------------
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
CORPORA = SHARED / "corpora"
DIGESTS = SHARED / "digests"
NARROW = ("arxiv-daily-cs", "arxiv-daily-astro", "arxiv-daily-qbio")
TARGETS = {  # the shipped model on the date split, one-day digests fed without categories
    "narrow": {"micro_f1": 0.72, "top1_primary": 0.79},
    "broad": {"micro_f1": 0.62, "top1_primary": 0.66, "top1_archive": 0.83},
}
SOURCE_KINDS = {  # digests/ folder -> source kind of the per-source "no confident topic" report
    "arxiv-api-atom": "arXiv",
    "arxiv-mail": "arXiv",
    "arxiv-rss-atom": "arXiv",
    "hf-daily-papers-api": "Hugging Face",
    "hf-daily-papers-search-dynamics.txt": "Hugging Face",
    "journal-rss-nature": "journal RSS",
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


def digest_of(records, corpora: Path = CORPORA) -> list[tuple[str, str]]:
    """Each test paper's digest: its corpus and announcement day; for the broad corpus (rows of
    many scrapers, each its own daily digest) the scraper's repository and the day."""
    import csv
    import gzip
    import io

    repo = {}
    path = corpora / "arxiv-daily-broad" / "provenance.tsv.gz"
    if path.exists():
        with io.TextIOWrapper(gzip.open(path), encoding="utf-8") as handle:
            repo = {row["id"]: row["source_repo"] for row in csv.DictReader(handle, delimiter="\t")}
    return [(repo.get(r.id or "", r.corpus), r.day.isoformat() if r.day else "") for r in records]


def as_papers(records, metadata: bool = True):
    """Test papers as a digest gives them, without their categories: title, abstract, arXiv id,
    and (``metadata``) authors, comment and journal reference."""
    from zotrec.paper import Paper

    if metadata:
        return [r.paper() for r in records]
    return [Paper(title=r.title, abstract=r.abstract, arxiv_id=r.id) for r in records]


def score(model, records, digests, only=None) -> dict:
    """Evaluate ``model`` on ``records`` with digest context (``digests``) and without (None); a
    model with a metadata table also with digest context on the papers without their metadata."""
    from zotrec.topics.evaluate import evaluate

    papers, labels = as_papers(records), [r.labels for r in records]
    modes = [("context", digests, papers), ("alone", None, papers)]
    if model.has_metadata:
        modes.append(("context_text_only", digests, as_papers(records, metadata=False)))
    out = {}
    for mode, groups, items in modes:
        t0 = time.perf_counter()
        ev = evaluate(model, items, labels, digests=groups, only=only)
        out[mode] = {
            **ev.summary(),
            "seconds": round(time.perf_counter() - t0, 1),
            "confusions": ev.confusions[:12],
            "per_label": ev.per_label,
        }
    return out


def digest_sizes(digests) -> dict:
    from collections import Counter

    sizes = sorted(Counter(digests).values())
    return {
        "digests": len(sizes),
        "median_papers": sizes[len(sizes) // 2] if sizes else 0,
        "one_paper": sum(1 for n in sizes if n == 1),
    }


def no_topic_report(model, digests_dir: Path = DIGESTS) -> dict:
    """The shipped model on the real digests (categories removed: what the classifier labels),
    each file one digest: share of papers with no confident topic per source kind."""
    from zotrec.sources import read_source
    from zotrec.topics.evaluate import no_topic_by_source

    rows: dict[str, dict] = {}
    for entry, kind in SOURCE_KINDS.items():
        files = sorted((digests_dir / entry).iterdir()) if (digests_dir / entry).is_dir() else [digests_dir / entry]
        for path in files:
            if not path.is_file():
                continue
            papers = read_source(str(path))
            for p in papers:
                p.categories = []
            research = [p for p in papers if not p.extras.get("non_research")]
            groups = {kind: papers}
            if len(research) < len(papers):
                groups[f"{kind}, research articles only"] = research
            for mode, ctx in (("context", True), ("alone", False)):
                for key, res in no_topic_by_source(model, groups, context=ctx).items():
                    row = rows.setdefault(key, {"files": set(), "context": [0, 0], "alone": [0, 0]})
                    row["files"].add(path.name)
                    row[mode][0] += res["papers"]
                    row[mode][1] += res["no_topic"]
    return {
        key: {
            "files": len(r["files"]),
            "papers": r["alone"][0],
            **{f"no_topic_{m}": r[m][1] / max(r[m][0], 1) for m in ("context", "alone")},
        }
        for key, r in rows.items()
    }


def train_narrow_reference(train, log) -> object:
    """A model trained with the shipped settings on the narrow corpora's training days only:
    trained for this evaluation, never shipped."""
    from zotrec.topics.build import train_from_records

    return train_from_records([r for r in train if r.corpus in NARROW], progress=lambda m: log(f"  {m}"), n_jobs=1)


def quality_main(argv: list[str]) -> int:
    from zotrec.topics import load_topic_model, shipped_model_path
    from zotrec.topics.corpus import read_corpus

    parser = argparse.ArgumentParser(prog="python -m benchmarks.topics quality")
    parser.add_argument("--corpora", default=str(CORPORA))
    parser.add_argument("--model", help="topic model file (default: the shipped one)")
    parser.add_argument(
        "--narrow-reference",
        action="store_true",
        help="also train and score a model on the narrow training days only (evaluation only)",
    )
    parser.add_argument("--out", help="write the full results (JSON) here")
    parser.add_argument("--write-card", action="store_true", help="store the figures in the shipped model card")
    args = parser.parse_args(argv)
    log = lambda m: print(m, file=sys.stderr, flush=True)
    path = Path(args.model) if args.model else shipped_model_path()
    model = load_topic_model(path)
    train, test, cuts = date_split(read_corpus([args.corpora]))
    seen = (model.card.get("training_data", {}).get("held_out") or {}).get("test_days_from")
    if seen != cuts:
        log(f"WARNING: {path.name} was not trained on this split's training side only: it may have seen the test days")
    digests = digest_of(test, Path(args.corpora))
    narrow = [i for i, r in enumerate(test) if r.corpus in NARROW]
    results = {
        "model": {"file": path.name, "sha256": model.card.get("sha256"), "trained_without_test_days": seen == cuts},
        "test_days_from": cuts,
        "train_papers": len(train),
    }
    for name, rows in (("narrow", narrow), ("broad", list(range(len(test))))):
        recs, groups = [test[i] for i in rows], [digests[i] for i in rows]
        log(f"[{name}] shipped model on {len(recs)} test papers in {len(set(groups))} one-day digests")
        results[name] = {
            "test_papers": len(recs),
            **digest_sizes(groups),
            **score(model, recs, groups),
            "targets": TARGETS[name],
        }
    if args.narrow_reference:
        log("[narrow reference] training on the narrow training days (evaluation only)")
        ref = train_narrow_reference(train, log)
        recs = [test[i] for i in narrow]
        results["narrow_reference"] = {
            "labels": len(ref.labels),
            "train_papers": ref.card["training_size"],
            "test_papers": len(recs),
            **score(ref, recs, [digests[i] for i in narrow]),
        }
    log("per-source no-confident-topic share on the real digests")
    results["no_topic_by_source"] = no_topic_report(model)
    print_quality(results)
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=2, default=list) + "\n")
    if args.write_card:
        from benchmarks.topics_card import write_benchmark

        write_benchmark(
            results, command="python -m benchmarks.topics quality --narrow-reference --write-card", model_path=path
        )
    return 0


def print_quality(results: dict) -> None:
    model = results["model"]
    print(
        f"shipped model {model['file']} (sha256 {str(model['sha256'])[:12]}), trained without the test days: "
        f"{model['trained_without_test_days']}; test days from {results['test_days_from']}"
    )
    for name in ("narrow", "broad", "narrow_reference"):
        res = results.get(name)
        if not res:
            continue
        title = "narrow, model trained for this evaluation only" if name == "narrow_reference" else name
        print(f"\n== {title}: {res.get('test_papers', '')} test papers")
        for mode in ("alone", "context", "context_text_only"):
            got = res.get(mode)
            if got is None:
                continue
            marks = []
            for key in ("micro_f1", "top1_primary", "top1_archive", "no_topic_rate"):
                target = res.get("targets", {}).get(key)
                mark = (
                    "" if target is None else (f" (>= {target} ok)" if got[key] >= target else f" (>= {target} MISSED)")
                )
                marks.append(f"{key} {got[key]:.3f}{mark}")
            label = {"context": "with digest context", "alone": "without context   "}.get(
                mode, "with digest context, papers without their metadata"
            )
            print(f"  {label}: " + ", ".join(marks))
    print("\n== no confident topic, per source kind (real digests, categories removed, each file one digest)")
    for kind, row in results["no_topic_by_source"].items():
        print(
            f"  {kind:38s} {row['papers']:4d} papers in {row['files']} file(s): "
            f"{100 * row['no_topic_context']:.1f}% with context, {100 * row['no_topic_alone']:.1f}% alone"
        )


# -- context settings, chosen on validation days ---------------------------------------------------
def objective(res: dict) -> float:
    """What the settings are chosen for: the mean of the five target figures."""
    n, b = res["narrow"], res["broad"]
    return (n["micro_f1"] + n["top1_primary"] + b["micro_f1"] + b["top1_primary"] + b["top1_archive"]) / 5


def settings_grid():
    """Stage 1: the main-topic estimate (pull of the digest type's mix, its share of training mix,
    rare labels);
    stage 2 (given the best of stage 1): topic shift and floor;
    stage 3 (around the shipped settings): the listing experts' blend weight, pull and floor."""
    import itertools
    from dataclasses import replace

    from zotrec.topics.context import Settings

    first = [
        Settings(type_strength=s, type_blend=b, min_main_share=m, topic_power=1.0, floor=0.7)
        for s, b, m in itertools.product((30.0, 100.0, 300.0, 1000.0), (0.0, 0.1, 0.2), (0.0, 0.0025))
    ]
    second = lambda best: [
        replace(best, topic_power=p, floor=f) for p, f in itertools.product((0.5, 1.0), (0.0, 0.6, 0.7, 0.8, 0.9))
    ]
    third = [
        Settings(expert_weight=w, expert_strength=s, expert_floor=f)
        for w, s, f in itertools.product((0.5, 1.0), (10.0, 100.0, 300.0), (0.5, 0.7))
    ]
    return first, second, third


def validate_main(argv: list[str]) -> int:
    """Choose the digest-context settings on validation days: the training side of the date split
    is split again by date (its latest ~20% of days per corpus = validation days); a model trained
    on the days before them (evaluation only, never shipped) decodes the validation days under each
    setting of a small grid. The test days stay untouched."""
    from dataclasses import asdict

    from zotrec.topics import load_topic_model
    from zotrec.topics.build import train_from_records
    from zotrec.topics.context import SHIPPED
    from zotrec.topics.corpus import read_corpus
    from zotrec.topics.evaluate import evaluate
    from zotrec.topics.model import save_topic_model

    parser = argparse.ArgumentParser(prog="python -m benchmarks.topics validate")
    parser.add_argument("--corpora", default=str(CORPORA))
    parser.add_argument("--model", help="a validation model saved by an earlier run (--save-model)")
    parser.add_argument("--save-model", help="save the validation model here (e.g. /tmp/topics-val.joblib)")
    parser.add_argument("--out", help="write the results (JSON) here")
    parser.add_argument("--write-card", action="store_true", help="store the choice in the shipped model card")
    parser.add_argument(
        "--metadata", action="store_true", help="score metadata weights (shipped context settings) instead"
    )
    args = parser.parse_args(argv)
    log = lambda m: print(m, file=sys.stderr, flush=True)
    train, _test, _cuts = date_split(read_corpus([args.corpora]))
    fit, val, val_cuts = date_split(train)
    log(f"{len(fit)} papers train the validation model; {len(val)} validation papers (days from {val_cuts})")
    if args.model:
        model = load_topic_model(args.model)
    else:
        model = train_from_records(fit, progress=lambda m: log(f"  {m}"), n_jobs=1)
        if args.save_model:
            save_topic_model(model, args.save_model)
    attach_types(model, type_counts(fit, Path(args.corpora)))
    if not model.experts:
        add_experts(model, fit, log)
    if not model.has_metadata:
        add_metadata(model, fit)
    papers, labels, digests = as_papers(val), [r.labels for r in val], digest_of(val, Path(args.corpora))
    P_all, known = model._calibrated(papers)
    parts = {"narrow": [i for i, r in enumerate(val) if r.corpus in NARROW], "broad": list(range(len(val)))}

    def run(settings) -> dict:
        res: dict = {"settings": asdict(settings)}
        for name, rows in parts.items():
            ev = evaluate(
                model,
                [papers[i] for i in rows],
                [labels[i] for i in rows],
                digests=[digests[i] for i in rows],
                settings=settings,
                scores=(P_all[rows], known[rows]),
            )
            res[name] = {k: ev.summary()[k] for k in ("micro_f1", "top1_primary", "top1_archive", "no_topic_rate")}
        res["objective"] = round(objective(res), 4)
        log(f"  {res['settings']}: {res['objective']}")
        return res

    if args.metadata:
        return validate_metadata(model, fit, run, args.out)
    first, second, third = settings_grid()
    tried = [run(s) for s in first]
    best = max(tried, key=lambda r: r["objective"])
    from zotrec.topics.context import Settings

    tried += [run(s) for s in second(Settings(**best["settings"])) if asdict(s) not in [r["settings"] for r in tried]]
    tried += [run(s) for s in third if asdict(s) not in [r["settings"] for r in tried]]
    best = max(tried, key=lambda r: r["objective"])
    shipped = next((r for r in tried if r["settings"] == asdict(SHIPPED)), None) or run(SHIPPED)
    results = {"validation_days_from": val_cuts, "fit_papers": len(fit), "validation_papers": len(val)}
    results |= {"tried": tried, "best": best, "shipped": shipped}
    for title, res in (("best on the validation days", best), ("shipped settings", shipped)):
        n, b = res["narrow"], res["broad"]
        print(
            f"{title}: {res['settings']}\n  narrow micro_f1 {n['micro_f1']:.3f}, top1_primary {n['top1_primary']:.3f}; "
            f"broad micro_f1 {b['micro_f1']:.3f}, top1_primary {b['top1_primary']:.3f}, "
            f"top1_archive {b['top1_archive']:.3f}; objective {res['objective']:.4f}"
        )
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
    if args.write_card:
        from benchmarks.topics_card import write_validation

        command = "python -m benchmarks.topics validate --write-card"
        if args.model:
            command += " --model FILE (the validation model an earlier run saved with --save-model)"
        write_validation(results, command=command)
    return 0


METADATA_GRID = (  # (what, weights): the metadata weights scored on validation days; the first is "none"
    ("no metadata", None),
    ("authors, topic 0.3 / main 0.6, alpha 0.5 (shipped)", {}),
    ("authors, topic 0.3 / main 0.6, alpha 1", {"author_alpha": 1.0}),
    ("authors, topic 0.3 / main 0.6, alpha 0.1", {"author_alpha": 0.1}),
    ("authors, topic 0.6 / main 0.6, alpha 0.5", {"author_topic": 0.6}),
    ("authors, topic 0.3 / main 1.0, alpha 0.5", {"author_main": 1.0}),
    ("authors, summed over known authors / sqrt(their number)", {"pool": 0.5}),
    ("authors + venue words 0.2 (alpha 20, seen >= 5 times)", {"venue_topic": 0.2, "venue_main": 0.2}),
    ("venue words alone 0.3", {"author_topic": 0.0, "author_main": 0.0, "venue_topic": 0.3, "venue_main": 0.3}),
)


def validate_metadata(model, fit, run, out: str | None) -> int:
    """Score the metadata weights of METADATA_GRID on the validation days (shipped context settings):
    each row's table is built from the fit days' papers."""
    from dataclasses import replace

    from zotrec.topics.build import add_metadata_table
    from zotrec.topics.context import SHIPPED
    from zotrec.topics.metadata import Weights

    rows = []
    for what, change in METADATA_GRID:
        if change is None:
            model._p.pop("metadata", None)
        else:
            add_metadata_table(model, fit, replace(Weights(), **change))
        res = run(SHIPPED)
        n, b = res["narrow"], res["broad"]
        rows.append({"what": what, "weights": change, **res})
        print(
            f"{what}: narrow {n['micro_f1']:.3f} / {n['top1_primary']:.3f}; broad {b['micro_f1']:.3f} / "
            f"{b['top1_primary']:.3f} / {b['top1_archive']:.3f}; objective {res['objective']:.4f}",
            flush=True,
        )
    if out:
        Path(out).write_text(json.dumps(rows, indent=2) + "\n")
    return 0


# -- digest types ----------------------------------------------------------------------------------------
TYPE_MIN_PAPERS = 20  # a source with fewer dated training papers is no digest type


def type_counts(records, corpora: Path = CORPORA) -> dict[str, dict[str, int]]:
    """Main-topic counts of the dated papers per digest source (corpus, or scraper repository of the
    broad corpus): the digest types a model decodes against. Sources under TYPE_MIN_PAPERS are left out."""
    from collections import Counter, defaultdict

    counts: dict[str, Counter] = defaultdict(Counter)
    for r, (source, day) in zip(records, digest_of(records, corpora)):
        if day and r.labels:
            counts[source][r.labels[0]] += 1
    return {source: dict(c.most_common()) for source, c in sorted(counts.items()) if sum(c.values()) >= TYPE_MIN_PAPERS}


def attach_types(model, counts: dict[str, dict[str, int]]) -> None:
    """Give an in-memory model these digest types (as loading does with ``topics.mixes.json``)."""
    from zotrec.topics.context import digest_types

    prior = model._p["prior"]
    prior["types"] = digest_types(counts, model.labels, prior["main"])
    prior["type_names"] = list(counts)


def add_experts(model, records, log=lambda _m: None):
    """Train the listing experts (one per narrow listing: cs, astro-ph, q-bio) on ``records``'
    papers of each listing and put them in ``model`` (as the shipped model carries them)."""
    from zotrec.topics.build import add_listing_experts

    listings = {name: [r for r in records if r.corpus == name] for name in NARROW}
    return add_listing_experts(model, {k: v for k, v in listings.items() if v}, progress=log)


def mixes_main(argv: list[str]) -> int:
    """Write the shipped model's digest types from the training side of the date split."""
    from zotrec.topics.context import write_types
    from zotrec.topics.corpus import read_corpus

    parser = argparse.ArgumentParser(prog="python -m benchmarks.topics mixes")
    parser.add_argument("--corpora", default=str(CORPORA))
    parser.add_argument("--out", default="models/topics.mixes.json")
    args = parser.parse_args(argv)
    train, _test, cuts = date_split(read_corpus([args.corpora]))
    counts = type_counts(train, Path(args.corpora))
    write_types(
        Path(args.out),
        counts,
        counted_from="main topics (first-listed categories) of the dated training papers per digest source "
        "(corpus, or scraper repository of the broad corpus); the test days are not counted",
        test_days_from=cuts,
        min_papers=TYPE_MIN_PAPERS,
        command="python -m benchmarks.topics mixes",
    )
    print(f"wrote {args.out}: {len(counts)} digest types from {len(train)} training papers")
    return 0


# -- the shipped model ---------------------------------------------------------------------------------
TRAIN_COMMAND = "python -m benchmarks.topics train --out models/topics.joblib"
EXPERTS_COMMAND = "python -m benchmarks.topics experts --model models/topics.joblib"
METADATA_COMMAND = "python -m benchmarks.topics metadata --model models/topics.joblib"


def add_metadata(model, records) -> None:
    """Give ``model`` the metadata table of ``records`` with the shipped weights (chosen on
    validation days)."""
    from zotrec.topics.build import add_metadata_table

    add_metadata_table(model, records)


def _model_and_training_side(command: str, argv: list[str]) -> tuple[argparse.Namespace, Any, list[Any]]:
    """The arguments of ``command`` (``--corpora``, ``--model``), the model file and the training side of
    the date split; the model is None (after one line on stderr) when it was not trained on that side."""
    from zotrec.topics import load_topic_model
    from zotrec.topics.corpus import read_corpus

    parser = argparse.ArgumentParser(prog=f"python -m benchmarks.topics {command}")
    parser.add_argument("--corpora", default=str(CORPORA))
    parser.add_argument("--model", default="models/topics.joblib")
    args = parser.parse_args(argv)
    model = load_topic_model(args.model)
    train, _test, cuts = date_split(read_corpus([args.corpora]))
    seen = (model.card.get("training_data", {}).get("held_out") or {}).get("test_days_from")
    if seen != cuts:
        print(f"{args.model}: not trained on this split's training side; refusing to add {command}", file=sys.stderr)
        return args, None, []
    return args, model, train


def metadata_main(argv: list[str]) -> int:
    """Add the metadata tables (authors, venue words) of the training side of the date split to a
    model file (the test days stay unseen) and save it again (its card keeps its other sections)."""
    from zotrec.topics.model import save_topic_model

    args, model, train = _model_and_training_side("metadata", argv)
    if model is None:
        return 1
    add_metadata(model, train)
    save_topic_model(model, args.model, metadata_command=METADATA_COMMAND)
    keys = model.card["metadata"]["keys"]
    print(f"wrote {args.model}: metadata table of {keys:,} keys ({model.card['size_bytes'] / 1e6:.1f} MB)")
    return 0


def experts_main(argv: list[str]) -> int:
    """Train the listing experts of a model file on the training side of the date split (the test
    days stay unseen) and save the file again with them (its card keeps its other sections)."""
    from zotrec.topics.model import save_topic_model

    args, model, train = _model_and_training_side("experts", argv)
    if model is None:
        return 1
    add_experts(model, train, lambda m: print(m, file=sys.stderr, flush=True))
    save_topic_model(model, args.model, experts_command=EXPERTS_COMMAND)
    print(f"wrote {args.model}: experts for {', '.join(model.experts)} ({model.card['size_bytes'] / 1e6:.1f} MB)")
    return 0


def train_main(argv: list[str]) -> int:
    """Train the shipped model on the training side of the date split (its test days stay unseen,
    so the quality benchmark measures the shipped file itself)."""
    from zotrec.topics.build import train_from_records
    from zotrec.topics.corpus import read_corpus
    from zotrec.topics.model import save_topic_model

    parser = argparse.ArgumentParser(prog="python -m benchmarks.topics train")
    parser.add_argument("--corpora", default=str(CORPORA))
    parser.add_argument("--out", default="models/topics.joblib")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    log = lambda m: print(m, file=sys.stderr, flush=True)
    train, test, cuts = date_split(read_corpus([args.corpora]))
    log(f"{len(train)} training papers; {len(test)} test papers left out (days from {cuts})")
    model = train_from_records(train, progress=log, n_jobs=args.jobs)
    add_experts(model, train, log)
    add_metadata(model, train)
    model.card["training_data"]["paths"] = ["../shared/data/corpora"]
    model.card["training_data"]["held_out"] = {
        "papers": len(test),
        "test_days_from": cuts,
        "note": "the test side of the date split: the papers of each corpus's latest ~20% of announcement days",
    }
    save_topic_model(model, args.out, training_command=TRAIN_COMMAND)
    log(f"wrote {args.out}")
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
            "file": rel,
            "papers": report.papers,
            "tagged_papers": report.used_papers,
            "tags_learned": len(report.labels),
            "tags_left_out": len(report.left_out),
            **{
                k: m.get(k)
                for k in (
                    "test_papers",
                    "micro_f1",
                    "macro_f1",
                    "micro_precision",
                    "micro_recall",
                    "top1_primary",
                    "no_topic_rate",
                )
            },
        }
        print(
            f"{name}: {report.used_papers} tagged papers, {len(report.labels)} tags with >= "
            f"{args.min_examples} papers ({len(report.left_out)} left out); held-out fifth "
            f"({m.get('test_papers')} papers): micro-F1 {m.get('micro_f1', float('nan')):.3f}, "
            f"macro-F1 {m.get('macro_f1', float('nan')):.3f}, P {m.get('micro_precision', float('nan')):.3f}, "
            f"R {m.get('micro_recall', float('nan')):.3f}"
        )
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
    if args.write_card:
        from benchmarks.topics_card import write_personal_benchmark

        write_personal_benchmark(results, command="python -m benchmarks.topics personal --write-card")
    return 0


if __name__ == "__main__":
    sys.exit(main())
