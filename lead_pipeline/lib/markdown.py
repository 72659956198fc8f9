"""Markdown tables, the one way the Dagster metadata shows rows (ids and counts) in the UI.

Written here once so every table has the same shape and a value can never break one: an empty
value is an empty cell, and a `|` inside a value is escaped rather than starting a new column.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def _cell(value: object) -> str:
    return "" if value is None else str(value).replace("|", "\\|")


def _line(cells: Iterable[object]) -> str:
    return "| " + " | ".join(_cell(c) for c in cells) + " |"


def table(columns: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A header line, the separator and one line per row."""
    return "\n".join([_line(columns), "|" + "---|" * len(columns), *map(_line, rows)])


def escape(text: str) -> str:
    """`text` safe inside Markdown the Dagster UI renders: `<` and `>` as entities (else a
    `<Section ID>` or a path like `OUTPUT/<year>` vanishes as an HTML tag) and `|` escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
