"""A real SMTP server on 127.0.0.1 (aiosmtpd in a thread) whose replies tests can script.

``MailServer`` records every accepted message; a test sets, per recipient, the reply to
RCPT, queues replies to DATA, asks for the connection to be dropped at DATA, or installs
a callback that runs after a message was accepted and before the 250 reaches the client.
Also: a self-signed certificate for 127.0.0.1 made on the fly for the TLS tests.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.data, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class Script:
    """What the server does. Lists are consumed one item per matching command."""

    rcpt: dict[str, list[str]] = field(default_factory=dict)  # address -> replies
    data: list[str] = field(default_factory=list)  # replies to DATA (then 250)
    drop_at_data: int = 0  # times to cut the connection instead of answering DATA
    after_accept: Callable[[], None] | None = None  # e.g. SIGKILL the client
    on_ehlo: Callable[[], None] | None = None


class Handler:
    def __init__(self) -> None:
        self.script = Script()
        self.received: list[Received] = []
        self.connections = 0
        self.lock = threading.Lock()

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        with self.lock:
            self.connections += 1
        session.host_name = hostname
        if self.script.on_ehlo is not None:
            self.script.on_ehlo()
        return responses

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        replies = self.script.rcpt.get(address)
        if replies:
            reply = replies.pop(0) if len(replies) > 1 else replies[0]
            if not reply.startswith("250"):
                return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.script.drop_at_data > 0:
            self.script.drop_at_data -= 1
            server.transport.abort()  # the client never learns what happened
            return "250 OK (never delivered: the connection is gone)"
        if self.script.data:
            reply = self.script.data.pop(0)
            if not reply.startswith("250"):
                return reply
        with self.lock:
            self.received.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content)
            )
        if self.script.after_accept is not None:
            self.script.after_accept()
        return "250 OK queued"


class LoopbackController(Controller):
    """aiosmtpd's Controller bound to port 0: the real port is read back after binding."""

    def _trigger_server(self) -> None:
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class MailServer:
    def __init__(self, **smtp_kwargs: Any) -> None:
        self.handler = Handler()
        self.controller = LoopbackController(
            self.handler, hostname="127.0.0.1", port=0, **smtp_kwargs
        )

    def __enter__(self) -> MailServer:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()

    @property
    def port(self) -> int:
        return int(self.controller.port)

    @property
    def script(self) -> Script:
        return self.handler.script

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    def deliveries(self) -> list[tuple[str, str]]:
        """(recipient, Message-ID) of every accepted delivery, in order."""
        return [(r, m.message["Message-ID"]) for m in self.received for r in m.rcpt_tos]


@contextlib.contextmanager
def free_port_that_never_answers() -> Iterator[int]:
    """A listening socket that accepts connections but never speaks (SMTP timeouts)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    try:
        yield sock.getsockname()[1]
    finally:
        sock.close()


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1/localhost: (cert.pem, key.pem)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "newswatch test SMTP")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def server_tls_context(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


def password_checker(login: str, password: str) -> Callable[..., AuthResult]:
    """An aiosmtpd authenticator accepting exactly one login/password."""

    def authenticate(
        server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            login.encode(),
            password.encode(),
        )
        return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd replies 535

    return authenticate
