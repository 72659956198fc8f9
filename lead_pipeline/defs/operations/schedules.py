"""Early Sunday, after the weekend copy: the weekly refresh of the newest snapshot folder.

LEAD_SCHEDULE_CRON in the environment replaces the cron (README "Running in production"; the
production tests use it to see a tick fire); the time zone stays America/New_York."""

import dagster as dg

from lead_pipeline.defs.operations.jobs import run_config, weekly_refresh
from lead_pipeline.defs.operations.tags import SCHEDULE, SNAPSHOT, SNAPSHOT_DATE, TRIGGER
from lead_pipeline.defs.resources import PipelineSettings
from lead_pipeline.lib.environment import text
from lead_pipeline.lib.snapshot.arrivals import newest

DEFAULT_CRON = "0 3 * * 0"
CRON = text("LEAD_SCHEDULE_CRON", DEFAULT_CRON)
TIMEZONE = "America/New_York"


@dg.schedule(name="weekly_refresh_schedule", cron_schedule=CRON, job=weekly_refresh,
             execution_timezone=TIMEZONE, default_status=dg.DefaultScheduleStatus.RUNNING,
             description="Sundays 03:00 (New York time): refreshes every school from the newest "
             "snapshot folder (one holding manifest.json) in the snapshots folder "
             "(LEAD_SNAPSHOTS_ROOT, by default data/snapshots of the project).")
def weekly_refresh_schedule(context: dg.ScheduleEvaluationContext,
                            settings: PipelineSettings) -> dg.RunRequest | dg.SkipReason:
    arrival = newest(settings.snapshots_root)
    if arrival is None:
        return dg.SkipReason(skip_message(settings.snapshots_root))
    return dg.RunRequest(
        run_key=None,
        run_config=run_config(str(arrival.path)),
        tags={TRIGGER: SCHEDULE, SNAPSHOT: str(arrival.path),
              SNAPSHOT_DATE: arrival.snapshot_date})


def skip_message(root: str) -> str:
    """What an operator reads on a tick that found nothing: where to put the snapshot."""
    return (f"no snapshot folder to refresh: copy the weekend's snapshot folder (one holding "
            f"manifest.json and the SIS tables) into {root}, or set LEAD_SNAPSHOTS_ROOT to "
            "where the copies arrive")
