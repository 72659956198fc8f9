"""Benchmark the refresh at district and state scale (not part of the unit tests).

    python benchmarks/run.py --sizes 200,5000,100000,700000 --heavy 100000

For each size: generate a district with the project's generator (cached under
data/generated/bench-<size>/), run the full refresh in a fresh process, and print per stage
the wall time and the peak resident memory during that stage, the compute-only time (the
refresh but its LEAD workbook step), the rate the workbooks were written at (cells a second,
both cores together) beside xlsxwriter's own single-core rate measured in the same run on the
same cells (the district workbook's values read back and written again by a plain
`write_row` loop in one process), then the floor: DuckDB reading every snapshot table once
plus xlsxwriter writing as many cells as the refresh published, and a one-school refresh
(`run_school_refresh`, also in a fresh process) of the district's largest school after the
full refresh. `--heavy SIZE` adds a discipline-heavy district of that size (one behavior
incident per five students, data/generated/bench-<size>-heavy/), so KIAS weighs in. Last come
the markdown tables the README "Speed" section shows: per stage, and every goal of issue 14
with its figure.

`--postgres 200,5000` refreshes those districts again with the Dagster instance in PostgreSQL,
as production keeps it (deploy/dagster.yaml), on a throwaway server on 127.0.0.1: the fixed
cost a deployment's refresh pays for storing its events, with the sessions it opened.

A district of 200 students shows the fixed cost of a refresh: what one takes with next to
nothing to read, compute or write. The column "between steps" is the part of a refresh outside
its steps (Dagster's run and DuckDB's last checkpoint, `Run.between_s`).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SCHOOLS = {200: 3, 5000: 8, 100000: 150, 700000: 1500}
STAGES = [  # (stage, step-key prefixes), in the order of the flow
    ("ingest", ("snapshot__",)),
    ("staging", ("lead__stg_",)),
    ("reports", ("lead__classes", "lead__staff", "lead__caseload", "lead__schoolwide",
                 "lead__detail")),
    ("checks", ("lead__findings", "lead_quality", "lead__qa")),
    ("LEAD workbooks", ("lead__workbooks",)),
    ("KIAS", ("kias",)),
    ("publish", ("publish__",)),
]


def machine() -> str:
    mem = 0
    with open("/proc/meminfo") as fh:
        for line in fh:
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1]) // (1024 * 1024)
    return f"{os.cpu_count()} cores, {mem} GiB"


HEAVY_INCIDENTS = 0.2
"""Behavior incidents per student of the discipline-heavy district."""


def generate(size: int, heavy: bool = False) -> Path:
    folder = ROOT / "data" / "generated" / (f"bench-{size}-heavy" if heavy else f"bench-{size}")
    if not (folder / "manifest.json").is_file():
        from lead_pipeline.lib.generator import generate as gen

        gen(folder, size, seed=size, schools=SCHOOLS.get(size, max(3, size // 667)),
            incidents=HEAVY_INCIDENTS if heavy else None)
    return folder


def stage_of(step: str) -> str:
    for stage, prefixes in STAGES:
        if step.startswith(prefixes):
            return stage
    return "other"


# Peak memory is the child's VmHWM, its own high-water mark since it started: getrusage's
# ru_maxrss is carried over from the process that spawned it, so a child spawned by this
# process after a 700,000 district had been read back reported this process's 1.41 GiB.
_HWM = ("hwm = next(int(l.split()[1]) for l in open('/proc/self/status') "
        "if l.startswith('VmHWM:'))\n")
"""The line of both child scripts that reads their peak memory (KiB) into `hwm`."""

_CHILD = r"""
import json, resource, sys, threading, time
from pathlib import Path
samples = []
def sample():
    while True:
        with open('/proc/self/statm') as fh:
            samples.append((time.time(), int(fh.read().split()[1]) * 4096))
        time.sleep(0.05)
threading.Thread(target=sample, daemon=True).start()
from lead_pipeline.refresh import run_refresh
args = json.loads(sys.argv[1])
t0 = time.time()
o = run_refresh(Path(args["snapshot"]), output=Path(args["output"]),
                database=Path(args["database"]))
