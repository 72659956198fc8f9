"""A run stores its events in a PostgreSQL instance over held connections (defs/storage.py),
not over a new connection per event as dagster-postgres does by default.

The server counts every session opened in a database (`pg_stat_database.sessions`): a refresh
of the tiny district stores about 270 events; opening a connection for each took 600-730
sessions, holding them about 70 (in-process refresh) or 180 (a run whose instance is first
held when its resources start, as in a run worker: the 56 events stored when the run is
created, before any step, still open their own). A held connection that a restart of the
server closed is replaced before its next use, so a run goes on across the restart."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from lead_pipeline.definitions import definitions_with
from lead_pipeline.defs.operations.jobs import WEEKLY, run_config
from lead_pipeline.defs.resources import resources
from lead_pipeline.defs.storage import hold_connections
from lead_pipeline.refresh import run_refresh
from lead_pipeline_tests.builders import tiny
from lead_pipeline_tests.production import postgres
from lead_pipeline_tests.production.services import instance_home

pytestmark = pytest.mark.skipif(postgres.bindir() is None, reason=postgres.INSTALL_HINT)


@pytest.fixture(scope="module")
def pg() -> Iterator[postgres.Cluster]:
    with postgres.cluster() as cluster:
        yield cluster


def _instance_on(pg: postgres.Cluster, name: str, home: Path,
                 monkeypatch: pytest.MonkeyPatch) -> postgres.Database:
    """A database of its own, and DAGSTER_HOME holding the shipped deploy/dagster.yaml on it."""
    database = pg.database(name)
    monkeypatch.setenv("DAGSTER_HOME", str(instance_home(home)))
    for key, value in database.env().items():
        monkeypatch.setenv(key, value)
    return database


def _sessions(pg: postgres.Cluster, database: postgres.Database) -> int:
    return int(pg.sql("SELECT sessions FROM pg_stat_database "
                      f"WHERE datname = '{database.name}'"))


def _events(pg: postgres.Cluster, database: postgres.Database) -> int:
    return int(pg.sql("SELECT count(*) FROM event_logs", database=database.name))


def test_an_in_process_refresh_holds_its_connections(pg, tmp_path, monkeypatch):
    database = _instance_on(pg, "inprocess", tmp_path / "home", monkeypatch)
    tiny().write(tmp_path / "snap")
    before = _sessions(pg, database)
    outcome = run_refresh(tmp_path / "snap", output=tmp_path / "out",
                          database=tmp_path / "w.duckdb")
    opened = _sessions(pg, database) - before
    events = _events(pg, database)
    assert outcome.success, outcome.problems
    assert events > 200
    assert opened < events // 2, (opened, events)


def test_a_run_holds_them_once_its_resources_start(pg, tmp_path, monkeypatch):
    """As in a run worker the daemon launches: the instance is Dagster's own, nothing of ours
    touched it before the run's resources start."""
    database = _instance_on(pg, "worker", tmp_path / "home", monkeypatch)
    tiny().write(tmp_path / "snap")
    job = definitions_with(resources(tmp_path / "w.duckdb", output_dir=str(tmp_path / "out")),
                           catalog=False).resolve_job_def(WEEKLY)
    before = _sessions(pg, database)
    with dg.DagsterInstance.get() as instance:
        result = job.execute_in_process(run_config=run_config(str(tmp_path / "snap")),
                                        instance=instance, raise_on_error=False)
    opened = _sessions(pg, database) - before
    events = _events(pg, database)
    assert result.success
    assert events > 200
    assert opened < events, (opened, events)


def test_a_run_goes_on_when_the_server_restarts_in_its_middle(pg, tmp_path, monkeypatch):
    """The second of three steps restarts PostgreSQL: the events after it (its success, the
    third step's) are stored over the held connections, each replaced once the restart closed
    it. Without the ping before use the run stopped at the first of them with "server closed
    the connection unexpectedly"."""
    _instance_on(pg, "restarted", tmp_path / "home", monkeypatch)

    @dg.op
    def first() -> int:
        return 1

    @dg.op
    def restart_the_server(value: int) -> int:
        pg.stop()
        pg.start()
        return value + 1

    @dg.op
    def third(value: int) -> int:
        return value + 1

    @dg.job
    def across_a_restart() -> None:
        third(restart_the_server(first()))

    with dg.DagsterInstance.get() as instance:
        hold_connections(instance)
        result = across_a_restart.execute_in_process(instance=instance, raise_on_error=False)
        stored = instance.get_records_for_run(result.run_id, of_type={
            dg.DagsterEventType.STEP_SUCCESS}).records
    assert result.success
    assert result.output_for_node("third") == 3
    assert sorted(r.event_log_entry.step_key for r in stored) == [
        "first", "restart_the_server", "third"]
