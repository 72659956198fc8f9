"""Read a snapshot folder into one DuckDB schema and find what blocks it (docs/snapshot-format.md).

Every file is first loaded as text, so a value that does not parse is reported with its table,
column and rows instead of failing the load half-way; the typed table is then cast from the
text. Both CSV and Parquet go through the same text-and-cast path, so "parses as its type" means
one thing whichever format a district sends.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Collection, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from lead_pipeline.lib.snapshot.findings import (
    CONTROL_CHARACTERS,
    FIRST_N,
    Check,
    Finding,
    clean,
    shown,
)
from lead_pipeline.lib.snapshot.manifest import Manifest, read_manifest
from lead_pipeline.lib.snapshot.schema import (
    ID_LIMIT,
    KIND_FORMAT,
    SQL_TYPE,
    TABLES,
    Column,
    Family,
    Kind,
    Table,
)
from lead_pipeline.lib.sql import lit, q

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


def _valid(col: Column, v: str) -> str:
    """SQL that is true when raw text `v` (not null) is a value of the column's kind (an id
    also within 1 .. 2^53-1)."""
    t = f"trim({v})"
    match col.kind:
        case Kind.TEXT:
            return "true"
        case Kind.INT if col.is_id:
            return (f"(regexp_full_match({t}, '[+-]?[0-9]+')"
                    f" AND coalesce(TRY_CAST({t} AS BIGINT) BETWEEN 1 AND {ID_LIMIT - 1}, false))")
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
    raise AssertionError(col.kind)


def _cast(col: Column, v: str) -> str:
    """SQL turning raw text `v` into the typed value (null where it does not parse)."""
    t = f"trim({v})"
    match col.kind:
        case Kind.TEXT:
            return v
        case Kind.FLAG:
            return f"coalesce(lower({t}) IN ('1', 'true'), false)"
        case Kind.TIMESTAMP:  # null unless valid, so "raw not null, typed null" means invalid
            return (f"CASE WHEN {_valid(col, v)} "
                    f"THEN TRY_CAST(replace({t}, 'T', ' ') AS TIMESTAMP) END")
        case Kind.INT | Kind.DATE:
            return _fast_cast(col, v)
        case _:
            return _strict_cast(col, v)


def _strict_cast(col: Column, v: str) -> str:
    return f"CASE WHEN {_valid(col, v)} THEN TRY_CAST(trim({v}) AS {SQL_TYPE[col.kind]}) END"


def _fast_cast(col: Column, v: str) -> str:
    """The typed fast path of an integer or a date (the values of nearly every column): a
    value written exactly as DuckDB writes the value it casts to (`42`, `2026-09-01`) is
    valid by construction — it matches the column's pattern with nothing to trim — so its
    cast is taken as is, with no regular expression (several times faster); any other text
    (`+5`, ` 7`, `007`, `9/1/2026`, `abc`) takes the strict, regex-checked cast of `_valid`.
    The typed value is the same either way, so the located messages of `_value_findings` (on
    "raw not null, typed null") are too."""
    fast = f"TRY_CAST({v} AS {SQL_TYPE[col.kind]})"
    value = (f"CASE WHEN {fast} BETWEEN 1 AND {ID_LIMIT - 1} THEN {fast} END" if col.is_id
             else fast)
    # DuckDB also reads a five-digit year, which the contract's YYYY-MM-DD does not allow
    same = f"{fast}::VARCHAR = {v}" + (f" AND length({v}) = 10" if col.kind is Kind.DATE else "")
    return f"CASE WHEN {same} THEN {value} ELSE {_strict_cast(col, v)} END"


def _has_control(v: str) -> str:
    """SQL: raw text `v` holds a control character (tab, CR and LF are ordinary text)."""
    return f"regexp_matches({v}, {lit(CONTROL_CHARACTERS)})"


def _off_pattern(col: Column, v: str) -> str:
    """SQL: raw text `v` does not match the column's pattern exactly as written."""
    assert col.pattern is not None
    wrong = f"NOT regexp_full_match({v}, {lit(col.pattern.regex.pattern)})"
    return f"({v} IS NULL OR {wrong})" if not col.blank_ok else f"({v} IS NOT NULL AND {wrong})"


