"""Which report columns are private is not decided in the reports: lib/snapshot/schema.py
declares the private snapshot columns (`Column.private`), reports.CARRIED says which report
column shows which snapshot column, and reports.PRIVATE_COLUMNS (what the Dagster previews leave
out) follows from the two."""

from __future__ import annotations

import polars as pl

from lead_pipeline.lib.lead.preview import preview_markdown
from lead_pipeline.lib.lead.reports import CARRIED, PRIVATE_COLUMNS
from lead_pipeline.lib.snapshot.schema import TABLE_BY_NAME, TABLES
from lead_pipeline_tests.builders import every_rule


def test_every_person_value_a_report_shows_is_a_private_snapshot_column():
    carried = {(table, column) for table, column in CARRIED.values()}
    assert carried == {("Identity", "lastName"), ("Identity", "firstName"), ("Person", "stateID")}
    assert all(TABLE_BY_NAME[table].column_by_name[column].private for table, column in carried)
    assert set(CARRIED) == PRIVATE_COLUMNS


def test_private_values_stand_only_in_private_report_columns(run):
    """Every value of a private snapshot column (less any that also stands in a column that is
    not private) appears in a report only under a column of PRIVATE_COLUMNS."""
    s = every_rule()
    values: dict[bool, set[str]] = {True: set(), False: set()}
    for table in TABLES:
        for row in s.rows.get(table.name, []):
            for col in table.columns:
                if row.get(col.name) is not None:
                    values[col.private].add(str(row[col.name]))
    private = values[True] - values[False]
    result = run(s)
    frames = {"Classes": result.classes, "Staff": result.staff, "Caseload": result.caseload,
              "Schoolwide": result.schoolwide, "Detail": result.outputs.reports.detail}
    shown = set()
    for name, frame in frames.items():
        for column in frame.columns:
            cells = set(frame[column].cast(pl.String).drop_nulls())
            if column in PRIVATE_COLUMNS:
                shown |= cells & private
            else:
                assert not cells & private, (name, column)
        assert not set(preview_markdown(frame).replace("|", " ").split()) & private, name
    assert len(shown) > 10  # the reports do show names and state ids, under private columns
