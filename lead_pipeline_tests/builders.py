"""Hand-built tiny snapshots for tests: a valid one-school district to start from and change.

Each test states the rows it cares about; everything else comes from `tiny()`, whose rows are
few enough to read (one school, one section, one student, one teacher, one incident).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
                import polars as pl

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
    """Write `snapshot`, read it through the real reader and warn-and-drop, and return its
    typed tables as Polars frames: what the report functions see in a refresh."""
    import duckdb

    from lead_pipeline.lib.codes import load_codes
    from lead_pipeline.lib.snapshot import store
    from lead_pipeline.lib.snapshot.integrity import drop_invalid_rows
    from lead_pipeline.lib.snapshot.reader import load_folder

    snapshot.write(folder)
    with duckdb.connect(str(folder / "test.duckdb")) as con:
        result = load_folder(con, folder, "s",
                             included_classifications=load_codes().included_classifications)
        assert not result.blocking, [f.line() for f in result.blocking]
        drop_invalid_rows(con, "s", result.present)
        return store.frames(con, [t.name for t in TABLES], schema="s")
