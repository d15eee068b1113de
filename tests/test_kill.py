"""Exactly once under SIGKILL: a real `zotrec sync` process (forked by tests/kill_hook.py) against the loopback Zotero Web API
server is killed when the Nth request reaches the server (the server still handles that request, so
the client dies with its answer lost), for every N of a run; a re-run must then leave every
recommended paper in the collection exactly once (0 duplicates, 0 missing), each with one note.

The same runs check that the API key never appears in stdout, stderr, the log file, the state file
or the item cache, and that `history` shows the killed run as interrupted.
"""

from __future__ import annotations

import json
import os
import signal
import threading
from collections import Counter
from pathlib import Path

import pytest
from kill_hook import KillServer
from opshelp import FAKE_KEY, install_warm_state, tiny_topic_model, warm_state_file, write_config
from typer.testing import CliRunner
from zotero_server import ZoteroServer

from zotrec.cli import app
from zotrec.demo import demo_digest_path, ensure_demo_library

runner = CliRunner()

LIBRARY_ID = "123456"
COLLECTION = "zotrec: Recommended"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """Library items, a warm state template, the config text, and a reference run's facts."""
    root = tmp_path_factory.mktemp("kill")
    model = tiny_topic_model(root)
    lib = ensure_demo_library(root / "demo.sqlite")
    items = lib.snapshot().items
    lib.close()
    config = (
        '[zotero]\nbackend = "web"\n\n[sync]\nthreshold = 50\ntop_n = 3\n\n'
        f"[sources]\ndigests = {json.dumps([str(demo_digest_path())])}\n\n[model]\ntopics = {json.dumps(str(model))}\n"
    )
    with _server(items) as server:
        from zotrec.library.web import WebLibrary

        web = WebLibrary(api_key=FAKE_KEY, library_id=LIBRARY_ID, endpoint=server.endpoint)
        warm_state_file(root / "warm-state.sqlite", web.snapshot(), f"web:user:{LIBRARY_ID}")
        web.close()
    w = {"root": root, "items": items, "config": config, "warm": root / "warm-state.sqlite"}
    with _server(items) as server:  # the reference run (in-process): how many requests, what it recommends
        home = _home(w, "reference")
        result = runner.invoke(app, ["sync", "--json"], env=_env(home, server))
        assert result.exit_code == 0, result.output
        w["requests"] = len(server.log)
        w["expected"] = sorted(r["title"] for r in json.loads(result.stdout)["recommended"])
        w["outputs"] = [result.stdout, result.stderr]
        w["homes"] = [home]
        _check_collection(server, w["expected"])
    assert 1 <= len(w["expected"]) <= 3 and 5 <= w["requests"] <= 30
    return w


class _server:
    def __init__(self, items):
        self.server = ZoteroServer(api_key=FAKE_KEY, library_id=LIBRARY_ID)
        self.items = items

    def __enter__(self) -> ZoteroServer:
        self.server.start()
        self.server.load(self.items)
        return self.server

    def __exit__(self, *exc):
        self.server.stop()


def _home(w, name: str) -> Path:
    home = w["root"] / name
    install_warm_state(w["warm"], home)
    write_config(home / "config" / "config.toml", w["config"])
    return home


def _env(home: Path, server: ZoteroServer) -> dict[str, str]:
    return {
        "ZOTREC_HOME": str(home),
        "ZOTERO_API_KEY": FAKE_KEY,
        "ZOTERO_LIBRARY_ID": LIBRARY_ID,
        "ZOTREC_ZOTERO_ENDPOINT": server.endpoint,
    }


def _check_collection(server: ZoteroServer, expected: list[str]) -> dict[str, int]:
    key = server.collection_by_name(COLLECTION)
    assert key, "the target collection exists"
    assert sum(1 for c in server.lib.collections.values() if c["name"] == COLLECTION) == 1
    items = server.collection_items(key)
    titles = Counter(i["title"] for i in items)
    duplicates = {t: n for t, n in titles.items() if n > 1}
    missing = set(expected) - set(titles)
    assert not duplicates, f"duplicates: {duplicates}"
    assert not missing, f"missing: {missing}"
    assert sorted(titles) == expected
    for item in items:
        notes = [c for c in server.children(item["key"]) if c["itemType"] == "note"]
        assert len(notes) == 1, f"{item['title']!r} has {len(notes)} notes"
    return {"items": len(items)}


