"""Students of one school: Person, Identity, Enrollment, Plan, Lep, GiftedTalented,
SpecialEDState and FosterCare, drawn as whole columns (no loop over students).

The flags kept on `Students` (iep kind, stable, withdrawn …) let the schedule, staff and
problem modules pick rows whose effect on the LEAD rules is known.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from lead_pipeline.lib.generator.context import SchoolContext, frame
from lead_pipeline.lib.generator.names import draw_names
from lead_pipeline.lib.generator.plan import GRADES

NAT = np.datetime64("NaT", "D")

# IEP situations of a student with a disability
IEP_NONE, IEP_LOCKED, IEP_NEW, IEP_UNLOCKED, IEP_EXPIRED = 0, 1, 2, 3, 4

DISABILITY_WEIGHTS = {
    "SLD": 34, "SLI": 20, "OHI": 13, "AUT": 10, "DD": 7, "EBD": 5, "MMD": 4, "FMD": 2,
    "HI": 1.2, "OI": 0.8, "VI": 0.7, "TBI": 0.6, "MD": 1.5, "DB": 0.2,
}
RACE_CODES = np.array(["1", "2", "3", "4", "5", "6", "7"], dtype=object)
RACE_P = np.array([0.09, 0.004, 0.03, 0.11, 0.002, 0.704, 0.06])
GT_CATEGORIES = np.array(["General Intellectual", "Specific Academic Aptitude - Math",
                          "Specific Academic Aptitude - Reading", "Creativity", "Leadership",
                          "Visual Arts"], dtype=object)
LEP_STATUS = np.array(["EL", "Exited EL", "Pending", "LEP", "Not EL"], dtype=object)
LEP_P = np.array([0.70, 0.12, 0.06, 0.05, 0.07])


def state_ids(person_id: np.ndarray) -> pl.Series:
    """10-digit state ids: a bijection of the person id, some with leading zeros."""
    v = (person_id.astype(np.int64) * 7_654_321 + 1_234_567) % 10_000_000_000
    return pl.Series(v).cast(pl.Utf8).str.zfill(10)


@dataclass
class Students:
    person_id: np.ndarray
    grade: np.ndarray  # local grade name (object)
    grade_rank: np.ndarray  # index into the school's grade list
    female: np.ndarray
    start: np.ndarray  # enrollment start (datetime64[D])
    end: np.ndarray  # enrollment end or NaT
    no_show: np.ndarray
    state_exclude: np.ndarray
    disability: np.ndarray  # object, None when none
    iep: np.ndarray  # IEP_* code
    iep_start: np.ndarray
    iep_end: np.ndarray
    ilpa: np.ndarray  # bool: has an ILPA plan active all year
    enrollment_id: np.ndarray  # the primary enrollment of the regular calendar
    s0: np.datetime64  # first day of the regular calendar

    @property
    def n(self) -> int:
        return len(self.person_id)

    @property
    def stable(self) -> np.ndarray:
        """Enrolled the whole year, present, not excluded: safe to plant problems on."""
        return (self.start == self.s0) & np.isnat(self.end) & (self.no_show == 0) \
            & (self.state_exclude == 0)

    @property
    def iep_ok(self) -> np.ndarray:
        """Disability with a locked IEP active from its start to past the year's end."""
        return np.isin(self.iep, [IEP_LOCKED, IEP_NEW]) & (self.disability != None)  # noqa: E711


def _dates_between(rng: np.random.Generator, lo: np.ndarray | np.datetime64,
                   hi: np.ndarray | np.datetime64, n: int) -> np.ndarray:
    lo_i = np.broadcast_to(np.asarray(lo, dtype="datetime64[D]").astype(np.int64), n)
    hi_i = np.broadcast_to(np.asarray(hi, dtype="datetime64[D]").astype(np.int64), n)
    span = np.maximum(hi_i - lo_i, 0) + 1
    return (lo_i + (rng.random(n) * span).astype(np.int64)).astype("datetime64[D]")


