"""Write report workbooks from Polars frames with xlsxwriter, fast and exactly typed.

Why this module exists rather than ``polars.DataFrame.write_excel``: the reports are large
(200,000-row Detail sheets) and their cell types are part of the contract (docs/outputs.md): ids and
counts are numbers, codes such as school ``005`` stay text, text from the snapshot is never turned
into a formula, number or URL, dates are real dates. Here every column gets one writer chosen
from its Polars dtype before any row is written, and the rows of a large workbook stream
through xlsxwriter's ``constant_memory`` mode so memory stays flat whatever its size (a small
one is assembled in memory, faster: `IN_MEMORY_CELLS`).

Conversions are done column-wise in Polars (dates to Excel serial numbers, NaN and infinities
to null, ...), so the per-cell Python work is one ``is None`` test and one call to the column's
xlsxwriter writer (for text, through a check for "" and for text that looks like rich-text XML).
"""

from __future__ import annotations

import functools
import gc
import multiprocessing
import os
import tempfile
import threading
import time
import warnings
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import xlsxwriter
import xlsxwriter.workbook
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

__all__ = [
    "DATETIME_FORMAT",
    "DATE_FORMAT",
    "MAX_WIDTH",
    "MIN_WIDTH",
    "LineChart",
    "SheetSpec",
    "WorkbookJob",
    "Writers",
    "column_width",
    "widths_by",
    "write_workbook",
    "write_workbooks",
]

DATE_FORMAT = "mm/dd/yyyy"
DATETIME_FORMAT = "mm/dd/yyyy hh:mm"
MIN_WIDTH = 8.0
MAX_WIDTH = 50.0

_MAX_DATA_ROWS = 1_048_575  # Excel's 1,048,576 rows minus the header row
_MAX_COLUMNS = 16_384
_MAX_TEXT = 32_767  # Excel's cell text limit; xlsxwriter truncates longer strings
_ROWS_PER_BATCH = 2_048  # rows materialised as Python objects at a time
_ROWS_PER_SLICE = 65_536  # rows whose cell values are computed (by Polars) at a time

# Excel serial day numbers: 1970-01-01 is day 25569 counted from 1899-12-30. Serials below 61
# (before 1900-03-01) are one less because Excel counts the non-existent 1900-02-29, the same
# adjustment xlsxwriter's own write_datetime makes.
_UNIX_EPOCH_SERIAL = 25_569
_LEAP_BUG_SERIAL = 61
_FIRST_SERIAL = 1  # 1900-01-01 (before the leap-bug adjustment it is 2)
_LAST_SERIAL = 2_958_465  # 9999-12-31
_US_PER_DAY = 86_400_000_000

# Document properties that xlsxwriter's set_properties() knows; other keys become custom ones.
_DOCUMENT_PROPERTIES = frozenset(
    {
        "title",
        "subject",
        "author",
        "manager",
        "company",
        "category",
        "keywords",
        "comments",
        "status",
        "hyperlink_base",
    }
)

_WORKBOOK_OPTIONS: dict[str, Any] = {
    "constant_memory": True,
    # write_string never converts, but the guards stay on in case a write() slips in later.
    "strings_to_formulas": False,
    "strings_to_numbers": False,
    "strings_to_urls": False,
}


@dataclass(frozen=True)
class LineChart:
    """A native Excel line chart below a sheet's table: one series per data row named in
    ``rows`` (0-based, the row's first cell its name), the header's other cells the categories
    (e.g. the Trend sheet's snapshot dates, docs/outputs.md). Counts get whole-number ticks."""

    title: str
    rows: Sequence[int]
    y_title: str = ""


@dataclass(frozen=True)
class SheetSpec:
    """One sheet to write: its name, its rows, and which columns must stay text.

    ``frame`` columns are written in order with their names as the header row. A column named in
    ``text_columns`` is cast to text even when its dtype is numeric; keep codes such as school
    number ``005`` as Polars String in the first place, since an integer has already lost its
    leading zeros. ``widths`` overrides the computed width (in characters) of named columns.
    """

    name: str
    frame: pl.DataFrame
    text_columns: frozenset[str] = frozenset()
    widths: Mapping[str, float] | None = None
    chart: LineChart | None = None

    def __post_init__(self) -> None:
        # Accept any iterable of names for convenience, store a frozenset.
        if not isinstance(self.text_columns, frozenset):
            object.__setattr__(self, "text_columns", frozenset(self.text_columns))
        unknown = (self.text_columns | set(self.widths or ())) - set(self.frame.columns)
        if unknown:
            raise ValueError(f"sheet {self.name!r}: no such column(s) {sorted(unknown)}")
        if self.frame.height > _MAX_DATA_ROWS:
            raise ValueError(
                f"sheet {self.name!r}: {self.frame.height} rows exceed Excel's {_MAX_DATA_ROWS}"
            )
        if self.frame.width > _MAX_COLUMNS:
            raise ValueError(f"sheet {self.name!r}: {self.frame.width} columns exceed Excel's")


