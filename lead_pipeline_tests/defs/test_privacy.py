"""No student name, state id or birth date in Dagster's event log or metadata.

These reports describe children: run logs, check output and materialisation metadata are read
by operators and kept in the instance's storage, so they may carry ids and counts only. The
whole sample refresh runs against a real instance, and every stored event is searched for the
private values of every student in the snapshot.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import dagster as dg
import polars as pl
from dagster_shared.serdes import serialize_value

from lead_pipeline.lib.codes import load_codes
from lead_pipeline.lib.kias.columns import column_names
from lead_pipeline.lib.kias.reference import load_kias_codes
from lead_pipeline.lib.lead.reports import CLASS_IDENTITY, COMMON, DETAIL_STUDENT, count_columns
from lead_pipeline.lib.paths import project_root
from lead_pipeline.lib.snapshot.schema import TABLES, Kind
from lead_pipeline.refresh import run_refresh


def _private_values(snapshot: Path) -> set[str]:
    """Names, state ids and birth dates of the enrolled students, less any value that also
    stands in a column that is not private (a teacher's assignment starting on a student's
    birthday, a student named White and the race label White): those may rightly appear."""
    enrolled = pl.read_csv(snapshot / "Enrollment.csv", infer_schema=False)["personID"]
    people = pl.read_csv(snapshot / "Person.csv", infer_schema=False).filter(
        pl.col("personID").is_in(enrolled.implode()))
    identity = pl.read_csv(snapshot / "Identity.csv", infer_schema=False).filter(
        pl.col("personID").is_in(enrolled.implode()))
    private = set(people["stateID"].drop_nulls()) | set(identity["birthDate"].drop_nulls())
    for column in ("lastName", "firstName"):
        private |= set(identity[column].drop_nulls())
    public: set[str] = set()
    for table in TABLES:
        if (snapshot / f"{table.name}.csv").is_file():
            frame = pl.read_csv(snapshot / f"{table.name}.csv", infer_schema=False)
            public |= set(frame.columns)
            for col in table.columns:
                if not col.private and col.kind in (Kind.TEXT, Kind.DATE):
                    public |= set(frame[col.name].drop_nulls())
    headers = [*column_names(load_kias_codes()), *COMMON, *CLASS_IDENTITY.values(),
               *DETAIL_STUDENT.values(), *count_columns(load_codes())]
    public |= _tokens(" ".join(headers))
    for csv in (project_root() / "data" / "reference").glob("*.csv"):
        for column in pl.read_csv(csv, infer_schema=False).iter_columns():
            public |= set(column.drop_nulls())
    return private - public


def _tokens(text: str) -> set[str]:
    return set(re.findall(r"\d{4}-\d{2}-\d{2}|\d+|[^\W\d_][\w'’.-]*", text))


def test_event_log_and_metadata_hold_no_student_names_ids_or_birth_dates(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(project_root() / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    snapshot = project_root() / "data" / "sample"
    outcome = run_refresh(snapshot, database=tmp_path / "w.duckdb", output=tmp_path / "out",
                          sections=[1], log_level="DEBUG")
    assert outcome.success, outcome.problems

    with dg.DagsterInstance.get() as instance:
        runs = instance.get_runs()
        assert len(runs) == 1
        text = "\n".join(serialize_value(entry) for entry in instance.all_logs(runs[0].run_id))
    assert "ASSET_MATERIALIZATION" in text and "ASSET_CHECK_EVALUATION" in text
    private = _private_values(snapshot)
    assert len(private) > 2500
    tokens = _tokens(text)
    leaked = sorted(v for v in private if (v in tokens if " " not in v else v in text))
    assert leaked == []
