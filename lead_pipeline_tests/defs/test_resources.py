"""The resources a run is bound to (defs/resources.py): typed, and the snapshot resource reads
the code tables of its own folder and fails clearly before any snapshot has passed."""

from __future__ import annotations

import multiprocessing
import os
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from lead_pipeline.defs.resources import MEMORY_SETTING, PipelineSettings, resources, warehouse
from lead_pipeline.lib.paths import reference_dir
from lead_pipeline.preflight import setting_errors
from lead_pipeline.refresh import run_refresh
from lead_pipeline_tests.builders import tiny


def test_resources_bind_under_the_assets_parameter_names(tmp_path: Path):
    res = resources(tmp_path / "w.duckdb", output_dir=str(tmp_path / "out"))
    assert set(res.as_dict()) == {"duckdb", "settings", "snapshot", "io_manager", "writers"}
    assert res.duckdb.database == str(tmp_path / "w.duckdb")
    assert res.settings.output_dir == str(tmp_path / "out")
    assert res.snapshot.duckdb is res.duckdb and res.io_manager.duckdb is res.duckdb


def test_duckdb_is_held_to_its_memory_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Every connection to the warehouse has DuckDB's limit (512 MiB unless the deployment
    sets LEAD_DUCKDB_MEMORY_MB), not DuckDB's own 80 % of the machine; the preflight names a
    setting that cannot be used."""
    def limit() -> str:
        with warehouse(tmp_path / "w.duckdb").get_connection() as con:
            found = con.execute("SELECT current_setting('memory_limit')").fetchone()
        assert found is not None
        return str(found[0])

    assert limit() == "512.0 MiB"
    monkeypatch.setenv(MEMORY_SETTING, "2048")
    assert limit() == "2.0 GiB"
    assert setting_errors({MEMORY_SETTING: "2048"}) == []
    assert setting_errors({MEMORY_SETTING: "lots"}) == [
        "LEAD_DUCKDB_MEMORY_MB is 'lots', not a number"]
    assert setting_errors({MEMORY_SETTING: "16"}) == [
        "LEAD_DUCKDB_MEMORY_MB is 16, below its minimum 64"]


def _text_compression(con: duckdb.DuckDBPyConnection) -> list[str]:
    """How DuckDB stores a text column it would compress with FSST when allowed."""
    con.execute("CREATE OR REPLACE TABLE t AS SELECT 'student ' || (i * 7919 % 100003)::VARCHAR "
                "|| ' of school ' || (i % 97)::VARCHAR AS s FROM range(200000) r(i)")
    con.execute("CHECKPOINT")
    return sorted({row[0] for row in con.execute(
        "SELECT compression FROM pragma_storage_info('t') WHERE segment_type = 'VARCHAR'"
    ).fetchall()})


def test_the_warehouse_stores_text_without_fsst(tmp_path: Path):
    """DuckDB would store this text with FSST (a plain connection does); a warehouse connection,
    outside a run and as a run's shared cursor, leaves FSST out (resources.configure: its trial
    was half of every checkpoint)."""
    with duckdb.connect(str(tmp_path / "plain.duckdb")) as con:
        assert _text_compression(con) == ["FSST"]
    duck = warehouse(tmp_path / "w.duckdb")
    with duck.get_connection() as con:
        assert "FSST" not in _text_compression(con)
    with dg.build_resources({"duckdb": duck}) as built, built.duckdb.get_connection() as con:
        assert con.execute("SELECT current_setting('disabled_compression_methods')"
                           ).fetchone() == ("FSST",)


def test_code_tables_come_from_the_resources_folder_once(tmp_path: Path):
    folder = tmp_path / "reference"
    shutil.copytree(reference_dir(), folder)
    (folder / "school_classification.csv").write_text("code,label,included\nZ9,test,1\n")
    mine = resources(tmp_path / "w.duckdb", reference_dir=str(folder)).snapshot
    codes = mine.codes()
    assert codes.included_classifications == ("Z9",)
    assert mine.codes() is codes  # read once per resource instance
    assert mine.kias_codes() is mine.kias_codes()
    default = resources(tmp_path / "w.duckdb").snapshot  # LEAD_REFERENCE_DIR's, untouched
    assert "A1" in default.codes().included_classifications


def test_without_a_snapshot_every_read_fails_with_one_message(tmp_path: Path):
    snapshot = resources(tmp_path / "w.duckdb").snapshot
    for read in (snapshot.snapshot, snapshot.header, lambda: snapshot.frames(["School"])):
        with pytest.raises(dg.Failure, match="no snapshot has passed integrity yet"):
            read()
    with pytest.raises(dg.Failure, match="run the weekly refresh first"):
        snapshot.current()


def test_an_empty_launch_form_loads_the_newest_arrival_else_the_sample(tmp_path: Path):
    """What a weekly run launched from the UI with `folder` left empty loads: in a clone with
    no arrival the bundled sample; once snapshots arrive, the newest (never the sample)."""
    root = tmp_path / "snapshots"
    root.mkdir()
    settings = PipelineSettings(snapshots_root=str(root), snapshot_dir=str(tmp_path / "sample"))
    assert settings.default_snapshot() == tmp_path / "sample"
    for name, day in (("a-export", "2026-11-28"), ("b-export", "2026-11-21")):
        s = tiny()  # the newest by snapshot date, whatever the folder's name
        s.manifest["snapshotDate"] = day
        s.write(root / name)
    (root / "2026-12-05-partial").mkdir()  # no manifest.json yet: still arriving
    assert settings.default_snapshot() == (root / "a-export").resolve()


def test_workbook_writers_start_with_a_run_and_stop_at_its_end(tmp_path: Path):
    """Dagster sets the writers up (a spawned process, ready) and tears them down; a refresh
    leaves none running, whether it publishes or stops at a blocking problem."""
    with dg.build_resources({"writers": resources(tmp_path / "r.duckdb").writers}) as built:
        writers = built.writers.writers
        assert writers is not None
        (pid,) = writers.pids
        assert pid != os.getpid() and multiprocessing.active_children()
    assert writers.pool is None and not multiprocessing.active_children()

    good = run_refresh(tiny().write(tmp_path / "good"), database=tmp_path / "w.duckdb",
                       output=tmp_path / "out")
    assert good.success and not multiprocessing.active_children()
    broken = tiny()
    broken.rows["Roster"][0]["sectionID"] = "six hundred"
    stopped = run_refresh(broken.write(tmp_path / "broken"), database=tmp_path / "w.duckdb",
                          output=tmp_path / "out")
    assert stopped.stopped_at == "integrity" and not multiprocessing.active_children()
