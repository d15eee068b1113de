"""Settings: one schema drives loading, validation, `zotrec init`, `zotrec config show|set` and the
README's configuration reference.

Each setting is a field of a section dataclass declared with :func:`setting` (its default, help,
environment variable, allowed values); :data:`SCHEMA` lists them as :class:`Setting` objects.
Precedence: command-line flag > environment variable > config file > default. The environment is
read here and nowhere else (``paths`` reads ``ZOTREC_HOME`` to find the folders).
"""

from __future__ import annotations

import os
import re
import stat
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from zotrec import paths
from zotrec.errors import ConfigError
from zotrec.library import BACKENDS
from zotrec.logs import redact, register_secret

LIBRARY_TYPES = ("user", "group")
SECURITY = ("none", "starttls", "tls")
EMAIL_WHEN = ("picks", "always", "never")
SMTP_PASSWORD_ENV = "ZOTREC_SMTP_PASSWORD"
CONFIG_ENV = "ZOTREC_CONFIG"
HOME_ENV = "ZOTREC_HOME"
CRONTAB_ENV = "ZOTREC_CRONTAB"
ARXIV_API_ENV = "ZOTREC_ARXIV_API"
# Environment variables that are not settings: where zotrec keeps its files and which programs it calls.
PLACES_ENV = {
    HOME_ENV: "put config, data and cache under one folder (`config/`, `data/`, `cache/`)",
    CONFIG_ENV: "the config file to read (as `--config PATH`)",
    CRONTAB_ENV: "the crontab program `zotrec schedule --install` runs (default `crontab`)",
    ARXIV_API_ENV: "the arXiv API URL `--enrich` asks (default `https://export.arxiv.org/api/query`)",
}

Check = Callable[[Any], "str | None"]


def setting(
    default: Any,
    help: str,
    *,
    env: str | None = None,
    choices: tuple[str, ...] = (),
    minimum: float | None = None,
    maximum: float | None = None,
    check: Check | None = None,
    secret: bool = False,
    in_file: bool = True,
    toml_name: str | None = None,
    shown_default: str | None = None,
    prompt: str | None = None,
    backends: tuple[str, ...] = (),
) -> Any:
    """A section field that is a setting. ``prompt``: `zotrec init` asks for it (only for ``backends``
    when given); ``in_file=False``: environment only (a password); ``toml_name``: the key in the file
    when it differs from the field name; ``shown_default``: the default as the reference prints it."""
    meta = {
        "help": help,
        "env": env,
        "choices": choices,
        "minimum": minimum,
        "maximum": maximum,
        "check": check,
        "secret": secret,
        "in_file": in_file,
        "toml_name": toml_name,
        "shown_default": shown_default,
        "prompt": prompt,
        "backends": backends,
    }
    if isinstance(default, list):
        return field(default_factory=lambda: list(default), metadata=meta)
    return field(default=default, metadata=meta)


def _library_id_check(value: Any) -> str | None:
    return None if not value or str(value).isdigit() else library_id_problem(str(value), "user")


def library_id_problem(value: str, library_type: str) -> str:
    """The one-line message for a library id that is not a numeric user or group id."""
    group = re.search(r"groups/(\d+)", value)
    if group:
        return (
            f'zotero.library_id must be the numeric id, not a URL: set library_id = "{group.group(1)}" '
            'and library_type = "group"'
        )
    if not value:
        return (
            "zotero.library_id is empty: set ZOTERO_LIBRARY_ID or zotero.library_id "
            "(your userID from zotero.org/settings/keys)"
        )
    shown = redact(value)
    if len(shown) > 40:
        shown = shown[:20] + "..."
    return (
        f"zotero.library_id must be the numeric {library_type} id (ZOTERO_LIBRARY_ID; your userID is on "
        f"zotero.org/settings/keys), got {shown!r}"
    )


