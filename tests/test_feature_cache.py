"""The library-feature cache: unchanged, incremental and full paths, and libraries read from files."""

from __future__ import annotations

import json
import os
import random
from functools import partial

import numpy as np
import pytest

from zotrec.library.base import LibrarySnapshot
from zotrec.library.filecache import cached_snapshot
from zotrec.library.items import item_to_paper
from zotrec.library.transfer import parse_export
from zotrec.recommend import LibraryIndex, Recommender
from zotrec.recommend.cache import FeatureCache, content_id, fingerprint, library_index, profile_rows
from zotrec.runner import recommend_only

NLP = (
    "transformer language translation tokenizer attention pretraining corpus sentence parsing lexical "
    "multilingual summarization dialogue embeddings grammar syntactic morphology question answering"
).split()
CATTLE = (
    "cattle genomic breeding livestock heritability dairy genotype pedigree herd bovine milk "
    "selection swine marker imputation phenotype sire calving carcass fertility"
).split()
SPACE = (
    "orbit galaxy stellar telescope spectra redshift cluster halo photometry supernova quasar "
    "accretion exoplanet luminosity cosmic dwarf nebula pulsar"
).split()


def _paper(rng: random.Random, words: list[str], n: int) -> dict:
    title = " ".join(rng.sample(words, 6)).capitalize()
    abstract = " ".join(rng.choice(words) for _ in range(40)) + "."
    return {
        "title": title,
        "abstractNote": abstract,
        "creators": [{"creatorType": "author", "firstName": "A", "lastName": f"Author{n % 7}"}],
    }


def _items(words: list[str], count: int, seed: int, start: int = 0) -> list[dict]:
    rng = random.Random(seed)
    out = []
    for n in range(start, start + count):
        item = _paper(rng, words, n)
        item.update(key=f"K{n:07d}", version=1, itemType="journalArticle", dateAdded=f"2024-01-{1 + n % 28:02d}")
        out.append(item)
    return out


def _csl(items: list[dict]) -> str:
    return json.dumps(
        [
            {
                "id": f"i{n}",
                "type": "article-journal",
                "title": it["title"],
                "abstract": it["abstractNote"],
                "author": [{"family": "Author", "given": "A"}],
            }
            for n, it in enumerate(items)
        ]
    )


def _digest(path, papers: list[dict]) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for n, p in enumerate(papers):
            fh.write(
                json.dumps(
                    {
                        "id": f"2501.{n:05d}",
                        "title": p["title"],
                        "summary": p["abstractNote"],
                        "authors": ["B Writer"],
                        "categories": ["cs.CL"],
                    }
                )
                + "\n"
            )


def _same_index(a: LibraryIndex, b: LibraryIndex) -> None:
    assert (a.library != b.library).nnz == 0 and a.library.shape == b.library.shape
    assert (a.neighbours != b.neighbours).nnz == 0
    assert a.titles == b.titles and a.keys == b.keys and a.added == b.added
    assert np.array_equal(a.recency_rank, b.recency_rank) and np.array_equal(a.lib_ref, b.lib_ref)


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """A 60-item library, its full build in a cache folder of its own."""
    folder = tmp_path_factory.mktemp("features")
    items = _items(NLP, 40, 1) + _items(SPACE, 20, 2, start=40)
    snapshot = LibrarySnapshot(1, [dict(i) for i in items])
    library_index(snapshot, "lib", FeatureCache(folder))
    return folder, items


def _cache_copy(folder, tmp_path) -> FeatureCache:
    import shutil

    shutil.copytree(folder, tmp_path / "features")
    return FeatureCache(tmp_path / "features")


def test_unchanged_library_is_the_cached_index(base, tmp_path):
    folder, items = base
    cache = _cache_copy(folder, tmp_path)
    stored = cache.load("lib")
    stamp = cache.path("lib").stat().st_mtime_ns
    shuffled = [dict(i) for i in items[::-1]]  # a backend may list the items in another order
    again = library_index(LibrarySnapshot(2, shuffled), "lib", cache)
    _same_index(again, stored.index)
    assert stored.ids == sorted(content_id(i) for i in items)
    assert cache.path("lib").stat().st_mtime_ns == stamp  # not even written again


