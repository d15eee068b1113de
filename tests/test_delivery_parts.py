"""The parts of delivery on their own: the [email] and [feed] settings, the message built from a run
summary, SMTP failures as one line, the feed's ids and dates, and `zotrec doctor`'s two checks."""

from __future__ import annotations

import json
from pathlib import Path

import feedparser
import pytest
from bs4 import BeautifulSoup
from smtp_server import free_port, start_smtp_server, tls_contexts
from typer.testing import CliRunner

from zotrec.cli import app
from zotrec.config import EmailSettings, load_config
from zotrec.deliver import email_skip_reason
from zotrec.errors import EXIT_CONFIG, EXIT_PARTIAL, ConfigError
from zotrec.feed import FeedError, check_writable, collect_entries, entry_id, write_feed
from zotrec.mail import MailError, build_message, check_server, send_message

pytestmark = [  # the loopback server takes AUTH without TLS
    pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS"),
    pytest.mark.filterwarnings("ignore:Session.login_data is deprecated"),
]
runner = CliRunner()
DAY = 1_764_576_000.0  # 2025-12-01 08:00 UTC


def pick(title: str, score: float = 80.0, **extra) -> dict:
    paper = {
        "title": title,
        "ids": {},
        "url": None,
        "authors": ["Ada Lovelace", "Alan Turing"],
        "score": score,
        "topics": [{"label": "cs.LG", "name": "Machine Learning", "probability": 0.9}],
        "reasons": [{"title": "A paper I have", "key": "ABCD1234", "similarity": 0.42}],
        "terms": ["koopman"],
        "chosen": True,
        "why_not": None,
        "abstract": "An abstract.",
    }
    paper.update(extra)
    return paper


def summary(run_id: int, picks: list[dict], started: float = DAY, **extra) -> dict:
    data = {
        "run_id": run_id,
        "papers": 40,
        "threshold": 60.0,
        "started": started,
        "finished": started + 5,
        "recommended": picks,
        "all": picks,
        "sources": [],
        "library": {"description": "lib", "size": 3, "id": "web:user:1"},
        "pushed": [{"title": p["title"], "key": "KEYZ9876", "ids": p["ids"]} for p in picks],
        "failed": [],
        "skipped_duplicates": 0,
        "dry_run": False,
        "library_topics": {},
    }
    data.update(extra)
    return data


def settings(port: int, **extra) -> EmailSettings:
    values = {
        "to": "me@example.org",
        "sender": "zotrec@example.org",
        "host": "127.0.0.1",
        "port": port,
        "security": "none",
    }
    values.update(extra)
    return EmailSettings(**values)


