"""The production services for tests, started as the README's "Running in production" starts
them: `dagster-daemon run` and `dagster-webserver` as two separate processes, DAGSTER_HOME
holding deploy/dagster.yaml (PostgreSQL from the DAGSTER_PG_* variables), the code location of
deploy/workspace.yaml; and a real SMTP server on 127.0.0.1 (aiosmtpd) that keeps what arrives.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import yaml
from aiosmtpd.controller import Controller

from lead_pipeline.lib.paths import project_root
from lead_pipeline_tests.webserver import Dagit, free_port

BIN = Path(sys.executable).parent
DEPLOY = project_root() / "deploy"


def instance_home(home: Path, **run_monitoring: int) -> Path:
    """DAGSTER_HOME holding deploy/dagster.yaml; `run_monitoring` values replace the shipped
    ones (tests poll every few seconds instead of 15). Called again on the same home, it
    changes only the values given."""
    home.mkdir(parents=True, exist_ok=True)
    mine = home / "dagster.yaml"
    config = yaml.safe_load((mine if mine.exists() else DEPLOY / "dagster.yaml").read_text())
    config["run_monitoring"].update(run_monitoring)
    (home / "dagster.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    return home


class Mailbox:
    """aiosmtpd's handler: every message that arrives, parsed."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self.messages.append(message)  # type: ignore[arg-type]
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"

    def matching(self, subject_part: str) -> list[EmailMessage]:
        with self._lock:
            return [m for m in self.messages if subject_part in str(m["Subject"])]


def text(message: EmailMessage) -> str:
    """The body as sent, with the line ends SMTP gave it (CRLF) made plain."""
    return str(message.get_content()).replace("\r\n", "\n")


@dataclass
class SmtpServer:
    host: str
    port: int
    mailbox: Mailbox
    controller: Controller

    def stop(self) -> None:
        self.controller.stop()


def smtp_server() -> SmtpServer:
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    return SmtpServer("127.0.0.1", port, mailbox, controller)


@dataclass
class Service:
    """One started service: its process (own session, so its code server and run workers go
    with it) and its log file."""

    name: str
    proc: subprocess.Popen[bytes]
    log: Path

    def kill(self) -> None:
        """SIGKILL to the whole process group: what a crash or an `systemctl kill` does."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        """SIGTERM to the group (what systemctl stop sends), SIGKILL after 30 s."""
        if self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()


def start(name: str, args: list[str], env: dict[str, str], log_dir: Path) -> Service:
    log = log_dir / f"{name}.log"
    with log.open("ab") as out:
        proc = subprocess.Popen([str(BIN / args[0]), *args[1:]], cwd=project_root(),
                                env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    return Service(name, proc, log)


def start_daemon(env: dict[str, str], log_dir: Path) -> Service:
    return start("daemon", ["dagster-daemon", "run", "-w", str(DEPLOY / "workspace.yaml")],
                 env, log_dir)


RUNS = """
query { runsOrError(limit: 100) { ... on Runs { results {
  runId status jobName startTime endTime tags { key value } } } } }
"""


class Webserver(Dagit):
    """The production webserver process and its GraphQL endpoint (Dagit's client)."""

    def __init__(self, service: Service, url: str):
        super().__init__(url)
        self.service = service

    def runs(self) -> list[dict[str, Any]]:
        """The newest 100 runs, newest first, each with its tags as a dict."""
        results: list[dict[str, Any]] = self.graphql(RUNS)["runsOrError"]["results"]
        for run in results:
            run["tags"] = {t["key"]: t["value"] for t in run["tags"]}
        return results


def start_webserver(env: dict[str, str], log_dir: Path, timeout: float = 120) -> Webserver:
    port = free_port()
    service = start("webserver", ["dagster-webserver", "-h", "127.0.0.1", "-p", str(port),
                                  "-w", str(DEPLOY / "workspace.yaml")], env, log_dir)
    url = f"http://127.0.0.1:{port}"
    wait_for(lambda: _answers(url, service), timeout, f"webserver on {url}", service)
    return Webserver(service, url)


def _answers(url: str, service: Service) -> bool:
    if service.proc.poll() is not None:
        raise RuntimeError(f"{service.name} exited: {service.log.read_text()[-3000:]}")
    try:
        with urllib.request.urlopen(f"{url}/server_info", timeout=2):
            return True
    except OSError:
        return False


def wait_for(condition: Callable[[], Any], timeout: float, what: str,
             service: Service | None = None, every: float = 0.5) -> Any:
    """Poll `condition` until it returns something true; fail naming `what` (and the end of
    the service's log) after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            tail = service.log.read_text()[-4000:] if service else ""
            raise TimeoutError(f"waited {timeout:.0f} s for {what}\n{tail}")
        time.sleep(every)
