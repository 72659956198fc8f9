"""The campaign of broken weekly exports (snapshot.md "Also stops the refresh", "Also warns"):
each case on a hand-built snapshot, with the exact line an operator reads.

Every line names the table, the column, the number of rows and the first keys; none quotes a
private value (names, state ids, birth dates) or carries a raw control byte.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from lead_pipeline.lib.codes import load_codes
from lead_pipeline.lib.snapshot.findings import CONTROL_CHARACTERS, Check, Finding
from lead_pipeline.lib.snapshot.integrity import Baseline, accept, drop_invalid_rows
from lead_pipeline.lib.snapshot.reader import (
    LoadResult,
    _holds_control,
    _utf8_problem,
    load_folder,
)
from lead_pipeline_tests.builders import Snapshot, tiny

SCHEMA = "snapshot_load_1"
RAW_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@pytest.fixture
def con(tmp_path: Path):
    with duckdb.connect(str(tmp_path / "test.duckdb")) as c:
        yield c


def load(con: duckdb.DuckDBPyConnection, folder: Path,
         baseline: Baseline | None = None) -> LoadResult:
    """The reader's blocking checks; with a `baseline`, also what the candidate step judges on
    the rows kept once they pass (integrity.accept: warnings and core-table sizes)."""
    result = load_folder(con, folder, SCHEMA,
                         included_classifications=load_codes().included_classifications)
    if baseline is not None and not result.blocking:
        result.findings.extend(accept(con, result, baseline))
    return result


def lines(result: LoadResult, check: Check) -> list[str]:
    found = [f.line() for f in result.findings if f.check is check]
    for line in found:
        assert not RAW_CONTROL.search(line), line
    return found


def only_line(result: LoadResult, check: Check) -> str:
    assert {f.check for f in result.findings} == {check}, [f.line() for f in result.findings]
    (line,) = lines(result, check)
    return line


def warnings(con: duckdb.DuckDBPyConnection, result: LoadResult) -> list[Finding]:
    assert result.blocking == [], [f.line() for f in result.blocking]
    return drop_invalid_rows(con, SCHEMA, result.present)


# ---- manifest: dates that would reorder or prune publications --------------------------------

@pytest.mark.parametrize(("snapshot_date", "end_year", "message"), [
    ("2062-11-21", 2027, "snapshotDate 2062-11-21 is outside the report year 2027's window "
     "2026-07-01 to 2027-12-31"),
    ("9999-12-31", 2027, "snapshotDate 9999-12-31 is outside the report year 2027's window "
     "2026-07-01 to 2027-12-31"),
    ("0001-01-01", 2027, "snapshotDate 0001-01-01 is outside the report year 2027's window "
     "2026-07-01 to 2027-12-31"),
    ("2026-06-30", 2027, "snapshotDate 2026-06-30 is outside the report year 2027's window "
     "2026-07-01 to 2027-12-31"),
    ("2026-11-21", -2027, "endYear -2027 is outside 2000-2100"),
    ("2026-11-21", 10000, "endYear 10000 is outside 2000-2100"),
    ("2026-11-21", 1999, "endYear 1999 is outside 2000-2100"),
])
def test_manifest_dates_outside_the_report_year_stop_the_refresh(con, tmp_path, snapshot_date,
                                                                 end_year, message):
    s = tiny()
    s.manifest.update(snapshotDate=snapshot_date, endYear=end_year)
    assert only_line(load(con, s.write(tmp_path / "s")), Check.MANIFEST) == (
        f"manifest.json: manifest.json {message}")


@pytest.mark.parametrize("snapshot_date", ["2026-07-01", "2027-06-30", "2027-12-31"])
def test_summer_snapshots_of_the_year_just_ended_are_normal(con, tmp_path, snapshot_date):
    s = tiny()
    s.manifest["snapshotDate"] = snapshot_date
    assert load(con, s.write(tmp_path / "s")).findings == []


def test_manifest_values_are_quoted_escaped(con, tmp_path):
    s = tiny()
    s.manifest["snapshotDate"] = "2026-11-2\x001"
    assert only_line(load(con, s.write(tmp_path / "s")), Check.MANIFEST) == (
        "manifest.json: manifest.json snapshotDate '2026-11-2\\x001' is not a date YYYY-MM-DD")


# ---- headers ---------------------------------------------------------------------------------

def test_a_column_named_twice_stops_the_refresh(con, tmp_path):
    """The bogus first personID column was used: district Total 9,368 -> 238."""
    folder = tiny().write(tmp_path / "s")
    (folder / "Roster.csv").write_text(
        "rosterID,personID,sectionID,trialID,startDate,endDate,personID\n"
        "800,7,600,300,,,1\n")
    assert only_line(load(con, folder), Check.PRESENT) == (
        "Roster.personID: column personID appears 2 times in the header of Roster.csv "
        "(columns 2, 7)")


@pytest.mark.parametrize(("written", "where"), [("PersonID", 2), (" personID", 2),
                                                ("personid ", 2)])
def test_a_column_spelled_differently_names_the_expected_spelling(con, tmp_path, written,
                                                                  where):
    folder = tiny().write(tmp_path / "s")
    (folder / "Roster.csv").write_text(
        f"rosterID,{written},sectionID,trialID,startDate,endDate\n800,1,600,300,,\n")
    assert only_line(load(con, folder), Check.PRESENT) == (
        f"Roster.personID: column {where} of Roster.csv is named '{written}': it differs from "
        "personID only in case or spaces; rename it personID")


def test_an_extra_column_named_twice_is_still_ignored(con, tmp_path):
    folder = tiny().write(tmp_path / "s")
    (folder / "Roster.csv").write_text(
        "rosterID,personID,sectionID,trialID,startDate,endDate,note,note\n"
        "800,1,600,300,,,a,b\n")
    assert load(con, folder).findings == []


# ---- values that cannot be used as declared ---------------------------------------------------

def test_school_number_with_a_path_stops_the_refresh(con, tmp_path):
    """`005/../../x` once published x.xlsx outside the publication."""
    s = tiny()
    s.one("School")["number"] = "005/../../x"
    assert only_line(load(con, s.write(tmp_path / "s")), Check.USABLE) == (
        "School.number: 1 value(s) are not 3 or 4 digits; rows: schoolID=10 (row 1) "
        "'005/../../x'")


@pytest.mark.parametrize("number", ["5", "10", "005 ", " 005", "00５", "", "12345"])
def test_school_numbers_must_be_three_or_four_digits_as_written(con, tmp_path, number):
    s = tiny()
    s.one("School")["number"] = number
    shown = "(blank)" if number == "" else f"'{number}'"
    assert only_line(load(con, s.write(tmp_path / "s")), Check.USABLE) == (
        f"School.number: 1 value(s) are not 3 or 4 digits; rows: schoolID=10 (row 1) {shown}")


def test_four_digit_school_numbers_are_fine(con, tmp_path):
    s = tiny()
    s.one("School")["number"] = "1005"
    assert load(con, s.write(tmp_path / "s")).findings == []


def test_district_number_must_be_three_digits(con, tmp_path):
    s = tiny()
    s.one("District")["number"] = "16"
    s.manifest["districtNumber"] = "16"
    assert only_line(load(con, s.write(tmp_path / "s")), Check.USABLE) == (
        "District.number: 1 value(s) are not 3 digits; rows: districtID=1 (row 1) '16'")


def test_course_state_code_that_lost_its_leading_zero(con, tmp_path):
    s = tiny()
    s.one("Course")["stateCode"] = "10101"
    assert only_line(load(con, s.write(tmp_path / "s")), Check.USABLE) == (
        "Course.stateCode: 1 value(s) are not 6 digits; rows: courseID=500 (row 1) '10101'")


def test_state_id_in_excel_scientific_form_is_refused_without_quoting_it(con, tmp_path):
    s = tiny()
    s.rows["Person"][0]["stateID"] = "1.03457E+9"
    line = only_line(load(con, s.write(tmp_path / "s")), Check.USABLE)
    assert line == "Person.stateID: 1 value(s) are not digits only; rows: row 1"
    assert "E+9" not in line


@pytest.mark.parametrize("value", ["9007199254740992", "9223372036854775808", "0", "-5"])
def test_ids_must_be_positive_and_below_two_to_the_53(con, tmp_path, value):
    s = tiny()
    s.one("Roster")["personID"] = value
    assert only_line(load(con, s.write(tmp_path / "s")), Check.PARSE) == (
        "Roster.personID: 1 value(s) are not an id: a positive integer below 2^53 "
        f"(9,007,199,254,740,992); rows: rosterID=800 (row 1) '{value}'")


def test_largest_id_below_two_to_the_53_is_fine(con, tmp_path):
    s = tiny()
    s.one("Roster")["rosterID"] = 2**53 - 1
    assert load(con, s.write(tmp_path / "s")).findings == []


def test_nul_byte_in_a_school_number_is_named_never_printed(con, tmp_path):
    """Once it reached workbooks as `_x0000_` and made a later step fail."""
    s = tiny()
    s.one("School")["number"] = "00\x005"
    result = load(con, s.write(tmp_path / "s"))
    assert lines(result, Check.USABLE) == [
        "School.number: 1 value(s) hold a control character (NUL or another invisible byte "
        "that is not a tab or line break); fix them in the SIS and export again; rows: "
        "schoolID=10 (row 1)",
        "School.number: 1 value(s) are not 3 or 4 digits; rows: schoolID=10 (row 1) "
        "'00\\x005'"]


def test_control_characters_in_text_stop_the_refresh_tabs_and_newlines_do_not(con, tmp_path):
    s = tiny()
    s.rows["Identity"][0]["lastName"] = "Stu\x07dent"  # private: never quoted anyway
    s.one("Course")["name"] = "Kinder\tgarten\nELA"  # tab and newline are ordinary text
    s.one("Section")["number"] = "1\x1b"
    result = load(con, s.write(tmp_path / "s"))
    assert lines(result, Check.USABLE) == [
        "Identity.lastName: 1 value(s) hold a control character (NUL or another invisible "
        "byte that is not a tab or line break); fix them in the SIS and export again; rows: "
        "row 1",
        "Section.number: 1 value(s) hold a control character (NUL or another invisible byte "
        "that is not a tab or line break); fix them in the SIS and export again; rows: "
        "sectionID=600 (row 1)"]


def test_a_file_holds_a_control_character_exactly_when_its_text_does(tmp_path):
    """The load skips the per-value search for control characters in a file whose bytes hold
    none (reader._holds_control): for every character up to U+07FF and a few beyond, the bytes
    answer as the decoded text does, and a C1 control (two bytes in UTF-8) cut in two by the
    scan's chunks is still seen."""
    for code in [*range(0x800), 0xFEFF, 0x2028, 0x10FFFF]:
        text = f"ab{chr(code)}cd"
        assert _holds_control(text.encode()) == bool(re.search(CONTROL_CHARACTERS, text)), code
    split = tmp_path / "Course.csv"
    split.write_bytes("name\nKinder\u0085garten\n".encode())  # NEL, a C1 control: C2 85
    cut = split.read_bytes().index(b"\xc2") + 1  # chunks end between its two bytes
    assert _utf8_problem(split, "Course", chunk_size=cut) == (None, True)
    plain = tmp_path / "School.csv"
    plain.write_text("name\nÉcole Saint-Léon\tA\n", encoding="utf-8")  # tab: ordinary text
    assert _utf8_problem(plain, "School", chunk_size=3) == (None, False)


