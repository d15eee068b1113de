"""Interests: which collections count, how picks are balanced and capped, filing into subcollections
exactly once (also across a kill and a re-run), and Better BibTeX JSON imports with collections."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
from collections import Counter
from pathlib import Path

import pytest
from opshelp import install_warm_state, tiny_topic_model, warm_state_file, write_config
from typer.testing import CliRunner

from zotrec.cli import app
from zotrec.demo import demo_digest_path, demo_library_papers
from zotrec.interests import InterestSettings, select_interests
from zotrec.library.embedded import KEY_ALPHABET, EmbeddedLibrary
from zotrec.library.items import paper_to_item
from zotrec.paper import Paper
from zotrec.pipeline import SyncOptions, choose
from zotrec.ranked import Ranked

runner = CliRunner()
COLLECTION = "zotrec: Recommended"


def _papers(spec: dict[str, int]) -> list[Paper]:
    return [Paper(title=f"{path} paper {i}", collections=[path]) for path, n in spec.items() for i in range(n)]


# -- which collections are interests ----------------------------------------------------------------
def test_small_subcollections_count_into_their_parent_and_large_ones_stand_alone():
    papers = _papers({"Thesis": 5, "Thesis/Chapter 1": 3, "Thesis/Chapter 2": 9, "Reading group": 7, "Side/Tiny": 2})
    found = select_interests(papers)
    assert found.names == ["Thesis/Chapter 2", "Thesis"]
    assert found.sizes == {"Thesis/Chapter 2": 9, "Thesis": 8}  # its own 5 + Chapter 1's 3
    assert found.of(["Thesis/Chapter 1"]) == ["Thesis"]
    assert found.of(["Thesis/Chapter 2", "Reading group"]) == ["Thesis/Chapter 2"]
    assert found.of(["Side/Tiny"]) == []


def test_interest_selection_by_include_and_exclude_globs_and_never_our_own_collection():
    papers = _papers(
        {
            "ML/Transformers": 8,
            "ML/Kernels": 8,
            "Venues/NeurIPS 2024": 9,
            "Teaching": 10,
            f"{COLLECTION}/ML": 12,
            COLLECTION: 20,
        }
    )
    assert set(select_interests(papers).names) == {"ML/Transformers", "ML/Kernels", "Venues/NeurIPS 2024", "Teaching"}
    only_ml = select_interests(papers, InterestSettings(include=("ML/*",)))
    assert set(only_ml.names) == {"ML/Transformers", "ML/Kernels"}
    no_venues = select_interests(papers, InterestSettings(exclude=("Venues*", "*Kernels")))
    assert set(no_venues.names) == {"ML/Transformers", "Teaching"}
    # even an include glob that matches it cannot bring zotrec's own collection in
    assert select_interests(papers, InterestSettings(include=("*",))).names.count(COLLECTION) == 0
    bigger = select_interests(papers, InterestSettings(min_items=9))
    assert set(bigger.names) == {"Venues/NeurIPS 2024", "Teaching", "ML"}  # ML = its two subcollections, 16


def test_profile_keys_are_read_from_the_config(tmp_path):
    from zotrec.config import load_config
    from zotrec.errors import ConfigError
    from zotrec.runner import SyncRequest, interest_settings, sync_options

    path = write_config(
        tmp_path / "config.toml",
        '[profile]\nmin_items = 5\ncollections = ["ML/*"]\n'
        'exclude = ["ML/Old*"]\n\n[sync]\nper_interest = 2\n\n[push]\nfile_into = "flat"\n',
    )
    cfg = load_config(path, env={})
    settings = interest_settings(cfg)
    assert (settings.min_items, settings.include, settings.exclude) == (5, ("ML/*",), ("ML/Old*",))
    options = sync_options(cfg, SyncRequest())
    assert options.per_interest_max == 2 and options.file_into == "flat"
    assert COLLECTION in options.interest_settings().own
    bad = write_config(tmp_path / "bad.toml", '[push]\nfile_into = "nested"\n')
    with pytest.raises(ConfigError, match="push.file_into"):
        load_config(bad, env={})
    bad = write_config(tmp_path / "bad2.toml", "[profile]\ncollections = 3\n")
    with pytest.raises(ConfigError, match="profile.collections"):
        load_config(bad, env={})


# -- balanced picks ---------------------------------------------------------------------------------------
def _ranked(rows: list[tuple[float, str | None]]) -> list[Ranked]:
    return [Ranked(Paper(title=f"paper {i}"), score, interest=interest) for i, (score, interest) in enumerate(rows)]


def test_per_interest_cap():
    ranked = _ranked([(95, "A"), (94, "A"), (93, "A"), (92, "B"), (91, None), (90, "A")])
    choose(ranked, SyncOptions(digests=[], threshold=50, top_n=10, per_interest_max=2))
    picked = [(r.paper.title, r.interest) for r in ranked if r.chosen]
    assert picked == [("paper 0", "A"), ("paper 1", "A"), ("paper 3", "B"), ("paper 4", None)]
    capped = [r for r in ranked if not r.chosen]
    assert all(r.why_not == "per-interest cap 2 reached for A" for r in capped)
    uncapped = _ranked([(95, "A"), (94, "A"), (93, "A")])
    choose(uncapped, SyncOptions(digests=[], threshold=50, top_n=10))
    assert all(r.chosen for r in uncapped)  # default: no cap


def test_on_equal_scores_interests_without_a_pick_go_first():
    ranked = _ranked([(100, "A"), (100, "A"), (100, "A"), (100, "B"), (100, "A"), (100, "C"), (80, "A")])
    choose(ranked, SyncOptions(digests=[], threshold=50, top_n=3))
    assert [r.interest for r in ranked if r.chosen] == ["A", "B", "C"]
    assert [r.interest for r in ranked][:6] == ["A", "B", "C", "A", "A", "A"]
    assert ranked[-1].score == 80  # a lower score never jumps ahead


# -- ranking and filing against a library with interests ---------------------------------------------------
GROUPS = {"nlin": "Dynamics/Chaos", "eess": "Dynamics/Control", "cs": "Learning", "stat": "Learning"}


def fixed_key(text: str) -> str:
    """A Zotero item key made from ``text``. The library's rows are sorted by ``KEY:VERSION`` and the
    scale's reference rows are picked by position, so new random keys in every test run would rank
    the digest differently in every run (3 of 150 row orders put all six picks in Learning); a real
    library keeps its keys from one sync to the next, and this one keeps them from one run to the next."""
    digest = hashlib.blake2b(text.encode(), digest_size=8).digest()
    return "".join(KEY_ALPHABET[b % len(KEY_ALPHABET)] for b in digest)


def interest_library(path: Path) -> EmbeddedLibrary:
    """The demo library's 150 papers filed by arXiv archive: Dynamics/Chaos 61, Dynamics/Control 16,
    Learning 62, and the rest (11) in Dynamics itself; each item's key made from its arXiv id."""
    library = EmbeddedLibrary(path)
    if library.count() == 0:
        keys: dict[str, str] = {}
        items = []
        for paper in demo_library_papers():
            where = GROUPS.get(paper.categories[0].split(".")[0], "Dynamics")
            if where not in keys:
                keys[where] = library.ensure_collection(where)
            item = paper_to_item(paper, collections=[keys[where]])
            item["key"] = fixed_key(paper.arxiv_id or paper.title)
            items.append(item)
        library.add_items(items)
    return library


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("interests")
    template = root / "template.sqlite"
    lib = interest_library(template)
    snapshot = lib.snapshot()
    lib.close()
    library = root / "library.sqlite"  # one fixed path: the warm feature cache is keyed by it
    warm_state_file(root / "state.sqlite", snapshot, f"embedded:{library.resolve()}")
    return {"root": root, "template": template, "library": library, "model": tiny_topic_model(root)}


