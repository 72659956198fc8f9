"""The five LEAD reports (docs/lead.md §4) from the staging frames, with their exact columns.

Report frames carry the sheet's column names, in order, so the workbook writer writes them as
they are. Classes, Caseload and Schoolwide end with the count block; `Total` is always the
number of distinct students, never a sum of other columns, so the identities
`Total = General + disabilities = races = grades` are a real test of the rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import polars as pl

from lead_pipeline.lib.codes import Codes
from lead_pipeline.lib.lead import staging as st
from lead_pipeline.lib.lead.staging import DistrictHeader, Tables
from lead_pipeline.lib.snapshot.schema import TABLE_BY_NAME


@dataclass(frozen=True)
class LeadReports:
    """The five report frames of one refresh, each with its sheet's columns."""

    classes: pl.DataFrame
    staff: pl.DataFrame
    caseload: pl.DataFrame
    schoolwide: pl.DataFrame
    detail: pl.DataFrame


COMMON = ["Date Time Generated", "End Year", "District Number", "District Name"]

CLASS_IDENTITY = {
    "schoolNumber": "School Number", "schoolName": "School Name",
    "stateClassification": "State Classification", "calendarName": "Calendar Name",
    "structureName": "Schedule Structure Name", "courseNumber": "Course Number",
    "courseName": "Course Name", "sectionNumber": "Section Number", "sectionID": "Section ID",
    "stateCode": "State Course Code", "coreContent": "Core Content",
    "teachingMethod": "Teaching Method", "instructionalSetting": "Instructional Setting",
    "specialType": "Section Special Type", "teacherPersonID": "Primary Teacher Person ID",
    "teacherLastName": "Primary Teacher Last Name",
    "teacherFirstName": "Primary Teacher First Name",
    "sectionStartDate": "Section Start Date", "sectionEndDate": "Section End Date",
}

DETAIL_STUDENT = {
    "personID": "Student Person ID", "stateID": "State ID", "lastName": "Student Last Name",
    "firstName": "Student First Name", "enrollmentID": "Enrollment ID",
    "serviceType": "Service Type", "stateGrade": "Grade", "raceLabel": "Race/Ethnicity",
    "disability1": "Primary Disability Enrollment",
    "disabilityInSection": "Primary Disability in Section",
    "caseManagerPersonID": "Case Manager Person ID", "englishLearnerYN": "English Learner",
    "giftedYN": "Gifted", "ilpaYN": "Alternative Education ILPA",
}

TEXT_COLUMNS = frozenset({
    "District Number", "District Name", "School Number", "School Name",
    "State Classification", "Calendar Name", "Schedule Structure Name", "Course Number",
    "Course Name", "Section Number", "State Course Code", "Core Content", "Teaching Method",
    "Instructional Setting", "Section Special Type", "Primary Teacher Last Name",
    "Primary Teacher First Name", "State ID", "Student Last Name", "Student First Name",
    "Service Type", "Grade", "Race/Ethnicity", "Primary Disability Enrollment",
    "Primary Disability in Section", "English Learner", "Gifted", "Alternative Education ILPA",
    "EPSB ID", "Last Name", "First Name", "Type", "Alt Type", "Title",
    "Case Manager Last Name", "Case Manager First Name",
})
"""Columns written as text whatever they look like: codes, numbers of schools and courses,
state and EPSB ids, names (docs/outputs.md)."""

CARRIED: dict[str, tuple[str, str]] = {
    "Primary Teacher Last Name": ("Identity", "lastName"),
    "Primary Teacher First Name": ("Identity", "firstName"),
    "State ID": ("Person", "stateID"),
    "Student Last Name": ("Identity", "lastName"),
    "Student First Name": ("Identity", "firstName"),
    "Last Name": ("Identity", "lastName"),
    "First Name": ("Identity", "firstName"),
    "Case Manager Last Name": ("Identity", "lastName"),
    "Case Manager First Name": ("Identity", "firstName"),
}
"""Report columns that show a person's own snapshot value, and the snapshot column (table,
column) each shows. Whether such a column is private is not decided here: lib/snapshot/schema.py
declares it (`Column.private`), once, for the reader's messages and the reports alike."""


def _private(carried: dict[str, tuple[str, str]]) -> frozenset[str]:
    """The report columns of `carried` whose snapshot column the schema declares private."""
    return frozenset(report for report, (table, column) in carried.items()
                     if TABLE_BY_NAME[table].column_by_name[column].private)


PRIVATE_COLUMNS = _private(CARRIED)
"""Report columns never shown outside the workbooks (Dagster metadata, logs): names and state
ids, as the schema declares them."""


COUNTED_COLUMNS = ("sectionID", "personID", "stateID", "enrollmentID", "sectionEndDate",
                   "schoolID", "disabilityInSection", "englishLearner", "gifted", "ilpa",
                   "raceEthnicityFed", "stateGrade", "caseManagerPersonID")
"""The columns of the Detail rows that Classes, Caseload and Schoolwide read (no names)."""


