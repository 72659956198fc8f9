"""Broken and hostile snapshots: random mutations of the bundled sample, and the harness that
refreshes one against a deployment already holding a good publication and lists every promise
of snapshot.md ("Integrity") and outputs.md the refresh broke.

Used by `snapshot/test_mutations.py` (Hypothesis draws the mutations). Nothing here changes
`data/sample`: the sample is read once into memory and each example writes its own copy.

The harness, per example (`run_example`):

1. a fresh folder `P` holds `snap/` (the mutated snapshot), `out/` and `db/` (copies of the good
   deployment: the output tree with its relative `latest` symlink, and the DuckDB file) and
   `cwd/` (the working directory during the command, so a file written relative to it shows),
   and the default database, output and snapshots folders (LEAD_DATABASE, LEAD_OUTPUT_DIR,
   LEAD_SNAPSHOTS_ROOT) point into a `defaults/` folder that does not exist, so a write to a
   default the command line overrode shows too;
2. `lead-pipeline refresh --snapshot P/snap --output P/out --database P/db/w.duckdb` runs
   in-process (`lead_pipeline.cli.main`), its stdout and stderr captured;
3. the invariants are checked (`Example.violations` lists the broken ones, by category).
"""

from __future__ import annotations

import builtins
import contextlib
import csv
import functools
import hashlib
import io
import json
import os
import re
import shutil
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
from hypothesis import strategies as st

from lead_pipeline.lib.paths import project_root
from lead_pipeline.lib.snapshot.schema import TABLES, Kind

SAMPLE = project_root() / "data" / "sample"
MANIFEST = "manifest.json"

# ---- the sample, read once -------------------------------------------------------------------


def read_files(folder: Path) -> dict[str, bytes]:
    """Every file of a snapshot folder (name -> bytes); `planted.json` is the generator's note
    of planted problems, not part of the contract, and is left out."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())
            if p.is_file() and p.name != "planted.json"}


def write_files(files: dict[str, bytes], folder: Path) -> Path:
    folder.mkdir(parents=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return folder


SAMPLE_FILES: dict[str, bytes] = read_files(SAMPLE)
CSV_TABLES: tuple[str, ...] = tuple(sorted(n[:-4] for n in SAMPLE_FILES if n.endswith(".csv")))
FILES: tuple[str, ...] = (MANIFEST, *(f"{t}.csv" for t in CSV_TABLES))
TABLE_BY_NAME = {t.name: t for t in TABLES}

PRIVATE_COLUMNS: dict[str, tuple[str, ...]] = {
    "Identity": ("lastName", "firstName", "middleName", "birthDate"),
    "Person": ("stateID", "studentNumber"),
}
"""The values that must never be printed (the brief's list: names, birth dates, state ids and
student numbers); every other column the schema marks private is left out of the public
corpus below too, so it is never taken as "may rightly appear"."""

# ---- CSV records, byte-preserving ------------------------------------------------------------


def split_records(data: bytes) -> list[bytes]:
    """The file's records, each with its own line end: lines split at LF and joined again while
    a quote is open (RFC 4180 newlines inside quotes). Joining the records gives `data` back."""
    pieces = data.split(b"\n")
    lines = [p + b"\n" for p in pieces[:-1]] + ([pieces[-1]] if pieces[-1] else [])
    records: list[bytes] = []
    current: list[bytes] = []
    odd = False
    for line in lines:
        current.append(line)
        odd ^= line.count(b'"') % 2 == 1
        if not odd:
            records.append(b"".join(current))
            current = []
    if current:
        records.append(b"".join(current))
    return records


def _terminator(record: bytes) -> bytes:
    if record.endswith(b"\r\n"):
        return b"\r\n"
    return b"\n" if record.endswith(b"\n") else b""


def parse_record(record: bytes) -> list[str]:
    """The fields of one record (bytes that are not UTF-8 kept as surrogate escapes)."""
    body = record[: len(record) - len(_terminator(record))]
    text = body.decode("utf-8", "surrogateescape")
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error:
        rows = []
    if len(rows) == 1:
        return rows[0]
    return text.split(",")


def format_record(fields: list[str], terminator: bytes) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(fields)  # quotes fields holding CR or LF
    return out.getvalue()[:-2].encode("utf-8", "surrogateescape") + terminator


def count_rows(data: bytes) -> int:
    """Data rows of a CSV file as RFC 4180 reads it (the oracle of "rows in the file"): the
    records after the header, blank lines not counted (DuckDB skips them too)."""
    text = data.decode("utf-8-sig", "surrogateescape")
    records = [r for r in csv.reader(io.StringIO(text, newline="")) if r]
    return max(len(records) - 1, 0)


# ---- the mutations -----------------------------------------------------------------------------

LONG_TEXT = "Ab" * 50_000

VALUES: dict[str, str] = {
    "empty": "",
    "blank": " ",
    "100,000 characters": LONG_TEXT,
    "Excel 1.03457E+9": "1.03457E+9",
    "-1": "-1",
    "-2027": "-2027",
    "0": "0",
    "2**53": str(2**53),
    "2**53-1": str(2**53 - 1),
    "2**63-1": str(2**63 - 1),
    "2**63": str(2**63),
    "2**64": str(2**64),
    "an id of no row": "987654321",
    "' 12 '": " 12 ",
    "+7": "+7",
    "3.0": "3.0",
    "Arabic digits": "\u0661\u0662\u0663",
    "full-width 005": "\uff10\uff10\uff15",
    "school 5": "5",
    "school '005 '": "005 ",
    "school ' 005'": " 005",
    "school 0005": "0005",
    "school 005/../../x": "005/../../x",
    "school 005/../../../../x": "005/../../../../x",
    "school ../../../../x": "../../../../x",
    "NUL inside": "12\x003",
    "ESC sequence": "\x1b[31mred\x1b[0m",
    "BEL inside": "a\x07b",
    "DEL": "x\x7f",
    "tab inside": "a\tb",
    "newline inside": "a\nb",
    "CR inside": "a\rb",
    "formula": '=HYPERLINK("http://example.invalid","x")',
    "'#' first": "#1",
    "BOM first": "\ufeff5",
    "right-to-left mark": "\u202e500",
    "2026-02-30": "2026-02-30",
    "0001-01-01": "0001-01-01",
    "9999-12-31": "9999-12-31",
    "26-11-21": "26-11-21",
}
SCHOOL_NUMBERS = [k for k in VALUES if k.startswith("school ")] + [
    "empty", "full-width 005", "NUL inside", "Arabic digits"]
ID_VALUES = ["empty", "Excel 1.03457E+9", "-1", "0", "2**53", "2**53-1", "2**63-1", "2**63",
             "2**64", "an id of no row", "' 12 '", "+7", "3.0", "Arabic digits"]

INSERTS: dict[str, bytes] = {
    "NUL": b"\x00",
    "SOH": b"\x01",
    "ESC": b"\x1b",
    "DEL": b"\x7f",
    "BOM": b"\xef\xbb\xbf",
    "lone 0xff": b"\xff",
    "lone lead byte 0xc3": b"\xc3",
    "invalid pair 0xc3 0x28": b"\xc3\x28",
    "UTF-16 BOM": b"\xff\xfe",
    "surrogate 0xed 0xa0 0x80": b"\xed\xa0\x80",
    "CR": b"\r",
    "LF": b"\n",
    "tab": b"\t",
    "quote": b'"',
    "comma": b",",
    "CRLF": b"\r\n",
}
FLIP_BYTES = (0x00, 0x01, 0x09, 0x0A, 0x0D, 0x1B, 0x22, 0x2C, 0x7F, 0x80, 0xC3, 0xFF, 0x3B)


def _records(files: dict[str, bytes], table: str) -> list[bytes] | None:
    data = files.get(f"{table}.csv")
    return None if data is None else split_records(data)


def _put(files: dict[str, bytes], table: str, records: list[bytes]) -> None:
    files[f"{table}.csv"] = b"".join(records)


def _fields(record: bytes) -> tuple[list[str], bytes]:
    return parse_record(record), _terminator(record)


def _column_index(table: str, column: str, header: list[str]) -> int:
    """Where `column` is in this (possibly already mutated) header: by its exact name, else
    by its place in the sample's header."""
    if column in header:
        return header.index(column)
    return HEADERS[table].index(column)


