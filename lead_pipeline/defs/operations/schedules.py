"""Early Sunday, after the weekend copy: the weekly refresh of the newest snapshot folder (with
many districts, docs/statewide.md: one run per district, of that district's newest folder).

LEAD_SCHEDULE_CRON in the environment replaces the cron (README "Running in production"; the
production tests use it to see a tick fire); the time zone stays America/New_York."""

import dagster as dg

from lead_pipeline.defs.districts import DISTRICTS, MULTI
from lead_pipeline.defs.operations.jobs import run_request, weekly_refresh
from lead_pipeline.defs.operations.tags import SCHEDULE
from lead_pipeline.defs.resources import PipelineSettings
from lead_pipeline.lib.districts import survey
from lead_pipeline.lib.environment import text
from lead_pipeline.lib.snapshot.arrivals import newest

DEFAULT_CRON = "0 3 * * 0"
CRON = text("LEAD_SCHEDULE_CRON", DEFAULT_CRON)
TIMEZONE = "America/New_York"


@dg.schedule(name="weekly_refresh_schedule", cron_schedule=CRON, job=weekly_refresh,
             execution_timezone=TIMEZONE, default_status=dg.DefaultScheduleStatus.RUNNING,
             description="Sundays 03:00 (New York time): refreshes every school from the newest "
             "snapshot folder (one holding manifest.json) in the snapshots folder "
             "(LEAD_SNAPSHOTS_ROOT, by default data/snapshots of the project"
             + ("; one run per district, from its subfolder LEAD_SNAPSHOTS_ROOT/NNN"
                if MULTI else "") + ").")
def weekly_refresh_schedule(context: dg.ScheduleEvaluationContext, settings: PipelineSettings
                            ) -> dg.RunRequest | list[dg.RunRequest] | dg.SkipReason:
    if MULTI:
        assert DISTRICTS is not None
        found = survey(settings.snapshots_root)
        for _, message in found.refused:
            context.log.warning(message)
        ready = {d: a[-1] for d, a in found.ready.items() if a}
        if not ready:
            return dg.SkipReason(skip_message(settings.snapshots_root))
        known = set(context.instance.get_dynamic_partitions(DISTRICTS.name))
        if set(ready) - known:
            context.instance.add_dynamic_partitions(DISTRICTS.name, sorted(set(ready) - known))
        return [run_request(arrival, SCHEDULE, district) for district, arrival in ready.items()]
    arrival = newest(settings.snapshots_root)
    if arrival is None:
        return dg.SkipReason(skip_message(settings.snapshots_root))
    return run_request(arrival, SCHEDULE)


def skip_message(root: str) -> str:
    """What an operator reads on a tick that found nothing: where to put the snapshot."""
    where = f"{root}/NNN (NNN: the district number)" if MULTI else root
    return (f"no snapshot folder to refresh: copy the weekend's snapshot folder (one holding "
            f"manifest.json and the SIS tables) into {where}, or set LEAD_SNAPSHOTS_ROOT to "
            "where the copies arrive")
