"""A finished command leaves without the interpreter's teardown, but with what that shutdown does
that matters: exit handlers run, buffered output written, the exit status Python would give."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from zotrec.quick_exit import leave

BUFFERED = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}  # output held until flushed


def run(body: str) -> subprocess.CompletedProcess:
    script = "import atexit, sys\nfrom zotrec.quick_exit import leave\n" + textwrap.dedent(body)
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, env=BUFFERED)


def test_exit_handlers_run_and_buffered_output_is_written(tmp_path: Path):
    marker = tmp_path / "handler-ran"
    done = run(
        f"""
        atexit.register(lambda: open({str(marker)!r}, "w").write("yes"))
        sys.stdout.write("x" * 100_000 + "no newline at the end")
        leave(3)
        print("never")
        """
    )
    assert done.returncode == 3
    assert done.stdout == "x" * 100_000 + "no newline at the end"
    assert marker.read_text() == "yes"


@pytest.mark.parametrize(
    ("code", "status", "stderr"), [(None, 0, ""), (0, 0, ""), (2, 2, ""), ("bad input", 1, "bad input\n")]
)
def test_the_exit_status_is_pythons(code, status, stderr):
    done = run(f"leave({code!r})")
    assert (done.returncode, done.stderr) == (status, stderr)
    plain = subprocess.run(
        [sys.executable, "-c", f"raise SystemExit({code!r})"], capture_output=True, text=True, env=BUFFERED
    )
    assert (plain.returncode, plain.stderr) == (status, stderr)


@pytest.mark.parametrize("end", ["leave(0)", "raise SystemExit(0)"])
def test_output_into_a_closed_pipe_exits_as_python_does(end):
    script = (
        f"import sys, time\nfrom zotrec.quick_exit import leave\nsys.stdout.write('y' * 1000)\ntime.sleep(0.3)\n{end}\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=BUFFERED
    )
    assert proc.stdout is not None
    proc.stdout.close()  # the reader went away before the output was flushed (`zotrec ... | head`)
    proc.wait(timeout=60)
    assert proc.returncode == 120


def test_with_another_thread_running_the_normal_shutdown_is_kept():
    stop = threading.Event()
    worker = threading.Thread(target=stop.wait)
    worker.start()
    try:
        with pytest.raises(SystemExit) as left:
            leave(4)
        assert left.value.code == 4
    finally:
        stop.set()
        worker.join()


@pytest.mark.parametrize("closed", ["1", "2"])
@pytest.mark.parametrize(("args", "status"), [(["--version"], 0), (["--no-such-option"], 2)])
def test_the_command_line_started_with_an_output_closed_keeps_its_status(closed, args, status):
    # `zotrec ... >&-` (or `2>&-`) from a cron line: Python sets that stream to None; the command's
    # status is still its own, with no traceback
    entry = [sys.executable, "-c", "from zotrec.cli import main; main()", *args]
    done = subprocess.run(
        ["sh", "-c", f'exec "$@" {closed}>&-', "sh", *entry], capture_output=True, text=True, timeout=120, env=BUFFERED
    )
    assert done.returncode == status
    assert "Traceback" not in done.stdout + done.stderr


@pytest.mark.parametrize("closed", ["1", "2"])
def test_leave_with_an_output_closed(closed):
    script = "import sys\nfrom zotrec.quick_exit import leave\nleave('bad input')\n"
    done = subprocess.run(
        ["sh", "-c", f'exec "$@" {closed}>&-', "sh", sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        env=BUFFERED,
    )
    assert done.returncode == 1 and "Traceback" not in done.stdout + done.stderr
    assert done.stdout == ""  # the message goes to stderr or nowhere, never to stdout
