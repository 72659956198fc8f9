"""The last step of a refresh: publish the run's files, its snapshot and its findings as one unit.

Three things change together or not at all: the published folder and `latest` (lib/publish),
the database's current snapshot (lib/snapshot/store: promote) and the findings history that the
next refresh's Changes sheets compare with (lib/lead/history). The database changes are made in
one DuckDB transaction, the folder is renamed into place and `latest` swapped, and only then is
the transaction committed; if the commit fails, the folder and `latest` are put back
(Publication.commit's `then`). Housekeeping (pruning old publications, removing what killed
refreshes left) comes after and can never undo a publication: its failure is a warning.
"""

import contextlib
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl

from lead_pipeline.defs.districts import DISTRICTS
from lead_pipeline.defs.group import GROUP
from lead_pipeline.defs.io import DuckDBFrameIOManager
from lead_pipeline.defs.kias.assets import FILES as KIAS_FILES
from lead_pipeline.defs.lead import trend
from lead_pipeline.defs.lead.assets import SCHOOLWIDE
from lead_pipeline.defs.lead.partitions import SCHOOL_WORKBOOK, WEEKLY_BUILD, school_metadata
from lead_pipeline.defs.lead.qa import FINDINGS
from lead_pipeline.defs.lead.workbooks import WORKBOOKS
from lead_pipeline.defs.resources import PipelineSettings, SnapshotResource
from lead_pipeline.lib import publish
from lead_pipeline.lib.districts import school_key
from lead_pipeline.lib.lead import history
from lead_pipeline.lib.lead.workbooks import school_file
from lead_pipeline.lib.snapshot import store
from lead_pipeline.lib.snapshot.schema import TABLES
from lead_pipeline.lib.sql import q

LATEST = dg.AssetKey(["publish", "latest"])
trend_asset = trend.trend_spec(LATEST)


@dg.asset(partitions_def=DISTRICTS,
          key=LATEST, group_name=GROUP, kinds={"filesystem"},
          ins={"found": dg.AssetIn(FINDINGS),
               "schools": dg.AssetIn(SCHOOLWIDE,
                                     metadata={"columns": ["School Number", "School Name"]})},
          deps=[WORKBOOKS, KIAS_FILES],
          description="Publishes the week's files as one unit: moves them to "
          "`OUTPUT/END_YEAR/SNAPSHOT_DATE`, points `OUTPUT/latest` at that folder, makes the "
          "snapshot the current one and records its findings for the next Changes sheets; then "
          "records every school's workbook as a partition of `lead/school_workbook` and the "
          "refresh's counts as the snapshot date's partition of `lead/trend`. A run that "
          "fails before or during this step leaves `latest`, every published file and the "
          "current snapshot as they were.")
