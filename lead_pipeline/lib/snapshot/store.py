"""Where snapshots live in DuckDB: load beside the good one, switch only with its publication.

Each load gets its own schema (`snapshot_load_<n>`) and a status in `snapshot_meta.loads`:

    loading -> failed       a blocking integrity check failed: never read by any report
            -> loaded       passed: the run's reports are built from it ("pending")
               -> current   its publication committed (publish/latest): the schema `snapshot`
                            holds views onto it
               -> retired   a newer load became current (its schema is dropped)
            -> discarded    a later load started while this one was failed, loading or still
                            pending (a run that failed after the checks): dropped

Promoting replaces the `snapshot` views in the same DuckDB transaction as the publication's
other records (publish/latest commits it together with the folder rename and `latest`), so
whatever step of a refresh fails, the database's current snapshot and the published `latest`
stay the previous pair (docs/outputs.md "Publishing whole": the run's snapshot becomes the
current one together with its files, as one unit).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime

import duckdb
import polars as pl

from lead_pipeline.lib.snapshot.findings import Check, Finding
from lead_pipeline.lib.snapshot.integrity import Baseline
from lead_pipeline.lib.snapshot.reader import LoadResult
from lead_pipeline.lib.sql import q

CURRENT = "snapshot"
META = "snapshot_meta"


def _ensure_meta(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {META}")
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {CURRENT}")
    con.execute(f"""
        CREATE TABLE IF NOT EXISTS {META}.loads (
            load_id INTEGER PRIMARY KEY, schema_name VARCHAR, folder VARCHAR,
            snapshot_date DATE, end_year INTEGER, district_number VARCHAR, families VARCHAR,
            present VARCHAR,
            status VARCHAR, loaded_at TIMESTAMP, promoted_at TIMESTAMP)""")
    # added after the first release: a database made by it gains them here
    con.execute(f"ALTER TABLE {META}.loads ADD COLUMN IF NOT EXISTS row_counts VARCHAR")
    con.execute(f"ALTER TABLE {META}.loads ADD COLUMN IF NOT EXISTS run_id VARCHAR")
    con.execute(f"ALTER TABLE {META}.loads ADD COLUMN IF NOT EXISTS notes VARCHAR")
    con.execute(f"""
        CREATE TABLE IF NOT EXISTS {META}.findings (
            load_id INTEGER, "check" VARCHAR, level VARCHAR, "table" VARCHAR, "column" VARCHAR,
            rows BIGINT, "first" VARCHAR[], message VARCHAR)""")


def load_schema(load_id: int) -> str:
    return f"snapshot_load_{load_id}"


_UNPUBLISHED = "('failed', 'loading', 'loaded')"


def new_load_schema(con: duckdb.DuckDBPyConnection, run_id: str | None = None
                    ) -> tuple[int, str]:
    """Reserve the next load id. Loads that never became current (failed, or passed in a run
    that failed later) are dropped here, at the start of the next load, so an operator can
    inspect them until then."""
    _ensure_meta(con)
    for (name,) in con.execute(
            f"SELECT schema_name FROM {META}.loads WHERE status IN {_UNPUBLISHED}").fetchall():
        con.execute(f"DROP SCHEMA IF EXISTS {q(name)} CASCADE")
    con.execute(f"UPDATE {META}.loads SET status = 'discarded' "
                f"WHERE status IN {_UNPUBLISHED}")
    (load_id,) = con.execute(
        f"SELECT coalesce(max(load_id), 0) + 1 FROM {META}.loads").fetchone() or (1,)
    schema = load_schema(int(load_id))
    con.execute(f"INSERT INTO {META}.loads (load_id, schema_name, status, loaded_at, run_id) "
                f"VALUES (?, ?, 'loading', ?, ?)", [load_id, schema, datetime.now(), run_id])
    return int(load_id), schema


def record_load(con: duckdb.DuckDBPyConnection, load_id: int, result: LoadResult,
                findings: list[Finding]) -> None:
    m = result.manifest
    status = "failed" if result.blocking else "loaded"
    con.execute(
        f"UPDATE {META}.loads SET folder = ?, snapshot_date = ?, end_year = ?, "
        "district_number = ?, families = ?, present = ?, row_counts = ?, notes = ?, "
        "status = ? WHERE load_id = ?",
        [str(result.folder), m.snapshot_date if m else None, m.end_year if m else None,
         m.district_number if m else None, json.dumps([f.value for f in result.families]),
         json.dumps(result.present), json.dumps(result.kept or result.row_counts),
         json.dumps(result.notes),
         status, load_id])
    con.execute(f"DELETE FROM {META}.findings WHERE load_id = ?", [load_id])
    add_findings(con, load_id, findings)


def add_findings(con: duckdb.DuckDBPyConnection, load_id: int, findings: list[Finding]) -> None:
    """One INSERT of every row (a load's findings are one per check, table and column: tens,
    a few hundred at the very most): executemany committed each row on its own, 3 ms
    apiece."""
    rows = [(load_id, *f.as_row().values()) for f in findings]
    if rows:
        values = ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?)"] * len(rows))
        con.execute(f"INSERT INTO {META}.findings VALUES {values}",
                    [value for row in rows for value in row])


def findings(con: duckdb.DuckDBPyConnection, load_id: int) -> list[Finding]:
    """Every finding recorded for a load, blocking and warnings, in the order found."""
    return [
        Finding(Check(check), table, column, int(rows), tuple(first or ()), message)
        for check, table, column, rows, first, message in con.execute(
            f'SELECT "check", "table", "column", rows, "first", message FROM {META}.findings '
            "WHERE load_id = ? ORDER BY rowid", [load_id]).fetchall()
    ]


def notes(con: duckdb.DuckDBPyConnection, load_id: int) -> list[str]:
    """What a load noted beside its findings: skipped families, absent optional tables, a
    shrunken core table the operator accepted."""
    row = con.execute(f"SELECT notes FROM {META}.loads WHERE load_id = ?", [load_id]).fetchone()
    return json.loads(row[0]) if row and row[0] else []


def latest_load_id(con: duckdb.DuckDBPyConnection) -> int | None:
    try:
        row = con.execute(f"SELECT max(load_id) FROM {META}.loads").fetchone()
    except duckdb.CatalogException:
        return None
    return None if row is None or row[0] is None else int(row[0])


def present_tables(con: duckdb.DuckDBPyConnection, load_id: int) -> list[str]:
    row = con.execute(f"SELECT present FROM {META}.loads WHERE load_id = ?", [load_id]).fetchone()
    return json.loads(row[0]) if row and row[0] else []


def promote(con: duckdb.DuckDBPyConnection, load_id: int, tables: list[str]) -> list[str]:
    """Point the `snapshot` views at this load. Runs inside the caller's transaction (the
    publication's, see the module docstring); returns the schemas it retires, which the caller
    drops once that transaction has committed (`drop_schemas`)."""
    (schema, status) = con.execute(
        f"SELECT schema_name, status FROM {META}.loads WHERE load_id = ?", [load_id]
    ).fetchone() or (None, None)
    if status != "loaded":
        raise ValueError(f"load {load_id} is {status!r}: only a load that passed every blocking "
                         "integrity check can become the current snapshot")
    old = [r[0] for r in con.execute(
        f"SELECT schema_name FROM {META}.loads WHERE status = 'current'").fetchall()]
    for (view,) in con.execute(
            "SELECT view_name FROM duckdb_views() WHERE schema_name = ? AND NOT internal",
            [CURRENT]).fetchall():
        con.execute(f"DROP VIEW {q(CURRENT)}.{q(view)}")
    for name in tables:
        con.execute(f"CREATE VIEW {q(CURRENT)}.{q(name)} AS "
                    f"SELECT * FROM {q(schema)}.{q(name)}")
    con.execute(f"UPDATE {META}.loads SET status = 'retired' WHERE status = 'current'")
    con.execute(f"UPDATE {META}.loads SET status = 'current', promoted_at = ? "
                "WHERE load_id = ?", [datetime.now(), load_id])
    return [name for name in old if name != schema]


def drop_schemas(con: duckdb.DuckDBPyConnection, schemas: list[str]) -> None:
    for name in schemas:
        con.execute(f"DROP SCHEMA IF EXISTS {q(name)} CASCADE")


@dataclass(frozen=True)
class CurrentSnapshot:
    """One load that passed its blocking checks: the current snapshot, or the one a refresh
    is building its reports from (`for_reports`)."""

    load_id: int
    schema: str
    folder: str
    snapshot_date: date
    end_year: int
    district_number: str | None
    families: list[str]
    present: list[str]
    """Tables the snapshot folder held; the others are empty (family skipped, or optional)."""
    status: str = "current"


_COLUMNS = ("load_id, schema_name, folder, snapshot_date, end_year, district_number, families, "
            "present, status")


def _one(con: duckdb.DuckDBPyConnection, where: str) -> CurrentSnapshot | None:
    try:
        row = con.execute(f"SELECT {_COLUMNS} FROM {META}.loads WHERE {where} "
                          "ORDER BY load_id DESC LIMIT 1").fetchone()
    except duckdb.CatalogException:
        return None
    if row is None:
        return None
    return CurrentSnapshot(int(row[0]), row[1], row[2], row[3], int(row[4]), row[5],
                           json.loads(row[6]), json.loads(row[7]), row[8])


def current(con: duckdb.DuckDBPyConnection) -> CurrentSnapshot | None:
    """The snapshot the published reports were built from, or None before the first."""
    return _one(con, "status = 'current'")


def pending(con: duckdb.DuckDBPyConnection) -> CurrentSnapshot | None:
    """The load that passed its blocking checks and awaits its publication, if any."""
    return _one(con, "status = 'loaded'")


def for_reports(con: duckdb.DuckDBPyConnection) -> CurrentSnapshot | None:
    """The snapshot a refresh's reports are built from: the pending load when there is one
    (this run's, or that of a run being re-executed from its failure), else the current one."""
    return pending(con) or current(con)


def baseline(con: duckdb.DuckDBPyConnection, accept_smaller: bool = False) -> Baseline:
    """What a new load's core tables are compared with: the rows the current snapshot kept
    (counted from its tables when an older database did not record them)."""
    snap = current(con)
    if snap is None:
        return Baseline({}, accept_smaller=accept_smaller)
    row = con.execute(f"SELECT row_counts FROM {META}.loads WHERE load_id = ?",
                      [snap.load_id]).fetchone()
    counts = json.loads(row[0]) if row and row[0] else {
        name: n for name, n in row_counts(con, snap.schema).items() if name in snap.present}
    return Baseline(counts, f"the current snapshot ({snap.snapshot_date.isoformat()}, load "
                            f"{snap.load_id})", accept_smaller)


def row_counts(con: duckdb.DuckDBPyConnection, schema: str = CURRENT) -> dict[str, int]:
    """Rows of each table of a load's schema (default: the current snapshot's views)."""
    names = [r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE schema_name = ? UNION "
        "SELECT view_name FROM duckdb_views() WHERE schema_name = ? AND NOT internal "
        "ORDER BY 1", [schema, schema]).fetchall()]
    if not names:
        return {}
    counts = con.execute(" UNION ALL ".join(
        f"SELECT {i}, count(*) FROM {q(schema)}.{q(n)}" for i, n in enumerate(names))).fetchall()
    return {names[i]: int(n) for i, n in counts}


def frames(con: duckdb.DuckDBPyConnection, names: list[str],
           schema: str = CURRENT) -> dict[str, pl.DataFrame]:
    """Tables of a load (default: the current snapshot) as Polars frames (Arrow, no copy
    through Python)."""
    return {n: con.execute(f"SELECT * FROM {q(schema)}.{q(n)}").pl() for n in names}
