"""The KIAS files (outputs.md, A38): the CSV bytes, the HTML page with the same rows, and the
validation workbook."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import polars as pl
import pytest

from lead_pipeline.lib.kias import output
from lead_pipeline.lib.kias.columns import column_names
from lead_pipeline.lib.kias.reference import load_kias_codes
from lead_pipeline.lib.kias.validation import FINDING_COLUMNS
from lead_pipeline_tests.kias.cases import Case

HEADER = ",".join(column_names(load_kias_codes()))


def small() -> Case:
    """Student 1: a plain ISS on 10/05, and a cyber-bullying OSS of 3 hours on 10/07 with a
    felony referral; student 3 without a state id: an ISS on 10/06."""
    case = Case()
    case.one("450")
    case.one("510", event={"on": "2026-10-07", "incident_type": "2016"}, duration="3",
             unit="hours", law="01")
    case.student(3, state_id=None)
    case.one("450", person=3, event={"on": "2026-10-06"})
    return case


def test_A38_csv_bytes_header_comma_no_quotes_empty_fields_newline():
    rows = small().run().csv_rows
    plain = ["0005", "0000000001", "10/05/2026"] + [""] * 39
    plain[9:12], plain[13] = ["N", "N", "N"], "N"
    bullying = ["0005", "0000000001", "10/07/2026", "2", "", "0.13"] + [""] * 36
    bullying[9:14] = ["Y", "N", "N", "1", "N"]
    no_id = ["0005", "", "10/06/2026", *plain[3:]]  # A45: sorted first (blank KIDS ID)
    expected = "\n".join([HEADER, *(",".join(r) for r in (no_id, plain, bullying))]) + "\n"
    data = output.csv_bytes(rows)
    assert data == expected.encode("utf-8")
    assert data.startswith(b"Building ID,KIDS ID,Incident Date,Bullying Type,")
    assert b'"' not in data and b"\r" not in data
    assert all(line.count(b",") == 41 for line in data.splitlines())


def test_A38_empty_extract_is_the_header_line_alone():
    rows = Case().run().csv_rows
    assert output.csv_bytes(rows) == (HEADER + "\n").encode()


def test_A38_a_value_with_a_comma_stops_the_file_without_quoting_it():
    case = Case()
    case.student(4, state_id="12,34")
    case.one("450", person=4)
    with pytest.raises(ValueError, match=r"KIDS ID \(1 rows\)") as err:
        output.csv_bytes(case.run().csv_rows)
    assert "12,34" not in str(err.value)


class _Table(HTMLParser):
    """Header cells, body rows (td texts), script tags and anything that loads a resource."""

    def __init__(self) -> None:
        super().__init__()
        self.head: list[str] = []
        self.rows: list[list[str]] = []
        self.scripts: list[dict] = []
        self.links: list[tuple[str, dict]] = []
        self._row: list[str] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script":
            self.scripts.append(attrs)
        if any(k in attrs for k in ("src", "href")):
            self.links.append((tag, attrs))
        if tag == "tr":
            self._row = []
        elif tag in ("th", "td"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("th", "td") and self._cell is not None:
            (self.head if tag == "th" else self._row).append("".join(self._cell))
            self._cell = None
        elif tag == "tr" and self._row:
            self.rows.append(self._row)

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def test_html_renders_the_same_rows_and_columns_as_the_csv():
    case = small()
    case.s.rows["School"][0]["number"] = "<b>5</b> & co"  # escaped, shown as text
    rows = case.run().csv_rows
    page = output.html_page(rows, title="KIAS <165>", subtitle="School year 2026-27")
    parsed = _Table()
    parsed.feed(page)
    assert parsed.head == rows.columns
    assert parsed.rows == [list(r) for r in rows.rows()]
    assert parsed.rows[0][0] == "<b>5</b> & co"
    assert "<b>5" not in page and "<title>KIAS &lt;165&gt;</title>" in page
    # sortable header from an inline script; nothing loaded from outside
    assert parsed.scripts == [{}] and parsed.links == []
    assert "addEventListener" in page and "http" not in page.lower().replace(
        "http-equiv", "")
    assert "3 rows" in page


def test_day_columns_are_those_of_day_counts_and_blanks_only():
    extract = pl.DataFrame({
        "days": ["1.00", "", "-0.50"],   # day counts and a blank: right-aligned
        "id": ["0005", "12", "7"],        # ids stay text
        "half": ["1.00", "2.5", ""],      # one value is not a day count
        "blank": ["", "", ""],            # nothing to align
        "none": [None, "3.00", None],     # nulls are not values: a day column
    })
    assert output.day_columns(extract) == ["days", "none"]
    assert output.day_columns(extract.clear()) == []
    page = output.html_page(extract, title="KIAS")
    assert '<td class="n">-0.50</td><td>7</td><td></td>' in page


def test_html_of_an_empty_extract_still_has_the_header():
    rows = Case().run().csv_rows
    parsed = _Table()
    parsed.feed(output.html_page(rows, title="KIAS"))
    assert len(parsed.head) == 42 and parsed.rows == []


def test_write_files_names_and_the_findings_sheet(tmp_path: Path):
    case = Case()
    eid = case.event()
    case.resolution(case.role(eid, weapons=("100",)), "510", method=None)
    result = case.run()
    paths = output.write_files(tmp_path / "kias", "165", result.csv_rows, result.findings,
                               title="t", subtitle="s", properties={"snapshot_date": "x"})
    assert [p.name for p in paths] == ["KIAS_165.csv", "KIAS_165.html",
                                       "KIAS_Validation_165.xlsx"]
    sheet = pl.read_excel(paths[2], sheet_name="Findings", engine="calamine")
    assert tuple(sheet.columns) == FINDING_COLUMNS
    assert sheet.select("Rule", "Building ID", "KIDS ID", "Person ID", "Weapon Codes",
                        "Firearm Discipline Method").rows() == [
        ("V2", "0005", "0000000001", 1, "100", None)]
    assert sheet["Incident Date"].dtype in (pl.Date, pl.Datetime)
