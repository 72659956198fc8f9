"""The last step of a refresh: publish the run's files whole, then move `latest`."""

from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from lead_pipeline.defs.resources import PipelineSettings
from lead_pipeline.lib.publish import Publication, prune, run_staging
from lead_pipeline.lib.snapshot import store

LATEST = dg.AssetKey(["publish", "latest"])


@dg.asset(key=LATEST, group_name="publish", kinds={"filesystem"},
          deps=[dg.AssetKey(["lead", "workbooks"]), dg.AssetKey(["kias", "files"])],
          description="Moves the run's staging folder to <output>/<endYear>/<snapshotDate> and "
          "points <output>/latest at it. A failed or cancelled run never gets here, so latest "
          "and every published file stay as they were.")
def latest(context: dg.AssetExecutionContext, duckdb: DuckDBResource,
           settings: PipelineSettings) -> dg.MaterializeResult:
    with duckdb.get_connection() as con:
        current = store.current(con)
    if current is None:
        raise dg.Failure("no current snapshot")
    output = Path(settings.output_dir)
    staging = run_staging(output, context.run.run_id)
    with Publication(output, current.end_year, current.snapshot_date, staging=staging) as pub:
        files = sorted(str(p.relative_to(pub.staging)) for p in pub.staging.rglob("*")
                       if p.is_file())
    published = pub.target
    context.log.info(f"published {len(files)} files to {published}")
    # keep settings.keep_weeks weeks of refreshes before this snapshot (latest always kept)
    pruned = prune(output, settings.keep_weeks, current.snapshot_date)
    for folder in pruned:
        context.log.info(f"removed {folder} (older than {settings.keep_weeks} weeks)")
    return dg.MaterializeResult(metadata={
        "folder": dg.MetadataValue.path(str(published)),
        "snapshot_date": dg.MetadataValue.text(current.snapshot_date.isoformat()),
        "files": dg.MetadataValue.md("\n".join(f"- {f}" for f in files[:200]) or "none"),
        "pruned": dg.MetadataValue.int(len(pruned)),
    })
