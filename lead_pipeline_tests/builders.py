"""Hand-built tiny snapshots for tests: a valid one-school district to start from and change.

Each test states the rows it cares about; everything else comes from `tiny()`, whose rows are
few enough to read (one school, one section, one student, one teacher, one incident). Beside
it: `Run`, the LEAD flow over such a snapshot; the helpers that add the rows the LEAD tests
need (a student, a section, staff, plans …); and `every_rule()`, a district where every Q- rule
fires once, with the findings it must give (`EVERY_RULE`).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import polars as pl

from lead_pipeline.lib.codes import load_codes
from lead_pipeline.lib.lead import flow
from lead_pipeline.lib.lead.staging import district_header
from lead_pipeline.lib.snapshot.schema import TABLE_BY_NAME, TABLES

Row = dict[str, Any]


@dataclass
class Snapshot:
    manifest: dict[str, Any]
    rows: dict[str, list[Row]] = field(default_factory=dict)
    omit: set[str] = field(default_factory=set)

    def add(self, table: str, **values: Any) -> Row:
        row: Row = dict(values)
        self.rows.setdefault(table, []).append(row)
        return row

    def one(self, table: str) -> Row:
        (row,) = self.rows[table]
        return row

    def csv_text(self, table: str, newline: str = "\n") -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator=newline)
        cols = TABLE_BY_NAME[table].column_names
        writer.writerow(cols)
        for row in self.rows.get(table, []):
            writer.writerow([_text(row.get(c)) for c in cols])
        return out.getvalue()

    def write(self, folder: Path, *, bom: bool = False, newline: str = "\n",
              fmt: str = "csv") -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "manifest.json").write_text(json.dumps(self.manifest))
        for table in TABLES:
            if table.name in self.omit:
                continue
            if fmt == "parquet":
                cols = table.column_names
                frame = pl.DataFrame(
                    {c: [_text(r.get(c)) or None for r in self.rows.get(table.name, [])]
                     for c in cols}, schema=dict.fromkeys(cols, pl.String))
                frame.write_parquet(folder / f"{table.name}.parquet")
            else:
                data = self.csv_text(table.name, newline).encode("utf-8")
                (folder / f"{table.name}.csv").write_bytes(
                    (b"\xef\xbb\xbf" if bom else b"") + data)
        return folder


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def tiny() -> Snapshot:
    """District 165 with one A1 school (005), one year-long section with one student."""
    s = Snapshot({"snapshotDate": "2026-11-21", "endYear": 2027, "state": "KY",
                  "districtNumber": "165", "format": "csv"})
    s.add("District", districtID=1, number="165", name="Example County")
    s.add("School", schoolID=10, districtID=1, number="005", name="Example Elementary",
          stateClassification="A1")
    s.add("Calendar", calendarID=100, schoolID=10, endYear=2027, name="26-27 Example",
          startDate="2026-08-12", endDate="2027-05-21", summerSchool=0, exclude=0)
    s.add("GradeLevel", calendarID=100, name="KG", stateGrade="00", exclude=0)
    s.add("GradeLevel", calendarID=100, name="01", stateGrade="01", exclude=0)
    s.add("ScheduleStructure", structureID=200, calendarID=100, name="Main")
    s.add("Trial", trialID=300, structureID=200, active=1)
    s.add("Term", termID=400, structureID=200, name="Year", seq=1, startDate="2026-08-12",
          endDate="2027-05-21")
    s.add("Course", courseID=500, calendarID=100, number="K-ELA", name="Kindergarten ELA",
          stateCode="010101", active=1)
    s.add("Section", sectionID=600, courseID=500, trialID=300, number="1", coreContent="",
          teachingMethod="", instructionalSetting="01", specialType="01")
    s.add("SectionPlacement", sectionID=600, trialID=300, termID=400, periodID=1)
    s.add("SectionStaffHistory", sectionID=600, trialID=300, personID=2, staffType="P",
          startDate="2026-08-12", endDate=None)
    s.add("Person", personID=1, stateID="0000000001", currentIdentityID=11,
          studentNumber="S1", staffNumber=None)
    s.add("Person", personID=2, stateID=None, currentIdentityID=12, studentNumber=None,
          staffNumber="T2")
    s.add("Identity", identityID=11, personID=1, lastName="Student", firstName="Ann",
          middleName=None, gender="F", birthDate="2021-03-04", raceEthnicityFed="6")
    s.add("Identity", identityID=12, personID=2, lastName="Teacher", firstName="Tom",
          middleName=None, gender="M", birthDate="1980-01-02", raceEthnicityFed="4")
    s.add("Enrollment", enrollmentID=700, personID=1, calendarID=100, structureID=200,
          grade="KG", startDate="2026-08-12", endDate=None, serviceType="P", noShow=0,
          stateExclude=0, disability1=None)
    s.add("Roster", rosterID=800, personID=1, sectionID=600, trialID=300, startDate=None,
          endDate=None)
    s.add("Employment", employmentID=900, personID=2, districtID=1, startDate="2015-08-01",
          endDate=None, licenseNumber="123456")
    s.add("EmploymentAssignment", assignmentID=1000, personID=2, schoolID=10,
          startDate="2015-08-01", endDate=None, type="01", altType=None, teacher=1,
          title="Teacher")
    for name in ("Plan", "TeamMember", "Lep", "GiftedTalented"):
        s.rows[name] = []
    s.add("BehaviorIncident", incidentID=1100, calendarID=100, timestamp="2026-10-05 10:30",
          status="CM", context="120", location="101")
    s.add("BehaviorType", typeID=1200, name="Fighting", stateEventCode="1110", incidentType=None)
    s.add("BehaviorEvent", eventID=1300, incidentID=1100, typeID=1200, victimReferral=0)
    s.add("BehaviorRole", roleID=1400, eventID=1300, personID=1, role="Offender", injury=None)
    s.add("BehaviorResType", typeID=1500, name="ISS", stateResCode="450")
    s.add("BehaviorResolution", resolutionID=1600, roleID=1400, typeID=1500,
          startDate="2026-10-06", startTime=None, endDate="2026-10-06", endTime=None,
          duration=None, durationUnit=None, detentionDuration=None, lawEnforcement=None,
          auxiliaryCode=0, altPlacement=None)
    for name in ("BehaviorWeapon", "SpecialEDState", "FosterCare", "Day", "EventCodeCategory"):
        s.rows[name] = []
    return s


def load_frames(snapshot: Snapshot, folder: Path) -> dict[str, Any]:
    """Write `snapshot` and return its tables as `read_frames` reads them."""
    snapshot.write(folder)
    return read_frames(folder, folder / "test.duckdb")


def read_frames(folder: Path, database: Path) -> dict[str, Any]:
    """The snapshot folder `folder` read through the real reader into `database` and
    warn-and-drop, as typed Polars frames: what the report functions see in a refresh."""
    import duckdb

    from lead_pipeline.lib.snapshot import store
    from lead_pipeline.lib.snapshot.integrity import drop_invalid_rows
    from lead_pipeline.lib.snapshot.reader import load_folder

    with duckdb.connect(str(database)) as con:
        result = load_folder(con, folder, "s",
                             included_classifications=load_codes().included_classifications)
        assert not result.blocking, [f.line() for f in result.blocking]
        drop_invalid_rows(con, "s", result.present)
        return store.frames(con, [t.name for t in TABLES], schema="s")


# ---- the LEAD flow over a hand-built snapshot -------------------------------------------------

GENERATED = datetime(2026, 11, 22, 3, 0, 0)
"""The "Date Time Generated" of every hand-built LEAD run."""
LAST_DAY = "2027-05-21"
"""The last day of tiny()'s calendar 100, so of its section 600."""


