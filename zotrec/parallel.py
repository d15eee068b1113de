"""Parts of one job run by two worker processes while this one does something else.

On Linux, when no other thread runs, the workers are forked: they start in a few milliseconds
with this process's imports and data, so the items are not pickled to them (a task names its
items by position; only the results come back). Elsewhere they are joblib's worker processes,
which import what they need and receive their items pickled. The results are the same either way.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import as_completed
from typing import Any

# The job of the forked workers: set just before they are forked, cleared once they are done.
_JOB: tuple[Callable[..., Any], Sequence[Any], tuple[Any, ...]] | None = None


def can_fork() -> bool:
    """Whether forking is safe here: Linux, and no thread that could hold a lock at the fork."""
    return sys.platform.startswith("linux") and threading.active_count() == 1


class Workers:
    """Two worker processes that run ``func([items[i] for i in part], *args)`` for parts of ``items``.

    Use as a context manager (one job at a time in a process); ``fork``: None decides by
    :func:`can_fork`."""

    def __init__(self, func: Callable[..., Any], items: Sequence[Any], *args: Any, fork: bool | None = None) -> None:
        self.func, self.items, self.args = func, items, args
        self.fork = can_fork() if fork is None else fork
        self._pool: Any = None

    def __enter__(self) -> Workers:
        if self.fork:
            import gc
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            global _JOB
            if _JOB is not None:
                raise RuntimeError("one forked job at a time")
            _JOB = (self.func, self.items, self.args)
            gc.freeze()  # the workers' collections skip what exists now (and leave those pages shared)
            self._pool = ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("fork"))
        return self

    def run(self, parts: Sequence[Sequence[int]]) -> Iterator[tuple[int, Any]]:
        """Start every part now; ``(i, result of parts[i])`` as they are done (forked workers: in the
        order they finish; joblib's: in the order of ``parts``)."""
        if self.fork:
            futures = {self._pool.submit(_run, at): i for i, at in enumerate(parts)}
            return ((futures[f], f.result()) for f in as_completed(futures))
        from joblib import Parallel, delayed

        return enumerate(
            Parallel(n_jobs=2, return_as="generator")(
                delayed(self.func)(_take(self.items, at), *self.args) for at in parts
            )
        )

    def __exit__(self, *exc: object) -> None:
        if self._pool is None:
            return
        global _JOB
        try:
            self._pool.shutdown(wait=True, cancel_futures=True)
        finally:
            import gc

            gc.unfreeze()
            _JOB = None


def halves(
    func: Callable[..., Any],
    items: Sequence[Any],
    *args: Any,
    while_waiting: Callable[[], Any] | None = None,
    fork: bool | None = None,
) -> list[Any]:
    """``[func(first half of items, *args), func(second half, *args)]``, each in its own process;
    ``while_waiting()`` runs in this process meanwhile."""
    half = (len(items) + 1) // 2
    with Workers(func, items, *args, fork=fork) as workers:
        done = workers.run([range(half), range(half, len(items))])
        if while_waiting is not None:
            while_waiting()
        return [result for _, result in sorted(done, key=lambda pair: pair[0])]


def _take(items: Sequence[Any], at: Sequence[int] | range) -> list[Any]:
    if isinstance(at, range) and at.step == 1:
        return list(items[at.start : at.stop])
    return [items[i] for i in at]


def _run(at: Sequence[int] | range) -> Any:
    """In a forked worker: the job on the items at positions ``at``."""
    assert _JOB is not None, "run only in a worker forked by Workers"
    func, items, args = _JOB
    return func(_take(items, at), *args)