@dataclass
class LoadResult:
    """What one load of a snapshot folder produced in its DuckDB schema."""

    schema: str
    folder: Path
    manifest: Manifest | None
    families: list[Family]
    notes: list[str]
    row_counts: dict[str, int] = field(default_factory=dict)
    """Rows read from each file."""
    findings: list[Finding] = field(default_factory=list)
    kept: dict[str, int] = field(default_factory=dict)
    """Rows kept of each table once the unusable ones were left out (integrity.accept)."""

    @property
    def blocking(self) -> list[Finding]:
        return [f for f in self.findings if f.blocking]

    @property
    def present(self) -> list[str]:
        """Tables read from the folder (the others exist empty, see `load_folder`)."""
        return list(self.row_counts)


def locate(folder: Path, table: Table, preferred: str | None) -> Path | None:
    """The file of `table` in a snapshot folder: its CSV or its Parquet file, the manifest's
    `preferred` format first when both are there; None when neither is."""
    candidates = [folder / f"{table.name}.csv", folder / f"{table.name}.parquet"]
    if preferred == "parquet":
        candidates.reverse()
    return next((p for p in candidates if p.is_file()), None)


_CONTROL = re.compile(CONTROL_CHARACTERS)
_ONE_BYTE_CONTROLS = bytes(b for b in range(0x80) if _CONTROL.match(chr(b)))
"""The control characters UTF-8 writes as one byte (C0 but tab, LF and CR; DEL)."""
_NOT_CONTROL = bytes(b for b in range(256) if b not in _ONE_BYTE_CONTROLS)
_C1 = re.compile(rb"\xc2[\x80-\x9f]")
"""The C1 controls (U+0080 to U+009F) as UTF-8 writes them: 0xC2, then 0x80 to 0x9F."""


def _holds_control(data: bytes) -> bool:
    """Whether valid UTF-8 `data` holds a character of CONTROL_CHARACTERS, read from its bytes:
    the bytes of a one-byte control deleted from nothing else leave something, or a C1
    control's two bytes appear. The same answer as searching the decoded text, in a quarter
    of the time (the 42 MB of a 100,000-student snapshot: 0.05 s against 0.19 s, with
    Python's lock held)."""
    return bool(data.translate(None, _NOT_CONTROL)) or _C1.search(data) is not None


def _utf8_problem(path: Path, table: str, chunk_size: int = 1 << 24
                  ) -> tuple[Finding | None, bool]:
    """Scan a CSV file as UTF-8 in chunks; on failure name the lines that hold bad bytes.
    Also says whether the text holds a control character anywhere: a file without one
    (nearly every file) has no value holding one, so its values need not be searched for them
    one by one in SQL (`_value_findings`), the costliest test of the load. A chunk is tested
    with the last byte of the one before, so a C1 control cut in two is still seen."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    control = False
    last = b""
    with path.open("rb") as fh:
        try:
            while chunk := fh.read(chunk_size):
                decoder.decode(chunk)
                control = control or _holds_control(last + chunk)
                last = chunk[-1:]
            decoder.decode(b"", final=True)
            return None, control
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
    ), True


_CSV_PROBLEMS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"unterminated quote"), "a quoted value is never closed (unterminated quote)"),
    (re.compile(r"Maximum line size of (\d+) bytes exceeded"),
     "a row is longer than {0} bytes (the longest a snapshot row may be)"),
    (re.compile(r"Expected Number of Columns: (\d+) Found: (\d+)"),
     "the row has {1} field(s) where the header has {0}"),
    (re.compile(r"[Ii]nvalid unicode|UTF-?8", re.IGNORECASE), "the row is not valid UTF-8"),
)


def _csv_error(name: str, exc: Exception) -> str:
    """A DuckDB CSV error in our words: where (the data row, header not counted) and what.
    DuckDB's own text quotes the offending row, which may name a child: never passed on."""
    text = str(exc)
    where = re.search(r"CSV Error on Line: (\d+)", text)
    what = next((message.format(*(f"{int(g):,}" for g in match.groups()))
                 for pattern, message in _CSV_PROBLEMS if (match := pattern.search(text))),
                "the file is not valid CSV (RFC 4180: comma separated, double quotes)")
    row = f" at row {int(where.group(1)) - 1:,}" if where else ""
    return f"{name} cannot be read{row}: {what}"


