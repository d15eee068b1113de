"""The digest side in a forked process gives what the serial path gives: papers, reports, topics,
errors; a child that dies is replaced by the serial path."""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from zotrec import digest_side
from zotrec.demo import demo_digest_path
from zotrec.errors import ModelError, SourceError
from zotrec.pipeline import SyncOptions
from zotrec.recommend import texts

needs_fork = pytest.mark.skipif(not hasattr(os, "fork"), reason="the forked digest side needs os.fork")


def big_digest(folder: Path) -> Path:
    """An arXiv JSON-lines digest above the fork threshold: the demo papers twice, the second time as
    other papers (own ids, titles and the same abstracts), and one with LaTeX to decode."""
    rows = [json.loads(line) for line in (Path(demo_digest_path()).parent / "library.jsonl").open(encoding="utf-8")]
    lines = []
    for copy in (0, 1):
        for n, row in enumerate(rows):
            row = dict(row, id=f"2512.{copy}{n:04d}", title=f"{row['title']} (part {copy})" if copy else row["title"])
            lines.append(json.dumps(row))
    lines.append(json.dumps({"id": "2512.99999", "title": r"Fast $\alpha$-decay in \emph{thin} films", "summary": ""}))
    path = folder / "digest.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert path.stat().st_size >= digest_side.FORK_FROM_BYTES
    return path


def results(side: digest_side.DigestSide) -> tuple:
    try:
        papers, reports = side.papers()
        return papers, reports, side.topics()
    finally:
        side.close()


@needs_fork
def test_forked_side_gives_the_serial_results(tmp_path):
    options = SyncOptions(digests=[str(big_digest(tmp_path)), str(demo_digest_path()), str(tmp_path / "absent.jsonl")])
    serial = results(digest_side.DigestSide(options))
    forked_side = digest_side.start(options, fork=True)
    assert isinstance(forked_side, digest_side.ForkedDigestSide)
    forked = results(forked_side)
    assert len(serial[0]) > 300 and any(serial[2])
    assert serial[1][-1].error  # the missing file is reported, not raised
    assert forked == serial
    assert not forked_side._process.is_alive()
    assert forked_side._labeller is not None and not forked_side._labeller[0].is_alive()


@needs_fork
def test_a_fork_asked_for_labels_in_a_child_while_a_thread_runs(tmp_path):
    options = SyncOptions(digests=[str(big_digest(tmp_path))])
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait, daemon=True)  # as a server another test left running
    thread.start()
    try:
        assert not digest_side.worth_forking(options.digests)
        side = digest_side.start(options, fork=True)
        assert isinstance(side, digest_side.ForkedDigestSide)
        serial = results(digest_side.DigestSide(options))
        assert results(side) == serial
        assert side._labeller is not None and not side._labeller[0].is_alive()
    finally:
        stop.set()
        thread.join()


@needs_fork
def test_an_error_in_the_child_is_raised_here_as_it_is_serially(tmp_path):
    options = SyncOptions(digests=[str(big_digest(tmp_path))], model_path=tmp_path / "no-model.joblib")
    with pytest.raises(ModelError) as serial:
        results(digest_side.DigestSide(options))
    side = digest_side.start(options, fork=True)
    assert side.papers() == digest_side.DigestSide(options).papers()
    with pytest.raises(ModelError) as forked:
        side.topics()
    side.close()
    assert str(forked.value) == str(serial.value) and "no topic model there" in str(forked.value)
    assert "in the digest process" in "".join(forked.value.__notes__)


def test_errors_with_their_own_arguments_travel():
    err = digest_side.rebuild(digest_side.portable(SourceError("feed.xml", "not a feed")))
    assert isinstance(err, SourceError) and str(err) == "feed.xml: not a feed"
    assert (err.source, err.problem, err.exit_code) == ("feed.xml", "not a feed", SourceError.exit_code)

    class Local(Exception):  # not importable by name: travels as a RuntimeError with the same words
        pass

    err2 = digest_side.rebuild(digest_side.portable(Local("boom")))
    assert type(err2) is RuntimeError and str(err2) == "Local: boom"


@needs_fork
def test_a_killed_child_is_replaced_by_the_serial_path(tmp_path):
    options = SyncOptions(digests=[str(big_digest(tmp_path))])
    side = digest_side.start(options, fork=True)
    assert isinstance(side, digest_side.ForkedDigestSide)
    os.kill(side._process.pid, signal.SIGKILL)
    side._process.join()
    assert results(side) == results(digest_side.DigestSide(options))


