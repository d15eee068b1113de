"""Cron-grade operation: the run lock (two syncs never at once, stale locks taken over), exit codes,
--quiet/--json, the run log, `zotrec schedule` (crontab via a fake crontab program) and `history`."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from opshelp import embedded_config, prepared_embedded, zotrec_cmd
from typer.testing import CliRunner

from zotrec.cli import app
from zotrec.demo import demo_digest_path
from zotrec.errors import EXIT_BACKEND, EXIT_CONFIG, EXIT_INPUT, EXIT_LOCKED, EXIT_PARTIAL, LockHeld
from zotrec.lock import RunLock, holder, is_locked, lock_file
from zotrec.logs import log_file

runner = CliRunner()


@pytest.fixture
def setup(isolated_dirs, model, shared_root):
    """A config (embedded demo library, warm state, tiny model, demo digest) in ZOTREC_HOME."""
    library = prepared_embedded(isolated_dirs, shared_root)
    config = embedded_config(isolated_dirs, model, library)
    return {"home": isolated_dirs, "library": library, "config": config, "model": model}


# -- lock --------------------------------------------------------------------------------------
def test_lock_second_holder_refused_and_released(isolated_dirs):
    with RunLock():
        assert is_locked()
        assert holder()[0] == os.getpid()
        with pytest.raises(LockHeld) as err:
            RunLock().acquire()
        assert err.value.exit_code == EXIT_LOCKED
        assert f"pid {os.getpid()}" in str(err.value)
        assert "\n" not in str(err.value)
    assert not is_locked()
    with RunLock():  # free again
        pass


def test_stale_lock_of_killed_process_is_taken_over(isolated_dirs):
    code = textwrap.dedent(
        """
        import sys, time
        from zotrec.lock import RunLock
        RunLock().acquire()
        print("locked", flush=True)
        time.sleep(60)
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "locked"
        assert is_locked()
        with pytest.raises(LockHeld):
            RunLock().acquire()
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert lock_file().exists()  # the file stays behind, with the dead pid in it ...
    assert holder()[0] == proc.pid
    with RunLock():  # ... and is taken over
        assert holder()[0] == os.getpid()


