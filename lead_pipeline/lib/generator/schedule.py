"""Courses, sections, placements and rosters of a school's calendars.

Students are matched to courses slot by slot and to sections by a random rank within the
course (elementary classes follow the homeroom), all as array operations; the per-section
columns that later modules need (`_dept`, `_unit`, `_start`, `_end`, `_included`) ride along
in the Section frame and are dropped by the writer.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from lead_pipeline.lib.generator.catalog import SUMMER, CourseSpec, catalog
from lead_pipeline.lib.generator.context import CalendarInfo, SchoolContext, frame
from lead_pipeline.lib.generator.people import NAT, Students
from lead_pipeline.lib.generator.structure import term_dates

HOMEROOM = 22


def _rank_within(keys: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A random order within equal keys: (order, rank of each element within its key)."""
    order = np.lexsort((rng.random(len(keys)), keys))
    k = keys[order]
    first = np.r_[0, np.flatnonzero(k[1:] != k[:-1]) + 1] if len(k) else np.array([], int)
    starts = np.zeros(len(k), dtype=np.int64)
    if len(k):
        starts[first] = first
        starts = np.maximum.accumulate(starts)
    rank = np.empty(len(k), dtype=np.int64)
    rank[order] = np.arange(len(k)) - starts
    return order, rank


