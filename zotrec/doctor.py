"""`zotrec doctor`: check everything a sync needs and report one line per check (never the API key).

Checks: config, data dir writable, state file, run lock, backend reachable + library size, write
permission, topic model integrity (sha256 against its card), the e-mail settings (connect, EHLO and
login; nothing is sent), the feed path writable, and each configured source readable.
Doctor changes nothing: the state file is opened read-only and nothing is written to the library.
"""

from __future__ import annotations

import sqlite3
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from zotrec import paths
from zotrec.errors import EXIT_BACKEND, EXIT_CONFIG, EXIT_INPUT, EXIT_OK, EXIT_PARTIAL, ZotrecError
from zotrec.logs import redact

OK, WARN, FAIL = "ok", "warn", "FAIL"


@dataclass
class Check:
    name: str
    status: str  # ok | warn | FAIL
    detail: str
    exit_code: int = EXIT_OK  # the sync exit code this failure would cause

    def line(self) -> str:
        return redact(f"{self.status:<4}  {self.name:<12}  {' '.join(self.detail.split())}")

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["detail"] = redact(data["detail"])
        return data


def exit_code(checks: list[Check]) -> int:
    """0 when nothing failed, else the exit code of the first failed check."""
    return next((c.exit_code for c in checks if c.status == FAIL), EXIT_OK)


def run_checks(config_path: Path | None = None, *, check_sources: bool = True) -> list[Check]:
    from zotrec.config import load_config

    checks: list[Check] = []
    try:
        cfg = load_config(config_path)
    except ZotrecError as err:
        return [Check("config", FAIL, str(err), EXIT_CONFIG)]
    z = cfg.zotero
    where = f"{z.backend}" + (f" {z.library_type} library {z.library_id}" if z.backend in ("web", "local") else "")
    checks.append(Check("config", OK, f"{cfg.path or 'no config file, defaults and environment'} (backend {where})"))
    checks += [Check("config", WARN, w) for w in cfg.warnings]
    checks.append(_data_dir())
    checks.append(_state())
    checks.append(_lock())
    checks += _backend(cfg)
    checks += _models(cfg)
    checks += _delivery(cfg)
    if check_sources:
        checks += _sources(cfg)
    return checks


def _data_dir() -> Check:
    directory = paths.data_dir()
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=directory, prefix=".doctor-"):
            pass
    except OSError as err:
        return Check("data dir", FAIL, f"{directory} is not writable ({err.strerror or err})", EXIT_CONFIG)
    return Check("data dir", OK, f"{directory} writable")


def _state() -> Check:
    from zotrec.state import SCHEMA_VERSION

    path = paths.state_file()
    if not path.exists():
        return Check("state", OK, f"{path} not created yet (the first sync creates it)")
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            check = db.execute("PRAGMA quick_check").fetchone()[0]
            runs = db.execute("SELECT count(*) FROM runs").fetchone()[0] if version else 0
        finally:
            db.close()
    except sqlite3.DatabaseError as err:
        return Check("state", WARN, f"{path} is unreadable ({err}); the next sync moves it aside and rebuilds it")
    if version > SCHEMA_VERSION:
        return Check(
            "state", FAIL, f"{path} was written by a newer zotrec (schema {version}); upgrade zotrec", EXIT_CONFIG
        )
    if check != "ok":
        return Check("state", WARN, f"{path} is damaged ({check}); the next sync moves it aside and rebuilds it")
    upgrade = f", upgraded to {SCHEMA_VERSION} on the next sync" if version < SCHEMA_VERSION else ""
    return Check("state", OK, f"{path}: schema {version}{upgrade}, {runs} run{'' if runs == 1 else 's'}")


def _lock() -> Check:
    from zotrec.lock import holder_text, is_locked

    if is_locked():
        return Check("lock", WARN, f"a sync is running now ({holder_text()})")
    return Check("lock", OK, "no sync running")


def _unborn_embedded(cfg) -> list[Check] | None:
    """The checks of an embedded library whose file does not exist yet (doctor does not create it)."""
    from zotrec.pipeline import library_problem

    path = Path(cfg.zotero.library or paths.data_dir() / "library.sqlite")
    if cfg.zotero.backend != "embedded" or path.exists():
        return None
    return [
        Check("backend", OK, f"embedded library {path} not created yet (`zotrec library import FILE` creates it)"),
        Check("library", FAIL, library_problem([]) or "", EXIT_CONFIG),
    ]


