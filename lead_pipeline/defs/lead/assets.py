"""Kentucky LEAD: staging (who is counted) and the five reports, as thin Dagster wrappers
around the pure functions of lib/lead: each asset calls its one step of the LEAD flow
(lib/lead/flow.py), the chain the one-school refresh runs in one call. Frames are stored as
DuckDB tables `lead.<name>`."""

import dagster as dg
import polars as pl
from pydantic import Field

from lead_pipeline.defs.districts import DISTRICTS
from lead_pipeline.defs.group import GROUP
from lead_pipeline.defs.lead.inputs import run_started
from lead_pipeline.defs.lead.partitions import add_school_partitions
from lead_pipeline.defs.resources import PipelineSettings, SnapshotResource
from lead_pipeline.defs.snapshot.assets import TABLES_KEY
from lead_pipeline.lib.lead import reports, staging
from lead_pipeline.lib.lead.flow import LEAD_TABLES
from lead_pipeline.lib.lead.preview import preview_markdown

KINDS = {"polars", "duckdb"}
STG_SECTIONS = dg.AssetKey(["lead", "stg_sections"])
STG_SECTION_STUDENTS = dg.AssetKey(["lead", "stg_section_students"])
CLASSES = dg.AssetKey(["lead", "classes"])
STAFF = dg.AssetKey(["lead", "staff"])
CASELOAD = dg.AssetKey(["lead", "caseload"])
SCHOOLWIDE = dg.AssetKey(["lead", "schoolwide"])
DETAIL = dg.AssetKey(["lead", "detail"])


@dg.asset(partitions_def=DISTRICTS,
          key=STG_SECTIONS, group_name=GROUP, kinds=KINDS, deps=[TABLES_KEY],
          description="L-1…L-5, L-22: the sections in the reports, with school, calendar, "
          "course, dates (last day = Section End Date) and primary teacher; teacher names only "
          "for active staff at the section's school (L-20). Registers the included schools' "
          "numbers as partitions of lead/school_workbook.")
def stg_sections(context: dg.AssetExecutionContext, snapshot: SnapshotResource,
                 settings: PipelineSettings) -> pl.DataFrame:
    tables, codes = snapshot.frames(LEAD_TABLES), snapshot.codes()
    add_school_partitions(context.instance, staging.included_schools(tables, codes)["number"]
                          .drop_nulls().to_list(), settings.district)
    return staging.stg_sections(tables, codes, snapshot.header())


@dg.asset(partitions_def=DISTRICTS,
          key=STG_SECTION_STUDENTS, group_name=GROUP, kinds=KINDS,
          ins={"sections": dg.AssetIn(STG_SECTIONS)}, deps=[TABLES_KEY],
          description="L-6…L-15, L-23: one row per section and student counted on the "
          "section's last day, with the chosen enrollment, state grade, disability, EL, gifted, "
          "ILPA, race and case manager. These are the Detail rows of every section.")
def stg_section_students(snapshot: SnapshotResource, sections: pl.DataFrame) -> pl.DataFrame:
    return staging.stg_section_students(snapshot.frames(LEAD_TABLES), snapshot.codes(),
                                        snapshot.header(), sections)


def _previewed(context: dg.AssetExecutionContext, frame: pl.DataFrame) -> pl.DataFrame:
    """Row count (the IO manager's dagster/row_count) plus the first rows, private columns
    dropped (lib/lead/preview.py)."""
    context.add_output_metadata({"preview": dg.MetadataValue.md(preview_markdown(frame)),
                                 "schools": dg.MetadataValue.int(
                                     frame["School Number"].n_unique()
                                     if "School Number" in frame.columns else 0)})
    return frame


_SECTIONS = dg.AssetIn(STG_SECTIONS)
_STUDENTS = dg.AssetIn(STG_SECTION_STUDENTS)
_COUNTED = dg.AssetIn(STG_SECTION_STUDENTS,
                      metadata={"columns": list(reports.COUNTED_COLUMNS)})


@dg.asset(partitions_def=DISTRICTS,
          key=CLASSES, group_name=GROUP, kinds=KINDS,
          ins={"sections": _SECTIONS, "students": _COUNTED},
          description="Classes: one row per included section with its count block, sorted by "
          "school name, calendar, structure, course number, section number (docs/lead.md §4).")
def classes(context: dg.AssetExecutionContext, snapshot: SnapshotResource,
            sections: pl.DataFrame, students: pl.DataFrame) -> pl.DataFrame:
    return _previewed(context, reports.classes(sections, students, snapshot.codes(),
                                               snapshot.header(), run_started(context)))


@dg.asset(partitions_def=DISTRICTS,
          key=STAFF, group_name=GROUP, kinds=KINDS, deps=[TABLES_KEY],
          description="Staff: one row per active staff person (L-20) x school x type x alt "
          "type from the latest such assignment, with the EPSB ID (L-21).")
def staff(context: dg.AssetExecutionContext, snapshot: SnapshotResource) -> pl.DataFrame:
    return _previewed(context, reports.staff(snapshot.frames(LEAD_TABLES), snapshot.codes(),
                                             snapshot.header(), run_started(context)))


@dg.asset(partitions_def=DISTRICTS,
          key=CASELOAD, group_name=GROUP, kinds=KINDS, ins={"students": _COUNTED},
          deps=[TABLES_KEY],
          description="Caseload (district level): one row per case manager (L-23) and one with "
          "a blank Person ID for students with a disability and no case manager.")
def caseload(context: dg.AssetExecutionContext, snapshot: SnapshotResource,
             students: pl.DataFrame) -> pl.DataFrame:
    return reports.caseload(snapshot.frames(LEAD_TABLES), students, snapshot.codes(),
                            snapshot.header(), run_started(context))


@dg.asset(partitions_def=DISTRICTS,
          key=SCHOOLWIDE, group_name=GROUP, kinds=KINDS,
          ins={"students": _COUNTED}, deps=[TABLES_KEY],
          description="Schoolwide: one row per included school over its distinct students.")
def schoolwide(context: dg.AssetExecutionContext, snapshot: SnapshotResource,
               students: pl.DataFrame) -> pl.DataFrame:
    return _previewed(context, reports.schoolwide(snapshot.frames(LEAD_TABLES), students,
                                                  snapshot.codes(), snapshot.header(),
                                                  run_started(context)))


class DetailConfig(dg.Config):
    section_ids: list[int] = Field(
        default=[], description="Section IDs to produce Detail workbooks for (the card's "
        "'enter the SectionID desired').")


@dg.asset(partitions_def=DISTRICTS,
          key=DETAIL, group_name=GROUP, kinds=KINDS,
          ins={"sections": _SECTIONS, "students": _STUDENTS}, deps=[TABLES_KEY],
          description="Detail: student-level rows of the requested sections only (run config "
          "section_ids), with the students' names from the snapshot; empty when none was "
          "requested.")
def detail(context: dg.AssetExecutionContext, config: DetailConfig,
           snapshot: SnapshotResource, sections: pl.DataFrame,
           students: pl.DataFrame) -> pl.DataFrame:
    unknown = sorted(set(config.section_ids) - set(sections["sectionID"].to_list()))
    if unknown:
        context.log.warning(f"sections not in the reports (not included by L-4): {unknown}")
    return reports.detail(snapshot.frames(LEAD_TABLES), sections, students, snapshot.codes(),
                          snapshot.header(), run_started(context), config.section_ids)
