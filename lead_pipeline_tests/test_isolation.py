"""The test suite never touches real data (conftest.py): what the pipeline writes by default goes
to a temporary folder of each test process, and a session that writes into the checkout's
data/ fails, naming the paths."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import uuid
from pathlib import Path

from lead_pipeline.defs.resources import PipelineSettings, resources
from lead_pipeline.lib import paths
from lead_pipeline_tests.conftest import (
    DATA,
    PARENT_HOLDS_DATA_LOCK,
    READ_ONLY_INPUTS,
    ROOT,
    SCRATCH,
    WRITE_TARGETS,
    data_lock,
)


def _inside(path: Path | str, folder: Path) -> bool:
    return Path(path).resolve().is_relative_to(folder.resolve())


def _pytest(test_file: Path, *args: str, env: dict[str, str] | None = None
            ) -> subprocess.CompletedProcess[str]:
    """pytest in a fresh process on `test_file` (outside the checkout) with the project's
    configuration and this conftest in effect, as a plugin."""
    cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
           "-p", "lead_pipeline_tests.conftest", "-c", str(ROOT / "pyproject.toml"),
           "--rootdir", str(ROOT), *args, str(test_file)]
    return subprocess.run(cmd, cwd=ROOT, env={**os.environ, **(env or {})},
                          capture_output=True, text=True, timeout=300)


def test_write_targets_are_in_a_temporary_folder_outside_the_checkout():
    assert paths.project_root() == ROOT
    assert _inside(SCRATCH, Path(tempfile.gettempdir())) and not _inside(SCRATCH, ROOT)
    assert SCRATCH.is_dir()
    for name, path in WRITE_TARGETS.items():
        assert os.environ[name] == str(path) and _inside(path, SCRATCH), name
    for name, path in READ_ONLY_INPUTS.items():
        assert os.environ[name] == str(path) and _inside(path, DATA), name
    assert "DAGSTER_HOME" not in os.environ
    # what the pipeline computes from them, PipelineSettings' defaults (fixed when the class
    # was defined) included
    settings = PipelineSettings()
    for path in (paths.default_database(), paths.default_output_dir(),
                 paths.default_snapshots_root(), settings.output_dir, settings.snapshots_root):
        assert _inside(path, SCRATCH) and not _inside(path, ROOT), path
    assert Path(settings.snapshot_dir) == DATA / "sample"
    assert Path(resources().snapshot.reference_dir) == DATA / "reference"


def test_each_process_gets_its_own_folder_whatever_the_shell_had(tmp_path: Path):
    """A developer's shell pointing the pipeline at the checkout's folders (or a deployment's)
    and at a Dagster instance changes nothing; each xdist worker has its own folder, and the
    folders are gone when the session ends."""
    report = tmp_path / "seen.txt"
    test_file = tmp_path / "test_env_probe.py"
    test_file.write_text(textwrap.dedent(f"""
        import os
        import pytest

        @pytest.mark.parametrize("n", range(4))
        def test_env(n):
            assert "DAGSTER_HOME" not in os.environ
            with open({str(report)!r}, "a") as fh:
                fh.write(os.environ.get("PYTEST_XDIST_WORKER", "-") + " "
                         + os.environ["LEAD_OUTPUT_DIR"] + " "
                         + os.environ["LEAD_DATABASE"] + "\\n")
    """))
    shell = {"LEAD_DATABASE": str(DATA / "warehouse" / "lead_pipeline.duckdb"),
             "LEAD_OUTPUT_DIR": str(DATA / "output"),
             "LEAD_SNAPSHOTS_ROOT": str(DATA / "snapshots"),
             "LEAD_SNAPSHOT_DIR": str(tmp_path / "elsewhere"),
             "DAGSTER_HOME": str(ROOT / "dagster_home")}
    proc = _pytest(test_file, "-n", "2", env=shell)
    assert proc.returncode == 0, proc.stdout + proc.stderr

    rows = [line.split(" ") for line in report.read_text().splitlines()]
    assert len(rows) == 4
    folders = {worker: Path(output).parent for worker, output, _ in rows}
    assert sorted(folders) == ["gw0", "gw1"]
    assert folders["gw0"] != folders["gw1"]
    for _worker, output, database in rows:
        assert not _inside(output, ROOT) and not _inside(database, ROOT)
        assert _inside(database, Path(output).parent)
    assert not any(folder.exists() for folder in folders.values())


def test_a_session_that_writes_into_data_fails_and_names_the_path(tmp_path: Path):
    probe = DATA / f".isolation-probe-{uuid.uuid4().hex}"
    written = probe / "written.txt"
    test_file = tmp_path / "test_writes_data.py"
    test_file.write_text(textwrap.dedent(f"""
        from pathlib import Path

        def test_writes_into_data():
            Path({str(probe)!r}).mkdir()
            Path({str(written)!r}).write_text("a test wrote this")
    """))
    # exclusive: no session running at the same time records or compares data/ while the
    # probe is there
    with data_lock(exclusive=True):
        data_mtime = DATA.stat()
        try:
            proc = _pytest(test_file, env={PARENT_HOLDS_DATA_LOCK: "1"})
        finally:
            shutil.rmtree(probe, ignore_errors=True)
            # the probe's folder came and went: put data/'s mtime back, or this session's own
            # guard would (rightly) report data/ as changed
            os.utime(DATA, ns=(data_mtime.st_atime_ns, data_mtime.st_mtime_ns))
    output = proc.stdout + proc.stderr
    assert "1 passed" in output, output  # the test itself passed: the guard failed the session
    assert proc.returncode == 1, output
    assert f"created: data/{probe.name}/written.txt" in output
    assert f"created: data/{probe.name}\n" in output
    assert "changed: data\n" in output  # data/ itself got a new entry
    assert not probe.exists()
