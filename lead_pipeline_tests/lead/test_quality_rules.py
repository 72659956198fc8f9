"""Quality rules (lead.md §5): for every Q- rule a hand-built case that triggers it and a near
miss that does not, asserting the finding's ids.

Rows are added to `tiny()` (one A1 school 005, calendar 100, section 600 whose last day is
2027-05-21, student 1 in KG with no plan, teacher 2 active staff with EPSB ID 123456, report
year 2027 so W = 2026-07-01 .. 2027-06-30, snapshot date 2026-11-21). A finding's ids are
written (School Number, Section ID, Person ID), None where the rule's grain has no such id.
"""

from __future__ import annotations

import polars as pl
import pytest

from lead_pipeline.lib.lead.rules import ISSUE_COLUMNS, RULES
from lead_pipeline_tests.builders import (
    EVERY_RULE,
    LAST_DAY,
    add_section,
    add_staff,
    add_student,
    case_manager,
    course,
    every_rule,
    iep,
    ilpa,
    roster,
    section,
    tiny,
)

Ids = tuple[str | None, int | None, int | None]


def ids(frame: pl.DataFrame, rule: str) -> list[Ids]:
    return list(frame.filter(pl.col("Check") == rule)
                .select("School Number", "Section ID", "Person ID").iter_rows())


def test_the_tiny_district_has_no_findings(run):
    frame = run(tiny()).findings
    assert frame.columns == ISSUE_COLUMNS
    assert frame.height == 0


# ---- Classes ------------------------------------------------------------------------------------

def test_Q_C1_primary_teacher_without_a_staff_record(run):
    s = tiny()
    add_staff(s, 20, with_employment=False)  # assigned at 005 but no Employment at all
    section(s, 601, teacher=20)
    frame = run(s).findings
    # section 600 (teacher 2, active staff) is the near miss; a teacher with no Employment at
    # all gets Q-C1 only (lead.md "Ties and edges")
    assert ids(frame, "Q-C1") == [("005", 601, 20)]
    assert ids(frame, "Q-I1") == []
    (row,) = frame.filter(pl.col("Check") == "Q-C1").iter_rows(named=True)
    assert (row["Level"], row["Report"], row["Message"]) == ("Error", "Classes",
                                                              "No staff record found")


def test_Q_C2_section_without_a_primary_teacher(run):
    s = tiny()
    section(s, 601, teacher=None)
    # near miss: 602's only P row ended before the last day, still its primary teacher (L-22)
    section(s, 602, teacher=None)
    s.add("SectionStaffHistory", sectionID=602, trialID=300, personID=2, staffType="P",
          startDate="2026-08-12", endDate="2026-12-18")
    frame = run(s).findings
    assert ids(frame, "Q-C2") == [("005", 601, None)]
    assert ids(frame, "Q-C1") == []


def test_Q_C3_placeholder_course_without_a_teacher(run):
    s = tiny()
    course(s, 501, "909995")  # a placeholder course (state_course_code.csv)
    section(s, 601, course=501, teacher=None)
    section(s, 602, teacher=None)  # no teacher but course 010101: Q-C2 only
    section(s, 603, course=501)  # placeholder with a teacher: nothing
    frame = run(s).findings
    assert ids(frame, "Q-C3") == [("005", 601, None)]
    assert ids(frame, "Q-C2") == [("005", 601, None), ("005", 602, None)]
    assert frame.filter(pl.col("Check") == "Q-C3")["Level"].to_list() == ["Review"]


def test_Q_C4_dual_credit_without_a_teacher(run):
    s = tiny()
    section(s, 601, teacher=None, teachingMethod="12")
    section(s, 602, teacher=None, teachingMethod="02")  # another method: Q-C2 only
    section(s, 603, teachingMethod="12")  # dual credit with a teacher: nothing
    frame = run(s).findings
    assert ids(frame, "Q-C4") == [("005", 601, None)]


def test_Q_C5_section_with_nobody_counted(run):
    s = tiny()
    section(s, 601)  # no roster at all
    section(s, 602)
    add_student(s, 3, section=602, roster={"endDate": "2027-05-20"})  # left the day before
    section(s, 603)
    add_student(s, 4, section=603, roster={"endDate": LAST_DAY})  # still there: Total 1
    frame = run(s).findings
    assert ids(frame, "Q-C5") == [("005", 601, None), ("005", 602, None)]


