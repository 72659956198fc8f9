"""One school's rows of a snapshot folder, as a smaller snapshot folder (a one-school refresh).

Why a folder: the slice then goes through exactly the reader and integrity code of a full load
(`reader.load_folder`, `integrity.drop_invalid_rows`), so a problem that would block the weekly
refresh blocks a one-school refresh the same way. Each table is filtered while it is read (DuckDB
reads the file once, keeps the matching rows as they are, text or Parquet types untouched):

- the school's School row and the District row;
- its calendars, and through them grade levels, schedule structures, trials, terms, courses,
  sections, placements, section staff history and rosters;
- its enrollments and employment assignments;
- the people enrolled in its calendars, rostered or teaching in its sections or assigned at the
  school, plus their case managers (TeamMember.staffPersonID): their Person, Identity, Plan, Lep,
  GiftedTalented and Employment rows.

KIAS tables are not sliced (a one-school refresh rebuilds the LEAD school workbook only). A table
that cannot be read or filtered (bad encoding, a missing column, a broken file) is copied whole,
so the reader reports the same blocking problem as the full load would.
"""

from __future__ import annotations

import re
import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from lead_pipeline.lib.snapshot.manifest import read_manifest
from lead_pipeline.lib.snapshot.reader import locate
from lead_pipeline.lib.snapshot.schema import TABLE_BY_NAME
from lead_pipeline.lib.sql import lit, q

_ID = "TRY_CAST(trim(CAST({col} AS VARCHAR)) AS BIGINT)"

# table -> (column, ids source) filters, in dependency order; an ids source is SQL over the
# already-sliced tables (`s_<Table>`) giving one BIGINT column
_SCHOOL = "SELECT {id} FROM s_School".format(id=_ID.format(col='"schoolID"'))
_CALENDARS = "SELECT {id} FROM s_Calendar".format(id=_ID.format(col='"calendarID"'))
_STRUCTURES = "SELECT {id} FROM s_ScheduleStructure".format(id=_ID.format(col='"structureID"'))
_COURSES = "SELECT {id} FROM s_Course".format(id=_ID.format(col='"courseID"'))
_SECTIONS = "SELECT {id} FROM s_Section".format(id=_ID.format(col='"sectionID"'))
_STUDENTS = " UNION ".join(
    "SELECT {id} FROM s_{t}".format(id=_ID.format(col='"personID"'), t=t)
    for t in ("Enrollment", "Roster"))
_PEOPLE = " UNION ".join([
    _STUDENTS,
    *("SELECT {id} FROM s_{t}".format(id=_ID.format(col='"personID"'), t=t)
      for t in ("SectionStaffHistory", "EmploymentAssignment")),
    "SELECT {id} FROM s_TeamMember".format(id=_ID.format(col='"staffPersonID"')),
])

PLAN: tuple[tuple[str, str | None, str | None], ...] = (
    ("District", None, None),
    ("School", "number", None),  # the school number itself, see `slice_folder`
    ("Calendar", "schoolID", _SCHOOL),
    ("GradeLevel", "calendarID", _CALENDARS),
    ("ScheduleStructure", "calendarID", _CALENDARS),
    ("Trial", "structureID", _STRUCTURES),
    ("Term", "structureID", _STRUCTURES),
    ("Course", "calendarID", _CALENDARS),
    ("Section", "courseID", _COURSES),
    ("SectionPlacement", "sectionID", _SECTIONS),
    ("SectionStaffHistory", "sectionID", _SECTIONS),
    ("Roster", "sectionID", _SECTIONS),
    ("Enrollment", "calendarID", _CALENDARS),
    ("EmploymentAssignment", "schoolID", _SCHOOL),
    ("TeamMember", "personID", _STUDENTS),
    ("Person", "personID", _PEOPLE),
    ("Identity", "personID", _PEOPLE),
    ("Plan", "personID", _PEOPLE),
    ("Lep", "personID", _PEOPLE),
    ("GiftedTalented", "personID", _PEOPLE),
    ("Employment", "personID", _PEOPLE),
)


@dataclass
class Slice:
    folder: Path
    school_number: str
    rows: dict[str, int] = field(default_factory=dict)
    copied_whole: list[str] = field(default_factory=list)
    """Tables copied unfiltered because they could not be read (the reader reports why)."""


