"""Benchmark many districts on one deployment (docs/statewide.md; not part of the unit tests).

    python benchmarks/statewide.py                 # 20 districts, 1,000-60,000 students
    python benchmarks/statewide.py --scale 0.05    # the same shape, a twentieth of the size

Generates 20 districts of mixed size (about 300,000 students in all; cached under
data/generated/statewide/), drops each as `<root>/<district>/<snapshot>` and runs the
production services' way: a real PostgreSQL server holding the Dagster instance
(deploy/dagster.yaml, `max_concurrent_runs: 2`, one run per district), `dagster-daemon` with
LEAD_MULTI_DISTRICT=1, the new-snapshot sensor started with `dagster sensor start` as an
operator would. Every district's refresh is a run of its own (a separate process under the
default run launcher). Measured: the wall time from the sensor's start to the last run's end,
each run's time, and the machine's peak memory in use (MemTotal - MemAvailable, sampled every
0.2 s) beside what it was before. Then the extrapolation README "Many districts" shows: each
run's time fitted as fixed + per-student cost, summed over Kentucky's 171 districts (about
650,000 students, sizes from the state's distribution below), on this machine and on N pods.

Needs PostgreSQL's server binaries (Debian's postgresql) and root or the `postgres` user, as
the production tests do.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SIZES = [1000, 1500, 2000, 2500, 3000, 4000, 5000, 6000, 7500, 9000,
         10000, 12000, 14000, 16000, 18000, 20000, 25000, 30000, 50000, 60000]
"""20 districts, 1,000 to 60,000 students, 296,500 in all."""
AT_ONCE = 2
KENTUCKY_DISTRICTS = 171
KENTUCKY_STUDENTS = 650_000
KENTUCKY_LARGEST = 96_000
"""Jefferson County, the largest district, about 96,000 students (its own run bounds any
spread)."""


def kentucky_sizes() -> list[int]:
    """171 district sizes with Kentucky's shape: one of about 96,000, one of about 40,000, the
    rest a long tail of small districts; 650,000 students in all. (A stand-in for the state's
    published enrolment list, which this benchmark cannot fetch.)"""
    rest = KENTUCKY_STUDENTS - KENTUCKY_LARGEST - 40_000
    n = KENTUCKY_DISTRICTS - 2
    weights = [1.0 / (i + 3) ** 0.9 for i in range(n)]
    total = sum(weights)
    sizes = [max(300, round(rest * w / total)) for w in weights]
    return [KENTUCKY_LARGEST, 40_000, *sizes]


def memory_in_use() -> int:
    """Bytes of memory the machine has in use (MemTotal - MemAvailable)."""
    info = {}
    with open("/proc/meminfo") as fh:
        for line in fh:
            key, value = line.split(":", 1)
            info[key] = int(value.split()[0]) * 1024
    return info["MemTotal"] - info["MemAvailable"]


class Sampler(threading.Thread):
    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = memory_in_use()
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.peak = max(self.peak, memory_in_use())
            time.sleep(0.2)


def generate(sizes: list[int], cache: Path) -> list[tuple[str, int, Path]]:
    """Each district's snapshot, generated once (same arguments, same files)."""
    out = []
    for i, students in enumerate(sizes):
        district = f"{201 + i:03d}"
        folder = cache / f"{district}-{students}"
        if not (folder / "manifest.json").is_file():
            subprocess.run([sys.executable, "-m", "lead_pipeline.cli", "generate", "--out",
                            str(folder), "--students", str(students), "--seed", district,
                            "--district", district], check=True, cwd=ROOT,
                           stdout=subprocess.DEVNULL)
        out.append((district, students, folder))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=1.0,
                    help="multiply every district's size (quick trials)")
    ap.add_argument("--timeout", type=float, default=3600)
    args = ap.parse_args()

    from lead_pipeline_tests.production import postgres
    from lead_pipeline_tests.production.services import instance_home, start_daemon

    sizes = [max(200, round(s * args.scale)) for s in SIZES]
    cache = ROOT / "data" / "generated" / "statewide"
    t0 = time.perf_counter()
    districts = generate(sizes, cache)
    print(f"{len(districts)} districts, {sum(sizes):,} students "
          f"(generated or cached in {time.perf_counter() - t0:.0f} s)")

    with tempfile.TemporaryDirectory(prefix="lead-statewide-") as tmp, \
            postgres.cluster() as cluster:
        work = Path(tmp)
        database = cluster.database("dagster")
        home = instance_home(work / "dagster_home", poll_interval_seconds=5)
        import yaml
        config = yaml.safe_load((home / "dagster.yaml").read_text())
        config["concurrency"]["runs"]["max_concurrent_runs"] = AT_ONCE
        (home / "dagster.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
        root = work / "snapshots"
        for district, _, folder in districts:
            (root / district).mkdir(parents=True)
            (root / district / "snapshot").symlink_to(folder)
        env = {**os.environ, **database.env(), "DAGSTER_HOME": str(home),
               "LEAD_MULTI_DISTRICT": "1", "LEAD_SNAPSHOTS_ROOT": str(root),
               "LEAD_OUTPUT_DIR": str(work / "output"),
               "LEAD_DATABASE": str(work / "warehouse" / "lead_pipeline.duckdb"),
               "LEAD_SENSOR_INTERVAL_SECONDS": "5",
               "LEAD_FRESHNESS_INTERVAL_SECONDS": "86400"}
        for key in ("LEAD_SMTP_HOST", "LEAD_SMTP_TO", "LEAD_SCHEDULE_CRON"):
            env.pop(key, None)
        subprocess.run([str(Path(sys.executable).parent / "dagster"), "sensor", "start",
                        "new_snapshot_sensor", "-w", str(ROOT / "deploy" / "workspace.yaml")],
                       env=env, check=True, cwd=ROOT / "deploy", capture_output=True)
        before = memory_in_use()
        sampler = Sampler()
        sampler.start()
        started = time.time()
        daemon = start_daemon(env, work)
        import dagster as dg
        os.environ["DAGSTER_HOME"] = str(home)
        for key in ("DAGSTER_PG_HOST", "DAGSTER_PG_PORT", "DAGSTER_PG_DB", "DAGSTER_PG_USER",
                    "DAGSTER_PG_PASSWORD"):
            os.environ[key] = env[key]
        try:
            with dg.DagsterInstance.get() as instance:
                while True:
                    records = instance.get_run_records(dg.RunsFilter(job_name="Weekly_refresh"))
                    done = [r for r in records if r.dagster_run.is_finished]
                    if len(records) >= len(districts) and len(done) == len(records):
                        break
                    if time.time() - started > args.timeout:
                        raise SystemExit(f"timed out: {len(done)} of {len(districts)} done")
                    time.sleep(2)
                ended = max(r.end_time or 0 for r in records)
        finally:
            daemon.stop()
            sampler.stop.set()
            sampler.join()
    size_of = {d: s for d, s, _ in districts}
    runs = sorted(((r.dagster_run.tags["lead/district"], r.dagster_run.status.value,
                    (r.end_time or 0) - (r.start_time or 0)) for r in records),
                  key=lambda x: size_of[x[0]])
    failed = [r for r in runs if r[1] != "SUCCESS"]
    wall = ended - started
    # each run = fixed + per-student cost (least squares over the runs)
    xs = [size_of[d] for d, _, _ in runs]
    ys = [t for _, _, t in runs]
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / \
        sum((x - mx) ** 2 for x in xs)
    fixed = my - slope * mx
    ky = kentucky_sizes()
    ky_total = sum(fixed + slope * s for s in ky)
    ky_longest = fixed + slope * max(ky)
    result = {
        "districts": n, "students": sum(xs), "at_once": AT_ONCE, "wall_s": round(wall, 1),
        "slowest": max(runs, key=lambda r: r[2]), "failed": failed,
        "peak_in_use_gib": round(sampler.peak / 2**30, 2),
        "in_use_before_gib": round(before / 2**30, 2),
        "fit_fixed_s": round(fixed, 1), "fit_per_100k_s": round(slope * 100_000, 1),
        "runs": runs,
    }
    print(json.dumps(result, indent=1))
    print()
    print("| measure | figure |")
    print("|---|---|")
    print(f"| districts, students | {n}, {sum(xs):,} |")
    print(f"| runs at once | {AT_ONCE} |")
    print(f"| total wall time | {wall:.0f} s |")
    d, _, t = result["slowest"]
    print(f"| slowest district | {d} ({size_of[d]:,} students): {t:.0f} s |")
    print(f"| machine memory in use: before, peak | {before / 2**30:.2f} GiB, "
          f"{sampler.peak / 2**30:.2f} GiB |")
    print(f"| one run, fitted | {fixed:.1f} s + {slope * 100_000:.1f} s per 100,000 students |")
    print()
    print(f"Kentucky, {len(ky)} districts, {sum(ky):,} students: {ky_total:.0f} s of runs in "
          f"all, the longest {ky_longest:.0f} s")
    print("| where | runs at once | weekend wall time (estimate) |")
    print("|---|---|---|")
    for label, at_once in (("this machine (2 cores)", AT_ONCE), ("4 pods", 4),
                           ("10 pods", 10), ("20 pods", 20)):
        estimate = max(ky_total / at_once, ky_longest)
        print(f"| {label} | {at_once} | {estimate / 60:.0f} min |")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
