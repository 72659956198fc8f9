"""Loud when something is wrong: e-mail when a refresh run fails, and once when the snapshot is
overdue (README "Running in production").

Both sensors send through lib/mail.py with the LEAD_SMTP_* settings of the environment. With
LEAD_SMTP_HOST or LEAD_SMTP_TO unset they are defined but STOPPED, and their description says
why; a setting that cannot work is named in the description and in every tick's log line. A
message that cannot be sent is logged on the sensor's tick and given up: Dagster's
`run_failure_sensor` moves its cursor past the run either way, so nothing is retried forever,
and the refresh runs themselves never wait on mail.
"""

import logging
import smtplib
from collections.abc import Mapping
from datetime import UTC, datetime

import dagster as dg

from lead_pipeline.defs.districts import MULTI
from lead_pipeline.defs.lead.partitions import SCHOOL_WORKBOOK
from lead_pipeline.defs.operations.freshness import FRESHNESS_CHECK, OVERDUE_DAYS
from lead_pipeline.defs.operations.jobs import one_school_refresh, op_name, weekly_refresh
from lead_pipeline.defs.operations.tags import SNAPSHOT, SNAPSHOT_DATE, TRIGGER
from lead_pipeline.defs.resources import PipelineSettings
from lead_pipeline.defs.snapshot.assets import CANDIDATE
from lead_pipeline.lib import alert_text, districts, mail
from lead_pipeline.lib.environment import seconds, text
from lead_pipeline.lib.interrupts import INTERRUPTED, interrupted

try:
    SETTINGS: mail.MailSettings | None = mail.mail_settings()
    PROBLEM = "" if SETTINGS else "off: LEAD_SMTP_HOST and LEAD_SMTP_TO are not both set"
except mail.MailSettingsError as error:
    SETTINGS, PROBLEM = None, f"off: {error}"
STATUS = dg.DefaultSensorStatus.RUNNING if SETTINGS else dg.DefaultSensorStatus.STOPPED
WHERE = SETTINGS.describe() if SETTINGS else PROBLEM
INTERVAL = seconds("LEAD_ALERT_INTERVAL_SECONDS", 30)
WEBSERVER_URL = text("LEAD_WEBSERVER_URL", "").rstrip("/")


def _send(context: dg.SensorEvaluationContext, subject: str, body: str) -> bool:
    """Send once; on failure log one line and give up."""
    if SETTINGS is None:
        context.log.warning(f"alert e-mail {PROBLEM}: not sent: {subject}")
        return False
    try:
        mail.send(SETTINGS, subject, body)
    except (OSError, smtplib.SMTPException) as error:
        context.log.error(mail.send_error(error, SETTINGS))
        return False
    context.log.info(f"alert e-mail sent to {', '.join(SETTINGS.recipients)}: {subject}")
    return True


def _snapshot_of(context: dg.RunFailureSensorContext) -> tuple[str, str]:
    """The failed run's snapshot folder and date: from its tags (schedule and sensor set them),
    else its run config and the candidate's materialisation."""
    run = context.dagster_run
    ops = (run.run_config or {}).get("ops", {})
    config = next((ops[k].get("config", {}) for k in (op_name(CANDIDATE), op_name(SCHOOL_WORKBOOK))
                   if isinstance(ops.get(k), dict)), {})
    folder = run.tags.get(SNAPSHOT) or str(config.get("folder", "") or "")
    date = run.tags.get(SNAPSHOT_DATE, "")
    if not date:
        for entry in context.instance.all_logs(
                run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION):
            materialization = entry.asset_materialization
            if materialization and materialization.asset_key == CANDIDATE:
                value = materialization.metadata.get("snapshot_date")
                date = str(value.value) if value is not None else ""
                folder = folder or str(getattr(materialization.metadata.get("folder"),
                                               "value", ""))
    return folder, date


def _district(tags: Mapping[str, str]) -> str | None:
    """The failed run's district with many districts (its tag or partition), else None."""
    try:
        return districts.of_run(tags) if MULTI else None
    except districts.DistrictError:
        return None


