"""The operator's UI (real `dagster dev` on 127.0.0.1, GraphQL): every school a partition the
weekly run fills; a data manager's one-school run launched from it, queued and run by the
daemon, that rebuilds only that school's workbook; the asset groups of the flow, the checks
with their fix text, the weekly schedule and the new-snapshot sensor."""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

from lead_pipeline.defs.operations.jobs import ONE_SCHOOL
from lead_pipeline.lib.paths import project_root
from lead_pipeline.refresh import run_refresh
from lead_pipeline_tests.operations.common import (
    FILE,
    OTHER,
    changes,
    custom_properties,
    digests,
    sheet,
    two_schools,
)
from lead_pipeline_tests.webserver import dagster_dev

GRAPH = """
{
  assetNodes {
    assetKey { path } groupName kinds description
    isPartitioned jobNames
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

LOGS = """
query ($id: ID!) {
  logsForRun(runId: $id) { ... on EventConnection { events {
    __typename ... on MessageEvent { message level } } } }
}
"""

SCHOOL_PARTITIONS = """
query ($partitions: [String!]) {
  assetNodeOrError(assetKey: {path: ["lead", "school_workbook"]}) {
    ... on AssetNode {
      partitionStats { numMaterialized numPartitions }
      assetPartitionStatuses { ... on DefaultPartitionStatuses { materializedPartitions } }
    }
  }
  assetOrError(assetKey: {path: ["lead", "school_workbook"]}) {
    ... on Asset {
      assetMaterializations(partitions: $partitions) {
        partition runId timestamp
        metadataEntries { label ... on TextMetadataEntry { text }
                          ... on IntMetadataEntry { intValue }
                          ... on PathMetadataEntry { path } }
      }
    }
  }
}
"""

def newest_builds(ui, partitions: list[str]) -> dict[str, dict[str, object]]:
    """Per school partition: the metadata of its newest materialisation (what the UI shows)."""
    data = ui.graphql(SCHOOL_PARTITIONS, {"partitions": partitions})
    newest: dict[str, dict[str, object]] = {}
    for event in sorted(data["assetOrError"]["assetMaterializations"],
                        key=lambda e: float(e["timestamp"])):
        newest[event["partition"]] = {
            "run": event["runId"],
            **{e["label"]: e.get("text", e.get("intValue", e.get("path")))
               for e in event["metadataEntries"]}}
    node = data["assetNodeOrError"]
    newest["_materialized"] = sorted(
        node["assetPartitionStatuses"]["materializedPartitions"])  # type: ignore[assignment]
    return newest


def wait_for(ui, run_id: str, home: Path) -> dict:
    deadline, run = time.monotonic() + 180, {}
    while time.monotonic() < deadline:
        run = ui.graphql(RUN, {"id": run_id})["runOrError"]
        if run["status"] in ("SUCCESS", "FAILURE", "CANCELED"):
            return run
        time.sleep(1)
    raise AssertionError((home / "dagster-dev.log").read_text(errors="replace")[-3000:])


def launch_school(ui, selector: dict, school: str, folder: Path) -> str:
    launched = ui.graphql(LAUNCH, {"params": {
        "selector": {**selector, "pipelineName": ONE_SCHOOL},
        "runConfigData": {"ops": {"lead__school_workbook": {"config": {"folder": str(folder)}}}},
        "executionMetadata": {"tags": [{"key": "dagster/partition", "value": school}]},
    }})["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    return launched["run"]["runId"]


def errors_at(path: Path, school: str) -> tuple[int, int]:
    """Errors and reviews of one school, read back from its workbook's Issues sheet."""
    issues = sheet(path, "Issues")
    return (issues.filter(issues["Level"] == "Error").height,
            issues.filter(issues["Level"] == "Review").height)


