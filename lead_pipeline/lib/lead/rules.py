"""The quality rules of docs/lead.md §5 (Q-C1 … Q-I2), each declared once, as data.

A rule is an id, the report it reads, a level, a condition over that report's rows, a message
(LEAD's own words, quoted, where the card has them) and the fix an operator is told. Adding a
rule is adding one `QualityRule` to `RULES`; the Dagster checks (defs/lead/qa.py), the Issues
sheet and the Changes sheet all come from `findings()`, so they can never disagree.

Most conditions are plain expressions over the report rows. The three that need more than
those rows (Q-C12 and Q-W1: the counted students' plans; Q-I1: the teacher's Employment) read
columns that `enriched()` adds to the report rows first, so every condition is still one Polars
expression. Columns added that way start with `_` and never reach a sheet.

A finding carries ids only (school number, section id, person id) and counts, never a name:
findings go to Dagster metadata and logs as well as to the workbooks.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import polars as pl

from lead_pipeline.lib.codes import Codes, load_codes
from lead_pipeline.lib.lead import staging as st
from lead_pipeline.lib.lead.staging import DistrictHeader, Tables
from lead_pipeline.lib.rules import Rule, by_id

ReportName = Literal["Classes", "Staff", "Caseload", "Schoolwide"]
Level = Literal["error", "review"]

ISSUE_COLUMNS = ["Check", "Level", "Report", "School Number", "Section ID", "Person ID",
                 "Message", "How to fix"]
"""The Issues sheet (docs/outputs.md): one row per finding."""

ISSUE_SCHEMA: dict[str, pl.DataType] = {
    "Check": pl.String(), "Level": pl.String(), "Report": pl.String(),
    "School Number": pl.String(), "Section ID": pl.Int64(), "Person ID": pl.Int64(),
    "Message": pl.String(), "How to fix": pl.String(),
}

IDENTITY = ["Check", "School Number", "Section ID", "Person ID"]
"""A finding is the same across refreshes when its check and ids are (docs/outputs.md)."""

LEVEL_LABEL: dict[str, str] = {"error": "Error", "review": "Review"}

# Codes the rule table names that are not one of codes.py's groups (docs/codes.md lists them; they
# are the rules' own constants, kept here beside the rules that use them).
SPECIAL_EDUCATION = "05"  # Section special type 05 Special Education (Q-C9, Q-C10)
ALTERNATIVE_CLASSROOM = "02"  # Section special type 02 Alternative Classroom (Q-C11, Q-C12)
ALTERNATIVE_SCHOOLS = ("A5", "A6")  # off-site alternative program, KECSAC (Q-C11, Q-W1)
DUAL_CREDIT_METHOD = "12"  # teaching method 12 College-offered dual credit (Q-C4)
NON_INSTRUCTIONAL = "507"  # core content 507 Non-instructional (Q-C7)
VARIES = "509"  # core content 509 Varies (Q-C8)
SPEECH_THERAPIST = "05"  # assignment type 05 (Q-S2)
NOT_CERTIFIED_TYPES = ("04", "07")  # assignment types 04, 07 (Q-S3)

_GRAIN: dict[str, dict[str, str]] = {
    # finding column -> report column: the finding grain of docs/lead.md §5
    "Classes": {"School Number": "School Number", "Section ID": "Section ID"},
    "Staff": {"School Number": "School Number", "Person ID": "Person ID"},
    "Caseload": {"Person ID": "Case Manager Person ID"},
    "Schoolwide": {"School Number": "School Number"},
}


@dataclass(frozen=True)
class QualityRule(Rule):
    """One row of docs/lead.md §5: beside the id and the property that should hold (lib/rules.py),
    the report it reads, its level, the condition and what an operator is told.

    `condition` builds the expression selecting offending rows of `report` (after
    `enriched()`); `message` and `fix` may name report columns in braces (`{Section ID}`),
    filled per finding. `person` names the report column that is the finding's Person ID when
    the report's grain has none (Q-C1, Q-I1: the teacher).
    """

    report: ReportName
    level: Level
    description: str
    """The condition in words (docs/lead.md §5), shown on the check in the UI."""
    condition: Callable[[Codes], pl.Expr]
    message: str
    fix: str
    lead_message: bool = False
    """The message is LEAD's own wording (the card quotes it), not ours."""
    person: str | None = None

    @property
    def level_label(self) -> str:
        return LEVEL_LABEL[self.level]

    @property
    def grain(self) -> dict[str, str]:
        grain = dict(_GRAIN[self.report])
        if self.person is not None:
            grain["Person ID"] = self.person
        return grain


