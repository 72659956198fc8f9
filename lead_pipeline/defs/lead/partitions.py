"""Every school's published workbook as one Dagster asset, `lead/school_workbook`, partitioned
by state school number (the schools LEAD reports on, L-2), and what each partition's
materialisation says.

Two runs fill it, so the UI shows per school the build now in `latest`:
- the weekly refresh records a materialisation of every included school's partition when
  `publish/latest` has published (one run for the district, not one run per school);
- a one-school refresh (`lead/school_workbook` materialised for one partition) rebuilds one.
The newest materialisation is what the UI shows, so a weekly build supersedes an older
one-school build. Both record the same metadata (`school_metadata`): school name, snapshot
date and folder, the file, and its finding counts.

The partitions are dynamic (a district opens and closes schools): the weekly refresh registers
the included schools of its snapshot as it stages them (`lead/stg_sections`). With many districts
(lib/districts.py) a partition is `<district>-<school>`, and its run works on that district.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from lead_pipeline.lib.districts import school_key

SCHOOL_WORKBOOK = dg.AssetKey(["lead", "school_workbook"])
SCHOOLS_NAME = "school"
"""Kept apart from SCHOOLS: DynamicPartitionsDefinition.name is typed Optional."""
SCHOOLS = dg.DynamicPartitionsDefinition(name=SCHOOLS_NAME)
WEEKLY_BUILD, ONE_SCHOOL_BUILD = "weekly refresh", "one-school refresh"


def add_school_partitions(instance: dg.DagsterInstance, numbers: list[str],
                          district: str | None = None) -> list[str]:
    """Add the schools not yet partitions; returns the keys added. In multi-district mode a
    school's key is `<district>-<school>` (lib/districts.py): district 165's school 010 and
    district 275's school 010 are different workbooks."""
    have = set(instance.get_dynamic_partitions(SCHOOLS_NAME))
    new = sorted({school_key(district, n) for n in numbers if n} - have)
    if new:
        instance.add_dynamic_partitions(SCHOOLS_NAME, new)
    return new


def school_metadata(*, name: str | None, snapshot_date: str, snapshot_folder: str, file: Path,
                    errors: int, reviews: int, new: int, resolved: int, built_by: str
                    ) -> dict[str, dg.MetadataValue]:
    """A school partition's materialisation metadata, the same from both runs. School names
    are not private (students' and staff names are, and never appear here)."""
    return {
        "school_name": dg.MetadataValue.text(name or ""),
        "snapshot_date": dg.MetadataValue.text(snapshot_date),
        "errors": dg.MetadataValue.int(errors),
        "reviews": dg.MetadataValue.int(reviews),
        "findings": dg.MetadataValue.int(errors + reviews),
        "new": dg.MetadataValue.int(new),
        "resolved": dg.MetadataValue.int(resolved),
        "file": dg.MetadataValue.path(str(file)),
        "snapshot_folder": dg.MetadataValue.path(snapshot_folder),
        "built_by": dg.MetadataValue.text(built_by),
    }
