"""The `Paper` record every stage exchanges, and identifier normalisation."""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field, fields
from datetime import date
from functools import lru_cache
from typing import Any

from zotrec.text import clean_label, clean_text, clean_texts, clean_url, strip_accents

_ARXIV_NEW = re.compile(r"(?<![\d.])(\d{4}\.\d{4,5})(v\d+)?(?!\d)")
_ARXIV_OLD = re.compile(r"(?<![\w.-])([a-z][a-z-]*(?:\.[A-Z]{2})?/\d{7})(v\d+)?(?!\d)")
_DOI = re.compile(r"10\.\d{4,9}/\S+", re.IGNORECASE)


def normalize_arxiv_id(value: str | None) -> str | None:
    """Return the arXiv id without version (``2401.01234``, ``hep-th/9901001``), or None."""
    if not value:
        return None
    text = value.strip()
    match = _ARXIV_NEW.search(text) or _ARXIV_OLD.search(text)
    return match.group(1) if match else None


def arxiv_version(value: str | None) -> str | None:
    """Return the version suffix (``v2``) of an arXiv id or URL, or None."""
    if not value:
        return None
    match = _ARXIV_NEW.search(value) or _ARXIV_OLD.search(value)
    return match.group(2) if match and match.group(2) else None


def normalize_doi(value: str | None) -> str | None:
    """Return a lower-case bare DOI (``10.1038/xyz``) from a DOI, doi: URI or doi.org URL."""
    if not value:
        return None
    match = _DOI.search(value.strip())
    if not match:
        return None
    return match.group(0).rstrip(".,;)]}>\"'").lower()


def normalize_title(value: str | None) -> str:
    """Fold a title for matching: accents stripped, lower case, punctuation and markup dropped."""
    if not value:
        return ""
    return _normalize_title(value)


@lru_cache(maxsize=1 << 16)  # a run asks for the same titles several times (dedupe, merge, push)
def _normalize_title(value: str) -> str:
    text = strip_accents(value)
    if "$" in text:
        text = _INLINE_TEX.sub(" ", text)
    if "<" in text:
        text = _HTML_TAG.sub(" ", text)
    return " ".join(_NON_WORD.sub(" ", text.lower()).split())


_INLINE_TEX = re.compile(r"\$[^$]*\$")
_HTML_TAG = re.compile(r"<[^>]+>")
_NON_WORD = re.compile(r"[^\w]+")


_ARXIV_DOI = re.compile(r"10\.48550/arxiv\.(.+)", re.IGNORECASE)


def identity_keys(arxiv_id: str | None, doi: str | None, title: str) -> list[str]:
    """:meth:`Paper.identity_keys` of a paper with these (cleaned) arXiv id, DOI and title."""
    keys = []
    if arxiv_id:
        keys.append(f"arxiv:{arxiv_id.lower()}")
    if doi:
        keys.append(f"doi:{doi.lower()}")
        arxiv_from_doi = _ARXIV_DOI.match(doi)
        if arxiv_from_doi:
            keys.append(f"arxiv:{arxiv_from_doi.group(1).lower()}")
    norm = normalize_title(title)
    if len(norm) >= 12:
        keys.append(f"title:{norm}")
    return keys


def clean_ids(arxiv_id: str | None, doi: str | None) -> tuple[str | None, str | None]:
    """The arXiv id and DOI as a :class:`Paper` keeps them (normalised where they can be)."""
    if arxiv_id:
        raw = clean_label(arxiv_id)
        arxiv_id = normalize_arxiv_id(raw) or raw
    if doi:
        doi = normalize_doi(doi) or clean_label(doi) or None
    return arxiv_id, doi


@dataclass
class Paper:
    """One paper, whatever it came from: a digest entry or an item of the user's library."""

    title: str
    abstract: str = ""
    authors: list[str] = field(default_factory=list)
    date: date | None = None
    arxiv_id: str | None = None
    arxiv_version: str | None = None
    doi: str | None = None
    url: str | None = None
    source: str = ""
    categories: list[str] = field(default_factory=list)
    journal: str | None = None
    item_type: str | None = None  # Zotero item type when known
    key: str | None = None  # Zotero item key when the paper is a library item
    collections: list[str] = field(default_factory=list)  # collection paths ("A/B")
    tags: list[str] = field(default_factory=list)
    date_added: str | None = None  # ISO timestamp, library items only
    extras: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # the one place outside text is made safe: LaTeX decoded, control characters dropped
        self.title = clean_text(self.title)
        self.abstract = clean_text(self.abstract)
        self.authors = clean_texts(self.authors)
        self.journal = clean_text(self.journal) or None
        self.url = clean_url(self.url)
        self.categories = [c for c in map(clean_label, self.categories) if c]
        self.tags = [t for t in map(clean_label, self.tags) if t]
        self.collections = [c for c in map(clean_label, self.collections) if c]
        self.source = clean_label(self.source)
        if self.arxiv_id:
            self.arxiv_version = self.arxiv_version or arxiv_version(clean_label(self.arxiv_id))
        self.arxiv_id, self.doi = clean_ids(self.arxiv_id, self.doi)

    @property
    def journal_item(self) -> bool:
        """A journal's item rather than an arXiv paper: a DOI or journal, no arXiv id."""
        return not self.arxiv_id and bool(self.doi or self.journal)

    @property
    def text(self) -> str:
        """Title and abstract, the text every model reads."""
        return f"{self.title}. {self.abstract}" if self.abstract else self.title

    @property
    def norm_title(self) -> str:
        return normalize_title(self.title)

    def identity_keys(self) -> list[str]:
        """Keys under which two records are the same paper: arXiv id, DOI, normalised title."""
        return identity_keys(self.arxiv_id, self.doi, self.title)

    @property
    def primary_key(self) -> str:
        """The strongest identity key (arXiv id, then DOI, then title)."""
        keys = self.identity_keys()
        return keys[0] if keys else f"title:{self.norm_title}"

    @property
    def link(self) -> str | None:
        """The best URL for a person: arXiv abstract page, then DOI, then the given URL."""
        if self.arxiv_id:
            return f"https://arxiv.org/abs/{self.arxiv_id}"
        if self.doi:
            return f"https://doi.org/{self.doi}"
        return self.url

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (ISO date, identifiers grouped under ``ids``)."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        for name in ("authors", "categories", "collections", "tags"):
            data[name] = list(data[name])
        data["extras"] = copy.deepcopy(self.extras)
        data["date"] = self.date.isoformat() if self.date else None
        data["ids"] = self.ids()
        return data

    def ids(self) -> dict[str, str]:
        """The paper's identifiers as :meth:`to_json` groups them (``{"arxiv": ..., "doi": ...}``, those it has)."""
        return {k: v for k, v in (("arxiv", self.arxiv_id), ("doi", self.doi)) if v}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Paper:
        """Inverse of :meth:`to_json`."""
        fields = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        if isinstance(fields.get("date"), str):
            fields["date"] = date.fromisoformat(fields["date"])
        return cls(**fields)


def dedupe(papers: list[Paper]) -> list[Paper]:
    """Drop later papers that share an arXiv id, DOI or normalised title with an earlier one."""
    seen: set[str] = set()
    kept = []
    for paper in papers:
        keys = paper.identity_keys()
        if any(k in seen for k in keys):
            continue
        seen.update(keys)
        kept.append(paper)
    return kept
