"""Paper metadata as topic evidence: who wrote a paper and where it is to appear.

Research groups post in the same arXiv categories day after day, and a comment such as "Accepted to
CVPR 2025" or a journal reference "MNRAS 530, 1 (2024)" names a field. A model with a metadata
table keeps, for every author and venue word of its training papers (hashed), how many of those
papers carried each category as a topic and as the main topic. A new paper's evidence for a
category is the smoothed log-lift of its authors' (and venue words') counts over the training
share, added with a weight to the log-odds of the text's calibrated columns. A paper without
metadata (no known author, no known venue word) and a journal item keep the text's columns as
they are.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.utils import murmurhash3_32

from ..errors import ModelError
from ..paper import Paper
from ..text import strip_accents

TABLE_FIELDS = ("keys", "counts", "papers", "base", "weights")
_NAME_PART = re.compile(r"[a-z][a-z'-]*")
_VENUE_WORD = re.compile(r"[A-Za-z][A-Za-z&]+")
# comment words that say nothing about a field (their lift is ~1 anyway; skipping them is cheaper)
_PLAIN = frozenset(
    "pages page figures figure figs fig tables table and the of in to for with at on by an this is as be "
    "version paper accepted submitted published appear appears preprint comments comment review under "
    "conference journal proceedings workshop main track long short camera ready revised typos minor "
    "corrected references appendix appendices supplementary material code available https http www com "
    "github org io html pdf arxiv see also our we it are from".split()
)


def author_key(name: str) -> str:
    """An author as the table keys it: accents dropped, lower case, first and last name part
    ("Shisong Chen" -> "shisong chen"; a lone part is kept alone)."""
    parts = _NAME_PART.findall(strip_accents(name).lower())
    if not parts:
        return ""
    return parts[0] if len(parts) == 1 else f"{parts[0]} {parts[-1]}"


def venue_words(comment: str, journal_ref: str = "") -> list[str]:
    """Distinct venue words of a comment and journal reference ("Accepted to CVPR 2025" -> ["cvpr"]):
    lower-cased words of two letters or more, words that name no venue left out."""
    seen: dict[str, None] = {}
    for word in _VENUE_WORD.findall(f"{comment} {journal_ref}"):
        word = word.lower()
        if word not in _PLAIN:
            seen.setdefault(word)
    return list(seen)


def paper_keys(item: Any) -> tuple[list[str], list[str]]:
    """(author keys, venue words) of a :class:`Paper`; none for plain text and for a journal item
    (a DOI or journal without an arXiv id: its journal is not an arXiv journal reference)."""
    if not isinstance(item, Paper) or item.journal_item:
        return [], []
    authors = list(dict.fromkeys(k for k in map(author_key, item.authors) if k))
    comment = item.extras.get("comment") or item.extras.get("comments") or ""
    return authors, venue_words(str(comment), item.journal or "")


def _hash(kind: str, keys: Sequence[str]) -> np.ndarray:
    return np.array([murmurhash3_32(f"{kind}:{k}", positive=True) for k in keys], dtype=np.uint32)


@dataclass(frozen=True)
class Weights:
    """How much metadata moves a paper's columns: log-lift weights for the topic and main-topic
    columns, per kind of key, and the smoothing (pseudo-papers at the training share).

    The defaults are the shipped ones, chosen on validation days: venue words gave no gain there
    (their weights are 0, and a table trained with them at 0 does not store them)."""

    author_topic: float = 0.3
    author_main: float = 0.6
    venue_topic: float = 0.0
    venue_main: float = 0.0
    author_alpha: float = 0.5
    venue_alpha: float = 20.0
    venue_min: int = 5  # a venue word seen on fewer training papers is ignored
    pool: float = 1.0  # a paper's keys of one kind: their summed lift divided by (known keys) ** pool

    def as_dict(self) -> dict[str, float]:
        return {k: float(v) for k, v in self.__dict__.items()}


def train_table(
    key_lists: Sequence[tuple[Sequence[str], Sequence[str]]], Y: np.ndarray, weights: Weights = Weights()
) -> dict[str, Any]:
    """The metadata table of training papers: ``key_lists`` = each paper's (author keys, venue
    words), ``Y`` = its 0/1 target columns (topics, then main topics). Stored: the sorted hashed
    keys, their per-column counts (float32 CSR), papers per key, the columns' training shares."""
    rows, cols = [], []
    venues_count = bool(weights.venue_topic or weights.venue_main)
    for i, (authors, venues) in enumerate(key_lists):
        hashed = np.concatenate([_hash("a", authors), _hash("v", venues if venues_count else [])])
        rows.append(np.full(len(hashed), i, dtype=np.int64))
        cols.append(hashed)
    row = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    key = np.concatenate(cols) if cols else np.zeros(0, dtype=np.uint32)
    keys, inverse = np.unique(key, return_inverse=True)
    incidence = sp.csr_matrix(
        (np.ones(len(row), dtype=np.float32), (inverse.ravel(), row)), shape=(len(keys), len(key_lists))
    )
    incidence.sum_duplicates()
    incidence.data[:] = 1.0
    counts = (incidence @ sp.csr_matrix(Y.astype(np.float32))).tocsr()
    counts.eliminate_zeros()
    papers = np.asarray(incidence.sum(1)).ravel()
    base = np.clip(Y.mean(0), 1e-5, None).astype(np.float32)
    return {
        "keys": keys.astype(np.uint32),
        "counts": counts.astype(np.float32),
        "papers": np.minimum(papers, 65535).astype(np.uint16),
        "base": base,
        "weights": weights.as_dict(),
    }


