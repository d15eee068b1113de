"""Forked helpers that leave Ctrl-C to the command.

The terminal sends Ctrl-C to every process of a command. The command answers it (one line, exit
130) and stops or waits for its children; a child interrupted itself would print its own traceback,
send the interruption as its answer or leave a file half written. So Ctrl-C is held back while a
child is forked (no window in which the child could get it before it ignores it), and the child
ignores it from its first instruction.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def held_while_forking() -> Iterator[None]:
    """Block Ctrl-C in this thread for the fork; a Ctrl-C meanwhile reaches this process after it."""
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)


def ignored_in_child() -> None:
    """In a child forked under :func:`held_while_forking`: ignore Ctrl-C, then unblock it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
