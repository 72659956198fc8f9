"""A small preview of a report for the Dagster UI: the first rows without any name, state id or
birth date column (ids, codes and counts only)."""

from __future__ import annotations

import polars as pl

from lead_pipeline.lib import markdown

PRIVATE = ("name", "state id", "stateid", "birth", "student number")


def safe_columns(frame: pl.DataFrame) -> list[str]:
    return [c for c in frame.columns if not any(p in c.lower() for p in PRIVATE)]


def preview_markdown(frame: pl.DataFrame, rows: int = 5, max_columns: int = 12) -> str:
    cols = safe_columns(frame)[:max_columns]
    if not cols:
        return "no columns to show"
    return markdown.table(cols, frame.head(rows).select(cols).iter_rows())
