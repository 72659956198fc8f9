"""LEAD rules (spec/lead.md), one or more tests per rule id, on tiny hand-built snapshots.

Every expected number is worked out by hand from the rows the test adds to `tiny()` (one A1
school 005, calendar 100 from 2026-08-12 to 2027-05-21, section 600 whose last day is
2027-05-21, student 1 in KG, teacher 2, snapshot date 2026-11-21, report year 2027).
"""

from __future__ import annotations

from datetime import date

import polars as pl

from lead_pipeline.lib.codes import load_codes
from lead_pipeline.lib.lead import reports as r
from lead_pipeline_tests.builders import (
    GENERATED,
    LAST_DAY,
    add_section,
    add_staff,
    add_student,
    iep,
    tiny,
)

# ---- §1 population -----------------------------------------------------------------------------

def test_L1_L3_report_year_and_calendars(run):
    s = tiny()
    # calendar 101: last year's; calendar 102: this year's summer school; 103: excluded flag
    for cid, year, summer, exclude in ((101, 2026, 0, 0), (102, 2027, 1, 0), (103, 2027, 0, 1)):
        s.add("Calendar", calendarID=cid, schoolID=10, endYear=year, name=f"C{cid}",
              startDate="2026-08-12", endDate=LAST_DAY, summerSchool=summer, exclude=exclude)
        s.add("ScheduleStructure", structureID=cid * 2, calendarID=cid, name="Main")
        s.add("Trial", trialID=cid * 3, structureID=cid * 2, active=1)
        s.add("Term", termID=cid * 4, structureID=cid * 2, name="Year", seq=1,
              startDate="2026-08-12", endDate=LAST_DAY)
        s.add("Course", courseID=cid * 5, calendarID=cid, number=f"C{cid}", name="X",
              stateCode="010101", active=1)
        s.add("Section", sectionID=cid * 6, courseID=cid * 5, trialID=cid * 3, number="1",
              coreContent=None, teachingMethod=None, instructionalSetting=None,
              specialType="01")
        s.add("SectionPlacement", sectionID=cid * 6, trialID=cid * 3, termID=cid * 4,
              periodID=1)
    # L-3: the calendar exclude flag and the enrollment stateExclude are ignored
    s.one("Enrollment")["stateExclude"] = 1
    result = run(s)
    assert sorted(result.classes["Section ID"]) == [600, 103 * 6]
    assert result.row(600)["Total"] == 1


def test_L2_only_included_classifications(run):
    s = tiny()
    s.add("School", schoolID=11, districtID=1, number="900", name="Private Academy",
          stateClassification="F1")
    s.add("Calendar", calendarID=110, schoolID=11, endYear=2027, name="P", startDate="2026-08-12",
          endDate=LAST_DAY, summerSchool=0, exclude=0)
    s.add("Course", courseID=510, calendarID=110, number="P1", name="X", stateCode="010101",
          active=1)
    s.add("Section", sectionID=610, courseID=510, trialID=300, number="1", coreContent=None,
          teachingMethod=None, instructionalSetting=None, specialType="01")
    s.add("SectionPlacement", sectionID=610, trialID=300, termID=400, periodID=1)
    result = run(s)
    assert result.classes["Section ID"].to_list() == [600]
    assert result.schoolwide["School Number"].to_list() == ["005"]


def test_L4_section_inclusion(run):
    s = tiny()
    add_section(s, 601)  # placed, active: in, with no students (kept, Total 0)
    s.add("Course", courseID=501, calendarID=100, number="OLD", name="Old", stateCode="010101",
          active=0)
    add_section(s, 602, course=501)  # inactive course: out
    s.add("Section", sectionID=603, courseID=500, trialID=300, number="603", coreContent=None,
          teachingMethod=None, instructionalSetting=None, specialType="01")  # no placement: out
    s.add("Trial", trialID=301, structureID=200, active=0)
    s.add("Section", sectionID=604, courseID=500, trialID=301, number="604", coreContent=None,
          teachingMethod=None, instructionalSetting=None, specialType="01")
    s.add("SectionPlacement", sectionID=604, trialID=301, termID=400, periodID=1)  # inactive trial
    s.add("Term", termID=401, structureID=200, name="Undated", seq=2, startDate="2027-01-05",
          endDate=None)
    add_section(s, 605, term=401)  # placed in a term without an end date: out
    s.add("SectionPlacement", sectionID=601, trialID=300, termID=400, periodID=2)
    result = run(s)
    assert result.classes["Section ID"].to_list() == [600, 601]
    assert result.row(601)["Total"] == 0


