"""Read a snapshot folder into one DuckDB schema and find what blocks it (snapshot.md).

Every file is first loaded as text, so a value that does not parse is reported with its table,
column and rows instead of failing the load half-way; the typed table is then cast from the
text. Both CSV and Parquet go through the same text-and-cast path, so "parses as its type" means
one thing whichever format a district sends.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from lead_pipeline.lib.snapshot.findings import FIRST_N, Check, Finding
from lead_pipeline.lib.snapshot.manifest import Manifest, read_manifest
from lead_pipeline.lib.snapshot.schema import (
    KIND_FORMAT,
    SQL_TYPE,
    TABLES,
    Column,
    Family,
    Kind,
    Table,
)

_INT_TYPES = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
              "UINTEGER", "UBIGINT", "UHUGEINT"}
_TIMESTAMP_TYPES = {"TIMESTAMP", "TIMESTAMP_NS", "TIMESTAMP_MS", "TIMESTAMP_S",
                    "TIMESTAMP WITH TIME ZONE"}
_PARQUET_TYPES: dict[Kind, set[str]] = {
    Kind.INT: _INT_TYPES,
    Kind.TEXT: set(),
    Kind.DATE: {"DATE"},
    Kind.TIME: {"TIME"},
    Kind.TIMESTAMP: _TIMESTAMP_TYPES | {"DATE"},
    Kind.FLAG: {"BOOLEAN"} | _INT_TYPES,
    Kind.DECIMAL: {"DOUBLE", "FLOAT", "DECIMAL"} | _INT_TYPES,
}
"""Parquet column types accepted for each kind besides VARCHAR (read as text and parsed). A text
column must be stored as strings: an integer-typed school number has lost its leading zeros."""


def q(name: str) -> str:
    """Quote an identifier (table and column names are camelCase, DuckDB folds them)."""
    return '"' + name.replace('"', '""') + '"'


def lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _valid(kind: Kind, v: str) -> str:
    """SQL that is true when raw text `v` (not null) is a value of `kind`."""
    t = f"trim({v})"
    match kind:
        case Kind.TEXT:
            return "true"
        case Kind.INT:
            return (f"(regexp_full_match({t}, '[+-]?[0-9]+')"
                    f" AND TRY_CAST({t} AS BIGINT) IS NOT NULL)")
        case Kind.DATE:
            return (f"(regexp_full_match({t}, '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}')"
                    f" AND TRY_CAST({t} AS DATE) IS NOT NULL)")
        case Kind.TIME:
            return (f"(regexp_full_match({t}, '[0-9]{{1,2}}:[0-9]{{2}}(:[0-9]{{2}}(\\.[0-9]+)?)?')"
                    f" AND TRY_CAST({t} AS TIME) IS NOT NULL)")
        case Kind.TIMESTAMP:
            return (f"(regexp_full_match({t}, '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}"
                    f"([ T][0-9]{{1,2}}:[0-9]{{2}}(:[0-9]{{2}}(\\.[0-9]+)?)?)?')"
                    f" AND TRY_CAST(replace({t}, 'T', ' ') AS TIMESTAMP) IS NOT NULL)")
        case Kind.FLAG:
            return f"lower({t}) IN ('', '0', '1', 'true', 'false')"
        case Kind.DECIMAL:
            return (f"(regexp_full_match({t}, '[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)')"
                    f" AND TRY_CAST({t} AS {SQL_TYPE[Kind.DECIMAL]}) IS NOT NULL)")
    raise AssertionError(kind)


def _cast(kind: Kind, v: str) -> str:
    """SQL turning raw text `v` into the typed value (null where it does not parse)."""
    t = f"trim({v})"
    match kind:
        case Kind.TEXT:
            return v
        case Kind.FLAG:
            return f"coalesce(lower({t}) IN ('1', 'true'), false)"
        case Kind.TIMESTAMP:  # null unless valid, so "raw not null, typed null" means invalid
            return (f"CASE WHEN {_valid(kind, v)} "
                    f"THEN TRY_CAST(replace({t}, 'T', ' ') AS TIMESTAMP) END")
        case _:
            return f"CASE WHEN {_valid(kind, v)} THEN TRY_CAST({t} AS {SQL_TYPE[kind]}) END"


@dataclass
class LoadResult:
    """What one load of a snapshot folder produced in its DuckDB schema."""

    schema: str
    folder: Path
    manifest: Manifest | None
    families: list[Family]
    notes: list[str]
    row_counts: dict[str, int] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)

    @property
    def blocking(self) -> list[Finding]:
        return [f for f in self.findings if f.blocking]

    @property
    def present(self) -> list[str]:
        """Tables read from the folder (the others exist empty, see `load_folder`)."""
        return list(self.row_counts)


def _locate(folder: Path, table: Table, preferred: str | None) -> Path | None:
    candidates = [folder / f"{table.name}.csv", folder / f"{table.name}.parquet"]
    if preferred == "parquet":
        candidates.reverse()
    return next((p for p in candidates if p.is_file()), None)


def _utf8_problem(path: Path, table: str) -> Finding | None:
    """Scan a CSV file as UTF-8 in chunks; on failure name the lines that hold bad bytes."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    with path.open("rb") as fh:
        try:
            while chunk := fh.read(1 << 24):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
            return None
        except UnicodeDecodeError:
            pass
    bad_lines: list[int] = []
    with path.open("rb") as fh:
        for number, line in enumerate(fh, start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                bad_lines.append(number)
    return Finding(
        Check.ENCODING, table, None, len(bad_lines),
        tuple(f"line {n}" for n in bad_lines[:FIRST_N]),
        f"{path.name} is not valid UTF-8 ({len(bad_lines)} lines hold bytes that are not); "
        "export it again as UTF-8",
    )


def _short_error(exc: Exception) -> str:
    """First line of a DuckDB error: later lines quote the file's row, which may name a child."""
    return str(exc).strip().splitlines()[0]


class _TableLoader:
    def __init__(self, con: duckdb.DuckDBPyConnection, schema: str, table: Table, path: Path):
        self.con, self.schema, self.table, self.path = con, schema, table, path
        self.findings: list[Finding] = []
        # the raw text lives in a temporary table: never written to the database file
        self.raw = f"temp.main.{q('_raw_' + schema + '_' + table.name)}"
        self.target = f"{q(schema)}.{q(table.name)}"

    def _source(self) -> str:
        if self.path.suffix == ".parquet":
            return f"read_parquet({lit(str(self.path))})"
        return (f"read_csv({lit(str(self.path))}, all_varchar=true, header=true, delim=',', "
                "quote='\"', escape='\"', auto_detect=true)")

    def _fail(self, check: Check, column: str | None, rows: int, first: Iterable[str],
              message: str) -> None:
        self.findings.append(Finding(check, self.table.name, column, rows, tuple(first), message))

    def load(self) -> int | None:
        """Load raw text, report parse problems and keys, create the typed table. Returns the
        number of rows, or None when the file could not be read at all."""
        t = self.table
        if self.path.suffix == ".csv":
            if self.path.stat().st_size == 0:
                self._fail(Check.PRESENT, None, 0, (),
                           f"{self.path.name} is empty: it needs at least its header row")
                return None
            problem = _utf8_problem(self.path, t.name)
            if problem:
                self.findings.append(problem)
                return None
        try:
            described = self.con.execute(f"DESCRIBE SELECT * FROM {self._source()}").fetchall()
        except duckdb.Error as exc:
            self._fail(Check.PARSE, None, 0, (),
                       f"{self.path.name} cannot be read: {_short_error(exc)}")
            return None
        present = {row[0]: str(row[1]) for row in described}
        missing = [c.name for c in t.columns if c.name not in present]
        for name in missing:
            self._fail(Check.PRESENT, name, 0, (),
                       f"column {name} is missing from {self.path.name}")

        selects = []
        for col in t.columns:
            if col.name not in present:
                selects.append(f"NULL::VARCHAR AS {q(col.name)}")
            elif self._type_ok(col, present[col.name]):
                selects.append(f"CAST({q(col.name)} AS VARCHAR) AS {q(col.name)}")
            else:
                selects.append(f"NULL::VARCHAR AS {q(col.name)}")
        try:
            self.con.execute(
                f"CREATE OR REPLACE TEMP TABLE {self.raw} AS SELECT {', '.join(selects)} "
                f"FROM {self._source()}")
        except duckdb.Error as exc:
            self._fail(Check.PARSE, None, 0, (),
                       f"{self.path.name} cannot be read: {_short_error(exc)}")
            return None

        casts = ", ".join(f"{_cast(c.kind, q(c.name))} AS {q(c.name)}" for c in t.columns)
        self.con.execute(
            f"CREATE OR REPLACE TABLE {self.target} AS SELECT {casts} FROM {self.raw}")
        n = self._parse_findings(
            [c for c in t.columns if c.name in present and c.kind != Kind.TEXT])
        if not missing:
            self._key_findings()
        self.con.execute(f"DROP TABLE {self.raw}")
        return n

    def _type_ok(self, col: Column, stored: str) -> bool:
        if self.path.suffix != ".parquet" or stored == "VARCHAR" or stored == '"NULL"':
            return True
        base = stored.split("(")[0]
        if base in _PARQUET_TYPES[col.kind]:
            return True
        wanted = "VARCHAR" if col.kind == Kind.TEXT else f"{SQL_TYPE[col.kind]} or VARCHAR"
        self._fail(Check.PARSE, col.name, 0, (),
                   f"{self.path.name} stores {col.name} as {stored}; expected "
                   f"{KIND_FORMAT[col.kind]} ({wanted})")
        return False

    def _key_label(self) -> str:
        return " || ', ' || ".join(
            f"{lit(k + '=')} || coalesce({q(k)}::VARCHAR, '(blank)')" for k in self.table.key)

    def _parse_findings(self, columns: list[Column]) -> int:
        """Report values that do not parse; returns the table's row count (same query).

        Counted in one pass over the raw and typed tables side by side (a POSITIONAL JOIN: the
        typed table was created from the raw one in order): a value is invalid when its text is
        not null and its typed value is (every cast is null unless the value is valid), so the
        parse regexes run once, in the cast. A flag's typed value is never null: its test is
        cheap and reads the raw text. Only a column with invalid values runs the regexes again,
        to list its first rows."""
        bad = {c.name: f"({q(c.name)} IS NOT NULL AND NOT {_valid(c.kind, q(c.name))})"
               for c in columns}
        counted = [f"count_if(r.{q(c.name)} IS NOT NULL AND NOT "
                   f"{_valid(c.kind, 'r.' + q(c.name))})" if c.kind == Kind.FLAG else
                   f"count_if(r.{q(c.name)} IS NOT NULL AND t.{q(c.name)} IS NULL)"
                   for c in columns]
        row = self.con.execute(
            f"SELECT {', '.join(['count(*)', *counted])} FROM {self.raw} AS r "
            f"POSITIONAL JOIN {self.target} AS t").fetchone()
        assert row is not None
        total, *counts = row
        for col, n in zip(columns, counts, strict=True):
            if not n:
                continue
            quoted = "' ''' || " + q(col.name) + " || ''''"  # the value in quotes
            value = "" if col.private else f" || {quoted}"
            first = [r[0] for r in self.con.execute(
                f"SELECT {self._key_label()} || ' (row ' || (rowid + 1) || ')'{value} "
                f"FROM {self.raw} WHERE {bad[col.name]} ORDER BY rowid LIMIT {FIRST_N}").fetchall()]
            self._fail(Check.PARSE, col.name, int(n), first,
                       f"{n} value(s) are not a {KIND_FORMAT[col.kind]}")
        return int(total)

    def _key_findings(self) -> None:
        keys = ", ".join(q(k) for k in self.table.key)
        null_cond = " OR ".join(f"{q(k)} IS NULL" for k in self.table.key)
        (n_null,) = self.con.execute(
            f"SELECT count(*) FROM {self.target} WHERE {null_cond}").fetchone() or (0,)
        if n_null:
            first = [r[0] for r in self.con.execute(
                f"SELECT 'row ' || (rowid + 1) FROM {self.target} WHERE {null_cond} "
                f"ORDER BY rowid LIMIT {FIRST_N}").fetchall()]
            self._fail(Check.KEYS, ", ".join(self.table.key), int(n_null), first,
                       f"{n_null} row(s) have a blank key ({', '.join(self.table.key)})")
        where = f"WHERE NOT ({null_cond}) GROUP BY {keys} HAVING count(*) > 1"
        (groups, rows) = self.con.execute(  # the common, clean case: one plain GROUP BY
            f"SELECT count(*), coalesce(sum(n), 0) FROM (SELECT count(*) AS n "
            f"FROM {self.target} {where})").fetchone() or (0, 0)
        if not groups:
            return
        first = [d[0] for d in self.con.execute(
            f"SELECT {self._key_label()} || ' (rows ' || string_agg((rowid + 1)::VARCHAR, ', ' "
            f"ORDER BY rowid) || ')', min(rowid) AS r FROM {self.target} {where} "
            f"ORDER BY r LIMIT {FIRST_N}").fetchall()]
        self._fail(Check.KEYS, ", ".join(self.table.key), int(rows), first,
                   f"{groups} key value(s) appear more than once ({rows} rows)")


def running_families(present: set[str]) -> tuple[list[Family], list[str]]:
    """Families to build: shared always; LEAD and KIAS when any of their own required tables is
    in the snapshot (snapshot.md "Which families run")."""
    families, notes = [Family.SHARED], []
    for family in (Family.LEAD, Family.KIAS):
        own = [t.name for t in TABLES if t.family is family and not t.optional]
        if any(name in present for name in own):
            families.append(family)
        else:
            notes.append(f"{family.value.upper()} skipped: the snapshot holds none of its tables "
                         f"({', '.join(own[:3])}, …)")
    return families, notes


def load_folder(con: duckdb.DuckDBPyConnection, folder: Path, schema: str) -> LoadResult:
    """Load every table a running family needs from `folder` into `schema` (created anew)."""
    manifest, findings = read_manifest(folder)
    preferred = manifest.format if manifest else None
    paths = {t.name: _locate(folder, t, preferred) for t in TABLES}
    families, notes = running_families({n for n, p in paths.items() if p is not None})
    result = LoadResult(schema, folder, manifest, families, notes, findings=list(findings))

    con.execute(f"DROP SCHEMA IF EXISTS {q(schema)} CASCADE")
    con.execute(f"CREATE SCHEMA {q(schema)}")
    for table in TABLES:
        if table.family not in families:
            continue
        path = paths[table.name]
        if path is None:
            if table.optional:
                notes.append(f"{table.name} not in the snapshot (optional)")
            else:
                result.findings.append(Finding(
                    Check.PRESENT, table.name, None, 0, (),
                    f"{table.name}.csv (or .parquet) is missing: "
                    f"{table.family.value.upper()} needs it"))
            continue
        loader = _TableLoader(con, schema, table, path)
        n = loader.load()
        result.findings.extend(loader.findings)
        if n is not None:
            result.row_counts[table.name] = n

    for table in TABLES:
        if table.name not in result.row_counts:
            _create_empty(con, schema, table)
    if "District" in result.row_counts:
        result.findings.extend(_district_findings(con, schema, manifest))
    return result


def _create_empty(con: duckdb.DuckDBPyConnection, schema: str, table: Table) -> None:
    """A table the folder does not hold (its family skipped, or optional) exists empty with its
    declared columns, so every asset downstream runs and finds no rows rather than failing."""
    cols = ", ".join(f"{q(c.name)} {SQL_TYPE[c.kind]}" for c in table.columns)
    con.execute(f"CREATE OR REPLACE TABLE {q(schema)}.{q(table.name)} ({cols})")


def _district_findings(con: duckdb.DuckDBPyConnection, schema: str,
                       manifest: Manifest | None) -> list[Finding]:
    numbers = [r[0] for r in con.execute(
        f"SELECT number FROM {q(schema)}.District ORDER BY districtID").fetchall()]
    if len(numbers) != 1:
        return [Finding(Check.MANIFEST, "District", None, len(numbers), (),
                        f"District must hold exactly one row (the snapshot's district); "
                        f"it holds {len(numbers)}")]
    if manifest and manifest.district_number is not None and manifest.district_number != numbers[0]:
        return [Finding(Check.MANIFEST, "District", "number", 1, (),
                        f"manifest.json districtNumber {manifest.district_number!r} differs from "
                        f"the District row's number {numbers[0]!r}")]
    return []