# -- the schema: one dataclass per [section] ------------------------------------------------------
@dataclass
class ZoteroSettings:
    backend: str = setting(
        "embedded",
        "where your library lives: `embedded` (a local file, no Zotero account), `web` (Zotero "
        "Web API), `local` (the Zotero desktop app's local API), `sqlite` (read-only `zotero.sqlite`)",
        env="ZOTREC_BACKEND",
        choices=BACKENDS,
        prompt="Backend (embedded, web, local, sqlite)",
    )
    library: str = setting(
        "",
        "the embedded library file, or the path of `zotero.sqlite` with the sqlite backend "
        "(read only; the embedded backend refuses it)",
        env="ZOTREC_LIBRARY",
        shown_default="data dir `library.sqlite`",
        prompt="Library file",
        backends=("embedded", "sqlite"),
    )
    library_id: str = setting(
        "",
        "Web API: your numeric userID (zotero.org/settings/keys) or the group id",
        env="ZOTERO_LIBRARY_ID",
        check=_library_id_check,
        prompt="Zotero library id (numeric; zotero.org/settings/keys)",
        backends=("web",),
    )
    library_type: str = setting(
        "user",
        "`user` or `group`",
        env="ZOTERO_LIBRARY_TYPE",
        choices=LIBRARY_TYPES,
        prompt="Library type (user or group)",
        backends=("web",),
    )
    api_key: str = setting(
        "",
        "Web API key with write access (zotero.org/settings/keys/new); keep the file private (chmod 600)",
        env="ZOTERO_API_KEY",
        secret=True,
        prompt="API key (empty: use ZOTERO_API_KEY from the environment)",
        backends=("web",),
    )
    endpoint: str = setting(
        "",
        "another Web API (or local API) base URL: self-hosted, proxied",
        env="ZOTREC_ZOTERO_ENDPOINT",
        shown_default="`https://api.zotero.org`",
    )
    local_api_key: str = setting(
        "",
        "desktop local API key for writes (Zotero 10+; `zotrec auth local` stores it)",
        env="ZOTREC_LOCAL_API_KEY",
        secret=True,
    )


@dataclass
class SyncSettings:
    collection: str = setting(
        "zotrec: Recommended",
        "target collection; `A/B` for a subcollection (created when missing)",
        env="ZOTREC_COLLECTION",
        prompt="Target collection",
    )
    threshold: float = setting(
        60.0,
        "minimum score (0-100) for a paper to be pushed",
        env="ZOTREC_THRESHOLD",
        minimum=0,
        maximum=100,
        prompt="Minimum score (0-100)",
    )
    top_n: int = setting(
        20, "at most this many papers per run", env="ZOTREC_TOP_N", minimum=0, prompt="At most N papers per run"
    )
    min_picks: int = setting(
        3,
        "when fewer papers pass the threshold, add the best that score above 50 (marked "
        '`"reason_picked": "daily minimum"`); papers of the digest pushed earlier the same day count; `0` turns it off',
        minimum=0,
    )
    per_topic_max: int = setting(0, "at most this many papers per top topic (0 = no cap)", minimum=0)
    route_by_topic: bool = setting(False, "file each paper in a subcollection named after its top topic")
    skip_replacements: bool = setting(False, "skip arXiv replacements (new versions of old papers) in mail digests")
    enrich: bool = setting(False, "look up missing arXiv ids by title (uses the network)")
    max_papers: int = setting(
        50_000, "a JSON-lines digest with more entries is refused before it is read (exit 7)", minimum=1
    )
    per_interest: int = setting(0, "at most this many papers per interest per run (0 = no cap)", minimum=0)


@dataclass
class ProfileSettings:
    """Which collections are interests (see zotrec.interests)."""

    min_items: int = setting(
        8,
        "a collection with at least this many papers is an interest (a smaller subcollection counts into its parent)",
        minimum=1,
    )
    collections: list[str] = setting(
        [],
        "include globs over collection paths (`A/B`, `*` matches across `/`): only matching collections are interests",
        shown_default="`[]` (all)",
    )
    exclude: list[str] = setting([], "exclude globs: matching collections are never interests")