HEADERS: dict[str, list[str]] = {
    t: parse_record(split_records(SAMPLE_FILES[f"{t}.csv"])[0]) for t in CSV_TABLES}


class Mutation:
    """One change to the snapshot's files. `apply` edits the dict and says what it did (never
    quoting a value of the snapshot: the description is printed by the test)."""

    def apply(self, files: dict[str, bytes]) -> str:
        raise NotImplementedError


@dataclass(frozen=True)
class FlipByte(Mutation):
    file: str
    position: int
    byte: int

    def apply(self, files: dict[str, bytes]) -> str:
        data = files.get(self.file)
        if not data:
            return f"{self!r}: skipped, no such file or empty"
        at = self.position % len(data)
        files[self.file] = data[:at] + bytes([self.byte]) + data[at + 1:]
        return f"{self.file}: byte {at} of {len(data)} set to 0x{self.byte:02x}"


@dataclass(frozen=True)
class InsertBytes(Mutation):
    file: str
    position: int
    what: str

    def apply(self, files: dict[str, bytes]) -> str:
        data = files.get(self.file)
        if data is None:
            return f"{self!r}: skipped, no such file"
        at = self.position % (len(data) + 1)
        files[self.file] = data[:at] + INSERTS[self.what] + data[at:]
        return f"{self.file}: {self.what} inserted at byte {at} of {len(data)}"


@dataclass(frozen=True)
class DeleteBytes(Mutation):
    file: str
    position: int
    count: int

    def apply(self, files: dict[str, bytes]) -> str:
        data = files.get(self.file)
        if not data:
            return f"{self!r}: skipped, no such file or empty"
        at = self.position % len(data)
        files[self.file] = data[:at] + data[at + self.count:]
        return f"{self.file}: {self.count} byte(s) deleted at byte {at} of {len(data)}"


@dataclass(frozen=True)
class UnbalanceQuote(Mutation):
    """A lone double quote opened at the start of a field, or inside one."""

    table: str
    row: int
    column: int
    inside: bool

    def apply(self, files: dict[str, bytes]) -> str:
        records = _records(files, self.table)
        if not records:
            return f"{self!r}: skipped, no records"
        at = self.row % len(records)
        body = records[at]
        cut = [i for i, b in enumerate(body) if b == ord(",")]
        start = 0 if not cut else (cut[self.column % len(cut)] + 1 if self.column else 0)
        start += 1 if self.inside and start < len(body.rstrip(b"\r\n")) else 0
        records[at] = body[:start] + b'"' + body[start:]
        _put(files, self.table, records)
        return (f"{self.table}.csv record {at}: a lone quote at byte {start} of the line"
                f"{' (inside a field)' if self.inside else ''}")


@dataclass(frozen=True)
class ReplaceDelimiter(Mutation):
    table: str
    row: int
    delimiter: str
    every: bool

    def apply(self, files: dict[str, bytes]) -> str:
        records = _records(files, self.table)
        if not records:
            return f"{self!r}: skipped, no records"
        at = self.row % len(records)
        new = self.delimiter.encode()
        records[at] = (records[at].replace(b",", new) if self.every
                       else records[at].replace(b",", new, 1))
        _put(files, self.table, records)
        return (f"{self.table}.csv record {at}: {'every' if self.every else 'the first'} "
                f"comma replaced by {self.delimiter!r}")