def _home(world, name: str, extra: str = "") -> Path:
    home = world["root"] / name
    shutil.copyfile(world["template"], world["library"])
    install_warm_state(world["root"] / "state.sqlite", home)  # the state file and the library's features
    write_config(
        home / "config" / "config.toml",
        f'[zotero]\nbackend = "embedded"\nlibrary = {json.dumps(str(world["library"]))}\n\n'
        f"[sync]\nthreshold = 50\ntop_n = 6\n\n[sources]\ndigests = {json.dumps([str(demo_digest_path())])}\n\n"
        f"[model]\ntopics = {json.dumps(str(world['model']))}\n" + extra,
    )
    return home


def _tree(library: Path) -> tuple[dict[str, int], dict[str, list[str]], dict[str, int]]:
    """Collections under ours (path -> how many), titles per collection path, notes per item title."""
    lib = EmbeddedLibrary(library, create=False)
    snap = lib.snapshot()
    paths = Counter(snap.collection_path(k) for k in snap.collections)
    ours = {k: snap.collection_path(k) for k in snap.collections if snap.collection_path(k).startswith(COLLECTION)}
    titles: dict[str, list[str]] = {}
    notes: dict[str, int] = {}
    for item in snap.items:
        for c in item.get("collections", []):
            if c in ours:
                titles.setdefault(ours[c], []).append(item["title"])
                notes[item["title"]] = len(lib.children(item["key"]))
    lib.close()
    return {p: n for p, n in paths.items() if p.startswith(COLLECTION)}, titles, notes


