"""staging.first_by, the one tie-break every "latest …, then highest …" rule goes through, on
frames small enough to work out by hand."""

from datetime import date

import polars as pl

from lead_pipeline.lib.lead.staging import first_by

ORDER = [("start", True), ("rank", False), ("id", True)]
"""Latest start, then lowest rank, then highest id (L-7's shape)."""


def _frame(rows: list[tuple[object, ...]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={"g": pl.Int64, "start": pl.Date, "rank": pl.Int32,
                                      "id": pl.Int64, "tag": pl.String}, orient="row")


def test_each_order_column_decides_only_when_the_ones_before_it_tie() -> None:
    frame = _frame([
        (1, date(2026, 8, 1), 1, 10, "older start"),
        (1, date(2026, 9, 1), 2, 11, "latest start wins"),
        (2, date(2026, 9, 1), 3, 20, "same start, higher rank"),
        (2, date(2026, 9, 1), 1, 19, "same start, lowest rank wins"),
        (3, date(2026, 9, 1), 1, 30, "all tie but id: higher id wins"),
        (3, date(2026, 9, 1), 1, 29, "lower id"),
    ])
    kept = first_by(frame, ["g"], ORDER)
    assert kept["tag"].to_list() == ["latest start wins", "same start, lowest rank wins",
                                     "all tie but id: higher id wins"]


def test_nulls_come_last_whichever_the_direction() -> None:
    frame = _frame([
        (1, None, 1, 10, "no start"),
        (1, date(2026, 1, 1), 1, 9, "a start, however early, wins"),
        (2, date(2026, 9, 1), None, 20, "no rank"),
        (2, date(2026, 9, 1), 5, 21, "a rank, however high, wins"),
        (3, None, None, None, "only row of its group: kept"),
    ])
    assert first_by(frame, ["g"], ORDER)["tag"].to_list() == [
        "a start, however early, wins", "a rank, however high, wins",
        "only row of its group: kept"]


def test_rows_alike_in_every_order_column_keep_the_earlier_and_frame_order_is_kept() -> None:
    frame = _frame([
        (4, date(2026, 9, 1), 1, 40, "g4 first"),
        (5, date(2026, 9, 1), 1, 50, "g5 first"),
        (4, date(2026, 9, 1), 1, 40, "g4 second, alike"),
        (5, date(2026, 9, 1), 1, 50, "g5 second, alike"),
        (None, date(2026, 9, 1), 1, 1, "null group, lower id"),
        (None, date(2026, 9, 1), 1, 2, "null group is one group"),
    ])
    # the kept rows in the frame's order, not by group or by the order columns
    assert first_by(frame, ["g"], ORDER)["tag"].to_list() == [
        "g4 first", "g5 first", "null group is one group"]


def test_a_group_of_several_columns_and_an_empty_frame() -> None:
    frame = pl.DataFrame({"a": [1, 1, 1, 2], "b": [1, 1, 2, 1], "v": [3, 7, 1, 2]})
    kept = first_by(frame, ["a", "b"], [("v", True)])
    assert kept.rows() == [(1, 1, 7), (1, 2, 1), (2, 1, 2)]
    assert first_by(frame.clear(), ["a", "b"], [("v", True)]).shape == (0, 3)


def test_among_leaves_out_rows_as_a_filter_first_would() -> None:
    frame = _frame([
        (1, date(2026, 9, 1), 1, 10, "would win, left out"),
        (1, date(2026, 8, 1), 1, 11, "best of those taking part"),
        (2, date(2026, 9, 1), 1, 20, "only row, left out: no row for group 2"),
        (3, date(2026, 9, 1), 1, 30, "kept"),
    ])
    among = ~pl.col("tag").str.contains("left out")
    kept = first_by(frame, ["g"], ORDER, among)
    assert kept["tag"].to_list() == ["best of those taking part", "kept"]
    assert kept.equals(first_by(frame.filter(among), ["g"], ORDER))
    assert kept.columns == frame.columns
