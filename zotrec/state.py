"""The state file (SQLite, WAL): runs, papers seen, items pushed, feedback.

The schema is versioned with ``PRAGMA user_version`` and upgraded by ordered migrations; a file
written by a newer zotrec is refused, and a corrupt file is moved aside and rebuilt.
"""

from __future__ import annotations

import functools
import json
import sqlite3
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zotrec.errors import StateError
from zotrec.paths import make_private

MIGRATIONS: list[str] = [
    # 1: the first schema
    """
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY AUTOINCREMENT, started REAL NOT NULL, finished REAL,
        outcome TEXT NOT NULL DEFAULT 'running', counts TEXT NOT NULL DEFAULT '{}',
        summary TEXT);
    CREATE TABLE seen (
        identity TEXT PRIMARY KEY, title TEXT NOT NULL, first_run INTEGER, last_run INTEGER,
        score REAL);
    CREATE TABLE pushed (
        identity TEXT PRIMARY KEY,          -- Paper.primary_key of the recommended paper
        run_id INTEGER NOT NULL, library TEXT NOT NULL, collection TEXT NOT NULL,
        status TEXT NOT NULL,               -- intent | created | done | failed
        item_key TEXT, write_token TEXT, note_token TEXT,
        item TEXT NOT NULL,                 -- the item JSON to create (kept until done)
        note TEXT NOT NULL,                 -- the note HTML
        paper TEXT NOT NULL,                -- Paper.to_json()
        error TEXT, created REAL NOT NULL, updated REAL NOT NULL);
    CREATE INDEX pushed_status ON pushed(status);
    CREATE TABLE library_cache (
        library TEXT PRIMARY KEY, version TEXT NOT NULL, size INTEGER NOT NULL,
        features BLOB NOT NULL, updated REAL NOT NULL);
    CREATE TABLE feedback (
        identity TEXT PRIMARY KEY, item_key TEXT, value INTEGER NOT NULL, reason TEXT NOT NULL,
        paper TEXT NOT NULL, updated REAL NOT NULL);
    """,
    # 2: pending pushes are looked up by library and status on every run
    """
    CREATE INDEX pushed_library_status ON pushed(library, status);
    CREATE INDEX runs_outcome ON runs(outcome);
    """,
    # 3: pushes and feedback keyed per library: the same paper may be pushed to two libraries, and
    # feedback given in one library never changes another's scores. Old 'failed' rows were retried
    # on every run: they become intents again (a failure no retry can fix is now 'failed').
    """
    CREATE TABLE feedback_by_library (
        library TEXT NOT NULL, identity TEXT NOT NULL, item_key TEXT, value INTEGER NOT NULL,
        reason TEXT NOT NULL, paper TEXT NOT NULL, updated REAL NOT NULL,
        PRIMARY KEY (library, identity));
    INSERT INTO feedback_by_library
        SELECT coalesce((SELECT p.library FROM pushed p WHERE p.identity = f.identity), ''),
               f.identity, f.item_key, f.value, f.reason, f.paper, f.updated
        FROM feedback f;
    DROP TABLE feedback;
    ALTER TABLE feedback_by_library RENAME TO feedback;
    CREATE TABLE pushed_by_library (
        library TEXT NOT NULL,
        identity TEXT NOT NULL,             -- Paper.primary_key of the recommended paper
        run_id INTEGER NOT NULL, collection TEXT NOT NULL,
        status TEXT NOT NULL,               -- intent | created | done | failed (not retried)
        item_key TEXT, write_token TEXT, note_token TEXT,
        item TEXT NOT NULL, note TEXT NOT NULL, paper TEXT NOT NULL,
        error TEXT, created REAL NOT NULL, updated REAL NOT NULL,
        PRIMARY KEY (library, identity));
    INSERT INTO pushed_by_library
        SELECT library, identity, run_id, collection,
               CASE status WHEN 'failed' THEN (CASE WHEN item_key IS NULL THEN 'intent' ELSE 'created' END)
                           ELSE status END,
               item_key, write_token, note_token, item, note, paper, error, created, updated
        FROM pushed;
    DROP TABLE pushed;
    ALTER TABLE pushed_by_library RENAME TO pushed;
    CREATE INDEX pushed_library_status ON pushed(library, status);
    CREATE INDEX pushed_run ON pushed(run_id);
    """,
    # 4: library features live in the cache folder (zotrec.recommend.cache): the old table of
    # pickled features, tens of MB for a large library, goes
    """
    DROP TABLE IF EXISTS library_cache;
    """,
]
SCHEMA_VERSION = len(MIGRATIONS)


@dataclass
class PushRecord:
    identity: str
    run_id: int
    library: str
    collection: str
    status: str
    item_key: str | None
    write_token: str | None
    note_token: str | None
    item: dict[str, Any]
    note: str
    paper: dict[str, Any]
    error: str | None


