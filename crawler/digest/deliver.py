"""Delivering a stored digest: SMTP (smtplib) and the file archive.

Outcomes are classified for the outbox: ``sent`` when the server said 250 (or the files
are on disk), ``failed`` when the server refused for good (5xx to RCPT or DATA), and
``pending`` for everything that may work later: 4xx replies, a dropped connection, a
timeout, a TLS or login problem. An unknown outcome (the connection dropped after the
message went out) is ``pending`` too: the retry reuses the stored bytes, and so the
Message-ID, which lets mail clients recognise a duplicate.
"""

from __future__ import annotations

import contextlib
import os
import smtplib
import ssl
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from types import TracebackType

from crawler.config import SmtpSettings

SENT, PENDING, FAILED = "sent", "pending", "failed"
FILES = "files"  # the pseudo-recipient of the file archive


@dataclass(frozen=True, slots=True)
class Outcome:
    status: str  # sent | pending | failed
    code: int | None = None
    error: str | None = None


def smtp_class(security: str) -> type[smtplib.SMTP]:
    """``SMTP_SSL`` for implicit TLS (``ssl``), plain ``SMTP`` otherwise."""
    return smtplib.SMTP_SSL if security == "ssl" else smtplib.SMTP


def _reply(code: int, message: bytes | str) -> str:
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)
    return f"{code} {' '.join(text.split())}"


def _by_code(code: int, error: str, *, permanent_ok: bool) -> Outcome:
    if permanent_ok and 500 <= code < 600:
        return Outcome(FAILED, code, error)
    return Outcome(PENDING, code, error)


class Mailer:
    """One SMTP session, opened on first use and reused for the digests of a run.

    Every socket operation is bounded by ``smtp.timeout`` (smtplib applies it to the
    connection and to each read and write). The password comes from the environment
    (``NEWSWATCH_SMTP_PASSWORD``) through the settings.
    """

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self._conn: smtplib.SMTP | None = None

    def __enter__(self) -> Mailer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        context = ssl.create_default_context()
        conn: smtplib.SMTP
        if s.security == "ssl":
            conn = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=context)
        else:
            conn = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        try:
            conn.ehlo()
            if s.security == "starttls":
                conn.starttls(context=context)
                conn.ehlo()
            if s.username:
                conn.login(s.username, s.password)
        except BaseException:
            _close_quietly(conn)
            raise
        return conn

    def close(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            try:
                conn.quit()
            except (smtplib.SMTPException, OSError):
                _close_quietly(conn)

    def send(self, sender: str, recipients: Sequence[str], message: bytes) -> dict[str, Outcome]:
        """Send ``message`` to ``recipients`` in one transaction; one Outcome per recipient."""
        try:
            if self._conn is None:
                self._conn = self._connect()
            refused = self._conn.sendmail(sender, list(recipients), message)
        except smtplib.SMTPRecipientsRefused as exc:  # nobody accepted at RCPT
            self._reset()
            return {r: _refused(exc.recipients.get(r)) for r in recipients}
        except smtplib.SMTPDataError as exc:  # the message itself was answered 4xx/5xx
            self._reset()
            error = _reply(exc.smtp_code, exc.smtp_error)
            return {r: _by_code(exc.smtp_code, error, permanent_ok=True) for r in recipients}
        except smtplib.SMTPResponseException as exc:
            # Sender refused, login or HELO rejected: our configuration, not the reader's
            # mailbox, so the digest waits for a fix instead of being given up.
            self._drop()
            error = _reply(exc.smtp_code, exc.smtp_error)
            return {r: Outcome(PENDING, exc.smtp_code, error) for r in recipients}
        except (smtplib.SMTPException, OSError) as exc:  # includes timeouts and TLS errors
            self._drop()
            error = f"{type(exc).__name__}: {exc}".strip().rstrip(":")
            return {r: Outcome(PENDING, None, error) for r in recipients}
        return {r: _refused(refused[r]) if r in refused else Outcome(SENT, 250) for r in recipients}

    def _reset(self) -> None:
        """After a refused transaction the session is still usable once RSET succeeds."""
        if self._conn is None:
            return
        try:
            self._conn.rset()
        except (smtplib.SMTPException, OSError):
            self._drop()

    def _drop(self) -> None:
        if self._conn is not None:
            _close_quietly(self._conn)
            self._conn = None


def _refused(reply: tuple[int, bytes] | None) -> Outcome:
    if reply is None:
        return Outcome(PENDING, None, "not accepted by the server")
    code, message = reply
    return _by_code(code, _reply(code, message), permanent_ok=True)


def _close_quietly(conn: smtplib.SMTP) -> None:
    with contextlib.suppress(OSError):
        conn.close()


# --------------------------------------------------------------------------- files


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file and a rename: never half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        Path(tmp).chmod(0o644)  # mkstemp makes it private; digests are meant to be read
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def html_part(message: bytes) -> str:
    """The HTML alternative of a stored message."""
    parsed = message_from_bytes(message, policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    body = parsed.get_body(preferencelist=("html",))
    if body is None:  # pragma: no cover - build_message always adds one
        raise ValueError("the stored digest has no HTML part")
    content = body.get_content()
    text = content if isinstance(content, str) else content.decode("utf-8", "replace")
    return text.replace("\r\n", "\n")  # the stored message has SMTP's CRLF; files do not


def write_files(out_dir: Path, stem: str, message: bytes, markdown: str) -> list[Path]:
    """Write ``<stem>.eml``, ``.html`` and ``.md``; rewriting the same digest is harmless."""
    eml, html, md = (out_dir / f"{stem}{ext}" for ext in (".eml", ".html", ".md"))
    atomic_write(html, html_part(message).encode("utf-8"))
    atomic_write(md, markdown.encode("utf-8"))
    atomic_write(eml, message)  # last: its presence means the set is complete
    return [eml, html, md]