class Run:
    """The LEAD flow (lib/lead/flow.py, the same call as the one-school refresh) over a
    hand-built snapshot read through the real reader: report year 2027, snapshot date
    2026-11-21, Detail of every section. The lookups are what the tests ask of it."""

    def __init__(self, snapshot: Snapshot, folder: Path):
        self.codes = load_codes()
        self.tables = load_frames(snapshot, folder)
        header = district_header(self.tables, 2027, date(2026, 11, 21))
        self.outputs = flow.build(self.tables, self.codes, header, GENERATED,
                                  section_ids=self.tables["Section"]["sectionID"].to_list())
        self.sections, self.students = self.outputs.sections, self.outputs.students
        self.classes, self.staff = self.outputs.reports.classes, self.outputs.reports.staff
        self.caseload = self.outputs.reports.caseload
        self.schoolwide = self.outputs.reports.schoolwide
        self.findings = self.outputs.findings

    def detail(self, *ids: int) -> pl.DataFrame:
        """The Detail rows of the sections `ids`, as if only those had been asked for."""
        return self.outputs.reports.detail.filter(pl.col("Section ID").is_in(ids))

    def counted(self, section: int = 600) -> list[int]:
        return sorted(self.students.filter(pl.col("sectionID") == section)["personID"])

    def row(self, section: int = 600) -> dict:
        return self.classes.filter(pl.col("Section ID") == section).row(0, named=True)


