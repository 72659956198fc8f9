"""The code tables of docs/codes.md, read from data/reference/ (one CSV per table).

Kept as data so a district can correct a label or add a code without a code change; every
rule and report reads them through `load_codes`, never from literals. The Dagster assets get
them from the snapshot resource, which reads its configured folder once per run
(defs/resources.py); the default folder is for the generator, the tests and scripts.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from lead_pipeline.lib.paths import reference_dir


def read_reference(folder: Path, name: str) -> pl.DataFrame:
    """One code table of data/reference as text columns, exactly as written."""
    return pl.read_csv(folder / f"{name}.csv", infer_schema=False)


@dataclass(frozen=True)
class Codes:
    included_classifications: tuple[str, ...]
    excluded_classifications: tuple[str, ...]
    disabilities: tuple[str, ...]
    """Primary disability codes in count-block column order."""
    races: tuple[tuple[str, str], ...]
    """(code, label) of raceEthnicityFed 1-7 in column order."""
    grades: tuple[str, ...]
    """State grades in column order (97, 98, 99, 00 … 12, 14)."""
    service_rank: dict[str, int]
    certified_types: tuple[str, ...]
    placeholder_courses: tuple[str, ...]
    content_required_courses: tuple[str, ...]
    event_code_category: pl.DataFrame

    @property
    def race_label(self) -> dict[str, str]:
        return dict(self.races)

    def event_codes(self, category: str) -> tuple[str, ...]:
        """State event codes of a category (`drug`, `weapon`) in the reference table."""
        rows = self.event_code_category.filter(pl.col("category") == category)
        return tuple(rows["stateEventCode"])


def load_codes(folder: Path | None = None) -> Codes:
    """The code tables in `folder` (default: lib.paths.reference_dir()), read anew each call."""
    folder = folder or reference_dir()
    schools = read_reference(folder, "school_classification")
    courses = read_reference(folder, "state_course_code")
    types = read_reference(folder, "assignment_type")
    service = read_reference(folder, "service_type")
    return Codes(
        included_classifications=tuple(schools.filter(pl.col("included") == "1")["code"]),
        excluded_classifications=tuple(schools.filter(pl.col("included") == "0")["code"]),
        disabilities=tuple(read_reference(folder, "disability")["code"]),
        races=tuple(read_reference(folder, "race_ethnicity").select("code", "label").iter_rows()),
        grades=tuple(read_reference(folder, "state_grade")["code"]),
        service_rank=dict(zip(service["code"], map(int, service["rank"]), strict=True)),
        certified_types=tuple(types.filter(pl.col("certified") == "1")["code"]),
        placeholder_courses=tuple(courses.filter(pl.col("group") == "placeholder")["code"]),
        content_required_courses=tuple(
            courses.filter(pl.col("group") == "content_required")["code"]),
        event_code_category=read_reference(folder, "event_code_category"),
    )
