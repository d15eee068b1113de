"""Attacks through the file system on a running zotrec: unreadable digests, FIFOs and devices,
read-only state, a full disk, an unwritable cache, files left open to others.

Each test runs the real command in a process of its own (some without root's privileges) and checks
what zotrec does now: one line, the documented exit code, nothing lost, later runs unaffected.
"""

from __future__ import annotations

import json

from attackhelp import hostile_digest, setup, zotero_web  # noqa: F401 (fixtures)

from zotrec.demo import demo_digest_path


def _without_privileges(limit_file_size: int | None = None):
    """A preexec function for a zotrec subprocess that obeys file permissions even when the tests
    run as root: it empties the capability bounding set, so the exec'd process keeps uid 0 but no
    CAP_DAC_OVERRIDE (owner bits apply to root like to anyone). ``limit_file_size`` caps the size
    of any file the process writes (RLIMIT_FSIZE): a full disk as the process sees it (EFBIG)."""
    import ctypes
    import os
    import resource
    import signal

    def drop() -> None:
        if os.geteuid() == 0:
            libc = ctypes.CDLL(None, use_errno=True)
            for cap in range(64):
                libc.prctl(24, cap, 0, 0, 0)  # PR_CAPBSET_DROP; unknown numbers just fail
        if limit_file_size is not None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails, not kills
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit_file_size, limit_file_size))

    return drop


def _zotrec(*args: str, preexec=None, timeout: float = 180):
    import os
    import subprocess
    import sys

    return subprocess.run(
        [sys.executable, "-m", "zotrec", *args],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=timeout,
        preexec_fn=preexec,
        check=False,
    )


def _error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("error:")]


def test_an_unreadable_digest_is_exit_3_with_the_others_read(setup, tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    digest = locked / "today.jsonl"
    hostile_digest(digest, ["Locked:"])
    locked.chmod(0)
    try:
        probe = _zotrec("parse", str(digest), preexec=_without_privileges())
        assert probe.returncode == 7 and "permission denied" in probe.stderr, probe.stderr  # the loss is real
        proc = _zotrec(
            "sync",
            "--dry-run",
            "--json",
            "--digest",
            str(digest),
            "--digest",
            str(demo_digest_path()),
            preexec=_without_privileges(),
        )
    finally:
        locked.chmod(0o700)
    assert proc.returncode == 3, proc.stderr
    assert _error_lines(proc.stderr) == [f"error: {digest}: permission denied"]
    assert "Traceback" not in proc.stderr and json.loads(proc.stdout)["papers"] > 0


def test_fifo_and_devices_are_refused_at_once(setup, tmp_path):
    import os

    fifo = tmp_path / "digest.fifo"
    os.mkfifo(fifo)
    proc = _zotrec(
        "sync",
        "--dry-run",
        "--digest",
        str(fifo),
        "--digest",
        "/dev/zero",
        "--digest",
        str(demo_digest_path()),
        timeout=120,
    )  # before: the FIFO blocked, /dev/zero ate memory
    assert proc.returncode == 3, proc.stderr
    errors = _error_lines(proc.stderr)
    assert errors == [
        f"error: {fifo}: is a FIFO, not a regular file: zotrec reads digests from regular files only",
        "error: /dev/zero: is a device, not a regular file: zotrec reads digests from regular files only",
    ]


def test_a_read_only_state_or_a_full_disk_is_exit_4_with_one_line(setup):
    from zotrec import paths

    state = paths.state_file()
    assert state.is_file()  # the warm state of the setup
    state.chmod(0o400)
    try:
        proc = _zotrec("sync", preexec=_without_privileges())
    finally:
        state.chmod(0o600)
    assert proc.returncode == 4, proc.stderr
    (line,) = _error_lines(proc.stderr)
    assert str(state) in line and "readonly" in line and "Traceback" not in proc.stderr

    # a full disk: no file may grow past 4 KB (the warm state is larger: its feature cache)
    proc = _zotrec("sync", preexec=_without_privileges(limit_file_size=4096))
    assert proc.returncode == 4, proc.stderr
    (line,) = _error_lines(proc.stderr)
    assert str(state) in line and "disk" in line and "Traceback" not in proc.stderr, proc.stderr


def test_an_unwritable_cache_is_a_warning_and_the_run_goes_on(zotero_web):
    from zotrec import paths

    cache = paths.cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    cache.chmod(0o500)  # the item cache cannot be created
    try:
        proc = _zotrec("sync", "--digest", str(demo_digest_path()), preexec=_without_privileges())
    finally:
        cache.chmod(0o700)
    assert proc.returncode == 0, proc.stderr
    assert "item cache" in proc.stderr and "running without it" in proc.stderr and not _error_lines(proc.stderr)
    assert not (cache / "zotero-items.sqlite").exists()
    assert len(zotero_web.collection_items(zotero_web.collection_by_name("zotrec: Recommended"))) == 4


def test_debug_keeps_the_documented_exit_codes(setup, tmp_path):
    setup["config"].write_text("[sync]\nthreshold = 'high'\n")
    for args in (["sync"], ["--debug", "sync"]):
        proc = _zotrec(*args)
        assert proc.returncode == 4, (args, proc.stderr)
        assert _error_lines(proc.stderr) and ("Traceback" in proc.stderr) == ("--debug" in args)


def test_written_files_are_private_and_notes_name_no_local_path(setup, tmp_path):
    import os
    import stat as st

    from zotrec import paths
    from zotrec.library.embedded import EmbeddedLibrary

    (tmp_path / "private-folder").mkdir()
    digest = hostile_digest(tmp_path / "private-folder" / "today.jsonl", ["Ctrl \x1b[2J\x1b]0;pwned\x07\x00:"])
    for root in (paths.data_dir(), paths.cache_dir()):  # what an older version left: open to others
        for path in [root, *root.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
    os.umask(0o022)
    proc = _zotrec("sync", "--digest", str(digest))
    assert proc.returncode == 0, proc.stderr
    for root in (paths.data_dir(), paths.cache_dir()):
        for path in [root, *root.rglob("*")]:
            mode = st.S_IMODE(path.stat().st_mode)
            assert mode == (0o700 if path.is_dir() else 0o600), (path, oct(mode))
    lib = EmbeddedLibrary(setup["library"])
    notes = [i for i in lib.snapshot().items if i.get("itemType") == "note"] or [
        c for i in lib.snapshot().items for c in lib.children(i["key"])
    ]
    assert notes and all(str(tmp_path) not in n["note"] and "today.jsonl" in n["note"] for n in notes)
    pushed = [i for i in lib.snapshot().items if any(t["tag"] == "zotrec" for t in i.get("tags", []))]
    lib.close()
    assert pushed and not any(ch in json.dumps(i) for i in pushed for ch in ("\x1b", "\\u001b", "\\u0000"))
    log = (paths.data_dir() / "logs" / "zotrec.log").read_text()
    assert "Ctrl" in log and "\x1b" not in log and "\x00" not in log and "\x07" not in log
