"""Warn-and-drop integrity (snapshot.md): orphan ids and reversed dates leave the row out.

Runs on a load that passed every blocking check. Tables are visited referenced-first
(schema.reference_order), so a row pointing at a row that was itself dropped is dropped too and
nothing downstream meets a dangling id. Each drop is counted and its first keys are named.
"""

from __future__ import annotations

import duckdb

from lead_pipeline.lib.snapshot.findings import FIRST_N, Check, Finding
from lead_pipeline.lib.snapshot.reader import lit, q
from lead_pipeline.lib.snapshot.schema import TABLE_BY_NAME, Table, reference_order


def _key_label(table: Table, extra: str | None = None) -> str:
    parts = [f"{lit(k + '=')} || coalesce({q(k)}::VARCHAR, '')" for k in table.key]
    label = " || ', ' || ".join(parts)
    if extra and extra not in table.key:
        label += f" || ' (' || {lit(extra + '=')} || {q(extra)}::VARCHAR || ')'"
    return label


def _drop(con: duckdb.DuckDBPyConnection, schema: str, table: Table, condition: str,
          check: Check, column: str, message: str, shown: str | None = None) -> Finding | None:
    target = f"{q(schema)}.{q(table.name)}"
    (n,) = con.execute(f"SELECT count(*) FROM {target} WHERE {condition}").fetchone() or (0,)
    if not n:
        return None
    first = [r[0] for r in con.execute(
        f"SELECT {_key_label(table, shown)} FROM {target} WHERE {condition} "
        f"ORDER BY rowid LIMIT {FIRST_N}").fetchall()]
    con.execute(f"DELETE FROM {target} WHERE {condition}")
    return Finding(check, table.name, column, int(n), tuple(first),
                   f"{n} row(s) {message}; left out of the reports")


def drop_invalid_rows(con: duckdb.DuckDBPyConnection, schema: str,
                      tables: list[str]) -> list[Finding]:
    """Delete orphan and reversed rows from the loaded `tables` of `schema`; report each."""
    loaded = set(tables)
    findings: list[Finding] = []
    for table in reference_order():
        if table.name not in loaded:
            continue
        for col in table.references:
            target_name = col.references
            assert target_name is not None
            if target_name not in loaded:
                continue  # that family is not running: nothing to point at
            target = TABLE_BY_NAME[target_name]
            key = target.key[0]
            cond = (f"{q(col.name)} IS NOT NULL AND {q(col.name)} NOT IN "
                    f"(SELECT {q(key)} FROM {q(schema)}.{q(target_name)})")
            finding = _drop(con, schema, table, cond, Check.ORPHAN, col.name,
                            f"point at no {target_name} row", shown=col.name)
            if finding:
                findings.append(finding)
        if table.interval:
            start, end = table.interval
            finding = _drop(con, schema, table, f"{q(end)} < {q(start)}", Check.REVERSED, end,
                            f"end ({end}) before they start ({start})")
            if finding:
                findings.append(finding)
    return findings
