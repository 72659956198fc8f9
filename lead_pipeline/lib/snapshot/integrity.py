"""Integrity judged on the rows kept (docs/snapshot-format.md): rows that cannot be used are
left out, and said so; then a core table left too small stops the refresh.

Runs on a load that passed every blocking check. A row is left out when its key, or an id it
cannot be used without (schema.Column.required: a roster row without its student), is blank;
when an id points at no row; when it ends before it starts. Tables are visited
referenced-first (schema.reference_order), so a row pointing at a row that was itself dropped
is dropped too and nothing downstream meets a dangling id. Each drop is counted and its first
keys are named; nothing else is dropped silently. A schedule structure with more than one
active trial is kept whole (its sections of every active trial count) with a warning.

A core table is judged by the rows kept, not the rows in its file: a header with personID and
stateID swapped keeps every Roster row in the file but leaves all of them out as orphans, and
the reports would be empty all the same (`accept`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import duckdb

from lead_pipeline.lib.snapshot.findings import FIRST_N, Check, Finding, clean
from lead_pipeline.lib.snapshot.reader import LoadResult, key_label
from lead_pipeline.lib.snapshot.schema import TABLE_BY_NAME, TABLES, Table, reference_order
from lead_pipeline.lib.sql import lit, q

ACCEPT_HINT = ("if the drop is real, accept it for this one refresh: lead-pipeline refresh "
               "--accept-smaller (in the UI: run config accept_smaller: true)")


@dataclass(frozen=True)
class Baseline:
    """What a new snapshot's core tables are compared with (docs/snapshot-format.md, the check
    core_tables_complete)."""

    row_counts: Mapping[str, int]
    """Rows kept per table in the current good snapshot (empty before the first one)."""
    label: str = "the current snapshot"
    accept_smaller: bool = False
    """The operator knows a core table really shrank: accept it for this one refresh."""


def accept(con: duckdb.DuckDBPyConnection, result: LoadResult,
           baseline: Baseline | None) -> list[Finding]:
    """The judgement of a load whose blocking checks passed: leave out the rows that cannot be
    used (warnings), then compare each core table's rows kept with `baseline` (blocking
    findings, or notes when the operator accepted the drop). Records the rows kept in
    `result.kept`. `baseline` None: sizes are not judged (a one-school slice is small)."""
    found = drop_invalid_rows(con, result.schema, result.present)
    counts = con.execute(" UNION ALL ".join(
        f"SELECT {lit(n)}, count(*) FROM {q(result.schema)}.{q(n)}" for n in result.present)
    ).fetchall() if result.present else []
    result.kept = {name: int(n) for name, n in counts}
    if baseline is None:
        return found
    shrunk = _shrunk(result, baseline)
    if baseline.accept_smaller:
        result.notes.extend(f"accepted by the operator: {f.where} {f.message}" for f in shrunk)
        return found
    return found + shrunk


def _shrunk(result: LoadResult, baseline: Baseline) -> list[Finding]:
    """Core tables of running families that kept no rows, or fewer than half of the rows the
    current snapshot kept."""
    found = []
    for table in TABLES:
        n = result.kept.get(table.name)
        if table.core is None or table.core not in result.families or n is None:
            continue
        was = baseline.row_counts.get(table.name, 0)
        read = result.row_counts.get(table.name, n)
        left = f" ({read - n:,} of {read:,} were left out, see the warnings)" if read > n else ""
        if n == 0:
            message = f"{table.name} has no rows{left}"
        elif 2 * n < was:
            message = (f"{table.name} has {n:,} rows{left}, fewer than half of the {was:,} in "
                       f"{baseline.label}: a truncated export looks like this")
        else:
            continue
        found.append(Finding(Check.SHRINK, table.name, None, n, (), f"{message}; {ACCEPT_HINT}"))
    return found


@dataclass(frozen=True)
class _Rule:
    """One reason to leave rows of a table out: the rows it matches (`condition`, SQL over the
    table's row), the check and column it is reported under, its message, the column its
    first rows show (`shown`) and whether they are named by row number (`numbered`)."""

    condition: str
    check: Check
    column: str
    message: str
    shown: str | None = None
    numbered: bool = False


def _rules(schema: str, table: Table, loaded: set[str]) -> list[_Rule]:
    """A table's reasons to leave rows out, in the order they are applied: blank key and
    required ids (key first), ids pointing at no row of a loaded table, reversed dates."""
    rules = []
    for name in dict.fromkeys([*table.key, *(c.name for c in table.columns if c.required)]):
        what = "key" if name in table.key else "id"
        rules.append(_Rule(f"{q(name)} IS NULL", Check.BLANK, name,
                           f"have a blank {name} (their {what})", numbered=True))
    for col in table.references:
        target_name = col.references
        assert target_name is not None
        if target_name not in loaded:
            continue  # that family is not running: nothing to point at
        key = TABLE_BY_NAME[target_name].key[0]
        rules.append(_Rule(f"{q(col.name)} IS NOT NULL AND {q(col.name)} NOT IN "
                           f"(SELECT {q(key)} FROM {q(schema)}.{q(target_name)})",
                           Check.ORPHAN, col.name, f"point at no {target_name} row",
                           shown=col.name))
    if table.interval:
        start, end = table.interval
        rules.append(_Rule(f"{q(end)} < {q(start)}", Check.REVERSED, end,
                           f"end ({end}) before they start ({start})"))
    return rules


def drop_invalid_rows(con: duckdb.DuckDBPyConnection, schema: str,
                      tables: list[str]) -> list[Finding]:
    """Delete blank-id, orphan and reversed rows from the loaded `tables` of `schema`; report
    each, and the structures with more than one active trial.

    The reasons of a table are applied in order: a row is left out for the first reason it
    meets. Every reason is a test of the row alone and of other tables, already final
    (referenced tables are visited first; no table points at itself, which a test of the
    schema keeps so), so a table's reasons are judged together, in one pass (`_drop_at_once`),
    and only in a table that can have rows to leave out (`_counts_as_loaded`)."""
    loaded = set(tables)
    judged = [(table, rules) for table in reference_order()
              if table.name in loaded and (rules := _rules(schema, table, loaded))]
    as_loaded = _counts_as_loaded(con, schema, judged)
    findings: list[Finding] = []
    changed: set[str] = set()
    for table, rules in judged:
        # a table pointing at one that lost rows is counted again, against the rows kept
        counts = None if any(c.references in changed for c in table.references) \
            else as_loaded[table.name]
        if counts is None or any(counts):
            dropped = _drop_at_once(con, schema, table, rules, counts)
            findings.extend(dropped)
            if dropped:
                changed.add(table.name)
    if "Trial" in loaded:
        findings.extend(_active_trials(con, schema))
    return findings


def _reason(rules: list[_Rule]) -> str:
    """SQL for the index of the first of `rules` a row meets (NULL: it meets none)."""
    return "CASE " + " ".join(f"WHEN {rule.condition} THEN {i}"
                              for i, rule in enumerate(rules)) + " END"


def _counts(schema: str, table: Table, rules: list[_Rule]) -> str:
    """SQL for one row: the table's name and how many of its rows meet each of `rules` first
    (a list, one count per rule)."""
    per_rule = ", ".join(f"count_if(_reason = {i})" for i in range(len(rules)))
    return (f"SELECT {lit(table.name)}, [{per_rule}] "
            f"FROM (SELECT {_reason(rules)} AS _reason FROM {q(schema)}.{q(table.name)})")


def _counts_as_loaded(con: duckdb.DuckDBPyConnection, schema: str,
                      judged: list[tuple[Table, list[_Rule]]]) -> dict[str, list[int]]:
    """Each table's rows to leave out per rule, judged against the tables as loaded, every
    table in one query: one round trip instead of one per table (a clean load's counts 0.04
    -> 0.02 s at 5,000 students, 0.15 -> 0.09 s at 100,000; docs/speed.md). They stand for a
    table whose referenced tables lost no rows: it is judged against the same rows as here."""
    if not judged:
        return {}
    return dict(con.execute(" UNION ALL ".join(
        f"({_counts(schema, table, rules)})" for table, rules in judged)).fetchall())


def _drop_at_once(con: duckdb.DuckDBPyConnection, schema: str, table: Table,
                  rules: list[_Rule], counts: list[int] | None = None) -> list[Finding]:
    """`rules` applied in order, as deleting the rows of each one after another would (each
    row counted for the first rule it meets, the first rows of each named by row order), in
    one pass over the table: a clean table (the usual case) costs one query, and one with
    rows to leave out a handful, not a count, a listing and a delete per rule that has rows
    (integrity at 700,000 students: 1.81 -> 1.67 s, at 5,000: 0.16 -> 0.14 s). `counts`,
    when given, are the table's counts per rule already made (`_counts_as_loaded`)."""
    target = f"{q(schema)}.{q(table.name)}"
    if counts is None:
        row = con.execute(_counts(schema, table, rules)).fetchone()
        counts = row[1] if row else [0] * len(rules)
    if not any(counts):
        return []
    reason = _reason(rules)
    labels = "CASE _reason " + " ".join(
        f"WHEN {i} THEN {key_label(table, rule.shown, row=_row_number(table, rule))}"
        for i, rule in enumerate(rules)) + " END"
    dropped = f"temp.main.{q('_dropped_' + schema + '_' + table.name)}"
    con.execute(f"CREATE OR REPLACE TEMP TABLE {dropped} AS SELECT rowid AS _row, _reason, "
                f"{labels} AS _label FROM (SELECT *, rowid, {reason} AS _reason "
                f"FROM {target}) WHERE _reason IS NOT NULL")
    first = dict(con.execute(
        f"SELECT _reason, list(_label ORDER BY _row)[1:{FIRST_N}] FROM {dropped} "
        "GROUP BY _reason").fetchall())
    con.execute(f"DELETE FROM {target} WHERE rowid IN (SELECT _row FROM {dropped})")
    con.execute(f"DROP TABLE {dropped}")
    return [Finding(rule.check, table.name, rule.column, int(n),
                    tuple(clean(label) for label in first[i]),
                    f"{n} row(s) {rule.message}; left out of the reports")
            for i, (rule, n) in enumerate(zip(rules, counts, strict=True)) if n]


def _row_number(table: Table, rule: _Rule) -> str | None:
    """SQL for the 1-based row number a finding names its rows by, or None (keys only)."""
    return "rowid + 1" if rule.numbered or table.has_private else None


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
