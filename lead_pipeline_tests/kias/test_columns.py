"""The 42 columns of kias.md §4, each on tiny hand-built incidents (ids A6-A45 in the names).

Unless a test says otherwise: student 1 (KIDS ID 0000000001, no IEP / SPED / foster record),
school 005, an event of state event code 1110 (neither drug nor weapon in the reference table;
1310 is drug, 1410 weapon), incident on Monday 2026-10-05, time classifier 120 and location 101,
resolution on Tuesday 2026-10-06 without times (1.00 day).
"""

from __future__ import annotations

import pytest

from lead_pipeline.lib.kias.columns import COLUMN_COUNT, column_names
from lead_pipeline.lib.kias.reference import load_kias_codes
from lead_pipeline_tests.kias.cases import Case

DRUG, WEAPON = "1310", "1410"


def cell(column: str, code: str = "450", case: Case | None = None, **one) -> str:
    case = case or Case()
    eid = case.one(code, **one)
    return case.run().cell(eid, code, column)


def idea_case(**iep) -> Case:
    case = Case()
    case.iep(**iep)
    return case


# ---- header and identity columns (1-3) -----------------------------------------------------

def test_42_columns_in_seed_order_with_seed_names():
    names = column_names(load_kias_codes())
    assert len(names) == COLUMN_COUNT == 42
    assert names[:4] == ["Building ID", "KIDS ID", "Incident Date", "Bullying Type"]
    assert names[7] == "Educational Services during Expulsion"
    assert names[9:15] == ["KSSSA Reported Felony", "KSSSA Reported Misdemeanor",
                           "KSSSA Reported Weapons", "KSSSA Where", "Weapon Arrest Made",
                           "Weapon Code"]
    assert names[17] == "IDEA Days of ISS" and names[36] == "IDEA Removal SP Injury"
    assert names[40:] == ["Educational Services During Violence Related Expulsion",
                          "Educational Services During Expulsion"]


def test_default_row_shape_of_a_non_idea_non_bullying_iss_row():
    """kias.md §4 "default row shapes": 10-12 N, 14 N, everything else blank."""
    case = Case()
    eid = case.one("450")
    values = list(case.run().row(eid, "450").values())[3:]
    expected = ["0005", "0000000001", "10/05/2026"] + [""] * 39
    expected[9:12] = ["N", "N", "N"]
    expected[13] = "N"
    assert values == expected


def test_col1_building_id_left_pads_digits_to_four():
    case = Case()
    case.one("450")
    assert case.run().rows["Building ID"].to_list() == ["0005"]
    case.s.rows["School"][0]["number"] = "1234"
    assert case.run().rows["Building ID"].to_list() == ["1234"]
    case.s.rows["School"][0]["number"] = "K12"
    assert case.run().rows["Building ID"].to_list() == ["K12"]


def test_col3_incident_date_is_mm_dd_yyyy():
    assert cell("Incident Date", event={"on": "2027-01-09"}) == "01/09/2027"


# ---- bullying (4-9) -------------------------------------------------------------------------

@pytest.mark.parametrize(("incident_type", "expected"), [
    ("2015", "1"), ("2016", "2"), ("2017", "3"), ("2018", "4"), ("2019", ""), (None, "")])
def test_col4_bullying_type(incident_type, expected):
    assert cell("Bullying Type", event={"incident_type": incident_type}) == expected


@pytest.mark.parametrize(("code", "column"), [
    ("450", "Bullying Days of ISS"), ("510", "Bullying Days of OSS"),
    ("520", "Bullying Days of OSS"), ("550", "Bullying Days of Expulsion"),
    ("565", "Bullying Days of Expulsion"), ("001", "Bullying Days of Other"),
    ("470", "Bullying Days of Other"), ("860", "Bullying Days of Other")])
def test_cols5_to_9_bullying_days_by_code_category(code, column):
    days = ["Bullying Days of ISS", "Bullying Days of OSS", "Bullying Days of Expulsion",
            "Bullying Days of Other"]
    case = Case()
    eid = case.one(code, event={"incident_type": "2016"}, duration="2")
    row = case.run().row(eid, code)
    assert {c: row[c] for c in days} == {c: ("2.00" if c == column else "") for c in days}
    plain = Case()
    eid = plain.one(code, duration="2")  # not bullying: every bullying column blank
    assert all(plain.run().row(eid, code)[c] == "" for c in [*days, "Bullying Type"])


def test_A39_a_law_enforcement_resolution_on_a_bullying_event_counts_as_other():
    assert cell("Bullying Days of Other", "750", event={"incident_type": "2015"}) == "1.00"


