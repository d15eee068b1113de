"""The recommender on real arXiv papers: ranking, reasons, scale, cache round trip, feedback."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from zotrec.feedback import read_signals
from zotrec.library.base import Collection, LibrarySnapshot
from zotrec.paper import Paper
from zotrec.recommend import LibraryIndex, Recommender

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def _rows(folder: Path, n_files: int) -> list[dict]:
    rows, seen = [], set()
    for f in sorted(folder.glob("*.jsonl"))[:n_files]:
        for line in f.read_text().splitlines():
            d = json.loads(line)
            if d["id"] not in seen and d.get("summary"):
                seen.add(d["id"])
                rows.append(d)
    return rows


def _paper(d: dict, key: str | None = None) -> Paper:
    return Paper(title=d["title"], abstract=d["summary"], arxiv_id=d["id"], key=key)


@pytest.fixture(scope="module")
def corpus():
    if not SHARED_DATA.is_dir():
        pytest.skip("shared data not found")
    astro = _rows(SHARED_DATA / "corpora" / "arxiv-daily-astro", 6)
    cs = _rows(SHARED_DATA / "corpora" / "arxiv-daily-cs", 1)
    library = [_paper(d, key=f"LIB{i:05d}") for i, d in enumerate(astro[:150])]
    related = [_paper(d) for d in astro[150:180]]
    unrelated = [_paper(d) for d in cs[:120]]
    return library, related, unrelated


@pytest.fixture(scope="module")
def index(corpus):
    return LibraryIndex.build(corpus[0])


def test_related_papers_rank_first(corpus, index):
    _, related, unrelated = corpus
    recs = Recommender(index).rank(unrelated + related)
    assert len(recs) == len(related) + len(unrelated)
    top = [r.paper for r in recs[: len(related)]]
    assert sum(p in related for p in top) >= 0.8 * len(related)
    scores = [r.score for r in recs]
    assert all(0.0 <= s <= 100.0 for s in scores)
    assert (
        np.mean([r.score for r in recs if r.paper in related])
        > np.mean([r.score for r in recs if r.paper in unrelated]) + 20
    )


def test_reasons_point_at_library_items(corpus, index):
    library, _, _ = corpus
    near_dup = Paper(title=library[7].title, abstract=library[7].abstract + " We also discuss the results.")
    rec = Recommender(index).rank([near_dup])[0]
    assert len(rec.reasons) == 3
    assert rec.reasons[0].key == "LIB00007"
    assert rec.reasons[0].title == library[7].title
    assert rec.reasons[0].similarity > rec.reasons[1].similarity
    assert rec.terms and all(isinstance(t, str) for t in rec.terms)
    assert rec.score > 75


def test_non_research_scores_zero_and_comes_last(corpus, index):
    _, related, _ = corpus
    notice = Paper(title=related[0].title, abstract=related[0].abstract, extras={"non_research": True})
    recs = Recommender(index).rank([notice] + related[1:5])
    assert recs[-1].paper is notice and recs[-1].score == 0.0


def test_index_round_trip_gives_identical_scores(corpus, index):
    _, related, unrelated = corpus
    digest = related[:10] + unrelated[:30]
    again = LibraryIndex.from_bytes(index.to_bytes())
    a = [(r.paper.title, r.score) for r in Recommender(index).rank(digest)]
    b = [(r.paper.title, r.score) for r in Recommender(again).rank(digest)]
    assert a == b


def test_feedback_moves_near_duplicates(corpus, index):
    _, related, unrelated = corpus
    digest = related[:10] + unrelated[:40]
    target = unrelated[3]
    near = Paper(title=target.title + " revisited", abstract=target.abstract + " Further experiments are reported.")
    base = {r.paper.title: r.score for r in Recommender(index).rank(digest + [near])}[near.title]
    up = {r.paper.title: r.score for r in Recommender(index, feedback=[(target, 1)]).rank(digest + [near])}
    down_target = related[2]
    near_rel = Paper(title=down_target.title + " revisited", abstract=down_target.abstract + " More data.")
    base_rel = {r.paper.title: r.score for r in Recommender(index).rank(digest + [near_rel])}[near_rel.title]
    down = {r.paper.title: r.score for r in Recommender(index, feedback=[(down_target, -1)]).rank(digest + [near_rel])}
    assert up[near.title] > base
    assert down[near_rel.title] < base_rel


def test_feedback_from_library_rules():
    target = "TARGET01"
    collections = {
        target: Collection(target, "zotrec: Recommended"),
        "READ0001": Collection("READ0001", "Reading"),
        "SUB00001": Collection("SUB00001", "cs.LG", target),
    }
    items = [
        {"key": "A", "collections": [target], "tags": []},  # left alone
        {"key": "B", "collections": [target, "READ0001"], "tags": []},  # copied
        {"key": "C", "collections": ["READ0001"], "tags": []},  # moved
        {"key": "D", "collections": [target], "tags": [{"tag": "zotrec:+"}]},
        {"key": "E", "collections": [target, "READ0001"], "tags": [{"tag": "zotrec:-"}]},
        {"key": "H", "collections": ["SUB00001"], "tags": []},  # in zotrec's own per-topic subcollection
    ]
    snapshot = LibrarySnapshot(7, items, collections, trashed=[{"key": "F", "collections": [target], "tags": []}])
    pushed = {f"arxiv:{k}": k for k in "ABCDEFGH"}
    got = {s.identity: s.value for s in read_signals(snapshot, pushed, "zotrec: Recommended")}
    assert got == {
        "arxiv:A": 0,
        "arxiv:B": 1,
        "arxiv:C": 1,
        "arxiv:D": 1,
        "arxiv:E": -1,
        "arxiv:F": -1,
        "arxiv:G": -1,
        "arxiv:H": 0,
    }


def test_scale_is_anchored_on_library_and_background(corpus, index):
    from zotrec.recommend.background import load_background

    _, related, unrelated = corpus
    recs = Recommender(index).rank(related + unrelated)
    assert np.median([r.score for r in recs if r.paper in related]) > 55
    assert np.median([r.score for r in recs if r.paper in unrelated]) < 45
    random_arxiv = load_background()[1::97][:40]  # not among the scale's references (every 8th)
    recs = Recommender(index).rank(random_arxiv)
    assert np.median([r.score for r in recs]) < 45


def test_empty_library_recommends_nothing():
    index = LibraryIndex.build([])
    recs = Recommender(index).rank([Paper(title="Galaxies with neural networks", abstract="We classify galaxies.")])
    assert recs[0].score == 0.0 and recs[0].reasons == []


def test_prune_rows_keeps_the_heaviest_terms():
    import scipy.sparse as sp

    from zotrec.recommend.model import prune_rows, top_k_similar

    X = sp.random(30, 200, density=0.3, format="csr", dtype=np.float32, random_state=0)
    P = prune_rows(X, 10)
    for i in range(30):
        row = X[i].toarray().ravel()
        assert set(P[i].indices) == set(np.argsort(-row)[:10])
        assert abs(np.linalg.norm(P[i].toarray()) - 1.0) < 1e-5
    idx, sims = top_k_similar(P, P, 3)
    assert (idx[:, 0] == np.arange(30)).all() and np.allclose(sims[:, 0], 1.0, atol=1e-5)


def test_top_k_similar_matches_a_full_sort():
    """The k best library rows of every query (cosine descending, equal cosines by library row), as a
    dense sort of every product gives them; an excluded row never appears."""
    import scipy.sparse as sp

    from zotrec.recommend.model import top_k_similar

    rng = np.random.default_rng(3)
    library = sp.random(300, 40, density=0.15, format="csr", dtype=np.float32, random_state=4)
    library.data = np.round(library.data * 3) / 3 + 1 / 3  # coarse weights: many equal cosines
    library = sp.vstack([library, library[:20]], format="csr")  # duplicate rows tie exactly
    queries = library[rng.choice(library.shape[0], 70, replace=False)]
    exclude = rng.integers(0, library.shape[0], 70)
    for ex in (None, exclude):
        idx, sims = top_k_similar(queries, library, 7, chunk=16, exclude=ex)
        dense = (queries @ library.T).toarray()
        for i in range(queries.shape[0]):
            row = dense[i].astype(np.float32)
            if ex is not None:
                row[ex[i]] = 0
            want = [j for j in np.lexsort((np.arange(len(row)), -row)) if row[j] > 0][:7]
            assert list(idx[i, : len(want)]) == want
            assert np.allclose(sims[i, : len(want)], row[want]) and (sims[i, len(want) :] == 0).all()


def test_prune_rows_is_row_by_row():
    """A row's pruned form does not depend on the other rows nor on how its columns are stored."""
    import scipy.sparse as sp

    from zotrec.recommend.model import prune_rows

    X = sp.random(20, 100, density=0.4, format="csr", dtype=np.float32, random_state=1)
    X.data = np.round(X.data * 4) / 4 + 0.25  # many ties
    shuffled = X.copy()
    for i in range(20):  # the same rows, columns stored in reverse order
        start, end = shuffled.indptr[i], shuffled.indptr[i + 1]
        shuffled.indices[start:end] = shuffled.indices[start:end][::-1].copy()
        shuffled.data[start:end] = shuffled.data[start:end][::-1].copy()
    whole = prune_rows(X, 10)
    parts = sp.vstack([prune_rows(shuffled[:7], 10), prune_rows(shuffled[7:], 10)], format="csr")
    assert (whole != parts).nnz == 0


