"""DAYS(r) and GDAYS(G) (kias.md §3.6, §3.7; A1, A7-A12, A14, A42, A43), seen through the day
columns of hand-built bullying incidents (an event of incident type 2015 shows every day value:
ISS in col 5, other codes such as 001 in col 9).

Calendar facts used below: 2026-10-02 and 2026-10-09 are Fridays, 2026-10-05 and 2026-10-12
Mondays, 2026-10-03 a Saturday. Calendar 100 has no Day rows unless a test adds them.
"""

from __future__ import annotations

import polars as pl
import pytest

from lead_pipeline.lib.kias.days import fmt2, hundredths, resolution_days
from lead_pipeline.lib.kias.reference import UNITS_PER_DAY, load_kias_codes
from lead_pipeline_tests.kias.cases import Case

BULLY = {"incident_type": "2015", "on": "2026-10-01"}
ISS = "Bullying Days of ISS"
OTHER = "Bullying Days of Other"


def iss_days(case: Case, **resolution) -> str:
    eid = case.one("450", event=BULLY, **resolution)
    return case.run().cell(eid, "450", ISS)


def test_A7_duration_in_school_days_reports_to_the_hundredth():
    assert iss_days(Case(), duration="2.5") == "2.50"
    assert iss_days(Case(), duration="2.5", unit="days") == "2.50"
    # the duration wins over the dates (10/06-10/06 would be 1.00)
    assert iss_days(Case(), duration="0.5", unit="Days") == "0.50"


def test_A7_three_hours_is_3_over_24_rounded_half_up_to_0_13():
    """The seed's example: Duration 3, unit hours -> 3/24 = 0.125 -> 0.13 (never 0.12)."""
    case = Case()
    eid = case.one("001", event=BULLY, duration="3", unit="hours")
    assert case.run().cell(eid, "001", OTHER) == "0.13"
    assert iss_days(Case(), duration="3", unit="hours") == "0.13"  # A7: every day column


def test_A7_minutes_are_divided_by_1440_and_a_half_rounds_up():
    # 36 min = 0.025 day exactly -> 0.03 (half away from zero; banker's rounding gives 0.02)
    assert iss_days(Case(), duration="36", unit="minutes") == "0.03"
    # 90 min = 0.0625 -> 0.06
    assert iss_days(Case(), duration="90", unit="minutes") == "0.06"


def test_A12_exact_decimals_not_floats():
    # 1.005 days: a float is just below 1.005 and would print 1.00
    assert iss_days(Case(), duration="1.005") == "1.01"


def test_A7_unknown_unit_gives_blank_rather_than_a_guess():
    assert iss_days(Case(), duration="3", unit="weeks") == ""


def test_A8_detention_duration_when_duration_is_empty():
    assert iss_days(Case(), detention="2") == "2.00"
    assert iss_days(Case(), detention="90", unit="minutes") == "0.06"
    # Duration in School Days first: detention ignored when both are there
    assert iss_days(Case(), duration="1", detention="5") == "1.00"


def test_A10_same_day_without_times_is_1_00():
    assert iss_days(Case(), start="2026-10-06", end="2026-10-06") == "1.00"
    # literal even on a Saturday (no school day) and with only one time
    assert iss_days(Case(), start="2026-10-03", end="2026-10-03") == "1.00"
    assert iss_days(Case(), start_time="08:00") == "1.00"


def test_same_day_with_times_is_the_part_of_24_hours():
    # 08:00-11:00 = 3 h = 0.125 -> 0.13; 08:00-09:30 = 1.5 h = 0.0625 -> 0.06
    assert iss_days(Case(), start_time="08:00", end_time="11:00") == "0.13"
    assert iss_days(Case(), start_time="08:00", end_time="09:30") == "0.06"
    # seconds count too: 08:00:00-08:43:12 = 2592 s = 0.03 day exactly
    assert iss_days(Case(), start_time="08:00:00", end_time="08:43:12") == "0.03"


def test_A43_same_day_end_time_not_after_start_falls_back_to_1_00():
    assert iss_days(Case(), start_time="11:00", end_time="08:00") == "1.00"
    assert iss_days(Case(), start_time="08:00", end_time="08:00") == "1.00"


