"""Is a new snapshot arriving? Dagster's freshness check on `snapshot/candidate`, kept by
Dagster's freshness sensor (README "Running in production").

The check fails — the asset shows overdue in the UI — when the snapshot last loaded *arrived*
more than LEAD_SNAPSHOT_OVERDUE_DAYS days ago (default 8: one weekly copy missed, plus a day).
Arrival is the time the weekend copy wrote the folder's manifest.json, which the candidate's
materialization records as `dagster/last_updated_timestamp` (defs/snapshot/assets.py); the
check reads that rather than the run's time, so the Sunday schedule refreshing last week's folder
again does not make an old snapshot look fresh. The check is not part of the refresh jobs (the
command line's output stays the same); the sensor evaluates it when it could have become
overdue and again after each new load. alerts.py says it once by e-mail.
"""

import warnings
from datetime import timedelta
from functools import cache

import dagster as dg

from lead_pipeline.defs.snapshot.assets import CANDIDATE
from lead_pipeline.lib.environment import number, seconds

DEFAULT_OVERDUE_DAYS = 8.0
OVERDUE_DAYS = number("LEAD_SNAPSHOT_OVERDUE_DAYS", DEFAULT_OVERDUE_DAYS, minimum=0.0001)
"""Days without a new snapshot after which the snapshot is overdue."""

# Dagster 1.13 marks these builders superseded by FreshnessPolicy, whose evaluation reads the
# time of the last materialisation only (not dagster/last_updated_timestamp): a re-run of last
# week's folder would look fresh. The warning would print on every command-line refresh.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", dg.SupersessionWarning)
    [snapshot_freshness_check] = dg.build_last_update_freshness_checks(
        assets=[CANDIDATE], lower_bound_delta=timedelta(days=OVERDUE_DAYS))
FRESHNESS_CHECK = dg.AssetCheckKey(CANDIDATE, "freshness_check")
"""The key Dagster's builder gives the check (its fixed name on the one asset)."""

SENSOR = "snapshot_freshness_sensor"
INTERVAL = seconds("LEAD_FRESHNESS_INTERVAL_SECONDS", 600)
WAITING = [dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED,
           dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED]


@cache
def _dagster_freshness_sensor() -> dg.SensorDefinition:
    """Dagster's freshness sensor, whose evaluation ours calls (kept out of module scope so the
    definitions hold one sensor of this name)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.SupersessionWarning)
        return dg.build_sensor_for_freshness_checks(
            freshness_checks=[snapshot_freshness_check], name=SENSOR)


@dg.sensor(name=SENSOR, minimum_interval_seconds=INTERVAL,
           asset_selection=dg.AssetSelection.checks(snapshot_freshness_check),
           default_status=dg.DefaultSensorStatus.RUNNING,
           description="Evaluates the freshness check of snapshot/candidate (Dagster's "
           f"freshness sensor) every {INTERVAL} s when it could have changed: overdue after "
           f"{OVERDUE_DAYS:g} days without a new snapshot.")
def snapshot_freshness_sensor(context: dg.SensorEvaluationContext
                              ) -> dg.RunRequest | dg.SkipReason | None:
    """Dagster's freshness sensor, except while one of its runs waits in the queue: runs start
    one at a time, and behind a refresh its check run would be requested again on every tick
    (Dagster's sensor sees the check as planned only once its run has started)."""
    waiting = context.instance.get_run_records(
        dg.RunsFilter(tags={"dagster/sensor_name": SENSOR}, statuses=WAITING), limit=1)
    if waiting:
        return dg.SkipReason("an evaluation of the freshness check is queued or running")
    return _dagster_freshness_sensor()(context)  # type: ignore[return-value]
