"""The validation rules V1 and V2 (kias.md §7): a passing and a failing case each, the
population (every resolution of a student with a weapon code 100-500 on the event), and the
Findings rows (outputs.md)."""

from __future__ import annotations

from datetime import date

import pytest

from lead_pipeline.lib.kias.validation import FINDING_COLUMNS
from lead_pipeline_tests.kias.cases import Case


def findings(case: Case) -> list[tuple[str, int]]:
    return case.run().findings.select("Rule", "Resolution ID").rows()


def weapon_case(*, idea: bool, method: str | None, code: str = "510",
                weapons: tuple[str, ...] = ("100",)) -> tuple[Case, int]:
    case = Case()
    if idea:
        case.iep()
    eid = case.event()
    rid = case.resolution(case.role(eid, weapons=weapons), code, method=method)
    return case, rid


@pytest.mark.parametrize("method", ["1", "2", "3", "4", "5"])
def test_V1_passes_for_an_idea_student_with_method_1_to_5(method):
    case, _ = weapon_case(idea=True, method=method)
    assert findings(case) == []


@pytest.mark.parametrize("method", [None, "0", "6", "7", "12", "x"])
def test_V1_fails_for_an_idea_student_with_a_missing_or_non_idea_method(method):
    case, rid = weapon_case(idea=True, method=method)
    assert findings(case) == [("V1", rid)]


@pytest.mark.parametrize("method", ["6", "7", "8", "9", "10", "11", "12"])
def test_V2_passes_for_a_non_idea_student_with_method_6_to_12(method):
    case, _ = weapon_case(idea=False, method=method)
    assert findings(case) == []


@pytest.mark.parametrize("method", [None, "1", "4", "5", "13"])
def test_V2_fails_for_a_non_idea_student_with_a_missing_or_idea_method(method):
    case, rid = weapon_case(idea=False, method=method)
    assert findings(case) == [("V2", rid)]


def test_V1_V2_only_when_the_student_has_a_firearm_or_explosive_code():
    case, _ = weapon_case(idea=False, method=None, weapons=("600",))  # a knife
    assert findings(case) == []
    case, _ = weapon_case(idea=True, method=None, weapons=())
    assert findings(case) == []
    # a weapons-related event code alone does not make the student weapon-involved
    case = Case()
    case.one("510", event={"code": "1410"})
    assert findings(case) == []


def test_V1_V2_check_every_resolution_of_the_student_on_the_event():
    """A valid method on the OSS does not cover the 750 referral or a local resolution type
    without a state code; another student's resolution on the event is not checked (no
    weapon code of their own)."""
    case = Case()
    case.student(5)
    eid = case.event()
    role = case.role(eid, weapons=("200",))
    case.resolution(role, "510", method="11")
    felony = case.resolution(role, "750")
    local = case.resolution(role, None, method="3")
    case.resolution(case.role(eid, 5, role="Victim"), "450")
    assert findings(case) == [("V2", felony), ("V2", local)]


def test_V1_V2_use_idea_status_on_the_incident_date():
    case = Case()
    case.iep(start="2025-10-06", end="2026-10-04")  # ended the day before the incident
    eid = case.event()
    rid = case.resolution(case.role(eid, weapons=("100",)), "510", method="4")
    assert findings(case) == [("V2", rid)]


def test_V1_V2_same_population_filters_as_the_extract():
    case, _ = weapon_case(idea=False, method=None)
    case.s.rows["Enrollment"][0]["stateExclude"] = 1
    assert findings(case) == []
    case, _ = weapon_case(idea=False, method=None)
    case.s.rows["BehaviorIncident"][0]["status"] = "IP"
    assert findings(case) == []


def test_failing_method_blanks_both_discipline_method_columns():
    case, _ = weapon_case(idea=True, method="7")
    row = case.run().rows.row(0, named=True)
    assert (row["Discipline Method for IDEA Student"],
            row["Discipline Method for Non-IDEA Student"]) == ("", "")


def test_findings_rows_have_the_outputs_md_columns():
    case = Case()
    case.iep()
    eid = case.event()
    rid = case.resolution(case.role(eid, weapons=("300", "100")), "550", method="9")
    found = case.run().findings
    assert tuple(found.columns) == FINDING_COLUMNS
    row = found.row(0, named=True)
    message = row.pop("Message")
    assert row == {
        "Rule": "V1", "Building ID": "0005", "KIDS ID": "0000000001", "Person ID": 1,
        "Incident Date": date(2026, 10, 5), "Incident ID": 2001, "Event ID": eid,
        "Resolution ID": rid, "State Resolution Code": "550", "Weapon Codes": "100, 300",
        "Firearm Discipline Method": "9"}
    assert message == (
        "IDEA student (IEP or special education state reporting record on the incident date) "
        "on a weapon event (weapon codes 100, 300): Firearm Discipline Method 9 is not valid; "
        "set it to one of 1, 2, 3, 4, 5 on this behavior resolution.")


def test_missing_method_message():
    case, _ = weapon_case(idea=False, method=None)
    (message,) = case.run().findings["Message"]
    assert "Firearm Discipline Method is missing" in message
    assert message.endswith("set it to one of 6, 7, 8, 9, 10, 11, 12 on this behavior "
                            "resolution.")
