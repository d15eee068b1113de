"""The terminal: a rich Console that prints every string as plain text, never as markup.

Titles, authors, collection names and paths come from outside (digests, libraries); a title such as
``[/INST]`` or ``[link=javascript:...]`` must print as written, not raise MarkupError or become a
link, and an escape sequence must not reach the terminal. Tables, ``print`` and the progress
spinner of every command go through :func:`plain_console`.

rich animates its spinner from a thread, and a process that runs a thread does not fork its
helpers (the digest side, the cache writers: forking beside a thread can copy a lock it holds).
:func:`status` therefore draws the spinner in a forked child where it can, which takes the
progress messages through a pipe; this process keeps its single thread.
"""

from __future__ import annotations

import os
import sys
import threading
from typing import Any, Self

from rich.console import Console
from rich.text import Text

from zotrec.text import strip_controls


class PlainConsole(Console):
    """A Console for which a ``str`` is always literal text (no markup, emoji codes or highlighting)."""

    def render_str(self, text: str, **kwargs: Any) -> Text:
        kwargs.update(markup=False, emoji=False, highlight=False)
        return super().render_str(strip_controls(text), **kwargs)

    def status(self, status: Any, **kwargs: Any) -> PlainStatus:  # type: ignore[override]
        return PlainStatus(super().status(plain(status), **kwargs))


class PlainStatus:
    """rich's Status whose messages are plain text too (rich parses a str status as markup)."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def __enter__(self) -> Self:
        self._inner.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._inner.__exit__(*exc)

    def update(self, message: object) -> None:
        self._inner.update(plain(message))


def plain(value: object) -> Text:
    """``value`` as a rich Text that is printed exactly as written (controls removed)."""
    return value if isinstance(value, Text) else Text(strip_controls(str(value)))


def plain_console(**kwargs: Any) -> PlainConsole:
    kwargs.setdefault("highlight", False)
    return PlainConsole(markup=False, emoji=False, **kwargs)


def status(console: PlainConsole, label: object, **kwargs: Any) -> PlainStatus | ForkedStatus:
    """``console.status(label)``, drawn by a forked child on Linux when this process runs no other
    thread (its later forks stay possible), else by rich's thread."""
    if sys.platform.startswith("linux") and threading.active_count() == 1:
        return ForkedStatus(console, label, **kwargs)
    return console.status(label, **kwargs)


STOP = b"\0\n"  # the last message: the child clears the spinner and ends
MAX_MESSAGE = 1000  # bytes; a pipe write up to PIPE_BUF (4096 on Linux) is never interleaved


class ForkedStatus:
    """The spinner of :meth:`PlainConsole.status` drawn by a forked child; :meth:`update` sends it the
    message. Leaving the block ends the child (the spinner's line is cleared) before anything else
    is printed. The child ignores Ctrl-C (the command answers it and then ends the child)."""

    def __init__(self, console: PlainConsole, label: object, **kwargs: Any) -> None:
        self._console, self._label, self._kwargs = console, label, kwargs
        self._pid = 0
        self._fd = -1

    def __enter__(self) -> Self:
        from zotrec.interrupts import held_while_forking, ignored_in_child

        for stream in (sys.stdout, sys.stderr):  # nothing buffered here is written twice by the child
            if stream is not None:
                stream.flush()
        read_end, self._fd = os.pipe()
        with held_while_forking():
            pid = os.fork()
        if pid == 0:  # the child: draw until told to stop, then leave without this process's exit handlers
            code = 1
            try:
                ignored_in_child()
                os.close(self._fd)
                self._draw(read_end)
                code = 0
            finally:
                os._exit(code)
        os.close(read_end)
        self._pid = pid
        return self

    def _draw(self, read_end: int) -> None:
        with self._console.status(self._label, **self._kwargs) as spinner, os.fdopen(read_end, "rb") as pipe:
            for line in pipe:
                if line == STOP:
                    break
                spinner.update(line.decode("utf-8", "replace").rstrip("\n"))
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()

    def update(self, message: object) -> None:
        self._send((" ".join(plain(message).plain.split())).encode("utf-8", "replace")[:MAX_MESSAGE] + b"\n")

    def _send(self, data: bytes) -> None:
        try:
            os.write(self._fd, data)
        except OSError:  # the spinner is gone: the command goes on without it
            pass

    def __exit__(self, *exc: object) -> None:
        self._send(STOP)
        os.close(self._fd)
        while True:
            try:
                os.waitpid(self._pid, 0)
                return
            except ChildProcessError:
                return
            except KeyboardInterrupt:  # the child clears its line and ends within a moment
                continue
