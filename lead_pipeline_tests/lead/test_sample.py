"""The bundled sample snapshot end to end: the count-block identities on every row published.

`Total` is computed as a count of distinct students, never from the other columns, so these
identities test the population and attribute rules together on realistic data.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from lead_pipeline.lib.codes import load_codes
from lead_pipeline.lib.lead.rules import RULES
from lead_pipeline.lib.paths import project_root
from lead_pipeline.refresh import RefreshOutcome, run_refresh


@pytest.fixture(scope="module")
def outcome(tmp_path_factory: pytest.TempPathFactory) -> RefreshOutcome:
    tmp = tmp_path_factory.mktemp("sample")
    import os

    os.environ.pop("DAGSTER_HOME", None)
    outcome = run_refresh(project_root() / "data" / "sample", database=tmp / "w.duckdb",
                          output=tmp / "out")
    assert outcome.success, outcome.problems
    assert outcome.published is not None
    return outcome


@pytest.fixture(scope="module")
def published(outcome: RefreshOutcome) -> Path:
    assert outcome.published is not None
    return outcome.published


def _sheet(path: Path, name: str) -> pl.DataFrame:
    return pl.read_excel(path, sheet_name=name, engine="calamine")


@pytest.mark.parametrize("sheet", ["Classes", "Caseload", "Schoolwide"])
def test_count_block_identities_hold_on_every_sample_row(published: Path, sheet: str):
    codes = load_codes()
    frame = _sheet(published / "district" / "LEAD_District_165.xlsx", sheet)
    assert frame.height > 0
    disability = [*codes.disabilities, "Other Disability"]
    races = [*(label for _, label in codes.races), "Race Not Reported"]
    grades = [*(f"Grade {g}" for g in codes.grades), "Grade Other"]
    sums = frame.select(
        pl.col("Total"),
        (pl.col("General") + pl.sum_horizontal(disability)).alias("by_disability"),
        pl.sum_horizontal(races).alias("by_race"),
        pl.sum_horizontal(grades).alias("by_grade"),
    )
    bad = sums.filter((pl.col("Total") != pl.col("by_disability"))
                      | (pl.col("Total") != pl.col("by_race"))
                      | (pl.col("Total") != pl.col("by_grade")))
    assert bad.height == 0, bad
    assert frame["Total"].sum() > 0


def test_sample_school_workbooks_split_the_district_rows(published: Path):
    district = _sheet(published / "district" / "LEAD_District_165.xlsx", "Classes")
    schools = sorted(published.glob("schools/LEAD_*.xlsx"))
    assert [p.name for p in schools] == ["LEAD_005.xlsx", "LEAD_010.xlsx", "LEAD_015.xlsx"]
    total = sum(_sheet(p, "Classes").height for p in schools)
    assert total == district.height
    for path in schools:
        number = path.stem.removeprefix("LEAD_")
        assert set(_sheet(path, "Classes")["School Number"]) == {number}


def test_every_rule_fires_on_the_sample_and_its_check_counts_equal_the_issues_sheet(
        outcome: RefreshOutcome, published: Path):
    """The sample is generated with every problem rate above zero (data/sample/planted.json),
    so every Q- check must find something, and exactly what the Issues sheet lists."""
    issues = _sheet(published / "district" / "LEAD_District_165.xlsx", "Issues")
    per_rule = dict(issues.group_by("Check").len().iter_rows())
    checks = {c.name: c for c in outcome.checks if c.name.startswith("q_")}
    assert len(checks) == len(RULES)
    for rule in RULES:
        check = checks[rule.check_name]
        assert check.findings == per_rule.get(rule.id, 0) > 0, rule.id
        assert check.passed is False
        assert check.severity == ("ERROR" if rule.level == "error" else "WARN")
