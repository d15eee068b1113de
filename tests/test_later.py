"""Cache files written by a forked child: on disk once waited for, and read only after their write."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from zotrec import later
from zotrec.library.base import LibrarySnapshot
from zotrec.recommend.cache import FeatureCache, library_index

needs_fork = pytest.mark.skipif(not hasattr(os, "fork"), reason="background writes need os.fork")


@needs_fork
def test_a_background_write_is_done_by_another_process_and_waited_for(tmp_path, monkeypatch):
    monkeypatch.setattr(later, "ENABLED", True)
    monkeypatch.setattr(later.threading, "active_count", lambda: 1)  # as in the command-line process
    path = tmp_path / "out.txt"

    def writer() -> None:
        time.sleep(0.3)
        path.write_text(str(os.getpid()))

    later.write(path, writer)
    assert not path.exists()  # the child is still sleeping: this process went on
    later.wait(path)
    assert path.read_text() != str(os.getpid())
    later.write(tmp_path / "fails.txt", lambda: 1 / 0)  # a failing writer costs only its file
    later.wait()
    assert not (tmp_path / "fails.txt").exists()


def test_disabled_writes_here_and_now(tmp_path, monkeypatch):
    monkeypatch.setattr(later, "ENABLED", False)
    path = tmp_path / "out.txt"
    later.write(path, lambda: path.write_text(str(os.getpid())))
    assert path.read_text() == str(os.getpid())


@needs_fork
def test_the_feature_cache_reads_its_own_pending_write(tmp_path, monkeypatch):
    monkeypatch.setattr(later, "ENABLED", True)
    monkeypatch.setattr(later.threading, "active_count", lambda: 1)
    items = [
        {"key": f"K{n:07d}", "version": 1, "title": f"Paper {n} on galaxy {n % 3}", "abstractNote": "Stellar halo."}
        for n in range(12)
    ]
    cache = FeatureCache(tmp_path / "features")
    index = library_index(LibrarySnapshot(1, items), "lib", cache)
    loaded = cache.load("lib")  # waits for the child that writes it
    assert loaded is not None and loaded.index.titles == index.titles


@needs_fork
def test_ctrl_c_while_a_finished_command_waits_for_its_cache_write(tmp_path):
    # the output is out and the process waits for its cache writer at exit when the user presses
    # Ctrl-C (sent to every process of the command): no traceback, the file is written whole
    script = textwrap.dedent(
        """
        import sys, time
        from pathlib import Path
        from zotrec import later
        from zotrec.private_file import write_private
        from zotrec.quick_exit import leave

        later.ENABLED = True
        path = Path(sys.argv[1])
        later.write(path, lambda: write_private(path, lambda fh: (fh.write(b"whole"), time.sleep(1.5))))
        print("done", flush=True)
        leave(0)
        """
    )
    path = tmp_path / "cache.pickle"
    proc = subprocess.Popen(
        [sys.executable, "-c", script, str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert proc.stdout is not None and proc.stdout.readline() == "done\n"
    time.sleep(0.3)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert "Traceback" not in err
    assert path.read_bytes() == b"whole" and os.listdir(tmp_path) == ["cache.pickle"]
    assert proc.returncode == 0
