"""zotrec benchmarks: speed at scale and recommender quality.

``python -m benchmarks`` runs every speed measurement and prints one table; ``python -m benchmarks
speed|sync|startup|topics`` runs a part (see ``benchmarks/__main__.py`` and docs/benchmarks.md).

Every measurement runs in a fresh subprocess (:func:`run_child`), so each sees a cold interpreter
(imports, model loading, cache reads all count) and its peak RSS is its own: ``os.wait4`` returns the
child's ``ru_maxrss`` (forked from a bare launcher, see ``_LAUNCHER``). Timings are medians of
several runs.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Child:
    """What one subprocess did: its stdout, exit code, wall time and peak RSS (MB)."""

    stdout: str
    stderr: str
    returncode: int
    wall: float
    maxrss_mb: float
    cpu: float = float("nan")  # user + system seconds

    def result(self) -> dict[str, Any]:
        """The JSON object a worker printed on its last stdout line."""
        if self.returncode != 0:
            tail = "\n".join(self.stderr.strip().splitlines()[-6:])
            raise RuntimeError(f"benchmark worker failed (exit {self.returncode}):\n{tail}")
        lines = [line for line in self.stdout.strip().splitlines() if line.startswith("{")]
        if not lines:
            raise RuntimeError(f"benchmark worker printed no result:\n{self.stdout[-500:]}")
        return json.loads(lines[-1])


# A tiny launcher between us and the measured process. Linux carries the high-water RSS of the
# process image that exec replaces into ru_maxrss, and a child forked from this (large) process
# would start with our RSS; forking from a bare ``python -S`` (about 10 MB) keeps the figure honest.
# The launcher also times the child itself, so its own start-up is not counted.
_LAUNCHER = """
import os, sys, time
t = time.perf_counter()
pid = os.fork()
if pid == 0:
    try:
        os.execvp(sys.argv[2], sys.argv[2:])
    finally:
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - t
with open(sys.argv[1], "w") as fh:
    fh.write(f"{wall} {usage.ru_maxrss} {usage.ru_utime + usage.ru_stime}")
code = os.waitstatus_to_exitcode(status)
sys.exit(code if code >= 0 else 128 - code)
"""


_COMPILED = False


def compile_sources() -> None:
    """Bytecode for zotrec's and the benchmarks' own modules, as ``pip install`` writes it.

    An installed zotrec reads its modules as bytecode. A source checkout gets it on its first run,
    except where ``PYTHONDONTWRITEBYTECODE`` is set (as on the shared benchmark machine): there every
    run would compile every module it imports again, a cost (0.3-0.4 s CPU for a daily run) no
    installed copy has. Done once per benchmark process; up-to-date files are left as they are."""
    global _COMPILED
    if not _COMPILED:
        import compileall

        for folder in ("zotrec", "benchmarks"):
            compileall.compile_dir(ROOT / folder, quiet=1)
        _COMPILED = True


def run_child(argv: Sequence[str], env: dict[str, str] | None = None, timeout: float = 1800) -> Child:
    """Run ``argv`` in a fresh process: its stdout/stderr, exit code, wall time, peak RSS, CPU time
    (zotrec's modules read as bytecode, as installed: :func:`compile_sources`)."""
    compile_sources()
    full_env = dict(os.environ)
    full_env.setdefault("PYTHONHASHSEED", "0")
    full_env["PYTHONPATH"] = str(ROOT) + os.pathsep + full_env.get("PYTHONPATH", "")
    if env:
        full_env.update(env)
    base = Path(tempfile.gettempdir()) / f"zotrec-bench-{os.getpid()}-{time.monotonic_ns()}"
    with open(f"{base}.out", "w+") as out, open(f"{base}.err", "w+") as err:
        proc = subprocess.Popen(
            [sys.executable, "-S", "-c", _LAUNCHER, f"{base}.rss", *argv],
            stdout=out,
            stderr=err,
            env=full_env,
            cwd=ROOT,
        )
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    try:
        wall, rss_kb, cpu = Path(f"{base}.rss").read_text().split()
    except (OSError, ValueError):
        wall, rss_kb, cpu = "nan", "nan", "nan"
    for suffix in (".out", ".err", ".rss"):
        Path(f"{base}{suffix}").unlink(missing_ok=True)
    return Child(stdout, stderr, proc.returncode, float(wall), float(rss_kb) / 1024.0, float(cpu))


def python_child(module: str, *args: str, env: dict[str, str] | None = None, timeout: float = 900) -> Child:
    return run_child([sys.executable, "-m", module, *args], env=env, timeout=timeout)


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if values else float("nan")


def emit(result: dict[str, Any]) -> None:
    """Print a worker's result as the last stdout line (JSON), with its peak RSS (VmHWM)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                result.setdefault("vmhwm_mb", int(line.split()[1]) / 1024.0)
    except OSError:
        pass
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()


def machine() -> dict[str, Any]:
    """nproc, CPU model, RAM, Python and library versions."""
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram_gb = float("nan")
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram_gb = int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    versions = {}
    for name in ("numpy", "scipy", "sklearn"):
        try:
            versions[name] = __import__(name).__version__
        except ImportError:
            pass
    return {
        "nproc": os.cpu_count(),
        "affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "cpu": cpu,
        "ram_gb": round(ram_gb, 1),
        "python": platform.python_version(),
        **versions,
    }


@dataclass
class Row:
    """One line of the final table."""

    part: str
    what: str
    value: str
    target: str = ""
    status: str = ""  # "ok", "MISS", "n/a" or ""
    note: str = ""


def fmt_s(seconds: float) -> str:
    if seconds != seconds:  # nan
        return "n/a"
    return f"{seconds:.2f} s" if seconds < 100 else f"{seconds:.0f} s"


def print_table(rows: list[Row], out=None) -> None:
    out = out or sys.stdout
    headers = ("part", "measurement", "value", "target", "", "note")
    cells = [(r.part, r.what, r.value, r.target, r.status, r.note) for r in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) if cells else len(h) for i, h in enumerate(headers)]
    widths[-1] = len(headers[-1])  # notes are not padded
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip()
    out.write(line + "\n" + "-" * max(len(line), 100) + "\n")
    for c in cells:
        out.write("  ".join(v.ljust(w) for v, w in zip(c, widths)).rstrip() + "\n")
    out.flush()
