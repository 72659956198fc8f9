"""Atomic publishing (outputs.md): a refresh appears whole under <endYear>/<snapshotDate> and
`latest` moves only then; a failed, partial or killed refresh leaves everything published before
byte-identical."""

from __future__ import annotations

import hashlib
import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from lead_pipeline.lib.excel import SheetSpec, write_workbook
from lead_pipeline.lib.names import UnsafeName
from lead_pipeline.lib.publish import (
    OutsideOutputRoot,
    Publication,
    inside,
    latest,
    prune,
    recover,
    replace_file,
    run_staging,
)

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
        from datetime import date, datetime, timedelta
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




# --- every write stays inside the output root ------------------------------------------------


def test_inside_returns_the_resolved_path_of_paths_below_the_root(tmp_path: Path) -> None:
    root = tmp_path / "output"
    (root / "2026").mkdir(parents=True)
    assert inside(root, root / "2026" / "2026-01-03" / "x.xlsx") == (
        root.resolve() / "2026" / "2026-01-03" / "x.xlsx")
    (root / "2026" / "here").symlink_to(root / "2026")  # a symlink that stays inside is fine
    assert inside(root, root / "2026" / "here" / "a") == root.resolve() / "2026" / "a"


def test_inside_refuses_dotdot_elsewhere_and_an_escaping_symlink(tmp_path: Path) -> None:
    root = tmp_path / "output"
    root.mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (root / "out").symlink_to(elsewhere)
    for bad in (root / ".." / "x", root / "2026" / ".." / ".." / "x", Path("/etc/passwd"),
                elsewhere / "x", root / "out" / "x", root / "out", root, root / "."):
        with pytest.raises(OutsideOutputRoot) as caught:
            inside(root, bad)
        assert isinstance(caught.value, ValueError)
        assert str(root.resolve()) in str(caught.value)


def test_the_refusal_quotes_no_control_characters_and_only_a_short_excerpt(
        tmp_path: Path) -> None:
    bad = tmp_path / ".." / ("\x1b[2J\n\u202efake log line " + "a" * 300)
    with pytest.raises(OutsideOutputRoot) as caught:
        inside(tmp_path, bad)
    message = str(caught.value)
    assert all(ch.isprintable() for ch in message)
    assert "a" * 60 not in message and "fake log" not in message


def test_a_staging_folder_that_is_a_symlink_out_of_the_root_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "output"
    root.mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    staging = run_staging(root, "abc-123")
    staging.symlink_to(elsewhere)
    with pytest.raises(OutsideOutputRoot):
        Publication(root, 2026, JAN_03, staging=staging)
    assert list(elsewhere.iterdir()) == []


def test_a_year_folder_that_is_a_symlink_out_of_the_root_stops_the_commit(
        tmp_path: Path) -> None:
    root = tmp_path / "output"
    root.mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (root / "2026").symlink_to(elsewhere)
    with pytest.raises(OutsideOutputRoot):
        Publication(root, 2026, JAN_03)
    assert list(elsewhere.iterdir()) == []


def test_replace_file_refuses_a_subfolder_that_is_a_symlink_out(tmp_path: Path) -> None:
    folder = publish(tmp_path / "output", JAN_03, "first")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (folder / "other").symlink_to(elsewhere)
    with pytest.raises(OutsideOutputRoot):
        replace_file(folder, "other/LEAD_005.xlsx", lambda p: p.write_text("x"))
    assert list(elsewhere.iterdir()) == []


def test_run_staging_refuses_a_run_id_that_is_not_a_plain_name(tmp_path: Path) -> None:
    assert run_staging(tmp_path, "0b1c-42_x") == tmp_path / ".staging-run-0b1c-42_x"
    for bad in ("../x", "a/b", "", ".hidden", "a\x00b", None):
        with pytest.raises(UnsafeName):
            run_staging(tmp_path, bad)  # type: ignore[arg-type]


def test_prune_does_not_follow_a_year_folder_symlinked_out_of_the_root(tmp_path: Path) -> None:
    root = tmp_path / "output"
    publish(root, JAN_03, "first")
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "2025-01-04").mkdir(parents=True)
    aged(elsewhere / "2025-01-04", weeks=100)
    (root / "2025").symlink_to(elsewhere)
    assert prune(root, keep_weeks=1, keep_count=1) == []
    assert (elsewhere / "2025-01-04").is_dir()