def _short_error(exc: Exception) -> str:
    """First line of a DuckDB error (not a CSV one), control characters escaped."""
    return clean(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__)


def _header_of(path: Path) -> list[str]:
    """The names of a file's columns as written (CSV: its first record; Parquet: its schema).
    Read by us, not by DuckDB, which would silently rename a repeated name to `name_1`."""
    if path.suffix == ".parquet":
        return list(pq.read_schema(path).names)
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return next(csv.reader(fh), [])


class _TableLoader:
    def __init__(self, con: duckdb.DuckDBPyConnection, schema: str, table: Table, path: Path):
        self.con, self.schema, self.table, self.path = con, schema, table, path
        self.findings: list[Finding] = []
        # the raw text lives in a temporary table: never written to the database file
        self.raw = f"temp.main.{q('_raw_' + schema + '_' + table.name)}"
        self.target = f"{q(schema)}.{q(table.name)}"
        self.header: list[str] = []
        self.control_free = False
        """The file holds no control character at all (a CSV file scanned as text): its
        values need no search for one."""

    def _source(self) -> str:
        if self.path.suffix == ".parquet":
            return f"read_parquet({lit(str(self.path))})"
        # no sniffing: the dialect is the contract's, and the columns are the header we read
        # ourselves, by position (c0, c1, …), so DuckDB's errors carry the row they are on
        columns = ", ".join(f"{lit(f'c{i}')}: 'VARCHAR'" for i in range(len(self.header)))
        return (f"read_csv({lit(str(self.path))}, header=true, auto_detect=false, delim=',', "
                f"quote='\"', escape='\"', columns={{{columns}}})")

    def _fail(self, check: Check, column: str | None, rows: int, first: Iterable[str],
              message: str) -> None:
        self.findings.append(Finding(check, self.table.name, column, rows, tuple(first), message))

    def _positions(self) -> dict[str, str] | None:
        """Where each contract column is in the file (a source expression), or None when the
        header itself stops the table: a column named twice, or one whose name differs from
        the contract only by case or surrounding spaces (docs/snapshot-format.md "Integrity
        checks")."""
        t, name = self.table, self.path.name
        exact: dict[str, list[int]] = {}
        variant: dict[str, list[int]] = {}
        wanted = {c.name.lower(): c.name for c in t.columns}
        for i, written in enumerate(self.header):
            if written in t.column_by_name:
                exact.setdefault(written, []).append(i)
            elif (match := wanted.get(written.strip().lower())) is not None:
                variant.setdefault(match, []).append(i)
        stop = False
        for col in t.columns:
            at = exact.get(col.name, [])
            if len(at) > 1:
                stop = True
                self._fail(Check.PRESENT, col.name, 0, (),
                           f"column {col.name} appears {len(at)} times in the header of {name} "
                           f"(columns {', '.join(str(i + 1) for i in at)})")
            for i in variant.get(col.name, []):
                stop = True
                self._fail(Check.PRESENT, col.name, 0, (),
                           f"column {i + 1} of {name} is named {shown(self.header[i])}: it "
                           f"differs from {col.name} only in case or spaces; rename it "
                           f"{col.name}")
            if not at and col.name not in variant:
                self._fail(Check.PRESENT, col.name, 0, (),
                           f"column {col.name} is missing from {name}")
        if stop:
            return None
        if self.path.suffix == ".parquet":
            return {c: q(c) for c in exact}
        return {c: q(f"c{at[0]}") for c, at in exact.items()}

    def load(self) -> int | None:
        """Load raw text, report parse problems and keys, create the typed table. Returns the
        number of rows, or None when the file could not be read at all."""
        t = self.table
        if self.path.suffix == ".csv":
            if self.path.stat().st_size == 0:
                self._fail(Check.PRESENT, None, 0, (),
                           f"{self.path.name} is empty: it needs at least its header row")
                return None
            problem, control = _utf8_problem(self.path, t.name)
            self.control_free = not control
            if problem:
                self.findings.append(problem)
                return None
        try:
            self.header = _header_of(self.path)
        except (csv.Error, OSError, ValueError) as exc:
            self._fail(Check.PARSE, None, 0, (),
                       f"the header of {self.path.name} cannot be read: {_short_error(exc)}")
            return None
        if not self.header:
            self._fail(Check.PRESENT, None, 0, (), f"{self.path.name} has no header row")
            return None
        positions = self._positions()
        if positions is None:
            return None
        try:
            stored = ({} if self.path.suffix != ".parquet" else {
                row[0]: str(row[1]) for row in self.con.execute(
                    f"DESCRIBE SELECT * FROM {self._source()}").fetchall()})
            selects = []
            for col in t.columns:
                source = positions.get(col.name)
                if source is None or not self._type_ok(col, stored.get(col.name, "VARCHAR")):
                    selects.append(f"NULL::VARCHAR AS {q(col.name)}")
                else:
                    selects.append(f"CAST({source} AS VARCHAR) AS {q(col.name)}")
            self.con.execute(
                f"CREATE OR REPLACE TEMP TABLE {self.raw} AS SELECT {', '.join(selects)} "
                f"FROM {self._source()}")
        except duckdb.Error as exc:
            self._fail(Check.PARSE, None, 0, (), _csv_error(self.path.name, exc)
                       if self.path.suffix == ".csv"
                       else f"{self.path.name} cannot be read: {_short_error(exc)}")
            return None

        casts = ", ".join(f"{_cast(c, q(c.name))} AS {q(c.name)}" for c in t.columns)
        self.con.execute(
            f"CREATE OR REPLACE TABLE {self.target} AS SELECT {casts} FROM {self.raw}")
        n = self._value_findings([c for c in t.columns if c.name in positions])
        if len(positions) == len(t.columns):
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

    def _first_rows(self, condition: str, col: Column | None) -> list[str]:
        """The first rows meeting `condition` (on the raw text, as `r`): key, row number and the
        value, shortened and with control characters escaped, so a message never carries a
        raw byte or a megabyte.

        The key is taken from the typed table (`t`): a key that does not parse is shown blank,
        never as its text. The value is quoted only from a table without private columns: in
        Person or Identity a misplaced header can put a name or birth date under any column,
        so nothing of those tables is ever quoted."""
        quoted = col is not None and not self.table.has_private
        value = f"r.{q(col.name)}" if quoted and col is not None else "NULL"
        label = key_label(self.table, prefix="t.", row="r.rowid + 1")
        found = self.con.execute(
            f"SELECT {label}, {value} FROM {self.raw} AS r "
            f"POSITIONAL JOIN {self.target} AS t WHERE {condition} "
            f"ORDER BY r.rowid LIMIT {FIRST_N}").fetchall()
        return [clean(text) + (f" {shown(v)}" if quoted else "") for text, v in found]

    def _value_findings(self, columns: list[Column]) -> int:
        """Report values that cannot be used as declared; returns the table's row count.

        Counted in one pass over the raw and typed tables side by side (a POSITIONAL JOIN: the
        typed table was created from the raw one in order): a value does not parse when its
        text is not null and its typed value is (every cast is null unless the value is valid),
        so the parse regexes run once, in the cast. A flag's typed value is never null: its
        test is cheap and reads the raw text. Control characters and the patterns of school
        numbers, course codes and state ids are tested on the raw text in the same pass. Only
        a column with findings is read again, to list its first rows."""
        bad: dict[str, tuple[str, str, str]] = {}  # tag -> (count expr, raw condition, message)
        for c in columns:
            r = f"r.{q(c.name)}"
            if c.kind is not Kind.TEXT:
                count = (f"count_if({r} IS NOT NULL AND NOT {_valid(c, r)})"
                         if c.kind is Kind.FLAG else
                         f"count_if({r} IS NOT NULL AND t.{q(c.name)} IS NULL)")
                bad[f"parse:{c.name}"] = (
                    count, f"({r} IS NOT NULL AND NOT {_valid(c, r)})",
                    f"are not a {c.format}" if not c.is_id else f"are not an {c.format}")
            # a value that parsed as its kind is digits, signs, separators and spaces: only
            # text and the values that did not parse can hold a control character, so the
            # regex runs on those alone (the count is the same, at a fraction of the cost);
            # and not at all when the file holds none (_utf8_problem)
            unparsed = ("true" if c.kind is Kind.TEXT else
                        f"NOT {_valid(c, r)}" if c.kind is Kind.FLAG else f"t.{q(c.name)} IS NULL")
            if not self.control_free:
                bad[f"control:{c.name}"] = (
                    f"count_if({unparsed} AND {_has_control(r)})", _has_control(r),
                    "hold a control character (NUL or another invisible byte that is not a "
                    "tab or line break); fix them in the SIS and export again")
            if c.pattern is not None:
                bad[f"pattern:{c.name}"] = (
                    f"count_if({_off_pattern(c, r)})", _off_pattern(c, r),
                    f"are not {c.pattern.description}")
        row = self.con.execute(
            f"SELECT {', '.join(['count(*)', *(b[0] for b in bad.values())])} "
            f"FROM {self.raw} AS r POSITIONAL JOIN {self.target} AS t").fetchone()
        assert row is not None
        total, *counts = row
        for (tag, (_, condition, what)), n in zip(bad.items(), counts, strict=True):
            if not n:
                continue
            kind, name = tag.split(":", 1)
            col = self.table.column_by_name[name]
            check = Check.PARSE if kind == "parse" else Check.USABLE
            quoted = col if kind != "control" else None  # never quote a control byte's value
            self._fail(check, name, int(n), self._first_rows(condition, quoted),
                       f"{n} value(s) {what}")
        return int(total)

    def _key_findings(self) -> None:
        """Duplicate keys (blocking). A blank key is not judged here: integrity.py leaves
        such rows out with a warning once the load has passed."""
        keys = ", ".join(q(k) for k in self.table.key)
        null_cond = " OR ".join(f"{q(k)} IS NULL" for k in self.table.key)
        where = f"WHERE NOT ({null_cond}) GROUP BY {keys} HAVING count(*) > 1"
        (groups, rows) = self.con.execute(  # the common, clean case: one plain GROUP BY
            f"SELECT count(*), coalesce(sum(n), 0) FROM (SELECT count(*) AS n "
            f"FROM {self.target} {where})").fetchone() or (0, 0)
        if not groups:
            return
        numbers = "string_agg((rowid + 1)::VARCHAR, ', ' ORDER BY rowid)"
        label = (f"'rows ' || {numbers}" if self.table.has_private else
                 f"{key_label(self.table)} || ' (rows ' || {numbers} || ')'")
        first = [clean(d[0]) for d in self.con.execute(
            f"SELECT {label}, min(rowid) AS r FROM {self.target} {where} "
            f"ORDER BY r LIMIT {FIRST_N}").fetchall()]
        self._fail(Check.KEYS, ", ".join(self.table.key), int(rows), first,
                   f"{groups} key value(s) appear more than once ({rows} rows)")