@needs_fork
def test_a_killed_labeller_is_replaced_by_the_serial_path(tmp_path):
    options = SyncOptions(digests=[str(big_digest(tmp_path))])
    side = digest_side.start(options, fork=True)
    assert side.papers() == digest_side.DigestSide(options).papers()
    assert isinstance(side, digest_side.ForkedDigestSide) and side._labeller is not None
    labeller = side._labeller[0]
    assert labeller.pid != side._process.pid
    os.kill(labeller.pid, signal.SIGKILL)
    labeller.join()
    assert results(side) == results(digest_side.DigestSide(options))


@needs_fork
def test_the_reader_sends_the_word_ids_of_the_papers_texts(tmp_path):
    options = SyncOptions(digests=[str(big_digest(tmp_path))])
    side = digest_side.start(options, fork=True)
    assert isinstance(side, digest_side.ForkedDigestSide)
    assert side._conn.poll(60)  # the papers are here: the labeller starts at once
    side.start_topics()
    assert side._labeller is not None
    papers, _ = side.papers()
    tokens = side.tokens()
    want = texts.tokenize(papers)
    assert tokens is not None and tokens.split == want.split and tokens.tokens.words == want.tokens.words
    assert np.array_equal(tokens.tokens.ids, want.tokens.ids) and np.array_equal(
        tokens.tokens.bounds, want.tokens.bounds
    )
    assert not side._process.is_alive()
    assert side.topics() == digest_side.DigestSide(options).topics()
    side.close()
    serial = digest_side.DigestSide(options)
    serial.start_topics()
    assert serial.tokens() is None


def test_small_digests_and_threads_stay_in_this_process(tmp_path):
    small = Path(demo_digest_path())
    assert not digest_side.worth_forking([str(small)])
    assert not digest_side.worth_forking([])
    big = str(big_digest(tmp_path))
    alone = sys.platform.startswith("linux") and threading.active_count() == 1
    assert digest_side.worth_forking([big]) is alone
    assert digest_side.worth_forking(["https://example.org/feed.xml"]) is alone
    stop = threading.Event()
    worker = threading.Thread(target=stop.wait)
    worker.start()
    try:
        assert not digest_side.worth_forking([big])
        assert type(digest_side.start(SyncOptions(digests=[big]))) is digest_side.DigestSide
    finally:
        stop.set()
        worker.join()


@needs_fork
def test_recommend_ranks_the_same_with_the_digest_forked(tmp_path, monkeypatch, demo_library):
    from zotrec.runner import recommend_only

    digest = str(big_digest(tmp_path))
    monkeypatch.setattr(digest_side, "FORK", True)
    forked = recommend_only(str(demo_library), [digest], top=10)
    monkeypatch.setattr(digest_side, "FORK", False)
    serial = recommend_only(str(demo_library), [digest], top=10)
    assert [r.to_json() for r in forked.ranked] == [r.to_json() for r in serial.ranked]
    assert forked.sources == serial.sources and len(forked.ranked) > 300


@needs_fork
def test_ctrl_c_is_left_to_this_process(tmp_path, capfd):
    # a terminal sends Ctrl-C to every process of the command: this one answers it (one line, exit
    # 130) and stops the children, which neither print a traceback nor turn it into their answer
    options = SyncOptions(digests=[str(big_digest(tmp_path))])
    side = digest_side.start(options, fork=True)
    assert isinstance(side, digest_side.ForkedDigestSide)
    papers, _ = side.papers()  # the labeller starts; the reader waits to send the word ids (300 kB)
    assert side._labeller is not None
    labeller = side._labeller[0]
    os.kill(labeller.pid, signal.SIGINT)
    assert side._process.is_alive()
    os.kill(side._process.pid, signal.SIGINT)
    side._process.join(1.0)
    tokens = side.tokens()
    assert tokens is not None and np.array_equal(tokens.tokens.ids, texts.tokenize(papers).tokens.ids)
    assert side.topics() == digest_side.DigestSide(options).topics()
    side.close()
    assert labeller.exitcode == 0 and side._process.exitcode == 0
    assert "Traceback" not in capfd.readouterr().err


@needs_fork
def test_interactive_sync_forks_the_digest_side_beside_its_spinner(tmp_path):
    # the terminal UI on (no --quiet, no --json): the spinner must not keep the digest side in this process
    import re
    import subprocess

    home = tmp_path / "home"
    command = [sys.executable, "-m", "zotrec", "sync", "--demo", "--dry-run", "--digest", str(big_digest(tmp_path))]
    run = subprocess.run(command, env=dict(os.environ, ZOTREC_HOME=str(home)), capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    log = (home / "data" / "logs" / "zotrec.log").read_text(encoding="utf-8")
    (main,) = re.findall(r"sync start \(pid (\d+)", log)
    ((reader, labeller),) = re.findall(r"digests read in process (\d+), topics labelled in process (\d+)", log)
    assert main not in (reader, labeller) and reader != labeller
