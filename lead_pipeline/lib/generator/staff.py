"""Staff of one school: Person/Identity, Employment, EmploymentAssignment, the sections'
SectionStaffHistory and the students' TeamMember rows (case managers).

Besides the active staff the school keeps people whose status matters to L-20: teachers who
left last year (employment ended before W), teachers transferred to another school (employed,
assignment here ended) and teachers who left mid-year (still active staff for the year). The
problem module uses the first two to plant Q-C1, Q-I1 and Q-K1.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from lead_pipeline.lib.generator.context import SchoolContext, frame
from lead_pipeline.lib.generator.people import NAT, Students, _dates_between, make_people

# role -> (type, teacher flag, title, certified)
ROLES: dict[str, tuple[str, int, str, bool]] = {
    "teacher": ("01", 1, "Teacher", True),
    "sped": ("01", 1, "Special Education Teacher", True),
    "principal": ("02", 0, "Principal", True),
    "assistant": ("02", 0, "Assistant Principal", True),
    "counselor": ("03", 0, "Guidance Counselor", True),
    "speech": ("03", 0, "Speech-Language Pathologist", True),
    "librarian": ("06", 0, "Library Media Specialist", True),
    "aide": ("04", 0, "Instructional Assistant", False),
    "secretary": ("07", 0, "School Secretary", False),
}
TITLES = {"ela": "English Teacher", "math": "Mathematics Teacher", "sci": "Science Teacher",
          "ss": "Social Studies Teacher", "pe": "PE Teacher", "art": "Art Teacher",
          "music": "Music Teacher", "lang": "World Language Teacher", "tech": "CTE Teacher",
          "hr": "Classroom Teacher", "interv": "Interventionist", "alt": "Alternative Teacher",
          "sped": "Special Education Teacher"}


def epsb(person_id: pl.Expr) -> pl.Expr:
    """6-digit EPSB ids, a bijection of the person id (unique below a million persons)."""
    return ((person_id * 7919 + 104729) % 1_000_000).cast(pl.Utf8).str.zfill(6)


def _teacher_units(ctx: SchoolContext) -> pl.DataFrame:
    """Teacher (dept, local index) of every regular-calendar section."""
    sec = ctx.table("Section").filter(pl.col("_cal") == "regular")
    units = sec.select("_dept", "_unit").unique().sort("_dept", "_unit")
    elem = ctx.school.kind in ("elem", "k8")
    load = {"hr": 1, "sped": 5, "alt": 5}
    rng = ctx.rng
    units = units.with_columns(_r=pl.Series(rng.random(units.height)))
    units = units.with_columns(
        _rank=pl.col("_r").rank("ordinal").over("_dept").cast(pl.Int64) - 1,
        _n=pl.len().over("_dept"))
    if elem:
        load |= {"art": 14, "music": 14, "pe": 14}
    units = units.with_columns(_load=pl.col("_dept").replace_strict(
        load, default=6, return_dtype=pl.Int64))
    units = units.with_columns(
        _teachers=((pl.col("_n") + pl.col("_load") - 1) // pl.col("_load")).cast(pl.Int64))
    return units.with_columns(_t=pl.col("_rank") % pl.col("_teachers")).select(
        "_dept", "_unit", "_t", "_teachers")


def build_staff(ctx: SchoolContext, st: Students) -> None:
    rng, s = ctx.rng, ctx.school
    n_st = s.n_students
    units = _teacher_units(ctx)
    depts = units.select("_dept", "_teachers").unique().sort("_dept")
    if "sped" not in depts["_dept"].to_list():
        depts = pl.concat([depts, frame({"_dept": ["sped"], "_teachers": [1]})])
    # one row per staff person: role, dept, kind
    rows: list[tuple[str, str | None, str, int]] = []
    for d, k in depts.iter_rows():
        rows.append(("sped" if d == "sped" else "teacher", d, "regular", int(k)))
    others = {"principal": 1, "assistant": n_st // 450, "counselor": 1 + n_st // 450,
              "speech": 1 + n_st // 700, "librarian": 1, "aide": max(1, n_st // 90),
              "secretary": 1 + n_st // 600}
    rows += [(r, None, "regular", k) for r, k in others.items() if k]
    rows.append(("teacher", "former", "former", 2 + n_st // 400))
    if ctx.other_school_ids:
        rows.append(("teacher", "transfer", "transferred", 1 + n_st // 800))
    role = np.concatenate([np.full(k, r, dtype=object) for r, _, _, k in rows])
    dept = np.concatenate([np.full(k, d, dtype=object) for _, d, _, k in rows])
    kind = np.concatenate([np.full(k, t, dtype=object) for _, _, t, k in rows])
    local = np.concatenate([np.arange(k) for _, _, _, k in rows])
    n = len(role)
    # mid-year leavers among the regular classroom teachers, each with a replacement
    is_teacher = (role == "teacher") & (kind == "regular")
    leaver = is_teacher & (rng.random(n) < 0.03)
    n_rep = int(leaver.sum())
    role = np.r_[role, np.full(n_rep, "teacher", dtype=object)]
    dept = np.r_[dept, dept[leaver]]
    kind = np.r_[np.where(leaver, "leaver", kind), np.full(n_rep, "replacement", dtype=object)]
    local = np.r_[local, local[leaver]]
    n = len(role)

    female = rng.random(n) < 0.74
    birth = _dates_between(rng, ctx.w0 - 64 * 365, ctx.w0 - 23 * 365, n)
    pid = make_people(ctx, n, female, birth, students=False)
    w0, s0, snap = ctx.w0, ctx.regular.start, ctx.snapshot
    new_hire = (rng.random(n) < 0.06) & (kind == "regular")
    hire = np.where(new_hire, _dates_between(rng, s0 - 20, s0 - 5, n),
                    _dates_between(rng, w0 - 9000, w0 - 30, n))
    leave = _dates_between(rng, s0 + 20, snap - 10, n)
    emp_end = np.full(n, NAT)
    former = kind == "former"
    hire = np.where(former, _dates_between(rng, w0 - 8000, w0 - 1000, n), hire)
    emp_end[former] = _dates_between(rng, w0 - 60, w0 - 15, n)[former]
    lv = kind == "leaver"
    emp_end[lv] = leave[lv]
    rep = kind == "replacement"
    leave[rep] = leave[lv]
    hire[rep] = leave[rep] + 1
    names = np.array(list(ROLES), dtype=object)
    order = np.argsort(names.astype(str))
    ri = order[np.searchsorted(names.astype(str)[order], role.astype(str))]
    rtype = np.array([v[0] for v in ROLES.values()], dtype=object)[ri]
    teacher_flag = np.array([v[1] for v in ROLES.values()], dtype=np.int8)[ri]
    certified = np.array([v[3] for v in ROLES.values()])[ri]
    title = np.array([v[2] for v in ROLES.values()], dtype=object)[ri]
    by_dept = pl.Series(dept.tolist(), dtype=pl.Utf8).replace_strict(
        TITLES, default=None, return_dtype=pl.Utf8).to_numpy()
    title = np.where((role == "teacher") & (by_dept != None), by_dept, title)  # noqa: E711
    alt = np.where(role == "sped", "SE", np.where((role == "aide") & (rng.random(n) < 0.4),
                                                   "SE", None))
    staff = frame({
        "personID": pid, "_role": role, "_dept": dept, "_kind": kind, "_t": local,
        "_type": rtype, "_teacher": teacher_flag, "_title": title, "_alt": alt,
        "_certified": certified, "_hire": hire, "_emp_end": emp_end, "_leave": leave,
    }, schema_overrides={"_role": pl.Utf8, "_dept": pl.Utf8, "_kind": pl.Utf8,
                         "_type": pl.Utf8, "_title": pl.Utf8, "_alt": pl.Utf8})
    ctx.replace("_Staff", staff)
    _employment(ctx, staff)
    _assignments(ctx, staff)
    _staff_history(ctx, staff, units)
    _team_members(ctx, staff, st)


def _employment(ctx: SchoolContext, staff: pl.DataFrame) -> None:
    rng = ctx.rng
    lic = pl.when(pl.col("_certified")).then(epsb(pl.col("personID"))).otherwise(None)
    emp = staff.select(
        "personID", districtID=pl.lit(ctx.plan.district_id, pl.Int64),
        startDate="_hire", endDate="_emp_end", licenseNumber=lic)
    ctx.add("Employment", emp.with_columns(
        employmentID=pl.Series(ctx.ids.take("Employment", emp.height))))
    # an earlier stint in the district for a few
    early = staff.filter(pl.Series(rng.random(staff.height) < 0.05))
    if early.height:
        e = early.select(
            "personID", districtID=pl.lit(ctx.plan.district_id, pl.Int64),
            startDate=pl.col("_hire") - pl.duration(days=3000),
            endDate=pl.col("_hire") - pl.duration(days=1500), licenseNumber=lic)
        ctx.add("Employment", e.with_columns(
            employmentID=pl.Series(ctx.ids.take("Employment", e.height))))


def _assignment_frame(ctx: SchoolContext, df: pl.DataFrame) -> pl.DataFrame:
    return df.with_columns(assignmentID=pl.Series(ctx.ids.take("EmploymentAssignment",
                                                               df.height)))


def _assignments(ctx: SchoolContext, staff: pl.DataFrame) -> None:
    rng, w0 = ctx.rng, ctx.w0
    sid = ctx.school.school_id
    here_end = pl.when(pl.col("_kind") == "transferred").then(
        pl.lit(w0 - 20)).otherwise(pl.col("_emp_end"))
    moved = rng.random(staff.height) < 0.3
    gap = (rng.random(staff.height) * 2000).astype(np.int64)
    a = staff.with_columns(
        _moved=pl.Series(moved), _gap=pl.Series(gap))
    a = a.with_columns(
        startDate=pl.when(pl.col("_moved") & (pl.col("_kind") == "regular")).then(
            pl.min_horizontal(pl.col("_hire") + pl.duration(days=pl.col("_gap")),
                              pl.lit(ctx.regular.start - 10))).otherwise(pl.col("_hire")))
    a = a.with_columns(startDate=pl.max_horizontal("startDate", "_hire"))
    cur = a.select(
        "personID", schoolID=pl.lit(sid, pl.Int64), startDate="startDate",
        endDate=here_end, type="_type", altType="_alt", teacher="_teacher", title="_title")
    ctx.add("EmploymentAssignment", _assignment_frame(ctx, cur))
    # the assignment held before the current one (ended before it began)
    prev = a.filter(pl.col("startDate") > pl.col("_hire") + pl.duration(days=30)).select(
        "personID", schoolID=pl.lit(sid, pl.Int64), startDate="_hire",
        endDate=pl.col("startDate") - pl.duration(days=1), type="_type", altType="_alt",
        teacher="_teacher", title="_title")
    ctx.add("EmploymentAssignment", _assignment_frame(ctx, prev))
    # the transferred teachers now work at another school of the district
    tr = staff.filter(pl.col("_kind") == "transferred")
    if tr.height:
        others = np.asarray(ctx.other_school_ids)
        to = others[rng.integers(0, len(others), tr.height)]
        ctx.add("EmploymentAssignment", _assignment_frame(ctx, tr.select(
            "personID", schoolID=pl.Series(to), startDate=pl.lit(w0 + 30),
            endDate=pl.lit(None, pl.Date), type="_type", altType="_alt", teacher="_teacher",
            title="_title")))


def _history_rows(sec: pl.DataFrame, pid: str, stype: str, start: pl.Expr, end: pl.Expr
                  ) -> pl.DataFrame:
    return sec.select("sectionID", "trialID", personID=pid, staffType=pl.lit(stype),
                      startDate=start, endDate=end)


def _staff_history(ctx: SchoolContext, staff: pl.DataFrame, units: pl.DataFrame) -> None:
    rng = ctx.rng
    sec = ctx.table("Section")
    reg = sec.filter(pl.col("_cal") == "regular").join(units, on=["_dept", "_unit"],
                                                         maintain_order="left")
    teach = staff.filter(pl.col("_kind").is_in(["regular", "leaver"]) &
                         pl.col("_role").is_in(["teacher", "sped"]))
    reg = reg.join(teach.select("_dept", "_t", "personID", "_kind", "_leave"),
                   on=["_dept", "_t"], how="left", maintain_order="left")
    reps = staff.filter(pl.col("_kind") == "replacement").select(
        "_dept", "_t", _rep="personID")
    reg = reg.join(reps, on=["_dept", "_t"], how="left", maintain_order="left")
    is_lv = pl.col("_kind") == "leaver"
    began = pl.col("_start") <= pl.col("_leave")
    rows = [
        # the section's own teacher (a leaver's row ends on the day they left)
        _history_rows(reg.filter(~is_lv | began), "personID", "P", pl.col("_start"),
                      pl.when(is_lv).then(pl.col("_leave")).otherwise(None)),
        # the replacement takes over the day after (or from the start of a later section)
        _history_rows(reg.filter(is_lv & (pl.col("_end") > pl.col("_leave"))), "_rep", "P",
                      pl.when(began).then(pl.col("_leave") + pl.duration(days=1))
                      .otherwise(pl.col("_start")), pl.lit(None, pl.Date)),
    ]
    # co-teachers (T) and aides (N)
    sped = staff.filter(pl.col("_role") == "sped")["personID"].to_numpy()
    aides = staff.filter(pl.col("_role") == "aide")["personID"].to_numpy()
    co = reg.filter(pl.Series(rng.random(reg.height) < 0.05))
    rows.append(_history_rows(co.with_columns(_co=pl.Series(
        sped[rng.integers(0, len(sped), co.height)])), "_co", "T", pl.col("_start"),
        pl.lit(None, pl.Date)))
    sp = reg.filter((pl.col("specialType") == "05") & pl.Series(rng.random(reg.height) < 0.4))
    rows.append(_history_rows(sp.with_columns(_aide=pl.Series(
        aides[rng.integers(0, len(aides), sp.height)])), "_aide", "N", pl.col("_start"),
        pl.lit(None, pl.Date)))
    # last year's and summer sections: someone from the pool, former teachers included
    past = sec.filter(pl.col("_cal") != "regular")
    if past.height:
        pool = staff.filter(pl.col("_role").is_in(["teacher", "sped"]) &
                            pl.col("_kind").is_in(["regular", "former", "transferred"]))
        pp = pool["personID"].to_numpy()
        past = past.with_columns(_p=pl.Series(pp[rng.integers(0, len(pp), past.height)]))
        rows.append(_history_rows(past, "_p", "P", pl.col("_start"), pl.col("_end")))
    hist = pl.concat(rows, how="vertical_relaxed")
    ctx.add("SectionStaffHistory", hist.with_columns(pl.col("personID").cast(pl.Int64)))


def _team_members(ctx: SchoolContext, staff: pl.DataFrame, st: Students) -> None:
    rng = ctx.rng
    sped = staff.filter(pl.col("_role") == "sped")["personID"].to_numpy()
    speech = staff.filter(pl.col("_role") == "speech")["personID"].to_numpy()
    who = np.flatnonzero(st.iep_ok)
    cm = sped[rng.integers(0, len(sped), len(who))]
    sli = (st.disability[who] == "SLI") & (rng.random(len(who)) < 0.6)
    if len(speech):
        cm = np.where(sli, speech[rng.integers(0, len(speech), len(who))], cm)
    start = st.iep_start[who]
    frames = [frame({
        "personID": st.person_id[who], "staffPersonID": cm, "role": "Case Manager",
        "startDate": start, "endDate": np.full(len(who), NAT)})]
    # the case manager before this one, ended
    prev = rng.random(len(who)) < 0.15
    former = staff.filter(pl.col("_kind") == "former")["personID"].to_numpy()
    pool = np.r_[sped, former]
    frames.append(frame({
        "personID": st.person_id[who][prev], "staffPersonID": pool[rng.integers(
            0, len(pool), int(prev.sum()))], "role": "Case Manager",
        "startDate": start[prev] - 365, "endDate": start[prev] - 1}))
    # other team roles
    couns = staff.filter(pl.col("_role") == "counselor")["personID"].to_numpy()
    oth = np.flatnonzero(rng.random(st.n) < 0.04)
    frames.append(frame({
        "personID": st.person_id[oth], "staffPersonID": couns[rng.integers(
            0, len(couns), len(oth))], "role": np.where(rng.random(len(oth)) < 0.7,
                                                       "Counselor", "Interventionist"),
        "startDate": np.full(len(oth), ctx.regular.start), "endDate": np.full(len(oth), NAT)}))
    tm = pl.concat(frames, how="vertical_relaxed")
    ctx.add("TeamMember", tm.with_columns(
        teamMemberID=pl.Series(ctx.ids.take("TeamMember", tm.height))))
