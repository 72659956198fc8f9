"""The only place resources are bound: the DuckDB file and the project's folders."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from lead_pipeline.lib import dblock, paths


class PipelineSettings(dg.ConfigurableResource):
    """Folders a refresh reads and writes; defaults from lib.paths (env overridable)."""

    snapshot_dir: str = str(paths.default_snapshot_dir())
    output_dir: str = str(paths.default_output_dir())
    reference_dir: str = str(paths.reference_dir())
    snapshots_root: str = str(paths.default_snapshots_root())
    """Where weekend snapshot folders arrive (the schedule and sensor take the newest)."""
    keep_weeks: int = 8
    """Publications older than this many weeks (by this machine's clock) are removed after a
    publish; the one `latest` points at is always kept."""
    keep_count: int = 16
    """At most this many publications are kept (the newest), whatever their age: republishing
    the same weeks over and over cannot fill the disk."""


class LockedDuckDBResource(DuckDBResource):
    """DuckDBResource holding `<database>.lock` for the whole run (lib/dblock.py), so a UI
    run and an in-process CLI refresh on the same file wait for each other."""

    @contextmanager
    def yield_for_execution(self, context: dg.InitResourceContext) -> Iterator[object]:
        log = context.log.info if context.log else None
        with dblock.hold(self.database, on_wait=log), \
                super().yield_for_execution(context) as resource:
            yield resource


def warehouse(database: str | None = None) -> DuckDBResource:
    path = paths.default_database() if database is None else Path(database)
    path.parent.mkdir(parents=True, exist_ok=True)
    return LockedDuckDBResource(database=str(path))


def resources(database: str | None = None, **settings: str) -> dict[str, object]:
    from lead_pipeline.defs.io import DuckDBFrameIOManager

    duckdb = warehouse(database)
    return {"duckdb": duckdb, "settings": PipelineSettings(**settings),
            "io_manager": DuckDBFrameIOManager(duckdb=duckdb)}
