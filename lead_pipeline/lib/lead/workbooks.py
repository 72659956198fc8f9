"""Which LEAD sheets go in which workbook (outputs.md), written with lib.excel.

The district workbook holds every report; each included school's workbook holds that school's
Classes, Staff and Schoolwide rows (never student-level rows); Detail workbooks exist only for
the sections asked for. Given the quality findings (`QaSheets`), the district and school
workbooks end with the Issues and Changes sheets, a school's filtered to its School Number.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from lead_pipeline.lib.excel import SheetSpec, write_workbook
from lead_pipeline.lib.lead.reports import TEXT_COLUMNS


@dataclass(frozen=True)
class LeadReports:
    classes: pl.DataFrame
    staff: pl.DataFrame
    caseload: pl.DataFrame
    schoolwide: pl.DataFrame
    detail: pl.DataFrame


@dataclass(frozen=True)
class QaSheets:
    """The Issues rows of the refresh (rules.findings) and the Changes rows of the district
    workbook and of each school's (history.workbook_changes: each has its own baseline)."""

    findings: pl.DataFrame
    district_changes: pl.DataFrame
    school_changes: Mapping[str, pl.DataFrame]

    def district_sheets(self) -> list[SheetSpec]:
        return [sheet("Issues", self.findings), sheet("Changes", self.district_changes)]

    def school_sheets(self, school_number: str) -> list[SheetSpec]:
        issues = self.findings.filter(pl.col("School Number") == school_number)
        changes = self.school_changes.get(school_number, self.district_changes.clear())
        return [sheet("Issues", issues), sheet("Changes", changes)]


def sheet(name: str, frame: pl.DataFrame) -> SheetSpec:
    return SheetSpec(name, frame, TEXT_COLUMNS & set(frame.columns))


def district_file(district_number: str) -> str:
    return f"district/LEAD_District_{district_number}.xlsx"


def school_file(school_number: str) -> str:
    return f"schools/LEAD_{school_number}.xlsx"


def detail_file(section_id: int) -> str:
    return f"detail/LEAD_Detail_{section_id}.xlsx"


def write_district(folder: Path, district_number: str, reports: LeadReports,
                   properties: Mapping[str, str], extra: Sequence[SheetSpec] = ()) -> Path:
    path = folder / district_file(district_number)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_workbook(path, [sheet("Classes", reports.classes), sheet("Staff", reports.staff),
                          sheet("Caseload", reports.caseload),
                          sheet("Schoolwide", reports.schoolwide), *extra],
                   properties=properties)
    return path


def write_school(folder: Path, school_number: str, reports: LeadReports,
                 properties: Mapping[str, str], extra: Sequence[SheetSpec] = ()) -> Path:
    """One school's workbook: the district's rows of that School Number only."""
    mine = pl.col("School Number") == school_number
    path = folder / school_file(school_number)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_workbook(path, [sheet("Classes", reports.classes.filter(mine)),
                          sheet("Staff", reports.staff.filter(mine)),
                          sheet("Schoolwide", reports.schoolwide.filter(mine)), *extra],
                   properties={**properties, "school_number": school_number})
    return path


def write_details(folder: Path, detail: pl.DataFrame, properties: Mapping[str, str]
                  ) -> list[Path]:
    """One workbook per requested section (the Detail frame holds only those)."""
    paths = []
    for (section_id,), rows in detail.group_by("Section ID", maintain_order=True):
        path = folder / detail_file(int(section_id))  # type: ignore[arg-type]
        path.parent.mkdir(parents=True, exist_ok=True)
        write_workbook(path, [sheet("Detail", rows)], properties=properties)
        paths.append(path)
    return paths


def write_all(folder: Path, district_number: str, reports: LeadReports,
              properties: Mapping[str, str], qa: QaSheets | None = None) -> list[Path]:
    """Every LEAD file of a refresh into `folder` (a publication's staging folder); with `qa`,
    the district and school workbooks end with Issues and Changes."""
    paths = [write_district(folder, district_number, reports, properties,
                            qa.district_sheets() if qa else ())]
    for number in reports.schoolwide["School Number"].to_list():
        paths.append(write_school(folder, number, reports, properties,
                                  qa.school_sheets(number) if qa else ()))
    paths += write_details(folder, reports.detail, properties)
    return paths
