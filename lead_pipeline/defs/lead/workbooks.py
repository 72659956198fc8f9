"""LEAD workbooks: the district's and each included school's, and Detail on request, written
into the run's staging folder; `publish/latest` makes them visible all at once."""

import dagster as dg
import polars as pl

from lead_pipeline.defs.districts import DISTRICTS
from lead_pipeline.defs.group import GROUP
from lead_pipeline.defs.lead.assets import CASELOAD, CLASSES, DETAIL, SCHOOLWIDE, STAFF
from lead_pipeline.defs.lead.inputs import run_started
from lead_pipeline.defs.lead.qa import FINDINGS
from lead_pipeline.defs.resources import PipelineSettings, SnapshotResource
from lead_pipeline.defs.writers import WorkbookWriters
from lead_pipeline.lib.lead import history
from lead_pipeline.lib.lead.reports import LeadReports
from lead_pipeline.lib.lead.rules import RULES
from lead_pipeline.lib.lead.workbooks import QaSheets, properties, write_all
from lead_pipeline.lib.publish import run_staging

WORKBOOKS = dg.AssetKey(["lead", "workbooks"])
_IN = {name: dg.AssetIn(key) for name, key in {
    "classes": CLASSES, "staff": STAFF, "caseload": CASELOAD, "schoolwide": SCHOOLWIDE,
    "detail": DETAIL, "findings": FINDINGS}.items()}


@dg.asset(partitions_def=DISTRICTS,
          key=WORKBOOKS, group_name=GROUP, kinds={"excel"}, ins=_IN,
          description="The week's LEAD workbooks: `district/LEAD_District_NNN.xlsx` (Classes, "
          "Staff, Caseload, Schoolwide, Issues, Changes, Trend), `schools/LEAD_NNN.xlsx` for "
          "every included school (its rows only) and `detail/LEAD_Detail_ID.xlsx` for requested "
          "sections; written into the run's "
          "staging folder.")
def workbooks(context: dg.AssetExecutionContext, snapshot: SnapshotResource,
              settings: PipelineSettings, writers: WorkbookWriters, classes: pl.DataFrame,
              staff: pl.DataFrame, caseload: pl.DataFrame, schoolwide: pl.DataFrame,
              detail: pl.DataFrame, findings: pl.DataFrame) -> dg.MaterializeResult:
    header = snapshot.header()
    with snapshot.duckdb.get_connection() as con:  # Changes: versus the last earlier publication
        district_changes, school_changes = history.workbook_changes(
            con, findings, header.district_number, header.snapshot_date,
            schoolwide["School Number"].to_list(), end_year=header.end_year)
        trend = history.trend(con, findings, header.district_number, header.snapshot_date,
                              [rule.id for rule in RULES])
    folder = run_staging(settings.output, context.run.run_id)
    folder.mkdir(parents=True, exist_ok=True)
    reports = LeadReports(classes, staff, caseload, schoolwide, detail)
    qa = QaSheets(findings, district_changes, school_changes, trend)
    paths = write_all(folder, header.district_number, reports,
                      properties(header, run_started(context)), qa, writers=writers.writers)
    writers.release()  # they exit while quality rules and publish run
    context.log.info(f"wrote {len(paths)} LEAD workbooks")
    return dg.MaterializeResult(metadata={
        "files": dg.MetadataValue.int(len(paths)),
        "school_workbooks": dg.MetadataValue.int(schoolwide.height),
        "detail_workbooks": dg.MetadataValue.int(detail["Section ID"].n_unique()
                                                 if detail.height else 0),
        "bytes": dg.MetadataValue.int(sum(p.stat().st_size for p in paths)),
    })