def test_A43_reversed_dates_give_blank_and_the_row_is_still_reported():
    case = Case()
    eid = case.one("450", event=BULLY, start="2026-10-06", end="2026-10-05")
    row = case.run().row(eid, "450")
    assert row[ISS] == "" and row["Bullying Type"] == "1"


def test_missing_start_or_end_date_gives_blank():
    assert iss_days(Case(), start=None, end="2026-10-06") == ""
    assert iss_days(Case(), start="2026-10-06", end=None) == ""


def test_A9_A11_dates_across_a_weekend_and_a_holiday_count_day_rows():
    """Fri 10/02 (school) .. Tue 10/06: Sat, Sun off and Mon 10/05 a holiday (instruction 0)
    -> 10/02 and 10/06 = 2 school days; times are ignored when the dates differ (A9)."""
    case = Case()
    case.days(("2026-10-01", 1), ("2026-10-02", 1), ("2026-10-03", 0), ("2026-10-04", 0),
              ("2026-10-05", 0), ("2026-10-06", 1), ("2026-10-07", 1))
    eid = case.one("450", event=BULLY, start="2026-10-02", end="2026-10-06",
                   start_time="08:00", end_time="09:00")
    assert case.run().cell(eid, "450", ISS) == "2.00"


def test_A11_friday_to_the_next_school_day_monday_is_2_00():
    case = Case()
    case.days(("2026-10-09", 1), ("2026-10-10", 0), ("2026-10-11", 0), ("2026-10-12", 1))
    eid = case.one("001", event=BULLY, start="2026-10-09", end="2026-10-12")
    assert case.run().cell(eid, "001", OTHER) == "2.00"


def test_A11_days_outside_the_calendar_rows_are_not_counted():
    # Day rows end on Wed 10/07: 10/06 .. 10/20 counts only 10/06 and 10/07
    case = Case()
    case.days(("2026-10-05", 1), ("2026-10-06", 1), ("2026-10-07", 1))
    eid = case.one("450", event=BULLY, start="2026-10-06", end="2026-10-20")
    assert case.run().cell(eid, "450", ISS) == "2.00"


def test_A11_calendar_without_day_rows_counts_monday_to_friday():
    """Fri 10/02 .. Mon 10/12 = Fri + Mon-Fri + Mon = 7 weekdays. Day rows of another
    calendar (101) do not change calendar 100's fallback."""
    case = Case()
    case.s.add("Calendar", calendarID=101, schoolID=10, endYear=2026, name="25-26",
               startDate="2025-08-12", endDate="2026-05-21", summerSchool=0, exclude=0)
    case.days(("2026-10-05", 0), ("2026-10-06", 0), calendar=101)
    eid = case.one("450", event=BULLY, start="2026-10-02", end="2026-10-12")
    assert case.run().cell(eid, "450", ISS) == "7.00"


def test_A1_A12_identical_codes_are_summed_exactly_then_rounded_once():
    """Two ISS of 3 h on one event: 0.125 + 0.125 = 0.25 (rounding each first gives 0.26)."""
    case = Case()
    eid = case.event(**BULLY)
    role = case.role(eid)
    case.resolution(role, "450", duration="3", unit="hours")
    case.resolution(role, "450", duration="3", unit="hours")
    result = case.run()
    assert result.rows.height == 1
    assert result.cell(eid, "450", ISS) == "0.25"


def test_A1_summed_with_a_blank_member_ignores_the_blank():
    # 1.00 (same day) + blank (reversed) + 2.5 = 3.50
    case = Case()
    eid = case.event(**BULLY)
    role = case.role(eid)
    case.resolution(role, "450")
    case.resolution(role, "450", start="2026-10-07", end="2026-10-06")
    case.resolution(role, "450", duration="2.5")
    assert case.run().cell(eid, "450", ISS) == "3.50"


def test_A1_group_of_blanks_is_blank():
    case = Case()
    eid = case.event(**BULLY)
    role = case.role(eid)
    case.resolution(role, "450", start=None)
    case.resolution(role, "450", end=None)
    assert case.run().cell(eid, "450", ISS) == ""