def test_the_cache_keeps_the_vocabulary_lookup(base, tmp_path):
    from zotrec.recommend import ngrams

    folder, items = base
    stored = _cache_copy(folder, tmp_path).load("lib")
    text = stored.index.vectorizer.text
    assert ngrams.lookup(text) is stored.lookup  # taken from the file, not built again
    built = ngrams.Lookup.of(text.vocabulary_, text.get_stop_words())
    assert built.words == stored.lookup.words and built.n_columns == stored.lookup.n_columns
    for name in ("unigram", "bigram_keys", "bigram_cols"):
        assert np.array_equal(getattr(built, name), getattr(stored.lookup, name))
    papers = [item_to_paper(i) for i in items[:5]]
    assert (stored.index.transform(papers) != transform_with_a_fresh_lookup(stored.index, papers)).nnz == 0


def transform_with_a_fresh_lookup(index: LibraryIndex, papers: list) -> object:
    """The same transform with a lookup built from the vocabulary."""
    from zotrec.recommend import ngrams

    text = index.vectorizer.text
    ngrams.keep(text, ngrams.Lookup.of(text.vocabulary_, text.get_stop_words()))
    return index.transform(papers)


def test_incremental_update_equals_a_build_with_the_cached_vocabulary(base, tmp_path):
    folder, items = base
    cache = _cache_copy(folder, tmp_path)
    before = cache.load("lib")
    changed = [dict(i) for i in items]
    del changed[5]  # deleted
    changed[10] = dict(changed[10], title="Bovine milk genotype imputation for dairy herds", version=7)  # edited
    changed += _items(CATTLE, 3, 3, start=100)  # added
    snapshot = LibrarySnapshot(3, changed)
    index = library_index(snapshot, "lib", cache)
    after = cache.load("lib")
    assert after.base_ids == before.base_ids and after.index.vectorizer.n_features == before.index.vectorizer.n_features
    # what a build from scratch with the vectorizer of the last full build gives, row for row
    papers = [item_to_paper(i) for i in profile_rows(snapshot)[0]]
    vec = before.index.vectorizer
    expected = LibraryIndex.assemble(
        vec,
        vec.transform(papers),
        [p.title for p in papers],
        [p.key for p in papers],
        [p.date_added or "" for p in papers],
        before.index.background,
    )
    _same_index(index, expected)
    digest = [item_to_paper(i) for i in _items(CATTLE + NLP, 30, 9, start=500)]
    got = [(r.paper.title, r.score, r.raw) for r in Recommender(index).rank(digest)]
    want = [(r.paper.title, r.score, r.raw) for r in Recommender(expected).rank(digest)]
    assert [(t, raw) for t, _, raw in got] == [(t, raw) for t, _, raw in want]
    # the scale's tails move continuously with the reference rows, so float noise shows in the last digits
    assert [s for _, s, _ in got] == pytest.approx([s for _, s, _ in want], abs=1e-4)


def test_drift_past_the_threshold_refits_the_vocabulary(base, tmp_path):
    folder, items = base
    cache = _cache_copy(folder, tmp_path)
    before = cache.load("lib")
    grown = [dict(i) for i in items] + _items(CATTLE, 30, 4, start=200)  # +50 %: past MAX_DRIFT
    index = library_index(LibrarySnapshot(4, grown), "lib", cache)
    after = cache.load("lib")
    assert after.base_ids == frozenset(content_id(i) for i in grown) != before.base_ids
    assert "heritability" in index.vectorizer.text.vocabulary_
    assert "heritability" not in before.index.vectorizer.text.vocabulary_


