"""The only place resources are bound: the DuckDB file, the project's folders, and the snapshot a
refresh builds from with the code tables it is read with.

No `from __future__ import annotations` here: Dagster reads the resource classes' annotations
at runtime (a string `ResourceDependency[...]` is not recognised as one)."""

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, fields
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
from dagster_duckdb import DuckDBResource
from pydantic import Field, PrivateAttr

from lead_pipeline.defs.districts import MULTI
from lead_pipeline.defs.io import DuckDBFrameIOManager
from lead_pipeline.defs.storage import hold_connections
from lead_pipeline.defs.writers import WorkbookWriters
from lead_pipeline.lib import dblock, districts, paths
from lead_pipeline.lib.codes import Codes, load_codes
from lead_pipeline.lib.environment import number
from lead_pipeline.lib.kias.reference import KiasCodes, load_kias_codes
from lead_pipeline.lib.lead.staging import DistrictHeader, district_header
from lead_pipeline.lib.snapshot import store
from lead_pipeline.lib.snapshot.arrivals import newest
from lead_pipeline.lib.sql import q

NO_SNAPSHOT = "no snapshot has passed integrity yet: refresh the snapshot stage"
NO_CURRENT = ("no current snapshot: name a snapshot folder in the run config or run the weekly "
              "refresh first")
NO_DISTRICT = ("this deployment serves many districts (LEAD_MULTI_DISTRICT=1) and the run names "
               "none: launch it for a district's partition (the weekly refresh) or a "
               "<district>-<school> partition (one school)")


def run_district(context: dg.InitResourceContext) -> str | None:
    """The district a run works for in multi-district mode (its partition or `lead/district`
    tag, lib/districts.py); None for a single district and outside runs (sensors, schedules)."""
    run = context.dagster_run
    if not MULTI or run is None:
        return None
    try:
        return districts.of_run(run.tags)
    except districts.DistrictError as exc:
        raise dg.Failure(str(exc)) from None


class PipelineSettings(dg.ConfigurableResource):
    """Folders a refresh reads and writes; defaults from lib.paths (env overridable)."""

    snapshot_dir: str = str(paths.default_snapshot_dir())
    output_dir: str = str(paths.default_output_dir())
    snapshots_root: str = str(paths.default_snapshots_root())
    """Where weekend snapshot folders arrive (the schedule and sensor take the newest)."""
    keep_weeks: int = 8
    """Publications older than this many weeks (by this machine's clock) are removed after a
    publish; the one `latest` points at is always kept."""
    keep_count: int = 16
    """At most this many publications are kept (the newest), whatever their age: republishing
    the same weeks over and over cannot fill the disk."""

    _district: str | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        self._district = run_district(context)

    @property
    def district(self) -> str | None:
        """The run's district in multi-district mode (None for a single district)."""
        return self._district

    @property
    def output(self) -> Path:
        """The output tree this run publishes into: `output_dir`, or the district's tree in it
        (lib/districts.py). Every step that writes files uses this, never `output_dir`."""
        if not MULTI:
            return Path(self.output_dir)
        if self._district is None:
            raise dg.Failure(NO_DISTRICT)
        return districts.output(self.output_dir, self._district)

    def default_snapshot(self) -> Path:
        """The folder a weekly run loads when its launch form leaves `folder` empty: the
        newest snapshot folder under the snapshots root (the one the schedule would load), or
        `snapshot_dir` (the bundled sample in a clone) while none has arrived; in
        multi-district mode the district's newest folder, and none is an error. A deployment's
        operator who launches the weekly job from the UI refreshes this week's snapshot, never
        the sample."""
        arrival = newest(self.arrivals_root)
        if not MULTI:
            return arrival.path if arrival else Path(self.snapshot_dir)
        if arrival is None:
            raise dg.Failure(f"no snapshot folder for district {self._district} in "
                             f"{self.arrivals_root}: copy one there or name it in `folder`")
        return arrival.path

    @property
    def arrivals_root(self) -> Path:
        """Where this run's snapshot folders arrive: `snapshots_root`, or the district's
        folder in it."""
        if not MULTI:
            return Path(self.snapshots_root)
        if self._district is None:
            raise dg.Failure(NO_DISTRICT)
        return districts.snapshots(self.snapshots_root, self._district)


_SHARED: dict[str, tuple[duckdb.DuckDBPyConnection, int]] = {}
"""The connection a run in this process holds open on each database file, and how many
initialisations of the resource share it (Dagster may initialise a nested copy too)."""


