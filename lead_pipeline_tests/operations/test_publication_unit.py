"""A refresh publishes whole or changes nothing (snapshot.md Integrity, outputs.md): the current
snapshot in DuckDB and `latest` move together, whichever step fails, and what the command says
is the cause. Real command, real DuckDB file, real folders; nothing outside the output root.
"""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from lead_pipeline import cli
from lead_pipeline.definitions import definitions_with
from lead_pipeline.defs.operations.jobs import WEEKLY, run_config
from lead_pipeline.defs.resources import resources
from lead_pipeline.lib.snapshot import store
from lead_pipeline_tests.builders import Snapshot, tiny
from lead_pipeline_tests.operations.common import digests


def refresh(capsys: pytest.CaptureFixture[str], snapshot: Path, root: Path,
            *extra: str) -> tuple[int, str, str]:
    code = cli.main(["refresh", "--snapshot", str(snapshot), "--output", str(root / "out"),
                     "--database", str(root / "db" / "w.duckdb"), *extra])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def state(root: Path) -> tuple[int | None, str, str]:
    """(current load, where latest points, digest of every published file)."""
    with duckdb.connect(str(root / "db" / "w.duckdb"), read_only=True) as con:
        current = store.current(con)
    return (current.load_id if current else None, os.readlink(root / "out" / "latest"),
            str(sorted(digests(root / "out").items())))