def test_content_id_follows_content_for_unversioned_items():
    item = {"key": "F0000001", "title": "A", "abstractNote": "x", "creators": [], "dateAdded": ""}
    same = dict(item, key="F0000009")
    other = dict(item, abstractNote="y")
    assert content_id(item) == content_id(same) != content_id(other)
    assert fingerprint([item, other]) == fingerprint([other, item]) != fingerprint([item, item])
    assert content_id({"key": "ABCD1234", "version": 3, "title": "A"}) == "ABCD1234:3"


def test_profile_rows_are_in_content_id_then_key_then_listing_order():
    """Sorted by content id; items of equal content (an export file's duplicates) by key, then as listed."""
    same = {"title": "A paper title", "abstractNote": "x"}
    items = [
        {"key": "B", "version": 2, "title": "Two"},
        {"key": "0002", **same},
        {"key": "A", "version": 7, "title": "One"},
        {"key": "0001", **same},
        {"key": "0001", **same, "extra": "listed second"},
        {"key": "C", "version": 1, "title": " "},  # no title: not in the profile
    ]
    rows, ids = profile_rows(LibrarySnapshot(1, items))
    want = sorted(
        ((content_id(item), item["key"], n) for n, item in enumerate(items) if item["title"].strip()),
    )
    assert ids == [cid for cid, _, _ in want]
    assert rows == [items[n] for _, _, n in want]
    assert [row["key"] for row in rows] == ["A", "B", "0001", "0001", "0002"]
    assert "extra" not in rows[2] and rows[3]["extra"] == "listed second"
    distinct = [item for item in items if "version" in item]
    assert profile_rows(LibrarySnapshot(1, distinct[::-1]))[1] == ["A:7", "B:2"]


