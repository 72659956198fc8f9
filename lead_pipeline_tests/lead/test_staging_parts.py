"""stg_section_students stages its sections a part at a time (SECTIONS_PER_PART); the parts
must give exactly the rows one pass over every section gives. The bundled sample, read through
the real reader (conftest's sample_tables), staged in parts of a few sections against one part."""

import polars as pl
import pytest

from lead_pipeline.lib.codes import load_codes
from lead_pipeline.lib.lead import staging


def _staged(tables: dict[str, pl.DataFrame], header: staging.DistrictHeader, per_part: int,
            monkeypatch: pytest.MonkeyPatch) -> tuple[pl.DataFrame, pl.DataFrame]:
    monkeypatch.setattr(staging, "SECTIONS_PER_PART", per_part)
    codes = load_codes()
    sections = staging.stg_sections(tables, codes, header)
    return sections, staging.stg_section_students(tables, codes, header, sections)


@pytest.mark.parametrize("per_part", [1, 7, 100])
def test_parts_give_the_rows_of_one_pass(sample_tables: dict[str, pl.DataFrame],
                                         sample_header: staging.DistrictHeader, per_part: int,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    sections, whole = _staged(sample_tables, sample_header, 10**9, monkeypatch)
    assert sections.height > 100 and whole.height > 1000  # several parts at every size tried
    _, parted = _staged(sample_tables, sample_header, per_part, monkeypatch)
    keys = ["sectionID", "personID"]
    assert parted.schema == whole.schema
    assert parted.sort(keys).equals(whole.sort(keys))
    assert parted.select(keys).is_duplicated().sum() == 0


def test_no_sections_stage_no_students(sample_tables: dict[str, pl.DataFrame],
                                       sample_header: staging.DistrictHeader,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    sections, whole = _staged(sample_tables, sample_header, 7, monkeypatch)
    none = staging.stg_section_students(sample_tables, load_codes(), sample_header,
                                        sections.clear())
    assert none.height == 0 and none.schema == whole.schema