class StateStore:
    """Open (creating or upgrading) the state file at ``path``."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise self.unusable(err) from None
        self.recovered_from: Path | None = None
        self.corruption: str | None = None
        for private in (self.path.parent, self.path, Path(f"{self.path}-wal"), Path(f"{self.path}-shm")):
            make_private(private)
        if self.path.exists() and not self.path.is_file():
            raise StateError(f"{self.path}: the state file is not a regular file; move it away")
        try:
            self._db = self._open()
        except sqlite3.OperationalError as err:  # read-only, disk full, locked: not corruption
            raise self.unusable(err) from None
        except sqlite3.DatabaseError as err:
            try:
                self.recovered_from = self._move_aside(err)
                self._db = self._open()
            except (OSError, sqlite3.Error) as again:
                raise StateError(f"{self.path}: unusable state file ({err}) and cannot rebuild it ({again})") from None

    @classmethod
    def blank(cls) -> StateStore:
        """An empty state in memory: what a read-only command reads before the first sync, so that
        it does not create the state file for nothing."""
        store = cls.__new__(cls)
        store.path = Path(":memory:")
        store.recovered_from = None
        store.corruption = None
        store._db = store._prepare(sqlite3.connect(":memory:", isolation_level=None))
        return store

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            return self._prepare(db)
        except BaseException:
            db.close()
            raise

    def _prepare(self, db: sqlite3.Connection) -> sqlite3.Connection:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:  # checked before anything (even the journal mode) touches the file
            raise StateError(
                f"{self.path}: written by a newer zotrec (schema {version} > {SCHEMA_VERSION}); "
                "upgrade zotrec or move the file away"
            )
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        if version > 0:
            db.execute("SELECT count(*) FROM runs").fetchone()  # touch a table: detects corruption
            check = db.execute("PRAGMA quick_check").fetchone()
            if not check or check[0] != "ok":
                raise sqlite3.DatabaseError(f"integrity check failed: {check[0] if check else 'no answer'}")
        for number in range(version, SCHEMA_VERSION):
            db.execute("BEGIN IMMEDIATE")
            for statement in MIGRATIONS[number].split(";"):
                if statement.strip():
                    db.execute(statement)
            db.execute(f"PRAGMA user_version = {number + 1}")
            db.execute("COMMIT")
        return db

    def _move_aside(self, err: Exception) -> Path:
        self.corruption = str(err)
        aside = self.path.with_name(f"{self.path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
        number = 1
        while aside.exists():
            number += 1
            aside = aside.with_name(f"{self.path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}-{number}")
        self.path.rename(aside)
        for suffix in ("-wal", "-shm"):
            extra = Path(str(self.path) + suffix)
            if extra.exists():
                extra.rename(Path(str(aside) + suffix))
        return aside

    def rebuilt_warning(self) -> str | None:
        """The warning for a file that was corrupt and rebuilt (None when it was not). The rebuilt file
        numbers its runs after the kept reports', so no new run's report replaces an older one."""
        if not self.recovered_from:
            return None
        from zotrec.report import highest_kept_run

        self.number_runs_after(highest_kept_run())
        return f"state file was corrupt; moved to {self.recovered_from} and rebuilt"

    def unusable(self, err: BaseException) -> StateError:
        """The one-line error for a state file that cannot be written (or opened)."""
        return StateError(
            f"{self.path}: cannot use the state file ({err}); check that the disk has free space and that "
            "the file and its folder are writable by you"
        )

    def close(self) -> None:
        self._db.close()

    def _tx(self) -> _Transaction:
        return _Transaction(self._db)

    # -- runs ----------------------------------------------------------------------------
    def number_runs_after(self, run_id: int) -> None:
        """Make the next run's number larger than ``run_id`` (a rebuilt file would start again at 1)."""
        with self._tx():
            current = self._db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'runs'").fetchone()
            if current is None:
                self._db.execute("INSERT INTO sqlite_sequence (name, seq) VALUES ('runs', ?)", (run_id,))
            elif current[0] < run_id:
                self._db.execute("UPDATE sqlite_sequence SET seq = ? WHERE name = 'runs'", (run_id,))

    def start_run(self) -> int:
        cur = self._db.execute("INSERT INTO runs (started) VALUES (?)", (time.time(),))
        assert cur.lastrowid is not None
        return int(cur.lastrowid)

    def finish_run(
        self, run_id: int, outcome: str, counts: dict[str, Any], summary: dict[str, Any] | None = None
    ) -> None:
        self._db.execute(
            "UPDATE runs SET finished = ?, outcome = ?, counts = ?, summary = ? WHERE id = ?",
            (time.time(), outcome, json.dumps(counts), json.dumps(summary) if summary else None, run_id),
        )

    def mark_interrupted(self) -> int:
        """Runs left 'running' by a process that died (call with the run lock held)."""
        cur = self._db.execute("UPDATE runs SET outcome = 'interrupted' WHERE outcome = 'running'")
        return cur.rowcount

    def runs(self, limit: int = 20) -> list[dict[str, Any]]:
        rows = self._db.execute(
            "SELECT id, started, finished, outcome, counts FROM runs ORDER BY id DESC LIMIT ?", (limit,)
        )
        return [
            {"id": r[0], "started": r[1], "finished": r[2], "outcome": r[3], "counts": json.loads(r[4])} for r in rows
        ]

    def run_summary(self, run_id: int) -> dict[str, Any] | None:
        row = self._db.execute("SELECT summary FROM runs WHERE id = ?", (run_id,)).fetchone()
        return json.loads(row[0]) if row and row[0] else None

    def last_run_id(self) -> int | None:
        row = self._db.execute("SELECT max(id) FROM runs WHERE summary IS NOT NULL").fetchone()
        return row[0] if row else None

    # -- seen papers ---------------------------------------------------------------------
    def mark_seen(self, run_id: int, entries: list[tuple[str, str, float | None]]) -> None:
        with self._tx():
            self._db.executemany(
                "INSERT INTO seen VALUES (?, ?, ?, ?, ?) ON CONFLICT(identity) DO UPDATE SET "
                "last_run = excluded.last_run, score = excluded.score",
                [(identity, title, run_id, run_id, score) for identity, title, score in entries],
            )

    # -- pushes (exactly once) -------------------------------------------------------------
    def record_intents(self, records: list[PushRecord]) -> None:
        """Write the intent to push before anything is sent to the library."""
        now = time.time()
        with self._tx():
            self._db.executemany(
                "INSERT OR IGNORE INTO pushed (identity, run_id, library, collection, status, item_key, "
                "write_token, note_token, item, note, paper, error, created, updated) "
                "VALUES (?, ?, ?, ?, 'intent', NULL, ?, ?, ?, ?, ?, NULL, ?, ?)",
                [
                    (
                        r.identity,
                        r.run_id,
                        r.library,
                        r.collection,
                        r.write_token,
                        r.note_token,
                        json.dumps(r.item),
                        r.note,
                        json.dumps(r.paper),
                        now,
                        now,
                    )
                    for r in records
                ],
            )

    def set_batch_token(self, library: str, identities: list[str], token: str, column: str = "write_token") -> None:
        assert column in ("write_token", "note_token")
        with self._tx():
            self._db.executemany(
                f"UPDATE pushed SET {column} = ?, updated = ? WHERE library = ? AND identity = ?",
                [(token, time.time(), library, i) for i in identities],
            )

    def mark_pushed(
        self, library: str, identity: str, status: str, item_key: str | None = None, error: str | None = None
    ) -> None:
        self._db.execute(
            "UPDATE pushed SET status = ?, item_key = coalesce(?, item_key), error = ?, updated = ? "
            "WHERE library = ? AND identity = ?",
            (status, item_key, error, time.time(), library, identity),
        )

    def pushes(
        self, library: str, statuses: tuple[str, ...] | None = None, run_id: int | None = None
    ) -> list[PushRecord]:
        query = "SELECT identity, run_id, library, collection, status, item_key, write_token, note_token, item, note, paper, error FROM pushed WHERE library = ?"
        args: list[Any] = [library]
        if statuses:
            query += f" AND status IN ({','.join('?' * len(statuses))})"
            args += list(statuses)
        if run_id is not None:
            query += " AND run_id = ?"
            args.append(run_id)
        rows = self._db.execute(query + " ORDER BY created, rowid", args)
        return [
            PushRecord(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], json.loads(r[8]), r[9], json.loads(r[10]), r[11])
            for r in rows
        ]

    def pushes_of_run(self, run_id: int) -> list[PushRecord]:
        libraries = [r[0] for r in self._db.execute("SELECT DISTINCT library FROM pushed WHERE run_id = ?", (run_id,))]
        return [rec for lib in libraries for rec in self.pushes(lib, run_id=run_id)]

    def outbox(self, library: str) -> Outbox:
        """The pushes of ``library`` and their transitions."""
        return Outbox(self, library)

    def pushed_identities(self, library: str) -> set[str]:
        return {r[0] for r in self._db.execute("SELECT identity FROM pushed WHERE library = ?", (library,))}

    def pushed_papers(self, library: str) -> list[tuple[dict[str, Any], float]]:
        """Every paper zotrec pushed (or is pushing) into ``library``, with when it was first recorded."""
        rows = self._db.execute("SELECT paper, created FROM pushed WHERE library = ? ORDER BY created", (library,))
        return [(json.loads(paper), float(created)) for paper, created in rows]

    # -- feedback ------------------------------------------------------------------------------
    def set_feedback(
        self, library: str, identity: str, item_key: str | None, value: int, reason: str, paper: dict[str, Any]
    ) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO feedback (library, identity, item_key, value, reason, paper, updated) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (library, identity, item_key, value, reason, json.dumps(paper), time.time()),
        )

    def feedback(self, library: str | None = None) -> list[dict[str, Any]]:
        """Feedback rows of ``library`` (of every library when None), oldest first."""
        query = "SELECT library, identity, item_key, value, reason, paper, updated FROM feedback"
        rows = self._db.execute(
            query + (" WHERE library = ?" if library is not None else "") + " ORDER BY updated",
            (library,) if library is not None else (),
        )
        return [
            {
                "library": r[0],
                "identity": r[1],
                "item_key": r[2],
                "value": r[3],
                "reason": r[4],
                "paper": json.loads(r[5]),
                "updated": r[6],
            }
            for r in rows
        ]


