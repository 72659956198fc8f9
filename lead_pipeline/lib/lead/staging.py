"""LEAD staging: who and what the reports count (docs/lead.md §1-§3), district-wide, pure Polars.

Every function takes snapshot frames and returns a frame; none reads files or knows Dagster.
The two staging outputs are at the end: `stg_sections` (the sections in the reports) and
`stg_section_students`, the student-per-section rows that are the Detail rows of every section:
Classes, Caseload and Schoolwide are all built from them.
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Protocol, runtime_checkable

import polars as pl

from lead_pipeline.lib.codes import Codes
from lead_pipeline.lib.intervals import active_on, overlaps, school_year

Tables = Mapping[str, pl.DataFrame]


@runtime_checkable
class RangeTables(Protocol):
    """Tables that can hand out the rows of one key range without reading the whole table
    (defs/resources.StoredTables reads them from DuckDB): `_parts` then reads the Roster a part
    at a time. A plain mapping of frames is filtered instead."""

    def rows_between(self, name: str, column: str, low: int, high: int) -> pl.DataFrame:
        """The rows of table `name` whose `column` lies in [low, high], in table order."""
        ...


@dataclass(frozen=True)
class DistrictHeader:
    """A district's header facts: what every report row starts with (End Year, District Number
    and Name, L-1) and the dates the rules are evaluated against (the school year W, the
    snapshot date)."""

    end_year: int
    snapshot_date: date
    district_id: int
    district_number: str
    district_name: str

    @property
    def window(self) -> tuple[date, date]:
        return school_year(self.end_year)


def district_header(tables: Tables, end_year: int, snapshot_date: date) -> DistrictHeader:
    """The header facts of the snapshot's one District row (L-1)."""
    district = tables["District"].row(0, named=True)
    return DistrictHeader(end_year, snapshot_date, district["districtID"], district["number"],
                          district["name"])


# ---- tie-breaks: one function each, used wherever the rule applies ---------------------------

def first_by(frame: pl.DataFrame, group: list[str], order: list[tuple[str, bool]],
             among: pl.Expr | None = None) -> pl.DataFrame:
    """Keep one row per `group`: the first after sorting by `order` ((column, descending)),
    nulls last; of rows alike in every order column, the earlier. Every "latest …, then
    highest …" tie-break of docs/lead.md goes through here. The kept rows come in `frame`'s
    order (a null group is a group of its own). With `among`, only the rows where it holds
    take part: the same rows as filtering `frame` first, without copying every column of the
    rows that pass (nearly all of the 4.5 million Detail rows of a state, three times a
    refresh).

    Each group's rows are ordered on their own (a group_by whose aggregate sorts the group's
    row positions by the order columns and takes the first), not the whole frame at once: the
    same rows as one sort of every row followed by the first of each group, in a third of its
    time where most groups are one row (L-7's 4.6 million enrolment candidates of a
    700,000-student state: 3.0 s -> 1.0 s) and faster where groups are large (attribute_rows'
    672,000 students of 4.5 million Detail rows: 1.0 s -> 0.7 s). Only the group and order
    columns are grouped; the kept rows are then taken from `frame`, in its order.

    The grouping runs on Polars' streaming engine, a batch of rows at a time: attribute_rows
    over those 4.5 million rows took 0.3-0.5 s and 180 MiB of working memory, against
    0.8-1.0 s and 0.6-0.7 GiB eagerly (the same rows: the row position decides every tie, so
    the order the engine meets the groups in cannot change the choice)."""
    cols = [c for c, _ in order]
    keys = frame.lazy().select(*dict.fromkeys([*group, *cols]),
                               *([] if among is None else [among.alias(_AMONG)])
                               ).with_row_index(_ROW)
    if among is not None:
        keys = keys.filter(pl.col(_AMONG)).drop(_AMONG)
    # the row position as the last order column makes the order total (rows alike in every
    # order column: the earlier), as a stable sort would, and the choice independent of the
    # order the groups are met in; Polars' stable sort within groups (maintain_order) was ten
    # times slower here
    kept = (keys.group_by(group)
            .agg(pl.col(_ROW).sort_by([*cols, _ROW], descending=[*(d for _, d in order), False],
                                      nulls_last=True).first())
            .select(_ROW).collect(engine="streaming")
            .get_column(_ROW).sort())
    return frame[kept]