def test_prune_rows_keeps_each_rows_heaviest_then_lowest_columns(monkeypatch):
    """Against a row-by-row sort: k largest weights, equal weights by column; in chunks or not, and
    with negative weights (the general sort)."""
    import scipy.sparse as sp

    from zotrec.recommend import model

    rng = np.random.default_rng(3)
    X = sp.random(60, 80, density=0.5, format="csr", dtype=np.float32, random_state=2)
    X.data = rng.integers(1, 5, size=X.nnz).astype(np.float32) / 4  # many ties
    for sign in (1, -1):
        Y = X.copy()
        Y.data[::7] *= sign
        want = []
        for i in range(60):
            row = Y[i]
            best = sorted(zip(-row.data, row.indices))[:6]
            want.append(sorted(int(c) for _, c in best))
        for chunk in (1000, 7):
            monkeypatch.setattr(model, "PRUNE_CHUNK", chunk)
            P = model.prune_rows(Y, 6)
            assert [sorted(P[i].indices.tolist()) for i in range(60)] == want
            assert np.allclose(np.asarray(P.multiply(P).sum(1)).ravel(), 1.0, atol=1e-5)


def test_rows_cut_to_their_top_entries_prune_as_the_whole_rows():
    """``top_entries`` of one block of columns, then ``prune_rows`` beside the other columns: the
    neighbour rows of the whole rows, bit for bit (ties among many equal weights included)."""
    import scipy.sparse as sp

    from zotrec.recommend.model import prune_rows, top_entries

    rng = np.random.default_rng(5)
    for density, k in ((0.5, 6), (0.05, 6), (0.3, 40)):
        text = sp.random(70, 90, density=density, format="csr", dtype=np.float32, random_state=4)
        text.data = rng.integers(1, 4, size=text.nnz).astype(np.float32) / 8  # many ties
        authors = sp.random(70, 12, density=0.2, format="csr", dtype=np.float32, random_state=6)
        authors.data = np.float32(0.125) * rng.integers(1, 3, size=authors.nnz).astype(np.float32)
        cut = top_entries(text, k)
        assert (np.diff(cut.indptr) == np.minimum(np.diff(text.indptr), k)).all()
        whole = prune_rows(sp.hstack([text, authors], format="csr"), k)
        parts = prune_rows(sp.hstack([cut, authors], format="csr"), k)
        assert np.array_equal(whole.indptr, parts.indptr) and np.array_equal(whole.indices, parts.indices)
        assert np.array_equal(whole.data, parts.data)


def test_parallel_transform_matches_the_serial_one(corpus, monkeypatch):
    """Texts transformed in two joblib workers give the serial matrix bit for bit."""
    from zotrec.recommend import features

    library, related, unrelated = corpus
    texts = [features.paper_text(p) for p in library + related + unrelated]
    vec = features.Featurizer()._text_vectorizer(len(texts))
    features.fit_tfidf(vec, texts[:120])
    want = features._transform_chunk(vec, texts[120:])
    monkeypatch.setattr(features, "PARALLEL_FROM", 50)
    got = features._transform_texts(vec, texts[120:])
    assert got.shape == want.shape and got.dtype == want.dtype
    assert np.array_equal(got.indptr, want.indptr) and np.array_equal(got.indices, want.indices)
    assert np.array_equal(got.data, want.data)
