"""Run the refresh in-process: the jobs the UI, the schedule and the sensor run
(defs/operations/jobs.py), for the command line, scripts and CI.

Each run executes a job of the project's Definitions, bound to this refresh's database and
folders, with the in-process executor, in the project's Dagster instance when DAGSTER_HOME is
set (so it shows in the UI's run history). The outcome is read back from the run's events and
from the DuckDB file, so what the command prints is what an operator would see in the UI.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg
import duckdb

from lead_pipeline.definitions import definitions_with
from lead_pipeline.defs.lead.partitions import SCHOOL_WORKBOOK, add_school_partitions
from lead_pipeline.defs.operations.jobs import (
    ONE_SCHOOL,
    WEEKLY,
    op_name,
    run_config,
    school_run_config,
)
from lead_pipeline.defs.operations.tags import COMMAND_LINE, TRIGGER
from lead_pipeline.defs.resources import Resources, resources
from lead_pipeline.defs.storage import hold_connections
from lead_pipeline.lib import dblock, publish
from lead_pipeline.lib.interrupts import INTERRUPTED, interrupted
from lead_pipeline.lib.lead.school import SchoolRefreshError, known_school
from lead_pipeline.lib.snapshot import store
from lead_pipeline.lib.snapshot.findings import clean

if TYPE_CHECKING:  # a dependency of dagster's, named here only to type cause()
    from dagster_shared.error import SerializableErrorInfo

TAGS = {TRIGGER: COMMAND_LINE}
"""Run tags that tell a refresh started in-process from a scheduled or sensed one."""


@dataclass
class CheckOutcome:
    asset: str
    name: str
    passed: bool
    severity: str
    findings: int


@dataclass
class RefreshOutcome:
    success: bool
    database: Path
    snapshot: Path
    output: Path
    published: Path | None = None
    load_id: int | None = None
    snapshot_date: str | None = None
    problems: list[str] = field(default_factory=list)
    """One line per blocking finding (or the cause of the error that stopped the run)."""
    stopped_at: str | None = None
    """"integrity" when the snapshot failed a blocking check, else the step that failed."""
    unchanged: bool = True
    """Whether the current snapshot and `latest` are the ones from before the run (always
    true when the run did not publish: checked, not assumed)."""
    warnings: list[str] = field(default_factory=list)
    checks: list[CheckOutcome] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    tables: dict[str, int] = field(default_factory=dict)
    steps: dict[str, float] = field(default_factory=dict)
    """Seconds each Dagster step took, in the order they finished."""
    step_spans: dict[str, tuple[float, float]] = field(default_factory=dict)
    """(start, end) wall-clock timestamps of each step, for attributing memory samples."""


def _instance() -> dg.DagsterInstance:
    """The project's instance when DAGSTER_HOME is set (runs show in the UI), else a throwaway;
    holding its storage connections from the run's first event on (defs/storage.py)."""
    if os.environ.get("DAGSTER_HOME"):
        instance = dg.DagsterInstance.get()
        hold_connections(instance)
        return instance
    return dg.DagsterInstance.ephemeral()


def _resources(database: Path | None, output: Path | None) -> Resources:
    return resources(database, **({"output_dir": str(output.resolve())} if output else {}))


def _console(log_level: str) -> dict[str, object]:
    """Run config of Dagster's console log: quiet by default, the outcome carries what the
    caller prints."""
    return {"loggers": {"console": {"config": {"log_level": log_level}}}}


def _int(metadata: Mapping[str, dg.MetadataValue], name: str) -> int:
    value = metadata[name].value if name in metadata else 0
    return value if isinstance(value, int) else 0


def _state(con: duckdb.DuckDBPyConnection, output_dir: Path) -> tuple[int | None, str | None]:
    """The current snapshot's load and the folder `latest` points at: what a refresh that
    does not publish must leave as it found."""
    snap = store.current(con)
    where = publish.latest(output_dir)
    return (snap.load_id if snap else None), (str(where) if where else None)


def cause(error: SerializableErrorInfo) -> str:
    """The first line of the innermost error of a failed step — the user's exception, not
    Dagster's "Error occurred while executing op" wrapper — without control characters; a
    step stopped by a signal says so (lib/interrupts.py)."""
    if interrupted(error):
        return INTERRUPTED
    while error.cause is not None:
        error = error.cause
    text = (error.message or "step failed").strip()
    line = text.splitlines()[0] if text else "step failed"
    return clean(line[:300] + ("…" if len(line) > 300 else ""))


def run_refresh(snapshot: Path, *, output: Path | None = None, database: Path | None = None,
                sections: list[int] | None = None, accept_smaller: bool = False,
                log_level: str = "CRITICAL") -> RefreshOutcome:
    """Run the job `Weekly_refresh` on `snapshot`. Holds the database lock (lib/dblock.py) for
    the whole refresh, reading the outcome back included: a UI run or another refresh on the
    same file waits, never fails."""
    snapshot = snapshot.resolve()
    res = _resources(database, output)
    with dblock.hold(res.duckdb.database):
        return _weekly(res, snapshot, run_config(
            str(snapshot), sections=sections, accept_smaller=accept_smaller), log_level)


