"""The only place resources are bound: the DuckDB file and the project's folders."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from lead_pipeline.lib import paths


class PipelineSettings(dg.ConfigurableResource):
    """Folders a refresh reads and writes; defaults from lib.paths (env overridable)."""

    snapshot_dir: str = str(paths.default_snapshot_dir())
    output_dir: str = str(paths.default_output_dir())
    reference_dir: str = str(paths.reference_dir())


def warehouse(database: str | None = None) -> DuckDBResource:
    path = paths.default_database() if database is None else Path(database)
    path.parent.mkdir(parents=True, exist_ok=True)
    return DuckDBResource(database=str(path))


def resources(database: str | None = None, **settings: str) -> dict[str, object]:
    from lead_pipeline.defs.io import DuckDBFrameIOManager

    duckdb = warehouse(database)
    return {"duckdb": duckdb, "settings": PipelineSettings(**settings),
            "io_manager": DuckDBFrameIOManager(duckdb=duckdb)}