class LockedDuckDBResource(DuckDBResource):
    """DuckDBResource holding `<database>.lock` for the whole run (lib/dblock.py), so a UI
    run and an in-process CLI refresh on the same file wait for each other.

    For the run it also holds one connection open, and `get_connection` hands out cursors of
    it: opening the file per step (and per input and output of each step) re-reads its catalog
    and checkpoints it on every close, which was a second or more of a refresh's fixed cost.
    A cursor is a connection of its own to the same database (its own transactions); outside
    a run `get_connection` opens and closes the file as DuckDBResource does."""

    _district_database: str | None = PrivateAttr(default=None)

    @property
    def path(self) -> str:
        """The file this resource opens: `database`, or in multi-district mode the run's
        district's file (lib/districts.py); a multi-district run naming no district stops
        here, before any file is opened."""
        if not MULTI:
            return self.database
        if self._district_database is None:
            raise dg.Failure(NO_DISTRICT)
        return self._district_database

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        # called on the copy Dagster hands to the run's steps, so the district is set there
        district = run_district(context)
        if district is not None:
            path = districts.database(self.database, district)
            path.parent.mkdir(parents=True, exist_ok=True)
            self._district_database = str(path)

    @contextmanager
    def yield_for_execution(self, context: dg.InitResourceContext) -> Iterator[object]:
        if context.dagster_run is not None and context.instance is not None:
            # every run's steps use this resource (the IO manager does): the run's process
            # stores the rest of the run's events over one held connection (defs/storage.py)
            hold_connections(context.instance)
        log = context.log.info if context.log else None
        with super().yield_for_execution(context) as resource:
            assert isinstance(resource, LockedDuckDBResource)
            if MULTI and resource._district_database is None:
                yield resource  # a sensor's or schedule's resources: no file at all
                return
            with dblock.hold(resource.path, on_wait=log), resource._held():
                yield resource

    @contextmanager
    def _held(self) -> Iterator[None]:
        key = self.path
        if key in _SHARED:
            con, count = _SHARED[key]
            _SHARED[key] = (con, count + 1)
            opened = None
        else:
            opened = self._connect()
            _SHARED[key] = (opened.__enter__(), 1)
        try:
            yield
        finally:
            con, count = _SHARED[key]
            if count > 1:
                _SHARED[key] = (con, count - 1)
            else:
                del _SHARED[key]
                if opened is not None:
                    opened.__exit__(None, None, None)
                else:  # a nested copy left after the one that opened it
                    con.close()

    @contextmanager
    def _connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection of its own to `path`: DuckDBResource's (with its retries) on `database`,
        the same settings on a district's file."""
        if self.path == self.database:
            with super().get_connection() as con:
                configure(con)
                yield con
            return
        con = duckdb.connect(self.path, config={"custom_user_agent": "dagster",
                                                **self.connection_config})
        try:
            configure(con)
            yield con
        finally:
            con.close()

    @contextmanager
    def get_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        shared = _SHARED.get(self.path)
        if shared is None:
            with self._connect() as con:
                yield con
            return
        cursor = shared[0].cursor()
        try:
            yield cursor
        finally:
            cursor.close()


class SnapshotResource(dg.ConfigurableResource):
    """The snapshot a run builds its outputs from, and the code tables it reads it with.

    The snapshot is the load awaiting publication (this run's), else the current one
    (store.for_reports): a run builds from the snapshot it loaded, which becomes current only
    when publish/latest commits. Without one, every method fails the step with one clear
    message. The code tables are read from `reference_dir` the first time a step asks, once
    per resource instance (Dagster makes one per run), never from a process-wide cache.
    """

    duckdb: dg.ResourceDependency[DuckDBResource]
    reference_dir: str = Field(
        default=str(paths.reference_dir()),
        description="Folder of the code tables (data/reference: one CSV per table).")

    _codes: Codes | None = PrivateAttr(default=None)
    _kias_codes: KiasCodes | None = PrivateAttr(default=None)

    @staticmethod
    def _for_reports(con: duckdb.DuckDBPyConnection) -> store.CurrentSnapshot:
        snap = store.for_reports(con)
        if snap is None:
            raise dg.Failure(NO_SNAPSHOT)
        return snap

    def snapshot(self) -> store.CurrentSnapshot:
        """The snapshot this run builds from (pending load, else current), or a dg.Failure."""
        with self.duckdb.get_connection() as con:
            return self._for_reports(con)

    def current(self) -> store.CurrentSnapshot:
        """The current snapshot (the one `latest` was published from), or a dg.Failure: what a
        one-school refresh rebuilds from when its run config names no folder."""
        with self.duckdb.get_connection() as con:
            snap = store.current(con)
        if snap is None:
            raise dg.Failure(NO_CURRENT)
        return snap

    def frames(self, names: Sequence[str]) -> Mapping[str, pl.DataFrame]:
        """Tables of the run's snapshot as Polars frames, each read from DuckDB the first time
        a step asks for it: a step given every LEAD table reads only those its rules touch
        (the Schoolwide step reads School, not Roster), which at state scale is gigabytes and
        seconds less per step."""
        with self.duckdb.get_connection() as con:
            schema = self._for_reports(con).schema
        return StoredTables(self.duckdb, schema, list(names))

    def header(self) -> DistrictHeader:
        """The district's header facts every LEAD row starts with, and the report's dates."""
        with self.duckdb.get_connection() as con:
            snap = self._for_reports(con)
            district = store.frames(con, ["District"], schema=snap.schema)
        return district_header(district, snap.end_year, snap.snapshot_date)

    def codes(self) -> Codes:
        """The LEAD code tables (docs/codes.md) of `reference_dir`."""
        if self._codes is None:
            self._codes = load_codes(Path(self.reference_dir))
        return self._codes

    def kias_codes(self) -> KiasCodes:
        """The KIAS code tables (docs/kias.md §6) of `reference_dir`."""
        if self._kias_codes is None:
            self._kias_codes = load_kias_codes(Path(self.reference_dir))
        return self._kias_codes


