"""Who and what the KIAS extract reports (docs/kias.md §2): the editor parameters and the
candidate resolutions that pass the population filters.

`candidates` returns one row per resolution of a student (any role, A3) on a complete event
whose incident date lies in the window (A5), for a student with a qualifying enrollment in the
incident's school on that date (A4, §2.2 items 4-6). It keeps resolutions whose type has no
state code too (flag `qualifies` false): the extract groups only the qualifying ones (A1, A2),
while the validation rules check every resolution of the student on a weapon event (§7).
Each row carries what the columns and rules need about its event and student, so neither has
to go back to the snapshot.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import polars as pl

from lead_pipeline.lib.intervals import active_on, school_year
from lead_pipeline.lib.kias.days import RESOLUTION_COLUMNS, resolution_days
from lead_pipeline.lib.kias.reference import KiasCodes, code_text, res_code
from lead_pipeline.lib.kias.status import status_on

Tables = dict[str, pl.DataFrame]

PRIMARY_SERVICE = "P"
"""Enrollment.serviceType preferred when several enrollments qualify (§2.2, docs/kias.md
"Product decisions beyond the register")."""


@dataclass(frozen=True)
class Params:
    """The KIAS editor (§2.1). None means "not restricted" (all grades, no ad hoc filter, any
    state code), except `calendar_ids`: None means every calendar of the report year."""

    end_year: int
    start: date
    end: date
    grades: frozenset[str] | None = None
    calendar_ids: frozenset[int] | None = None
    person_ids: frozenset[int] | None = None
    """The ad hoc filter: only these students."""
    qualifying_codes: frozenset[str] | None = None
    """A2: None = any non-null state resolution code; else only these (e.g. the newer list)."""

    @classmethod
    def for_year(cls, end_year: int, *, start: date | None = None, end: date | None = None,
                 grades: Iterable[str] | None = None, calendar_ids: Iterable[int] | None = None,
                 person_ids: Iterable[int] | None = None,
                 qualifying_codes: Iterable[str] | None = None) -> Params:
        """Defaults of the refresh (docs/kias.md "Product decisions beyond the register"): July 1
        - June 30 of the report year."""
        first, last = school_year(end_year)

        def opt(values: Iterable | None) -> frozenset | None:
            return None if values is None else frozenset(values)

        return cls(end_year, start or first, end or last, opt(grades), opt(calendar_ids),
                   opt(person_ids), opt(qualifying_codes))


def incidents(tables: Tables, codes: KiasCodes, params: Params) -> pl.DataFrame:
    """§2.2 items 1-2: complete incidents with the date `d` in [start, end], and their school."""
    status = pl.col("status").str.strip_chars().str.to_uppercase()
    school = tables["Calendar"].select("calendarID", pl.col("schoolID").alias("incidentSchoolID"))
    return (tables["BehaviorIncident"]
            .select("incidentID", "calendarID", pl.col("timestamp").cast(pl.Date).alias("d"),
                    status.alias("status"), code_text(pl.col("context")).alias("context"),
                    code_text(pl.col("location")).alias("location"))
            .filter(pl.col("status").is_in(codes.complete_statuses),
                    pl.col("d").is_between(params.start, params.end))
            .join(school, on="calendarID", how="left")
            .drop("calendarID", "status"))


def events(tables: Tables, codes: KiasCodes, params: Params,
           categories: pl.DataFrame) -> pl.DataFrame:
    """Events of those incidents with their classifiers: bullying (§3.2, A6), drug and weapon
    from the event's state event code (§3.5, A27), injury from any role of the event (A28),
    and the violence indicator (A32)."""
    kind = tables["BehaviorType"].select(
        pl.col("typeID"), code_text(pl.col("stateEventCode")).alias("stateEventCode"),
        code_text(pl.col("incidentType")).alias("incidentType"))
    injured = (tables["BehaviorRole"]
               .filter(code_text(pl.col("injury")).is_in(codes.injury_codes))
               .select("eventID").unique().with_columns(pl.lit(True).alias("injury")))
    return (tables["BehaviorEvent"]
            .join(incidents(tables, codes, params), on="incidentID")
            .join(kind, on="typeID", how="left")
            .join(categories, on="stateEventCode", how="left")
            .join(injured, on="eventID", how="left")
            .select("eventID", "incidentID", "d", "incidentSchoolID", "context", "location",
                    "stateEventCode", "incidentType",
                    pl.col("incidentType").is_in(list(codes.bullying)).fill_null(False)
                    .alias("bullying"),
                    (pl.col("category") == "drug").fill_null(False).alias("drug"),
                    (pl.col("category") == "weapon").fill_null(False).alias("weapon"),
                    pl.col("injury").fill_null(False),
                    pl.col("victimReferral").fill_null(False).alias("violence")))


def enrollments(tables: Tables, params: Params) -> pl.DataFrame:
    """Enrollments that may qualify, before the date test (§2.2 items 4-6): in a selected
    calendar, not State Exclude / No Show, grade level and calendar not excluded, in a selected
    grade. A grade name with no GradeLevel row is not excluded."""
    calendar = tables["Calendar"].select("calendarID", "schoolID", "endYear",
                                         pl.col("exclude").alias("calendarExclude"))
    selected = (pl.col("calendarID").is_in(sorted(params.calendar_ids))
                if params.calendar_ids is not None else pl.col("endYear") == params.end_year)
    grade = tables["GradeLevel"].select("calendarID", pl.col("name").alias("grade"),
                                        pl.col("exclude").alias("gradeExclude"))
    enr = (tables["Enrollment"]
           .join(calendar, on="calendarID")
           .filter(selected)
           .join(grade, on=["calendarID", "grade"], how="left")
           .filter(~pl.col("stateExclude").fill_null(False), ~pl.col("noShow").fill_null(False),
                   ~pl.col("gradeExclude").fill_null(False),
                   ~pl.col("calendarExclude").fill_null(False)))
    if params.grades is not None:
        enr = enr.filter(pl.col("grade").is_in(sorted(params.grades)))
    return enr.select("enrollmentID", "personID", "calendarID", "schoolID", "grade",
                      "startDate", "endDate", "serviceType")


def qualifying(student_events: pl.DataFrame, enr: pl.DataFrame) -> pl.DataFrame:
    """One enrollment per (student, event) active on `d` in the incident's school (A4): the
    primary one first, then the highest enrollmentID (its calendar counts the school days)."""
    return (student_events
            .join(enr, left_on=["personID", "incidentSchoolID"],
                  right_on=["personID", "schoolID"])
            .filter(active_on("d"))
            .sort(pl.col("serviceType") != PRIMARY_SERVICE, pl.col("enrollmentID"),
                  descending=[False, True], nulls_last=True)
            .unique(["personID", "eventID"], keep="first", maintain_order=True)
            .select("personID", "eventID", "enrollmentID", "calendarID", "grade"))


def weapon_codes(tables: Tables, codes: KiasCodes, roles: pl.DataFrame) -> pl.DataFrame:
    """WCODES(P,E) (§3.8, A20): distinct codes of the weapon table (100-500) on any of the
    student's participant records in the event, sorted."""
    weapon = code_text(pl.col("weaponCode"))
    return (tables["BehaviorWeapon"]
            .filter(weapon.is_in(list(codes.weapon_output)))
            .join(roles.select("roleID", "personID", "eventID"), on="roleID")
            .group_by("personID", "eventID")
            .agg(code_text(pl.col("weaponCode")).unique().sort().alias("weaponCodes")))


