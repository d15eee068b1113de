"""Recent runs and what each pushed, from the state file."""

from __future__ import annotations

import time
from typing import Any

from zotrec.errors import UnknownRun
from zotrec.state import StateStore
from zotrec.text import clean_text


def _when(ts: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts)) if ts else "-"


def recent_runs(state: StateStore, limit: int = 20) -> list[dict[str, Any]]:
    from zotrec.lock import is_locked

    runs = state.runs(limit)
    live = is_locked()
    for r in runs:
        if r["outcome"] == "running" and not (live and r is runs[0]):
            r["outcome"] = "interrupted"  # its process died (no sync holds the lock)
        r["started_at"] = _when(r["started"])
        r["duration"] = f"{r['finished'] - r['started']:.1f}s" if r["finished"] else "-"
    return runs


def run_details(state: StateStore, run_id: int) -> dict[str, Any]:
    runs = {r["id"]: r for r in state.runs(10_000)}
    if run_id not in runs:
        raise UnknownRun(f"no run {run_id} in the state (see `zotrec history`)")
    pushed = [
        {
            "identity": p.identity,
            "title": clean_text(p.paper.get("title", "")),
            "item_key": p.item_key,
            "status": p.status,
            "collection": p.collection,
            "error": p.error,
            "library": p.library,
        }
        for p in state.pushes_of_run(run_id)
    ]
    return {**runs[run_id], "pushed": pushed}
