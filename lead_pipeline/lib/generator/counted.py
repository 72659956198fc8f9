"""Which students a section counts, on one school's frames, by the product's own LEAD rules.

The problem module plants on these facts (a counted student with a disability, a case
manager's counted caseload …) so that each planted record is found by its rule and nothing
else fires by accident. It asks `lib.lead.staging` — the same functions the reports use — so
the generator can never drift from the rules it plants problems for.
"""

from __future__ import annotations

import polars as pl

from lead_pipeline.lib.generator.context import SchoolContext
from lead_pipeline.lib.lead import staging as st
from lead_pipeline.lib.snapshot.schema import TABLE_BY_NAME, Kind

_DTYPES: dict[Kind, pl.DataType] = {
    Kind.INT: pl.Int64(), Kind.TEXT: pl.String(), Kind.DATE: pl.Date(),
    Kind.FLAG: pl.Boolean(), Kind.DECIMAL: pl.Float64(), Kind.TIME: pl.Time(),
    Kind.TIMESTAMP: pl.Datetime(),
}
_TABLES = ("Calendar", "Course", "Trial", "Term", "Section", "SectionPlacement",
           "ScheduleStructure", "Roster", "Enrollment", "GradeLevel", "Plan", "TeamMember")

EMPTY = pl.DataFrame(schema={"sectionID": pl.Int64, "personID": pl.Int64, "D": pl.Date,
                             "enrollmentID": pl.Int64, "dis": pl.Utf8, "dis_sec": pl.Utf8,
                             "iep": pl.Boolean, "ilpa": pl.Boolean, "specialType": pl.Utf8})


def _typed(ctx: SchoolContext, name: str) -> pl.DataFrame:
    """The school's rows of `name` as the snapshot reader would type them."""
    table = TABLE_BY_NAME[name]
    frame = ctx.table(name)
    casts = []
    for col in table.columns:
        dtype = _DTYPES[col.kind]
        if col.name not in frame.columns:
            casts.append(pl.lit(None, dtype=dtype).alias(col.name))
        elif col.kind is Kind.FLAG:
            casts.append(pl.col(col.name).fill_null(0).cast(pl.Int8).cast(pl.Boolean))
        else:
            casts.append(pl.col(col.name).cast(dtype))
    return frame.select(casts) if frame.width else pl.DataFrame(
        schema={c.name: _DTYPES[c.kind] for c in table.columns})


def tables(ctx: SchoolContext) -> dict[str, pl.DataFrame]:
    out = {name: _typed(ctx, name) for name in _TABLES}
    s = ctx.school
    out["School"] = pl.DataFrame({"schoolID": [s.school_id], "districtID": [ctx.plan.district_id],
                                  "number": [s.number], "name": [s.name],
                                  "stateClassification": [s.classification]})
    for name in ("Lep", "GiftedTalented"):  # not needed for these facts: present and empty
        out[name] = _typed_empty(name)
    return out


def _typed_empty(name: str) -> pl.DataFrame:
    return pl.DataFrame(schema={c.name: _DTYPES[c.kind] for c in TABLE_BY_NAME[name].columns})


def counted(ctx: SchoolContext) -> pl.DataFrame:
    """(sectionID, personID) counted on the section's last day `D` (L-4 … L-8), with the
    chosen enrollment, `dis` = disability1, `dis_sec` (L-11), `iep`, `ilpa` on D."""
    if not ctx.table("Section").height:
        return EMPTY
    frames = tables(ctx)
    codes = ctx.ref
    sects = st.sections(frames, codes, ctx.plan.end_year)
    rows = st.student_attributes(frames, st.counted_students(frames, sects, codes), sects)
    return (rows.join(sects.select("sectionID", "specialType"), on="sectionID", how="left")
            .select("sectionID", "personID", pl.col("sectionEndDate").alias("D"),
                    "enrollmentID", pl.col("disability1").alias("dis"),
                    pl.col("disabilityInSection").alias("dis_sec"),
                    pl.col("activeIep").alias("iep"), "ilpa", "specialType")
            .sort("sectionID", "personID"))


def attribute_rows(c: pl.DataFrame) -> pl.DataFrame:
    """Each student's Detail row with the latest section end date (staging.attribute_rows)."""
    renamed = c.rename({"D": "sectionEndDate"})
    return st.attribute_rows(renamed, ["personID"]).rename({"sectionEndDate": "D"})


def case_managers(ctx: SchoolContext) -> pl.DataFrame:
    """L-23: each student's case manager on the snapshot date (personID, staffPersonID)."""
    header = st.DistrictHeader(ctx.plan.end_year, ctx.plan.snapshot_date, ctx.plan.district_id,
                               ctx.plan.number, ctx.plan.name)
    return st.case_managers(tables(ctx), header).rename(
        {"caseManagerPersonID": "staffPersonID"})
