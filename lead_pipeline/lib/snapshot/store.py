"""Where snapshots live in DuckDB: load beside the good one, switch only when it passes.

Each load gets its own schema (`snapshot_load_<n>`). The schema `snapshot` holds only views onto
the load that last passed every blocking check; promoting a new load replaces those views in one
transaction, so readers see either the old snapshot or the new one, never a mix, and a snapshot
that fails (even one of the same date) never becomes the one the reports read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime

import duckdb
import polars as pl

from lead_pipeline.lib.snapshot.findings import Check, Finding
from lead_pipeline.lib.snapshot.reader import LoadResult, q

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
    con.execute(f"""
        CREATE TABLE IF NOT EXISTS {META}.findings (
            load_id INTEGER, "check" VARCHAR, level VARCHAR, "table" VARCHAR, "column" VARCHAR,
            rows BIGINT, "first" VARCHAR[], message VARCHAR)""")


def load_schema(load_id: int) -> str:
    return f"snapshot_load_{load_id}"


def new_load_schema(con: duckdb.DuckDBPyConnection) -> tuple[int, str]:
    """Reserve the next load id; the schema of the last failed load is dropped here, at the
    start of the next load, so an operator can inspect it until then."""
    _ensure_meta(con)
    for (name,) in con.execute(
            f"SELECT schema_name FROM {META}.loads WHERE status IN ('failed', 'loading')"
    ).fetchall():
        con.execute(f"DROP SCHEMA IF EXISTS {q(name)} CASCADE")
    con.execute(f"UPDATE {META}.loads SET status = 'discarded' "
                "WHERE status IN ('failed', 'loading')")
    (load_id,) = con.execute(
        f"SELECT coalesce(max(load_id), 0) + 1 FROM {META}.loads").fetchone() or (1,)
    schema = load_schema(int(load_id))
    con.execute(f"INSERT INTO {META}.loads (load_id, schema_name, status, loaded_at) "
                f"VALUES (?, ?, 'loading', ?)", [load_id, schema, datetime.now()])
    return int(load_id), schema


def record_load(con: duckdb.DuckDBPyConnection, load_id: int, result: LoadResult,
                findings: list[Finding]) -> None:
    m = result.manifest
    status = "failed" if result.blocking else "loaded"
    con.execute(
        f"UPDATE {META}.loads SET folder = ?, snapshot_date = ?, end_year = ?, "
        "district_number = ?, families = ?, present = ?, status = ? WHERE load_id = ?",
        [str(result.folder), m.snapshot_date if m else None, m.end_year if m else None,
         m.district_number if m else None, json.dumps([f.value for f in result.families]),
         json.dumps(result.present), status, load_id])
    con.execute(f"DELETE FROM {META}.findings WHERE load_id = ?", [load_id])
    add_findings(con, load_id, findings)


def add_findings(con: duckdb.DuckDBPyConnection, load_id: int, findings: list[Finding]) -> None:
    rows = [(load_id, *f.as_row().values()) for f in findings]
    if rows:
        con.executemany(f"INSERT INTO {META}.findings VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)


def findings(con: duckdb.DuckDBPyConnection, load_id: int) -> list[Finding]:
    """Every finding recorded for a load, blocking and warnings, in the order found."""
    return [
        Finding(Check(check), table, column, int(rows), tuple(first or ()), message)
        for check, table, column, rows, first, message in con.execute(
            f'SELECT "check", "table", "column", rows, "first", message FROM {META}.findings '
            "WHERE load_id = ? ORDER BY rowid", [load_id]).fetchall()
    ]


def latest_load_id(con: duckdb.DuckDBPyConnection) -> int | None:
    try:
        row = con.execute(f"SELECT max(load_id) FROM {META}.loads").fetchone()
    except duckdb.CatalogException:
        return None
    return None if row is None or row[0] is None else int(row[0])


def present_tables(con: duckdb.DuckDBPyConnection, load_id: int) -> list[str]:
    row = con.execute(f"SELECT present FROM {META}.loads WHERE load_id = ?", [load_id]).fetchone()
    return json.loads(row[0]) if row and row[0] else []


def promote(con: duckdb.DuckDBPyConnection, load_id: int, tables: list[str]) -> None:
    """Point the `snapshot` views at this load, atomically, then drop the loads it replaces."""
    (schema, status) = con.execute(
        f"SELECT schema_name, status FROM {META}.loads WHERE load_id = ?", [load_id]
    ).fetchone() or (None, None)
    if status != "loaded":
        raise ValueError(f"load {load_id} is {status!r}: only a load that passed every blocking "
                         "integrity check can become the current snapshot")
    old = [r[0] for r in con.execute(
        f"SELECT schema_name FROM {META}.loads WHERE status = 'current'").fetchall()]
    con.execute("BEGIN TRANSACTION")
    try:
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
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    for name in old:
        if name != schema:
            con.execute(f"DROP SCHEMA IF EXISTS {q(name)} CASCADE")


@dataclass(frozen=True)
class CurrentSnapshot:
    load_id: int
    schema: str
    folder: str
    snapshot_date: date
    end_year: int
    district_number: str | None
    families: list[str]
    present: list[str]
    """Tables the snapshot folder held; the others are empty (family skipped, or optional)."""


def current(con: duckdb.DuckDBPyConnection) -> CurrentSnapshot | None:
    """The snapshot the reports read, or None before the first good load."""
    try:
        row = con.execute(
            f"SELECT load_id, schema_name, folder, snapshot_date, end_year, district_number, "
            f"families, present FROM {META}.loads WHERE status = 'current'").fetchone()
    except duckdb.CatalogException:
        return None
    if row is None:
        return None
    return CurrentSnapshot(int(row[0]), row[1], row[2], row[3], int(row[4]), row[5],
                           json.loads(row[6]), json.loads(row[7]))


def row_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Rows of each table of the current snapshot."""
    names = [r[0] for r in con.execute(
        "SELECT view_name FROM duckdb_views() WHERE schema_name = ? ORDER BY view_name",
        [CURRENT]).fetchall()]
    return {n: int(con.execute(f"SELECT count(*) FROM {CURRENT}.{q(n)}").fetchone()[0])  # type: ignore[index]
            for n in names}


def frames(con: duckdb.DuckDBPyConnection, names: list[str],
           schema: str = CURRENT) -> dict[str, pl.DataFrame]:
    """Tables of the current snapshot as Polars frames (Arrow, no copy through Python)."""
    return {n: con.execute(f"SELECT * FROM {q(schema)}.{q(n)}").pl() for n in names}
