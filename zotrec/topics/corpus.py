"""Labelled training corpora: arXiv-style JSONL (plain or gzipped) and CSV with title/abstract/labels."""

from __future__ import annotations

import ast
import csv
import gzip
import io
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from ..errors import ZotrecError
from ..paper import Paper, normalize_arxiv_id, normalize_title
from .taxonomy import canonical

_DAY = re.compile(r"(\d{4}-\d{2}-\d{2})")
_NEW_ID = re.compile(r"^(\d{2})(\d{2})\.\d{4,5}$")

csv.field_size_limit(10_000_000)


class CorpusError(ZotrecError):
    """A training corpus could not be read."""


@dataclass
class Record:
    """One labelled paper of a training corpus."""

    title: str
    abstract: str
    labels: list[str]  # canonical arXiv categories, first = primary
    id: str | None = None
    day: date | None = None  # announcement day when known
    corpus: str = ""
    raw_labels: list[str] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    comment: str = ""  # the submitter's comment ("Accepted to CVPR 2025", "12 pages")
    journal_ref: str = ""

    @property
    def text(self) -> str:
        return f"{self.title}. {self.abstract}" if self.abstract else self.title

    @property
    def primary(self) -> str | None:
        return self.labels[0] if self.labels else None

    def paper(self) -> Paper:
        """The paper as an arXiv digest gives it, without its categories: title, abstract, arXiv id,
        authors, comment and journal reference."""
        extras = {"comment": self.comment} if self.comment else {}
        return Paper(
            title=self.title,
            abstract=self.abstract,
            arxiv_id=self.id,
            authors=self.authors,
            journal=self.journal_ref or None,
            extras=extras,
        )


def clean_labels(values: Iterable[str]) -> list[str]:
    """Canonical arXiv categories in order, duplicates and non-arXiv classes dropped."""
    out: list[str] = []
    for value in values:
        for part in str(value).split():
            code = canonical(part)
            if code and code not in out:
                out.append(code)
    return out


def _id_day(arxiv_id: str | None) -> date | None:
    match = _NEW_ID.match(arxiv_id or "")
    if not match:
        return None
    return date(2000 + int(match.group(1)), int(match.group(2)), 1)


def _open_text(path: Path) -> io.TextIOBase:
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path), encoding="utf-8")
    return path.open(encoding="utf-8", newline="")


def _provenance(folder: Path) -> dict[str, date]:
    """id -> announcement day from a ``provenance.tsv.gz`` sidecar, when the folder has one."""
    path = folder / "provenance.tsv.gz"
    if not path.exists():
        return {}
    days: dict[str, date] = {}
    with _open_text(path) as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            try:
                days[row["id"]] = date.fromisoformat(row["announce_date"])
            except (KeyError, ValueError):
                continue
    return days


def _read_jsonl(path: Path, corpus: str, days: dict[str, date]) -> Iterator[Record]:
    match = _DAY.search(path.name)
    file_day = date.fromisoformat(match.group(1)) if match else None
    with _open_text(path) as handle:
        for number, line in enumerate(handle, 1):
            line = line.strip()
            if not line:
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise CorpusError(f"{path}:{number}: not JSON ({exc.msg})") from None
            cats = row.get("categories") or row.get("labels") or row.get("terms") or []
            if isinstance(cats, str):
                cats = cats.split()
            arxiv_id = normalize_arxiv_id(str(row.get("id") or "")) or row.get("id")
            yield Record(
                title=" ".join(str(row.get("title") or "").split()),
                abstract=" ".join(str(row.get("summary") or row.get("abstract") or "").split()),
                labels=clean_labels(cats),
                id=arxiv_id,
                day=days.get(arxiv_id or "") or file_day or _id_day(arxiv_id),
                corpus=corpus,
                raw_labels=[str(c) for c in cats],
                authors=_author_list(row.get("authors")),
                comment=_one_line(row.get("comment") or row.get("comments")),
                journal_ref=_one_line(row.get("journal_ref") or row.get("journal-ref")),
            )


def _one_line(value: object) -> str:
    return " ".join(str(value).split()) if value else ""


def _author_list(value: object) -> list[str]:
    """Author names from a JSON list or a "A, B and C" string."""
    if isinstance(value, list):
        return [" ".join(str(a).split()) for a in value if isinstance(a, str) and a.strip()]
    if isinstance(value, str):
        return [n.strip() for n in re.split(r",\s*(?:and\s+)?|\s+and\s+", value) if n.strip()]
    return []


