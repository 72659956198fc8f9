"""Many districts on one deployment (docs/statewide.md), unattended, as the production services
run it: a real PostgreSQL server holding the instance, `dagster-daemon` and `dagster-webserver`
as separate processes, LEAD_MULTI_DISTRICT=1, the run queue at two runs at once and one per
district, a real SMTP server on 127.0.0.1.

Snapshot folders are dropped under `<root>/<district>/`: three good districts, one whose
snapshot fails a blocking check, a folder whose name is not a district and a snapshot whose
manifest names another district. The new-snapshot sensor starts one run per district; the good
three publish into their own trees, the broken one fails alone with an e-mail naming it, the two
misplaced ones are refused in the sensor's log and nothing of them is written. Then one school of
one district is rebuilt through the UI's GraphQL, and no file of another district changes.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import yaml

from lead_pipeline.defs.operations.jobs import ONE_SCHOOL
from lead_pipeline_tests.builders import Snapshot, tiny
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
from lead_pipeline_tests.production.test_services import LOCATION, START_SENSOR, drop

pytestmark = pytest.mark.skipif(postgres.bindir() is None, reason=postgres.INSTALL_HINT)

GOOD, BROKEN, MISNAMED, OTHERS = ("101", "102", "103"), "104", "10x", "105"
AT_ONCE = 2

TICKS = """
query ($selector: SensorSelector!) { sensorOrError(sensorSelector: $selector) {
  ... on Sensor { sensorState { ticks(limit: 100) { status logEvents { events { message } } } } }
} }
"""
LAUNCH = """
mutation ($params: ExecutionParams!) { launchRun(executionParams: $params) {
  __typename ... on LaunchRunSuccess { run { runId } } ... on PythonError { message } } }
"""
PARTITIONS = """
query ($key: AssetKeyInput!) { assetNodeOrError(assetKey: $key) { ... on AssetNode {
  assetPartitionStatuses { ... on DefaultPartitionStatuses {
    materializedPartitions failedPartitions } } } } }
"""
TREND_POINTS = """
{ assetOrError(assetKey: {path: ["lead", "trend"]}) { ... on Asset {
  assetMaterializations { partition metadataEntries { label ... on IntMetadataEntry {
    intValue } } } } } }
