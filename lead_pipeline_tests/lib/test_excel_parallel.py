"""write_workbooks: the same files on worker processes as in-process."""

from pathlib import Path

import polars as pl

from lead_pipeline.lib.excel import SheetSpec, WorkbookJob, write_workbooks


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
