"""CLI start-up: ``zotrec --help`` and ``zotrec --version`` (target <= 0.3 s each).

Each is run as a fresh subprocess of the installed console script (``.venv/bin/zotrec``, falling
back to ``python -m zotrec``) 10 times; the median wall time is reported with the process's
peak RSS. When a median misses the target, ``python -X importtime`` shows the heaviest imports.

    python -m benchmarks.startup [--runs 10]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

from benchmarks import Row, median, run_child

TARGET_S = 0.3


def zotrec_command() -> list[str]:
    script = Path(sys.executable).with_name("zotrec")
    if script.is_file():
        return [str(script)]
    found = shutil.which("zotrec")
    return [found] if found else [sys.executable, "-m", "zotrec"]


def heaviest_imports(args: list[str], top: int = 6) -> list[tuple[str, float]]:
    """The slowest top-level-ish imports (cumulative, s) of ``zotrec ARGS`` by ``-X importtime``."""
    child = run_child(
        [
            sys.executable,
            "-X",
            "importtime",
            "-c",
            "import sys; from zotrec.cli import main; sys.argv = ['zotrec'] + sys.argv[1:]; main()",
            *args,
        ]
    )
    rows = []
    for line in child.stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)", line)
        if m:
            rows.append((m[4], int(m[2]) / 1e6, len(m[3])))
    shallow = [(name, cum) for name, cum, depth in rows if depth <= 3]
    return sorted(shallow, key=lambda x: -x[1])[:top]


def measure(runs: int = 10, log=print) -> tuple[list[Row], dict]:
    cmd = zotrec_command()
    home = tempfile.mkdtemp(prefix="zotrec-bench-startup-")
    rows, raw = [], {}
    try:
        for args in (["--help"], ["--version"]):
            times, rss, cpu = [], [], []
            run_child([*cmd, *args], env={"ZOTREC_HOME": home})  # warm the file cache once
            for _ in range(runs):
                child = run_child([*cmd, *args], env={"ZOTREC_HOME": home})
                if child.returncode != 0:
                    raise RuntimeError(f"zotrec {' '.join(args)} failed: {child.stderr[-300:]}")
                times.append(child.wall)
                cpu.append(child.cpu)
                rss.append(child.maxrss_mb)
            med = median(times)
            raw[" ".join(args)] = times
            note = (
                f"min {min(times):.2f} s, max {max(times):.2f} s; CPU {median(cpu):.2f} s; RSS {max(rss):.0f} MB; "
                f"load {os.getloadavg()[0]:.1f}"
            )
            if med > TARGET_S:
                heavy = heaviest_imports(args)
                note += "; heaviest imports: " + ", ".join(f"{n} {t:.2f}s" for n, t in heavy[:4])
            log(f"  zotrec {' '.join(args)}: median {med:.3f} s")
            rows.append(
                Row(
                    "4 startup",
                    f"zotrec {' '.join(args)} (median of {runs})",
                    f"{med:.3f} s",
                    f"<= {TARGET_S:g} s",
                    "ok" if med <= TARGET_S else "MISS",
                    note,
                )
            )
        # what a bare interpreter costs on this machine, for scale
        bare = [run_child([sys.executable, "-c", "pass"]) for _ in range(5)]
        rows.append(
            Row(
                "4 startup",
                "bare `python -c pass` (for scale)",
                f"{median([b.wall for b in bare]):.3f} s",
                note=f"CPU {median([b.cpu for b in bare]):.2f} s",
            )
        )
    finally:
        shutil.rmtree(home, ignore_errors=True)
    return rows, raw


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.startup")
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args(argv)
    from benchmarks import print_table

    rows, _ = measure(args.runs, log=lambda m: print(m, file=sys.stderr))
    print_table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
