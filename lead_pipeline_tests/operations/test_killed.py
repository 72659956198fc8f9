"""A refresh killed half-way (SIGKILL: no cleanup code runs) leaves `latest` and every published
file as they were: the weekly refresh killed while its staging folder fills, and a one-school
refresh killed while it writes the replacement beside the published file."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from lead_pipeline.lib import publish
from lead_pipeline.lib.generator import ProblemRates, generate
from lead_pipeline.lib.paths import project_root
from lead_pipeline.refresh import run_refresh, run_school_refresh
from lead_pipeline_tests.operations.common import digests


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


def _kill_when(cmd: list[str], ready, timeout: float = 120) -> int | None:
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    proc = subprocess.Popen(cmd, cwd=project_root(), env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + timeout
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            if ready():
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                return proc.returncode
            time.sleep(0.002)
        return proc.poll()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


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