wall = time.time() - t0
me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
""" + _HWM + r"""print(json.dumps({"success": o.success, "wall": wall, "steps": o.steps,
                  "spans": getattr(o, "step_spans", {}), "samples": samples,
                  "peak": hwm * 1024,
                  "cpu": me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime,
                  "published": str(o.published)}))
"""


_SCHOOL_CHILD = r"""
import json, sys, time
from pathlib import Path
from lead_pipeline.refresh import run_school_refresh
args = json.loads(sys.argv[1])
t0 = time.time()
o = run_school_refresh(args["school"], Path(args["snapshot"]), output=Path(args["output"]),
                       database=Path(args["database"]))
wall = time.time() - t0
""" + _HWM + r"""print(json.dumps({"success": o.success, "wall": wall, "problems": o.problems,
                  "peak": hwm * 1024}))
"""


def _child(script: str, args: dict, instance: dict[str, str] | None = None) -> dict:
    """Run `script` in a fresh process: in a throwaway in-memory Dagster instance, or in the
    one `instance` names (DAGSTER_HOME and its database's variables)."""
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"} | (instance or {})
    done = subprocess.run([sys.executable, "-c", script, json.dumps(args)], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def refresh(snapshot: Path, work: Path, instance: dict[str, str] | None = None) -> dict:
    return _child(_CHILD, {"snapshot": str(snapshot), "output": str(work / "out"),
                           "database": str(work / "w.duckdb")}, instance)


def school_refresh(snapshot: Path, work: Path, school: str) -> dict:
    """One school's refresh into the published output of the full refresh in `work`."""
    return _child(_SCHOOL_CHILD, {"snapshot": str(snapshot), "output": str(work / "out"),
                                  "database": str(work / "w.duckdb"), "school": school})


def largest_school(published: Path) -> str:
    """School Number of the largest school workbook published (schools/LEAD_<n>.xlsx)."""
    books = sorted((published / "schools").glob("LEAD_*.xlsx"), key=lambda p: -p.stat().st_size)
    return books[0].stem.removeprefix("LEAD_")


def per_stage(result: dict) -> dict[str, tuple[float, float]]:
    """(seconds, peak bytes) per stage; memory from the samples inside each step's span."""
    out: dict[str, list[float]] = {}
    spans = result.get("spans") or {}
    for step, seconds in result["steps"].items():
        stage = stage_of(step)
        peak = 0.0
        if step in spans:
            start, end = spans[step]
            peak = max((b for t, b in result["samples"] if start <= t <= end), default=0.0)
        acc = out.setdefault(stage, [0.0, 0.0])
        acc[0] += seconds
        acc[1] = max(acc[1], peak)
    return {k: (v[0], v[1]) for k, v in out.items()}


_DIM = re.compile(rb'<dimension ref="[A-Z]+\d+(?::([A-Z]+)(\d+))?"')


def published_cells(folder: Path) -> int:
    """Cells written, from each sheet's <dimension> (the used range)."""
    cells = 0
    for book in folder.rglob("*.xlsx"):
        with zipfile.ZipFile(book) as z:
            for name in z.namelist():
                if name.startswith("xl/worksheets/sheet"):
                    with z.open(name) as fh:
                        m = _DIM.search(fh.read(4096))
                    if m and m.group(1):
                        col = 0
                        for ch in m.group(1).decode():
                            col = col * 26 + ord(ch) - 64
                        cells += col * int(m.group(2))
    return cells


def lead_cells(published: Path) -> int:
    """Cells of the LEAD workbooks (district, schools, detail): what the workbook step wrote."""
    return sum(published_cells(published / part) for part in ("district", "schools", "detail")
               if (published / part).is_dir())


def xlsxwriter_rate(published: Path, limit: int = 3_000_000) -> tuple[int, float]:
    """(cells, seconds) for xlsxwriter alone, on one core, to write the district workbook's
    cells again (at most `limit`, the first rows of each sheet in proportion): its values read
    back (calamine), then a plain `write_row` per row in constant_memory mode, as xlsxwriter's
    documentation writes rows. The reference the workbook step's rate is measured against."""
    import polars as pl
    import xlsxwriter

    book = next((published / "district").glob("*.xlsx"))
    typed = pl.read_excel(book, sheet_id=0)
    total = sum((df.height + 1) * df.width for df in typed.values())
    share = min(1.0, limit / max(total, 1))
    frames = {name: df.head(max(1, int(df.height * share))) for name, df in typed.items()}
    cells = 0
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        wb = xlsxwriter.Workbook(f"{tmp}/again.xlsx", {"constant_memory": True})
        for name, df in frames.items():
            ws = wb.add_worksheet(name)
            ws.write_row(0, 0, df.columns)
            for row, values in enumerate(df.iter_rows(), start=1):
                ws.write_row(row, 0, values)
            cells += (df.height + 1) * df.width
        wb.close()
        seconds = time.perf_counter() - t0
    return cells, seconds


def floor(snapshot: Path, cells: int) -> tuple[float, float]:
    """Seconds for DuckDB to read every table once and for xlsxwriter to write `cells`."""
    import duckdb
    import xlsxwriter

    t0 = time.perf_counter()
    con = duckdb.connect()
    for csv in sorted(snapshot.glob("*.csv")):
        con.execute(f"CREATE TABLE \"{csv.stem}\" AS SELECT * FROM read_csv('{csv}', "
                    "all_varchar=true, header=true)")
    read = time.perf_counter() - t0
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        book = xlsxwriter.Workbook(f"{tmp}/floor.xlsx", {"constant_memory": True})
        width, written, ws, row = 60, 0, None, 0
        while written < cells:
            if ws is None or row >= 1_000_000:
                ws, row = book.add_worksheet(), 0
            for col in range(width):
                ws.write_number(row, col, row + col)
            row += 1
            written += width
        book.close()
    return read, time.perf_counter() - t0


TABLE_STAGES = ["ingest", "staging", "reports", "checks", "LEAD workbooks", "KIAS", "publish"]


@dataclass
class Run:
    """One benchmarked district: its refresh, stages, cells and the references measured."""

    label: str
    size: int
    result: dict
    stages: dict[str, tuple[float, float]]
    cells: int
    lead_cells: int
    school: dict
    read_s: float = 0.0
    write_s: float = 0.0
    ref_cells: int = 0
    ref_s: float = 0.0

    @property
    def workbook_s(self) -> float:
        return self.stages.get("LEAD workbooks", (0.0, 0))[0]

    @property
    def compute_s(self) -> float:
        """The refresh but its LEAD workbook step: reading, staging, reports, checks, KIAS,
        publish, and Dagster's own bookkeeping."""
        return self.result["wall"] - self.workbook_s

    @property
    def between_s(self) -> float:
        """The refresh's wall time outside its steps: Dagster's run (its instance, the plan,
        resources set up and torn down, events between steps) and DuckDB's checkpoint when the
        run's connection closes. Part of the fixed cost; the rest of it is in the steps."""
        return self.result["wall"] - sum(self.result["steps"].values())

    @property
    def rate(self) -> float:
        return self.lead_cells / self.workbook_s if self.workbook_s else 0.0

    @property
    def ref_rate(self) -> float:
        return self.ref_cells / self.ref_s if self.ref_s else 0.0


def table(runs: list[Run], with_floor: bool) -> str:
    """The README's table: one line per district, seconds per stage, then the totals (the
    floor's two columns only when it was measured)."""
    head = ["students (schools)", *TABLE_STAGES, "between steps", "full refresh",
            "compute only", "CPU",
            "peak memory", "one school", "workbook cells/s (xlsxwriter 1 core)",
            *(["floor", "refresh / floor"] if with_floor else [])]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in runs:
        fl = r.read_s + r.write_s
        cells = [r.label,
                 *(f"{r.stages.get(st, (0.0, 0))[0]:.1f}" for st in TABLE_STAGES),
                 f"{r.between_s:.1f}",
                 f"{r.result['wall']:.1f} s", f"{r.compute_s:.1f} s",
                 f"{r.result.get('cpu', 0.0):.1f} s",
                 f"{r.result['peak'] / 2**30:.2f} GiB", f"{r.school['wall']:.1f} s",
                 f"{r.rate / 1000:,.0f}k ({r.ref_rate / 1000:,.0f}k)",
                 *([f"{fl:.1f} s", f"{r.result['wall'] / fl:.2f}"] if with_floor else [])]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def goals(runs: list[Run]) -> str:
    """Issue 14's goals, each with the figure this run measured (blank: size not run)."""
    by = {r.label.split(" ")[0]: r for r in runs if "heavy" not in r.label}

    def get(label: str, what: Callable[[Run], str]) -> str:
        return what(by[label]) if label in by else "not run"

    rate = [r for r in runs if r.ref_rate]
    best = max(rate, key=lambda r: r.lead_cells) if rate else None
    rows = [
        ("everything but workbook writing, 100,000 students", "≤ 3 s",
         get("100,000", lambda r: f"{r.compute_s:.1f} s")),
        ("full refresh, 5,000 students (the fixed cost)", "≤ 3 s",
         get("5,000", lambda r: f"{r.result['wall']:.1f} s")),
        ("full refresh, 100,000 students", "≤ 15 s",
         get("100,000", lambda r: f"{r.result['wall']:.1f} s")),
        ("full refresh, 700,000 students", "≤ 100 s",
         get("700,000", lambda r: f"{r.result['wall']:.1f} s")),
        ("peak memory, 700,000 students", "≤ 2 GiB",
         get("700,000", lambda r: f"{r.result['peak'] / 2**30:.2f} GiB")),
        ("one school, 100,000-student district", "≤ 1 s",
         get("100,000", lambda r: f"{r.school['wall']:.1f} s")),
        ("workbook cells per second, both cores together", "≥ 1.8 × xlsxwriter's single-core",
         f"{best.rate:,.0f} = {best.rate / best.ref_rate:.2f} × {best.ref_rate:,.0f} "
         f"({best.label})" if best else "not measured"),
    ]
    lines = ["| measure | goal | measured |", "|---|---|---|"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    return "\n".join(lines)


def load() -> str:
    """The machine's load average (1, 5, 15 min): other work on it slows every figure."""
    with open("/proc/loadavg") as fh:
        return " ".join(fh.read().split()[:3])


def bench(size: int, heavy: bool, with_floor: bool) -> Run | None:
    label = f"{size:,} ({SCHOOLS.get(size, max(3, size // 667)):,})" + (
        " discipline-heavy" if heavy else "")
    snapshot = generate(size, heavy)
    with tempfile.TemporaryDirectory(dir=ROOT / "data" / "generated") as tmp:
        print(f"\n{label}: refreshing (load {load()})", flush=True)
        result = refresh(snapshot, Path(tmp))
        if not result["success"]:
            print(f"{label}: refresh failed")
            return None
        published = Path(result["published"])
        database_mb = (Path(tmp) / "w.duckdb").stat().st_size / 2**20
        run = Run(label, size, result, per_stage(result), published_cells(published),
                  lead_cells(published), {})
        number = largest_school(published)
        run.school = school_refresh(snapshot, Path(tmp), number)
        if not run.school["success"]:
            print(f"{label}: one-school refresh of {number} failed: {run.school['problems']}")
            return None
        run.ref_cells, run.ref_s = xlsxwriter_rate(published)
        if with_floor:
            run.read_s, run.write_s = floor(snapshot, run.cells)
    print(f"{label}: full refresh {result['wall']:.1f} s (compute only {run.compute_s:.1f} s, "
          f"{run.between_s:.1f} s of it outside the steps), "
          f"{result['cpu']:.1f} s of CPU (both cores, workers included), peak "
          f"{result['peak'] / 2**30:.2f} GiB, {run.cells:,} cells published, DuckDB file "
          f"{database_mb:,.0f} MiB")
    for stage, (secs, peak) in run.stages.items():
        print(f"  {stage:16s} {secs:7.2f} s   peak {peak / 2**20:7.0f} MiB")
    print(f"  workbooks: {run.lead_cells:,} cells in {run.workbook_s:.2f} s = "
          f"{run.rate:,.0f} cells/s on both cores; xlsxwriter alone on one core: "
          f"{run.ref_cells:,} cells in {run.ref_s:.2f} s = {run.ref_rate:,.0f} cells/s "
          f"(ratio {run.rate / run.ref_rate if run.ref_rate else 0:.2f})")
    if with_floor:
        fl = run.read_s + run.write_s
        print(f"  floor: DuckDB reads every table {run.read_s:.2f} s + xlsxwriter writes "
              f"{run.cells:,} cells {run.write_s:.2f} s = {fl:.2f} s; refresh / floor = "
              f"{result['wall'] / fl:.2f}")
    print(f"  one school ({number}): {run.school['wall']:.1f} s, "
          f"peak {run.school['peak'] / 2**30:.2f} GiB (load now {load()})", flush=True)
    return run


def in_postgres(sizes: list[int]) -> str:
    """Each district's full refresh again, its run and events stored in a PostgreSQL instance
    as production's (deploy/dagster.yaml) on a throwaway server on 127.0.0.1 (the production
    tests' own, lead_pipeline_tests/production/postgres.py): the fixed cost a deployment's
    refresh pays, with the sessions the run opened on the server. The markdown table."""
    from lead_pipeline_tests.production import postgres
    from lead_pipeline_tests.production.services import instance_home

    lines = ["| students | full refresh, in-memory instance | full refresh, PostgreSQL instance "
             "| events stored | sessions opened |", "|---|---|---|---|---|"]
    with postgres.cluster() as cluster:

        def count(sql: str, where: str = "postgres") -> int:
            return int(cluster.sql(sql, database=where) or 0)

        for size in sizes:
            snapshot = generate(size)
            database = cluster.database(f"bench_{size}")
            with tempfile.TemporaryDirectory(dir=ROOT / "data" / "generated") as tmp:
                home = instance_home(Path(tmp) / "home")  # the shipped deploy/dagster.yaml
                plain = refresh(snapshot, Path(tmp) / "plain")
                sessions = ("SELECT sessions FROM pg_stat_database "
                            f"WHERE datname = '{database.name}'")
                before = count(sessions)
                stored = refresh(snapshot, Path(tmp) / "stored",
                                 {**database.env(), "DAGSTER_HOME": str(home)})
                opened = count(sessions) - before
                events = count("SELECT count(*) FROM event_logs", database.name)
            print(f"{size:,} students: {plain['wall']:.1f} s in memory, {stored['wall']:.1f} s "
                  f"in PostgreSQL ({events} events, {opened} sessions opened)", flush=True)
            lines.append(f"| {size:,} | {plain['wall']:.1f} s | {stored['wall']:.1f} s "
                         f"| {events} | {opened} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="200,5000,100000,700000",
                        help="district sizes; 200 students shows the fixed cost of a refresh")
    parser.add_argument("--heavy", type=int, default=100000, metavar="SIZE",
                        help="also a discipline-heavy district of SIZE students (0: none)")
    parser.add_argument("--no-floor", action="store_true")
    parser.add_argument("--postgres", default="", metavar="SIZES",
                        help="also refresh these sizes with the Dagster instance in PostgreSQL "
                        "(a throwaway server on 127.0.0.1; needs Debian's postgresql)")
    args = parser.parse_args()
    plan = [(int(s), False) for s in args.sizes.split(",") if s]
    if args.heavy:
        plan.append((args.heavy, True))
    print(f"machine: {machine()}, load {load()}")
    runs = []
    for size, heavy in plan:
        run = bench(size, heavy, not args.no_floor)
        if run is None:
            return 1
        runs.append(run)
    print(f"\nmachine: {machine()}, load {load()}\n")
    print(table(runs, not args.no_floor))
    print()
    print(goals(runs))
    if args.postgres:
        print()
        print(in_postgres([int(s) for s in args.postgres.split(",") if s]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
