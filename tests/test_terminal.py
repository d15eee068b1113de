"""The progress spinner: drawn by a forked child where it can be, so the command keeps one thread."""

from __future__ import annotations

import os
import threading

import pytest

from zotrec.terminal import ForkedStatus, plain_console, status

needs_fork = pytest.mark.skipif(not hasattr(os, "fork"), reason="the forked spinner needs os.fork")


@needs_fork
def test_the_forked_spinner_draws_each_message_and_clears_its_line(tmp_path):
    path = tmp_path / "terminal.txt"
    with open(path, "w", encoding="utf-8") as fh:
        console = plain_console(file=fh, force_terminal=True, width=80)
        threads = threading.active_count()
        with ForkedStatus(console, "syncing", spinner="dots") as spinner:
            assert threading.active_count() == threads  # nothing runs beside this thread
            spinner.update("reading the library")
            spinner.update("scoring [bold]2,000 papers[/bold]\n(\x1b[31m50,000 items)")
        fh.write("after\n")
    drawn = path.read_text(encoding="utf-8")
    # rich draws the latest message at its next tick; the child draws it at least when it stops
    assert "scoring [bold]2,000 papers[/bold] (50,000 items)" in drawn  # plain text, one line, no escape
    assert "\x1b[31m" not in drawn
    assert drawn.endswith("\x1b[?25hafter\n") or drawn.endswith("\x1b[2Kafter\n")  # finished before this line


def test_a_process_with_threads_keeps_richs_spinner(tmp_path):
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        with open(tmp_path / "t.txt", "w", encoding="utf-8") as fh:
            assert not isinstance(status(plain_console(file=fh), "syncing"), ForkedStatus)
    finally:
        stop.set()
        other.join()
