"""Digests over SMTP against a real server on 127.0.0.1 (aiosmtpd): delivery, failures,
retries with the same Message-ID, killed processes, concurrent runs, TLS."""

from __future__ import annotations

import os
import signal
import smtplib
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
import sqlite_utils
from click.testing import CliRunner
from digest_data import NOW, add, sample, settings_for
from mailserver import (
    MailServer,
    free_port_that_never_answers,
    make_certificate,
    password_checker,
    server_tls_context,
)

from crawler.cli import cli
from crawler.config import ConfigError
from crawler.digest import digest_status, run_digest
from crawler.digest.deliver import smtp_class
from storage import connect

A, B = "analyst@example.org", "desk@example.org"
LATER = NOW + timedelta(days=1)


@pytest.fixture
def mail() -> Iterator[MailServer]:
    with MailServer() as server:
        yield server


def body(message: EmailMessage, kind: str) -> str:
    part = message.get_body(preferencelist=(kind,))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")


def statuses(db: sqlite_utils.Database) -> dict[tuple[int, str], str]:
    return {(r["digest_id"], r["recipient"]): r["status"] for r in digest_status(db, limit=100)}


def stored_message_id(db: sqlite_utils.Database, digest_id: int = 1) -> str:
    return str(db.execute("SELECT message_id FROM digests WHERE id = ?", [digest_id]).fetchone()[0])


# --------------------------------------------------------------------------- delivery


def test_delivers_one_multipart_message_to_every_recipient(
    db: sqlite_utils.Database, tmp_path: Path, mail: MailServer
) -> None:
    out = tmp_path / "out"
    settings = settings_for(out, port=mail.port, recipients=[A, B])
    add(
        db,
        "https://vnexpress.net/mo-hinh.html",
        "Mô hình <script>alert(1)</script>\r\nBcc: victim@example.org",
    )
    add(db, "javascript:alert(1)", "Liên kết lạ", source="vnexpress", seen=NOW)
    report = run_digest(db, settings, now=NOW)
    assert report.ok and report.sent == {A: 1, B: 1, "files": 1}

    assert len(mail.received) == 1
    received = mail.received[0]
    assert received.mail_from == "newswatch@localhost" and received.rcpt_tos == [A, B]
    message = received.message
    assert message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
    assert message["Subject"] == "[newswatch] 2 new open-source AI stories — 28/11/2026"
    # Several recipients: the envelope carries them, the header hides them from each other.
    assert (
        message["To"] == "undisclosed-recipients:;"
        and message["From"] == "newswatch <newswatch@localhost>"
    )
    assert A not in str(message) and B not in str(message)
    assert message["Message-ID"] == stored_message_id(db)
    assert message["Bcc"] is None and message["Auto-Submitted"] == "auto-generated"
    assert all("\n" not in v and "\r" not in v for v in (str(h) for _, h in message.items()))
    text, html = body(message, "plain"), body(message, "html")
    assert "Mô hình <script>alert(1)</script> Bcc: victim@example.org" in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>" not in html
    assert '<a href="https://vnexpress.net/mo-hinh.html"' in html
    assert "javascript:" not in html and "javascript:" not in text
    assert "Liên kết lạ" in html  # the story is kept, only its link is dropped
    # The archive holds the very same message.
    archived = next(out.glob("*.eml")).read_bytes()
    assert archived == received.data  # the archive is exactly what the server got

    # Second run: nothing new, nothing sent.
    again = run_digest(db, settings, now=LATER)
    assert again.created == [] and again.sent == {} and len(mail.received) == 1


def test_no_new_stories_no_email(
    db: sqlite_utils.Database, tmp_path: Path, mail: MailServer
) -> None:
    add(db, "https://dantri.com.vn/ai.htm", "Chỉ AI", osai=False)
    report = run_digest(db, settings_for(tmp_path / "out", port=mail.port, recipients=[A]), now=NOW)
    assert report.created == [] and report.ok
    assert mail.received == [] and mail.handler.connections == 0


