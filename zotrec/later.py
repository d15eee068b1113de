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

ENABLED = False
_PENDING: dict[str, int] = {}  # path -> pid of the child writing it


def write(path: Path, writer: Callable[[], None]) -> None:
    """Run ``writer`` (which writes ``path``) in a forked child when enabled, else here and now."""
    wait(path)
    if not (ENABLED and sys.platform.startswith("linux") and threading.active_count() == 1):
        writer()
        return
    pid = os.fork()
    if pid == 0:  # the child: write, then leave without running this process's exit handlers
        code = 1
        try:
            writer()
            code = 0
        finally:
            os._exit(code)
    _PENDING[str(path)] = pid


def wait(path: Path | None = None) -> None:
    """Wait until the pending write of ``path`` (None: every pending write) is done."""
    for key in [str(path)] if path is not None else list(_PENDING):
        pid = _PENDING.pop(key, None)
        if pid is not None:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:  # reaped already
                pass


atexit.register(wait)