def test_Q_C6_content_required_and_not_provided(run):
    s = tiny()
    course(s, 501, "230171")  # content required (AP Research)
    section(s, 601, course=501, coreContent=None)
    section(s, 602, course=501, coreContent="27")  # provided: nothing
    # section 600 (course 010101, blank core content) is the other near miss
    frame = run(s).findings
    assert ids(frame, "Q-C6") == [("005", 601, None)]
    (message,) = frame.filter(pl.col("Check") == "Q-C6")["Message"]
    assert message == "Content required for course code: Not provided"


def test_Q_C7_non_instructional_content(run):
    s = tiny()
    section(s, 601, coreContent="507")
    section(s, 602, coreContent="502")
    assert ids(run(s).findings, "Q-C7") == [("005", 601, None)]


def test_Q_C8_content_varies(run):
    s = tiny()
    section(s, 601, coreContent="509")
    section(s, 602, coreContent="507")  # Q-C7, not Q-C8
    frame = run(s).findings
    assert ids(frame, "Q-C8") == [("005", 601, None)]
    assert ids(frame, "Q-C7") == [("005", 602, None)]


def test_Q_C9_general_students_in_a_special_education_section(run):
    s = tiny()
    section(s, 601, specialType="05")
    add_student(s, 3, section=601, enrollment={"disability1": "SLD"})
    iep(s, 3)
    add_student(s, 4, section=601)  # general: 1 of 2
    section(s, 602, specialType="05")
    add_student(s, 5, section=602, enrollment={"disability1": "AUT"})
    iep(s, 5)  # all with a disability in section: nothing
    # section 600 (special type 01) has a general student: not Q-C9
    frame = run(s).findings
    assert ids(frame, "Q-C9") == [("005", 601, None)]
    (message,) = frame.filter(pl.col("Check") == "Q-C9")["Message"]
    assert message.startswith("1 of 2 students")


def test_Q_C10_more_than_25_percent_general_is_strict(run):
    """601: 12 general of 48 = exactly 25%, not an error; 602: 13 of 50 = 26%, an error."""
    s = tiny()
    section(s, 601, specialType="05")
    section(s, 602, specialType="05")
    for pid in range(1001, 1051):  # 1001-1013 general, 1014-1050 SLD under a locked IEP
        general = pid <= 1013
        add_student(s, pid, section=602,
                    enrollment={"disability1": None if general else "SLD"})
        if not general:
            iep(s, pid)
        if pid != 1013 and pid != 1050:  # 601 gets 12 general and 36 with a disability
            roster(s, pid, 601)
    result = run(s)
    counts = {row["Section ID"]: (row["General"], row["Total"])
              for row in result.classes.iter_rows(named=True)}
    assert counts[601] == (12, 48) and counts[602] == (13, 50)
    frame = result.findings
    assert ids(frame, "Q-C10") == [("005", 602, None)]
    assert ids(frame, "Q-C9") == [("005", 601, None), ("005", 602, None)]
    (row,) = frame.filter(pl.col("Check") == "Q-C10").iter_rows(named=True)
    assert row["Level"] == "Error"
    assert row["Message"] == ("More than 25% of students for the special education course are "
                              "general population")
    # the operator is told which Detail to run
    assert "lead-pipeline refresh" in row["How to fix"]
    assert "--section 602" in row["How to fix"] and "section_ids: [602]" in row["How to fix"]


def test_Q_C11_alternative_classroom_outside_an_alternative_school(run):
    s = tiny()
    section(s, 601, specialType="02")  # in 005, classified A1
    assert ids(run(s).findings, "Q-C11") == [("005", 601, None)]
    s.one("School")["stateClassification"] = "A5"  # the same section in an A5 school
    assert ids(run(s).findings, "Q-C11") == []


def test_Q_C12_alternative_classroom_student_without_ilpa_or_iep(run):
    s = tiny()
    section(s, 601, specialType="02")
    add_student(s, 3, section=601)
    ilpa(s, 3)  # an active ILPA
    add_student(s, 4, section=601)
    iep(s, 4)  # an active locked IEP, no disability: fulfils the ILPA requirement
    add_student(s, 5, section=601)  # neither: the finding
    section(s, 602, specialType="02")
    roster(s, 3, 602)
    roster(s, 4, 602)  # only covered students: nothing
    section(s, 603, specialType="02")
    add_student(s, 6, section=603)
    iep(s, 6, locked=0)  # an unlocked IEP does not count
    section(s, 604, specialType="02")
    add_student(s, 9, section=604)
    ilpa(s, 9, end="2027-05-20")  # ILPA ended the day before the last day
    frame = run(s).findings
    assert ids(frame, "Q-C12") == [("005", 601, None), ("005", 603, None), ("005", 604, None)]
    messages = frame.filter(pl.col("Check") == "Q-C12")["Message"].to_list()
    assert all(m.startswith("1 student(s)") for m in messages)


