"""A real SMTP server on 127.0.0.1 for the e-mail tests (aiosmtpd in a thread), with AUTH LOGIN/PLAIN.

Every message it accepts is parsed back with the standard library and kept in ``inbox``; every login
attempt is recorded, so a test can check that a refused login sent nothing.
"""

from __future__ import annotations

import email
import email.policy
import socket
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (right now)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Received:
    envelope_from: str
    recipients: list[str]
    message: EmailMessage


@dataclass
class SmtpServer:
    """The running server: where it listens and what it received."""

    host: str
    port: int
    users: dict[str, str]
    inbox: list[Received] = field(default_factory=list)
    logins: list[tuple[str, bool]] = field(default_factory=list)  # (user, accepted)
    controller: Controller | None = None

    # aiosmtpd handler hook
    async def handle_DATA(self, server, session, envelope) -> str:  # aiosmtpd's hook name
        parsed = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        self.inbox.append(Received(envelope.mail_from, list(envelope.rcpt_tos), parsed))  # type: ignore[arg-type]
        return "250 Message accepted for delivery"

    def authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        user = auth_data.login.decode()
        ok = self.users.get(user) == auth_data.password.decode()
        self.logins.append((user, ok))
        return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535 on failure

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


def start_smtp_server(
    users: dict[str, str] | None = None, *, starttls: ssl.SSLContext | None = None, tls: ssl.SSLContext | None = None
) -> SmtpServer:
    """Start a server; with ``users`` it offers AUTH and requires it (over plain text unless TLS is on:
    loopback only). ``starttls``: offer STARTTLS with this context (and require it before AUTH);
    ``tls``: implicit TLS from the first byte."""
    server = SmtpServer("127.0.0.1", free_port(), dict(users or {}))
    kwargs: dict = {}
    if users:
        kwargs = {"authenticator": server.authenticate, "auth_required": True, "auth_require_tls": bool(starttls)}
    if starttls is not None:
        kwargs.update(tls_context=starttls, require_starttls=True)
    if tls is not None:
        kwargs.update(ssl_context=tls)
    server.controller = Controller(server, hostname=server.host, port=server.port, **kwargs)
    server.controller.start()
    return server


def tls_contexts(directory) -> tuple[ssl.SSLContext, str]:
    """A server context with a certificate for 127.0.0.1 from a fresh test CA (trustme), and the CA's
    PEM file for the client to trust (``SSL_CERT_FILE``)."""
    import trustme

    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    pem = f"{directory}/test-ca.pem"
    ca.cert_pem.write_to_path(pem)
    return context, pem
