"""The morning e-mail: one multipart message per run, sent with the standard library.

The message has a plain-text part (rank, score, title, link and one line of why per pick), an HTML
part that renders in common mail clients (inline styles only, nothing loaded from anywhere, no SVG)
and the run's full HTML report attached. :func:`check_server` connects and logs in without sending,
for ``zotrec doctor``. The password comes from the environment only and is registered as a secret,
so it is redacted from every line zotrec prints or logs.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any

from zotrec.config import SMTP_PASSWORD_ENV, EmailSettings
from zotrec.errors import EXIT_PARTIAL, ZotrecError
from zotrec.logs import redact
from zotrec.report import display_title, new_picks, paper_links, report_name, run_date, why_line

TIMEOUT = 30.0  # seconds for connecting and each SMTP reply
MAX_ABSTRACT = 320  # characters of the abstract shown in the HTML part
TEMPLATES = Path(__file__).with_name("templates")


class MailError(ZotrecError):
    """The message could not be sent; the run itself is complete (exit 3, resend later)."""

    exit_code = EXIT_PARTIAL


# -- the message ----------------------------------------------------------------------------------
def subject(summary: dict[str, Any], picks: list[dict[str, Any]] | None = None) -> str:
    n = len(new_picks(summary) if picks is None else picks)
    return f"zotrec: {n} new paper{'' if n == 1 else 's'} for you ({run_date(summary)})"


def pick_views(picks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What both parts show of each pick: rank, score, title, link, why, and a few extras for HTML."""
    views = []
    for rank, paper in enumerate(picks, 1):
        href, links = paper_links(paper)
        authors = [str(a) for a in paper.get("authors") or []]
        abstract = " ".join(str(paper.get("abstract") or "").split())
        if len(abstract) > MAX_ABSTRACT:
            abstract = abstract[: MAX_ABSTRACT - 1].rsplit(" ", 1)[0] + "\u2026"
        topics = paper.get("topics") or []
        views.append(
            {
                "rank": rank,
                "score": f"{float(paper.get('score') or 0):.0f}",
                "title": display_title(paper.get("title")),
                "href": href,
                "links": links,
                "authors": ", ".join(authors[:6]) + (f" and {len(authors) - 6} more" if len(authors) > 6 else ""),
                "topic": (topics[0].get("name") or topics[0].get("label")) if topics else "",
                "why": why_line(paper),
                "abstract": abstract,
            }
        )
    return views


def text_body(summary: dict[str, Any], picks: list[dict[str, Any]], attachment: str | None) -> str:
    lines = [subject(summary, picks), ""]
    lines.append(
        f"{summary.get('papers', 0)} papers read, {len(picks)} new for your library "
        f"(threshold {float(summary.get('threshold') or 0):g})."
    )
    lines.append("")
    for view in pick_views(picks):
        lines.append(f"{view['rank']}. [{view['score']}] {view['title']}")
        if view["href"]:
            lines.append(f"   {view['href']}")
        if view["why"]:
            lines.append(f"   why: {view['why']}")
        lines.append("")
    if not picks:
        lines += ["Nothing new scored above the threshold this time.", ""]
    if attachment:
        lines.append(f"The full report is attached ({attachment}).")
    return "\n".join(lines) + "\n"


def html_body(summary: dict[str, Any], picks: list[dict[str, Any]], attachment: str | None) -> str:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.get_template("email.html.j2").render(
        subject=subject(summary, picks),
        date=run_date(summary),
        picks=pick_views(picks),
        papers=summary.get("papers", 0),
        threshold=f"{float(summary.get('threshold') or 0):g}",
        attachment=attachment,
    )


def build_message(settings: EmailSettings, summary: dict[str, Any], report_html: str | None = None) -> EmailMessage:
    """The run's message: text and HTML alternatives, the report attached when given."""
    picks = new_picks(summary)
    attachment = report_name(summary) if report_html is not None else None
    message = EmailMessage()
    message["Subject"] = subject(summary, picks)
    message["From"] = settings.from_address()
    message["To"] = ", ".join(settings.recipients())
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid("zotrec", domain=settings.from_address().rpartition("@")[2] or "zotrec.local")
    message.set_content(text_body(summary, picks, attachment))
    message.add_alternative(html_body(summary, picks, attachment), subtype="html")
    if report_html is not None and attachment:
        message.add_attachment(report_html, subtype="html", filename=attachment)
    return message