def latest(context: dg.AssetExecutionContext, snapshot: SnapshotResource,
           settings: PipelineSettings, io_manager: dg.ResourceParam[DuckDBFrameIOManager],
           found: pl.DataFrame, schools: pl.DataFrame) -> dg.MaterializeResult:
    io_manager.flush()  # every frame of the run stored before the snapshot becomes current
    output = settings.output
    staging = publish.run_staging(output, context.run.run_id)
    snap = snapshot.snapshot()
    with snapshot.duckdb.get_connection() as con:
        (district,) = con.execute(
            f"SELECT number FROM {q(snap.schema)}.{q('District')}").fetchone() or (None,)
        pub = publish.Publication(output, snap.end_year, snap.snapshot_date, staging=staging)
        retired: list[str] = []
        con.execute("BEGIN TRANSACTION")
        try:
            if snap.status == "loaded":  # this run's snapshot becomes current with its files
                retired = store.promote(con, snap.load_id, [t.name for t in TABLES])
            kept = history.append(con, found, run_id=context.run.run_id,
                                  district_number=district, end_year=snap.end_year,
                                  snapshot_date=snap.snapshot_date)
            files = sorted(str(p.relative_to(pub.staging)) for p in pub.staging.rglob("*")
                           if p.is_file())
            published = pub.commit(then=lambda: con.execute("COMMIT"))
        except BaseException:
            pub.abort()
            _rollback(con)
            raise
        store.drop_schemas(con, retired)
    context.log.info(f"published {len(files)} files to {published} (snapshot "
                     f"{snap.snapshot_date}, load {snap.load_id}); {kept} finding(s) recorded")
    try:  # after the commit: a failure here must not make a published refresh look failed
        with snapshot.duckdb.get_connection() as con:
            _record_schools(context, con, found, schools, snap, district, published,
                            settings.district)
            trend.record(context, con, found, district or "", snap.snapshot_date,
                         settings.district)
    except Exception as exc:
        context.log.warning(f"the partitions of lead/school_workbook and lead/trend were not "
                            f"all recorded ({type(exc).__name__}); the files are published")
    pruned = _housekeeping(context, output, staging, settings)
    return dg.MaterializeResult(metadata={
        "folder": dg.MetadataValue.path(str(published)),
        "snapshot_date": dg.MetadataValue.text(snap.snapshot_date.isoformat()),
        "load_id": dg.MetadataValue.int(snap.load_id),
        "files": dg.MetadataValue.md("\n".join(f"- {f}" for f in files[:200]) or "none"),
        "findings_recorded": dg.MetadataValue.int(kept),
        "pruned": dg.MetadataValue.int(pruned),
    })


def _record_schools(context: dg.AssetExecutionContext, con: duckdb.DuckDBPyConnection,
                    found: pl.DataFrame, schools: pl.DataFrame, snap: store.CurrentSnapshot,
                    district: str | None, published: Path, run_district: str | None
                    ) -> None:
    """One materialisation of `lead/school_workbook` per school workbook just published, in
    this run (defs/lead/partitions.py): the UI then shows every school's current build, with
    the counts of its Issues and Changes sheets (the same comparison as the workbooks')."""
    numbers = schools["School Number"].to_list()
    _, changes = history.workbook_changes(con, found, district or "", snap.snapshot_date,
                                          numbers, end_year=snap.end_year)
    counts = history.school_counts(found, changes, numbers).join(
        schools, on="School Number", how="left")
    for row in counts.iter_rows(named=True):  # one event per school: a few hundred at most
        context.log_event(dg.AssetMaterialization(
            asset_key=SCHOOL_WORKBOOK, partition=school_key(run_district, row["School Number"]),
            description=f"{row['School Name']}: weekly build from the snapshot of "
            f"{snap.snapshot_date}",
            metadata=school_metadata(
                name=row["School Name"], snapshot_date=snap.snapshot_date.isoformat(),
                snapshot_folder=snap.folder, file=published / school_file(row["School Number"]),
                errors=row["errors"], reviews=row["reviews"], new=row["new"],
                resolved=row["resolved"], built_by=WEEKLY_BUILD)))


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    """Undo the open transaction, if one is still open (a failed COMMIT has ended it)."""
    with contextlib.suppress(duckdb.Error):
        con.execute("ROLLBACK")


def _housekeeping(context: dg.AssetExecutionContext, output: Path, staging: Path,
                  settings: PipelineSettings) -> int:
    """Prune old publications (by age on this machine's clock, and by count) and remove what
    killed refreshes left behind. Runs after the publication committed; a failure here is
    logged as a warning and retried by the next refresh, never undoing the publication."""
    try:
        pruned = publish.prune(output, settings.keep_weeks, settings.keep_count)
        publish.recover(output, unused=True, keep=staging)
    except Exception as exc:  # housekeeping must not fail a published refresh
        context.log.warning(f"housekeeping of {output} failed and will be retried by the next "
                            f"refresh: {type(exc).__name__}")
        return 0
    for folder in pruned:
        context.log.info(f"removed {folder} (older than {settings.keep_weeks} weeks or beyond "
                         f"the newest {settings.keep_count} publications)")
    return len(pruned)
