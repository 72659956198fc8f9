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
from lead_pipeline.defs.resources import PipelineSettings
from lead_pipeline.lib.environment import seconds
from lead_pipeline.lib.snapshot.arrivals import arrivals


@dg.sensor(name="new_snapshot_sensor", job=weekly_refresh,
           minimum_interval_seconds=seconds("LEAD_SENSOR_INTERVAL_SECONDS", 60),
           default_status=dg.DefaultSensorStatus.STOPPED,
           description="Starts the weekly refresh when a new folder holding manifest.json "
           "appears under settings.snapshots_root (run key: folder name + snapshotDate).")
def new_snapshot_sensor(context: dg.SensorEvaluationContext,
                        settings: PipelineSettings) -> dg.SensorResult:
    seen = set(json.loads(context.cursor)) if context.cursor else set()
    found = arrivals(settings.snapshots_root)
    new = [a for a in found if a.run_key not in seen]
    cursor = json.dumps(sorted(seen | {a.run_key for a in found}))
    if not new:
        return dg.SensorResult(skip_reason=dg.SkipReason(
            f"no new snapshot folder under {settings.snapshots_root}"), cursor=cursor)
    latest = new[-1]  # several at once (or the first tick): only the newest is worth a refresh
    return dg.SensorResult(run_requests=[dg.RunRequest(
        run_key=latest.run_key, run_config=run_config(str(latest.path)),
        tags={"lead/snapshot": latest.name, "lead/snapshot_date": latest.snapshot_date,
              "lead/trigger": "new_snapshot"})], cursor=cursor)