class StoredTables(Mapping[str, pl.DataFrame]):
    """`names` of a load's `schema`, each read (and kept) on first access; one key range of a
    table can be read alone instead (staging.RangeTables)."""

    def __init__(self, duckdb: DuckDBResource, schema: str, names: list[str]) -> None:
        self._duckdb, self._schema, self._names = duckdb, schema, names
        self._read: dict[str, pl.DataFrame] = {}

    def __getitem__(self, name: str) -> pl.DataFrame:
        if name not in self._read:
            if name not in self._names:
                raise KeyError(name)
            with self._duckdb.get_connection() as con:
                self._read[name] = store.frames(con, [name], schema=self._schema)[name]
        return self._read[name]

    @property
    def read_whole(self) -> list[str]:
        """The tables read whole so far."""
        return list(self._read)

    def rows_between(self, name: str, column: str, low: int, high: int) -> pl.DataFrame:
        """The rows of `name` with `column` in [low, high], in table order (DuckDB keeps it),
        read alone and not kept."""
        if name not in self._names:
            raise KeyError(name)
        with self._duckdb.get_connection() as con:
            return con.execute(f"SELECT * FROM {q(self._schema)}.{q(name)} "
                               f"WHERE {q(column)} BETWEEN ? AND ?", [low, high]).pl()

    def __contains__(self, name: object) -> bool:
        return name in self._names

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


@dataclass(frozen=True)
class Resources:
    """Every resource of a run, typed, so callers read `res.duckdb.database` as what it is;
    `as_dict()` is the mapping Dagster binds (the keys are the assets' parameter names)."""

    duckdb: LockedDuckDBResource
    settings: PipelineSettings
    snapshot: SnapshotResource
    io_manager: DuckDBFrameIOManager
    writers: WorkbookWriters

    def as_dict(self) -> dict[str, object]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


DUCKDB_MEMORY_MB = 512
"""DuckDB's memory limit for a run, in MiB (LEAD_DUCKDB_MEMORY_MB overrides it). DuckDB's own
default is 80 % of the machine, for every process that opens a file (every district's run at
once), and within it DuckDB keeps what it has read and written cached beside the run's Polars
frames: 0.1-0.35 GiB during a 700,000-student refresh. At 512 MiB the report, check and
workbook steps of that refresh peaked 0.04-0.16 GiB lower and none was measurably slower
(docs/speed.md); at 256 MiB publish took twice as long. A query that needs more spills to
`<database>.tmp` beside the file."""

MEMORY_SETTING = "LEAD_DUCKDB_MEMORY_MB"


def duckdb_config() -> dict[str, str]:
    """The settings every connection to the warehouse opens with (DUCKDB_MEMORY_MB)."""
    mib = round(number(MEMORY_SETTING, DUCKDB_MEMORY_MB, minimum=64))
    return {"memory_limit": f"{mib}MiB"}


def configure(con: duckdb.DuckDBPyConnection) -> None:
    """The settings a warehouse connection takes after it opens: DuckDB 1.5 ignores
    `disabled_compression_methods` in the connect config (duckdb_config) without a word.

    FSST, DuckDB's compression of text, is left out: a checkpoint tries it on every text
    column's segments, and that trial was half of every checkpoint. The last checkpoint of a
    5,000-student refresh (when the run's connection closes) went from 0.32-0.34 s to
    0.14-0.15 s; text is then stored by dictionary or plain, and the file of a 100,000-student
    district after one refresh grew by 9 % (27.8 to 30.3 MiB; docs/speed.md)."""
    con.execute("SET GLOBAL disabled_compression_methods = 'fsst'")


def warehouse(database: str | Path | None = None) -> LockedDuckDBResource:
    path = paths.default_database() if database is None else Path(database)
    path.parent.mkdir(parents=True, exist_ok=True)
    return LockedDuckDBResource(database=str(path), connection_config=duckdb_config())


def resources(database: str | Path | None = None, *, reference_dir: str | None = None,
              **settings: str) -> Resources:
    """The resources of a run on `database` (default lib.paths'), the code tables of
    `reference_dir` (default lib.paths') and PipelineSettings overridden by `settings`."""
    duckdb = warehouse(database)
    snapshot = (SnapshotResource(duckdb=duckdb) if reference_dir is None
                else SnapshotResource(duckdb=duckdb, reference_dir=reference_dir))
    return Resources(duckdb=duckdb, settings=PipelineSettings(**settings), snapshot=snapshot,
                     io_manager=DuckDBFrameIOManager(duckdb=duckdb), writers=WorkbookWriters())