def test_L5_section_dates_span_the_placed_terms(run):
    s = tiny()
    s.add("Term", termID=401, structureID=200, name="S1", seq=1, startDate="2026-08-12",
          endDate="2026-12-18")
    s.add("Term", termID=402, structureID=200, name="S2", seq=2, startDate="2027-01-05",
          endDate="2027-05-20")
    add_section(s, 601, term=401)
    s.add("SectionPlacement", sectionID=601, trialID=300, termID=402, periodID=3)
    row = run(s).row(601)
    assert (row["Section Start Date"], row["Section End Date"]) == (date(2026, 8, 12),
                                                                     date(2027, 5, 20))


def test_L6_roster_must_be_active_on_the_last_day(run):
    s = tiny()
    add_student(s, 3, roster={"endDate": "2027-05-20"})  # ends the day before: not counted
    add_student(s, 4, roster={"endDate": LAST_DAY})  # ends on the last day: counted
    add_student(s, 5, roster={"startDate": "2027-01-10"})  # added mid-year: counted
    add_student(s, 6, roster={"trialID": 999})  # another trial's roster: not counted
    result = run(s)
    assert result.counted() == [1, 4, 5]
    assert result.row()["Total"] == 3


def test_L6_null_roster_dates_are_the_sections_own(run):
    s = tiny()
    s.add("Term", termID=401, structureID=200, name="S1", seq=1, startDate="2026-08-12",
          endDate="2026-12-18")
    add_section(s, 601, term=401)
    add_student(s, 3, section=601)  # null dates: counted on 2026-12-18
    add_student(s, 4, section=601, roster={"startDate": "2026-12-19"})  # starts after: not
    assert run(s).counted(601) == [3]


def test_L7_enrollment_active_on_last_day_and_not_no_show(run):
    s = tiny()
    add_student(s, 3, enrollment={"noShow": 1})
    add_student(s, 4, enrollment={"endDate": "2027-03-01"})  # withdrew before the last day
    add_student(s, 5, enrollment={"calendarID": 999})  # enrolled elsewhere only
    s.add("ScheduleStructure", structureID=201, calendarID=100, name="Alternate")
    add_student(s, 6, enrollment={"structureID": 201})  # any schedule structure counts
    assert run(s).counted() == [1, 6]


def test_L7_tie_break_start_then_service_type_then_id(run):
    s = tiny()
    add_student(s, 3)  # enrollment 300, P, started 2026-08-12
    s.add("Enrollment", enrollmentID=301, personID=3, calendarID=100, structureID=200,
          grade="01", startDate="2026-09-01", endDate=None, serviceType="S", noShow=0,
          stateExclude=0, disability1=None)  # later start wins over P
    add_student(s, 4)  # enrollment 400, P
    s.add("Enrollment", enrollmentID=399, personID=4, calendarID=100, structureID=200,
          grade="01", startDate="2026-08-12", endDate=None, serviceType="N", noShow=0,
          stateExclude=0, disability1=None)  # same start: P (400) before N
    add_student(s, 5, enrollment={"serviceType": "S"})  # enrollment 500, S
    s.add("Enrollment", enrollmentID=501, personID=5, calendarID=100, structureID=200,
          grade="01", startDate="2026-08-12", endDate=None, serviceType="S", noShow=0,
          stateExclude=0, disability1=None)  # same start and type: highest id 501
    chosen = dict(run(s).students.select("personID", "enrollmentID").iter_rows())
    assert chosen == {1: 700, 3: 301, 4: 400, 5: 501}


def test_L6_L7_a_student_rostered_twice_in_a_section_is_counted_once(run):
    s = tiny()
    add_student(s, 3)  # roster row and enrollment 300, P, started 2026-08-12
    s.add("Roster", rosterID=9999, personID=3, sectionID=600, trialID=300, startDate=None,
          endDate=None)  # a second roster row, also active on the last day
    s.add("Enrollment", enrollmentID=302, personID=3, calendarID=100, structureID=200,
          grade="02", startDate="2026-08-12", endDate=None, serviceType="P", noShow=0,
          stateExclude=0, disability1=None)  # same start and type: highest id 302
    result = run(s)
    rows = result.students.filter(pl.col("personID") == 3)
    assert rows.select("sectionID", "enrollmentID", "grade").rows() == [(600, 302, "02")]
    assert result.row(600)["Total"] == 2  # students 1 and 3


