"""The district workbook's Trend sheet (docs/outputs.md "Trend") over three published refreshes,
read back from the xlsx: open findings per rule and errors / reviews in total per snapshot date,
and its native line chart; the workbook opens in LibreOffice.

Week 1 and 2 are test_changes' (Q-C2 and Q-S1 open; then Q-C2 fixed, Q-C9 and Q-C10 new);
week 3 (2026-12-05) also gives staff 20 an EPSB ID, so Q-S1 is fixed.
"""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from pathlib import Path

import dagster as dg
import openpyxl
import pytest

from lead_pipeline.defs.lead.trend import DATES_NAME, TREND
from lead_pipeline.lib.lead.rules import RULES
from lead_pipeline_tests.builders import Snapshot
from lead_pipeline_tests.lead.test_changes import DISTRICT, refresh, week1, week2


def week3() -> Snapshot:
    s = week2()
    s.manifest["snapshotDate"] = "2026-12-05"
    for row in s.rows["Employment"]:
        if row["personID"] == 20:
            row["licenseNumber"] = "000020"
    return s


def trend_rows(path: Path) -> list[tuple]:
    book = openpyxl.load_workbook(path, read_only=True)
    return [tuple(r) for r in book["Trend"].iter_rows(values_only=True)]


def test_trend_sheet_counts_each_refresh_and_charts_errors_and_reviews(tmp_path: Path):
    refresh(tmp_path, week1(), "w1")
    first = trend_rows(tmp_path / "out" / "latest" / DISTRICT)
    assert first[0] == ("Check", "2026-11-21")  # the first refresh: one column
    refresh(tmp_path, week2(), "w2")
    third = refresh(tmp_path, week3(), "w3")
    book = third.published / DISTRICT
    table = trend_rows(book)
    assert table[0] == ("Check", "2026-11-21", "2026-11-28", "2026-12-05")
    by_check = {row[0]: row[1:] for row in table[1:]}
    assert [row[0] for row in table[1:]] == ["Errors (all rules)", "Reviews (all rules)",
                                              *(rule.id for rule in RULES)]
    assert by_check["Errors (all rules)"] == (2, 2, 1)   # Q-C2+Q-S1, Q-C10+Q-S1, Q-C10
    assert by_check["Reviews (all rules)"] == (0, 1, 1)  # Q-C9 from week 2
    assert by_check["Q-C2"] == (1, 0, 0)
    assert by_check["Q-S1"] == (1, 1, 0)
    assert by_check["Q-C9"] == by_check["Q-C10"] == (0, 1, 1)
    assert all(v == (0, 0, 0) for k, v in by_check.items()
               if k not in {"Errors (all rules)", "Reviews (all rules)", "Q-C2", "Q-S1",
                            "Q-C9", "Q-C10"})
    # a native line chart whose two series are the sheet's Errors and Reviews rows
    with zipfile.ZipFile(book) as z:
        chart = z.read("xl/charts/chart1.xml").decode()
        assert "xl/drawings/drawing1.xml" in z.namelist()
    assert "<c:lineChart>" in chart
    assert "Trend!$B$2:$D$2" in chart and "Trend!$B$3:$D$3" in chart
    assert "Trend!$B$1:$D$1" in chart  # the snapshot dates are the categories
    # school workbooks have no Trend sheet
    assert "Trend" not in openpyxl.load_workbook(
        third.published / "schools/LEAD_005.xlsx", read_only=True).sheetnames


def test_the_ui_records_each_refresh_as_a_partition_of_lead_trend(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """With DAGSTER_HOME set, each published refresh records the Trend sheet's column as the
    materialisation of its snapshot date's partition of `lead/trend` (what the asset's Plots
    tab draws, one point per refresh); a rerun of a date replaces that date's point."""
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    refresh(tmp_path, week1(), "w1")
    refresh(tmp_path, week2(), "w2")
    again = week2()
    again.rows["Employment"] = [r for r in again.rows["Employment"] if r["personID"] != 20]
    refresh(tmp_path, again, "w2-again")  # same date: staff 20 gone, so Q-S1 is not open
    with dg.DagsterInstance.get() as instance:
        assert instance.get_dynamic_partitions(DATES_NAME) == ["2026-11-21", "2026-11-28"]
        events = instance.fetch_materializations(TREND, limit=100).records
    newest: dict[str, dict[str, object]] = {}
    for record in sorted(events, key=lambda r: r.timestamp):
        mat = record.asset_materialization
        assert mat is not None and mat.partition is not None
        newest[mat.partition] = {k: v.value for k, v in mat.metadata.items()}
    assert len(events) == 3 and list(newest) == ["2026-11-21", "2026-11-28"]
    # the rerun of 11-28 is what counts: Q-C10 alone is open (no Q-S1 without staff 20)
    assert [newest[d]["All rules: errors"] for d in newest] == [2, 1]
    assert [newest[d]["All rules: reviews"] for d in newest] == [0, 1]
    assert [newest[d]["Q-S1"] for d in newest] == [1, 0]
    assert [newest[d]["Q-C10"] for d in newest] == [0, 1]
    assert set(newest["2026-11-28"]) == {"All rules: errors", "All rules: reviews",
                                         *(r.id for r in RULES)}


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_trend_workbook_opens_in_libreoffice(tmp_path: Path):
    refresh(tmp_path, week1(), "w1")
    done = refresh(tmp_path, week2(), "w2")
    pdf = tmp_path / "pdf"
    subprocess.run(["soffice", "--headless", "--norestore",
                    f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}",
                    "--convert-to", "pdf", "--outdir", str(pdf), str(done.published / DISTRICT)],
                   check=True, capture_output=True, timeout=180)
    made = pdf / "LEAD_District_165.pdf"
    assert made.exists() and made.stat().st_size > 5000