def test_two_schools_with_the_same_number(con, tmp_path):
    """One workbook held both schools and another school's was missing."""
    s = tiny()
    s.add("School", schoolID=11, districtID=1, number="005", name="Second School",
          stateClassification="A1")
    assert only_line(load(con, s.write(tmp_path / "s")), Check.KEYS) == (
        "School.number: 1 school number(s) belong to more than one school; each school needs "
        "its own number (it names the school's workbook); rows: number '005': schoolID=10, 11")


def test_calendars_all_of_another_year(con, tmp_path):
    """Every report was published empty, exit 0."""
    s = tiny()
    s.one("Calendar")["endYear"] = 2026
    assert only_line(load(con, s.write(tmp_path / "s")), Check.YEAR) == (
        "Calendar.endYear: no included school has a calendar of endYear 2027 (the manifest's "
        "report year), so every report would be empty; calendars of included schools by "
        "endYear: 2026 (1)")


def test_a_calendar_of_the_year_at_an_excluded_school_does_not_count(con, tmp_path):
    s = tiny()
    s.one("School")["stateClassification"] = "F1"  # not an included classification (L-2)
    assert lines(load(con, s.write(tmp_path / "s")), Check.YEAR) == [
        "Calendar.endYear: no included school has a calendar of endYear 2027 (the manifest's "
        "report year), so every report would be empty; calendars of included schools by "
        "endYear: none"]