_ROW = "_first_by_row"
"""first_by's column of row positions (never a column of the frames it is given)."""

_AMONG = "_first_by_among"
"""first_by's column of whether a row takes part (`among`)."""


def latest_enrollment(candidates: pl.DataFrame, codes: Codes, group: list[str]) -> pl.DataFrame:
    """L-7: latest startDate, then serviceType P before S before N, then highest enrollmentID."""
    ranked = candidates.with_columns(
        pl.col("serviceType").replace_strict(codes.service_rank, default=99,
                                             return_dtype=pl.Int32).alias("_service_rank"))
    return first_by(ranked, group, [("startDate", True), ("_service_rank", False),
                                    ("enrollmentID", True)]).drop("_service_rank")


def latest_primary_row(rows: pl.DataFrame) -> pl.DataFrame:
    """L-22: a row active on the last day (`_active`) first; then latest startDate, then highest
    personID (per section)."""
    return first_by(rows, ["sectionID"], [("_active", True), ("startDate", True),
                                          ("personID", True)])


def latest_case_manager(rows: pl.DataFrame) -> pl.DataFrame:
    """L-23: latest startDate, then highest teamMemberID (per student)."""
    return first_by(rows, ["personID"], [("startDate", True), ("teamMemberID", True)])


def latest_assignment(rows: pl.DataFrame, group: list[str]) -> pl.DataFrame:
    """Staff report: latest start, then highest assignmentID."""
    return first_by(rows, group, [("startDate", True), ("assignmentID", True)])


def attribute_rows(detail: pl.DataFrame, group: list[str],
                   among: pl.Expr | None = None) -> pl.DataFrame:
    """Caseload/Schoolwide: a student's Detail row with the latest Section End Date; ties
    highest Enrollment ID, then lowest Section ID (of the rows `among` holds for)."""
    return first_by(detail, group, [("sectionEndDate", True), ("enrollmentID", True),
                                    ("sectionID", False)], among)


# ---- L-1 … L-5: schools, calendars, sections --------------------------------------------------

def included_schools(tables: Tables, codes: Codes) -> pl.DataFrame:
    """L-2: schools of the included state classifications."""
    return tables["School"].filter(
        pl.col("stateClassification").is_in(codes.included_classifications))


def included_calendars(tables: Tables, schools: pl.DataFrame, end_year: int) -> pl.DataFrame:
    """L-3: the report year's non-summer calendars of included schools (exclude flags ignored)."""
    return tables["Calendar"].filter(
        pl.col("schoolID").is_in(schools["schoolID"].implode()),
        pl.col("endYear") == end_year,
        ~pl.col("summerSchool"),
    )


def sections(tables: Tables, codes: Codes, end_year: int) -> pl.DataFrame:
    """L-4, L-5: the sections in the reports, with their school, calendar, structure, course and
    dates. Section End Date is the section's last day."""
    schools = included_schools(tables, codes)
    calendars = included_calendars(tables, schools, end_year)
    courses = tables["Course"].filter(
        pl.col("active"), pl.col("calendarID").is_in(calendars["calendarID"].implode()))
    trials = tables["Trial"].filter(pl.col("active")).select("trialID", "structureID")
    placed = (
        tables["SectionPlacement"].select("sectionID", "trialID", "termID")
        .join(tables["Term"].select("termID", "startDate", "endDate"), on="termID", how="left")
        .group_by("sectionID", "trialID")
        .agg(
            pl.col("startDate").min().alias("sectionStartDate"),
            pl.col("endDate").max().alias("sectionEndDate"),
            (pl.col("startDate").is_null() | pl.col("endDate").is_null()).any().alias("_undated"),
        )
        .filter(~pl.col("_undated"))
        .drop("_undated")
    )
    return (
        tables["Section"]
        .join(courses.select("courseID", "calendarID", pl.col("number").alias("courseNumber"),
                             pl.col("name").alias("courseName"), "stateCode"),
              on="courseID", how="inner")
        .join(trials, on="trialID", how="inner")
        .join(placed, on=["sectionID", "trialID"], how="inner")
        .join(calendars.select("calendarID", "schoolID", pl.col("name").alias("calendarName")),
              on="calendarID", how="inner")
        .join(tables["ScheduleStructure"].select("structureID",
                                                 pl.col("name").alias("structureName")),
              on="structureID", how="left")
        .join(schools.select("schoolID", pl.col("number").alias("schoolNumber"),
                             pl.col("name").alias("schoolName"), "stateClassification"),
              on="schoolID", how="inner")
        .rename({"number": "sectionNumber"})
    )