def test_temporary_failure_then_success_reuses_the_message_id(
    db: sqlite_utils.Database, tmp_path: Path, mail: MailServer
) -> None:
    settings = settings_for(tmp_path / "out", port=mail.port, recipients=[A])
    add(db, "https://vnexpress.net/a.html", "Câu chuyện A")
    mail.script.data = ["451 4.3.0 try again later"]
    first = run_digest(db, settings, now=NOW)
    assert first.pending == {A: 1} and not first.ok and mail.received == []
    assert first.errors[A] == "451 4.3.0 try again later"
    assert statuses(db) == {(1, A): "pending", (1, "files"): "sent"}

    second = run_digest(db, settings, now=LATER)
    assert second.retried == 1 and second.created == [] and second.sent == {A: 1} and second.ok
    assert mail.deliveries() == [(A, stored_message_id(db))]
    row = digest_status(db)[0]
    assert row["recipient"] == A and row["attempts"] == 2 and row["smtp_code"] == 250


def test_permanent_refusal_of_one_recipient(
    db_path: Path, tmp_path: Path, mail: MailServer
) -> None:
    db = connect(db_path)
    settings = settings_for(tmp_path / "out", port=mail.port, recipients=[A, B])
    add(db, "https://vnexpress.net/a.html", "Câu chuyện A")
    mail.script.rcpt[B] = ["550 5.1.1 no such mailbox"]
    report = run_digest(db, settings, now=NOW)
    assert report.sent == {A: 1, "files": 1} and report.failed == {B: 1} and not report.ok
    assert "FAILED: desk@example.org (550 5.1.1 no such mailbox)" in report.summary()
    assert mail.deliveries() == [(A, stored_message_id(db))]
    assert statuses(db)[(1, B)] == "failed"

    # Nothing new: no retry storm for the refused address, nothing more for A.
    assert run_digest(db, settings, now=LATER).created == []
    assert len(mail.received) == 1

    # The status command shows the failure.
    db.close()
    shown = CliRunner().invoke(cli, ["--db", str(db_path), "status"], catch_exceptions=False)
    last = shown.output.split("Last digests:")[1]
    assert "desk@example.org" in last and "failed" in last and "550 5.1.1 no such mailbox" in last

    # A new story: A gets only it; B (mailbox fixed) gets it and the story it missed.
    db = connect(db_path)
    mail.script.rcpt.clear()
    add(db, "https://vnexpress.net/b.html", "Câu chuyện B", seen=LATER)
    report = run_digest(db, settings, now=LATER + timedelta(hours=1))
    assert len(report.created) == 2 and report.sent == {A: 1, B: 1, "files": 2}
    got = {m.rcpt_tos[0]: body(m.message, "plain") for m in mail.received[1:]}
    assert "Câu chuyện B" in got[A] and "Câu chuyện A" not in got[A]
    assert "Câu chuyện B" in got[B] and "Câu chuyện A" in got[B]
    assert sum(1 for r, _ in mail.deliveries() if r == A) == 2  # each of A's stories once


def test_temporary_refusal_retries_only_that_recipient(
    db: sqlite_utils.Database, tmp_path: Path, mail: MailServer
) -> None:
    settings = settings_for(tmp_path / "out", port=mail.port, recipients=[A, B])
    add(db, "https://vnexpress.net/a.html", "Câu chuyện A")
    mail.script.rcpt[B] = ["452 4.2.2 mailbox full", "250 OK"]
    first = run_digest(db, settings, now=NOW)
    assert first.sent == {A: 1, "files": 1} and first.pending == {B: 1}
    second = run_digest(db, settings, now=LATER)
    assert second.sent == {B: 1} and second.ok
    message_id = stored_message_id(db)
    assert mail.deliveries() == [(A, message_id), (B, message_id)]