# --- two-phase commit: `then` ------------------------------------------------------------------


def state(root: Path) -> tuple[dict[str, str], str | None]:
    link = root / "latest"
    return tree(root), (os.readlink(link) if link.is_symlink() else None)


def failing_then() -> None:
    raise RuntimeError("database said no")


def test_then_raising_leaves_latest_and_every_file_as_before(tmp_path: Path) -> None:
    publish(tmp_path, JAN_03, "first")
    before = state(tmp_path)
    with pytest.raises(RuntimeError, match="database said no"), \
            Publication(tmp_path, 2026, JAN_10) as pub:
        fill(pub.staging, "second")
        pub.commit(then=failing_then)
    assert state(tmp_path) == before
    assert latest(tmp_path) == tmp_path / "2026" / "2026-01-03"
    assert hidden(tmp_path) == [] and hidden(tmp_path / "2026") == []


def test_then_raising_on_a_republish_puts_the_replaced_folder_back(tmp_path: Path) -> None:
    folder = publish(tmp_path, JAN_03, "first")
    before = state(tmp_path)
    seen: list[str] = []

    def then() -> None:
        # the new folder is published; the old one is kept aside until `then` returns
        seen.append((folder / "kias" / "KIAS_005.csv").read_text())
        aside = [p for p in (tmp_path / "2026").iterdir() if ".replaced-" in p.name]
        seen.append((aside[0] / "kias" / "KIAS_005.csv").read_text())
        raise RuntimeError("database said no")

    pub = Publication(tmp_path, 2026, JAN_03)
    fill(pub.staging, "second")
    with pytest.raises(RuntimeError):
        pub.commit(then=then)
    assert seen == ["second:kias/KIAS_005.csv", "first:kias/KIAS_005.csv"]
    assert state(tmp_path) == before
    assert not pub.staging.exists()
    with pytest.raises(RuntimeError):
        pub.commit()  # an undone publication stays undone


def test_then_raising_on_the_first_publication_leaves_nothing(tmp_path: Path) -> None:
    root = tmp_path / "output"
    pub = Publication(root, 2026, JAN_03)
    fill(pub.staging, "first")
    with pytest.raises(RuntimeError):
        pub.commit(then=failing_then)
    assert not (root / "latest").is_symlink()
    assert list(root.iterdir()) == []


def test_then_succeeding_publishes_as_before(tmp_path: Path) -> None:
    folder = publish(tmp_path, JAN_03, "first")
    calls: list[Path | None] = []
    with Publication(tmp_path, 2026, JAN_03) as pub:
        fill(pub.staging, "second")
        assert pub.commit(then=lambda: calls.append(latest(tmp_path))) == folder
    assert calls == [folder]  # called once, after `latest` moved
    assert (folder / "kias" / "KIAS_005.csv").read_text() == "second:kias/KIAS_005.csv"
    assert hidden(tmp_path) == [] and hidden(tmp_path / "2026") == []


def test_replace_file_then_raising_restores_the_old_file(tmp_path: Path) -> None:
    folder = publish(tmp_path, JAN_03, "first")
    publish(tmp_path, JAN_10, "second")  # `latest` is another folder: untouched as well
    before = state(tmp_path)
    target = folder / "schools" / "LEAD_005.xlsx"
    inode = target.stat().st_ino
    seen: list[str] = []

    def then() -> None:
        seen.append(target.read_text())
        raise RuntimeError("database said no")

    with pytest.raises(RuntimeError, match="database said no"):
        replace_file(folder, "schools/LEAD_005.xlsx", lambda p: p.write_text("new"), then)
    assert seen == ["new"]
    assert state(tmp_path) == before
    assert target.stat().st_ino == inode  # the very same file, not a copy


def test_replace_file_then_raising_removes_a_file_that_was_not_there(tmp_path: Path) -> None:
    folder = publish(tmp_path, JAN_03, "first")
    before = state(tmp_path)
    with pytest.raises(RuntimeError):
        replace_file(folder, "extra/LEAD_0123.xlsx", lambda p: p.write_text("new"),
                     failing_then)
    assert state(tmp_path) == before


