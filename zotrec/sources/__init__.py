"""Digest sources: read any supported format, from a file or a URL, into `Paper` records.

``read_digest(spec)`` reads one file path or URL (``read_source`` gives just its papers) and raises
:class:`SourceError` with a one-line problem; ``read_sources(specs)`` reads many, never raises for
one bad source, and de-duplicates. ``parse_digest(data, name)`` is the common path of files and
downloaded URLs. A digest cut off in the middle gives its complete entries, and a ``partial`` line
that says so (:mod:`zotrec.sources.truncated`).

Formats (detected from the content; ``format=`` forces one; each a module of this package):

=============  ===================================================================  ==============
format         what                                                                 module
=============  ===================================================================  ==============
hf-text        Hugging Face Papers page copied as text (title, abstract, N authors)  hf_text
hf-html        Hugging Face Papers page HTML (embedded JSON, cards, or its text)     hf_html
hf-api         huggingface.co/api/daily_papers JSON                                  hf_api
arxiv-feed     rss.arxiv.org RSS / Atom (announce type kept as ``extras["section"]``) arxiv_feed
arxiv-api      export.arxiv.org/api/query Atom, old and new style                    arxiv_api
arxiv-mail     arXiv daily listing e-mail (new / cross / replacement sections)       arxiv_mail
journal-rdf    journal RSS 1.0 / RDF with PRISM and Dublin Core (Nature)             journal_rdf
feed           any RSS 2.0 / Atom; news and corrections get ``extras["non_research"]``  generic_feed
arxiv-jsonl    arXiv metadata JSON lines (corpora, Kaggle snapshot), also ``.gz``    arxiv_jsonl
arxiv-csv      arXiv metadata CSV (Kaggle snapshot columns, or titles/summaries)     arxiv_csv
bibtex         BibTeX / BibLaTeX (bibtexparser 1.x); keywords -> tags                bibtex
ris            RIS (rispy); KW -> tags                                               ris
csl-json       CSL-JSON; keyword -> tags                                             csl_json
zotero-rdf     Zotero RDF; dc:subject -> tags, z:Collection -> collection paths      zotero_rdf
=============  ===================================================================  ==============

Limits: a digest larger than :data:`MAX_BYTES` (40 MB, also after gunzip) is refused; only regular
files are read (a FIFO or a device is refused before any read); a source that yields no paper is an
error. URLs go through :mod:`zotrec.sources.fetch` (retries, cache, an overall deadline);
``enrich=True`` looks titles up in the arXiv API (:mod:`zotrec.sources.enrich`).
"""

from __future__ import annotations

import datetime as dt
import gzip
import importlib
import io
import logging
import os
import pathlib
import stat
import zlib
from dataclasses import dataclass

from zotrec.errors import SourceError
from zotrec.paper import Paper, dedupe
from zotrec.sources.common import MAX_BYTES, Options, ParseProblem, decode, one_line, source_error
from zotrec.sources.detect import FORMATS, detect_format
from zotrec.sources.shorthand import expand

log = logging.getLogger(__name__)

__all__ = [
    "MAX_BYTES",
    "FORMATS",
    "Digest",
    "SourceReport",
    "detect_format",
    "is_url",
    "parse_bytes",
    "parse_digest",
    "read_digest",
    "read_source",
    "read_sources",
    "sources_exit_code",
]


@dataclass
class SourceReport:
    """What happened to one source of a run: papers read (and why only part, if so), or the one-line error."""

    source: str
    count: int
    error: str | None = None
    format: str | None = None
    partial: str | None = None  # read, but only in part: why (a file cut off, lines skipped)


def is_url(spec: str) -> bool:
    return spec.lower().startswith(("http://", "https://"))


def _size_problem(size: int) -> str:
    return f"too large ({size / 1e6:.1f} MB; the limit for a digest is {MAX_BYTES // (1024 * 1024)} MB)"


def _gunzip(data: bytes) -> tuple[bytes, bool]:
    """The decompressed bytes, and whether the compressed stream ends early (a file cut off: the
    part before the cut is returned)."""
    cut = False
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as fh:
            out = fh.read(MAX_BYTES + 1)
    except EOFError as err:  # the stream ends before its end marker: keep what it holds
        try:
            out, cut = zlib.decompressobj(wbits=31).decompress(data, MAX_BYTES + 1), True
        except zlib.error:
            out = b""
        if not out.strip():
            raise ParseProblem(f"broken gzip data ({one_line(err, 80)})") from None
    except (OSError, zlib.error) as err:
        raise ParseProblem(f"broken gzip data ({one_line(err, 80)})") from None
    if len(out) > MAX_BYTES:
        raise ParseProblem(_size_problem(len(out)) + " after decompression")
    return out, cut


