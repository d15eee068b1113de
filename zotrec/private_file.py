"""Writing zotrec's own files: atomically, and readable by their owner only."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import IO


def write_private(path: Path, dump: Callable[[IO[bytes]], object]) -> None:
    """Fill a temporary file beside ``path`` with ``dump`` (mode 0600, its folder made 0700), then
    put it in place of ``path`` in one step, so a reader sees the old file or the new one, never half
    of one. An error (``OSError``, an interruption) is raised to the caller once the temporary file is removed."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            dump(fh)
        os.replace(tmp, path)
    except BaseException:  # also Ctrl-C in a cache writer (:mod:`zotrec.later`): no half file left
        tmp.unlink(missing_ok=True)
        raise
