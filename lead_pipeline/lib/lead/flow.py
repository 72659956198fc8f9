"""The LEAD flow, wired once: snapshot tables -> staging -> the five reports -> the findings.

`build` runs the whole chain in one call, for whoever wants all of it at once: the one-school
refresh (lib/lead/school.py) and the tests. The weekly refresh runs the same chain as separate
Dagster assets, so that each step shows in the UI and stores its frame; each of those assets
calls the one function below that is its step, and nothing else decides what a step reads:

| asset | step |
|---|---|
| `lead/stg_sections` | `staging.stg_sections` |
| `lead/stg_section_students` | `staging.stg_section_students` |
| `lead/classes`, `lead/staff`, `lead/caseload`, `lead/schoolwide`, `lead/detail` | the function of that name in `reports` |
| `lead/findings` | `findings` |
"""  # noqa: E501 - a table row is one line

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import polars as pl

from lead_pipeline.lib.codes import Codes
from lead_pipeline.lib.lead import reports, rules, staging
from lead_pipeline.lib.lead.reports import LeadReports
from lead_pipeline.lib.lead.staging import DistrictHeader, Tables
from lead_pipeline.lib.snapshot.schema import TABLES, Family

LEAD_TABLES: list[str] = [t.name for t in TABLES if t.family in (Family.SHARED, Family.LEAD)]
"""The snapshot tables the LEAD flow reads: the shared family and LEAD's own."""


@dataclass(frozen=True)
class LeadOutputs:
    """Everything the flow makes of one snapshot: the header facts it was built with, the two
    staging frames (`sections`: lead/stg_sections, `students`: lead/stg_section_students), the
    five reports and the findings of every Q- rule (the Issues rows)."""

    header: DistrictHeader
    sections: pl.DataFrame
    students: pl.DataFrame
    reports: LeadReports
    findings: pl.DataFrame


def findings(tables: Tables, header: DistrictHeader, codes: Codes, classes: pl.DataFrame,
             staff: pl.DataFrame, caseload: pl.DataFrame, schoolwide: pl.DataFrame,
             students: pl.DataFrame) -> pl.DataFrame:
    """The findings step: every Q- rule over the four reports it reads, the counted students
    behind them (at least the columns of `rules.STUDENT_COLUMNS`) and who is employed in the
    school year (Q-I1, from the Employment of `tables`)."""
    inputs = rules.QaInputs(classes, staff, caseload, schoolwide, students,
                            rules.employed_people(tables, header))
    return rules.findings(inputs, codes)


def build(tables: Tables, codes: Codes, header: DistrictHeader, generated: datetime,
          section_ids: Sequence[int] = ()) -> LeadOutputs:
    """The whole flow over `tables` (at least LEAD_TABLES): the staging frames, the five reports
    stamped `generated` (Detail of `section_ids` only) and the findings."""
    sections = staging.stg_sections(tables, codes, header)
    students = staging.stg_section_students(tables, codes, header, sections)
    made = LeadReports(
        classes=reports.classes(sections, students, codes, header, generated),
        staff=reports.staff(tables, codes, header, generated),
        caseload=reports.caseload(tables, students, codes, header, generated),
        schoolwide=reports.schoolwide(tables, students, codes, header, generated),
        detail=reports.detail(tables, sections, students, codes, header, generated,
                              list(section_ids)),
    )
    found = findings(tables, header, codes, made.classes, made.staff, made.caseload,
                     made.schoolwide, students)
    return LeadOutputs(header, sections, students, made, found)