def _kill_at(w, n: int, server: ZoteroServer, forks: KillServer) -> dict:
    """Run a real `zotrec sync` process and SIGKILL it when the nth request reaches the server."""
    home = _home(w, f"kill-{n}")
    pid: dict[str, int] = {}
    known = threading.Event()
    seen = {"count": 0}

    def hook(request) -> None:
        seen["count"] += 1
        if seen["count"] == n:
            assert known.wait(60), "the killed process's pid never came"
            os.kill(pid["pid"], signal.SIGKILL)  # the server still handles this request

    def started(child: int) -> None:
        pid["pid"] = child
        known.set()

    server.on_request = hook
    proc = forks.run(["sync"], dict(os.environ, **_env(home, server)), home, started=started)
    server.on_request = None
    return {"n": n, "rc": proc.returncode, "home": home, "server": server, "outputs": [proc.stdout, proc.stderr]}


def _rerun(w, killed: dict) -> None:
    """History shows the killed run as interrupted; a re-run (in-process) completes exactly once."""
    from zotrec.history import recent_runs
    from zotrec.state import StateStore

    home, server, n = killed["home"], killed["server"], killed["n"]
    state = StateStore(home / "data" / "state.sqlite")
    killed["shown"] = recent_runs(state, 5)[0]["outcome"]  # no sync holds this home's lock
    state.close()
    result = runner.invoke(app, ["sync", "--json"], env=_env(home, server))
    assert result.exit_code == 0, f"kill at request {n}: re-run failed: {result.output}"
    killed["outputs"] += [result.stdout, result.stderr]
    _check_collection(server, w["expected"])
    state = StateStore(home / "data" / "state.sqlite")
    killed["outcomes"] = [r["outcome"] for r in state.runs(5)]
    state.close()


def test_kill_at_every_request_then_rerun_exactly_once(world, kill_server):
    points = list(range(1, world["requests"] + 1))
    servers = [_server(world["items"]) for _ in points]
    try:
        results = [_kill_at(world, n, servers[n - 1].__enter__(), kill_server) for n in points]
        for r in results:  # the re-runs, in this process
            _rerun(world, r)
    finally:
        for s in servers:
            s.__exit__()
    for r in results:
        assert r["rc"] == -signal.SIGKILL, f"request {r['n']}: the sync was not killed (rc {r['rc']})"
        assert r["shown"] == "interrupted", r
        assert r["outcomes"][0] == "ok" and r["outcomes"][1] == "interrupted", r
    world["outputs"] += [o for r in results for o in r["outputs"]]
    world["homes"] += [r["home"] for r in results]
    # the API key never shows: not in any output, log, state or cache file of any of these runs
    for text in world["outputs"]:
        assert FAKE_KEY not in text
    scanned = 0
    for home in world["homes"]:
        for path in home.rglob("*"):
            if path.is_file() and path.suffix != ".toml":  # the config file is where the user put it
                assert FAKE_KEY.encode() not in path.read_bytes(), f"API key found in {path}"
                scanned += 1
    assert scanned >= 3 * len(world["homes"])  # state, log, item cache at least


# -- the embedded backend: killed around its library calls (tests/kill_hook.py before:N / after:N) --------
@pytest.mark.parametrize("point", ["after:3", "after:4"])
def test_kill_embedded_around_writes_then_rerun_exactly_once(tmp_path_factory, kill_server, point):
    """Calls: 1 snapshot, 2 ensure_collection, 3 create_items (papers), 4 create_items (notes).
    after:N = the write landed but the process died before it saw the answer."""
    from opshelp import embedded_config, prepared_embedded, session_root

    from zotrec.library.embedded import EmbeddedLibrary

    home = tmp_path_factory.mktemp("kill-embedded")
    library = prepared_embedded(home, session_root(tmp_path_factory))
    model = tiny_topic_model(tmp_path_factory.mktemp("model"))
    embedded_config(home, model, library)
    proc = kill_server.run(["sync"], dict(os.environ, ZOTREC_HOME=str(home)), home, point=point)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    result = runner.invoke(app, ["sync", "--json"], env={"ZOTREC_HOME": str(home)})
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)  # what the killed run had recorded is completed, and counts as today's picks
    expected = sorted(
        [r["title"] for r in data["recommended"]]
        + [k["title"] for k in data["known"] if k["why_not"].startswith("pushed on ")]
    )
    assert expected
    lib = EmbeddedLibrary(library, create=False)
    snap = lib.snapshot()
    assert sum(1 for c in snap.collections.values() if c.name == COLLECTION) == 1
    items = snap.items_in_collection(snap.find_collection(COLLECTION))
    assert sorted(i["title"] for i in items) == expected  # 0 duplicates, 0 missing
    assert all(len(lib.children(i["key"])) == 1 for i in items)  # one note each
    lib.close()
    history = runner.invoke(app, ["history", "--json"], env={"ZOTREC_HOME": str(home)})
    assert [r["outcome"] for r in json.loads(history.stdout)][:2] == ["ok", "interrupted"]
