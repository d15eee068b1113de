"""Attacks on a running zotrec: hostile titles, poisoned pushes, slow servers, long waits (attacks
through the file system: tests/test_attacks_files.py).

Each test plays one attack end to end through the real command and checks what zotrec does now:
one line, the documented exit code, nothing lost, later runs unaffected.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from attackhelp import hostile_digest, setup, zotero_web  # noqa: F401 (fixtures)
from opshelp import session_root
from typer.testing import CliRunner

from zotrec.cli import app
from zotrec.demo import demo_digest_path
from zotrec.errors import SourceError
from zotrec.sources import read_source

runner = CliRunner()

MARKUP = ["[/INST]", "[/b]", "[link=javascript:alert(1)]click me[/link]", "[bold red]loud", ":warning:"]


def test_markup_in_titles_prints_as_text_in_every_table(setup, tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "400")  # one row per paper: the titles can be searched whole
    digest = hostile_digest(tmp_path / "markup.jsonl", MARKUP)
    commands = [
        ["sync", "--digest", str(digest)],
        ["--quiet", "sync", "--digest", str(digest)],
        ["recommend", "--library", str(setup["library"]), "--digest", str(digest), "--all"],
        ["parse", str(digest)],
        ["classify", str(digest)],
        ["history"],
        ["history", "--run", "1"],
        ["feedback"],
        ["sync", "--digest", str(digest), "--dry-run"],
    ]
    outputs = {}
    for args in commands:
        result = runner.invoke(app, args)
        assert result.exit_code == 0, (args, result.output)
        assert "Traceback" not in result.output and "MarkupError" not in result.output, args
        outputs[" ".join(args[:2]) if args[-1] != "--dry-run" else "dry run"] = result.stdout
    shown = [line for line in outputs["sync --digest"].splitlines() if re.match(r"│\s*\d+\s*│", line)]
    assert len(shown) == 5 and all(any(m in line for m in MARKUP) for line in shown)  # every row, as written
    for key in ("recommend --library", "parse " + str(digest), "classify " + str(digest)):
        assert all(m in outputs[key] for m in MARKUP), key  # all 38 papers: every injection verbatim
    pushed = outputs["history --run"].splitlines()[1:]
    assert len(pushed) == 5 and all(any(m in line for m in MARKUP) for line in pushed)
    assert any(m in outputs["feedback"] for m in MARKUP)  # run 2 read the feedback on run 1's pushes
    assert not any("\x1b]8;" in out for out in outputs.values())  # no terminal hyperlink anywhere


# -- one bad push never blocks the others ---------------------------------------------------------


def digest_parts(directory: Path, parts: int, poison: bool = False) -> list[Path]:
    """The demo digest as ``parts`` JSON-lines digests of distinct papers; the first title of the
    first part holds an unpaired surrogate (``"\\ud800"`` in the JSON, a half-cut emoji)."""
    papers = read_source(str(demo_digest_path()))
    paths_ = []
    for part in range(parts):
        path = directory / f"part{part}.jsonl"
        with path.open("w", encoding="utf-8") as fh:
            for number, paper in enumerate(papers[part::parts]):
                title = paper.title + (" \ud800" if poison and part == 0 and number == 0 else "")
                fh.write(
                    json.dumps(
                        {
                            "id": f"2509.{part}{number:04d}",
                            "title": title,
                            "summary": paper.abstract,
                            "authors": ["A. Author"],
                            "categories": ["cs.LG"],
                        }
                    )
                    + "\n"
                )
        paths_.append(path)
    return paths_


def test_poisoned_digest_then_two_clean_runs_both_push(zotero_web, tmp_path):
    from zotrec import paths
    from zotrec.runner import SyncRequest, run_sync
    from zotrec.state import PushRecord, StateStore

    server = zotero_web
    poisoned, clean1, clean2 = digest_parts(tmp_path, 3, poison=True)
    assert "\\ud800" in poisoned.read_text()
    first, _ = run_sync(SyncRequest(digests=[str(poisoned)]))
    assert first.exit_code == 0 and len(first.outcome.pushed) == 4  # the surrogate was dropped on reading

    # A state written before text was cleaned: one intent that cannot be encoded, one the server
    # refuses for its content (400). Both must fail once, with their reason, and never block.
    collection = server.collection_by_name("zotrec: Recommended")
    library_id = f"web:user:{server.library_id}"
    state = StateStore(paths.state_file())
    bad = [("half-cut emoji \ud800 in an old intent", "preprint"), ("an item type Zotero refuses", "bogusType")]
    state.outbox(library_id).add(
        [
            PushRecord(
                identity=f"title:old {n}",
                run_id=first.run_id,
                library=library_id,
                collection="zotrec: Recommended",
                status="intent",
                item_key=None,
                write_token=None,
                note_token=None,
                item={"itemType": kind, "title": title, "collections": [collection], "tags": []},
                note="<p>x</p>",
                paper={"title": title},
                error=None,
            )
            for n, (title, kind) in enumerate(bad)
        ]
    )
    state.close()

    second = runner.invoke(app, ["sync", "--digest", str(clean1)])
    assert second.exit_code == 3, second.output  # partial: two pushes failed for good
    errors = [line for line in second.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 2 and all("not retried" in line for line in errors), second.stderr
    assert any("cannot be sent to Zotero" in line for line in errors)
    assert any("400" in line and "bogusType" in line for line in errors)
    history = runner.invoke(app, ["history", "--run", "2", "--json"])
    assert history.exit_code == 0 and history.stdout, (history.output, history.stderr)
    rows = {r["title"]: r for r in json.loads(history.stdout)["pushed"]}
    assert sum(1 for r in rows.values() if r["status"] == "done") == 4
    failed = [r for r in rows.values() if r["status"] == "failed"]
    assert len(failed) == 0  # the two old intents belong to run 1
    old = {r["title"]: r for r in json.loads(runner.invoke(app, ["history", "--run", "1", "--json"]).stdout)["pushed"]}
    assert sorted(r["status"] for r in old.values()) == ["done"] * 4 + ["failed"] * 2
    assert all(r["error"] for r in old.values() if r["status"] == "failed")
    shown = runner.invoke(app, ["history", "--run", "1"]).stdout
    assert "failed" in shown and "bogusType" in shown

    server.reset_log()
    third = runner.invoke(app, ["sync", "--digest", str(clean2), "--json"])
    assert third.exit_code == 0, third.output
    summary = json.loads(third.stdout)
    assert len(summary["pushed"]) == 4 and summary["failed"] == [] and summary["rejected"] == []
    posted = [r for r in server.log if r.method == "POST" and r.path.endswith("/items")]
    assert len(posted) == 2  # the four new items, then their notes: nothing old sent again


# -- state kept per library -------------------------------------------------------------------------
def test_demo_then_a_real_library_pushes_everything_due_in_both(isolated_dirs, tmp_path_factory, tmp_path):
    from opshelp import warm_demo_copy

    from zotrec.demo import ensure_demo_library
    from zotrec.library.embedded import EmbeddedLibrary
    from zotrec.runner import SyncRequest, run_sync

    demo, real = tmp_path / "demo.sqlite", tmp_path / "real.sqlite"
    warm_demo_copy(demo, isolated_dirs, session_root(tmp_path_factory))  # the session's demo library, warm
    ensure_demo_library(real).close()  # a second library holding the same papers (made anew: its own keys)
    first, _ = run_sync(SyncRequest(demo=True, library=demo, threshold=0, top=15))
    second, _ = run_sync(SyncRequest(demo=True, library=real, threshold=0, top=15))
    assert len(first.outcome.pushed) == 15
    # before: the second library got only the papers the first had not taken (11 of 15 seen)
    assert len(second.outcome.pushed) == len(second.recommended) == 15
    assert not second.outcome.skipped_duplicates and not second.outcome.failed
    for path in (demo, real):
        lib = EmbeddedLibrary(path)
        assert (
            sum(
                1
                for i in lib.snapshot().items
                if i.get("itemType") == "preprint" and any(t["tag"] == "zotrec" for t in i["tags"])
            )
            == 15
        )
        lib.close()

    # feedback given in the demo library moves the demo's scores and never the real library's
    from zotrec.feedback import NEGATIVE_TAG

    lib = EmbeddedLibrary(demo)
    for _, key in first.outcome.pushed:
        lib.update_item(key, {"tags": lib.item(key)["tags"] + [{"tag": NEGATIVE_TAG}]})
    lib.close()
    everything = {"threshold": 0, "top": 100, "dry_run": True}
    demo_after, _ = run_sync(SyncRequest(demo=True, library=demo, **everything))
    real_after, _ = run_sync(SyncRequest(demo=True, library=real, **everything))
    demo_before = {r.paper.title: r.score for r in first.ranked}
    real_before = {r.paper.title: r.score for r in second.ranked}
    disliked = [p.title for p, _ in first.outcome.pushed]
    assert all({r.paper.title: r.score for r in demo_after.ranked}[t] < demo_before[t] for t in disliked)
    assert {r.paper.title: r.score for r in real_after.ranked} == real_before


def test_migration_keeps_every_push_and_feedback_row(tmp_path):
    """A state file of the previous schema (pushes keyed by paper alone, feedback without library)."""
    import sqlite3

    from zotrec.state import MIGRATIONS, StateStore

    path = tmp_path / "state.sqlite"
    db = sqlite3.connect(path, isolation_level=None)
    for script in MIGRATIONS[:2]:
        db.executescript(script)
    db.execute("PRAGMA user_version = 2")
    row = "INSERT INTO pushed VALUES (?, 1, ?, 'zotrec: Recommended', ?, ?, 'tok', NULL, '{}', '<p/>', ?, ?, 0, 0)"
    db.execute(row, ("arxiv:2401.00001", "embedded:/a.sqlite", "done", "AAAA1111", '{"title": "One"}', None))
    db.execute(row, ("arxiv:2401.00002", "web:user:1", "failed", None, '{"title": "Two"}', "500 busy"))
    db.execute("INSERT INTO feedback VALUES ('arxiv:2401.00001', 'AAAA1111', -1, 'deleted', '{\"title\": \"One\"}', 0)")
    db.close()

    state = StateStore(path)
    done = state.pushes("embedded:/a.sqlite")
    retried = state.pushes("web:user:1")
    assert [(r.identity, r.status, r.item_key) for r in done] == [("arxiv:2401.00001", "done", "AAAA1111")]
    # under the old schema 'failed' meant "retry next run": it is an intent again, its error kept
    assert [(r.identity, r.status, r.error) for r in retried] == [("arxiv:2401.00002", "intent", "500 busy")]
    assert [(f["library"], f["identity"], f["value"]) for f in state.feedback()] == [
        ("embedded:/a.sqlite", "arxiv:2401.00001", -1)
    ]
    assert state.feedback("web:user:1") == []
    # the same paper can now be pushed to a second library
    from zotrec.state import PushRecord

    state.outbox("web:user:2").add(
        [
            PushRecord(
                "arxiv:2401.00001", 2, "web:user:2", "c", "intent", None, None, None, {}, "", {"title": "One"}, None
            )
        ]
    )
    assert [r.identity for r in state.outbox("web:user:2").to_create()] == ["arxiv:2401.00001"]
    state.close()


# -- slow servers and long waits --------------------------------------------------------------------
class _Trickle:
    """A loopback HTTP server: ``/slow`` sends one byte every ``interval`` s; ``/busy`` answers 429
    with ``Retry-After: 3600``."""

    def __init__(self, interval: float = 1.0) -> None:
        import http.server
        import threading

        stop = self.stop = threading.Event()

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                if self.path == "/busy":
                    self.send_response(429)
                    self.send_header("Retry-After", "3600")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                try:
                    while not stop.wait(interval):
                        self.wfile.write(b" ")
                        self.wfile.flush()
                except OSError:
                    pass  # the client gave up

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.stop.set()
        self.server.shutdown()
        self.server.server_close()


def test_a_trickling_digest_server_is_cut_at_the_deadline(setup):
    import time

    server = _Trickle(interval=1.0)
    text = setup["config"].read_text().replace("[sources]\n", "[sources]\ntimeout = 3\n")
    setup["config"].write_text(text)
    try:
        started = time.monotonic()
        with pytest.raises(SourceError, match="within 3 s"):
            read_source(f"{server.url}/slow", timeout=3)
        took = time.monotonic() - started
        result = runner.invoke(
            app, ["sync", "--dry-run", "--digest", f"{server.url}/slow", "--digest", str(demo_digest_path())]
        )
    finally:
        server.close()
    # before: each byte reset the 20 s per-read timeout and the fetch (holding the lock) never ended
    assert took < 3 + 5, took
    assert result.exit_code == 3, result.output  # partial: the other digest was read and ranked
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and f"{server.url}/slow" in errors[0] and "within 3 s" in errors[0], result.stderr


def test_a_digest_server_asking_for_an_hour_is_refused_at_once(setup):
    import time

    server = _Trickle()
    try:
        started = time.monotonic()
        result = runner.invoke(app, ["parse", f"{server.url}/busy", str(demo_digest_path())])
        took = time.monotonic() - started
    finally:
        server.close()
    assert result.exit_code == 3, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "wait 3600 s" in errors[0] and "60 s" in errors[0], result.stderr
    assert took < 30, took


def test_zotero_asking_for_an_hour_ends_the_run_with_one_line(zotero_web, tmp_path):
    import time

    server = zotero_web
    server.faults.rate_limit = 1
    server.faults.retry_after = "3600"
    started = time.monotonic()
    result = runner.invoke(app, ["--quiet", "sync", "--digest", str(demo_digest_path())])
    took = time.monotonic() - started
    assert result.exit_code == 5, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "wait 3600 s" in errors[0] and "60 s" in errors[0], result.stderr
    assert took < 60, took  # before: pyzotero slept the hour out
