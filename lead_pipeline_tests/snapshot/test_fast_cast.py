"""The reader's typed fast path (lib/snapshot/reader.py `_fast_cast`) gives exactly the value
of the strict, regex-checked cast for every text, so a snapshot's typed tables and its located
messages are the same whichever path a value took."""

import duckdb
import pytest

from lead_pipeline.lib.snapshot.reader import _cast, _strict_cast
from lead_pipeline.lib.snapshot.schema import TABLES, Column, Kind

TRICKY = [
    "1", "0", "-1", "-0", "+5", " 7", "7 ", "007", "1_000", "1e3", "0x10", "1.0", "abc", "",
    "  ", "9007199254740990", "9007199254740991", "9007199254740992", "99999999999999999999",
    "-9223372036854775808", "١٢", "²", "12\x00",
    "2026-09-01", "2026-9-1", "2026-02-30", "2026-13-01", "0001-01-01", "0000-01-01",
    "9999-12-31", "10000-01-01", "2026-09-01 ", " 2026-09-01", "20260901", "2026-09-01T00:00",
    "-2026-01-01", "2026-09-01 (BC)", "infinity", "epoch", "1969-12-31", None,
]


def _column(kind: Kind, is_id: bool) -> Column:
    return next(c for t in TABLES for c in t.columns if c.kind is kind and c.is_id is is_id)


@pytest.mark.parametrize(("kind", "is_id"), [(Kind.INT, True), (Kind.INT, False),
                                             (Kind.DATE, False)])
def test_fast_cast_equals_the_strict_cast(kind: Kind, is_id: bool) -> None:
    col = _column(kind, is_id)
    con = duckdb.connect()
    con.execute("CREATE TABLE r (v VARCHAR)")
    con.executemany("INSERT INTO r VALUES (?)", [[v] for v in TRICKY])
    rows = con.execute(f"SELECT v, {_cast(col, 'v')}, {_strict_cast(col, 'v')} FROM r").fetchall()
    assert [(v, fast) for v, fast, strict in rows if fast != strict] == []
    valid = {v for v, _, strict in rows if strict is not None}
    # worked out by hand from docs/snapshot-format.md: ids are 1 .. 2^53-1, plain integers any
    # BIGINT with an optional sign, dates exactly YYYY-MM-DD
    expected = {
        (Kind.INT, True): {"1", "+5", " 7", "7 ", "007", "9007199254740990",
                           "9007199254740991", "20260901"},
        (Kind.INT, False): {"1", "0", "-1", "-0", "+5", " 7", "7 ", "007", "9007199254740990",
                            "9007199254740991", "9007199254740992", "-9223372036854775808",
                            "20260901"},
        (Kind.DATE, False): {"2026-09-01", "0001-01-01", "0000-01-01", "9999-12-31", "2026-09-01 ",
                             " 2026-09-01", "1969-12-31"},
    }[(kind, is_id)]
    assert valid == expected
