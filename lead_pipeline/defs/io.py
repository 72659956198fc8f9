"""Polars frames in DuckDB: each asset `[schema, table]` is the table `schema.table`.

dagster-duckdb-polars skips writing an empty frame (leaving no table, or last week's rows
behind), and a district with no case managers or a test with one section makes empty frames
routinely; this manager always replaces the table, empty or not, through Arrow.

Within one run a frame a step returns is also kept in the run's process, and a later step of
the same run is handed that frame (or the columns it asks for) instead of reading the table
back; the table is written by one writer thread while the next steps compute (DuckDB works
without Python's lock), so a refresh neither waits for its writes nor reads back what it has
just made. `flush` waits for every write and re-raises the first that failed: `publish/latest`
calls it before it commits, and the run's end calls it, so a publication never goes out with a
table that was not stored, and the DuckDB file holds every asset a run made when the run ends,
as before. A run that materialises one asset from the UI finds nothing kept and reads its
inputs from the file.
"""

from concurrent.futures import Future, ThreadPoolExecutor

import dagster as dg
import duckdb
import polars as pl
import pyarrow as pa
from dagster_duckdb import DuckDBResource
from pydantic import PrivateAttr

from lead_pipeline.lib.sql import q


def table_of(key: dg.AssetKey) -> str:
    schema, *rest = key.path
    return f"{q(schema)}.{q('_'.join(rest))}"


def _replace(con: duckdb.DuckDBPyConnection, table: str, arrow: pa.Table) -> None:
    """The table `table` (its schema already exists) replaced by `arrow`."""
    con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM arrow")


def _stored(dtype: pl.DataType) -> str:
    """A column's type as the table holds it: a Categorical (lib/lead/staging.CODE_COLUMNS)
    arrives in DuckDB as text (VARCHAR), and is read back as a String."""
    return str(pl.String if isinstance(dtype, pl.Categorical) else dtype)


class DuckDBFrameIOManager(dg.ConfigurableIOManager):
    duckdb: dg.ResourceDependency[DuckDBResource]

    _kept: dict[dg.AssetKey, pl.DataFrame] = PrivateAttr(default_factory=dict)
    _writer: ThreadPoolExecutor | None = PrivateAttr(default=None)
    _writes: list[tuple[str, Future[None]]] = PrivateAttr(default_factory=list)
    _schemas: set[str] = PrivateAttr(default_factory=set)

    def handle_output(self, context: dg.OutputContext, obj: pl.DataFrame) -> None:
        if obj is None:
            return
        key = context.asset_key
        self._kept[key] = obj
        self._write(table_of(key), key.path[0], obj)
        context.add_output_metadata({
            "dagster/row_count": dg.MetadataValue.int(obj.height),
            "dagster/column_schema": dg.TableSchema(columns=[
                dg.TableColumn(name, _stored(dtype)) for name, dtype in obj.schema.items()]),
            "table": dg.MetadataValue.text(table_of(key)),
        })

    def load_input(self, context: dg.InputContext) -> pl.DataFrame:
        """The whole table, or only the columns an `AssetIn(metadata={"columns": [...]})`
        names: a report that counts students need not hold their names (millions of rows at
        state scale). The frame this run made when there is one, else the stored table."""
        columns = (context.definition_metadata or {}).get("columns")
        kept = self._kept.get(context.asset_key)
        if kept is not None:
            return kept.select(columns) if columns else kept
        select = ", ".join(q(c) for c in columns) if columns else "*"
        with self.duckdb.get_connection() as con:
            return con.execute(f"SELECT {select} FROM {table_of(context.asset_key)}").pl()

    def _write(self, table: str, schema: str, frame: pl.DataFrame) -> None:
        """Replace `table` by `frame` on the writer thread. The schema is made here, in the
        step's thread, once a run, before the first write into it: two writes never race to
        create it, and no catalog change of this thread meets the writer's. The writer's cursor
        is its own (a DuckDB cursor serves one thread)."""
        if schema not in self._schemas:
            self.flush()  # nothing is being written while the schema is made
            with self.duckdb.get_connection() as con:
                con.execute(f"CREATE SCHEMA IF NOT EXISTS {q(schema)}")
            self._schemas.add(schema)
        if self._writer is None:
            self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="frames")
        # Arrow's string views, as Polars holds text: handed to DuckDB without a copy (the
        # older large-string layout copied every text value: +0.5-0.8 GiB for the staged
        # students of a 700,000-student state, held until the write was done)
        arrow = frame.to_arrow(compat_level=pl.CompatLevel.newest())

        def write() -> None:
            with self.duckdb.get_connection() as con:
                _replace(con, table, arrow)

        self._writes.append((table, self._writer.submit(write)))

    def flush(self) -> None:
        """Wait for every table this run has handed to the writer; the first that failed is
        raised as a dg.Failure naming the table (the others are still waited for)."""
        writes, self._writes = self._writes, []
        failed: list[tuple[str, BaseException]] = []
        for table, future in writes:
            error = future.exception()
            if error is not None:
                failed.append((table, error))
        if failed:
            table, error = failed[0]
            raise dg.Failure(f"storing {table} in DuckDB failed: {type(error).__name__}: "
                             f"{str(error).splitlines()[0] if str(error) else ''}") from error

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        """A run's own state, never shared with another run of the same definitions (Dagster
        hands each run a copy of this manager, and a copy shares its originals' containers)."""
        self._kept, self._writes, self._schemas, self._writer = {}, [], set(), None

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        """At the run's end every write has finished (the DuckDB connection closes after this
        manager's teardown: Dagster tears resources down in reverse order) and the kept frames
        are let go."""
        try:
            self.flush()
        finally:
            self._kept.clear()
            if self._writer is not None:
                self._writer.shutdown(wait=True)
                self._writer = None