def blank(column: str) -> pl.Expr:
    """Null or only spaces: how a missing text value looks in a report cell."""
    return pl.col(column).is_null() | (pl.col(column).str.strip_chars() == "")


def present(column: str) -> pl.Expr:
    return pl.col(column).is_not_null()


_TEACHER = "Primary Teacher Person ID"
_NO_TEACHER = pl.col(_TEACHER).is_null()
_DETAIL_HOW = ("`lead-pipeline refresh --snapshot <snapshot folder> --section {Section ID}`, "
               "or in Dagster materialise lead/detail with run config section_ids: "
               "[{Section ID}]")

RULES: tuple[QualityRule, ...] = (
    QualityRule("Q-C1", "teacher_on_staff", "Classes", "error",
                "Primary Teacher Person ID present, Last Name blank: the teacher is not active "
                "staff at the section's school (L-20)",
                lambda c: present(_TEACHER) & blank("Primary Teacher Last Name"),
                "No staff record found", lead_message=True, person=_TEACHER,
                fix="If person {Primary Teacher Person ID} no longer teaches this section, change "
                "its primary teacher in Staff History; otherwise add or extend their District "
                "Employment and their District Assignment at school {School Number} (end date "
                "blank while employed)."),
    QualityRule("Q-C2", "has_teacher", "Classes", "error",
                "no Primary Teacher Person ID",
                lambda c: _NO_TEACHER,
                "The section has no primary teacher",
                fix="Assign a primary teacher in Staff History; a vacancy gets the vacancy "
                "placeholder."),
    QualityRule("Q-C3", "placeholder_teacher", "Classes", "review",
                "no Primary Teacher Person ID and a placeholder State Course Code",
                lambda c: _NO_TEACHER & pl.col("State Course Code").is_in(c.placeholder_courses),
                "Placeholder course {State Course Code} has no primary teacher",
                fix="A placeholder course: the guidance counselor may be the right primary "
                "teacher."),
    QualityRule("Q-C4", "dual_credit_teacher", "Classes", "review",
                "no Primary Teacher Person ID and Teaching Method 12 (college dual credit)",
                lambda c: _NO_TEACHER & (pl.col("Teaching Method") == DUAL_CREDIT_METHOD),
                "College dual-credit section has no primary teacher",
                fix="College dual credit: assign the college-professor placeholder as primary "
                "teacher."),
    QualityRule("Q-C5", "has_students", "Classes", "review",
                "Total = 0",
                lambda c: pl.col("Total") == 0,
                "No student is counted in the section",
                fix="Nobody is scheduled on the section's last day; untick Active on the section "
                "if it will never be used."),
    QualityRule("Q-C6", "content_given", "Classes", "error",
                "a State Course Code that requires content and Core Content blank",
                lambda c: pl.col("State Course Code").is_in(c.content_required_courses)
                & blank("Core Content"),
                "Content required for course code: Not provided", lead_message=True,
                fix="Set the section's core content to what is taught."),
    QualityRule("Q-C7", "instructional", "Classes", "review",
                "Core Content = 507 (non-instructional)",
                lambda c: pl.col("Core Content") == NON_INSTRUCTIONAL,
                "Core content 507 (non-instructional) matches no certification",
                fix="Use course 909995 with a certified primary teacher."),
    QualityRule("Q-C8", "specific_content", "Classes", "review",
                "Core Content = 509 (varies)",
                lambda c: pl.col("Core Content") == VARIES,
                "Core content 509 (varies) matches no certification",
                fix="Set the core content actually taught."),
    QualityRule("Q-C9", "sped_no_general", "Classes", "review",
                "Special Type 05 and General > 0",
                lambda c: (pl.col("Section Special Type") == SPECIAL_EDUCATION)
                & (pl.col("General") > 0),
                "{General} of {Total} students in a special education section are general "
                "population",
                fix="General-population students in a special education section: check each one's "
                "IEP and primary disability."),
    QualityRule("Q-C10", "sped_25pct_general", "Classes", "error",
                "Special Type 05 and General > 25% of Total (strict: exactly 25% passes)",
                # 4 x General > Total: integer arithmetic, so exactly 25% is never an error
                lambda c: (pl.col("Section Special Type") == SPECIAL_EDUCATION)
                & (pl.col("General") * 4 > pl.col("Total")),
                "More than 25% of students for the special education course are general population",
                lead_message=True,
                fix="Run Detail for section {Section ID} (" + _DETAIL_HOW + "); fix the students "
                "with a blank Primary Disability in Section, or set Special Type 01 if it is not a "
                "special education class."),
    QualityRule("Q-C11", "alt_class_school", "Classes", "review",
                "Special Type 02 in a school not classified A5 or A6",
                lambda c: (pl.col("Section Special Type") == ALTERNATIVE_CLASSROOM)
                & ~pl.col("State Classification").is_in(ALTERNATIVE_SCHOOLS),
                "Alternative classroom in a school classified {State Classification}",
                fix="Confirm the on-site alternative classroom, or change the section's Special "
                "Type."),
    QualityRule("Q-C12", "alt_class_ilpa_iep", "Classes", "review",
                "Special Type 02 and a counted student has neither an active ILPA nor an active "
                "locked IEP (an IEP can fulfil the ILPA requirement)",
                lambda c: (pl.col("Section Special Type") == ALTERNATIVE_CLASSROOM)
                & (pl.col("_without_plan") > 0),
                "{_without_plan} student(s) in an alternative classroom have neither an active "
                "ILPA nor an active IEP",
                fix="Students in an alternative classroom without an active ILPA or IEP: run "
                "Detail for section {Section ID} and add the missing ILPA (or lock the IEP)."),
    QualityRule("Q-S1", "epsb_id", "Staff", "error",
                "EPSB ID blank and a certified Type (01, 02, 03, 06)",
                lambda c: blank("EPSB ID") & pl.col("Type").is_in(c.certified_types),
                "Certified staff without an EPSB ID",
                fix="Add the EPSB ID as License Number on the person's active District Employment, "
                "or correct the District Assignment type."),
    QualityRule("Q-S2", "speech_certified", "Staff", "review",
                "Type = 05 (speech therapist)",
                lambda c: pl.col("Type") == SPEECH_THERAPIST,
                "Speech therapist (type 05)",
                fix="Speech therapists need an EPSB ID only if certified: confirm it."),
    QualityRule("Q-S3", "teacher_type", "Staff", "review",
                "Type 04 or 07 with the Teacher role",
                lambda c: pl.col("Type").is_in(NOT_CERTIFIED_TYPES) & pl.col("Teacher Role"),
                "Teacher role on a not-certified assignment type",
                fix="A certified teacher, professor or placeholder should have assignment Type "
                "01."),
    QualityRule("Q-K1", "manager_on_staff", "Caseload", "error",
                "Case Manager Person ID present, Last Name blank",
                lambda c: present("Case Manager Person ID") & blank("Case Manager Last Name"),
                "No staff record found", lead_message=True,
                fix="Add or extend the case manager's District Employment and District Assignment "
                "(end date blank while employed)."),
    QualityRule("Q-K2", "has_case_manager", "Caseload", "error",
                "the row with a blank Case Manager Person ID has Total > 0",
                lambda c: pl.col("Case Manager Person ID").is_null() & (pl.col("Total") > 0),
                "{Total} student(s) with a primary disability have no case manager",
                fix="Assign a case manager to these students (a Team Member with role Case "
                "Manager)."),
    QualityRule("Q-K3", "iep_disability", "Caseload", "review",
                "General > 0",
                lambda c: pl.col("General") > 0,
                "{General} student(s) on the caseload have no locked, current IEP or no primary "
                "disability",
                fix="Students on a caseload without a locked, current IEP or primary disability: "
                "lock or renew the IEP, or record the disability."),
    QualityRule("Q-W1", "alt_school_ilpa_iep", "Schoolwide", "review",
                "classification A5/A6 and a counted student has neither an active ILPA nor an "
                "active locked IEP on their attribute row",
                lambda c: pl.col("State Classification").is_in(ALTERNATIVE_SCHOOLS)
                & (pl.col("_without_plan") > 0),
                "{_without_plan} student(s) of an alternative school have neither an active ILPA "
                "nor an active IEP",
                fix="Alternative-school students without an active ILPA or IEP: add the missing "
                "ILPA (or lock the IEP)."),
    QualityRule("Q-I1", "teacher_at_school", "Classes", "error",
                "the primary teacher has a District Employment overlapping the school year but no "
                "District Assignment at the section's school overlapping it",
                lambda c: present(_TEACHER) & pl.col("_teacher_employed")
                & ~pl.col("_teacher_assigned_here"),
                "Primary teacher has no District Assignment at school {School Number}",
                person=_TEACHER,
                fix="Add a District Assignment at school {School Number} for person "
                "{Primary Teacher Person ID}."),
    QualityRule("Q-I2", "assignment_type", "Staff", "error",
                "an active District Assignment with a blank Type",
                lambda c: blank("Type"),
                "District Assignment without a type",
                fix="Set the District Assignment type."),
)

