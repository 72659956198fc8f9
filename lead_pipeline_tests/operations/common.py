"""Two-school snapshots for the operations tests, and how to compare published folders.

School 005 is tiny()'s; school 010 (schoolID 20) has its own calendar, section 610 and student
30. Week 1 (2026-11-21): section 610 has no primary teacher (Q-C2 at school 010). Week 2
(2026-11-28): teacher 2 is given to section 610 (Q-C2 resolved).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import openpyxl
import polars as pl

from lead_pipeline_tests.builders import Snapshot, tiny

OTHER = "010"
FILE = f"schools/LEAD_{OTHER}.xlsx"


def two_schools(fixed: bool = False) -> Snapshot:
    s = tiny()
    s.add("School", schoolID=20, districtID=1, number=OTHER, name="Second Elementary",
          stateClassification="A1")
    s.add("Calendar", calendarID=110, schoolID=20, endYear=2027, name="26-27 Second",
          startDate="2026-08-12", endDate="2027-05-21", summerSchool=0, exclude=0)
    s.add("GradeLevel", calendarID=110, name="KG", stateGrade="00", exclude=0)
    s.add("ScheduleStructure", structureID=210, calendarID=110, name="Main")
    s.add("Trial", trialID=310, structureID=210, active=1)
    s.add("Term", termID=410, structureID=210, name="Year", seq=1, startDate="2026-08-12",
          endDate="2027-05-21")
    s.add("Course", courseID=510, calendarID=110, number="K-ELA", name="Kindergarten ELA",
          stateCode="010101", active=1)
    s.add("Section", sectionID=610, courseID=510, trialID=310, number="1", coreContent="",
          teachingMethod="", instructionalSetting="01", specialType="01")
    s.add("SectionPlacement", sectionID=610, trialID=310, termID=410, periodID=1)
    s.add("Person", personID=30, stateID="0000000030", currentIdentityID=300,
          studentNumber="S30", staffNumber=None)
    s.add("Identity", identityID=300, personID=30, lastName="Pupil", firstName="Bo",
          middleName=None, gender="M", birthDate="2021-05-06", raceEthnicityFed="6")
    s.add("Enrollment", enrollmentID=3000, personID=30, calendarID=110, structureID=210,
          grade="KG", startDate="2026-08-12", endDate=None, serviceType="P", noShow=0,
          stateExclude=0, disability1=None)
    s.add("Roster", rosterID=3100, personID=30, sectionID=610, trialID=310, startDate=None,
          endDate=None)
    s.add("EmploymentAssignment", assignmentID=1010, personID=2, schoolID=20,
          startDate="2015-08-01", endDate=None, type="01", altType=None, teacher=1,
          title="Teacher")
    if fixed:
        s.manifest["snapshotDate"] = "2026-11-28"
        s.add("SectionStaffHistory", sectionID=610, trialID=310, personID=2, staffType="P",
              startDate="2026-08-12", endDate=None)
    return s


def digests(folder: Path) -> dict[str, str]:
    """sha256 of every file under `folder` (resolving `latest`), by relative path."""
    folder = folder.resolve()
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def custom_properties(path: Path) -> dict[str, str]:
    book = openpyxl.load_workbook(path, read_only=True)
    return {p.name: p.value for p in book.custom_doc_props.props}


def sheet(path: Path, name: str) -> pl.DataFrame:
    return pl.read_excel(path, sheet_name=name, engine="calamine")


def changes(path: Path) -> list[tuple]:
    frame = sheet(path, "Changes")
    return [(r["Change"], r["Check"], r["School Number"], r["Section ID"])
            for r in frame.iter_rows(named=True)]
