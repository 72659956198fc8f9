"""A one-school refresh after a weekly one (outputs.md): only that school's workbook changes,
it records the new snapshot date, and its Changes sheet shows the fixed record as Resolved."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from lead_pipeline.cli import main
from lead_pipeline.lib import publish
from lead_pipeline.lib.lead.preview import preview_markdown
from lead_pipeline.lib.lead.reports import PRIVATE_COLUMNS
from lead_pipeline.lib.snapshot.slice import slice_folder
from lead_pipeline.refresh import run_refresh, run_school_refresh
from lead_pipeline_tests.operations.common import (
    FILE,
    OTHER,
    changes,
    custom_properties,
    digests,
    sheet,
    two_schools,
)


def test_one_school_replaces_only_its_workbook(tmp_path: Path):
    db, out = tmp_path / "w.duckdb", tmp_path / "out"
    weekly = run_refresh(two_schools().write(tmp_path / "w1"), database=db, output=out)
    assert weekly.success, weekly.problems
    before = digests(out / "latest")
    assert FILE in before and "schools/LEAD_005.xlsx" in before
    assert [c for c in changes(out / "latest" / FILE)] == []
    issues = sheet(out / "latest" / FILE, "Issues")
    assert ("Q-C2", 610) in set(zip(issues["Check"], issues["Section ID"], strict=True))

    # the report previews the UI shows (materialisation metadata) hold no names or state ids
    book = out / "latest/district/LEAD_District_165.xlsx"
    for name in ("Classes", "Staff", "Schoolwide"):
        md = preview_markdown(sheet(book, name))
        assert not {"Tom", "Ann", "Bo", "Pupil", "0000000001", "0000000030"} & set(
            md.replace("|", " ").split()), md
        assert not PRIVATE_COLUMNS & {c.strip() for c in md.splitlines()[0].split("|")}, md

    fixed = two_schools(fixed=True).write(tmp_path / "fixed")
    outcome = run_school_refresh(OTHER, fixed, database=db, output=out)
    assert outcome.success, outcome.problems
    assert outcome.snapshot_date == "2026-11-28" and outcome.resolved == 1

    after = digests(out / "latest")
    assert publish.latest(out) == weekly.published  # latest did not move
    assert sorted(after) == sorted(before)
    assert [f for f in after if after[f] != before[f]] == [FILE]
    assert custom_properties(out / "latest" / FILE)["snapshot_date"] == "2026-11-28"
    assert ("Resolved", "Q-C2", OTHER, 610) in changes(out / "latest" / FILE)
    issues = sheet(out / "latest" / FILE, "Issues")
    assert "Q-C2" not in issues["Check"].to_list()
    classes = sheet(out / "latest" / FILE, "Classes")
    assert set(classes["School Number"].to_list()) == {OTHER}
    assert not list(out.glob(".staging-*"))  # nothing left behind


def test_cli_school_refresh_fails_cleanly(tmp_path: Path, capsys):
    db, out = tmp_path / "w.duckdb", tmp_path / "out"
    folder = two_schools().write(tmp_path / "w1")
    # nothing published yet: a clear message, non-zero
    code = main(["refresh", "--school", OTHER, "--snapshot", str(folder), "--output", str(out),
                 "--database", str(db)])
    assert code == 1
    assert "run the weekly refresh first" in capsys.readouterr().err
    assert main(["refresh", "--snapshot", str(folder), "--output", str(out),
                 "--database", str(db)]) == 0
    before = digests(out / "latest")
    # a slice that fails integrity (a duplicate key at the school) replaces nothing
    broken = two_schools(fixed=True)
    broken.rows["Roster"].append(dict(broken.rows["Roster"][-1]))
    code = main(["refresh", "--school", OTHER, "--snapshot", str(broken.write(tmp_path / "b")),
                 "--output", str(out), "--database", str(db)])
    err = capsys.readouterr().err
    assert code == 1 and "Roster" in err, err
    assert main(["refresh", "--school", "999", "--snapshot", str(folder), "--output",
                 str(out), "--database", str(db)]) == 1
    assert ("school 999 has no workbook in the published refresh (2027/2026-11-21); the schools "
            "there are 005, 010") in capsys.readouterr().err
    assert digests(out / "latest") == before
    # and a good one prints what it replaced
    code = main(["refresh", "--school", OTHER, "--snapshot",
                 str(two_schools(fixed=True).write(tmp_path / "f")), "--output", str(out),
                 "--database", str(db)])
    assert code == 0
    assert f"LEAD_{OTHER}.xlsx replaced" in capsys.readouterr().out


def test_slice_keeps_only_the_schools_rows(tmp_path: Path):
    folder = two_schools().write(tmp_path / "w1")
    part = slice_folder(folder, OTHER, tmp_path / "slice")
    assert part.copied_whole == []
    assert part.rows["School"] == 1 and part.rows["Calendar"] == 1
    assert part.rows["Section"] == 1 and part.rows["Roster"] == 1
    assert part.rows["Person"] == 2  # student 30 and teacher 2 (assigned at the school)
    assert part.rows["EmploymentAssignment"] == 1
    assert (tmp_path / "slice" / "manifest.json").is_file()



def test_runs_are_the_defined_jobs_and_register_the_schools(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """With DAGSTER_HOME set, the command line's runs are the UI's jobs in its run history, and
    the weekly one leaves what the UI offers to materialise one school: every included school
    of its snapshot (an excluded classification is not one)."""
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    db, out = tmp_path / "w.duckdb", tmp_path / "out"
    s = two_schools()
    s.add("School", schoolID=30, districtID=1, number="020", name="Not Reported",
          stateClassification="F1")
    outcome = run_refresh(s.write(tmp_path / "w1"), database=db, output=out)
    assert outcome.success, outcome.problems
    with dg.DagsterInstance.get() as instance:
        assert instance.get_dynamic_partitions("school") == ["005", OTHER]
    school = run_school_refresh(OTHER, two_schools(fixed=True).write(tmp_path / "fixed"),
                                database=db, output=out)
    assert school.success, school.problems
    with dg.DagsterInstance.get() as instance:
        ordered = list(reversed(instance.get_runs()))
        runs = [(r.job_name, r.tags.get("dagster/partition"), r.tags["lead/trigger"])
                for r in ordered]
        labels = [(r.tags.get("lead/run"), r.tags.get("lead/snapshot_date"),
                   r.tags.get("lead/school")) for r in ordered]
    assert runs == [("Weekly_refresh", None, "command_line"),
                    ("One_school_refresh", OTHER, "command_line")]
    # the runs list says which snapshot each used (added by the step that read its manifest)
    assert labels == [("weekly", "2026-11-21", None), ("one_school", "2026-11-28", OTHER)]
