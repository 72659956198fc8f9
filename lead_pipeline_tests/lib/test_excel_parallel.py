"""write_workbooks: the same files on worker processes as in-process."""

import multiprocessing
import os
import signal
import subprocess
import sys
import time
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import polars as pl
import pytest

from lead_pipeline.lib import excel
from lead_pipeline.lib.excel import SheetSpec, WorkbookJob, Writers, write_workbooks
from lead_pipeline_tests.processes import alive


def _jobs(folder: Path) -> list[WorkbookJob]:
    folder.mkdir()
    return [WorkbookJob(folder / f"b{i}.xlsx",
                        [SheetSpec("S", pl.DataFrame({"code": [f"{j:03d}" for j in range(i * 7)],
                                                      "n": list(range(i * 7))}),
                                   frozenset({"code"}))],
                        {"title": f"book {i}", "school_number": f"{i:03d}"})
            for i in range(1, 6)]


def test_parallel_writes_the_same_workbooks_in_job_order(tmp_path: Path) -> None:
    serial = write_workbooks(_jobs(tmp_path / "serial"), workers=1)
    parallel = write_workbooks(_jobs(tmp_path / "parallel"), workers=2, parallel_cells=0)
    assert [p.name for p in parallel] == [p.name for p in serial] == [f"b{i}.xlsx"
                                                                      for i in range(1, 6)]
    for a, b in zip(serial, parallel, strict=True):
        left, right = pl.read_excel(a, sheet_name="S"), pl.read_excel(b, sheet_name="S")
        assert left.equals(right)
        assert left["code"].dtype == pl.String and left.height == right.height


def test_released_writers_exit_without_being_waited_for(tmp_path: Path) -> None:
    """`release` lets the processes exit while the caller goes on (a run's last steps): the
    writer is gone before `close`, which then only joins; writing afterwards with the same
    writers does not use the stopped pool (small jobs are written here)."""
    serial = write_workbooks(_jobs(tmp_path / "serial"), workers=1)
    with Writers() as writers:
        assert len(writers.pids) == 1  # started and ready
        writers.release()
        assert writers.pool is None
        deadline = time.monotonic() + 60
        while multiprocessing.active_children() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not multiprocessing.active_children()  # exited, and nothing waited for it
        after = write_workbooks(_jobs(tmp_path / "after"), writers=writers)
        for a, b in zip(serial, after, strict=True):
            assert pl.read_excel(a, sheet_name="S").equals(pl.read_excel(b, sheet_name="S"))
    assert writers.pool is None and not multiprocessing.active_children()


def test_writers_of_a_killed_process_do_not_outlive_it(tmp_path: Path) -> None:
    """A refresh killed outright never closes its writers: the writer sees that the process
    that started it is gone and ends itself (excel._watch_parent), instead of waiting for work
    forever as every killed run's writer did."""
    script = ("import sys, time\n"
              "from lead_pipeline.lib.excel import Writers\n"
              "w = Writers()\n"
              "print(*w.pids, flush=True)\n"
              "time.sleep(600)\n")
    owner = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert owner.stdout is not None
        pids = [int(p) for p in owner.stdout.readline().split()]
        assert pids and all(alive(pid) for pid in pids)
        time.sleep(2 * excel.PARENT_CHECK_S)  # still there while its parent is
        assert all(alive(pid) for pid in pids)
    finally:
        owner.kill()
        owner.wait()
    deadline = time.monotonic() + 30
    while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(alive(pid) for pid in pids)


def test_started_writers_take_small_jobs_and_stop_when_closed(tmp_path: Path) -> None:
    """Started writers are used whatever the jobs' size (their start-up is paid): the files
    are the serial ones; with its writer killed the write fails rather than falling back to
    this process, so the jobs do go to the writer; closing stops every writer."""
    serial = write_workbooks(_jobs(tmp_path / "serial"), workers=1)
    with Writers() as writers:
        (pid,) = writers.pids
        assert pid != os.getpid()
        beside = write_workbooks(_jobs(tmp_path / "beside"), writers=writers)
        for a, b in zip(serial, beside, strict=True):
            assert pl.read_excel(a, sheet_name="S").equals(pl.read_excel(b, sheet_name="S"))
    assert writers.pool is None and not multiprocessing.active_children()

    with Writers() as writers:
        os.kill(writers.pids[0], signal.SIGKILL)
        assert writers.pool is not None
        with pytest.raises(BrokenProcessPool):  # once the pool has seen its writer die
            writers.pool.submit(os.getpid).result(timeout=60)
        with pytest.raises(BrokenProcessPool):
            write_workbooks(_jobs(tmp_path / "killed"), writers=writers)
    assert not multiprocessing.active_children()
