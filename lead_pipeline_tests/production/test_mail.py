"""Alert e-mail on a real SMTP server on 127.0.0.1 (aiosmtpd): settings from the environment,
plain and STARTTLS with a login, and a server that is down or never answers (given up within
the timeout, one line, no password)."""

from __future__ import annotations

import email
import email.policy
import shutil
import smtplib
import socket
import subprocess
import time
from pathlib import Path

import dagster as dg
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from lead_pipeline.defs.operations import alerts
from lead_pipeline.lib import alert_text, mail
from lead_pipeline_tests.production.services import Mailbox, smtp_server, text
from lead_pipeline_tests.webserver import free_port


def test_settings_come_from_the_environment() -> None:
    assert mail.mail_settings({}) is None
    assert mail.mail_settings({"LEAD_SMTP_HOST": "smtp.test"}) is None  # no recipients: off
    s = mail.mail_settings({"LEAD_SMTP_HOST": "smtp.test", "LEAD_SMTP_TO": "a@x.test, b@x.test",
                            "LEAD_SMTP_USER": "robot@x.test", "LEAD_SMTP_PASSWORD": "pw"})
    assert s == mail.MailSettings("smtp.test", 587, "robot@x.test", ("a@x.test", "b@x.test"),
                                  "starttls", "robot@x.test", "pw")
    assert "pw" not in s.describe()
    ssl_ = mail.mail_settings({"LEAD_SMTP_HOST": "h", "LEAD_SMTP_TO": "a@x", "LEAD_SMTP_TLS":
                               "SSL", "LEAD_SMTP_FROM": "f@x"})
    assert ssl_ is not None and (ssl_.tls, ssl_.port) == ("ssl", 465)
    for bad, said in (({"LEAD_SMTP_TLS": "tls"}, "LEAD_SMTP_TLS is 'tls'"),
                      ({"LEAD_SMTP_PORT": "smtp"}, "LEAD_SMTP_PORT is 'smtp', not a port"),
                      ({"LEAD_SMTP_PORT": "70000"}, "LEAD_SMTP_PORT is 70000"),
                      ({"LEAD_SMTP_FROM": ""}, "LEAD_SMTP_FROM is not set")):
        with pytest.raises(mail.MailSettingsError, match=said):
            mail.mail_settings({"LEAD_SMTP_HOST": "h", "LEAD_SMTP_TO": "a@x",
                                "LEAD_SMTP_FROM": "f@x", **bad})


def test_a_plain_relay_receives_the_message() -> None:
    server = smtp_server()
    try:
        settings = mail.MailSettings(server.host, server.port, "lead@district.test",
                                     ("it@district.test",), "none")
        mail.send(settings, "[lead_pipeline] test", "line one\nline two ñ\n")
        (message,) = server.mailbox.messages
        assert str(message["Subject"]) == "[lead_pipeline] test"
        assert text(message) == "line one\nline two ñ\n"
        assert server.mailbox.envelopes == [("lead@district.test", ["it@district.test"])]
    finally:
        server.stop()


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
def test_starttls_with_a_login(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import ssl
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # the client trusts this server only
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    logins: list[tuple[str, str]] = []

    def authenticator(server: object, session: object, envelope: object, mechanism: str,
                      data: object) -> AuthResult:
        if not isinstance(data, LoginPassword):
            return AuthResult(success=False, handled=False)
        logins.append((data.login.decode(), data.password.decode()))
        return AuthResult(success=data.password == b"s3cret", handled=False)

    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, tls_context=context,
                            require_starttls=True, authenticator=authenticator)
    controller.start()
    try:
        settings = mail.MailSettings("127.0.0.1", port, "lead@district.test",
                                     ("it@district.test",), "starttls", "robot", "s3cret")
        mail.send(settings, "over TLS", "body\n")
        assert logins == [("robot", "s3cret")]
        assert [str(m["Subject"]) for m in mailbox.messages] == ["over TLS"]
        wrong = mail.MailSettings("127.0.0.1", port, "lead@district.test",
                                  ("it@district.test",), "starttls", "robot", "wrong")
        with pytest.raises(smtplib.SMTPAuthenticationError):
            mail.send(wrong, "refused", "body\n")
        assert len(mailbox.messages) == 1
    finally:
        controller.stop()


