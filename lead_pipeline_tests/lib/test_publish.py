"""Atomic publishing (outputs.md): a refresh appears whole under <endYear>/<snapshotDate> and
`latest` moves only then; a failed, partial or killed refresh leaves everything published before
byte-identical."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import date
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from lead_pipeline.lib.excel import SheetSpec, write_workbook
from lead_pipeline.lib.publish import Publication, latest, prune, recover, replace_file

PROJECT = Path(__file__).resolve().parents[2]
JAN_03 = date(2026, 1, 3)
JAN_10 = date(2026, 1, 10)


def fill(folder: Path, tag: str) -> None:
    """Files shaped like a refresh's output, with content that says which refresh wrote them."""
    for rel in ("district/LEAD_District_005.xlsx", "schools/LEAD_005.xlsx", "kias/KIAS_005.csv"):
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"{tag}:{rel}")


def publish(root: Path, day: date, tag: str, end_year: int = 2026) -> Path:
    with Publication(root, end_year, day) as pub:
        fill(pub.staging, tag)
    return root / str(end_year) / day.isoformat()


def tree(root: Path) -> dict[str, str]:
    """Every path under root (symlinks by target, files by hash), to compare states exactly."""
    out: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            rel = str(path.relative_to(root))
            if path.is_symlink():
                out[rel] = "-> " + os.readlink(path)
            elif path.is_file():
                out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
            else:
                out[rel] = "dir"
    return out


def hidden(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if p.name.startswith("."))


def test_publication_creates_the_dated_folder_and_points_latest(tmp_path: Path) -> None:
    root = tmp_path / "output"
    with Publication(root, 2026, JAN_03) as pub:
        assert pub.staging.parent == root and pub.staging.name.startswith(".staging-")
        fill(pub.staging, "first")
        assert latest(root) is None  # nothing is visible before the block ends
    folder = root / "2026" / "2026-01-03"
    assert (folder / "district" / "LEAD_District_005.xlsx").read_text().startswith("first")
    assert os.readlink(root / "latest") == "2026/2026-01-03"  # relative
    assert latest(root) == folder
    assert not pub.staging.exists()
    assert hidden(root) == []


def test_commit_returns_the_folder_and_cannot_run_twice(tmp_path: Path) -> None:
    pub = Publication(tmp_path, 2026, JAN_03)
    fill(pub.staging, "x")
    assert pub.commit() == tmp_path / "2026" / "2026-01-03"
    with pytest.raises(RuntimeError):
        pub.commit()


def test_a_later_refresh_moves_latest_and_keeps_the_earlier_folder(tmp_path: Path) -> None:
    first = publish(tmp_path, JAN_03, "first")
    second = publish(tmp_path, JAN_10, "second")
    assert latest(tmp_path) == second
    assert (first / "kias" / "KIAS_005.csv").read_text() == "first:kias/KIAS_005.csv"


def test_an_exception_leaves_everything_published_untouched(tmp_path: Path) -> None:
    publish(tmp_path, JAN_03, "first")
    before = tree(tmp_path)
    with pytest.raises(RuntimeError, match="boom"), Publication(tmp_path, 2026, JAN_10) as pub:
        fill(pub.staging, "second")
        raise RuntimeError("boom")
    assert not pub.staging.exists()
    assert tree(tmp_path) == before
    assert latest(tmp_path) == tmp_path / "2026" / "2026-01-03"


def test_a_failed_republish_of_the_same_date_keeps_the_old_folder(tmp_path: Path) -> None:
    publish(tmp_path, JAN_03, "first")
    before = tree(tmp_path)
    with pytest.raises(ValueError), Publication(tmp_path, 2026, JAN_03) as pub:
        fill(pub.staging, "second")
        raise ValueError
    assert tree(tmp_path) == before