def test_A1_different_codes_are_separate_rows():
    """510 and 520 are both OSS but different codes: two rows; 510 and 750: two rows."""
    case = Case()
    eid = case.event(**BULLY)
    role = case.role(eid)
    case.resolution(role, "510", duration="1")
    case.resolution(role, "520", duration="2")
    case.resolution(role, "750")
    result = case.run()
    assert sorted(result.rows["stateResCode"]) == ["510", "520", "750"]
    assert result.cell(eid, "510", "Bullying Days of OSS") == "1.00"
    assert result.cell(eid, "520", "Bullying Days of OSS") == "2.00"
    assert result.cell(eid, "750", OTHER) == "1.00"  # A39: 7xx counts as Other


def test_A1_same_student_in_two_events_of_one_incident_gives_two_rows():
    case = Case()
    incident = case.incident(on="2026-10-01")
    first = case.event(incident, incident_type="2015")
    second = case.event(incident, incident_type="2017")
    case.resolution(case.role(first), "450", duration="1")
    case.resolution(case.role(second), "450", duration="2")
    result = case.run()
    assert result.rows.height == 2
    assert result.cell(first, "450", ISS) == "1.00"
    assert result.cell(second, "450", ISS) == "2.00"
    assert result.cell(second, "450", "Bullying Type") == "3"


def test_A1_several_roles_of_one_student_in_one_event_form_one_group():
    case = Case()
    eid = case.event(**BULLY)
    case.resolution(case.role(eid, role="Offender"), "450", duration="1")
    case.resolution(case.role(eid, role="Participant"), "450", duration="0.5")
    result = case.run()
    assert result.rows.height == 1
    assert result.cell(eid, "450", ISS) == "1.50"


def test_A14_large_values_keep_every_digit():
    assert iss_days(Case(), duration="120") == "120.00"
    assert iss_days(Case(), duration="180.456") == "180.46"


def test_fmt2_rounds_half_away_from_zero_on_exact_units():
    per = UNITS_PER_DAY // 1000  # 0.001 day
    values = pl.DataFrame({"u": [125 * per, 124 * per, 5 * per, 0, -125 * per, None]},
                          schema={"u": pl.Int64})
    out = values.select(fmt2(pl.col("u")).alias("s"), hundredths(pl.col("u")).alias("h"))
    assert out["s"].to_list() == ["0.13", "0.12", "0.01", "0.00", "-0.13", None]
    assert out["h"].to_list() == [13, 12, 1, 0, -13, None]


@pytest.mark.parametrize(("row", "days"), [
    ({"duration": "3", "durationUnit": "hours"}, 0.125),
    ({"startDate": "2026-10-02", "endDate": "2026-10-05"}, 2),  # Fri-Mon, no Day rows
    ({"startDate": "2026-10-05", "endDate": "2026-10-02"}, None),
    ({"startDate": "2026-10-05", "endDate": "2026-10-05", "startTime": "09:00",
      "endTime": "15:00"}, 0.25),
])
def test_resolution_days_in_exact_units(row: dict, days: float | None):
    base = {"calendarID": "100", "startDate": None, "startTime": None, "endDate": None,
            "endTime": None, "duration": None, "durationUnit": None, "detentionDuration": None}
    frame = pl.DataFrame([{**base, **row}], schema=dict.fromkeys(base, pl.String)).select(
        pl.col("calendarID").cast(pl.Int64), pl.col("startDate").str.to_date(),
        pl.col("startTime").str.to_time("%H:%M"), pl.col("endDate").str.to_date(),
        pl.col("endTime").str.to_time("%H:%M"), pl.col("duration").cast(pl.Decimal(18, 6)),
        "durationUnit", pl.col("detentionDuration").cast(pl.Decimal(18, 6)))
    day = pl.DataFrame(schema={"calendarID": pl.Int64, "date": pl.Date, "schoolDay": pl.Boolean,
                               "instruction": pl.Boolean})
    (units,) = resolution_days(frame, day, load_kias_codes()).to_list()
    assert units == (None if days is None else round(days * UNITS_PER_DAY))