@pytest.mark.parametrize(("code", "expected"), [
    ("550", "Y"), ("555", "Y"), ("560", "N"), ("565", "N"), ("450", "")])
def test_col8_educational_services_during_expulsion_for_bullying(code, expected):
    column = "Educational Services during Expulsion"
    assert cell(column, code, event={"incident_type": "2017"}) == expected
    assert cell(column, code) == ""  # not bullying


def test_A30_A40_idea_bullying_expulsion_fills_col8_and_col33_not_col42():
    case = idea_case()
    eid = case.one("550", event={"incident_type": "2015"})
    row = case.run().row(eid, "550")
    assert row["Educational Services during Expulsion"] == "Y"
    assert row["IDEA Services During Expulsion"] == "Y"
    assert row["Educational Services During Expulsion"] == ""


# ---- KSSSA (10-13) --------------------------------------------------------------------------

@pytest.mark.parametrize(("code", "law", "felony", "misdemeanor"), [
    ("450", None, "N", "N"), ("450", "01", "Y", "N"), ("450", "1", "Y", "N"),
    ("750", None, "Y", "N"), ("450", "02", "N", "Y"), ("730", None, "N", "Y"),
    ("730", "01", "Y", "Y"), ("450", "03", "N", "N")])
def test_cols10_11_ksssa_felony_and_misdemeanor(code, law, felony, misdemeanor):
    case = Case()
    eid = case.one(code, law=law)
    row = case.run().row(eid, code)
    assert (row["KSSSA Reported Felony"], row["KSSSA Reported Misdemeanor"]) == (
        felony, misdemeanor)


@pytest.mark.parametrize(("code", "law", "weapons", "expected"), [
    ("450", "03", ("100",), "Y"),  # referral 03 with a firearm/explosive code
    ("450", "03", ("500",), "Y"),
    ("450", "03", (), "N"),  # 03 without a weapon
    ("450", "03", ("600",), "N"),  # a knife is not in 100-500
    ("450", None, ("100",), "N"),  # a weapon without the referral
    ("710", None, (), "Y"), ("730", None, (), "Y"), ("750", None, (), "Y"),
    ("770", None, (), "Y"),  # A17: law enforcement codes need no weapon
])
def test_col12_ksssa_reported_weapons_A17(code, law, weapons, expected):
    assert cell("KSSSA Reported Weapons", code, law=law, weapons=weapons) == expected


def test_A18_ksssa_flags_are_per_row_not_per_event():
    case = Case()
    eid = case.event()
    role = case.role(eid)
    case.resolution(role, "450")
    case.resolution(role, "750")
    result = case.run()
    assert result.cell(eid, "450", "KSSSA Reported Felony") == "N"
    assert result.cell(eid, "750", "KSSSA Reported Felony") == "Y"


def test_A41_referrals_of_grouped_resolutions_combine():
    case = Case()
    eid = case.event()
    role = case.role(eid)
    case.resolution(role, "450", law="01")
    case.resolution(role, "450", law="02")
    row = case.run().row(eid, "450")
    assert (row["KSSSA Reported Felony"], row["KSSSA Reported Misdemeanor"]) == ("Y", "Y")


@pytest.mark.parametrize(("context", "location", "law", "expected"), [
    ("120", "101", "01", "1"),  # morning classes, classroom
    ("199", "160", "02", "1"),  # other during school hours, stadium
    ("210", "150", "01", "2"),  # in transit, outside (on property)
    ("230", "110", "01", "2"),
    ("230", "210", "01", "3"),  # school-sponsored activity, off campus
    ("199", "299", "01", "3"),
    ("120", "210", "01", ""),  # school-day time off property: no rule matches
    ("110", None, "01", ""),  # missing location
    (None, "101", "01", ""),  # missing time
    ("120", "101", None, ""),  # no KSSSA flag: blank whatever the place
])
def test_col13_ksssa_where_1_2_3_or_blank_A15_A16(context, location, law, expected):
    assert cell("KSSSA Where", law=law,
                event={"context": context, "location": location}) == expected


def test_A15b_ksssa_where_needs_only_one_flag():
    assert cell("KSSSA Where", "450", law="03", weapons=("200",)) == "1"
    assert cell("KSSSA Where", "710") == "1"


# ---- weapons (14-15) ------------------------------------------------------------------------

