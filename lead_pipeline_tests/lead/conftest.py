"""Fixtures of the LEAD tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest

from lead_pipeline.lib.lead import staging
from lead_pipeline.lib.snapshot.manifest import read_manifest
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
def _sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, pl.DataFrame]]:
    """The bundled sample read once through the real reader and warn-and-drop
    (builders.read_frames): its DuckDB file (schema `s`) and its tables as frames."""
    database = tmp_path_factory.mktemp("sample") / "sample.duckdb"
    return database, read_frames(SAMPLE, database)


@pytest.fixture(scope="session")
def sample_database(_sample: tuple[Path, dict[str, pl.DataFrame]]) -> Path:
    """The DuckDB file holding the sample as schema `s`, as a run stages from."""
    return _sample[0]


@pytest.fixture(scope="session")
def sample_tables(_sample: tuple[Path, dict[str, pl.DataFrame]]) -> dict[str, pl.DataFrame]:
    """The sample's tables as frames (never changed in place)."""
    return _sample[1]


@pytest.fixture(scope="session")
def sample_header(sample_tables: dict[str, pl.DataFrame]) -> staging.DistrictHeader:
    """The sample's header facts, with the end year and snapshot date of its manifest."""
    manifest, _ = read_manifest(SAMPLE)
    assert manifest is not None
    return staging.district_header(sample_tables, manifest.end_year, manifest.snapshot_date)