FILE_INTO = ("interest", "flat")


@dataclass
class SourcesSettings:
    digests: list[str] = setting(
        [],
        "digests read on every sync: files or URLs (arXiv listing/RSS/API, HF daily papers, journal feeds, "
        "BibTeX/RIS/CSL-JSON, JSON lines); `sync --digest X` (repeatable) replaces them for one run",
        prompt="Digests to read (files or URLs, comma-separated; empty: none)",
    )
    timeout: float = setting(
        60.0, "seconds a digest URL may take in all (retries and waits included) before it counts as failed", minimum=1
    )


@dataclass
class ModelSettings:
    topics: str = setting(
        "",
        "topic model file; its `.card.json` must sit beside it (sha256 checked before loading)",
        shown_default="the shipped arXiv model",
    )
    personal: str = setting(
        "",
        "a personal topic model trained on your collections (`zotrec train personal`)",
        shown_default="the one `zotrec train personal` saved (data dir `models/personal.joblib`), if any",
    )


@dataclass
class ReportsSettings:
    keep: int = setting(
        30, "keep the HTML reports of the last N runs (and `latest.html`) in the data dir (0 = none)", minimum=0
    )


def _addresses_check(value: Any) -> str | None:
    for address in [a.strip() for a in str(value or "").split(",") if a.strip()]:
        if "@" not in address or any(c.isspace() for c in address):
            return f"is not a list of e-mail addresses: {redact(address)!r}"
    return None


@dataclass
class EmailSettings:
    """The morning message: where it goes and through which SMTP server."""

    to: str = setting(
        "",
        "where the morning e-mail goes: one or more addresses, comma separated; empty: no e-mail",
        check=_addresses_check,
    )
    sender: str = setting(
        "", "the sender address", toml_name="from", shown_default="`email.user`", check=_addresses_check
    )
    host: str = setting("", "the SMTP server that sends it")
    port: int = setting(587, "its port (465 for `tls`, 587 for `starttls`, 25 for `none`)", minimum=1, maximum=65535)
    security: str = setting("starttls", "`none`, `starttls` or `tls`", choices=SECURITY)
    user: str = setting("", "the SMTP login (no login when empty)")
    password: str = setting("", "the SMTP password", env=SMTP_PASSWORD_ENV, secret=True, in_file=False)
    when: str = setting("picks", "`picks` (only when there are new papers), `always`, `never`", choices=EMAIL_WHEN)

    @property
    def configured(self) -> bool:
        return bool(self.to.strip())

    def recipients(self) -> list[str]:
        return [a.strip() for a in self.to.split(",") if a.strip()]

    def from_address(self) -> str:
        return self.sender or self.user or (self.recipients() or [""])[0]


@dataclass
class FeedSettings:
    path: str = setting("", "write an Atom feed of the last picks to this file after each sync", shown_default="none")
    keep: int = setting(100, "how many picks the feed lists", minimum=1)


@dataclass
class PushSettings:
    tags: str = setting(
        "main",
        "topic tags on each pushed item: `main` (its main topic, worded as Zotero's own arXiv import "
        'words it, e.g. "Computer Science - Machine Learning"), `all` (every topic) or `none`; the tags '
        "`zotrec` and `zotrec:<run date>` are always added",
        choices=("main", "all", "none"),
    )
    file_into: str = setting(
        "interest",
        "`interest`: each pick into `<sync.collection>/<its interest>` (created once); `flat`: all "
        "into `sync.collection`",
        choices=FILE_INTO,
    )


SECTIONS: dict[str, type] = {
    "zotero": ZoteroSettings,
    "sync": SyncSettings,
    "profile": ProfileSettings,
    "push": PushSettings,
    "sources": SourcesSettings,
    "model": ModelSettings,
    "reports": ReportsSettings,
    "email": EmailSettings,
    "feed": FeedSettings,
}


