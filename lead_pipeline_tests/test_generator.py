"""The district generator (lead_pipeline.lib.generator).

The contract checked here: with every problem rate at zero no error-level rule of lead.md §5 /
kias.md §7 fires and the snapshot has no orphan ids or reversed intervals; with rates set,
every planted record is found by its rule. The rules are recomputed below from the written
CSVs by a small independent reading of lead.md L-1…L-23 and kias.md §2.2/§3.3/§7, so a
generator change that breaks the contract fails here, not in the reports.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import polars as pl
import pytest

from lead_pipeline.lib.codes import load_codes
from lead_pipeline.lib.generator import ERROR_RULES, RULES, ProblemRates, generate
from lead_pipeline.lib.generator.discipline import STATE_RES
from lead_pipeline.lib.snapshot.schema import TABLE_BY_NAME, TABLES, Kind

STUDENTS, SCHOOLS = 1200, 3


# ---- fixtures ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("clean")
    generate(out, STUDENTS, 7, rates=ProblemRates.zero(), schools=SCHOOLS)
    return out


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("planted")
    generate(out, STUDENTS, 7, rates=ProblemRates.default(), schools=SCHOOLS)
    return out


# ---- reading the snapshot back ------------------------------------------------------------


def read_raw(folder: Path, name: str) -> pl.DataFrame:
    return pl.read_csv(folder / f"{name}.csv", infer_schema=False)


def read_typed(folder: Path) -> dict[str, pl.DataFrame]:
    """Every table typed as schema.py declares (the reader's job, redone minimally)."""
    out = {}
    for t in TABLES:
        df = read_raw(folder, t.name)
        exprs = []
        for c in t.columns:
            e = pl.col(c.name)
            if c.kind is Kind.INT:
                e = e.cast(pl.Int64)
            elif c.kind is Kind.DATE:
                e = e.str.to_date("%Y-%m-%d")
            elif c.kind is Kind.FLAG:
                e = e.cast(pl.Int8).fill_null(0)
            exprs.append(e)
        out[t.name] = df.with_columns(exprs)
    return out


def orphans(db: dict[str, pl.DataFrame]) -> dict[tuple[str, str], int]:
    """(table, column) -> rows whose id finds no row in the table it points at."""
    found = {}
    for t in TABLES:
        for col in t.references:
            target = TABLE_BY_NAME[col.references]  # type: ignore[index]
            keys = db[target.name][target.key[0] if col.references != "Person"
                                   else "personID"]
            bad = db[t.name].filter(pl.col(col.name).is_not_null() &
                                    ~pl.col(col.name).is_in(keys.implode()))
            if bad.height:
                found[(t.name, col.name)] = bad.height
    return found


def reversed_rows(db: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    out = {}
    for t in TABLES:
        if t.interval:
            s, e = t.interval
            bad = db[t.name].filter(pl.col(e) < pl.col(s))
            if bad.height:
                out[t.name] = bad
    return out


def drop_integrity(db: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """snapshot.md "Warns and leaves the row out": reversed rows, then orphans in
    reference order (a roster of a dropped section is dropped too)."""
    from lead_pipeline.lib.snapshot.schema import reference_order

    db = dict(db)
    for t in TABLES:
        if t.interval:
            s, e = t.interval
            db[t.name] = db[t.name].filter(~(pl.col(e) < pl.col(s)).fill_null(False))
    for t in reference_order():
        df = db[t.name]
        for col in t.references:
            target = TABLE_BY_NAME[col.references]  # type: ignore[index]
            key = "personID" if target.name == "Person" else target.key[0]
            df = df.filter(pl.col(col.name).is_null() |
                           pl.col(col.name).is_in(db[target.name][key].implode()))
        db[t.name] = df
    return db


# ---- the rules, recomputed -------------------------------------------------------------------


def active_on(start: str, end: str, day: pl.Expr) -> pl.Expr:
    return (pl.col(start).is_null() | (pl.col(start) <= day)) & \
        (pl.col(end).is_null() | (pl.col(end) >= day))


def overlaps(start: str, end: str, w0: dt.date, w1: dt.date) -> pl.Expr:
    return (pl.col(start).is_null() | (pl.col(start) <= w1)) & \
        (pl.col(end).is_null() | (pl.col(end) >= w0))


def findings(folder: Path) -> dict[str, set[tuple]]:
    """Every rule of lead.md §5 and kias.md §7 over the snapshot, at its finding grain."""
    ref = load_codes()
    man = json.loads((folder / "manifest.json").read_text())
    year = int(man["endYear"])
    snap = dt.date.fromisoformat(man["snapshotDate"])
    w0, w1 = dt.date(year - 1, 7, 1), dt.date(year, 6, 30)
    db = drop_integrity(read_typed(folder))
    school = db["School"].with_columns(
        incl=pl.col("stateClassification").is_in(list(ref.included_classifications)))
    cal = db["Calendar"].join(school.select("schoolID", "incl", snum="number",
                                            cls="stateClassification"), on="schoolID")
    lead_cal = cal.filter(pl.col("incl") & (pl.col("endYear") == year) &
                          (pl.col("summerSchool") == 0))
    # L-4 / L-5 sections
    sec = db["Section"].join(db["Course"].filter(pl.col("active") == 1).select(
        "courseID", "calendarID", code="stateCode"), on="courseID").join(
        lead_cal.select("calendarID", "schoolID", "snum", "cls"), on="calendarID").join(
        db["Trial"].filter(pl.col("active") == 1).select("trialID"), on="trialID")
    pl_terms = db["SectionPlacement"].join(db["Term"].select("termID", ts="startDate",
                                                             te="endDate"), on="termID")
    dates = sec.select("sectionID", "trialID").join(pl_terms, on=["sectionID", "trialID"]) \
        .group_by("sectionID").agg(S=pl.col("ts").min(), D=pl.col("te").max(),
                                   ok=(pl.col("ts").is_not_null() & pl.col("te")
                                       .is_not_null()).all())
    sec = sec.join(dates.filter("ok"), on="sectionID")
    # L-6 / L-7 counted students
    r = db["Roster"].join(sec.select("sectionID", "trialID", "calendarID", "S", "D"),
                          on=["sectionID", "trialID"])
    r = r.filter((pl.coalesce("startDate", "S") <= pl.col("D")) &
                 (pl.coalesce("endDate", "D") >= pl.col("D")))
    enr = db["Enrollment"].filter(pl.col("noShow") == 0).select(
        "enrollmentID", "personID", "calendarID", es="startDate", ee="endDate",
        svc=pl.col("serviceType").replace_strict({"P": 1, "S": 2, "N": 3}, default=9),
        dis="disability1")
    c = r.join(enr, on=["personID", "calendarID"]).filter(active_on("es", "ee", pl.col("D")))
    c = c.sort(["es", "svc", "enrollmentID"], descending=[True, False, True],
               nulls_last=True).unique(["sectionID", "personID"], keep="first")
    plan = db["Plan"]

    def has_plan(df: pl.DataFrame, cond: pl.Expr, name: str, day: str = "D") -> pl.DataFrame:
        hit = df.select("sectionID", "personID", day).join(plan.filter(cond), on="personID") \
            .filter(active_on("startDate", "endDate", pl.col(day))).select(
            "sectionID", "personID").unique().with_columns(pl.lit(True).alias(name))
        return df.join(hit, on=["sectionID", "personID"], how="left").with_columns(
            pl.col(name).fill_null(False))

    c = has_plan(c, (pl.col("planType") == "IEP") & (pl.col("locked") == 1), "iep")
    c = has_plan(c, pl.col("planType") == "ILPA", "ilpa")
    c = c.with_columns(dis_sec=pl.when("iep").then("dis")).join(
        sec.select("sectionID", "specialType", "schoolID", "cls"), on="sectionID")
    # L-20 active staff
    emp = db["Employment"].filter(pl.col("districtID") == db["District"]["districtID"][0])
    emp_w = emp.filter(overlaps("startDate", "endDate", w0, w1))
    asg_w = db["EmploymentAssignment"].filter(overlaps("startDate", "endDate", w0, w1))
    active = asg_w.select("personID", "schoolID").unique().join(
        emp_w.select("personID").unique(), on="personID")
    # L-22 primary teacher
    ssh = db["SectionStaffHistory"].filter(pl.col("staffType") == "P").join(
        sec.select("sectionID", "trialID", "D"), on=["sectionID", "trialID"])
    ssh = ssh.with_columns(on_d=active_on("startDate", "endDate", pl.col("D")))
    prim = ssh.sort(["on_d", "startDate", "personID"], descending=True,
                    nulls_last=True).unique("sectionID", keep="first").select(
        "sectionID", teacher="personID")
    sec = sec.join(prim, on="sectionID", how="left").join(
        active.with_columns(act=pl.lit(True)), left_on=["teacher", "schoolID"],
        right_on=["personID", "schoolID"], how="left").with_columns(
        pl.col("act").fill_null(False))
    placeholder, required = set(ref.placeholder_courses), set(ref.content_required_courses)
    tot = c.group_by("sectionID").agg(total=pl.len(), general=pl.col("dis_sec").is_null().sum(),
                                      bare=(~pl.col("ilpa") & ~pl.col("iep")).any())
    sec = sec.join(tot, on="sectionID", how="left").with_columns(
        pl.col("total", "general").fill_null(0), pl.col("bare").fill_null(False))
    emp_ids = set(emp_w["personID"].to_list())
    f: dict[str, set[tuple]] = {k: set() for k in RULES}

    def sec_rule(rule: str, cond: pl.Expr) -> None:
        f[rule] = {(x,) for x in sec.filter(cond)["sectionID"].to_list()}

    no_t = pl.col("teacher").is_null()
    sec_rule("Q-C1", ~no_t & ~pl.col("act"))
    sec_rule("Q-C2", no_t)
    sec_rule("Q-C3", no_t & pl.col("code").is_in(list(placeholder)))
    sec_rule("Q-C4", no_t & (pl.col("teachingMethod") == "12"))
    sec_rule("Q-C5", pl.col("total") == 0)
    sec_rule("Q-C6", pl.col("code").is_in(list(required)) & pl.col("coreContent").is_null())
    sec_rule("Q-C7", pl.col("coreContent") == "507")
    sec_rule("Q-C8", pl.col("coreContent") == "509")
    sec_rule("Q-C9", (pl.col("specialType") == "05") & (pl.col("general") > 0))
    sec_rule("Q-C10", (pl.col("specialType") == "05") &
             (pl.col("general") * 4 > pl.col("total")))
    sec_rule("Q-C11", (pl.col("specialType") == "02") & ~pl.col("cls").is_in(["A5", "A6"]))
    sec_rule("Q-C12", (pl.col("specialType") == "02") & pl.col("bare"))
    f["Q-I1"] = {(s, t) for s, t, a in sec.select("sectionID", "teacher", "act").iter_rows()
                 if t is not None and not a and t in emp_ids}
    # Staff report
    snum = dict(school.select("schoolID", "number").iter_rows())
    staff = asg_w.join(school.filter("incl").select("schoolID"), on="schoolID").join(
        emp_w.select("personID").unique(), on="personID")
    open_emp = emp.filter(pl.col("endDate").is_null()).sort("startDate", descending=True) \
        .unique("personID", keep="first").select("personID", lic="licenseNumber")
    closed = emp_w.sort("startDate", descending=True).unique("personID", keep="first") \
        .select("personID", lic2="licenseNumber")
    staff = staff.join(open_emp, on="personID", how="left").join(closed, on="personID",
                                                                  how="left")
    has_open = set(open_emp["personID"].to_list())
    staff = staff.with_columns(epsb=pl.when(pl.col("personID").is_in(list(has_open)))
                               .then("lic").otherwise("lic2"))

    def staff_rule(rule: str, cond: pl.Expr) -> None:
        f[rule] = {(p, snum[s]) for p, s in staff.filter(cond).select(
            "personID", "schoolID").iter_rows()}

    staff_rule("Q-S1", pl.col("epsb").is_null() & pl.col("type").is_in(
        list(ref.certified_types)))
    staff_rule("Q-S2", pl.col("type") == "05")
    staff_rule("Q-S3", pl.col("type").is_in(["04", "07"]) & (pl.col("teacher") == 1))
    staff_rule("Q-I2", pl.col("type").is_null())
    # Caseload and Schoolwide (attribute rows)
    person = db["Person"].select("personID", "stateID")
    cs = c.join(person, on="personID").filter(pl.col("stateID").is_not_null())
    attr = cs.sort(["D", "enrollmentID", "sectionID"], descending=[True, True, False]) \
        .unique("personID", keep="first")
    tm = db["TeamMember"].filter((pl.col("role") == "Case Manager") &
                                 active_on("startDate", "endDate", pl.lit(snap)))
    cm = tm.sort(["startDate", "teamMemberID"], descending=True, nulls_last=True) \
        .unique("personID", keep="first").select("personID", cm="staffPersonID")
    attr = attr.join(cm, on="personID", how="left")
    load = attr.filter(pl.col("cm").is_not_null() | pl.col("dis_sec").is_not_null())
    any_staff = set(active["personID"].to_list())
    f["Q-K1"] = {(m,) for m in load["cm"].drop_nulls().unique().to_list()
                 if m not in any_staff}
    f["Q-K2"] = {(p,) for p in load.filter(pl.col("cm").is_null())["personID"].to_list()}
    f["Q-K3"] = {(m,) for m in load.filter(pl.col("dis_sec").is_null())["cm"]
                 .drop_nulls().unique().to_list()}
    # Schoolwide: attribute rows within each A5/A6 school
    alt = cs.filter(pl.col("cls").is_in(["A5", "A6"]))
    alt_attr = alt.sort(["D", "enrollmentID", "sectionID"], descending=[True, True, False]) \
        .unique(["schoolID", "personID"], keep="first")
    f["Q-W1"] = {(snum[s],) for s in alt_attr.filter(~pl.col("ilpa") & ~pl.col("iep"))[
        "schoolID"].unique().to_list()}
    f.update(kias_findings(db, year))
    return f


def kias_findings(db: dict[str, pl.DataFrame], year: int) -> dict[str, set[tuple]]:
    """kias.md §7 V1/V2 on the population of §2.2 (students passing incident/enrollment)."""
    w0, w1 = dt.date(year - 1, 7, 1), dt.date(year, 6, 30)
    inc = db["BehaviorIncident"].filter(pl.col("status") == "CM").with_columns(
        d=pl.col("timestamp").str.slice(0, 10).str.to_date("%Y-%m-%d")).filter(
        pl.col("d").is_between(w0, w1)).join(db["Calendar"].select(
            "calendarID", "schoolID"), on="calendarID")
    roles = db["BehaviorRole"].join(db["BehaviorEvent"].select("eventID", "incidentID"),
                                    on="eventID").join(inc.select("incidentID", "d",
                                                                  "schoolID"), on="incidentID")
    cal = db["Calendar"].filter(pl.col("endYear") == year)
    gl = db["GradeLevel"].select("calendarID", grade="name", gx="exclude")
    enr = db["Enrollment"].join(cal.select("calendarID", "schoolID", cx="exclude"),
                                on="calendarID").join(gl, on=["calendarID", "grade"],
                                                      how="left")
    enr = enr.filter((pl.col("stateExclude") == 0) & (pl.col("noShow") == 0) &
                     (pl.col("cx") == 0) & (pl.col("gx").fill_null(0) == 0))
    ok = roles.join(enr.select("personID", "schoolID", "startDate", "endDate"),
                    on=["personID", "schoolID"]).filter(
        (pl.col("startDate") <= pl.col("d")) &
        (pl.col("endDate").is_null() | (pl.col("endDate") >= pl.col("d")))).select(
        "eventID", "personID").unique()
    firearm = db["BehaviorWeapon"].filter(pl.col("weaponCode").is_in(
        ["100", "200", "300", "400", "500"])).join(roles.select("roleID", "eventID",
                                                                "personID"), on="roleID")
    inv = firearm.select("eventID", "personID").unique().join(ok, on=["eventID", "personID"])
    res = db["BehaviorResolution"].join(roles.select("roleID", "eventID", "personID", "d"),
                                        on="roleID").join(inv, on=["eventID", "personID"])
    iep = db["Plan"].filter((pl.col("planType") == "IEP") & (pl.col("locked") == 1)).select(
        "personID", "startDate", "endDate")
    sped = db["SpecialEDState"].filter(pl.col("primaryDisability").is_not_null()).select(
        "personID", "startDate", "endDate")
    idea = res.select("resolutionID", "personID", "d").join(
        pl.concat([iep, sped]), on="personID").filter(
        active_on("startDate", "endDate", pl.col("d")))["resolutionID"].unique()
    res = res.with_columns(idea=pl.col("resolutionID").is_in(idea.implode()),
                           m=pl.col("altPlacement").cast(pl.Int64, strict=False))
    v1 = res.filter(pl.col("idea") & ~pl.col("m").is_between(1, 5).fill_null(False))
    v2 = res.filter(~pl.col("idea") & ~pl.col("m").is_between(6, 12).fill_null(False))
    return {"V1": {(x,) for x in v1["resolutionID"].to_list()},
            "V2": {(x,) for x in v2["resolutionID"].to_list()}}


def planted_sets(folder: Path) -> dict[str, set[tuple]]:
    data = json.loads((folder / "planted.json").read_text())["planted"]
    return {rule: {tuple(e.values()) if rule not in ("orphan", "end_before_start")
                   else (e["table"], *e["key"].values()) for e in entries}
            for rule, entries in data.items()}


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.iterdir())}


# ---- tests ----------------------------------------------------------------------------------


def test_same_seed_gives_identical_bytes_and_another_seed_differs(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    generate(a, 700, 3, schools=2)
    generate(b, 700, 3, schools=2)
    generate(c, 700, 4, schools=2)
    assert _digest(a) == _digest(b)
    differs = {k for k, v in _digest(c).items() if _digest(a)[k] != v}
    assert {"Person.csv", "Roster.csv", "Identity.csv"} <= differs


def test_every_schema_table_is_written_with_its_columns_in_order(planted: Path) -> None:
    for t in TABLES:
        header = (planted / f"{t.name}.csv").read_bytes().split(b"\n", 1)[0].decode()
        assert header == ",".join(t.column_names), t.name
        assert read_raw(planted, t.name).height > 0, f"{t.name} has no rows"
    man = json.loads((planted / "manifest.json").read_text())
    assert man == {"snapshotDate": "2026-11-21", "endYear": 2027, "state": "KY",
                   "districtNumber": "165", "format": "csv"}
    assert read_raw(planted, "District")["number"].to_list() == ["165"]
    ecc = read_raw(planted, "EventCodeCategory")
    ref = pl.read_csv(Path(__file__).parents[1] / "data/reference/event_code_category.csv",
                      infer_schema=False)
    assert ecc.equals(ref)


def test_csv_text_is_utf8_lf_quoted_and_codes_keep_leading_zeros(planted: Path) -> None:
    raw = (planted / "Identity.csv").read_bytes()
    assert b"\r" not in raw
    raw.decode("utf-8")
    ident = read_raw(planted, "Identity")
    last = set(ident["lastName"].to_list()) | set(ident["firstName"].to_list())
    assert {"Smith, Jr.", 'Ramírez "Ray"', "=Cole", "+Hart", "Zoë", "Óscar"} <= last
    assert b'"Smith, Jr."' in raw and b'"Ram\xc3\xadrez ""Ray"""' in raw
    school = read_raw(planted, "School")
    assert all(len(n) == 3 and n.isdigit() for n in school["number"])
    assert "005" in school["number"].to_list()
    sid = read_raw(planted, "Person")["stateID"].drop_nulls()
    assert sid.str.len_chars().eq(10).all() and sid.str.starts_with("0").any()
    codes = read_raw(planted, "Course")["stateCode"]
    assert codes.str.len_chars().eq(6).all() and "040101" in codes.to_list()
    flags = read_raw(planted, "Enrollment")["noShow"].unique().to_list()
    assert set(flags) <= {"0", "1"}
    ts = read_raw(planted, "BehaviorIncident")["timestamp"]
    assert ts.str.contains(r"^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}(:\d{2})?)?$").all()
    times = read_raw(planted, "BehaviorResolution")["startTime"].drop_nulls()
    assert times.str.contains(r"^\d{2}:\d{2}$").all()


def test_zero_rates_have_no_orphans_reversed_dates_or_duplicate_keys(clean: Path) -> None:
    db = read_typed(clean)
    assert orphans(db) == {}
    assert reversed_rows(db) == {}
    for t in TABLES:
        assert db[t.name].height == db[t.name].unique(list(t.key)).height, t.name
    assert all(v == [] for v in json.loads((clean / "planted.json").read_text())[
        "planted"].values())


def test_zero_rates_fire_no_error_rule(clean: Path) -> None:
    f = findings(clean)
    fired = {r: sorted(f[r])[:3] for r in ERROR_RULES if f[r]}
    assert fired == {}
    # review rules the generator only makes when planting stay quiet too
    quiet = ("Q-C3", "Q-C4", "Q-C7", "Q-C8", "Q-C9", "Q-C11", "Q-C12", "Q-S2", "Q-S3", "Q-K3",
             "Q-W1")
    assert {r: f[r] for r in quiet if f[r]} == {}


def test_zero_rates_spot_checks_of_staff_records(clean: Path) -> None:
    """Cheap direct checks (L-20, L-21, Q-S1, Q-I2) without the rule reimplementation."""
    db = read_typed(clean)
    emp, asg = db["Employment"], db["EmploymentAssignment"]
    certified = asg.filter(pl.col("type").is_in(["01", "02", "03", "06"]))
    lic = emp.filter(pl.col("personID").is_in(certified["personID"].implode()))
    assert lic["licenseNumber"].null_count() == 0
    assert lic["licenseNumber"].str.contains(r"^\d{6}$").all()
    assert asg["type"].null_count() == 0
    # every included section's current primary teacher is employed and assigned there
    cal = db["Calendar"].filter((pl.col("endYear") == 2027) & (pl.col("summerSchool") == 0))
    a1 = db["School"].filter(pl.col("stateClassification") == "A1")
    inc = db["Section"].join(db["Course"].select("courseID", "calendarID"), on="courseID") \
        .join(cal.select("calendarID", "schoolID"), on="calendarID") \
        .join(a1.select("schoolID"), on="schoolID")
    p = db["SectionStaffHistory"].filter((pl.col("staffType") == "P") &
                                         pl.col("endDate").is_null())
    pairs = inc.select("sectionID", "schoolID").join(p, on="sectionID")
    assert pairs.join(asg, on=["personID", "schoolID"], how="anti").height == 0
    assert pairs.join(emp, on="personID", how="anti").height == 0


def test_every_planted_problem_is_found_by_its_rule(planted: Path) -> None:
    p = planted_sets(planted)
    assert {r for r in RULES if not p.get(r)} == set(), "a rule got no planted record"
    f = findings(planted)
    for rule in RULES:
        if rule in ("orphan", "end_before_start"):
            continue
        assert p[rule] <= f[rule], (rule, sorted(p[rule] - f[rule])[:5])
        if rule in ERROR_RULES:  # and nothing else fires at error level
            assert f[rule] == p[rule], (rule, sorted(f[rule] - p[rule])[:5])


def test_planted_orphans_and_reversed_rows_really_are(planted: Path) -> None:
    db = read_typed(planted)
    data = json.loads((planted / "planted.json").read_text())["planted"]
    for e in data["orphan"]:
        (key, value), = e["key"].items()
        row = db[e["table"]].filter(pl.col(key) == value)
        assert row.height == 1
        target = TABLE_BY_NAME[e["table"]].column_by_name[e["column"]].references
        tkey = "personID" if target == "Person" else TABLE_BY_NAME[target].key[0]
        assert row[e["column"]][0] not in db[target][tkey].to_list()
    for e in data["end_before_start"]:
        (key, value), = e["key"].items()
        s, end = TABLE_BY_NAME[e["table"]].interval  # type: ignore[misc]
        row = db[e["table"]].filter(pl.col(key) == value)
        assert row.height == 1 and row[end][0] < row[s][0]
    assert sum(orphans(db).values()) == len(data["orphan"])
    assert sum(v.height for v in reversed_rows(db).values()) == len(data["end_before_start"])


def test_kias_codes_and_school_classifications(planted: Path) -> None:
    rtype = read_raw(planted, "BehaviorResType")
    codes = {c for c, _ in STATE_RES}
    assert codes <= set(rtype["stateResCode"].drop_nulls().to_list())
    assert rtype["stateResCode"].null_count() >= 1  # a local type with no state code
    used = read_raw(planted, "BehaviorResolution").join(rtype, on="typeID")
    assert codes <= set(used["stateResCode"].drop_nulls().to_list())
    btype = read_raw(planted, "BehaviorType")
    ecc = read_raw(planted, "EventCodeCategory")["stateEventCode"].to_list()
    assert set(ecc) <= set(btype["stateEventCode"].drop_nulls().to_list())
    assert {"2015", "2016", "2017", "2018"} <= set(btype["incidentType"].drop_nulls())
    cls = set(read_raw(planted, "School")["stateClassification"].to_list())
    assert "A1" in cls and cls & {"A5", "A6"}
    assert cls & set(load_codes().excluded_classifications)


def test_calendars_hold_what_the_filters_must_remove(planted: Path) -> None:
    db = read_typed(planted)
    cal = db["Calendar"]
    assert cal.filter(pl.col("summerSchool") == 1).height >= 1
    assert cal.filter(pl.col("endYear") == 2026).height >= 1
    assert db["Trial"].filter(pl.col("active") == 0).height >= 1
    assert db["Term"].filter(pl.col("startDate").is_null()).height >= 1
    assert db["Course"].filter(pl.col("active") == 0).height >= 1
    placed = db["SectionPlacement"]["sectionID"].unique()
    assert db["Section"].filter(~pl.col("sectionID").is_in(placed.implode())).height >= 1
    day = db["Day"].filter(pl.col("calendarID") == cal["calendarID"][0])
    assert day.height == (cal["endDate"][0] - cal["startDate"][0]).days + 1
    assert 170 <= day["instruction"].sum() <= 185


def test_problem_rates_api() -> None:
    assert all(v == 0 for v in ProblemRates.zero().as_dict().values())
    assert all(v > 0 for v in ProblemRates.default().as_dict().values())
    assert set(ProblemRates.default().as_dict()) == set(RULES)
    r = ProblemRates.from_mapping({"Q-C1": 0.5})
    assert r["Q-C1"] == 0.5 and r["Q-C2"] == ProblemRates.default()["Q-C2"]
    with pytest.raises(ValueError, match="Q-X9"):
        ProblemRates.from_mapping({"Q-X9": 0.1})
    with pytest.raises(ValueError, match="between 0 and 1"):
        ProblemRates.from_mapping({"V1": 2})


def test_summary_reports_the_run(tmp_path: Path) -> None:
    s = generate(tmp_path / "s", 500, 1, rates=ProblemRates.zero(), schools=2,
                 end_year=2026, district_number="034", district_name="Test District")
    assert s.out == tmp_path / "s" and s.students == 500 and s.schools == 2
    assert s.planted_path == tmp_path / "s" / "planted.json" and s.planted_path.is_file()
    assert s.rows["Person"] == read_raw(s.out, "Person").height
    assert set(s.rows) == {t.name for t in TABLES}
    man = json.loads((s.out / "manifest.json").read_text())
    assert man["snapshotDate"] == "2025-11-15" and man["districtNumber"] == "034"
    enr = read_raw(s.out, "Enrollment")
    assert enr.filter(pl.col("serviceType") == "P").height >= 500


def test_incidents_per_student_sets_the_discipline_volume(tmp_path: Path) -> None:
    """--incidents 0.2 (the benchmark's discipline-heavy district): one incident per five
    students of each school, against the default 3-8%."""
    heavy = generate(tmp_path / "h", 2000, 5, rates=ProblemRates.zero(), schools=2,
                     incidents=0.2)
    usual = generate(tmp_path / "u", 2000, 5, rates=ProblemRates.zero(), schools=2)
    assert 380 <= heavy.rows["BehaviorIncident"] <= 420
    assert usual.rows["BehaviorIncident"] <= 0.08 * 2000 + 2 * 30
    offenders = read_raw(heavy.out, "BehaviorRole").filter(pl.col("role") == "Offender")
    assert offenders["personID"].n_unique() >= 0.15 * 2000
    with pytest.raises(ValueError, match=r"within 0\.\.1"):
        generate(tmp_path / "x", 100, 1, incidents=1.5)