"""


def district_snapshot(number: str, manifest_number: str | None = None) -> Snapshot:
    """The tiny district (one school, 005) as district `number`; its manifest may name
    another."""
    s = tiny()
    s.manifest["districtNumber"] = manifest_number or number
    s.one("District")["number"] = number
    return s


@dataclass
class Statewide:
    root: Path
    env: dict[str, str]
    smtp: SmtpServer
    web: Webserver
    daemon: Service

    @property
    def snapshots(self) -> Path:
        return Path(self.env["LEAD_SNAPSHOTS_ROOT"])

    @property
    def output(self) -> Path:
        return Path(self.env["LEAD_OUTPUT_DIR"])

    @property
    def warehouse(self) -> Path:
        return Path(self.env["LEAD_DATABASE"]).parent

    def runs(self) -> list[dict[str, Any]]:
        return self.web.runs()

    def finished(self, job: str, count: int, timeout: float = 1500) -> list[dict[str, Any]]:
        def done() -> list[dict[str, Any]] | None:
            runs = [r for r in self.runs() if r["jobName"] == job]
            over = [r for r in runs if r["status"] in ("SUCCESS", "FAILURE", "CANCELED")]
            return runs if len(runs) >= count and len(over) == len(runs) else None
        return wait_for(done, timeout, f"{count} run(s) of {job} to finish", self.daemon)


@pytest.fixture
def statewide(tmp_path: Path) -> Iterator[Statewide]:
    root = tmp_path
    with postgres.cluster() as cluster:
        database = cluster.database("dagster")
        smtp = smtp_server()
        home = instance_home(root / "dagster_home", poll_interval_seconds=2,
                             max_runtime_seconds=900, start_timeout_seconds=300)
        config = yaml.safe_load((home / "dagster.yaml").read_text())
        # what a multi-district deployment changes in deploy/dagster.yaml (docs/statewide.md)
        config["concurrency"]["runs"]["max_concurrent_runs"] = AT_ONCE
        (home / "dagster.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
        (root / "snapshots").mkdir()
        env = {**os.environ, **database.env(), "DAGSTER_HOME": str(home),
               "LEAD_MULTI_DISTRICT": "1",
               "LEAD_SNAPSHOTS_ROOT": str(root / "snapshots"),
               "LEAD_OUTPUT_DIR": str(root / "output"),
               "LEAD_DATABASE": str(root / "warehouse" / "lead_pipeline.duckdb"),
               "LEAD_SMTP_HOST": smtp.host, "LEAD_SMTP_PORT": str(smtp.port),
               "LEAD_SMTP_TLS": "none", "LEAD_SMTP_FROM": "lead-pipeline@state.test",
               "LEAD_SMTP_TO": "it@state.test",
               "LEAD_SENSOR_INTERVAL_SECONDS": "2", "LEAD_ALERT_INTERVAL_SECONDS": "2",
               "LEAD_FRESHNESS_INTERVAL_SECONDS": "3600"}
        env.pop("LEAD_SCHEDULE_CRON", None)
        web = daemon = None
        try:
            web = start_webserver(env, root)
            started = web.graphql(START_SENSOR, {"selector": {
                **LOCATION, "sensorName": "new_snapshot_sensor"}})["startSensor"]
            assert started["sensorState"]["status"] == "RUNNING", started
            # every folder is in place before the daemon's first tick: one tick sees them all
            for name in (*GOOD, BROKEN, MISNAMED, OTHERS):
                (root / "snapshots" / name).mkdir()
            for number in GOOD:
                drop(root / "snapshots" / number / "2026-11-21", district_snapshot(number))
            broken = district_snapshot(BROKEN)
            broken.one("Roster")["startDate"] = "2026-13-01"
            drop(root / "snapshots" / BROKEN / "2026-11-21", broken)
            drop(root / "snapshots" / MISNAMED / "2026-11-21", district_snapshot("106"))
            drop(root / "snapshots" / OTHERS / "2026-11-21", district_snapshot(OTHERS, "101"))
            daemon = start_daemon(env, root)
            yield Statewide(root, env, smtp, web, daemon)
        finally:
            for service in (daemon, web.service if web else None):
                if service:
                    service.stop()
            smtp.stop()


def fingerprint(folder: Path) -> dict[str, str]:
    """Every file under `folder` (links followed) with its content's digest."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def most_at_once(runs: list[dict[str, Any]]) -> int:
    """The most runs that were in progress at the same moment."""
    edges = sorted([(r["startTime"], 1) for r in runs] + [(r["endTime"], -1) for r in runs])
    now = top = 0
    for _, step in edges:
        now += step
        top = max(top, now)
    return top