def test_L8_local_grade_maps_to_state_grade(run):
    s = tiny()
    add_student(s, 3, grade="01")
    add_student(s, 4, grade="XX")  # no GradeLevel row: Grade Other
    row = run(s).row()
    assert (row["Grade 00"], row["Grade 01"], row["Grade Other"], row["Total"]) == (1, 1, 1, 3)


# ---- §2 attributes -----------------------------------------------------------------------------

def test_L10_L11_disability_counts_only_under_an_active_locked_iep(run):
    s = tiny()
    add_student(s, 3, enrollment={"disability1": "SLD"})
    iep(s, 3)  # locked, active: SLD
    add_student(s, 4, enrollment={"disability1": "AUT"})
    iep(s, 4, locked=0)  # unlocked: General
    add_student(s, 5, enrollment={"disability1": "SLI"})
    iep(s, 5, end="2027-05-20")  # expired the day before the last day: General
    add_student(s, 6, enrollment={"disability1": "ZZZ"})
    iep(s, 6)  # a code not in the list: Other Disability
    add_student(s, 8)
    iep(s, 8)  # IEP but no disability: General
    result = run(s)
    row = result.row()
    assert (row["Total"], row["General"], row["SLD"], row["AUT"], row["SLI"],
            row["Other Disability"]) == (6, 4, 1, 0, 0, 1)
    d = result.detail(600).filter(pl.col("Student Person ID") == 4).row(0, named=True)
    assert (d["Primary Disability Enrollment"], d["Primary Disability in Section"]) == ("AUT",
                                                                                         None)


def test_L12_english_learner_on_the_last_day(run):
    s = tiny()
    for pid, status, identified, exited in ((3, "EL", "2025-01-01", None),
                                            (4, "LEP", None, "2027-06-01"),
                                            (5, "EL", "2025-01-01", LAST_DAY),  # exit on D: no
                                            (6, "Exited EL", "2024-01-01", None),
                                            (8, "EL", "2027-05-22", None)):  # identified after
        add_student(s, pid)
        s.add("Lep", lepID=pid, personID=pid, programStatus=status, identifiedDate=identified,
              exitDate=exited)
    assert run(s).row()["English Learner Count"] == 2


def test_L13_L14_gifted_and_ilpa_active_on_the_last_day(run):
    s = tiny()
    add_student(s, 3)
    s.add("GiftedTalented", gtID=1, personID=3, category="Math", startDate="2026-01-01",
          endDate=None)
    add_student(s, 4)
    s.add("GiftedTalented", gtID=2, personID=4, category="Art", startDate="2026-01-01",
          endDate="2027-01-01")
    add_student(s, 5)
    s.add("Plan", planID=55, personID=5, planType="ILPA", startDate="2026-09-01", endDate=None,
          locked=0)
    result = run(s)
    row = result.row()
    assert (row["Gifted Count"], row["Alternative Education ILPA Count"]) == (1, 1)
    flags = {d["Student Person ID"]: (d["Gifted"], d["Alternative Education ILPA"])
             for d in result.detail(600).iter_rows(named=True)}
    assert flags == {1: ("N", "N"), 3: ("Y", "N"), 4: ("N", "N"), 5: ("N", "Y")}


def test_L15_race_of_the_current_identity(run):
    s = tiny()
    add_student(s, 3, race=None)
    add_student(s, 4, race="1")
    s.add("Identity", identityID=41, personID=4, lastName="Old", firstName="Name",
          middleName=None, gender="F", birthDate="2020-01-01", raceEthnicityFed="3")
    result = run(s)
    row = result.row()
    assert (row["White"], row["Hispanic/Latino"], row["Asian"], row["Race Not Reported"]) == (
        1, 1, 0, 1)
    races = dict(result.detail(600).select("Student Person ID", "Race/Ethnicity").iter_rows())
    assert races == {1: "White", 3: None, 4: "Hispanic/Latino"}


# ---- §3 staff ----------------------------------------------------------------------------------

