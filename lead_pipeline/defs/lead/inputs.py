"""What every LEAD asset reads: the refresh's snapshot frames and the report's header facts.

The refresh's snapshot is the load awaiting publication (this run's), else the current one
(store.for_reports): a run builds its reports from the snapshot it loaded, which becomes
current only when publish/latest commits."""

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
        snap = store.for_reports(con)
        if snap is None:
            raise dg.Failure("no snapshot has passed integrity yet: refresh the snapshot stage")
        wanted = names or LEAD_TABLES
        tables = store.frames(con, [*wanted, *(["District"] if "District" not in wanted
                                               else [])], schema=snap.schema)
    return tables, report_of(tables, snap.end_year, snap.snapshot_date)


def run_started(context: dg.AssetExecutionContext) -> datetime:
    """One "Date Time Generated" for every report of a run: the run's start, to the second."""
    stats = context.instance.get_run_stats(context.run.run_id)
    started = stats.start_time if stats and stats.start_time else datetime.now().timestamp()
    return datetime.fromtimestamp(started).replace(microsecond=0)
