"""The alternative trigger: start the weekly refresh when a new snapshot folder arrives.

STOPPED by default: the Sunday schedule is the normal trigger, and with both running the
same snapshot would be refreshed twice (once on arrival, again at 03:00). An operator who
prefers refreshing on arrival starts this sensor and stops the schedule in the UI; the choice
persists in DAGSTER_HOME. The cursor is the folders already seen, so starting the sensor does
not re-run the folders that were there before: on its first tick it refreshes only the newest.
It looks every 60 s, or every LEAD_SENSOR_INTERVAL_SECONDS.
"""

import json

import dagster as dg

from lead_pipeline.defs.operations.jobs import run_config, weekly_refresh
from lead_pipeline.defs.operations.schedules import skip_message
from lead_pipeline.defs.operations.tags import SENSOR, SNAPSHOT, SNAPSHOT_DATE, TRIGGER
from lead_pipeline.defs.resources import PipelineSettings
from lead_pipeline.lib.environment import seconds
from lead_pipeline.lib.snapshot.arrivals import arrivals


@dg.sensor(name="new_snapshot_sensor", job=weekly_refresh,
           minimum_interval_seconds=seconds("LEAD_SENSOR_INTERVAL_SECONDS", 60),
           default_status=dg.DefaultSensorStatus.STOPPED,
           description="Starts the weekly refresh as soon as a new snapshot folder (one holding "
           "manifest.json) appears in the snapshots folder (LEAD_SNAPSHOTS_ROOT, by default "
           "data/snapshots of the project). Off by default: the Sunday schedule already "
           "refreshes; turn this on and the schedule off to refresh on arrival instead.")
def new_snapshot_sensor(context: dg.SensorEvaluationContext,
                        settings: PipelineSettings) -> dg.SensorResult:
    seen = set(json.loads(context.cursor)) if context.cursor else set()
    found = arrivals(settings.snapshots_root)
    new = [a for a in found if a.run_key not in seen]
    cursor = json.dumps(sorted(seen | {a.run_key for a in found}))
    if not new:
        return dg.SensorResult(skip_reason=dg.SkipReason(
            f"no new snapshot folder since the last tick; "
            f"{skip_message(settings.snapshots_root)}"), cursor=cursor)
    latest = new[-1]  # several at once (or the first tick): only the newest is worth a refresh
    return dg.SensorResult(run_requests=[dg.RunRequest(
        run_key=latest.run_key, run_config=run_config(str(latest.path)),
        tags={TRIGGER: SENSOR, SNAPSHOT: str(latest.path),
              SNAPSHOT_DATE: latest.snapshot_date})], cursor=cursor)
