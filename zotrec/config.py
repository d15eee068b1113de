"""Configuration: a TOML file, environment variables and command-line flags.

Precedence: command-line flag > environment variable > config file > default.
"""

from __future__ import annotations

import os
import stat
import tomllib
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from zotrec import paths
from zotrec.errors import ConfigError
from zotrec.logs import redact, register_secret

BACKENDS = ("embedded", "web", "local", "sqlite")


@dataclass
class ZoteroSettings:
    backend: str = "embedded"  # embedded | web | local | sqlite
    library: str = ""  # embedded library file, or zotero.sqlite path
    library_id: str = ""
    library_type: str = "user"  # user | group
    api_key: str = ""
    endpoint: str = ""  # Web API base URL override (self-hosted or proxied)
    local_api_key: str = ""


@dataclass
class SyncSettings:
    collection: str = "zotrec: Recommended"
    threshold: float = 60.0
    top_n: int = 20
    per_topic_max: int = 0  # 0 = no cap
    route_by_topic: bool = False
    skip_replacements: bool = False
    enrich: bool = False
    max_papers: int = 50_000  # a digest with more entries is refused before it is parsed


@dataclass
class Config:
    zotero: ZoteroSettings = field(default_factory=ZoteroSettings)
    sync: SyncSettings = field(default_factory=SyncSettings)
    digests: list[str] = field(default_factory=list)
    topic_model: str = ""  # empty = the shipped model
    personal_model: str = ""
    keep_reports: int = 0  # keep the last N HTML reports in the data dir
    path: Path | None = None  # where it was read from
    warnings: list[str] = field(default_factory=list)

    def library_id(self) -> str:
        """A stable name for the library this config points at (keys state rows)."""
        z = self.zotero
        if z.backend == "embedded":
            return f"embedded:{Path(z.library or paths.data_dir() / 'library.sqlite').resolve()}"
        if z.backend == "sqlite":
            return f"sqlite:{Path(z.library).resolve()}"
        return f"{z.backend}:{z.library_type}:{z.library_id}"

    def masked(self) -> dict[str, Any]:
        """The effective configuration as a dict, secrets masked."""
        data = {
            "config_file": str(self.path) if self.path else None,
            "zotero": asdict(self.zotero),
            "sync": asdict(self.sync),
            "sources": {"digests": list(self.digests)},
            "model": {"topics": self.topic_model or "(shipped)", "personal": self.personal_model or None},
            "reports": {"keep": self.keep_reports},
        }
        for secret in ("api_key", "local_api_key"):
            if data["zotero"][secret]:
                data["zotero"][secret] = mask(data["zotero"][secret])
        return data


def mask(secret: str) -> str:
    return "****" + (secret[-2:] if len(secret) > 8 else "") if secret else ""


_SECTIONS = {"zotero": ZoteroSettings, "sync": SyncSettings}
_TOP = {"sources": {"digests"}, "model": {"topics", "personal"}, "reports": {"keep"}}


def _coerce(name: str, value: Any, target: Any) -> Any:
    kind = type(target)
    if kind is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("1", "true", "yes", "0", "false", "no"):
            return value.lower() in ("1", "true", "yes")
    elif kind is int and not isinstance(value, bool):
        try:
            return int(value)
        except (TypeError, ValueError):
            pass
    elif kind is float and not isinstance(value, bool):
        try:
            return float(value)
        except (TypeError, ValueError):
            pass
    elif kind is str and isinstance(value, (str, int)) and not isinstance(value, bool):
        return str(value)
    shown = f"a {type(value).__name__}" if name in SECRET_NAMES else redact(repr(value))
    raise ConfigError(f"{name} must be {kind.__name__}, got {shown}")


SECRET_NAMES = {"zotero.api_key", "zotero.local_api_key", "ZOTERO_API_KEY"}


def load_config(path: Path | None = None, *, env: dict[str, str] | None = None) -> Config:
    """Read the config file (if any), then apply environment variables."""
    env = dict(os.environ) if env is None else env
    explicit = path is not None
    path = Path(path) if path else Path(env.get("ZOTREC_CONFIG") or paths.config_file())
    cfg = Config()
    if path.exists():
        cfg.path = path
        _apply_file(cfg, path)
    elif explicit:
        raise ConfigError(f"{path}: config file not found (create one with `zotrec init`)")
    _apply_env(cfg, env)
    register_secret(cfg.zotero.api_key)
    register_secret(cfg.zotero.local_api_key)
    validate(cfg)
    return cfg