# ---- a core table that shrank --------------------------------------------------------------

ACCEPT = ("if the drop is real, accept it for this one refresh: lead-pipeline refresh "
          "--accept-smaller (in the UI: run config accept_smaller: true)")


def _rosters(n: int) -> Snapshot:
    s = tiny()
    s.rows["Roster"] = []
    for i in range(n):
        s.add("Roster", rosterID=800 + i, personID=1, sectionID=600, trialID=300)
    return s


def test_empty_roster_stops_the_refresh(con, tmp_path):
    result = load(con, _rosters(0).write(tmp_path / "s"), Baseline({}))
    assert only_line(result, Check.SHRINK) == f"Roster: Roster has no rows; {ACCEPT}"


def test_truncated_roster_against_the_current_snapshot(con, tmp_path):
    before = Baseline({"Roster": 9368, "Person": 2}, "the current snapshot (2026-11-14, load 3)")
    result = load(con, _rosters(4).write(tmp_path / "s"), before)
    assert only_line(result, Check.SHRINK) == (
        "Roster: Roster has 4 rows, fewer than half of the 9,368 in the current snapshot "
        f"(2026-11-14, load 3): a truncated export looks like this; {ACCEPT}")


def test_half_the_rows_is_still_fine_and_small_tables_are_not_judged(con, tmp_path):
    before = Baseline({"Roster": 8, "TeamMember": 500, "Plan": 40})
    assert load(con, _rosters(4).write(tmp_path / "s"), before).findings == []


