"""The in-memory typing of cases.py against the real snapshot reader: same frames, same
extract, so the fast hand-built tests see what a refresh sees."""

from __future__ import annotations

from pathlib import Path

from polars.testing import assert_frame_equal

from lead_pipeline.lib.codes import load_codes
from lead_pipeline.lib.kias import columns, population
from lead_pipeline.lib.kias.reference import event_categories, load_kias_codes
from lead_pipeline.lib.snapshot.schema import TABLES
from lead_pipeline_tests.builders import load_frames
from lead_pipeline_tests.kias.cases import Case, frames_of


def rich() -> Case:
    case = Case()
    case.iep(end="2027-06-30")
    case.sped(disability="SLD")
    case.foster()
    case.student(3, state_id=None)
    case.days(("2026-10-02", 1), ("2026-10-05", 0), ("2026-10-06", 1))
    eid = case.event(incident_type="2015", violence=True, time=" 08:05:30", context="230",
                     location="210")
    role = case.role(eid, weapons=("100", "600"), injury="4")
    case.resolution(role, "550", duration="2.125", unit="hours", law="01", arrest=True,
                    method="2")
    case.resolution(role, "450", start="2026-10-02", end="2026-10-06", start_time="08:00",
                    end_time="11:30:15", detention="1.5")
    case.resolution(case.role(eid, 3, role="Victim"), "001", start="2026-10-07",
                    end="2026-10-06")
    case.one("510", person=3, event={"time": "T09:00", "code": "1310"})
    return case


def test_in_memory_frames_match_the_snapshot_reader(tmp_path: Path):
    case = rich()
    read = load_frames(case.s, tmp_path / "snap")
    made = frames_of(case.s)
    for table in TABLES:
        assert_frame_equal(made[table.name], read[table.name], check_row_order=False), table.name
    codes = load_kias_codes()
    params = population.Params.for_year(2027)
    cats, _ = event_categories(read, [], reference=load_codes().event_code_category)
    extracts = [columns.extract(population.candidates(t, codes, params, cats), codes)
                for t in (made, read)]
    assert_frame_equal(*extracts)
    assert extracts[0].height == 4