# ---- L-6 … L-8: counted students and their enrollment ----------------------------------------

def counted_students(tables: Tables, sects: pl.DataFrame, codes: Codes) -> pl.DataFrame:
    """L-6, L-7, L-8: one row per (section, student) counted on the section's last day, with the
    chosen enrollment and its state grade.

    A student with two active roster rows in a section is rostered twice here, and each of
    their enrollments is a candidate twice, alike in every column: L-7's choice (first_by, one
    row per section and student) keeps one, so the roster rows are not made unique first (a
    hash of 4.6 million rows at state scale: 0.8 s)."""
    last_day = sects.select("sectionID", "trialID", "calendarID", "sectionStartDate",
                            "sectionEndDate")
    rostered = (
        tables["Roster"].join(last_day, on=["sectionID", "trialID"], how="inner")
        .with_columns(pl.col("startDate").fill_null(pl.col("sectionStartDate")),
                      pl.col("endDate").fill_null(pl.col("sectionEndDate")))
        .filter(active_on("sectionEndDate"))
        .select("sectionID", "personID", "calendarID", "sectionEndDate")
    )
    enrolled = (
        rostered.join(tables["Enrollment"].drop("structureID"), on=["personID", "calendarID"],
                      how="inner")
        .filter(active_on("sectionEndDate"), ~pl.col("noShow"))
    )
    chosen = latest_enrollment(enrolled, codes, ["sectionID", "personID"])
    grades = tables["GradeLevel"].select("calendarID", pl.col("name").alias("grade"),
                                         "stateGrade")
    return (
        chosen.join(grades, on=["calendarID", "grade"], how="left")
        .select("sectionID", "personID", "enrollmentID", "serviceType", "grade", "stateGrade",
                "disability1")
    )


# ---- L-10 … L-15: per-student attributes on the section's last day ---------------------------

def _holds_on(records: pl.DataFrame, students: pl.DataFrame, condition: pl.Expr,
              name: str) -> pl.DataFrame:
    """(sectionID, personID, name): whether any of the student's `records` meets `condition`
    on the section's last day."""
    hits = (students.select("sectionID", "personID", "sectionEndDate")
            .join(records, on="personID", how="inner")
            .filter(condition)
            .select("sectionID", "personID").unique()
            .with_columns(pl.lit(True).alias(name)))
    return hits


def student_attributes(tables: Tables, counted: pl.DataFrame, sects: pl.DataFrame
                       ) -> pl.DataFrame:
    """L-10 … L-15 for each counted (section, student), evaluated on the section's last day."""
    d = "sectionEndDate"
    rows = counted.join(sects.select("sectionID", d), on="sectionID", how="left")
    plans = tables["Plan"]
    iep = _holds_on(plans.filter(pl.col("planType") == "IEP", pl.col("locked")), rows,
                    active_on(d), "activeIep")
    ilpa = _holds_on(plans.filter(pl.col("planType") == "ILPA"), rows, active_on(d), "ilpa")
    el = _holds_on(
        tables["Lep"].filter(pl.col("programStatus").is_in(["EL", "LEP"])), rows,
        (pl.col("identifiedDate").is_null() | (pl.col("identifiedDate") <= pl.col(d)))
        & (pl.col("exitDate").is_null() | (pl.col("exitDate") > pl.col(d))),
        "englishLearner")
    gifted = _holds_on(tables["GiftedTalented"], rows, active_on(d), "gifted")
    flags = ["activeIep", "ilpa", "englishLearner", "gifted"]
    out = rows
    for frame in (iep, ilpa, el, gifted):
        out = out.join(frame, on=["sectionID", "personID"], how="left")
    return out.with_columns(
        [pl.col(f).fill_null(False) for f in flags]
    ).with_columns(
        # L-11: the enrollment's disability counts only under an active locked IEP
        pl.when(pl.col("activeIep")).then(pl.col("disability1")).otherwise(None)
        .alias("disabilityInSection"),
    )


