"""What every test shares: the suite never writes into real data.

Tests run against temporary folders only, never the checkout's data/ nor a deployment's. Two
halves:

- At import of this module (before any test module imports lead_pipeline, whose defaults are
  computed from the environment when `PipelineSettings` is defined), the variables naming what
  the pipeline writes — LEAD_DATABASE, LEAD_OUTPUT_DIR, LEAD_SNAPSHOTS_ROOT — are pointed at a
  fresh temporary folder of this process (each pytest-xdist worker imports it and gets its
  own), whatever a developer's shell had; so are the read-only inputs at the checkout's
  data/sample and data/reference; DAGSTER_HOME, the alert (LEAD_SMTP_*) and other deployment
  settings are removed. Subprocesses inherit all of it. The
  folder is removed when the session ends.
- A guard: the controller records the checkout's data/ tree when the session starts and
  compares it when the session finishes; anything created, changed or removed there fails the
  session, with the paths printed.
"""

from __future__ import annotations

import atexit
import fcntl
import hashlib
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
"""The checkout (the folder holding pyproject.toml)."""
DATA = ROOT / "data"

SCRATCH = Path(tempfile.mkdtemp(prefix="lead-pipeline-tests-")).resolve()
"""This process's temporary folder for everything the pipeline writes by default."""

WRITE_TARGETS = {
    "LEAD_DATABASE": SCRATCH / "warehouse" / "lead_pipeline.duckdb",
    "LEAD_OUTPUT_DIR": SCRATCH / "output",
    "LEAD_SNAPSHOTS_ROOT": SCRATCH / "snapshots",
}
READ_ONLY_INPUTS = {
    "LEAD_SNAPSHOT_DIR": DATA / "sample",
    "LEAD_REFERENCE_DIR": DATA / "reference",
}

for _name, _path in {**WRITE_TARGETS, **READ_ONLY_INPUTS}.items():
    os.environ[_name] = str(_path)
os.environ.pop("DAGSTER_HOME", None)

DEPLOYMENT_SETTINGS = ("LEAD_SMTP_", "LEAD_SCHEDULE_CRON", "LEAD_SENSOR_INTERVAL_SECONDS",
                       "LEAD_ALERT_INTERVAL_SECONDS", "LEAD_FRESHNESS_INTERVAL_SECONDS",
                       "LEAD_SNAPSHOT_OVERDUE_DAYS", "LEAD_WEBSERVER_URL", "DAGSTER_PG_",
                       "LEAD_MULTI_DISTRICT", "LEAD_DUCKDB_MEMORY_MB")
"""A deployment's other settings (README "Running in production"): removed, so a shell holding
a production environment file neither mails real people nor reaches its database; the
production tests set their own."""
for _name in [n for n in os.environ if n.startswith(DEPLOYMENT_SETTINGS)]:
    del os.environ[_name]


def _remove_scratch() -> None:
    shutil.rmtree(SCRATCH, ignore_errors=True)


atexit.register(_remove_scratch)  # also when a session ends before pytest_unconfigure

NOT_GUARDED = ("generated/bench-", "generated/statewide/")
"""Paths under data/ the guard does not compare: the benchmarks' generated districts
(benchmarks/run.py caches them under data/generated/bench-<size>/; no test writes there)."""

Entry = tuple[str, int, int, str | None]
"""(kind, size, mtime_ns, symlink target) of one path under data/."""

_DATA_BEFORE = pytest.StashKey[dict[str, Entry]]()

DATA_LOCK = Path(tempfile.gettempdir()) / (
    f"lead-pipeline-tests-data-guard-{hashlib.sha256(str(DATA).encode()).hexdigest()[:12]}.lock")
"""Taken shared while a session records or compares data/, and exclusive by the test that
shows the guard working (test_isolation.py), for as long as its probe file is in data/: a
session running at the same time (another xdist worker's, another developer's) never sees it."""
PARENT_HOLDS_DATA_LOCK = "LEAD_TESTS_PARENT_HOLDS_DATA_LOCK"
"""Set by that test for the pytest it starts, which would otherwise wait for it forever."""


@contextmanager
def data_lock(exclusive: bool = False) -> Iterator[None]:
    """Hold DATA_LOCK for the block (shared or exclusive)."""
    if not exclusive and os.environ.get(PARENT_HOLDS_DATA_LOCK):
        yield
        return
    fd = os.open(DATA_LOCK, os.O_RDWR | os.O_CREAT, 0o660)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        yield
    finally:
        os.close(fd)  # releases the lock


def data_state(data: Path = DATA) -> dict[str, Entry]:
    """Every path under `data` (relative, posix) with its kind, size, mtime_ns and, for a
    symlink, its target; symlinks are not followed. Folders count too: a file written and
    removed again still changes its folder's mtime."""
    state: dict[str, Entry] = {}

    def visit(path: Path, rel: str) -> None:
        if rel.startswith(NOT_GUARDED):
            return
        try:
            st = path.lstat()
            if stat.S_ISLNK(st.st_mode):
                state[rel] = ("link", st.st_size, st.st_mtime_ns, os.readlink(path))
                return
            if not stat.S_ISDIR(st.st_mode):
                kind = "file" if stat.S_ISREG(st.st_mode) else "other"
                state[rel] = (kind, st.st_size, st.st_mtime_ns, None)
                return
            state[rel] = ("dir", st.st_size, st.st_mtime_ns, None)
            children = sorted(os.listdir(path))
        except FileNotFoundError:  # removed while we looked: absent
            return
        for name in children:
            visit(path / name, f"{rel}/{name}" if rel else name)

    if data.exists():
        visit(data, "")
    return state


def data_changes(before: dict[str, Entry], after: dict[str, Entry]) -> list[str]:
    """One line per path under data/ that was created, changed or removed."""
    lines = []
    for rel in sorted(before.keys() | after.keys()):
        if before.get(rel) == after.get(rel):
            continue
        what = ("created" if rel not in before else "removed" if rel not in after
                else "changed")
        lines.append(f"{what}: data/{rel}".rstrip("/"))
    return lines


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def pytest_sessionstart(session: pytest.Session) -> None:
    if not _is_worker(session.config):
        with data_lock():
            session.config.stash[_DATA_BEFORE] = data_state()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the session when the checkout's data/ changed while it ran."""
    before = session.config.stash.get(_DATA_BEFORE, None)
    if _is_worker(session.config) or before is None:
        return
    with data_lock():
        after = data_state()
    changes = data_changes(before, after)
    if not changes:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    message = [f"the test session wrote into the checkout's data/ ({DATA}); tests must use "
               "tmp_path or the temporary folders conftest.py sets:", *changes]
    if reporter is not None:
        reporter.ensure_newline()
        reporter.write_sep("=", "data/ changed", red=True, bold=True)
        for line in message:
            reporter.write_line(line, red=True)
    else:
        print("\n".join(message))
    session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_unconfigure(config: pytest.Config) -> None:
    _remove_scratch()


@pytest.fixture(autouse=True)
def _no_dagster_home(monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process refreshes use a throwaway Dagster instance unless a test sets DAGSTER_HOME
    itself, so a developer's own DAGSTER_HOME never collects the tests' runs (removed from the
    environment at import too; this undoes a test that set it without monkeypatch)."""
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
