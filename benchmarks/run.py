"""Benchmark the refresh at district and state scale (not part of the unit tests).

    python benchmarks/run.py --sizes 5000,100000,700000

For each size: generate a district with the project's generator (cached under
data/generated/bench-<size>/), run the full refresh in a fresh process, and print per stage
the wall time and the peak resident memory during that stage, then the floor: DuckDB reading
every snapshot table once plus xlsxwriter writing as many cells as the refresh published, and
a one-school refresh (`run_school_refresh`, also in a fresh process) of the district's largest
school after the full refresh. Last comes the markdown table the README "Speed" section shows.
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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SCHOOLS = {5000: 8, 100000: 150, 700000: 1500}
STAGES = [  # (stage, step-key prefixes), in the order of the flow
    ("ingest", ("snapshot__",  "snapshot_tables")),
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


def generate(size: int) -> Path:
    folder = ROOT / "data" / "generated" / f"bench-{size}"
    if not (folder / "manifest.json").is_file():
        from lead_pipeline.lib.generator import generate as gen

        gen(folder, size, seed=size, schools=SCHOOLS.get(size, max(3, size // 667)))
    return folder


def stage_of(step: str) -> str:
    for stage, prefixes in STAGES:
        if step.startswith(prefixes):
            return stage
    return "other"


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
kw = {"school": args["school"]} if args.get("school") else {}
o = run_refresh(Path(args["snapshot"]), output=Path(args["output"]),
                database=Path(args["database"]), **kw)
wall = time.time() - t0
print(json.dumps({"success": o.success, "wall": wall, "steps": o.steps,
                  "spans": getattr(o, "step_spans", {}), "samples": samples,
                  "peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
                  "published": str(o.published)}))
"""


_SCHOOL_CHILD = r"""
import json, resource, sys, time
from pathlib import Path
from lead_pipeline.refresh import run_school_refresh
args = json.loads(sys.argv[1])
t0 = time.time()
o = run_school_refresh(args["school"], Path(args["snapshot"]), output=Path(args["output"]),
                       database=Path(args["database"]))
print(json.dumps({"success": o.success, "wall": time.time() - t0, "problems": o.problems,
                  "peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))
"""


def _child(script: str, args: dict) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    done = subprocess.run([sys.executable, "-c", script, json.dumps(args)], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def refresh(snapshot: Path, work: Path) -> dict:
    return _child(_CHILD, {"snapshot": str(snapshot), "output": str(work / "out"),
                           "database": str(work / "w.duckdb")})


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


def table(rows: list[tuple], with_floor: bool) -> str:
    """The README's table: one line per size, seconds per stage, then the totals."""
    head = ["students (schools)", *TABLE_STAGES, "full refresh", "peak memory", "one school",
            "floor", "refresh / floor"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for size, _, result, stages, _, read_s, write_s, school in rows:
        fl = read_s + write_s
        cells = [f"{size:,} ({SCHOOLS.get(size, '?'):,})",
                 *(f"{stages.get(st, (0.0, 0))[0]:.1f}" for st in TABLE_STAGES),
                 f"{result['wall']:.1f} s", f"{result['peak'] / 2**30:.2f} GiB",
                 f"{school['wall']:.1f} s",
                 f"{fl:.1f} s" if with_floor else "-",
                 f"{result['wall'] / fl:.2f}" if with_floor else "-"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="5000,100000,700000")
    parser.add_argument("--no-floor", action="store_true")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"machine: {machine()}")
    rows = []
    for size in sizes:
        t0 = time.perf_counter()
        snapshot = generate(size)
        gen_s = time.perf_counter() - t0
        with tempfile.TemporaryDirectory(dir=ROOT / "data" / "generated") as tmp:
            result = refresh(snapshot, Path(tmp))
            if not result["success"]:
                print(f"{size}: refresh failed")
                return 1
            stages = per_stage(result)
            cells = published_cells(Path(result["published"]))
            number = largest_school(Path(result["published"]))
            school = school_refresh(snapshot, Path(tmp), number)
            if not school["success"]:
                print(f"{size}: one-school refresh of {number} failed: {school['problems']}")
                return 1
            read_s, write_s = (0.0, 0.0) if args.no_floor else floor(snapshot, cells)
        rows.append((size, gen_s, result, stages, cells, read_s, write_s, school))
        print(f"\n{size:,} students ({SCHOOLS.get(size, '?')} schools): full refresh "
              f"{result['wall']:.1f} s, peak {result['peak'] / 2**30:.2f} GiB, "
              f"{cells:,} cells published")
        for stage, (secs, peak) in stages.items():
            print(f"  {stage:16s} {secs:7.2f} s   peak {peak / 2**20:7.0f} MiB")
        if not args.no_floor:
            fl = read_s + write_s
            print(f"  floor: DuckDB reads every table {read_s:.2f} s + xlsxwriter writes "
                  f"{cells:,} cells {write_s:.2f} s = {fl:.2f} s; refresh / floor = "
                  f"{result['wall'] / fl:.2f}")
        print(f"  one school ({number}): {school['wall']:.1f} s, "
              f"peak {school['peak'] / 2**30:.2f} GiB")
    print(f"\nmachine: {machine()}\n")
    print(table(rows, not args.no_floor))
    return 0


if __name__ == "__main__":
    sys.exit(main())
