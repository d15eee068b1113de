"""The run log (a rotating file in the data dir) and secret redaction for everything zotrec prints.

Secrets (API keys) are registered when the configuration is loaded; :func:`redact` replaces them in
any text, and the log handler and the CLI's error lines pass everything through it.
"""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

from zotrec import paths
from zotrec.text import strip_controls

LOG_NAME = "zotrec.log"
MAX_BYTES = 1_000_000
BACKUPS = 5
_SECRETS: set[str] = set()
_HANDLER: logging.Handler | None = None

log = logging.getLogger("zotrec.run")


def register_secret(value: str | None) -> None:
    """Never show ``value`` anywhere (ignored when empty or too short to be a key)."""
    if value and len(value) >= 4:
        _SECRETS.add(value)


def redact(text: str) -> str:
    for secret in sorted(_SECRETS, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, "****")
    return text


class RedactingFilter(logging.Filter):
    """Formats the record once and replaces any registered secret in it."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not kill the run
            message = str(record.msg)
        # one line per record, no terminal escapes: `tail zotrec.log` must not run what a title holds
        record.msg, record.args = redact(" ".join(strip_controls(message).splitlines())), None
        if record.exc_info:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


class _QuietFileHandler(logging.handlers.RotatingFileHandler):
    """The run log; a write that fails (full disk) is dropped instead of printing a traceback."""

    def handleError(self, record: logging.LogRecord) -> None:
        pass


def log_file() -> Path:
    return paths.data_dir() / "logs" / LOG_NAME


def setup_file_log(path: Path | None = None) -> Path:
    """Attach the rotating log file to the ``zotrec`` logger (INFO and up); idempotent."""
    global _HANDLER
    path = Path(path) if path else log_file()
    if _HANDLER is not None:
        if getattr(_HANDLER, "baseFilename", None) == str(path.resolve()):
            return path
        close_file_log()
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = _QuietFileHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8")
    for private in (path.parent, path):
        paths.make_private(private)
    handler.setLevel(logging.INFO)
    handler.setFormatter(logging.Formatter("%(asctime)s %(process)d %(levelname)s %(message)s"))
    handler.addFilter(RedactingFilter())
    # warnings of every zotrec module go to the file (and the console, as before) ...
    logging.getLogger("zotrec").addHandler(handler)
    # ... and the run record (INFO) only to the file: it must not reach the console in --quiet mode
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
    _HANDLER = handler
    return path


def close_file_log() -> None:
    global _HANDLER
    if _HANDLER is not None:
        logging.getLogger("zotrec").removeHandler(_HANDLER)
        log.removeHandler(_HANDLER)
        _HANDLER.close()
        _HANDLER = None