def test_an_operator_accepts_a_real_drop_for_one_refresh(con, tmp_path):
    before = Baseline({"Roster": 9368}, accept_smaller=True)
    result = load(con, _rosters(0).write(tmp_path / "s"), before)
    assert result.findings == []
    assert f"accepted by the operator: Roster Roster has no rows; {ACCEPT}" in result.notes


def test_a_core_table_emptied_by_left_out_rows_stops_the_refresh(con, tmp_path):
    """Found by the property-based test: personID and sectionID swapped in Roster's header
    left every roster row out as an orphan, and the refresh published empty reports."""
    folder = tiny().write(tmp_path / "s")
    text = (folder / "Roster.csv").read_text()
    header, rest = text.split("\n", 1)
    (folder / "Roster.csv").write_text(
        header.replace("personID", "@").replace("sectionID", "personID").replace(
            "@", "sectionID") + "\n" + rest)
    result = load(con, folder, Baseline({"Roster": 1}))
    assert lines(result, Check.SHRINK) == [
        f"Roster: Roster has no rows (1 of 1 were left out, see the warnings); {ACCEPT}"]
    assert [f.line() for f in result.findings if not f.blocking] == [
        "Roster.personID: 1 row(s) point at no Person row; left out of the reports; rows: "
        "rosterID=800 (personID=600)"]


def test_lead_core_tables_are_not_judged_when_lead_does_not_run(con, tmp_path):
    s = tiny()
    s.omit |= {"ScheduleStructure", "Trial", "Term", "Course", "Section", "SectionPlacement",
               "SectionStaffHistory", "Roster", "Employment", "EmploymentAssignment",
               "TeamMember", "Lep", "GiftedTalented"}
    assert load(con, s.write(tmp_path / "s"), Baseline({"Roster": 100})).findings == []


# ---- warnings: nothing is dropped silently ---------------------------------------------------

def test_roster_rows_with_a_blank_person_are_left_out_with_a_warning(con, tmp_path):
    s = tiny()
    s.add("Roster", rosterID=801, personID=None, sectionID=600, trialID=300)
    s.add("Roster", rosterID=802, personID=None, sectionID=600, trialID=300)
    (f,) = warnings(con, load(con, s.write(tmp_path / "s")))
    assert f.line() == ("Roster.personID: 2 row(s) have a blank personID (their id); left out "
                        "of the reports; rows: rosterID=801 (row 2), rosterID=802 (row 3)")
    assert not f.blocking


def test_two_active_trials_in_one_structure_warn_and_count_both(con, tmp_path):
    s = tiny()
    s.add("Trial", trialID=301, structureID=200, active=1)
    (f,) = warnings(con, load(con, s.write(tmp_path / "s")))
    assert f.line() == ("Trial.active: 1 schedule structure(s) have more than one active "
                        "trial; the sections of every active trial are counted (keep one trial "
                        "active per structure in the SIS); rows: structureID=200 "
                        "(trialID=300, 301)")
    assert not f.blocking
    n = con.execute(f"SELECT count(*) FROM {SCHEMA}.Trial").fetchone()
    assert n == (2,)  # nothing left out


# ---- messages: located, short, no raw bytes -----------------------------------------------

def test_unterminated_quote_names_the_row(con, tmp_path):
    """It used to say "Error when sniffing file" with no line."""
    folder = tiny().write(tmp_path / "s")
    (folder / "Identity.csv").write_text(
        "identityID,personID,lastName,firstName,middleName,gender,birthDate,raceEthnicityFed\n"
        "12,2,Teacher,Tom,,M,1980-01-02,4\n"
        '11,1,"Unclosed,Ann,,F,2021-03-04,6\n')
    line = only_line(load(con, folder), Check.PARSE)
    assert line == ("Identity: Identity.csv cannot be read at row 2: a quoted value is never "
                    "closed (unterminated quote)")