def key_label(table: Table, extra: str | None = None, prefix: str = "",
              row: str | None = None) -> str:
    """SQL labelling a row in a finding: its typed key (`rosterID=801`), the `extra` column
    when given, and its row number when `row` (SQL for the 1-based number) is given. The one
    way rows are named in every finding; `prefix` qualifies the columns (`t.`).

    A table with private columns (Person, Identity) is named by row number only: a misplaced
    header can put a state id under personID or currentIdentityID, and digits parse as ids,
    so no value of those tables is ever shown."""
    if table.has_private:
        return f"'row ' || ({row})" if row else "'(row)'"
    label = " || ', ' || ".join(
        f"{lit(k + '=')} || coalesce({prefix}{q(k)}::VARCHAR, '(blank)')" for k in table.key)
    if extra and extra not in table.key:
        label += (f" || ' (' || {lit(extra + '=')} || "
                  f"coalesce({prefix}{q(extra)}::VARCHAR, '(blank)') || ')'")
    if row:
        label += f" || ' (row ' || ({row}) || ')'"
    return label


def running_families(present: set[str]) -> tuple[list[Family], list[str]]:
    """Families to build: shared always; LEAD and KIAS when any of their own required tables is
    in the snapshot (docs/snapshot-format.md "Integrity checks")."""
    families, notes = [Family.SHARED], []
    for family in (Family.LEAD, Family.KIAS):
        own = [t.name for t in TABLES if t.family is family and not t.optional]
        if any(name in present for name in own):
            families.append(family)
        else:
            notes.append(f"{family.value.upper()} skipped: the snapshot holds none of its tables "
                         f"({', '.join(own[:3])}, …)")
    return families, notes