def count_columns(codes: Codes) -> list[str]:
    return [
        "Total", "General", *codes.disabilities, "Other Disability", "English Learner Count",
        "Gifted Count", "Alternative Education ILPA Count",
        *(label for _, label in codes.races), "Race Not Reported",
        *(f"Grade {g}" for g in codes.grades), "Grade Other",
    ]


def count_block(students: pl.DataFrame, keys: list[str], codes: Codes) -> pl.DataFrame:
    """The count block per `keys` over rows of distinct (keys, student) with attributes.

    Its forty-odd counts per group run on Polars' streaming engine, which takes the rows a
    batch at a time: Classes over the 4.5 million Detail rows of a 700,000-student state in
    0.9 s with 60 MiB of working memory, against 2.0 s and 0.5 GiB eagerly (the same counts;
    the groups come in no particular order either way)."""
    dis = pl.col("disabilityInSection")
    race = pl.col("raceEthnicityFed")
    grade = pl.col("stateGrade")
    race_codes = [c for c, _ in codes.races]
    aggs = [
        pl.col("personID").n_unique().alias("Total"),
        dis.is_null().sum().alias("General"),
        *(dis.eq(c).sum().alias(c) for c in codes.disabilities),
        (dis.is_not_null() & ~dis.is_in(codes.disabilities)).sum().alias("Other Disability"),
        pl.col("englishLearner").sum().alias("English Learner Count"),
        pl.col("gifted").sum().alias("Gifted Count"),
        pl.col("ilpa").sum().alias("Alternative Education ILPA Count"),
        *(race.eq(c).sum().alias(label) for c, label in codes.races),
        (race.is_null() | ~race.is_in(race_codes)).sum().alias("Race Not Reported"),
        *(grade.eq(g).sum().alias(f"Grade {g}") for g in codes.grades),
        (grade.is_null() | ~grade.is_in(list(codes.grades))).sum().alias("Grade Other"),
    ]
    return (students.lazy().group_by(keys).agg(aggs)
            .with_columns(pl.col(count_columns(codes)).cast(pl.Int64))
            .collect(engine="streaming"))


def _with_zero_counts(frame: pl.DataFrame, codes: Codes) -> pl.DataFrame:
    return frame.with_columns(pl.col(count_columns(codes)).fill_null(0))


def _common(header: DistrictHeader, generated: datetime) -> list[pl.Expr]:
    return [
        pl.lit(generated).alias("Date Time Generated"),
        pl.lit(header.end_year, dtype=pl.Int64).alias("End Year"),  # a number (docs/outputs.md)
        pl.lit(header.district_number).alias("District Number"),
        pl.lit(header.district_name).alias("District Name"),
    ]


# ---- the reports ------------------------------------------------------------------------------

def classes(sects: pl.DataFrame, students: pl.DataFrame, codes: Codes, header: DistrictHeader,
            generated: datetime) -> pl.DataFrame:
    counts = count_block(students, ["sectionID"], codes)
    rows = _with_zero_counts(sects.join(counts, on="sectionID", how="left"), codes)
    rows = rows.sort(["schoolName", "calendarName", "structureName", "courseNumber",
                      "sectionNumber", "sectionID"], nulls_last=True)
    return rows.select(*_common(header, generated),
                       *(pl.col(c).alias(n) for c, n in CLASS_IDENTITY.items()),
                       *count_columns(codes))


def _names(tables: Tables, kids: pl.DataFrame) -> pl.DataFrame:
    """(personID, names) to join to the Detail rows `kids`. With no row (no section asked for,
    as in the weekly refresh) no name is needed, and Person and Identity are not read (1.1 s at
    700,000 students)."""
    if not kids.height:
        return kids.select("personID").with_columns(
            pl.lit(None, pl.String).alias(c) for c in st.NAME_COLUMNS)
    return st.people(tables).select("personID", *st.NAME_COLUMNS)


def detail(tables: Tables, sects: pl.DataFrame, students: pl.DataFrame, codes: Codes,
           header: DistrictHeader, generated: datetime, section_ids: list[int]) -> pl.DataFrame:
    """Detail rows of the requested sections, with the students' names from `tables` (they
    are not staged: staging.stg_section_students); a section without students gives one row
    with empty student columns."""
    chosen = sects.filter(pl.col("sectionID").is_in(section_ids))
    yn = {True: "Y", False: "N"}
    kids = students.filter(pl.col("sectionID").is_in(section_ids))
    kids = kids.join(_names(tables, kids), on="personID", how="left").with_columns(
        pl.col(st.CODE_COLUMNS).cast(pl.String)  # text, as the sheet and the table hold it
    ).with_columns(
        pl.col("raceEthnicityFed").replace_strict(codes.race_label, default=None)
        .alias("raceLabel"),
        pl.col("englishLearner").replace_strict(yn).alias("englishLearnerYN"),
        pl.col("gifted").replace_strict(yn).alias("giftedYN"),
        pl.col("ilpa").replace_strict(yn).alias("ilpaYN"),
    ).drop("schoolID")
    rows = chosen.join(kids, on="sectionID", how="left").sort(
        ["schoolName", "calendarName", "structureName", "courseNumber", "sectionNumber",
         "sectionID", "lastName", "firstName", "personID"], nulls_last=True)
    return rows.select(*_common(header, generated),
                       *(pl.col(c).alias(n) for c, n in CLASS_IDENTITY.items()),
                       *(pl.col(c).alias(n) for c, n in DETAIL_STUDENT.items()))


