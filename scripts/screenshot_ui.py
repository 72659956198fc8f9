"""Screenshots of the operator's Dagster UI for the README (not run in CI; needs chromium).

    .venv/bin/python scripts/screenshot_ui.py [OUT_DIR]        default docs/

Starts the real `dagster dev` (as `./lp ui` does, through lead_pipeline_tests/webserver.py) on
a free loopback port with a throwaway DAGSTER_HOME, database and output folder; runs three
weekly refreshes from the UI's GraphQL as an operator's launch would — copies of the bundled
sample (data/sample, read only) dated 2026-11-21, 2026-11-28 (three staff EPSB ids blanked:
Q-S1 findings rise) and 2026-12-05 (fixed again) — then one school's rebuild; then takes
headless Chromium screenshots, each in a new browser profile (what a first visit shows):

- ui-lineage.png     the asset lineage as an operator first opens it (Lineage, no parameters)
- ui-school.png      a school's partition of lead/school_workbook with its build's metadata
- ui-check.png       a failing quality check's detail (its fix and first findings)
- ui-launch.png      the one-school launch form (job One_school_refresh's launchpad)
- ui-trend.png       lead/trend's plots: errors and reviews, one point per refresh
- ui-runs.png        the runs list with the runs' tags (snapshot date, trigger, school)

Look at each before committing: a spinner means the page needed longer (raise --wait).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from websockets.sync.client import connect  # noqa: E402

from lead_pipeline.defs.operations.jobs import ONE_SCHOOL  # noqa: E402
from lead_pipeline_tests.webserver import Dagit, dagster_dev, free_port  # noqa: E402

WEEKS = ["2026-11-21", "2026-11-28", "2026-12-05"]
BLANKED = 3
"""Staff whose EPSB id (Employment.licenseNumber) the second week's copy leaves blank."""
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


class Browser:
    """Headless Chromium driven over its DevTools protocol on loopback: open a page in a new
    profile (a first visit), optionally click a button by its text (the Plots toggle is React
    state, not a URL), wait, and save a PNG."""

    def __init__(self, binary: str):
        self.binary = binary

    def shoot(self, url: str, out: Path, size: str, wait: float, click: str | None = None
              ) -> None:
        port = free_port()
        with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as profile:
            proc = subprocess.Popen(
                [self.binary, "--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync", "--hide-scrollbars",
                 f"--user-data-dir={profile}", f"--window-size={size}",
                 "--remote-debugging-address=127.0.0.1", f"--remote-debugging-port={port}",
                 "about:blank"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                start_new_session=True)  # its helper processes go with it
            try:
                with connect(self._page(port), max_size=None) as ws:
                    calls = iter(range(1, 1000))

                    def call(method: str, **params: object) -> dict:
                        ident = next(calls)
                        ws.send(json.dumps({"id": ident, "method": method, "params": params}))
                        while True:  # events arrive in between; keep the answer to `ident`
                            message = json.loads(ws.recv(timeout=120))
                            if message.get("id") == ident:
                                return message.get("result", {})

                    def capture() -> None:
                        shot = call("Page.captureScreenshot", format="png")
                        out.write_bytes(base64.b64decode(shot["data"]))

                    width, height = (int(n) for n in size.split(","))
                    call("Emulation.setDeviceMetricsOverride", width=width, height=height,
                         deviceScaleFactor=1, mobile=False)
                    call("Page.navigate", url=url)
                    time.sleep(wait)
                    if click:
                        found = call("Runtime.evaluate", returnByValue=True, expression=(
                            "(() => { const b = [...document.querySelectorAll('button')]"
                            f".find(e => e.textContent.trim().endsWith({json.dumps(click)}));"
                            " if (b) { b.click(); return true; } return false; })()"))
                        if not found.get("result", {}).get("value"):
                            capture()  # what the page showed instead, to see why
                            raise SystemExit(f"no button {click!r} on {url} (see {out})")
                        time.sleep(wait / 2)
                    capture()
            finally:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=30)
        print(f"wrote {out} ({out.stat().st_size // 1024} KB) from {url}")

    @staticmethod
    def _page(port: int) -> str:
        """The DevTools address of the browser's first page, once it listens."""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list") as answer:
                    pages = [p for p in json.load(answer) if p.get("type") == "page"]
                if pages:
                    return str(pages[0]["webSocketDebuggerUrl"])
            except OSError:
                pass
            time.sleep(0.3)
        raise SystemExit("chromium did not open its DevTools port")


def weeks(root: Path) -> list[Path]:
    """The three weekly snapshots: copies of the sample, the second with BLANKED EPSB ids."""
    folders = []
    for i, day in enumerate(WEEKS):
        folder = root / day
        shutil.copytree(ROOT / "data" / "sample", folder)
        manifest = json.loads((folder / "manifest.json").read_text())
        (folder / "manifest.json").write_text(json.dumps({**manifest, "snapshotDate": day}))
        if i == 1:
            lines = (folder / "Employment.csv").read_text().splitlines(keepends=True)
            for n in range(1, BLANKED + 1):
                head, _, _ = lines[n].rstrip("\n").rpartition(",")
                lines[n] = head + ",\n"
            (folder / "Employment.csv").write_text("".join(lines))
        folders.append(folder)
    return folders


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", nargs="?", default=str(ROOT / "docs"))
    parser.add_argument("--wait", type=float, default=12.0,
                        help="seconds each page gets to load (default 12)")
    args = parser.parse_args()
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary is None:
        raise SystemExit("screenshot_ui: install chromium first (apt-get install -y chromium)")
    browser = Browser(binary)
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
            folders = weeks(work / "exports")
            for folder in folders:
                launch(ui, selector, "Weekly_refresh",
                       {"ops": {"snapshot__candidate": {"config": {"folder": str(folder)}}}}, {})
            school = "010"
            launch(ui, selector, ONE_SCHOOL,
                   {"ops": {"lead__school_workbook": {"config": {"folder": str(folders[-1])}}}},
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
            location = repo["location"]["name"]
            pages = {
                "ui-lineage.png": ("/asset-groups", "2000,1300", None),
                "ui-school.png": (f"/assets/lead/school_workbook?view=partitions"
                                  f"&partition={school}", "1600,1000", None),
                "ui-check.png": (f"/assets/{asset}?view=checks&checkDetail={check}",
                                 "1600,1000", None),
                "ui-launch.png": (f"/locations/{repo['name']}@{location}/jobs/"
                                  f"{ONE_SCHOOL}/playground", "1600,1000", None),
                "ui-trend.png": ("/assets/lead/trend", "1600,1200", "Plots"),
                "ui-runs.png": ("/runs", "1600,900", None),
            }
            for name, (path, size, click) in pages.items():
                browser.shoot(ui.url + path, out / name, size, args.wait, click)


if __name__ == "__main__":
    main()
