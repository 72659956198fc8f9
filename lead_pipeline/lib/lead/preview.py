"""A small preview of a report for the Dagster UI: the first rows without the private columns
(people's names and state ids: reports.PRIVATE_COLUMNS, as lib/snapshot/schema.py declares
them)."""

from __future__ import annotations

import polars as pl

from lead_pipeline.lib import markdown
from lead_pipeline.lib.lead.reports import PRIVATE_COLUMNS


def safe_columns(frame: pl.DataFrame) -> list[str]:
    return [c for c in frame.columns if c not in PRIVATE_COLUMNS]


def preview_markdown(frame: pl.DataFrame, rows: int = 5, max_columns: int = 12) -> str:
    cols = safe_columns(frame)[:max_columns]
    if not cols:
        return "no columns to show"
    return markdown.table(cols, frame.head(rows).select(cols).iter_rows())
