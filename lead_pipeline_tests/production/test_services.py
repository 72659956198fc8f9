"""The product running unattended, as README "Running in production" sets it up: a real
PostgreSQL server holding the Dagster instance, `dagster-daemon` and `dagster-webserver` as two
separate processes, a real SMTP server on 127.0.0.1 receiving the alerts.

Nothing here launches a run through GraphQL or calls a function: snapshot folders are dropped
into the snapshots root and the daemon's sensor or schedule starts the refresh. The webserver's
GraphQL is only read (runs, their status), and used once to start the sensor, as an operator
does with the UI's toggle. One test runs the stages in order on one deployment (each builds on
the state the previous left), so the services start as few times as possible:

1. a snapshot that arrived 9 days ago: the sensor refreshes it, the workbooks are published,
   the freshness check fails and one "overdue" e-mail arrives;
2. a snapshot with a bad date: the run fails and the failure e-mail names the job, the folder,
   the date and the problem lines (ids, no values, no names);
3. the daemon is killed in the middle of a run, the webserver stopped: the server is brought
   back from a backup as README "Keeping and restoring" says (pg_dump of the instance database
   restored into a new database, the DuckDB file copied); both services started on the copies
   show the whole run history; run monitoring marks the killed run failed (its e-mail arrives);
   the daemon restarted with a schedule that ticks every minute (LEAD_SCHEDULE_CRON), the
   schedule's own tick refreshes and publishes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from lead_pipeline_tests.builders import tiny
from lead_pipeline_tests.production import postgres
from lead_pipeline_tests.production.services import (
    Service,
    SmtpServer,
    Webserver,
    instance_home,
    smtp_server,
    start_daemon,
    start_webserver,
    text,
    wait_for,
)

pytestmark = pytest.mark.skipif(postgres.bindir() is None, reason=postgres.INSTALL_HINT)

RUNTIME_LIMIT = 900
"""run_monitoring.max_runtime_seconds of the tests' instance while runs must finish (a refresh
through PostgreSQL takes 30-120 s on a loaded 2-core machine; deploy/dagster.yaml says 3600)."""
KILLED_LIMIT = 15
"""The limit while the daemon comes back after the kill: the dead run is past it at once, so
monitoring marks it failed on its first poll instead of after a quarter of an hour."""

START_SENSOR = """
mutation ($selector: SensorSelector!) { startSensor(sensorSelector: $selector) {
  __typename ... on Sensor { sensorState { status } } ... on PythonError { message } } }
