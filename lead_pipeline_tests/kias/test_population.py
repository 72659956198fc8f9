"""Who is reported (kias.md §2): incident, window, enrollment and exclusion filters, the editor
parameters, and the qualifying state codes (A2-A5, A27, A45).

Student 1 of tiny() is enrolled in calendar 100 (school 005, KG, primary) from 2026-08-12; the
default incident is complete, on Monday 2026-10-05, in calendar 100.
"""

from __future__ import annotations

import pytest

from lead_pipeline.lib.kias.reference import load_kias_codes
from lead_pipeline_tests.kias.cases import Case, d


def reported(case: Case, **params) -> int:
    return case.run(**params).rows.height


def test_2_2_complete_incident_is_reported():
    case = Case()
    eid = case.one("450")
    row = case.run().row(eid, "450")
    assert (row["Building ID"], row["KIDS ID"], row["Incident Date"]) == (
        "0005", "0000000001", "10/05/2026")


@pytest.mark.parametrize("status", ["IP", "SB", "DF", None])
def test_2_2_incident_not_marked_complete_is_not_reported(status):
    case = Case()
    case.one("450", event={"status": status})
    assert reported(case) == 0


def test_A5_incident_date_must_lie_in_the_window_inclusive():
    case = Case()
    case.one("450")  # 10/05
    assert reported(case, start=d("2026-10-05"), end=d("2026-10-05")) == 1
    assert reported(case, start=d("2026-10-06")) == 0
    assert reported(case, end=d("2026-10-04")) == 0


def test_A5_default_window_is_july_1_to_june_30_of_the_report_year():
    case = Case()
    case.enrollment(1, calendarID=100, startDate="2026-06-01", endDate="2026-08-11",
                    serviceType="S")
    case.one("450", event={"on": "2026-06-30"})  # before July 1, 2026
    case.one("450", event={"on": "2026-07-01"})
    result = case.run()
    assert result.rows["Incident Date"].to_list() == ["07/01/2026"]


def test_A5_timestamp_with_time_or_date_only_gives_the_date():
    case = Case()
    case.one("450", event={"time": ""})
    case.one("520", event={"time": " 23:59:59"})
    assert case.run().rows["Incident Date"].to_list() == ["10/05/2026", "10/05/2026"]


@pytest.mark.parametrize(("start", "end", "expected"), [
    ("2026-08-12", "2026-10-04", 0),  # ended the day before the incident
    ("2026-08-12", "2026-10-05", 1),  # ends on the incident date (inclusive)
    ("2026-10-05", None, 1),  # starts on it
    ("2026-10-06", None, 0),  # starts after it
])
def test_A4_enrollment_must_be_active_on_the_incident_date(start, end, expected):
    case = Case()
    case.s.rows["Enrollment"][0].update(startDate=start, endDate=end)
    case.one("450")
    assert reported(case) == expected


def test_A4_enrollment_in_another_school_does_not_count():
    """Student 1's only enrollment is moved to school 20; the incident is in school 10."""
    case = Case()
    case.s.add("School", schoolID=20, districtID=1, number="020", name="Other",
               stateClassification="A1")
    case.s.add("Calendar", calendarID=200, schoolID=20, endYear=2027, name="Other",
               startDate="2026-08-12", endDate="2027-05-21", summerSchool=0, exclude=0)
    case.s.rows["Enrollment"][0].update(calendarID=200)
    case.one("450")
    assert reported(case) == 0
    # an incident recorded in school 20's calendar is reported with its Building ID
    case.one("510", event={"calendar": 200})
    assert case.run().rows.select("stateResCode", "Building ID").rows() == [("510", "0020")]


@pytest.mark.parametrize("change", [
    {"stateExclude": 1}, {"noShow": 1},
])
def test_2_2_state_exclude_or_no_show_enrollment_is_not_reported(change):
    case = Case()
    case.s.rows["Enrollment"][0].update(change)
    case.one("450")
    assert reported(case) == 0


def test_2_2_excluded_grade_level_is_not_reported():
    case = Case()
    case.s.rows["GradeLevel"][0].update(exclude=1)  # KG of calendar 100
    case.one("450")
    assert reported(case) == 0


def test_2_2_excluded_calendar_is_not_reported():
    case = Case()
    case.s.rows["Calendar"][0].update(exclude=1)
    case.one("450")
    assert reported(case) == 0
    assert reported(case, calendar_ids=[100]) == 0  # even when selected by hand


