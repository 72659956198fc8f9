"""Hand-built KIAS incidents on top of `tiny()`, read without DuckDB.

`tiny()` gives district 165, school 10 (number "005"), calendar 100 of 2026-27 (no `Day` rows,
so Monday-Friday counts), and student 1 (KIDS ID 0000000001, KG, primary enrollment 700 from
2026-08-12, no IEP, no special education or foster record). `Case` drops tiny's own incident and
lets each test state its incidents, events, roles and resolutions in a line or two; `frames_of`
types the rows the way the snapshot reader does, in memory, so a test runs in milliseconds
(test_frames.py checks it against the real reader).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from itertools import count
from typing import Any

import polars as pl

from lead_pipeline.lib.codes import load_codes
from lead_pipeline.lib.kias import columns, population, validation
from lead_pipeline.lib.kias.reference import event_categories, load_kias_codes
from lead_pipeline.lib.snapshot.schema import TABLES, Kind
from lead_pipeline_tests.builders import Snapshot, _text, tiny

DAY = "2026-10-05"  # a Monday: the default incident date
KIDS = "0000000001"  # student 1's state id
BEHAVIOR = ("BehaviorIncident", "BehaviorType", "BehaviorEvent", "BehaviorRole", "BehaviorWeapon",
            "BehaviorResType", "BehaviorResolution")


def _cast(name: str, kind: Kind) -> pl.Expr:
    text = pl.col(name).str.strip_chars()
    match kind:
        case Kind.INT:
            return text.cast(pl.Int64)
        case Kind.TEXT:
            return pl.col(name)
        case Kind.DATE:
            return text.str.to_date("%Y-%m-%d")
        case Kind.TIME:
            return pl.coalesce(text.str.to_time("%H:%M:%S", strict=False),
                               text.str.to_time("%H:%M", strict=False))
        case Kind.TIMESTAMP:
            t = text.str.replace("T", " ", literal=True)
            return pl.coalesce(t.str.to_datetime("%Y-%m-%d %H:%M:%S", strict=False),
                               t.str.to_datetime("%Y-%m-%d %H:%M", strict=False),
                               t.str.to_datetime("%Y-%m-%d", strict=False)
                               ).dt.cast_time_unit("us")
        case Kind.FLAG:
            return text.str.to_lowercase().is_in(["1", "true"]).fill_null(False)
        case Kind.DECIMAL:
            return text.cast(pl.Decimal(18, 6))
    raise AssertionError(kind)


def frames_of(s: Snapshot) -> dict[str, pl.DataFrame]:
    """Every table of `s` typed like the reader's (an omitted table is empty)."""
    out = {}
    for table in TABLES:
        rows = [] if table.name in s.omit else s.rows.get(table.name, [])
        raw = pl.DataFrame({c: [_text(r.get(c)) or None for r in rows]
                            for c in table.column_names},
                           schema=dict.fromkeys(table.column_names, pl.String))
        out[table.name] = raw.select(_cast(c.name, c.kind).alias(c.name) for c in table.columns)
    return out


@dataclass
class Result:
    candidates: pl.DataFrame
    rows: pl.DataFrame
    """The extract with its group key (personID, eventID, stateResCode) first."""
    findings: pl.DataFrame

    def row(self, event: int, code: str, person: int = 1) -> dict[str, Any]:
        match = self.rows.filter(pl.col("eventID") == event, pl.col("stateResCode") == code,
                                 pl.col("personID") == person)
        assert match.height == 1, f"{match.height} rows for event {event}, code {code}"
        return match.row(0, named=True)

    def cell(self, event: int, code: str, column: str, person: int = 1) -> str:
        return self.row(event, code, person)[column]

    @property
    def csv_rows(self) -> pl.DataFrame:
        return self.rows.drop(list(columns.GROUP_KEY))


