"""A real PostgreSQL server for the production tests: a throwaway cluster in a temporary folder,
listening on 127.0.0.1 only, on a free port, stopped and removed afterwards.

PostgreSQL refuses to run as root, so when the tests run as root (CI does) the cluster belongs
to the `postgres` account Debian's package creates, in a folder that account owns; otherwise
to the current user. Host connections need a password (scram-sha-256), as on a server.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from lead_pipeline_tests.webserver import free_port

INSTALL_HINT = ("PostgreSQL's server is not installed (no /usr/lib/postgresql/*/bin/initdb); "
                ".ci/run installs it with `apt-get install -y postgresql`")


def bindir() -> Path | None:
    """The newest installed server's bin folder (Debian's layout), or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    return Path(found[-1]).parent if found else None


@dataclass
class Database:
    """Where one database of the cluster is, as the DAGSTER_PG_* variables say it."""

    host: str
    port: int
    name: str
    user: str
    password: str

    def env(self) -> dict[str, str]:
        return {"DAGSTER_PG_HOST": self.host, "DAGSTER_PG_PORT": str(self.port),
                "DAGSTER_PG_DB": self.name, "DAGSTER_PG_USER": self.user,
                "DAGSTER_PG_PASSWORD": self.password}


class Cluster:
    """One running cluster; `database()` adds a role and a database owned by it."""

    def __init__(self, root: Path, bin_dir: Path, port: int, owner: str | None):
        self.root = root
        self.data = root / "data"
        self.bin = bin_dir
        self.port = port
        self.owner = owner  # None: the current user
        self.log = root / "server.log"

    def run(self, tool: str, *args: str, check: bool = True,
            timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """A PostgreSQL program as the cluster's owner."""
        cmd = [str(self.bin / tool), *args]
        if self.owner:
            cmd = ["runuser", "-u", self.owner, "--", *cmd]
        return subprocess.run(cmd, capture_output=True, text=True, check=check, timeout=timeout,
                              cwd=self.root)

    def sql(self, statement: str, database: str = "postgres") -> str:
        """Run SQL as the superuser through the cluster's own socket folder."""
        done = self.run("psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h",
                        str(self.root), "-p", str(self.port), "-d", database, "-c", statement)
        return done.stdout.strip()

    def database(self, name: str, password: str = "lead-test-password") -> Database:
        user = f"{name}_owner"
        self.sql(f"CREATE ROLE {user} LOGIN PASSWORD '{password}'")
        self.sql(f"CREATE DATABASE {name} OWNER {user}")
        return Database("127.0.0.1", self.port, name, user, password)

    def start(self) -> None:
        # a throwaway cluster: commits are not flushed to disk (a run writes an event per step,
        # check and materialisation; on this sandbox's disk each flush costs tens of ms)
        options = (f"-h 127.0.0.1 -p {self.port} -k {self.root} -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off")
        self.run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w",
                 "-t", "60", "start")

    def stop(self) -> None:
        self.run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop", check=False)


def _owner() -> str | None:
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        raise RuntimeError("running as root and there is no `postgres` account to run "
                           "PostgreSQL as") from None
    return "postgres"


@contextmanager
def cluster(port: int | None = None) -> Iterator[Cluster]:
    """initdb into a fresh temporary folder, start on 127.0.0.1:`port` (default: a free one),
    yield, stop and remove the folder."""
    bin_dir = bindir()
    if bin_dir is None:
        raise FileNotFoundError(INSTALL_HINT)
    owner = _owner()
    root = Path(tempfile.mkdtemp(prefix="lead-pg-"))
    try:
        if owner:
            shutil.chown(root, owner, owner)
        c = Cluster(root, bin_dir, port or free_port(), owner)
        c.run("initdb", "-D", str(c.data), "-U", "postgres", "--auth-local=trust",
              "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8",
              "--no-sync")  # a throwaway cluster: no fsync of the template files
        c.start()
        try:
            yield c
        finally:
            c.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)


def wait_for_port(host: str, port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((host, port), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
