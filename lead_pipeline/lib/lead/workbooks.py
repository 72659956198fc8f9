"""Which LEAD sheets go in which workbook (docs/outputs.md), written with lib.excel.

The district workbook holds every report; each included school's workbook holds that school's
Classes, Staff and Schoolwide rows (never student-level rows); Detail workbooks exist only for
the sections asked for. Given the quality findings (`QaSheets`), the district and school
workbooks end with the Issues and Changes sheets, a school's filtered to its School Number.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import polars as pl

from lead_pipeline.lib.excel import (
    PARALLEL_CELLS,
    LineChart,
    SheetSpec,
    WorkbookJob,
    Writers,
    widths_by,
    write_workbook,
    write_workbooks,
)
from lead_pipeline.lib.lead.reports import TEXT_COLUMNS, LeadReports
from lead_pipeline.lib.lead.staging import DistrictHeader
from lead_pipeline.lib.names import DISTRICT_NUMBER, SCHOOL_NUMBER, UnsafeName, checked


@dataclass(frozen=True)
class QaSheets:
    """The Issues rows of the refresh (rules.findings), the Changes rows of the district
    workbook and of each school's (history.workbook_changes: each has its own baseline) and
    the district's Trend rows (history.trend; none: no Trend sheet)."""

    findings: pl.DataFrame
    district_changes: pl.DataFrame
    school_changes: Mapping[str, pl.DataFrame]
    trend: pl.DataFrame | None = field(default=None)

    @functools.cached_property
    def _findings_by_school(self) -> dict[str, pl.DataFrame]:
        """The findings of each School Number, in one pass for every school."""
        return _by_school(self.findings)

    def district_sheets(self) -> list[SheetSpec]:
        sheets = [sheet("Issues", self.findings), sheet("Changes", self.district_changes)]
        if self.trend is not None:
            sheets.append(trend_sheet(self.trend))
        return sheets

    def school_sheets(self, school_number: str,
                      widths: Mapping[str, Mapping[str, float]] | None = None
                      ) -> list[SheetSpec]:
        """The school's Issues and Changes sheets (`widths`: by sheet name, as `school_job`)."""
        issues = self._findings_by_school.get(school_number, self.findings.clear())
        changes = self.school_changes.get(school_number, self.district_changes.clear())
        known = widths or {}
        return [sheet("Issues", issues, known.get("Issues")),
                sheet("Changes", changes, known.get("Changes"))]


TREND_CHART = LineChart("Open findings per refresh", rows=[0, 1], y_title="findings")
"""The Trend sheet's chart: its first two rows, errors and reviews in total (history.trend)."""


def trend_sheet(trend: pl.DataFrame) -> SheetSpec:
    """The district workbook's Trend sheet (docs/outputs.md): open findings per rule by
    snapshot date, with a line chart of errors and reviews."""
    return SheetSpec("Trend", trend, chart=TREND_CHART,
                     widths={c: 11.0 for c in trend.columns[1:]})


def properties(header: DistrictHeader, generated: datetime, **extra: str) -> dict[str, str]:
    """A LEAD workbook's document properties: the district, year and snapshot date it was
    built from and when (a one-school refresh adds what it was, in `extra`)."""
    return {
        "title": f"LEAD reports, district {header.district_number}",
        "subject": f"End year {header.end_year}",
        "snapshot_date": header.snapshot_date.isoformat(),
        "generated": generated.isoformat(),
        "district_number": header.district_number,
        **extra,
    }


def sheet(name: str, frame: pl.DataFrame, widths: Mapping[str, float] | None = None
          ) -> SheetSpec:
    return SheetSpec(name, frame, TEXT_COLUMNS & set(frame.columns), widths)


def district_file(district_number: str) -> str:
    """The district workbook's path in a publication; only from a district number that passes
    its pattern (lib.names), so no value can steer the file elsewhere."""
    number = checked(DISTRICT_NUMBER, district_number, "district number")
    return f"district/LEAD_District_{number}.xlsx"


def school_file(school_number: str) -> str:
    """A school workbook's path in a publication; only from a school number that passes its
    pattern (lib.names)."""
    number = checked(SCHOOL_NUMBER, school_number, "school number")
    return f"schools/LEAD_{number}.xlsx"


def detail_file(section_id: int) -> str:
    """A Detail workbook's path in a publication; only from a positive whole number (a text
    id, even of digits, is refused: it did not come from the typed Section ID column)."""
    if isinstance(section_id, bool) or not isinstance(section_id, int) or section_id <= 0:
        raise UnsafeName("section id is not a positive whole number: refusing to use it in a "
                         "file name")
    return f"detail/LEAD_Detail_{int(section_id)}.xlsx"


def district_job(folder: Path, district_number: str, reports: LeadReports,
                 properties: Mapping[str, str], extra: Sequence[SheetSpec] = ()) -> WorkbookJob:
    path = folder / district_file(district_number)
    path.parent.mkdir(parents=True, exist_ok=True)
    return WorkbookJob(path, [sheet("Classes", reports.classes), sheet("Staff", reports.staff),
                              sheet("Caseload", reports.caseload),
                              sheet("Schoolwide", reports.schoolwide), *extra], properties)


SCHOOL_SHEETS = {"Classes": "classes", "Staff": "staff", "Schoolwide": "schoolwide"}
"""The school workbook's report sheets, in order, and the LeadReports frame each is cut from."""


