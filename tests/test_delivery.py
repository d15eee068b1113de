"""Delivery end to end: `zotrec sync --demo` e-mails the picks to a real SMTP server on 127.0.0.1 (with
AUTH), writes the Atom feed (read back with feedparser) and keeps the report; a refused login is one
line and exit 3 with the run recorded, and `zotrec report --email RUN` sends it again."""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import feedparser
import pytest
from bs4 import BeautifulSoup
from opshelp import run_zotrec
from smtp_server import SmtpServer, start_smtp_server
from typer.testing import CliRunner

from zotrec.cli import app
from zotrec.errors import EXIT_OK, EXIT_PARTIAL
from zotrec.report import display_title, new_picks, run_date

pytestmark = [  # the loopback server takes AUTH without TLS
    pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS"),
    pytest.mark.filterwarnings("ignore:Session.login_data is deprecated"),
]
runner = CliRunner()
USER, PASSWORD = "me@example.org", "s3cret-Pa55-word"


@dataclass
class Runs:
    home: Path
    config: Path
    feed: Path
    server: SmtpServer
    results: list[Any]  # CliRunner results of the three syncs
    summaries: list[dict[str, Any]]  # the three runs' summaries from the state
    inbox_after: list[int]  # messages received after each run


def email_config(home: Path, port: int, feed: Path | None = None, extra: str = "") -> Path:
    config = home / "config.toml"
    text = (
        f'[email]\nto = "{USER}, colleague@example.org"\nfrom = "zotrec@example.org"\nhost = "127.0.0.1"\n'
        f'port = {port}\nsecurity = "none"\nuser = "{USER}"\nwhen = "picks"\n'
    )
    if feed:
        text += f"\n[feed]\npath = {json.dumps(str(feed))}\n"
    config.write_text(text + extra, encoding="utf-8")
    return config


@pytest.fixture(scope="module")
def runs():
    """Three demo syncs in one home: top 3, then top 6 (3 known, the rest new), then a day without picks
    that writes the feed to another file (``--feed``)."""
    from zotrec import paths
    from zotrec.state import StateStore

    home = Path(tempfile.mkdtemp(prefix="zotrec-delivery-"))
    server = start_smtp_server({USER: PASSWORD})
    saved = {k: os.environ.get(k) for k in ("ZOTREC_HOME", "ZOTREC_SMTP_PASSWORD")}
    os.environ.update(ZOTREC_HOME=str(home), ZOTREC_SMTP_PASSWORD=PASSWORD)
    try:
        feed = home / "feeds" / "picks.atom"
        config = email_config(home, server.port, feed)
        results, inbox_after = [], []
        for args in (["--top", "3"], ["--top", "6"], ["--top", "0", "--feed", str(home / "again.atom")]):
            results.append(runner.invoke(app, ["--config", str(config), "sync", "--demo", *args]))
            inbox_after.append(len(server.inbox))
        state = StateStore(paths.state_file())
        summaries = [state.run_summary(i) for i in (1, 2, 3)]
        state.close()
        yield Runs(home, config, feed, server, results, summaries, inbox_after)
    finally:
        server.stop()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        shutil.rmtree(home, ignore_errors=True)


def _parts(message):
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    attachments = list(message.iter_attachments())
    return text, html, attachments


def test_sync_emails_one_message_listing_every_pick(runs):
    assert [r.exit_code for r in runs.results] == [EXIT_OK] * 3, [r.output for r in runs.results]
    assert runs.inbox_after[0] == 1, "run 1 sends exactly one message"
    received = runs.server.inbox[0]
    assert received.recipients == [USER, "colleague@example.org"]
    assert runs.server.logins == [(USER, True)] * len(runs.server.logins) and runs.server.logins
    picks = new_picks(runs.summaries[0])
    assert len(picks) == len(runs.summaries[0]["pushed"]) > 0
    message = received.message
    assert message["Subject"] == f"zotrec: {len(picks)} new papers for you ({run_date(runs.summaries[0])})"
    assert message["From"] == "zotrec@example.org"
    text, _, _ = _parts(message)
    body = text.get_content()
    for rank, pick in enumerate(picks, 1):
        assert f"{rank}. [{pick['score']:.0f}] {display_title(pick['title'])}" in body
    # each pick has its link and one line of why
    assert body.count("   why: closest in your library: ") == len(picks)
    assert PASSWORD not in body


def test_message_parts_html_and_attachment(runs):
    message = runs.server.inbox[0].message
    assert message.get_content_type() == "multipart/mixed"
    text, html, attachments = _parts(message)
    assert text.get_content_type() == "text/plain" and html.get_content_type() == "text/html"
    page = html.get_content()
    soup = BeautifulSoup(page, "html.parser")
    picks = new_picks(runs.summaries[0])
    titles = [
        " ".join(p.get_text(" ").split())
        for p in soup.find_all("p")
        if p.get("style", "").startswith("margin:0;font-size:16px")
    ]
    assert titles == [display_title(p["title"]) for p in picks]
    # renders in mail clients: inline styles only, nothing loaded, no SVG
    assert not soup.find_all(["style", "script", "img", "svg", "link", "iframe"])
    assert not any(tag.has_attr("src") or tag.has_attr("class") for tag in soup.find_all(True))
    assert all(a["href"].startswith("https://") for a in soup.find_all("a"))
    (attachment,) = attachments
    assert attachment.get_filename() == "zotrec-run-1.html"
    assert attachment.get_content_type() == "text/html"
    kept = runs.home / "data" / "reports" / "zotrec-run-1.html"
    assert attachment.get_content().replace("\r\n", "\n") == kept.read_text(encoding="utf-8")  # SMTP sends CRLF


