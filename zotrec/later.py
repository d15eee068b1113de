"""Cache files written by a forked child while the run goes on.

Writing a large library's feature cache or identity keys (pickling tens of megabytes) costs a run
about half a second that nothing in the run waits for. :func:`write` forks a child that runs the
writer (its file is written to a temporary name and moved into place, as before), and the process
waits for its children before it exits, so no run ends before its cache is on disk. Reading a file
of this process (:func:`wait`) first waits for its pending write.

Off unless :data:`ENABLED` (the command-line entry point turns it on); also off on platforms
without ``fork`` and in processes that run threads: the writer then runs in this process.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from zotrec.interrupts import held_while_forking, ignored_in_child

ENABLED = False
_PENDING: dict[str, int] = {}  # path -> pid of the child writing it


def write(path: Path, writer: Callable[[], None]) -> None:
    """Run ``writer`` (which writes ``path``) in a forked child when enabled, else here and now."""
    wait(path)
    if not (ENABLED and sys.platform.startswith("linux") and threading.active_count() == 1):
        writer()
        return
    with held_while_forking():
        pid = os.fork()
    if pid == 0:  # the child: write, then leave without running this process's exit handlers
        code = 1
        try:
            ignored_in_child()  # Ctrl-C is the command's: the file is finished
            writer()
            code = 0
        finally:
            os._exit(code)
    _PENDING[str(path)] = pid


def wait(path: Path | None = None) -> None:
    """Wait until the pending write of ``path`` (None: every pending write) is done."""
    for key in [str(path)] if path is not None else list(_PENDING):
        pid = _PENDING.get(key)
        if pid is not None:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:  # reaped already
                pass
            _PENDING.pop(key, None)  # not before: an interrupted wait leaves the write pending


def _wait_at_exit() -> None:
    """Wait for every pending write before the process ends, through a Ctrl-C too: the command is
    over, its writers ignore it and end within a second, and the file is then complete."""
    while _PENDING:
        try:
            wait()
        except KeyboardInterrupt:
            continue


atexit.register(_wait_at_exit)
