"""What an administrator installs from deploy/: the unit files pass `systemd-analyze verify`,
run as a dedicated account with the environment file and restart on failure; every variable of
the environment file example is one the product reads; the preflight names a wrong database in
one line and exits 1."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lead_pipeline.lib.paths import project_root
from lead_pipeline_tests.webserver import free_port

ROOT = project_root()
SYSTEMD = ROOT / "deploy" / "systemd"
UNITS = ["lead-pipeline-daemon.service", "lead-pipeline-webserver.service"]
INSTALLED_AT = "/opt/lead_pipeline"


def _installed_here(unit: str, folder: Path) -> Path:
    """The unit with the README's install folder replaced by this checkout (whose .venv has
    the programs), as `systemd-analyze verify` checks that ExecStart's program exists."""
    text = (SYSTEMD / unit).read_text().replace(INSTALLED_AT, str(ROOT))
    path = folder / unit
    path.write_text(text)
    return path


def _verify(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["systemd-analyze", "verify", str(path)], capture_output=True,
                          text=True, timeout=60)


@pytest.mark.skipif(shutil.which("systemd-analyze") is None,
                    reason="systemd-analyze is not installed (Debian package systemd)")
@pytest.mark.parametrize("unit", UNITS)
def test_unit_files_pass_systemd_analyze_verify(unit: str, tmp_path: Path) -> None:
    done = _verify(_installed_here(unit, tmp_path))
    assert done.returncode == 0 and done.stderr == "", done.stderr
    # the same check fails on a unit with a mistake: it really reads the file
    broken = tmp_path / f"broken-{unit}"
    broken.write_text(_installed_here(unit, tmp_path).read_text().replace(
        "Restart=on-failure", "Restart=sometimes"))
    bad = _verify(broken)
    assert "restart specifier" in bad.stderr and "sometimes" in bad.stderr, bad.stderr


@pytest.mark.parametrize("unit", UNITS)
def test_units_run_unprivileged_from_the_environment_file_and_restart(unit: str) -> None:
    text = (SYSTEMD / unit).read_text()
    settings = dict(re.findall(r"^(\w+)=(.*)$", text, flags=re.M))
    assert settings["User"] == "lead-pipeline" and settings["Group"] == "lead-pipeline"
    assert settings["EnvironmentFile"] == "/etc/lead-pipeline/lead-pipeline.env"
    assert settings["Restart"] == "on-failure"
    assert settings["UMask"] == "0007"
    assert settings["ExecStartPre"].endswith("python -m lead_pipeline.preflight")
    program = settings["ExecStart"].split()[0].rsplit("/", 1)[1]
    assert program == {"lead-pipeline-daemon.service": "dagster-daemon",
                       "lead-pipeline-webserver.service": "dagster-webserver"}[unit]
    assert "/opt/lead_pipeline/deploy/workspace.yaml" in settings["ExecStart"]
    if program == "dagster-webserver":
        assert "-h 127.0.0.1" in settings["ExecStart"]  # no login: never on every address


def test_every_variable_of_the_environment_file_is_read_by_the_product() -> None:
    example = (SYSTEMD / "lead-pipeline.env.example").read_text()
    names = re.findall(r"^#?([A-Z][A-Z0-9_]+)=", example, flags=re.M)
    assert "DAGSTER_PG_PASSWORD" in names and "LEAD_SMTP_TO" in names
    code = "\n".join(p.read_text() for p in (ROOT / "lead_pipeline").rglob("*.py"))
    code += (ROOT / "deploy" / "dagster.yaml").read_text()
    unread = [n for n in names if n != "DAGSTER_HOME" and f'"{n}"' not in code
              and f"env: {n}" not in code]
    assert unread == []


def test_preflight_names_a_wrong_database_in_one_line(tmp_path: Path) -> None:
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").symlink_to(ROOT / "deploy" / "dagster.yaml")
    port = free_port()  # nothing listens there
    env = {"PATH": "/usr/bin:/bin", "DAGSTER_HOME": str(home), "DAGSTER_PG_HOST": "127.0.0.1",
           "DAGSTER_PG_PORT": str(port), "DAGSTER_PG_DB": "dagster", "DAGSTER_PG_USER": "lead",
           "DAGSTER_PG_PASSWORD": "secret-password", "LEAD_SNAPSHOTS_ROOT": str(tmp_path / "no"),
           "LEAD_SMTP_HOST": "127.0.0.1", "LEAD_SMTP_PORT": str(port), "LEAD_SMTP_TLS": "none",
           "LEAD_SMTP_FROM": "a@district.test", "LEAD_SMTP_TO": "b@district.test"}
    done = subprocess.run([sys.executable, "-m", "lead_pipeline.preflight"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    lines = done.stderr.splitlines()
    assert lines == [
        f"lead-pipeline: warning: the snapshots root {tmp_path / 'no'} (LEAD_SNAPSHOTS_ROOT) "
        "does not exist: the schedule and the sensor will find no snapshot until it does",
        f"lead-pipeline: warning: the SMTP server 127.0.0.1:{port} cannot be reached now "
        "([Errno 111] Connection refused): alerts will be logged as not sent",
        f"lead-pipeline: cannot connect to the instance database "
        f"postgresql://lead@127.0.0.1:{port}/dagster: " + lines[-1].split(": ", 2)[2],
    ]
    assert "Connection refused" in lines[-1] and "Traceback" not in done.stderr
    assert "secret-password" not in done.stderr
