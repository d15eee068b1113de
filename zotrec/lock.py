"""The run lock: one file in the data dir so that two syncs never run at once.

The lock is an OS file lock (``fcntl.flock`` on POSIX, ``filelock`` elsewhere) on ``sync.lock``;
the OS releases it when the holder dies, so a lock left by a killed process is simply taken over.
The file also holds the holder's pid and start time, for the message the second sync prints.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from zotrec import paths
from zotrec.errors import ConfigError, LockHeld

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]


def lock_file() -> Path:
    return paths.data_dir() / "sync.lock"


class RunLock:
    """Non-blocking exclusive lock; raises :class:`LockHeld` (exit code 6) when another run holds it."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path) if path else lock_file()
        self._fd: int | None = None
        self._fallback: Any = None  # the filelock lock where fcntl is missing

    def acquire(self) -> RunLock:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise ConfigError(f"cannot create the data directory {self.path.parent} ({err.strerror})") from None
        if fcntl is None:
            return self._acquire_filelock()
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as err:
            raise ConfigError(
                f"cannot open the lock file {self.path} ({err.strerror}): check the data directory"
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise LockHeld(
                f"another zotrec sync is running ({holder_text(self.path)}); try again when it has finished"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()} {time.time():.0f}\n".encode())
        self._fd = fd
        return self

    def _acquire_filelock(self) -> RunLock:
        import filelock

        lock = filelock.FileLock(str(self.path) + ".flock")
        try:
            lock.acquire(timeout=0)
        except filelock.Timeout:
            raise LockHeld(
                f"another zotrec sync is running ({holder_text(self.path)}); try again when it has finished"
            ) from None
        self.path.write_text(f"{os.getpid()} {time.time():.0f}\n")
        self._fallback = lock
        return self

    def release(self) -> None:
        if self._fd is not None:
            try:
                os.ftruncate(self._fd, 0)
            except OSError:
                pass
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
        if self._fallback is not None:
            self._fallback.release()
            self._fallback = None

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()


def holder(path: Path | None = None) -> tuple[int, float] | None:
    """(pid, started) written by the current holder, or None when unknown."""
    try:
        pid_s, started_s = (Path(path or lock_file()).read_text().split() + ["", ""])[:2]
        return int(pid_s), float(started_s)
    except (OSError, ValueError):
        return None


def holder_text(path: Path | None = None) -> str:
    info = holder(path)
    if not info:
        return "lock file " + str(path or lock_file())
    pid, started = info
    return f"pid {pid}, started {time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(started))}"


def is_locked(path: Path | None = None) -> bool:
    """True when a live process holds the lock (probes without keeping it or changing the file)."""
    path = Path(path) if path else lock_file()
    if not path.exists():
        return False
    if fcntl is None:
        import filelock

        probe = filelock.FileLock(str(path) + ".flock")
        try:
            probe.acquire(timeout=0)
        except filelock.Timeout:
            return True
        probe.release()
        return False
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    except OSError:
        return True
    finally:
        os.close(fd)
