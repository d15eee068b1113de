"""Halves of a job in two processes: forked children or joblib's workers, the same results."""

from __future__ import annotations

import os

import pytest

from zotrec import parallel


def _tag(part: list[int], offset: int) -> tuple[list[int], int]:
    return [x + offset for x in part], os.getpid()


def _fail(part: list[int]) -> list[int]:
    if part[0] > 0:
        raise ValueError(f"bad part starting at {part[0]}")
    return part


@pytest.mark.parametrize("fork", [True, False])
def test_both_halves_run_elsewhere_while_this_process_waits(fork):
    items = list(range(11))
    waited = []
    (first, pid1), (second, pid2) = parallel.halves(_tag, items, 100, while_waiting=lambda: waited.append(1), fork=fork)
    assert first + second == [x + 100 for x in items] and len(first) == 6
    assert waited == [1]
    assert os.getpid() not in (pid1, pid2)


@pytest.mark.parametrize("fork", [True, False])
def test_an_error_in_a_half_is_raised_here(fork):
    with pytest.raises(ValueError, match="bad part starting at 2"):
        parallel.halves(_fail, [0, 1, 2, 3], fork=fork)
    assert parallel._JOB is None
