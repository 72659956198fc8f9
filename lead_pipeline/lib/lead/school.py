"""A one-school refresh (docs/outputs.md): that school's rows of a snapshot folder through the same
reader, integrity checks and LEAD flow (lib/lead/flow.py) as the weekly refresh, its workbook
replaced inside the folder `latest` points at, its findings recorded under the school's scope.

The slice is loaded into an in-memory DuckDB (schema `school_slice`, never promoted): the
warehouse's current snapshot and every published file other than the school's stay as they are.
Only the findings history is written to the warehouse, in a transaction committed together with
the file's replacement (publish.replace_file's `then`): both happen, or neither.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import duckdb
import polars as pl

from lead_pipeline.lib import publish
from lead_pipeline.lib.codes import Codes
from lead_pipeline.lib.lead import flow, history
from lead_pipeline.lib.lead.reports import LeadReports
from lead_pipeline.lib.lead.staging import DistrictHeader, district_header
from lead_pipeline.lib.lead.workbooks import properties, school_file, sheet, write_school
from lead_pipeline.lib.names import UnsafeName
from lead_pipeline.lib.snapshot import store
from lead_pipeline.lib.snapshot.findings import clean
from lead_pipeline.lib.snapshot.integrity import accept
from lead_pipeline.lib.snapshot.reader import load_folder
from lead_pipeline.lib.snapshot.slice import slice_folder

SCRATCH = "school_slice"


class SchoolRefreshError(Exception):
    """The one-school refresh stopped before replacing anything; `problems` one line each."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass
class SchoolOutcome:
    school_number: str
    snapshot_date: date
    end_year: int
    district_number: str
    path: Path
    published_folder: Path
    findings: int
    new: int
    resolved: int
    school_name: str | None = None
    errors: int = 0
    reviews: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


def build(folder: Path, school_number: str, codes: Codes, generated: datetime
          ) -> tuple[LeadReports, pl.DataFrame, DistrictHeader, dict[str, int], dict[str, float]]:
    """Slice, load and check the school's rows, then run the LEAD flow over them: the school's
    reports, its findings, the header facts, the slice's row counts and the seconds per stage
    (nothing written)."""
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="lead-school-") as tmp:
        part = slice_folder(Path(folder), school_number, Path(tmp) / "slice")
        seconds["slice"] = time.perf_counter() - started
        if part.rows.get("School", 0) != 1:
            raise SchoolRefreshError([
                f"school {clean(school_number)} is not in the snapshot {clean(str(folder))} "
                f"({part.rows.get('School', 0)} School rows with that number)"])
        with duckdb.connect() as con:
            result = load_folder(con, part.folder, SCRATCH,
                                 included_classifications=codes.included_classifications)
            if result.blocking:
                raise SchoolRefreshError([f.line() for f in result.blocking])
            if result.manifest is None:
                raise SchoolRefreshError([f"{clean(str(folder))} has no readable manifest.json"])
            # a slice is small by design: its core tables are not judged by their size
            accept(con, result, baseline=None)
            tables = store.frames(con, flow.LEAD_TABLES, schema=SCRATCH)
    seconds["load"] = time.perf_counter() - started - seconds["slice"]
    m = result.manifest
    header = district_header(tables, m.end_year, m.snapshot_date)
    made = flow.build(tables, codes, header, generated)
    found = history.in_scope(made.findings, school_number)
    seconds["reports"] = time.perf_counter() - started - seconds["slice"] - seconds["load"]
    return made.reports, found, header, part.rows, seconds


def refresh_school(folder: Path, school_number: str, output_root: Path,
                   warehouse: duckdb.DuckDBPyConnection, run_id: str, codes: Codes,
                   generated: datetime | None = None) -> SchoolOutcome:
    """Rebuild one school's workbook from `folder` and swap it into the published `latest`.

    Raises SchoolRefreshError (nothing replaced, nothing recorded) when there is no published
    `latest` yet, when the slice fails a blocking integrity check, or the school is unknown."""
    output_root = Path(output_root)
    published = publish.latest(output_root)
    if published is None:
        raise SchoolRefreshError([
            f"nothing is published under {output_root} yet (no 'latest'): run the weekly "
            "refresh first; a one-school refresh replaces one file of a published refresh"])
    known_school(published, school_number)
    generated = generated or datetime.now().replace(microsecond=0)
    lead, found, header, rows, seconds = build(folder, school_number, codes, generated)
    started = time.perf_counter()
    before = history.baseline(warehouse, header.district_number, header.snapshot_date,
                              school_number, end_year=header.end_year)
    changes = history.changes(found, before)
    props = properties(header, generated, refresh=f"one school ({school_number})")
    # a killed earlier one-school run may have left its temporary file beside the target;
    # runs are serialised by the database lock, so any such file now is stale
    target_path = published / school_file(school_number)
    for stale in target_path.parent.glob(f".{target_path.stem}.tmp-*"):
        stale.unlink(missing_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".staging-school-", dir=output_root))
    try:
        def write(tmp: Path) -> None:
            made = write_school(work, school_number, lead, props,
                                [sheet("Issues", found), sheet("Changes", changes)])
            os.replace(made, tmp)

        warehouse.execute("BEGIN TRANSACTION")
        try:
            history.append(warehouse, found, run_id=run_id,
                           district_number=header.district_number, end_year=header.end_year,
                           snapshot_date=header.snapshot_date, scope=school_number)
            target = publish.replace_file(published, school_file(school_number), write,
                                          then=lambda: warehouse.execute("COMMIT"))
        except BaseException:
            with contextlib.suppress(duckdb.Error):  # a failed COMMIT has ended it already
                warehouse.execute("ROLLBACK")
            raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    seconds["write"] = time.perf_counter() - started
    (counts,) = history.school_counts(found, {school_number: changes},
                                      [school_number]).iter_rows(named=True)
    names = lead.schoolwide["School Name"]
    return SchoolOutcome(school_number, header.snapshot_date, header.end_year,
                         header.district_number, target, published, found.height,
                         counts["new"], counts["resolved"], names[0] if len(names) else None,
                         counts["errors"], counts["reviews"], rows, seconds)


def published_schools(published: Path) -> list[str]:
    """The school numbers with a workbook in the publication `published` (its schools/)."""
    return sorted(p.stem.removeprefix("LEAD_") for p in (published / "schools").glob("LEAD_*.xlsx"))


def known_school(published: Path, school_number: str) -> None:
    """Refuse, before any work, a school that has no workbook in the published refresh: a
    one-school refresh replaces one school's file, it does not add schools. The message names
    the schools it knows (numbers only)."""
    try:
        path = published / school_file(school_number)
    except UnsafeName:
        path = None
    if path is None or not path.is_file():
        known = published_schools(published)
        where = f"{published.parent.name}/{published.name}"
        raise SchoolRefreshError([
            f"school {clean(school_number)[:20]} has no workbook in the published refresh "
            f"({where}); the schools there are {', '.join(known) or 'none'}"])