# ---- rows the LEAD tests add to tiny() --------------------------------------------------------

def add_student(s: Snapshot, pid: int, *, grade: str = "KG", roster: dict | None = None,
                enrollment: dict | None = None, race: str | None = "6",
                state_id: str | None = "default", section: int = 600) -> None:
    """A student with identity, a P enrollment in calendar 100 and a roster in `section`."""
    s.add("Person", personID=pid, stateID=f"{pid:010d}" if state_id == "default" else state_id,
          currentIdentityID=pid * 10, studentNumber=f"S{pid}", staffNumber=None)
    s.add("Identity", identityID=pid * 10, personID=pid, lastName=f"Last{pid}",
          firstName=f"First{pid}", middleName=None, gender="F", birthDate="2020-01-01",
          raceEthnicityFed=race)
    s.add("Enrollment", **{"enrollmentID": pid * 100, "personID": pid, "calendarID": 100,
                           "structureID": 200, "grade": grade, "startDate": "2026-08-12",
                           "endDate": None, "serviceType": "P", "noShow": 0,
                           "stateExclude": 0, "disability1": None, **(enrollment or {})})
    s.add("Roster", **{"rosterID": pid * 1000 + section, "personID": pid,
                       "sectionID": section, "trialID": 300, "startDate": None,
                       "endDate": None, **(roster or {})})


def add_section(s: Snapshot, sid: int, *, term: int = 400, special: str = "01",
                course: int = 500, teacher: int | None = 2) -> None:
    s.add("Section", sectionID=sid, courseID=course, trialID=300, number=str(sid),
          coreContent=None, teachingMethod=None, instructionalSetting="01", specialType=special)
    s.add("SectionPlacement", sectionID=sid, trialID=300, termID=term, periodID=1)
    if teacher is not None:
        s.add("SectionStaffHistory", sectionID=sid, trialID=300, personID=teacher,
              staffType="P", startDate="2026-08-12", endDate=None)


def iep(s: Snapshot, pid: int, *, locked: int = 1, start: str = "2026-08-01",
        end: str | None = None, plan_id: int | None = None) -> None:
    s.add("Plan", planID=plan_id or pid * 7, personID=pid, planType="IEP", startDate=start,
          endDate=end, locked=locked)


def add_staff(s: Snapshot, pid: int, *, school: int = 10, employment: dict | None = None,
              assignment: dict | None = None, with_employment: bool = True) -> None:
    s.add("Person", personID=pid, stateID=None, currentIdentityID=pid * 10, studentNumber=None,
          staffNumber=f"T{pid}")
    s.add("Identity", identityID=pid * 10, personID=pid, lastName=f"Staff{pid}",
          firstName=f"F{pid}", middleName=None, gender="M", birthDate="1980-01-01",
          raceEthnicityFed="6")
    if with_employment:
        s.add("Employment", **{"employmentID": pid * 10, "personID": pid, "districtID": 1,
                               "startDate": "2020-08-01", "endDate": None,
                               "licenseNumber": f"{pid:06d}", **(employment or {})})
    s.add("EmploymentAssignment", **{"assignmentID": pid * 10, "personID": pid,
                                     "schoolID": school, "startDate": "2020-08-01",
                                     "endDate": None, "type": "01", "altType": None,
                                     "teacher": 1, "title": "Teacher", **(assignment or {})})


def section(s: Snapshot, sid: int, **values: object) -> None:
    """add_section, then set Section columns (coreContent, teachingMethod, specialType …)."""
    add_section(s, sid, teacher=values.pop("teacher", 2),  # type: ignore[arg-type]
                course=values.pop("course", 500))  # type: ignore[arg-type]
    s.rows["Section"][-1].update(values)


def course(s: Snapshot, cid: int, state_code: str) -> None:
    s.add("Course", courseID=cid, calendarID=100, number=f"C{cid}", name=f"Course {cid}",
          stateCode=state_code, active=1)


def roster(s: Snapshot, pid: int, sid: int) -> None:
    s.add("Roster", rosterID=pid * 1000 + sid, personID=pid, sectionID=sid, trialID=300,
          startDate=None, endDate=None)


def ilpa(s: Snapshot, pid: int, *, start: str = "2026-08-01", end: str | None = None) -> None:
    s.add("Plan", planID=pid * 11, personID=pid, planType="ILPA", startDate=start, endDate=end,
          locked=0)