class Outbox:
    """The pushes of one library and the only code that moves a push from one status to the next.

    ``intent`` (recorded before anything is sent) -> ``created`` (the item exists, its key is known)
    -> ``done`` (its note exists too). A retryable failure keeps the status, records the error and
    drops the batch's write token (the next attempt is a new batch); a failure no retry can fix
    (the server refused the content, or it cannot be encoded) moves the push to ``failed`` with
    its reason: it is shown by ``zotrec history`` and never sent again.
    """

    def __init__(self, state: StateStore, library: str) -> None:
        self.state = state
        self.library = library

    # -- reading -----------------------------------------------------------------------------
    def identities(self) -> set[str]:
        """Every paper ever pushed (or being pushed) to this library."""
        return self.state.pushed_identities(self.library)

    def to_create(self) -> list[PushRecord]:
        return self.state.pushes(self.library, ("intent",))

    def to_annotate(self) -> list[PushRecord]:
        return self.state.pushes(self.library, ("created",))

    def landed(self) -> list[PushRecord]:
        """Pushes whose item exists in the library (with or without its note)."""
        return [r for r in self.state.pushes(self.library, ("created", "done")) if r.item_key]

    # -- transitions ---------------------------------------------------------------------------
    def add(self, records: list[PushRecord]) -> None:
        """intent: written before anything is sent to the library."""
        self.state.record_intents(records)

    def token(self, batch: list[PushRecord], column: str = "write_token") -> str:
        """The batch's stored write token, or a new one stored before the batch is sent."""
        token = getattr(batch[0], column)
        if not token:
            token = new_token()
            self.state.set_batch_token(self.library, [r.identity for r in batch], token, column)
            for rec in batch:
                setattr(rec, column, token)
        return token

    def created(self, rec: PushRecord, item_key: str) -> None:
        self.state.mark_pushed(self.library, rec.identity, "created", item_key)
        rec.status, rec.item_key = "created", item_key

    def done(self, rec: PushRecord, error: str | None = None) -> None:
        """done; ``error`` says why the note could not be written (the item exists: no retry)."""
        self.state.mark_pushed(self.library, rec.identity, "done", error=error)
        rec.status, rec.error = "done", error

    def retry_later(self, rec: PushRecord, error: str, column: str = "write_token") -> None:
        """Keep the status; the next attempt goes out as a new batch with a new token."""
        self.state.mark_pushed(self.library, rec.identity, rec.status, error=error)
        self.state.set_batch_token(self.library, [rec.identity], "", column)
        rec.error = error
        setattr(rec, column, "")

    def give_up(self, rec: PushRecord, reason: str) -> None:
        """failed: a reason no retry can fix; recorded and never sent again."""
        self.state.mark_pushed(self.library, rec.identity, "failed", error=reason)
        rec.status, rec.error = "failed", reason


def _state_errors(method: Any) -> Any:
    """Turn SQLite's operational errors (read-only file, full disk) into a one-line StateError."""

    @functools.wraps(method)
    def guarded(self: StateStore, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except sqlite3.OperationalError as err:
            raise self.unusable(err) from None

    return guarded


for _name, _method in list(vars(StateStore).items()):
    if callable(_method) and not _name.startswith("_") and _name not in ("unusable", "close", "outbox"):
        setattr(StateStore, _name, _state_errors(_method))


class _Transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type, exc, tb) -> None:
        self.db.execute("COMMIT" if exc_type is None else "ROLLBACK")


def new_token() -> str:
    """A Zotero-Write-Token: 32 random hex characters."""
    return uuid.uuid4().hex


def iter_chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