def listing(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


@pytest.fixture
def published(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """A deployment holding one good publication of tiny() (2026-11-21)."""
    root = tmp_path / "deploy"
    code, _, err = refresh(capsys, tiny().write(tmp_path / "week1"), root)
    assert code == 0, err
    return root


def next_year() -> Snapshot:
    """A good snapshot of the next school year (2028), so it publishes into out/2028."""
    s = tiny()
    s.manifest.update(snapshotDate="2027-09-04", endYear=2028)
    s.one("Calendar").update(endYear=2028, startDate="2027-08-11", endDate="2028-05-19")
    s.one("Term").update(startDate="2027-08-11", endDate="2028-05-19")
    s.one("Enrollment").update(startDate="2027-08-11")
    return s


def test_a_failure_after_the_checks_leaves_snapshot_and_latest(tmp_path, capsys, published):
    """The publish step itself fails (a file where the year's folder must go): the run had
    loaded, checked, reported and written everything. Before, the database was left on the
    new snapshot and the message was Dagster's wrapper."""
    (published / "out" / "2028").write_text("in the way")
    before = state(published)
    code, _, err = refresh(capsys, next_year().write(tmp_path / "week2"), published)
    assert code == 1
    first, *problems = err.splitlines()
    assert first.endswith("stopped: step publish__latest failed; the last good snapshot and "
                          "the published reports are unchanged.")
    assert problems and problems[0].startswith("  publish__latest: NotADirectoryError: ")
    assert "Error occurred while executing" not in err
    assert state(published) == before
    assert not [p for p in (published / "out").iterdir() if p.name.startswith(".staging-")]

    (published / "out" / "2028").unlink()  # the cause removed, the same snapshot publishes
    code, _, err = refresh(capsys, tmp_path / "week2", published)
    assert code == 0, err
    load, latest, _ = state(published)
    assert (load is not None and load > before[0], latest) == (True, "2028/2027-09-04")
    with duckdb.connect(str(published / "db" / "w.duckdb"), read_only=True) as con:
        status = dict(con.execute(f"SELECT load_id, status FROM {store.META}.loads").fetchall())
    # the load of the failed run never became current; it was discarded by the next load
    assert sorted(status.values()) == ["current", "discarded", "retired"]


@pytest.mark.parametrize(("change", "line"), [
    ({"snapshotDate": "2062-11-21"},
     "  manifest.json: manifest.json snapshotDate 2062-11-21 is outside the report year 2027's "
     "window 2026-07-01 to 2027-12-31"),
    ({"snapshotDate": "9999-12-31"},
     "  manifest.json: manifest.json snapshotDate 9999-12-31 is outside the report year 2027's "
     "window 2026-07-01 to 2027-12-31"),
    ({"snapshotDate": "0001-01-01"},
     "  manifest.json: manifest.json snapshotDate 0001-01-01 is outside the report year 2027's "
     "window 2026-07-01 to 2027-12-31"),
    ({"endYear": -2027}, "  manifest.json: manifest.json endYear -2027 is outside 2000-2100"),
    ({"endYear": 10000}, "  manifest.json: manifest.json endYear 10000 is outside 2000-2100"),
])
def test_a_manifest_from_another_decade_changes_nothing(tmp_path, capsys, published, change,
                                                        line):
    """A manifest dated 2062 once moved latest there and pruning deleted every earlier
    week; one dated 0001-01-01 said nothing changed while latest had moved."""
    before = state(published)
    s = tiny()
    s.manifest.update(change)
    code, _, err = refresh(capsys, s.write(tmp_path / "bad"), published)
    assert code == 1
    assert err.splitlines()[0].endswith("stopped: the snapshot fails integrity; the last good "
                                        "snapshot and the published reports are unchanged.")
    assert line in err.splitlines()
    assert state(published) == before


def test_a_school_number_with_a_path_writes_nothing_anywhere(tmp_path, capsys, published):
    before, around = state(published), listing(tmp_path)
    s = tiny()
    s.one("School")["number"] = "005/../../../../x"
    folder = s.write(tmp_path / "bad")
    around = listing(tmp_path)
    code, _, err = refresh(capsys, folder, published)
    assert code == 1
    assert ("  School.number: 1 value(s) are not 3 or 4 digits; rows: schoolID=10 (row 1) "
            "'005/../../../../x'") in err.splitlines()
    assert state(published) == before
    assert listing(tmp_path) - around <= {"deploy/db/w.duckdb.wal"}


def test_a_truncated_roster_is_refused_until_the_operator_accepts_it(tmp_path, capsys,
                                                                     published):
    s = tiny()
    for i in range(1, 6):
        s.add("Roster", rosterID=800 + i, personID=1, sectionID=600, trialID=300)
    code, _, err = refresh(capsys, s.write(tmp_path / "six"), published)
    assert code == 0, err
    before = state(published)

    cut = tiny()  # one roster row where the current snapshot has six
    folder = cut.write(tmp_path / "cut")
    code, _, err = refresh(capsys, folder, published)
    assert code == 1
    assert ("  Roster: Roster has 1 rows, fewer than half of the 6 in the current snapshot "
            "(2026-11-21, load 2): a truncated export looks like this; if the drop is real, "
            "accept it for this one refresh: lead-pipeline refresh --accept-smaller (in the UI: "
            "run config accept_smaller: true)") in err.splitlines()
    assert state(published) == before

    code, out, err = refresh(capsys, folder, published, "--accept-smaller")
    assert code == 0, err
    assert ("  note: accepted by the operator: Roster Roster has 1 rows, fewer than half of the "
            "6 in the current snapshot (2026-11-21, load 2): a truncated export looks like "
            "this; if the drop is real, accept it for this one refresh: lead-pipeline refresh "
            "--accept-smaller (in the UI: run config accept_smaller: true)") in out.splitlines()


def test_a_killed_refreshs_staging_folder_goes_with_the_next_refresh(tmp_path, capsys,
                                                                     published):
    """They used to pile up for a day, partial workbooks and all."""
    out = published / "out"
    left = out / ".staging-run-killed"
    (left / "schools").mkdir(parents=True)
    (left / "schools" / "LEAD_005.xlsx").write_bytes(b"partial")
    school_tmp = out / ".staging-school-abc123"
    school_tmp.mkdir()
    s = tiny()
    s.manifest["snapshotDate"] = "2026-11-28"
    code, _, err = refresh(capsys, s.write(tmp_path / "week2"), published)
    assert code == 0, err
    assert sorted(p.name for p in out.iterdir()) == ["2027", "latest"]
    assert sorted(p.name for p in (out / "2027").iterdir()) == ["2026-11-21", "2026-11-28"]


def test_a_housekeeping_failure_is_a_warning_and_never_undoes_the_publication(tmp_path):
    """Pruning comes after the publication committed: a misconfigured keep_count (0, which
    prune refuses) is logged as a warning; latest, the files and the snapshot stand."""
    res = resources(tmp_path / "db" / "w.duckdb", output_dir=str(tmp_path / "out"),
                    keep_count=0)
    with dg.DagsterInstance.ephemeral() as instance:
        result = definitions_with(res).resolve_job_def(WEEKLY).execute_in_process(
            run_config=run_config(str(tiny().write(tmp_path / "week1"))), instance=instance,
            raise_on_error=False)
        logs = [e.user_message for e in instance.all_logs(result.run_id)]
    assert result.success
    assert any(m.startswith("housekeeping of ") and m.endswith(
        "failed and will be retried by the next refresh: ValueError") for m in logs), logs
    assert os.readlink(tmp_path / "out" / "latest") == "2027/2026-11-21"
    with duckdb.connect(str(tmp_path / "db" / "w.duckdb"), read_only=True) as con:
        current = store.current(con)
    assert current is not None and str(current.snapshot_date) == "2026-11-21"