def test_col14_weapon_arrest_made_A19():
    assert cell("Weapon Arrest Made", arrest=True) == "Y"  # no weapon needed
    assert cell("Weapon Arrest Made", arrest=False) == "N"
    case = Case()
    eid = case.event()
    role = case.role(eid)
    case.resolution(role, "450", arrest=False)
    case.resolution(role, "450", arrest=True)
    assert case.run().cell(eid, "450", "Weapon Arrest Made") == "Y"  # A41: any


@pytest.mark.parametrize(("weapons", "expected"), [
    (("100",), "1"), (("200",), "2"), (("300",), "3"), (("400",), "3"), (("500",), "3"),
    (("100", "300"), "4"),  # two distinct weapons
    (("100", "600"), "1"),  # 600 is not a firearm/explosive code
    (("600", "999"), ""), ((), "")])
def test_col15_weapon_code_A20(weapons, expected):
    assert cell("Weapon Code", weapons=weapons) == expected


def test_A20_weapon_code_4_for_two_distinct_weapons_on_two_roles_of_the_student():
    case = Case()
    eid = case.event()
    case.resolution(case.role(eid, weapons=("200",)), "510")
    case.role(eid, role="Participant", weapons=("500",))
    assert case.run().cell(eid, "510", "Weapon Code") == "4"


def test_A20_the_same_weapon_twice_is_one_weapon_and_other_students_do_not_count():
    case = Case()
    case.student(5)
    eid = case.event()
    case.resolution(case.role(eid, weapons=("100",)), "510")
    case.role(eid, role="Participant", weapons=("100",))
    case.role(eid, 5, role="Victim", weapons=("200",))
    assert case.run().cell(eid, "510", "Weapon Code") == "1"


# ---- firearm discipline method (16-17) ------------------------------------------------------

@pytest.mark.parametrize(("idea", "method", "col16", "col17"), [
    (True, "2", "2", ""), (True, "5", "5", ""), (True, "7", "", ""),
    (False, "7", "", "7"), (False, "12", "", "12"), (False, "3", "", ""),
    (False, None, "", ""), (True, "x", "", ""), (False, " 06", "", "6")])
def test_cols16_17_discipline_method_by_idea_status_A35(idea, method, col16, col17):
    case = idea_case() if idea else Case()
    eid = case.one("510", weapons=("100",), method=method)
    row = case.run().row(eid, "510")
    assert (row["Discipline Method for IDEA Student"],
            row["Discipline Method for Non-IDEA Student"]) == (col16, col17)


def test_A41_method_is_the_first_non_null_by_resolution_id():
    case = Case()
    eid = case.event()
    role = case.role(eid, weapons=("100",))
    case.resolution(role, "510", method=None)
    case.resolution(role, "510", method="11")
    case.resolution(role, "510", method="6")
    assert case.run().cell(eid, "510", "Discipline Method for Non-IDEA Student") == "11"


# ---- IDEA status (§3.3, A21, A22) -----------------------------------------------------------

def idea_iss(case: Case) -> str:
    """Col 22 IDEA ISS Other of a plain ISS: Y for an IDEA student, blank otherwise."""
    return cell("IDEA ISS Other", case=case)


def test_A21_idea_by_locked_iep_active_on_the_incident_date():
    assert idea_iss(idea_case(start="2026-08-01")) == "Y"
    assert idea_iss(idea_case(start="2026-10-05")) == "Y"  # starts that day
    assert idea_iss(idea_case(start="2025-10-01", end="2026-10-05")) == "Y"  # ends that day


def test_A21_not_idea_the_day_after_the_iep_ends():
    assert idea_iss(idea_case(start="2025-10-06", end="2026-10-04")) == ""
    assert idea_iss(idea_case(start="2026-10-06")) == ""  # starts the day after


def test_A22_an_unlocked_iep_is_not_an_iep():
    assert idea_iss(idea_case(locked=0)) == ""


def test_A21_idea_by_special_education_state_record_without_iep():
    case = Case()
    case.sped(start="2026-09-01")
    assert idea_iss(case) == "Y"


def test_A21_state_record_needs_a_primary_disability_and_to_be_active():
    blank = Case()
    blank.sped(disability=" ")
    assert idea_iss(blank) == ""
    ended = Case()
    ended.sped(start="2025-09-01", end="2026-10-04")
    assert idea_iss(ended) == ""


def test_idea_status_is_taken_on_each_incident_date():
    case = idea_case(start="2026-08-01", end="2026-10-31")
    before = case.one("450", event={"on": "2026-10-30"})
    after = case.one("450", event={"on": "2026-11-02"})
    result = case.run()
    assert result.cell(before, "450", "IDEA Days of ISS") == "1.00"
    assert result.cell(after, "450", "IDEA Days of ISS") == ""