def test_2_2_a_second_qualifying_enrollment_still_gives_one_row():
    case = Case()
    case.enrollment(1, serviceType="S")
    case.one("450")
    assert reported(case) == 1


def test_2_2_excluded_primary_enrollment_leaves_the_partial_one_to_qualify():
    case = Case()
    case.s.rows["Enrollment"][0].update(stateExclude=1)
    case.enrollment(1, serviceType="S", grade="01")
    case.one("450")
    assert reported(case) == 1


def test_school_days_are_counted_in_the_primary_enrollments_calendar():
    """Primary in calendar 100 (no Day rows: Mon-Fri), partial in calendar 102 of the same
    school whose Day rows have no instruction: Fri 10/02 - Mon 10/05 counts 2 (calendar 100)."""
    case = Case()
    case.s.add("Calendar", calendarID=102, schoolID=10, endYear=2027, name="Evening",
               startDate="2026-08-12", endDate="2027-05-21", summerSchool=0, exclude=0)
    case.enrollment(1, calendarID=102, serviceType="S")
    case.days(("2026-10-02", 0), ("2026-10-05", 0), calendar=102)
    eid = case.one("450", event={"incident_type": "2015", "on": "2026-10-01"},
                   start="2026-10-02", end="2026-10-05")
    assert case.run().cell(eid, "450", "Bullying Days of ISS") == "2.00"


def test_2_1_grades_parameter():
    case = Case()
    case.one("450")
    assert reported(case, grades=["KG"]) == 1
    assert reported(case, grades=["01", "02"]) == 0


def test_2_1_calendar_selection_and_the_report_year_default():
    case = Case()
    case.one("450")
    assert reported(case, calendar_ids=[100]) == 1
    assert reported(case, calendar_ids=[999]) == 0
    case.s.rows["Calendar"][0].update(endYear=2026)  # not the report year: not by default
    assert reported(case) == 0
    assert reported(case, calendar_ids=[100]) == 1


def test_2_1_ad_hoc_filter_of_person_ids():
    case = Case()
    case.student(5)
    case.one("450", person=1)
    case.one("450", person=5)
    assert reported(case) == 2
    assert case.run(person_ids=[5]).rows["personID"].to_list() == [5]
    assert reported(case, person_ids=[]) == 0


def test_A2_resolution_without_a_state_code_is_not_reported():
    case = Case()
    eid = case.event()
    role = case.role(eid)
    case.resolution(role, None)  # a local type (e.g. Parent Contact)
    case.resolution(role, "")
    assert reported(case) == 0


def test_A2_codes_are_compared_zero_padded():
    case = Case()
    case.one("1")  # stored as "1": the state code 001
    assert case.run().rows["stateResCode"].to_list() == ["001"]


def test_A2_any_mapped_code_by_default_and_the_newer_list_as_a_setting():
    case = Case()
    for code in ("470", "710", "770", "860", "450", "730"):
        case.one(code)
    assert sorted(case.run().rows["stateResCode"]) == ["450", "470", "710", "730", "770", "860"]
    newer = load_kias_codes().newer_kb_codes
    assert sorted(newer) == ["001", "002", "450", "510", "520", "550", "555", "560", "565",
                             "730", "750"]
    assert sorted(case.run(qualifying_codes=newer).rows["stateResCode"]) == ["450", "730"]


def test_A3_no_role_filter_a_victims_resolution_is_reported():
    case = Case()
    case.student(5)
    eid = case.event()
    case.role(eid, 1, role="Offender")
    case.resolution(case.role(eid, 5, role="Victim"), "450")
    assert case.run().rows["personID"].to_list() == [5]


def test_A45_student_without_state_id_is_reported_with_blank_kids_id():
    case = Case()
    case.student(3, state_id=None)
    eid = case.one("450", person=3)
    assert case.run().cell(eid, "450", "KIDS ID", person=3) == ""


def test_A38_rows_sorted_by_building_kids_id_date_event_code():
    case = Case()
    case.student(5, state_id="0000000000")
    later = case.one("520", event={"on": "2026-10-07"})
    case.one("510", event={"on": "2026-10-07"})
    early = case.one("450", event={"on": "2026-10-02"})
    other = case.one("450", person=5)
    result = case.run()
    assert result.rows.select("personID", "eventID", "stateResCode").rows() == [
        (5, other, "450"), (1, early, "450"), (1, later, "520"), (1, later + 1, "510")]