def _check_filed(world, recommended: list[dict]) -> None:
    """Every pick exactly once, in the subcollection of its interest, with one note; each collection once."""
    collections, titles, notes = _tree(world["library"])
    assert all(n == 1 for n in collections.values()), collections
    placed = Counter(t for ts in titles.values() for t in ts)
    assert sorted(placed) == sorted(r["title"] for r in recommended) and set(placed.values()) == {1}
    for r in recommended:
        where = f"{COLLECTION}/{r['interest']}" if r["interest"] else COLLECTION
        assert r["title"] in titles[where]
        assert notes[r["title"]] == 1


@pytest.fixture(scope="module")
def reference(world):
    """The picks of one uninterrupted sync (title and interest), and its home."""
    home = _home(world, "reference")
    result = runner.invoke(app, ["sync", "--json"], env={"ZOTREC_HOME": str(home)})
    assert result.exit_code == 0, result.output
    return {"home": home, "recommended": json.loads(result.stdout)["recommended"]}


def test_sync_files_each_pick_into_its_interest_once(world, reference):
    recommended = reference["recommended"]
    interests = Counter(r["interest"] for r in recommended)
    assert len(recommended) == 6 and len(interests) >= 2, interests
    assert set(interests) <= {"Dynamics/Chaos", "Dynamics/Control", "Learning", "Dynamics"}
    _check_filed(world, recommended)
    collections, _, _ = _tree(world["library"])
    assert f"{COLLECTION}/Dynamics/Chaos" in collections or f"{COLLECTION}/Learning" in collections
    lib = EmbeddedLibrary(world["library"], create=False)
    item = next(i for i in lib.snapshot().items if i["title"] == recommended[0]["title"])
    note = lib.children(item["key"])[0]["note"]
    lib.close()
    assert f"<b>Interest:</b> {recommended[0]['interest']}" in note
    again = runner.invoke(app, ["sync", "--json"], env={"ZOTREC_HOME": str(reference["home"])})
    assert again.exit_code == 0 and json.loads(again.stdout)["pushed"] == []
    _check_filed(world, recommended)  # nothing twice, no collection twice


def test_flat_filing_and_per_interest_cap_from_the_config(world):
    home = _home(world, "flat", '\n[push]\nfile_into = "flat"\n')
    with open(home / "config" / "config.toml", "a") as fh:
        fh.write("")
    text = (home / "config" / "config.toml").read_text().replace("top_n = 6\n", "top_n = 6\nper_interest = 1\n")
    (home / "config" / "config.toml").write_text(text)
    result = runner.invoke(app, ["sync", "--json"], env={"ZOTREC_HOME": str(home)})
    assert result.exit_code == 0, result.output
    recommended = json.loads(result.stdout)["recommended"]
    named = [r["interest"] for r in recommended if r["interest"]]
    assert named and len(named) == len(set(named))  # at most one pick per interest
    collections, titles, _ = _tree(world["library"])
    assert list(collections) == [COLLECTION]
    assert sorted(titles[COLLECTION]) == sorted(r["title"] for r in recommended)