@dataclass
class Digest:
    """The papers of one digest, and why only part of it was read (a file cut off), if so."""

    papers: list[Paper]
    partial: str | None = None


def _parse_text(text: str, name: str, options: Options, format: str | None) -> tuple[str, list[Paper]]:
    """The format of decoded ``text`` and its papers (:class:`ParseProblem` when it holds none)."""
    try:
        fmt = format or detect_format(text, name.removesuffix(".gz"))
    except RecursionError:
        raise ParseProblem("nested too deeply to be a digest") from None
    if fmt not in FORMATS:
        raise ParseProblem(f"unknown format {fmt!r} (known: {', '.join(FORMATS)})")
    module = importlib.import_module(f"zotrec.sources.{FORMATS[fmt]}")
    try:
        papers = module.parse(text, name, options)
    except (ParseProblem, SourceError, MemoryError):
        raise
    except RecursionError:
        raise ParseProblem(f"could not parse as {fmt}: nested too deeply") from None
    except Exception as err:  # a parser library choked: report it on one line
        raise ParseProblem(f"could not parse as {fmt}: {type(err).__name__}: {err}") from err
    if not papers and not options.skip_replacements:
        raise ParseProblem(f"no papers found (read as {fmt})")
    return fmt, papers


def parse_digest(
    data: bytes,
    name: str,
    *,
    digest_date: dt.date | None = None,
    skip_replacements: bool = False,
    format: str | None = None,
) -> Digest:
    """Detect the format of ``data`` and parse it; ``name`` (path or URL) becomes ``Paper.source``.

    A feed or JSON list cut off in the middle gives the complete entries before the cut, with
    ``partial`` saying so (:mod:`zotrec.sources.truncated`); so does a parser that skipped part
    of its input (an unreadable line, an entry cut off).
    """
    try:
        if len(data) > MAX_BYTES:
            raise ParseProblem(_size_problem(len(data)))
        if not data.strip():
            raise ParseProblem("empty file" if data == b"" else "empty (only whitespace)")
        cut = False
        if data[:2] == b"\x1f\x8b":
            data, cut = _gunzip(data)
            if not data.strip():
                raise ParseProblem("empty after decompression")
        text = decode(data)
        options = Options(digest_date=digest_date or dt.date.today(), skip_replacements=skip_replacements)
        try:
            fmt, papers = _parse_text(text, name, options, format)
        except ParseProblem as problem:
            from zotrec.sources.truncated import repair

            repaired = repair(text, problem)
            if repaired is None and cut:
                raise ParseProblem("broken gzip data (it ends early, before one complete entry)") from None
            if repaired is None:
                raise
            try:
                fmt, papers = _parse_text(repaired.text, name, options, format)
            except ParseProblem:
                raise problem from None
            options.partial = repaired.note
        if cut:
            options.partial = (
                "partly read: the compressed file ends early (cut off?); "
                f"read the {len(papers)} papers before the cut, the rest is missing"
            )
    except ParseProblem as err:
        raise source_error(name, err) from None
    for paper in papers:
        paper.source = name
        paper.extras.setdefault("format", fmt)
    return Digest(papers, options.partial)


def parse_bytes(
    data: bytes,
    name: str,
    *,
    digest_date: dt.date | None = None,
    skip_replacements: bool = False,
    format: str | None = None,
    **_ignored: object,
) -> list[Paper]:
    """The papers of :func:`parse_digest` (whether it read only part of ``data`` is not kept)."""
    return parse_digest(data, name, digest_date=digest_date, skip_replacements=skip_replacements, format=format).papers


def _read_file(spec: str) -> bytes:
    """The bytes of a regular file (a FIFO, device or directory is refused before any read)."""
    path = pathlib.Path(spec).expanduser()
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))  # a FIFO must not block the open
    except FileNotFoundError:
        raise source_error(spec, "file not found") from None
    except PermissionError:
        raise source_error(spec, "permission denied") from None
    except OSError as err:
        raise source_error(spec, f"cannot read ({err.strerror or err})") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise source_error(spec, "is a directory, not a digest file")
        if not stat.S_ISREG(info.st_mode):
            kind = (
                "a FIFO"
                if stat.S_ISFIFO(info.st_mode)
                else "a device"
                if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode)
                else "not a file"
            )
            raise source_error(spec, f"is {kind}, not a regular file: zotrec reads digests from regular files only")
        if info.st_size > MAX_BYTES:
            raise source_error(spec, _size_problem(info.st_size))
        with os.fdopen(fd, "rb", closefd=False) as fh:
            data = fh.read(MAX_BYTES + 1)  # bounded even if the file grows while it is read
        if len(data) > MAX_BYTES:
            raise source_error(spec, _size_problem(len(data)))
        return data
    except PermissionError:
        raise source_error(spec, "permission denied") from None
    except OSError as err:
        raise source_error(spec, f"cannot read ({err.strerror or err})") from None
    finally:
        os.close(fd)