def test_republishing_a_date_replaces_its_folder(tmp_path: Path) -> None:
    folder = publish(tmp_path, JAN_03, "first")
    (folder / "detail").mkdir()
    (folder / "detail" / "LEAD_Detail_7.xlsx").write_text("old detail")
    publish(tmp_path, JAN_03, "second")
    assert latest(tmp_path) == folder
    assert (folder / "schools" / "LEAD_005.xlsx").read_text() == "second:schools/LEAD_005.xlsx"
    assert not (folder / "detail").exists()  # the whole folder was replaced, not merged
    assert hidden(tmp_path) == [] and hidden(tmp_path / "2026") == []


def test_commit_failure_rolls_back(tmp_path: Path) -> None:
    """`latest` in the way (a real folder): nothing moves, staging goes, old folder stays."""
    folder = publish(tmp_path, JAN_03, "first")
    (tmp_path / "latest").unlink()
    (tmp_path / "latest").mkdir()
    before = tree(tmp_path)
    with pytest.raises(FileExistsError), Publication(tmp_path, 2026, JAN_03) as pub:
        fill(pub.staging, "second")
    assert tree(tmp_path) == before
    assert (folder / "kias" / "KIAS_005.csv").read_text().startswith("first")


def test_a_killed_refresh_leaves_latest_and_its_files_unchanged(tmp_path: Path) -> None:
    root = tmp_path / "output"
    publish(root, JAN_03, "first")
    before = tree(root)
    ready = tmp_path / "ready"
    script = textwrap.dedent(
        f"""
        import time
        from datetime import date
        from pathlib import Path
        from lead_pipeline.lib.publish import Publication

        with Publication(Path({str(root)!r}), 2026, date(2026, 1, 10)) as pub:
            (pub.staging / "district").mkdir()
            (pub.staging / "district" / "LEAD_District_005.xlsx").write_text("partial")
            Path({str(ready)!r}).touch()
            time.sleep(120)
        """
    )
    child = subprocess.Popen([sys.executable, "-c", script], cwd=PROJECT)
    try:
        deadline = time.monotonic() + 60
        while not ready.exists():
            assert child.poll() is None, "the publishing process ended early"
            assert time.monotonic() < deadline, "the publishing process never got ready"
            time.sleep(0.05)
        child.send_signal(signal.SIGKILL)
        assert child.wait(timeout=30) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()

    stray = [p for p in root.iterdir() if p.name.startswith(".staging-")]
    assert len(stray) == 1  # the only trace of the killed refresh
    after = tree(root)
    assert {k: v for k, v in after.items() if not k.startswith(".staging-")} == before
    assert latest(root) == root / "2026" / "2026-01-03"

    # A young stray may belong to a running refresh: kept. Once a day old, the next
    # Publication removes it.
    publish(root, JAN_10, "second")
    assert stray[0].exists()
    old = time.time() - 2 * 86_400
    os.utime(stray[0], (old, old))
    Publication(root, 2026, JAN_10).abort()
    assert not stray[0].exists()


def test_recover_puts_back_a_folder_left_aside_by_a_killed_republish(tmp_path: Path) -> None:
    folder = publish(tmp_path, JAN_03, "first")
    before = tree(tmp_path)
    # What a kill between "rename old aside" and "rename new in" leaves behind.
    os.rename(folder, folder.parent / ".2026-01-03.replaced-deadbeef")
    assert latest(tmp_path) is None
    recover(tmp_path)
    assert tree(tmp_path) == before
    assert latest(tmp_path) == folder


def test_recover_drops_a_folder_left_aside_once_replaced(tmp_path: Path) -> None:
    folder = publish(tmp_path, JAN_03, "new")
    aside = folder.parent / ".2026-01-03.replaced-deadbeef"
    aside.mkdir()
    (aside / "old.csv").write_text("old")
    old = time.time() - 2 * 86_400
    os.utime(aside, (old, old))
    recover(tmp_path)
    assert not aside.exists()
    assert (folder / "kias" / "KIAS_005.csv").read_text().startswith("new")


