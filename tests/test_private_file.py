"""write_private: the whole file or the old one, owner-only, no temporary file left behind."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
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


def test_an_interrupted_writer_leaves_no_temporary_file(tmp_path: Path) -> None:
    # Ctrl-C reaches a cache writer (zotrec.later forks it) while it dumps: the old file stays and
    # no half-written temporary file is left in the cache
    script = (
        "import sys, time\nfrom pathlib import Path\nfrom zotrec.private_file import write_private\n"
        "write_private(Path(sys.argv[1]), lambda fh: (fh.write(b'half'), fh.flush(), print('dumping', flush=True),"
        " time.sleep(60)))\n"
    )
    path = tmp_path / "entry.pickle"
    path.write_bytes(b"old")
    proc = subprocess.Popen(
        [sys.executable, "-c", script, str(path)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    assert proc.stdout is not None and proc.stdout.readline() == "dumping\n"
    assert len(os.listdir(tmp_path)) == 2  # the temporary file is being written
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=60) != 0
    assert path.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["entry.pickle"]
