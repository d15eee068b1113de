"""The digest's side of a ranking (reading the digests, their topic labels) in two other processes.

Neither depends on the library. A child forked at the start (before this process imports
scikit-learn) reads and cleans the digests while this process loads its imports, the library and
its features; the ranking needs the papers (:meth:`DigestSide.papers`). Once they are here, a second
child forked from this process labels their topics: it shares the papers and the scikit-learn this
process has loaded by then, so neither is pickled or imported again, and it runs while this process
ranks; the results need the topics only at the end (:meth:`DigestSide.topics`). On a machine with
two cores the halves run at the same time; the results are those of the serial path, which is kept
for small digests, platforms without ``fork`` and processes that already run threads.

An error in a child reaches this process as the same exception (class, message, attributes), so
the user sees the same one line; a child that dies without a word (killed) is replaced by the
serial path in this process.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zotrec.interrupts import held_while_forking, ignored_in_child

if TYPE_CHECKING:
    from multiprocessing.connection import Connection
    from multiprocessing.process import BaseProcess

    from zotrec.paper import Paper
    from zotrec.pipeline import SyncOptions
    from zotrec.ranked import Topic
    from zotrec.recommend.texts import PaperTokens
    from zotrec.sources import SourceReport

log = logging.getLogger("zotrec")

# Local digests smaller than this are read in this process: a fork and the child's own imports
# cost more than they save (a 2,000-paper arXiv digest is about 3 MB).
FORK_FROM_BYTES = 256 * 1024
FORK: bool | None = None  # None: fork when worth_forking() says so; True / False: always / never

Read = tuple[list["Paper"], list["SourceReport"]]
Child = tuple["BaseProcess", "Connection"]  # a forked child and the end of the pipe it answers through


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

    def start_topics(self) -> None:
        """Call once the ranking's imports are loaded: the topics are labelled beside what follows
        when they can be (nothing to do on the serial path)."""

    def tokens(self) -> PaperTokens | None:
        """The word ids of the papers' texts when another process made them (None: the ranking
        makes them itself, as on the serial path)."""
        return None

    def processes(self) -> tuple[int, int]:
        """The ids of the processes that read the digests and labelled their topics."""
        return os.getpid(), os.getpid()

    def close(self) -> None:
        """Stop whatever still runs for this side (nothing on the serial path)."""


class ForkedDigestSide(DigestSide):
    """The same answers, computed by forked children that send them through pipes."""

    def __init__(self, options: SyncOptions, always: bool = False) -> None:
        super().__init__(options)
        self._always = always  # fork the labeller even when threads run (a fork asked for explicitly)
        self._process, self._conn = _fork(_reader, options, name="zotrec-digest")
        self._labeller: Child | None = None
        self._tokens_sent = False  # the reader sends the tokens after the papers
        self._read_there = self._labelled_there = False  # whether the children's answers were used
        self._reader_done = False  # the reader sent its last answer and ends by itself

    def papers(self) -> Read:
        if self._read is None:
            self._read = self._receive(self._process, self._conn, "papers")
            if self._read is None:
                self._read = super().papers()
            else:
                self._read_there = True
                self._tokens_sent = bool(self._read[0])
            if self._read[0] and (self._always or _forkable()):
                self._labeller = _fork(_labeller, self.options, self._read[0], name="zotrec-topics")
        return self._read

    def start_topics(self) -> None:
        """Fork the labeller now (it shares this process's scikit-learn) when the papers are here;
        otherwise :meth:`papers` forks it once they are."""
        import zotrec.recommend.model  # noqa: F401  (scikit-learn, loaded once for both processes)

        if self._read is None and self._conn.poll():
            self.papers()

    def tokens(self) -> PaperTokens | None:
        self.papers()
        tokens = None
        if self._tokens_sent:
            self._tokens_sent = False
            try:
                kind, tokens = self._conn.recv()
            except (EOFError, OSError):  # the reader is gone: the ranking makes them itself
                kind = "none"
            tokens = tokens if kind == "tokens" else None
        self._reader_done = tokens is not None
        if not self._reader_done:  # it may still be at work: stopped now (else it ends by itself)
            _stop(self._process, self._conn)
        return tokens

    def topics(self) -> list[list[Topic]]:
        if self._topics is None:
            self.papers()
            if self._labeller is not None:
                self._topics = self._receive(*self._labeller, "topics")
                self._labelled_there = self._topics is not None
                if not self._labelled_there:
                    _stop(*self._labeller)
            if self._topics is None:
                return super().topics()
        return self._topics

    def _receive(self, process: BaseProcess, conn: Connection, what: str) -> Any:
        """A child's answer (None: the child is gone; the caller computes it here)."""
        try:
            kind, value = conn.recv()
        except (EOFError, OSError):
            log.warning("the digest process ended without its %s; computing them in this process", what)
            return None
        if kind == "error":
            self.close()
            raise rebuild(value)
        return value

    def processes(self) -> tuple[int, int]:
        reader = self._process.pid if self._read_there else os.getpid()
        labeller = self._labeller[0].pid if self._labeller is not None and self._labelled_there else os.getpid()
        return reader or os.getpid(), labeller or os.getpid()

    def close(self) -> None:
        _stop(self._process, self._conn, ending=self._reader_done)
        if self._labeller is not None:
            _stop(*self._labeller, ending=self._labelled_there)


def _fork(target: Callable[..., None], *args: Any, name: str) -> Child:
    """A forked child running ``target(conn, *args)`` (its arguments are inherited, not pickled) and
    the end of the pipe it answers through."""
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    conn, child_end = ctx.Pipe(duplex=False)
    process = ctx.Process(target=_child, args=(target, child_end, *args), name=name, daemon=True)
    with held_while_forking():  # the child ignores Ctrl-C before one can reach it
        process.start()
    child_end.close()
    return process, conn


def _child(target: Callable[..., None], *args: Any) -> None:
    """Run ``target(*args)`` in a forked child that ignores Ctrl-C: the terminal sends it to every
    process of the command, and this process answers it (one line, exit 130) and stops its children;
    a child interrupted itself would print its own traceback or send the interruption as its answer."""
    ignored_in_child()
    target(*args)


def _stop(process: BaseProcess, conn: Connection, ending: bool = False) -> None:
    """End ``process`` (``ending``: it sent all it had; it is given a second to end by itself)."""
    if ending:
        process.join(1.0)
    if process.is_alive():
        process.terminate()
    process.join()
    conn.close()


def _forkable() -> bool:
    return sys.platform.startswith("linux") and threading.active_count() == 1


def start(options: SyncOptions, fork: bool | None = None) -> DigestSide:
    """The digest side of a run: forked when ``fork`` (None: as :data:`FORK` says). A fork asked
    for (``fork`` or :data:`FORK` true) forks the labeller too, even while threads run."""
    always = fork if fork is not None else FORK
    if fork is None:
        fork = FORK if FORK is not None else worth_forking(options.digests)
    return ForkedDigestSide(options, always=bool(always)) if fork else DigestSide(options)


def worth_forking(digests: list[str]) -> bool:
    """Whether other processes pay: Linux (``fork`` is safe there before any thread starts), no
    thread running, and a digest to fetch or local digests of :data:`FORK_FROM_BYTES` or more."""
    if not _forkable() or not digests:
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


def _reader(conn: Connection, options: SyncOptions) -> None:
    """The first child: the papers of the digests, then the word ids of their texts (it needs numpy,
    not scikit-learn: :func:`zotrec.recommend.texts.tokenize`)."""
    side = DigestSide(options)
    if _answer(conn, "papers", side.papers) and side.papers()[0]:
        try:
            from zotrec.recommend.texts import tokenize

            conn.send(("tokens", tokenize(side.papers()[0])))
        except Exception:  # the ranking makes them itself
            pass
    conn.close()


def _labeller(conn: Connection, options: SyncOptions, papers: list[Paper]) -> None:
    """The second child: the topics of ``papers`` (shared with this process by the fork)."""
    from zotrec.pipeline import label_topics

    _answer(conn, "topics", lambda: label_topics(papers, options))
    conn.close()


def _answer(conn: Connection, kind: str, compute: Callable[[], Any]) -> bool:
    """Send ``compute()``, or the error it raised (False)."""
    try:
        conn.send((kind, compute()))
        return True
    except BaseException as err:  # the parent raises it as its own
        try:
            conn.send(("error", portable(err)))
        except Exception:  # the parent is gone or the error cannot travel: it falls back to the serial path
            pass
        return False


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
