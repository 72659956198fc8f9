"""Files and folders are created readable by their owner and group only, never by every user of
the server (lib/permissions.py): the DuckDB file, the publications, the staging folders and the
Dagster instance describe children.

Real processes, started with the umask most shells and service managers have (022: everything
world-readable), so each test fails unless our code restricts it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from lead_pipeline.lib.paths import project_root
from lead_pipeline.lib.permissions import PRIVATE_UMASK, restrict_umask
from lead_pipeline_tests.webserver import Dagit, free_port, stop_group

ROOT = project_root()
OPEN_UMASK = 0o022
"""A typical default umask: files 0644, folders 0755 — readable by every account."""


def _modes(top: Path) -> dict[str, int]:
    """Every path below `top` (not `top` itself) with its permission bits; symlinks not
    followed (their own mode means nothing)."""
    found = {}
    for dirpath, dirnames, filenames in os.walk(top):
        for name in [*dirnames, *filenames]:
            path = Path(dirpath) / name
            if not path.is_symlink():
                found[str(path.relative_to(top))] = stat.S_IMODE(path.lstat().st_mode)
    return found


def _open_to_others(modes: dict[str, int]) -> dict[str, str]:
    return {rel: oct(mode) for rel, mode in modes.items() if mode & 0o007}


def test_restrict_umask_adds_the_private_bits_and_keeps_stricter_ones():
    old = os.umask(OPEN_UMASK)
    try:
        assert restrict_umask() == OPEN_UMASK
        assert os.umask(0o077) == OPEN_UMASK | PRIVATE_UMASK == 0o027
        restrict_umask()
        assert os.umask(old) == 0o077
    finally:
        os.umask(old)


def test_cli_refresh_creates_nothing_other_accounts_can_read(tmp_path: Path):
    """`lead-pipeline refresh` as `./lp refresh` runs it, with its own Dagster instance: the
    DuckDB file (and .wal), its lock, the publication with its staging folders, and
    DAGSTER_HOME's storage."""
    out, db, home = tmp_path / "out", tmp_path / "db", tmp_path / "dh"
    home.mkdir(mode=0o770)  # Dagster needs DAGSTER_HOME to exist; what it adds is the test
    cmd = [str(Path(sys.executable).with_name("lead-pipeline")), "refresh",
           "--snapshot", "data/sample", "--output", str(out),
           "--database", str(db / "x.duckdb")]
    proc = subprocess.run(cmd, cwd=ROOT, env={**os.environ, "DAGSTER_HOME": str(home)},
                          umask=OPEN_UMASK, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr

    published = _modes(out)
    assert any(rel.endswith(".xlsx") for rel in published), published  # it did publish
    assert {"x.duckdb", "x.duckdb.lock"} <= set(_modes(db))
    assert _modes(home), "the refresh wrote nothing into DAGSTER_HOME"
    for top in (out, db, home):
        assert _open_to_others(_modes(top)) == {}, top
    assert stat.S_IMODE(db.stat().st_mode) & 0o007 == 0  # made by the refresh too


def _setup_is_current() -> bool:
    """`./lp` re-installs .venv when its stamp is stale (the same hash as `lp`'s setup())."""
    stamp = ROOT / ".venv" / ".lp-installed"
    want = hashlib.sha256((ROOT / "requirements.lock").read_bytes()
                          + (ROOT / "pyproject.toml").read_bytes()).hexdigest()[:16]
    return stamp.is_file() and stamp.read_text().strip() == want


DAEMONS_HEALTHY = "{ instance { daemonHealth { allDaemonStatuses { daemonType healthy } } } }"


def test_lp_ui_instance_is_private(tmp_path: Path):
    """`./lp ui` (DAGSTER_HOME and PORT from the environment): the webserver and the daemon
    write the instance's SQLite files and never import our code; lp's umask keeps them
    private, and lp closes the instance folder itself (git checks dagster_home/ out 0755)."""
    if not _setup_is_current():
        pytest.skip(".venv is older than requirements.lock: `./lp ui` would re-install it "
                    "(run ./lp setup)")
    home = tmp_path / "dh"
    home.mkdir()
    home.chmod(0o755)  # as git checks dagster_home/ out
    shutil.copy(ROOT / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
    (home / "dagster.yaml").chmod(0o644)
    port = free_port()
    log = (tmp_path / "lp-ui.log").open("wb")
    proc = subprocess.Popen(
        [str(ROOT / "lp"), "ui"], cwd=ROOT,
        env={**os.environ, "DAGSTER_HOME": str(home), "PORT": str(port)},
        umask=OPEN_UMASK, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:  # answering, and every daemon has written its heartbeat
            assert proc.poll() is None, (tmp_path / "lp-ui.log").read_text()
            try:
                with urllib.request.urlopen(f"{url}/server_info", timeout=2):
                    pass
                statuses = Dagit(url).graphql(DAEMONS_HEALTHY)[
                    "instance"]["daemonHealth"]["allDaemonStatuses"]
                if statuses and all(s["healthy"] for s in statuses):
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, (tmp_path / "lp-ui.log").read_text()
            time.sleep(1)
    finally:
        stop_group(proc)
        log.close()

    assert stat.S_IMODE(home.stat().st_mode) == 0o770
    written = _modes(home)
    written.pop("dagster.yaml")  # put there by the test, as git checks it out
    assert any(rel.endswith(".db") for rel in written), written  # the instance's SQLite files
    assert _open_to_others(written) == {}
