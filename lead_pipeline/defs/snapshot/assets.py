"""The snapshot stage: the weekend folder into DuckDB, with its integrity checks.

`snapshot/candidate` loads the folder beside the current snapshot and carries the blocking
checks; only when they pass does `snapshot/tables` (the 32 tables as one asset) leave out the
rows that cannot be used (warning checks, each over every table it applies to). Both report
families then read that load; it becomes the current snapshot (the `snapshot` views) only when
`publish/latest` commits its publication (lib/snapshot/store.py), so a refresh that fails at
any step leaves the previous pair.
"""


from collections.abc import Iterator
from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource
from pydantic import Field

from lead_pipeline.defs.districts import DISTRICTS
from lead_pipeline.defs.group import GROUP
from lead_pipeline.defs.operations.tags import RUN, SNAPSHOT, SNAPSHOT_DATE, WEEKLY, tag_run
from lead_pipeline.defs.resources import PipelineSettings, SnapshotResource
from lead_pipeline.lib import markdown
from lead_pipeline.lib.districts import wrong_district
from lead_pipeline.lib.snapshot import store
from lead_pipeline.lib.snapshot.arrivals import arrival_time
from lead_pipeline.lib.snapshot.findings import Check, Finding
from lead_pipeline.lib.snapshot.integrity import accept
from lead_pipeline.lib.snapshot.manifest import read_manifest
from lead_pipeline.lib.snapshot.reader import load_folder
from lead_pipeline.lib.snapshot.schema import TABLES, Table

CANDIDATE = dg.AssetKey(["snapshot", "candidate"])
TABLES_KEY = dg.AssetKey(["snapshot", "tables"])
BLOCKING = [c for c in Check if c.blocking]
WARNING = [c for c in Check if not c.blocking]


class SnapshotConfig(dg.Config):
    folder: str = Field(
        default="",
        description="Snapshot folder to load; empty means the newest folder under the "
        "snapshots root (LEAD_SNAPSHOTS_ROOT; with many districts the district's folder in "
        "it), or the bundled sample while none has arrived.")
    accept_smaller: bool = Field(
        default=False,
        description="Accept, for this one refresh, a core table (Roster, Enrollment, …) that "
        "is empty or has fewer than half the rows of the current snapshot's, when you know "
        "the drop is real. Off: such a snapshot is refused as a likely truncated export.")


def findings_metadata(findings: list[Finding]) -> dict[str, dg.MetadataValue]:
    """Counts and a table of where: ids and row numbers only, never a student's values."""
    meta: dict[str, dg.MetadataValue] = {
        "findings": dg.MetadataValue.int(len(findings)),
        "rows": dg.MetadataValue.int(sum(f.rows for f in findings)),
    }
    if findings:
        meta["details"] = dg.MetadataValue.md(markdown.table(
            ["where", "rows", "message", "first rows"],
            [(f.where, f.rows, f.message, "; ".join(f.first)) for f in findings[:50]]))
    return meta


def _check_result(check: Check, findings: list[Finding], asset: dg.AssetKey
                  ) -> dg.AssetCheckResult:
    mine = [f for f in findings if f.check is check]
    return dg.AssetCheckResult(
        asset_key=asset,
        check_name=check.value,
        passed=not mine,
        severity=dg.AssetCheckSeverity.ERROR if check.blocking else dg.AssetCheckSeverity.WARN,
        metadata=findings_metadata(mine),
        description=check.description,
    )