def test_every_school_is_a_partition_the_weekly_run_fills(tmp_path: Path, monkeypatch):
    """Done-when of issue 13 on the real webserver and daemon: one weekly run materialises every
    included school's partition (snapshot date, counts, name, file in its metadata); a
    one-school run launched from the UI rebuilds one; a newer weekly run supersedes it; an
    unknown school is refused naming the known ones; runs carry their tags."""
    home, db, out = tmp_path / "home", tmp_path / "w.duckdb", tmp_path / "out"
    home.mkdir()
    shutil.copy(project_root() / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))  # the command line's runs show in the UI
    first = run_refresh(two_schools().write(tmp_path / "w1"), database=db, output=out)
    assert first.success, first.problems
    monkeypatch.delenv("DAGSTER_HOME")
    fixed = two_schools(fixed=True).write(tmp_path / "fixed")
    week3 = two_schools(fixed=True)
    week3.manifest["snapshotDate"] = "2026-12-05"
    env = {"LEAD_DATABASE": str(db), "LEAD_OUTPUT_DIR": str(out),
           "LEAD_SNAPSHOTS_ROOT": str(tmp_path / "arrivals")}
    with dagster_dev(home, env=env) as ui:
        data = ui.graphql(GRAPH)
        (repo,) = data["repositoriesOrError"]["nodes"]
        selector = {"repositoryName": repo["name"],
                    "repositoryLocationName": repo["location"]["name"]}
        auto = ui.graphql(AUTOMATION, {"selector": selector})
        weekly = newest_builds(ui, ["005", OTHER])
        # one weekly run filled both schools, with what it built them from
        assert weekly["_materialized"] == ["005", OTHER]
        assert weekly["005"]["run"] == weekly[OTHER]["run"]
        other = weekly[OTHER]
        assert (other["snapshot_date"], other["built_by"], other["school_name"]) == (
            "2026-11-21", "weekly refresh", "Second Elementary")
        assert (other["errors"], other["reviews"]) == errors_at(out / "latest" / FILE, OTHER)
        assert other["errors"] >= 1  # Q-C2: section 610 has no primary teacher
        assert (other["new"], other["resolved"]) == (0, 0)  # the first refresh
        assert other["file"] == str(first.published / FILE)
        assert weekly["005"]["snapshot_date"] == "2026-11-21"

        # one school from the UI: the fixed folder, only that partition rebuilt
        published = digests(out / "latest")
        run_id = launch_school(ui, selector, OTHER, fixed)
        run = wait_for(ui, run_id, home)
        assert run["status"] == "SUCCESS"
        tags = {t["key"]: t["value"] for t in run["tags"]}
        assert {k: tags.get(k) for k in ("lead/trigger", "lead/run", "lead/school",
                                          "lead/snapshot_date")} == {
            "lead/trigger": "ui", "lead/run": "one_school", "lead/school": OTHER,
            "lead/snapshot_date": "2026-11-28"}
        one = newest_builds(ui, ["005", OTHER])
        assert (one[OTHER]["built_by"], one[OTHER]["snapshot_date"], one[OTHER]["run"]) == (
            "one-school refresh", "2026-11-28", run_id)
        assert (one[OTHER]["resolved"], one[OTHER]["errors"]) == (1, 0)  # Q-C2 fixed
        assert one["005"]["run"] == weekly["005"]["run"]  # the other school as it was
        after = digests(out / "latest")
        assert [f for f in after if after[f] != published[f]] == [FILE]
        assert custom_properties(out / "latest" / FILE)["snapshot_date"] == "2026-11-28"
        assert ("Resolved", "Q-C2", OTHER, 610) in changes(out / "latest" / FILE)

        # a newer weekly run: its build is what the UI shows for every school again
        monkeypatch.setenv("DAGSTER_HOME", str(home))
        third = run_refresh(week3.write(tmp_path / "w3"), database=db, output=out)
        monkeypatch.delenv("DAGSTER_HOME")
        assert third.success, third.problems
        again = newest_builds(ui, ["005", OTHER])
        assert again[OTHER]["built_by"] == "weekly refresh"
        assert again[OTHER]["snapshot_date"] == again["005"]["snapshot_date"] == "2026-12-05"
        assert again[OTHER]["run"] == again["005"]["run"] != weekly["005"]["run"]
        assert again["_materialized"] == ["005", OTHER]

        # an unknown school, even registered as a partition, is refused before any work
        added = ui.graphql(ADD_PARTITION, {"selector": selector, "key": "999"})
        assert added["addDynamicPartition"]["__typename"] == "AddDynamicPartitionSuccess"
        before = digests(out / "latest")
        bad_id = launch_school(ui, selector, "999", fixed)
        assert wait_for(ui, bad_id, home)["status"] == "FAILURE"
        events = ui.graphql(LOGS, {"id": bad_id})["logsForRun"]["events"]
        errors = [e["message"] for e in events if e.get("level") == "ERROR"]
        assert ("school 999 has no workbook in the published refresh (2027/2026-12-05); the "
                "schools there are 005, 010") in errors
        assert digests(out / "latest") == before

    shows_the_operations(data, auto)