class Case:
    """A KIAS scenario: tiny() without its incident, plus what the test adds."""

    def __init__(self) -> None:
        self.s = tiny()
        for name in BEHAVIOR:
            self.s.rows[name] = []
        self._ids = {k: count(start) for k, start in (
            ("incident", 2001), ("event", 3001), ("role", 4001), ("resolution", 5001),
            ("type", 7001))}
        self.event_codes_in_snapshot = False

    # ---- people -------------------------------------------------------------------------
    def student(self, pid: int, *, grade: str = "KG", state_id: str | None = "default",
                **enrollment: Any) -> int:
        """A student with identity and an enrollment (calendar 100 unless given). Ids 1 and 2
        are tiny()'s student and teacher."""
        assert all(r["personID"] != pid for r in self.s.rows["Person"]), f"person {pid} exists"
        self.s.add("Person", personID=pid,
                   stateID=f"{pid:010d}" if state_id == "default" else state_id,
                   currentIdentityID=pid * 10, studentNumber=f"S{pid}", staffNumber=None)
        self.s.add("Identity", identityID=pid * 10, personID=pid, lastName=f"Last{pid}",
                   firstName=f"First{pid}", middleName=None, gender="F",
                   birthDate="2020-01-01", raceEthnicityFed="6")
        self.enrollment(pid, grade=grade, **enrollment)
        return pid

    def enrollment(self, pid: int, **values: Any) -> None:
        row = {"enrollmentID": pid * 100 + len(self.s.rows["Enrollment"]), "personID": pid,
               "calendarID": 100, "structureID": 200, "grade": "KG",
               "startDate": "2026-08-12", "endDate": None, "serviceType": "P", "noShow": 0,
               "stateExclude": 0, "disability1": None}
        row.update(values)
        self.s.add("Enrollment", **row)

    def iep(self, pid: int = 1, start: str = "2026-08-01", end: str | None = None,
            locked: int = 1) -> None:
        self.s.add("Plan", planID=900 + len(self.s.rows["Plan"]), personID=pid, planType="IEP",
                   startDate=start, endDate=end, locked=locked)

    def sped(self, pid: int = 1, start: str = "2026-08-01", end: str | None = None,
             disability: str | None = "SLD") -> None:
        self.s.add("SpecialEDState", personID=pid, primaryDisability=disability,
                   startDate=start, endDate=end)

    def foster(self, pid: int = 1, start: str = "2026-08-01", end: str | None = None) -> None:
        self.s.add("FosterCare", personID=pid, startDate=start, endDate=end)

    def days(self, *days: tuple[str, int], calendar: int = 100) -> None:
        """`Day` rows (date, instruction); schoolDay mirrors instruction."""
        for d, instruction in days:
            self.s.add("Day", calendarID=calendar, date=d, schoolDay=instruction,
                       instruction=instruction)

    def event_code(self, code: str, category: str) -> None:
        """A row of the snapshot's own EventCodeCategory (then it replaces the reference)."""
        self.s.add("EventCodeCategory", stateEventCode=code, category=category)
        self.event_codes_in_snapshot = True

    # ---- behavior -----------------------------------------------------------------------
    def incident(self, *, on: str = DAY, status: str = "CM", context: str | None = "120",
                 location: str | None = "101", calendar: int = 100, time: str = " 10:30"
                 ) -> int:
        iid = next(self._ids["incident"])
        self.s.add("BehaviorIncident", incidentID=iid, calendarID=calendar,
                   timestamp=on + time, status=status, context=context, location=location)
        return iid

    def event(self, incident: int | None = None, *, code: str | None = "1110",
              incident_type: str | None = None, violence: bool = False, **incident_kw: Any
              ) -> int:
        """An event of `incident` (a new one when None) with its own behavior type."""
        if incident is None:
            incident = self.incident(**incident_kw)
        tid = next(self._ids["type"])
        self.s.add("BehaviorType", typeID=tid, name=f"Type {tid}", stateEventCode=code,
                   incidentType=incident_type)
        eid = next(self._ids["event"])
        self.s.add("BehaviorEvent", eventID=eid, incidentID=incident, typeID=tid,
                   victimReferral=int(violence))
        return eid

    def role(self, event: int, person: int = 1, *, role: str = "Offender",
             injury: str | None = None, weapons: tuple[str, ...] = ()) -> int:
        rid = next(self._ids["role"])
        self.s.add("BehaviorRole", roleID=rid, eventID=event, personID=person, role=role,
                   injury=injury)
        for code in weapons:
            self.s.add("BehaviorWeapon", roleID=rid, weaponCode=code)
        return rid

    def res_type(self, code: str | None) -> int:
        tid = 6000 + (int(code) if code and code.isdigit() else 999)
        if not any(r["typeID"] == tid for r in self.s.rows["BehaviorResType"]):
            self.s.add("BehaviorResType", typeID=tid, name=f"Resolution {code}",
                       stateResCode=code)
        return tid

    def resolution(self, role: int, code: str | None, *, start: str | None = "2026-10-06",
                   end: str | None = "2026-10-06", start_time: str | None = None,
                   end_time: str | None = None, duration: str | None = None,
                   unit: str | None = None, detention: str | None = None,
                   law: str | None = None, arrest: bool = False, method: str | None = None
                   ) -> int:
        rid = next(self._ids["resolution"])
        self.s.add("BehaviorResolution", resolutionID=rid, roleID=role,
                   typeID=self.res_type(code), startDate=start, startTime=start_time,
                   endDate=end, endTime=end_time, duration=duration, durationUnit=unit,
                   detentionDuration=detention, lawEnforcement=law,
                   auxiliaryCode=int(arrest), altPlacement=method)
        return rid

    def one(self, code: str = "450", *, person: int = 1, weapons: tuple[str, ...] = (),
            injury: str | None = None, event: dict | None = None, **resolution: Any) -> int:
        """One event with one role of `person` and one resolution of `code`; its eventID."""
        eid = self.event(**(event or {}))
        self.resolution(self.role(eid, person, weapons=weapons, injury=injury), code,
                        **resolution)
        return eid

    # ---- run ----------------------------------------------------------------------------
    def run(self, **params: Any) -> Result:
        tables = frames_of(self.s)
        codes = load_kias_codes()
        present = ["EventCodeCategory"] if self.event_codes_in_snapshot else []
        categories, _ = event_categories(
            tables, present, reference=load_codes().event_code_category)
        found = population.candidates(tables, codes, population.Params.for_year(2027, **params),
                                      categories)
        return Result(found, columns.extract(found, codes, keys=True),
                      validation.findings(found, codes))


def d(text: str) -> date:
    return date.fromisoformat(text)
