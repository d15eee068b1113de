"""Feedback read back from the library, and the library feature cache, through the pipeline."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from zotrec import paths
from zotrec.cli import app
from zotrec.feedback import NEGATIVE_TAG, POSITIVE_TAG
from zotrec.library.embedded import EmbeddedLibrary
from zotrec.runner import SyncRequest, run_sync
from zotrec.state import StateStore


def _pushed_keys(result) -> list[str]:
    return [key for _, key in result.outcome.pushed]


def test_feedback_signals_from_zotero(demo_library):
    lib_path = demo_library
    first, _ = run_sync(SyncRequest(demo=True, library=lib_path, threshold=0, top=5))
    keys = _pushed_keys(first)
    assert len(keys) == 5
    lib = EmbeddedLibrary(lib_path)
    reading = lib.ensure_collection("Reading")
    lib.trash_item(keys[0])
    lib.delete_item(keys[1])
    item = lib.item(keys[2])
    lib.update_item(keys[2], {"tags": item["tags"] + [{"tag": POSITIVE_TAG}]})
    item = lib.item(keys[3])
    lib.update_item(keys[3], {"collections": item["collections"] + [reading]})
    item = lib.item(keys[4])
    lib.update_item(keys[4], {"tags": item["tags"] + [{"tag": NEGATIVE_TAG}]})
    lib.close()

    run_sync(SyncRequest(demo=True, library=lib_path, threshold=0, top=5))
    state = StateStore(paths.state_file())
    got = {f["item_key"]: (f["value"], f["reason"]) for f in state.feedback()}
    state.close()
    assert got[keys[0]] == (-1, "moved to the trash")
    assert got[keys[1]] == (-1, "deleted")
    assert got[keys[2]] == (1, f"tagged {POSITIVE_TAG}")
    assert got[keys[3]] == (1, "filed in Reading")
    assert got[keys[4]] == (-1, f"tagged {NEGATIVE_TAG}")

    shown = CliRunner().invoke(app, ["feedback", "--json"])
    assert shown.exit_code == 0
    (entry,) = json.loads(shown.stdout)  # one library, read back from the real state file
    assert entry["library"] == f"embedded:{lib_path.resolve()}"
    assert (entry["liked"], entry["disliked"], entry["left_alone"]) == (2, 3, 0)
    assert {r["value"] for r in entry["signals"]} == {-1, 1}
    effect = entry["effect"]
    assert effect["liked"] == 2 and effect["disliked"] == 3
    assert effect["liked_shift"] > 0 > effect["disliked_shift"]
    assert effect["raised"] and all(t["change"] > 0 for t in effect["raised"])
    assert effect["lowered"] and all(t["change"] < 0 for t in effect["lowered"])
    # the terms raised come from the liked papers' own words
    liked_text = " ".join(
        (r["title"] + " " + lib_abstract).lower()
        for r in entry["signals"]
        if r["value"] > 0
        for lib_abstract in [EmbeddedLibrary(lib_path).item(r["item_key"])["abstractNote"]]
    )
    assert any(t["term"].split()[0] in liked_text for t in effect["raised"])

    text = CliRunner().invoke(app, ["feedback"])
    assert text.exit_code == 0
    shown = " ".join(text.stdout.split())  # the console wraps long library names
    assert "5 signals learned (2 liked, 3 disliked; 0 left alone)" in shown
    assert "terms raised most:" in shown and "terms lowered most:" in shown


def test_feedback_changes_scores(demo_library):
    """A negative on a paper lowers its score next time; a positive raises it."""
    lib_path = demo_library
    everything = SyncRequest(demo=True, library=lib_path, threshold=0, top=100)
    first, _ = run_sync(everything)
    before = {r.paper.title: r.score for r in first.ranked}
    keys = {paper.title: key for paper, key in first.outcome.pushed}
    middle = [r.paper.title for r in first.ranked[10:30] if 5 < r.score < 95]
    liked, disliked = middle[0], middle[1]
    lib = EmbeddedLibrary(lib_path)
    lib.trash_item(keys[disliked])
    item = lib.item(keys[liked])
    lib.update_item(keys[liked], {"tags": item["tags"] + [{"tag": POSITIVE_TAG}]})
    lib.close()
    second, _ = run_sync(everything)
    after = {r.paper.title: r.score for r in second.ranked}
    assert after[disliked] < before[disliked]
    assert after[liked] > before[liked]


def test_library_features_cached_until_library_changes(tmp_path):
    from zotrec.recommend.cache import FeatureCache

    lib_path = tmp_path / "demo.sqlite"
    library_id = f"embedded:{lib_path.resolve()}"
    run_sync(SyncRequest(demo=True, library=lib_path))
    cache = FeatureCache()
    first = cache.load(library_id)
    assert first is not None and len(first.ids) == 150 and first.index.library.shape[0] == 150
    stamp = cache.path(library_id).stat().st_mtime_ns
    # zotrec's own pushes do not change the profile: the next run reuses the cached features as they are
    run_sync(SyncRequest(demo=True, library=lib_path))
    assert cache.path(library_id).stat().st_mtime_ns == stamp
    # a change by the user does: that one item is vectorised again, the vocabulary stays
    lib = EmbeddedLibrary(lib_path)
    key = lib.snapshot().items[0]["key"]
    lib.update_item(key, {"title": "A retitled paper about Koopman operators"})
    lib.close()
    run_sync(SyncRequest(demo=True, library=lib_path))
    second = cache.load(library_id)
    added, gone = set(second.ids) - set(first.ids), set(first.ids) - set(second.ids)
    assert len(added) == len(gone) == 1 and added.pop().startswith(f"{key}:") and gone.pop().startswith(f"{key}:")
    assert second.base_ids == first.base_ids
    assert "A retitled paper about Koopman operators" in second.index.titles


def test_feedback_with_every_item_left_alone_says_so(demo_library):
    """Synced twice, nothing marked: the summary says there is no signal, not that a sync is missing."""
    for _ in range(2):
        run_sync(SyncRequest(demo=True, library=demo_library, threshold=0, top=3))
    shown = CliRunner().invoke(app, ["feedback"], env={"COLUMNS": "200"})
    assert shown.exit_code == 0, shown.output
    assert "0 signals learned (0 liked, 0 disliked; 3 left alone)" in shown.stdout
    assert "how they move scores: none yet, every item was left alone" in shown.stdout
    assert "shown once" not in shown.stdout
