"""One demo home for the report tests: two demo syncs run once per test process (building the library
index takes most of a sync's time, so the report tests share it instead of syncing again and again)."""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from typer.testing import CliRunner


@dataclass
class DemoHome:
    home: Path  # ZOTREC_HOME of the two runs
    config: Path  # keeps 1 report; the configured library is the demo library (so `recommend --library config` works)
    live: Path  # the report `zotrec sync --demo --report FILE` wrote in run 1
    summary: dict[str, Any]  # run 1's summary from the state
    summary2: dict[str, Any]  # run 2 (pushes nothing new)


@functools.lru_cache(maxsize=1)
def demo_home() -> DemoHome:
    from zotrec import paths
    from zotrec.cli import app
    from zotrec.state import StateStore

    home = Path(tempfile.mkdtemp(prefix="zotrec-report-demo-"))
    atexit.register(shutil.rmtree, home, True)
    previous = os.environ.get("ZOTREC_HOME")
    os.environ["ZOTREC_HOME"] = str(home)
    try:
        config = home / "config.toml"
        config.write_text(
            f'[zotero]\nbackend = "embedded"\nlibrary = "{paths.demo_library_file()}"\n\n[reports]\nkeep = 1\n',
            encoding="utf-8",
        )
        live = home / "live.html"
        runner = CliRunner()
        for args in (["--report", str(live)], []):
            res = runner.invoke(app, ["--quiet", "--config", str(config), "sync", "--demo", *args])
            assert res.exit_code == 0, res.output
        state = StateStore(paths.state_file())
        summaries = state.run_summary(1), state.run_summary(2)
        state.close()
    finally:
        if previous is None:
            os.environ.pop("ZOTREC_HOME", None)
        else:
            os.environ["ZOTREC_HOME"] = previous
    return DemoHome(home, config, live, summaries[0], summaries[1])
