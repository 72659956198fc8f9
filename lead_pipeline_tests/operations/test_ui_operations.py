"""The operator's UI (real `dagster dev` on 127.0.0.1, GraphQL): the asset groups of the flow,
the checks with their fix text, the weekly schedule and the new-snapshot sensor; and a data
manager's one-school materialisation launched from it, queued and run by the daemon, that
rebuilds only that school's workbook."""

from __future__ import annotations

import time
from pathlib import Path

from lead_pipeline.refresh import run_refresh
from lead_pipeline_tests.operations.common import (
    FILE,
    OTHER,
    changes,
    custom_properties,
    digests,
    two_schools,
)
from lead_pipeline_tests.webserver import dagster_dev

GRAPH = """
{
  assetNodes {
    assetKey { path } groupName kinds description
    isPartitioned
    assetChecksOrError { ... on AssetChecks { checks { name description } } }
  }
  repositoriesOrError { ... on RepositoryConnection { nodes { name location { name } } } }
}
"""

AUTOMATION = """
query ($selector: RepositorySelector!) {
  schedulesOrError(repositorySelector: $selector) {
    ... on Schedules { results { name cronSchedule executionTimezone pipelineName
                                 scheduleState { status } } }
  }
  sensorsOrError(repositorySelector: $selector) {
    ... on Sensors { results { name targets { pipelineName } sensorState { status } } }
  }
}
"""

ADD_PARTITION = """
mutation ($selector: RepositorySelector!, $key: String!) {
  addDynamicPartition(repositorySelector: $selector, partitionsDefName: "school",
                      partitionKey: $key) {
    __typename
    ... on PythonError { message }
  }
}
"""

LAUNCH = """
mutation ($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId status } }
    ... on PythonError { message }
    ... on RunConfigValidationInvalid { errors { message } }
    ... on InvalidSubsetError { message }
  }
}
"""

RUN = """
query ($id: ID!) { runOrError(runId: $id) { ... on Run { status tags { key value } } } }
"""

FLOW = ["snapshot", "lead_staging", "lead_reports", "lead_qa", "lead_workbooks", "publish",
        "lead_one_school"]



def test_ui_shows_the_operations_and_runs_one_school(tmp_path: Path):
    db, out = tmp_path / "w.duckdb", tmp_path / "out"
    weekly = run_refresh(two_schools().write(tmp_path / "w1"), database=db, output=out)
    assert weekly.success, weekly.problems
    before = digests(out / "latest")
    fixed = two_schools(fixed=True).write(tmp_path / "fixed")
    env = {"LEAD_DATABASE": str(db), "LEAD_OUTPUT_DIR": str(out),
           "LEAD_SNAPSHOTS_ROOT": str(tmp_path / "arrivals")}
    with dagster_dev(tmp_path / "home", env=env) as ui:
        data = ui.graphql(GRAPH)
        (repo,) = data["repositoriesOrError"]["nodes"]
        selector = {"repositoryName": repo["name"],
                    "repositoryLocationName": repo["location"]["name"]}
        auto = ui.graphql(AUTOMATION, {"selector": selector})

        added = ui.graphql(ADD_PARTITION, {"selector": selector, "key": OTHER})
        assert added["addDynamicPartition"]["__typename"] == "AddDynamicPartitionSuccess", added
        launched = ui.graphql(LAUNCH, {"params": {
            "selector": {**selector, "pipelineName": "__ASSET_JOB",
                         "assetSelection": [{"path": ["lead", "school_refresh"]}]},
            "runConfigData": {"ops": {"lead__school_refresh": {
                "config": {"folder": str(fixed)}}}},
            "executionMetadata": {"tags": [{"key": "dagster/partition", "value": OTHER}]},
        }})["launchRun"]
        assert launched["__typename"] == "LaunchRunSuccess", launched
        run_id = launched["run"]["runId"]
        deadline, status = time.monotonic() + 120, ""
        while time.monotonic() < deadline:
            status = ui.graphql(RUN, {"id": run_id})["runOrError"]["status"]
            if status in ("SUCCESS", "FAILURE", "CANCELED"):
                break
            time.sleep(1)
        log = (tmp_path / "home" / "dagster-dev.log").read_text(errors="replace")
        assert status == "SUCCESS", log[-3000:]

    nodes = {"/".join(n["assetKey"]["path"]): n for n in data["assetNodes"]}
    groups = {n["groupName"] for n in nodes.values()}
    assert set(FLOW) <= groups
    one = nodes["lead/school_refresh"]
    assert one["groupName"] == "lead_one_school" and one["isPartitioned"]
    assert set(one["kinds"]) == {"duckdb", "polars", "excel"}
    assert all(n["description"] for n in nodes.values())
    assert set(nodes["lead/classes"]["kinds"]) == {"duckdb", "polars"}
    rule_checks = nodes["lead/classes"]["assetChecksOrError"]["checks"]
    assert rule_checks and all("Fix:" in c["description"] for c in rule_checks)

    (schedule,) = auto["schedulesOrError"]["results"]
    assert schedule["name"] == "weekly_refresh_schedule"
    assert schedule["cronSchedule"] == "0 3 * * 0"
    assert schedule["executionTimezone"] == "America/New_York"
    assert schedule["pipelineName"] == "weekly_refresh"
    assert schedule["scheduleState"]["status"] == "RUNNING"
    sensors = {s["name"]: s for s in auto["sensorsOrError"]["results"]}
    assert set(sensors) == {"new_snapshot_sensor", "refresh_failure_email",
                            "snapshot_overdue_email", "snapshot_freshness_sensor"}
    # alerts are off without LEAD_SMTP_* (conftest's environment has none)
    assert sensors["refresh_failure_email"]["sensorState"]["status"] == "STOPPED"
    assert sensors["snapshot_overdue_email"]["sensorState"]["status"] == "STOPPED"
    sensor = sensors["new_snapshot_sensor"]
    assert sensor["targets"][0]["pipelineName"] == "weekly_refresh"
    assert sensor["sensorState"]["status"] == "STOPPED"

    after = digests(out / "latest")
    assert [f for f in after if after[f] != before[f]] == [FILE]
    assert custom_properties(out / "latest" / FILE)["snapshot_date"] == "2026-11-28"
    assert ("Resolved", "Q-C2", OTHER, 610) in changes(out / "latest" / FILE)