def check_table(table: Any, n_columns: int) -> None:
    """Raise ModelError unless ``table`` is a metadata table over ``n_columns`` target columns."""
    if not isinstance(table, dict) or any(k not in table for k in TABLE_FIELDS):
        raise ModelError("metadata table: missing fields")
    K = len(table["keys"])
    ok = (
        sp.issparse(table["counts"])
        and table["counts"].shape == (K, n_columns)
        and np.shape(table["papers"]) == (K,)
        and np.shape(table["base"]) == (n_columns,)
        and isinstance(table["weights"], dict)
    )
    if not ok:
        raise ModelError("metadata table: its counts do not match the model's labels")


def evidence(table: dict[str, Any], items: Sequence[Any], weights: Weights | None = None) -> np.ndarray | None:
    """Each paper's metadata evidence, (n, columns) in log-odds units to add to its calibrated
    columns; None when no paper has a known author or venue word."""
    w = weights or Weights(**table["weights"])
    n, C = len(items), table["counts"].shape[1]
    L = C // 2
    out = np.zeros((n, C), dtype=np.float32)
    found = False
    pairs = [paper_keys(item) for item in items]
    for kind, slot, alpha, w_topic, w_main, least in (
        ("a", 0, w.author_alpha, w.author_topic, w.author_main, 1),
        ("v", 1, w.venue_alpha, w.venue_topic, w.venue_main, w.venue_min),
    ):
        if not (w_topic or w_main):
            continue
        lift = _pooled_lift(table, [p[slot] for p in pairs], kind, alpha, least, w.pool)
        if lift is not None:
            found = True
            out[:, :L] += w_topic * lift[:, :L]
            out[:, L:] += w_main * lift[:, L:]
    return out if found else None


def _pooled_lift(
    table: dict[str, Any], key_lists: Sequence[Sequence[str]], kind: str, alpha: float, least: int, pool: float
) -> np.ndarray | None:
    """The smoothed log-lift of each paper's known keys of one kind, summed and divided by their
    number to the power ``pool`` (1 = the mean), (n, columns); rows of papers with no known key
    are 0. None when no paper has one."""
    keys, base = table["keys"], table["base"]
    owner = np.repeat(np.arange(len(key_lists)), [len(k) for k in key_lists])
    hashed = _hash(kind, [k for ks in key_lists for k in ks])
    if not len(hashed) or not len(keys):
        return None
    at = np.minimum(np.searchsorted(keys, hashed), len(keys) - 1)
    hit = (keys[at] == hashed) & (table["papers"][at] >= least)
    if not hit.any():
        return None
    at, owner = at[hit], owner[hit]
    counts = table["counts"][at].toarray()
    n_key = table["papers"][at].astype(np.float32)[:, None]
    lift = np.log((counts + alpha * base) / ((n_key + alpha) * base))
    per_paper = np.bincount(owner, minlength=len(key_lists)).astype(np.float32)
    mean = sp.csr_matrix(
        (per_paper[owner] ** -pool, (owner, np.arange(len(owner)))), shape=(len(key_lists), len(owner))
    )
    return np.asarray(mean @ lift, dtype=np.float32)


def apply(P: np.ndarray, E: np.ndarray | None) -> np.ndarray:
    """Calibrated columns ``P`` moved by evidence ``E`` on the log-odds scale (``P`` when None)."""
    if E is None:
        return P
    eps = 1e-6
    Pc = np.clip(P, eps, 1 - eps)
    z = np.log(Pc / (1 - Pc)) + E
    moved = (1.0 / (1.0 + np.exp(-z))).astype(np.float32)
    return np.where(E != 0, moved, P)
