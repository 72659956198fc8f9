"""Per-school generation state: the plan, the random stream, id counters and the frames made.

Every table's rows for one school are collected here and written as one chunk, so memory holds
one school at a time whatever the district size.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from lead_pipeline.lib.codes import Codes
from lead_pipeline.lib.generator.calendar import SchoolYear
from lead_pipeline.lib.generator.plan import DistrictPlan, SchoolPlan


def d64(d: dt.date) -> np.datetime64:
    return np.datetime64(d, "D")


class Ids:
    """Id counters carried across schools so every table's key is unique district-wide."""

    def __init__(self) -> None:
        self._next: dict[str, int] = defaultdict(lambda: 1)

    def take(self, key: str, n: int) -> np.ndarray:
        start = self._next[key]
        self._next[key] = start + n
        return np.arange(start, start + n, dtype=np.int64)

    def peek(self, key: str) -> int:
        return self._next[key]


@dataclass
class Term:
    term_id: int
    name: str
    start: dt.date | None
    end: dt.date | None


@dataclass
class CalendarInfo:
    """One calendar of a school with its single schedule structure and trials."""

    kind: str  # regular | prior | summer
    calendar_id: int
    structure_id: int
    trial_id: int  # the active trial
    inactive_trial_id: int | None
    year: SchoolYear
    terms: list[Term]
    grade_state: dict[str, str]
    included: bool  # L-3: current-year, not summer, at an included school

    @property
    def start(self) -> np.datetime64:
        return d64(self.year.start)

    @property
    def end(self) -> np.datetime64:
        return d64(self.year.end)


@dataclass
class SchoolContext:
    plan: DistrictPlan
    school: SchoolPlan
    rng: np.random.Generator
    ids: Ids
    ref: Codes
    other_school_ids: tuple[int, ...]
    frames: dict[str, list[pl.DataFrame]] = field(default_factory=lambda: defaultdict(list))
    calendars: dict[str, CalendarInfo] = field(default_factory=dict)

    def add(self, table: str, df: pl.DataFrame) -> None:
        if df.height:
            self.frames[table].append(df)

    def table(self, table: str) -> pl.DataFrame:
        """All rows of `table` made so far for this school (one frame)."""
        parts = self.frames.get(table, [])
        return pl.concat(parts, how="diagonal_relaxed") if parts else pl.DataFrame()

    def replace(self, table: str, df: pl.DataFrame) -> None:
        self.frames[table] = [df]

    @property
    def regular(self) -> CalendarInfo:
        return self.calendars["regular"]

    @property
    def snapshot(self) -> np.datetime64:
        return d64(self.plan.snapshot_date)

    @property
    def w0(self) -> np.datetime64:
        return d64(dt.date(self.plan.end_year - 1, 7, 1))

    @property
    def w1(self) -> np.datetime64:
        return d64(dt.date(self.plan.end_year, 6, 30))


def frame(data: dict[str, object], schema_overrides: dict[str, pl.DataType] | None = None
          ) -> pl.DataFrame:
    """pl.DataFrame from numpy columns; object arrays (text with None) become Utf8 columns."""
    cols = {}
    over = dict(schema_overrides or {})
    for k, v in data.items():
        if isinstance(v, np.ndarray) and v.dtype == object:
            cols[k] = pl.Series(k, v.tolist(), dtype=over.pop(k, pl.Utf8))
        else:
            cols[k] = v
    return pl.DataFrame(cols, schema_overrides=over or None)
