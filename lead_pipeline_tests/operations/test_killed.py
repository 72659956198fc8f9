"""A refresh killed half-way (SIGKILL: no cleanup code runs) leaves `latest` and every published
file as they were: the weekly refresh killed while its staging folder fills, and a one-school
refresh killed while it writes the replacement beside the published file. Asked to stop
(SIGTERM, Ctrl-C), a refresh also stops its writer process and says that it was
interrupted."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from lead_pipeline.lib import publish
from lead_pipeline.lib.generator import ProblemRates, generate
from lead_pipeline.lib.interrupts import INTERRUPTED
from lead_pipeline.lib.paths import project_root
from lead_pipeline.refresh import run_refresh, run_school_refresh
from lead_pipeline_tests.operations.common import digests
from lead_pipeline_tests.processes import alive


def _published(out: Path) -> dict[str, str]:
    """Every published file behind latest (hidden temporary names are not published files)."""
    return {k: v for k, v in digests(out / "latest").items()
            if not any(part.startswith(".") for part in Path(k).parts)}


def _district(tmp_path: Path, name: str, day: str) -> Path:
    folder = tmp_path / name
    generate(folder, 1500, seed=3, rates=ProblemRates.zero(), schools=3)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["snapshotDate"] = day
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


def _writers_of(pid: int) -> list[int]:
    """The workbook writer processes `pid` has spawned (its children running multiprocessing's
    spawn_main), from /proc."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue  # the process ended meanwhile
        if int(fields[1]) == pid and b"spawn_main" in cmdline:
            found.append(int(stat.parent.name))
    return found


def _kill_when(cmd: list[str], ready, timeout: float = 120, sig: int = signal.SIGKILL,
               output: Path | None = None, writers: list[int] | None = None) -> int | None:
    """Start `cmd`, send it `sig` once `ready()` holds, and return its exit code (its output
    to `output`, its writer processes at that moment to `writers`, when given)."""
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    sink = output.open("w") if output else subprocess.DEVNULL
    proc = subprocess.Popen(cmd, cwd=project_root(), env=env, stdout=sink, stderr=sink)
    deadline = time.monotonic() + timeout
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            if ready():
                if writers is not None:
                    writers.extend(_writers_of(proc.pid))
                proc.send_signal(sig)
                proc.wait(timeout=60)
                return proc.returncode
            time.sleep(0.002)
        return proc.poll()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if output:
            sink.close()  # type: ignore[union-attr]


def test_killed_refreshes_leave_latest_and_published_files_unchanged(tmp_path: Path):
    db, out = tmp_path / "w.duckdb", tmp_path / "out"
    first = run_refresh(_district(tmp_path, "w1", "2026-11-21"), database=db, output=out)
    assert first.success, first.problems
    before_link, before = os.readlink(out / "latest"), _published(out)
    schools = sorted(p.stem.removeprefix("LEAD_") for p in (out / "latest/schools").glob("*"))

    # the weekly refresh of the next week, killed once its staging folder holds a workbook
    second = _district(tmp_path, "w2", "2026-11-28")

    def staging_has_files() -> bool:
        return any(p.suffix == ".xlsx" for s in out.glob(".staging-*") for p in s.rglob("*"))

    code = _kill_when([sys.executable, "-m", "lead_pipeline.cli", "refresh", "--snapshot",
                       str(second), "--output", str(out), "--database", str(db)],
                      staging_has_files)
    assert code == -signal.SIGKILL, "the refresh finished before it could be killed"
    assert os.readlink(out / "latest") == before_link
    assert _published(out) == before
    assert not (out / "2027" / "2026-11-28").exists()

    # a one-school refresh killed while its replacement is being written
    school = schools[0]
    target_dir = out / "latest" / "schools"

    def replacement_started() -> bool:  # its workbook is being written, then renamed in
        return any(out.glob(".staging-school-*")) or any(target_dir.glob(f".LEAD_{school}.tmp-*"))

    code = _kill_when([sys.executable, "-m", "lead_pipeline.cli", "refresh", "--school", school,
                       "--snapshot", str(second), "--output", str(out), "--database", str(db)],
                      replacement_started)
    assert code == -signal.SIGKILL, "the one-school refresh finished before it could be killed"
    assert os.readlink(out / "latest") == before_link
    assert _published(out) == before

    # the next one-school run works and clears what the killed one left beside the file
    again = run_school_refresh(school, second, database=db, output=out)
    assert again.success, again.problems
    assert not list(target_dir.glob(".*"))
    changed = {k for k, v in _published(out).items() if before[k] != v}
    assert changed == {f"schools/LEAD_{school}.xlsx"}
    assert publish.latest(out) == first.published


def test_a_refresh_asked_to_stop_says_so_and_leaves_nothing_behind(tmp_path: Path):
    """SIGTERM (what systemd and Kubernetes send; Ctrl-C is handled alike) once the staging
    folder holds a workbook (the KIAS or the LEAD workbook step): that step fails as
    interrupted, the command says so in one line and exits 1, nothing published changes, and
    its writer process does not outlive it. (Its staging folder stays, as a killed run's, for
    the next refresh to clear: publish.recover.)"""
    db, out = tmp_path / "w.duckdb", tmp_path / "out"
    first = run_refresh(_district(tmp_path, "w1", "2026-11-21"), database=db, output=out)
    assert first.success, first.problems
    before_link, before = os.readlink(out / "latest"), _published(out)

    def staging_has_files() -> bool:
        return any(p.suffix == ".xlsx" for s in out.glob(".staging-*") for p in s.rglob("*"))

    said, writers = tmp_path / "said.txt", []
    code = _kill_when([sys.executable, "-m", "lead_pipeline.cli", "refresh", "--snapshot",
                       str(_district(tmp_path, "w2", "2026-11-28")), "--output", str(out),
                       "--database", str(db)], staging_has_files, sig=signal.SIGTERM,
                      output=said, writers=writers)
    text = said.read_text()
    assert code == 1, (code, text)
    stopped = re.search(r"stopped: step (\w+) failed.*\n  (\w+): (.*)\n", text)
    assert stopped and stopped[1] == stopped[2] and stopped[3] == INTERRUPTED, text
    assert "Traceback" not in text
    assert os.readlink(out / "latest") == before_link
    assert _published(out) == before
    assert writers, "the refresh had no writer process when it was asked to stop"
    assert not [pid for pid in writers if alive(pid)]
