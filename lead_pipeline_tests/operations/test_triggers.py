"""The schedule and the sensor label their runs (trigger, snapshot folder and date) and, with
nothing to refresh, say where to put a snapshot folder (defs/operations)."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from lead_pipeline.defs.operations.schedules import weekly_refresh_schedule
from lead_pipeline.defs.operations.sensors import new_snapshot_sensor
from lead_pipeline.defs.resources import PipelineSettings
from lead_pipeline_tests.builders import tiny


def test_schedule_and_sensor_tag_their_runs_and_explain_a_skip(tmp_path: Path):
    root = tmp_path / "snapshots"
    root.mkdir()
    settings = PipelineSettings(snapshots_root=str(root))
    skipped = weekly_refresh_schedule(dg.build_schedule_context(resources={"settings": settings}))
    assert isinstance(skipped, dg.SkipReason)
    assert skipped.skip_message == (
        f"no snapshot folder to refresh: copy the weekend's snapshot folder (one holding "
        f"manifest.json and the SIS tables) into {root}, or set LEAD_SNAPSHOTS_ROOT to where "
        "the copies arrive")

    folder = tiny().write(root / "2026-11-21")
    request = weekly_refresh_schedule(dg.build_schedule_context(resources={"settings": settings}))
    assert isinstance(request, dg.RunRequest)
    assert {k: request.tags[k] for k in ("lead/trigger", "lead/snapshot", "lead/snapshot_date")
            } == {"lead/trigger": "schedule", "lead/snapshot": str(folder.resolve()),
                  "lead/snapshot_date": "2026-11-21"}

    sensed = new_snapshot_sensor(dg.build_sensor_context(resources={"settings": settings}))
    assert isinstance(sensed, dg.SensorResult)
    (run,) = sensed.run_requests or []
    assert (run.tags["lead/trigger"], run.tags["lead/snapshot_date"]) == ("sensor", "2026-11-21")
    again = new_snapshot_sensor(dg.build_sensor_context(resources={"settings": settings},
                                                        cursor=sensed.cursor))
    assert isinstance(again, dg.SensorResult) and not again.run_requests
    assert again.skip_reason is not None
    assert "no new snapshot folder since the last tick" in (again.skip_reason.skip_message or "")
