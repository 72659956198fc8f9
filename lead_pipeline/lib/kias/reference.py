"""KIAS code tables (docs/kias.md §6) read from data/reference/kias_*.csv, and the drug/weapon
categories of state event codes (A27).

Kept as data for the same reason as lib/codes.py: a district can correct a code list without a
code change, and a reviewer can read every code the extract tests in one place. Codes stay text
and are compared after the normalisation of `res_code` (three characters, "001").
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from lead_pipeline.lib.codes import read_reference
from lead_pipeline.lib.paths import reference_dir

EVENT_CODE_TABLE = "EventCodeCategory"

UNITS_PER_DAY = 4_320_000_000
"""Day counts are exact integers of 1/4,320,000,000 day (§3.7, A12): the least common multiple
of what the inputs can express — decimals of 10^-6 in days, hours (/24) and minutes (/1440),
and whole seconds of a start/end time (/86,400) — so every sum is exact and rounding happens
once, on the exact value."""


@dataclass(frozen=True)
class KiasCodes:
    category: dict[str, str]
    """State resolution code -> ISS, OSS, EXP, RSP, HO or LE (§3.1); other codes: none."""
    expulsion_services: dict[str, str]
    """Expulsion code -> Y (550, 555) or N (560, 565)."""
    felony_codes: tuple[str, ...]
    misdemeanor_codes: tuple[str, ...]
    newer_kb_codes: tuple[str, ...]
    """The A2 alternative list of qualifying codes (the newer IC article)."""
    bullying: dict[str, str]
    """Incident type 2015-2018 -> Bullying Type 1-4 (§6.2)."""
    weapon_output: dict[str, str]
    """Weapon code 100-500 -> Weapon Code output (§6.3); the keys are WCODES' domain."""
    multiple_weapons: str
    referral: dict[str, str]
    """Law enforcement referral 01/02/03 -> felony, misdemeanor, weapons (§6.4)."""
    idea_methods: tuple[int, ...]
    non_idea_methods: tuple[int, ...]
    where_times: dict[int, tuple[str, ...]]
    """KSSSA Where 1/2/3 -> the time classifier codes it accepts (§6.5)."""
    on_property: tuple[str, ...]
    off_property: tuple[str, ...]
    injury_codes: tuple[str, ...]
    complete_statuses: tuple[str, ...]
    units_per_micro: dict[str, int]
    """Duration unit (lower case) -> exact units per 10^-6 of that unit (A7)."""

    def codes_of(self, *categories: str) -> list[str]:
        return sorted(c for c, cat in self.category.items() if cat in categories)


def _flag(frame: pl.DataFrame, column: str, key: str) -> tuple[str, ...]:
    return tuple(frame.filter(pl.col(column) == "1")[key])


def load_kias_codes(folder: Path | None = None) -> KiasCodes:
    """The KIAS code tables in `folder` (default: lib.paths.reference_dir()), read anew each
    call; the Dagster assets get them from the snapshot resource (defs/resources.py)."""
    folder = folder or reference_dir()
    res = read_reference(folder, "kias_resolution_code")
    weapons = read_reference(folder, "kias_weapon_code")
    methods = read_reference(folder, "kias_firearm_method")
    times = read_reference(folder, "kias_time_classifier")
    places = read_reference(folder, "kias_location_classifier")
    units = read_reference(folder, "kias_duration_unit")
    micro_per_day = 1_000_000
    per_micro: dict[str, int] = {}
    for unit, per_day in units.select("unit", "perDay").iter_rows():
        whole, rest = divmod(UNITS_PER_DAY, micro_per_day * int(per_day))
        if rest:
            raise ValueError(f"kias_duration_unit.csv: {per_day} per day is not exact in "
                             f"1/{UNITS_PER_DAY} day")
        per_micro[unit.strip().lower()] = whole
    single = weapons.filter(pl.col("weaponCode") != "multiple")
    return KiasCodes(
        category=dict(res.select("stateResCode", "category").iter_rows()),
        expulsion_services=dict(res.filter(pl.col("expulsionServices").is_not_null())
                                .select("stateResCode", "expulsionServices").iter_rows()),
        felony_codes=tuple(res.filter(pl.col("lawEnforcement") == "felony")["stateResCode"]),
        misdemeanor_codes=tuple(
            res.filter(pl.col("lawEnforcement") == "misdemeanor")["stateResCode"]),
        newer_kb_codes=_flag(res, "newerKbQualifying", "stateResCode"),
        bullying=dict(read_reference(folder, "kias_bullying_type").select("incidentType", "output")
                      .iter_rows()),
        weapon_output=dict(single.select("weaponCode", "output").iter_rows()),
        multiple_weapons=weapons.filter(pl.col("weaponCode") == "multiple")["output"].item(),
        referral=dict(read_reference(folder, "kias_law_enforcement_referral").select("code", "flag")
                      .iter_rows()),
        idea_methods=tuple(int(m) for m in
                           methods.filter(pl.col("population") == "IDEA")["method"]),
        non_idea_methods=tuple(int(m) for m in
                               methods.filter(pl.col("population") == "non-IDEA")["method"]),
        where_times={w: _flag(times, f"where{w}", "code") for w in (1, 2, 3)},
        on_property=tuple(places.filter(pl.col("property") == "on")["code"]),
        off_property=tuple(places.filter(pl.col("property") == "off")["code"]),
        injury_codes=_flag(read_reference(folder, "kias_injury"), "counts", "code"),
        complete_statuses=_flag(read_reference(folder, "kias_incident_status"), "complete", "code"),
        units_per_micro=per_micro,
    )


def res_code(expr: pl.Expr) -> pl.Expr:
    """A state resolution code as compared everywhere (§3.1): trimmed, digits zero-padded to
    three characters ('1' -> '001'), blank -> null."""
    text = expr.str.strip_chars()
    text = pl.when(text != "").then(text)
    return pl.when(text.str.contains(r"^\d{1,2}$")).then(text.str.zfill(3)).otherwise(text)


def code_text(expr: pl.Expr, width: int | None = None) -> pl.Expr:
    """Any other code (event, weapon, classifier, referral): trimmed, blank -> null; digits
    zero-padded to `width` when given ('1' -> '01' for a referral)."""
    text = expr.str.strip_chars()
    text = pl.when(text != "").then(text)
    if width is None:
        return text
    return pl.when(text.str.contains(rf"^\d{{1,{width - 1}}}$")).then(
        text.str.zfill(width)).otherwise(text)


def event_categories(tables: dict[str, pl.DataFrame], present: list[str] | None, *,
                     reference: pl.DataFrame) -> tuple[pl.DataFrame, str]:
    """The drug/weapon category of each state event code (A27) and where it came from.

    The snapshot's `EventCodeCategory` replaces the product's reference table (`reference`,
    Codes.event_code_category) when the snapshot
    holds that table (`present`, from the load record: an absent optional table exists empty,
    so emptiness alone cannot tell "absent" from "present with no codes"). Categories are
    compared in lower case; the first row of a duplicated code wins.
    """
    from_snapshot = present is not None and EVENT_CODE_TABLE in present
    raw = tables[EVENT_CODE_TABLE] if from_snapshot else reference
    frame = raw.select(
        code_text(pl.col("stateEventCode").cast(pl.String)).alias("stateEventCode"),
        pl.col("category").cast(pl.String).str.strip_chars().str.to_lowercase(),
    ).drop_nulls("stateEventCode").unique("stateEventCode", keep="first", maintain_order=True)
    return frame, ("snapshot" if from_snapshot else "reference")
