"""What the integrity checks report: one finding per (check, table, column) with its rows.

A finding carries ids and row numbers only. Values are quoted only from columns that are not
private (schema.Column.private), because findings end up in logs, Dagster metadata and the
terminal, and these tables describe children.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

CONTROL_CHARACTERS = "[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f]"
"""Characters a value may not hold (docs/snapshot-format.md "Integrity checks"): C0 controls but
tab, LF and CR, DEL and the C1 controls. One regular expression for Python and for DuckDB (RE2)."""
_CONTROL = re.compile(CONTROL_CHARACTERS)
SHOWN_CHARACTERS = 40


def clean(text: str) -> str:
    """`text` with every control character (tab and line breaks included) written as an escape
    such as \\x00: a message, log line or e-mail never carries a raw control byte."""
    return re.sub(r"[\x00-\x1f\x7f-\x9f]", lambda m: f"\\x{ord(m.group()):02x}", text)


def shown(value: object) -> str:
    """A value of a column that is not private, as a message quotes it: in quotes, escaped,
    at most SHOWN_CHARACTERS characters (a 3 MB value is not repeated)."""
    if value is None:
        return "(blank)"
    text = str(value)
    cut = text[:SHOWN_CHARACTERS]
    return f"'{clean(cut)}{'…' if len(text) > len(cut) else ''}'"


class Check(StrEnum):
    """The integrity checks, in the order an operator should read them (docs/snapshot-format.md)."""

    MANIFEST = "manifest_valid"
    PRESENT = "tables_and_columns_present"
    ENCODING = "files_are_utf8"
    PARSE = "values_parse"
    USABLE = "values_usable"
    KEYS = "keys_unique"
    YEAR = "report_year_has_calendars"
    SHRINK = "core_tables_complete"
    BLANK = "ids_present"
    ORPHAN = "ids_resolve"
    REVERSED = "end_not_before_start"
    TRIALS = "one_active_trial"

    @property
    def blocking(self) -> bool:
        return self not in (Check.BLANK, Check.ORPHAN, Check.REVERSED, Check.TRIALS)

    @property
    def description(self) -> str:
        return CHECK_DESCRIPTIONS[self]


CHECK_DESCRIPTIONS: dict[Check, str] = {
    Check.MANIFEST: "manifest.json exists and holds snapshotDate and endYear (2000-2100, the "
    "date within July 1 before the school year to December 31 after it); its districtNumber "
    "equals the one District row. Blocking: a failure keeps last week's snapshot and reports.",
    Check.PRESENT: "Every table and column a running report family needs is in the snapshot, "
    "named exactly once and exactly as the contract spells it. Blocking.",
    Check.ENCODING: "Every CSV file is valid UTF-8 and readable as CSV. Blocking.",
    Check.PARSE: "Every value parses as its type (ids positive integers below 2^53, "
    "YYYY-MM-DD dates, HH:MM times, 0/1 flags, decimals; Parquet columns of a compatible "
    "type). Blocking.",
    Check.USABLE: "No value holds a control character; district numbers are 3 digits, school "
    "numbers 3 or 4, state course codes 6, state ids digits only. Blocking.",
    Check.KEYS: "No key, and no school number, appears twice. Blocking.",
    Check.YEAR: "Some included school has a calendar of the manifest's endYear (otherwise "
    "every report would be empty). Blocking.",
    Check.SHRINK: "No core table (School, Calendar, Person, Identity, Enrollment; with LEAD "
    "Course, Section, SectionPlacement, Roster, Employment, EmploymentAssignment) is empty or "
    "has fewer than half the rows of the current snapshot's, unless the operator accepted "
    "it for this refresh. Blocking.",
    Check.BLANK: "Rows whose key, or an id they cannot be used without, is blank are left out "
    "of the reports (warning).",
    Check.ORPHAN: "Every id points at a row of the table it names; rows whose id points "
    "nowhere are left out of the reports (warning).",
    Check.REVERSED: "No row ends before it starts; such rows are left out of the reports "
    "(warning). BehaviorResolution is exempt: KIAS keeps it with a blank day count (A43).",
    Check.TRIALS: "Each schedule structure has at most one active trial; with more, the "
    "sections of every active trial are counted (warning).",
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
        return clean(text)

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