def _backend(cfg) -> list[Check]:
    from zotrec.library import open_library

    if (unborn := _unborn_embedded(cfg)) is not None:
        return unborn
    try:
        library = open_library(cfg.zotero, cache_dir=paths.cache_dir())
    except ZotrecError as err:
        return [Check("backend", FAIL, str(err), err.exit_code)]
    except Exception as err:  # doctor reports, never crashes
        return [Check("backend", FAIL, f"{type(err).__name__}: {err}", EXIT_BACKEND)]
    try:
        probe = getattr(library, "probe", None) or getattr(library, "describe", None)
        if callable(probe):
            info = probe()
            if not info.get("reachable"):
                return [
                    Check(
                        "backend",
                        FAIL,
                        f"{info.get('description') or library.description}: {info.get('problem') or 'does not answer'}",
                        EXIT_BACKEND,
                    )
                ]
            size, writable = info.get("items"), info.get("writable")
        else:
            size, writable = len(library.snapshot().items), library.writable()
        problem = _profile_problem(library, cfg.sync.collection)
    except ZotrecError as err:
        return [Check("backend", FAIL, f"{library.description}: {err}", EXIT_BACKEND)]
    except Exception as err:
        return [Check("backend", FAIL, f"{library.description}: {type(err).__name__}: {err}", EXIT_BACKEND)]
    finally:
        try:
            library.close()
        except Exception:
            pass
    checks = [
        Check("backend", OK, f"{library.description} answers"),
        Check("library", FAIL, problem, EXIT_CONFIG) if problem else Check("library", OK, f"{size} items"),
    ]
    if writable:
        checks.append(Check("write", OK, "writes allowed"))
    else:
        checks.append(
            Check(
                "write",
                FAIL,
                "this backend or API key cannot write: give the key write access "
                "(zotero.org/settings/keys) or use `zotrec library export`",
                EXIT_BACKEND,
            )
        )
    return checks


def _profile_problem(library: Any, collection: str) -> str | None:
    """What a sync would warn about the library: empty, or fewer than 5 items with an abstract."""
    from zotrec.pipeline import library_problem
    from zotrec.recommend.cache import profile_items

    return library_problem(profile_items(library.snapshot(), collection))


def _models(cfg) -> list[Check]:
    from zotrec.topics import load_topic_model

    checks = []
    for name, path in (("topic model", cfg.topic_model or None), ("personal", cfg.personal_model or None)):
        if name == "personal" and not path:
            continue
        try:
            model = load_topic_model(path)
        except ZotrecError as err:
            checks.append(Check(name, FAIL, str(err), EXIT_CONFIG))
            continue
        where = path or "shipped model"
        checks.append(Check(name, OK, f"{where}: sha256 matches its card, {len(model.labels)} labels"))
    return checks


def _delivery(cfg) -> list[Check]:
    """The e-mail server (connect, EHLO, TLS, login; sends nothing) and the feed file's folder."""
    checks = []
    email = cfg.email
    if email.configured:
        from zotrec.mail import check_server

        try:
            detail = check_server(email)
        except ZotrecError as err:
            checks.append(Check("email", FAIL, str(err), EXIT_PARTIAL))
        else:
            when = "" if email.when == "picks" else f"; email.when = {email.when}"
            checks.append(Check("email", OK, f"{detail}; to {', '.join(email.recipients())}{when}"))
    if cfg.feed.path:
        from zotrec.feed import check_writable

        try:
            checks.append(Check("feed", OK, check_writable(cfg.feed.path)))
        except ZotrecError as err:
            checks.append(Check("feed", FAIL, str(err), EXIT_PARTIAL))
    return checks


def _sources(cfg) -> list[Check]:
    from zotrec.sources import read_digest

    if not cfg.digests:
        return [Check("sources", WARN, "no digests configured: add sources.digests or pass --digest to sync")]
    checks = []
    for spec in cfg.digests:
        try:
            digest = read_digest(spec, cache_dir=paths.cache_dir())
        except ZotrecError as err:
            checks.append(Check("source", FAIL, str(err), EXIT_INPUT))
        except Exception as err:
            checks.append(Check("source", FAIL, f"{spec}: {type(err).__name__}: {err}", EXIT_INPUT))
        else:
            papers, partial = digest.papers, digest.partial
            detail = f"{spec}: {len(papers)} papers" + (f"; {partial}" if partial else "")
            checks.append(Check("source", OK if papers and not partial else WARN, detail))
    return checks