RULE_BY_ID = by_id(RULES)
RULE_COLUMN = "Check"
"""The Issues column holding a finding's rule id (what `lib.rules.by_rule` splits on)."""


# ---- what the rules read --------------------------------------------------------------------

STUDENT_COLUMNS = ("sectionID", "personID", "stateID", "ilpa", "activeIep", "sectionEndDate",
                   "enrollmentID")
"""The columns of the counted students (`stg_section_students`) the rules read: lead/findings
loads only these, so the step does not hold every column of millions of rows at state scale."""


@dataclass(frozen=True)
class QaInputs:
    """Everything the rules read: the four report frames (docs/lead.md column names), the counted
    students behind them (`stg_section_students`, at least STUDENT_COLUMNS) and the people with
    a District Employment that overlaps the school year (`Person ID`, from `employed_people`)."""

    classes: pl.DataFrame
    staff: pl.DataFrame
    caseload: pl.DataFrame
    schoolwide: pl.DataFrame
    students: pl.DataFrame
    employed: pl.DataFrame


def employed_people(tables: Tables, header: DistrictHeader) -> pl.DataFrame:
    """Q-I1: `Person ID` of everyone with an Employment of the district overlapping W (the
    "active Employment" of docs/lead.md "Ties and edges"; L-20's employment half)."""
    return st.employed_in_year(tables, header).select(
        pl.col("personID").cast(pl.Int64).alias("Person ID"))


