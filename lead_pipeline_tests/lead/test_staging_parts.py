"""stg_section_students stages its sections a part at a time (SECTIONS_PER_PART); the parts
must give exactly the rows one pass over every section gives. The bundled sample, read through
the real reader (conftest's sample_tables), staged in parts of a few sections against one part,
and from the DuckDB file a run stages from, each part's Roster rows read alone."""

from collections.abc import Mapping
from pathlib import Path

import polars as pl
import pytest

from lead_pipeline.defs.resources import StoredTables, warehouse
from lead_pipeline.lib.codes import load_codes
from lead_pipeline.lib.lead import staging
from lead_pipeline.lib.lead.flow import LEAD_TABLES


def _staged(tables: Mapping[str, pl.DataFrame], header: staging.DistrictHeader, per_part: int,
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



def test_parts_read_from_duckdb_give_the_rows_of_one_pass(
        sample_database: Path, sample_tables: dict[str, pl.DataFrame],
        sample_header: staging.DistrictHeader, monkeypatch: pytest.MonkeyPatch) -> None:
    """A run's tables come from DuckDB (StoredTables): each part reads its own Roster rows,
    the whole Roster is never read, and the rows are those of one pass over the frames."""
    _, whole = _staged(sample_tables, sample_header, 10**9, monkeypatch)
    stored = StoredTables(warehouse(sample_database), "s", list(LEAD_TABLES))
    assert isinstance(stored, staging.RangeTables)
    _, parted = _staged(stored, sample_header, 7, monkeypatch)
    keys = ["sectionID", "personID"]
    assert parted.schema == whole.schema
    assert parted.sort(keys).equals(whole.sort(keys))
    assert "Roster" not in stored.read_whole and "Enrollment" in stored.read_whole


def test_the_staged_students_hold_no_names(sample_tables: dict[str, pl.DataFrame],
                                           sample_header: staging.DistrictHeader,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Names are joined by Detail alone (reports.detail): the staged rows, which every step
    after staging holds and the DuckDB file stores, carry ids only."""
    _, whole = _staged(sample_tables, sample_header, 10**9, monkeypatch)
    assert {"personID", "stateID", "raceEthnicityFed"} <= set(whole.columns)
    assert not set(staging.NAME_COLUMNS) & set(whole.columns)
