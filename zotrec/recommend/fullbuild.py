"""A library's features built from scratch (the cache's full build), with the work spread over two cores.

Converting the items is most of the cost (decoding the LaTeX of tens of thousands of titles and
abstracts), so many items are converted by two worker processes (:class:`zotrec.parallel.Workers`),
which also split each text into word ids (:func:`zotrec.recommend.ngrams.tokenize`). On a large
library the vocabulary and idf are fitted on a sample of the papers
(:func:`~zotrec.recommend.features.fit_sample`): the workers convert the sampled items first, and
this process fits on them and counts each later part as it arrives while the workers convert the
rest. The index is the one :meth:`LibraryIndex.build` gives for the items' Papers, bit for bit
(tests compare them).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from zotrec.library.base import LibrarySnapshot
from zotrec.recommend.ngrams import Tokens, merge

PARALLEL_FROM = 6_000  # a full build converts this many items or more in two processes
PART = 2_000  # items per part after the sampled ones (this process counts a part as it arrives)


class Row(NamedTuple):
    """What a full build needs of one item besides its text's tokens (its Paper is not kept: a tenth of the memory)."""

    authors: str  # features.author_tokens
    title: str
    added: str  # dateAdded, "" when unknown
    identity: list[str]  # Paper.identity_keys
    has_text: bool  # a title or an abstract


def _rows_of(items: list[dict[str, Any]]) -> tuple[list[Row], Tokens]:
    """The rows of ``items`` and the tokens of their :func:`~zotrec.recommend.texts.paper_text`:
    what ``item_to_paper(item)`` gives, but only the fields a build reads are cleaned (the others
    cost as much: date, URL, venue, tags, collections)."""
    from zotrec.library.items import creator_names, item_ids
    from zotrec.paper import clean_ids, identity_keys
    from zotrec.recommend.features import Featurizer, author_tokens_of
    from zotrec.recommend.texts import text_of
    from zotrec.text import clean_text, clean_texts

    rows, texts = [], []
    for item in items:
        title = clean_text(item.get("title", "") or "")
        abstract = clean_text(item.get("abstractNote", "") or "")
        arxiv_id, doi = clean_ids(*item_ids(item))
        texts.append(text_of(title, abstract))
        authors = author_tokens_of(clean_texts(creator_names(item)))
        rows.append(
            Row(
                authors,
                title,
                item.get("dateAdded") or "",
                identity_keys(arxiv_id, doi, title),
                bool(title or abstract),
            )
        )
    return rows, Featurizer().tokenize(texts)


def item_rows(
    items: list[dict[str, Any]], snapshot: LibrarySnapshot, while_waiting: Any = None, fork: bool | None = None
) -> tuple[list[Row], Tokens]:
    """The :class:`Row` of each item and the tokens of its text (many items: in two processes, see
    :func:`zotrec.parallel.halves`); ``while_waiting`` is called in this process meanwhile."""
    from zotrec import parallel

    if len(items) < PARALLEL_FROM:
        if while_waiting is not None:
            while_waiting()
        return _rows_of(items)
    parts = parallel.halves(_rows_of, items, while_waiting=while_waiting, fork=fork)
    return [row for rows, _ in parts for row in rows], merge([tokens for _, tokens in parts])


def background_tokens() -> tuple[Tokens, list[str]]:
    """The background sample's tokens and author tokens (made once per process)."""
    global _BACKGROUND
    if _BACKGROUND is None:
        from zotrec.recommend import features
        from zotrec.recommend.background import background_texts
        from zotrec.recommend.texts import text_of

        texts = background_texts()
        _BACKGROUND = (
            features.Featurizer().tokenize([text_of(title, abstract) for title, abstract in texts]),
            [features.author_tokens_of([])] * len(texts),
        )
    return _BACKGROUND


_BACKGROUND: tuple[Tokens, list[str]] | None = None


def build_index(rows: list[Row], keys: list[str | None], tokens: Tokens) -> Any:
    """``LibraryIndex.build(papers, interests=None)`` of the papers these rows, their text's tokens
    and item keys come from."""
    from zotrec.recommend import features

    background, background_authors = background_tokens()
    vec = features.Featurizer()
    X = vec.fit_transform_tokens(merge([tokens, background]), [r.authors for r in rows] + background_authors)
    return _assemble(vec, X, rows, keys)


def _assemble(vec: Any, X: Any, rows: list[Row], keys: list[str | None], neighbours: Any = None) -> Any:
    from zotrec.recommend.model import LibraryIndex

    n = len(rows)
    titles, added = [r.title for r in rows], [r.added for r in rows]
    return LibraryIndex.assemble(vec, X[:n], titles, keys, added, X[n:], neighbours)


def full_build(
    items: list[dict[str, Any]],
    snapshot: LibrarySnapshot,
    fork: bool | None = None,
    while_waiting: Callable[[], Any] | None = None,
) -> tuple[Any, list[Row], list[int]]:
    """The index of the items that have a title or an abstract (``build_index``), the rows of all
    items and the positions of those kept, in item order. ``while_waiting`` is called while the
    items convert (in two processes when many: the time this one has spare)."""
    from zotrec.recommend.background import background_size
    from zotrec.recommend.features import fit_sample

    def meanwhile() -> None:
        background_tokens()
        import zotrec.recommend.model  # noqa: F401  # (scikit-learn's SVM) read once the items are built

        if while_waiting is not None:
            while_waiting()

    sample = fit_sample(len(items) + background_size())
    if len(items) < PARALLEL_FROM or sample is None:
        rows, tokens = item_rows(items, snapshot, while_waiting=meanwhile, fork=fork)
        kept = [i for i, r in enumerate(rows) if r.has_text]
        keys = [items[i].get("key") for i in kept]
        return build_index([rows[i] for i in kept], keys, tokens.take(kept)), rows, kept
    return _PipelinedBuild(items, sample).run(fork, meanwhile)


