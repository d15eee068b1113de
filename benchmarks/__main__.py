"""Run the speed benchmarks and print one table, each target next to its measured figure.

    python -m benchmarks                  # daily (1, 2), startup (4), sync (3), topics (5)
    python -m benchmarks daily startup    # some parts
    python -m benchmarks --quick          # smoke run: 1k/5k/10k items, 2k digest, sync on 1k items
    python -m benchmarks --json out.json  # also write the raw figures

Parts: ``daily`` (whole ``zotrec recommend`` processes: cold, unchanged and after 50 changes, at
1k-50k items and 500-10k papers, next to the arxiv-sanity-lite refit on the same data), ``startup``
(``zotrec --help`` / ``--version``), ``sync`` (``zotrec sync`` against the loopback Zotero server,
10k items), ``topics`` (topic model throughput), ``speed`` (not in the default set: in-process
phases of one run, cold and warm). Progress goes to stderr, the table to stdout; the machine's load
average is printed next to each timing.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from benchmarks import Row, machine, print_table

PARTS = ["daily", "startup", "sync", "topics", "speed"]
DEFAULT_PARTS = ["daily", "startup", "sync", "topics"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("parts", nargs="*", help=f"parts to run: {', '.join(PARTS)} (default: all)")
    parser.add_argument("--repeats", type=int, default=1, help="runs per measurement (median)")
    parser.add_argument("--sizes", default="1000,5000,10000,20000,50000", help="library sizes for the curve")
    parser.add_argument("--sync-items", type=int, default=10_000)
    parser.add_argument("--digests", default="500,2000,10000", help="digest sizes for the curve (at 10k items)")
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: 1 repeat, sizes 1000,5000,10000, sync 1000 items"
    )
    parser.add_argument("--json", type=Path, help="write the raw figures here")
    args = parser.parse_args(argv)
    parts = args.parts or DEFAULT_PARTS
    unknown = [p for p in parts if p not in PARTS]
    if unknown:
        parser.error(f"unknown part(s) {', '.join(unknown)}; choose from {', '.join(PARTS)}")
    if args.quick:
        args.repeats, args.sizes, args.digests, args.sync_items = 1, "1000,5000,10000", "2000", 1000
    sizes = [int(s) for s in args.sizes.split(",")]

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    info = machine()
    started = time.perf_counter()
    log(
        f"machine: {info['nproc']} CPUs ({info['cpu']}), {info['ram_gb']} GB RAM, Python {info['python']}; "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    rows: list[Row] = []
    raw: dict = {"machine": info, "load_avg_start": os.getloadavg()}
    if "startup" in parts:
        from benchmarks import startup

        log("startup ...")
        r, raw["startup"] = startup.measure(10, log=log)
        rows += r
    if "topics" in parts:
        from benchmarks import topics

        log("topics ...")
        r, raw["topics"] = topics.measure(5, log=log)
        rows += r
    if "daily" in parts:
        from benchmarks import daily

        log("daily ...")
        r, raw["daily"] = daily.measure(sizes, [int(d) for d in args.digests.split(",")], 10_000, args.repeats, log=log)
        rows += r
    if "speed" in parts:
        from benchmarks import speed

        log("speed ...")
        r, raw["speed"] = speed.measure(sizes, args.repeats, log=log)
        rows += r
        rows += speed.measure_minilm(sizes, raw["speed"], log=log)
    if "sync" in parts:
        from benchmarks import sync_bench

        log("sync ...")
        r, raw["sync"] = sync_bench.measure(args.sync_items, 1, log=log)
        rows += r
    total = time.perf_counter() - started
    raw["load_avg_end"] = os.getloadavg()
    raw["total_s"] = total
    order = {p: i for i, p in enumerate(["1", "2", "3", "4", "5", "6"])}
    rows.sort(key=lambda r: order.get(r.part[:1], 9))
    print(
        f"zotrec benchmarks: {info['nproc']} CPUs ({info['cpu']}), {info['ram_gb']} GB RAM, Python {info['python']}, "
        f"scikit-learn {info.get('sklearn')}, numpy {info.get('numpy')}; load average at start "
        f"{raw['load_avg_start'][0]:.1f}, at end {raw['load_avg_end'][0]:.1f}; total {total / 60:.1f} min"
    )
    print_table(rows)
    if args.json:
        args.json.write_text(json.dumps(raw, indent=1, default=str))
    return 1 if any(r.status in ("FAIL",) for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