# ---- Staff ----------------------------------------------------------------------------------

def test_Q_S1_certified_staff_without_an_epsb_id(run):
    s = tiny()
    add_staff(s, 20, employment={"licenseNumber": None})  # type 01: the finding
    add_staff(s, 21, employment={"licenseNumber": None}, assignment={"type": "04"})
    add_staff(s, 22, assignment={"type": "06"})  # certified, with an EPSB ID
    add_staff(s, 23, employment={"licenseNumber": None}, assignment={"type": "06"})
    frame = run(s).findings
    assert ids(frame, "Q-S1") == [("005", None, 20), ("005", None, 23)]


def test_Q_S2_speech_therapists(run):
    s = tiny()
    add_staff(s, 20, assignment={"type": "05", "teacher": 0})
    add_staff(s, 21, assignment={"type": "04", "teacher": 0})
    assert ids(run(s).findings, "Q-S2") == [("005", None, 20)]


def test_Q_S3_teacher_role_on_a_not_certified_type(run):
    s = tiny()
    add_staff(s, 20, assignment={"type": "04", "teacher": 1})
    add_staff(s, 21, assignment={"type": "07", "teacher": 1})
    add_staff(s, 22, assignment={"type": "04", "teacher": 0})  # no teacher role
    add_staff(s, 23, assignment={"type": "01", "teacher": 1})  # certified type
    assert ids(run(s).findings, "Q-S3") == [("005", None, 20), ("005", None, 21)]


def test_Q_I2_active_assignment_without_a_type(run):
    s = tiny()
    add_staff(s, 20, assignment={"type": None})
    s.add("EmploymentAssignment", assignmentID=201, personID=20, schoolID=10,
          startDate="2020-08-01", endDate=None, type=None, altType="B", teacher=0,
          title="Aide")  # a second blank-type row at the same school: still one finding
    add_staff(s, 21, assignment={"type": "01"})
    add_staff(s, 22, assignment={"type": None, "endDate": "2026-06-30"})  # ended before W
    frame = run(s).findings
    assert ids(frame, "Q-I2") == [("005", None, 20)]


# ---- Caseload -------------------------------------------------------------------------------

def test_Q_K1_case_manager_without_a_staff_record(run):
    s = tiny()
    add_staff(s, 20)
    s.add("Person", personID=22, stateID=None, currentIdentityID=None, studentNumber=None,
          staffNumber="T22")  # not staff anywhere
    add_student(s, 3, enrollment={"disability1": "SLD"})
    iep(s, 3)
    case_manager(s, 3, 20)  # active staff: near miss
    add_student(s, 4, enrollment={"disability1": "SLD"})
    iep(s, 4)
    case_manager(s, 4, 22)
    frame = run(s).findings
    assert ids(frame, "Q-K1") == [(None, None, 22)]
    (message,) = frame.filter(pl.col("Check") == "Q-K1")["Message"]
    assert message == "No staff record found"


def test_Q_K2_students_with_a_disability_and_no_case_manager(run):
    s = tiny()
    add_staff(s, 20)
    add_student(s, 3, enrollment={"disability1": "SLD"})
    iep(s, 3)
    case_manager(s, 3, 20)
    result = run(s)
    assert ids(result.findings, "Q-K2") == []  # every such student has one: no blank row
    add_student(s, 4, enrollment={"disability1": "AUT"})
    iep(s, 4)
    add_student(s, 5, enrollment={"disability1": "OHI"})
    iep(s, 5)
    frame = run(s).findings
    assert ids(frame, "Q-K2") == [(None, None, None)]
    (message,) = frame.filter(pl.col("Check") == "Q-K2")["Message"]
    assert message.startswith("2 student(s)")


def test_Q_K3_caseload_with_general_students(run):
    s = tiny()
    add_staff(s, 20)
    add_staff(s, 21)
    add_student(s, 3, enrollment={"disability1": "SLD"})
    iep(s, 3)
    case_manager(s, 3, 21)  # only students with a disability in section: near miss
    add_student(s, 4, enrollment={"disability1": "SLD"})
    iep(s, 4, end="2026-10-01")  # the IEP expired: general on the last day
    case_manager(s, 4, 20)
    assert ids(run(s).findings, "Q-K3") == [(None, None, 20)]


# ---- Schoolwide -----------------------------------------------------------------------------