def _identity_frames(ctx: SchoolContext, person_id: np.ndarray, female: np.ndarray,
                     birth: np.ndarray, race: np.ndarray, students: bool) -> None:
    rng, n = ctx.rng, len(person_id)
    last, first, middle = draw_names(rng, n, female, 0.002 if students else 0.0,
                                     force_tricky=students and ctx.school.index == 0)
    ident = ctx.ids.take("Identity", n)
    gender = np.where(female, "F", "M").astype(object)
    ctx.add("Identity", frame({
        "identityID": ident, "personID": person_id, "lastName": last, "firstName": first,
        "middleName": middle, "gender": gender, "birthDate": birth, "raceEthnicityFed": race,
    }, schema_overrides={"lastName": pl.Utf8, "firstName": pl.Utf8, "middleName": pl.Utf8,
                         "raceEthnicityFed": pl.Utf8, "gender": pl.Utf8}))
    if students:  # a few students changed name: the old identity stays, not current
        old = np.flatnonzero(rng.random(n) < 0.02)
        if len(old):
            old_last, _, _ = draw_names(rng, len(old), female[old], 0.0, False)
            ctx.add("Identity", frame({
                "identityID": ctx.ids.take("Identity", len(old)), "personID": person_id[old],
                "lastName": old_last, "firstName": first[old], "middleName": middle[old],
                "gender": gender[old], "birthDate": birth[old], "raceEthnicityFed": race[old],
            }, schema_overrides={"lastName": pl.Utf8, "firstName": pl.Utf8,
                                 "middleName": pl.Utf8, "raceEthnicityFed": pl.Utf8,
                                 "gender": pl.Utf8}))
    person = frame({"personID": person_id, "currentIdentityID": ident})
    if students:
        person = person.with_columns(
            stateID=state_ids(person_id), studentNumber=pl.col("personID").cast(pl.Utf8)
            .str.zfill(7), staffNumber=pl.lit(None, pl.Utf8))
    else:
        person = person.with_columns(
            stateID=pl.lit(None, pl.Utf8), studentNumber=pl.lit(None, pl.Utf8),
            staffNumber=pl.format("E{}", pl.col("personID").cast(pl.Utf8).str.zfill(6)))
    ctx.add("Person", person)


def make_people(ctx: SchoolContext, n: int, female: np.ndarray, birth: np.ndarray,
                students: bool) -> np.ndarray:
    """Person + Identity rows for `n` people; returns their person ids."""
    pid = ctx.ids.take("Person", n)
    if students:
        race = RACE_CODES[ctx.rng.choice(len(RACE_CODES), n, p=RACE_P)]
        race = np.where(ctx.rng.random(n) < 0.03, None, race)
    else:
        race = RACE_CODES[ctx.rng.choice(len(RACE_CODES), n, p=RACE_P)]
    _identity_frames(ctx, pid, female, birth, race, students)
    return pid


def _grades(ctx: SchoolContext, n: int) -> np.ndarray:
    grades = ctx.school.grades
    w = np.array([GRADES[g][1] for g in grades])
    rank = ctx.rng.choice(len(grades), n, p=w / w.sum())
    return np.sort(rank)  # students listed by grade, as a SIS export would


def _birth(ctx: SchoolContext, grade: np.ndarray) -> np.ndarray:
    state = np.array([ctx.regular.grade_state[g] for g in ctx.school.grades])[grade]
    num = state.astype(int)
    age = np.select([num == 97, num == 98, num == 99, num == 14], [2, 3, 4, 18], num + 5)
    age = age + (ctx.rng.random(len(grade)) < 0.05)  # a few were held back a year
    y0 = ctx.plan.end_year - 1
    sep1 = np.array([np.datetime64(f"{y0 - a - 1}-09-01") for a in range(0, 25)])
    base = sep1[age]
    return base + ctx.rng.integers(0, 365, len(grade)).astype("timedelta64[D]")


