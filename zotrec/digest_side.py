"""The digest's side of a ranking (reading the digests, their topic labels) in a second process.

Neither depends on the library: while a forked child reads and cleans the digests and labels their
topics, this process loads its own imports, the library and its features. The ranking needs the
papers (:meth:`DigestSide.papers`: the child sends them as soon as they are read), the results
need the topics only at the end (:meth:`DigestSide.topics`). On a machine with two cores the two
halves run at the same time; the results are those of the serial path, which is kept for small
digests, platforms without ``fork`` and processes that already run threads.

An error in the child reaches this process as the same exception (class, message, attributes), so
the user sees the same one line; a child that dies without a word (killed) is replaced by the
serial path in this process.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

    from zotrec.paper import Paper
    from zotrec.pipeline import SyncOptions
    from zotrec.ranked import Topic
    from zotrec.sources import SourceReport

log = logging.getLogger("zotrec")

# Local digests smaller than this are read in this process: a fork and the child's own imports
# cost more than they save (a 2,000-paper arXiv digest is about 3 MB).
FORK_FROM_BYTES = 256 * 1024
FORK: bool | None = None  # None: fork when worth_forking() says so; True / False: always / never

Read = tuple[list["Paper"], list["SourceReport"]]


class DigestSide:
    """The digests' papers and topics, computed here on first request (the serial path)."""

    def __init__(self, options: SyncOptions) -> None:
        self.options = options
        self._read: Read | None = None
        self._topics: list[list[Topic]] | None = None

    def papers(self) -> Read:
        """The papers of every digest and a report per source (:func:`zotrec.pipeline.read_digests`)."""
        if self._read is None:
            from zotrec.pipeline import read_digests

            self._read = read_digests(self.options)
        return self._read

    def topics(self) -> list[list[Topic]]:
        """The topics of each paper, in the order of :meth:`papers` (:func:`zotrec.pipeline.label_topics`)."""
        if self._topics is None:
            from zotrec.pipeline import label_topics

            self._topics = label_topics(self.papers()[0], self.options)
        return self._topics

    def close(self) -> None:
        """Stop whatever still runs for this side (nothing on the serial path)."""


class ForkedDigestSide(DigestSide):
    """The same answers, computed by a forked child that sends them through a pipe."""

    def __init__(self, options: SyncOptions) -> None:
        import multiprocessing

        super().__init__(options)
        ctx = multiprocessing.get_context("fork")
        self._conn, child_end = ctx.Pipe(duplex=False)
        self._process = ctx.Process(target=_child, args=(child_end, options), name="zotrec-digest", daemon=True)
        self._process.start()
        child_end.close()

    def papers(self) -> Read:
        if self._read is None:
            self._read = self._receive("papers")
            if self._read is None:
                return super().papers()
        return self._read

    def topics(self) -> list[list[Topic]]:
        if self._topics is None:
            self.papers()
            self._topics = self._receive("topics")
            self.close()
            if self._topics is None:
                return super().topics()
        return self._topics

    def _receive(self, what: str) -> Any:
        """The child's next answer (None: the child is gone; the caller computes it here)."""
        try:
            kind, value = self._conn.recv()
        except (EOFError, OSError):
            log.warning("the digest process ended without its %s; reading them in this process", what)
            self.close()
            return None
        if kind == "error":
            self.close()
            raise rebuild(value)
        return value

    def close(self) -> None:
        if self._process.is_alive():
            self._process.terminate()
        self._process.join()
        self._conn.close()


def start(options: SyncOptions, fork: bool | None = None) -> DigestSide:
    """The digest side of a run: forked when ``fork`` (None: as :data:`FORK` says)."""
    if fork is None:
        fork = FORK if FORK is not None else worth_forking(options.digests)
    return ForkedDigestSide(options) if fork else DigestSide(options)


def worth_forking(digests: list[str]) -> bool:
    """Whether a second process pays: Linux (``fork`` is safe there before any thread starts), no
    thread running, and a digest to fetch or local digests of :data:`FORK_FROM_BYTES` or more."""
    if not sys.platform.startswith("linux") or threading.active_count() > 1 or not digests:
        return False
    from zotrec.sources import expand, is_url

    total = 0
    for spec in digests:
        spec = expand(str(spec))
        if is_url(spec):
            return True
        try:
            total += Path(spec).stat().st_size
        except OSError:
            continue  # the reader reports it
    return total >= FORK_FROM_BYTES


def _child(conn: Connection, options: SyncOptions) -> None:
    """The forked process: papers first (the ranking waits for them), then their topics."""
    try:
        side = DigestSide(options)
        conn.send(("papers", side.papers()))
        conn.send(("topics", side.topics()))
    except BaseException as err:  # the parent raises it as its own
        try:
            conn.send(("error", portable(err)))
        except Exception:  # the parent is gone or the error cannot travel: it falls back to the serial path
            pass
    finally:
        conn.close()


def portable(err: BaseException) -> tuple[type[BaseException], tuple[Any, ...], dict[str, Any], str]:
    """What :func:`rebuild` needs to raise ``err`` again in another process (its class is pickled
    by name; its constructor is not called again, so a class with its own arguments travels too)."""
    import pickle

    cls, state = type(err), dict(getattr(err, "__dict__", {}))
    text = "".join(traceback.format_exception(err))
    try:
        pickle.dumps((cls, err.args, state))
    except Exception:
        return RuntimeError, (f"{cls.__name__}: {err}",), {}, text
    return cls, err.args, state, text


def rebuild(value: tuple[type[BaseException], tuple[Any, ...], dict[str, Any], str]) -> BaseException:
    """The exception :func:`portable` described, with the child's traceback as a note (``--debug``)."""
    cls, args, state, text = value
    err = cls.__new__(cls)
    err.args = args
    err.__dict__.update(state)
    err.add_note(f"in the digest process (pid {os.getpid()}'s child):\n{text.rstrip()}")
    return err
