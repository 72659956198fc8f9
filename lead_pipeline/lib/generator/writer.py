"""Writing the snapshot folder: one CSV per table of schema.TABLES (columns in schema order),
appended school by school so memory stays bounded, plus manifest.json and planted.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO, Any

import polars as pl

from lead_pipeline.lib.snapshot.schema import TABLES, Kind, Table

_DTYPE: dict[Kind, pl.DataType] = {
    Kind.INT: pl.Int64(), Kind.TEXT: pl.Utf8(), Kind.DATE: pl.Date(), Kind.TIME: pl.Utf8(),
    Kind.TIMESTAMP: pl.Utf8(), Kind.FLAG: pl.Int8(), Kind.DECIMAL: pl.Utf8(),
}


def conform(table: Table, df: pl.DataFrame) -> pl.DataFrame:
    """Exactly the schema's columns, in order, typed for writing (flags 0/1, dates ISO).

    A column the chunk lacks is written empty; helper columns (leading "_") are dropped.
    """
    exprs = []
    for c in table.columns:
        dtype = _DTYPE[c.kind]
        if c.name in df.columns:
            e = pl.col(c.name)
            if c.kind is Kind.FLAG:
                e = e.cast(pl.Int8)
            exprs.append(e.cast(dtype).alias(c.name))
        else:
            exprs.append(pl.lit(None, dtype).alias(c.name))
    return df.select(exprs)


class SnapshotWriter:
    """Open CSV files, one per table, each with its header written once."""

    def __init__(self, out: Path) -> None:
        self.out = out
        out.mkdir(parents=True, exist_ok=True)
        self.rows: dict[str, int] = {t.name: 0 for t in TABLES}
        self._files: dict[str, IO[bytes]] = {}
        for t in TABLES:
            fh = open(out / f"{t.name}.csv", "wb")  # noqa: SIM115 - kept open across schools
            fh.write((",".join(t.column_names) + "\n").encode())
            self._files[t.name] = fh

    def write(self, table: Table, df: pl.DataFrame) -> None:
        if not df.height:
            return
        conform(table, df).write_csv(
            self._files[table.name], include_header=False, date_format="%Y-%m-%d",
            null_value="", line_terminator="\n", quote_style="necessary")
        self.rows[table.name] += df.height

    def close(self) -> None:
        for fh in self._files.values():
            fh.close()

    def __enter__(self) -> SnapshotWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
