"""Code tables the generator draws from, read from data/reference so they never drift from
what the reports use (codes.md asks that codes live in those files, not in literals)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import polars as pl

from lead_pipeline.lib import paths


def _read(name: str, directory: Path) -> pl.DataFrame:
    return pl.read_csv(directory / f"{name}.csv", infer_schema=False)


@dataclass(frozen=True)
class Reference:
    included_classifications: tuple[str, ...]
    excluded_classifications: tuple[str, ...]
    disabilities: tuple[str, ...]
    certified_types: tuple[str, ...]
    classified_types: tuple[str, ...]
    placeholder_codes: tuple[str, ...]
    content_required_codes: tuple[str, ...]
    core_contents: tuple[str, ...]
    event_code_category: pl.DataFrame

    @property
    def drug_codes(self) -> tuple[str, ...]:
        return self._category("drug")

    @property
    def weapon_codes(self) -> tuple[str, ...]:
        return self._category("weapon")

    def _category(self, name: str) -> tuple[str, ...]:
        df = self.event_code_category.filter(pl.col("category") == name)
        return tuple(df["stateEventCode"].to_list())


@lru_cache(maxsize=4)
def load_reference(directory: Path | None = None) -> Reference:
    """Read the code tables once per process."""
    d = directory or paths.reference_dir()
    cls = _read("school_classification", d)
    atype = _read("assignment_type", d)
    course = _read("state_course_code", d)
    return Reference(
        included_classifications=tuple(cls.filter(pl.col("included") == "1")["code"]),
        excluded_classifications=tuple(cls.filter(pl.col("included") == "0")["code"]),
        disabilities=tuple(_read("disability", d)["code"]),
        certified_types=tuple(atype.filter(pl.col("certified") == "1")["code"]),
        classified_types=tuple(atype.filter(pl.col("certified") == "0")["code"]),
        placeholder_codes=tuple(course.filter(pl.col("group") == "placeholder")["code"]),
        content_required_codes=tuple(
            course.filter(pl.col("group") == "content_required")["code"]),
        core_contents=tuple(_read("core_content", d)["code"]),
        event_code_category=_read("event_code_category", d),
    )