def schoolwide(tables: Tables, students: pl.DataFrame, codes: Codes, header: DistrictHeader,
               generated: datetime) -> pl.DataFrame:
    """One row per included school over its distinct students with a State ID; attributes
    from each student's latest-ending Detail row within the school."""
    per_school = st.attribute_rows(students, ["schoolID", "personID"],
                                   among=pl.col("stateID").is_not_null())
    counts = count_block(per_school, ["schoolID"], codes)
    schools = st.included_schools(tables, codes).select(
        "schoolID", pl.col("number").alias("School Number"), pl.col("name").alias("School Name"),
        pl.col("stateClassification").alias("State Classification"))
    rows = _with_zero_counts(schools.join(counts, on="schoolID", how="left"), codes)
    return rows.sort(["School Number", "schoolID"]).select(
        *_common(header, generated), "School Number", "School Name", "State Classification",
        *count_columns(codes))


CASELOAD_STUDENT_COLUMNS = ("personID", "stateID", "sectionID", "sectionEndDate", "enrollmentID",
                            "caseManagerPersonID", "disabilityInSection")
"""The counted students' columns the Caseload report and its blank row's ids read."""


def caseload_students(students: pl.DataFrame) -> pl.DataFrame:
    """One row per student with a state id: their latest Detail row (attribute_rows), whose case
    manager and disability the Caseload report counts."""
    return st.attribute_rows(students, ["personID"], among=pl.col("stateID").is_not_null())


def without_case_manager(students: pl.DataFrame) -> pl.Series:
    """The Person IDs behind Caseload's blank row (Q-K2): students with a primary disability in
    their section and no case manager, sorted."""
    return (caseload_students(students)
            .filter(pl.col("caseManagerPersonID").is_null()
                    & pl.col("disabilityInSection").is_not_null())
            .get_column("personID").sort())


def caseload(tables: Tables, students: pl.DataFrame, codes: Codes, header: DistrictHeader,
             generated: datetime) -> pl.DataFrame:
    """District level: one row per case manager over their distinct students, plus a row with
    a blank Person ID for students with a disability and no case manager (when any)."""
    population = caseload_students(students).filter(
        pl.col("caseManagerPersonID").is_not_null() | pl.col("disabilityInSection").is_not_null())
    counts = count_block(population, ["caseManagerPersonID"], codes)
    any_school = st.active_staff(tables, header).select("personID").unique().with_columns(
        pl.lit(True).alias("_staff"))
    names = (st.people(tables).join(any_school, on="personID", how="left")
             .select(pl.col("personID").alias("caseManagerPersonID"),
                     pl.when(pl.col("_staff")).then(pl.col("lastName"))
                     .alias("Case Manager Last Name"),
                     pl.when(pl.col("_staff")).then(pl.col("firstName"))
                     .alias("Case Manager First Name")))
    rows = (counts.filter(pl.col("caseManagerPersonID").is_not_null() | (pl.col("Total") > 0))
            .join(names, on="caseManagerPersonID", how="left")
            .sort("caseManagerPersonID", nulls_last=True))
    return rows.select(*_common(header, generated),
                       pl.col("caseManagerPersonID").alias("Case Manager Person ID"),
                       "Case Manager Last Name", "Case Manager First Name",
                       *count_columns(codes))


def staff(tables: Tables, codes: Codes, header: DistrictHeader, generated: datetime
          ) -> pl.DataFrame:
    """One row per active staff person x included school x type x alt type, from the latest
    such assignment (L-20, L-21)."""
    schools = st.included_schools(tables, codes).select(
        "schoolID", pl.col("number").alias("School Number"), pl.col("name").alias("School Name"))
    assignments = (st.assignments_in_year(tables, header)
                   .join(st.employed_in_year(tables, header), on="personID", how="semi")
                   .join(schools, on="schoolID", how="inner"))
    latest = st.latest_assignment(assignments, ["personID", "schoolID", "type", "altType"])
    rows = (latest.join(st.epsb_ids(tables, header), on="personID", how="left")
            .join(st.people(tables).select("personID", *st.NAME_COLUMNS),
                  on="personID", how="left")
            .sort(["personID", "School Number", "type", "altType"], nulls_last=True))
    return rows.select(
        *_common(header, generated), "School Number", "School Name",
        pl.col("personID").alias("Person ID"), pl.col("epsbID").alias("EPSB ID"),
        pl.col("lastName").alias("Last Name"), pl.col("firstName").alias("First Name"),
        pl.col("type").alias("Type"), pl.col("altType").alias("Alt Type"),
        pl.col("teacher").alias("Teacher Role"), pl.col("title").alias("Title"),
        pl.col("startDate").alias("Assignment Start Date"),
        pl.col("endDate").alias("Assignment End Date"),
    )
