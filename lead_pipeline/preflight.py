"""Before a production service starts (ExecStartPre of deploy/systemd/*.service): one clear line
per setting of the environment file that is wrong, instead of a traceback from deep inside
Dagster.

    python -m lead_pipeline.preflight

Exit 1 only when the service cannot work at all: no DAGSTER_HOME with its dagster.yaml, or the
instance database cannot be reached. A missing snapshots root or an alert setting that cannot
work is said (one line each) but the service starts: the refresh must still run and publish;
the sensor says "no snapshot folder" and the alert sensors say they are off.
"""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

from lead_pipeline.lib import mail
from lead_pipeline.lib.environment import SettingError, number

PG_VARIABLES = ("DAGSTER_PG_HOST", "DAGSTER_PG_PORT", "DAGSTER_PG_DB", "DAGSTER_PG_USER",
                "DAGSTER_PG_PASSWORD")
CONNECT_SECONDS = 10


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


def database_problem(env: dict[str, str]) -> str | None:
    """Why the instance database cannot be used, in one line, or None."""
    missing = [v for v in PG_VARIABLES if not env.get(v)]
    if missing:
        return f"the instance database is not configured: {', '.join(missing)} not set"
    import psycopg2  # dagster-postgres' driver; imported here so --help stays fast

    where = (f"postgresql://{env['DAGSTER_PG_USER']}@{env['DAGSTER_PG_HOST']}:"
             f"{env['DAGSTER_PG_PORT']}/{env['DAGSTER_PG_DB']}")
    try:
        conn = psycopg2.connect(host=env["DAGSTER_PG_HOST"], port=env["DAGSTER_PG_PORT"],
                                dbname=env["DAGSTER_PG_DB"], user=env["DAGSTER_PG_USER"],
                                password=env["DAGSTER_PG_PASSWORD"],
                                connect_timeout=CONNECT_SECONDS)
    except (psycopg2.Error, ValueError) as error:
        return f"cannot connect to the instance database {where}: {_first_line(error)}"
    conn.close()
    return None


def warnings(env: dict[str, str]) -> list[str]:
    """What is wrong but does not stop the service."""
    found = []
    root = env.get("LEAD_SNAPSHOTS_ROOT", "")
    if not root:
        found.append("LEAD_SNAPSHOTS_ROOT is not set: snapshots are looked for in the "
                     "checkout's data/snapshots")
    elif not Path(root).is_dir():
        found.append(f"the snapshots root {root} (LEAD_SNAPSHOTS_ROOT) does not exist: the "
                     "schedule and the sensor will find no snapshot until it does")
    try:
        settings = mail.mail_settings(env)
    except mail.MailSettingsError as error:
        return [*found, f"alert e-mail is off: {error}"]
    if settings is None:
        found.append("alert e-mail is off: LEAD_SMTP_HOST and LEAD_SMTP_TO are not both set")
    else:
        try:
            socket.create_connection((settings.host, settings.port), timeout=5).close()
        except OSError as error:
            found.append(f"the SMTP server {settings.host}:{settings.port} cannot be reached "
                         f"now ({_first_line(error)}): alerts will be logged as not sent")
    return found


def setting_errors(env: dict[str, str]) -> list[str]:
    """Numbers the definitions read at load: one that does not parse stops the code location
    from loading, so it stops the service here, named."""
    found = []
    for name, default, minimum in (("LEAD_SNAPSHOT_OVERDUE_DAYS", 8.0, 0.0001),
                                   ("LEAD_SENSOR_INTERVAL_SECONDS", 60, 1),
                                   ("LEAD_ALERT_INTERVAL_SECONDS", 30, 1),
                                   ("LEAD_FRESHNESS_INTERVAL_SECONDS", 600, 1),
                                   ("LEAD_DUCKDB_MEMORY_MB", 512, 64)):
        try:
            number(name, default, minimum=minimum, env=env)
        except SettingError as error:
            found.append(str(error))
    return found


def main(env: dict[str, str] | None = None) -> int:
    env = dict(os.environ) if env is None else env
    errors = []
    home = env.get("DAGSTER_HOME", "")
    if not home or not (Path(home) / "dagster.yaml").is_file():
        errors.append(f"DAGSTER_HOME ({home or 'not set'}) holds no dagster.yaml: link "
                      "deploy/dagster.yaml there (README \"Running in production\")")
    errors += setting_errors(env)
    problem = database_problem(env)
    if problem:
        errors.append(problem)
    for line in warnings(env):
        print(f"lead-pipeline: warning: {line}", file=sys.stderr)
    for line in errors:
        print(f"lead-pipeline: {line}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