def read_digest(
    spec: str,
    *,
    digest_date: dt.date | None = None,
    skip_replacements: bool = False,
    cache_dir: pathlib.Path | None = None,
    format: str | None = None,
    dedupe_within: bool = True,
    timeout: float | None = None,
) -> Digest:
    """Read one digest (file path, http(s) URL, or a shorthand: ``cs.LG``, ``hf``; see
    :mod:`zotrec.sources.shorthand`) into papers, de-duplicated within the source.

    ``dedupe_within=False`` keeps every entry (``zotrec library import`` wants each item);
    ``timeout`` bounds a URL's whole download in seconds (default :data:`~zotrec.sources.fetch.DEADLINE`).
    """
    spec = expand(str(spec))
    if is_url(spec):
        from zotrec.sources.fetch import DEADLINE, fetch

        data = fetch(spec, cache_dir=cache_dir, deadline=timeout or DEADLINE)
    else:
        data = _read_file(spec)
    digest = parse_digest(data, spec, digest_date=digest_date, skip_replacements=skip_replacements, format=format)
    if dedupe_within:
        digest.papers = dedupe(digest.papers)
    return digest


def read_source(spec: str, **options: object) -> list[Paper]:
    """The papers of :func:`read_digest` (same options)."""
    return read_digest(spec, **options).papers  # type: ignore[arg-type]


def read_sources(
    specs: list[str],
    *,
    digest_date: dt.date | None = None,
    skip_replacements: bool = False,
    cache_dir: pathlib.Path | None = None,
    enrich: bool = False,
    timeout: float | None = None,
) -> tuple[list[Paper], list[SourceReport]]:
    """Read every source; a failing one is recorded in its report and the others are still read.

    Papers are de-duplicated within and across sources (first occurrence wins).
    """
    papers: list[Paper] = []
    reports: list[SourceReport] = []
    for spec in specs:
        try:
            digest = read_digest(
                spec,
                digest_date=digest_date,
                skip_replacements=skip_replacements,
                cache_dir=cache_dir,
                timeout=timeout,
            )
        except SourceError as err:
            reports.append(SourceReport(str(spec), 0, err.problem))
            continue
        except Exception as err:  # never let one source kill the run
            reports.append(SourceReport(str(spec), 0, one_line(f"{type(err).__name__}: {err}")))
            continue
        got = digest.papers
        fmt = got[0].extras.get("format") if got else None
        reports.append(SourceReport(str(spec), len(got), None, fmt, digest.partial))
        papers.extend(got)
    if enrich and papers:
        from zotrec.sources.enrich import enrich_papers

        try:
            enrich_papers(papers, cache_dir=cache_dir)
        except Exception as err:  # enrichment is a bonus: never lose the papers over it
            log.warning("enrichment failed: %s", one_line(f"{type(err).__name__}: {err}"))
    return dedupe(merge_duplicates(papers)), reports


def sources_exit_code(reports: list[SourceReport]) -> int:
    """The exit code the sources make: 7 when every one failed, 3 when one failed or was read in part."""
    from zotrec.errors import EXIT_INPUT, EXIT_OK, EXIT_PARTIAL

    failed = sum(1 for report in reports if report.error)
    if reports and failed == len(reports):
        return EXIT_INPUT
    return EXIT_PARTIAL if failed or any(report.partial for report in reports) else EXIT_OK


_FILLABLE = ("arxiv_id", "arxiv_version", "doi", "authors", "abstract", "date", "categories", "journal", "url")


def merge_duplicates(papers: list[Paper]) -> list[Paper]:
    """Fill the empty fields of the first record of each paper from its later duplicates.

    :func:`zotrec.paper.dedupe` then keeps the first record, now the richest: the HF page text
    (no ids, no authors) read with the same papers' API JSON or an arXiv feed gets both.
    """
    first_of: dict[str, Paper] = {}
    for paper in papers:
        keys = paper.identity_keys()
        first = next((first_of[k] for k in keys if k in first_of), None)
        if first is None or first is paper:
            for key in keys:
                first_of.setdefault(key, paper)
            continue
        for name in _FILLABLE:
            if not getattr(first, name) and getattr(paper, name):
                value = getattr(paper, name)
                setattr(first, name, list(value) if isinstance(value, list) else value)
        for key, value in paper.extras.items():
            if key != "format":
                first.extras.setdefault(key, value)
        for key in first.identity_keys():
            first_of.setdefault(key, first)
    return papers