def test_connection_dropped_mid_data_is_retried_once(
    db: sqlite_utils.Database, tmp_path: Path, mail: MailServer
) -> None:
    settings = settings_for(tmp_path / "out", port=mail.port, recipients=[A, B])
    add(db, "https://vnexpress.net/a.html", "Câu chuyện A")
    mail.script.drop_at_data = 1
    first = run_digest(db, settings, now=NOW)
    assert first.pending == {A: 1, B: 1} and mail.received == []
    assert "SMTPServerDisconnected" in first.errors[A]
    second = run_digest(db, settings, now=LATER)
    assert second.sent == {A: 1, B: 1} and second.ok
    third = run_digest(db, settings, now=LATER + timedelta(hours=1))
    assert third.sent == {} and third.retried == 0
    assert mail.deliveries() == [(A, stored_message_id(db)), (B, stored_message_id(db))]


def test_gives_up_after_max_attempts_and_offers_the_story_again(
    db: sqlite_utils.Database, tmp_path: Path, mail: MailServer
) -> None:
    settings = settings_for(
        tmp_path / "out", port=mail.port, recipients=[A], smtp={"max_attempts": 2}
    )
    add(db, "https://vnexpress.net/a.html", "Câu chuyện A")
    mail.script.data = ["421 4.7.0 busy", "421 4.7.0 busy"]
    assert run_digest(db, settings, now=NOW).pending == {A: 1}
    second = run_digest(db, settings, now=LATER)
    assert second.failed == {A: 1} and second.errors[A].startswith("gave up after 2 attempts")
    # The story was never delivered: the next digest (triggered by a new story) carries it.
    add(db, "https://vnexpress.net/b.html", "Câu chuyện B", seen=LATER)
    third = run_digest(db, settings, now=LATER + timedelta(hours=1))
    assert third.sent == {A: 1, "files": 1} and third.stories == 2
    text = body(mail.received[0].message, "plain")
    assert "Câu chuyện A" in text and "Câu chuyện B" in text


def test_a_silent_server_times_out_and_loses_nothing(
    db: sqlite_utils.Database, tmp_path: Path
) -> None:
    add(db, "https://vnexpress.net/a.html", "Câu chuyện A")
    with free_port_that_never_answers() as port:
        settings = settings_for(tmp_path / "out", port=port, recipients=[A], smtp={"timeout": 0.5})
        report = run_digest(db, settings, now=NOW)
    assert report.pending == {A: 1} and "timed out" in report.errors[A]
    assert statuses(db) == {(1, A): "pending", (1, "files"): "sent"}


def test_recipient_removed_from_config_is_not_retried(
    db: sqlite_utils.Database, tmp_path: Path, mail: MailServer
) -> None:
    add(db, "https://vnexpress.net/a.html", "Câu chuyện A")
    mail.script.rcpt[B] = ["450 4.2.1 later"]
    run_digest(db, settings_for(tmp_path / "out", port=mail.port, recipients=[A, B]), now=NOW)
    report = run_digest(
        db, settings_for(tmp_path / "out", port=mail.port, recipients=[A]), now=LATER
    )
    assert report.failed == {B: 1} and report.errors[B] == "no longer in digest.recipients"
    assert [m.rcpt_tos for m in mail.received] == [[A]]


def test_dry_run_shows_recipients_and_sends_nothing(
    db_path: Path, tmp_path: Path, mail: MailServer
) -> None:
    db = connect(db_path)
    sample(db)
    db.close()
    env = {
        "NEWSWATCH_SMTP_HOST": "127.0.0.1",
        "NEWSWATCH_SMTP_PORT": str(mail.port),
        "NEWSWATCH_SMTP_SECURITY": "none",
        "NEWSWATCH_DIGEST_RECIPIENTS": f"{A},{B}",
    }
    result = CliRunner().invoke(cli, ["--db", str(db_path), "digest", "--dry-run"], env=env)
    assert result.exit_code == 0
    assert result.stdout.startswith(f"To: {A}, {B}\nSubject: [newswatch] 2 new open-source AI")
    assert mail.received == [] and mail.handler.connections == 0
    assert connect(db_path)["digests"].count == 0


