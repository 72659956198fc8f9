"""Workbook writing (outputs.md): exact headers, frozen filtered header rows, readable widths,
and cell types that follow the column dtypes — text never becomes a formula, number or URL.

Every test writes a real .xlsx and reads it back with openpyxl (types, formats, sheet
settings) and with calamine through ``polars.read_excel`` (values, as the product reads them),
and runs twice: a workbook assembled in memory and one streamed through temporary files
(`excel.IN_MEMORY_CELLS`), the two ways a refresh writes its workbooks.
"""

from __future__ import annotations

import gc
import zipfile
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from lead_pipeline.lib import excel
from lead_pipeline.lib.excel import (
    DATE_FORMAT,
    DATETIME_FORMAT,
    MAX_WIDTH,
    MIN_WIDTH,
    SheetSpec,
    widths_by,
    write_workbook,
)

GENERATED = datetime(2026, 1, 5, 6, 30)


@pytest.fixture(autouse=True, params=["in memory", "streamed"])
def mode(request: pytest.FixtureRequest) -> Iterator[str]:
    """Every test in both of write_workbook's modes: in memory (the default for workbooks of
    this size) and streamed (every workbook over IN_MEMORY_CELLS, here all of them)."""
    saved = excel.IN_MEMORY_CELLS
    if request.param == "streamed":
        excel.IN_MEMORY_CELLS = 0
    try:
        yield request.param
    finally:
        excel.IN_MEMORY_CELLS = saved

# Text that spreadsheet programs like to reinterpret.
TRICKY = [
    "=SUM(A1)",
    "+1",
    "-5",
    "@cmd",
    "http://example.com/x",
    "1E5",
    "TRUE",
    "<r>a & b</r>",  # xlsxwriter alone would copy this into the XML as rich text
]


def staff_frame() -> pl.DataFrame:
    """A Staff-like sheet (lead.md §4) with the awkward values of real snapshots."""
    n = len(TRICKY)
    return pl.DataFrame(
        {
            "Date Time Generated": [GENERATED] * n,
            "End Year": [2026] * n,
            "District Number": ["005"] * n,
            "School Number": ["005", "010", None, "100", "007", "020", "030", "040"],
            "Person ID": [101, 102, 103, 104, 105, 106, 107, None],
            "EPSB ID": ["0012345", "123", None, "", "9", "8", "7", "6"],
            "Last Name": TRICKY,
            "Teacher Role": [True, False, None, True, True, False, True, False],
            "Assignment Start Date": [date(2025, 8, 1), None] + [date(2025, 8, 13)] * (n - 2),
            "Total": [25, 0, 3, 4, 5, 6, 7, 8],
        },
        schema_overrides={"End Year": pl.Int32},
    )


def write_one(path: Path, frame: pl.DataFrame, **spec: object) -> Worksheet:
    write_workbook(path, [SheetSpec("Staff", frame, **spec)])  # type: ignore[arg-type]
    return openpyxl.load_workbook(path)["Staff"]


def data_cells(ws: Worksheet, column: str) -> list[openpyxl.cell.cell.Cell]:
    headers = [c.value for c in ws[1]]
    col = headers.index(column) + 1
    return [ws.cell(row=r, column=col) for r in range(2, ws.max_row + 1)]


def widths(ws: Worksheet) -> dict[int, float]:
    """Column index (1-based) -> width, expanding openpyxl's grouped <col min max> entries."""
    out: dict[int, float] = {}
    for dim in ws.column_dimensions.values():
        for col in range(dim.min, dim.max + 1):
            out[col] = dim.width
    return out