NAME_COLUMNS = ("lastName", "firstName")
"""A person's names in `people`: shown in workbooks only, never staged per student row."""


def people(tables: Tables) -> pl.DataFrame:
    """Person with its current identity (L-15): ids, names and race. Names stay in frames and
    workbooks; they never go to logs or metadata."""
    identity = tables["Identity"].select(
        pl.col("identityID").alias("currentIdentityID"), "lastName", "firstName",
        "raceEthnicityFed")
    return tables["Person"].select("personID", "stateID", "currentIdentityID").join(
        identity, on="currentIdentityID", how="left").drop("currentIdentityID")


# ---- L-20 … L-23: staff ------------------------------------------------------------------------

def district_employment(tables: Tables, header: DistrictHeader) -> pl.DataFrame:
    """Employment rows of the snapshot's district (L-20)."""
    return tables["Employment"].filter(pl.col("districtID") == header.district_id)


def employment_in_year(tables: Tables, header: DistrictHeader) -> pl.DataFrame:
    """Employment rows of the district overlapping W, the school year (L-20, L-21)."""
    return district_employment(tables, header).filter(overlaps(*header.window))


def employed_in_year(tables: Tables, header: DistrictHeader) -> pl.DataFrame:
    """(personID) of everyone with an Employment of the district overlapping W: L-20's
    employment half, the "active Employment" of Q-I1, and who the Staff report lists."""
    return employment_in_year(tables, header).select("personID").unique()


def assignments_in_year(tables: Tables, header: DistrictHeader) -> pl.DataFrame:
    """EmploymentAssignment rows overlapping W: L-20's assignment half."""
    return tables["EmploymentAssignment"].filter(overlaps(*header.window))


def active_staff(tables: Tables, header: DistrictHeader) -> pl.DataFrame:
    """L-20: (personID, schoolID) of people with an assignment at the school overlapping W and
    an Employment of the district overlapping W."""
    employed = employed_in_year(tables, header)
    return (assignments_in_year(tables, header)
            .filter(pl.col("personID").is_in(employed["personID"].implode()))
            .select("personID", "schoolID").unique())


def epsb_ids(tables: Tables, header: DistrictHeader) -> pl.DataFrame:
    """L-21: licenseNumber of the open employment (latest start among several), else of the
    latest-starting employment overlapping W."""
    open_jobs = district_employment(tables, header).filter(
        pl.col("endDate").is_null()).with_columns(pl.lit(0).alias("_tier"))
    closed = employment_in_year(tables, header).filter(
        pl.col("endDate").is_not_null()).with_columns(pl.lit(1).alias("_tier"))
    chosen = first_by(pl.concat([open_jobs, closed]), ["personID"],
                      [("_tier", False), ("startDate", True), ("employmentID", True)])
    return chosen.select("personID", pl.col("licenseNumber").alias("epsbID"))


def primary_teachers(tables: Tables, sects: pl.DataFrame) -> pl.DataFrame:
    """L-22: (sectionID, teacherPersonID): the P row active on the last day, else the latest P
    row of the section's own trial."""
    rows = (tables["SectionStaffHistory"].filter(pl.col("staffType") == "P")
            .join(sects.select("sectionID", "trialID", "sectionEndDate"),
                  on=["sectionID", "trialID"], how="inner")
            .with_columns(active_on("sectionEndDate").cast(pl.Int8).alias("_active")))
    return latest_primary_row(rows).select("sectionID", pl.col("personID").alias("teacherPersonID"))


def case_managers(tables: Tables, header: DistrictHeader) -> pl.DataFrame:
    """L-23: (personID, caseManagerPersonID) active on the snapshot date."""
    rows = tables["TeamMember"].filter(pl.col("role") == "Case Manager",
                                       active_on(header.snapshot_date))
    return latest_case_manager(rows).select(
        "personID", pl.col("staffPersonID").alias("caseManagerPersonID"))


# ---- the staging outputs: lead/stg_sections and lead/stg_section_students ----------------------

