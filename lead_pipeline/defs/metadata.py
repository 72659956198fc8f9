"""Rows of ids as Dagster table metadata: the UI draws a table value inline on a check's
evaluation, where Markdown hides behind a "Show Markdown" link. Ids and codes only, never a
name or a state id (metadata is kept in the Dagster instance and read by operators)."""

from __future__ import annotations

from collections.abc import Sequence

import dagster as dg
import polars as pl

from lead_pipeline.lib.rules import FIRST_IDS


def id_table(found: pl.DataFrame, columns: Sequence[str | pl.Expr], n: int = FIRST_IDS
             ) -> dg.TableMetadataValue:
    """The first `n` rows of `found`, `columns` only (names or named expressions), as an
    inline table (text and whole numbers; blank ids stay blank)."""
    shown = found.head(n).select(columns)
    kinds = {c: "int" if shown.schema[c].is_integer() else "string" for c in shown.columns}
    # a record holds text and numbers only: dates and codes as their text
    shown = shown.with_columns(pl.col(c).cast(pl.String) for c in shown.columns
                               if kinds[c] != "int")
    return dg.MetadataValue.table(
        records=[dg.TableRecord(row) for row in shown.iter_rows(named=True)],
        schema=dg.TableSchema(columns=[dg.TableColumn(c, kinds[c]) for c in shown.columns]))