# ---- IDEA columns (18-37) -------------------------------------------------------------------

IDEA_GROUPS = {
    "ISS": ("450", "IDEA Days of ISS", ["IDEA ISS Drugs", "IDEA ISS Weapons", "IDEA ISS Injury",
                                        "IDEA ISS Other"]),
    "OSS": ("520", "IDEA Days of OSS", ["IDEA OSS Drugs", "IDEA OSS Weapons", "IDEA OSS Injury",
                                        "IDEA OSS Other"]),
    "EXP": ("560", "IDEA Days of Expulsion", ["IDEA Expulsion Drugs", "IDEA Expulsion Weapons",
                                              "IDEA Expulsion Injury", "IDEA Expulsion Other"]),
    "RSP": ("002", "IDEA Days of Removal SP", ["IDEA Removal SP Drugs",
                                               "IDEA Removal SP Weapons",
                                               "IDEA Removal SP Injury"]),
}


@pytest.mark.parametrize("group", list(IDEA_GROUPS))
@pytest.mark.parametrize(("reason", "event_code", "injury", "expected"), [
    ("drug", DRUG, None, ["Y", "N", "N", "N"]),
    ("weapon", WEAPON, None, ["N", "Y", "N", "N"]),
    ("injury", "1110", "4", ["N", "N", "Y", "N"]),
    ("other", "1110", "2", ["N", "N", "N", "Y"]),  # A25: injury 2 is not "injury"
    ("drug+injury", DRUG, "4", ["Y", "N", "Y", "N"]),  # not "other" either
])
def test_cols18_to_37_idea_days_and_reasons_A25_A26_A28(group, reason, event_code, injury,
                                                        expected):
    code, days, reasons = IDEA_GROUPS[group]
    case = idea_case()
    eid = case.event(code=event_code)
    case.resolution(case.role(eid), code, duration="3")
    if injury:  # A28: the injury of any role in the event, here a victim's
        case.student(5)
        case.role(eid, 5, role="Victim", injury=injury)
    row = case.run().row(eid, code)
    assert row[days] == "3.00"
    assert [row[c] for c in reasons] == expected[:len(reasons)]
    for other_code, other_days, other_reasons in IDEA_GROUPS.values():
        if other_code != code:  # A23: other categories' days blank, reasons N
            assert row[other_days] == ""
            assert {row[c] for c in other_reasons} == {"N"}


def test_idea_columns_are_blank_for_a_non_idea_student():
    case = Case()
    eid = case.one("520", event={"code": DRUG}, duration="3")
    row = case.run().row(eid, "520")
    names = list(row)[list(row).index("IDEA Days of ISS"):list(row).index("Foster Days of ISS")]
    assert len(names) == 20 and all(row[c] == "" for c in names)


def test_A24_removal_sp_is_blank_not_0_for_a_student_without_iep_or_disability():
    assert cell("IDEA Days of Removal SP", "001") == ""


@pytest.mark.parametrize(("code", "expected"), [
    ("550", "Y"), ("555", "Y"), ("560", "N"), ("565", "N"), ("450", ""), ("001", "")])
def test_col33_idea_services_during_expulsion_A29(code, expected):
    assert cell("IDEA Services During Expulsion", code, case=idea_case()) == expected
    assert cell("IDEA Services During Expulsion", code) == ""  # non-IDEA


# ---- foster care (38-40) --------------------------------------------------------------------

@pytest.mark.parametrize(("code", "column"), [
    ("450", "Foster Days of ISS"), ("510", "Foster Days of OSS"),
    ("555", "Foster Days of Expulsion")])
def test_cols38_to_40_foster_days_A37(code, column):
    foster = ["Foster Days of ISS", "Foster Days of OSS", "Foster Days of Expulsion"]
    case = Case()
    case.foster(start="2026-09-01")
    eid = case.one(code, duration="4.5")
    row = case.run().row(eid, code)
    assert {c: row[c] for c in foster} == {c: ("4.50" if c == column else "") for c in foster}


def test_A37_foster_record_must_be_active_on_the_incident_date():
    ended = Case()
    ended.foster(start="2026-01-01", end="2026-10-04")
    assert cell("Foster Days of ISS", case=ended) == ""
    on_the_day = Case()
    on_the_day.foster(start="2026-01-01", end="2026-10-05")
    assert cell("Foster Days of ISS", case=on_the_day) == "1.00"
    assert cell("Foster Days of ISS", "001", case=Case()) == ""


# ---- educational services (41-42) -----------------------------------------------------------

