"""The snapshot stage through Dagster, on real DuckDB files: checks, load beside, switch."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb

from lead_pipeline.definitions import definitions_with, defs
from lead_pipeline.defs.operations.jobs import weekly_refresh
from lead_pipeline.defs.resources import resources
from lead_pipeline.lib.snapshot import store
from lead_pipeline.lib.snapshot.docs import render
from lead_pipeline.lib.snapshot.findings import Check
from lead_pipeline.lib.snapshot.schema import TABLES
from lead_pipeline.refresh import run_refresh
from lead_pipeline_tests.builders import tiny


def test_good_snapshot_becomes_current_with_check_results(tmp_path: Path):
    s = tiny()
    s.add("Roster", rosterID=801, personID=1, sectionID=999, trialID=300)
    db = tmp_path / "w.duckdb"
    outcome = run_refresh(s.write(tmp_path / "good"), database=db, output=tmp_path / "out")
    assert outcome.success and outcome.problems == []
    assert outcome.snapshot_date == "2026-11-21"
    assert outcome.tables["Roster"] == 1 and outcome.tables["Person"] == 2
    assert outcome.warnings == [
        "Roster.sectionID: 1 row(s) point at no Section row; left out of the reports; "
        "rows: rosterID=801 (sectionID=999)"]
    by_key = {(c.asset, c.name): c for c in outcome.checks}
    blocking = [c for c in Check if c.blocking]
    assert all(by_key[("snapshot/candidate", c.value)].passed for c in blocking)
    orphans = by_key[("snapshot/tables", "ids_resolve")]
    assert (orphans.passed, orphans.severity, orphans.findings) == (False, "WARN", 1)
    assert by_key[("snapshot/tables", "end_not_before_start")].passed


def test_failing_snapshot_of_the_same_date_never_replaces_the_good_one(tmp_path: Path):
    db = tmp_path / "w.duckdb"
    first = run_refresh(tiny().write(tmp_path / "good"), database=db, output=tmp_path / "out")
    assert first.success

    bad = tiny()  # same snapshotDate, a new name and a broken date
    bad.rows["Identity"][0].update(lastName="Changed", birthDate="2021-02-30")
    bad.add("Roster", rosterID=800, personID=1, sectionID=600, trialID=300)
    outcome = run_refresh(bad.write(tmp_path / "bad"), database=db, output=tmp_path / "out")
    assert not outcome.success
    assert outcome.problems == [
        "Identity.birthDate: 1 value(s) are not a date YYYY-MM-DD; rows: row 1",
        "Roster.rosterID: 1 key value(s) appear more than once (2 rows); "
        "rows: rosterID=800 (rows 1, 2)",
    ]
    with duckdb.connect(str(db), read_only=True) as con:
        current = store.current(con)
        assert current is not None and current.load_id == first.load_id
        assert con.execute(
            "SELECT lastName FROM snapshot.Identity WHERE identityID = 11").fetchall() == [
                ("Student",)]
        assert con.execute("SELECT count(*) FROM snapshot.Roster").fetchall() == [(1,)]
        status = dict(con.execute(f"SELECT load_id, status FROM {store.META}.loads").fetchall())
    assert status == {first.load_id: "current", outcome.load_id: "failed"}


def test_a_new_good_snapshot_replaces_the_old_and_drops_its_load(tmp_path: Path):
    db = tmp_path / "w.duckdb"
    first = run_refresh(tiny().write(tmp_path / "a"), database=db, output=tmp_path / "out")
    s = tiny()
    s.manifest["snapshotDate"] = "2026-11-28"
    s.rows["Identity"][0]["lastName"] = "Renamed"
    second = run_refresh(s.write(tmp_path / "b"), database=db, output=tmp_path / "out")
    assert first.success and second.success
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute(
            "SELECT lastName FROM snapshot.Identity WHERE identityID = 11").fetchall() == [
                ("Renamed",)]
        schemas = {r[0] for r in con.execute("SELECT schema_name FROM duckdb_schemas()").fetchall()}
    assert store.load_schema(second.load_id) in schemas  # type: ignore[arg-type]
    assert store.load_schema(first.load_id) not in schemas  # type: ignore[arg-type]


def test_skipped_family_tables_are_empty_and_recorded(tmp_path: Path):
    s = tiny()
    s.omit |= {t.name for t in TABLES if t.family.value == "kias"}
    db = tmp_path / "w.duckdb"
    outcome = run_refresh(s.write(tmp_path / "lead_only"), database=db, output=tmp_path / "out")
    assert outcome.success
    assert outcome.tables["BehaviorIncident"] == 0 and outcome.tables["Roster"] == 1
    with duckdb.connect(str(db), read_only=True) as con:
        current = store.current(con)
    assert current is not None and current.families == ["shared", "lead"]
    assert "Roster" in current.present and "BehaviorIncident" not in current.present


def test_asset_keys_and_checks_are_pinned():
    """Renaming an asset or check breaks run history and operators' bookmarks: do it on
    purpose, here. (The weekly refresh's assets and checks: all but the one-school asset.)"""
    graph = defs().resolve_asset_graph()
    keys = sorted(k.to_user_string() for k in weekly_refresh.selection.resolve(graph))
    lead = ["lead/stg_sections", "lead/stg_section_students", "lead/classes", "lead/staff",
            "lead/caseload", "lead/schoolwide", "lead/detail", "lead/workbooks",
            "lead/findings", "publish/latest"]
    kias = ["kias/candidates", "kias/extract", "kias/validation", "kias/files"]
    assert keys == sorted(["snapshot/candidate", "snapshot/tables", *lead, *kias])
    checks = {(k.asset_key.to_user_string(), k.name)
              for k in weekly_refresh.selection.resolve_checks(graph)}
    blocking = {"manifest_valid", "tables_and_columns_present", "files_are_utf8",
                "values_parse", "values_usable", "keys_unique", "report_year_has_calendars",
                "core_tables_complete"}
    assert {name for asset, name in checks if asset == "snapshot/candidate"} == blocking
    assert {name for asset, name in checks if asset == "snapshot/tables"} == {
        "ids_present", "ids_resolve", "end_not_before_start", "one_active_trial"}
    quality = {
        "lead/classes": {
            "q_c1_teacher_on_staff", "q_c2_has_teacher",
            "q_c3_placeholder_teacher", "q_c4_dual_credit_teacher",
            "q_c5_has_students", "q_c6_content_given",
            "q_c7_instructional", "q_c8_specific_content",
            "q_c9_sped_no_general",
            "q_c10_sped_25pct_general",
            "q_c11_alt_class_school",
            "q_c12_alt_class_ilpa_iep",
            "q_i1_teacher_at_school"},
        "lead/staff": {"q_s1_epsb_id",
                       "q_s2_speech_certified",
                       "q_s3_teacher_type", "q_i2_assignment_type"},
        "lead/caseload": {"q_k1_manager_on_staff",
                          "q_k2_has_case_manager",
                          "q_k3_iep_disability"},
        "lead/schoolwide": {"q_w1_alt_school_ilpa_iep"},
    }
    for asset, names in quality.items():
        assert {name for a, name in checks if a == asset} == names
    kias_checks = {"v1_idea_firearm_method", "v2_non_idea_firearm_method"}
    assert {name for a, name in checks if a == "kias/validation"} == kias_checks
    warnings = 4  # one check per kind of unusable row, over every table it applies to
    assert len(checks) == len(blocking) + warnings + sum(
        len(names) for names in quality.values()) + len(kias_checks)


def test_a_run_finds_the_same_definitions_without_the_component_catalog(tmp_path: Path):
    """An in-process refresh builds the defs folder without Dagster's catalog of installed
    component types (definitions._found): every asset, check, job, sensor and schedule is the
    same as what the UI loads, and only the catalog is missing."""
    res = resources(tmp_path / "w.duckdb")
    with_catalog = definitions_with(res, catalog=True)
    without = definitions_with(res, catalog=False)

    def names(d: dg.Definitions) -> dict[str, set[str]]:
        graph = d.resolve_asset_graph()
        return {
            "assets": {k.to_user_string() for k in graph.get_all_asset_keys()},
            "checks": {f"{k.asset_key.to_user_string()}:{k.name}"
                       for k in graph.asset_check_keys},
            "jobs": {j.name for j in d.jobs or []},
            "sensors": {s.name for s in d.sensors or []},
            "schedules": {s.name for s in d.schedules or []},
        }

    assert names(without) == names(with_catalog)
    assert len(names(without)["assets"]) >= 15 and names(without)["checks"]
    # the catalog is Dagster's one metadata entry of the definitions (load_from_defs_folder)
    assert set(with_catalog.metadata or {}) - set(without.metadata or {}) == {
        "plugin_component_types_json"}


def test_format_document_matches_the_declaration():
    from lead_pipeline.lib.paths import project_root

    doc = (project_root() / "docs" / "snapshot-format.md").read_text()
    assert doc == render(), "python -m lead_pipeline.lib.snapshot.docs > docs/snapshot-format.md"