def _source(path: Path) -> str:
    # the reader's dialect (reader._TableLoader._source: comma, double quote), every value as
    # text, but the columns by their header's names (the filters name them), which DuckDB
    # finds itself: giving them explicitly, as the reader does, was slower (docs/speed.md)
    if path.suffix == ".parquet":
        return f"read_parquet({lit(str(path))})"
    return (f"read_csv({lit(str(path))}, all_varchar=true, header=true, delim=',', "
            "quote='\"', escape='\"', auto_detect=true)")


def _empty(con: duckdb.DuckDBPyConnection, name: str) -> None:
    cols = ", ".join(f"NULL::VARCHAR AS {q(c)}" for c in TABLE_BY_NAME[name].column_names)
    con.execute(f"CREATE OR REPLACE TABLE s_{name} AS SELECT {cols} WHERE false")


def _rounds() -> list[list[tuple[str, str | None, str | None]]]:
    """PLAN in rounds: a table's round comes after every round holding a table its ids read
    (`s_<Table>` in its SQL), so the tables of one round can be sliced at once."""
    round_of: dict[str, int] = {}
    rounds: list[list[tuple[str, str | None, str | None]]] = []
    for step in PLAN:
        name, _, ids = step
        needs = set(re.findall(r"\bs_(\w+)", ids or ""))
        r = 1 + max((round_of[n] for n in needs), default=-1)
        round_of[name] = r
        while len(rounds) <= r:
            rounds.append([])
        rounds[r].append(step)
    return rounds


def _size(path: Path | None) -> int:
    return path.stat().st_size if path is not None else 0


SLICE_THREADS = 2
"""Tables sliced at once within a round (`_rounds`): while DuckDB reads a large file (Roster,
Identity) another thread filters the small ones."""


def slice_folder(source: Path, school_number: str, out: Path) -> Slice:
    """Write `school_number`'s rows of the snapshot folder `source` into the folder `out`
    (created; manifest.json copied as is). Uses its own in-memory DuckDB, each table on a
    cursor of its own, the tables of a round (`_rounds`) SLICE_THREADS at a time."""
    source, out = Path(source), Path(out)
    out.mkdir(parents=True, exist_ok=True)
    result = Slice(out, school_number)
    if (source / "manifest.json").is_file():
        shutil.copy(source / "manifest.json", out / "manifest.json")
    manifest, _ = read_manifest(source)
    preferred = manifest.format if manifest else None
    paths = {name: locate(source, TABLE_BY_NAME[name], preferred) for name, _, _ in PLAN}
    rows: dict[str, int] = {}
    whole: set[str] = set()

    def one(con: duckdb.DuckDBPyConnection, name: str, column: str | None,
            ids: str | None) -> None:
        with con:
            con.execute("SET preserve_insertion_order = true")
            path = paths[name]
            if path is None:
                _empty(con, name)
                return
            if column is None:
                where = "true"
            elif ids is None:
                where = f"trim(CAST({q(column)} AS VARCHAR)) = {lit(school_number)}"
            else:
                where = f"{_ID.format(col=q(column))} IN ({ids})"
            try:
                con.execute(f"CREATE OR REPLACE TABLE s_{name} AS "
                            f"SELECT * FROM {_source(path)} WHERE {where}")
                target = out / path.name
                fmt = ("(FORMAT parquet)" if path.suffix == ".parquet"
                       else "(HEADER, DELIMITER ',')")
                con.execute(f"COPY s_{name} TO {lit(str(target))} {fmt}")
                (n,) = con.execute(f"SELECT count(*) FROM s_{name}").fetchone() or (0,)
                rows[name] = int(n)
            except duckdb.Error:
                shutil.copy(path, out / path.name)
                whole.add(name)
                _empty(con, name)

    with duckdb.connect() as con, ThreadPoolExecutor(
            max_workers=SLICE_THREADS, thread_name_prefix="slice") as pool:
        for round_ in _rounds():
            largest_first = sorted(round_, key=lambda step: -_size(paths[step[0]]))
            done = [pool.submit(one, con.cursor(), *step) for step in largest_first]
            for future in done:
                future.result()
    result.rows = {name: rows[name] for name, _, _ in PLAN if name in rows}
    result.copied_whole = [name for name, _, _ in PLAN if name in whole]
    return result