def _without_plan(rows: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """Per `keys`: how many of the rows' students have neither an active ILPA nor an active
    locked IEP (the IEP test of L-11, whatever disability1 holds)."""
    return rows.group_by(keys).agg(
        (~pl.col("ilpa") & ~pl.col("activeIep")).sum().cast(pl.Int64).alias("_without_plan"))


_SCHOOL = "_school"
"""enriched's column of a row's school: the position of its School Number among the distinct
School Numbers of Classes."""


def enriched(inputs: QaInputs) -> dict[str, pl.DataFrame]:
    """The report rows each rule's condition reads, with the columns Q-C12, Q-W1 and Q-I1 need
    beyond the report: `_without_plan` (Classes, Schoolwide), `_teacher_employed` and
    `_teacher_assigned_here` (Classes)."""
    students = inputs.students
    per_section = _without_plan(students, ["sectionID"]).rename({"sectionID": "Section ID"})
    # Schoolwide (and Q-W1) read each State-ID student's attribute row within the school
    # (the section's School Number looked up into one new column, the rows' own columns kept
    # as they are; rows of a section without a Classes row take no part, as in an inner join).
    # The column holds each School Number's position among the distinct numbers, not the text:
    # the same groups, in 4 bytes a row instead of a 16-byte string view (4.5 million rows at
    # state scale: the findings step's working memory 0.32 -> 0.22-0.26 GiB)
    numbers = inputs.classes.select(pl.col("School Number").unique().sort()).with_row_index(
        _SCHOOL)
    school_of = inputs.classes.select(
        pl.col("Section ID").cast(students.schema["sectionID"]).alias("sectionID"),
        "School Number").join(numbers, on="School Number")
    numbered = students.with_columns(pl.col("sectionID").replace_strict(
        school_of["sectionID"], school_of[_SCHOOL], default=None).alias(_SCHOOL))
    attribute = st.attribute_rows(
        numbered, [_SCHOOL, "personID"],
        among=pl.col("stateID").is_not_null()
        & pl.col("sectionID").is_in(school_of["sectionID"].implode()))
    per_school = (_without_plan(attribute, [_SCHOOL]).join(numbers, on=_SCHOOL)
                  .select("School Number", "_without_plan"))
    # Q-I1: a Staff row exists for (person, school) exactly when the person has an assignment
    # at that included school overlapping W and an Employment overlapping W (L-20).
    assigned = inputs.staff.select(pl.col("Person ID").alias(_TEACHER), "School Number").unique()
    classes = (
        inputs.classes.with_columns(pl.col("Section ID").cast(pl.Int64))
        .join(per_section.with_columns(pl.col("Section ID").cast(pl.Int64)), on="Section ID",
              how="left")
        .join(assigned.with_columns(pl.lit(True).alias("_teacher_assigned_here")),
              on=[_TEACHER, "School Number"], how="left")
        .with_columns(
            pl.col("_without_plan").fill_null(0),
            pl.col("_teacher_assigned_here").fill_null(False),
            pl.col(_TEACHER).is_in(inputs.employed["Person ID"].implode())
            .fill_null(False).alias("_teacher_employed"),
        )
    )
    schoolwide = inputs.schoolwide.join(per_school, on="School Number", how="left").with_columns(
        pl.col("_without_plan").fill_null(0))
    return {"Classes": classes, "Staff": inputs.staff, "Caseload": inputs.caseload,
            "Schoolwide": schoolwide}


# ---- findings -------------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")


def fill(template: str) -> pl.Expr:
    """A message or fix template as a text expression: `{Column}` becomes that column."""
    names = _PLACEHOLDER.findall(template)
    if not names:
        return pl.lit(template, dtype=pl.String)
    return pl.format(_PLACEHOLDER.sub("{}", template), *(pl.col(n) for n in names))


def generic(template: str) -> str:
    """A template with its placeholders shown as `[Column]`: the fix text of a check with
    several findings. Not `<Column>`: the UI renders descriptions as Markdown, where that is
    an HTML tag and vanishes."""
    return _PLACEHOLDER.sub(lambda m: f"[{m.group(1)}]", template)


def empty_findings() -> pl.DataFrame:
    return pl.DataFrame(schema=ISSUE_SCHEMA)


def findings_of_rule(rule: QualityRule, rows: pl.DataFrame, codes: Codes) -> pl.LazyFrame:
    """One rule's findings over its (enriched) report rows, one per finding grain: a query,
    collected with the other rules' (`findings`)."""
    grain = rule.grain
    ids = [
        (pl.col(grain[c]) if c in grain else pl.lit(None)).cast(ISSUE_SCHEMA[c]).alias(c)
        for c in ("School Number", "Section ID", "Person ID")
    ]
    return (
        rows.lazy().filter(rule.condition(codes))
        .select(
            pl.lit(rule.id).alias("Check"), pl.lit(rule.level_label).alias("Level"),
            pl.lit(rule.report).alias("Report"), *ids,
            fill(rule.message).alias("Message"), fill(rule.fix).alias("How to fix"))
        .unique(subset=IDENTITY, keep="first", maintain_order=True)
    )


def sort_findings(frame: pl.DataFrame) -> pl.DataFrame:
    """Rule order (docs/lead.md §5), then school, section and person; Q-C10 after Q-C9."""
    order = {r.id: i for i, r in enumerate(RULES)}
    return (frame.with_columns(pl.col("Check").replace_strict(order, default=len(order),
                                                              return_dtype=pl.Int32)
                               .alias("_order"))
            .sort(["_order", "Check", "School Number", "Section ID", "Person ID"],
                  nulls_last=True)
            .drop("_order"))


def findings(inputs: QaInputs, codes: Codes | None = None,
             rules: Sequence[QualityRule] = RULES) -> pl.DataFrame:
    """Every finding of `rules` on one refresh: the Issues rows (docs/outputs.md), sorted."""
    codes = codes or load_codes()
    rows = enriched(inputs)
    # the rules' queries collected together: Polars runs them side by side on its threads,
    # where one at a time each paid its own start and ran alone
    parts = pl.collect_all([findings_of_rule(rule, rows[rule.report], codes) for rule in rules])
    return sort_findings(pl.concat([empty_findings(), *parts], how="vertical"))