def test_replace_file_then_succeeding_replaces_and_keeps_nothing_aside(tmp_path: Path) -> None:
    folder = publish(tmp_path, JAN_03, "first")
    calls: list[str] = []
    target = replace_file(folder, "schools/LEAD_005.xlsx", lambda p: p.write_text("new"),
                          lambda: calls.append("then"))
    assert calls == ["then"] and target.read_text() == "new"
    assert sorted(p.name for p in target.parent.iterdir()) == ["LEAD_005.xlsx"]


def test_replace_file_keeps_the_publication_time(tmp_path: Path) -> None:
    folder = publish(tmp_path, JAN_03, "first")
    aged(folder, weeks=3)
    published_at = folder.stat().st_mtime_ns
    replace_file(folder, "LEAD_top.xlsx", lambda p: p.write_text("new"))  # a new entry
    assert folder.stat().st_mtime_ns == published_at


# --- pruning by publication time and count -----------------------------------------------------

NOW = datetime(2026, 3, 1, 12, 0)


def aged(folder: Path, *, weeks: float = 0, hours: float = 0) -> None:
    """Set a publication's publication time (its folder's mtime) to that long before NOW."""
    when = (NOW - timedelta(weeks=weeks, hours=hours)).timestamp()
    os.utime(folder, (when, when))


def names(root: Path) -> list[str]:
    return sorted(f"{y.name}/{f.name}" for y in root.iterdir()
                  if y.name.isdigit() for f in y.iterdir())


def test_commit_stamps_the_publication_time(tmp_path: Path) -> None:
    pub = Publication(tmp_path, 2026, JAN_03)
    fill(pub.staging, "x")
    old = time.time() - 30 * 86_400
    os.utime(pub.staging, (old, old))  # staging written long ago (a long run)
    started = time.time()
    folder = pub.commit()
    assert folder.stat().st_mtime >= started - 1


def test_a_far_future_snapshot_date_does_not_make_older_publications_go(tmp_path: Path) -> None:
    for day, weeks in ((date(2026, 2, 14), 2), (date(2026, 2, 21), 1)):
        aged(publish(tmp_path, day, "x"), weeks=weeks)
    aged(publish(tmp_path, date(1, 1, 1), "past"), hours=2)
    aged(publish(tmp_path, date(9999, 12, 31), "future", end_year=9999), hours=1)  # latest
    assert prune(tmp_path, keep_weeks=8, keep_count=10, now=NOW) == []
    assert names(tmp_path) == ["2026/0001-01-01", "2026/2026-02-14", "2026/2026-02-21",
                               "9999/9999-12-31"]
    # and they are pruned like any other, by when they were published
    aged(tmp_path / "2026" / "0001-01-01", weeks=9)
    assert prune(tmp_path, keep_weeks=8, keep_count=10, now=NOW) == [
        tmp_path / "2026" / "0001-01-01"]


def test_a_publication_older_than_keep_weeks_is_removed(tmp_path: Path) -> None:
    aged(publish(tmp_path, date(2025, 11, 1), "old"), weeks=9)
    aged(publish(tmp_path, date(2025, 11, 8), "kept"), weeks=7)
    aged(publish(tmp_path, date(2026, 2, 28), "latest"), hours=1)
    removed = prune(tmp_path, keep_weeks=8, keep_count=10, now=NOW)
    assert removed == [tmp_path / "2026" / "2025-11-01"]
    assert names(tmp_path) == ["2026/2025-11-08", "2026/2026-02-28"]
    assert hidden(tmp_path / "2026") == []


def test_keep_count_keeps_the_newest_by_publication_time(tmp_path: Path) -> None:
    # published in an order that is not the order of their snapshot dates
    for day, hours in ((date(2026, 2, 7), 3), (date(2026, 1, 31), 4),
                       (date(2026, 2, 14), 1), (date(2026, 2, 21), 2)):
        aged(publish(tmp_path, day, "x"), hours=hours)
    removed = prune(tmp_path, keep_weeks=8, keep_count=2, now=NOW)
    assert removed == [tmp_path / "2026" / "2026-01-31", tmp_path / "2026" / "2026-02-07"]
    assert names(tmp_path) == ["2026/2026-02-14", "2026/2026-02-21"]