@pytest.mark.parametrize("point", ["after:2", "before:3", "after:3", "after:4", "after:5"])
def test_filing_into_subcollections_exactly_once_across_a_kill_and_a_rerun(world, reference, kill_server, point):
    """Killed by tests/kill_hook.py (a forked zotrec process). Library calls: 1 snapshot, one ensure_collection per subcollection, create_items
    (papers, notes); killed after/before the Nth, the re-run leaves each pick of an uninterrupted run
    once, in its interest, with one note."""
    home = _home(world, f"kill-{point.replace(':', '-')}")
    proc = kill_server.run(["sync"], dict(os.environ, ZOTREC_HOME=str(home)), home, point=point)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    result = runner.invoke(app, ["sync", "--json"], env={"ZOTREC_HOME": str(home)})
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    titles = [r["title"] for r in summary["recommended"]]
    titles += [k["title"] for k in summary["known"] if k["why_not"].startswith("pushed on ")]
    assert sorted(titles) == sorted(r["title"] for r in reference["recommended"])
    _check_filed(world, reference["recommended"])


def test_zotrec_interests_lists_size_words_and_held_out_accuracy(world):
    home = _home(world, "list")
    result = runner.invoke(app, ["interests", "--json"], env={"ZOTREC_HOME": str(home)})
    assert result.exit_code == 0, result.output
    rows = {r["interest"]: r for r in json.loads(result.stdout)}
    assert rows.keys() == {"Dynamics/Chaos", "Dynamics/Control", "Learning", "Dynamics"}
    assert rows["Learning"]["size"] == 62 and rows["Dynamics"]["size"] == 11
    assert rows["Learning"]["held_out"] == 12 and 0.5 <= rows["Learning"]["accuracy"] <= 1.0
    assert rows["Dynamics/Chaos"]["top_words"] and all(isinstance(w, str) for w in rows["Learning"]["top_words"])
    table = runner.invoke(app, ["interests"], env={"ZOTREC_HOME": str(home)})
    assert table.exit_code == 0 and "Dynamics/Chaos" in table.stdout and "held-out" in table.stdout


# -- Better BibTeX JSON ------------------------------------------------------------------------------------
BBT = {
    "config": {"id": "36a3b0b5-ad0d-4b2a-8a2c-bbbbbbbbbbbb", "label": "BetterBibTeX JSON"},
    "version": {"zotero": "7.0.11", "bbt": "7.0.22"},
    "collections": {
        "AAAA1111": {"key": "AAAA1111", "name": "Thesis", "parent": "", "collections": ["BBBB2222"], "items": [1]},
        "BBBB2222": {
            "key": "BBBB2222",
            "name": "Chapter 2/3",
            "parent": "AAAA1111",
            "collections": [],
            "items": [2, 1],
        },
        "CCCC3333": {"key": "CCCC3333", "name": "Empty", "parent": "", "collections": [], "items": []},
    },
    "items": [
        {
            "itemID": 1,
            "key": "ITEM0001",
            "itemType": "journalArticle",
            "title": "Chaos in coupled oscillators",
            "abstractNote": "We study chaos.",
            "creators": [{"creatorType": "author", "firstName": "Ada", "lastName": "Lovelace"}],
            "date": "2021-03-04",
            "DOI": "10.1000/xyz123",
            "publicationTitle": "Physica D",
            "tags": [{"tag": "chaos"}],
            "dateAdded": "2021-05-17T09:52:47Z",
        },
        {
            "itemID": 2,
            "key": "ITEM0002",
            "itemType": "preprint",
            "title": "Learning dynamics from data",
            "creators": [{"creatorType": "author", "name": "DeepMind"}],
            "url": "https://arxiv.org/abs/2101.00001v2",
            "tags": [],
        },
        {"itemID": 3, "key": "ITEM0003", "itemType": "note", "note": "<p>just a note</p>"},
        {"itemID": 4, "key": "ITEM0004", "itemType": "book", "title": "Nonlinear Dynamics", "tags": []},
    ],
}