def test_sheets_headers_and_rows_are_exact(tmp_path: Path) -> None:
    path = tmp_path / "w.xlsx"
    staff = staff_frame()
    other = pl.DataFrame({"Check": ["Q-C1", "Q-C2"], "Section ID": [7, 8]})
    write_workbook(path, [SheetSpec("Staff", staff), SheetSpec("Issues", other)])

    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Staff", "Issues"]
    assert [c.value for c in wb["Staff"][1]] == staff.columns
    assert wb["Staff"].max_row == staff.height + 1
    assert wb["Issues"].max_row == other.height + 1

    back = pl.read_excel(path, sheet_name="Issues", engine="calamine")
    assert back.columns == other.columns
    assert back.to_dicts() == other.to_dicts()


def test_every_sheet_has_frozen_header_and_filter(tmp_path: Path) -> None:
    path = tmp_path / "w.xlsx"
    staff = staff_frame()
    write_workbook(path, [SheetSpec("Staff", staff), SheetSpec("Empty", staff.clear())])
    wb = openpyxl.load_workbook(path)
    last = get_column_letter(staff.width)
    assert wb["Staff"].freeze_panes == "A2"
    assert wb["Staff"].auto_filter.ref == f"A1:{last}{staff.height + 1}"
    assert wb["Empty"].freeze_panes == "A2"
    assert wb["Empty"].auto_filter.ref == f"A1:{last}1"


def test_text_is_never_a_formula_number_or_url(tmp_path: Path) -> None:
    ws = write_one(tmp_path / "w.xlsx", staff_frame())
    names = data_cells(ws, "Last Name")
    assert [c.value for c in names] == TRICKY
    assert {c.data_type for c in names} == {"s"}
    all_cells = [c for row in ws.iter_rows() for c in row]
    assert not [c for c in all_cells if c.data_type == "f"]
    assert not [c for c in all_cells if c.hyperlink is not None]

    back = pl.read_excel(tmp_path / "w.xlsx", sheet_name="Staff", engine="calamine")
    assert back["Last Name"].to_list() == TRICKY


def test_codes_keep_leading_zeros_and_ids_are_numbers(tmp_path: Path) -> None:
    ws = write_one(tmp_path / "w.xlsx", staff_frame())
    school = data_cells(ws, "School Number")
    assert school[0].value == "005" and school[0].data_type == "s"
    assert data_cells(ws, "District Number")[0].value == "005"
    assert data_cells(ws, "EPSB ID")[0].value == "0012345"

    person = data_cells(ws, "Person ID")
    assert [c.value for c in person[:3]] == [101, 102, 103]
    assert {c.data_type for c in person[:-1]} == {"n"}
    assert data_cells(ws, "Total")[0].value == 25
    assert data_cells(ws, "End Year")[0].value == 2026

    back = pl.read_excel(tmp_path / "w.xlsx", sheet_name="Staff", engine="calamine")
    assert back["School Number"].dtype == pl.String
    assert back["Person ID"].dtype.is_numeric()


def test_text_columns_turn_numeric_columns_into_text(tmp_path: Path) -> None:
    frame = pl.DataFrame({"State ID": [1234567890, None], "Person ID": [1, 2]})
    ws = write_one(tmp_path / "w.xlsx", frame, text_columns=frozenset({"State ID"}))
    state = data_cells(ws, "State ID")
    assert (state[0].value, state[0].data_type) == ("1234567890", "s")
    assert state[1].value is None
    assert data_cells(ws, "Person ID")[0].data_type == "n"


def test_dates_and_datetimes_are_real_dates(tmp_path: Path) -> None:
    ws = write_one(tmp_path / "w.xlsx", staff_frame())
    start = data_cells(ws, "Assignment Start Date")
    assert start[0].is_date
    assert start[0].value == datetime(2025, 8, 1)
    assert start[0].number_format == DATE_FORMAT == "mm/dd/yyyy"
    assert start[1].value is None

    generated = data_cells(ws, "Date Time Generated")[0]
    assert generated.is_date
    assert generated.value == GENERATED
    assert generated.number_format == DATETIME_FORMAT

    back = pl.read_excel(tmp_path / "w.xlsx", sheet_name="Staff", engine="calamine")
    assert back["Assignment Start Date"][0] in (date(2025, 8, 1), datetime(2025, 8, 1))


