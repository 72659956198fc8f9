"""Planting problems and recording them exactly (planted.json).

Each rule's problem is made on records whose effect is known from `counted` (docs/lead.md L-4…L-23)
and recorded at the rule's finding grain (docs/lead.md §5): section for Q-C*, (person, school) for
Q-S*/Q-I2, (section, teacher) for Q-I1, case manager for Q-K1/Q-K3, the students without a case
manager for Q-K2, school for Q-W1, resolution for V1/V2, (table, key) for the integrity warnings.
Findings a plant implies under another rule (no primary teacher on a placeholder course is Q-C2 and
Q-C3 …) are recorded under that rule too.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from lead_pipeline.lib.generator.context import SchoolContext
from lead_pipeline.lib.generator.counted import attribute_rows, case_managers, counted
from lead_pipeline.lib.generator.people import Students
from lead_pipeline.lib.generator.rates import ProblemRates

BOGUS = 1_000_000_000  # ids from here on exist in no table


@dataclass
class Planter:
    """Rates plus what was planted so far (carried across schools, in school order)."""

    rates: ProblemRates
    planted: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    _seen: set[str] = field(default_factory=set)

    def how_many(self, rng: np.random.Generator, rule: str, eligible: int) -> int:
        """Stochastic rounding of rate x eligible; at least one district-wide when possible."""
        rate = self.rates[rule]
        if rate <= 0 or eligible <= 0:
            return 0
        n = int(np.floor(rate * eligible + rng.random()))
        if n == 0 and not self.planted.get(rule):
            n = 1
        return min(n, eligible)

    def record(self, rule: str, entry: dict[str, Any]) -> None:
        key = rule + json.dumps(entry, sort_keys=True)
        if key not in self._seen:
            self._seen.add(key)
            self.planted[rule].append(entry)


def _pick(rng: np.random.Generator, pool: list[int] | np.ndarray, n: int,
          used: set[int]) -> list[int]:
    """`n` distinct ids of `pool` not yet `used` (then marked used), in a seeded order."""
    cand = np.setdiff1d(np.asarray(pool, dtype=np.int64), np.fromiter(used, np.int64,
                                                                       len(used)))
    if not len(cand) or n <= 0:
        return []
    out = [int(x) for x in rng.choice(cand, min(n, len(cand)), replace=False)]
    used.update(out)
    return out


def plant_school(ctx: SchoolContext, st: Students, p: Planter) -> None:
    """Every LEAD and KIAS problem of one school (integrity ones come after roster ids)."""
    if ctx.school.included:
        _plant_lead(ctx, st, p)
    _plant_kias(ctx, p)


# ---- LEAD ------------------------------------------------------------------------------


def _sections(ctx: SchoolContext) -> pl.DataFrame:
    return ctx.table("Section").filter(pl.col("_included"))


def _ids(df: pl.DataFrame, col: str = "sectionID") -> list[int]:
    return df[col].to_list()


def _plant_lead(ctx: SchoolContext, st: Students, p: Planter) -> None:
    rng = ctx.rng
    sec = _sections(ctx)
    used: set[int] = set()
    roster_rules = any(p.rates[r] > 0 for r in ("Q-C5", "Q-C9", "Q-C10"))
    c0 = counted(ctx) if roster_rules else None
    with_students = c0["sectionID"].unique() if c0 is not None else pl.Series([], dtype=pl.Int64)

    # sections of the narrow pools are picked first, so a broad rule cannot starve them
    plain = sec.filter(pl.col("specialType") == "01")
    sped = sec.filter(pl.col("specialType") == "05")
    k_special = pl.DataFrame(schema={"sectionID": pl.Int64, "len": pl.UInt32}) \
        if c0 is None else c0.filter((pl.col("specialType") == "05") &
                                     pl.col("dis_sec").is_not_null()).group_by("sectionID").len()
    sp_ids = _ids(sped)
    c10 = _pick(rng, sp_ids, p.how_many(rng, "Q-C10", len(sp_ids)), used)
    pool9 = _ids(sped.join(k_special.filter(pl.col("len") >= 3), on="sectionID",
                           maintain_order="left"))
    c9 = _pick(rng, pool9, p.how_many(rng, "Q-C9", len(pool9)), used)
    ph = _ids(sec.filter(pl.col("_code").is_in(list(ctx.ref.placeholder_courses))))
    dc = _ids(sec.filter(pl.col("teachingMethod") == "12"))
    req = _ids(sec.filter(pl.col("_code").is_in(list(ctx.ref.content_required_courses))))
    c3 = _pick(rng, ph, p.how_many(rng, "Q-C3", len(ph)), used)
    c4 = _pick(rng, dc, p.how_many(rng, "Q-C4", len(dc)), used)
    c6 = _pick(rng, req, p.how_many(rng, "Q-C6", len(req)), used)
    pool5 = _ids(plain.filter(pl.col("sectionID").is_in(with_students.implode())))
    c5 = _pick(rng, pool5, p.how_many(rng, "Q-C5", len(pool5)), used)

    # roster changes first: they change who is counted
    for sid in c5:
        _empty_section(ctx, sid)
        p.record("Q-C5", {"sectionID": sid})
    general = np.flatnonzero(st.stable & (st.disability == None) & (st.iep == 0))  # noqa: E711
    for sid in c10:
        k_all = ctx.table("Roster").filter(pl.col("sectionID") == sid).height
        _add_students(ctx, st, sid, general, max(1, k_all))
    for sid in c9:
        _add_students(ctx, st, sid, general, 1)
    c = counted(ctx) if roster_rules or c0 is None else c0
    # what Q-C9 / Q-C10 now find, over every special-education section of the school
    sp = c.filter(pl.col("specialType") == "05").group_by("sectionID").agg(
        total=pl.len(), general=pl.col("dis_sec").is_null().sum()).sort("sectionID")
    for sid, total, gen in sp.iter_rows():
        if gen > 0:
            p.record("Q-C9", {"sectionID": sid})
        if 4 * gen > total:
            p.record("Q-C10", {"sectionID": sid})

    staff = ctx.table("_Staff")
    former = staff.filter(pl.col("_kind") == "former")["personID"].to_numpy()
    moved = staff.filter(pl.col("_kind") == "transferred")["personID"].to_numpy()
    ids = _ids(sec)
    primary: dict[int, int | None] = {}  # section -> new primary teacher (None: no P row)
    values: dict[str, dict[int, str | None]] = defaultdict(dict)  # column -> section -> value

    def no_primary(sid: int) -> None:
        primary[sid] = None
        p.record("Q-C2", {"sectionID": sid})
        if sid in ph:
            p.record("Q-C3", {"sectionID": sid})
        if sid in dc:
            p.record("Q-C4", {"sectionID": sid})

    for sid in c3 + c4:
        no_primary(sid)
    for sid in c6:
        values["coreContent"][sid] = None
        p.record("Q-C6", {"sectionID": sid})
    if len(moved):
        for sid in _pick(rng, ids, p.how_many(rng, "Q-I1", len(ids)), used):
            teacher = int(rng.choice(moved))
            primary[sid] = teacher
            p.record("Q-I1", {"sectionID": sid, "personID": teacher})
            p.record("Q-C1", {"sectionID": sid})
    changed = False
    if not ctx.school.alternative:
        ones = _ids(plain)
        for sid in _pick(rng, ones, p.how_many(rng, "Q-C11", len(ones)), set(c5)):
            values["specialType"][sid] = "02"
            p.record("Q-C11", {"sectionID": sid})
            changed = True
    else:
        changed = _strip_ilpa(ctx, c, p, used)
    for sid in _pick(rng, ids, p.how_many(rng, "Q-C1", len(ids)), used):
        primary[sid] = int(rng.choice(former))
        p.record("Q-C1", {"sectionID": sid})
    for sid in _pick(rng, ids, p.how_many(rng, "Q-C2", len(ids)), used):
        no_primary(sid)
    used_content = set(c6)  # core content is independent of the teacher and the rosters
    for rule, value in (("Q-C7", "507"), ("Q-C8", "509")):
        for sid in _pick(rng, ids, p.how_many(rng, rule, len(ids)), used_content):
            values["coreContent"][sid] = value
            p.record(rule, {"sectionID": sid})
    _set_primaries(ctx, primary)
    _set_sections(ctx, values)
    _record_alternative(ctx, p, counted(ctx) if changed else c)
    _plant_staff(ctx, p)
    _plant_caseload(ctx, c, p)


def _empty_section(ctx: SchoolContext, sid: int) -> None:
    """Q-C5: everybody left in the first days, so nobody is scheduled on the last day."""
    sec = ctx.table("Section").filter(pl.col("sectionID") == sid)
    start = sec["_start"][0]
    ros = ctx.table("Roster")
    mine = pl.col("sectionID") == sid
    ros = ros.filter(~mine | pl.col("startDate").is_null()).with_columns(
        endDate=pl.when(mine).then(pl.lit(start) + pl.duration(days=3))
        .otherwise(pl.col("endDate")))
    ctx.replace("Roster", ros)


def _add_students(ctx: SchoolContext, st: Students, sid: int, pool: np.ndarray, k: int
                  ) -> None:
    """Q-C9/Q-C10: general-population students scheduled into a special-education section."""
    ros = ctx.table("Roster")
    sec = ctx.table("Section").filter(pl.col("sectionID") == sid)
    there = set(ros.filter(pl.col("sectionID") == sid)["personID"].to_list())
    cand = pool[~np.isin(st.person_id[pool], np.fromiter(there, np.int64, len(there)))]
    if not len(cand):
        return
    pick = ctx.rng.choice(cand, min(k, len(cand)), replace=False)
    ctx.add("Roster", pl.DataFrame({
        "personID": st.person_id[np.sort(pick)], "sectionID": sid,
        "trialID": sec["trialID"][0], "startDate": None, "endDate": None},
        schema_overrides={"startDate": pl.Date, "endDate": pl.Date}))


def _set_sections(ctx: SchoolContext, values: dict[str, dict[int, str | None]]) -> None:
    """Set text columns of some sections (column -> section -> value)."""
    if not values:
        return
    sec = ctx.table("Section")
    exprs = []
    for col, by_sec in values.items():
        m = pl.DataFrame({"sectionID": list(by_sec), "v": list(by_sec.values())},
                         schema={"sectionID": pl.Int64, "v": pl.Utf8})
        new = sec.select("sectionID").join(m, on="sectionID", how="left",
                                           maintain_order="left")["v"]
        exprs.append(pl.when(pl.col("sectionID").is_in(list(by_sec))).then(
            pl.lit(new)).otherwise(pl.col(col)).alias(col))
    ctx.replace("Section", sec.with_columns(exprs))


def _set_primaries(ctx: SchoolContext, primary: dict[int, int | None]) -> None:
    """Replace the P rows of some sections: one P row for the whole section, or none."""
    if not primary:
        return
    h = ctx.table("SectionStaffHistory")
    h = h.filter(~(pl.col("sectionID").is_in(list(primary)) & (pl.col("staffType") == "P")))
    who = {k: v for k, v in primary.items() if v is not None}
    sec = ctx.table("Section").filter(pl.col("sectionID").is_in(list(who))).sort("sectionID")
    new = sec.select("sectionID", "trialID", personID=pl.col("sectionID").replace_strict(
        who, return_dtype=pl.Int64), staffType=pl.lit("P"), startDate="_start",
        endDate=pl.lit(None, pl.Date))
    h = pl.concat([h, new.select(h.columns)], how="vertical_relaxed")
    # the new teacher may already sit in the section as T/N: keys stay unique either way
    ctx.replace("SectionStaffHistory", h.unique(
        ["sectionID", "trialID", "personID", "staffType", "startDate"], keep="first",
        maintain_order=True))


def _strip_ilpa(ctx: SchoolContext, c: pl.DataFrame, p: Planter, used: set[int]) -> bool:
    """Q-C12 / Q-W1 at an alternative school: a counted student loses the ILPA (and has no
    IEP), so their alternative classroom and their school both show them."""
    rng = ctx.rng
    bare = c.filter(pl.col("ilpa") & ~pl.col("iep"))
    alt = bare.filter(pl.col("specialType") == "02")
    secs = sorted(set(_ids(alt)))
    victims: list[int] = []
    for sid in _pick(rng, secs, p.how_many(rng, "Q-C12", len(secs)), used):
        who = alt.filter(pl.col("sectionID") == sid)["personID"].to_numpy()
        victims.append(int(rng.choice(who)))
    if p.how_many(rng, "Q-W1", 1) and bare.height:
        victims.append(int(rng.choice(bare["personID"].to_numpy())))
    if victims:
        plans = ctx.table("Plan")
        ctx.replace("Plan", plans.filter(~((pl.col("planType") == "ILPA") &
                                           pl.col("personID").is_in(victims))))
    return bool(victims)


def _record_alternative(ctx: SchoolContext, p: Planter, c: pl.DataFrame) -> None:
    """Q-C12 (every 02 section) and Q-W1 (A5/A6 school) as the rules find them now."""
    bare = c.filter(~pl.col("ilpa") & ~pl.col("iep"))
    for sid in sorted(set(_ids(bare.filter(pl.col("specialType") == "02")))):
        p.record("Q-C12", {"sectionID": sid})
    if ctx.school.alternative:
        attr = attribute_rows(c)
        if attr.filter(~pl.col("ilpa") & ~pl.col("iep")).height:
            p.record("Q-W1", {"schoolNumber": ctx.school.number})


def _plant_staff(ctx: SchoolContext, p: Planter) -> None:
    rng, number = ctx.rng, ctx.school.number
    staff = ctx.table("_Staff").filter(pl.col("_kind").is_in(["regular", "leaver",
                                                                "replacement"]))
    used: set[int] = set()

    def pool(cond: pl.Expr) -> list[int]:
        return _ids(staff.filter(cond), "personID")

    speech = pool(pl.col("_role") == "speech")
    for pid in _pick(rng, speech, p.how_many(rng, "Q-S2", len(speech)), used):
        _set_assignment(ctx, pid, type=pl.lit("05"))
        p.record("Q-S2", {"personID": pid, "schoolNumber": number})
    classified = pool(pl.col("_type").is_in(["04", "07"]))
    for pid in _pick(rng, classified, p.how_many(rng, "Q-S3", len(classified)), used):
        _set_assignment(ctx, pid, teacher=pl.lit(1, pl.Int8))
        p.record("Q-S3", {"personID": pid, "schoolNumber": number})
    cert = pool(pl.col("_type").is_in(list(ctx.ref.certified_types)) &
                (pl.col("_role") != "speech"))
    anyone = pool(pl.lit(True))
    blank = _pick(rng, anyone, p.how_many(rng, "Q-I2", len(anyone)), used)
    for pid in _pick(rng, cert, p.how_many(rng, "Q-S1", len(cert)), used):
        emp = ctx.table("Employment")
        ctx.replace("Employment", emp.with_columns(licenseNumber=pl.when(
            pl.col("personID") == pid).then(None).otherwise(pl.col("licenseNumber"))))
        p.record("Q-S1", {"personID": pid, "schoolNumber": number})
    for pid in blank:
        _set_assignment(ctx, pid, type=pl.lit(None, pl.Utf8))
        p.record("Q-I2", {"personID": pid, "schoolNumber": number})


def _set_assignment(ctx: SchoolContext, pid: int, **values: pl.Expr) -> None:
    """Change the person's assignments at this school that overlap the school year."""
    a = ctx.table("EmploymentAssignment")
    mine = (pl.col("personID") == pid) & (pl.col("schoolID") == ctx.school.school_id) & \
        (pl.col("endDate").is_null() | (pl.col("endDate") >= ctx.w0))
    ctx.replace("EmploymentAssignment", a.with_columns(**{
        k: pl.when(mine).then(v).otherwise(pl.col(k)) for k, v in values.items()}))