def build_students(ctx: SchoolContext) -> Students:
    """Everything about the school's students except their schedules."""
    rng, s = ctx.rng, ctx.school
    n = s.n_students
    cal = ctx.regular
    s0, snap = cal.start, ctx.snapshot
    grade = _grades(ctx, n)
    grade_name = np.asarray(s.grades, dtype=object)[grade]
    female = rng.random(n) < 0.49
    birth = _birth(ctx, grade)
    pid = make_people(ctx, n, female, birth, students=True)

    # enrollment situations (drawn before disability so the streams stay comparable)
    u = rng.random(n)
    new = u < 0.04
    start = np.where(new, _dates_between(rng, s0 + 3, snap - 7, n), s0)
    withdraw = (rng.random(n) < 0.03) & (start + 10 < snap)
    end = np.where(withdraw, _dates_between(rng, start + 5, snap - 2, n), NAT)
    no_show = ((rng.random(n) < 0.007) & ~new & ~withdraw).astype(np.int8)
    end = np.where(no_show == 1, start, end)
    state_exclude = ((rng.random(n) < 0.005) & (no_show == 0)).astype(np.int8)

    # disability and IEP
    dis_rate = 0.3 if s.alternative else 0.15
    has_dis = rng.random(n) < dis_rate
    codes = np.array(list(DISABILITY_WEIGHTS), dtype=object)
    w = np.array(list(DISABILITY_WEIGHTS.values()))
    dis = np.where(has_dis, codes[rng.choice(len(codes), n, p=w / w.sum())], None)
    old = (grade > 5) & (dis == "DD")
    dis[old] = "SLD"  # developmental delay ends by age nine
    iep = np.where(has_dis, rng.choice([IEP_LOCKED, IEP_NEW, IEP_UNLOCKED, IEP_EXPIRED], n,
                                       p=[0.82, 0.05, 0.06, 0.07]), IEP_NONE)
    w0 = ctx.w0
    iep_start = np.select(
        [iep == IEP_LOCKED, iep == IEP_NEW, iep == IEP_UNLOCKED, iep == IEP_EXPIRED],
        [_dates_between(rng, s0 - 330, s0 - 10, n), _dates_between(rng, s0 + 10, snap - 5, n),
         _dates_between(rng, s0 - 30, snap - 1, n), _dates_between(rng, w0 - 740, w0 - 370, n)],
        NAT)
    iep_end = np.where(iep == IEP_LOCKED, ctx.w1 + rng.integers(0, 120, n).astype(
        "timedelta64[D]"), iep_start + 364)
    iep_end = np.where(iep == IEP_NONE, NAT, iep_end)
    ilpa = s.alternative & ((~np.isin(iep, [IEP_LOCKED, IEP_NEW])) | (rng.random(n) < 0.5))

    enr = ctx.ids.take("Enrollment", n)
    st = Students(pid, grade_name, grade, female, start, end, no_show, state_exclude, dis, iep,
                  iep_start, iep_end, ilpa, enr, s0)
    _enrollments(ctx, st)
    _plans(ctx, st)
    _programs(ctx, st, birth)
    return st


def _enrollment_frame(ids, pid, cal_id, structure_id, grade, start, end, service, no_show,
                      excl, dis) -> pl.DataFrame:
    n = len(ids)
    return frame({
        "enrollmentID": ids, "personID": pid, "calendarID": np.full(n, cal_id, np.int64),
        "structureID": np.full(n, structure_id, np.int64), "grade": grade,
        "startDate": start, "endDate": end, "serviceType": np.broadcast_to(
            np.asarray(service, dtype=object), n), "noShow": np.broadcast_to(no_show, n),
        "stateExclude": np.broadcast_to(excl, n), "disability1": dis,
    }, schema_overrides={"grade": pl.Utf8, "serviceType": pl.Utf8, "disability1": pl.Utf8,
                         "noShow": pl.Int8, "stateExclude": pl.Int8})


def _enrollments(ctx: SchoolContext, st: Students) -> None:
    rng, cal = ctx.rng, ctx.regular
    ctx.add("Enrollment", _enrollment_frame(
        st.enrollment_id, st.person_id, cal.calendar_id, cal.structure_id, st.grade, st.start,
        st.end, "P", st.no_show, st.state_exclude, st.disability))
    # a second enrollment in the same calendar (partial / services only): same start, so L-7
    # still picks the primary one, and the same disability so nothing else changes either
    sec = np.flatnonzero(st.stable & (rng.random(st.n) < 0.015))
    if len(sec):
        service = np.where(rng.random(len(sec)) < 0.7, "S", "N").astype(object)
        ctx.add("Enrollment", _enrollment_frame(
            ctx.ids.take("Enrollment", len(sec)), st.person_id[sec], cal.calendar_id,
            cal.structure_id, st.grade[sec], st.start[sec], st.end[sec], service, 0, 0,
            st.disability[sec]))
    if "prior" in ctx.calendars:  # last year's enrollment of returning students
        pc = ctx.calendars["prior"]
        back = np.flatnonzero((st.grade_rank > 0) & (st.start == st.s0))
        prev = np.asarray(ctx.school.grades, dtype=object)[st.grade_rank[back] - 1]
        ctx.add("Enrollment", _enrollment_frame(
            ctx.ids.take("Enrollment", len(back)), st.person_id[back], pc.calendar_id,
            pc.structure_id, prev, np.full(len(back), pc.start), np.full(len(back), pc.end),
            "P", 0, 0, st.disability[back]))
    if "summer" in ctx.calendars:
        sc = ctx.calendars["summer"]
        summ = np.flatnonzero(st.stable & (rng.random(st.n) < 0.05))
        ctx.add("Enrollment", _enrollment_frame(
            ctx.ids.take("Enrollment", len(summ)), st.person_id[summ], sc.calendar_id,
            sc.structure_id, st.grade[summ], np.full(len(summ), sc.start),
            np.full(len(summ), sc.end), "S", 0, 0, st.disability[summ]))