def load_folder(con: duckdb.DuckDBPyConnection, folder: Path, schema: str, *,
                included_classifications: Collection[str]) -> LoadResult:
    """Load every table a running family needs from `folder` into `schema` (created anew).

    `included_classifications` are L-2's school classifications (Codes.included_classifications).
    What is judged on the rows kept (left-out rows, a core table that shrank) comes after, in
    integrity.accept, once these blocking checks have passed."""
    manifest, findings = read_manifest(folder)
    preferred = manifest.format if manifest else None
    paths = {t.name: locate(folder, t, preferred) for t in TABLES}
    families, notes = running_families({n for n, p in paths.items() if p is not None})
    result = LoadResult(schema, folder, manifest, families, notes, findings=list(findings))

    con.execute(f"DROP SCHEMA IF EXISTS {q(schema)} CASCADE")
    con.execute(f"CREATE SCHEMA {q(schema)}")
    loaders: list[_TableLoader] = []
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
        loaders.append(_TableLoader(con.cursor(), schema, table, path))
    for loader, n in zip(loaders, _load_all(loaders), strict=True):
        result.findings.extend(loader.findings)  # in the order of TABLES, as one at a time
        if n is not None:
            result.row_counts[loader.table.name] = n

    for table in TABLES:
        if table.name not in result.row_counts:
            _create_empty(con, schema, table)
    typed = {f.table for f in result.findings if f.blocking}  # tables whose values are unsure
    usable = set(result.row_counts) - typed
    if "District" in usable:
        result.findings.extend(_district_findings(con, schema, manifest))
    if "School" in usable:
        result.findings.extend(_school_number_findings(con, schema))
    if {"School", "Calendar"} <= usable and manifest is not None:
        result.findings.extend(_report_year_findings(
            con, schema, manifest.end_year, included_classifications))
    return result


