"""The zotrec CLI in processes that the kill tests SIGKILL.

Two ways to get such a process:

- ``python tests/kill_hook.py before:N|after:N sync ...``: the CLI with its library wrapped so that the
  process SIGKILLs itself around the Nth library call (``kill_cmd``);
- ``python tests/kill_hook.py serve``: a fork server (``KillServer``). It imports zotrec and the
  libraries a sync needs once, then forks one child per run it is asked for: each run is still a
  real process of its own (own pid, own file descriptors, SIGKILLed for real), but it starts in
  well under a second instead of paying for the imports again.

Calls counted: ``snapshot``, ``ensure_collection``, ``create_items``. ``after:N`` = the call finished
(a write landed) but the process dies before it sees the answer.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

CALLS = ("snapshot", "ensure_collection", "create_items")


class KillingLibrary:
    """A library that SIGKILLs this process before or after its Nth counted call."""

    def __init__(self, inner: Any, when: str, nth: int) -> None:
        self._inner, self._when, self._nth, self._calls = inner, when, nth, 0

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._inner, name)
        if name not in CALLS:
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            self._calls += 1
            if self._calls == self._nth and self._when == "before":
                os.kill(os.getpid(), signal.SIGKILL)
            value = attr(*args, **kwargs)
            if self._calls == self._nth and self._when == "after":
                os.kill(os.getpid(), signal.SIGKILL)
            return value

        return call


def kill_cmd(point: str, *args: str) -> list[str]:
    """The argv of a zotrec run that is killed at ``point`` (``before:N`` or ``after:N``)."""
    return [sys.executable, os.path.abspath(__file__), point, *args]


def _parse_point(point: str) -> tuple[str, int]:
    when, _, nth = point.partition(":")
    if when not in ("before", "after") or not nth.isdigit():
        raise SystemExit(f"kill point must be before:N or after:N, got {point!r}")
    return when, int(nth)


def main(point: str | None, args: list[str]) -> None:
    """Run the CLI with ``args``; with a ``point``, its library kills the process there."""
    from zotrec import runner
    from zotrec.cli import app

    if point is not None:
        when, nth = _parse_point(point)
        resolve = runner.resolve_library

        def killing(*a: Any, **kw: Any) -> Any:
            library, library_id = resolve(*a, **kw)
            return KillingLibrary(library, when, nth), library_id

        runner.resolve_library = killing
    app(args=args, prog_name="zotrec")


# -- the fork server ------------------------------------------------------------------------------------
def _warm_imports() -> None:
    """Import what a sync imports, so that the forked children start with it."""
    import sklearn.svm  # noqa: F401

    import zotrec.cli
    import zotrec.library.embedded
    import zotrec.library.web
    import zotrec.pipeline
    import zotrec.recommend.model
    import zotrec.report
    import zotrec.topics.model  # noqa: F401


def _child(job: dict[str, Any]) -> None:
    """In the forked child: the job's environment and output files, then the CLI. Never returns."""
    code = 1
    try:
        os.environ.clear()
        os.environ.update(job["env"])
        for fd, name in ((1, "stdout"), (2, "stderr")):
            out = os.open(job[name], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.dup2(out, fd)
            os.close(out)
        sys.stdout, sys.stderr = open(1, "w", closefd=False), open(2, "w", closefd=False)
        main(job.get("point"), job["args"])
        code = 0
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def serve() -> None:
    """Read one JSON job a line from stdin; for each, fork a child, print its pid, wait for it and
    print its return code (negative: the signal that ended it, as ``subprocess`` reports it)."""
    _warm_imports()
    print("ready", flush=True)
    for line in sys.stdin:
        job = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _child(job)
        print(pid, flush=True)
        _, status = os.waitpid(pid, 0)
        print(os.waitstatus_to_exitcode(status), flush=True)


class KillServer:
    """The test side of ``serve``: ``run`` starts one zotrec process (optionally with a kill point),
    ``started`` is called with its pid while it runs, and the return code and output come back."""

    def __init__(self) -> None:
        env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")  # no BLAS threads across fork
        self.proc = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "serve"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert self.proc.stdout is not None and self.proc.stdout.readline() == "ready\n"

    def run(
        self, args: list[str], env: dict[str, str], workdir: Path, point: str | None = None, started: Any = None
    ) -> subprocess.CompletedProcess:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        out, err = workdir / "child.stdout", workdir / "child.stderr"
        job = {"args": args, "env": env, "point": point, "stdout": str(out), "stderr": str(err)}
        self.proc.stdin.write(json.dumps(job) + "\n")
        self.proc.stdin.flush()
        pid = int(self.proc.stdout.readline())
        if started is not None:
            started(pid)
        code = int(self.proc.stdout.readline())
        return subprocess.CompletedProcess(args, code, out.read_text(), err.read_text())

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait(timeout=60)


if __name__ == "__main__":
    if sys.argv[1:2] == ["serve"]:
        serve()
    else:
        main(sys.argv[1], sys.argv[2:])