@dataclass(frozen=True)
class Setting:
    """One setting of the schema, as read from its section's field."""

    section: str
    name: str  # the attribute on the section object
    kind: str  # str | int | float | bool | list
    default: Any
    help: str
    env: str | None = None
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    check: Check | None = None
    secret: bool = False
    in_file: bool = True
    toml_name: str | None = None
    shown_default: str | None = None
    prompt: str | None = None
    backends: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """The dotted key of the file and of `zotrec config set` (``sync.threshold``)."""
        return f"{self.section}.{self.toml_name or self.name}"

    def parse(self, value: Any, source: str | None = None, *, text: bool = True, check: bool = True) -> Any:
        """``value`` as this setting's type; a ConfigError naming ``source`` (default: the key) when it is
        not one. ``text``: the value was typed (environment, command line), so a list is comma-separated;
        ``check``: also apply :meth:`problem` (the loader does that once every secret is known)."""
        name = source or self.key
        parsed = _coerce(self.kind, value, text)
        if parsed is _INVALID:
            shown = f"a {type(value).__name__}" if self.secret else redact(repr(value))
            raise ConfigError(f"{name} must be {_KIND_NAMES[self.kind]}, got {shown}")
        if check:
            self.refuse_problem(parsed)
        return parsed

    def refuse_problem(self, value: Any) -> None:
        problem = self.problem(value)
        if problem:
            raise ConfigError(problem if problem.startswith(self.key) else f"{self.key} {problem}")

    def problem(self, value: Any) -> str | None:
        """What is wrong with a value of the right type (None: nothing)."""
        if self.choices and value not in self.choices:
            return f"must be one of {', '.join(self.choices)}, got {redact(repr(value))}"
        if self.minimum is not None and self.maximum is not None and not self.minimum <= value <= self.maximum:
            return f"must be between {self.minimum:g} and {self.maximum:g}, got {value}"
        if self.minimum is not None and value < self.minimum:
            return f"must be >= {self.minimum:g}, got {value}"
        return self.check(value) if self.check else None

    def shown(self) -> str:
        """The default as the reference prints it."""
        if self.shown_default:
            return self.shown_default
        if self.kind == "bool":
            return "`true`" if self.default else "`false`"
        if self.kind == "list":
            return "`[]`" if not self.default else f"`{self.default}`"
        if self.kind in ("int", "float"):
            return f"`{self.default:g}`" if isinstance(self.default, float) else f"`{self.default}`"
        return f'`"{self.default}"`' if self.default else "empty"


_INVALID = object()
_KIND_NAMES = {
    "str": "a string",
    "int": "an integer",
    "float": "a number",
    "bool": "true or false",
    "list": "a list of strings",
}
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def _coerce(kind: str, value: Any, text: bool) -> Any:
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE + _FALSE:
            return value.strip().lower() in _TRUE
    elif kind in ("int", "float") and not isinstance(value, bool):
        try:
            return int(value) if kind == "int" else float(value)
        except (TypeError, ValueError):
            return _INVALID
    elif kind == "str" and isinstance(value, (str, int)) and not isinstance(value, bool):
        return str(value)
    elif kind == "list":
        if isinstance(value, str) and text and value.strip().startswith("["):  # as in the file: ["a", "b"]
            try:
                value = tomllib.loads(f"v = {value.strip()}")["v"]
            except tomllib.TOMLDecodeError:
                return _INVALID
        elif isinstance(value, str) and text:  # a command line or environment value: comma-separated
            return [v.strip() for v in value.split(",") if v.strip()]
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return list(value)
    return _INVALID


def _kind(annotation: Any) -> str:
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", str(annotation))
    return "list" if text.startswith("list") else text


def _schema() -> tuple[Setting, ...]:
    out = []
    for section, cls in SECTIONS.items():
        for f in fields(cls):
            factory = f.default_factory
            default = factory() if callable(factory) else f.default
            out.append(Setting(section=section, name=f.name, kind=_kind(f.type), default=default, **f.metadata))
    return tuple(out)


