"""Topic classification throughput of the shipped model (target >= 2,000 papers/s).

In a fresh process: load the shipped model (``zotrec.topics.load_topic_model()``: sha256 check and
unpickling, timed apart), then ``model.predict(papers)`` on the 2,000 real papers of the scale
digest, several times; papers/s = 2,000 / median predict time. The model load is reported apart
because a run pays it once whatever the digest size.

    python -m benchmarks.topics [--repeats 5]
"""

from __future__ import annotations

import argparse
import sys
import time

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
    parser = argparse.ArgumentParser(prog="python -m benchmarks.topics")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    from benchmarks import print_table

    rows, _ = measure(args.repeats, log=lambda m: print(m, file=sys.stderr))
    print_table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
