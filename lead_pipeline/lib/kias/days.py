"""DAYS(r), the day count of one resolution (docs/kias.md §3.6), and FMT2 (§3.7).

Every day value is an exact integer of 1/UNITS_PER_DAY day, so hours (/24), minutes (/1440),
decimal durations and start/end times add up without float artefacts, and rounding to hundredths
(half away from zero, A12) is done once on the group's exact sum: 3 hours is exactly 0.125 day
and prints `0.13`, never `0.12`.

School days between two dates are counted with a cumulative index per calendar (number of
instructional `Day` rows up to each date), so a count is `idx(end) - idx(start - 1)`: two joins,
no per-row loop. A calendar without `Day` rows counts Monday-Friday (A11).
"""

from __future__ import annotations

import polars as pl

from lead_pipeline.lib.kias.reference import UNITS_PER_DAY, KiasCodes

_SECOND = UNITS_PER_DAY // 86_400
_HUNDREDTH = UNITS_PER_DAY // 100
_HALF_HUNDREDTH = _HUNDREDTH // 2
_NS_PER_SECOND = 1_000_000_000

RESOLUTION_COLUMNS = ("calendarID", "startDate", "startTime", "endDate", "endTime",
                      "duration", "durationUnit", "detentionDuration")


def school_day_index(day: pl.DataFrame) -> pl.DataFrame:
    """Per calendar with `Day` rows, one row per date from the day before its first row to its
    last row: `idx` = instructional days (`instruction` = 1, A11) up to and including that date.
    Days without a row count as no school day; dates outside the range are clipped onto it
    (before: 0, after: the year's total)."""
    bounds = day.group_by("calendarID").agg(
        (pl.col("date").min() - pl.duration(days=1)).alias("lo"), pl.col("date").max().alias("hi"))
    dense = bounds.select(
        "calendarID", pl.date_ranges("lo", "hi", interval="1d").alias("date")).explode("date")
    flags = day.select("calendarID", "date", pl.col("instruction").fill_null(False))
    return (dense.join(flags, on=["calendarID", "date"], how="left")
            .sort("calendarID", "date")
            .with_columns(pl.col("instruction").fill_null(False).cast(pl.Int64)
                          .cum_sum().over("calendarID").alias("idx"))
            .join(bounds, on="calendarID")
            .select("calendarID", "date", "idx", "lo", "hi"))


def _idx_at(frame: pl.DataFrame, index: pl.DataFrame, column: str, alias: str) -> pl.DataFrame:
    """Join the cumulative index at the date in `column` (clipped into the calendar's range)."""
    bounds = index.select("calendarID", "lo", "hi").unique("calendarID")
    keyed = frame.join(bounds, on="calendarID", how="left").with_columns(
        pl.col(column).clip(pl.col("lo"), pl.col("hi")).alias("_at"))
    return keyed.join(index.select("calendarID", pl.col("date").alias("_at"),
                                   pl.col("idx").alias(alias)),
                      on=["calendarID", "_at"], how="left").drop("lo", "hi", "_at")


def school_days(frame: pl.DataFrame, day: pl.DataFrame) -> pl.Series:
    """School days in [startDate, endDate] (inclusive) in each row's `calendarID`: from the
    calendar's `Day` rows, or Monday-Friday when the calendar has none (A11). Null when either
    date is null."""
    index = school_day_index(day)
    rows = frame.select("calendarID", "startDate", "endDate").with_row_index("_row")
    rows = rows.with_columns((pl.col("startDate") - pl.duration(days=1)).alias("_before"))
    rows = _idx_at(_idx_at(rows, index, "endDate", "_end"), index, "_before", "_start")
    counted = rows.sort("_row").select(
        pl.when(pl.col("calendarID").is_in(index["calendarID"].unique().implode()))
        .then(pl.col("_end") - pl.col("_start"))
        .otherwise(pl.business_day_count("startDate", pl.col("endDate") + pl.duration(days=1))
                   .cast(pl.Int64))
        .alias("schoolDays"))
    return counted.to_series()


def _micro(expr: pl.Expr) -> pl.Expr:
    """A decimal as an exact integer of 10^-6 (the snapshot's DECIMAL(18,6) scale)."""
    return expr.cast(pl.Decimal(38, 6)).to_physical().cast(pl.Int64)


def _to_units(value: pl.Expr, unit: pl.Expr, codes: KiasCodes) -> pl.Expr:
    """to_days(v, unit) of §3.6 in exact units: days as is, hours /24, minutes /1440 (A7); an
    unknown unit gives null rather than a guess."""
    name = unit.str.strip_chars().str.to_lowercase().fill_null("days")
    name = pl.when(name == "").then(pl.lit("days")).otherwise(name)
    per_micro = name.replace_strict(codes.units_per_micro, default=None, return_dtype=pl.Int64)
    return _micro(value) * per_micro


def resolution_days(res: pl.DataFrame, day: pl.DataFrame, codes: KiasCodes) -> pl.Series:
    """DAYS(r) of §3.6 for each row of `res` (columns RESOLUTION_COLUMNS), in exact units:

    1. Duration in School Days, in its unit; 2. else Detention Duration, same unit (A8);
    3. null without both dates; 4. null for reversed dates (A43);
    5. same date: (end - start time) / 24 h when both times are there and end is later, else 1
       (A10, A43); 6. different dates: school days in [start, end] of the calendar (A9, A11).
    """
    days = school_days(res, day)
    seconds = ((pl.col("endTime").cast(pl.Int64) - pl.col("startTime").cast(pl.Int64))
               // _NS_PER_SECOND)
    same_day = (pl.when(pl.col("startTime").is_not_null() & pl.col("endTime").is_not_null()
                        & (pl.col("endTime") > pl.col("startTime")))
                .then(seconds * _SECOND).otherwise(pl.lit(UNITS_PER_DAY)))
    return res.with_columns(days.alias("_schoolDays")).select(
        pl.when(pl.col("duration").is_not_null())
        .then(_to_units(pl.col("duration"), pl.col("durationUnit"), codes))
        .when(pl.col("detentionDuration").is_not_null())
        .then(_to_units(pl.col("detentionDuration"), pl.col("durationUnit"), codes))
        .when(pl.col("startDate").is_null() | pl.col("endDate").is_null()).then(None)
        .when(pl.col("endDate") < pl.col("startDate")).then(None)
        .when(pl.col("endDate") == pl.col("startDate")).then(same_day)
        .otherwise(pl.col("_schoolDays") * UNITS_PER_DAY)
        .cast(pl.Int64).alias("dayUnits")
    ).to_series()


def group_units(units: pl.Expr) -> pl.Expr:
    """GDAYS(G): the exact sum over the group's non-null members; null when all are null."""
    return pl.when(units.is_not_null().any()).then(units.sum())


def hundredths(units: pl.Expr) -> pl.Expr:
    """Round exact units to whole hundredths of a day, half away from zero (§3.7)."""
    size = (units.abs() + _HALF_HUNDREDTH) // _HUNDREDTH
    return pl.when(units < 0).then(-size).otherwise(size)


def fmt2(units: pl.Expr) -> pl.Expr:
    """FMT2: null stays null (blank); else exactly two decimals, no padding, no truncation
    (`1.00`, `0.13`, `120.00`; A14)."""
    h = hundredths(units)
    whole = (h.abs() // 100).cast(pl.String)
    cents = (h.abs() % 100).cast(pl.String).str.zfill(2)
    sign = pl.when(h < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    return pl.concat_str(sign, whole, pl.lit("."), cents)