def _plant_caseload(ctx: SchoolContext, c: pl.DataFrame, p: Planter) -> None:
    rng = ctx.rng
    attr = attribute_rows(c)
    cm = case_managers(ctx)
    attr = attr.join(cm, on="personID", how="left", maintain_order="left")
    disabled = attr.filter(pl.col("dis_sec").is_not_null() & pl.col("staffPersonID")
                           .is_not_null())
    students_used: set[int] = set()
    snap = ctx.plan.snapshot_date
    active_cm = (pl.col("role") == "Case Manager") & pl.col("startDate").le(snap) & \
        (pl.col("endDate").is_null() | (pl.col("endDate") >= snap))
    pool = _ids(disabled, "personID")
    n_k2 = p.how_many(rng, "Q-K2", len(pool))  # drawn first: the streams stay in step
    # Q-K1: some students of one case manager moved to a teacher who left last year
    staff = ctx.table("_Staff")
    former = _ids(staff.filter(pl.col("_kind") == "former"), "personID")
    cms = sorted(set(_ids(disabled, "staffPersonID")))
    cm_used: set[int] = set()
    for mgr in _pick(rng, cms, p.how_many(rng, "Q-K1", len(cms)), cm_used):
        theirs = _ids(disabled.filter(pl.col("staffPersonID") == mgr), "personID")
        gone = _pick(rng, former, 1, {x["personID"] for x in p.planted["Q-K1"]})
        if not theirs or not gone:
            continue
        moved = _pick(rng, theirs, int(rng.integers(1, 4)), students_used)
        if not moved:
            continue
        tm = ctx.table("TeamMember")
        ctx.replace("TeamMember", tm.with_columns(staffPersonID=pl.when(
            active_cm & pl.col("personID").is_in(moved)).then(pl.lit(gone[0], pl.Int64))
            .otherwise(pl.col("staffPersonID"))))
        p.record("Q-K1", {"personID": gone[0]})
    # Q-K3: a case manager gets a counted general-population student on the caseload
    general = _ids(attr.filter(pl.col("dis_sec").is_null() & pl.col("staffPersonID")
                               .is_null()), "personID")
    for mgr in _pick(rng, cms, p.how_many(rng, "Q-K3", len(cms)), cm_used):
        who = _pick(rng, general, 1, students_used)
        if not who:
            continue
        ctx.add("TeamMember", pl.DataFrame({
            "personID": who, "staffPersonID": [mgr], "role": ["Case Manager"],
            "startDate": [ctx.plan.snapshot_date.replace(day=1)], "endDate": [None],
            "teamMemberID": ctx.ids.take("TeamMember", 1)},
            schema_overrides={"endDate": pl.Date}))
        p.record("Q-K3", {"personID": mgr})
    # Q-K2: counted students with a disability lose their case manager
    gone_cm = _pick(rng, pool, n_k2, students_used)
    if gone_cm:
        tm = ctx.table("TeamMember")
        ctx.replace("TeamMember", tm.filter(~(active_cm & pl.col("personID").is_in(gone_cm))))
    for pid in gone_cm:
        p.record("Q-K2", {"personID": pid})


