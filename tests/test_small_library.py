"""Small libraries: trained on every item, expanded from the digest's first-ranked papers."""

from __future__ import annotations

import numpy as np
import pytest

from zotrec.demo import demo_library_papers
from zotrec.paper import Paper
from zotrec.recommend import LibraryIndex, Recommender, Settings
from zotrec.recommend.model import expansion_rows


def test_expansion_rows_take_the_top_twentieth_of_a_small_librarys_digest():
    raw = np.asarray([0.1, 0.9, 0.3, 0.8] + [0.0] * 36)  # 40 papers: the top 2
    assert expansion_rows(raw, 5, Settings()).tolist() == [1, 3]
    many = np.linspace(0, 1, 2000)  # a 2k digest: 10 rows, not its top 5 % (100), most of them noise
    assert expansion_rows(many, 5, Settings()).tolist() == list(range(1999, 1989, -1))
    assert len(expansion_rows(many, 5, Settings(expand_top=50))) == 50
    assert expansion_rows(raw, 50, Settings()) is None  # not a small library
    assert expansion_rows(raw[:19], 5, Settings()) is None  # too small a digest
    assert expansion_rows(raw, 5, Settings(expand_weight=0.0)) is None


@pytest.fixture(scope="module")
def small():
    library = demo_library_papers()[:20]
    return library, LibraryIndex.build(library)


def test_a_small_library_learns_from_every_item(small):
    """No item is held out of training: a near-copy of each one ranks above unrelated papers."""
    library, index = small
    assert len(index.lib_ref)  # the index holds reference rows, which a small library trains on
    unrelated = [
        Paper(
            title=f"Survey of dairy cattle breeding {i}",
            abstract="Milk yield, fertility and genomic selection "
            f"in dairy cattle herds; heritability estimates from herd records {i}.",
        )
        for i in range(30)
    ]
    held = [library[i] for i in index.lib_ref]
    copies = [Paper(title=p.title, abstract=p.abstract + " We add experiments.") for p in held]
    recs = Recommender(index).rank(unrelated + copies)
    top = {r.paper.title for r in recs[: len(copies)]}
    assert top == {p.title for p in copies}
    assert all(0.0 <= r.score <= 100.0 for r in recs)

    # the same items held out (a larger library's path): their copies stand out less, not trained on.
    # ``raw`` is centred on the median reference, which is every item here and the held-out ones
    # there, so the copies are measured against the unrelated papers of the same ranking.
    def lead(settings: Settings) -> float:
        recs = Recommender(index, settings=settings).rank(unrelated + copies)
        raw = {id(r.paper): r.raw for r in recs}
        return float(np.mean([raw[id(p)] for p in copies]) - np.mean([raw[id(p)] for p in unrelated]))

    assert lead(Settings(expand_weight=0.0)) > lead(Settings(small_library=10, expand_weight=0.0)) + 2
