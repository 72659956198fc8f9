"""One school on demand: the job `One_school_refresh` rebuilds one partition of
`lead/school_workbook` (the state school number; defs/lead/partitions.py says what else fills
that asset).

The asset is declared as a spec, not a step: both the weekly publish and this job's one op
report its materialisations. So the lineage's "Materialize all" holds only the weekly refresh's
unpartitioned assets and starts the weekly job (defs/operations/jobs.py), instead of Dagster's
backfill dialog over school partitions that a partitioned step in the view forces.

A data manager who fixed records for one school exports a fresh snapshot (any folder) and
launches the job for that school's partition, naming the folder in the launch form (default:
the folder of the current snapshot). Only that school's rows are read, staged, reported, checked
and written; its workbook in the published `latest` folder is replaced atomically and its
findings enter the history under the school's scope (lib/lead/school.py). A school with no
workbook in `latest` is refused before any work, naming the schools there.
"""

from pathlib import Path

import dagster as dg
from pydantic import Field

from lead_pipeline.defs.districts import MULTI
from lead_pipeline.defs.group import GROUP
from lead_pipeline.defs.lead.partitions import (
    ONE_SCHOOL_BUILD,
    SCHOOL_WORKBOOK,
    SCHOOLS,
    school_metadata,
)
from lead_pipeline.defs.operations.tags import (
    ONE_SCHOOL,
    RUN,
    SCHOOL,
    SNAPSHOT,
    SNAPSHOT_DATE,
    tag_run,
)
from lead_pipeline.defs.publish.assets import LATEST
from lead_pipeline.defs.resources import PipelineSettings, SnapshotResource
from lead_pipeline.lib import markdown
from lead_pipeline.lib.districts import split_school_key
from lead_pipeline.lib.lead.school import SchoolRefreshError, refresh_school


class SchoolRefreshConfig(dg.Config):
    """The one-school launch form (Launchpad → config): one field."""

    folder: str = Field(
        default="",
        description="Snapshot folder holding the fixed records, e.g. "
        "/srv/lead/snapshots/2026-11-30 (any folder with a manifest.json and the SIS tables). "
        "Leave empty to rebuild from the folder of the current snapshot.")


school_workbook = dg.AssetSpec(
    SCHOOL_WORKBOOK, group_name=GROUP, partitions_def=SCHOOLS, kinds={"excel"}, deps=[LATEST],
    description="Each school's workbook in `latest` (`schools/LEAD_NNN.xlsx`), one partition "
    "per state school number, with the school's name, the snapshot date it was built from, its "
    "errors, reviews, new and resolved findings, and the file. The weekly refresh fills every "
    "school's partition when it publishes. To rebuild one school alone from a snapshot folder "
    "with the fixed records, launch the job One_school_refresh for its partition (launch form "
    "field `folder`; empty = the current snapshot's folder): only its rows are read and only "
    "its file in `latest` is replaced, its Changes sheet then shows what the fix resolved.")


@dg.op(name=SCHOOL_WORKBOOK.to_python_identifier(),  # the step's name: lead__school_workbook
       description="Rebuilds one school's workbook in `latest` from `folder` and records it "
       "as that school's partition of lead/school_workbook.")
def rebuild_school(context: dg.OpExecutionContext, config: SchoolRefreshConfig,
                   snapshot: SnapshotResource, settings: PipelineSettings) -> None:
    _, school = split_school_key(context.partition_key, MULTI)  # settings hold the district
    folder = config.folder or snapshot.current().folder
    tag_run(context, {RUN: ONE_SCHOOL, SCHOOL: school, SNAPSHOT: str(folder)}, settings.district)
    with snapshot.duckdb.get_connection() as con:
        try:
            out = refresh_school(Path(folder).resolve(), school, settings.output, con,
                                 run_id=context.run.run_id, codes=snapshot.codes())
        except SchoolRefreshError as exc:
            for line in exc.problems:
                context.log.error(line)
            raise dg.Failure(description="; ".join(exc.problems),
                             metadata={"problems": dg.MetadataValue.md(
                                 "\n".join(f"- {markdown.escape(p)}" for p in exc.problems))}
                             ) from None
    tag_run(context, {SNAPSHOT_DATE: out.snapshot_date.isoformat()})
    context.log.info(f"school {school}: replaced {out.path} (snapshot {out.snapshot_date}), "
                     f"{out.findings} finding(s), {out.new} new, {out.resolved} resolved")
    context.log_event(dg.AssetMaterialization(
        asset_key=SCHOOL_WORKBOOK, partition=context.partition_key,
        description=f"{out.school_name}: one-school build from {folder}",
        metadata={
            **school_metadata(name=out.school_name, snapshot_date=out.snapshot_date.isoformat(),
                              snapshot_folder=str(folder), file=out.path, errors=out.errors,
                              reviews=out.reviews, new=out.new, resolved=out.resolved,
                              built_by=ONE_SCHOOL_BUILD),
            "slice_rows": dg.MetadataValue.md(markdown.table(["table", "rows"],
                                                             out.rows.items())),
            "dagster/row_count": dg.MetadataValue.int(sum(out.rows.values())),
            "seconds": dg.MetadataValue.md(", ".join(
                f"{k} {v:.2f} s" for k, v in out.seconds.items())),
        }))