def test_dates_excel_cannot_show_stay_visible_as_text(tmp_path: Path) -> None:
    frame = pl.DataFrame(
        {
            "D": [date(1900, 1, 1), date(1900, 3, 1), date(1, 1, 1), date(1899, 12, 31)],
            "T": pl.Series([datetime(2026, 1, 5, 13, 45), None, None, datetime(9999, 12, 31)]),
        }
    ).with_columns(pl.col("T").dt.replace_time_zone("America/Chicago"))
    ws = write_one(tmp_path / "w.xlsx", frame)
    d = data_cells(ws, "D")
    assert d[0].value == datetime(1900, 1, 1)  # Excel's fake 1900-02-29 is accounted for
    assert d[1].value == datetime(1900, 3, 1)
    assert (d[2].value, d[2].data_type) == ("0001-01-01", "s")
    assert (d[3].value, d[3].data_type) == ("1899-12-31", "s")
    # A time zone is dropped, keeping the wall-clock time of that zone.
    assert data_cells(ws, "T")[0].value == datetime(2026, 1, 5, 13, 45)
    assert data_cells(ws, "T")[3].value == datetime(9999, 12, 31)


def test_text_longer_than_excel_allows_is_truncated_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "w.xlsx"
    with pytest.warns(UserWarning, match="truncated"):
        write_workbook(path, [SheetSpec("S", pl.DataFrame({"v": ["y" * 40_000]}))])
    back = pl.read_excel(path, sheet_name="S", engine="calamine")
    assert back["v"][0] == "y" * 32_767


def test_booleans_are_excel_booleans(tmp_path: Path) -> None:
    ws = write_one(tmp_path / "w.xlsx", staff_frame())
    role = data_cells(ws, "Teacher Role")
    assert [c.value for c in role[:3]] == [True, False, None]
    assert {c.data_type for c in role[:2]} == {"b"}


def test_nulls_empty_strings_and_non_finite_numbers_are_empty_cells(tmp_path: Path) -> None:
    frame = pl.DataFrame(
        {
            "Person ID": [1, 2, 3],
            "Text": ["a", None, ""],
            "Score": [1.5, float("nan"), float("inf")],
            "Nothing": [None, None, None],
        }
    )
    path = tmp_path / "w.xlsx"
    ws = write_one(path, frame)
    assert [c.value for c in data_cells(ws, "Text")] == ["a", None, None]
    assert [c.value for c in data_cells(ws, "Score")] == [1.5, None, None]
    assert [c.value for c in data_cells(ws, "Nothing")] == [None, None, None]
    assert ws.max_row == 4  # the rows are there even when all but one cell is empty
    back = pl.read_excel(path, sheet_name="Staff", engine="calamine")
    assert back["Score"].to_list() == [1.5, None, None]


def test_escapes_and_control_characters_round_trip(tmp_path: Path) -> None:
    values = ["_x0041_", "a\x01b", " lead", "line\nbreak", "café 😀", "x" * 1000]
    path = tmp_path / "w.xlsx"
    write_workbook(path, [SheetSpec("S", pl.DataFrame({"v": values}))])
    back = pl.read_excel(path, sheet_name="S", engine="calamine")
    assert back["v"].to_list() == values


def test_empty_frame_writes_only_the_header(tmp_path: Path) -> None:
    frame = staff_frame().clear()
    ws = write_one(tmp_path / "w.xlsx", frame)
    assert ws.max_row == 1
    assert [c.value for c in ws[1]] == frame.columns
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == f"A1:{get_column_letter(frame.width)}1"
    back = pl.read_excel(tmp_path / "w.xlsx", sheet_name="Staff", engine="calamine")
    assert back.columns == frame.columns and back.height == 0