# -- settings --------------------------------------------------------------------------------------
def test_email_and_feed_settings_from_file_and_environment(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text(
        '[email]\nto = "a@example.org, b@example.org"\nfrom = "z@example.org"\nhost = "smtp.example.org"\n'
        'port = 465\nsecurity = "tls"\nuser = "a@example.org"\npassword = "in-the-file"\nwhen = "always"\n\n'
        '[feed]\npath = "~/feeds/zotrec.atom"\nkeep = 50\n\n[reports]\nkeep = 5\n',
        encoding="utf-8",
    )
    cfg = load_config(config, env={"ZOTREC_SMTP_PASSWORD": "from-env-123"})
    email = cfg.email
    assert (
        email.recipients(),
        email.from_address(),
        email.host,
        email.port,
        email.security,
        email.user,
        email.when,
    ) == (
        ["a@example.org", "b@example.org"],
        "z@example.org",
        "smtp.example.org",
        465,
        "tls",
        "a@example.org",
        "always",
    )
    assert email.password == "from-env-123"  # never the file's
    assert any("email.password is never read from the file" in w and "ZOTREC_SMTP_PASSWORD" in w for w in cfg.warnings)
    assert (cfg.feed.path, cfg.feed.keep, cfg.keep_reports) == ("~/feeds/zotrec.atom", 50, 5)
    masked = cfg.masked()
    assert masked["email"]["password"] == "****23" and masked["email"]["from"] == "z@example.org"
    assert "from-env-123" not in json.dumps(masked) and "in-the-file" not in json.dumps(masked)


def test_delivery_defaults():
    cfg = load_config(env={})
    assert cfg.keep_reports == 30 and cfg.feed.keep == 100 and cfg.feed.path == ""
    assert not cfg.email.configured and cfg.email.when == "picks" and cfg.email.security == "starttls"


def test_email_set_one_key_at_a_time_says_which_comes_first(isolated_dirs):
    """README's [email] example lists `to` first; `zotrec config set email.to` alone names the next step."""
    refused = runner.invoke(app, ["config", "set", "email.to", "me@example.org"])
    assert refused.exit_code == EXIT_CONFIG
    assert "email.to is set but email.host is empty" in refused.stderr
    assert "`zotrec config set email.host smtp.example.org`" in refused.stderr
    assert runner.invoke(app, ["config", "set", "email.host", "smtp.example.org"]).exit_code == 0
    assert runner.invoke(app, ["config", "set", "email.to", "me@example.org"]).exit_code == 0
    assert load_config().email.to == "me@example.org"


@pytest.mark.parametrize(
    "section, message",
    [
        (
            '[email]\nto = "me@example.org"\nhost = "h"\nsecurity = "ssl"\n',
            "email.security must be one of none, starttls, tls",
        ),
        (
            '[email]\nto = "me@example.org"\nhost = "h"\nwhen = "daily"\n',
            "email.when must be one of picks, always, never",
        ),
        ('[email]\nto = "me@example.org"\n', "email.host is empty"),
        ('[email]\nto = "not an address"\nhost = "h"\n', "email.to is not a list of e-mail addresses"),
        ("[email]\nport = 0\n", "email.port must be between 1 and 65535"),
        ("[feed]\nkeep = 0\n", "feed.keep must be >= 1"),
    ],
)
def test_bad_delivery_settings_are_one_line(tmp_path, section, message):
    config = tmp_path / "config.toml"
    config.write_text(section, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_config(config, env={})
    res = runner.invoke(app, ["--config", str(config), "config", "show"])
    assert res.exit_code == EXIT_CONFIG and res.stderr.count("\n") == 1 and message.split(" ")[0] in res.stderr


# -- the message ------------------------------------------------------------------------------------
def test_message_from_a_summary_escapes_outside_text():
    hostile = pick(
        "<img src=http://evil/x> Koopman & {SINDy}",
        ids={"arxiv": "2401.01234"},
        abstract="<script>alert(1)</script> " + "word " * 200,
    )
    plain = pick("A paper without ids", score=70.4, reasons=[], terms=["chaos", "forecasting"])
    message = build_message(settings(25), summary(12, [hostile, plain]), "<html>report</html>")
    assert message["Subject"].startswith("zotrec: 2 new papers for you (2025-12-0")
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert (
        "1. [80] <img src=http://evil/x> Koopman & SINDy\n   https://arxiv.org/abs/2401.01234\n"
        "   why: closest in your library: A paper I have (0.42)\n" in text
    )
    assert "2. [70] A paper without ids\n   why: words that weighed most: chaos, forecasting\n" in text
    assert "The full report is attached (zotrec-run-12.html)." in text
    html = message.get_body(preferencelist=("html",)).get_content()
    soup = BeautifulSoup(html, "html.parser")
    assert not soup.find_all(["img", "script", "style", "svg"])
    assert "&lt;img src=http://evil/x&gt;" in html and "&lt;script&gt;" in html
    assert [a["href"] for a in soup.find_all("a")][:3] == [
        "https://arxiv.org/abs/2401.01234",
        "https://arxiv.org/abs/2401.01234",
        "https://arxiv.org/pdf/2401.01234",
    ]
    assert len(max((p.get_text() for p in soup.find_all("p")), key=len)) < 400, "the abstract is shortened"
    (attachment,) = message.iter_attachments()
    assert (
        attachment.get_filename() == "zotrec-run-12.html" and attachment.get_content().strip() == "<html>report</html>"
    )


def test_subject_says_one_paper_and_only_new_picks_count():
    known = pick("Already in the library")
    new = pick("Brand new")
    data = summary(3, [known, new])
    data["pushed"] = data["pushed"][1:]  # the first was skipped as a duplicate
    message = build_message(settings(25), data)
    assert message["Subject"] == f"zotrec: 1 new paper for you ({message['Subject'][-11:-1]})"
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "Brand new" in text and "Already in the library" not in text
    assert list(message.iter_attachments()) == []


@pytest.mark.parametrize(
    "flag, when, dry_run, picks, expected",
    [
        (None, "picks", False, 1, None),
        (None, "picks", False, 0, "no new picks (email.when = picks)"),
        (None, "always", False, 0, None),
        (None, "never", False, 1, "email.when = never"),
        (None, "picks", True, 1, "dry run"),
        (False, "always", False, 1, "--no-email"),
        (True, "never", True, 0, None),  # --email: this run's message whatever `when` says
    ],
)
def test_when_the_message_goes_out(flag, when, dry_run, picks, expected):
    data = summary(1, [pick("x")][:picks], dry_run=dry_run)
    assert email_skip_reason(settings(25, when=when), data, flag) == expected
    assert email_skip_reason(EmailSettings(), data, None) == "no [email] section"
    with pytest.raises(ConfigError, match="--email: no \\[email\\] section"):
        email_skip_reason(EmailSettings(), data, True)


def test_schedule_says_where_the_smtp_password_goes(tmp_path, monkeypatch):
    from zotrec.schedule import make_schedule

    config = tmp_path / "config.toml"
    config.write_text('[email]\nto = "me@example.org"\nhost = "smtp.example.org"\nuser = "me@example.org"\n')
    monkeypatch.setenv("ZOTREC_SMTP_PASSWORD", "pw-in-the-shell-9")
    (warning,) = make_schedule(config, "07:30").warnings
    assert warning.startswith("ZOTREC_SMTP_PASSWORD comes from your environment only")
    assert "`ZOTREC_SMTP_PASSWORD=...` at the top of your crontab" in warning and "pw-in-the-shell-9" not in warning


# -- the server -------------------------------------------------------------------------------------
def test_unreachable_server_is_one_line():
    port = free_port()
    with pytest.raises(MailError) as err:
        send_message(settings(port), build_message(settings(port), summary(1, [pick("x")])), timeout=5)
    assert err.value.exit_code == EXIT_PARTIAL
    assert str(err.value).startswith(f"SMTP server 127.0.0.1:{port} cannot be reached (") and "\n" not in str(err.value)


def test_starttls_refused_and_missing_password_are_one_line():
    server = start_smtp_server()
    try:
        with pytest.raises(MailError, match="does not support what email.security = 'starttls' needs"):
            check_server(settings(server.port, security="starttls"), timeout=5)
        with pytest.raises(MailError, match="ZOTREC_SMTP_PASSWORD is not set"):
            check_server(settings(server.port, user="me@example.org"), timeout=5)
        with pytest.raises(MailError) as err:  # a login the server does not offer: email.user is named
            check_server(settings(server.port, user="me@example.org", password="pw-9"), timeout=5)
        assert str(err.value) == (
            f"SMTP server 127.0.0.1:{server.port} offers no login on this connection for email.user "
            "'me@example.org' (SMTP AUTH extension not supported by server.): leave email.user empty if the "
            "server needs none, or use email.security = starttls or tls"
        )
        assert "EHLO ok" in check_server(settings(server.port), timeout=5) and server.inbox == []
    finally:
        server.stop()


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_encrypted_login_and_send_with_a_verified_certificate(tmp_path, monkeypatch, security):
    """The default security (starttls) and implicit tls against a server whose certificate the client
    verifies (a test CA trusted through SSL_CERT_FILE); an untrusted certificate is one line."""
    context, ca_file = tls_contexts(tmp_path)
    users = {"me@example.org": "tls-password-7"}
    server = start_smtp_server(users, **{security: context})
    try:
        email = settings(server.port, security=security, user="me@example.org", password="tls-password-7")
        with pytest.raises(MailError, match="TLS failed .*CERTIFICATE_VERIFY_FAILED.*check email.security"):
            check_server(email, timeout=10)  # the test CA is not trusted yet
        assert server.logins == []
        monkeypatch.setenv("SSL_CERT_FILE", ca_file)
        assert check_server(email, timeout=10) == (
            f"127.0.0.1:{server.port}: EHLO ok, {security} ok, login ok as me@example.org"
        )
        send_message(email, build_message(email, summary(4, [pick("Sent over TLS")])), timeout=10)
        (received,) = server.inbox
        assert "Sent over TLS" in received.message.get_body(preferencelist=("plain",)).get_content()
        assert server.logins == [("me@example.org", True)] * 2
    finally:
        server.stop()


def test_doctor_checks_email_login_and_feed_path_sending_nothing(tmp_path, monkeypatch, demo_library):
    """With a usable library, the e-mail and feed checks decide doctor's exit code."""
    server = start_smtp_server({"me@example.org": "right-password-1"})
    try:
        blocker = tmp_path / "a-file"
        blocker.write_text("x")
        config = tmp_path / "config.toml"
        config.write_text(
            f'[zotero]\nlibrary = {json.dumps(str(demo_library))}\n\n[email]\nto = "me@example.org"\nhost = "127.0.0.1"\nport = {server.port}\nsecurity = "none"\n'
            f'user = "me@example.org"\n\n[feed]\npath = {json.dumps(str(tmp_path / "feeds" / "z.atom"))}\n',
            encoding="utf-8",
        )
        monkeypatch.setenv("ZOTREC_SMTP_PASSWORD", "right-password-1")
        res = runner.invoke(app, ["--config", str(config), "doctor", "--no-sources", "--json"])
        checks = {c["name"]: c for c in json.loads(res.stdout)["checks"]}
        assert checks["email"]["status"] == "ok", checks["email"]
        assert (
            f"127.0.0.1:{server.port}: EHLO ok, login ok as me@example.org; to me@example.org"
            == checks["email"]["detail"]
        )
        assert checks["feed"]["status"] == "ok" and "created by the next sync" in checks["feed"]["detail"]
        assert not (tmp_path / "feeds").exists()
        monkeypatch.setenv("ZOTREC_SMTP_PASSWORD", "wrong-password-2")
        config.write_text(config.read_text().replace(str(tmp_path / "feeds"), str(blocker)), encoding="utf-8")
        res = runner.invoke(app, ["--config", str(config), "doctor", "--no-sources"])
        assert res.exit_code == EXIT_PARTIAL
        lines = [line for line in res.stderr.splitlines() if line.split()[1] in ("email", "feed")]
        assert len(lines) == 2 and all(line.startswith("FAIL") for line in lines)
        assert "refused the login of 'me@example.org' (535" in lines[0] and "wrong-password-2" not in res.output
        assert "not a directory" in lines[1]
        assert server.inbox == []
    finally:
        server.stop()


# -- the feed ---------------------------------------------------------------------------------------
def test_the_feed_is_the_one_file_others_may_read_and_readme_says_so(tmp_path):
    """A web server publishes the feed, so it is 0644, unlike zotrec's other (0600) files."""
    import stat

    path = tmp_path / "feeds" / "zotrec.atom"
    assert write_feed(path, [summary(1, [pick("Paper A", ids={"arxiv": "2401.00001"})])]) == 1
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    readme = " ".join((Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8").split())
    assert "The Atom feed (`feed.path`) is the exception: it is written 0644" in readme


def test_feed_keeps_one_entry_per_paper_with_its_first_date(tmp_path):
    a = pick("Paper A", ids={"arxiv": "2401.00001"})
    b = pick("Paper B", ids={"doi": "10.1000/b"})
    c = pick("Paper C \x00 with a control char")
    runs = [
        summary(3, [a, c], started=DAY + 2 * 86400),
        summary(2, [b], started=DAY + 86400, dry_run=True),
        summary(1, [a, b], started=DAY),
    ]  # newest first, as the state gives them
    entries = collect_entries(runs, keep=100)
    assert [e.paper["title"] for e in entries] == ["Paper C \x00 with a control char", "Paper A", "Paper B"]
    assert [e.run_id for e in entries] == [3, 1, 1], "A keeps the date of run 1; the dry run counts for nothing"
    assert [e.id for e in entries][1:] == ["urn:zotrec:arxiv:2401.00001", "urn:zotrec:doi:10.1000/b"]
    assert entries[0].id == entry_id(pick("paper   C \x00 WITH a control char"))  # folded title
    assert entries[0].id.startswith("urn:zotrec:title:")
    assert [e.paper["title"] for e in collect_entries(runs, keep=1)] == ["Paper A"], "keep: the newest run's best"
    path = tmp_path / "feed.atom"
    assert write_feed(path, runs, keep=100) == 3
    parsed = feedparser.parse(path.read_bytes())
    assert not parsed.bozo and [e.title for e in parsed.entries] == [
        "Paper C with a control char",
        "Paper A",
        "Paper B",
    ]
    entry = parsed.entries[1]
    assert entry.link == "https://arxiv.org/abs/2401.00001"
    assert [a.name for a in entry.authors] == ["Ada Lovelace", "Alan Turing"]
    assert entry.summary == (
        "An abstract.\n\nWhy (score 80): closest in your library: A paper I have (0.42)"
        "\n\nPDF: https://arxiv.org/pdf/2401.00001"
    )
    assert [link.href for link in entry.links] == ["https://arxiv.org/abs/2401.00001"]
    assert entry.tags[0].term == "cs.LG" and entry.published_parsed[:3] == (2025, 12, 1)
    assert not list(tmp_path.glob(".feed.atom.*")), "written atomically: no temp file left"


def test_feed_path_problems_are_one_line(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(FeedError, match="cannot write the feed"):
        write_feed(blocker / "feed.atom", [summary(1, [pick("x")])])
    with pytest.raises(FeedError, match="is a directory"):
        check_writable(tmp_path)
    assert check_writable(tmp_path / "new" / "f.atom").endswith("(created by the next sync)")
    assert Path(tmp_path / "new").exists() is False
