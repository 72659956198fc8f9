"""What every LEAD asset reads: the current snapshot's frames and the report's header facts."""

from datetime import datetime

import dagster as dg
from dagster_duckdb import DuckDBResource

from lead_pipeline.defs.snapshot.assets import table_key
from lead_pipeline.lib.lead.staging import Report, Tables, report_of
from lead_pipeline.lib.snapshot import store
from lead_pipeline.lib.snapshot.schema import TABLES, Family

LEAD_TABLES = [t.name for t in TABLES if t.family in (Family.SHARED, Family.LEAD)]
SNAPSHOT_DEPS = [table_key(name) for name in LEAD_TABLES]


def snapshot_frames(duckdb: DuckDBResource, names: list[str] | None = None
                    ) -> tuple[Tables, Report]:
    with duckdb.get_connection() as con:
        current = store.current(con)
        if current is None:
            raise dg.Failure("no snapshot has passed integrity yet: refresh the snapshot stage")
        tables = store.frames(con, names or LEAD_TABLES)
        if "District" not in tables:
            tables = {**tables, **store.frames(con, ["District"])}
    return tables, report_of(tables, current.end_year, current.snapshot_date)


def run_started(context: dg.AssetExecutionContext) -> datetime:
    """One "Date Time Generated" for every report of a run: the run's start, to the second."""
    stats = context.instance.get_run_stats(context.run.run_id)
    started = stats.start_time if stats and stats.start_time else datetime.now().timestamp()
    return datetime.fromtimestamp(started).replace(microsecond=0)
