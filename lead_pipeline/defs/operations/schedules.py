"""Early Sunday, after the weekend copy: the weekly refresh of the newest snapshot folder.

LEAD_SCHEDULE_CRON in the environment replaces the cron (README "Running in production"; the
production tests use it to see a tick fire); the time zone stays America/New_York."""

import dagster as dg

from lead_pipeline.defs.operations.jobs import run_config, weekly_refresh
from lead_pipeline.defs.resources import PipelineSettings
from lead_pipeline.lib.environment import text
from lead_pipeline.lib.snapshot.arrivals import newest

DEFAULT_CRON = "0 3 * * 0"
CRON = text("LEAD_SCHEDULE_CRON", DEFAULT_CRON)
TIMEZONE = "America/New_York"


@dg.schedule(name="weekly_refresh_schedule", cron_schedule=CRON, job=weekly_refresh,
             execution_timezone=TIMEZONE, default_status=dg.DefaultScheduleStatus.RUNNING,
             description="Sundays 03:00 America/New_York: one run refreshing every school from "
             "the newest folder (holding manifest.json) under settings.snapshots_root.")
def weekly_refresh_schedule(context: dg.ScheduleEvaluationContext,
                            settings: PipelineSettings) -> dg.RunRequest | dg.SkipReason:
    arrival = newest(settings.snapshots_root)
    if arrival is None:
        return dg.SkipReason(f"no snapshot folder with a manifest.json under "
                             f"{settings.snapshots_root}")
    return dg.RunRequest(
        run_key=None,
        run_config=run_config(str(arrival.path)),
        tags={"lead/snapshot": arrival.name, "lead/snapshot_date": arrival.snapshot_date})