@pytest.mark.parametrize(("code", "violence", "felony_code", "law", "expected"), [
    ("550", True, None, None, "Y"),  # services, violent
    ("555", True, None, None, "Y"),
    ("560", True, None, None, "N"),  # no services, violent
    ("560", False, "750", None, "Y"),  # felony on the event (another resolution): Y (A31)
    ("565", False, None, "01", "Y"),  # felony referral on the row's own resolution
    ("550", False, None, None, ""),  # neither violence nor felony
    ("450", True, None, None, ""),  # not expelled
])
def test_col41_services_during_violence_related_expulsion_A31(code, violence, felony_code,
                                                              law, expected):
    column = "Educational Services During Violence Related Expulsion"
    case = Case()
    eid = case.event(violence=violence)
    role = case.role(eid)
    case.resolution(role, code, law=law)
    if felony_code:
        case.resolution(role, felony_code)
    result = case.run()
    assert result.cell(eid, code, column) == expected
    if felony_code:  # A31: a 750 resolution is never itself an expulsion row
        assert result.cell(eid, felony_code, column) == ""


def test_A32_violence_indicator_is_the_events_victim_referral_flag():
    case = Case()
    eid = case.one("550", event={"violence": True})
    assert case.run().cell(
        eid, "550", "Educational Services During Violence Related Expulsion") == "Y"


@pytest.mark.parametrize(("code", "expected"), [
    ("550", "Y"), ("555", "Y"), ("560", "N"), ("565", "N"), ("450", ""), ("750", "")])
def test_col42_educational_services_during_expulsion_non_idea_non_bullying_A30(code, expected):
    column = "Educational Services During Expulsion"
    assert cell(column, code) == expected
    assert cell(column, code, case=idea_case()) == ""  # IDEA student: blank
    assert cell(column, code, event={"incident_type": "2018"}) == ""  # bullying: blank


def test_idea_row_shape_for_an_idea_oss_on_a_weapon_event():
    """§4 default shapes, IDEA: reason columns always Y/N, day columns only the row's."""
    case = idea_case()
    eid = case.one("510", event={"code": WEAPON}, weapons=("100",), method="4", law="03",
                   duration="2")
    values = list(case.run().row(eid, "510").values())[3:]
    assert values == [
        "0005", "0000000001", "10/05/2026", "", "", "", "", "", "",  # 1-9
        "N", "N", "Y", "1", "N", "1", "4", "",  # 10-17
        "", "N", "N", "N", "N",  # 18-22 ISS
        "2.00", "N", "Y", "N", "N",  # 23-27 OSS
        "", "N", "N", "N", "N", "",  # 28-33 expulsion
        "", "N", "N", "N",  # 34-37 removal SP
        "", "", "", "", ""]  # 38-42


# ---- drug / weapon event codes (A27) --------------------------------------------------------

def reasons(case: Case, event_code: str) -> tuple[str, str, str]:
    eid = case.one("510", event={"code": event_code})
    row = case.run().row(eid, "510")
    return row["IDEA OSS Drugs"], row["IDEA OSS Weapons"], row["IDEA OSS Other"]


def test_A27_reference_table_gives_drug_and_weapon_codes_without_a_snapshot_table():
    assert reasons(idea_case(), DRUG) == ("Y", "N", "N")
    assert reasons(idea_case(), WEAPON) == ("N", "Y", "N")
    assert reasons(idea_case(), "9999") == ("N", "N", "Y")


def test_A27_the_snapshots_event_code_category_replaces_the_reference_table():
    case = idea_case()
    case.event_code("9999", "Weapon")  # categories compared in lower case
    case.event_code(" 8888 ", "drug")
    assert reasons(case, "9999") == ("N", "Y", "N")
    assert reasons(case, "8888") == ("Y", "N", "N")
    assert reasons(case, DRUG) == ("N", "N", "Y")  # the reference's 1310 no longer counts


def test_A27_a_snapshot_table_without_rows_means_no_drug_or_weapon_codes():
    case = idea_case()
    case.event_codes_in_snapshot = True  # the table is in the snapshot, with a header only
    assert reasons(case, DRUG) == ("N", "N", "Y")
    assert reasons(case, WEAPON) == ("N", "N", "Y")


def test_A27_a_participant_weapon_code_alone_does_not_make_the_event_weapons_related():
    case = idea_case()
    eid = case.one("510", weapons=("100",))
    row = case.run().row(eid, "510")
    assert (row["IDEA OSS Weapons"], row["IDEA OSS Other"], row["Weapon Code"]) == (
        "N", "Y", "1")
