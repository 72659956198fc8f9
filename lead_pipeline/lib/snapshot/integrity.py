"""Warn-and-drop integrity (docs/snapshot-format.md): rows that cannot be used are left out, and
said so.

Runs on a load that passed every blocking check. A row is left out when its key, or an id it
cannot be used without (schema.Column.required: a roster row without its student), is blank;
when an id points at no row; when it ends before it starts. Tables are visited
referenced-first (schema.reference_order), so a row pointing at a row that was itself dropped
is dropped too and nothing downstream meets a dangling id. Each drop is counted and its first
keys are named; nothing else is dropped silently. A schedule structure with more than one
active trial is kept whole (its sections of every active trial count) with a warning.
"""

from __future__ import annotations

import duckdb

from lead_pipeline.lib.snapshot.findings import FIRST_N, Check, Finding, clean
from lead_pipeline.lib.snapshot.reader import key_label
from lead_pipeline.lib.snapshot.schema import TABLE_BY_NAME, Table, reference_order
from lead_pipeline.lib.sql import q


def _drop(con: duckdb.DuckDBPyConnection, schema: str, table: Table, condition: str,
          check: Check, column: str, message: str, shown: str | None = None,
          numbered: bool = False) -> Finding | None:
    target = f"{q(schema)}.{q(table.name)}"
    (n,) = con.execute(f"SELECT count(*) FROM {target} WHERE {condition}").fetchone() or (0,)
    if not n:
        return None
    label = key_label(table, shown, row="rowid + 1" if numbered or table.has_private else None)
    first = [clean(r[0]) for r in con.execute(
        f"SELECT {label} FROM {target} WHERE {condition} "
        f"ORDER BY rowid LIMIT {FIRST_N}").fetchall()]
    con.execute(f"DELETE FROM {target} WHERE {condition}")
    return Finding(check, table.name, column, int(n), tuple(first),
                   f"{n} row(s) {message}; left out of the reports")


def _blank(con: duckdb.DuckDBPyConnection, schema: str, table: Table) -> list[Finding]:
    """Rows whose key, or a required id, is blank: one finding per column, key first."""
    found = []
    for name in dict.fromkeys([*table.key, *(c.name for c in table.columns if c.required)]):
        what = "key" if name in table.key else "id"
        finding = _drop(con, schema, table, f"{q(name)} IS NULL", Check.BLANK, name,
                        f"have a blank {name} (their {what})", numbered=True)
        if finding:
            found.append(finding)
    return found


def drop_invalid_rows(con: duckdb.DuckDBPyConnection, schema: str,
                      tables: list[str]) -> list[Finding]:
    """Delete blank-id, orphan and reversed rows from the loaded `tables` of `schema`; report
    each, and the structures with more than one active trial."""
    loaded = set(tables)
    findings: list[Finding] = []
    for table in reference_order():
        if table.name not in loaded:
            continue
        findings.extend(_blank(con, schema, table))
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
    if "Trial" in loaded:
        findings.extend(_active_trials(con, schema))
    return findings


def _active_trials(con: duckdb.DuckDBPyConnection, schema: str) -> list[Finding]:
    """L-4 expects one active trial per schedule structure; with more, every active trial's
    sections are counted (the staging keeps them all), and the operator is told which."""
    many = con.execute(
        f"SELECT structureID, string_agg(trialID::VARCHAR, ', ' ORDER BY trialID) "
        f"FROM {q(schema)}.Trial WHERE active GROUP BY structureID HAVING count(*) > 1 "
        f"ORDER BY structureID").fetchall()
    if not many:
        return []
    return [Finding(Check.TRIALS, "Trial", "active", len(many),
                    tuple(f"structureID={s} (trialID={t})" for s, t in many[:FIRST_N]),
                    f"{len(many)} schedule structure(s) have more than one active trial; the "
                    "sections of every active trial are counted (keep one trial active per "
                    "structure in the SIS)")]