# ---- KIAS ------------------------------------------------------------------------------


def _plant_kias(ctx: SchoolContext, p: Planter) -> None:
    """V1/V2: a weapon resolution whose firearm discipline method does not fit the student's
    IDEA status (or is missing), on a student the extract's filters keep."""
    res = ctx.table("BehaviorResolution")
    if not res.height:
        return
    rng = ctx.rng
    ok = res.filter(pl.col("_involved") & pl.col("_cm") & pl.col("_stable"))
    changes: dict[int, str | None] = {}
    for rule, idea, wrong in (("V1", True, [None, "7", "11", "0"]),
                              ("V2", False, [None, "4", "1", "13"])):
        pool = _ids(ok.filter(pl.col("_idea") == idea), "resolutionID")
        for rid in _pick(rng, pool, p.how_many(rng, rule, len(pool)), set()):
            changes[rid] = wrong[int(rng.integers(0, len(wrong)))]
            p.record(rule, {"resolutionID": rid})
    if changes:
        m = pl.DataFrame({"resolutionID": list(changes), "_new": list(changes.values())},
                         schema={"resolutionID": pl.Int64, "_new": pl.Utf8})
        res = res.join(m, on="resolutionID", how="left", maintain_order="left").with_columns(
            altPlacement=pl.when(pl.col("resolutionID").is_in(list(changes))).then(
                pl.col("_new")).otherwise(pl.col("altPlacement"))).drop("_new")
        ctx.replace("BehaviorResolution", res)


