"""The state file: schema migrations, a newer file refused, corrupt or truncated files moved aside
and rebuilt (a warning, never a crash, never a duplicate push)."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from pathlib import Path

import pytest
from opshelp import embedded_config, prepared_embedded
from typer.testing import CliRunner

from zotrec import paths
from zotrec.cli import app
from zotrec.errors import EXIT_CONFIG, StateError
from zotrec.library.embedded import EmbeddedLibrary
from zotrec.state import MIGRATIONS, SCHEMA_VERSION, StateStore

runner = CliRunner()


def _user_version(path: Path) -> int:
    db = sqlite3.connect(path)
    try:
        return db.execute("PRAGMA user_version").fetchone()[0]
    finally:
        db.close()


def test_new_state_file_is_wal_and_current(tmp_path):
    state = StateStore(tmp_path / "state.sqlite")
    assert state._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    state.close()
    assert _user_version(tmp_path / "state.sqlite") == SCHEMA_VERSION


def test_older_state_file_is_upgraded_with_its_data(tmp_path):
    path = tmp_path / "state.sqlite"
    db = sqlite3.connect(path)
    db.executescript(MIGRATIONS[0])
    db.execute("INSERT INTO runs (started, outcome, counts) VALUES (1700000000, 'ok', '{\"pushed\": 2}')")
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()
    state = StateStore(path)
    assert state.recovered_from is None
    assert state.runs()[0]["counts"] == {"pushed": 2}
    indexes = {r[0] for r in state._db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert "pushed_library_status" in indexes
    state.close()
    assert _user_version(path) == SCHEMA_VERSION


def test_old_library_feature_table_is_dropped(tmp_path):
    path = tmp_path / "state.sqlite"
    db = sqlite3.connect(path)
    for migration in MIGRATIONS[:3]:
        db.executescript(migration)
    db.execute("INSERT INTO library_cache VALUES ('lib', '7', 3, ?, 0)", (b"\0" * 100_000,))
    db.execute("INSERT INTO runs (started, outcome, counts) VALUES (1700000000, 'ok', '{}')")
    db.execute("PRAGMA user_version = 3")
    db.commit()
    db.close()
    state = StateStore(path)
    tables = {r[0] for r in state._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "library_cache" not in tables and {"runs", "pushed", "feedback"} <= tables
    assert len(state.runs()) == 1
    state.close()
    assert _user_version(path) == SCHEMA_VERSION


def test_newer_state_file_is_refused_and_left_alone(isolated_dirs):
    path = paths.state_file()
    path.parent.mkdir(parents=True)
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    db.commit()
    db.close()
    before = path.read_bytes()
    with pytest.raises(StateError):
        StateStore(path)
    result = runner.invoke(app, ["history"])
    assert result.exit_code == EXIT_CONFIG
    assert result.stderr.count("\n") == 1 and "newer zotrec" in result.stderr
    assert path.read_bytes() == before
    assert not list(path.parent.glob("*.corrupt-*"))


@pytest.mark.parametrize("damage", ["garbage", "zero-bytes-header"])
def test_unreadable_state_file_is_moved_aside(tmp_path, damage):
    path = tmp_path / "state.sqlite"
    if damage == "garbage":
        path.write_bytes(b"not a database at all\n" * 500)
    else:
        StateStore(path).close()
        data = bytearray(path.read_bytes())
        data[:100] = b"\0" * 100
        path.write_bytes(bytes(data))
    state = StateStore(path)
    assert state.recovered_from and state.recovered_from.exists()
    assert state.runs() == []
    state.number_runs_after(7)
    state.number_runs_after(3)  # never lowers the numbering
    assert state.start_run() == 8
    state.close()


def test_truncated_state_file_mid_sync_history(isolated_dirs, model, shared_root):
    """A state truncated in the middle: the next sync warns, moves it aside, rebuilds, pushes no duplicate."""
    library = prepared_embedded(isolated_dirs, shared_root)
    embedded_config(isolated_dirs, model, library)
    first = runner.invoke(app, ["sync", "--json"])
    assert first.exit_code == 0, first.output
    pushed = json.loads(first.stdout)["pushed"]
    assert pushed
    from zotrec.report import reports_dir

    first_report = (reports_dir() / "zotrec-run-1.html").read_bytes()
    path = paths.state_file()
    state = StateStore(path)  # make sure the WAL is folded into the main file, then cut it in half
    state._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    state.close()
    data = path.read_bytes()
    assert len(data) > 8192
    path.write_bytes(data[: len(data) // 2])

    second = runner.invoke(app, ["sync", "--json"])
    assert second.exit_code == 0, second.output
    assert "state file was corrupt; moved to" in second.stderr
    assert "Traceback" not in second.output
    aside = list(path.parent.glob("state.sqlite.corrupt-*"))
    assert len(aside) == 1
    result = json.loads(second.stdout)
    # rebuilt from the library: the items in zotrec's collection are known as pushed today, never pushed again
    known = {k["title"]: k["why_not"] for k in result["known"]}
    assert all(known.get(p["title"], "").startswith("pushed on ") for p in pushed)
    assert result["pushed"] == []
    lib = EmbeddedLibrary(library, create=False)
    snap = lib.snapshot()
    items = snap.items_in_collection(snap.find_collection("zotrec: Recommended"))
    lib.close()
    assert len(items) == len(pushed) + len(result["pushed"])
    assert max(Counter(i["title"] for i in items).values()) == 1
    history = runner.invoke(app, ["history", "--json"])
    assert history.exit_code == 0 and [run["id"] for run in json.loads(history.stdout)] == [2]
    # the rebuilt state numbers its runs after the kept reports: the first run's report is still there
    assert (reports_dir() / "zotrec-run-1.html").read_bytes() == first_report
    assert (reports_dir() / "zotrec-run-2.html").is_file()


def test_mark_interrupted(tmp_path):
    state = StateStore(tmp_path / "state.sqlite")
    dead = state.start_run()
    done = state.start_run()
    state.finish_run(done, "ok", {})
    assert state.mark_interrupted() == 1
    assert {r["id"]: r["outcome"] for r in state.runs()} == {dead: "interrupted", done: "ok"}
    state.close()


def test_a_sync_stopped_by_ctrl_c_is_listed_as_interrupted(demo_library):
    """Ctrl-C raises KeyboardInterrupt wherever the run is (here: as it starts scoring); history says
    `interrupted`, as for a killed run, and the next run goes on normally."""
    from zotrec.runner import SyncRequest, run_sync

    def ctrl_c_while_scoring(message: str) -> None:
        if message.startswith("scoring"):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_sync(SyncRequest(demo=True, library=demo_library, top=3), progress=ctrl_c_while_scoring)
    run_sync(SyncRequest(demo=True, library=demo_library, top=3))
    shown = runner.invoke(app, ["history", "--json"])
    assert shown.exit_code == 0, shown.output
    assert [r["outcome"] for r in json.loads(shown.stdout)] == ["ok", "interrupted"]


def test_a_dry_run_is_listed_as_dry_run_whatever_it_found(demo_library, tmp_path):
    """A successful dry run is no "ok" run that pushed nothing; one with a missing digest neither."""
    from zotrec.demo import demo_digest_path
    from zotrec.runner import SyncRequest, run_sync

    run_sync(SyncRequest(demo=True, library=demo_library, top=3, dry_run=True))
    missing = str(tmp_path / "missing.xml")
    run_sync(SyncRequest(library=demo_library, digests=[str(demo_digest_path()), missing], top=3, dry_run=True))
    runs = json.loads(runner.invoke(app, ["history", "--json"]).stdout)
    assert [(r["outcome"], r["counts"]["recommended"], r["counts"]["pushed"]) for r in runs] == [
        ("dry-run", 3, 0),
        ("dry-run", 3, 0),
    ]


def test_the_report_times_the_whole_run(demo_library):
    """The summary's start (the report's date and "took") is the run's start, before the digests are
    read, not the moment the result was assembled after ranking."""
    from zotrec.runner import SyncRequest, run_sync

    result, _ = run_sync(SyncRequest(demo=True, library=demo_library, top=3, dry_run=True))
    state = StateStore(paths.state_file())
    (run,) = state.runs()
    state.close()
    summary = result.to_json()
    assert summary["started"] <= run["started"] and summary["finished"] >= run["finished"] - 0.5
    assert summary["finished"] - summary["started"] >= run["finished"] - run["started"] - 0.5