def test_better_bibtex_json_is_read_with_collection_paths(tmp_path):
    from zotrec.sources import read_source

    path = tmp_path / "My Library.json"
    path.write_text(json.dumps(BBT), encoding="utf-8")
    papers = {p.title: p for p in read_source(str(path))}
    assert set(papers) == {"Chaos in coupled oscillators", "Learning dynamics from data", "Nonlinear Dynamics"}
    chaos = papers["Chaos in coupled oscillators"]
    assert sorted(chaos.collections) == ["Thesis", "Thesis/Chapter 2∕3"]
    assert chaos.doi == "10.1000/xyz123" and chaos.authors == ["Ada Lovelace"] and chaos.journal == "Physica D"
    assert chaos.tags == ["chaos"] and chaos.abstract == "We study chaos." and chaos.date.year == 2021
    assert papers["Learning dynamics from data"].arxiv_id == "2101.00001"
    assert papers["Nonlinear Dynamics"].collections == []


def test_better_bibtex_json_import_fills_the_library_with_its_collections(tmp_path):
    path = tmp_path / "export.json"
    path.write_text(json.dumps(BBT), encoding="utf-8")
    target = tmp_path / "lib.sqlite"
    result = runner.invoke(
        app, ["library", "import", str(path), "--library", str(target)], env={"ZOTREC_HOME": str(tmp_path / "home")}
    )
    assert result.exit_code == 0, result.output
    lib = EmbeddedLibrary(target, create=False)
    snap = lib.snapshot()
    lib.close()
    by_title = {i["title"]: {snap.collection_path(c) for c in i.get("collections", [])} for i in snap.items}
    assert by_title == {
        "Chaos in coupled oscillators": {"Thesis", "Thesis/Chapter 2∕3"},
        "Learning dynamics from data": {"Thesis/Chapter 2∕3"},
        "Nonlinear Dynamics": set(),
    }
    again = runner.invoke(
        app, ["library", "import", str(path), "--library", str(target)], env={"ZOTREC_HOME": str(tmp_path / "home")}
    )
    assert again.exit_code == 0
    lib = EmbeddedLibrary(target, create=False)
    assert lib.count() == 3 and sum(1 for c in lib.snapshot().collections.values() if c.name == "Thesis") == 1
    lib.close()


def test_semanticbim_better_bibtex_and_rdf_exports_agree_on_collections(shared_data):
    from zotrec.sources import read_source

    folder = shared_data / "libraries" / "semanticbim-accord"
    bbt = read_source(str(folder / "better-bibtex-json.json"))
    rdf = read_source(str(folder / "zotero.rdf"))
    bbt_counts = Counter(c for p in bbt for c in p.collections)
    rdf_counts = Counter(c for p in rdf for c in p.collections)
    assert len(bbt_counts) == 26 and bbt_counts.keys() == rdf_counts.keys()
    assert bbt_counts["Compliance Checking, Rules, SHACL, Regulations, Validation"] >= 190
    assert bbt_counts["0 Proceedings/LDAC 2021"] >= 50
    found = select_interests(bbt)
    assert "0 Proceedings/LDAC 2021" in found.names and len(found) >= 10
    # read as a library file, a subcollection keeps its parent even when the parent comes later
    from zotrec.library.transfer import snapshot_from_file

    snapshot = snapshot_from_file(folder / "better-bibtex-json.json")
    paths = Counter(snapshot.collection_path(k) for k in snapshot.collections)
    assert paths["0 Proceedings/LDAC 2021"] == 1 and paths["0 Proceedings"] == 1 and "LDAC 2021" not in paths


def test_readme_interests_example_is_the_real_output(shared_data):
    """README's `zotrec interests` example rows (papers, held-out accuracy) are what the command prints."""
    import re

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    block = readme.split("$ zotrec interests --library better-bibtex-json.json\n", 1)[1].split("```", 1)[0]
    rows = re.findall(r"^ (\S.*?)\s{2,}(\d+)\s+(\d+)% of (\d+)\s", block, re.MULTILINE)
    assert len(rows) == 3, block
    export = shared_data / "libraries" / "semanticbim-accord" / "better-bibtex-json.json"
    result = runner.invoke(app, ["interests", "--library", str(export), "--json"])
    assert result.exit_code == 0, result.output
    real = [(i["interest"], i["size"], round(100 * i["accuracy"]), i["held_out"]) for i in json.loads(result.stdout)]
    assert len(real) == int(re.search(r"(\d+) interests in", block).group(1))
    for (name, size, percent, held_out), got in zip(rows, real):
        assert got[0].startswith(name.rstrip(". ")), (name, got)
        assert (int(size), int(percent), int(held_out)) == got[1:], (name, got)