@dataclass(frozen=True)
class HeaderChange(Mutation):
    """duplicate / drop / reorder a header column, with the rows' values or the header alone."""

    table: str
    column: str
    how: str
    """duplicate, drop or swap (with `other`)."""
    with_data: bool
    other: str = ""

    def apply(self, files: dict[str, bytes]) -> str:
        records = _records(files, self.table)
        if not records:
            return f"{self!r}: skipped, no records"
        header, end = _fields(records[0])
        i = _column_index(self.table, self.column, header)
        j = _column_index(self.table, self.other, header) if self.other else i
        if i >= len(header) or j >= len(header):
            return f"{self!r}: skipped, header too short"

        def change(fields: list[str]) -> list[str]:
            fields = list(fields)
            if max(i, j) >= len(fields):
                return fields
            if self.how == "duplicate":
                fields.append(fields[i])
            elif self.how == "drop":
                del fields[i]
            else:
                fields[i], fields[j] = fields[j], fields[i]
            return fields

        records[0] = format_record(change(header), end)
        if self.with_data:
            for n in range(1, len(records)):
                fields, end = _fields(records[n])
                records[n] = format_record(change(fields), end)
        _put(files, self.table, records)
        what = f"{self.how} {self.column}" + (f" and {self.other}" if self.other else "")
        return (f"{self.table}.csv header: {what} "
                f"({'with every row' if self.with_data else 'the header only'})")


RENAMES: dict[str, Callable[[str], str]] = {
    "UPPER": str.upper,
    "lower": str.lower,
    "Capitalized": lambda s: s[:1].upper() + s[1:],
    "leading space": lambda s: " " + s,
    "trailing space": lambda s: s + " ",
    "spaces around": lambda s: "  " + s + " ",
    "quoted": lambda s: s,  # the writer quotes nothing here: see apply
    "BOM before": lambda s: "\ufeff" + s,
}


@dataclass(frozen=True)
class RenameColumn(Mutation):
    table: str
    column: str
    style: str

    def apply(self, files: dict[str, bytes]) -> str:
        records = _records(files, self.table)
        if not records:
            return f"{self!r}: skipped, no records"
        header, end = _fields(records[0])
        i = _column_index(self.table, self.column, header)
        if i >= len(header):
            return f"{self!r}: skipped, header too short"
        header[i] = RENAMES[self.style](header[i])
        line = format_record(header, end)
        if self.style == "quoted":  # "personID": the same name, RFC 4180 quoting
            parts = line.split(b",")
            parts[i] = b'"' + parts[i].rstrip(b"\r\n") + b'"' + _terminator(parts[i])
            line = b",".join(parts)
        records[0] = line
        _put(files, self.table, records)
        return f"{self.table}.csv header: column {self.column} renamed ({self.style})"


@dataclass(frozen=True)
class SetValue(Mutation):
    table: str
    row: int
    column: str
    value: str
    """A key of VALUES."""

    def apply(self, files: dict[str, bytes]) -> str:
        records = _records(files, self.table)
        if not records or len(records) < 2:
            return f"{self!r}: skipped, no data rows"
        at = 1 + self.row % (len(records) - 1)
        header = parse_record(records[0])
        i = _column_index(self.table, self.column, header)
        fields, end = _fields(records[at])
        if i >= len(fields):
            return f"{self!r}: skipped, record too short"
        fields[i] = VALUES[self.value]
        records[at] = format_record(fields, end)
        _put(files, self.table, records)
        return f"{self.table}.csv data row {at}: {self.column} set to {self.value!r}"


AMOUNTS = ("1", "5", "40%", "60%", "all")


@dataclass(frozen=True)
class DropRows(Mutation):
    table: str
    row: int
    amount: str

    def apply(self, files: dict[str, bytes]) -> str:
        records = _records(files, self.table)
        if not records or len(records) < 2:
            return f"{self!r}: skipped, no data rows"
        data = records[1:]
        n = (len(data) if self.amount == "all" else
             len(data) * int(self.amount[:-1]) // 100 if self.amount.endswith("%") else
             min(int(self.amount), len(data)))
        start = self.row % len(data)
        keep = [r for k, r in enumerate(data) if not (0 <= (k - start) % len(data) < n)]
        _put(files, self.table, [records[0], *keep])
        return f"{self.table}.csv: {n} of {len(data)} data rows dropped from row {start + 1}"


@dataclass(frozen=True)
class DuplicateRows(Mutation):
    table: str
    row: int
    count: int

    def apply(self, files: dict[str, bytes]) -> str:
        records = _records(files, self.table)
        if not records or len(records) < 2:
            return f"{self!r}: skipped, no data rows"
        at = 1 + self.row % (len(records) - 1)
        if not _terminator(records[at]):  # the last record, without a line end
            records[at] += b"\n"
        records[at + 1:at + 1] = [records[at]] * self.count
        _put(files, self.table, records)
        return f"{self.table}.csv data row {at} duplicated {self.count} time(s)"


TRUNCATIONS = ("header only", "mid-line", "empty file", "no final newline", "header cut")


@dataclass(frozen=True)
class Truncate(Mutation):
    table: str
    how: str
    position: int

    def apply(self, files: dict[str, bytes]) -> str:
        records = _records(files, self.table)
        if records is None:
            return f"{self!r}: skipped, no such file"
        data = b"".join(records)
        header = records[0] if records else b""
        match self.how:
            case "header only":
                new = header
            case "empty file":
                new = b""
            case "no final newline":
                new = data.rstrip(b"\r\n")
            case "header cut":
                new = header[: self.position % max(len(header), 1)]
            case _:  # mid-line: somewhere after the header, not at a line end
                body = len(data) - len(header)
                new = data[: len(header) + 1 + self.position % max(body - 1, 1)]
                while new.endswith((b"\n", b"\r")) and len(new) > len(header) + 1:
                    new = new[:-1]
        files[f"{self.table}.csv"] = new
        return f"{self.table}.csv truncated ({self.how}): {len(new)} of {len(data)} bytes kept"


@dataclass(frozen=True)
class DeleteFile(Mutation):
    table: str

    def apply(self, files: dict[str, bytes]) -> str:
        gone = files.pop(f"{self.table}.csv", None)
        return f"{self.table}.csv deleted" + ("" if gone is not None else " (was not there)")