def test_replace_file_keeps_the_old_file_when_the_writer_fails(tmp_path: Path) -> None:
    folder = publish(tmp_path, JAN_03, "first")
    target = folder / "schools" / "LEAD_005.xlsx"
    old = target.read_bytes()

    def failing(path: Path) -> None:
        path.write_text("half a workbook")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        replace_file(folder, "schools/LEAD_005.xlsx", failing)
    assert target.read_bytes() == old
    assert sorted(p.name for p in target.parent.iterdir()) == ["LEAD_005.xlsx"]


def test_replace_file_replaces_the_file_when_the_writer_succeeds(tmp_path: Path) -> None:
    folder = publish(tmp_path, JAN_03, "first")
    seen: list[Path] = []

    def write(path: Path) -> None:
        seen.append(path)
        frame = pl.DataFrame({"School Number": ["005"], "Total": [3]})
        write_workbook(
            path, [SheetSpec("Schoolwide", frame)], properties={"snapshot_date": "2026-01-10"}
        )

    target = replace_file(folder, "schools/LEAD_005.xlsx", write)
    assert target == folder / "schools" / "LEAD_005.xlsx"
    assert seen[0].parent == target.parent and seen[0].suffix == ".xlsx"
    assert seen[0].name.startswith(".")
    wb = openpyxl.load_workbook(target)
    assert wb["Schoolwide"]["A2"].value == "005"
    assert {p.name: p.value for p in wb.custom_doc_props.props} == {"snapshot_date": "2026-01-10"}
    assert sorted(p.name for p in target.parent.iterdir()) == ["LEAD_005.xlsx"]
    # The rest of the published folder is untouched.
    assert (folder / "kias" / "KIAS_005.csv").read_text().startswith("first")


def test_replace_file_refuses_paths_outside_the_folder(tmp_path: Path) -> None:
    folder = publish(tmp_path, JAN_03, "first")
    for bad in ("../escape.xlsx", "/etc/passwd", ""):
        with pytest.raises(ValueError):
            replace_file(folder, bad, lambda p: p.write_text("x"))
    with pytest.raises(FileNotFoundError):
        replace_file(tmp_path / "missing", "a.xlsx", lambda p: p.write_text("x"))


def test_prune_removes_old_folders_but_never_latest(tmp_path: Path) -> None:
    days = [date(2025, 11, 1), date(2025, 11, 8), date(2025, 12, 6), JAN_03]
    for day in days:
        publish(tmp_path, day, day.isoformat())
    # Republish the oldest last: it is now `latest`, however old its date.
    publish(tmp_path, days[0], "again")
    # Five weeks before 2026-01-10 is 2025-12-06: a folder of exactly that date is kept.
    removed = prune(tmp_path, keep_weeks=5, today=date(2026, 1, 10))
    assert removed == [tmp_path / "2026" / "2025-11-08"]
    assert latest(tmp_path) == tmp_path / "2026" / "2025-11-01"
    remaining = sorted(p.name for p in (tmp_path / "2026").iterdir())
    assert remaining == ["2025-11-01", "2025-12-06", "2026-01-03"]

    publish(tmp_path, JAN_10, "newest")
    removed = prune(tmp_path, keep_weeks=0, today=JAN_10)
    assert [p.name for p in removed] == ["2025-11-01", "2025-12-06", "2026-01-03"]
    assert sorted(p.name for p in (tmp_path / "2026").iterdir()) == ["2026-01-10"]
    assert latest(tmp_path) == tmp_path / "2026" / "2026-01-10"


def test_prune_removes_emptied_year_folders_and_ignores_strangers(tmp_path: Path) -> None:
    publish(tmp_path, date(2024, 9, 7), "old", end_year=2025)
    publish(tmp_path, JAN_03, "new")
    (tmp_path / "2026" / "notes").mkdir()
    (tmp_path / "README.txt").write_text("kept")
    removed = prune(tmp_path, keep_weeks=2, today=JAN_10)
    assert removed == [tmp_path / "2025" / "2024-09-07"]
    assert not (tmp_path / "2025").exists()
    assert (tmp_path / "2026" / "notes").is_dir() and (tmp_path / "README.txt").exists()
    with pytest.raises(ValueError):
        prune(tmp_path, keep_weeks=-1, today=JAN_10)
