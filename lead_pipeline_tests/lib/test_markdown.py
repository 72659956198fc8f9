"""The markdown tables of the Dagster metadata (lib/markdown.py)."""

from __future__ import annotations

from lead_pipeline.lib import markdown


def test_table_has_a_header_a_separator_and_a_line_per_row():
    assert markdown.table(["School Number", "Section ID", "Person ID"],
                          [("005", 100, None), ("010", None, 7)]) == (
        "| School Number | Section ID | Person ID |\n"
        "|---|---|---|\n"
        "| 005 | 100 |  |\n"
        "| 010 |  | 7 |")


def test_a_value_never_adds_a_column():
    text = markdown.table(["where", "message"], [("Course.name", "'A|B' is not a code")])
    assert text.splitlines()[2] == "| Course.name | 'A\\|B' is not a code |"


def test_no_rows_is_the_header_only():
    assert markdown.table(["table", "rows"], []) == "| table | rows |\n|---|---|"