# A lane is one stream of values written into one column. Most columns have one lane; a column
# whose values need two different writers (see _lanes) gets two, each null where the other writes.
_TEXT, _NUMBER, _BOOL = "text", "number", "bool"
_DATE, _DATETIME = "date", "datetime"


@dataclass(frozen=True, eq=False)
class _Lane:
    column: int
    kind: str
    expr: pl.Expr
    integer: bool = False
    """The values are integers: their longest text is that of the lowest or the highest."""
    column_as_is: str | None = None
    """The column named so, as it is, is this lane's values (text, integers, booleans): taken
    from the frame without a Polars query."""

    @functools.cached_property
    def measure(self) -> pl.Expr:
        """Characters the longest value shows (`_measure`), built once per lane: a lane of
        `_lanes` serves every sheet of its schema."""
        return _measure(self)


def write_workbook(
    path: Path,
    sheets: Sequence[SheetSpec],
    *,
    properties: Mapping[str, str] | None = None,
) -> None:
    """Write ``sheets`` to a new .xlsx at ``path``, each with a frozen, filtered header row.

    ``properties``: keys that are standard document properties (title, subject, author, manager,
    company, category, keywords, comments, status, hyperlink_base) go there; every other key is
    stored as a custom text property (e.g. the snapshot date the workbook was built from).

    Empty cells: null, "" (text), NaN and infinities. A row whose cells are all empty is still
    counted in the filter range but, as in any .xlsx, is not stored; readers such as calamine
    drop it when it is last. (Report rows always hold their common columns.)

    xlsxwriter creates ``path`` only when the workbook is complete, so an exception part-way
    leaves no file behind (and any existing file at ``path`` untouched). A small workbook is
    assembled in memory, a large one streams its rows through temporary files in a private
    folder that is always removed (`IN_MEMORY_CELLS`).
    """
    if not sheets:
        raise ValueError("a workbook needs at least one sheet")
    with _workbook_options(_cells(sheets)) as options:
        workbook = xlsxwriter.Workbook(str(path), options)
        _set_properties(workbook, properties or {})
        header_format = workbook.add_format({"bold": True})
        formats = {
            _DATE: workbook.add_format({"num_format": DATE_FORMAT}),
            _DATETIME: workbook.add_format({"num_format": DATETIME_FORMAT}),
        }
        for spec in sheets:
            ws = workbook.add_worksheet(spec.name)
            _write_sheet(ws, spec, header_format, formats)
            if spec.chart is not None:
                _insert_chart(workbook, ws, spec)
        with _fast_deflate():
            workbook.close()


IN_MEMORY_CELLS = 300_000
"""A workbook of at most this many cells is assembled in memory (xlsxwriter's `in_memory`:
about 55 MB at most), a larger one streams its rows through temporary files (`constant_memory`,
flat memory whatever its size: the district workbook of a state). In memory skips the two dozen
temporary files xlsxwriter otherwise writes, zips and deletes for every workbook, 12 of a small
workbook's 15 ms, and writes cells faster too (measured: 77k against 13k cells a second on a
one-row, five-sheet workbook, 353k against 245k on 400 rows a sheet), which is what the hundreds
of school workbooks of a refresh are. Strings then go to the workbook's shared-string table
rather than inline: the same cell values either way."""


@contextmanager
def _workbook_options(cells: int) -> Iterator[dict[str, Any]]:
    """xlsxwriter's options for a workbook of `cells` cells (`IN_MEMORY_CELLS`), for as long as
    it is written: one in memory with the garbage collector paused (`_no_collection`), a
    streamed one's row files in a private temporary folder that is always removed."""
    if cells <= IN_MEMORY_CELLS:
        with _no_collection():
            yield {**_WORKBOOK_OPTIONS, "constant_memory": False, "in_memory": True}
        return
    with tempfile.TemporaryDirectory(prefix="lead-xlsx-") as tmp:
        yield {**_WORKBOOK_OPTIONS, "tmpdir": tmp}