def test_document_and_custom_properties(tmp_path: Path) -> None:
    path = tmp_path / "w.xlsx"
    write_workbook(
        path,
        [SheetSpec("Staff", staff_frame())],
        properties={
            "title": "LEAD 005",
            "subject": "Staff",
            "comments": "built by lead_pipeline",
            "snapshot_date": "2026-01-03",
        },
    )
    wb = openpyxl.load_workbook(path)
    assert wb.properties.title == "LEAD 005"
    assert wb.properties.subject == "Staff"
    assert wb.properties.description == "built by lead_pipeline"  # core "comments"
    custom = {p.name: p.value for p in wb.custom_doc_props.props}
    assert custom == {"snapshot_date": "2026-01-03"}


def test_columns_are_wide_enough_but_capped(tmp_path: Path) -> None:
    frame = pl.DataFrame(
        {
            "A": ["x"],
            "A very long header for a narrow column": [1],
            "Message": ["word " * 40],
            "N": [12345678901234],
            "Explicit": ["x"],
        }
    )
    ws = write_one(tmp_path / "w.xlsx", frame, widths={"Explicit": 30})
    w = widths(ws)
    assert all(MIN_WIDTH <= w[c] <= MAX_WIDTH + 1 for c in range(1, 5))
    assert w[1] == pytest.approx(MIN_WIDTH, abs=1)
    assert w[2] >= len("A very long header for a narrow column")
    assert w[3] == pytest.approx(MAX_WIDTH, abs=1)
    assert w[4] >= 12
    assert w[5] == pytest.approx(30, abs=1)


def test_widths_by_key_are_the_widths_each_sheet_measures(tmp_path: Path) -> None:
    """The school workbooks' widths, measured for every school at once (widths_by), are those
    each school's sheet measures for itself: rich text, a date Excel cannot show, NaN, nulls
    and a Null column included, each in some schools and not others."""
    frame = staff_frame().with_columns(
        pl.Series("Ratio", [0.5, float("nan"), 123.456, None, 1.0, 2.0, 3.0, 1e15]),
        pl.Series("Unset", [None] * 8, dtype=pl.Null),
        pl.Series("Left", [date(1, 1, 1), None, date(2026, 1, 1), date(2026, 1, 1),
                           None, None, None, None]),
        pl.Series("School Number", ["005", "005", "010", "010", None, "020", "020", "030"]),
    )
    text = frozenset({"EPSB ID"})
    known = widths_by(frame, "School Number", text)
    assert set(known) == {"005", "010", "020", "030", None}
    seen = set()
    for (number,), part in frame.partition_by("School Number", as_dict=True).items():
        measured = widths(write_one(tmp_path / "measured.xlsx", part, text_columns=text))
        given = widths(write_one(tmp_path / "given.xlsx", part, text_columns=text,
                                 widths=known[number]))
        assert given == measured, number
        seen.add(tuple(measured.values()))
    assert len(seen) == 4  # the schools' widths differ: the comparison is of something


def test_a_larger_sheet_reads_back_identical(tmp_path: Path) -> None:
    n = 5_000
    frame = pl.DataFrame(
        {
            "Section ID": range(n),
            "Course Code": [f"{i % 1000:06d}" for i in range(n)],
            "Count": [i % 7 if i % 5 else None for i in range(n)],
            "Start": [date(2025, 8, 1 + i % 28) for i in range(n)],
        }
    )
    path = tmp_path / "w.xlsx"
    write_workbook(path, [SheetSpec("Classes", frame)])
    back = pl.read_excel(path, sheet_name="Classes", engine="calamine")
    assert back["Section ID"].to_list() == frame["Section ID"].to_list()
    assert back["Course Code"].to_list() == frame["Course Code"].to_list()
    assert back["Count"].to_list() == frame["Count"].to_list()
    assert back["Start"].cast(pl.Date).to_list() == frame["Start"].to_list()