def case_manager(s: Snapshot, student: int, staff: int) -> None:
    s.add("TeamMember", teamMemberID=student * 100 + staff, personID=student,
          staffPersonID=staff, role="Case Manager", startDate="2026-08-01", endDate=None)


# ---- one district where every rule fires (the quality rules and the UI tests) ----------------

def every_rule() -> Snapshot:
    """tiny() plus one problem per rule: a second school 006 (A5) for Q-W1 and Q-I1."""
    s = tiny()
    s.add("School", schoolID=11, districtID=1, number="006", name="Alternative Center",
          stateClassification="A5")
    s.add("Calendar", calendarID=110, schoolID=11, endYear=2027, name="26-27 Alternative",
          startDate="2026-08-12", endDate=LAST_DAY, summerSchool=0, exclude=0)
    s.add("GradeLevel", calendarID=110, name="09", stateGrade="09", exclude=0)
    s.add("Course", courseID=510, calendarID=110, number="ALT", name="Alternative English",
          stateCode="230101", active=1)
    s.add("Section", sectionID=610, courseID=510, trialID=300, number="1", coreContent=None,
          teachingMethod=None, instructionalSetting=None, specialType="01")
    s.add("SectionPlacement", sectionID=610, trialID=300, termID=400, periodID=1)
    s.add("SectionStaffHistory", sectionID=610, trialID=300, personID=26, staffType="P",
          startDate="2026-08-12", endDate=None)
    add_student(s, 40, grade="09", enrollment={"calendarID": 110}, section=610)  # Q-W1
    s.rows["Section"][0]["specialType"] = "05"  # 600: Q-C9, Q-C10 (student 1 is general)
    add_staff(s, 21, with_employment=False)
    section(s, 601, teacher=21)  # Q-C1 and, with nobody counted, Q-C5
    course(s, 501, "909995")
    section(s, 602, course=501, teacher=None)  # Q-C2, Q-C3
    section(s, 603, teacher=None, teachingMethod="12")  # Q-C2, Q-C4
    course(s, 502, "230171")
    section(s, 604, course=502)  # Q-C6
    section(s, 605, coreContent="507")  # Q-C7
    section(s, 606, coreContent="509")  # Q-C8
    section(s, 607, specialType="02")  # Q-C11, Q-C12 (student 3 has no plan)
    add_staff(s, 26, school=11)  # employed, assigned at 006 only
    section(s, 608, teacher=26)  # Q-I1 (and Q-C1)
    add_student(s, 3, section=607)
    add_student(s, 4, section=602, enrollment={"disability1": "SLD"})
    for sid in (603, 604, 605, 606, 608):
        roster(s, 4, sid)
    iep(s, 4)  # no case manager: Q-K2
    add_staff(s, 20, employment={"licenseNumber": None})  # Q-S1
    add_staff(s, 22, assignment={"type": "05", "teacher": 0})  # Q-S2
    add_staff(s, 23, assignment={"type": "04", "teacher": 1})  # Q-S3
    add_staff(s, 24, assignment={"type": None})  # Q-I2
    s.add("Person", personID=25, stateID=None, currentIdentityID=None, studentNumber=None,
          staffNumber="T25")
    add_student(s, 5, section=600, enrollment={"disability1": "AUT"})
    iep(s, 5)
    case_manager(s, 5, 25)  # Q-K1
    case_manager(s, 3, 20)  # student 3 is general: Q-K3
    return s


EVERY_RULE = {
    "Q-C1": [("005", 601, 21), ("005", 608, 26)], "Q-C2": [("005", 602, None),
                                                            ("005", 603, None)],
    "Q-C3": [("005", 602, None)], "Q-C4": [("005", 603, None)], "Q-C5": [("005", 601, None)],
    "Q-C6": [("005", 604, None)], "Q-C7": [("005", 605, None)], "Q-C8": [("005", 606, None)],
    "Q-C9": [("005", 600, None)], "Q-C10": [("005", 600, None)],
    "Q-C11": [("005", 607, None)], "Q-C12": [("005", 607, None)],
    "Q-S1": [("005", None, 20)], "Q-S2": [("005", None, 22)], "Q-S3": [("005", None, 23)],
    "Q-K1": [(None, None, 25)], "Q-K2": [(None, None, None)], "Q-K3": [(None, None, 20)],
    "Q-W1": [("006", None, None)], "Q-I1": [("005", 608, 26)], "Q-I2": [("005", None, 24)],
}
"""The findings of `every_rule()`, worked out from the comments above."""