MANIFEST_VALUES: dict[str, dict[str, object]] = {
    "snapshotDate": {
        "0001-01-01": "0001-01-01", "2062-11-21": "2062-11-21", "9999-12-31": "9999-12-31",
        "2026-11-28 (next week)": "2026-11-28", "2025-07-01 (first day)": "2025-07-01",
        "2025-06-30": "2025-06-30", "2027-12-31": "2027-12-31", "2026-02-30": "2026-02-30",
        "2026-11-21T00:00": "2026-11-21T00:00", "int 20261121": 20261121, "null": None,
        "list": ["2026-11-21"], "empty": "",
    },
    "endYear": {
        "-2027": -2027, "10000": 10000, "0": 0, "1999": 1999, "2101": 2101, "2062": 2062,
        "2026 (last year)": 2026, "2028": 2028, "string '2027'": "2027", "2027.0": 2027.0,
        "'2027.5'": "2027.5", "true": True, "null": None, "object": {"year": 2027},
    },
    "districtNumber": {
        "'166' (another district)": "166", "int 165": 165, "'16'": "16", "'0165'": "0165",
        "'165 '": "165 ", "'../165'": "../165", "null": None, "'16\\x005'": "16\x005",
    },
    "state": {"'KS'": "KS", "int 5": 5, "null": None},
    "format": {"'parquet'": "parquet", "'xlsx'": "xlsx", "int 1": 1, "null": None},
}
MANIFEST_RAW: dict[str, bytes] = {
    "empty": b"",
    "JSON list": b"[]",
    "JSON null": b"null",
    "JSON string": b'"2026-11-21"',
    "cut JSON": b'{"snapshotDate": "2026-11-21", "endY',
    "BOM + the same JSON": b"\xef\xbb\xbf" + SAMPLE_FILES[MANIFEST],
    "UTF-16": SAMPLE_FILES[MANIFEST].decode().encode("utf-16"),
}


