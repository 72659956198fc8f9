"""Alert e-mail: the SMTP settings from the environment and one way to send a message.

The production services read their settings from an environment file (README "Running in
production"); the alert sensors (defs/operations/alerts.py) send through `send`. Dagster's own
`make_email_on_run_failure_sensor` is not used because it has no timeout (an unreachable
server would hold a sensor thread forever), always logs in, and speaks only SSL or STARTTLS,
while district relays are often plain SMTP on port 25 without a login. Everything else —
which runs failed, when, the cursor — is Dagster's `run_failure_sensor`.
"""

from __future__ import annotations

import os
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

TLS_MODES = ("starttls", "ssl", "none")
"""LEAD_SMTP_TLS: STARTTLS on the submission port (default), implicit TLS (SMTPS), or a plain
relay on a trusted network."""
DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}
TIMEOUT_SECONDS = 20.0
"""How long a connection or a reply may take: a server that does not answer costs one sensor
tick this long, once, then the message is given up (logged, never retried)."""


class MailSettingsError(ValueError):
    """A setting of the environment file that cannot be used, said in one line."""


@dataclass(frozen=True)
class MailSettings:
    host: str
    port: int
    sender: str
    recipients: tuple[str, ...]
    tls: str = "starttls"
    user: str = ""
    password: str = ""

    def describe(self) -> str:
        """Where alerts go, without the password."""
        return (f"{self.host}:{self.port} ({self.tls}) from {self.sender} to "
                f"{', '.join(self.recipients)}")


def mail_settings(env: Mapping[str, str] | None = None) -> MailSettings | None:
    """The alert settings of `env` (default os.environ): None when LEAD_SMTP_HOST or
    LEAD_SMTP_TO is unset (alerts are off), MailSettingsError for a value that cannot work."""
    env = os.environ if env is None else env
    host = env.get("LEAD_SMTP_HOST", "").strip()
    to = tuple(a.strip() for a in env.get("LEAD_SMTP_TO", "").split(",") if a.strip())
    if not host or not to:
        return None
    tls = env.get("LEAD_SMTP_TLS", "starttls").strip().lower() or "starttls"
    if tls not in TLS_MODES:
        raise MailSettingsError(f"LEAD_SMTP_TLS is {tls!r}; use one of {', '.join(TLS_MODES)}")
    port_text = env.get("LEAD_SMTP_PORT", "").strip()
    try:
        port = int(port_text) if port_text else DEFAULT_PORTS[tls]
    except ValueError:
        raise MailSettingsError(f"LEAD_SMTP_PORT is {port_text!r}, not a port number") from None
    if not 0 < port < 65536:
        raise MailSettingsError(f"LEAD_SMTP_PORT is {port}, not a port number")
    user = env.get("LEAD_SMTP_USER", "").strip()
    sender = env.get("LEAD_SMTP_FROM", "").strip() or user
    if not sender:
        raise MailSettingsError("LEAD_SMTP_FROM is not set: the address alerts are sent from")
    return MailSettings(host=host, port=port, sender=sender, recipients=to, tls=tls,
                        user=user, password=env.get("LEAD_SMTP_PASSWORD", ""))


def message(settings: MailSettings, subject: str, body: str) -> EmailMessage:
    """A plain-text message (no HTML: what a value holds is shown, never interpreted)."""
    msg = EmailMessage()
    msg["From"] = settings.sender
    msg["To"] = ", ".join(settings.recipients)
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain="lead-pipeline")
    msg.set_content(body)
    return msg


def send(settings: MailSettings, subject: str, body: str,
         timeout: float = TIMEOUT_SECONDS) -> None:
    """Send one message, once. Raises OSError / smtplib.SMTPException when the server cannot
    be reached or refuses it; the caller logs that and goes on."""
    msg = message(settings, subject, body)
    context = ssl.create_default_context()
    if settings.tls == "ssl":
        server: smtplib.SMTP = smtplib.SMTP_SSL(settings.host, settings.port, timeout=timeout,
                                                context=context)
    else:
        server = smtplib.SMTP(settings.host, settings.port, timeout=timeout)
    with server:
        if settings.tls == "starttls":
            server.starttls(context=context)
        if settings.user:
            server.login(settings.user, settings.password)
        server.send_message(msg)


def send_error(error: BaseException, settings: MailSettings) -> str:
    """One line for the log when a message could not be sent."""
    what = str(error).strip() or type(error).__name__
    return (f"alert e-mail not sent (given up, not retried): {settings.host}:{settings.port} "
            f"({settings.tls}): {type(error).__name__}: {what}")
