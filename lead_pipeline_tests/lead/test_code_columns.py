"""The staged students hold their code columns as Categorical (staging.CODE_COLUMNS), for
memory; a run that reads lead/stg_section_students back from DuckDB gets them as text. Every
report and every finding must come out the same from either, and the Detail report (a sheet
and a table of text) must hold text. The bundled sample, through the real reader (conftest's
sample_tables)."""

from datetime import datetime

import polars as pl
import pytest

from lead_pipeline.lib.codes import load_codes
from lead_pipeline.lib.lead import flow, reports, staging

GENERATED = datetime(2026, 11, 22, 6, 0)


@pytest.fixture(scope="module")
def staged(sample_tables: dict[str, pl.DataFrame], sample_header: staging.DistrictHeader):
    codes = load_codes()
    sections = staging.stg_sections(sample_tables, codes, sample_header)
    students = staging.stg_section_students(sample_tables, codes, sample_header, sections)
    return sample_tables, codes, sample_header, sections, students


def _as_text(students: pl.DataFrame) -> pl.DataFrame:
    """The frame as DuckDB gives it back: the code columns as String."""
    return students.with_columns(pl.col(staging.CODE_COLUMNS).cast(pl.String))


def test_the_code_columns_are_categorical_and_hold_the_codes(staged) -> None:
    *_, students = staged
    assert all(students.schema[c] == pl.Categorical for c in staging.CODE_COLUMNS)
    assert set(_as_text(students)["stateGrade"].drop_nulls()) >= {"00", "05"}


def test_reports_and_findings_are_the_same_from_text_codes(staged) -> None:
    tables, codes, header, sections, students = staged
    text = _as_text(students)
    made = {}
    for name, frame in (("categorical", students), ("text", text)):
        classes = reports.classes(sections, frame, codes, header, GENERATED)
        staff = reports.staff(tables, codes, header, GENERATED)
        caseload = reports.caseload(tables, frame, codes, header, GENERATED)
        schoolwide = reports.schoolwide(tables, frame, codes, header, GENERATED)
        found = flow.findings(tables, header, codes, classes, staff, caseload, schoolwide, frame)
        made[name] = (classes, caseload, schoolwide, found)
    assert made["categorical"][0]["Total"].sum() > 1000  # the counts are not all zero
    for a, b in zip(made["categorical"], made["text"], strict=True):
        assert a.equals(b)


def test_detail_holds_text(staged) -> None:
    tables, codes, header, sections, students = staged
    wanted = sections["sectionID"].head(3).to_list()
    detail = reports.detail(tables, sections, students, codes, header, GENERATED, wanted)
    from_text = reports.detail(tables, sections, _as_text(students), codes, header, GENERATED,
                               wanted)
    assert detail.height > 3 and detail.equals(from_text)
    for column in ("Service Type", "Grade", "Race/Ethnicity", "Primary Disability Enrollment",
                   "Primary Disability in Section"):
        assert detail.schema[column] == pl.String
