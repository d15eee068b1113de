"""Which papers are written in the language the topic model reads (English).

The topic model is a bag of English words and word pairs: a German, French or Chinese paper
shares few of its words, yet its hashed words land on columns the model knows, and decoded in a
digest's context the likeliest main topic of the batch (often ``stat.OT``) clears the floor of a
forced main topic. Such a paper should get no topic rather than a wrong one, and should not move
the digest's estimated topic mix.

A text most of whose letters are outside the Latin script (Chinese, Japanese, Russian...) is
foreign. Otherwise the language is told by CLD2 (:mod:`pycld2`, Google's compact language
detector) from the title and the start of the abstract: the paper is foreign when that text has
15 words or more, CLD2 is sure, names another language first and finds under a fifth of it
English (an English abstract quoting Portuguese stays English). Shorter texts are never foreign
by CLD2, which is sure that some short English titles are Latin or Danish ("Quantum Matter Makes
Lightcones Quantum"). On the 55,242 arXiv papers of ``../shared/data/corpora`` this marks 5 papers
by title and abstract and 5 by title alone, every one written in French, Spanish or Portuguese;
16.7 microseconds of CPU a paper.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pycld2

from zotrec.paper import Paper

SAMPLE_CHARS = 200  # CLD2 reads the title and this much of the abstract: enough to be sure, cheap
MIN_ENGLISH_PERCENT = 20  # a text CLD2 finds at least this much English is English
MIN_WORDS = 15  # a shorter text in the Latin script is never foreign: CLD2 misreads short English titles
_WORD = re.compile(r"[^\W\d_]+")
_LETTER = re.compile(r"[^\W\d_]")
_NON_LATIN = re.compile(r"[^\W\d_\u0000-\u024f\u1e00-\u1eff]")


def sample(item: Paper | tuple[str, str] | str) -> str:
    """The text the language is told from: the title, then the start of the abstract."""
    if isinstance(item, Paper):
        title, abstract = item.title, item.abstract
    elif isinstance(item, tuple):
        title, abstract = item
    else:
        return str(item)[: SAMPLE_CHARS + 200]
    return f"{(title or '').strip()}. {(abstract or '')[:SAMPLE_CHARS]}"


def is_foreign(text: str) -> bool:
    """Whether ``text`` is surely not English (see the module's docstring)."""
    if not text.isascii():
        letters = len(_LETTER.findall(text))
        if letters and 2 * len(_NON_LATIN.findall(text)) > letters:
            return True
    try:
        reliable, _, found = pycld2.detect(text)
    except pycld2.error:  # bytes CLD2 cannot read (lone surrogates): no verdict
        return False
    if not reliable or found[0][1] in ("en", "un"):
        return False
    english = sum(percent for _, code, percent, _ in found if code == "en")
    return english < MIN_ENGLISH_PERCENT and len(_WORD.findall(text)) >= MIN_WORDS


def foreign(items: Sequence[Paper | tuple[str, str] | str]) -> np.ndarray:
    """True for each item surely written in another language than English."""
    return np.fromiter((is_foreign(sample(i)) for i in items), dtype=bool, count=len(items))