def test_districts_refresh_apart_and_a_broken_one_fails_alone(statewide: Statewide) -> None:
    s = statewide
    t0 = time.time()
    runs = s.finished("Weekly_refresh", count=4)
    print(f"4 district runs finished after {time.time() - t0:.0f} s")
    by_district = {r["tags"]["lead/district"]: r for r in runs}
    assert sorted(by_district) == [*GOOD, BROKEN]  # nothing launched for 10x or 105
    assert {d: by_district[d]["status"] for d in by_district} == {
        **dict.fromkeys(GOOD, "SUCCESS"), BROKEN: "FAILURE"}
    for run in runs:
        assert run["tags"]["dagster/partition"] == run["tags"]["lead/district"]
        assert run["tags"]["lead/trigger"] == "sensor"
    assert most_at_once(s.web.runs()) <= AT_ONCE

    # each good district published into its own tree, from its own DuckDB file
    for number in GOOD:
        assert os.readlink(s.output / number / "latest") == "2027/2026-11-21"
        book = s.output / number / "latest" / "district" / f"LEAD_District_{number}.xlsx"
        assert "Classes" in openpyxl.load_workbook(book, read_only=True).sheetnames
        assert (s.output / number / "latest" / "kias" / f"KIAS_{number}.csv").is_file()
        assert (s.warehouse / number / "lead_pipeline.duckdb").is_file()
    assert not (s.output / BROKEN / "latest").exists()
    # the refused ones: not a run, not a file, not a database
    for name in (MISNAMED, OTHERS):
        assert not (s.output / name).exists() and not (s.warehouse / name).exists()
    assert sorted(p.name for p in s.output.iterdir()) == list(GOOD)  # 104 stopped before

    # the broken district's alert names it; no other failure e-mail
    message = wait_for(lambda: s.smtp.mailbox.matching("failed for district"), 180,
                       "the failure e-mail", s.daemon)
    assert len(message) == 1
    assert " ".join(str(message[0]["Subject"]).split()) == (
        f"[lead_pipeline] Weekly_refresh failed for district {BROKEN} (snapshot 2026-11-21)")
    body = text(message[0])
    assert f"District:        {BROKEN}" in body
    assert "rosterID=800 (row 1)" in body and "2026-13-01" not in body

    # the refusals are said in the sensor's log, naming the folder and the reason
    ticks = s.web.graphql(TICKS, {"selector": {**LOCATION, "sensorName": "new_snapshot_sensor"}})
    said = [e["message"] for t in ticks["sensorOrError"]["sensorState"]["ticks"]
            for e in t["logEvents"]["events"]]
    assert any(f"{s.snapshots / MISNAMED}: not a district folder" in m for m in said), said
    assert any(f"names district 101, not {OTHERS}" in m for m in said), said
    assert len([m for m in said if "not a district folder" in m]) == 1  # said once

    # the UI shows each district's build as its partition
    statuses = s.web.graphql(PARTITIONS, {"key": {"path": ["publish", "latest"]}})
    parts = statuses["assetNodeOrError"]["assetPartitionStatuses"]
    assert sorted(parts["materializedPartitions"]) == list(GOOD)
    assert parts["failedPartitions"] == [BROKEN]
    # and each district's refresh as its own point of lead/trend (district x snapshot date)
    points = s.web.graphql(TREND_POINTS)["assetOrError"]["assetMaterializations"]
    assert sorted(p["partition"] for p in points) == [f"{n}|2026-11-21" for n in GOOD]
    assert all({e["label"] for e in p["metadataEntries"]} >= {"All rules: errors", "Q-K2"}
               for p in points)

    # one school of district 101 rebuilt: its file is replaced, no file of another changes
    others = {n: fingerprint(s.output / n) for n in GOOD[1:]}
    databases = {n: fingerprint(s.warehouse / n) for n in GOOD[1:]}
    school = s.output / "101" / "latest" / "schools" / "LEAD_005.xlsx"
    before = school.stat().st_mtime_ns
    launched = s.web.graphql(LAUNCH, {"params": {
        "selector": {**LOCATION, "pipelineName": ONE_SCHOOL},
        "runConfigData": {"ops": {"lead__school_workbook": {"config": {"folder": ""}}}},
        "executionMetadata": {"tags": [{"key": "dagster/partition", "value": "101-005"}]},
    }})["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    t0 = time.time()
    [one] = s.finished(ONE_SCHOOL, count=1)
    print(f"one school finished after {time.time() - t0:.0f} s")
    assert one["status"] == "SUCCESS" and one["tags"]["lead/district"] == "101"
    assert one["tags"]["lead/school"] == "005"
    assert school.stat().st_mtime_ns != before
    assert {n: fingerprint(s.output / n) for n in GOOD[1:]} == others
    assert {n: fingerprint(s.warehouse / n) for n in GOOD[1:]} == databases
