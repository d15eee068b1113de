"""Parsed library files kept between runs: a file whose bytes did not change is not parsed again.

A library given as an export (BibTeX, CSL-JSON, Zotero RDF) is read into a :class:`LibrarySnapshot`
once; the snapshot is kept in the user's cache folder under the file's path, with the SHA-256 of
the file's bytes and the zotrec version that read it. The next run hashes the file (milliseconds
for megabytes) and loads the snapshot when both match; any change to the file, even one that keeps
its size and time stamp, reads it again. The cache is safe to delete; a cache that cannot be read
or written costs one parse, never a failure.
"""

from __future__ import annotations

import hashlib
import logging
import pickle
from collections.abc import Callable
from pathlib import Path

from zotrec.library.base import LibrarySnapshot
from zotrec.private_file import write_private

log = logging.getLogger("zotrec")

CACHE_FORMAT = 1


def _stamp(data: bytes) -> str:
    from zotrec import __version__

    return f"{CACHE_FORMAT}|{__version__}|{hashlib.sha256(data).hexdigest()}"


def _entry(path: Path, folder: Path | None) -> Path:
    if folder is None:
        from zotrec import paths

        folder = paths.cache_dir() / "library-files"
    name = hashlib.blake2b(str(path.resolve()).encode(), digest_size=16).hexdigest()
    return folder / f"{name}.pickle"


def cached_snapshot(
    path: Path, parse: Callable[[Path], LibrarySnapshot], folder: Path | None = None
) -> LibrarySnapshot:
    """``parse(path)``, or the snapshot kept from an earlier parse of the same bytes."""
    data = path.read_bytes()
    stamp = _stamp(data)
    entry = _entry(path, folder)
    try:
        with open(entry, "rb") as fh:
            kept_stamp, snapshot = pickle.load(fh)
        if kept_stamp == stamp and isinstance(snapshot, LibrarySnapshot):
            return snapshot
    except FileNotFoundError:
        pass
    except Exception as err:  # an unreadable cache entry is parsed again
        log.warning("library file cache %s unreadable (%s); reading %s again", entry, type(err).__name__, path)
    snapshot = parse(path)
    try:
        write_private(entry, lambda fh: pickle.dump((stamp, snapshot), fh, protocol=5))
    except OSError as err:
        log.warning("library file cache not written (%s)", err)
    return snapshot
