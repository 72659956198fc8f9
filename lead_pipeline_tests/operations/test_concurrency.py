"""Two processes on one real DuckDB file: the weekly refresh and a one-school refresh submitted
while it runs. The second waits for the first (lib/dblock.py) and both finish correctly. And the
lock itself: re-entrant within a process, waiting (with a message) across processes, 0660."""

from __future__ import annotations

import fcntl
import json
import os
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

from lead_pipeline.lib import dblock
from lead_pipeline.lib.paths import project_root
from lead_pipeline_tests.operations.common import (
    FILE,
    OTHER,
    changes,
    custom_properties,
    two_schools,
)


def _spawn(times: Path, *args: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    return subprocess.Popen(
        [sys.executable, "-m", "lead_pipeline_tests.operations.runner", str(times), "--",
         *args], cwd=project_root(), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def _held_by_other(database: Path) -> bool:
    path = dblock.lock_path(database)
    if not path.exists():
        return False
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing releases it if we got it
    return False


def test_one_school_submitted_during_weekly_run_waits_and_both_finish(tmp_path: Path):
    db, out = tmp_path / "w.duckdb", tmp_path / "out"
    week1 = two_schools().write(tmp_path / "w1")
    fixed = two_schools(fixed=True).write(tmp_path / "fixed")
    weekly = _spawn(tmp_path / "weekly.json", "refresh", "--snapshot", str(week1),
                    "--output", str(out), "--database", str(db))
    deadline = time.monotonic() + 60
    while not _held_by_other(db):  # the weekly run is executing (it holds the database)
        assert weekly.poll() is None, weekly.stdout.read().decode()  # type: ignore[union-attr]
        assert time.monotonic() < deadline
        time.sleep(0.02)
    submitted = time.time()
    school = _spawn(tmp_path / "school.json", "refresh", "--school", OTHER, "--snapshot",
                    str(fixed), "--output", str(out), "--database", str(db))
    weekly_log = weekly.communicate(timeout=120)[0].decode()
    school_log = school.communicate(timeout=120)[0].decode()
    assert weekly.returncode == 0, weekly_log
    assert school.returncode == 0, school_log
    w = json.loads((tmp_path / "weekly.json").read_text())
    s = json.loads((tmp_path / "school.json").read_text())
    assert w["started"] < submitted < w["ended"]  # submitted while the weekly run was running
    assert s["ended"] > w["ended"]  # it waited for the database, then ran
    # both outputs are right: the weekly publication, with school 010 rebuilt from the fix
    latest = out / "latest"
    assert custom_properties(latest / "schools/LEAD_005.xlsx")["snapshot_date"] == "2026-11-21"
    assert custom_properties(latest / "district/LEAD_District_165.xlsx")["snapshot_date"] \
        == "2026-11-21"
    assert custom_properties(latest / FILE)["snapshot_date"] == "2026-11-28"
    assert ("Resolved", "Q-C2", OTHER, 610) in changes(latest / FILE)


def test_lock_is_reentrant_within_a_process_whichever_thread_asks(tmp_path: Path):
    db = tmp_path / "w.duckdb"
    heard: list[str] = []
    with dblock.hold(db, on_wait=heard.append):
        with dblock.hold(db, on_wait=heard.append):  # the run's resource inside the refresh
            assert _held_by_other(db)
        got: list[bool] = []

        def other_thread() -> None:
            with dblock.hold(db, on_wait=heard.append):
                got.append(True)

        inner = threading.Thread(target=other_thread)
        inner.start()
        inner.join(timeout=5)
        assert got == [True]  # another thread of the process does not wait either
        assert _held_by_other(db)
    assert heard == [] and not _held_by_other(db)
    assert stat.S_IMODE(dblock.lock_path(db).stat().st_mode) == 0o660


def test_lock_held_by_another_process_is_waited_for_with_a_message(tmp_path: Path):
    db = tmp_path / "w.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\n"
         "from lead_pipeline.lib import dblock\n"
         f"with dblock.hold({str(db)!r}):\n"
         "    print('held', flush=True)\n"
         "    time.sleep(1.5)\n"],
        cwd=project_root(), stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    heard: list[str] = []
    started = time.monotonic()
    with dblock.hold(db, on_wait=heard.append):
        waited = time.monotonic() - started
        assert holder.wait(timeout=10) == 0  # it finished before we got the lock
    assert waited > 0.5
    assert heard == [f"another run holds {dblock.lock_path(db)}; waiting for it to finish"]
