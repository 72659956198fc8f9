"""LEAD workbooks from a whole refresh, read back with openpyxl and calamine (outputs.md)."""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from pathlib import Path

import openpyxl
import polars as pl

from lead_pipeline.lib.codes import load_codes
from lead_pipeline.lib.lead.reports import CLASS_IDENTITY, COMMON, DETAIL_STUDENT, count_columns
from lead_pipeline.refresh import run_refresh
from lead_pipeline_tests.builders import tiny


def refresh(tmp_path: Path, snapshot=None, name: str = "s", **kw):
    s = snapshot or tiny()
    outcome = run_refresh(s.write(tmp_path / name), database=tmp_path / "w.duckdb",
                          output=tmp_path / "out", **kw)
    return outcome


def test_refresh_publishes_district_school_and_detail_workbooks(tmp_path):
    s = tiny()
    s.rows["Identity"][1]["lastName"] = "=SUM(A1)"  # the teacher, shown on Classes
    s.rows["Identity"][0]["firstName"] = "+Ann"  # the student, shown only in Detail
    outcome = refresh(tmp_path, s, sections=[600])
    assert outcome.success, outcome.problems
    out = tmp_path / "out"
    assert (out / "latest").resolve() == (out / "2027" / "2026-11-21").resolve()
    assert outcome.published == (out / "2027" / "2026-11-21")
    files = sorted(str(p.relative_to(outcome.published))
                   for p in outcome.published.rglob("*") if p.is_file())
    assert files == ["detail/LEAD_Detail_600.xlsx", "district/LEAD_District_165.xlsx",
                     "kias/KIAS_165.csv", "kias/KIAS_165.html",  # tiny() has a KIAS incident
                     "kias/KIAS_Validation_165.xlsx", "schools/LEAD_005.xlsx"]

    district = openpyxl.load_workbook(outcome.published / "district/LEAD_District_165.xlsx")
    assert district.sheetnames == ["Classes", "Staff", "Caseload", "Schoolwide", "Issues",
                                   "Changes", "Trend"]
    school = openpyxl.load_workbook(outcome.published / "schools/LEAD_005.xlsx")
    assert school.sheetnames == ["Classes", "Staff", "Schoolwide", "Issues", "Changes"]
    assert school.properties.title == "LEAD reports, district 165"
    assert {p.name: p.value for p in school.custom_doc_props.props}["snapshot_date"] == (
        "2026-11-21")

    codes = load_codes()
    ws = district["Classes"]
    header = [c.value for c in ws[1]]
    assert header == [*COMMON, *CLASS_IDENTITY.values(), *count_columns(codes)]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == f"A1:{ws.cell(1, len(header)).column_letter}2"
    row = {h: c for h, c in zip(header, ws[2], strict=True)}
    assert (row["School Number"].value, row["School Number"].data_type) == ("005", "s")
    assert (row["State Course Code"].value, row["State Course Code"].data_type) == ("010101",
                                                                                    "s")
    assert (row["Primary Teacher Last Name"].value,
            row["Primary Teacher Last Name"].data_type) == ("=SUM(A1)", "s")
    assert (row["Section ID"].value, row["Section ID"].data_type) == (600, "n")
    assert (row["Total"].value, row["Grade 00"].value) == (1, 1)
    assert row["Section End Date"].value == datetime(2027, 5, 21)
    assert row["Section End Date"].number_format == "mm/dd/yyyy"
    assert row["End Year"].value == 2027  # a number (outputs.md)

    staff = district["Staff"]
    staff_row = {c.value: v for c, v in zip(staff[1], staff[2], strict=True)}
    assert (staff_row["EPSB ID"].value, staff_row["EPSB ID"].data_type) == ("123456", "s")
    assert staff_row["Teacher Role"].value is True
    assert staff_row["Type"].value == "01"

    detail = pl.read_excel(outcome.published / "detail/LEAD_Detail_600.xlsx",
                           sheet_name="Detail", engine="calamine")
    assert detail.columns == [*COMMON, *CLASS_IDENTITY.values(), *DETAIL_STUDENT.values()]
    assert detail["Student First Name"].to_list() == ["+Ann"]
    assert detail["State ID"].to_list() == ["0000000001"]


def test_school_workbooks_hold_no_student_level_rows(tmp_path):
    outcome = refresh(tmp_path)
    book = openpyxl.load_workbook(outcome.published / "schools/LEAD_005.xlsx")
    headers = {name: [c.value for c in book[name][1]] for name in book.sheetnames}
    for columns in headers.values():
        assert "State ID" not in columns and "Student Last Name" not in columns


def test_a_failed_refresh_leaves_latest_and_its_files_as_they_were(tmp_path):
    first = refresh(tmp_path)
    assert first.success
    published = first.published
    digests = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in published.rglob("*.xlsx")}

    broken = tiny()
    broken.manifest["snapshotDate"] = "2026-11-28"
    broken.one("Roster")["startDate"] = "yesterday"
    second = refresh(tmp_path, broken, name="bad")
    assert not second.success
    out = tmp_path / "out"
    assert (out / "latest").resolve() == published.resolve()
    assert not (out / "2027" / "2026-11-28").exists()
    assert {p: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in published.rglob("*.xlsx")} == digests


def test_republishing_the_same_date_replaces_its_folder(tmp_path):
    first = refresh(tmp_path, sections=[600])
    second = refresh(tmp_path, name="again")
    assert first.success and second.success and first.published == second.published
    assert not (second.published / "detail").exists()
    classes = pl.read_excel(second.published / "district/LEAD_District_165.xlsx",
                            sheet_name="Classes", engine="calamine")
    assert classes["Section End Date"].to_list() == [date(2027, 5, 21)]