def _requests(courses: list[CourseSpec], grade: np.ndarray, iep_ok: np.ndarray,
              rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(student index, course index) pairs: each student takes one course of each slot."""
    slots: dict[str, list[int]] = {}
    for i, c in enumerate(courses):
        slots.setdefault(c.slot, []).append(i)
    stu, crs = [], []
    for idx in slots.values():
        first = courses[idx[0]]
        ok = np.isin(grade, first.grades) if first.grades else np.ones(len(grade), bool)
        if first.who == "iep":
            ok &= iep_ok
        ok &= rng.random(len(grade)) < first.take
        who = np.flatnonzero(ok)
        w = np.array([courses[i].weight for i in idx], dtype=float)
        pick = np.asarray(idx)[rng.choice(len(idx), len(who), p=w / w.sum())]
        stu.append(who)
        crs.append(pick)
    if not stu:
        return np.array([], np.int64), np.array([], np.int64)
    return np.concatenate(stu), np.concatenate(crs)


def build_calendar_schedule(ctx: SchoolContext, cal: CalendarInfo, courses: list[CourseSpec],
                            st: Students, who: np.ndarray, grade: np.ndarray) -> None:
    """Course, Section, SectionPlacement and Roster rows of one calendar.

    `who` are indexes into `st` of the students scheduled here, `grade` their local grade.
    """
    rng = ctx.rng
    courses = [c for c in courses if c.term != "X" or any(
        t.start is None for t in cal.terms)]
    if not courses or not len(who):
        return
    n_c = len(courses)
    course_ids = ctx.ids.take("Course", n_c)
    ctx.add("Course", frame({
        "courseID": course_ids, "calendarID": np.full(n_c, cal.calendar_id, np.int64),
        "number": [c.number for c in courses], "name": [c.name for c in courses],
        "stateCode": [c.code for c in courses], "active": [int(c.active) for c in courses],
    }, schema_overrides={"active": pl.Int8}))

    s_idx, c_idx = _requests(courses, grade, st.iep_ok[who], rng)
    # homerooms per grade (elementary classes travel together)
    g_codes, g_inv = np.unique(grade, return_inverse=True)
    _, hr_rank = _rank_within(g_inv, rng)
    g_count = np.bincount(g_inv, minlength=len(g_codes))
    n_hr = np.maximum(1, np.ceil(g_count / HOMEROOM).astype(np.int64))
    homeroom = hr_rank % n_hr[g_inv]

    hr_mode = np.array([c.mode == "hr" for c in courses])[c_idx]
    _, rank = _rank_within(c_idx, rng)
    cnt = np.bincount(c_idx, minlength=n_c)
    size = np.array([c.size for c in courses])
    n_sec = np.maximum(1, np.ceil(cnt / size).astype(np.int64))
    # an hr course has one grade: as many sections as that grade has homerooms
    c_grade = np.array([np.searchsorted(g_codes, c.grades[0]) if c.grades and c.mode == "hr"
                        and c.grades[0] in g_codes else 0 for c in courses])
    n_sec = np.where([c.mode == "hr" for c in courses], n_hr[np.minimum(c_grade,
                     len(n_hr) - 1)], n_sec)
    n_sec = np.where(cnt > 0, n_sec, 0)
    sec_local = np.where(hr_mode, homeroom[s_idx], rank % np.maximum(n_sec[c_idx], 1))
    offset = np.r_[0, np.cumsum(n_sec)[:-1]]
    sec_of_req = offset[c_idx] + sec_local
    total = int(n_sec.sum())
    sec_ids = ctx.ids.take("Section", total)
    sec_course = np.repeat(np.arange(n_c), n_sec)
    sec_num = np.arange(total) - offset[sec_course] + 1

    # terms and dates per course
    t_of = [term_dates(cal, c.term) for c in courses]
    c_start = np.array([min(t[1] for t in ts) if ts and ts[0][1] else NAT for ts in t_of],
                       dtype="datetime64[D]")
    c_end = np.array([max(t[2] for t in ts) if ts and ts[0][2] else NAT for ts in t_of],
                     dtype="datetime64[D]")
    method = np.array([c.method for c in courses], dtype=object)[sec_course]
    method = np.where((method == None) & (rng.random(total) < 0.03), "02", method)  # noqa: E711
    setting = np.where(rng.random(total) < 0.93, "01", np.where(rng.random(total) < 0.5,
                       "02", None))
    unit_hr = np.array([c.dept == "hr" for c in courses])[sec_course]
    sec_grade = np.array([c.grades[0] if c.grades else "" for c in courses],
                         dtype=object)[sec_course]
    unit = np.where(unit_hr, np.char.add(sec_grade.astype(str), sec_num.astype(str)),
                    sec_ids.astype(str))
    active = np.array([c.active for c in courses])[sec_course]
    dated = ~np.isnat(c_start[sec_course])
    sections = frame({
        "sectionID": sec_ids, "courseID": course_ids[sec_course],
        "trialID": np.full(total, cal.trial_id, np.int64), "number": sec_num.astype(str),
        "coreContent": np.array([c.content for c in courses], dtype=object)[sec_course],
        "teachingMethod": method, "instructionalSetting": setting,
        "specialType": np.array([c.special for c in courses], dtype=object)[sec_course],
        "_dept": np.array([c.dept for c in courses], dtype=object)[sec_course],
        "_unit": unit, "_start": np.where(dated, c_start[sec_course], cal.start),
        "_end": np.where(dated, c_end[sec_course], cal.end),
        "_code": np.array([c.code for c in courses], dtype=object)[sec_course],
        "_included": cal.included & active & dated, "_cal": cal.kind,
        "_calendarID": np.full(total, cal.calendar_id, np.int64),
    }, schema_overrides={"coreContent": pl.Utf8, "teachingMethod": pl.Utf8,
                         "instructionalSetting": pl.Utf8, "specialType": pl.Utf8,
                         "_dept": pl.Utf8, "_unit": pl.Utf8, "_code": pl.Utf8})
    # placements: every term of the course, one period per section
    per_course_terms = [np.array([t[0] for t in ts], dtype=np.int64) for ts in t_of]
    n_t = np.array([len(t) for t in per_course_terms])[sec_course]
    period = rng.integers(1, 8, total)
    p_sec = np.repeat(np.arange(total), n_t)
    # the terms of each section's course, laid end to end (course term lists are short)
    c_terms = np.concatenate(per_course_terms) if per_course_terms else np.array([], np.int64)
    c_first = np.r_[0, np.cumsum([len(t) for t in per_course_terms])[:-1]].astype(np.int64)
    within = np.arange(len(p_sec)) - np.repeat(np.cumsum(n_t) - n_t, n_t)
    term_col = c_terms[c_first[sec_course[p_sec]] + within]
    ctx.add("SectionPlacement", frame({
        "sectionID": sec_ids[p_sec], "trialID": np.full(len(p_sec), cal.trial_id, np.int64),
        "termID": term_col, "periodID": period[p_sec]}))

    # rosters
    stu = who[s_idx]
    r_sec = sec_of_req
    sec_start, sec_end = sections["_start"].to_numpy(), sections["_end"].to_numpy()
    rs, re_ = _roster_dates(ctx, cal, st, stu, sec_start[r_sec], sec_end[r_sec])
    keep = np.ones(len(stu), dtype=bool)
    if cal.kind == "regular":
        keep = ~(np.isnat(rs) & np.isnat(re_) & _dropped(st, stu, sec_start[r_sec]))
        keep &= ~(st.start[stu] > sec_end[r_sec])  # arrived after the section ended
    r_rows = frame({
        "personID": st.person_id[stu[keep]], "sectionID": sec_ids[r_sec[keep]],
        "trialID": np.full(int(keep.sum()), cal.trial_id, np.int64),
        "startDate": rs[keep], "endDate": re_[keep],
    })
    ctx.add("Section", sections)
    ctx.add("Roster", r_rows)


def _dropped(st: Students, stu: np.ndarray, sec_start: np.ndarray) -> np.ndarray:
    """Withdrawn before the section began: the SIS removed those future rosters."""
    end = st.end[stu]
    return ~np.isnat(end) & (end < sec_start) & (st.no_show[stu] == 0)


def _roster_dates(ctx: SchoolContext, cal: CalendarInfo, st: Students, stu: np.ndarray,
                  sec_start: np.ndarray, sec_end: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Null dates for most rows; entry/withdrawal dates; a few mid-term drops and adds."""
    n = len(stu)
    start = np.full(n, NAT)
    end = np.full(n, NAT)
    if cal.kind != "regular":
        return start, end
    e_start, e_end = st.start[stu], st.end[stu]
    late = (e_start > sec_start) & (e_start <= sec_end)
    start[late] = e_start[late]
    wd = ~np.isnat(e_end) & (st.no_show[stu] == 0) & (e_end >= sec_start) & (e_end < sec_end)
    end[wd] = e_end[wd]
    # mid-term changes of stable students: dropped (end) or added late (start)
    rng = ctx.rng
    stable = st.stable[stu]
    hi = np.minimum(sec_end, ctx.snapshot) - 1
    room = (hi - sec_start).astype(np.int64) > 10
    u = rng.random(n)
    change = sec_start + (rng.random(n) * np.maximum((hi - sec_start).astype(np.int64) - 5,
                                                     1)).astype(np.int64) + 5
    drop = stable & room & (u < 0.01)
    add = stable & room & (u >= 0.01) & (u < 0.02)
    end[drop] = change[drop]
    start[add] = change[add]
    return start, end


def build_schedules(ctx: SchoolContext, st: Students) -> None:
    """The regular calendar's full schedule, plus small ones for last year and summer."""
    courses = catalog(ctx.school.kind, ctx.school.grades)
    everyone = np.arange(st.n)
    build_calendar_schedule(ctx, ctx.regular, courses, st, everyone, st.grade)
    rng = ctx.rng
    if "prior" in ctx.calendars:
        back = np.flatnonzero((st.grade_rank > 0) & (st.start == st.s0))
        prev = np.asarray(ctx.school.grades, dtype=object)[st.grade_rank[back] - 1]
        pick = [c for c in courses if c.term != "X" and rng.random() < 0.12]
        build_calendar_schedule(ctx, ctx.calendars["prior"], pick, st, back, prev)
    if "summer" in ctx.calendars:
        summ = _summer_students(ctx, st)
        build_calendar_schedule(ctx, ctx.calendars["summer"], SUMMER, st, summ, st.grade[summ])
    _extra_sections(ctx)


def _summer_students(ctx: SchoolContext, st: Students) -> np.ndarray:
    sc = ctx.calendars["summer"]
    enr = ctx.table("Enrollment").filter(pl.col("calendarID") == sc.calendar_id)
    return np.flatnonzero(np.isin(st.person_id, enr["personID"].to_numpy()))


def _extra_sections(ctx: SchoolContext) -> None:
    """Sections L-4 drops: a few never scheduled, and copies in an inactive trial."""
    rng, cal = ctx.rng, ctx.regular
    sec = ctx.table("Section").filter(pl.col("_cal") == "regular")
    if not sec.height:
        return
    n_un = max(1, sec.height // 150)
    base = sec.sample(n_un, seed=int(rng.integers(0, 2**31)))
    ids = ctx.ids.take("Section", n_un)
    ctx.add("Section", base.with_columns(
        sectionID=pl.Series(ids), number=pl.lit("99"), _included=pl.lit(False),
        _unit=pl.Series(ids.astype(str))))
    if cal.inactive_trial_id is None:
        return
    n_in = min(5, sec.height)
    base = sec.sample(n_in, seed=int(rng.integers(0, 2**31)))
    ids = ctx.ids.take("Section", n_in)
    place = ctx.table("SectionPlacement").join(
        base.select("sectionID", new=pl.Series(ids)), on="sectionID",
        maintain_order="left")
    ctx.add("Section", base.with_columns(
        sectionID=pl.Series(ids), trialID=pl.lit(cal.inactive_trial_id, pl.Int64),
        _included=pl.lit(False)))
    ctx.add("SectionPlacement", place.select(
        sectionID="new", trialID=pl.lit(cal.inactive_trial_id, pl.Int64),
        termID="termID", periodID="periodID"))