def test_latest_is_never_pruned_even_when_old_and_beyond_the_count(tmp_path: Path) -> None:
    current = publish(tmp_path, JAN_03, "latest")
    os.rename(tmp_path / "latest", tmp_path / "kept-link")
    for day, hours in ((date(2026, 2, 14), 1), (date(2026, 2, 21), 2)):
        aged(publish(tmp_path, day, "x"), hours=hours)
    os.replace(tmp_path / "kept-link", tmp_path / "latest")
    aged(current, weeks=20)
    removed = prune(tmp_path, keep_weeks=8, keep_count=1, now=NOW)
    assert removed == [tmp_path / "2026" / "2026-02-21"]
    assert names(tmp_path) == ["2026/2026-01-03", "2026/2026-02-14"]
    assert latest(tmp_path) == current
    assert prune(tmp_path, keep_weeks=0, keep_count=1, now=NOW) == [
        tmp_path / "2026" / "2026-02-14"]
    assert names(tmp_path) == ["2026/2026-01-03"]


def test_prune_removes_emptied_year_folders_and_ignores_strangers(tmp_path: Path) -> None:
    aged(publish(tmp_path, date(2024, 9, 7), "old", end_year=2025), weeks=60)
    aged(publish(tmp_path, JAN_03, "new"), weeks=1)
    (tmp_path / "2026" / "notes").mkdir()
    (tmp_path / "2026" / "2026-13-99").mkdir()  # not a date: not a publication
    (tmp_path / "README.txt").write_text("kept")
    removed = prune(tmp_path, keep_weeks=2, keep_count=5, now=NOW)
    assert removed == [tmp_path / "2025" / "2024-09-07"]
    assert not (tmp_path / "2025").exists()
    assert (tmp_path / "2026" / "notes").is_dir() and (tmp_path / "README.txt").exists()
    assert (tmp_path / "2026" / "2026-13-99").is_dir()


def test_a_year_that_is_not_four_digits_is_refused(tmp_path: Path) -> None:
    for year in (1, 10_000):
        with pytest.raises(ValueError):
            Publication(tmp_path, year, JAN_03)
    assert list(tmp_path.iterdir()) == []


