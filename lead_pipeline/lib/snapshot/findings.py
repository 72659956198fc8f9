"""What the integrity checks report: one finding per (check, table, column) with its rows.

A finding carries ids and row numbers only. Values are quoted only from columns that are not
private (schema.Column.private), because findings end up in logs, Dagster metadata and the
terminal, and these tables describe children.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Check(StrEnum):
    """The integrity checks, in the order an operator should read them (snapshot.md)."""

    MANIFEST = "manifest_valid"
    PRESENT = "tables_and_columns_present"
    ENCODING = "files_are_utf8"
    PARSE = "values_parse"
    KEYS = "keys_unique"
    ORPHAN = "ids_resolve"
    REVERSED = "end_not_before_start"

    @property
    def blocking(self) -> bool:
        return self not in (Check.ORPHAN, Check.REVERSED)

    @property
    def description(self) -> str:
        return CHECK_DESCRIPTIONS[self]


CHECK_DESCRIPTIONS: dict[Check, str] = {
    Check.MANIFEST: "manifest.json exists and holds snapshotDate and endYear; its districtNumber "
    "equals the District row. Blocking: a failure keeps last week's snapshot and reports.",
    Check.PRESENT: "Every table and column a running report family needs is in the snapshot. "
    "Blocking.",
    Check.ENCODING: "Every CSV file is valid UTF-8. Blocking.",
    Check.PARSE: "Every value parses as its type (integer ids, YYYY-MM-DD dates, HH:MM times, "
    "0/1 flags, decimals; Parquet columns of a compatible type). Blocking.",
    Check.KEYS: "No table has a missing or duplicate key. Blocking.",
    Check.ORPHAN: "Every id points at a row of the table it names; rows whose id points "
    "nowhere are left out of the reports (warning).",
    Check.REVERSED: "No row ends before it starts; such rows are left out of the reports "
    "(warning). BehaviorResolution is exempt: KIAS keeps it with a blank day count (A43).",
}

FIRST_N = 5


@dataclass(frozen=True)
class Finding:
    check: Check
    table: str | None
    column: str | None
    rows: int
    first: tuple[str, ...]
    """The first few offending rows, as keys and row numbers (never private values)."""
    message: str

    @property
    def blocking(self) -> bool:
        return self.check.blocking

    @property
    def where(self) -> str:
        if self.table and self.column:
            return f"{self.table}.{self.column}"
        return self.table or "manifest.json"

    def line(self) -> str:
        """One line for a terminal or a log: where, what, how many, which."""
        text = f"{self.where}: {self.message}"
        if self.first:
            label = "first rows" if len(self.first) == FIRST_N < self.rows else "rows"
            text += f"; {label}: " + ", ".join(self.first)
        return text

    def as_row(self) -> dict[str, object]:
        return {
            "check": self.check.value,
            "level": "blocking" if self.blocking else "warning",
            "table": self.table,
            "column": self.column,
            "rows": self.rows,
            "first": list(self.first),
            "message": self.message,
        }
