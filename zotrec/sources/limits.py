"""Digests too large to read are refused before they are parsed: a JSON-lines file is counted line by
line (no parsing), so a run never spends minutes on a file it would refuse anyway."""

from __future__ import annotations

import gzip
from pathlib import Path

from zotrec.errors import SourceError


def count_json_lines(path: Path) -> int | None:
    """Entries of a JSON-lines digest (one object per line), counted without parsing; None for other formats."""
    try:
        opener = gzip.open if path.name.endswith(".gz") else open
        with opener(path, "rb") as fh:
            head = fh.read(65536)
            if not head.lstrip().startswith(b"{") or b"\n" not in head.strip():
                return None
            first = head.lstrip().split(b"\n", 1)[0].strip()
            if not first.endswith(b"}"):
                return None  # a pretty-printed JSON document, not JSON lines
            count = head.count(b"\n")
            last = head
            while chunk := fh.read(1 << 20):
                count += chunk.count(b"\n")
                last = chunk
            return count + (0 if last.endswith(b"\n") else 1)
    except (OSError, EOFError, ValueError):
        return None  # the source reader reports unreadable files


def check_digest_sizes(digests: list[str], limit: int) -> None:
    """Refuse a digest with more entries than ``limit`` before spending minutes parsing and ranking it."""
    from zotrec.sources import is_url

    for spec in digests:
        if is_url(spec):
            continue
        path = Path(spec).expanduser()
        try:
            regular = path.is_file()
        except OSError:  # e.g. a folder on the way that cannot be searched: the reader reports it
            regular = False
        count = count_json_lines(path) if regular else None
        if count is not None and count > limit:
            raise SourceError(
                spec,
                f"holds {count:,} entries; zotrec reads at most {limit:,} papers per run "
                "(sync.max_papers): split the digest or raise the limit",
            )