def test_library_file_rewritten_in_place_ranks_by_its_new_content(tmp_path):
    library = tmp_path / "library.json"
    digest = tmp_path / "digest.jsonl"
    nlp, cattle = _items(NLP, 12, 5), _items(CATTLE, 12, 6)
    _digest(digest, _items(NLP, 8, 7, start=300) + _items(CATTLE, 8, 8, start=400))
    cattle_titles = {p["title"] for p in _items(CATTLE, 8, 8, start=400)}

    def top_half(result) -> set[str]:
        return {r.paper.title for r in result.ranked[:8]}

    library.write_text(_csl(nlp), encoding="utf-8")
    first = recommend_only(str(library), [str(digest)], threshold=0)
    assert not top_half(first) & cattle_titles
    stat = library.stat()
    library.write_text(_csl(cattle), encoding="utf-8")  # same path, same number of items
    os.utime(library, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # even with the old time stamp
    second = recommend_only(str(library), [str(digest)], threshold=0)
    assert top_half(second) == cattle_titles


def test_unchanged_library_file_is_not_parsed_again(tmp_path):
    path = tmp_path / "library.json"
    path.write_text(_csl(_items(NLP, 5, 1)), encoding="utf-8")
    parsed = []

    def parse(p):
        parsed.append(p)
        return parse_export(p)

    first = cached_snapshot(path, parse, tmp_path / "cache")
    again = cached_snapshot(path, parse, tmp_path / "cache")
    assert len(parsed) == 1 and again.items == first.items
    stat = path.stat()
    path.write_text(_csl(_items(NLP, 5, 2)), encoding="utf-8")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    changed = cached_snapshot(path, parse, tmp_path / "cache")
    assert len(parsed) == 2 and changed.items != first.items


def test_identity_keys_are_kept_per_item_version():
    from zotrec.library.identity import identity_keys

    items = [
        {
            "key": "A",
            "version": 1,
            "itemType": "preprint",
            "title": "A paper about galaxies and dark matter",
            "archiveID": "arXiv:2401.01234",
        }
    ]
    first = identity_keys(items)
    assert first == [item_to_paper(items[0], abstract=False).identity_keys()]
    edited = [dict(items[0], version=2, archiveID="arXiv:2402.05678")]
    assert identity_keys(edited)[0] == item_to_paper(edited[0], abstract=False).identity_keys() != first[0]
    unversioned = [dict(items[0], version=0, DOI="10.1000/xyz")]
    assert "doi:10.1000/xyz" in identity_keys(unversioned)[0]


def test_identity_keys_of_papers_built_by_a_full_build_are_read_once():
    """Keys remembered from the Papers of a full build are what converting the items gives, are read
    instead of converting them again, and only by the next call."""
    from zotrec.library import identity

    items = [
        {"key": "B", "version": 4, "title": "Fr\\'ed\\'eric's $\\alpha$ galaxies", "abstractNote": "$x$ and {y}"},
        {"key": "C", "version": 2, "title": "Dark matter in dwarf galaxies", "DOI": "10.1000/abc"},
    ]
    papers = [item_to_paper(item) for item in items]
    assert [p.identity_keys() for p in papers] == [item_to_paper(i, abstract=False).identity_keys() for i in items]

    identity.remember(items, [papers[0].identity_keys(), ["title:remembered"]])
    equal = [dict(item) for item in items]  # equal items, other objects: converted
    assert identity.identity_keys(equal) == [papers[0].identity_keys(), papers[1].identity_keys()]
    fresh = [{"key": "D", "version": 1, "title": "Stellar streams"}]
    identity.remember(fresh, [["title:remembered"]])
    assert identity.identity_keys(items + fresh) == [papers[0].identity_keys(), papers[1].identity_keys()] + [
        ["title:remembered"]
    ]
    assert not identity._BUILT


def _latex_items(n: int) -> list[dict]:
    return [
        {
            "key": f"P{i:07d}",
            "version": 3,
            "itemType": "preprint",
            "title": f"Fr\\'ed\\'eric's $\\alpha$-stable process number {i} of galaxies",
            "abstractNote": f"We bound $O(n^{i % 3})$ terms with \\emph{{care}} in dark matter halos; see {i % 7}.",
            "creators": [{"firstName": "Ada", "lastName": f"Lovelace{i % 5}"}, {"name": "The Survey Team"}],
            "collections": ["C1"],
            "dateAdded": f"2024-01-{i % 28 + 1:02d}T00:00:00Z",
            "DOI": f"10.1000/x{i}",
        }
        for i in range(n)
    ]


def _same_index(got, want) -> None:
    for name in ("library", "background", "neighbours"):
        a, b = getattr(got, name), getattr(want, name)
        assert (a != b).nnz == 0 and a.dtype == b.dtype and a.shape == b.shape, name
    assert (got.titles, got.keys, got.added) == (want.titles, want.keys, want.added)
    assert list(got.terms) == list(want.terms)


def test_a_full_build_from_item_rows_is_library_index_build(monkeypatch):
    """Items converted to rows and tokens (in two forked or joblib processes when many) and built:
    the index LibraryIndex.build gives for their Papers, bit for bit; the rows carry the Papers'
    identity keys."""
    from zotrec.library.base import Collection
    from zotrec.recommend import fullbuild
    from zotrec.recommend.model import LibraryIndex

    items = _latex_items(40)
    snapshot = LibrarySnapshot(1, items, {"C1": Collection("C1", "Now", "C0"), "C0": Collection("C0", "Reading")})
    papers = [item_to_paper(item, {"C1": "Reading/Now"}) for item in items]
    serial, tokens = fullbuild.item_rows(items, snapshot)
    documents = [tokens.document(i) for i in range(len(tokens))]
    monkeypatch.setattr(fullbuild, "PARALLEL_FROM", 10)
    for fork in (True, False):
        waited: list[int] = []
        rows, split = fullbuild.item_rows(items, snapshot, while_waiting=partial(waited.append, 1), fork=fork)
        assert rows == serial and waited
        assert [split.document(i) for i in range(len(split))] == documents
    assert [r.identity for r in serial] == [p.identity_keys() for p in papers]
    assert serial[1].title == "Frédéric's α-stable process number 1 of galaxies"
    _same_index(fullbuild.build_index(serial, [item["key"] for item in items], tokens), LibraryIndex.build(papers))


@pytest.mark.parametrize("fork", [True, False])
def test_a_sampled_full_build_fitted_while_items_convert_is_library_index_build(monkeypatch, fork):
    """More papers than the fit sample: the sampled items converted first, the fit and the counting of
    the other parts done as they arrive; the index LibraryIndex.build gives, bit for bit. An item
    whose title and abstract clean to nothing is left out, as LibraryIndex.build of the others."""
    from zotrec.recommend import features, fullbuild
    from zotrec.recommend.model import LibraryIndex

    monkeypatch.setattr(features, "FIT_SAMPLE", 3000)
    monkeypatch.setattr(fullbuild, "PARALLEL_FROM", 10)
    monkeypatch.setattr(fullbuild, "PART", 7)
    items = _latex_items(60)
    snapshot = LibrarySnapshot(1, items, {})
    index, rows, kept = fullbuild.full_build(items, snapshot, fork=fork)
    assert kept == list(range(60)) and [r.title for r in rows] == index.titles
    _same_index(index, LibraryIndex.build([item_to_paper(item) for item in items]))
    items[45] = dict(items[45], title="{}", abstractNote="")
    index, rows, kept = fullbuild.full_build(items, snapshot, fork=fork)
    assert kept == [i for i in range(60) if i != 45] and not rows[45].has_text
    _same_index(index, LibraryIndex.build([item_to_paper(items[i]) for i in kept]))


def _odd_items() -> list[dict]:
    """Items with what the build's conversion must clean as item_to_paper does."""
    return [
        {"key": "O1", "title": "  Spaced \t title  ", "creators": [{"name": "  Ada   Lovelace "}, {"lastName": ""}]},
        {"key": "O2", "title": "Bell\x1b[31m red", "creators": [{"firstName": "Jos\\'e", "lastName": "Ruiz\x07"}]},
        {"key": "O3", "title": "$x$ and $y$ cost", "abstractNote": "{}", "creators": [{"name": "$A$ and $B$"}]},
        {"key": "O4", "title": "", "abstractNote": "", "creators": []},
        {"key": "O5", "title": "arXiv by DOI only here", "DOI": "https://doi.org/10.48550/arXiv.2401.01234v2."},
        {"key": "O6", "title": "Extra fields", "extra": "arXiv: hep-th/9901001\nDOI: 10.1000/ABC;", "url": "x"},
        {"key": "O7", "title": "Archive id", "archiveID": "arXiv:2301.00001", "DOI": "not a doi\x00"},
        {"key": "O8", "title": "Null fields", "abstractNote": None, "DOI": None, "extra": None, "creators": [{}]},
    ]


def test_the_builds_conversion_is_item_to_papers(shared_data):
    """The rows and texts a full build makes of items are what their Papers give: title, author
    tokens, date added, identity keys, text (arXiv items with raw LaTeX, real export files, odd items)."""
    import gzip

    from zotrec.library.transfer import parse_export
    from zotrec.recommend import fullbuild
    from zotrec.recommend.features import Featurizer, author_tokens, paper_text

    items = _odd_items() + _latex_items(5)
    with gzip.open(next((shared_data / "corpora" / "arxiv-daily-broad").glob("*.jsonl.gz")), "rt") as fh:
        for n, line in zip(range(3000), fh):
            entry = json.loads(line)
            items.append(
                {
                    "key": f"A{n}",
                    "title": entry.get("title"),
                    "abstractNote": entry.get("summary") or entry.get("abstract"),
                    "creators": [{"name": a} for a in entry.get("authors") or [] if isinstance(a, str)],
                    "url": entry.get("abs"),
                    "dateAdded": "2025-01-01T00:00:00Z",
                }
            )
    for path in sorted((shared_data / "libraries").glob("*/*")):
        if path.suffix in (".bib", ".json"):
            items += parse_export(path).items
    rows, tokens = fullbuild.item_rows(items, LibrarySnapshot(1, items, {}))
    papers = [item_to_paper(item) for item in items]
    assert len(items) > 6000 and rows == [
        fullbuild.Row(author_tokens(p), p.title, p.date_added or "", p.identity_keys(), bool(p.title or p.abstract))
        for p in papers
    ]
    want = Featurizer().tokenize([paper_text(p) for p in papers])
    assert [tokens.document(i) for i in range(len(items))] == [want.document(i) for i in range(len(items))]


def test_interest_membership_marks_each_row_in_each_of_its_interests(base, tmp_path):
    from zotrec.interests import InterestSettings, select_interests

    folder, items = base
    index = _cache_copy(folder, tmp_path).load("lib").index
    rng = random.Random(5)
    paths = ["Thesis", "Thesis/Chapter 1", "Reading", "Side/Tiny", "zotrec: Recommended"]
    collections = [rng.sample(paths, rng.randint(0, 3)) for _ in range(len(index))]
    settings = InterestSettings(min_items=8)
    found = select_interests(collections, settings)
    with_them = index.with_interests(collections, [""] * len(index), settings, key="k")
    assert with_them.interests == found.names and len(found) >= 2
    for row, labels in zip(with_them.membership, found.labels(collections)):
        assert [found.names[j] for j in np.flatnonzero(row)] == sorted(labels, key=found.names.index)
    none = index.with_interests([[] for _ in range(len(index))], [""] * len(index), settings, key="k")
    assert none.interests == [] and none.membership.shape == (len(index), 0) and none.filing is None


def _filed(count_changed: int) -> tuple[list[dict], dict]:
    """120 items in three collections (one per vocabulary), and ``count_changed`` of them edited."""
    from zotrec.library.base import Collection

    items = []
    for n, (words, name) in enumerate(((NLP, "NLP"), (CATTLE, "Cattle"), (SPACE, "Space"))):
        for item in _items(words, 40, 10 + n, start=40 * n):
            items.append(dict(item, collections=[name]))
    for item in items[:count_changed]:
        item.update(version=2, title="Revised " + item["title"])
    return items, {name: Collection(name, name) for name in ("NLP", "Cattle", "Space")}


def test_filing_classifier_is_kept_while_few_rows_change_and_fitted_again_past_the_drift(tmp_path):
    from zotrec.recommend.model import FILING_DRIFT, filing_signature

    cache = FeatureCache(tmp_path / "features")
    items, collections = _filed(0)
    first = library_index(LibrarySnapshot(1, items, collections), "lib", cache)
    assert first.interests and first.filing is not None and len(first.filing_rows) == 120

    few = int(FILING_DRIFT * 120 / 2)  # an edit changes two signatures: the old row's and the new one's
    items, _ = _filed(few)
    kept = library_index(LibrarySnapshot(2, items, collections), "lib", cache)
    assert kept.filing_rows == first.filing_rows  # the rows it was fitted on, not today's
    assert np.array_equal(kept.filing.coef, first.filing.coef)
    assert kept.interests == first.interests and kept.membership.sum() == 120

    items, _ = _filed(few + 2)  # past the drift: fitted again, on today's rows
    refit = library_index(LibrarySnapshot(3, items, collections), "lib", cache)
    _rows, ids = profile_rows(LibrarySnapshot(3, items, collections))
    labels = [[refit.interests[j] for j in np.flatnonzero(row)] for row in refit.membership]
    assert refit.filing_rows == filing_signature(ids, labels)
    assert not np.array_equal(refit.filing.coef, first.filing.coef)


def test_a_row_moved_to_another_collection_counts_as_changed_for_the_filing_classifier():
    from zotrec.recommend.model import filing_signature

    before = filing_signature(["a", "b"], [["X"], ["Y"]])
    assert len(before ^ filing_signature(["a", "b"], [["Y"], ["Y"]])) == 2
    assert before == filing_signature(["a", "b"], [["X"], ["Y"]])
    assert filing_signature(["a"], [["X", "Y"]]) == filing_signature(["a"], [["Y", "X"]])