@contextmanager
def _no_collection() -> Iterator[None]:
    """Python's cyclic garbage collector paused while one workbook is assembled in memory: it
    keeps every cell as a small tracked object until it is closed, and the collector,
    triggered every 700 new objects, walked them again and again, a quarter of the time of the
    100,000 district's school workbooks (10.3-11.3 s against 7.9-8.3 s without). Cells hold no
    reference cycles; whatever few a workbook makes are collected once it is written. (A
    streamed workbook keeps one row's cells at a time: nothing to pause for.)"""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


ZIP_LEVEL = 1
"""The deflate level of a workbook's zip. xlsxwriter compresses at zlib's default (6), which
was a sixth of a large workbook's writing time (the 100,000-student district workbook: 85 MB of
sheet XML, 1.55 CPU s at 6 against 0.62 s at 1) for files a quarter smaller; the cell values
are the same either way."""


class _FastZipFile(zipfile.ZipFile):
    """A ZipFile that deflates at ZIP_LEVEL (xlsxwriter does not pass a level)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("compresslevel", ZIP_LEVEL)
        super().__init__(*args, **kwargs)


@contextmanager
def _fast_deflate() -> Iterator[None]:
    """xlsxwriter's `close` zips the sheets with the ZipFile its module imported; for the
    duration of one close, that name is `_FastZipFile`. A writer process writes one workbook
    at a time, so nothing else sees the swap."""
    module = xlsxwriter.workbook
    original = module.ZipFile
    module.ZipFile = _FastZipFile
    try:
        yield
    finally:
        module.ZipFile = original


@dataclass(frozen=True)
class WorkbookJob:
    """One workbook for `write_workbooks`: the arguments of one `write_workbook` call."""

    path: Path
    sheets: Sequence[SheetSpec]
    properties: Mapping[str, str] | None = None

    @property
    def cells(self) -> int:
        """The job's size, to balance the workers: cells it writes (headers included)."""
        return _cells(self.sheets)


def _cells(sheets: Sequence[SheetSpec]) -> int:
    """Cells the sheets write, headers included."""
    return sum((spec.frame.height + 1) * spec.frame.width for spec in sheets)


PARALLEL_CELLS = 200_000
"""Below this many cells in all (about a second of writing) `write_workbooks` writes
in-process: starting a worker (it imports Polars and xlsxwriter) would cost more than it saves."""

_BATCH_SHARE = 200
"""Small jobs travel to a worker in batches of about 1/200 of all cells: few round trips, and
the batches left at the end are small enough that both writers finish together."""


class Writers:
    """Writer processes for `write_workbooks`, started before there is anything to write.

    A spawned writer imports Polars and xlsxwriter before it can take a job, about a quarter
    of a second; started with the run (defs/writers.py) it does so while the snapshot is
    read, and the workbook step finds it ready. A context manager; `close` stops the
    processes (a job still queued is cancelled); `release` lets them exit while the caller
    goes on."""

    def __init__(self, workers: int | None = None) -> None:
        count = _worker_count(workers) - 1
        self.pool: ProcessPoolExecutor | None = None
        self._ready: list[Future[int]] = []
        self._exiting: threading.Thread | None = None
        if count >= 1:
            self.pool = ProcessPoolExecutor(max_workers=count,
                                            mp_context=multiprocessing.get_context("spawn"),
                                            initializer=_watch_parent, initargs=(os.getpid(),))
            self._ready = [self.pool.submit(_ready) for _ in range(count)]

    @property
    def pids(self) -> list[int]:
        """The writer processes' ids, once they are ready (waits for them)."""
        return sorted({ready.result() for ready in self._ready})

    def release(self) -> None:
        """No more jobs: the processes start to exit now, on a thread of their own, and `close`
        waits for them. A writer's exit (its interpreter's teardown) took 0.06 s at the end of
        a 200-student run and 0.1 s at 100,000 students; released when the workbooks are
        written it overlaps the run's last steps. A later `write_workbooks` given these
        writers starts its own."""
        if self.pool is not None:
            pool, self.pool = self.pool, None
            self._exiting = threading.Thread(
                target=pool.shutdown, kwargs={"wait": True, "cancel_futures": True},
                name="writers-exit", daemon=True)
            self._exiting.start()

    def close(self) -> None:
        """Stop the processes and wait until they have exited."""
        self.release()
        if self._exiting is not None:
            self._exiting.join()
            self._exiting = None

    def __enter__(self) -> Writers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