# --------------------------------------------------------------------------- TLS, login


def test_security_setting_chooses_the_smtplib_class() -> None:
    assert smtp_class("ssl") is smtplib.SMTP_SSL
    assert smtp_class("starttls") is smtplib.SMTP and smtp_class("none") is smtplib.SMTP


@pytest.fixture
def certificate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    pytest.importorskip("cryptography")
    cert, key = make_certificate(tmp_path)
    # OpenSSL's default trust store honours SSL_CERT_FILE: the client trusts our test CA
    # through the same ssl.create_default_context() it uses in production.
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    return cert, key


def test_starttls_with_login(
    db: sqlite_utils.Database,
    tmp_path: Path,
    certificate: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    context = server_tls_context(*certificate)
    with MailServer(
        tls_context=context,
        require_starttls=True,
        authenticator=password_checker("newswatch", "s3cret"),
        auth_required=True,
    ) as server:
        monkeypatch.setenv("NEWSWATCH_SMTP_PASSWORD", "s3cret")
        from crawler.config import load_settings

        settings = load_settings(
            None,
            overrides={
                "digest": {"output_dir": str(tmp_path / "out"), "recipients": [A]},
                "smtp": {
                    "host": "127.0.0.1",
                    "port": server.port,
                    "security": "starttls",
                    "username": "newswatch",
                    "timeout": 10.0,
                },
            },
        )
        assert settings.smtp.password == "s3cret"
        add(db, "https://vnexpress.net/a.html", "Câu chuyện A")
        report = run_digest(db, settings, now=NOW)
        assert report.sent == {A: 1, "files": 1}, report.summary()
        assert len(server.received) == 1


def test_wrong_password_keeps_the_digest_pending(
    db: sqlite_utils.Database, tmp_path: Path, certificate: tuple[Path, Path]
) -> None:
    context = server_tls_context(*certificate)
    with MailServer(
        tls_context=context,
        require_starttls=True,
        authenticator=password_checker("newswatch", "s3cret"),
        auth_required=True,
    ) as server:
        settings = settings_for(
            tmp_path / "out",
            port=server.port,
            recipients=[A],
            smtp={"security": "starttls", "username": "newswatch"},
            password="wrong",
        )
        add(db, "https://vnexpress.net/a.html", "Câu chuyện A")
        report = run_digest(db, settings, now=NOW)
    assert report.pending == {A: 1} and report.errors[A].startswith("535")


def test_username_without_password_is_a_config_error(
    db: sqlite_utils.Database, tmp_path: Path
) -> None:
    settings = settings_for(tmp_path / "out", port=2525, recipients=[A], smtp={"username": "u"})
    with pytest.raises(ConfigError, match="NEWSWATCH_SMTP_PASSWORD"):
        run_digest(db, settings, now=NOW)


def test_implicit_tls(
    db: sqlite_utils.Database, tmp_path: Path, certificate: tuple[Path, Path]
) -> None:
    with MailServer(ssl_context=server_tls_context(*certificate)) as server:
        settings = settings_for(
            tmp_path / "out", port=server.port, recipients=[A], smtp={"security": "ssl"}
        )
        add(db, "https://vnexpress.net/a.html", "Câu chuyện A")
        report = run_digest(db, settings, now=NOW)
        assert report.sent == {A: 1, "files": 1}, report.summary()
        assert len(server.received) == 1


def test_untrusted_certificate_is_refused_and_nothing_lost(
    db: sqlite_utils.Database,
    tmp_path: Path,
    certificate: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cert, key = certificate
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "no-such-ca.pem"))
    with MailServer(ssl_context=server_tls_context(cert, key)) as server:
        settings = settings_for(
            tmp_path / "out", port=server.port, recipients=[A], smtp={"security": "ssl"}
        )
        add(db, "https://vnexpress.net/a.html", "Câu chuyện A")
        report = run_digest(db, settings, now=NOW)
        assert report.pending == {A: 1} and "CERTIFICATE_VERIFY_FAILED" in report.errors[A]
        assert server.received == []


