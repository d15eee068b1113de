"""The sync pipeline end to end: through the library function and through the CLI.

Each test gets a fresh copy of the demo library at the session's fixed path with its features
already built (the ``demo_library`` fixture), so no test pays for a cold feature build."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from zotrec.cli import app
from zotrec.demo import DEMO_COLLECTION, demo_digest_path, ensure_demo_library
from zotrec.errors import EXIT_INPUT, EXIT_PARTIAL
from zotrec.library.embedded import EmbeddedLibrary
from zotrec.runner import SyncRequest, run_sync

runner = CliRunner()


def _collection_items(path: Path, name: str = "zotrec: Recommended") -> list[dict]:
    lib = EmbeddedLibrary(path, create=False)
    snap = lib.snapshot()
    key = snap.find_collection(name)
    items = snap.items_in_collection(key) if key else []
    lib.close()
    return items


def test_demo_sync_library_function(demo_library):
    lib_path = demo_library
    result, warnings = run_sync(SyncRequest(demo=True, library=lib_path))
    assert result.papers_read == 38
    assert result.exit_code == 0
    assert result.recommended, "the demo recommends something"
    assert len(result.outcome.pushed) == len(result.recommended)
    # the best picks are about dynamics and learning, like the demo library
    top_titles = " ".join(r.paper.title.lower() for r in result.recommended[:5])
    assert any(w in top_titles for w in ("koopman", "chaotic", "dynamics", "sindy", "dynamical"))
    # scores are best first, on the 0-100 scale, and each pick says why
    scores = [r.score for r in result.ranked]
    assert scores == sorted(scores, reverse=True)
    assert all(0 <= s <= 100 for s in scores)
    assert all(r.reasons and r.reasons[0].key for r in result.recommended)  # nearest item with its key
    items = _collection_items(lib_path)
    assert len(items) == len(result.recommended)
    item = items[0]
    assert item["itemType"] == "preprint"
    assert "zotrec" in {t["tag"] for t in item["tags"]}
    lib = EmbeddedLibrary(lib_path)
    notes = lib.children(item["key"])
    assert notes and "Recommended by zotrec" in notes[0]["note"]
    lib.close()

    second, _ = run_sync(SyncRequest(demo=True, library=lib_path))
    assert second.outcome.pushed == [] and second.recommended == []
    assert len(second.known) == len(result.recommended)  # known before ranking: never a candidate
    assert all(r.why_not.startswith("pushed on ") and not r.chosen for r in second.known)
    assert len(_collection_items(lib_path)) == len(result.recommended)


def test_demo_sync_cli_json_and_second_run(demo_library):
    lib_path = demo_library
    first = runner.invoke(app, ["sync", "--demo", "--library", str(lib_path), "--json"])
    assert first.exit_code == 0, first.output
    data = json.loads(first.stdout)
    assert data["papers"] == 38
    assert data["recommended"] and {"title", "score", "topics", "reasons"} <= set(data["recommended"][0])
    assert len(data["pushed"]) == len(data["recommended"])
    assert data["skipped_duplicates"] == 0
    second = runner.invoke(app, ["sync", "--demo", "--library", str(lib_path), "--json"])
    again = json.loads(second.stdout)
    assert again["pushed"] == [] and again["recommended"] == []
    assert len(again["known"]) == len(data["recommended"])


def test_demo_sync_table_output(demo_library):
    out = runner.invoke(app, ["sync", "--demo", "--library", str(demo_library)])
    assert out.exit_code == 0, out.output
    assert "recommended of 38 papers" in out.stdout
    assert "pushed" in out.stdout


def test_table_title_counts_the_daily_minimum_picks(demo_library):
    """Picks under the threshold (the daily minimum) are counted in the title, so a 92.9 under
    "threshold 95" is explained on the terminal too (JSON and report mark each one); `recommend` with
    no pick prints its title line, as sync does, not an empty table."""
    args = ["--library", str(demo_library), "--threshold", "95", "--min-picks", "3"]
    shown = runner.invoke(app, ["recommend", "-d", str(demo_digest_path()), *args], env={"COLUMNS": "200"})
    assert shown.exit_code == 0, shown.output
    assert "3 recommended of 38 papers (threshold 95; 2 of them below it, as the daily minimum)" in shown.stdout
    out = runner.invoke(app, ["sync", "--demo", *args, "--dry-run"], env={"COLUMNS": "200"})
    assert "3 recommended of 38 papers (threshold 95; 2 of them below it, as the daily minimum)" in out.stdout
    none = runner.invoke(app, ["recommend", "-d", str(demo_digest_path()), *args[:4], "--min-picks", "0"])
    assert none.stdout.splitlines()[0].strip() == "1 recommended of 38 papers (threshold 95)"
    args[3] = "99"
    none = runner.invoke(app, ["recommend", "-d", str(demo_digest_path()), *args[:4], "--min-picks", "0"])
    assert none.stdout.splitlines()[0] == "0 recommended of 38 papers (threshold 99)"  # no empty table frame
    assert none.stdout.splitlines()[1].startswith("nothing recommended: the best paper")
    plain = runner.invoke(app, ["sync", "--demo", "--library", str(demo_library), "--dry-run"], env={"COLUMNS": "200"})
    assert "13 recommended of 38 papers (threshold 60)" in plain.stdout  # README's morning, unchanged


def test_the_push_line_counts_in_words(demo_library):
    """One item is "1 new item", one known paper "1 digest paper was"."""
    args = ["sync", "--demo", "--library", str(demo_library), "--top", "1", "--min-picks", "0"]
    first = " ".join(runner.invoke(app, args).stdout.split())
    assert "pushed 1 new item; 0 digest papers were already in your library or pushed before;" in first
    assert "(150 items)" in first
    second = " ".join(runner.invoke(app, args).stdout.split())
    assert "pushed 0 new items; 1 digest paper was already in your library or pushed before;" in second


def test_quiet_prints_nothing(tmp_path, demo_library):
    """--quiet and --config work after the command name too (as before it, see the cron tests)."""
    config = tmp_path / "other.toml"
    config.write_text("[sync]\ntop_n = 2\nthreshold = 0\n")
    lib_path = demo_library
    out = runner.invoke(app, ["sync", "--demo", "--library", str(lib_path), "--quiet", "--config", str(config)])
    assert out.exit_code == 0, out.stderr
    assert out.stdout == ""
    assert len(_collection_items(lib_path)) == 2  # top_n from the --config file


def test_unreadable_digest_is_one_line_error(tmp_path, demo_library):
    missing = tmp_path / "nope.txt"
    out = runner.invoke(app, ["sync", "--library", str(demo_library), "--digest", str(missing)])
    assert out.exit_code == EXIT_INPUT
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and str(missing) in lines[0]
    assert "Traceback" not in out.output


def test_bad_digest_does_not_stop_the_good_one(tmp_path, demo_library):
    junk = tmp_path / "junk.xml"
    junk.write_bytes(b"<rss><channel><item><title>broken")
    out = runner.invoke(
        app,
        [
            "sync",
            "--library",
            str(demo_library),
            "--digest",
            str(junk),
            "--digest",
            str(demo_digest_path()),
            "--json",
            "--threshold",
            "0",
        ],
    )
    assert out.exit_code == EXIT_PARTIAL
    data = json.loads(out.stdout)
    assert data["papers"] == 38
    assert "junk.xml" in out.stderr


def test_dry_run_writes_nothing(demo_library):
    lib_path = demo_library
    result, _ = run_sync(SyncRequest(demo=True, library=lib_path, dry_run=True))
    assert result.outcome.pushed  # what would be pushed
    assert _collection_items(lib_path) == []


def test_threshold_and_top_n(demo_library):
    lib_path = demo_library
    result, _ = run_sync(SyncRequest(demo=True, library=lib_path, threshold=0, top=3, dry_run=True))
    assert len(result.recommended) == 3
    assert [r.chosen for r in result.ranked[:4]] == [True, True, True, False]
    assert result.ranked[3].why_not == "top 3 reached"
    strict, _ = run_sync(SyncRequest(demo=True, library=lib_path, threshold=100, min_picks=0, dry_run=True))
    assert strict.recommended == [] and all(r.score < 100 for r in strict.ranked)


def test_daily_minimum_on_a_day_where_nothing_passes(demo_library):
    """Threshold 100 (nothing passes): the 3 best papers above 50 are picked and marked; without
    the minimum, the last line says why in one sentence with the best score and title."""
    lib_path = demo_library
    result, _ = run_sync(SyncRequest(demo=True, library=lib_path, threshold=100, dry_run=True))
    assert [r.reason_picked for r in result.recommended] == ["daily minimum"] * 3
    assert result.recommended == [r for r in result.ranked if r.score > 50][:3]
    assert len(result.outcome.pushed) == 3 and result.empty_reason is None
    summary = result.to_json()
    assert [r["reason_picked"] for r in summary["recommended"]] == ["daily minimum"] * 3

    out = runner.invoke(
        app, ["sync", "--demo", "--library", str(lib_path), "--threshold", "100", "--min-picks", "0", "--dry-run"]
    )
    assert out.exit_code == 0, out.output
    last = out.stdout.strip().splitlines()[-1]
    best = result.ranked[0]
    assert last.startswith("nothing recommended: the best paper") and f"{best.score:.1f}" in last
    assert best.paper.title[:30] in last and "--threshold" in last and "recommend --all" in last


def test_demo_library_is_real_and_reused(tmp_path):
    lib = ensure_demo_library(tmp_path / "x.sqlite")
    snap = lib.snapshot()
    assert 50 <= len(snap.items) <= 200
    assert snap.find_collection(DEMO_COLLECTION)
    version = lib.version
    lib.close()
    again = ensure_demo_library(tmp_path / "x.sqlite")
    assert again.version == version  # not filled twice
    again.close()


def test_recommend_cli_ranks_without_pushing(tmp_path, demo_library):
    lib_path = demo_library
    ensure_demo_library(lib_path).close()
    junk = tmp_path / "junk.txt"
    junk.write_bytes(b"")
    out = runner.invoke(
        app,
        ["recommend", "--library", str(lib_path), "--digest", str(demo_digest_path()), str(junk), "--json", "--all"],
    )
    assert out.exit_code == EXIT_PARTIAL, out.output  # the empty second digest failed, the first was ranked
    rows = json.loads(out.stdout)
    assert len(rows) == 38
    assert {"title", "ids", "score", "topics", "reasons"} <= set(rows[0])
    assert [r["score"] for r in rows] == sorted((r["score"] for r in rows), reverse=True)
    assert "junk.txt" in out.stderr
    assert _collection_items(lib_path) == []  # nothing pushed
    # without --library: the configured library
    config = tmp_path / "config.toml"
    config.write_text(f'[zotero]\nbackend = "embedded"\nlibrary = {json.dumps(str(lib_path))}\n')
    out = runner.invoke(app, ["recommend", "-d", str(demo_digest_path()), "--json", "--all", "--config", str(config)])
    assert out.exit_code == 0, out.output
    assert [(r["title"], r["score"]) for r in json.loads(out.stdout)] == [(r["title"], r["score"]) for r in rows]


def test_sync_uses_the_trained_personal_model(demo_library):
    """After `zotrec train personal`, sync labels papers with the user's collections too."""
    from zotrec.config import Config
    from zotrec.runner import personal_model_path

    assert personal_model_path(Config()) is None
    lib_path = demo_library
    lib = ensure_demo_library(lib_path)
    snap = lib.snapshot()
    other = lib.ensure_collection("Chaos")
    for item in snap.items:
        if "chao" in (item["title"] + item["abstractNote"]).lower():
            lib.update_item(item["key"], {"collections": item["collections"] + [other]})
    lib.close()
    trained = runner.invoke(app, ["train", "personal", "--library", str(lib_path)], env={"COLUMNS": "200"})
    assert trained.exit_code == 0, trained.output
    assert personal_model_path(Config()) is not None
    assert trained.stdout.splitlines()[-1] == "the next sync uses it (model.personal)"
    elsewhere = lib_path.parent / "my models" / "personal.joblib"
    args = ["train", "personal", "--library", str(lib_path), "--out", str(elsewhere)]
    hint = runner.invoke(app, args, env={"COLUMNS": "200"}).stdout.splitlines()[-1]
    assert hint == f"use it in sync: zotrec config set model.personal '{elsewhere}'"
    result, _ = run_sync(SyncRequest(demo=True, library=lib_path, dry_run=True))
    labels = {t.label for r in result.ranked for t in r.topics}
    assert "Chaos" in labels or DEMO_COLLECTION in labels