def school_job(folder: Path, school_number: str, reports: LeadReports,
               properties: Mapping[str, str], extra: Sequence[SheetSpec] = (),
               widths: Mapping[str, Mapping[str, float]] | None = None) -> WorkbookJob:
    """One school's workbook: the district's rows of that School Number only. `widths`, by
    sheet name, are the columns' widths when already known (`school_widths`)."""
    path = folder / school_file(school_number)  # a number that is not one stops here
    mine = pl.col("School Number") == school_number
    return _school_job(path, school_number, {
        attr: getattr(reports, attr).filter(mine) for attr in SCHOOL_SHEETS.values()},
        properties, extra, widths)


def _school_job(path: Path, school_number: str, rows: Mapping[str, pl.DataFrame],
                properties: Mapping[str, str], extra: Sequence[SheetSpec],
                widths: Mapping[str, Mapping[str, float]] | None) -> WorkbookJob:
    """`school_job` at `path` from the school's rows of each report it shows (`rows`, by
    LeadReports attribute, as SCHOOL_SHEETS names them)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    known = widths or {}
    return WorkbookJob(path, [
        *(sheet(name, rows[attr], known.get(name)) for name, attr in SCHOOL_SHEETS.items()),
        *extra], {**properties, "school_number": school_number})


def school_widths(reports: LeadReports, qa: QaSheets | None
                  ) -> dict[str, dict[str, dict[str, float]]]:
    """Every school's column widths (school number → sheet name → column → width) for its
    report sheets and, with `qa`, its Issues sheet, measured for all schools at once
    (lib.excel.widths_by): the same widths each sheet would measure for itself, without a
    Polars pass per sheet (1,500 schools, four sheets each, at state scale)."""
    frames = {name: getattr(reports, attr) for name, attr in SCHOOL_SHEETS.items()}
    if qa is not None:
        frames["Issues"] = qa.findings
    out: dict[str, dict[str, dict[str, float]]] = {}
    for name, frame in frames.items():
        by_school = widths_by(frame, "School Number", TEXT_COLUMNS & set(frame.columns))
        for number, widths in by_school.items():
            if isinstance(number, str):
                out.setdefault(number, {})[name] = widths
    return out


def detail_jobs(folder: Path, detail: pl.DataFrame, properties: Mapping[str, str]
                ) -> list[WorkbookJob]:
    """One workbook per requested section (the Detail frame holds only those)."""
    jobs = []
    for (section_id,), rows in detail.group_by("Section ID", maintain_order=True):
        # group_by keys are typed `object`; Section ID is an integer column
        path = folder / detail_file(int(section_id))  # type: ignore[arg-type]
        path.parent.mkdir(parents=True, exist_ok=True)
        jobs.append(WorkbookJob(path, [sheet("Detail", rows)], properties))
    return jobs


def write_district(folder: Path, district_number: str, reports: LeadReports,
                   properties: Mapping[str, str], extra: Sequence[SheetSpec] = ()) -> Path:
    job = district_job(folder, district_number, reports, properties, extra)
    write_workbook(job.path, job.sheets, properties=job.properties)
    return job.path


def write_school(folder: Path, school_number: str, reports: LeadReports,
                 properties: Mapping[str, str], extra: Sequence[SheetSpec] = ()) -> Path:
    """One school's workbook: the district's rows of that School Number only."""
    job = school_job(folder, school_number, reports, properties, extra)
    write_workbook(job.path, job.sheets, properties=job.properties)
    return job.path


def write_details(folder: Path, detail: pl.DataFrame, properties: Mapping[str, str]
                  ) -> list[Path]:
    """One workbook per requested section (the Detail frame holds only those)."""
    return write_workbooks(detail_jobs(folder, detail, properties), workers=1)


def write_all(folder: Path, district_number: str, reports: LeadReports,
              properties: Mapping[str, str], qa: QaSheets | None = None, *,
              workers: int | None = None, parallel_cells: int = PARALLEL_CELLS,
              writers: Writers | None = None) -> list[Path]:
    """Every LEAD file of a refresh into `folder` (a publication's staging folder); with `qa`,
    the district and school workbooks end with Issues and Changes. The files are independent:
    a large refresh, or one given started `writers`, writes them on two processes
    (lib.excel.write_workbooks)."""
    jobs = [district_job(folder, district_number, reports, properties,
                         qa.district_sheets() if qa else ())]
    # each report split by School Number in one pass, not filtered once per school (1,500
    # schools at state scale: 2 s of filters, with the second writer waiting for its jobs)
    parts = {attr: _by_school(getattr(reports, attr)) for attr in SCHOOL_SHEETS.values()}
    widths = school_widths(reports, qa)
    for number in reports.schoolwide["School Number"].to_list():
        rows = {attr: part.get(number, getattr(reports, attr).clear())
                for attr, part in parts.items()}
        known = widths.get(number, {})
        jobs.append(_school_job(folder / school_file(number), number, rows, properties,
                                qa.school_sheets(number, known) if qa else (), known))
    jobs += detail_jobs(folder, reports.detail, properties)
    return write_workbooks(jobs, workers=workers, parallel_cells=parallel_cells, writers=writers)


def _by_school(frame: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """The rows of each School Number, in their order (a null School Number is no school's)."""
    return {key[0]: part for key, part in frame.partition_by(
        "School Number", as_dict=True, maintain_order=True).items()
        if isinstance(key[0], str)}