def candidates(tables: Tables, codes: KiasCodes, params: Params,
               categories: pl.DataFrame) -> pl.DataFrame:
    """Every resolution the extract and the validation rules look at, one row each, sorted by
    resolutionID (see the module doc)."""
    ev = events(tables, codes, params, categories)
    roles = tables["BehaviorRole"].select("roleID", "eventID", "personID", "role").join(
        ev.select("eventID"), on="eventID")
    if params.person_ids is not None:
        roles = roles.filter(pl.col("personID").is_in(sorted(params.person_ids)))
    student_events = roles.select("personID", "eventID").unique().join(
        ev.select("eventID", "d", "incidentSchoolID"), on="eventID")
    qual = qualifying(student_events, enrollments(tables, params))
    roles = roles.join(qual.select("personID", "eventID"), on=["personID", "eventID"])

    rescode = tables["BehaviorResType"].select(
        pl.col("typeID").alias("resTypeID"), res_code(pl.col("stateResCode")).alias(
            "stateResCode"))
    res = (tables["BehaviorResolution"].rename({"typeID": "resTypeID"})
           .join(roles.select("roleID", "personID", "eventID", "role"), on="roleID")
           .join(qual, on=["personID", "eventID"])
           .join(rescode, on="resTypeID", how="left")
           .sort("resolutionID"))
    res = res.with_columns(resolution_days(res.select(RESOLUTION_COLUMNS), tables["Day"], codes))

    felony_referrals = [k for k, v in codes.referral.items() if v == "felony"]
    res = res.with_columns(
        code_text(pl.col("lawEnforcement"), 2).alias("lawEnforcement"),
        pl.col("auxiliaryCode").fill_null(False).alias("arrest"),
        code_text(pl.col("altPlacement")).alias("altPlacement"),
    ).with_columns(
        pl.col("altPlacement").cast(pl.Int64, strict=False).alias("method"),
        (pl.col("stateResCode").is_not_null() if params.qualifying_codes is None else
         pl.col("stateResCode").is_in(sorted(params.qualifying_codes)).fill_null(False)
         ).alias("qualifies"),
        # FEL_SE of col 41 (A31): any resolution of the student on the event, felony code or
        # felony referral, whatever its own code
        (pl.col("stateResCode").is_in(list(codes.felony_codes))
         | pl.col("lawEnforcement").is_in(felony_referrals)).fill_null(False)
        .any().over("personID", "eventID").alias("felonyOnEvent"),
    )

    people = tables["Person"].select("personID", "stateID")
    schools = tables["School"].select(pl.col("schoolID").alias("incidentSchoolID"),
                                      pl.col("number").alias("schoolNumber"))
    status = status_on(res.join(ev.select("eventID", "d"), on="eventID"),
                       tables["Plan"], tables["SpecialEDState"], tables["FosterCare"])
    return (res
            .join(ev, on="eventID")
            .join(schools, on="incidentSchoolID", how="left")
            .join(people, on="personID", how="left")
            .join(weapon_codes(tables, codes, roles), on=["personID", "eventID"], how="left")
            .join(status, on=["personID", "d"], how="left")
            .select(
                "resolutionID", "roleID", "role", "personID", "eventID", "incidentID", "d",
                "schoolNumber", "stateID", "enrollmentID", "calendarID", "grade",
                "stateResCode", "qualifies", "dayUnits", "lawEnforcement", "arrest",
                "altPlacement", "method", "felonyOnEvent", "stateEventCode", "incidentType",
                "bullying", "drug", "weapon", "injury", "violence", "context", "location",
                pl.col("weaponCodes").fill_null(pl.lit([], dtype=pl.List(pl.String))),
                pl.col("idea").fill_null(False), pl.col("foster").fill_null(False))
            .sort("resolutionID"))