@dg.asset(
    key=CANDIDATE,
    partitions_def=DISTRICTS,
    group_name=GROUP,
    kinds={"duckdb"},
    description="The snapshot folder loaded as text and typed into its own schema "
    "(`snapshot_load_N`) beside the current one. Its blocking checks decide whether it may "
    "replace the snapshot the reports read.",
    check_specs=[dg.AssetCheckSpec(c.value, asset=CANDIDATE, blocking=True,
                                   description=c.description, partitions_def=DISTRICTS)
                 for c in BLOCKING],
)
def candidate(context: dg.AssetExecutionContext, config: SnapshotConfig,
              snapshot: SnapshotResource, settings: PipelineSettings) -> Iterator[object]:
    folder = Path(config.folder or settings.default_snapshot()).resolve()
    if settings.district is not None:  # multi-district: the manifest must name the run's
        manifest, _ = read_manifest(folder)
        refused = wrong_district(settings.district,
                                 manifest.district_number if manifest else None, str(folder))
        if refused and manifest is not None:  # an unreadable one is integrity's to explain
            context.log.error(refused)
            raise dg.Failure(refused)
    included = snapshot.codes().included_classifications
    with snapshot.duckdb.get_connection() as con:
        baseline = store.baseline(con, accept_smaller=config.accept_smaller)
        load_id, schema = store.new_load_schema(con, context.run.run_id)
        result = load_folder(con, folder, schema, included_classifications=included)
        if not result.blocking:  # rows that cannot be used left out, then sizes judged
            result.findings.extend(accept(con, result, baseline))
        store.record_load(con, load_id, result, result.findings)
    m = result.manifest
    tag_run(context, {RUN: WEEKLY, SNAPSHOT: str(folder),
                      SNAPSHOT_DATE: str(m.snapshot_date) if m else "unknown"},
            settings.district)
    arrived = arrival_time(folder)
    context.log.info(
        f"load {load_id} of {folder}: {len(result.present)} tables, "
        f"{sum(result.row_counts.values())} rows, {len(result.blocking)} blocking finding(s)")
    for note in result.notes:
        context.log.info(note)
    for finding in result.blocking:
        context.log.error(finding.line())
    yield dg.MaterializeResult(metadata={
        "folder": dg.MetadataValue.path(str(folder)),
        "load_id": dg.MetadataValue.int(load_id),
        "schema": dg.MetadataValue.text(schema),
        "snapshot_date": dg.MetadataValue.text(str(m.snapshot_date) if m else "unknown"),
        "end_year": dg.MetadataValue.int(m.end_year) if m else dg.MetadataValue.text("unknown"),
        "families": dg.MetadataValue.text(", ".join(f.value for f in result.families)),
        "notes": dg.MetadataValue.md("\n".join(f"- {n}" for n in result.notes) or "none"),
        "tables": dg.MetadataValue.int(len(result.present)),
        "dagster/row_count": dg.MetadataValue.int(sum(result.row_counts.values())),
        # when the folder arrived, which the freshness check reads (defs/operations/freshness.py)
        **({"dagster/last_updated_timestamp": dg.MetadataValue.timestamp(arrived)}
           if arrived is not None else {}),
    })
    for check in BLOCKING:
        yield _check_result(check, result.findings, CANDIDATE)


def _warning_checks(table: Table) -> list[Check]:
    """The warning checks that apply to one table: blank ids (every table has a key), orphans
    (when it points at others), reversed dates (when it has an interval), active trials
    (Trial)."""
    return [Check.BLANK, *([Check.ORPHAN] if table.references else []),
            *([Check.REVERSED] if table.interval else []),
            *([Check.TRIALS] if table.name == "Trial" else [])]


def _checked_tables(check: Check) -> list[str]:
    return [t.name for t in TABLES if check in _warning_checks(t)]


WARNING_SPECS = [
    dg.AssetCheckSpec(check.value, asset=TABLES_KEY, partitions_def=DISTRICTS,
                      description=f"{check.description} Tables: "
                      f"{', '.join(_checked_tables(check))}.")
    for check in WARNING]


@dg.asset(
    key=TABLES_KEY,
    partitions_def=DISTRICTS,
    deps=[CANDIDATE],
    group_name=GROUP,
    kinds={"duckdb"},
    description=f"The snapshot's {len(TABLES)} tables (docs/snapshot-format.md) once the rows "
    "that cannot be used (blank ids, ids pointing at no row, reversed dates, a second active "
    "trial) were left out, each left-out row named by a warning check; the reports of this "
    "run read them. One asset for the whole snapshot: a snapshot is one unit, and the lineage "
    "stays the flow (defs/group.py). Metadata: each table's rows and rows left out.",
    check_specs=WARNING_SPECS,
)
def tables(context: dg.AssetExecutionContext, duckdb: DuckDBResource) -> Iterator[object]:
    """A table the snapshot does not hold is an empty table (`in snapshot` no): the family's
    assets run and publish nothing."""
    with duckdb.get_connection() as con:
        load = store.pending(con)
        if load is None:
            raise dg.Failure("no snapshot is waiting to be published: materialise "
                             f"{CANDIDATE.to_user_string()} (the Weekly_refresh job) first")
        load_id, schema, present = load.load_id, load.schema, load.present
        dropped = [f for f in store.findings(con, load_id) if not f.blocking]
        counts = store.row_counts(con, schema)
    for finding in dropped:
        context.log.warning(finding.line())
    left_out = {t.name: sum(f.rows for f in dropped if f.table == t.name) for t in TABLES}
    yield dg.MaterializeResult(asset_key=TABLES_KEY, metadata={
        "dagster/row_count": dg.MetadataValue.int(sum(counts.values())),
        "rows_left_out": dg.MetadataValue.int(sum(left_out.values())),
        "tables": dg.MetadataValue.int(len(present)),
        "load_id": dg.MetadataValue.int(int(load_id)),
        "per_table": dg.MetadataValue.table(
            records=[dg.TableRecord({"table": t.name, "family": t.family.value,
                                     "rows": counts[t.name], "left_out": left_out[t.name],
                                     "in_snapshot": "yes" if t.name in present else "no"})
                     for t in TABLES],
            schema=dg.TableSchema(columns=[
                dg.TableColumn("table", "string"), dg.TableColumn("family", "string"),
                dg.TableColumn("rows", "int"), dg.TableColumn("left_out", "int"),
                dg.TableColumn("in_snapshot", "string")])),
    })
    for check in WARNING:
        yield _check_result(check, dropped, TABLES_KEY)
