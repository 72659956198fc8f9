"""The weekend snapshot's tables, declared once (docs/snapshot-format.md).

This declaration is the only copy of the input format: the reader parses by it, the integrity
checks test against it, the generator writes its columns in this order and
`docs/snapshot-format.md` is rendered from it. Change a table here and all of them follow.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from lead_pipeline.lib.names import (
    DISTRICT_NUMBER,
    SCHOOL_NUMBER,
    STATE_COURSE_CODE,
    STATE_ID,
    Pattern,
)


class Kind(StrEnum):
    """Value types (each column's type in docs/snapshot-format.md); the DuckDB type each parses
    into is `SQL_TYPE`."""

    INT = "int"
    TEXT = "text"
    DATE = "date"
    TIME = "time"
    TIMESTAMP = "timestamp"
    FLAG = "flag"
    DECIMAL = "decimal"


SQL_TYPE: dict[Kind, str] = {
    Kind.INT: "BIGINT",
    Kind.TEXT: "VARCHAR",
    Kind.DATE: "DATE",
    Kind.TIME: "TIME",
    Kind.TIMESTAMP: "TIMESTAMP",
    Kind.FLAG: "BOOLEAN",
    Kind.DECIMAL: "DECIMAL(18,6)",
}

KIND_FORMAT: dict[Kind, str] = {
    Kind.INT: "integer",
    Kind.TEXT: "text, kept exactly as written",
    Kind.DATE: "date YYYY-MM-DD",
    Kind.TIME: "time HH:MM (24 h)",
    Kind.TIMESTAMP: "YYYY-MM-DD or YYYY-MM-DD HH:MM[:SS]",
    Kind.FLAG: "flag 0/1 or true/false; empty means 0",
    Kind.DECIMAL: "decimal number",
}


class Family(StrEnum):
    """Which report family needs a table (docs/snapshot-format.md "Integrity checks")."""

    SHARED = "shared"
    LEAD = "lead"
    KIAS = "kias"


ID_LIMIT = 2**53
"""Ids are positive integers below 2^53: a spreadsheet (a double) holds those exactly."""


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    references: str | None = None
    private: bool = False
    """Names, state ids, birth dates: never shown in messages, logs or metadata."""
    doc: str = ""
    pattern: Pattern | None = None
    """Text that must match this pattern exactly as written (docs/snapshot-format.md "Integrity
    checks")."""
    blank_ok: bool = True
    """With a pattern: whether a blank value is allowed (a school number never is)."""
    required: bool = False
    """A row whose value is blank cannot be used (a roster row without a student): it is left
    out with a warning, like a row whose key is blank."""

    @property
    def is_id(self) -> bool:
        """An integer column naming a row (docs/snapshot-format.md: columns ending in ID)."""
        return self.kind is Kind.INT and self.name.endswith("ID")

    @property
    def format(self) -> str:
        """What a value of this column must look like, in an operator's words."""
        if self.is_id:
            return f"id: a positive integer below 2^53 ({ID_LIMIT:,})"
        if self.pattern is not None:
            return f"text of {self.pattern.description}"
        return KIND_FORMAT[self.kind]


@dataclass(frozen=True)
class Table:
    name: str
    family: Family
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    optional: bool = False
    """An optional table may be absent even when its family runs (Day, EventCodeCategory)."""
    interval: tuple[str, str] | None = None
    """(start, end) columns whose reversal warns and drops the row (docs/snapshot-format.md
    "Integrity checks")."""
    doc: str = ""
    core: Family | None = None
    """A table every real week holds many rows of, judged whenever this family runs: empty,
    or fewer than half the rows of the current good snapshot, stops the refresh (a truncated
    export looks exactly like this; docs/snapshot-format.md "Integrity checks")."""
    column_by_name: dict[str, Column] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "column_by_name", {c.name: c for c in self.columns})
        for k in self.key:
            assert k in self.column_by_name, (self.name, k)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def references(self) -> list[Column]:
        return [c for c in self.columns if c.references]

    @property
    def has_private(self) -> bool:
        """Whether any column is private: then no value of the table is ever shown."""
        return any(c.private for c in self.columns)


def _i(name: str, ref: str | None = None, doc: str = "", required: bool = False) -> Column:
    return Column(name, Kind.INT, ref, doc=doc, required=required)


def _t(name: str, doc: str = "", private: bool = False, pattern: Pattern | None = None,
       blank_ok: bool = True) -> Column:
    return Column(name, Kind.TEXT, private=private, doc=doc, pattern=pattern,
                  blank_ok=blank_ok)


def _d(name: str, doc: str = "", private: bool = False) -> Column:
    return Column(name, Kind.DATE, private=private, doc=doc)


def _f(name: str, doc: str = "") -> Column:
    return Column(name, Kind.FLAG, doc=doc)


_DATES = (_d("startDate"), _d("endDate"))
_INTERVAL = ("startDate", "endDate")

S, L, K = Family.SHARED, Family.LEAD, Family.KIAS

TABLES: tuple[Table, ...] = (
    # ---- shared -------------------------------------------------------------------------
    Table("District", S, (
        _i("districtID"),
        _t("number", "state district number", pattern=DISTRICT_NUMBER, blank_ok=False),
        _t("name"),
    ), key=("districtID",)),
    Table("School", S, (
        _i("schoolID"), _i("districtID", "District"),
        _t("number", 'state school number ("005"); unique', pattern=SCHOOL_NUMBER,
           blank_ok=False),
        _t("name"), _t("stateClassification", "A1 … D1, F1 … R1"),
    ), key=("schoolID",), core=S),
    Table("Calendar", S, (
        _i("calendarID"), _i("schoolID", "School"),
        _i("endYear", doc="school year, 2027 = 2026-27"), _t("name"), *_DATES,
        _f("summerSchool"), _f("exclude"),
    ), key=("calendarID",), interval=_INTERVAL, core=S),
    Table("GradeLevel", S, (
        _i("calendarID", "Calendar"), _t("name", "local grade name"), _t("stateGrade"),
        _f("exclude"),
    ), key=("calendarID", "name"), doc="maps local grade names to state grades"),
    Table("Person", S, (
        _i("personID"), Column("stateID", Kind.TEXT, private=True, pattern=STATE_ID),
        _i("currentIdentityID", "Identity"), _t("studentNumber", private=True),
        _t("staffNumber"),
    ), key=("personID",), core=S),
    Table("Identity", S, (
        _i("identityID"), _i("personID", "Person"), _t("lastName", private=True),
        _t("firstName", private=True), _t("middleName", private=True), _t("gender"),
        _d("birthDate", private=True), _t("raceEthnicityFed", "federal race/ethnicity 1-7"),
    ), key=("identityID",), core=S),
    Table("Enrollment", S, (
        _i("enrollmentID"), _i("personID", "Person", required=True),
        _i("calendarID", "Calendar", required=True),
        _i("structureID", "ScheduleStructure"), _t("grade", "local grade name (GradeLevel.name)"),
        *_DATES, _t("serviceType", "P primary, S partial, N special education services only"),
        _f("noShow"), _f("stateExclude"), _t("disability1", "primary disability code"),
    ), key=("enrollmentID",), interval=_INTERVAL, core=S),
    Table("Plan", S, (
        _i("planID"), _i("personID", "Person"), _t("planType", "IEP, ILPA, 504"), *_DATES,
        _f("locked"),
    ), key=("planID",), interval=_INTERVAL),
    # ---- LEAD ---------------------------------------------------------------------------
    Table("ScheduleStructure", L, (
        _i("structureID"), _i("calendarID", "Calendar"), _t("name"),
    ), key=("structureID",)),
    Table("Trial", L, (_i("trialID"), _i("structureID", "ScheduleStructure"), _f("active")),
          key=("trialID",), doc="one active trial per structure"),
    Table("Term", L, (
        _i("termID"), _i("structureID", "ScheduleStructure"), _t("name"), _i("seq"), *_DATES,
    ), key=("termID",), interval=_INTERVAL, doc="dates may be null (the section is then dropped)"),
    Table("Course", L, (
        _i("courseID"), _i("calendarID", "Calendar"), _t("number"), _t("name"),
        _t("stateCode", "state course code", pattern=STATE_COURSE_CODE), _f("active"),
    ), key=("courseID",), core=L),
    Table("Section", L, (
        _i("sectionID"), _i("courseID", "Course"), _i("trialID", "Trial"), _t("number"),
        _t("coreContent"), _t("teachingMethod"), _t("instructionalSetting"), _t("specialType"),
    ), key=("sectionID",), core=L),
    Table("SectionPlacement", L, (
        _i("sectionID", "Section"), _i("trialID", "Trial"), _i("termID", "Term"), _i("periodID"),
    ), key=("sectionID", "trialID", "termID", "periodID"), core=L,
        doc="a section with none is not scheduled"),
    Table("SectionStaffHistory", L, (
        _i("sectionID", "Section"), _i("trialID", "Trial"), _i("personID", "Person"),
        _t("staffType", "P primary teacher, T teacher, N other staff"), *_DATES,
    ), key=("sectionID", "trialID", "personID", "staffType", "startDate"), interval=_INTERVAL),
    Table("Roster", L, (
        _i("rosterID"), _i("personID", "Person", required=True),
        _i("sectionID", "Section", required=True), _i("trialID", "Trial", required=True),
        *_DATES,
    ), key=("rosterID",), interval=_INTERVAL, core=L, doc="null dates = the section's own"),
    Table("Employment", L, (
        _i("employmentID"), _i("personID", "Person"), _i("districtID", "District"), *_DATES,
        _t("licenseNumber", "the EPSB ID"),
    ), key=("employmentID",), interval=_INTERVAL, core=L),
    Table("EmploymentAssignment", L, (
        _i("assignmentID"), _i("personID", "Person"), _i("schoolID", "School"), *_DATES,
        _t("type", "district assignment type code"), _t("altType"),
        _f("teacher", "the Teacher role flag"), _t("title"),
    ), key=("assignmentID",), interval=_INTERVAL, core=L),
    Table("TeamMember", L, (
        _i("teamMemberID"), _i("personID", "Person", "the student"),
        _i("staffPersonID", "Person"), _t("role", '"Case Manager" for case managers'), *_DATES,
    ), key=("teamMemberID",), interval=_INTERVAL),
    Table("Lep", L, (
        _i("lepID"), _i("personID", "Person"),
        _t("programStatus", "EL, LEP, Exited EL, Pending, Not EL"),
        _d("identifiedDate"), _d("exitDate"),
    ), key=("lepID",), interval=("identifiedDate", "exitDate")),
    Table("GiftedTalented", L, (
        _i("gtID"), _i("personID", "Person"), _t("category"), *_DATES,
    ), key=("gtID",), interval=_INTERVAL),
    # ---- KIAS ---------------------------------------------------------------------------
    Table("BehaviorIncident", K, (
        _i("incidentID"), _i("calendarID", "Calendar"),
        Column("timestamp", Kind.TIMESTAMP, doc="date or date-time of the incident"),
        _t("status", "CM = complete"), _t("context", "time classifier code"),
        _t("location", "location classifier code"),
    ), key=("incidentID",)),
    Table("BehaviorType", K, (
        _i("typeID"), _t("name"), _t("stateEventCode"),
        _t("incidentType", "2015-2018 for bullying, else null"),
    ), key=("typeID",)),
    Table("BehaviorEvent", K, (
        _i("eventID"), _i("incidentID", "BehaviorIncident"), _i("typeID", "BehaviorType"),
        _f("victimReferral", "the violence indicator"),
    ), key=("eventID",)),
    Table("BehaviorRole", K, (
        _i("roleID"), _i("eventID", "BehaviorEvent"), _i("personID", "Person"),
        _t("role", "Offender, Victim, Participant …"), _t("injury", "injury code"),
    ), key=("roleID",)),
    Table("BehaviorWeapon", K, (
        _i("roleID", "BehaviorRole"), _t("weaponCode", "100-500 and others"),
    ), key=("roleID", "weaponCode"), doc="zero or more per participant"),
    Table("BehaviorResType", K, (
        _i("typeID"), _t("name"), _t("stateResCode", 'three characters ("001")'),
    ), key=("typeID",)),
    Table("BehaviorResolution", K, (
        _i("resolutionID"), _i("roleID", "BehaviorRole"), _i("typeID", "BehaviorResType"),
        _d("startDate"), Column("startTime", Kind.TIME), _d("endDate"),
        Column("endTime", Kind.TIME),
        Column("duration", Kind.DECIMAL, doc="Duration in School Days, in durationUnit"),
        _t("durationUnit", "days, hours, minutes; null = days"),
        Column("detentionDuration", Kind.DECIMAL),
        _t("lawEnforcement", "referral 01/02/03"), _f("auxiliaryCode", "arrest made"),
        _t("altPlacement", "firearm discipline method 1-12"),
    ), key=("resolutionID",),
        doc="reversed dates are kept (KIAS gives them a blank day count, docs/kias.md A43)"),
    Table("SpecialEDState", K, (
        _i("personID", "Person"), _t("primaryDisability"), *_DATES,
    ), key=("personID", "startDate"), interval=_INTERVAL),
    Table("FosterCare", K, (_i("personID", "Person"), *_DATES),
          key=("personID", "startDate"), interval=_INTERVAL),
    Table("Day", K, (
        _i("calendarID", "Calendar"), _d("date"), _f("schoolDay"),
        _f("instruction", "1 for instructional days"),
    ), key=("calendarID", "date"), optional=True,
        doc="one row per calendar day; without rows a calendar counts Monday-Friday"),
    Table("EventCodeCategory", K, (
        _t("stateEventCode"), _t("category", "drug or weapon"),
    ), key=("stateEventCode",), optional=True,
        doc="replaces data/reference/event_code_category.csv when present (docs/kias.md A27)"),
)

TABLE_BY_NAME: dict[str, Table] = {t.name: t for t in TABLES}

MANIFEST_FIELDS: dict[str, str] = {
    "snapshotDate": "as-of date of the copy, YYYY-MM-DD (required)",
    "endYear": "school year reported, 2027 = 2026-27 (required)",
    "districtNumber": "state district number; must equal District.number",
    "state": "informational",
    "format": "csv or parquet (which file of a table is read when both exist)",
}
REQUIRED_MANIFEST_FIELDS = ("snapshotDate", "endYear")


def family_tables(family: Family) -> list[Table]:
    return [t for t in TABLES if t.family is family]


def reference_order() -> list[Table]:
    """Tables ordered so a referenced table comes before the tables pointing at it.

    Orphans are dropped in this order, so a roster of a section that was itself dropped as an
    orphan is dropped too. The one cycle (Person.currentIdentityID <-> Identity.personID) is cut
    at Person, which is checked against Identity as loaded.
    """
    ordered: list[Table] = []
    seen: set[str] = set()

    def visit(table: Table, path: tuple[str, ...]) -> None:
        if table.name in seen:
            return
        for col in table.references:
            target = col.references
            assert target is not None
            if target != table.name and target not in path:
                visit(TABLE_BY_NAME[target], (*path, table.name))
        seen.add(table.name)
        ordered.append(table)

    for t in TABLES:
        visit(t, ())
    return ordered