# --------------------------------------------------------------------------- processes


def digest_process(db_path: Path, port: int, *extra: str) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "NEWSWATCH_SMTP_HOST": "127.0.0.1",
        "NEWSWATCH_SMTP_PORT": str(port),
        "NEWSWATCH_SMTP_SECURITY": "none",
        "NEWSWATCH_SMTP_TIMEOUT": "20",
        "NEWSWATCH_DIGEST_RECIPIENTS": f"{A},{B}",
        "NEWSWATCH_DIGEST_OUTPUT_DIR": str(db_path.parent / "out"),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "crawler", "--db", str(db_path), "digest", *extra],
        env=env,
        cwd=db_path.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


class Victim:
    """Kills the digest subprocess from inside the SMTP server, at a chosen moment."""

    def __init__(self) -> None:
        self.pid = 0
        self.ready = threading.Event()
        self.killed = 0

    def kill(self) -> None:
        if self.killed:
            return
        assert self.ready.wait(30)
        os.kill(self.pid, signal.SIGKILL)
        self.killed += 1


@pytest.mark.parametrize("moment", ["after_accept", "on_ehlo"])
def test_killed_process_loses_nothing_and_resends_with_the_same_message_id(
    db_path: Path, mail: MailServer, moment: str
) -> None:
    db = connect(db_path)
    sample(db)
    db.close()
    victim = Victim()
    setattr(mail.script, moment, victim.kill)
    proc = digest_process(db_path, mail.port)
    victim.pid = proc.pid
    victim.ready.set()
    proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL and victim.killed == 1

    db = connect(db_path)
    assert db["digests"].count == 1
    assert {r["status"] for r in digest_status(db) if r["recipient"] != "files"} == {"pending"}
    db.close()
    setattr(mail.script, moment, None)
    rerun = digest_process(db_path, mail.port)
    out, err = rerun.communicate(timeout=60)
    assert rerun.returncode == 0, err
    assert "earlier deliveries retried" in out

    db = connect(db_path)
    assert db["digests"].count == 1  # no second digest with the same stories
    message_id = stored_message_id(db)
    assert {r["status"] for r in digest_status(db)} == {"sent"}
    deliveries = mail.deliveries()
    assert {m for _, m in deliveries} == {message_id}  # a resend is the same message
    expected = 2 if moment == "after_accept" else 1  # accepted before the kill: resent once
    assert sorted(deliveries) == sorted([(A, message_id), (B, message_id)] * expected)
    text = body(mail.received[-1].message, "plain")
    assert "Việt Nam công bố" in text and "Thúc đẩy phần mềm nguồn mở" in text
    assert (
        run_digest(
            db, settings_for(db_path.parent / "out", port=mail.port, recipients=[A, B])
        ).created
        == []
    )


def test_two_concurrent_runs_make_one_digest(db_path: Path, mail: MailServer) -> None:
    db = connect(db_path)
    sample(db)
    db.close()
    # Hold the write lock while both start, so that they queue on it and then race.
    blocker = sqlite3.connect(db_path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    procs = [digest_process(db_path, mail.port) for _ in range(2)]
    threading.Event().wait(1.5)  # setup only: let both reach the lock (not an assertion)
    blocker.execute("COMMIT")
    blocker.close()
    results = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    db = connect(db_path)
    assert db["digests"].count == 1
    assert sorted(r for r, _ in mail.deliveries()) == [A, B]
    outputs = " | ".join(out for out, _ in results)
    assert (
        outputs.count("1 new digest") == 1 and outputs.count("no new open-source AI stories") == 1
    )
