"""Frames between steps (defs/io.py): a run hands its own frames on without reading them back,
stores every one in the DuckDB file by the run's end, and a table that could not be stored
stops the publication, leaving `latest` and the current snapshot as they were."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
import pytest

from lead_pipeline.defs.io import DuckDBFrameIOManager
from lead_pipeline.defs.resources import resources
from lead_pipeline.lib import publish
from lead_pipeline.lib.snapshot import store
from lead_pipeline.refresh import run_refresh
from lead_pipeline_tests.builders import tiny

KEY = dg.AssetKey(["lead", "example"])
FRAME = pl.DataFrame({"School Number": ["010", "020"], "count": [3, 0],
                      "name": ["A", "B"]})


def _manager(database: Path) -> DuckDBFrameIOManager:
    return resources(database).io_manager


def _stored(database: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_a_frame_is_handed_on_in_the_run_and_stored_by_its_end(tmp_path: Path):
    database = tmp_path / "w.duckdb"
    run = _manager(database)
    run.handle_output(dg.build_output_context(asset_key=KEY), FRAME)
    # the next step of the same run gets the frame (the columns it names), not a read-back
    some = run.load_input(dg.build_input_context(
        asset_key=KEY, definition_metadata={"columns": ["count", "School Number"]}))
    assert some.columns == ["count", "School Number"] and some["count"].to_list() == [3, 0]
    assert run.load_input(dg.build_input_context(asset_key=KEY)) is FRAME
    run.teardown_after_execution(dg.build_init_resource_context())  # the run's end
    assert _stored(database, 'SELECT * FROM lead.example ORDER BY 1') == [
        ("010", 3, "A"), ("020", 0, "B")]
    # a later run (the UI materialising one asset) reads the stored table
    later = _manager(database).load_input(dg.build_input_context(
        asset_key=KEY, definition_metadata={"columns": ["name"]}))
    assert later.to_dict(as_series=False) == {"name": ["A", "B"]}


def test_an_empty_frame_replaces_last_weeks_rows(tmp_path: Path):
    database = tmp_path / "w.duckdb"
    for frame in (FRAME, FRAME.clear()):
        run = _manager(database)
        run.handle_output(dg.build_output_context(asset_key=KEY), frame)
        run.flush()
    assert _stored(database, "SELECT count(*) FROM lead.example") == [(0,)]


def test_a_table_that_cannot_be_stored_fails_the_flush_by_name(tmp_path: Path):
    database = tmp_path / "w.duckdb"
    with duckdb.connect(str(database)) as con:  # a view holds the table's name
        con.execute("CREATE SCHEMA lead")
        con.execute("CREATE VIEW lead.example AS SELECT 1 AS x")
    run = _manager(database)
    run.handle_output(dg.build_output_context(asset_key=KEY), FRAME)
    with pytest.raises(dg.Failure, match=r'storing "lead"\."example" in DuckDB failed'):
        run.flush()
    run.flush()  # reported once: nothing is left pending


def test_a_refresh_whose_frame_cannot_be_stored_publishes_nothing(tmp_path: Path):
    database, output = tmp_path / "w.duckdb", tmp_path / "out"
    first = run_refresh(tiny().write(tmp_path / "w1"), database=database, output=output)
    assert first.success, first.problems
    with duckdb.connect(str(database)) as con:  # lead.classes is now a view: no table fits
        con.execute("DROP TABLE lead.classes")
        con.execute("CREATE VIEW lead.classes AS SELECT 1 AS x")
    week2 = tiny()
    week2.manifest["snapshotDate"] = "2026-11-28"
    second = run_refresh(week2.write(tmp_path / "w2"), database=database, output=output)
    assert not second.success
    assert second.stopped_at == "publish__latest"
    assert any('storing "lead"."classes" in DuckDB failed' in p for p in second.problems)
    assert second.unchanged
    assert publish.latest(output) == first.published
    with duckdb.connect(str(database), read_only=True) as con:
        assert store.current(con).load_id == first.load_id


def test_a_categorical_column_is_stored_and_described_as_text(tmp_path: Path):
    # the staged students' code columns (lib/lead/staging.CODE_COLUMNS) are Categorical in the
    # run; the table, what a later run reads back and the UI's column schema say text
    database = tmp_path / "w.duckdb"
    frame = FRAME.with_columns(pl.col("name").cast(pl.Categorical))
    run = _manager(database)
    context = dg.build_output_context(asset_key=KEY)
    run.handle_output(context, frame)
    run.flush()
    assert _stored(database, "SELECT data_type FROM information_schema.columns WHERE "
                   "table_name = 'example' AND column_name = 'name'") == [("VARCHAR",)]
    assert _stored(database, "SELECT name FROM lead.example ORDER BY 1") == [("A",), ("B",)]
    schema = context.get_logged_metadata()["dagster/column_schema"].schema
    assert {c.name: c.type for c in schema.columns}["name"] == "String"
    later = _manager(database).load_input(dg.build_input_context(asset_key=KEY))
    assert later.schema["name"] == pl.String