def test_L20_L22_teacher_names_only_when_active_staff_at_the_school(run):
    s = tiny()
    s.add("School", schoolID=11, districtID=1, number="006", name="Other", stateClassification="A1")
    add_staff(s, 20, school=11)  # assigned only at another school
    add_staff(s, 21, employment={"endDate": "2026-06-30"})  # employment ended before W
    add_staff(s, 22, assignment={"startDate": "2027-07-01"})  # assignment starts after W
    for sid, teacher in ((601, 20), (602, 21), (603, 22)):
        add_section(s, sid, teacher=teacher)
    rows = {row["Section ID"]: (row["Primary Teacher Person ID"],
                                row["Primary Teacher Last Name"],
                                row["Primary Teacher First Name"])
            for row in run(s).classes.iter_rows(named=True)}
    assert rows == {600: (2, "Teacher", "Tom"), 601: (20, None, None), 602: (21, None, None),
                    603: (22, None, None)}


def test_L20_only_the_snapshot_districts_employment_counts(run):
    s = tiny()
    s.one("Employment")["districtID"] = 2
    s.add("District", districtID=2, number="999", name="Elsewhere")
    s.manifest.pop("districtNumber")  # two District rows would fail integrity otherwise
    s.rows["District"] = [s.rows["District"][0]]
    s.one("Employment")["districtID"] = 1
    s.one("Employment")["endDate"] = "2020-01-01"
    add_staff(s, 20, employment={"districtID": 1})
    assert run(s).row()["Primary Teacher Last Name"] is None
    assert run(s).staff["Person ID"].to_list() == [20]


def test_L21_epsb_id_from_the_open_employment(run):
    s = tiny()
    add_staff(s, 20, employment={"licenseNumber": "100001", "startDate": "2018-08-01"})
    s.add("Employment", employmentID=201, personID=20, districtID=1, startDate="2021-08-01",
          endDate=None, licenseNumber="100002")  # two open: the latest start wins
    add_staff(s, 21, employment={"licenseNumber": "200001", "endDate": "2026-09-30",
                                 "startDate": "2019-08-01"})
    s.add("Employment", employmentID=211, personID=21, districtID=1, startDate="2026-10-01",
          endDate="2026-12-31", licenseNumber="200002")  # all closed: latest start overlapping
    s.add("Employment", employmentID=212, personID=21, districtID=1, startDate="2027-08-01",
          endDate="2027-12-31", licenseNumber="200003")  # starts after W: not a candidate
    epsb = dict(run(s).staff.select("Person ID", "EPSB ID").iter_rows())
    assert epsb == {2: "123456", 20: "100002", 21: "200002"}


def test_L22_primary_teacher_tie_breaks(run):
    s = tiny()
    for pid in (20, 21, 22, 23):
        add_staff(s, pid)
    # 601: an active P row (20) beats a later-starting ended one (21)
    add_section(s, 601, teacher=None)
    s.add("SectionStaffHistory", sectionID=601, trialID=300, personID=20, staffType="P",
          startDate="2026-08-12", endDate=None)
    s.add("SectionStaffHistory", sectionID=601, trialID=300, personID=21, staffType="P",
          startDate="2026-09-01", endDate="2026-10-01")
    # 602: none active on the last day: the latest start (22), ties by highest personID
    add_section(s, 602, teacher=None)
    s.add("SectionStaffHistory", sectionID=602, trialID=300, personID=20, staffType="P",
          startDate="2026-08-12", endDate="2026-09-01")
    s.add("SectionStaffHistory", sectionID=602, trialID=300, personID=22, staffType="P",
          startDate="2026-09-02", endDate="2026-12-01")
    s.add("SectionStaffHistory", sectionID=602, trialID=300, personID=21, staffType="P",
          startDate="2026-09-02", endDate="2026-11-01")
    # 603: only a T row and a P row of another trial: no primary teacher
    add_section(s, 603, teacher=None)
    s.add("SectionStaffHistory", sectionID=603, trialID=300, personID=23, staffType="T",
          startDate="2026-08-12", endDate=None)
    s.add("SectionStaffHistory", sectionID=603, trialID=999, personID=23, staffType="P",
          startDate="2026-08-12", endDate=None)
    teachers = dict(run(s).classes.select("Section ID", "Primary Teacher Person ID").iter_rows())
    assert teachers == {600: 2, 601: 20, 602: 22, 603: None}


