"""The week-over-week trend in the UI: `lead/trend`, one partition per published snapshot date.

Dagster plots an asset's numeric metadata; for an unpartitioned asset it plots them against the
clock time of each materialisation, for a partitioned one against its partitions. So the counts
of the Trend sheet's current column (history.trend: errors and reviews in total, open findings
per rule; docs/outputs.md "Trend") are recorded as the materialisation of the snapshot date's
partition, and the asset's Plots tab reads one point per refresh, in snapshot-date order, the
same figures as the district workbook's Trend sheet. A rerun of the same snapshot date replaces
that date's point, as it replaces the Trend sheet's column.

`publish/latest` records it once its publication has committed (nothing is recorded for a
refresh that did not publish); the asset is never computed on its own, so it is declared as a
spec, not a step (no job materialises it; "Materialize all" skips it). With many districts
(docs/statewide.md) the partition is district × snapshot date.
"""

from __future__ import annotations

from datetime import date

import dagster as dg
import duckdb
import polars as pl

from lead_pipeline.defs.districts import DISTRICTS
from lead_pipeline.defs.group import GROUP
from lead_pipeline.lib.lead import history
from lead_pipeline.lib.lead.rules import RULES

TREND = dg.AssetKey(["lead", "trend"])
ERRORS, REVIEWS = "All rules: errors", "All rules: reviews"
"""The totals' labels: the UI orders an asset's plots by label, and these come before `Q-…`."""
DATES_NAME = "snapshot_date"
DATES = dg.DynamicPartitionsDefinition(name=DATES_NAME)
"""Each published snapshot date (YYYY-MM-DD), added when its refresh publishes."""
TREND_PARTITIONS: dg.PartitionsDefinition = (
    dg.MultiPartitionsDefinition({"district": DISTRICTS, DATES_NAME: DATES})
    if DISTRICTS else DATES)


def trend_spec(latest: dg.AssetKey) -> dg.AssetSpec:
    return dg.AssetSpec(
        TREND, deps=[latest], group_name=GROUP, partitions_def=TREND_PARTITIONS,
        kinds={"duckdb"},
        description="Open findings per published refresh, one partition per snapshot date: "
        f"`{ERRORS}` and `{REVIEWS}` in total and each rule's count (`Q-C1` …), the figures "
        "of the district workbook's Trend sheet. Overview → Metadata → Plots draws them "
        "refresh by refresh. "
        "Recorded by publish/latest when a weekly refresh publishes; not materialised on its "
        "own.")


def counts(con: duckdb.DuckDBPyConnection, found: pl.DataFrame, district: str,
           snapshot_date: date) -> dict[str, int]:
    """This refresh's column of the Trend sheet (history.trend with one refresh): label ->
    count, the two totals first (ERRORS, REVIEWS), then every rule by its id."""
    column = history.trend(con, found, district, snapshot_date, [r.id for r in RULES], limit=1)
    values = dict(zip(column["Check"].to_list(), column[snapshot_date.isoformat()].to_list(),
                      strict=True))
    return {ERRORS: values.pop(history.ERRORS), REVIEWS: values.pop(history.REVIEWS), **values}


def record(context: dg.AssetExecutionContext, con: duckdb.DuckDBPyConnection,
           found: pl.DataFrame, district: str, snapshot_date: date,
           run_district: str | None) -> None:
    """Record this refresh's counts as the materialisation of its snapshot date's partition."""
    day = snapshot_date.isoformat()
    context.instance.add_dynamic_partitions(DATES_NAME, [day])
    partition: str | dg.MultiPartitionKey = (
        dg.MultiPartitionKey({"district": run_district, DATES_NAME: day})
        if run_district else day)
    figures = counts(con, found, district, snapshot_date)
    context.log_event(dg.AssetMaterialization(
        asset_key=TREND, partition=partition,
        description=f"open findings of the refresh of {day}",
        metadata={label: dg.MetadataValue.int(n) for label, n in figures.items()}))
