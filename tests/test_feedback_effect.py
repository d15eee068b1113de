"""How feedback moves scores: the pure parts (term changes, labels) and the model comparison."""

from __future__ import annotations

import numpy as np
import pytest

from zotrec.paper import Paper
from zotrec.recommend import LibraryIndex
from zotrec.recommend.explain import feedback_effect, term_label, top_changes


def test_top_changes_orders_raised_and_lowered_by_size():
    names = np.asarray(["a", "b", "c", "d", "e"], dtype=object)
    delta = np.asarray([0.5, -0.2, 0.0, 1.5, -0.9])
    raised, lowered = top_changes(delta, names, 3)
    assert raised == [("d", 1.5), ("a", 0.5)]  # zero is neither raised nor lowered
    assert lowered == [("e", -0.9), ("b", -0.2)]
    assert top_changes(delta, names, 1) == ([("d", 1.5)], [("e", -0.9)])


def test_term_label_reads_author_features():
    assert term_label("author:lovelace_a") == "author Lovelace A."
    assert term_label("author:curie_") == "author Curie"
    assert term_label("dark matter") == "dark matter"


def test_feedback_effect_raises_the_liked_words_and_lowers_the_disliked(demo_index):
    library, index = demo_index
    liked = Paper(
        title="Gravitational lensing of galaxy clusters as a probe of dark matter",
        abstract="We measure weak gravitational lensing around galaxy clusters and constrain dark matter halo "
        "profiles with lensing shear from a wide galaxy survey.",
    )
    disliked = Paper(title=library[3].title + " revisited", abstract=library[3].abstract)
    effect = feedback_effect(index, [(liked, 1), (disliked, -1), (liked, 0)])
    assert (effect.liked, effect.disliked) == (1, 1)
    raised = " ".join(t for t, _ in effect.raised)
    assert any(w in raised for w in ("lensing", "galaxy", "dark matter", "clusters"))
    lowered = [t for t, _ in effect.lowered]
    disliked_text = (disliked.title + " " + disliked.abstract).lower()
    assert lowered and all(t.split()[0] in disliked_text for t in lowered[:3])
    assert effect.liked_shift is not None and effect.liked_shift > 10
    assert effect.disliked_shift is not None and effect.disliked_shift < -10


def _paper(title: str, words: str) -> Paper:
    return Paper(title=title, abstract=f"We study {words}. Our results on {words} improve on earlier work.")


def test_no_feedback_changes_nothing():
    index = LibraryIndex.build([_paper(f"Paper {i}", f"topic {i} methods") for i in range(5)])
    effect = feedback_effect(index, [])
    assert (effect.liked, effect.disliked, effect.raised, effect.lowered) == (0, 0, [], [])
    assert effect.liked_shift is None and effect.disliked_shift is None


def test_terms_shown_are_words_of_the_marked_papers(demo_index):
    """Raised terms occur in a paper marked +1 and lowered terms in one marked -1: library words the
    feedback shifts only through the re-balanced classes are not shown as what it raised or lowered."""
    library, index = demo_index
    liked = [
        _paper(f"Exoplanet survey {i}", f"{topic} of exoplanets around nearby stars")
        for i, topic in enumerate(
            ("transit photometry", "radial velocity", "direct imaging", "atmospheric spectra", "orbital dynamics")
        )
    ]
    disliked = [
        _paper(f"Protein study {i}", f"{topic} of protein folding in cells")
        for i, topic in enumerate(("cryo-electron microscopy", "molecular chaperones", "mass spectrometry"))
    ]
    effect = feedback_effect(index, [(p, 1) for p in liked] + [(p, -1) for p in disliked], n_terms=10)
    labels = [term_label(str(n)) for n in index.terms]
    liked_cols = set(index.transform(liked).nonzero()[1])
    disliked_cols = set(index.transform(disliked).nonzero()[1])
    assert effect.raised and effect.lowered
    assert all(labels.index(t) in liked_cols for t, _ in effect.raised)
    assert all(labels.index(t) in disliked_cols for t, _ in effect.lowered)
    # dislikes alone raise no word of what was marked: the library's words they shift are not shown
    only_disliked = feedback_effect(index, [(p, -1) for p in disliked], n_terms=10)
    assert only_disliked.raised == [] and only_disliked.lowered
    assert all(labels.index(t) in disliked_cols for t, _ in only_disliked.lowered)