def test_L23_case_manager_active_on_the_snapshot_date(run):
    s = tiny()
    add_staff(s, 20)
    add_staff(s, 21)
    s.add("Person", personID=22, stateID=None, currentIdentityID=None, studentNumber=None,
          staffNumber="T22")  # not staff anywhere: id without name
    add_student(s, 3, enrollment={"disability1": "SLD"})
    iep(s, 3)
    s.add("TeamMember", teamMemberID=1, personID=3, staffPersonID=20, role="Case Manager",
          startDate="2026-08-01", endDate=None)
    s.add("TeamMember", teamMemberID=2, personID=3, staffPersonID=21, role="Case Manager",
          startDate="2026-09-01", endDate=None)  # later start wins
    add_student(s, 4)
    s.add("TeamMember", teamMemberID=3, personID=4, staffPersonID=20, role="Case Manager",
          startDate="2026-08-01", endDate="2026-11-20")  # ended the day before the snapshot
    s.add("TeamMember", teamMemberID=4, personID=4, staffPersonID=21, role="Speech",
          startDate="2026-08-01", endDate=None)  # not a case manager role
    add_student(s, 5)
    s.add("TeamMember", teamMemberID=5, personID=5, staffPersonID=22, role="Case Manager",
          startDate="2026-08-01", endDate=None)
    add_student(s, 6, enrollment={"disability1": "AUT"})
    iep(s, 6)  # a disability and no case manager: the blank row
    result = run(s)
    managers = dict(result.detail(600).select("Student Person ID",
                                              "Case Manager Person ID").iter_rows())
    assert managers == {1: None, 3: 21, 4: None, 5: 22, 6: None}
    rows = [(row["Case Manager Person ID"], row["Case Manager Last Name"], row["Total"],
             row["General"], row["SLD"], row["AUT"])
            for row in result.caseload.iter_rows(named=True)]
    assert rows == [(21, "Staff21", 1, 0, 1, 0), (22, None, 1, 1, 0, 0), (None, None, 1, 0, 0, 1)]


# ---- §4 reports ----------------------------------------------------------------------------------

def test_count_block_identities_hold_on_a_mixed_section(run):
    s = tiny()
    add_student(s, 3, grade="01", race="4", enrollment={"disability1": "SLD"})
    iep(s, 3)
    add_student(s, 4, grade="01", race=None, enrollment={"disability1": "OHI"})
    iep(s, 4, locked=0)
    add_student(s, 5, grade="XX", race="7")
    row = run(s).row()
    codes = load_codes()
    assert row["Total"] == 4
    assert row["General"] == 3 and row["SLD"] == 1
    assert row["Total"] == row["General"] + sum(row[c] for c in codes.disabilities) + row[
        "Other Disability"]
    assert row["Total"] == sum(row[label] for _, label in codes.races) + row["Race Not Reported"]
    assert row["Total"] == sum(row[f"Grade {g}"] for g in codes.grades) + row["Grade Other"]


def test_report_columns_are_exactly_lead_md(run):
    result = run(tiny())
    codes = load_codes()
    block = r.count_columns(codes)
    assert block[:3] == ["Total", "General", "AUT"]
    assert block[16:20] == ["Other Disability", "English Learner Count", "Gifted Count",
                            "Alternative Education ILPA Count"]
    assert block[-3:] == ["Grade 12", "Grade 14", "Grade Other"]
    assert len(block) == 2 + 14 + 4 + 8 + 17 + 1
    assert result.classes.columns == [*r.COMMON, *r.CLASS_IDENTITY.values(), *block]
    assert result.detail(600).columns == [*r.COMMON, *r.CLASS_IDENTITY.values(),
                                          *r.DETAIL_STUDENT.values()]
    assert result.schoolwide.columns == [*r.COMMON, "School Number", "School Name",
                                         "State Classification", *block]
    assert result.caseload.columns == [*r.COMMON, "Case Manager Person ID",
                                       "Case Manager Last Name", "Case Manager First Name",
                                       *block]
    assert result.staff.columns == [
        *r.COMMON, "School Number", "School Name", "Person ID", "EPSB ID", "Last Name",
        "First Name", "Type", "Alt Type", "Teacher Role", "Title", "Assignment Start Date",
        "Assignment End Date"]
    row = result.row()
    assert (row["Date Time Generated"], row["End Year"], row["District Number"],
            row["District Name"], row["School Number"], row["State Course Code"]) == (
        GENERATED, 2027, "165", "Example County", "005", "010101")


def test_classes_sorted_by_school_calendar_structure_course_section(run):
    s = tiny()
    s.add("Course", courseID=501, calendarID=100, number="A-MATH", name="Math",
          stateCode="270101", active=1)
    add_section(s, 601, course=501)
    s.add("Section", sectionID=602, courseID=500, trialID=300, number="0", coreContent=None,
          teachingMethod=None, instructionalSetting=None, specialType="01")
    s.add("SectionPlacement", sectionID=602, trialID=300, termID=400, periodID=1)
    assert run(s).classes["Section ID"].to_list() == [601, 602, 600]


