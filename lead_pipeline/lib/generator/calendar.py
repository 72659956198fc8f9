"""School-year calendars: first/last day, holidays, Day rows and term dates.

Built once per (end year, variant) and shared by every school with that variant, because a
district's schools follow nearly the same calendar and Day rows are a large share of the
calendar tables.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

Date = dt.date


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> Date:
    """The n-th (1-based) given weekday (Mon=0) of a month."""
    first = Date(year, month, 1)
    offset = (weekday - first.weekday()) % 7
    return first + dt.timedelta(days=offset + 7 * (n - 1))


def _weekday_in(start: Date, weekday: int) -> Date:
    return start + dt.timedelta(days=(weekday - start.weekday()) % 7)


def default_snapshot_date(end_year: int) -> Date:
    """The third Saturday of November of the school year's first half (2026-11-21 for 2027)."""
    return _weekday_in(Date(end_year - 1, 11, 15), 5)


def window(end_year: int) -> tuple[Date, Date]:
    """L-1: the school-year window W."""
    return Date(end_year - 1, 7, 1), Date(end_year, 6, 30)


@dataclass(frozen=True)
class SchoolYear:
    start: Date
    end: Date
    dates: np.ndarray  # datetime64[D], every calendar date start..end
    school_day: np.ndarray  # int8
    instruction: np.ndarray  # int8
    semesters: tuple[tuple[Date, Date], ...]
    quarters: tuple[tuple[Date, Date], ...]

    @property
    def instructional_dates(self) -> np.ndarray:
        return self.dates[self.instruction == 1]


def _holidays(end_year: int) -> set[Date]:
    y0, y1 = end_year - 1, end_year
    days: set[Date] = {_nth_weekday(y0, 9, 0, 1)}  # Labor Day
    fall = _weekday_in(Date(y0, 10, 1), 0)
    days |= {fall, fall + dt.timedelta(days=1)}  # fall break Mon-Tue
    if y0 % 2 == 0:  # Kentucky schools close on general-election day
        days.add(_nth_weekday(y0, 11, 0, 1) + dt.timedelta(days=1))
    thanks = _nth_weekday(y0, 11, 3, 4)
    days |= {thanks + dt.timedelta(days=k) for k in (-1, 0, 1)}
    d = Date(y0, 12, 20)
    while d <= Date(y1, 1, 2):
        days.add(d)
        d += dt.timedelta(days=1)
    days.add(_nth_weekday(y1, 1, 0, 3))  # MLK
    days.add(_nth_weekday(y1, 2, 0, 3))  # Presidents' Day
    spring = _weekday_in(Date(y1, 4, 1), 0)
    days |= {spring + dt.timedelta(days=k) for k in range(5)}
    return days


def _days(start: Date, end: Date, holidays: set[Date], pd_days: set[Date]
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    dates = np.arange(np.datetime64(start), np.datetime64(end) + 1, dtype="datetime64[D]")
    weekday = (dates.astype("int64") + 3) % 7  # 1970-01-01 was a Thursday (3)
    hol = np.isin(dates, np.array(sorted(holidays), dtype="datetime64[D]"))
    school = (weekday < 5) & ~hol
    pd_ = np.isin(dates, np.array(sorted(pd_days), dtype="datetime64[D]"))
    return dates, school.astype(np.int8), (school & ~pd_).astype(np.int8)


def _d(x: np.datetime64) -> Date:
    return x.astype("datetime64[D]").astype(object)


@lru_cache(maxsize=32)
def school_year(end_year: int, variant: int = 0) -> SchoolYear:
    """The regular calendar of a school year; `variant` shifts the first day by a day or two."""
    start = _weekday_in(Date(end_year - 1, 8, 9), 2) + dt.timedelta(days=variant)
    end = _weekday_in(Date(end_year, 5, 18), 4)
    back = _weekday_in(Date(end_year, 1, 3), 0)  # first Monday after the break: PD day
    dates, school, instr = _days(start, end, _holidays(end_year), {back})
    idays = dates[instr == 1]
    newyear = np.datetime64(Date(end_year, 1, 1))
    s1, s2 = idays[idays < newyear], idays[idays > newyear]
    q = (s1[0], s1[len(s1) // 2 - 1]), (s1[len(s1) // 2], s1[-1]), \
        (s2[0], s2[len(s2) // 2 - 1]), (s2[len(s2) // 2], s2[-1])
    return SchoolYear(
        start=start, end=end, dates=dates, school_day=school, instruction=instr,
        semesters=((_d(s1[0]), _d(s1[-1])), (_d(s2[0]), _d(s2[-1]))),
        quarters=tuple((_d(a), _d(b)) for a, b in q),
    )


@lru_cache(maxsize=8)
def summer_session(end_year: int) -> SchoolYear:
    """Summer school in July before the school year: inside W, but `summerSchool = 1`."""
    start = _weekday_in(Date(end_year - 1, 7, 6), 0)
    end = start + dt.timedelta(days=25)
    dates, school, instr = _days(start, end, {Date(end_year - 1, 7, 4)}, set())
    idays = dates[instr == 1]
    half = (_d(idays[0]), _d(idays[-1]))
    return SchoolYear(start=start, end=end, dates=dates, school_day=school, instruction=instr,
                      semesters=(half,), quarters=(half,))