def test_categorical_and_decimal_columns(tmp_path: Path) -> None:
    frame = pl.DataFrame(
        {"Level": pl.Series(["Error", "Review"], dtype=pl.Categorical), "Rate": [0.25, 0.5]}
    ).with_columns(pl.col("Rate").cast(pl.Decimal(5, 2)))
    ws = write_one(tmp_path / "w.xlsx", frame)
    assert [c.value for c in data_cells(ws, "Level")] == ["Error", "Review"]
    assert [c.value for c in data_cells(ws, "Rate")] == [0.25, 0.5]


def test_bad_input_is_refused_and_leaves_no_file(tmp_path: Path) -> None:
    path = tmp_path / "w.xlsx"
    with pytest.raises(ValueError, match="no such column"):
        SheetSpec("S", pl.DataFrame({"a": [1]}), text_columns=frozenset({"b"}))
    with pytest.raises(ValueError, match="at least one sheet"):
        write_workbook(path, [])

    path.write_bytes(b"previous")
    bad = SheetSpec("Bad", pl.DataFrame({"list": [[1, 2]]}))
    with pytest.raises(TypeError, match="list"):
        write_workbook(path, [SheetSpec("Good", staff_frame()), bad])
    assert path.read_bytes() == b"previous"  # xlsxwriter creates the file only on close


def test_the_two_modes_store_strings_differently(tmp_path: Path, mode: str) -> None:
    """The fixture's two modes are two ways of writing: in memory, text goes to the shared
    string table; streamed, each cell holds its text inline."""
    path = tmp_path / "w.xlsx"
    write_workbook(path, [SheetSpec("Staff", staff_frame())])
    with zipfile.ZipFile(path) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
        names = set(z.namelist())
    if mode == "streamed":
        assert 't="inlineStr"' in sheet and "xl/sharedStrings.xml" not in names
    else:
        assert 't="s"' in sheet and "inlineStr" not in sheet
        assert "xl/sharedStrings.xml" in names


def test_rows_after_the_first_slice_keep_their_place_and_their_lanes(tmp_path: Path) -> None:
    """Cell values are computed a slice of 65,536 rows at a time, and a lane with no value in
    a slice is left out of it: a column empty in the first slice, and rich-looking text and an
    unshowable date only in the second, still land in their rows as in a smaller sheet."""
    n = 70_000
    frame = pl.DataFrame({
        "Row": range(1, n + 1),
        "Late": [None] * 65_536 + list(range(n - 65_536)),
        "Text": ["plain"] * (n - 1) + ["<r>a & b</r>"],
        "Day": [date(2025, 8, 1)] * (n - 1) + [date(1800, 1, 1)],
    })
    path = tmp_path / "w.xlsx"
    write_workbook(path, [SheetSpec("S", frame)])
    back = pl.read_excel(path, sheet_name="S", engine="calamine", drop_empty_rows=False,
                         schema_overrides={"Late": pl.Int64, "Day": pl.String})
    assert back.height == n and back["Row"].to_list() == frame["Row"].to_list()
    assert back["Late"].to_list() == frame["Late"].to_list()
    assert back["Text"].to_list()[-2:] == ["plain", "<r>a & b</r>"]
    last, text = back["Day"].to_list()[-2:]  # a date, and the one Excel cannot show as text
    assert last.startswith("2025-08-01") and text == "1800-01-01"


def test_the_garbage_collector_runs_again_after_a_workbook(tmp_path: Path) -> None:
    """An in-memory workbook is written with Python's collector paused; it runs again after,
    also when the write fails, and stays off if it was off."""
    assert gc.isenabled()
    write_workbook(tmp_path / "a.xlsx", [SheetSpec("S", staff_frame())])
    assert gc.isenabled()
    with pytest.raises(TypeError):
        write_workbook(tmp_path / "b.xlsx", [SheetSpec("Bad", pl.DataFrame({"l": [[1]]}))])
    assert gc.isenabled()
    gc.disable()
    try:
        write_workbook(tmp_path / "c.xlsx", [SheetSpec("S", staff_frame())])
        assert not gc.isenabled()
    finally:
        gc.enable()
