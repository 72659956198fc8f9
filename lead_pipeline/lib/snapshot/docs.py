"""Render the snapshot format as Markdown from the one declaration (schema.py).

`docs/snapshot-format.md` is this module's output; a test keeps the two equal, so the document
districts read cannot drift from what the reader enforces. Regenerate with
`python -m lead_pipeline.lib.snapshot.docs > docs/snapshot-format.md`.
"""

from __future__ import annotations

from lead_pipeline.lib.snapshot.findings import CHECK_DESCRIPTIONS, Check
from lead_pipeline.lib.snapshot.schema import (
    MANIFEST_FIELDS,
    TABLES,
    Family,
    Table,
)

_FAMILY_TITLES = {
    Family.SHARED: "Shared tables (needed whenever anything runs)",
    Family.LEAD: "Kentucky LEAD tables",
    Family.KIAS: "Kansas KIAS tables",
}


def _table(table: Table) -> list[str]:
    title = f"### {table.name}" + (" (optional)" if table.optional else "")
    lines = [title, ""]
    if table.doc:
        lines += [table.doc[0].upper() + table.doc[1:] + ".", ""]
    lines.append(f"Key: {', '.join(table.key)} (a row whose key is blank is left out, with a "
                 "warning)."
                 + (f" Rows whose {table.interval[1]} is before their {table.interval[0]} are "
                    "left out (warning)." if table.interval else "")
                 + (" Core table: empty, or fewer than half the rows of the current snapshot's, "
                    "stops the refresh." if table.core else ""))
    lines += ["", "| column | type | points at | notes |", "|---|---|---|---|"]
    for col in table.columns:
        notes = col.doc + ("; private: never shown in messages" if col.private else "") + (
            "; required: a row without it is left out (warning)" if col.required else "") + (
            "; never blank" if col.pattern is not None and not col.blank_ok else "")
        lines.append(f"| {col.name} | {col.format} | {col.references or ''} | "
                     f"{notes.strip('; ')} |")
    return [*lines, ""]


def render() -> str:
    lines = [
        "# Snapshot format",
        "",
        "Generated from `lead_pipeline/lib/snapshot/schema.py` by "
        "`python -m lead_pipeline.lib.snapshot.docs`; do not edit by hand.",
        "",
        "A snapshot is a folder holding `manifest.json` and one file per table, "
        "`<Table>.csv` (UTF-8, a BOM tolerated, comma separated, header row, RFC 4180 quoting, "
        "LF or CRLF, empty field = null) or `<Table>.parquet` with the same columns. Extra "
        "columns and tables are ignored.",
        "",
        "## manifest.json",
        "",
        "| field | meaning |",
        "|---|---|",
        *[f"| {name} | {meaning} |" for name, meaning in MANIFEST_FIELDS.items()],
        "",
        "## Integrity checks",
        "",
        "| check | level | what it tests |",
        "|---|---|---|",
        *[f"| `{c.value}` | {'blocking' if c.blocking else 'warning'} | "
          f"{CHECK_DESCRIPTIONS[c]} |" for c in Check],
        "",
        "A report family (LEAD, KIAS) runs when the snapshot holds any of its required tables; "
        "then all of them must be there.",
        "",
    ]
    for family in Family:
        lines += [f"## {_FAMILY_TITLES[family]}", ""]
        for table in TABLES:
            if table.family is family:
                lines += _table(table)
    return "\n".join(lines)


if __name__ == "__main__":
    print(render(), end="")