PARENT_CHECK_S = 0.5
"""How often a writer process looks whether the process that started it is still there."""


def _watch_parent(parent: int) -> None:
    """A writer's first act: a thread that ends the writer once `parent`, the process that
    started it, is gone. A refresh killed outright (SIGKILL, an out-of-memory kill, a pod
    stopped) never tells its writer to stop, and the writer, which holds both ends of the
    pipe it waits on, would wait for work forever; each killed run left one behind."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_S)
        os._exit(1)

    threading.Thread(target=watch, name="watch-parent", daemon=True).start()


def _ready() -> int:
    """A writer's first task, once this module (Polars, xlsxwriter) is imported: its id."""
    return os.getpid()


def _worker_count(workers: int | None) -> int:
    """Writers in all, this process included: `workers`, else 2 (1 on a one-core machine)."""
    return min(2, os.cpu_count() or 1) if workers is None else workers


def write_workbooks(jobs: Sequence[WorkbookJob], *, workers: int | None = None,
                    parallel_cells: int = PARALLEL_CELLS, writers: Writers | None = None
                    ) -> list[Path]:
    """Write independent workbooks on up to `workers` cores (default: 2, or 1 on a one-core
    machine) when they hold at least `parallel_cells` cells; returns their paths in job order.
    With started `writers` (`Writers`) their processes are used for any two jobs or more:
    the threshold is the price of starting a writer, already paid.

    This process is one of the writers: it starts `workers - 1` spawned processes (never
    forked from a process that holds DuckDB and Polars threads), then writes the largest job
    itself (the district workbook: the longest single job, started first) while the workers
    take the other jobs, largest first, in batches. When it is done it takes the batches no
    worker has started yet, from the smallest up, so every core writes until the last batch.
    A worker receives only its own jobs' frames (pickled one batch at a time as it asks), the
    largest job's frames never leave this process. The files are the same as written
    in-process: each is one `write_workbook` call.
    """
    if writers is not None and writers.pool is not None and len(jobs) > 1:
        return _write_beside(jobs, writers.pool)
    workers = _worker_count(workers)
    if workers <= 1 or len(jobs) <= 1 or sum(job.cells for job in jobs) < parallel_cells:
        for job in jobs:
            _write_job(job)
        return [job.path for job in jobs]
    with Writers(workers) as started:
        assert started.pool is not None
        return _write_beside(jobs, started.pool)


