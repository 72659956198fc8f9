"""History and the Changes sheet (outputs.md): two refreshes of different snapshot dates with
one record fixed and one broken in between, read back from the published workbooks.

Week 1 (2026-11-21): tiny() plus section 601 with a student and no primary teacher (Q-C2) and
staff 20 of type 01 without an EPSB ID (Q-S1). Week 2 (2026-11-28): 601 gets teacher 2 (Q-C2
resolved), section 600 becomes special education with its one general student (Q-C9 and Q-C10
new: 1 general of 1), Q-S1 still open (so not a change).
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import duckdb
import polars as pl

from lead_pipeline.lib.lead import history
from lead_pipeline.lib.lead.rules import ISSUE_SCHEMA
from lead_pipeline.refresh import run_refresh
from lead_pipeline_tests.builders import Snapshot, add_section, add_staff, add_student, tiny

DISTRICT = "district/LEAD_District_165.xlsx"
SCHOOL = "schools/LEAD_005.xlsx"
CHANGE_HEADER = ["Change", "Check", "Level", "Report", "School Number", "Section ID",
                 "Person ID", "Message"]



def week1() -> Snapshot:
    s = tiny()
    add_section(s, 601, teacher=None)
    add_student(s, 3, section=601)
    add_staff(s, 20, employment={"licenseNumber": None})
    return s


def week2() -> Snapshot:
    s = week1()
    s.manifest["snapshotDate"] = "2026-11-28"
    s.add("SectionStaffHistory", sectionID=601, trialID=300, personID=2, staffType="P",
          startDate="2026-08-12", endDate=None)  # fixed
    s.rows["Section"][0]["specialType"] = "05"  # section 600: newly broken
    return s


def sheet(path: Path, name: str) -> pl.DataFrame:
    return pl.read_excel(path, sheet_name=name, engine="calamine")


def header(path: Path, name: str) -> list[str]:
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True)
    return [c.value for c in next(book[name].iter_rows(max_row=1))]


def rows(frame: pl.DataFrame) -> list[tuple]:
    return [(r["Change"], r["Check"], r["School Number"], r["Section ID"], r["Person ID"])
            for r in frame.iter_rows(named=True)]


def refresh(tmp_path: Path, snapshot: Snapshot, name: str):
    outcome = run_refresh(snapshot.write(tmp_path / name), database=tmp_path / "w.duckdb",
                          output=tmp_path / "out")
    assert outcome.success, outcome.problems
    assert outcome.published is not None
    return outcome


def test_a_fixed_record_is_resolved_and_a_broken_one_new(tmp_path: Path):
    first = refresh(tmp_path, week1(), "w1")
    # the first refresh: Changes holds only its header row
    for book in (DISTRICT, SCHOOL):
        assert header(first.published / book, "Changes") == CHANGE_HEADER
        assert header(first.published / book, "Issues") == [
            "Check", "Level", "Report", "School Number", "Section ID", "Person ID", "Message",
            "How to fix"]
    assert sheet(first.published / DISTRICT, "Changes").height == 0
    issues = sheet(first.published / DISTRICT, "Issues")
    assert [(r["Check"], r["Section ID"], r["Person ID"]) for r in issues.iter_rows(named=True)
            ] == [("Q-C2", 601, None), ("Q-S1", None, 20)]

    second = refresh(tmp_path, week2(), "w2")
    assert second.published != first.published
    expected = [("New", "Q-C9", "005", 600, None), ("New", "Q-C10", "005", 600, None),
                ("Resolved", "Q-C2", "005", 601, None)]
    district = sheet(second.published / DISTRICT, "Changes")
    assert district.columns == CHANGE_HEADER
    assert rows(district) == expected
    resolved = district.filter(pl.col("Change") == "Resolved").row(0, named=True)
    assert (resolved["Level"], resolved["Report"]) == ("Error", "Classes")
    assert rows(sheet(second.published / SCHOOL, "Changes")) == expected
    issues = sheet(second.published / DISTRICT, "Issues")
    assert issues["Check"].to_list() == ["Q-C9", "Q-C10", "Q-S1"]

    # the history: one publication per refresh, its findings by id
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as con:
        published = con.execute(
            "SELECT snapshot_date, scope, findings FROM lead.publications ORDER BY 1").fetchall()
        kept = con.execute('SELECT snapshot_date, "Check" FROM lead.findings_history '
                           'ORDER BY 1, 2').fetchall()
    assert published == [(date(2026, 11, 21), "district", 2), (date(2026, 11, 28), "district", 3)]
    assert kept == [(date(2026, 11, 21), "Q-C2"), (date(2026, 11, 21), "Q-S1"),
                    (date(2026, 11, 28), "Q-C10"), (date(2026, 11, 28), "Q-C9"),
                    (date(2026, 11, 28), "Q-S1")]

    # republishing week 2 still compares with week 1 (an EARLIER snapshot date)
    again = refresh(tmp_path, week2(), "w2-again")
    assert again.published == second.published
    assert rows(sheet(again.published / DISTRICT, "Changes")) == expected


def test_school_workbooks_show_their_own_issues_and_changes(tmp_path: Path):
    def two_schools(s: Snapshot) -> Snapshot:
        s.add("School", schoolID=11, districtID=1, number="006", name="Second School",
              stateClassification="A1")
        s.add("Calendar", calendarID=110, schoolID=11, endYear=2027, name="26-27 Second",
              startDate="2026-08-12", endDate="2027-05-21", summerSchool=0, exclude=0)
        s.add("Course", courseID=510, calendarID=110, number="M1", name="Math",
              stateCode="270101", active=1)
        s.add("Section", sectionID=610, courseID=510, trialID=300, number="1",
              coreContent=None, teachingMethod=None, instructionalSetting=None,
              specialType="01")  # no students, no teacher: Q-C2 and Q-C5 at 006
        s.add("SectionPlacement", sectionID=610, trialID=300, termID=400, periodID=1)
        return s

    first = refresh(tmp_path, two_schools(week1()), "w1")
    issues_006 = sheet(first.published / "schools/LEAD_006.xlsx", "Issues")
    assert issues_006.select("Check", "Section ID").rows() == [("Q-C2", 610), ("Q-C5", 610)]
    issues_005 = sheet(first.published / SCHOOL, "Issues")
    assert set(issues_005["School Number"]) == {"005"}
    second = refresh(tmp_path, two_schools(week2()), "w2")
    assert sheet(second.published / "schools/LEAD_006.xlsx", "Changes").height == 0
    assert rows(sheet(second.published / SCHOOL, "Changes")) == [
        ("New", "Q-C9", "005", 600, None), ("New", "Q-C10", "005", 600, None),
        ("Resolved", "Q-C2", "005", 601, None)]


# ---- the history functions on their own ------------------------------------------------------

def issue(check: str, school: str | None, section: int | None, person: int | None,
          message: str = "m") -> dict:
    return {"Check": check, "Level": "Error", "Report": "Classes", "School Number": school,
            "Section ID": section, "Person ID": person, "Message": message, "How to fix": "f"}


def frame(*items: dict) -> pl.DataFrame:
    return pl.DataFrame(list(items), schema=ISSUE_SCHEMA)


def test_changes_match_on_check_and_ids_only():
    before = frame(issue("Q-C1", "005", 601, 20), issue("Q-K2", None, None, None),
                   issue("Q-C5", "005", 602, None))
    now = frame(issue("Q-C1", "005", 601, 20, message="reworded"),  # same finding
                issue("Q-K2", None, None, None),  # blank ids match blank ids
                issue("Q-C1", "005", 601, 21))  # another teacher: a new finding
    changed = history.changes(now, before)
    assert rows(changed) == [("New", "Q-C1", "005", 601, 21),
                             ("Resolved", "Q-C5", "005", 602, None)]
    counts = {r["Check"]: (r["new"], r["resolved"], r["still_open"])
              for r in history.change_counts(now, before).iter_rows(named=True)}
    assert counts == {"Q-C1": (1, 0, 1), "Q-K2": (0, 0, 1), "Q-C5": (0, 1, 0)}
    assert history.changes(now, None).columns == CHANGE_HEADER
    assert history.changes(now, None).height == 0


def test_baseline_is_the_last_earlier_publication_and_a_school_refresh_counts(tmp_path):
    with duckdb.connect(str(tmp_path / "h.duckdb")) as con:
        assert history.baseline(con, "165", date(2026, 11, 28), end_year=2027) is None
        week1 = frame(issue("Q-C2", "005", 601, None), issue("Q-C2", "006", 610, None))
        history.record(con, week1, run_id="r1", district_number="165", end_year=2027,
                       snapshot_date=date(2026, 11, 21), published_at=datetime(2026, 11, 22))
        # a one-school refresh of 005 later that week publishes 005's findings only
        history.record(con, frame(issue("Q-C5", "005", 602, None)), run_id="r2",
                       district_number="165", end_year=2027, snapshot_date=date(2026, 11, 24),
                       scope="005", published_at=datetime(2026, 11, 24, 9))
        # another district's publication is never a baseline
        history.record(con, frame(), run_id="r3", district_number="999", end_year=2027,
                       snapshot_date=date(2026, 11, 27))
        district = history.baseline(con, "165", date(2026, 11, 28), end_year=2027)
        school = history.baseline(con, "165", date(2026, 11, 28), "005", end_year=2027)
        other = history.baseline(con, "165", date(2026, 11, 28), "006", end_year=2027)
        same_day = history.baseline(con, "165", date(2026, 11, 21), end_year=2027)
    assert district is not None and district["Section ID"].to_list() == [601, 610]
    assert school is not None and school["Section ID"].to_list() == [602]
    assert other is not None and other["Section ID"].to_list() == [610]
    assert same_day is None  # only an EARLIER snapshot date is compared with


def test_a_new_school_year_compares_with_nothing(tmp_path):
    """docs/outputs.md "Changes": the comparison stays inside one school year; the first refresh
    of 2027-28 has no baseline although 2026-27's last refresh had an open finding."""
    with duckdb.connect(str(tmp_path / "h.duckdb")) as con:
        history.record(con, frame(issue("Q-C2", "005", 601, None)), run_id="r1",
                       district_number="165", end_year=2027, snapshot_date=date(2027, 6, 1))
        assert history.baseline(con, "165", date(2027, 8, 15), end_year=2028) is None
        assert history.baseline(con, "165", date(2027, 8, 15), "005", end_year=2028) is None
        same_year = history.baseline(con, "165", date(2027, 6, 8), end_year=2027)
        district, schools = history.workbook_changes(
            con, frame(), "165", date(2027, 8, 15), ["005"], end_year=2028)
    assert same_year is not None and same_year.height == 1
    assert district.height == 0 and schools["005"].height == 0  # nothing Resolved