def test_detail_of_a_section_without_students_is_one_empty_row(run):
    s = tiny()
    add_section(s, 601)
    detail = run(s).detail(601)
    assert detail.height == 1
    row = detail.row(0, named=True)
    assert row["Section ID"] == 601 and row["Student Person ID"] is None
    assert row["State ID"] is None and row["English Learner"] is None


def test_schoolwide_counts_distinct_students_with_a_state_id(run):
    s = tiny()
    s.add("School", schoolID=11, districtID=1, number="006", name="Empty School",
          stateClassification="A5")
    add_section(s, 601)
    add_student(s, 3)  # in 600 and 601: counted once
    s.add("Roster", rosterID=9999, personID=3, sectionID=601, trialID=300)
    add_student(s, 4, state_id=None)  # no State ID: not in Schoolwide, still in Classes
    result = run(s)
    rows = {row["School Number"]: row["Total"] for row in result.schoolwide.iter_rows(named=True)}
    assert rows == {"005": 2, "006": 0}
    assert result.row(600)["Total"] == 3


def test_caseload_and_schoolwide_take_the_latest_ending_detail_row(run):
    s = tiny()
    s.add("Term", termID=401, structureID=200, name="S1", seq=1, startDate="2026-08-12",
          endDate="2026-12-18")
    add_section(s, 601, term=401)
    add_student(s, 3, section=601, enrollment={"disability1": "SLD"})
    s.add("Roster", rosterID=9999, personID=3, sectionID=600, trialID=300)
    # IEP active on 2026-12-18 (section 601's last day) but ended before 2027-05-21 (600's)
    iep(s, 3, end="2027-01-31")
    add_staff(s, 20)
    s.add("TeamMember", teamMemberID=1, personID=3, staffPersonID=20, role="Case Manager",
          startDate="2026-08-01", endDate=None)
    result = run(s)
    assert result.row(601)["SLD"] == 1 and result.row(600)["General"] == 2
    (cm,) = result.caseload.filter(pl.col("Case Manager Person ID") == 20).iter_rows(named=True)
    assert (cm["Total"], cm["General"], cm["SLD"]) == (1, 1, 0)  # attributes of section 600
    (school,) = result.schoolwide.iter_rows(named=True)
    assert (school["Total"], school["General"], school["SLD"]) == (2, 2, 0)


def test_caseload_blank_row_only_when_students_lack_a_case_manager(run):
    s = tiny()
    add_staff(s, 20)
    add_student(s, 3, enrollment={"disability1": "SLD"})
    iep(s, 3)
    s.add("TeamMember", teamMemberID=1, personID=3, staffPersonID=20, role="Case Manager",
          startDate="2026-08-01", endDate=None)
    assert run(s).caseload["Case Manager Person ID"].to_list() == [20]


def test_staff_rows_from_the_latest_assignment_per_school_type_alt_type(run):
    s = tiny()
    s.add("School", schoolID=11, districtID=1, number="900", name="Private",
          stateClassification="R1")
    add_staff(s, 20, assignment={"type": "04", "teacher": 0, "title": "Aide",
                                 "endDate": "2026-12-31"})
    s.add("EmploymentAssignment", assignmentID=201, personID=20, schoolID=10,
          startDate="2027-01-01", endDate=None, type="04", altType=None, teacher=1,
          title="Aide II")  # same school/type/alt type, later start: this one is shown
    s.add("EmploymentAssignment", assignmentID=202, personID=20, schoolID=10,
          startDate="2026-08-01", endDate=None, type="05", altType="A", teacher=0,
          title="Speech")
    s.add("EmploymentAssignment", assignmentID=203, personID=20, schoolID=11,
          startDate="2026-08-01", endDate=None, type="01", altType=None, teacher=1,
          title="Excluded school")  # R1: not in the report
    add_staff(s, 21, with_employment=False)  # no Employment: not active staff
    rows = [(row["Person ID"], row["School Number"], row["Type"], row["Alt Type"],
             row["Title"], row["Teacher Role"], row["Assignment Start Date"])
            for row in run(s).staff.iter_rows(named=True)]
    assert rows == [(2, "005", "01", None, "Teacher", True, date(2015, 8, 1)),
                    (20, "005", "04", None, "Aide II", True, date(2027, 1, 1)),
                    (20, "005", "05", "A", "Speech", False, date(2026, 8, 1))]