def test_second_run_mails_only_new_picks_and_quiet_day_sends_nothing(runs):
    assert runs.inbox_after == [1, 2, 2], "run 3 (no picks, email.when = picks) sends no message"
    second = runs.summaries[1]
    picks = new_picks(second)
    assert picks and len(picks) == len(second["pushed"])
    message = runs.server.inbox[1].message
    assert message["Subject"].startswith(f"zotrec: {len(picks)} new paper")
    body = _parts(message)[0].get_content()
    known = {p["title"] for p in runs.summaries[0]["recommended"]}
    for pick in picks:
        assert display_title(pick["title"]) in body
    for title in known - {p["title"] for p in picks}:
        assert display_title(title) not in body
    assert runs.summaries[2]["recommended"] == [] and not new_picks(runs.summaries[2])


def test_feed_has_every_pick_once_with_stable_ids(runs):
    parsed = feedparser.parse(runs.feed.read_bytes())
    assert not parsed.bozo, parsed.get("bozo_exception")
    picks = new_picks(runs.summaries[0]) + new_picks(runs.summaries[1])
    titles = [e.title for e in parsed.entries]
    assert sorted(titles) == sorted(display_title(p["title"]) for p in picks)
    ids = [e.id for e in parsed.entries]
    assert len(ids) == len(set(ids)) == len(picks)
    # the entries of run 1 kept their id and date through runs 2 and 3; newest picks first
    first = {display_title(p["title"]) for p in new_picks(runs.summaries[0])}
    assert {e.title for e in parsed.entries[-len(first) :]} == first
    entry = parsed.entries[0]
    assert entry.summary and "Why (score" in entry.summary
    assert entry.link.startswith("http") or entry.get("content")


def test_feed_ids_are_the_same_after_another_run(runs):
    before = feedparser.parse(runs.feed.read_bytes())  # feed.path, last written by run 2
    after = feedparser.parse((runs.home / "again.atom").read_bytes())  # run 3's --feed FILE
    assert [(e.id, e.title, e.updated) for e in after.entries] == [(e.id, e.title, e.updated) for e in before.entries]
    assert f"feed: {runs.home / 'again.atom'} ({len(after.entries)} entries)" in runs.results[2].stdout


def test_last_line_is_the_report_link(runs):
    """The report link ends the output; a run that picks nothing ends with the sentence saying why."""
    for number, res in enumerate(runs.results, 1):
        lines = res.stdout.strip().splitlines()
        if lines[-1].startswith("nothing new: "):  # the same digest again the same day
            lines.pop()
        assert lines[-1] == f"report: {(runs.home / 'data' / 'reports' / f'zotrec-run-{number}.html').as_uri()}"
    folder = runs.home / "data" / "reports"
    assert (folder / "latest.html").read_bytes() == (folder / "zotrec-run-3.html").read_bytes()
    assert "e-mailed the picks to me@example.org, colleague@example.org" in runs.results[0].stdout
    assert "e-mailed" not in runs.results[2].stdout


def test_report_open_starts_the_browser_on_the_latest(runs, tmp_path):
    opened = tmp_path / "opened.txt"
    browser = tmp_path / "browser.py"
    browser.write_text(f"import sys, pathlib\npathlib.Path({str(opened)!r}).write_text(sys.argv[1])\n")
    res = run_zotrec(
        "report", "--open", env={"ZOTREC_HOME": str(runs.home), "BROWSER": f"{sys.executable} {browser} %s"}
    )
    assert res.returncode == 0, res.stderr
    latest = runs.home / "data" / "reports" / "latest.html"
    assert res.stdout.strip() == str(latest)
    assert opened.read_text() == latest.as_uri()


def test_refused_login_is_one_line_exit_3_and_the_run_is_recorded(tmp_path, monkeypatch):
    from zotrec import paths
    from zotrec.state import StateStore

    server = start_smtp_server({USER: PASSWORD})
    try:
        monkeypatch.setenv("ZOTREC_SMTP_PASSWORD", "wrong-password-42")
        feed = tmp_path / "picks.atom"
        config = email_config(tmp_path, server.port, feed)
        res = runner.invoke(app, ["--config", str(config), "sync", "--demo", "--top", "2"])
        assert res.exit_code == EXIT_PARTIAL, res.output
        (line,) = res.stderr.strip().splitlines()
        assert line.startswith("error: e-mail not sent: SMTP server 127.0.0.1:") and "refused the login" in line
        assert line.endswith("send it again with `zotrec report --email 1`")
        assert "wrong-password-42" not in res.output
        assert server.inbox == [] and server.logins and all(login == (USER, False) for login in server.logins)
        # the picks were pushed and recorded; the feed and the report were still written
        state = StateStore(paths.state_file())
        summary = state.run_summary(1)
        (run,) = state.runs()
        state.close()
        assert run["counts"]["pushed"] == len(summary["pushed"]) == 2
        assert len(feedparser.parse(feed.read_bytes()).entries) == 2
        assert (paths.data_dir() / "reports" / "zotrec-run-1.html").is_file()
        log = (paths.data_dir() / "logs" / "zotrec.log").read_text(encoding="utf-8")
        assert "refused the login" in log and "wrong-password-42" not in log
        # resend once the password is right
        monkeypatch.setenv("ZOTREC_SMTP_PASSWORD", PASSWORD)
        res = runner.invoke(app, ["--config", str(config), "report", "--email", "1"])
        assert res.exit_code == EXIT_OK, res.output
        assert res.stdout.strip() == f"e-mailed run 1's picks to {USER}, colleague@example.org"
        (received,) = server.inbox
        titles = [display_title(p["title"]) for p in summary["recommended"]]
        assert all(t in received.message.get_body(preferencelist=("plain",)).get_content() for t in titles)
    finally:
        server.stop()