def test_negative_weight_sets_what_a_paper_marked_minus_one_weighs(demo_index):
    """``negative_weight`` is the -1 papers' weight in the linear model apart from +1 papers' ``feedback_weight``:
    at 0 (and no neighbour penalty) a dislike changes nothing, by default it lowers the disliked paper."""
    from zotrec.recommend import Recommender, Settings

    library, index = demo_index
    disliked = Paper(title=library[3].title + " revisited", abstract=library[3].abstract)
    digest = [disliked] + library[100:120]
    off = Settings(negative_weight=0.0, negative_penalty=0.0)

    def scores(settings: Settings, feedback: list[tuple[Paper, int]]) -> dict[str, float]:
        return {r.paper.title: r.raw for r in Recommender(index, feedback=feedback, settings=settings).rank(digest)}

    # a weight-0 row still counts in the class balance: the margins move by a few thousandths at most
    assert scores(off, [(disliked, -1)]) == pytest.approx(scores(off, []), abs=0.01)
    plain = Settings(negative_penalty=0.0)
    assert scores(plain, [(disliked, -1)])[disliked.title] < scores(plain, [])[disliked.title] - 0.1


def test_a_library_item_marked_is_no_reference_of_the_scale(demo_index):
    """A pushed paper the user files in a collection is a library item and a paper marked +1 at once.
    Which library rows are the scale's held-out references depends on the items' random keys; when
    a marked item is one of them, it must not count as one (the model is trained on it as feedback,
    and its neighbour part meets its own feedback copy), or liking it can lower its score."""
    from zotrec.recommend import Recommender

    library, index = demo_index
    assert len(index) == len(library)  # rows are the library's papers, in order
    refs = index.lib_ref.tolist()
    papers = [library[r] for r in refs]
    twins = [Paper(title=p.title.upper(), abstract=p.abstract, authors=p.authors) for p in papers]  # same items
    before, _ = Recommender(index).without_digest(papers)
    moved = []
    for marked, value in ((papers, 1), (papers, -1), (twins, 1)):
        for part in (slice(0, None, 2), slice(1, None, 2)):  # half the references marked at a time
            after, _ = Recommender(index, feedback=[(p, value) for p in marked[part]]).without_digest(papers[part])
            changes = (after - before[part]) * value
            moved += [(row, value, marked is twins, round(float(c), 3)) for row, c in zip(refs[part], changes)]
    assert all(change > 0 for *_, change in moved), [m for m in moved if m[-1] <= 0]


def test_the_scale_references_are_chosen_by_title_not_by_row(demo_index):
    """The library's rows are sorted by content id (``KEY:VERSION``), so a random item key decides where
    an item sorts. Which items are the scale's references (held out of training) must not depend on it,
    nor change for the other items when one is added: the same library under other keys, and the
    library of tomorrow, keep the same references and so the same scale."""
    from zotrec.interests import InterestSettings

    library, index = demo_index
    order = np.random.default_rng(7).permutation(len(index))  # the rows as other item keys sort them
    other = LibraryIndex.assemble(
        index.vectorizer,
        index.library[order],
        [index.titles[i] for i in order],
        [index.keys[i] for i in order],
        [index.added[i] for i in order],
        index.background,
    )
    refs = {index.titles[i] for i in index.lib_ref}
    assert {other.titles[i] for i in other.lib_ref} == refs
    one_more = LibraryIndex.assemble(
        index.vectorizer,
        index.library[:-1],
        index.titles[:-1],
        index.keys[:-1],
        index.added[:-1],
        index.background,
    )
    kept = refs & {one_more.titles[i] for i in one_more.lib_ref}
    assert len(kept) >= len(refs) - 1  # the library without its last item: at most one reference swapped
    # with interests: each interest's references too
    groups = [p.categories[0].split(".")[0] for p in library]
    settings = InterestSettings(min_items=5)
    venues = [""] * len(library)
    mine = index.with_interests([[g] for g in groups], venues, settings)
    theirs = other.with_interests([[groups[i]] for i in order], venues, settings)
    assert len(mine.interests) >= 2 and mine.interests == theirs.interests
    assert {mine.titles[i] for i in mine.lib_ref} == {theirs.titles[i] for i in theirs.lib_ref}