"""
LOCATION = {"repositoryLocationName": "lead_pipeline", "repositoryName": "__repository__"}


@dataclass
class Deployment:
    root: Path
    cluster: postgres.Cluster
    database: postgres.Database
    smtp: SmtpServer
    env: dict[str, str]
    daemon: Service | None = None
    web: Webserver | None = None
    runs_seen: dict[str, Any] = field(default_factory=dict)

    @property
    def snapshots(self) -> Path:
        return Path(self.env["LEAD_SNAPSHOTS_ROOT"])

    @property
    def output(self) -> Path:
        return Path(self.env["LEAD_OUTPUT_DIR"])

    def runs(self) -> list[dict[str, Any]]:
        assert self.web is not None
        return self.web.runs()

    def refresh_runs(self) -> list[dict[str, Any]]:
        return [r for r in self.runs() if r["jobName"] == "Weekly_refresh"]

    def run_for(self, snapshot_name: str) -> dict[str, Any] | None:
        found = [r for r in self.refresh_runs()
                 if Path(r["tags"].get("lead/snapshot", "")).name == snapshot_name]
        return found[0] if found else None

    def finished_run_for(self, snapshot_name: str, timeout: float = 300) -> dict[str, Any]:
        def done() -> dict[str, Any] | None:
            run = self.run_for(snapshot_name)
            return run if run and run["status"] in ("SUCCESS", "FAILURE", "CANCELED") else None
        return wait_for(done, timeout, f"the refresh of {snapshot_name} to finish", self.daemon)

    def mail(self, subject_part: str, timeout: float = 180) -> Any:
        return wait_for(lambda: self.smtp.mailbox.matching(subject_part), timeout,
                        f"an e-mail about {subject_part!r}", self.daemon)[0]


def drop(folder: Path, snapshot: Any, arrived: float | None = None) -> float:
    """Write a snapshot beside the root, then move it in (a copy appears whole); return when."""
    staging = folder.parent.parent / f".incoming-{folder.name}"
    snapshot.write(staging)
    if arrived is not None:
        os.utime(staging / "manifest.json", (arrived, arrived))
    staging.rename(folder)
    return time.time()


@pytest.fixture
def deployment(tmp_path: Path) -> Iterator[Deployment]:
    root = tmp_path
    with postgres.cluster() as cluster:
        database = cluster.database("dagster")
        smtp = smtp_server()
        home = instance_home(root / "dagster_home", poll_interval_seconds=2,
                             max_runtime_seconds=RUNTIME_LIMIT, start_timeout_seconds=300)
        (root / "snapshots").mkdir()
        env = {**os.environ, **database.env(),
               "DAGSTER_HOME": str(home),
               "LEAD_SNAPSHOTS_ROOT": str(root / "snapshots"),
               "LEAD_OUTPUT_DIR": str(root / "output"),
               "LEAD_DATABASE": str(root / "warehouse" / "lead_pipeline.duckdb"),
               "LEAD_SMTP_HOST": smtp.host, "LEAD_SMTP_PORT": str(smtp.port),
               "LEAD_SMTP_TLS": "none", "LEAD_SMTP_FROM": "lead-pipeline@district.test",
               "LEAD_SMTP_TO": "it@district.test,data@district.test",
               "LEAD_SENSOR_INTERVAL_SECONDS": "2", "LEAD_ALERT_INTERVAL_SECONDS": "2",
               "LEAD_FRESHNESS_INTERVAL_SECONDS": "2"}
        env.pop("LEAD_SCHEDULE_CRON", None)
        d = Deployment(root, cluster, database, smtp, env)
        try:
            d.web = start_webserver(env, root)
            # the operator's choice of trigger, persisted in PostgreSQL (the UI's toggle)
            started = d.web.graphql(START_SENSOR, {"selector": {
                **LOCATION, "sensorName": "new_snapshot_sensor"}})["startSensor"]
            assert started["sensorState"]["status"] == "RUNNING", started
            d.daemon = start_daemon(env, root)
            yield d
        finally:
            for service in (d.daemon, d.web.service if d.web else None):
                if service:
                    service.stop()
            smtp.stop()


def sensor_refreshes_a_dropped_snapshot_and_says_once_that_it_is_overdue(
        deployment: Deployment) -> None:
    d = deployment
    s = tiny()
    s.manifest["snapshotDate"] = "2026-11-14"
    nine_days_ago = time.time() - 9 * 86400
    dropped = drop(d.snapshots / "2026-11-14", s, arrived=nine_days_ago)

    run = d.finished_run_for("2026-11-14")
    assert run["status"] == "SUCCESS", d.daemon.log.read_text()[-3000:] if d.daemon else ""
    assert run["tags"]["lead/trigger"] == "sensor"
    # the sensor looks every 2 s; creating and starting the run through PostgreSQL takes the
    # rest (69 s seen with three test suites sharing 2 cores)
    assert run["startTime"] - dropped < 180
    book = d.output / "latest" / "district" / "LEAD_District_165.xlsx"
    assert os.readlink(d.output / "latest") == "2027/2026-11-14"
    sheets = openpyxl.load_workbook(book, read_only=True).sheetnames
    assert "Classes" in sheets and "Issues" in sheets

    overdue = d.mail("snapshot overdue")
    body = text(overdue)
    assert str(overdue["Subject"]) == ("[lead_pipeline] snapshot overdue: no new snapshot for "
                                       "8 days")
    assert str(overdue["To"]) == "it@district.test, data@district.test"
    assert time.strftime("%Y-%m-%d", time.gmtime(nine_days_ago)) in body
    assert "snapshot/candidate:freshness_check" in body or "freshness_check" in body
    assert d.smtp.mailbox.envelopes[0][1] == ["it@district.test", "data@district.test"]


def a_rejected_snapshot_sends_the_failure_e_mail_with_ids_and_counts_only(
        deployment: Deployment) -> None:
    d = deployment
    s = tiny()
    s.manifest["snapshotDate"] = "2026-11-15"
    s.one("Roster")["startDate"] = "2026-13-01"
    drop(d.snapshots / "2026-11-15-bad", s)

    run = d.finished_run_for("2026-11-15-bad")
    assert run["status"] == "FAILURE"
    assert os.readlink(d.output / "latest") == "2027/2026-11-14"  # last week's stays

    message = d.mail("Weekly_refresh failed (snapshot 2026-11-15)")
    body = text(message)
    assert f"Run:             {run['runId']}" in body
    assert f"Snapshot folder: {d.snapshots / '2026-11-15-bad'}" in body
    assert "Snapshot date:   2026-11-15" in body
    assert "Started by:      sensor" in body
    problems = body.split("First problems:\n", 1)[1]
    assert "Roster.startDate: 1 value(s) are not a date" in problems
    assert "rosterID=800 (row 1)" in problems
    assert "  - check snapshot/candidate values_parse failed: 1 findings, 1 rows\n" in problems
    assert "  - step snapshot__candidate: 1 blocking asset check failed" in problems
    for private in ("2026-13-01", "Ann", "Student", "0000000001", "2021-03-04"):
        assert private not in body


def killed_daemon_then_restored_backup_fail_the_run_keep_history_and_tick_again(
        deployment: Deployment) -> None:
    d = deployment
    assert d.daemon is not None and d.web is not None
    s = tiny()
    s.manifest["snapshotDate"] = "2026-11-21"
    drop(d.snapshots / "2026-11-21", s)

    def running() -> dict[str, Any] | None:
        run = d.run_for("2026-11-21")
        return run if run and run["status"] == "STARTED" else None
    killed = wait_for(running, 300, "the refresh of 2026-11-21 to start", d.daemon, every=0.2)
    d.daemon.kill()  # the daemon, its code server and the run's worker, as a crash would
    d.daemon = None
    time.sleep(1)
    assert d.run_for("2026-11-21")["status"] == "STARTED"  # stuck, until monitoring ends it
    history = {r["runId"]: r["status"] for r in d.runs()}
    d.web.service.stop()  # both services down

    # README "Keeping and restoring": pg_dump of the instance database, restored into a new
    # database; the DuckDB file copied
    dump = d.root / "dagster.dump"
    pg = d.cluster.bin
    subprocess.run([str(pg / "pg_dump"), "-h", d.database.host, "-p", str(d.database.port),
                    "-U", d.database.user, "-Fc", "-f", str(dump), d.database.name],
                   env={**os.environ, "PGPASSWORD": d.database.password}, check=True,
                   capture_output=True)
    restored = d.cluster.database("restored")
    subprocess.run([str(pg / "pg_restore"), "-h", restored.host, "-p", str(restored.port),
                    "-U", restored.user, "--no-owner", "-d", restored.name, str(dump)],
                   env={**os.environ, "PGPASSWORD": restored.password}, check=True,
                   capture_output=True)
    duck = d.root / "restored-warehouse" / "lead_pipeline.duckdb"
    duck.parent.mkdir()
    shutil.copy2(d.env["LEAD_DATABASE"], duck)
    d.env.update(restored.env())
    d.env["LEAD_DATABASE"] = str(duck)

    # both services back on the copies; the new_snapshot_sensor is still on (its state came
    # back with the database). Monitoring ends the dead run at once (KILLED_LIMIT) ...
    home = Path(d.env["DAGSTER_HOME"])
    instance_home(home, max_runtime_seconds=KILLED_LIMIT)
    d.web = start_webserver(d.env, d.root)
    assert {r["runId"]: r["status"] for r in d.runs()} == history
    d.daemon = start_daemon(d.env, d.root)
    failed = d.finished_run_for("2026-11-21")
    assert failed["runId"] == killed["runId"] and failed["status"] == "FAILURE"
    message = d.mail("Weekly_refresh failed (snapshot 2026-11-21)")
    body = text(message)
    assert f"Run:             {killed['runId']}" in body
    assert f"Canceling due to exceeding maximum runtime of {KILLED_LIMIT} seconds" in body

    # ... then the daemon is restarted with the limit back, and a schedule that ticks every
    # minute (the default stays Sundays 03:00): its own tick refreshes the newest folder
    d.daemon.stop()
    instance_home(home, max_runtime_seconds=RUNTIME_LIMIT)
    d.env["LEAD_SCHEDULE_CRON"] = "* * * * *"
    d.daemon = start_daemon(d.env, d.root)

    def scheduled() -> dict[str, Any] | None:
        runs = [r for r in d.refresh_runs() if r["tags"].get("dagster/schedule_name")
                == "weekly_refresh_schedule" and r["status"] in ("SUCCESS", "FAILURE")]
        return runs[-1] if runs else None
    tick = wait_for(scheduled, 300, "a run of the schedule's tick", d.daemon)
    assert tick["status"] == "SUCCESS"
    assert Path(tick["tags"]["lead/snapshot"]).name == "2026-11-21"
    assert os.readlink(d.output / "latest") == "2027/2026-11-21"
    sheets = openpyxl.load_workbook(d.output / "latest" / "schools" / "LEAD_005.xlsx",
                                    read_only=True).sheetnames
    assert "Classes" in sheets
    # said once: the next arrivals made the snapshot fresh again, no second "overdue" e-mail
    assert len(d.smtp.mailbox.matching("snapshot overdue")) == 1


def test_unattended_production(deployment: Deployment) -> None:
    """The three stages in order on one deployment (one test, so no test scheduler can split
    them or run another test's module in between)."""
    sensor_refreshes_a_dropped_snapshot_and_says_once_that_it_is_overdue(deployment)
    a_rejected_snapshot_sends_the_failure_e_mail_with_ids_and_counts_only(deployment)
    killed_daemon_then_restored_backup_fail_the_run_keep_history_and_tick_again(deployment)