def _weekly(res: Resources, snapshot: Path, config: dict[str, object],
            log_level: str) -> RefreshOutcome:
    output_dir = Path(res.settings.output_dir)
    outcome = RefreshOutcome(success=False, database=Path(res.duckdb.database),
                             snapshot=snapshot, output=output_dir)
    with res.duckdb.get_connection() as con:
        before = _state(con, output_dir)
    with _instance() as instance:
        result = definitions_with(res, catalog=False).resolve_job_def(WEEKLY).execute_in_process(
            run_config={**config, **_console(log_level)}, instance=instance, tags=TAGS,
            raise_on_error=False)
        for ev in result.get_asset_check_evaluations():
            outcome.checks.append(CheckOutcome(
                asset=ev.asset_key.to_user_string(), name=ev.check_name, passed=ev.passed,
                severity=ev.severity.value, findings=_int(ev.metadata, "findings")))
        failures = [e for e in result.all_events if e.is_step_failure]
        started: dict[str, float] = {}
        # only the steps' start and success: reading every event of the run back (hundreds,
        # each deserialised) took 0.04-0.09 s of a 5,000-student refresh, these 0.005 s
        for record in instance.get_records_for_run(result.run_id, of_type={
                dg.DagsterEventType.STEP_START, dg.DagsterEventType.STEP_SUCCESS}).records:
            entry = record.event_log_entry
            event = entry.dagster_event
            if event is None or not event.step_key:
                continue
            if event.is_step_start:
                started[event.step_key] = entry.timestamp
            elif event.is_step_success:
                data = event.event_specific_data
                outcome.steps[event.step_key] = getattr(data, "duration_ms", 0.0) / 1000
                outcome.step_spans[event.step_key] = (
                    started.get(event.step_key, entry.timestamp), entry.timestamp)
    outcome.success = result.success

    # the same resource (same DuckDB configuration) as the run: a read-only connection beside a
    # writable one that is still open in this process would be refused
    with res.duckdb.get_connection() as con:
        outcome.load_id = store.latest_load_id(con)
        if outcome.load_id is not None:
            for finding in store.findings(con, outcome.load_id):
                (outcome.problems if finding.blocking else outcome.warnings).append(finding.line())
            outcome.notes = store.notes(con, outcome.load_id)
            current = store.current(con)
            if current and current.load_id == outcome.load_id:
                outcome.snapshot_date = str(current.snapshot_date)
                outcome.tables = store.row_counts(con)
        outcome.unchanged = _state(con, output_dir) == before
    if outcome.success:
        outcome.published = publish.latest(output_dir)
    elif outcome.problems:
        outcome.stopped_at = "integrity"
    else:
        for failure in failures:
            data = failure.step_failure_data
            user = data.user_failure_data if data else None
            why = (clean(user.description) if user is not None and user.description
                   else cause(data.error) if data and data.error else "step failed")
            outcome.stopped_at = outcome.stopped_at or failure.step_key
            outcome.problems.append(f"{failure.step_key}: {why}")
    return outcome


@dataclass
class SchoolRefreshOutcome:
    success: bool
    school: str
    snapshot: Path
    output: Path
    database: Path
    path: Path | None = None
    snapshot_date: str | None = None
    findings: int = 0
    new: int = 0
    resolved: int = 0
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0


def run_school_refresh(school: str, snapshot: Path, *, output: Path | None = None,
                       database: Path | None = None, log_level: str = "CRITICAL"
                       ) -> SchoolRefreshOutcome:
    """Run the job `One_school_refresh` for the partition `school` from `snapshot`. Holds the
    database lock (lib/dblock.py) for the whole run: waits for a running refresh."""
    snapshot = snapshot.resolve()
    res = _resources(database, output)
    outcome = SchoolRefreshOutcome(False, school, snapshot, Path(res.settings.output_dir),
                                   Path(res.duckdb.database))
    started = time.perf_counter()
    published = publish.latest(outcome.output)
    if published is not None:  # an unknown school is refused before it becomes a partition
        try:
            known_school(published, school)
        except SchoolRefreshError as exc:
            outcome.problems = exc.problems
            return outcome
    with dblock.hold(res.duckdb.database), _instance() as instance:
        add_school_partitions(instance, [school])  # a throwaway instance has none yet
        job = definitions_with(res, catalog=False).resolve_job_def(ONE_SCHOOL)
        result = job.execute_in_process(
            run_config={**school_run_config(str(snapshot)), **_console(log_level)},
            partition_key=school, instance=instance, tags=TAGS, raise_on_error=False)
    outcome.seconds = time.perf_counter() - started
    outcome.success = result.success
    for materialization in result.asset_materializations_for_node(op_name(SCHOOL_WORKBOOK)):
        meta = materialization.metadata
        outcome.path = Path(str(meta["file"].value))
        outcome.snapshot_date = str(meta["snapshot_date"].value)
        outcome.findings = _int(meta, "findings")
        outcome.new = _int(meta, "new")
        outcome.resolved = _int(meta, "resolved")
    for event in result.get_step_failure_events():
        data = event.step_failure_data
        user = data.user_failure_data if data else None
        if user is not None and user.description:
            outcome.problems += user.description.split("; ")
        elif data and data.error:
            outcome.problems.append(cause(data.error))
        else:
            outcome.problems.append(f"{event.step_key}: step failed")
    return outcome