# -- the server -----------------------------------------------------------------------------------
def _where(settings: EmailSettings) -> str:
    return f"{settings.host}:{settings.port}"


def connect(settings: EmailSettings, timeout: float = TIMEOUT) -> smtplib.SMTP:
    """An SMTP session, encrypted as configured and logged in when a user is set (raises MailError)."""
    if settings.user and not settings.password:
        raise MailError(
            f"email.user is {settings.user!r} but {SMTP_PASSWORD_ENV} is not set: "
            "put the SMTP password in the environment"
        )
    server: smtplib.SMTP | None = None
    try:
        if settings.security == "tls":
            server = smtplib.SMTP_SSL(
                settings.host, settings.port, timeout=timeout, context=ssl.create_default_context()
            )
        else:
            server = smtplib.SMTP(settings.host, settings.port, timeout=timeout)
        server.ehlo()
        if settings.security == "starttls":
            server.starttls(context=ssl.create_default_context())
            server.ehlo()
        if settings.user:
            server.login(settings.user, settings.password)
        return server
    except BaseException as err:
        if server is not None:
            _close(server)
        raise _mail_error(settings, err) from None


def _close(server: smtplib.SMTP) -> None:
    try:
        server.quit()
    except (smtplib.SMTPException, OSError):
        server.close()


def _mail_error(settings: EmailSettings, err: BaseException) -> BaseException:
    """One line for what went wrong talking to the server (the password never appears)."""
    where = _where(settings)
    if isinstance(err, MailError) or not isinstance(err, Exception):
        return err
    if isinstance(err, smtplib.SMTPAuthenticationError):
        reply = err.smtp_error.decode("utf-8", "replace") if isinstance(err.smtp_error, bytes) else str(err.smtp_error)
        problem = f"refused the login of {settings.user!r} ({err.smtp_code} {' '.join(reply.split())})"
    elif isinstance(err, smtplib.SMTPNotSupportedError) and "AUTH" in str(err):  # login(), not starttls()
        problem = (
            f"offers no login on this connection for email.user {settings.user!r} ({err}): leave email.user "
            "empty if the server needs none, or use email.security = starttls or tls"
        )
    elif isinstance(err, smtplib.SMTPNotSupportedError):
        problem = f"does not support what email.security = {settings.security!r} needs ({err})"
    elif isinstance(err, smtplib.SMTPRecipientsRefused):
        problem = "refused the recipients " + ", ".join(sorted(err.recipients))
    elif isinstance(err, smtplib.SMTPSenderRefused):
        problem = f"refused the sender {err.sender!r} ({err.smtp_code})"
    elif isinstance(err, ssl.SSLError):
        problem = f"TLS failed ({err.reason or err}); check email.security and email.port"
    elif isinstance(err, smtplib.SMTPException):
        problem = f"answered with an error ({' '.join(str(err).split())})"
    elif isinstance(err, OSError):
        problem = f"cannot be reached ({err.strerror or err or type(err).__name__})"
    else:
        problem = f"failed ({type(err).__name__}: {err})"
    return MailError(redact(f"SMTP server {where} {problem}"))


def send_message(settings: EmailSettings, message: EmailMessage, timeout: float = TIMEOUT) -> None:
    """Send one message to every recipient (raises MailError with one line)."""
    server = connect(settings, timeout)
    try:
        server.send_message(message)
    except Exception as err:
        raise _mail_error(settings, err) from None
    finally:
        _close(server)


def check_server(settings: EmailSettings, timeout: float = 15.0) -> str:
    """Connect, say EHLO, encrypt and log in as configured; send nothing. Returns what worked."""
    server = connect(settings, timeout)
    _close(server)
    parts = ["EHLO ok"]
    if settings.security != "none":
        parts.append(f"{settings.security} ok")
    parts.append(f"login ok as {settings.user}" if settings.user else "no login (email.user not set)")
    return f"{_where(settings)}: " + ", ".join(parts)