def test_recommend_applies_the_configured_models_and_limits(tmp_path, demo_library):
    """`zotrec recommend --library FILE` ranks with the settings a sync would use: model.topics,
    model.personal, sync.threshold / top_n and sync.max_papers from the config; flags win."""
    from zotrec.paper import Paper
    from zotrec.topics import save_topic_model, train_topic_model

    rows = [json.loads(line) for line in (demo_digest_path().parent / "library.jsonl").open()]
    texts = [Paper(title=r["title"], abstract=r["summary"]) for r in rows]
    mine = save_topic_model(
        train_topic_model(texts, [["mine." + c for c in r["categories"]] for r in rows], min_examples=10),
        tmp_path / "mine.joblib",
    )
    config = tmp_path / "config.toml"
    config.write_text(
        f"[model]\ntopics = {json.dumps(str(mine))}\npersonal = {json.dumps(str(mine))}\n"
        "[sync]\nthreshold = 0\ntop_n = 7\nmax_papers = 5\n"
    )
    args = ["recommend", "--library", str(demo_library), "-d", str(demo_digest_path()), "--config", str(config)]
    out = runner.invoke(app, [*args, "--json"])
    assert out.exit_code == 0, out.output
    rows = json.loads(out.stdout)
    assert len(rows) == 7  # threshold 0, top 7
    labels = [t["label"] for r in rows for t in r["topics"]]
    assert labels and all(label.startswith("mine.") for label in labels), labels
    assert len(json.loads(runner.invoke(app, [*args, "--json", "--top", "3"]).stdout)) == 3  # the flag wins
    # sync.max_papers: a JSON-lines digest of more entries is refused before it is read
    big = tmp_path / "big.jsonl"
    big.write_text("".join(json.dumps({"title": f"Paper {i}", "abstract": "x"}) + "\n" for i in range(6)))
    refused = runner.invoke(app, ["recommend", "--library", str(demo_library), "-d", str(big), "--config", str(config)])
    assert refused.exit_code == EXIT_INPUT and "sync.max_papers" in refused.stderr, refused.output