SCHEMA: tuple[Setting, ...] = _schema()
BY_KEY: dict[str, Setting] = {s.key: s for s in SCHEMA}
ENV_VARS: dict[str, Setting] = {s.env: s for s in SCHEMA if s.env}


def find_setting(key: str) -> Setting:
    """The setting named ``key`` (``section.name``), or a ConfigError listing the keys."""
    if key not in BY_KEY:
        raise ConfigError(f"unknown setting {key!r}: one of {', '.join(BY_KEY)}")
    return BY_KEY[key]


# -- the effective configuration -------------------------------------------------------------------
@dataclass
class Config:
    zotero: ZoteroSettings = field(default_factory=ZoteroSettings)
    sync: SyncSettings = field(default_factory=SyncSettings)
    profile: ProfileSettings = field(default_factory=ProfileSettings)
    push: PushSettings = field(default_factory=PushSettings)
    sources: SourcesSettings = field(default_factory=SourcesSettings)
    model: ModelSettings = field(default_factory=ModelSettings)
    reports: ReportsSettings = field(default_factory=ReportsSettings)
    email: EmailSettings = field(default_factory=EmailSettings)
    feed: FeedSettings = field(default_factory=FeedSettings)
    path: Path | None = None  # where it was read from
    warnings: list[str] = field(default_factory=list)

    def get(self, s: Setting) -> Any:
        return getattr(getattr(self, s.section), s.name)

    def set(self, s: Setting, value: Any) -> None:
        setattr(getattr(self, s.section), s.name, value)

    @property
    def digests(self) -> list[str]:
        return self.sources.digests

    @property
    def topic_model(self) -> str:
        return self.model.topics

    @property
    def personal_model(self) -> str:
        return self.model.personal

    @property
    def keep_reports(self) -> int:
        return self.reports.keep

    def library_id(self) -> str:
        """A stable name for the library this config points at (keys state rows)."""
        z = self.zotero
        if z.backend == "embedded":
            return f"embedded:{Path(z.library or paths.data_dir() / 'library.sqlite').resolve()}"
        if z.backend == "sqlite":
            return f"sqlite:{Path(z.library).resolve()}"
        return f"{z.backend}:{z.library_type}:{z.library_id}"

    def masked(self) -> dict[str, Any]:
        """The effective configuration by section, secrets masked."""
        data: dict[str, Any] = {"config_file": str(self.path) if self.path else None}
        for s in SCHEMA:
            value = self.get(s)
            data.setdefault(s.section, {})[s.toml_name or s.name] = mask(value) if s.secret and value else value
        return data


def mask(secret: str) -> str:
    return "****" + (secret[-2:] if len(secret) > 8 else "") if secret else ""


def config_file(path: Path | None = None, env: Mapping[str, str] | None = None) -> Path:
    """The config file: ``path`` (``--config``), else ``$ZOTREC_CONFIG``, else the user config dir's."""
    env = os.environ if env is None else env
    return Path(path) if path else Path(env.get(CONFIG_ENV) or paths.config_file())


def load_config(path: Path | None = None, *, env: Mapping[str, str] | None = None) -> Config:
    """Read the config file (if any), then apply environment variables, then validate."""
    env = os.environ if env is None else env
    named = "" if path is not None else f" (from ${CONFIG_ENV})" if env.get(CONFIG_ENV) else None
    path = config_file(path, env)
    cfg = Config()
    if path.exists():
        cfg.path = path
        _apply_file(cfg, path)
    elif named is not None:  # a file the user named (--config or $ZOTREC_CONFIG) must exist
        raise ConfigError(f"{path}{named}: config file not found (create one with `zotrec init`)")
    _apply_env(cfg, env)
    for s in SCHEMA:
        if s.secret:
            register_secret(cfg.get(s))
    validate(cfg)
    return cfg


def read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: not valid TOML ({err})") from None
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path}: cannot read ({err.__class__.__name__})") from None


