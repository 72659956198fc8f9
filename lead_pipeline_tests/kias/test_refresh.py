"""KIAS through Dagster: the bundled sample end to end (the README's `./lp refresh`), a
snapshot without KIAS tables, and the editor parameters as run config."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
import pytest

from lead_pipeline.defs.kias import assets as kias_assets
from lead_pipeline.defs.kias.assets import SKIPPED, KiasConfig, params_of
from lead_pipeline.defs.resources import resources
from lead_pipeline.lib.kias.reference import load_kias_codes
from lead_pipeline.lib.paths import project_root
from lead_pipeline.lib.snapshot.schema import TABLES, Family
from lead_pipeline.refresh import RefreshOutcome, run_refresh
from lead_pipeline_tests.builders import tiny

FILES = ["KIAS_165.csv", "KIAS_165.html", "KIAS_Validation_165.xlsx"]
CODES = load_kias_codes()



@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[RefreshOutcome, Path]:
    import os

    os.environ.pop("DAGSTER_HOME", None)
    tmp = tmp_path_factory.mktemp("kias_sample")
    outcome = run_refresh(project_root() / "data" / "sample", database=tmp / "w.duckdb",
                          output=tmp / "out")
    assert outcome.success, outcome.problems
    return outcome, tmp


def test_sample_refresh_publishes_the_three_kias_files_with_lead(sample):
    _, tmp = sample
    latest = tmp / "out" / "latest"
    assert sorted(p.name for p in (latest / "kias").iterdir()) == FILES
    assert (latest / "district" / "LEAD_District_165.xlsx").is_file()  # published together
    lines = (latest / "kias" / "KIAS_165.csv").read_bytes().split(b"\n")
    assert lines[-1] == b""  # every line ends with \n
    header, rows = lines[0], lines[1:-1]
    assert len(header.split(b",")) == 42 and header.startswith(b"Building ID,KIDS ID,")
    assert len(rows) > 0 and all(len(r.split(b",")) == 42 for r in rows)
    page = (latest / "kias" / "KIAS_165.html").read_text()
    assert page.count("<tr>") == len(rows) + 1  # header row + the CSV's rows


def test_sample_validation_finds_exactly_the_planted_V1_V2(sample):
    outcome, tmp = sample
    planted = json.loads((project_root() / "data" / "sample" / "planted.json").read_text())
    sheet = pl.read_excel(tmp / "out" / "latest" / "kias" / "KIAS_Validation_165.xlsx",
                          sheet_name="Findings", engine="calamine")
    for rule in ("V1", "V2"):
        want = sorted(p["resolutionID"] for p in planted["planted"][rule])
        assert sorted(sheet.filter(pl.col("Rule") == rule)["Resolution ID"]) == want
    checks = {c.name: c for c in outcome.checks if c.asset == "kias/validation"}
    assert set(checks) == {"v1_idea_firearm_method",
                           "v2_non_idea_firearm_method"}
    for check in checks.values():
        assert check.severity == "ERROR" and not check.passed and check.findings >= 1


def test_sample_kias_steps_are_timed(sample):
    outcome, _ = sample
    assert {"kias__candidates", "kias__extract", "kias__validation", "kias__files"} <= set(
        outcome.steps)


def test_snapshot_without_kias_tables_writes_no_kias_files(tmp_path: Path):
    s = tiny()
    s.omit |= {t.name for t in TABLES if t.family is Family.KIAS}
    outcome = run_refresh(s.write(tmp_path / "lead_only"), database=tmp_path / "w.duckdb",
                          output=tmp_path / "out")
    assert outcome.success, outcome.problems
    assert outcome.published is not None and not (outcome.published / "kias").exists()
    assert (outcome.published / "district" / "LEAD_District_165.xlsx").is_file()
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM kias.extract").fetchone() == (0,)
    instance_checks = {c.name: c.passed for c in outcome.checks if c.asset == "kias/validation"}
    assert instance_checks == {"v1_idea_firearm_method": True,
                               "v2_non_idea_firearm_method": True}
    # the KIAS assets say why they wrote nothing
    result = dg.materialize([kias_assets.candidates, kias_assets.extract,
                             kias_assets.kias_validation, kias_assets.files],
                            resources=resources(str(tmp_path / "w.duckdb"),
                                                output_dir=str(tmp_path / "out")).as_dict())
    events = result.get_asset_materialization_events()
    assert len(events) == 4
    for event in events:
        metadata = event.materialization.metadata
        assert metadata["skipped"].value == SKIPPED, event.asset_key


def test_2_1_editor_parameters_from_run_config():
    default = params_of(KiasConfig(), 2027, CODES)
    assert (default.start, default.end) == (date(2026, 7, 1), date(2027, 6, 30))
    assert default.grades is default.calendar_ids is default.person_ids is None
    assert default.qualifying_codes is None
    params = params_of(KiasConfig(start_date="2026-09-01", end_date="2026-12-31",
                                  grades=["KG"], calendar_ids=[100], person_ids=[1, 5],
                                  newer_kb_codes=True), 2027, CODES)
    assert (params.start, params.end) == (date(2026, 9, 1), date(2026, 12, 31))
    assert params.grades == {"KG"} and params.calendar_ids == {100}
    assert params.person_ids == {1, 5} and "750" in params.qualifying_codes
    assert "710" not in params.qualifying_codes  # A2: the newer list
    with pytest.raises(dg.Failure, match="not a date"):
        params_of(KiasConfig(start_date="09/01/2026"), 2027, CODES)
    with pytest.raises(dg.Failure, match="after end"):
        params_of(KiasConfig(start_date="2027-01-01", end_date="2026-12-31"), 2027, CODES)
