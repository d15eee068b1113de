"""`zotrec init`: write a commented config file (values from flags or prompts), mode 0600."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from zotrec import paths
from zotrec.config import BACKENDS, load_config
from zotrec.errors import ConfigError


@dataclass
class InitValues:
    backend: str = "embedded"
    library: str = ""  # embedded library file or zotero.sqlite
    library_id: str = ""
    library_type: str = "user"
    api_key: str = ""
    endpoint: str = ""
    collection: str = "zotrec: Recommended"
    threshold: float = 60.0
    top_n: int = 20
    per_topic_max: int = 0
    route_by_topic: bool = False
    digests: list[str] = field(default_factory=list)
    topic_model: str = ""
    keep_reports: int = 0


def _s(value: str) -> str:
    """A TOML basic string (JSON string escapes are valid TOML)."""
    return json.dumps(value, ensure_ascii=False)


def _opt(line: str, active: bool) -> str:
    return line if active else "# " + line


def render_config(v: InitValues) -> str:
    """The config file text: every setting with a comment; unset optional ones commented out."""
    digests = ",\n".join(f"  {_s(d)}" for d in v.digests)
    lines = [
        "# zotrec configuration (TOML). Precedence: command-line flag > environment variable > this file > default.",
        "# `zotrec config show` prints the effective values (secrets masked); `zotrec doctor` checks them.",
        "",
        "[zotero]",
        "# Where your library lives: embedded (a local file, no Zotero account needed), web (Zotero Web API),",
        "# local (the Zotero desktop app's local API) or sqlite (read-only zotero.sqlite).",
        f"backend = {_s(v.backend)}",
        "# embedded: the library file; sqlite: the path of zotero.sqlite. Env: ZOTREC_LIBRARY",
        _opt(f"library = {_s(v.library)}", bool(v.library)),
        "# web: your numeric userID (zotero.org/settings/keys) or group id. Env: ZOTERO_LIBRARY_ID",
        _opt(f"library_id = {_s(v.library_id)}", bool(v.library_id)),
        '# "user" or "group". Env: ZOTERO_LIBRARY_TYPE',
        f"library_type = {_s(v.library_type)}",
        "# web: an API key with write access (zotero.org/settings/keys/new). Env: ZOTERO_API_KEY.",
        "# Keep this file private (chmod 600): zotrec warns when others can read a file holding a key.",
        _opt(f"api_key = {_s(v.api_key)}", bool(v.api_key)),
        "# web: another base URL for a self-hosted or proxied API. Env: ZOTREC_ZOTERO_ENDPOINT",
        _opt(f"endpoint = {_s(v.endpoint)}", bool(v.endpoint)),
        "",
        "[sync]",
        "# The collection recommendations go into (created when missing; A/B for a subcollection). Env: ZOTREC_COLLECTION",
        f"collection = {_s(v.collection)}",
        "# Minimum score (0-100) for a paper to be pushed. Env: ZOTREC_THRESHOLD",
        f"threshold = {float(v.threshold):g}",
        "# Push at most this many papers per run. Env: ZOTREC_TOP_N",
        f"top_n = {int(v.top_n)}",
        "# At most this many papers per top topic (0 = no cap)",
        f"per_topic_max = {int(v.per_topic_max)}",
        "# File each paper in a subcollection named after its top topic",
        f"route_by_topic = {'true' if v.route_by_topic else 'false'}",
        "# Skip arXiv replacements (new versions of old papers) in mail digests",
        "skip_replacements = false",
        "# Look up missing arXiv ids by title (uses the network)",
        "enrich = false",
        "# Refuse a digest with more entries than this (a run must finish in reasonable time)",
        "max_papers = 50000",
        "",
        "[sources]",
        "# Digests to read on every sync: files or URLs (arXiv listing/RSS/API, HF daily papers, journal feeds,",
        "# BibTeX/RIS/CSL-JSON, JSON lines). `zotrec sync --digest X` adds to these.",
        "digests = [\n" + digests + "\n]" if v.digests else "digests = []",
        "",
        "[model]",
        "# Topic model file (empty = the shipped arXiv model); its .card.json must sit beside it (sha256 checked)",
        _opt(f"topics = {_s(v.topic_model)}", bool(v.topic_model)),
        "# A personal topic model trained on your collections (optional)",
        '# personal = ""',
        "",
        "[reports]",
        "# Keep the HTML reports of the last N runs in the data dir (0 = none)",
        f"keep = {int(v.keep_reports)}",
        "",
    ]
    return "\n".join(lines)


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)  # whatever the umask
        os.write(fd, text.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)


def validate_values(v: InitValues) -> None:
    if v.backend not in BACKENDS:
        raise ConfigError(f"--backend must be one of {', '.join(BACKENDS)}, got {v.backend!r}")
    if v.library_type not in ("user", "group"):
        raise ConfigError(f"--library-type must be user or group, got {v.library_type!r}")


def init_config(v: InitValues, path: Path | None = None, *, force: bool = False) -> tuple[Path, list[str]]:
    """Write the config (mode 0600, atomically) after loading it back, so a bad value fails now and not
    at 7am. Values may still come from the environment (e.g. ZOTERO_API_KEY). Returns (path, warnings)."""
    validate_values(v)
    if v.backend == "embedded" and not v.library:
        v.library = str(paths.data_dir() / "library.sqlite")
    path = Path(path) if path else paths.config_file()
    if path.exists() and not force:
        raise ConfigError(f"{path} exists: pass --force to replace it (or --config OTHER_PATH)")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    _write_private(tmp, render_config(v))
    try:
        cfg = load_config(tmp)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, path)
    return path, [w.replace(str(tmp), str(path)) for w in cfg.warnings]