def test_a_server_that_is_down_or_silent_is_given_up_within_the_timeout() -> None:
    closed = mail.MailSettings("127.0.0.1", free_port(), "a@x.test", ("b@x.test",), "none",
                               "robot", "secret-password")
    with pytest.raises(ConnectionRefusedError) as refused:
        mail.send(closed, "s", "b")
    line = mail.send_error(refused.value, closed)
    assert line.startswith(f"alert e-mail not sent (given up, not retried): 127.0.0.1:"
                           f"{closed.port} (none): ConnectionRefusedError")
    assert "secret-password" not in line

    with socket.socket() as silent:  # accepts the connection, never greets
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        quiet = mail.MailSettings("127.0.0.1", silent.getsockname()[1], "a@x.test",
                                  ("b@x.test",), "none")
        started = time.monotonic()
        # the greeting's read times out: smtplib says so as TimeoutError or, once connected,
        # as SMTPServerDisconnected("… timed out"); the alert sensor catches both
        with pytest.raises((TimeoutError, smtplib.SMTPServerDisconnected), match="timed out"):
            mail.send(quiet, "s", "b", timeout=1.0)
        assert time.monotonic() - started < 10


def test_the_alert_sensor_logs_a_failed_send_and_goes_on(
        monkeypatch: pytest.MonkeyPatch) -> None:
    closed = mail.MailSettings("127.0.0.1", free_port(), "a@x.test", ("b@x.test",), "none")
    monkeypatch.setattr(alerts, "SETTINGS", closed)
    context = dg.build_sensor_context()
    assert alerts._send(context, "subject", "body") is False  # logged, no exception


def test_problem_lines_keep_ids_and_counts_and_drop_values() -> None:
    lines = alert_text.problem_lines([
        "Roster.startDate: 2 value(s) are not a date YYYY-MM-DD; rows: rosterID=801 (row 2) "
        "'2026-13-01', rosterID=802 (row 3) '9/1/2026'",
        "School.number: 1 value(s) are not 3 or 4 digits; rows: schoolID=10 (row 1) "
        "'005/../../x\x00'",
        "School.number: 1 value(s) are not 3 or 4 digits; rows: schoolID=10 (row 1) "
        "'005/../../x\x00'",
        *[f"line {i}" for i in range(12)],
    ])
    assert lines[:3] == [
        "Roster.startDate: 2 value(s) are not a date YYYY-MM-DD; rows: rosterID=801 (row 2), "
        "rosterID=802 (row 3)",
        "School.number: 1 value(s) are not 3 or 4 digits; rows: schoolID=10 (row 1)",
        "line 0",
    ]
    assert len(lines) == 11 and lines[-1] == "… and 4 more line(s): see the run's log"


def test_the_failure_body_names_job_run_folder_date_and_problems() -> None:
    body = alert_text.failure_body(alert_text.FailedRun(
        "Weekly_refresh", "r-1", "/srv/snapshots/2026-11-28", "2026-11-28", "weekly",
        ["Roster: 1 problem"], url="http://127.0.0.1:3000"))
    assert body.splitlines()[2:] == [
        "Job:             Weekly_refresh",
        "Run:             r-1",
        "Snapshot folder: /srv/snapshots/2026-11-28",
        "Snapshot date:   2026-11-28",
        "Started by:      weekly",
        "",
        "First problems:",
        "  - Roster: 1 problem",
        "",
        "The run in the Dagster UI: http://127.0.0.1:3000/runs/r-1",
    ]
    message = mail.message(mail.MailSettings("h", 25, "a@x", ("b@x",), "none"), "s", body)
    parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    assert text(parsed) == body  # type: ignore[arg-type]
