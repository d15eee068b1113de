"""`zotrec sync` end to end against the loopback Zotero Web API server, with a 10,000-item library.

The server (``tests/zotero_server.py``, a real HTTP server on 127.0.0.1) runs in this process,
loaded with the first 10,000 items of the scale library (and its collections); every ``zotrec sync
--digest DIGEST --json`` runs as a fresh subprocess of the installed CLI with the Web API backend
(``ZOTREC_BACKEND=web``, ``ZOTERO_API_KEY``, ``ZOTERO_LIBRARY_ID``, ``ZOTREC_ZOTERO_ENDPOINT``)
and its own ``ZOTREC_HOME``. The digest is the 2,000-paper scale digest; ``--threshold 0 --top 20``
makes every run push its 20 best papers (a broad random library gives no digest paper a high
score, and a sync that pushes nothing would not measure the writes). Steps, in order:

1. first sync (empty state and item cache): reads the whole library, ranks, pushes;
2. re-sync: the library changed only by zotrec's own pushes of step 1;
3. unchanged re-sync: nothing changed since step 2;
4. re-sync after 50 changes: 50 items edited on the server (title and abstract) by "another client".

For each: wall time, peak RSS, requests by kind (GET = reads, POST = writes), item pages (GETs of
``/items`` or ``/items/top`` listings). Targets: unchanged re-sync <= 2 requests; first read =
ceil(items / 100) item pages. The whole sequence is repeated ``--repeats`` times on a fresh server
and home; times are medians, request counts must agree.

    python -m benchmarks.sync_bench [--items 10000] [--repeats 1]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import random
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchmarks import ROOT, Row, fmt_s, median, run_child

ITEMS = 10_000
API_KEY = "BENCHKEY0123456789abcdefXYZ"
LIBRARY_ID = "123456"
STEPS = ["first sync", "re-sync after own pushes", "unchanged re-sync", "re-sync after 50 changes"]


def load_server_module():
    path = ROOT / "tests" / "zotero_server.py"
    spec = importlib.util.spec_from_file_location("zotero_server_bench", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def backend_ready() -> str | None:
    """None when the Web API backend and the server exist, else why not."""
    if not (ROOT / "tests" / "zotero_server.py").is_file():
        return "tests/zotero_server.py is missing"
    if importlib.util.find_spec("zotrec.library.web") is None:
        return "zotrec.library.web (the Web API backend) is not there yet"
    return None


def _kind(request) -> str:
    path = request.path.split("?")[0]
    if request.method != "GET":
        return request.method
    if path.endswith("/items") or path.endswith("/items/top"):
        return "item pages"
    return "other reads"


def one_sequence(
    items: list[dict[str, Any]], collections: list[dict[str, Any]], digest: Path, seed: int, log=print
) -> list[dict[str, Any]]:
    from benchmarks.speed import topic_model_path
    from benchmarks.startup import zotrec_command as zotrec_cli

    zs = load_server_module()
    server = zs.ZoteroServer(library_id=LIBRARY_ID, api_key=API_KEY, seed=seed)
    server.load(items, collections)
    server.start()
    home = Path(tempfile.mkdtemp(prefix="zotrec-bench-sync-"))
    env = {
        "ZOTREC_HOME": str(home),
        "ZOTREC_BACKEND": "web",
        "ZOTERO_API_KEY": API_KEY,
        "ZOTERO_LIBRARY_ID": LIBRARY_ID,
        "ZOTERO_LIBRARY_TYPE": "user",
        "ZOTREC_ZOTERO_ENDPOINT": server.endpoint,
    }
    model = topic_model_path()
    if model:
        config = home / "config.toml"
        config.write_text(f'[model]\ntopics = "{model}"\n')
        env["ZOTREC_CONFIG"] = str(config)
    results = []
    try:
        for step in STEPS:
            if step == "re-sync after 50 changes":
                rng = random.Random(seed)
                theirs = [
                    d["key"]
                    for d in server.items()
                    if d.get("itemType") not in ("note", "attachment") and "zotrec" not in json.dumps(d.get("tags", []))
                ]
                for key in rng.sample(sorted(theirs), 50):
                    data = next(d for d in server.items() if d["key"] == key)
                    server.touch_item(
                        key,
                        title=data["title"] + " (revised)",
                        abstractNote=data.get("abstractNote", "") + " We add a new experiment.",
                    )
            server.reset_log()
            child = run_child(
                [*zotrec_cli(), "sync", "--digest", str(digest), "--json", "--threshold", "0", "--top", "20"], env=env
            )
            log_rows = list(server.log)
            counts: dict[str, int] = {}
            for r in log_rows:
                counts[_kind(r)] = counts.get(_kind(r), 0) + 1
            summary: dict[str, Any] = {}
            try:
                summary = json.loads(child.stdout[child.stdout.index("{") :]) if "{" in child.stdout else {}
            except json.JSONDecodeError:
                pass
            res = {
                "step": step,
                "seconds": child.wall,
                "cpu_s": child.cpu,
                "maxrss_mb": child.maxrss_mb,
                "exit": child.returncode,
                "requests": len(log_rows),
                "reads": sum(1 for r in log_rows if r.method == "GET"),
                "writes": sum(1 for r in log_rows if r.method != "GET"),
                "by_kind": counts,
                "pushed": len(summary.get("pushed", [])) if summary else None,
                "paths": sorted({f"{r.method} {r.path.split('?')[0].replace(server.prefix, '')}" for r in log_rows}),
                "stderr": child.stderr.strip().splitlines()[-1:] if child.returncode else [],
            }
            log(
                f"  sync {step:<26} {res['seconds']:6.2f} s  requests {res['requests']:4d} "
                f"(reads {res['reads']}, item pages {counts.get('item pages', 0)}, writes {res['writes']})  "
                f"pushed {res['pushed']}  exit {child.returncode} {res['stderr']}"
            )
            results.append(res)
    finally:
        server.stop()
        shutil.rmtree(home, ignore_errors=True)
    return results


def measure(n_items: int = ITEMS, repeats: int = 1, log=print) -> tuple[list[Row], dict]:
    why = backend_ready()
    if why:
        return [Row("3 sync", "zotrec sync vs loopback Zotero server", "not run", "", "n/a", why)], {}
    from benchmarks import scale_data

    items, collections = scale_data.load_library(n_items)
    digest = scale_data.digest_path()
    runs = [one_sequence(items, collections, digest, seed=1000 + i, log=log) for i in range(repeats)]
    rows = []
    pages_target = math.ceil(n_items / 100)
    for i, step in enumerate(STEPS):
        steps = [run[i] for run in runs]
        r = steps[-1]
        t = median([s["seconds"] for s in steps])
        failed = [s for s in steps if s["exit"] not in (0,)]
        pages = r["by_kind"].get("item pages", 0)
        target, status, note = (
            "",
            "",
            f"reads {r['reads']} (item pages {pages}), writes {r['writes']}, pushed {r['pushed']}",
        )
        if step == "first sync":
            target = f"{pages_target} item pages"
            status = "ok" if pages == pages_target else "MISS"
        elif step == "unchanged re-sync":
            target = "<= 2 requests"
            status = "ok" if r["requests"] <= 2 else "MISS"
        if failed:
            status, note = "FAIL", f"exit {failed[0]['exit']}: {' '.join(failed[0]['stderr'])[:100]}"
        rows.append(
            Row(
                "3 sync",
                f"{n_items // 1000}k items: {step}",
                f"{fmt_s(t)} / {r['requests']} req",
                target,
                status,
                note + f"; CPU {median([s['cpu_s'] for s in steps]):.1f} s; "
                f"RSS {max(s['maxrss_mb'] for s in steps):.0f} MB",
            )
        )
    return rows, {"runs": runs}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.sync_bench")
    parser.add_argument("--items", type=int, default=ITEMS)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    from benchmarks import print_table

    rows, raw = measure(args.items, args.repeats, log=lambda m: print(m, file=sys.stderr))
    print_table(rows)
    if args.json:
        args.json.write_text(json.dumps(raw, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
