"""IDEA and foster-care status of a student on the incident date (docs/kias.md §3.3, §3.4).

One predicate each, used by every column and both validation rules alike (A21): the seed's
wording varies ("has an IEP", "active", "with a Disability", "started before and ends after")
but the product reads them all as the same interval test on the incident date `d`, through the
project's one "active on D" helper (inclusive bounds, open end).
"""

from __future__ import annotations

import polars as pl

from lead_pipeline.lib.intervals import active_on

IEP = "IEP"
"""Plan.planType of an IEP (docs/snapshot-format.md)."""


def _any_active(keys: pl.DataFrame, records: pl.DataFrame, name: str) -> pl.DataFrame:
    """`keys` (personID, d) with a flag: some record of that person is active on d."""
    hits = (keys.join(records.select("personID", "startDate", "endDate"), on="personID")
            .filter(active_on("d")).select("personID", "d").unique()
            .with_columns(pl.lit(True).alias(name)))
    return keys.join(hits, on=["personID", "d"], how="left").with_columns(
        pl.col(name).fill_null(False))


def iep_records(plan: pl.DataFrame) -> pl.DataFrame:
    """IEP_ACTIVE's records (A22): IEP plans that are locked (the snapshot always carries the
    lock flag; an empty flag reads as 0, so an unlocked draft is never an IEP)."""
    kind = pl.col("planType").str.strip_chars().str.to_uppercase()
    return plan.filter((kind == IEP) & pl.col("locked").fill_null(False))


def sped_records(sped: pl.DataFrame) -> pl.DataFrame:
    """SPED_ACTIVE's records: SpecialEDState rows with a non-blank primary disability."""
    disability = pl.col("primaryDisability").str.strip_chars()
    return sped.filter(disability.is_not_null() & (disability != ""))


def status_on(keys: pl.DataFrame, plan: pl.DataFrame, sped: pl.DataFrame,
              foster: pl.DataFrame) -> pl.DataFrame:
    """For each distinct (personID, d): `idea` = IEP_ACTIVE ∨ SPED_ACTIVE (§3.3) and `foster` =
    FOSTER (§3.4, A37), computed once per student and date (§8)."""
    keys = keys.select("personID", "d").unique()
    iep = _any_active(keys, iep_records(plan), "iep")
    state = _any_active(keys, sped_records(sped), "sped")
    care = _any_active(keys, foster, "foster")
    return (iep.join(state, on=["personID", "d"]).join(care, on=["personID", "d"])
            .select("personID", "d", (pl.col("iep") | pl.col("sped")).alias("idea"), "foster"))