def _problems(context: dg.RunFailureSensorContext) -> list[str]:
    """The run's error lines in order: what its steps logged as errors (a blocking check's
    findings), the blocking checks that failed with their counts, why steps failed and why run
    monitoring ended the run; the run's own failure message only when nothing else said why."""
    lines: list[str] = []
    checks: list[str] = []
    failures: list[str] = []
    for entry in context.instance.all_logs(context.dagster_run.run_id):
        event = entry.dagster_event
        if event is None:
            # Dagster's own "Dependencies for step … failed" lines restate the failure
            if entry.level >= logging.ERROR and not entry.user_message.startswith(
                    "Dependencies for step"):
                lines.append(entry.user_message)
        elif event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.asset_check_evaluation_data
            if not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR:
                counts = ", ".join(f"{evaluation.metadata[k].value} {k}" for k in
                                   ("findings", "rows") if k in evaluation.metadata)
                checks.append(f"check {evaluation.asset_key.to_user_string()} "
                              f"{evaluation.check_name} failed" + (f": {counts}" if counts else ""))
        elif event.event_type == dg.DagsterEventType.STEP_FAILURE:
            error = event.step_failure_data.error
            cause = error.cause if error and error.cause else error
            said = cause.message.strip() if cause else "failed"
            # "dagster._core.errors.DagsterAssetCheckFailedError: 1 blocking …" -> "1 blocking …"
            # (a message that is only a class's name, as an interruption's, has no ": ")
            head, colon, rest = said.partition(": ")
            said = rest if colon and head.count(".") > 1 else said
            said = INTERRUPTED if interrupted(error) else said
            failures.append(f"step {event.step_key}: {said.splitlines()[0].rstrip(':')}")
        elif event.event_type == dg.DagsterEventType.RUN_CANCELING:
            # run monitoring ending a run whose worker died: "… exceeding maximum runtime …"
            failures.append(entry.message or "")
    if not failures:
        failures.append(context.failure_event.message or "")
    return alert_text.problem_lines([*lines, *checks, *failures])


@dg.run_failure_sensor(
    name="refresh_failure_email",
    monitored_jobs=[weekly_refresh, one_school_refresh],
    default_status=STATUS,
    minimum_interval_seconds=INTERVAL,
    description=f"E-mails when a refresh run fails (a rejected snapshot included): job, "
    f"snapshot folder and date, first problem lines (ids and counts only). {WHERE}.",
)
def refresh_failure_email(context: dg.RunFailureSensorContext) -> None:
    run = context.dagster_run
    folder, date = _snapshot_of(context)
    failed = alert_text.FailedRun(
        job=run.job_name, run_id=run.run_id, folder=folder, snapshot_date=date,
        trigger=run.tags.get(TRIGGER, run.tags.get("dagster/sensor_name", "")),
        problems=_problems(context), url=WEBSERVER_URL, district=_district(run.tags))
    _send(context, alert_text.failure_subject(failed), alert_text.failure_body(failed))


@dg.sensor(
    name="snapshot_overdue_email",
    minimum_interval_seconds=INTERVAL,
    default_status=STATUS,
    description=f"E-mails once when the snapshot becomes overdue (no new snapshot for "
    f"{OVERDUE_DAYS:g} days: the freshness check of {CANDIDATE.to_user_string()} failed). "
    f"{WHERE}.",
)
def snapshot_overdue_email(context: dg.SensorEvaluationContext,
                           settings: PipelineSettings) -> dg.SkipReason:
    """One message per failed evaluation of the freshness check that follows a snapshot's
    arrival. Dagster's freshness sensor evaluates a failed check again only after a new load,
    so an overdue snapshot is reported once. A check failing because no snapshot ever arrived
    (a new installation) shows in the UI but sends nothing."""
    summary = context.instance.event_log_storage.get_asset_check_summary_records(
        [FRESHNESS_CHECK])[FRESHNESS_CHECK]
    record = summary.last_completed_check_execution_record
    evaluation = record.event.asset_check_evaluation if record and record.event else None
    seen = int(context.cursor) if context.cursor else 0
    if record is None or evaluation is None or record.id <= seen:
        return dg.SkipReason("no new evaluation of the freshness check")
    context.update_cursor(str(record.id))
    arrived = evaluation.metadata.get("dagster/last_updated_timestamp")
    if evaluation.passed or arrived is None:
        return dg.SkipReason("the snapshot is not overdue" if evaluation.passed
                             else "no snapshot has arrived yet: nothing to compare")
    last = datetime.fromtimestamp(float(arrived.value), UTC).strftime("%Y-%m-%d %H:%M UTC")
    _send(context, alert_text.overdue_subject(OVERDUE_DAYS),
          alert_text.overdue_body(OVERDUE_DAYS, last, FRESHNESS_CHECK.to_user_string(),
                                  settings.snapshots_root))
    return dg.SkipReason("the snapshot is overdue: e-mail attempted once")
