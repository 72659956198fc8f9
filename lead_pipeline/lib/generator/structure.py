"""A school's calendars with their schedule structure, trials, terms, grade levels and days.

Besides the regular calendar of the report year, some schools carry last year's calendar and
a summer-school calendar, so the year and summer filters of L-3 have rows to remove.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from lead_pipeline.lib.generator.calendar import school_year, summer_session
from lead_pipeline.lib.generator.context import CalendarInfo, SchoolContext, Term
from lead_pipeline.lib.generator.plan import GRADES


def _terms(ctx: SchoolContext, kind: str, year, structure_id: int) -> list[Term]:
    if kind == "summer":
        names = [("Summer", *year.semesters[0])]
    elif ctx.school.term_kind == "quarter":
        names = [(f"Q{i + 1}", a, b) for i, (a, b) in enumerate(year.quarters)]
    else:
        names = [(f"S{i + 1}", a, b) for i, (a, b) in enumerate(year.semesters)]
    if kind == "regular" and ctx.school.null_term:
        names.append(("Intersession", None, None))  # dates never entered: L-4 drops its sections
    ids = ctx.ids.take("Term", len(names))
    terms = [Term(int(i), n, a, b) for i, (n, a, b) in zip(ids, names, strict=True)]
    ctx.add("Term", pl.DataFrame({
        "termID": ids, "structureID": [structure_id] * len(terms),
        "name": [t.name for t in terms], "seq": list(range(1, len(terms) + 1)),
        "startDate": [t.start for t in terms], "endDate": [t.end for t in terms],
    }, schema_overrides={"startDate": pl.Date, "endDate": pl.Date}))
    return terms


def _calendar(ctx: SchoolContext, kind: str) -> CalendarInfo:
    s, end_year = ctx.school, ctx.plan.end_year
    if kind == "regular":
        year, cal_year, label = school_year(end_year, s.variant), end_year, ""
    elif kind == "prior":
        year, cal_year, label = school_year(end_year - 1, s.variant), end_year - 1, ""
    else:
        year, cal_year, label = summer_session(end_year), end_year, " Summer School"
    cal_id = int(ctx.ids.take("Calendar", 1)[0])
    name = f"{cal_year - 1}-{str(cal_year)[2:]} {s.name}{label}"
    ctx.add("Calendar", pl.DataFrame({
        "calendarID": [cal_id], "schoolID": [s.school_id], "endYear": [cal_year],
        "name": [name], "startDate": [year.start], "endDate": [year.end],
        "summerSchool": [int(kind == "summer")], "exclude": [int(kind == "summer")],
    }))
    structure_id = int(ctx.ids.take("ScheduleStructure", 1)[0])
    ctx.add("ScheduleStructure", pl.DataFrame({
        "structureID": [structure_id], "calendarID": [cal_id],
        "name": ["Main" if kind != "summer" else "Summer"]}))
    inactive = kind == "regular" and s.inactive_trial
    trials = ctx.ids.take("Trial", 2 if inactive else 1)
    ctx.add("Trial", pl.DataFrame({
        "trialID": trials, "structureID": [structure_id] * len(trials),
        "active": [1, 0][: len(trials)]}))
    terms = _terms(ctx, kind, year, structure_id)
    grades = s.grades
    ctx.add("GradeLevel", pl.DataFrame({
        "calendarID": [cal_id] * len(grades), "name": list(grades),
        "stateGrade": [GRADES[g][0] for g in grades],
        "exclude": [int(g == "P3") for g in grades],
    }))
    n = len(year.dates)
    ctx.add("Day", pl.DataFrame({
        "calendarID": np.full(n, cal_id, dtype=np.int64), "date": year.dates,
        "schoolDay": year.school_day, "instruction": year.instruction,
    }))
    return CalendarInfo(
        kind=kind, calendar_id=cal_id, structure_id=structure_id, trial_id=int(trials[0]),
        inactive_trial_id=int(trials[1]) if inactive else None, year=year, terms=terms,
        grade_state={g: GRADES[g][0] for g in grades},
        included=kind == "regular" and s.included,
    )


def build_calendars(ctx: SchoolContext) -> None:
    """Regular calendar first (its ids lead), then last year's and summer school."""
    ctx.calendars["regular"] = _calendar(ctx, "regular")
    if ctx.school.has_prior:
        ctx.calendars["prior"] = _calendar(ctx, "prior")
    if ctx.school.has_summer:
        ctx.calendars["summer"] = _calendar(ctx, "summer")


def term_dates(cal: CalendarInfo, which: str) -> list[tuple[int, dt.date | None, dt.date | None]]:
    """Terms a course of `which` (Y, S1, S2, X) is placed in: (termID, start, end)."""
    dated = [t for t in cal.terms if t.start is not None]
    if which == "X":
        return [(t.term_id, t.start, t.end) for t in cal.terms if t.start is None]
    if which == "Y" or len(dated) == 1:
        chosen = dated
    else:
        half = len(dated) // 2
        chosen = dated[:half] if which == "S1" else dated[half:]
    return [(t.term_id, t.start, t.end) for t in chosen]
