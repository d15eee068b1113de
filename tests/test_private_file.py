"""write_private: the whole file or the old one, owner-only, no temporary file left behind."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import IO

import pytest

from zotrec.private_file import write_private


def test_writes_the_file_owner_only_in_a_private_folder(tmp_path: Path) -> None:
    path = tmp_path / "cache" / "entry.pickle"
    write_private(path, lambda fh: fh.write(b"new"))
    assert path.read_bytes() == b"new"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) & 0o077 == 0
    assert os.listdir(path.parent) == ["entry.pickle"]


def test_a_failed_write_keeps_the_old_file_and_removes_the_temporary(tmp_path: Path) -> None:
    path = tmp_path / "entry.pickle"
    path.write_bytes(b"old")

    def fail(fh: IO[bytes]) -> None:
        fh.write(b"half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_private(path, fail)
    assert path.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["entry.pickle"]
