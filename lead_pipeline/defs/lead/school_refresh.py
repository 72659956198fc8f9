"""One school on demand: `lead/school_refresh`, partitioned by state school number.

A data manager who fixed records for one school exports a fresh snapshot (any folder) and
materialises that school's partition, naming the folder in the run config (default: the
folder of the current snapshot). Only that school's rows are read, staged, reported, checked
and written; its workbook in the published `latest` folder is replaced atomically and its
findings enter the history under the school's scope (lib/lead/school.py).
"""

from pathlib import Path

import dagster as dg
from pydantic import Field

from lead_pipeline.defs.lead.partitions import SCHOOLS
from lead_pipeline.defs.publish.assets import LATEST
from lead_pipeline.defs.resources import PipelineSettings, SnapshotResource
from lead_pipeline.lib import markdown
from lead_pipeline.lib.lead.school import SchoolRefreshError, refresh_school

SCHOOL_REFRESH = dg.AssetKey(["lead", "school_refresh"])
GROUP = "lead_one_school"


class SchoolRefreshConfig(dg.Config):
    folder: str = Field(
        default="",
        description="Snapshot folder holding the fixed records (any folder); empty means the "
        "folder of the current snapshot.")


@dg.asset(key=SCHOOL_REFRESH, group_name=GROUP, partitions_def=SCHOOLS,
          kinds={"duckdb", "polars", "excel"},
          deps=[LATEST],
          description="One school on demand (partition = state school number): that school's "
          "rows of the snapshot folder in the run config go through the same staging, reports "
          "and Q- rules as the weekly refresh; schools/LEAD_<school>.xlsx inside the folder "
          "`latest` points at is replaced atomically (the workbook's properties record the "
          "snapshot date it was built from) and its findings enter the history, so its Changes "
          "sheet shows what the fix resolved. Every other file stays as it was.")
def school_refresh(context: dg.AssetExecutionContext, config: SchoolRefreshConfig,
                   snapshot: SnapshotResource, settings: PipelineSettings
                   ) -> dg.MaterializeResult:
    school = context.partition_key
    folder = config.folder or snapshot.current().folder
    with snapshot.duckdb.get_connection() as con:
        try:
            out = refresh_school(Path(folder).resolve(), school, Path(settings.output_dir), con,
                                 run_id=context.run.run_id, codes=snapshot.codes())
        except SchoolRefreshError as exc:
            for line in exc.problems:
                context.log.error(line)
            raise dg.Failure(description="; ".join(exc.problems),
                             metadata={"problems": dg.MetadataValue.md(
                                 "\n".join(f"- {p}" for p in exc.problems))}) from None
    context.log.info(f"school {school}: replaced {out.path} (snapshot {out.snapshot_date}), "
                     f"{out.findings} finding(s), {out.new} new, {out.resolved} resolved")
    return dg.MaterializeResult(metadata={
        "file": dg.MetadataValue.path(str(out.path)),
        "published_folder": dg.MetadataValue.path(str(out.published_folder)),
        "snapshot_folder": dg.MetadataValue.path(str(folder)),
        "snapshot_date": dg.MetadataValue.text(out.snapshot_date.isoformat()),
        "findings": dg.MetadataValue.int(out.findings),
        "new": dg.MetadataValue.int(out.new),
        "resolved": dg.MetadataValue.int(out.resolved),
        "slice_rows": dg.MetadataValue.md(markdown.table(["table", "rows"], out.rows.items())),
        "dagster/row_count": dg.MetadataValue.int(sum(out.rows.values())),
        "seconds": dg.MetadataValue.md(", ".join(
            f"{k} {v:.2f} s" for k, v in out.seconds.items())),
    })