LOAD_THREADS = 2
"""Tables loaded at once. DuckDB works without Python's lock, so while one thread waits on a
large table's parse another runs the small tables' many short queries (a load is five queries
a table, 32 tables)."""


def _load_all(loaders: Sequence[_TableLoader]) -> list[int | None]:
    """Each loader's `load()`, in the loaders' order, LOAD_THREADS at a time (largest file first,
    so the longest load starts at once), each loader on its own cursor, closed after."""
    try:
        with ThreadPoolExecutor(max_workers=LOAD_THREADS, thread_name_prefix="load") as pool:
            by_size = sorted(loaders, key=lambda loader: -loader.path.stat().st_size)
            futures = {id(loader): pool.submit(loader.load) for loader in by_size}
            return [futures[id(loader)].result() for loader in loaders]
    finally:
        for loader in loaders:
            loader.con.close()


def _create_empty(con: duckdb.DuckDBPyConnection, schema: str, table: Table) -> None:
    """A table the folder does not hold (its family skipped, or optional) exists empty with its
    declared columns, so every asset downstream runs and finds no rows rather than failing."""
    cols = ", ".join(f"{q(c.name)} {SQL_TYPE[c.kind]}" for c in table.columns)
    con.execute(f"CREATE OR REPLACE TABLE {q(schema)}.{q(table.name)} ({cols})")


