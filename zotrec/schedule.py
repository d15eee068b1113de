"""`zotrec schedule`: a crontab line and systemd units for the current config; `--install` adds the line.

The crontab program is ``crontab`` (``crontab -l`` / ``crontab -``), or the command in
``$ZOTREC_CRONTAB`` (tests point it at a fake script so the real crontab is never touched).
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from zotrec.config import CRONTAB_ENV, ENV_VARS, HOME_ENV, Config, environ, environment_settings, load_config
from zotrec.errors import EXIT_CONFIG, ConfigError, ZotrecError

TAG = "# zotrec-sync"
UNIT = "zotrec-sync"


@dataclass
class Schedule:
    hour: int
    minute: int
    command: list[str]  # argv of the sync command
    env: dict[str, str]  # environment the command needs (never a secret)
    config_path: Path
    warnings: list[str]

    @property
    def tag(self) -> str:
        return f"{TAG} {self.config_path}"

    def crontab_line(self) -> str:
        env = " ".join(f"{k}={shlex.quote(v)}" for k, v in self.env.items())
        cmd = " ".join(shlex.quote(part) for part in self.command)
        line = f"{self.minute} {self.hour} * * * " + (f"{env} " if env else "") + cmd
        return line.replace("%", "\\%") + f"  {self.tag}"  # % is a newline in crontab

    def service_unit(self) -> str:
        env = "".join(f"Environment={_systemd_quote(f'{k}={v}')}\n" for k, v in self.env.items())
        return (
            "[Unit]\n"
            "Description=zotrec: recommend new papers into your Zotero library\n"
            "Wants=network-online.target\n"
            "After=network-online.target\n\n"
            "[Service]\n"
            "Type=oneshot\n"
            f"{env}"
            f"ExecStart={' '.join(_systemd_quote(p) for p in self.command)}\n"
            "# exit 3 = partial success (some sources or writes failed; retried next run)\n"
            "SuccessExitStatus=3\n"
        )

    def timer_unit(self) -> str:
        return (
            "[Unit]\n"
            "Description=Run zotrec sync every day\n\n"
            "[Timer]\n"
            f"OnCalendar=*-*-* {self.hour:02d}:{self.minute:02d}:00\n"
            "Persistent=true\n"
            "RandomizedDelaySec=300\n\n"
            "[Install]\n"
            "WantedBy=timers.target\n"
        )


def _systemd_quote(value: str) -> str:
    if re.fullmatch(r"[A-Za-z0-9_@%+=:,./-]+", value):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def parse_time(at: str) -> tuple[int, int]:
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", at.strip())
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise ConfigError(f"--at must be HH:MM (24-hour clock), got {at!r}")
    return int(match.group(1)), int(match.group(2))


def zotrec_executable() -> str:
    """Absolute path of the `zotrec` command of this installation (cron has a minimal PATH)."""
    beside = Path(sys.executable).parent / "zotrec"
    if beside.exists():
        return str(beside)
    found = shutil.which("zotrec")
    if found:
        return str(Path(found).resolve())
    raise ConfigError("cannot find the zotrec command: install zotrec (pip install .) so that `zotrec` is on PATH")


def make_schedule(config_path: Path | None = None, at: str = "07:30", extra_args: list[str] | None = None) -> Schedule:
    """The schedule for the config at ``config_path`` (default: the user config file)."""
    hour, minute = parse_time(at)
    cfg = load_config(config_path)
    if cfg.path is None:
        raise ConfigError("no config file: run `zotrec init` first (cron does not see your shell's settings)")
    path = cfg.path.resolve()
    command = [zotrec_executable(), "--quiet", "--config", str(path), "sync", *(extra_args or [])]
    env = {}
    if environ(HOME_ENV):
        env[HOME_ENV] = str(Path(environ(HOME_ENV)).resolve())
    return Schedule(hour, minute, command, env, path, _environment_warnings(cfg))


def _environment_warnings(cfg: Config) -> list[str]:
    """Settings that come from this shell's environment only: cron and systemd will not see them."""
    assert cfg.path is not None
    in_env = environment_settings()
    try:
        file_only = load_config(cfg.path, env={})
        missing = [var for var in in_env if file_only.get(ENV_VARS[var]) != cfg.get(ENV_VARS[var])]
    except ConfigError:  # the file alone is not enough (e.g. the API key is only in the environment)
        missing = in_env
    env_only = [var for var in missing if not ENV_VARS[var].in_file]  # a password: never in the file
    missing = [var for var in missing if var not in env_only]
    warnings = []
    if missing:
        keys = ", ".join(f"{var} ({ENV_VARS[var].key})" for var in missing)
        warnings.append(
            f"{keys} set in your environment to a value {cfg.path} does not hold: cron and systemd read only "
            f"the file; store the value there with `zotrec config set {ENV_VARS[missing[0]].key} VALUE`"
        )
    if env_only:
        warnings.append(
            f"{', '.join(env_only)} comes from your environment only, which cron and systemd do not see: add a "
            f"line `{env_only[0]}=...` at the top of your crontab (`crontab -e`), or `Environment={env_only[0]}=...` "
            "to the systemd service (`systemctl --user edit zotrec-sync.service`)"
        )
    return warnings


# -- crontab -------------------------------------------------------------------------------------
class CrontabError(ZotrecError):
    """The crontab could not be read or written (no ``crontab`` program, cron refused): exit 4,
    like a configuration the run cannot use; the printed line can be added by hand."""

    exit_code = EXIT_CONFIG


def crontab_command() -> list[str]:
    return shlex.split(environ(CRONTAB_ENV) or "crontab")


def read_crontab() -> str:
    cmd = crontab_command()
    try:
        proc = subprocess.run([*cmd, "-l"], capture_output=True, text=True, timeout=30)
    except FileNotFoundError:
        raise CrontabError(f"{cmd[0]}: command not found; add the printed line to your crontab by hand") from None
    if proc.returncode != 0:
        if "no crontab" in (proc.stderr + proc.stdout).lower():
            return ""
        raise CrontabError(f"`{' '.join(cmd)} -l` failed: {' '.join(proc.stderr.split()) or proc.returncode}")
    return proc.stdout


def install_crontab(schedule: Schedule) -> str:
    """Add (or replace) this config's line in the user's crontab. Returns added | replaced | unchanged."""
    line = schedule.crontab_line()
    lines = read_crontab().splitlines()
    if line in lines:
        return "unchanged"
    kept = [existing for existing in lines if not existing.rstrip().endswith(schedule.tag)]
    status = "replaced" if len(kept) < len(lines) else "added"
    text = "\n".join(kept + [line]) + "\n"
    cmd = crontab_command()
    proc = subprocess.run([*cmd, "-"], input=text, capture_output=True, text=True, timeout=30)
    if proc.returncode != 0:
        raise CrontabError(f"`{' '.join(cmd)} -` failed: {' '.join(proc.stderr.split()) or proc.returncode}")
    return status


def write_systemd_units(schedule: Schedule, directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    service, timer = directory / f"{UNIT}.service", directory / f"{UNIT}.timer"
    service.write_text(schedule.service_unit(), encoding="utf-8")
    timer.write_text(schedule.timer_unit(), encoding="utf-8")
    return [service, timer]