def test_Q_W1_alternative_school_students_without_ilpa_or_iep(run):
    s = tiny()
    s.one("School")["stateClassification"] = "A5"
    ilpa(s, 1)  # student 1 covered
    add_student(s, 3)
    iep(s, 3)  # covered by a locked IEP
    add_student(s, 4, state_id=None)  # no State ID: not counted in Schoolwide
    assert ids(run(s).findings, "Q-W1") == []  # near miss
    # student 5's ILPA is active on 601's last day only; 600 (latest end) is the attribute row
    s.add("Term", termID=401, structureID=200, name="S1", seq=1, startDate="2026-08-12",
          endDate="2026-12-18")
    add_section(s, 601, term=401)
    add_student(s, 5, section=601)
    roster(s, 5, 600)
    ilpa(s, 5, end="2027-01-31")
    frame = run(s).findings
    assert ids(frame, "Q-W1") == [("005", None, None)]
    (message,) = frame.filter(pl.col("Check") == "Q-W1")["Message"]
    assert message.startswith("1 student(s)")


def test_Q_W1_only_alternative_schools(run):
    s = tiny()  # A1 with student 1 on no plan
    assert ids(run(s).findings, "Q-W1") == []
    s.one("School")["stateClassification"] = "A6"
    assert ids(run(s).findings, "Q-W1") == [("005", None, None)]


# ---- Integrity between Classes and Staff -----------------------------------------------------

def test_Q_I1_employed_teacher_without_an_assignment_at_the_school(run):
    s = tiny()
    s.add("School", schoolID=11, districtID=1, number="006", name="Other",
          stateClassification="A1")
    add_staff(s, 20, school=11)  # employed, assigned only at 006
    section(s, 601, teacher=20)
    add_staff(s, 21, with_employment=False)  # no Employment at all: Q-C1 only
    section(s, 602, teacher=21)
    add_staff(s, 22, school=11, employment={"endDate": "2026-06-30"})  # employment before W
    section(s, 603, teacher=22)
    add_staff(s, 23, assignment={"startDate": "2025-08-01", "endDate": "2026-06-30"})
    section(s, 604, teacher=23)  # employed, assignment at 005 ended before W: Q-I1
    frame = run(s).findings
    assert ids(frame, "Q-I1") == [("005", 601, 20), ("005", 604, 23)]
    assert ids(frame, "Q-C1") == [("005", 601, 20), ("005", 602, 21), ("005", 603, 22),
                                  ("005", 604, 23)]
    (fix,) = frame.filter(pl.col("Check") == "Q-I1", pl.col("Section ID") == 601)["How to fix"]
    assert fix == "Add a District Assignment at school 005 for person 20."


def test_Q_I1_employment_of_another_district_does_not_count(run):
    s = tiny()
    s.add("School", schoolID=11, districtID=1, number="006", name="Other",
          stateClassification="A1")
    add_staff(s, 20, school=11, employment={"districtID": 2})
    section(s, 601, teacher=20)
    frame = run(s).findings
    assert ids(frame, "Q-I1") == []
    assert ids(frame, "Q-C1") == [("005", 601, 20)]


# ---- the Issues rows ------------------------------------------------------------------------

def test_findings_are_sorted_by_rule_then_ids_and_carry_no_names(run):
    s = tiny()
    section(s, 601, teacher=None, specialType="05")
    add_student(s, 3, section=601)
    section(s, 602, teacher=None)
    frame = run(s).findings
    assert frame["Check"].to_list() == ["Q-C2", "Q-C2", "Q-C5", "Q-C9", "Q-C10"]
    assert frame["Section ID"].to_list() == [601, 602, 602, 601, 601]
    text = " ".join(frame.select(pl.concat_str(pl.all().cast(pl.String), separator=" ",
                                               ignore_nulls=True)).to_series())
    assert "Last3" not in text and "First3" not in text and "0000000003" not in text


def test_every_rule_has_a_test_here():
    names = [name for name in globals() if name.startswith("test_Q_")]
    for rule in RULES:
        prefix = f"test_{rule.id.replace('-', '_')}_"
        assert any(name.startswith(prefix) for name in names), rule.id


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_rule_levels_and_check_names(rule):
    assert rule.level in ("error", "review")
    assert rule.check_name.startswith(rule.id.lower().replace("-", "_") + "_")
    assert rule.fix and rule.message


def test_every_rule_fires_once_on_its_own_district(run):
    """every_rule() (lead_pipeline_tests/builders.py): one problem per rule, also the district
    of the UI test."""
    frame = run(every_rule()).findings
    assert {r.id: ids(frame, r.id) for r in RULES} == EVERY_RULE
