"""`generate()`: a synthetic district snapshot, school by school, with planted problems."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import polars as pl

from lead_pipeline.lib.codes import Codes, load_codes
from lead_pipeline.lib.generator.context import Ids, SchoolContext
from lead_pipeline.lib.generator.discipline import (
    behavior_types,
    build_discipline,
    resolution_types,
)
from lead_pipeline.lib.generator.people import build_students
from lead_pipeline.lib.generator.plan import DistrictPlan, build_plan
from lead_pipeline.lib.generator.problems import Planter, plant_integrity, plant_school
from lead_pipeline.lib.generator.rates import RULES, ProblemRates
from lead_pipeline.lib.generator.schedule import build_schedules
from lead_pipeline.lib.generator.staff import build_staff
from lead_pipeline.lib.generator.structure import build_calendars
from lead_pipeline.lib.generator.writer import SnapshotWriter, write_json
from lead_pipeline.lib.snapshot.schema import TABLE_BY_NAME

PLANTED_FILE = "planted.json"


@dataclass(frozen=True)
class GenerationSummary:
    out: Path
    rows: dict[str, int]
    students: int
    schools: int  # schools included in LEAD (the `schools` argument)
    excluded_schools: int
    seconds: float
    planted_path: Path
    planted: dict[str, int]  # number of planted records per rule


def _district_frames(plan: DistrictPlan, ref: Codes) -> dict[str, pl.DataFrame]:
    s = plan.schools
    return {
        "District": pl.DataFrame({"districtID": [plan.district_id], "number": [plan.number],
                                  "name": [plan.name]}),
        "School": pl.DataFrame({
            "schoolID": [x.school_id for x in s], "districtID": [plan.district_id] * len(s),
            "number": [x.number for x in s], "name": [x.name for x in s],
            "stateClassification": [x.classification for x in s]}),
        "BehaviorType": behavior_types(ref),
        "BehaviorResType": resolution_types(),
        "EventCodeCategory": ref.event_code_category,
    }


def generate(out: Path, students: int, seed: int = 0, *, rates: ProblemRates | None = None,
             schools: int | None = None, end_year: int = 2027,
             snapshot_date: dt.date | None = None, district_number: str = "165",
             district_name: str = "Bluegrass County Public Schools",
             incidents: float | None = None) -> GenerationSummary:
    """Write a district snapshot folder to `out` (see docs/snapshot-format.md) and planted.json.

    `incidents`: behavior incidents per student (0.2 makes a discipline-heavy district, where
    KIAS weighs in); default a random 3-8% per school.

    Same arguments give byte-identical files: each school draws from its own seeded stream,
    and ids are handed out in school order.
    """
    t0 = time.perf_counter()
    out = Path(out)
    rates = rates or ProblemRates.default()
    ref = load_codes()
    plan = build_plan(students, schools, end_year, snapshot_date, district_number,
                      district_name, ref)
    if incidents is not None:
        if not 0 <= incidents <= 1:
            raise ValueError(f"incidents per student must be within 0..1, not {incidents}")
        plan = replace(plan, incidents=incidents)
    planter = Planter(rates)
    ids = Ids()
    streams = np.random.SeedSequence(seed).spawn(len(plan.schools))
    all_ids = tuple(s.school_id for s in plan.schools)
    with SnapshotWriter(out) as writer:
        district = _district_frames(plan, ref)
        btypes, rtypes = district["BehaviorType"], district["BehaviorResType"]
        for name, df in district.items():
            writer.write(TABLE_BY_NAME[name], df)
        for school, stream in zip(plan.schools, streams, strict=True):
            ctx = SchoolContext(plan=plan, school=school, rng=np.random.default_rng(stream),
                                ids=ids, ref=ref, other_school_ids=tuple(
                                    i for i in all_ids if i != school.school_id))
            build_calendars(ctx)
            st = build_students(ctx)
            build_schedules(ctx, st)
            build_staff(ctx, st)
            build_discipline(ctx, st, btypes, rtypes)
            plant_school(ctx, st, planter)
            ros = ctx.table("Roster")
            ctx.replace("Roster", ros.with_columns(
                rosterID=pl.Series(ids.take("Roster", ros.height))))
            plant_integrity(ctx, st, planter)
            for name, parts in ctx.frames.items():
                if name.startswith("_") or not parts:
                    continue
                writer.write(TABLE_BY_NAME[name], ctx.table(name))
        rows = dict(writer.rows)
    write_json(out / "manifest.json", {
        "snapshotDate": plan.snapshot_date.isoformat(), "endYear": end_year, "state": "KY",
        "districtNumber": district_number, "format": "csv"})
    planted = {k: planter.planted.get(k, []) for k in RULES}
    write_json(out / PLANTED_FILE, {"seed": seed, "students": students,
                                    "rates": rates.as_dict(), "planted": planted})
    return GenerationSummary(
        out=out, rows=rows, students=students, schools=len(plan.included_schools),
        excluded_schools=len(plan.schools) - len(plan.included_schools),
        seconds=time.perf_counter() - t0, planted_path=out / PLANTED_FILE,
        planted={k: len(v) for k, v in planted.items()})
