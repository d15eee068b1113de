"""Leaving a finished command without the interpreter's teardown.

Once a command has written its output, Python takes down every module and frees every object one
at a time before the process ends (after a daily run: the library snapshot, its feature matrices,
scikit-learn; 0.3-0.4 s of CPU), memory the operating system takes back at once. :func:`leave` does
what that shutdown does that matters (the exit handlers: pending cache writes waited for, logging
flushed, child processes stopped; then the standard streams flushed) and ends the process there.
When another thread runs, the normal shutdown (which first waits for it) is kept.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
from typing import NoReturn

BROKEN_OUTPUT = 120  # Python's own exit status when flushing the standard streams fails at exit


def leave(code: object = 0) -> NoReturn:
    """End the process with ``code`` as ``raise SystemExit(code)`` would (None: 0; an int: itself;
    anything else: printed to stderr, status 1), skipping the interpreter's teardown."""
    if threading.active_count() > 1:
        raise SystemExit(code)
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:
        if sys.stderr is not None:
            print(code, file=sys.stderr)
        status = 1
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        if stream is None:  # started with that descriptor closed (`zotrec ... >&-`): nothing to write
            continue
        try:
            stream.flush()
        except (OSError, ValueError):
            status = status or BROKEN_OUTPUT
    os._exit(status & 0xFF)
