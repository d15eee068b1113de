"""What a finished run delivers: its HTML report kept in the data dir, the Atom feed and the e-mail.

Delivery starts once the run is recorded in the state, so it never loses a run: a report that
cannot be written, a feed path that is not writable or an SMTP server that refuses the login is one
error line and exit 3, and ``zotrec report --email RUN`` sends the message again later.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zotrec.config import Config, EmailSettings
from zotrec.errors import ConfigError, UnknownRun, ZotrecError
from zotrec.report import keep_report, new_picks, render_report, write_html


@dataclass
class Delivery:
    """Where a run's picks went, and what failed on the way."""

    report: Path | None = None  # the page to open: the kept report, else the --report file
    feed: Path | None = None
    feed_entries: int = 0
    emailed: list[str] = field(default_factory=list)  # recipients of the message sent
    email_skipped: str | None = None  # why no message went out, when e-mail is configured
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0  # how long the delivery took (rendering, files, SMTP)

    def to_json(self) -> dict[str, Any]:
        return {
            "report": str(self.report) if self.report else None,
            "feed": str(self.feed) if self.feed else None,
            "feed_entries": self.feed_entries,
            "emailed": self.emailed,
            "email_skipped": self.email_skipped,
            "errors": self.errors,
            "seconds": round(self.seconds, 3),
        }


def deliver(
    result: Any,
    cfg: Config,
    state: Any,
    *,
    report: Path | None = None,
    email: bool | None = None,
    feed: Path | None = None,
) -> Delivery:
    """Write the reports, the feed and the e-mail of a finished run (a SyncResult); never raises for
    a delivery failure, which lands in ``Delivery.errors``."""
    started = time.perf_counter()
    done = _deliver(result.to_json(), cfg, state, report=report, email=email, feed=feed)
    done.seconds = time.perf_counter() - started
    return done


def _deliver(
    summary: dict[str, Any], cfg: Config, state: Any, *, report: Path | None, email: bool | None, feed: Path | None
) -> Delivery:
    done = Delivery()
    html = _render(summary, done.errors)
    if html is not None:
        done.report = _reports(summary, html, report, cfg.keep_reports, done.errors)
    feed_path = feed or (Path(cfg.feed.path).expanduser() if cfg.feed.path else None)
    if feed_path and not summary.get("dry_run"):
        from zotrec.feed import state_summaries, write_feed

        try:
            done.feed_entries = write_feed(feed_path, state_summaries(state), cfg.feed.keep)
            done.feed = feed_path
        except Exception as err:
            done.errors.append(_problem(err, f"feed {feed_path} not written"))
    try:
        skip = email_skip_reason(cfg.email, summary, email)
    except ConfigError as err:
        done.errors.append(str(err))
        return done
    if skip is not None:
        done.email_skipped = skip
        return done
    try:
        done.emailed = send_run(cfg.email, summary, html)
    except Exception as err:
        again = f"; send it again with `zotrec report --email {summary['run_id']}`" if summary.get("run_id") else ""
        done.errors.append(f"e-mail not sent: {_problem(err, 'failed')}{again}")
    return done


def _problem(err: Exception, what: str) -> str:
    return str(err) if isinstance(err, ZotrecError) else f"{what}: unexpected {type(err).__name__}: {err}"


def _render(summary: dict[str, Any], errors: list[str]) -> str | None:
    """The run's report page, rendered once for the files and the e-mail attachment."""
    try:
        return render_report(summary)
    except Exception as err:
        errors.append(_problem(err, "report not rendered"))
        return None


def _reports(summary: dict[str, Any], html: str, report: Path | None, keep: int, errors: list[str]) -> Path | None:
    shown = None
    try:
        if report:
            shown = write_html(report, html)
        if keep:
            shown = keep_report(summary, keep, html) or shown
    except Exception as err:
        errors.append(_problem(err, "report not written"))
    return shown


def email_skip_reason(settings: EmailSettings, summary: dict[str, Any], flag: bool | None) -> str | None:
    """None when this run's message should go out, else why not. ``flag`` is --email (True: send
    whatever ``email.when`` says) or --no-email (False)."""
    if flag is False:
        return "--no-email"
    if not settings.configured:
        if flag:
            raise ConfigError("--email: no [email] section with `to` and `host` in the config (see README)")
        return "no [email] section"
    if flag:
        return None
    if summary.get("dry_run"):
        return "dry run"
    if settings.when == "never":
        return "email.when = never"
    if settings.when == "picks" and not new_picks(summary):
        return "no new picks (email.when = picks)"
    return None


def send_run(settings: EmailSettings, summary: dict[str, Any], html: str | None = None) -> list[str]:
    """Send the message of one run summary (its report attached); returns the recipients."""
    from zotrec.mail import build_message, send_message

    message = build_message(settings, summary, render_report(summary) if html is None else html)
    send_message(settings, message)
    return settings.recipients()


def resend(state: Any, cfg: Config, run_id: int | None = None) -> tuple[int, list[str]]:
    """``zotrec report --email RUN``: send a recorded run's message again (default: the last run)."""

    if not cfg.email.configured:
        raise ConfigError("no [email] section with `to` and `host` in the config (see README)")
    if run_id is None:
        run_id = state.last_run_id()
        if run_id is None:
            raise UnknownRun("no recorded run to send yet (run `zotrec sync` first)")
    summary = state.run_summary(run_id)
    if summary is None:
        raise UnknownRun(f"no summary for run {run_id} in the state (see `zotrec history`)")
    return run_id, send_run(cfg.email, summary)
