"""Fixtures of the LEAD tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import polars as pl
import pytest

from lead_pipeline.lib.lead import staging
from lead_pipeline.lib.snapshot import store
from lead_pipeline.lib.snapshot.manifest import read_manifest
from lead_pipeline.lib.snapshot.schema import TABLES
from lead_pipeline_tests.builders import Run, Snapshot, read_frames
from lead_pipeline_tests.mutations import SAMPLE


@pytest.fixture
def run(tmp_path: Path) -> Callable[[Snapshot], Run]:
    """`run(snapshot)`: the LEAD flow over a hand-built snapshot, each in its own folder."""
    counter = iter(range(1000))

    def make(snapshot: Snapshot) -> Run:
        return Run(snapshot, tmp_path / f"s{next(counter)}")
    return make


@pytest.fixture(scope="session")
def sample_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A DuckDB file holding the bundled sample as schema `s`, read through the real reader and
    warn-and-drop (builders.read_frames), once for every test that stages it."""
    database = tmp_path_factory.mktemp("sample") / "sample.duckdb"
    read_frames(SAMPLE, database)
    return database


@pytest.fixture(scope="session")
def sample_tables(sample_database: Path) -> dict[str, pl.DataFrame]:
    """The sample's tables of `sample_database` as frames (never changed in place)."""
    with duckdb.connect(str(sample_database), read_only=True) as con:
        return store.frames(con, [t.name for t in TABLES], schema="s")


@pytest.fixture(scope="session")
def sample_header(sample_tables: dict[str, pl.DataFrame]) -> staging.DistrictHeader:
    """The sample's header facts, with the end year and snapshot date of its manifest."""
    manifest, _ = read_manifest(SAMPLE)
    assert manifest is not None
    return staging.district_header(sample_tables, manifest.end_year, manifest.snapshot_date)
