"""Polars frames in DuckDB: each asset `[schema, table]` is the table `schema.table`.

dagster-duckdb-polars skips writing an empty frame (leaving no table, or last week's rows
behind), and a district with no case managers or a test with one section makes empty frames
routinely; this manager always replaces the table, empty or not, through Arrow.
"""

import dagster as dg
import polars as pl
from dagster_duckdb import DuckDBResource

from lead_pipeline.lib.sql import q


def table_of(key: dg.AssetKey) -> str:
    schema, *rest = key.path
    return f"{q(schema)}.{q('_'.join(rest))}"


class DuckDBFrameIOManager(dg.ConfigurableIOManager):
    duckdb: dg.ResourceDependency[DuckDBResource]

    def handle_output(self, context: dg.OutputContext, obj: pl.DataFrame) -> None:
        if obj is None:
            return
        key = context.asset_key
        arrow = obj.to_arrow()  # noqa: F841 - read by name in the SQL below
        with self.duckdb.get_connection() as con:
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {q(key.path[0])}")
            con.execute(f"CREATE OR REPLACE TABLE {table_of(key)} AS SELECT * FROM arrow")
        context.add_output_metadata({
            "dagster/row_count": dg.MetadataValue.int(obj.height),
            "dagster/column_schema": dg.TableSchema(columns=[
                dg.TableColumn(name, str(dtype)) for name, dtype in obj.schema.items()]),
            "table": dg.MetadataValue.text(table_of(key)),
        })

    def load_input(self, context: dg.InputContext) -> pl.DataFrame:
        """The whole table, or only the columns an `AssetIn(metadata={"columns": [...]})`
        names: a report that counts students need not hold their names (millions of rows at
        state scale)."""
        columns = (context.definition_metadata or {}).get("columns")
        select = ", ".join(q(c) for c in columns) if columns else "*"
        with self.duckdb.get_connection() as con:
            return con.execute(f"SELECT {select} FROM {table_of(context.asset_key)}").pl()
