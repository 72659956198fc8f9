"""Screenshots of the operator's Dagster UI for the README (not run in CI; needs chromium).

    .venv/bin/python scripts/screenshot_ui.py [OUT_DIR]        default docs/

Starts the real `dagster dev` (as `./lp ui` does, through lead_pipeline_tests/webserver.py) on
a free loopback port with a throwaway DAGSTER_HOME, database and output folder; runs the weekly
refresh of the bundled sample (data/sample, read only) from the UI's GraphQL as an operator's
launch would, then one school's rebuild; then takes headless Chromium screenshots:

- ui-lineage.png     the asset lineage, the flow's groups open, the 32 snapshot tables collapsed
- ui-school.png      a school's partition of lead/school_workbook with its build's metadata
- ui-check.png       a failing quality check's detail (its fix and first findings)
- ui-launch.png      the one-school launch form (job One_school_refresh's launchpad)

Look at each before committing: a spinner means the budget was too short (raise --budget).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lead_pipeline.defs.operations.jobs import ONE_SCHOOL  # noqa: E402
from lead_pipeline_tests.webserver import Dagit, dagster_dev  # noqa: E402

GROUPS = ["snapshot", "lead_staging", "lead_reports", "lead_qa", "lead_workbooks", "publish",
          "school_workbooks", "kias_extract", "kias_outputs"]
"""The lineage's groups shown open (the UI's group ids are `global@global:<group>`)."""
LAUNCH = """
mutation ($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename ... on LaunchRunSuccess { run { runId } } ... on PythonError { message }
  }
}
"""
LOGS = """
query ($id: ID!) { logsForRun(runId: $id) { ... on EventConnection { events {
  __typename ... on MessageEvent { message level }
  ... on ExecutionStepFailureEvent { error { message } } } } } }
"""
STATUS = "query ($id: ID!) { runOrError(runId: $id) { ... on Run { status } } }"
REPO = """
{ repositoriesOrError { ... on RepositoryConnection { nodes { name location { name } } } } }
"""
FAILING = """
{ assetNodes { assetKey { path } assetChecksOrError { ... on AssetChecks { checks {
    name executionForLatestMaterialization { evaluation { success severity } } } } } } }
"""


def launch(ui: Dagit, selector: dict, job: str, config: dict, tags: dict[str, str]) -> str:
    done = ui.graphql(LAUNCH, {"params": {
        "selector": {**selector, "pipelineName": job}, "runConfigData": config,
        "executionMetadata": {"tags": [{"key": k, "value": v} for k, v in tags.items()]}}})
    result = done["launchRun"]
    if result["__typename"] != "LaunchRunSuccess":
        raise SystemExit(f"launch of {job} failed: {result}")
    run_id = result["run"]["runId"]
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        status = ui.graphql(STATUS, {"id": run_id})["runOrError"]["status"]
        if status in ("SUCCESS", "FAILURE", "CANCELED"):
            if status != "SUCCESS":
                events = ui.graphql(LOGS, {"id": run_id})["logsForRun"]["events"]
                errors = [e.get("message", "") + str(e.get("error") or "") for e in events
                          if e.get("level") == "ERROR"]
                raise SystemExit(f"{job} run {run_id} ended {status}: " + "\n".join(errors))
            return run_id
        time.sleep(1)
    raise SystemExit(f"{job} run {run_id} did not finish in time")


def shoot(browser: str, url: str, out: Path, budget: int, size: str) -> None:
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [browser, "--headless", "--no-sandbox", "--disable-gpu",
             "--disable-background-networking", "--disable-component-update", "--no-first-run",
             "--disable-sync", f"--user-data-dir={profile}", "--hide-scrollbars",
             f"--virtual-time-budget={budget}", f"--screenshot={out}", f"--window-size={size}",
             url], check=True, capture_output=True, timeout=300)
    print(f"wrote {out} ({out.stat().st_size // 1024} KB) from {url}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", nargs="?", default=str(ROOT / "docs"))
    parser.add_argument("--budget", type=int, default=30000,
                        help="virtual time per page, ms (default 30000)")
    args = parser.parse_args()
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        raise SystemExit("screenshot_ui: install chromium first (apt-get install -y chromium)")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lead-screens-") as tmp:
        work = Path(tmp)
        env = {"LEAD_DATABASE": str(work / "w.duckdb"), "LEAD_OUTPUT_DIR": str(work / "out"),
               "LEAD_SNAPSHOTS_ROOT": str(work / "snapshots")}
        (work / "snapshots").mkdir()
        os.environ.update(env)
        with dagster_dev(work / "home", env=env) as ui:
            (repo,) = ui.graphql(REPO)["repositoriesOrError"]["nodes"]
            selector = {"repositoryName": repo["name"],
                        "repositoryLocationName": repo["location"]["name"]}
            sample = str(ROOT / "data" / "sample")
            launch(ui, selector, "weekly_refresh",
                   {"ops": {"snapshot__candidate": {"config": {"folder": sample}}}}, {})
            school = "010"
            launch(ui, selector, ONE_SCHOOL,
                   {"ops": {"lead__school_workbook": {"config": {"folder": sample}}}},
                   {"dagster/partition": school})
            failing = [
                ("/".join(n["assetKey"]["path"]), c["name"])
                for n in ui.graphql(FAILING)["assetNodes"]
                for c in (n["assetChecksOrError"].get("checks") or [])
                if n["assetKey"]["path"][0] == "lead" and c["executionForLatestMaterialization"]
                and c["executionForLatestMaterialization"]["evaluation"]["success"] is False
                and c["executionForLatestMaterialization"]["evaluation"]["severity"] == "ERROR"]
            # Q-K2 shows the students' Person IDs; otherwise the first failing error check
            asset, check = next((f for f in failing if f[1].startswith("q_k2_")), failing[0])
            expanded = ",".join(f"global@global:{g}" for g in GROUPS)
            location = repo["location"]["name"]
            pages = {
                "ui-lineage.png": (f"/asset-groups?expanded={expanded}", "2000,1700"),
                "ui-school.png": (f"/assets/lead/school_workbook?view=partitions"
                                  f"&partition={school}", "1600,1000"),
                "ui-check.png": (f"/assets/{asset}?view=checks&checkDetail={check}",
                                 "1600,1000"),
                "ui-launch.png": (f"/locations/{repo['name']}@{location}/jobs/"
                                  f"{ONE_SCHOOL}/playground", "1600,1000"),
            }
            for name, (path, size) in pages.items():
                shoot(browser, ui.url + path, out / name, args.budget, size)


if __name__ == "__main__":
    main()
