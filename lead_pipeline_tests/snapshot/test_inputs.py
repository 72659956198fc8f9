"""Snapshot reading and integrity on small hand-built snapshots (spec/snapshot.md).

Valid variations must parse to exactly the values written; each invalid input must give its
finding naming the table, the column, the row count and the first keys.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path

import duckdb
import polars as pl
import pytest

from lead_pipeline.lib.codes import load_codes
from lead_pipeline.lib.snapshot.findings import Check, Finding
from lead_pipeline.lib.snapshot.integrity import drop_invalid_rows
from lead_pipeline.lib.snapshot.reader import LoadResult, load_folder
from lead_pipeline.lib.snapshot.schema import TABLES, Family
from lead_pipeline_tests.builders import Snapshot, tiny

SCHEMA = "snapshot_load_1"


@pytest.fixture
def con(tmp_path: Path):
    with duckdb.connect(str(tmp_path / "test.duckdb")) as c:
        yield c


def load(con: duckdb.DuckDBPyConnection, folder: Path) -> LoadResult:
    return load_folder(con, folder, SCHEMA,
                       included_classifications=load_codes().included_classifications)


def rows(con: duckdb.DuckDBPyConnection, table: str, cols: str = "*") -> list[tuple]:
    return con.execute(f'SELECT {cols} FROM {SCHEMA}."{table}" ORDER BY rowid').fetchall()


def only(result: LoadResult, check: Check) -> Finding:
    found = [f for f in result.findings if f.check is check]
    assert len(found) == 1, [f.line() for f in result.findings]
    return found[0]


# ---- valid variations parse exactly ---------------------------------------------------------

def test_clean_tiny_snapshot_has_no_findings_and_types(con, tmp_path):
    result = load(con, tiny().write(tmp_path / "s"))
    assert result.findings == []
    assert result.families == [Family.SHARED, Family.LEAD, Family.KIAS]
    assert result.row_counts["Person"] == 2 and result.row_counts["Plan"] == 0
    assert rows(con, "Enrollment", "enrollmentID, grade, startDate, endDate, noShow") == [
        (700, "KG", date(2026, 8, 12), None, False)]
    assert rows(con, "School", "number") == [("005",)]  # leading zeros kept (text)
    assert rows(con, "Course", "stateCode") == [("010101",)]


def test_bom_is_tolerated(con, tmp_path):
    folder = tiny().write(tmp_path / "s", bom=True)
    assert (folder / "Person.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    result = load(con, folder)
    assert result.findings == []
    assert rows(con, "Person", "personID, stateID") == [(1, "0000000001"), (2, None)]


def test_crlf_line_ends_leave_no_carriage_return(con, tmp_path):
    folder = tiny().write(tmp_path / "s", newline="\r\n")
    assert b"\r\n" in (folder / "Identity.csv").read_bytes()
    assert load(con, folder).findings == []
    assert rows(con, "Identity", "lastName, raceEthnicityFed") == [("Student", "6"),
                                                                  ("Teacher", "4")]


def test_quoted_commas_and_newlines_in_names(con, tmp_path):
    s = tiny()
    s.rows["Identity"][0].update(lastName="Smith, Jr.", firstName='Ann "Annie"\nMarie')
    folder = s.write(tmp_path / "s")
    assert b'"Smith, Jr."' in (folder / "Identity.csv").read_bytes()
    assert load(con, folder).findings == []
    assert rows(con, "Identity", "identityID, lastName, firstName")[0] == (
        11, "Smith, Jr.", 'Ann "Annie"\nMarie')


def test_extra_columns_and_extra_tables_are_ignored(con, tmp_path):
    folder = tiny().write(tmp_path / "s")
    text = (folder / "School.csv").read_text().splitlines()
    (folder / "School.csv").write_text(
        "\n".join([text[0] + ",principal,comment", text[1] + ",Dr. Who,x"]) + "\n")
    (folder / "Bus.csv").write_text("busID,route\n1,North\n")
    result = load(con, folder)
    assert result.findings == []
    assert rows(con, "School") == [(10, 1, "005", "Example Elementary", "A1")]
    assert "Bus" not in result.row_counts


def test_header_only_table_is_a_valid_empty_table(con, tmp_path):
    s = tiny()
    s.rows["TeamMember"] = []  # not a core table: a district may well have none
    folder = s.write(tmp_path / "s")
    assert (folder / "TeamMember.csv").read_text() == (
        "teamMemberID,personID,staffPersonID,role,startDate,endDate\n")
    result = load(con, folder)
    assert result.findings == []
    assert result.row_counts["TeamMember"] == 0


def test_text_starting_with_equals_stays_text(con, tmp_path):
    s = tiny()
    s.rows["Identity"][0]["lastName"] = "=HYPERLINK(\"x\")"
    s.rows["Course"][0]["name"] = "+1 Math"
    assert load(con, s.write(tmp_path / "s")).findings == []
    assert rows(con, "Identity", "lastName")[0] == ('=HYPERLINK("x")',)
    assert rows(con, "Course", "name") == [("+1 Math",)]


def test_accented_names_are_kept_exactly(con, tmp_path):
    s = tiny()
    s.rows["Identity"][0].update(lastName="Núñez-Ångström", firstName="Zoë")
    assert load(con, s.write(tmp_path / "s")).findings == []
    assert rows(con, "Identity", "lastName, firstName")[0] == ("Núñez-Ångström", "Zoë")


def test_flags_times_timestamps_and_decimals_parse(con, tmp_path):
    s = tiny()
    s.rows["Enrollment"][0].update(noShow="true", stateExclude="")
    s.rows["Trial"][0]["active"] = "TRUE"
    s.one("BehaviorIncident")["timestamp"] = "2026-10-05T10:30:15"
    s.one("BehaviorResolution").update(startTime="08:05", endTime="11:05", duration="1.25",
                                       detentionDuration="90")
    assert load(con, s.write(tmp_path / "s")).findings == []
    assert rows(con, "Enrollment", "noShow, stateExclude") == [(True, False)]
    assert rows(con, "Trial", "active") == [(True,)]
    assert rows(con, "BehaviorIncident", "timestamp") == [(datetime(2026, 10, 5, 10, 30, 15),)]
    assert rows(con, "BehaviorResolution", "startTime, endTime, duration, detentionDuration") == [
        (time(8, 5), time(11, 5), Decimal("1.25"), Decimal("90"))]


def test_parquet_snapshot_reads_like_csv(con, tmp_path):
    s = tiny()
    s.manifest["format"] = "parquet"
    folder = s.write(tmp_path / "s", fmt="parquet")
    assert not list(folder.glob("*.csv"))
    result = load(con, folder)
    assert result.findings == []
    assert rows(con, "School", "number, stateClassification") == [("005", "A1")]
    assert rows(con, "Enrollment", "startDate, noShow") == [(date(2026, 8, 12), False)]


def test_family_with_no_tables_is_skipped_with_a_note(con, tmp_path):
    s = tiny()
    s.omit |= {"BehaviorIncident", "BehaviorType", "BehaviorEvent", "BehaviorRole",
               "BehaviorWeapon", "BehaviorResType", "BehaviorResolution", "SpecialEDState",
               "FosterCare", "Day", "EventCodeCategory"}
    result = load(con, s.write(tmp_path / "s"))
    assert result.findings == []
    assert result.families == [Family.SHARED, Family.LEAD]
    assert any(n.startswith("KIAS skipped") for n in result.notes)


def test_optional_tables_may_be_absent(con, tmp_path):
    s = tiny()
    s.omit |= {"Day", "EventCodeCategory"}
    result = load(con, s.write(tmp_path / "s"))
    assert result.findings == []
    assert "Day" not in result.row_counts


# ---- invalid inputs give their message ------------------------------------------------------

def test_missing_manifest_field(con, tmp_path):
    s = tiny()
    del s.manifest["endYear"]
    f = only(load(con, s.write(tmp_path / "s")), Check.MANIFEST)
    assert f.message == "manifest.json has no endYear"
    assert f.blocking


def test_missing_manifest_file(con, tmp_path):
    folder = tiny().write(tmp_path / "s")
    (folder / "manifest.json").unlink()
    f = only(load(con, folder), Check.MANIFEST)
    assert "manifest.json is missing" in f.message


def test_manifest_district_number_differs_from_district_row(con, tmp_path):
    s = tiny()
    s.manifest["districtNumber"] = "166"
    f = only(load(con, s.write(tmp_path / "s")), Check.MANIFEST)
    assert (f.table, f.column) == ("District", "number")
    assert f.message == ("manifest.json districtNumber '166' differs from the District row's "
                         "number '165'")


def test_missing_file_of_a_running_family(con, tmp_path):
    s = tiny()
    s.omit.add("Roster")  # LEAD runs (its other tables are there) but Roster is missing
    f = only(load(con, s.write(tmp_path / "s")), Check.PRESENT)
    assert f.table == "Roster"
    assert f.message == "Roster.csv (or .parquet) is missing: LEAD needs it"


def test_missing_shared_table(con, tmp_path):
    s = tiny()
    s.omit.add("Person")
    f = only(load(con, s.write(tmp_path / "s")), Check.PRESENT)
    assert f.table == "Person" and "SHARED needs it" in f.message


def test_missing_column(con, tmp_path):
    folder = tiny().write(tmp_path / "s")
    frame = pl.read_csv(folder / "Section.csv", infer_schema=False).drop("specialType")
    frame.write_csv(folder / "Section.csv")
    result = load(con, folder)
    f = only(result, Check.PRESENT)
    assert (f.table, f.column) == ("Section", "specialType")
    assert f.message == "column specialType is missing from Section.csv"


def test_bad_date_names_table_column_rows_and_keys(con, tmp_path):
    s = tiny()
    s.add("Roster", rosterID=801, personID=1, sectionID=600, trialID=300,
          startDate="2026-13-01", endDate=None)
    s.add("Roster", rosterID=802, personID=1, sectionID=600, trialID=300,
          startDate="9/1/2026", endDate=None)
    f = only(load(con, s.write(tmp_path / "s")), Check.PARSE)
    assert (f.table, f.column, f.rows) == ("Roster", "startDate", 2)
    assert f.first == ("rosterID=801 (row 2) '2026-13-01'", "rosterID=802 (row 3) '9/1/2026'")
    assert f.message == "2 value(s) are not a date YYYY-MM-DD"


def test_bad_flag(con, tmp_path):
    s = tiny()
    s.one("Enrollment")["noShow"] = "Y"
    f = only(load(con, s.write(tmp_path / "s")), Check.PARSE)
    assert (f.table, f.column, f.rows, f.first) == (
        "Enrollment", "noShow", 1, ("enrollmentID=700 (row 1) 'Y'",))


def test_bad_integer_id(con, tmp_path):
    s = tiny()
    s.one("Roster")["sectionID"] = "600.0"
    f = only(load(con, s.write(tmp_path / "s")), Check.PARSE)
    assert (f.table, f.column, f.first) == ("Roster", "sectionID",
                                            ("rosterID=800 (row 1) '600.0'",))


def test_bad_value_of_a_private_column_is_not_quoted(con, tmp_path):
    s = tiny()
    s.rows["Identity"][0]["birthDate"] = "03/04/2021"
    f = only(load(con, s.write(tmp_path / "s")), Check.PARSE)
    assert (f.table, f.column, f.first) == ("Identity", "birthDate", ("row 1",))
    assert "2021" not in f.line()


def test_duplicate_key(con, tmp_path):
    s = tiny()
    s.add("Roster", rosterID=800, personID=1, sectionID=600, trialID=300)
    s.add("GradeLevel", calendarID=100, name="KG", stateGrade="00", exclude=0)
    result = load(con, s.write(tmp_path / "s"))
    found = {f.table: f for f in result.findings if f.check is Check.KEYS}
    assert set(found) == {"Roster", "GradeLevel"} and len(result.findings) == 2
    assert found["Roster"].first == ("rosterID=800 (rows 1, 2)",)
    assert found["GradeLevel"].column == "calendarID, name"
    assert found["GradeLevel"].first == ("calendarID=100, name=KG (rows 1, 3)",)


def test_blank_key_is_left_out_with_a_warning(con, tmp_path):
    """snapshot.md "Also warns": rows whose key is blank are left out (count, row numbers)."""
    s = tiny()
    s.add("Roster", rosterID=None, personID=1, sectionID=600, trialID=300)
    result = load(con, s.write(tmp_path / "s"))
    assert result.findings == []
    (f,) = drop_invalid_rows(con, SCHEMA, result.present)
    assert (f.check, f.blocking, f.table, f.column, f.rows, f.first) == (
        Check.BLANK, False, "Roster", "rosterID", 1, ("rosterID=(blank) (row 2)",))
    assert f.line() == ("Roster.rosterID: 1 row(s) have a blank rosterID (their key); left out "
                        "of the reports; rows: rosterID=(blank) (row 2)")
    assert rows(con, "Roster", "rosterID") == [(800,)]


def test_non_utf8_bytes(con, tmp_path):
    folder = tiny().write(tmp_path / "s")
    raw = (folder / "Identity.csv").read_bytes().replace(b"Student", b"Stud\xe9nt")
    (folder / "Identity.csv").write_bytes(raw)
    f = only(load(con, folder), Check.ENCODING)
    assert (f.table, f.rows, f.first) == ("Identity", 1, ("line 2",))
    assert f.message.startswith("Identity.csv is not valid UTF-8")


def test_parquet_with_a_wrong_type(con, tmp_path):
    s = tiny()
    s.manifest["format"] = "parquet"
    folder = s.write(tmp_path / "s", fmt="parquet")
    pl.DataFrame({"schoolID": [10], "districtID": [1], "number": [5], "name": ["Example"],
                  "stateClassification": ["A1"]}).write_parquet(folder / "School.parquet")
    f = only(load(con, folder), Check.PARSE)
    assert (f.table, f.column) == ("School", "number")
    assert f.message == ("School.parquet stores number as BIGINT; expected text, kept exactly "
                         "as written (VARCHAR)")


def test_unreadable_csv_is_reported_without_quoting_its_row(con, tmp_path):
    folder = tiny().write(tmp_path / "s")
    (folder / "Identity.csv").write_text(
        "identityID,personID,lastName,firstName,middleName,gender,birthDate,raceEthnicityFed\n"
        '11,1,"Unclosed,Ann,,F,2021-03-04,6\n')
    f = only(load(con, folder), Check.PARSE)
    assert f.table == "Identity" and f.message.startswith("Identity.csv cannot be read")
    assert "Unclosed" not in f.line()


def test_findings_of_every_kind_are_reported_together(con, tmp_path):
    s = tiny()
    del s.manifest["snapshotDate"]
    s.one("Enrollment")["noShow"] = "maybe"
    s.omit.add("Lep")
    result = load(con, s.write(tmp_path / "s"))
    assert {f.check for f in result.findings} == {Check.MANIFEST, Check.PARSE, Check.PRESENT}


# ---- warn and drop --------------------------------------------------------------------------

def test_orphan_roster_is_dropped_with_a_warning(con, tmp_path):
    s = tiny()
    s.add("Roster", rosterID=801, personID=1, sectionID=999, trialID=300)
    s.add("Roster", rosterID=802, personID=1, sectionID=601, trialID=300)
    result = load(con, s.write(tmp_path / "s"))
    assert result.findings == []
    (f,) = drop_invalid_rows(con, SCHEMA, result.present)
    assert (f.check, f.table, f.column, f.rows, f.blocking) == (
        Check.ORPHAN, "Roster", "sectionID", 2, False)
    assert f.first == ("rosterID=801 (sectionID=999)", "rosterID=802 (sectionID=601)")
    assert rows(con, "Roster", "rosterID") == [(800,)]


def test_no_table_points_at_itself():
    """A table's reasons to leave rows out are judged in one pass (integrity._drop_at_once),
    which holds because each reads only other tables, final by then: a table pointing at
    itself would change its own orphans as its rows were deleted."""
    assert [t.name for t in TABLES if any(c.references == t.name for c in t.references)] == []


def test_a_row_with_several_reasons_is_left_out_for_the_first(con, tmp_path):
    """A table's reasons are applied in order (blank ids, then each reference in column order,
    then reversed dates): a row meeting several is counted and named once, under the first,
    as when the reasons delete one after another; each reason names its own first rows."""
    s = tiny()
    s.add("Roster", rosterID=801, personID=None, sectionID=999, trialID=300)  # blank, orphan
    s.add("Roster", rosterID=802, personID=1, sectionID=999, trialID=300)  # orphan section
    s.add("Roster", rosterID=803, personID=999, sectionID=999, trialID=300)  # both orphan
    s.add("Roster", rosterID=804, personID=999, sectionID=600, trialID=300,
          startDate="2026-10-02", endDate="2026-10-01")  # orphan person, reversed
    s.add("Roster", rosterID=805, personID=1, sectionID=999, trialID=300)  # orphan section
    result = load(con, s.write(tmp_path / "s"))
    found = {(f.check, f.column): (f.rows, f.first)
             for f in drop_invalid_rows(con, SCHEMA, result.present)}
    assert found == {
        (Check.BLANK, "personID"): (1, ("rosterID=801 (row 2)",)),
        (Check.ORPHAN, "personID"): (2, ("rosterID=803 (personID=999)",
                                         "rosterID=804 (personID=999)")),
        (Check.ORPHAN, "sectionID"): (2, ("rosterID=802 (sectionID=999)",
                                          "rosterID=805 (sectionID=999)")),
    }
    assert rows(con, "Roster", "rosterID") == [(800,)]


def test_orphans_cascade_to_rows_pointing_at_dropped_rows(con, tmp_path):
    s = tiny()
    s.add("Section", sectionID=601, courseID=555, trialID=300, number="2", coreContent=None,
          teachingMethod=None, instructionalSetting=None, specialType="01")
    s.add("Roster", rosterID=801, personID=1, sectionID=601, trialID=300)
    result = load(con, s.write(tmp_path / "s"))
    found = {(f.table, f.column): f.rows for f in drop_invalid_rows(con, SCHEMA, result.present)}
    assert found == {("Section", "courseID"): 1, ("Roster", "sectionID"): 1}


def test_end_before_start_is_dropped_but_not_for_behavior_resolution(con, tmp_path):
    s = tiny()
    s.add("Enrollment", enrollmentID=701, personID=1, calendarID=100, structureID=200,
          grade="KG", startDate="2026-09-10", endDate="2026-09-01", serviceType="S",
          noShow=0, stateExclude=0, disability1=None)
    s.one("BehaviorResolution").update(startDate="2026-10-08", endDate="2026-10-06")
    result = load(con, s.write(tmp_path / "s"))
    (f,) = drop_invalid_rows(con, SCHEMA, result.present)
    assert (f.check, f.table, f.column, f.rows, f.first) == (
        Check.REVERSED, "Enrollment", "endDate", 1, ("enrollmentID=701",))
    assert rows(con, "Enrollment", "enrollmentID") == [(700,)]
    assert rows(con, "BehaviorResolution", "resolutionID") == [(1600,)]


def test_references_into_a_skipped_family_are_not_orphans(con, tmp_path):
    s = tiny()
    lead_only = {"ScheduleStructure", "Trial", "Term", "Course", "Section", "SectionPlacement",
                 "SectionStaffHistory", "Roster", "Employment", "EmploymentAssignment",
                 "TeamMember", "Lep", "GiftedTalented"}
    s.omit |= lead_only  # Enrollment.structureID points into LEAD's ScheduleStructure
    result = load(con, s.write(tmp_path / "s"))
    assert result.findings == [] and Family.LEAD not in result.families
    assert drop_invalid_rows(con, SCHEMA, result.present) == []


def test_manifest_json_accepts_bom(tmp_path, con):
    folder = tiny().write(tmp_path / "s")
    text = json.dumps({"snapshotDate": "2026-11-21", "endYear": "2027",
                       "districtNumber": "165"})
    (folder / "manifest.json").write_bytes(b"\xef\xbb\xbf" + text.encode())
    result = load(con, folder)
    assert result.findings == []
    assert result.manifest is not None and result.manifest.end_year == 2027


def test_snapshot_builder_round_trip(tmp_path):
    """The builder itself: what the tests write is the CSV they think they write."""
    s = Snapshot({"snapshotDate": "2026-11-21", "endYear": 2027})
    s.add("District", districtID=1, number="165", name="A, B")
    assert s.csv_text("District") == 'districtID,number,name\n1,165,"A, B"\n'