def _parse_label_cell(cell: str) -> list[str]:
    cell = (cell or "").strip()
    if cell.startswith("["):
        try:
            value = ast.literal_eval(cell)
            return [str(v) for v in value]
        except (ValueError, SyntaxError):
            pass
    return re.split(r"[\s,;|]+", cell)


def _read_csv(path: Path, corpus: str) -> Iterator[Record]:
    with _open_text(path) as handle:
        reader = csv.DictReader(handle)
        cols = {c.lower(): c for c in reader.fieldnames or []}

        def pick(*names: str) -> str | None:
            return next((cols[n] for n in names if n in cols), None)

        title_col = pick("title", "titles")
        abstract_col = pick("abstract", "summary", "summaries")
        label_col = pick("labels", "categories", "terms", "label")
        if not title_col or not label_col:
            raise CorpusError(f"{path}: a CSV corpus needs a title and a labels/categories column")
        id_col = pick("id", "arxiv_id")
        authors_col, comment_col, journal_col = pick("authors"), pick("comments", "comment"), pick("journal-ref")
        for row in reader:
            cats = _parse_label_cell(row.get(label_col) or "")
            raw_id = (row.get(id_col) or "").strip() if id_col else ""
            if re.fullmatch(r"\d{3}\.\d{4}", raw_id):  # Kaggle CSV lost the leading zero: 704.0001
                raw_id = "0" + raw_id
            arxiv_id = normalize_arxiv_id(raw_id) or (raw_id or None)
            yield Record(
                title=" ".join((row.get(title_col) or "").split()),
                abstract=" ".join((row.get(abstract_col) or "").split()) if abstract_col else "",
                labels=clean_labels(cats),
                id=arxiv_id,
                day=_id_day(arxiv_id),
                corpus=corpus,
                raw_labels=cats,
                authors=_author_list(row.get(authors_col) or "") if authors_col else [],
                comment=_one_line(row.get(comment_col)) if comment_col else "",
                journal_ref=_one_line(row.get(journal_col)) if journal_col else "",
            )


def _files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    if path.is_dir():
        found = [
            p
            for p in sorted(path.rglob("*"))
            if p.is_file() and (p.name.endswith((".jsonl", ".jsonl.gz", ".csv", ".csv.gz")))
        ]
        return found
    raise CorpusError(f"{path}: no such corpus file or folder")


def read_corpus(paths: Iterable[Path | str]) -> list[Record]:
    """Read every corpus file under ``paths``; rows without a title or any arXiv label are dropped.

    Records are deduplicated by arXiv id (else normalised title); the earliest announcement day wins
    and label lists are merged.
    """
    records: list[Record] = []
    provenance: dict[Path, dict[str, date]] = {}
    for raw in paths:
        root = Path(raw)
        for file in _files(root):
            corpus = (file.parent.name if file.parent != root.parent else root.name) or root.name
            if file.name.endswith((".csv", ".csv.gz")):
                records.extend(_read_csv(file, corpus))
            else:
                if file.parent not in provenance:
                    provenance[file.parent] = _provenance(file.parent)
                records.extend(_read_jsonl(file, corpus, provenance[file.parent]))
    return dedupe_records(records)


def dedupe_records(records: list[Record]) -> list[Record]:
    """Merge records of the same paper (arXiv id, else normalised title); keep the earliest day."""
    by_key: dict[str, Record] = {}
    title_key: dict[str, str] = {}
    order: list[str] = []
    for rec in records:
        if not rec.title or not rec.labels:
            continue
        norm = normalize_title(rec.title)
        key = f"id:{rec.id}" if rec.id else title_key.get(norm, f"title:{norm}")
        if not rec.id and norm in title_key:
            key = title_key[norm]
        if key not in by_key:
            by_key[key] = rec
            order.append(key)
            if len(norm) >= 12:
                title_key.setdefault(norm, key)
            continue
        kept = by_key[key]
        for label in rec.labels:
            if label not in kept.labels:
                kept.labels.append(label)
        if rec.day and (kept.day is None or rec.day < kept.day):
            kept.day = rec.day
        if len(rec.abstract) > len(kept.abstract):
            kept.abstract = rec.abstract
    return [by_key[k] for k in order]