def test_prune_refuses_a_negative_age_or_a_count_below_one(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        prune(tmp_path, keep_weeks=-1, keep_count=1)
    with pytest.raises(ValueError):
        prune(tmp_path, keep_weeks=8, keep_count=0)


def test_prune_by_the_machine_clock_by_default(tmp_path: Path) -> None:
    publish(tmp_path, JAN_03, "old")
    folder = publish(tmp_path, JAN_10, "new")
    old = time.time() - 10 * 7 * 86_400
    os.utime(tmp_path / "2026" / "2026-01-03", (old, old))
    assert prune(tmp_path, keep_weeks=8, keep_count=5) == [tmp_path / "2026" / "2026-01-03"]
    assert names(tmp_path) == ["2026/2026-01-10"] and latest(tmp_path) == folder


# --- leftovers of a killed refresh -------------------------------------------------------------


def leftovers(root: Path) -> dict[str, Path]:
    """One of every kind of leftover a killed refresh can leave, all just made (young)."""
    folder = publish(root, JAN_03, "first")
    made = {
        "staging": root / ".staging-2026-2026-01-10-deadbeef",
        "run staging": root / ".staging-run-0b1c",
        "school staging": root / ".staging-school-x1y2z3",
        "pruned": root / "2026" / ".pruned-2025-11-01-deadbeef",
        "aside, replaced": root / "2026" / ".2026-01-03.replaced-deadbeef",
    }
    for path in made.values():
        path.mkdir()
        (path / "file.csv").write_text("left over")
    made["link"] = root / ".latest-deadbeef"
    made["link"].symlink_to("2026/2026-01-03")
    for name in (".LEAD_005.tmp-deadbeef.xlsx", ".LEAD_005.tmp-0badf00d-old.xlsx"):
        made[name] = folder / "schools" / name
        made[name].write_text("half a workbook")
    return made


def test_recover_unused_removes_every_leftover_now(tmp_path: Path) -> None:
    made = leftovers(tmp_path)
    keep = made.pop("run staging")
    recover(tmp_path)  # young and maybe in use: all kept
    assert all(p.exists() or p.is_symlink() for p in made.values())
    recover(tmp_path, unused=True, keep=keep)
    assert [k for k, p in made.items() if p.exists() or p.is_symlink()] == []
    assert keep.is_dir() and (keep / "file.csv").exists()
    folder = tmp_path / "2026" / "2026-01-03"
    assert sorted(p.name for p in (folder / "schools").iterdir()) == ["LEAD_005.xlsx"]
    assert (folder / "schools" / "LEAD_005.xlsx").read_text().startswith("first")
    assert latest(tmp_path) == folder
    assert hidden(tmp_path) == [keep.name] and hidden(tmp_path / "2026") == []


def test_recover_unused_still_puts_back_a_folder_whose_replacement_never_came(
        tmp_path: Path) -> None:
    folder = publish(tmp_path, JAN_03, "first")
    before = tree(tmp_path)
    os.rename(folder, folder.parent / ".2026-01-03.replaced-deadbeef")
    recover(tmp_path, unused=True)
    assert tree(tmp_path) == before


def test_recover_unused_keeps_files_that_are_not_temporary(tmp_path: Path) -> None:
    folder = publish(tmp_path, JAN_03, "first")
    (folder / "schools" / ".notes").write_text("kept")
    (folder / "schools" / "LEAD_005.tmp-deadbeef.xlsx").write_text("kept: not hidden")
    (tmp_path / ".latest-folder").mkdir()  # not a symlink: not ours
    before = tree(tmp_path)
    recover(tmp_path, unused=True)
    assert tree(tmp_path) == before


def test_a_publication_for_a_caller_holding_the_lock_clears_leftovers_but_its_own(
        tmp_path: Path) -> None:
    made = leftovers(tmp_path)
    staging = made.pop("run staging")
    with Publication(tmp_path, 2026, JAN_10, staging=staging, unused=True) as pub:
        assert [k for k, p in made.items() if p.exists() or p.is_symlink()] == []
        assert (pub.staging / "file.csv").exists()
    assert (tmp_path / "2026" / "2026-01-10" / "file.csv").read_text() == "left over"


def test_a_day_old_staging_folder_is_removed_without_the_lock_but_not_a_kept_one(
        tmp_path: Path) -> None:
    old = time.time() - 2 * 86_400
    stray, mine = tmp_path / ".staging-a", tmp_path / ".staging-run-b"
    for path in (stray, mine):
        path.mkdir()
        os.utime(path, (old, old))
    recover(tmp_path, keep=mine)
    assert not stray.exists() and mine.is_dir()


# --- private files -----------------------------------------------------------------------------


@pytest.fixture
def lax_umask() -> Iterator[None]:
    """A umask that takes nothing away: what this module asks for is what it gets."""
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


@pytest.mark.usefixtures("lax_umask")
def test_nothing_published_is_open_to_every_user(tmp_path: Path) -> None:
    root = tmp_path / "new" / "output"
    pub = Publication(root, 2026, JAN_03)
    assert mode(tmp_path / "new") == mode(root) == mode(pub.staging) == 0o770
    fill(pub.staging, "x")
    (pub.staging / "kias" / "KIAS_005.csv").chmod(0o666)
    (pub.staging / "kias").chmod(0o2777)
    folder = pub.commit()
    assert mode(folder) == mode(folder.parent) == 0o770
    assert mode(folder / "kias") == 0o2770  # setgid kept: only "other" bits go
    assert mode(folder / "kias" / "KIAS_005.csv") == 0o660

    def write(path: Path) -> None:
        path.write_text("new")
        path.chmod(0o644)

    target = replace_file(folder, "new/LEAD_005.xlsx", write)
    assert mode(target.parent) == 0o770 and mode(target) == 0o640


def test_the_umask_may_take_more_away(tmp_path: Path) -> None:
    previous = os.umask(0o077)
    try:
        pub = Publication(tmp_path / "output", 2026, JAN_03)
    finally:
        os.umask(previous)
    assert mode(pub.staging) == 0o700
