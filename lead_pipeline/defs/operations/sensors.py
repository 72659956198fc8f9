"""The alternative trigger: start the weekly refresh when a new snapshot folder arrives.

STOPPED by default: the Sunday schedule is the normal trigger, and with both running the
same snapshot would be refreshed twice (once on arrival, again at 03:00). An operator who
prefers refreshing on arrival starts this sensor and stops the schedule in the UI; the choice
persists in DAGSTER_HOME. The cursor is the folders already seen, so starting the sensor does
not re-run the folders that were there before: on its first tick it refreshes only the newest.
It looks every 60 s, or every LEAD_SENSOR_INTERVAL_SECONDS.

With many districts (docs/statewide.md) it looks in every district's folder and requests one
run per district with a new folder, for that district's partition; a folder that is not a
district, or a snapshot whose manifest names another district, is refused in the tick's log
once, and nothing is loaded.
"""

import json

import dagster as dg

from lead_pipeline.defs.districts import DISTRICTS, MULTI
from lead_pipeline.defs.operations.jobs import run_request, weekly_refresh
from lead_pipeline.defs.operations.schedules import skip_message
from lead_pipeline.defs.operations.tags import SENSOR
from lead_pipeline.defs.resources import PipelineSettings
from lead_pipeline.lib.districts import survey
from lead_pipeline.lib.environment import seconds
from lead_pipeline.lib.snapshot.arrivals import arrivals


@dg.sensor(name="new_snapshot_sensor", job=weekly_refresh,
           minimum_interval_seconds=seconds("LEAD_SENSOR_INTERVAL_SECONDS", 60),
           default_status=dg.DefaultSensorStatus.STOPPED,
           description="Starts the weekly refresh as soon as a new snapshot folder (one holding "
           "manifest.json) appears in the snapshots folder (LEAD_SNAPSHOTS_ROOT, by default "
           "data/snapshots of the project" + ("; one run per district with a new folder in its "
           "own subfolder, LEAD_SNAPSHOTS_ROOT/NNN" if MULTI else "") + "). Off by default: the "
           "Sunday schedule already refreshes; turn this on and the schedule off to refresh on "
           "arrival instead.")
def new_snapshot_sensor(context: dg.SensorEvaluationContext,
                        settings: PipelineSettings) -> dg.SensorResult:
    seen = set(json.loads(context.cursor)) if context.cursor else set()
    if MULTI:
        return _districts(context, settings, seen)
    found = arrivals(settings.snapshots_root)
    new = [a for a in found if a.run_key not in seen]
    cursor = json.dumps(sorted(seen | {a.run_key for a in found}))
    if not new:
        return dg.SensorResult(skip_reason=dg.SkipReason(
            f"no new snapshot folder since the last tick; "
            f"{skip_message(settings.snapshots_root)}"), cursor=cursor)
    latest = new[-1]  # several at once (or the first tick): only the newest is worth a refresh
    return dg.SensorResult(run_requests=[run_request(latest, SENSOR, run_key=latest.run_key)],
                           cursor=cursor)


def _districts(context: dg.SensorEvaluationContext, settings: PipelineSettings,
               seen: set[str]) -> dg.SensorResult:
    """One run per district with a new folder (its newest), new districts added as partitions
    first; each refused entry logged once."""
    assert DISTRICTS is not None
    found = survey(settings.snapshots_root)
    for key, message in found.refused:
        if key not in seen:
            context.log.warning(message)
    requests = []
    for district, ready in found.ready.items():
        new = [a for a in ready if f"{district}/{a.run_key}" not in seen]
        if new:
            requests.append(run_request(new[-1], SENSOR, district,
                                        run_key=f"{district}/{new[-1].run_key}"))
    cursor = json.dumps(sorted(
        seen | {key for key, _ in found.refused}
        | {f"{d}/{a.run_key}" for d, ready in found.ready.items() for a in ready}))
    known = set(context.instance.get_dynamic_partitions(DISTRICTS.name))
    added = sorted({r.partition_key for r in requests if r.partition_key} - known)
    if not requests:
        return dg.SensorResult(skip_reason=dg.SkipReason(
            f"no new snapshot folder in any district since the last tick; "
            f"{skip_message(settings.snapshots_root)}"), cursor=cursor)
    return dg.SensorResult(
        run_requests=requests, cursor=cursor,
        dynamic_partitions_requests=[DISTRICTS.build_add_request(added)] if added else [])