def _apply_file(cfg: Config, path: Path) -> None:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: not valid TOML ({err})") from None
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path}: cannot read ({err.__class__.__name__})") from None
    for section, values in data.items():
        if not isinstance(values, dict):
            if section in _SECTIONS or section in _TOP:
                raise ConfigError(f"{path}: [{section}] must be a table of settings, got {type(values).__name__}")
            cfg.warnings.append(f"{path}: unknown key {section!r} ignored")
            continue
        if section in _SECTIONS:
            target = getattr(cfg, section)
            known = {f.name for f in fields(target)}
            for key, value in values.items():
                if key not in known:
                    cfg.warnings.append(f"{path}: unknown key {section}.{key} ignored")
                    continue
                setattr(target, key, _coerce(f"{section}.{key}", value, getattr(target, key)))
        elif section in _TOP:
            for key, value in values.items():
                if key not in _TOP[section]:
                    cfg.warnings.append(f"{path}: unknown key {section}.{key} ignored")
                    continue
                _apply_top(cfg, section, key, value)
        else:
            cfg.warnings.append(f"{path}: unknown section [{section}] ignored")
    if cfg.zotero.api_key and path.stat().st_mode & (stat.S_IRGRP | stat.S_IROTH):
        cfg.warnings.append(f"{path} holds an API key and is readable by others: run `chmod 600 {path}`")


def _apply_top(cfg: Config, section: str, key: str, value: Any) -> None:
    name = f"{section}.{key}"
    if name == "sources.digests":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{name} must be a list of paths or URLs")
        cfg.digests = value
    elif name == "model.topics":
        cfg.topic_model = _coerce(name, value, "")
    elif name == "model.personal":
        cfg.personal_model = _coerce(name, value, "")
    elif name == "reports.keep":
        cfg.keep_reports = _coerce(name, value, 0)


ENV_VARS = {
    "ZOTERO_API_KEY": ("zotero", "api_key"),
    "ZOTERO_LIBRARY_ID": ("zotero", "library_id"),
    "ZOTERO_LIBRARY_TYPE": ("zotero", "library_type"),
    "ZOTREC_ZOTERO_ENDPOINT": ("zotero", "endpoint"),
    "ZOTREC_BACKEND": ("zotero", "backend"),
    "ZOTREC_LIBRARY": ("zotero", "library"),
    "ZOTREC_COLLECTION": ("sync", "collection"),
    "ZOTREC_THRESHOLD": ("sync", "threshold"),
    "ZOTREC_TOP_N": ("sync", "top_n"),
}


def _apply_env(cfg: Config, env: dict[str, str]) -> None:
    for var, (section, key) in ENV_VARS.items():
        if env.get(var):
            target = getattr(cfg, section)
            setattr(target, key, _coerce(var, env[var], getattr(target, key)))
    if env.get("ZOTERO_API_KEY") and cfg.zotero.backend == "embedded" and not env.get("ZOTREC_BACKEND") and not cfg.path:
        cfg.zotero.backend = "web"


def library_id_problem(value: str, library_type: str) -> str:
    """The one-line message for a library id that is not a numeric user or group id."""
    import re

    group = re.search(r"groups/(\d+)", value)
    if group:
        return (f"zotero.library_id must be the numeric id, not a URL: set library_id = \"{group.group(1)}\" "
                'and library_type = "group"')
    if not value:
        return "zotero.library_id is empty: set ZOTERO_LIBRARY_ID or zotero.library_id (your userID from zotero.org/settings/keys)"
    shown = redact(value)
    if len(shown) > 40:
        shown = shown[:20] + "..."
    return (f"zotero.library_id must be the numeric {library_type} id (ZOTERO_LIBRARY_ID; your userID is on "
            f"zotero.org/settings/keys), got {shown!r}")


def validate(cfg: Config) -> None:
    z = cfg.zotero
    if z.backend not in BACKENDS:
        raise ConfigError(f"zotero.backend must be one of {', '.join(BACKENDS)}, got {z.backend!r}")
    if z.library_type not in ("user", "group"):
        raise ConfigError(f"zotero.library_type must be 'user' or 'group', got {z.library_type!r}")
    if z.backend == "web":
        if not z.api_key:
            raise ConfigError("the Web API backend needs an API key: set ZOTERO_API_KEY or zotero.api_key")
        if not z.library_id.isdigit():
            raise ConfigError(library_id_problem(z.library_id, z.library_type))
    if z.backend == "sqlite" and not z.library:
        raise ConfigError("the sqlite backend needs zotero.library = path to zotero.sqlite")
    if not 0 <= cfg.sync.threshold <= 100:
        raise ConfigError(f"sync.threshold must be between 0 and 100, got {cfg.sync.threshold}")
    if cfg.sync.top_n < 0:
        raise ConfigError(f"sync.top_n must be >= 0, got {cfg.sync.top_n}")
    if cfg.sync.max_papers < 1:
        raise ConfigError(f"sync.max_papers must be >= 1, got {cfg.sync.max_papers}")
