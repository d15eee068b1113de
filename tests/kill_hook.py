"""The zotrec CLI with its library wrapped so that the process SIGKILLs itself around the Nth library
call, for the kill tests' subprocesses::

    python tests/kill_hook.py before:N|after:N sync ...

Calls counted: ``snapshot``, ``ensure_collection``, ``create_items``. ``after:N`` = the call finished
(a write landed) but the process dies before it sees the answer.
"""

from __future__ import annotations

import os
import signal
import sys
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


def main(point: str, args: list[str]) -> None:
    when, _, nth = point.partition(":")
    if when not in ("before", "after") or not nth.isdigit():
        raise SystemExit(f"kill point must be before:N or after:N, got {point!r}")
    from zotrec import runner
    from zotrec.cli import app

    resolve = runner.resolve_library

    def killing(*a: Any, **kw: Any) -> Any:
        library, library_id = resolve(*a, **kw)
        return KillingLibrary(library, when, int(nth)), library_id

    runner.resolve_library = killing
    app(args=args, prog_name="zotrec")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