def _school_number_findings(con: duckdb.DuckDBPyConnection, schema: str) -> list[Finding]:
    """Two School rows with the same number would share one workbook (docs/snapshot-format.md)."""
    dup = con.execute(
        f"SELECT number, string_agg(schoolID::VARCHAR, ', ' ORDER BY schoolID), count(*) "
        f"FROM {q(schema)}.School WHERE number IS NOT NULL GROUP BY number "
        f"HAVING count(*) > 1 ORDER BY number").fetchall()
    if not dup:
        return []
    return [Finding(Check.KEYS, "School", "number", sum(int(n) for *_, n in dup),
                    tuple(f"number {shown(number)}: schoolID={ids}"
                          for number, ids, _ in dup[:FIRST_N]),
                    f"{len(dup)} school number(s) belong to more than one school; each school "
                    "needs its own number (it names the school's workbook)")]


def _report_year_findings(con: duckdb.DuckDBPyConnection, schema: str, end_year: int,
                          included: Collection[str]) -> list[Finding]:
    """No included school (L-2) with a calendar of the report year: every report would be
    empty, which is never a real week (a calendar export of another year looks like this)."""
    years = con.execute(
        f"SELECT c.endYear, count(*) FROM {q(schema)}.Calendar AS c "
        f"JOIN {q(schema)}.School AS s USING (schoolID) "
        f"WHERE list_contains(?, s.stateClassification) GROUP BY c.endYear "
        f"ORDER BY c.endYear", [sorted(included)]).fetchall()
    if any(year == end_year for year, _ in years):
        return []
    found = ", ".join(f"{year} ({n})" for year, n in years[:FIRST_N]) or "none"
    return [Finding(Check.YEAR, "Calendar", "endYear", 0, (),
                    f"no included school has a calendar of endYear {end_year} (the manifest's "
                    f"report year), so every report would be empty; calendars of included "
                    f"schools by endYear: {found}")]


def _district_findings(con: duckdb.DuckDBPyConnection, schema: str,
                       manifest: Manifest | None) -> list[Finding]:
    """Exactly one District row with a key (a row whose key is blank would be left out, and
    every report needs the district's number and name), and the manifest agrees with it."""
    rows = con.execute(f"SELECT number, districtID IS NULL FROM {q(schema)}.District "
                       "ORDER BY districtID").fetchall()
    numbers = [number for number, blank in rows if not blank]
    if len(numbers) != 1:
        blank = len(rows) - len(numbers)
        return [Finding(Check.MANIFEST, "District", None, len(rows), (),
                        f"District must hold exactly one row (the snapshot's district); "
                        f"it holds {len(numbers)}"
                        + (f" ({blank} more with a blank districtID)" if blank else ""))]
    if manifest and manifest.district_number is not None and manifest.district_number != numbers[0]:
        return [Finding(Check.MANIFEST, "District", "number", 1, (),
                        f"manifest.json districtNumber {shown(manifest.district_number)} differs "
                        f"from the District row's number {shown(numbers[0])}")]
    return []