def _apply_file(cfg: Config, path: Path) -> None:
    for section, values in read_toml(path).items():
        if section not in SECTIONS:
            kind = "key" if not isinstance(values, dict) else "section"
            cfg.warnings.append(
                f"{path}: unknown {kind} {section!r} ignored"
                if kind == "key"
                else f"{path}: unknown section [{section}] ignored"
            )
            continue
        if not isinstance(values, dict):
            raise ConfigError(f"{path}: [{section}] must be a table of settings, got {type(values).__name__}")
        for key, value in values.items():
            s = BY_KEY.get(f"{section}.{key}")
            if s is None:
                cfg.warnings.append(f"{path}: unknown key {section}.{key} ignored")
            elif not s.in_file:
                cfg.warnings.append(f"{path}: {s.key} is never read from the file: set {s.env} in the environment")
            else:
                cfg.set(s, s.parse(value, text=False, check=False))
    if cfg.zotero.api_key and path.stat().st_mode & (stat.S_IRGRP | stat.S_IROTH):
        cfg.warnings.append(f"{path} holds an API key and is readable by others: run `chmod 600 {path}`")


def _apply_env(cfg: Config, env: Mapping[str, str]) -> None:
    for var, s in ENV_VARS.items():
        if env.get(var):
            cfg.set(s, s.parse(env[var], source=var, check=False))
    if (
        env.get("ZOTERO_API_KEY")
        and cfg.zotero.backend == "embedded"
        and not env.get("ZOTREC_BACKEND")
        and not cfg.path
    ):
        cfg.zotero.backend = "web"


def validate(cfg: Config) -> None:
    """Each value against its setting's rules, then the rules that span settings."""
    for s in SCHEMA:
        s.refuse_problem(cfg.get(s))
    z = cfg.zotero
    if z.backend == "web":
        if not z.api_key:
            raise ConfigError("the Web API backend needs an API key: set ZOTERO_API_KEY or zotero.api_key")
        if not z.library_id.isdigit():
            raise ConfigError(library_id_problem(z.library_id, z.library_type))
    if z.backend == "sqlite" and not z.library:
        raise ConfigError("the sqlite backend needs zotero.library = path to zotero.sqlite")
    email = cfg.email
    if email.configured:
        if not email.host:
            raise ConfigError(
                "email.to is set but email.host is empty: set the SMTP server that sends the message first "
                "(`zotrec config set email.host smtp.example.org`)"
            )
        if _addresses_check(email.from_address()):
            raise ConfigError(f"email.from {_addresses_check(email.from_address())}: set email.from")


def environment_settings(env: Mapping[str, str] | None = None) -> list[str]:
    """The setting variables set in this environment (a scheduled run will not see them)."""
    env = os.environ if env is None else env
    return [var for var in ENV_VARS if env.get(var)]


def environ(var: str) -> str:
    """The value of one of the documented variables that are not settings (:data:`PLACES_ENV`)."""
    if var not in PLACES_ENV:
        raise KeyError(f"{var} is not a documented zotrec environment variable")
    return os.environ.get(var, "")


# -- the README's reference ------------------------------------------------------------------------
def reference_table() -> str:
    """The Markdown table of every setting (README "Configuration reference" shows exactly this)."""
    rows = ["| key | type, default | environment | meaning |", "| --- | --- | --- | --- |"]
    for s in SCHEMA:
        kind = {"list": "list", "str": "string"}.get(s.kind, s.kind)
        env = f"`{s.env}`" if s.env else ""
        where = "" if s.in_file else " (environment only)"
        rows.append(f"| `{s.key}` | {kind}, {s.shown()} | {env} | {s.help}{where} |")
    return "\n".join(rows) + "\n"


def environment_list() -> str:
    """The Markdown list of the variables that are not settings (README shows exactly this)."""
    return "".join(f"- `{var}`: {text}\n" for var, text in PLACES_ENV.items())