def _plan_frame(ctx: SchoolContext, pid, ptype, start, end, locked) -> pl.DataFrame:
    n = len(pid)
    return frame({
        "planID": ctx.ids.take("Plan", n), "personID": pid,
        "planType": np.broadcast_to(np.asarray(ptype, dtype=object), n),
        "startDate": start, "endDate": end, "locked": np.broadcast_to(np.int8(locked), n),
    }, schema_overrides={"planType": pl.Utf8, "locked": pl.Int8})


def _plans(ctx: SchoolContext, st: Students) -> None:
    rng = ctx.rng
    has = st.iep != IEP_NONE
    locked = np.where(st.iep == IEP_UNLOCKED, 0, 1).astype(np.int8)
    ctx.add("Plan", _plan_frame(ctx, st.person_id[has], "IEP", st.iep_start[has],
                                st.iep_end[has], 0).with_columns(
        locked=pl.Series(locked[has], dtype=pl.Int8)))
    # last year's IEP, ended the day before this one started
    prev = np.flatnonzero((st.iep == IEP_LOCKED) & (rng.random(st.n) < 0.3))
    ctx.add("Plan", _plan_frame(ctx, st.person_id[prev], "IEP", st.iep_start[prev] - 365,
                                st.iep_start[prev] - 1, 1))
    il = np.flatnonzero(st.ilpa)
    ctx.add("Plan", _plan_frame(ctx, st.person_id[il], "ILPA", st.start[il],
                                np.full(len(il), NAT), 1))
    p504 = np.flatnonzero((st.disability == None) & (rng.random(st.n) < 0.02))  # noqa: E711
    s504 = _dates_between(rng, st.start[p504] - 500, st.start[p504] - 1, len(p504))
    ctx.add("Plan", _plan_frame(ctx, st.person_id[p504], "504", s504, s504 + 364 * 2, 1))
    # SpecialEDState mirrors the disabilities behind locked IEPs (current or expired)
    sped = np.flatnonzero(np.isin(st.iep, [IEP_LOCKED, IEP_NEW, IEP_EXPIRED]))
    ctx.add("SpecialEDState", frame({
        "personID": st.person_id[sped], "primaryDisability": st.disability[sped],
        "startDate": st.iep_start[sped], "endDate": st.iep_end[sped],
    }, schema_overrides={"primaryDisability": pl.Utf8}))


def _programs(ctx: SchoolContext, st: Students, birth: np.ndarray) -> None:
    rng, n = ctx.rng, st.n
    s0, snap = ctx.regular.start, ctx.snapshot
    kinder = birth + 5 * 365
    # English learners
    el = np.flatnonzero(rng.random(n) < 0.06)
    status = LEP_STATUS[rng.choice(len(LEP_STATUS), len(el), p=LEP_P)]
    ident = _dates_between(rng, np.minimum(np.maximum(kinder[el], s0 - 2000), s0 - 30), s0 - 30,
                           len(el))
    ident = np.where(status == "Pending", NAT, ident)
    exit_ = np.where(status == "Exited EL", np.minimum(
        ident + rng.integers(200, 1500, len(el)).astype("timedelta64[D]"), snap - 1), NAT)
    ctx.add("Lep", frame({
        "lepID": ctx.ids.take("Lep", len(el)), "personID": st.person_id[el],
        "programStatus": status, "identifiedDate": ident, "exitDate": exit_,
    }, schema_overrides={"programStatus": pl.Utf8}))
    # gifted and talented, from grade 1 on
    gt_ok = np.array([g not in ("P3", "P4", "KG") for g in ctx.school.grades])[st.grade_rank]
    gt = np.flatnonzero(gt_ok & (rng.random(n) < 0.09))
    lo = np.minimum(np.maximum(kinder[gt] + 365, s0 - 1500), s0 - 1)
    gstart = _dates_between(rng, lo, s0 - 1, len(gt))
    gend = np.where(rng.random(len(gt)) < 0.1,
                    gstart + rng.integers(100, 600, len(gt)).astype("timedelta64[D]"), NAT)
    ctx.add("GiftedTalented", frame({
        "gtID": ctx.ids.take("GiftedTalented", len(gt)), "personID": st.person_id[gt],
        "category": GT_CATEGORIES[rng.integers(0, len(GT_CATEGORIES), len(gt))],
        "startDate": gstart, "endDate": gend,
    }, schema_overrides={"category": pl.Utf8}))
    # foster care
    fc = np.flatnonzero(rng.random(n) < 0.006)
    fstart = _dates_between(rng, s0 - 700, snap - 5, len(fc))
    fend = np.where(rng.random(len(fc)) < 0.3,
                    fstart + rng.integers(30, 400, len(fc)).astype("timedelta64[D]"), NAT)
    ctx.add("FosterCare", frame({
        "personID": st.person_id[fc], "startDate": fstart, "endDate": fend}))
