"""File names are built only from values that passed their pattern (lib.names), so nothing from a
snapshot can steer a workbook outside its publication (outputs.md: every file a refresh writes
stays inside the output root)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from lead_pipeline.lib.kias.output import file_names, write_files
from lead_pipeline.lib.lead.reports import LeadReports
from lead_pipeline.lib.lead.workbooks import (
    detail_file,
    district_file,
    school_file,
    write_district,
    write_school,
)
from lead_pipeline.lib.names import UnsafeName

REFUSED = ["005/../../x", "../x", "5", "10", "005 ", "00\x005", "", None, "/005", "００５",
           "005\n", "٠٠٥", 5]
"""Values that must never become part of a file name (for school and district numbers alike)."""


def every_path(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*"))


def reports() -> LeadReports:
    empty = pl.DataFrame({"School Number": []}, schema={"School Number": pl.String})
    return LeadReports(empty, empty, empty, empty, pl.DataFrame())


@pytest.mark.parametrize("value", REFUSED, ids=repr)
def test_school_and_district_numbers_that_fail_their_pattern_are_refused(value: object) -> None:
    with pytest.raises(UnsafeName):
        school_file(value)  # type: ignore[arg-type]
    with pytest.raises(UnsafeName):
        district_file(value)  # type: ignore[arg-type]
    with pytest.raises(UnsafeName):
        file_names(value)  # type: ignore[arg-type]


@pytest.mark.filterwarnings("ignore:Comparisons with None")  # school_job's filter, built first
@pytest.mark.parametrize("value", REFUSED, ids=repr)
def test_a_refused_number_creates_no_file(tmp_path: Path, value: object) -> None:
    out = tmp_path / "staging"
    out.mkdir()
    with pytest.raises(UnsafeName):
        write_school(out, value, reports(), {})  # type: ignore[arg-type]
    with pytest.raises(UnsafeName):
        write_district(out, value, reports(), {})  # type: ignore[arg-type]
    with pytest.raises(UnsafeName):
        write_files(out / "kias", value, pl.DataFrame(), pl.DataFrame(),  # type: ignore[arg-type]
                    title="t", subtitle="s", properties={})
    assert every_path(tmp_path) == [out]


def test_the_message_does_not_quote_the_value() -> None:
    with pytest.raises(UnsafeName) as caught:
        school_file("../\x1b[2Jevil")
    assert "evil" not in str(caught.value) and "\x1b" not in str(caught.value)
    assert "school number" in str(caught.value)


def test_numbers_that_pass_make_the_usual_names() -> None:
    assert school_file("005") == "schools/LEAD_005.xlsx"
    assert school_file("0123") == "schools/LEAD_0123.xlsx"
    assert district_file("005") == "district/LEAD_District_005.xlsx"
    assert file_names("005") == {"csv": "KIAS_005.csv", "html": "KIAS_005.html",
                                 "validation": "KIAS_Validation_005.xlsx"}
    with pytest.raises(UnsafeName):
        district_file("0123")  # a district number has 3 digits
    with pytest.raises(UnsafeName):
        file_names("0123")


def test_a_refused_school_number_writes_nothing_and_a_good_one_writes_its_workbook(
        tmp_path: Path) -> None:
    made = write_school(tmp_path, "0123", reports(), {})
    assert made == tmp_path / "schools" / "LEAD_0123.xlsx" and made.is_file()


def test_a_detail_file_needs_a_positive_whole_number() -> None:
    assert detail_file(7) == "detail/LEAD_Detail_7.xlsx"
    assert detail_file(123456789012) == "detail/LEAD_Detail_123456789012.xlsx"
    for bad in (0, -1, "7", "../7", 7.0, True, None):
        with pytest.raises(UnsafeName):
            detail_file(bad)  # type: ignore[arg-type]
