"""arXiv metadata as CSV (the Kaggle/Cornell snapshot columns, or titles/summaries/terms)."""

from __future__ import annotations

import ast
import csv
import io
import re

from zotrec.paper import Paper
from zotrec.sources.arxiv_jsonl import record_to_paper
from zotrec.sources.common import MAX_BYTES, Options, ParseProblem

NAME = "arxiv-csv"

# other column names -> the JSON-lines names record_to_paper reads
ALIASES = {"titles": "title", "summaries": "summary", "terms": "categories", "abstracts": "abstract"}
_LITERALS = ("categories", "versions", "authors_parsed")


def sniff(text: str) -> bool:
    header = text.split("\n", 1)[0].lower()
    return "," in header and "title" in header and ("abstract" in header or "summar" in header)


def _literal(value: str):
    if value.startswith("["):
        try:
            return ast.literal_eval(value)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            return value
    return value


def parse(text: str, source: str, options: Options) -> list[Paper]:
    csv.field_size_limit(MAX_BYTES)
    try:
        rows = list(csv.DictReader(io.StringIO(text, newline="")))
    except csv.Error as err:
        raise ParseProblem(f"invalid CSV ({err})") from None
    papers = []
    for row in rows:
        rec = {ALIASES.get(k.strip().lower(), k.strip().lower()): (v or "").strip() for k, v in row.items() if k}
        for key in _LITERALS:
            if rec.get(key):
                rec[key] = _literal(rec[key])
        if re.fullmatch(r"\d{3}\.\d{4}", rec.get("id", "")):
            rec["id"] = "0" + rec["id"]  # spreadsheets drop the leading zero of 0704.0001
        paper = record_to_paper(rec, source)
        if paper:
            papers.append(paper)
    if not papers:
        raise ParseProblem("no rows with a title in the CSV")
    return papers