class _SlowDigest:
    """A digest served on 127.0.0.1 that is answered only when the test says so (holds a sync in place)."""

    def __init__(self, body: bytes) -> None:
        self.release = threading.Event()
        self.requests = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):
                outer.requests += 1
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.flush()
                sent = 0
                while not outer.release.wait(2) and sent < len(body) - 1:
                    self.wfile.write(body[sent : sent + 1])  # a trickle: the client's read timeout never fires
                    self.wfile.flush()
                    sent += 1
                self.wfile.write(body[sent:])

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/digest.txt"

    def close(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def test_two_concurrent_syncs_exactly_one_runs(setup):
    server = _SlowDigest(demo_digest_path().read_bytes())
    try:
        embedded_config(setup["home"], setup["model"], setup["library"], digests=[server.url])
        env = dict(os.environ)
        procs = [
            subprocess.Popen(
                zotrec_cmd("--quiet", "sync"), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
            )
            for _ in range(2)
        ]
        # the winner holds the lock while its digest is held back; the loser must give up meanwhile
        deadline = time.time() + 240
        while all(p.poll() is None for p in procs) and time.time() < deadline:
            time.sleep(0.1)
        loser = next(p for p in procs if p.poll() is not None)
        winner = next(p for p in procs if p is not loser)
        out, err = loser.communicate()
        assert loser.returncode == EXIT_LOCKED, err
        assert err.count("\n") == 1 and err.startswith("error: another zotrec sync is running (pid ")
        assert f"pid {winner.pid}" in err
        assert winner.poll() is None
        server.release.set()
        out, err = winner.communicate(timeout=120)
        assert winner.returncode == 0, err
        assert out == ""  # --quiet
        assert server.requests == 1  # the loser never read anything
    finally:
        server.close()
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    log = log_file().read_text()
    assert "sync failed (exit 6): another zotrec sync is running" in log
    assert "finished" in log and "exit 0" in log


# -- exit codes, quiet, json, log ---------------------------------------------------------------
def test_sync_quiet_json_and_log(setup):
    result = runner.invoke(app, ["--quiet", "sync"])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    result = runner.invoke(app, ["sync", "--json"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    # the 5 papers of the first run are known now ("pushed on DATE"): the same day's second run adds none
    pushed_before = [k["title"] for k in data["known"] if k["why_not"].startswith("pushed on ")]
    assert data["papers"] == 38 and len(pushed_before) == 5 and data["pushed"] == []
    text = log_file().read_text()
    assert text.count("sync start") == 2
    assert "pushed " in text and "run 1 finished" in text and "run 2 finished" in text


def test_exit_codes(setup, tmp_path):
    home, model, library = setup["home"], setup["model"], setup["library"]
    missing = str(tmp_path / "missing.txt")
    # every input fails -> 7
    embedded_config(home, model, library, digests=[missing])
    result = runner.invoke(app, ["sync"])
    assert result.exit_code == EXIT_INPUT
    assert "file not found" in result.stderr
    # some inputs fail -> 3
    embedded_config(home, model, library, digests=[missing, str(demo_digest_path())])
    assert runner.invoke(app, ["--quiet", "sync"]).exit_code == EXIT_PARTIAL
    # configuration -> 4
    embedded_config(home, model, library, extra="[sync]\nthreshold = 300\n")
    result = runner.invoke(app, ["sync"])
    assert result.exit_code == EXIT_CONFIG and result.stderr.count("\n") == 1
    # backend unusable (not a library file) -> 5
    not_a_library = tmp_path / "notes.sqlite"
    not_a_library.write_bytes(b"this is not a database" * 100)
    embedded_config(home, model, not_a_library)
    result = runner.invoke(app, ["sync"])
    assert result.exit_code == EXIT_BACKEND, result.output
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    # lock held -> 6
    embedded_config(home, model, library)
    with RunLock():
        result = runner.invoke(app, ["sync"])
    assert result.exit_code == EXIT_LOCKED and "another zotrec sync is running" in result.stderr


def test_history_shows_interrupted_runs(setup):
    from zotrec import paths
    from zotrec.state import StateStore

    state = StateStore(paths.state_file())
    dead = state.start_run()  # as if its process was killed mid-run
    state.close()
    result = runner.invoke(app, ["history", "--json"])
    runs = json.loads(result.stdout)
    assert runs[0]["id"] == dead and runs[0]["outcome"] == "interrupted"
    assert runner.invoke(app, ["--quiet", "sync"]).exit_code == 0  # the next sync marks it for good
    state = StateStore(paths.state_file())
    assert {r["id"]: r["outcome"] for r in state.runs()}[dead] == "interrupted"
    state.close()


# -- schedule ------------------------------------------------------------------------------------
FAKE_CRONTAB = """#!/bin/sh
# a stand-in for crontab(1): -l prints the table, - replaces it from stdin
TABLE="{table}"
case "$1" in
  -l) if [ -f "$TABLE" ]; then cat "$TABLE"; else echo "no crontab for $(id -un)" >&2; exit 1; fi ;;
  -) cat > "$TABLE" ;;
  *) echo "usage" >&2; exit 2 ;;
esac
"""


@pytest.fixture
def fake_crontab(tmp_path, monkeypatch) -> Path:
    table = tmp_path / "crontab.txt"
    script = tmp_path / "fake-crontab"
    script.write_text(FAKE_CRONTAB.format(table=table))
    script.chmod(0o755)
    monkeypatch.setenv("ZOTREC_CRONTAB", str(script))
    return table


def test_schedule_prints_crontab_and_systemd(setup, tmp_path):
    result = runner.invoke(app, ["schedule", "--at", "06:05", "--systemd-dir", str(tmp_path / "units")])
    assert result.exit_code == 0, result.output
    line = next(l for l in result.stdout.splitlines() if l.startswith("5 6 * * * "))
    assert f"--quiet --config {setup['config'].resolve()} sync" in line
    assert f"ZOTREC_HOME={setup['home'].resolve()}" in line
    assert line.endswith(f"# zotrec-sync {setup['config'].resolve()}")
    assert "OnCalendar=*-*-* 06:05:00" in result.stdout and "Type=oneshot" in result.stdout
    service = (tmp_path / "units" / "zotrec-sync.service").read_text()
    assert "ExecStart=" in service and "SuccessExitStatus=3" in service
    assert (tmp_path / "units" / "zotrec-sync.timer").exists()
    assert runner.invoke(app, ["schedule", "--at", "25:00"]).exit_code == EXIT_CONFIG


def test_schedule_install_is_idempotent(setup, fake_crontab):
    fake_crontab.write_text("MAILTO=me@example.org\n0 1 * * * /usr/bin/backup\n")
    result = runner.invoke(app, ["schedule", "--install"])
    assert result.exit_code == 0, result.output
    assert "added" in result.stdout
    table = fake_crontab.read_text().splitlines()
    assert table[:2] == ["MAILTO=me@example.org", "0 1 * * * /usr/bin/backup"]
    assert len(table) == 3 and table[2].startswith("30 7 * * * ")
    assert "unchanged" in runner.invoke(app, ["schedule", "--install"]).stdout
    assert fake_crontab.read_text().splitlines() == table
    result = runner.invoke(app, ["schedule", "--install", "--at", "08:15"])
    assert "replaced" in result.stdout
    table = fake_crontab.read_text().splitlines()
    assert len(table) == 3 and table[2].startswith("15 8 * * * ")


def test_schedule_install_into_empty_crontab_and_failures(setup, fake_crontab, monkeypatch, tmp_path):
    assert not fake_crontab.exists()  # "no crontab for user"
    assert runner.invoke(app, ["schedule", "--install"]).exit_code == 0
    assert len(fake_crontab.read_text().splitlines()) == 1
    monkeypatch.setenv("ZOTREC_CRONTAB", str(tmp_path / "no-such-crontab"))
    result = runner.invoke(app, ["schedule", "--install"])
    assert result.exit_code != 0 and "command not found" in result.stderr


def test_schedule_needs_a_config_file_and_warns_about_env_only_settings(isolated_dirs, setup, monkeypatch):
    monkeypatch.setenv("ZOTREC_TOP_N", "3")
    result = runner.invoke(app, ["schedule"])
    assert result.exit_code == 0
    assert "ZOTREC_TOP_N (sync.top_n) set in your environment to a value" in result.stderr
    assert "zotrec config set sync.top_n VALUE" in result.stderr and "init --force" not in result.stderr
    assert runner.invoke(app, ["config", "set", "sync.top_n", "5"]).exit_code == 0
    assert "ZOTREC_TOP_N (sync.top_n)" in runner.invoke(app, ["schedule"]).stderr  # the file says 5, not 3
    assert runner.invoke(app, ["config", "set", "sync.top_n", "3"]).exit_code == 0  # the advice, followed
    assert "ZOTREC_TOP_N" not in runner.invoke(app, ["schedule"]).stderr
    setup["config"].unlink()
    result = runner.invoke(app, ["schedule"])
    assert result.exit_code == EXIT_CONFIG and "zotrec init" in result.stderr
