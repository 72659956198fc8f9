"""The failure e-mail's facts from a real failed run (in-process, on a throwaway instance): a
snapshot with a bad date fails the blocking check; the message names the folder, the date, the
finding with its ids and counts, the failed check and step, and no value of the snapshot. A step
stopped by a signal is said to be interrupted."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
from dagster._core.errors import DagsterExecutionInterruptedError

from lead_pipeline.definitions import definitions_with
from lead_pipeline.defs.operations import alerts
from lead_pipeline.defs.operations.jobs import WEEKLY, run_config
from lead_pipeline.defs.resources import resources
from lead_pipeline.lib.interrupts import INTERRUPTED
from lead_pipeline_tests.builders import tiny


def _failure_context(instance: dg.DagsterInstance, run_id: str) -> dg.RunFailureSensorContext:
    """What the failure e-mail sensor is given for the failed run `run_id`."""
    failure = next(e.dagster_event for e in instance.all_logs(
        run_id, of_type=dg.DagsterEventType.RUN_FAILURE))
    return dg.build_run_status_sensor_context(
        sensor_name="refresh_failure_email", dagster_instance=instance,
        dagster_run=instance.get_run_by_id(run_id), dagster_event=failure).for_run_failure()


def test_problems_of_a_rejected_snapshot(tmp_path: Path) -> None:
    s = tiny()
    s.manifest["snapshotDate"] = "2026-11-28"
    s.one("Roster")["startDate"] = "2026-13-01"
    s.write(tmp_path / "snap")
    defs = definitions_with(resources(tmp_path / "x.duckdb", output_dir=str(tmp_path / "out")))
    with dg.instance_for_test() as instance:
        result = defs.resolve_job_def(WEEKLY).execute_in_process(
            run_config=run_config(str(tmp_path / "snap")), instance=instance,
            raise_on_error=False)
        assert not result.success
        context = _failure_context(instance, result.run_id)
        assert alerts._snapshot_of(context) == (str(tmp_path / "snap"), "2026-11-28")
        assert alerts._problems(context) == [
            "Roster.startDate: 1 value(s) are not a date YYYY-MM-DD; rows: rosterID=800 (row 1)",
            "check snapshot/candidate values_parse failed: 1 findings, 1 rows",
            "step snapshot__candidate: 1 blocking asset check failed with ERROR severity",
        ]


def test_a_step_stopped_by_a_signal_is_said_to_be_interrupted() -> None:
    """What a run worker's step raises when SIGTERM reaches it (a pod evicted, the service
    stopped): Dagster's interruption, whose own text is only its class name."""

    @dg.op
    def stopped() -> None:
        raise DagsterExecutionInterruptedError()

    @dg.job
    def interrupted_job() -> None:
        stopped()

    with dg.instance_for_test() as instance:
        result = interrupted_job.execute_in_process(instance=instance, raise_on_error=False)
        assert not result.success
        context = _failure_context(instance, result.run_id)
        assert alerts._problems(context) == [f"step stopped: {INTERRUPTED}"]