def test_a_three_megabyte_value_is_reported_on_its_own_row_and_not_repeated(con, tmp_path):
    """It used to be reported on line 1 while it sat on row 417."""
    s = tiny()
    s.rows["Course"] = []
    for i in range(416):
        s.add("Course", courseID=500 + i, calendarID=100, number=f"C{i}", name="Course",
              stateCode="010101", active=1)
    s.add("Course", courseID=2000, calendarID=100, number="BIG", name="x" * 3_000_000,
          stateCode="010101", active=1)
    line = only_line(load(con, s.write(tmp_path / "s")), Check.PARSE)
    assert line == ("Course: Course.csv cannot be read at row 417: a row is longer than "
                    "2,000,000 bytes (the longest a snapshot row may be)")


def test_a_row_with_too_many_fields_names_the_row(con, tmp_path):
    folder = tiny().write(tmp_path / "s")
    (folder / "Roster.csv").write_text(
        "rosterID,personID,sectionID,trialID,startDate,endDate\n"
        "800,1,600,300,,\n801,1,600,300,,,extra\n")
    assert only_line(load(con, folder), Check.PARSE) == (
        "Roster: Roster.csv cannot be read at row 2: the row has 7 field(s) where the header "
        "has 6")


def test_long_non_private_values_are_shortened_in_messages(con, tmp_path):
    s = tiny()
    s.one("Roster")["startDate"] = "9" * 500
    line = only_line(load(con, s.write(tmp_path / "s")), Check.PARSE)
    assert line == ("Roster.startDate: 1 value(s) are not a date YYYY-MM-DD; rows: rosterID=800 "
                    f"(row 1) '{'9' * 40}…'")


def test_header_with_control_characters_is_escaped(con, tmp_path):
    folder = tiny().write(tmp_path / "s")
    (folder / "Roster.csv").write_text(
        "rosterID,person\x00ID,sectionID,trialID,startDate,endDate\n800,1,600,300,,\n")
    assert only_line(load(con, folder), Check.PRESENT) == (
        "Roster.personID: column personID is missing from Roster.csv")


def test_a_swapped_header_in_identity_quotes_no_name_or_date(con, tmp_path):
    """Found by the property-based test: with identityID and lastName swapped in the header,
    the key and value quoted were students' last names. A table with private columns is now
    named by row numbers only, and none of its values is quoted."""
    folder = tiny().write(tmp_path / "s")
    text = (folder / "Identity.csv").read_text()
    header, rest = text.split("\n", 1)
    (folder / "Identity.csv").write_text(
        header.replace("identityID", "@").replace("lastName", "identityID").replace(
            "@", "lastName") + "\n" + rest)
    line = only_line(load(con, folder), Check.PARSE)
    assert line == ("Identity.identityID: 2 value(s) are not an id: a positive integer below "
                    "2^53 (9,007,199,254,740,992); rows: row 1, row 2")
    assert "Student" not in line and "Teacher" not in line


def test_a_swapped_header_in_person_shows_no_state_id_in_warnings(con, tmp_path):
    """Found by the property-based test: with currentIdentityID and stateID swapped, the state
    ids parsed as ids, pointed at no Identity row, and the warning printed them."""
    folder = tiny().write(tmp_path / "s")
    text = (folder / "Person.csv").read_text()
    header, rest = text.split("\n", 1)
    (folder / "Person.csv").write_text(
        header.replace("stateID", "@").replace("currentIdentityID", "stateID").replace(
            "@", "currentIdentityID") + "\n" + rest)
    found = [f.line() for f in warnings(con, load(con, folder))]
    assert "Person.currentIdentityID: 1 row(s) point at no Identity row; left out of the " \
           "reports; rows: row 1" in found
    person = [line for line in found if line.startswith("Person.")]
    assert person and not [line for line in person if "=" in line.split("rows:")[1]]


def test_a_district_row_without_its_key_stops_the_refresh(con, tmp_path):
    """Found by the property-based test: the blank-key row was left out with a warning and
    every report step then failed on an empty District table."""
    s = tiny()
    s.one("District")["districtID"] = None
    assert only_line(load(con, s.write(tmp_path / "s")), Check.MANIFEST) == (
        "District: District must hold exactly one row (the snapshot's district); it holds 0 "
        "(1 more with a blank districtID)")
