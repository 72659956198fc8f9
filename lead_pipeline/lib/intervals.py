"""Date intervals, defined once: "active on D" and "overlaps the school year" (docs/lead.md).

A null start means "since always" and a null end "still going"; every rule that asks whether a
record is current goes through these two expressions, so that reading is the same everywhere.
"""

from __future__ import annotations

from datetime import date

import polars as pl

IntoDate = pl.Expr | date | str


def _expr(value: IntoDate) -> pl.Expr:
    if isinstance(value, pl.Expr):
        return value
    if isinstance(value, str):
        return pl.col(value)
    return pl.lit(value, dtype=pl.Date)


def active_on(on: IntoDate, start: str = "startDate", end: str = "endDate") -> pl.Expr:
    """`start <= D and (end is null or end >= D)`, a null start meaning since always."""
    d = _expr(on)
    return (pl.col(start).is_null() | (pl.col(start) <= d)) & (
        pl.col(end).is_null() | (pl.col(end) >= d))


def overlaps(first: IntoDate, last: IntoDate, start: str = "startDate",
             end: str = "endDate") -> pl.Expr:
    """The record's [start, end] shares at least one day with [first, last]."""
    return (pl.col(start).is_null() | (pl.col(start) <= _expr(last))) & (
        pl.col(end).is_null() | (pl.col(end) >= _expr(first)))


def school_year(end_year: int) -> tuple[date, date]:
    """L-1: the window W of the report year, July 1 to June 30."""
    return date(end_year - 1, 7, 1), date(end_year, 6, 30)
