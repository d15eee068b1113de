"""Write the config file from the settings schema: `zotrec init` (answers checked one by one),
`zotrec config set KEY VALUE` and `zotrec auth local` (mode 0600, written atomically)."""

from __future__ import annotations

import json
import os
import textwrap
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from zotrec import paths
from zotrec.config import SCHEMA, SECTIONS, Setting, config_file, find_setting, load_config
from zotrec.errors import ConfigError

HEADER = [
    "# zotrec configuration (TOML). Precedence: command-line flag > environment variable > this file > default.",
    "# `zotrec config show` prints the effective values (secrets masked); `zotrec doctor` checks them;",
    "# `zotrec config set KEY VALUE` changes one.",
]
Ask = Callable[[Setting, Any], str]  # (setting, default) -> the user's answer
Tell = Callable[[str], None]


def toml_value(value: Any) -> str:
    """A value as TOML (JSON string escapes are valid TOML)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        if not value:
            return "[]"
        return "[\n" + ",\n".join(f"  {json.dumps(v, ensure_ascii=False)}" for v in value) + ",\n]"
    return json.dumps(str(value), ensure_ascii=False)


def render_config(values: Mapping[str, Any]) -> str:
    """The config file text: every setting of the schema under its help; a text setting without a
    value is written commented out."""
    lines = list(HEADER)
    for section in SECTIONS:
        lines += ["", f"[{section}]"]
        for s in SCHEMA:
            if s.section != section or not s.in_file:
                continue
            comment = s.help + (f". Env: {s.env}" if s.env else "")
            lines += [f"# {line}" for line in textwrap.wrap(comment, 98, break_on_hyphens=False)]
            value = values.get(s.key, s.default)
            line = f"{s.toml_name or s.name} = {toml_value(value)}"
            lines.append(line if value != "" else "# " + line)
    return "\n".join(lines) + "\n"


def collect_values(given: Mapping[str, Any], ask: Ask | None = None, tell: Tell | None = None) -> dict[str, Any]:
    """The settings `zotrec init` writes: ``given`` (from flags; a bad one is a ConfigError), then an
    answer for each setting the schema prompts for (asked again, after ``tell``, while it is wrong)."""
    values: dict[str, Any] = {}
    for s in SCHEMA:
        if given.get(s.key) is not None:
            values[s.key] = s.parse(given[s.key], source=s.key)
        elif ask and s.prompt and (not s.backends or values.get("zotero.backend", "embedded") in s.backends):
            values[s.key] = _answer(s, _prompt_default(s, values), ask, tell or (lambda _m: None))
    if values.get("zotero.backend", "embedded") == "embedded" and not values.get("zotero.library"):
        values["zotero.library"] = str(paths.data_dir() / "library.sqlite")
    return values


def _prompt_default(s: Setting, values: Mapping[str, Any]) -> Any:
    if s.key == "zotero.library":
        return str(paths.data_dir() / "library.sqlite") if values.get("zotero.backend") == "embedded" else ""
    return ", ".join(s.default) if isinstance(s.default, list) else s.default


def _answer(s: Setting, default: Any, ask: Ask, tell: Tell) -> Any:
    while True:
        try:
            return s.parse(ask(s, default))
        except ConfigError as err:
            tell(f"{err}; try again")


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)  # whatever the umask
        os.write(fd, text.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)


def _replace_checked(path: Path, text: str, *, check: bool = True) -> list[str]:
    """Write ``text`` to ``path`` (0600, atomically) after loading it back, so a bad value fails now and
    not at 7am. Returns the loader's warnings."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    _write_private(tmp, text)
    try:
        warnings = load_config(tmp).warnings if check else []
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, path)
    return [w.replace(str(tmp), str(path)) for w in warnings]


def init_config(values: Mapping[str, Any], path: Path | None = None, *, force: bool = False) -> tuple[Path, list[str]]:
    """Write a commented config file with ``values`` (see :func:`collect_values`). Values may still come
    from the environment (e.g. ZOTERO_API_KEY). Returns (path, warnings)."""
    path = config_file(path)
    if path.exists() and not force:
        raise ConfigError(f"{path} exists: pass --force to replace it (or --config OTHER_PATH)")
    return path, _replace_checked(path, render_config(values))


def update_config(
    changes: Mapping[str, Any], path: Path | None = None, *, check: bool = True
) -> tuple[Path, list[str]]:
    """Set settings in the config file (created when missing), keeping its comments and other values.

    ``changes`` maps keys to values already parsed (see :meth:`Setting.parse`)."""
    import tomlkit

    path = config_file(path)
    doc = tomlkit.parse(path.read_text(encoding="utf-8")) if path.exists() else tomlkit.document()
    for key, value in changes.items():
        s = find_setting(key)
        if s.section not in doc:
            doc[s.section] = tomlkit.table()
        doc[s.section][s.toml_name or s.name] = value
    return path, _replace_checked(path, tomlkit.dumps(doc), check=check)


def set_setting(key: str, raw: str, path: Path | None = None) -> tuple[Path, Setting, Any, list[str]]:
    """`zotrec config set KEY VALUE`: check the value against the schema, then store it."""
    s = find_setting(key)
    if not s.in_file:
        raise ConfigError(f"{key} is never stored in the file: set {s.env} in the environment")
    value = s.parse(raw, source=key)
    written, warnings = update_config({key: value}, path)
    return written, s, value, warnings