# ---- integrity -------------------------------------------------------------------------

ORPHANS = (("Roster", "sectionID"), ("Enrollment", "calendarID"),
           ("TeamMember", "staffPersonID"), ("Roster", "personID"),
           ("GiftedTalented", "personID"), ("BehaviorRole", "eventID"))
REVERSED = ("Enrollment", "Roster", "Plan", "Lep", "GiftedTalented", "TeamMember")
KEYS = {"Roster": "rosterID", "Enrollment": "enrollmentID", "TeamMember": "teamMemberID",
        "GiftedTalented": "gtID", "BehaviorRole": "roleID", "Plan": "planID", "Lep": "lepID"}


def plant_integrity(ctx: SchoolContext, st: Students, p: Planter) -> None:
    """Extra rows that integrity warns about and drops: pointing at nothing, or ending
    before they start. Being extra, dropping them leaves the clean data unchanged."""
    rng = ctx.rng
    stable = np.flatnonzero(st.stable)
    if not len(stable):
        return
    # extra rows copy the school's own rows, never an extra row made here
    base_rows = {t: ctx.table(t) for t in ("Roster", "BehaviorRole", "Enrollment")}
    n = p.how_many(rng, "orphan", base_rows["Roster"].height)
    first = len(p.planted["orphan"])
    turns = [ORPHANS[(first + i) % len(ORPHANS)] for i in range(n)]
    for table, col in ORPHANS:
        rows = _extra_rows(ctx, st, table, stable, turns.count((table, col)), base_rows)
        if rows is None:
            continue
        key = KEYS[table]
        rows = rows.with_columns((pl.col(key) + BOGUS).alias(col))
        ctx.add(table, rows)
        for k in rows[key].to_list():
            p.record("orphan", {"table": table, "column": col, "key": {key: k}})
    n = p.how_many(rng, "end_before_start", st.n)
    first = len(p.planted["end_before_start"])
    turns_r = [REVERSED[(first + i) % len(REVERSED)] for i in range(n)]
    base = ctx.regular.year.start
    for table in REVERSED:
        rows = _extra_rows(ctx, st, table, stable, turns_r.count(table), base_rows)
        if rows is None:
            continue
        s, e = ("identifiedDate", "exitDate") if table == "Lep" else ("startDate", "endDate")
        rows = rows.with_columns((pl.lit(base, pl.Date) + pl.duration(days=20)).alias(e),
                                 (pl.lit(base, pl.Date) + pl.duration(days=30)).alias(s))
        ctx.add(table, rows)
        key = KEYS[table]
        for k in rows[key].to_list():
            p.record("end_before_start", {"table": table, "key": {key: k}})


