"""lib/districts.py: where a district's files live, how a run names its district, and what a
multi-district snapshots root refuses (docs/statewide.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lead_pipeline.lib import districts


def test_the_mode_is_read_from_the_environment_and_a_bad_value_is_named() -> None:
    assert districts.multi_district({}) is False
    assert districts.multi_district({"LEAD_MULTI_DISTRICT": " 1 "}) is True
    assert districts.multi_district({"LEAD_MULTI_DISTRICT": "0"}) is False
    with pytest.raises(districts.DistrictError, match="LEAD_MULTI_DISTRICT is 'maybe'"):
        districts.multi_district({"LEAD_MULTI_DISTRICT": "maybe"})


def test_each_district_has_its_own_database_output_and_snapshots_folder() -> None:
    assert districts.database("/w/lead_pipeline.duckdb", "165") == \
        Path("/w/165/lead_pipeline.duckdb")
    assert districts.output("/out", "165") == Path("/out/165")
    assert districts.snapshots("/snap", "007") == Path("/snap/007")
    for bad in ("16", "1650", "../x", "16/", "", "abc"):
        with pytest.raises(districts.DistrictError):
            districts.output("/out", bad)


def test_a_run_names_its_district_by_tag_or_partition() -> None:
    assert districts.of_run({"dagster/partition": "165"}) == "165"
    assert districts.of_run({"dagster/partition": "165-010"}) == "165"
    assert districts.of_run({"lead/district": "101", "dagster/partition": "165"}) == "101"
    assert districts.of_run({"dagster/partition": "010"}) == "010"  # a district-like key
    assert districts.of_run({"dagster/partition": "x-010"}) is None
    assert districts.of_run({}) is None
    with pytest.raises(districts.DistrictError):
        districts.of_run({"lead/district": "../1"})


def test_school_keys_carry_the_district_only_with_many_districts() -> None:
    assert districts.school_key(None, "010") == "010"
    assert districts.school_key("165", "010") == "165-010"
    assert districts.split_school_key("165-010", multi=True) == ("165", "010")
    assert districts.split_school_key("010", multi=False) == (None, "010")
    with pytest.raises(districts.DistrictError, match="not <district>-<school>"):
        districts.split_school_key("010", multi=True)


def _snapshot(folder: Path, district: str | None, day: str = "2026-11-21") -> None:
    folder.mkdir(parents=True)
    manifest = {"snapshotDate": day, "endYear": 2027, "format": "csv",
                **({"districtNumber": district} if district else {})}
    (folder / "manifest.json").write_text(json.dumps(manifest))


def test_survey_keeps_each_districts_folders_and_refuses_the_rest(tmp_path: Path) -> None:
    _snapshot(tmp_path / "101" / "a", "101", "2026-11-14")
    _snapshot(tmp_path / "101" / "b", "101", "2026-11-21")
    _snapshot(tmp_path / "102" / "x", "101")          # names another district
    _snapshot(tmp_path / "102" / "y", None)           # names none
    (tmp_path / "103" / "broken").mkdir(parents=True)  # unreadable: integrity explains it
    (tmp_path / "103" / "broken" / "manifest.json").write_text("{not json")
    (tmp_path / "103" / "waiting").mkdir()             # no manifest yet: not arrived
    _snapshot(tmp_path / "Jefferson" / "a", "165")
    (tmp_path / "notes.txt").write_text("")
    (tmp_path / ".incoming").mkdir()

    found = districts.survey(tmp_path)
    assert {d: [a.name for a in arr] for d, arr in found.ready.items()} == {
        "101": ["a", "b"], "102": [], "103": ["broken"]}
    messages = dict(found.refused)
    assert messages["name:Jefferson"] == (
        f"{tmp_path / 'Jefferson'}: not a district folder (its name must be the three-digit "
        "state district number): refused, nothing was read")
    assert f"{tmp_path / 'notes.txt'}: not a district folder" in messages["name:notes.txt"]
    assert messages["manifest:102/x:2026-11-21"] == (
        f"manifest.json of {tmp_path / '102' / 'x'} names district 101, not 102 (the district "
        "folder it arrived in): refused, nothing was loaded; move it to the right district's "
        "folder")
    assert "names no district, not 102" in messages["manifest:102/y:2026-11-21"]
    assert len(found.refused) == 4


def test_an_empty_or_missing_root_has_nothing() -> None:
    assert districts.survey("/nonexistent/lead") == districts.Survey({}, [])