def _write_beside(jobs: Sequence[WorkbookJob], pool: ProcessPoolExecutor) -> list[Path]:
    """The largest job written here, the others by `pool`'s processes (`write_workbooks`)."""
    first, *rest = sorted(jobs, key=lambda job: -job.cells)
    target = max(1, sum(job.cells for job in rest) // _BATCH_SHARE)
    batches: list[list[WorkbookJob]] = []
    for job in rest:
        if batches and sum(j.cells for j in batches[-1]) + job.cells <= target:
            batches[-1].append(job)
        else:
            batches.append([job])
    # the pool hands a batch to a worker only when one is free (plus one queued each), so
    # submitting all of them pickles no more than that
    futures = [(pool.submit(_write_jobs, batch), batch) for batch in batches]
    try:
        _write_job(first)
        for future, batch in reversed(futures):
            if future.cancel():  # no worker has it yet: write it here
                _write_jobs(batch)
    except BaseException:
        for future, _ in futures:
            future.cancel()  # stop at once rather than finish the others' batches
        raise
    for future, _ in futures:
        if not future.cancelled():
            future.result()  # re-raises a worker's exception
    return [job.path for job in jobs]


def _write_job(job: WorkbookJob) -> None:
    write_workbook(job.path, job.sheets, properties=job.properties)


def _write_jobs(batch: Sequence[WorkbookJob]) -> None:
    for job in batch:
        _write_job(job)


def _set_properties(workbook: xlsxwriter.Workbook, properties: Mapping[str, str]) -> None:
    standard = {k: v for k, v in properties.items() if k in _DOCUMENT_PROPERTIES}
    if standard:
        workbook.set_properties(standard)
    for key, value in properties.items():
        if key not in _DOCUMENT_PROPERTIES:
            workbook.set_custom_property(key, str(value))


def _write_sheet(
    ws: Worksheet, spec: SheetSpec, header_format: Format, formats: Mapping[str, Format]
) -> None:
    frame = spec.frame
    n_rows, n_cols = frame.height, frame.width

    for col, name in enumerate(frame.columns):
        _write_text(ws, 0, col, name, header_format)
    if n_cols:
        ws.freeze_panes(1, 0)
        ws.autofilter(0, 0, n_rows, n_cols - 1)

    lanes = _lanes(tuple(frame.schema.items()), spec.text_columns)
    _set_widths(ws, frame, lanes, spec.widths or {})
    if not n_rows or not lanes:
        return

    writers = _writers(ws)
    plan = [(writers[lane.kind], lane.column, formats.get(lane.kind)) for lane in lanes]
    exprs = [lane.expr.alias(f"_lane{i}") for i, lane in enumerate(lanes)
             if lane.column_as_is is None]

    # The hot loop: Polars computes the cell values of a slice of rows at a time (so only one
    # slice's values are ever held beside the frame) and builds row tuples in Rust; per cell
    # only a null test and the column's own writer. A column written as it is (text,
    # integers, booleans) is not part of the query: an expression costs 20-90 µs to plan and
    # run on a sheet however small, a Classes sheet has some 65 such columns, and a refresh
    # writes thousands of small sheets. A lane with no value in the slice (most extra lanes,
    # an empty column) is left out: it would write nothing. Rows arrive in order, as
    # constant_memory requires.
    for offset in range(0, n_rows, _ROWS_PER_SLICE):
        rows = frame.slice(offset, _ROWS_PER_SLICE)
        computed = rows.select(exprs) if exprs else None
        series = [rows.get_column(lane.column_as_is) if lane.column_as_is is not None
                  else computed.get_column(f"_lane{i}")  # type: ignore[union-attr]
                  for i, lane in enumerate(lanes)]
        used = [i for i, lane in enumerate(series) if lane.null_count() < lane.len()]
        if not used:
            continue
        values = pl.DataFrame([series[i].alias(f"_lane{i}") for i in used])
        writing = [plan[i] for i in used]
        for row, cells in enumerate(values.iter_rows(buffer_size=_ROWS_PER_BATCH),
                                    start=offset + 1):
            for (write, col, fmt), value in zip(writing, cells, strict=True):
                if value is not None:
                    write(row, col, value, fmt)


def _insert_chart(workbook: xlsxwriter.Workbook, ws: Worksheet, spec: SheetSpec) -> None:
    """The sheet's line chart, below its table; values are cell references, so the chart shows
    what the sheet holds."""
    chart_spec, frame = spec.chart, spec.frame
    if chart_spec is None or frame.width < 2 or not frame.height:
        return
    chart = workbook.add_chart({"type": "line"})
    last = frame.width - 1
    top = 0
    for row in chart_spec.rows:
        chart.add_series({"name": [spec.name, row + 1, 0],
                          "categories": [spec.name, 0, 1, 0, last],
                          "values": [spec.name, row + 1, 1, row + 1, last],
                          "marker": {"type": "circle"}})
        values = frame.row(row)[1:]
        top = max([top, *(v for v in values if isinstance(v, int | float))])
    chart.set_title({"name": chart_spec.title})
    chart.set_y_axis({"name": chart_spec.y_title, "min": 0, "num_format": "0",
                      "major_unit": max(1, -(-int(top) // 5))})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": 720, "height": 360})
    ws.insert_chart(frame.height + 3, 0, chart)


def _writers(ws: Worksheet) -> dict[str, Callable[..., Any]]:
    """Bound xlsxwriter methods per lane kind; dates are numbers carrying a date format.

    The cell methods behind xlsxwriter's public ones (`write_number` is `_write_number` behind
    a decorator that accepts "A1" cell names and re-packs the arguments): the values here are
    already of the right type and the cells are (row, column) numbers, so the decorator's work
    is pure overhead on millions of cells. The public method is used if a version lacks them.
    """

    def direct(name: str) -> Callable[..., Any]:
        method = getattr(ws, f"_{name}", None)
        return method if callable(method) else getattr(ws, name)

    string = direct("write_string")

    def write_text(row: int, col: int, value: str, fmt: Format | None) -> None:
        if not value:
            return  # "" is written as an empty cell, like null
        if _looks_rich(value):
            _write_rich(ws, row, col, value, fmt)
        else:
            string(row, col, value, fmt)

    number = direct("write_number")
    return {
        _TEXT: write_text,
        _NUMBER: number,
        _DATE: number,
        _DATETIME: number,
        _BOOL: direct("write_boolean"),
    }


def _write_text(ws: Worksheet, row: int, col: int, text: str, fmt: Format | None) -> None:
    """Write ``text`` as a literal string, whatever it looks like.

    xlsxwriter treats any string that starts with ``<r>`` and ends with ``</r>`` as pre-rendered
    rich-text XML and copies it unescaped into the sheet, which corrupts the file (or injects
    markup). Such text is written as a rich string of three plain fragments instead: the cell
    reads back as exactly ``text``.
    """
    if _looks_rich(text):
        _write_rich(ws, row, col, text, fmt)
    else:
        ws.write_string(row, col, text, fmt)


def _write_rich(ws: Worksheet, row: int, col: int, text: str, fmt: Format | None) -> None:
    """`text`, which looks like rich-text XML (`_looks_rich`), as three plain fragments."""
    if fmt is None:
        ws.write_rich_string(row, col, text[:1], text[1:2], text[2:])
    else:
        ws.write_rich_string(row, col, text[:1], text[1:2], text[2:], fmt)


def _looks_rich(text: str) -> bool:
    return text.startswith("<r>") and text.endswith("</r>")


@functools.lru_cache(maxsize=256)
def _lanes(schema: tuple[tuple[str, pl.DataType], ...], text_columns: frozenset[str]
           ) -> tuple[_Lane, ...]:
    """Each column's writer and the expression giving its cell values, then the extra lane
    a date column needs for dates Excel cannot show (written as text): such a lane is null
    wherever its column's first lane has a value, and all null in most sheets
    (`_write_sheet` leaves it out of the loop then).

    Made once per schema: the school workbooks of a refresh (1,500 at state scale, three
    report sheets each) share a handful of schemas, and building these expressions was about
    4 ms a sheet, more than writing a small school's cells."""
    lanes: list[_Lane] = []
    extras: list[_Lane] = []
    for col, (name, dtype) in enumerate(schema):
        c = pl.col(name)
        if dtype == pl.Null:
            continue  # every cell is empty
        if (
            name in text_columns
            or dtype in (pl.String, pl.Categorical)
            or isinstance(dtype, pl.Enum)
        ):
            # "" (an empty cell, like null) and text that looks like rich-text XML are the text
            # writer's (`_writers`), cell by cell: a String column is then written as it is,
            # with no Polars expression per column and sheet
            as_is = name if dtype == pl.String else None
            lanes.append(_Lane(col, _TEXT, c if as_is else c.cast(pl.String),
                               column_as_is=as_is))
        elif dtype.is_integer():
            lanes.append(_Lane(col, _NUMBER, c, integer=True, column_as_is=name))
        elif dtype.is_float():
            # NaN and infinities have no Excel number (xlsxwriter would need a formula).
            lanes.append(_Lane(col, _NUMBER, pl.when(c.is_finite()).then(c)))
        elif dtype.is_decimal():
            lanes.append(_Lane(col, _NUMBER, c.cast(pl.Float64)))
        elif dtype == pl.Boolean:
            lanes.append(_Lane(col, _BOOL, c, column_as_is=name))
        elif dtype == pl.Date or isinstance(dtype, pl.Datetime):
            if dtype == pl.Date:
                kind, days = _DATE, c.cast(pl.Int32)
            else:
                naive = c.dt.replace_time_zone(None) if dtype.time_zone else c
                micros = naive.dt.cast_time_unit("us").cast(pl.Int64)
                kind, days = _DATETIME, micros / _US_PER_DAY
            serial = days + _UNIX_EPOCH_SERIAL
            # Excel cannot show dates before 1900 or after 9999; SIS data uses such sentinels
            # (0001-01-01), which are kept visible as ISO text rather than shown as ####.
            shown = (serial >= _FIRST_SERIAL + 1) & (serial < _LAST_SERIAL + 1)
            serial = pl.when(serial < _LEAP_BUG_SERIAL).then(serial - 1).otherwise(serial)
            lanes.append(_Lane(col, kind, pl.when(shown).then(serial)))
            as_text = pl.when(~shown).then(c.cast(pl.String))
            extras.append(_Lane(col, _TEXT, as_text))
        else:
            raise TypeError(
                f"column {name!r}: dtype {dtype} has no Excel writer; cast it before writing"
            )
    return (*lanes, *extras)


def _set_widths(
    ws: Worksheet,
    frame: pl.DataFrame,
    lanes: Sequence[_Lane],
    explicit: Mapping[str, float],
) -> None:
    """Size each column from its header and its longest value, within MIN_WIDTH..MAX_WIDTH.

    The longest value is measured over the whole column in one Polars pass (cheaper than a
    Python sample); the header gets two extra characters for the filter button. The pass is
    run unoptimised: its expressions share nothing worth finding, and planning them was most
    of its time on the small sheets of school workbooks (hundreds per refresh).
    """
    lengths = [0] * frame.width
    if lanes and frame.height and not set(frame.columns) <= set(explicit):
        measured = frame.lazy().select(
            lane.measure.alias(f"_w{i}") for i, lane in enumerate(lanes)
        ).collect(optimizations=pl.QueryOptFlags.none()).row(0)
        lengths = _longest(frame.width, lanes, measured)
        longest_text = max((int(length or 0) for lane, length in zip(lanes, measured, strict=True)
                            if lane.kind == _TEXT), default=0)
        if longest_text > _MAX_TEXT:
            warnings.warn(
                f"sheet {ws.name!r}: text longer than Excel's {_MAX_TEXT} characters is truncated",
                stacklevel=4,
            )

    for col, name in enumerate(frame.columns):
        width = explicit.get(name)
        if width is None:
            width = column_width(name, lengths[col])
        ws.set_column(col, col, width)


def column_width(name: str, longest: int) -> float:
    """A column's width in characters: its header's with two more for the filter button, or
    its longest value's with one more, within MIN_WIDTH..MAX_WIDTH."""
    return min(max(len(name) + 2.0, longest + 1.0, MIN_WIDTH), MAX_WIDTH)


def widths_by(frame: pl.DataFrame, key: str, text_columns: frozenset[str] = frozenset()
              ) -> dict[object, dict[str, float]]:
    """Every column's width, as a sheet of the rows of one `key` value would size it, for each
    value of `key` at once: one group_by instead of a pass per sheet. Given as a SheetSpec's
    `widths` they leave the sheet nothing to measure; a pass costs a few milliseconds however
    few its rows (Polars' planning of one expression per column), which over the 1,500 school
    workbooks of a state is most of their Polars time.

    Every lane is measured, the extra ones too (dates shown as text), as a sheet's
    own pass does: in a group that needs none, such a lane is all null and measures 0. Unlike
    that pass, text too long for a cell is not warned about here (the whole frame's sheet
    is)."""
    every = _lanes(tuple(frame.schema.items()), frozenset(text_columns))
    if not every or not frame.height:
        return {}
    measured = frame.group_by(key).agg(lane.measure.alias(f"_w{i}")
                                       for i, lane in enumerate(every))
    out: dict[object, dict[str, float]] = {}
    for value, *lengths in measured.iter_rows():
        longest = _longest(frame.width, every, lengths)
        out[value] = {name: column_width(name, longest[col])
                      for col, name in enumerate(frame.columns)}
    return out


def _longest(width: int, lanes: Sequence[_Lane], measured: Sequence[int | None]) -> list[int]:
    """Each of `width` columns' longest value from its lanes' measures (`_measure`, in lane
    order; None is 0): a column written by two lanes takes the longer."""
    longest = [0] * width
    for lane, length in zip(lanes, measured, strict=True):
        longest[lane.column] = max(longest[lane.column], int(length or 0))
    return longest


def _measure(lane: _Lane) -> pl.Expr:
    """Characters the longest value of a lane shows (0 when the lane is all null)."""
    if lane.kind == _TEXT:
        return lane.expr.str.len_chars().max()
    if lane.kind == _NUMBER:
        # Excel's General format shows at most about 11 characters of a number.
        if lane.integer:  # the same length as every value's text, without writing them all
            longest = pl.max_horizontal(*(end.cast(pl.String).str.len_chars()
                                          for end in (lane.expr.min(), lane.expr.max())))
        else:
            longest = lane.expr.cast(pl.String).str.len_chars().max()
        return longest.clip(upper_bound=12)
    shown = {_DATE: 10, _DATETIME: 16, _BOOL: 5}[lane.kind]
    return pl.when(lane.expr.is_not_null().any()).then(pl.lit(shown)).otherwise(pl.lit(0))