def _extra_rows(ctx: SchoolContext, st: Students, table: str, stable: np.ndarray, k: int,
                base_rows: dict[str, pl.DataFrame]) -> pl.DataFrame | None:
    """`k` new rows of `table` about stable students, each with a fresh key."""
    if k <= 0:
        return None
    rng = ctx.rng
    idx = rng.choice(stable, k)
    pid = st.person_id[idx]
    new = pl.Series(KEYS[table], ctx.ids.take(table, k))
    seed = int(rng.integers(0, 2**31))
    start = ctx.regular.year.start
    if table in ("Roster", "BehaviorRole"):
        src = base_rows[table]
        if not src.height:
            return None
        rows = src.sample(k, with_replacement=True, seed=seed).with_columns(new)
        if table == "Roster":
            return rows.with_columns(endDate=pl.lit(None, pl.Date))
        return rows.with_columns(role=pl.lit("Witness"), injury=pl.lit(None, pl.Utf8))
    if table == "Enrollment":
        return pl.DataFrame({"enrollmentID": st.enrollment_id[idx]}).join(
            base_rows["Enrollment"], on="enrollmentID", maintain_order="left").with_columns(
            new, serviceType=pl.lit("S"))
    if table == "TeamMember":
        couns = ctx.table("_Staff").filter(pl.col("_role") == "counselor")["personID"][0]
        return pl.DataFrame({"personID": pid, "staffPersonID": couns, "role": "Counselor",
                             "startDate": start, "endDate": None, "teamMemberID": new},
                            schema_overrides={"endDate": pl.Date})
    if table == "GiftedTalented":
        return pl.DataFrame({"gtID": new, "personID": pid, "category": "Creativity",
                             "startDate": start, "endDate": None},
                            schema_overrides={"endDate": pl.Date})
    if table == "Plan":
        return pl.DataFrame({"planID": new, "personID": pid, "planType": "504",
                             "startDate": None, "endDate": None, "locked": 0},
                            schema_overrides={"startDate": pl.Date, "endDate": pl.Date,
                                              "locked": pl.Int8})
    if table == "Lep":
        return pl.DataFrame({"lepID": new, "personID": pid, "programStatus": "Exited EL",
                             "identifiedDate": None, "exitDate": None},
                            schema_overrides={"identifiedDate": pl.Date, "exitDate": pl.Date})
    return None