class _PipelinedBuild:
    """The workers convert the sampled items first (two parts), then the others in parts of
    :data:`PART`; this process fits on the sample and counts the others part by part meanwhile.
    The sample is the one of ``len(items)`` rows with text: should an item turn out to have none,
    the parts are put together and built as :func:`build_index` builds them."""

    def __init__(self, items: list[dict[str, Any]], sample: np.ndarray) -> None:
        from zotrec.recommend.features import Featurizer

        self.items, self.n = items, len(items)
        self.sample = sample
        lib_sample = sample[sample < self.n]
        others = np.setdiff1d(np.arange(self.n), lib_sample, assume_unique=True)
        half = (len(lib_sample) + 1) // 2
        self.parts = [lib_sample[:half], lib_sample[half:]] + [
            others[i : i + PART] for i in range(0, len(others), PART)
        ]
        self.results: dict[int, tuple[list[Row], Tokens]] = {}
        self.blocks: dict[int, Any] = {}  # part -> its text rows, once the fit is done
        self.tops: dict[int, Any] = {}  # part -> its text rows cut to their KNN_TERMS largest entries
        self.vec = Featurizer()
        self.fitted = False
        self.background_rest: tuple[np.ndarray, Any] = (np.zeros(0, dtype=np.int64), None)  # rows, their text rows
        self.usable = True  # every row so far has text

    def run(self, fork: bool | None, meanwhile: Callable[[], Any]) -> tuple[Any, list[Row], list[int]]:
        """The build; ``meanwhile()`` is called once the workers have started."""
        from zotrec import parallel

        with parallel.Workers(_rows_of, self.items, fork=fork) as workers:
            done = workers.run([part.tolist() for part in self.parts])
            background, background_authors = background_tokens()
            meanwhile()
            for i, result in done:
                self.results[i] = result
                self.usable = self.usable and all(r.has_text for r in result[0])
                if self.usable:
                    self._advance(background)
        rows = self._rows()
        if not self.usable:
            return self._fallback(rows)
        from zotrec.recommend.features import beside

        A = self.vec.fit_authors([r.authors for r in rows] + background_authors)
        keys = [item.get("key") for item in self.items]
        return (
            _assemble(self.vec, beside(self._join(self.blocks), A), rows, keys, self._neighbours(A)),
            rows,
            list(range(self.n)),
        )

    def _neighbours(self, A: Any) -> Any:
        """The library's neighbour rows (``prune_rows`` of its rows) from its text rows cut part by part
        (``self.tops``) beside its author rows ``A`` (None: no author block)."""
        from zotrec.recommend.features import beside
        from zotrec.recommend.model import KNN_TERMS, prune_rows

        text = self._join(self.tops, background=False)[: self.n]
        return prune_rows(beside(text, A[: self.n] if A is not None else None), KNN_TERMS)

    def _advance(self, background: Tokens) -> None:
        """Fit once both sampled parts are here; count every part that arrived since (and cut its
        rows to the entries their neighbour rows can keep: :func:`~zotrec.recommend.model.top_entries`)."""
        from zotrec.recommend.model import KNN_TERMS, top_entries

        if not self.fitted:
            if 0 not in self.results or 1 not in self.results:
                return
            bg_sample = self.sample[self.sample >= self.n] - self.n
            tokens = merge([self.results[0][1], self.results[1][1], background.take(bg_sample)])
            self.blocks[0] = self.vec.fit_text(tokens, self.n + len(background))
            self.tops[0] = top_entries(self.blocks[0], KNN_TERMS)
            self.fitted = True
            bg_rest = self._background_rest(len(background))
            self.background_rest = (bg_rest, self.vec.transform_tokens(background.take(bg_rest)))
        for i, (_, tokens) in self.results.items():
            if i >= 2 and i not in self.blocks:
                self.blocks[i] = self.vec.transform_tokens(tokens)
                self.tops[i] = top_entries(self.blocks[i], KNN_TERMS)

    def _rows(self) -> list[Row]:
        rows: list[Row | None] = [None] * self.n
        for i, part in enumerate(self.parts):
            for at, row in zip(part.tolist(), self.results[i][0]):
                rows[at] = row
        return rows  # type: ignore[return-value]  # every position is in one part

    def _background_rest(self, n_background: int) -> np.ndarray:
        in_sample = np.zeros(n_background, dtype=bool)
        in_sample[self.sample[self.sample >= self.n] - self.n] = True
        return np.flatnonzero(~in_sample)

    def _join(self, blocks: dict[int, Any], background: bool = True) -> Any:
        """The rows of ``blocks`` (one per part; 0: the fit sample's, its background rows included) in
        order: the library's, then the background's (with ``background``: also those beyond the
        sample, ``self.background_rest``)."""
        from zotrec.recommend.features import join_rows

        matrices = [blocks[i] for i in [0, *range(2, len(self.parts))]]
        positions = [self.sample, *self.parts[2:]]
        if background:
            bg_rest, bg_block = self.background_rest
            matrices.append(bg_block)
            positions.append(bg_rest + self.n)
        return join_rows(matrices, positions)

    def _fallback(self, rows: list[Row]) -> tuple[Any, list[Row], list[int]]:
        tokens = merge([self.results[i][1] for i in range(len(self.parts))])
        tokens = tokens.take(np.argsort(np.concatenate(self.parts), kind="stable"))
        kept = [i for i, r in enumerate(rows) if r.has_text]
        keys = [self.items[i].get("key") for i in kept]
        return build_index([rows[i] for i in kept], keys, tokens.take(kept)), rows, kept