def stg_sections(tables: Tables, codes: Codes, header: DistrictHeader) -> pl.DataFrame:
    """Included sections (L-4, L-5) with their primary teacher (L-22), names shown only for
    active staff at the section's school (L-20)."""
    sects = sections(tables, codes, header.end_year)
    teachers = primary_teachers(tables, sects)
    staff = active_staff(tables, header).with_columns(pl.lit(True).alias("_staff"))
    names = people(tables).select(pl.col("personID").alias("teacherPersonID"),
                                  pl.col("lastName").alias("teacherLastName"),
                                  pl.col("firstName").alias("teacherFirstName"))
    out = (sects.join(teachers, on="sectionID", how="left")
           .join(staff.rename({"personID": "teacherPersonID"}),
                 on=["teacherPersonID", "schoolID"], how="left")
           .join(names, on="teacherPersonID", how="left"))
    shown = pl.col("_staff").fill_null(False)
    return out.with_columns(
        pl.when(shown).then(pl.col("teacherLastName")).alias("teacherLastName"),
        pl.when(shown).then(pl.col("teacherFirstName")).alias("teacherFirstName"),
        shown.alias("teacherIsActiveStaff"),
    ).drop("_staff")


SECTIONS_PER_PART = 40_000
"""stg_section_students stages this many sections at a time. Every rule of a row looks at its
own section and student only, so the parts are independent, and the joins' working memory is
a part's, not the district's: a 700,000-student state (seven parts) stages in 4.8 s with
0.95 GiB above what it started with, against 7.9 s and 1.65 GiB in one pass. A district of up
to about 100,000 students is one part."""


CODE_COLUMNS = ("serviceType", "grade", "stateGrade", "disability1", "disabilityInSection",
                "raceEthnicityFed")
"""The Detail rows' code columns, held as Categorical once staged: a handful of distinct codes
over millions of rows. Polars holds each text value as a 16-byte view however short, a
Categorical as a 4-byte code, and the staged students stay in the run for every later step:
at 700,000 students (4.5 million rows) these six columns take 0.1 GiB instead of 0.4 GiB.
Every rule reads them the same either way (equality, membership, null); the Detail report
turns them back into text (reports.detail), and DuckDB stores them as text (VARCHAR), so a
frame read back from the file holds String columns, which the rules read alike."""


def stg_section_students(tables: Tables, codes: Codes, header: DistrictHeader,
                         sects: pl.DataFrame) -> pl.DataFrame:
    """One row per (section, counted student) with every attribute the reports count and the
    rules read: the Detail rows of all sections, staged a part at a time (`_parts`), codes as
    Categorical (`CODE_COLUMNS`). The students' names are not staged: only Detail shows them,
    for the sections asked for, and joins them there (reports.detail); at 700,000 students two
    name columns over 4.5 million rows held 0.14 GiB through every later step of a refresh, and
    the DuckDB file kept every counted student's name in this table besides."""
    persons = people(tables).drop(NAME_COLUMNS)
    managers = case_managers(tables, header)
    staged = []
    for part, own in _parts(tables, sects):
        counted = counted_students(own, part, codes)
        attrs = student_attributes(own, counted, part)
        staged.append(attrs.join(persons, on="personID", how="left")
                      .join(managers, on="personID", how="left")
                      .join(part.select("sectionID", "schoolID"), on="sectionID", how="left")
                      .with_columns(pl.col(CODE_COLUMNS).cast(pl.Categorical)))
    return pl.concat(staged, rechunk=False)


def _parts(tables: Tables, sects: pl.DataFrame) -> Iterator[tuple[pl.DataFrame, Tables]]:
    """`sects` SECTIONS_PER_PART at a time in sectionID order, each with `tables` whose Roster
    holds only the rows of the part's sectionID range (a range test, not a join over the whole
    roster; the other tables are `tables`' own, read when asked). From RangeTables each part's
    rows are read alone, and the whole Roster (0.2 GiB at 700,000 students) is never held. No
    sections: one empty part."""
    ordered = sects.sort("sectionID")
    for start in range(0, max(ordered.height, 1), SECTIONS_PER_PART):
        part = ordered.slice(start, SECTIONS_PER_PART)
        ids = part.get_column("sectionID")
        if not part.height:
            yield part, tables
            continue
        low, high = ids.min(), ids.max()
        own = (tables.rows_between("Roster", "sectionID", low, high)
               if isinstance(tables, RangeTables) else
               tables["Roster"].filter(pl.col("sectionID").is_between(low, high)))
        yield part, ChainMap({"Roster": own}, tables)