@dataclass(frozen=True)
class ManifestField(Mutation):
    name: str
    value: str
    """A key of MANIFEST_VALUES[name], or "removed"."""

    def apply(self, files: dict[str, bytes]) -> str:
        try:
            manifest = json.loads(files.get(MANIFEST, b"").decode("utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            return f"{self!r}: skipped, manifest is not JSON any more"
        if not isinstance(manifest, dict):
            return f"{self!r}: skipped, manifest is not an object"
        if self.value == "removed":
            manifest.pop(self.name, None)
        else:
            manifest[self.name] = MANIFEST_VALUES[self.name][self.value]
        files[MANIFEST] = json.dumps(manifest, indent=1).encode()
        return f"manifest.json {self.name}: {self.value}"


@dataclass(frozen=True)
class ManifestRaw(Mutation):
    what: str

    def apply(self, files: dict[str, bytes]) -> str:
        files[MANIFEST] = MANIFEST_RAW[self.what]
        return f"manifest.json replaced: {self.what}"


def apply_all(mutations: list[Mutation], files: dict[str, bytes] | None = None
              ) -> tuple[dict[str, bytes], list[str]]:
    files = dict(SAMPLE_FILES if files is None else files)
    return files, [m.apply(files) for m in mutations]


# ---- strategies ---------------------------------------------------------------------------------

CORE_TABLES = ("District", "School", "Calendar", "Person", "Identity", "Enrollment", "Course",
               "Section", "Roster")
"""Half the draws pick one of these: the tables every report reads, the private ones and the
ones whose values become file names."""

positions = st.integers(min_value=0, max_value=2**24)
rows = st.integers(min_value=0, max_value=2**16)
tables = st.one_of(st.sampled_from(CORE_TABLES), st.sampled_from(CSV_TABLES))


@st.composite
def _table_column(draw: st.DrawFn) -> tuple[str, str]:
    table = draw(tables)
    return table, draw(st.sampled_from(HEADERS[table]))


@st.composite
def _set_value(draw: st.DrawFn) -> SetValue:
    table, column = draw(_table_column())
    col = TABLE_BY_NAME[table].column_by_name.get(column) if table in TABLE_BY_NAME else None
    pool = sorted(VALUES)
    if col is not None and col.kind is Kind.INT:
        pool = draw(st.sampled_from([ID_VALUES, pool]))
    return SetValue(table, draw(rows), column, draw(st.sampled_from(pool)))


@st.composite
def _file_name_value(draw: st.DrawFn) -> SetValue:
    """A school or district number: these become file names."""
    table, column = draw(st.sampled_from([("School", "number"), ("District", "number")]))
    return SetValue(table, draw(rows), column, draw(st.sampled_from(SCHOOL_NUMBERS)))


@st.composite
def _header_change(draw: st.DrawFn) -> HeaderChange:
    table, column = draw(_table_column())
    how = draw(st.sampled_from(["duplicate", "drop", "swap"]))
    other = draw(st.sampled_from([c for c in HEADERS[table] if c != column])) if (
        how == "swap" and len(HEADERS[table]) > 1) else ""
    return HeaderChange(table, column, "duplicate" if how == "swap" and not other else how,
                        draw(st.booleans()), other)


@st.composite
def _private_column_moved(draw: st.DrawFn) -> HeaderChange:
    """A header naming a private column where another column's values are (or the reverse):
    the values a message may quote are then names, birth dates or state ids."""
    table = draw(st.sampled_from(sorted(PRIVATE_COLUMNS)))
    private = draw(st.sampled_from(PRIVATE_COLUMNS[table]))
    other = draw(st.sampled_from([c for c in HEADERS[table] if c != private]))
    return HeaderChange(table, other, "swap", False, private)


@st.composite
def _manifest_field(draw: st.DrawFn) -> ManifestField:
    name = draw(st.sampled_from(sorted(MANIFEST_VALUES)))
    return ManifestField(name, draw(st.sampled_from(["removed", *MANIFEST_VALUES[name]])))


def mutation() -> st.SearchStrategy[Mutation]:
    """One mutation; the simplest kinds first (Hypothesis shrinks towards them)."""
    return st.one_of(
        _manifest_field(),
        st.builds(ManifestRaw, st.sampled_from(sorted(MANIFEST_RAW))),
        st.builds(DeleteFile, tables),
        st.builds(Truncate, tables, st.sampled_from(TRUNCATIONS), positions),
        st.builds(DropRows, tables, rows, st.sampled_from(AMOUNTS)),
        st.builds(DuplicateRows, tables, rows, st.integers(1, 3)),
        _file_name_value(),
        _set_value(),
        st.builds(lambda tc, style: RenameColumn(tc[0], tc[1], style), _table_column(),
                  st.sampled_from(sorted(RENAMES))),
        _header_change(),
        _private_column_moved(),
        st.builds(ReplaceDelimiter, tables, rows, st.sampled_from([";", "\t", "|", " "]),
                  st.booleans()),
        st.builds(UnbalanceQuote, tables, rows, st.integers(0, 12), st.booleans()),
        st.builds(FlipByte, st.sampled_from(FILES), positions,
                  st.one_of(st.sampled_from(FLIP_BYTES), st.integers(0, 255))),
        st.builds(InsertBytes, st.sampled_from(FILES), positions, st.sampled_from(sorted(INSERTS))),
        st.builds(DeleteBytes, st.sampled_from(FILES), positions, st.integers(1, 8)),
    )


def mutation_lists() -> st.SearchStrategy[list[Mutation]]:
    """1-3 mutations, one alone about half the time (so more snapshots still pass integrity
    and the warnings' accounting is tested); shrinks towards one."""
    return st.one_of(st.lists(mutation(), min_size=1, max_size=1),
                     st.lists(mutation(), min_size=2, max_size=3))


# ---- what the output may and may not show ----------------------------------------------------

_TOKEN = re.compile(r"\d{4}-\d{2}-\d{2}|[^\W_]+")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def tokens(text: str) -> set[str]:
    """Dates whole, else maximal runs of letters and digits."""
    return set(_TOKEN.findall(text))


def _public_text() -> str:
    """Text that may rightly appear in the output: every message template and name of the
    code (lead_pipeline/**/*.py, but not lib/generator/, whose name pools made the sample's
    students), the reference code tables and every value of a column of the sample that is not
    private (school, course and district names, codes, ids, dates)."""
    code = project_root() / "lead_pipeline"
    parts = [p.read_text(encoding="utf-8") for p in sorted(code.rglob("*.py"))
             if (code / "lib" / "generator") not in p.parents]
    parts += [p.read_text(encoding="utf-8") for p in sorted(
        (project_root() / "data" / "reference").glob("*.csv"))]
    for name in CSV_TABLES:
        records = split_records(SAMPLE_FILES[f"{name}.csv"])
        header = parse_record(records[0])
        table = TABLE_BY_NAME.get(name)
        private = {c.name for c in table.columns if c.private} if table else set()
        keep = [i for i, c in enumerate(header) if c not in private]
        parts.append(" ".join(header))
        for record in records[1:]:
            fields = parse_record(record)
            parts.append(" ".join(fields[i] for i in keep if i < len(fields)))
    return "\n".join(parts)


def private_values(files: dict[str, bytes]) -> dict[str, str]:
    """Each private value of the snapshot -> its column (`Table.column`): the cells of the
    private columns, read by the sample's column positions and by the header's names (a
    mutated header may have moved them)."""
    found: dict[str, str] = {}
    for table, columns in PRIVATE_COLUMNS.items():
        data = files.get(f"{table}.csv")
        if not data:
            continue
        records = split_records(data)
        header = [h.strip().lstrip("\ufeff").lower() for h in parse_record(records[0])]
        places: dict[int, str] = {}
        for column in columns:
            places[HEADERS[table].index(column)] = column
            if column.lower() in header:
                places.setdefault(header.index(column.lower()), column)
        for record in records[1:]:
            fields = parse_record(record)
            for i, column in places.items():
                if i < len(fields) and fields[i]:
                    found.setdefault(fields[i], f"{table}.{column}")
    return found


@functools.cache
def _sample_private_values() -> dict[str, str]:
    return private_values(SAMPLE_FILES)


@dataclass(frozen=True)
class Privacy:
    """The rule for "no private value in the output".

    A private value is watched through its tokens (`tokens`: a date whole, else each run of
    letters and digits) of at least 4 characters that are not *public tokens*: tokens of the
    code's own text (every message template), the reference tables, the non-private columns of
    the sample, the good refresh's output, and, per example, the values the mutations wrote into
    non-private places, the manifest and the example's folder names. A watched token standing
    as a whole token in the output is a leak; a state id with leading zeros is watched also
    without them when 6 or more digits remain (as a number, 0016543209 prints 16543209). So
    "Ramírez" of `Ramírez "Ray"` is watched and "Ray" is not (too short); a student named
    "Grove" is not watched when a school is "Maple Grove Elementary"; a birth date that is also
    a teacher's start date is not watched.
    """

    public: frozenset[str]

    def watched(self, values: dict[str, str], extra_public: set[str],
                shortest: int = 4) -> dict[str, str]:
        """Token -> column of the private tokens to look for (`shortest` 2: the ones the
        test's own messages mask, short names included)."""
        out: dict[str, str] = {}
        for value, column in values.items():
            for token in tokens(value):
                forms = [token]
                if token.isascii() and token.isdigit() and len(token.lstrip("0")) >= 6:
                    forms.append(token.lstrip("0"))  # read as a number: leading zeros gone
                for form in forms:
                    if (len(form) >= shortest and form not in self.public
                            and form not in extra_public):
                        out.setdefault(form, column)
        return out


def exception_names() -> frozenset[str]:
    """Python's exception classes and the project's own (`class X(...Error)` in the code)."""
    names = {n for n, v in vars(builtins).items()
             if isinstance(v, type) and issubclass(v, BaseException)}
    for path in (project_root() / "lead_pipeline").rglob("*.py"):
        names |= set(re.findall(r"^class (\w+)\([^)]*(?:Error|Exception|Failure)[^)]*\)",
                                path.read_text(encoding="utf-8"), re.M))
    return frozenset(names)


def traceback_lines(text: str, names: frozenset[str]) -> list[str]:
    """Lines that show a Python traceback or exception: "Traceback", 'File "', or an
    exception class (optionally module-qualified) followed by ':' or ending the line — a
    built-in or project exception, or any CamelCase name ending in Error, Exception or
    Failure. DuckDB's own message kinds ("Invalid Input Error: ...") are words, not classes,
    and do not count."""
    known = "|".join(sorted(map(re.escape, names), key=len, reverse=True))
    exc = re.compile(
        r"(?<![\w.])(?:[A-Za-z_]\w*\.)*(?:" + known + r"|[A-Z]\w*(?:Error|Exception|Failure))"
        r"(?::(?:\s|$)|\s*$)")
    return [line for line in text.splitlines()
            if "Traceback" in line or 'File "' in line or exc.search(line.strip())]


# ---- the good deployment and one example -------------------------------------------------------


def tree_digest(root: Path) -> dict[str, str]:
    """Every entry under the output root -> "dir", "link:<target>" or the file's sha256;
    except the hidden leftovers a later refresh removes (publish.recover): `.staging-*` and
    `.latest-*` at the root, `.<date>.replaced-*` and `.pruned-*` in a year folder."""
    found: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        rel_dir = here.relative_to(root)
        for name in [*dirnames, *filenames]:
            rel = rel_dir / name
            if ignorable(rel):
                continue
            path = here / name
            if path.is_symlink():
                found[str(rel)] = f"link:{os.readlink(path)}"
            elif path.is_dir():
                found[str(rel)] = "dir"
            else:
                found[str(rel)] = hashlib.sha256(path.read_bytes()).hexdigest()
        dirnames[:] = [d for d in dirnames
                       if not ignorable(rel_dir / d) and not (here / d).is_symlink()]
    return found


def ignorable(rel: Path) -> bool:
    parts = rel.parts
    if len(parts) >= 1 and parts[0].startswith((".staging-", ".latest-")):
        return True
    return len(parts) >= 2 and re.fullmatch(r"\d{4}", parts[0]) is not None and (
        (parts[1].startswith(".") and ".replaced-" in parts[1])
        or parts[1].startswith(".pruned-"))


def listing(parent: Path, skip: set[str]) -> dict[str, str]:
    """Everything under `parent` but the top-level folders `skip`: path -> kind and size."""
    found: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(parent):
        here = Path(dirpath)
        if here == parent:
            dirnames[:] = [d for d in dirnames if d not in skip]
            filenames = [f for f in filenames if f not in skip]
        for name in [*dirnames, *filenames]:
            path = here / name
            kind = ("link" if path.is_symlink() else "dir" if path.is_dir()
                    else f"file {path.stat().st_size}")
            found[str(path.relative_to(parent))] = kind
    return found


@dataclass(frozen=True)
class Load:
    load_id: int
    snapshot_date: date
    end_year: int
    families: tuple[str, ...]
    present: tuple[str, ...]
    rows: dict[str, int]


def read_current(database: Path) -> Load | None:
    """The database's current snapshot, opened read-only after the command finished."""
    from lead_pipeline.lib.snapshot import store

    with duckdb.connect(str(database), read_only=True) as con:
        current = store.current(con)
        if current is None:
            return None
        rows = {t.name: int(con.execute(  # type: ignore[index]
            f'SELECT count(*) FROM snapshot."{t.name}"').fetchone()[0]) for t in TABLES}
    return Load(current.load_id, current.snapshot_date, current.end_year,
                tuple(current.families), tuple(current.present), rows)


@dataclass
class Run:
    code: int | None
    out: str
    err: str
    raised: str | None

    @property
    def text(self) -> str:
        return self.out + self.err

    def __repr__(self) -> str:  # the output may hold private values: never shown raw
        return f"Run(code={self.code!r}, {len(self.text)} characters of output)"


DEFAULT_WRITE_TARGETS = {  # lib/paths.py: what a refresh writes when not told where
    "LEAD_DATABASE": "warehouse/lead_pipeline.duckdb",
    "LEAD_OUTPUT_DIR": "output",
    "LEAD_SNAPSHOTS_ROOT": "snapshots",
}


def run_cli(argv: list[str], cwd: Path | None = None,
            drain: Callable[[], str] | None = None, defaults: Path | None = None) -> Run:
    """`lead_pipeline.cli.main(argv)` in-process, stdout and stderr captured; anything written
    to the file descriptors directly comes from `drain` (the test's capfd). With `defaults`,
    the default database, output and snapshots folders (lib/paths.py) point under it during
    the command, so a write to a default the command line overrode shows there."""
    from lead_pipeline.cli import main

    out, err = io.StringIO(), io.StringIO()
    code: int | None = None
    raised: str | None = None
    old = Path.cwd()
    saved = {name: os.environ.get(name) for name in DEFAULT_WRITE_TARGETS}
    if drain:
        drain()
    try:
        if defaults:
            os.environ.update({name: str(defaults / rel)
                               for name, rel in DEFAULT_WRITE_TARGETS.items()})
        if cwd:
            os.chdir(cwd)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(argv)
            except SystemExit as exc:  # argparse and explicit exits: the process's status
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
                if exc.code is not None and not isinstance(exc.code, int):
                    print(exc.code, file=err)
            except Exception as exc:  # the test reports it (Ctrl-C still stops the test)
                raised = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    finally:
        os.chdir(old)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    extra = drain() if drain else ""
    return Run(code, out.getvalue(), err.getvalue() + extra, raised)


@dataclass
class Deployment:
    """The good deployment every example starts from: the sample refreshed once."""

    folder: Path
    output: Path
    database: Path
    tree: dict[str, str]
    latest: str
    load: Load
    baseline: Run
    privacy: Privacy
    exceptions: frozenset[str]
    examples: Path
    counter: list[int] = field(default_factory=lambda: [0])

    def __repr__(self) -> str:  # Hypothesis prints the test's arguments
        return f"Deployment({str(self.folder)!r})"

    def _repr_pretty_(self, p: object, cycle: bool) -> None:  # Hypothesis's own printer
        p.text(repr(self))  # type: ignore[attr-defined]



def refresh_argv(snapshot: Path, output: Path, database: Path) -> list[str]:
    """`lead-pipeline refresh` with every folder given (never `--accept-smaller`)."""
    return ["refresh", "--snapshot", str(snapshot), "--output", str(output),
            "--database", str(database)]


DB_NAME = "w.duckdb"


def build_deployment(folder: Path, drain: Callable[[], str] | None = None) -> Deployment:
    snap = write_files(SAMPLE_FILES, folder / "sample")
    output, database = folder / "out", folder / "db" / DB_NAME
    (folder / "cwd").mkdir()
    baseline = run_cli(refresh_argv(snap, output, database), folder / "cwd", drain,
                       defaults=folder / "defaults")
    if baseline.code != 0 or baseline.raised:
        raise AssertionError(f"the unmutated sample did not publish: exit {baseline.code}, "
                             f"{baseline.raised}\n{baseline.text}")
    load = read_current(database)
    assert load is not None
    public = tokens(_public_text()) | tokens(baseline.text)
    return Deployment(folder, output, database, tree_digest(output),
                      os.readlink(output / "latest"), load, baseline,
                      Privacy(frozenset(public)), exception_names(), folder / "examples")


WARNING = re.compile(r"^  warning: (?P<where>[^:]+): (?P<rows>\d+) row\(s\) (?P<what>.*)$")


def left_out(text: str) -> tuple[dict[str, int], list[str]]:
    """Rows each table's printed warnings say were left out, and the warning lines that did
    not parse.

    A line `  warning: <Table>[.<column>]: <N> row(s) <...>left out<...>` counts N rows of
    <Table> (the part before the first '.'); a `warning:` line of another form counts nothing
    and is returned as unparsed (then a table it names is held only to the weaker rule)."""
    counted: dict[str, int] = {}
    unparsed: list[str] = []
    for line in text.splitlines():
        if not line.startswith("  warning: "):
            continue
        m = WARNING.match(line)
        if m and "left out" in m["what"]:
            table = m["where"].split(".", 1)[0].strip()
            counted[table] = counted.get(table, 0) + int(m["rows"])
        else:
            unparsed.append(line)
    return counted, unparsed


@dataclass
class Example:
    """One example's outcome: what was done, what the command said, what it broke."""

    done: list[str]
    run: Run
    violations: dict[str, list[str]] = field(default_factory=dict)
    watched: dict[str, str] = field(default_factory=dict)
    """Private tokens whose presence in the output is a leak (`Privacy`)."""
    masked: dict[str, str] = field(default_factory=dict)
    """Private tokens the test's own messages never show (the watched ones and shorter)."""

    def add(self, category: str, message: str) -> None:
        self.violations.setdefault(category, []).append(self.mask(message))

    def mask(self, text: str) -> str:
        """Private tokens become `<Table.column>`; control characters their escapes."""
        text = _TOKEN.sub(lambda m: f"<{self.masked[m[0]]}>" if m[0] in self.masked
                          else m[0], text)
        return CONTROL.sub(lambda m: f"\\x{ord(m[0]):02x}", text)

    def by(self, category: str) -> list[str]:
        return self.violations.get(category, [])

    def explain(self) -> str:
        """The broken invariants, one message a line (masked), for an assertion message."""
        return "\n".join(f"{category}: {message}" for category, messages in
                         self.violations.items() for message in messages)

    def __repr__(self) -> str:  # never the raw output nor the watched values
        return f"Example(done={self.done!r}, exit={self.run.code!r}, " \
               f"violations={self.violations!r})"

    def summary(self, lines: int = 40) -> list[str]:
        shown = self.mask(self.run.text).splitlines()
        return [f"exit {self.run.code}" + (f", raised {self.mask(self.run.raised)}"
                                           if self.run.raised else ""),
                *shown[:lines], *([f"... {len(shown) - lines} more lines"]
                                  if len(shown) > lines else [])]


CATEGORIES = ("raised", "exit code", "traceback", "control characters", "private values",
              "latest moved", "published files changed", "database changed",
              "rows unaccounted", "files outside", "publication")


def _injected_public(mutations: list[Mutation], folder: Path) -> set[str]:
    public = tokens(str(folder))
    for m in mutations:
        if isinstance(m, SetValue) and m.column not in PRIVATE_COLUMNS.get(m.table, ()):
            public |= tokens(VALUES[m.value])
        elif isinstance(m, ManifestField) and m.value != "removed":
            public |= tokens(str(MANIFEST_VALUES[m.name][m.value]))
    return public


def run_example(dep: Deployment, mutations: list[Mutation],
                drain: Callable[[], str] | None = None, keep: bool = False) -> Example:
    dep.counter[0] += 1
    parent = dep.examples / f"ex{dep.counter[0]:04d}"
    files, done = apply_all(mutations)
    snap = write_files(files, parent / "snap")
    output, database = parent / "out", parent / "db" / DB_NAME
    shutil.copytree(dep.output, output, symlinks=True)
    database.parent.mkdir()
    for f in dep.database.parent.iterdir():
        if f.name.startswith(DB_NAME) and not f.name.endswith(".lock"):
            shutil.copy2(f, database.parent / f.name)
    (parent / "cwd").mkdir()
    before = listing(parent, {"out", "db"})
    try:
        run = run_cli(refresh_argv(snap, output, database), parent / "cwd", drain,
                      defaults=parent / "defaults")
        ex = Example(done, run)
        values = {**_sample_private_values(), **private_values(files)}
        public = _injected_public(mutations, parent)
        ex.watched = dep.privacy.watched(values, public)
        ex.masked = dep.privacy.watched(values, public, shortest=2)
        check(dep, ex, files, parent, before)
        return ex
    finally:
        if not keep:
            shutil.rmtree(parent, ignore_errors=True)


def check(dep: Deployment, ex: Example, files: dict[str, bytes], parent: Path,
          before: dict[str, str]) -> None:
    run, text = ex.run, ex.run.text
    output, database = parent / "out", parent / "db" / DB_NAME
    if run.raised:
        ex.add("raised", f"cli.main raised {run.raised}")
    if run.code not in (0, 1):
        ex.add("exit code", f"exit code {run.code!r}, expected 0 or 1")
    for line in traceback_lines(text, dep.exceptions):
        ex.add("traceback", f"output line {line!r}")
    for line in text.splitlines():
        if CONTROL.search(line):
            ex.add("control characters", f"output line {line!r}")
    for line in text.splitlines():  # one message a line, naming the columns it shows
        columns = sorted({ex.watched[t] for t in tokens(line) if t in ex.watched})
        if columns:
            ex.add("private values", f"{' and '.join(columns)} printed: {line!r}")

    after = listing(parent, {"out", "db"})
    for path in sorted(set(after) - set(before)):
        ex.add("files outside", f"created outside the output root and the database folder: "
               f"{path} ({after[path]})")
    for path in sorted(set(before) & set(after)):
        if before[path] != after[path]:
            ex.add("files outside", f"changed: {path} ({before[path]} -> {after[path]})")
    for path in sorted(set(before) - set(after)):
        ex.add("files outside", f"removed: {path}")

    try:
        load = read_current(database)
    except duckdb.Error as exc:
        ex.add("database changed", f"the database cannot be opened read-only: "
               f"{str(exc).splitlines()[0]}")
        return
    link = output / "latest"
    target = os.readlink(link) if link.is_symlink() else None

    if run.code == 1:
        if target != dep.latest:
            ex.add("latest moved", f"latest -> {target!r}, was {dep.latest!r}")
        tree = tree_digest(output)
        for path in sorted(set(tree) | set(dep.tree)):
            if tree.get(path) != dep.tree.get(path):
                what = ("new" if path not in dep.tree else "gone" if path not in tree
                        else "changed")
                ex.add("published files changed", f"{what}: {path}")
        if load is None:
            ex.add("database changed", "no current snapshot any more")
        elif (load.load_id, load.snapshot_date) != (dep.load.load_id, dep.load.snapshot_date):
            ex.add("database changed",
                   f"current snapshot is load {load.load_id} of {load.snapshot_date}, was "
                   f"load {dep.load.load_id} of {dep.load.snapshot_date}")
        elif load.rows != dep.load.rows:
            ex.add("database changed", "the current snapshot's row counts changed: " + ", ".join(
                f"{t} {dep.load.rows[t]} -> {n}" for t, n in load.rows.items()
                if n != dep.load.rows[t]))
    elif run.code == 0:
        if load is None or load.load_id == dep.load.load_id:
            ex.add("publication", "exit 0 but the database's current snapshot is still the "
                   "good deployment's")
            return
        check_rows(ex, files, load, text)
        expected = f"{load.end_year}/{load.snapshot_date.isoformat()}"
        if target is None or (output / target).resolve() != (output / expected).resolve():
            ex.add("publication", f"exit 0 with current snapshot {expected} but latest -> "
                   f"{target!r}")
        if not (output / dep.latest).is_dir():
            ex.add("publication", f"exit 0 and the earlier publication {dep.latest} is gone "
                   "(pruning goes by the machine's clock, never by a newer snapshot date)")


def check_rows(ex: Example, files: dict[str, bytes], load: Load, text: str) -> None:
    """Rows in the mutated file - rows of the current snapshot == rows its warnings left out
    (tables of a family that did not run are not judged)."""
    counted, unparsed = left_out(text)
    for table in TABLES:
        if table.family.value not in load.families:
            continue
        data = files.get(f"{table.name}.csv")
        in_file = count_rows(data) if data is not None else 0
        lost = in_file - load.rows[table.name]
        warned = counted.get(table.name, 0)
        if lost == warned:
            continue
        vague = [w for w in unparsed if table.name in w]
        if vague and lost > 0:  # the weaker rule: a table that lost rows is named
            continue
        ex.add("rows unaccounted",
               f"{table.name}: {in_file} row(s) in the file, {load.rows[table.name]} in the "
               f"current snapshot, {warned} left out by the warnings"
               + (" (the file is not in the load)" if table.name not in load.present else ""))


# ---- a survey by hand: many examples, every failure listed, nothing shrunk ------------------


def survey(examples: int, folder: Path, log: Path | None = None) -> list[Example]:
    """Run `examples` examples of the test's own generator (not derandomized) against one good
    deployment and keep every outcome: the test stops generating soon after its first failure
    and shrinks it, this goes on and lists every failure."""
    import time

    from hypothesis import HealthCheck, Phase, given, settings

    dep = build_deployment(folder)
    results: list[Example] = []

    @settings(max_examples=examples, phases=[Phase.generate], deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(mutation_lists())
    def one(mutations: list[Mutation]) -> None:
        started = time.monotonic()
        ex = run_example(dep, mutations)
        results.append(ex)
        seconds = time.monotonic() - started
        print(f"[{len(results)}/{examples}] exit {ex.run.code} {seconds:5.1f} s "
              f"{sorted(ex.violations) or 'ok'}: {' | '.join(ex.done)}", flush=True)
        if log:
            with log.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps({"mutations": [repr(m) for m in mutations],
                                     "done": ex.done, "exit": ex.run.code,
                                     "seconds": round(seconds, 1),
                                     "output": ex.mask(ex.run.text),
                                     "violations": ex.violations}) + "\n")

    one()
    return results


def _survey_main() -> int:
    """`python -m lead_pipeline_tests.mutations [--examples N] [--log FILE] [--folder DIR]`."""
    import argparse
    import tempfile

    parser = argparse.ArgumentParser(description=_survey_main.__doc__)
    parser.add_argument("--examples", type=int, default=50)
    parser.add_argument("--log", type=Path, default=None, help="JSON lines, one per example")
    parser.add_argument("--folder", type=Path, default=None, help="work folder (kept)")
    args = parser.parse_args()
    os.environ.pop("DAGSTER_HOME", None)
    folder = args.folder or Path(tempfile.mkdtemp(prefix="lead-mutations-"))
    results = survey(args.examples, folder, args.log)
    failed = [ex for ex in results if ex.violations]
    print(f"\n{len(results)} examples, {len(failed)} broke an invariant "
          f"({sum(ex.run.code == 0 for ex in results)} exit 0, "
          f"{sum(ex.run.code == 1 for ex in results)} exit 1); work folder {folder}")
    for ex in failed:
        print(f"- exit {ex.run.code}: {' | '.join(ex.done)}")
        for category, messages in ex.violations.items():
            print(f"    {category}: {messages[0][:300]}"
                  + (f" (+{len(messages) - 1} more)" if len(messages) > 1 else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(_survey_main())