def shows_the_operations(data: dict, auto: dict) -> None:
    """One asset group (so the lineage opens on the flow itself), every asset described, the
    checks with their fix text, the weekly schedule (on) and the new-snapshot sensor (off)."""
    nodes = {"/".join(n["assetKey"]["path"]): n for n in data["assetNodes"]}
    assert {n["groupName"] for n in nodes.values()} == {"lead_pipeline"}
    one = nodes["lead/school_workbook"]
    assert one["isPartitioned"]
    # the UI's Materialize buttons launch the first job (by name) holding every selected asset:
    # for the lineage's "Materialize all" (the flow's executable assets) the weekly job; the
    # school workbooks and the trend are reported, not materialised steps, so not in the way
    assert all(n["jobNames"][0] == "Weekly_refresh" for n in nodes.values() if n["jobNames"])
    assert {k for k, n in nodes.items() if not n["jobNames"]} == {
        "lead/school_workbook", "lead/trend"}
    assert nodes["lead/trend"]["isPartitioned"]
    assert set(one["kinds"]) == {"excel"}
    assert all(n["description"] for n in nodes.values())
    # descriptions survive the UI's Markdown: no `<word` outside code spans
    for n in nodes.values():
        prose = re.sub(r"`[^`]*`", "", n["description"])
        assert not re.search(r"<[A-Za-z]", prose), n["description"]
    assert set(nodes["lead/classes"]["kinds"]) == {"duckdb", "polars"}
    rule_checks = nodes["lead/classes"]["assetChecksOrError"]["checks"]
    assert rule_checks and all("Fix:" in c["description"] for c in rule_checks)

    (schedule,) = auto["schedulesOrError"]["results"]
    assert schedule["name"] == "weekly_refresh_schedule"
    assert schedule["cronSchedule"] == "0 3 * * 0"
    assert schedule["executionTimezone"] == "America/New_York"
    assert schedule["pipelineName"] == "Weekly_refresh"
    assert schedule["scheduleState"]["status"] == "RUNNING"
    sensors = {s["name"]: s for s in auto["sensorsOrError"]["results"]}
    assert set(sensors) == {"new_snapshot_sensor", "refresh_failure_email",
                            "snapshot_overdue_email", "snapshot_freshness_sensor"}
    # alerts are off without LEAD_SMTP_* (conftest's environment has none)
    assert sensors["refresh_failure_email"]["sensorState"]["status"] == "STOPPED"
    assert sensors["snapshot_overdue_email"]["sensorState"]["status"] == "STOPPED"
    sensor = sensors["new_snapshot_sensor"]
    assert sensor["targets"][0]["pipelineName"] == "Weekly_refresh"
    assert sensor["sensorState"]["status"] == "STOPPED"
