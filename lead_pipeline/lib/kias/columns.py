"""The KIAS extract rows: grouping (A1, §2.3) and the 42 columns in seed order (§4).

A row is one (student, event, state resolution code) group of qualifying candidate
resolutions. `COLUMNS` lists the columns as (name, expression) over the group frame of
`groups`, so the order and the logic of each column sit side by side and read like §4.
Every value is text, exactly as written to the CSV: blank is the empty string (A13).
"""

from __future__ import annotations

import polars as pl

from lead_pipeline.lib.kias.days import fmt2, group_units
from lead_pipeline.lib.kias.reference import KiasCodes

GROUP_KEY = ("personID", "eventID", "stateResCode")
SORT_KEY = ("_building", "_kids", "d", "eventID", "stateResCode")
"""A38: Building ID, KIDS ID, incident date, eventID, state code (the seed gives no order)."""

_EVENT_FACTS = ("incidentID", "d", "schoolNumber", "stateID", "incidentType", "bullying",
                "drug", "weapon", "injury", "violence", "context", "location", "weaponCodes",
                "idea", "foster", "felonyOnEvent")


def groups(candidates: pl.DataFrame, codes: KiasCodes) -> pl.DataFrame:
    """One row per group G of qualifying resolutions (A1): GDAYS summed exactly (A12), the law
    enforcement referrals and arrest as "any" (A41), the firearm discipline method the first
    non-null by resolutionID (A41); the student/event facts are the same on every member."""
    flags = {v: k for k, v in codes.referral.items()}
    referral = pl.col("lawEnforcement")
    return (candidates.filter(pl.col("qualifies")).sort("resolutionID")
            .group_by(*GROUP_KEY, maintain_order=True)
            .agg(group_units(pl.col("dayUnits")).alias("units"),
                 (referral == flags["felony"]).any().alias("refFelony"),
                 (referral == flags["misdemeanor"]).any().alias("refMisdemeanor"),
                 (referral == flags["weapons"]).any().alias("refWeapons"),
                 pl.col("arrest").any(),
                 pl.col("method").drop_nulls().first().alias("method"),
                 pl.col("altPlacement").drop_nulls().first().alias("altPlacement"),
                 pl.col("resolutionID").min().alias("firstResolutionID"),
                 pl.len().alias("resolutions"),
                 *(pl.col(c).first() for c in _EVENT_FACTS)))


def building_id(school_number: pl.Expr) -> pl.Expr:
    """Col 1: the state school number as stored, digits left-padded to 4 ("005" -> "0005")."""
    number = school_number.str.strip_chars()
    return pl.when(number.str.contains(r"^\d{1,3}$")).then(number.str.zfill(4)).otherwise(number)


def _yn(condition: pl.Expr) -> pl.Expr:
    return pl.when(condition).then(pl.lit("Y")).otherwise(pl.lit("N"))


def _idea_yn(condition: pl.Expr) -> pl.Expr:
    """YNB of the IDEA columns: blank for a non-IDEA student, else Y/N."""
    return pl.when(pl.col("idea")).then(_yn(condition))


def _days_if(condition: pl.Expr) -> pl.Expr:
    return pl.when(condition).then(fmt2(pl.col("units")))


def column_exprs(codes: KiasCodes) -> list[tuple[str, pl.Expr]]:
    """The 42 columns of §4, in order, as (seed column name, expression)."""
    code = pl.col("stateResCode")
    iss = code.is_in(codes.codes_of("ISS"))
    oss = code.is_in(codes.codes_of("OSS"))
    exp = code.is_in(codes.codes_of("EXP"))
    rsp = code.is_in(codes.codes_of("RSP"))
    le = code.is_in(codes.codes_of("LE"))
    exp_svc = code.is_in(sorted(c for c, s in codes.expulsion_services.items() if s == "Y"))
    exp_nosvc = code.is_in(sorted(c for c, s in codes.expulsion_services.items() if s == "N"))
    bully, idea = pl.col("bullying"), pl.col("idea")
    drug, weap, inj = pl.col("drug"), pl.col("weapon"), pl.col("injury")
    other = ~drug & ~weap & ~inj  # A25
    n_weapons = pl.col("weaponCodes").list.len()
    felony = pl.col("refFelony") | code.is_in(list(codes.felony_codes))
    misdemeanor = pl.col("refMisdemeanor") | code.is_in(list(codes.misdemeanor_codes))
    weapons = (pl.col("refWeapons") & (n_weapons > 0)) | le  # A17
    t, place = pl.col("context"), pl.col("location")
    on_site = place.is_in(list(codes.on_property))
    where = (pl.when(t.is_in(list(codes.where_times[1])) & on_site).then(pl.lit("1"))
             .when(t.is_in(list(codes.where_times[2])) & on_site).then(pl.lit("2"))
             .when(t.is_in(list(codes.where_times[3])) & place.is_in(list(codes.off_property)))
             .then(pl.lit("3")))
    method = pl.col("method")
    violence, fel_se = pl.col("violence"), pl.col("felonyOnEvent")
    return [
        ("Building ID", building_id(pl.col("schoolNumber"))),
        ("KIDS ID", pl.col("stateID")),  # A45: blank when missing, row kept
        ("Incident Date", pl.col("d").dt.strftime("%m/%d/%Y")),
        ("Bullying Type", pl.col("incidentType").replace_strict(
            codes.bullying, default=None, return_dtype=pl.String)),
        ("Bullying Days of ISS", _days_if(bully & iss)),
        ("Bullying Days of OSS", _days_if(bully & oss)),
        ("Bullying Days of Expulsion", _days_if(bully & exp)),
        ("Educational Services during Expulsion",  # A30, A40: any student
         pl.when(bully & exp_svc).then(pl.lit("Y")).when(bully & exp_nosvc).then(pl.lit("N"))),
        ("Bullying Days of Other", _days_if(bully & ~iss & ~oss & ~exp)),  # A39
        ("KSSSA Reported Felony", _yn(felony)),
        ("KSSSA Reported Misdemeanor", _yn(misdemeanor)),
        ("KSSSA Reported Weapons", _yn(weapons)),
        ("KSSSA Where", pl.when(felony | misdemeanor | weapons).then(where)),  # A15, A15b, A16
        ("Weapon Arrest Made", _yn(pl.col("arrest"))),  # A19
        ("Weapon Code", pl.when(n_weapons >= 2).then(pl.lit(codes.multiple_weapons))
         .when(n_weapons == 1).then(pl.col("weaponCodes").list.first().replace_strict(
             codes.weapon_output, default=None, return_dtype=pl.String))),  # A20
        ("Discipline Method for IDEA Student",
         pl.when(idea & method.is_in(list(codes.idea_methods))).then(method.cast(pl.String))),
        ("Discipline Method for Non-IDEA Student",  # A35
         pl.when(~idea & method.is_in(list(codes.non_idea_methods)))
         .then(method.cast(pl.String))),
        ("IDEA Days of ISS", _days_if(idea & iss)),  # A23
        ("IDEA ISS Drugs", _idea_yn(iss & drug)),
        ("IDEA ISS Weapons", _idea_yn(iss & weap)),
        ("IDEA ISS Injury", _idea_yn(iss & inj)),
        ("IDEA ISS Other", _idea_yn(iss & other)),
        ("IDEA Days of OSS", _days_if(idea & oss)),
        ("IDEA OSS Drugs", _idea_yn(oss & drug)),
        ("IDEA OSS Weapons", _idea_yn(oss & weap)),
        ("IDEA OSS Injury", _idea_yn(oss & inj)),
        ("IDEA OSS Other", _idea_yn(oss & other)),
        ("IDEA Days of Expulsion", _days_if(idea & exp)),
        ("IDEA Expulsion Drugs", _idea_yn(exp & drug)),
        ("IDEA Expulsion Weapons", _idea_yn(exp & weap)),
        ("IDEA Expulsion Injury", _idea_yn(exp & inj)),
        ("IDEA Expulsion Other", _idea_yn(exp & other)),  # A26
        ("IDEA Services During Expulsion",  # A29
         pl.when(idea & exp_svc).then(pl.lit("Y")).when(idea & exp_nosvc).then(pl.lit("N"))),
        ("IDEA Days of Removal SP", _days_if(idea & rsp)),  # A24
        ("IDEA Removal SP Drugs", _idea_yn(rsp & drug)),
        ("IDEA Removal SP Weapons", _idea_yn(rsp & weap)),
        ("IDEA Removal SP Injury", _idea_yn(rsp & inj)),
        ("Foster Days of ISS", _days_if(pl.col("foster") & iss)),  # A37
        ("Foster Days of OSS", _days_if(pl.col("foster") & oss)),
        ("Foster Days of Expulsion", _days_if(pl.col("foster") & exp)),
        ("Educational Services During Violence Related Expulsion",  # A31
         pl.when(~(violence | fel_se) | ~exp).then(None)
         .when((exp_svc & violence) | fel_se).then(pl.lit("Y")).otherwise(pl.lit("N"))),
        ("Educational Services During Expulsion",  # A30
         pl.when(idea | bully | ~exp).then(None)
         .when(exp_svc).then(pl.lit("Y")).when(exp_nosvc).then(pl.lit("N"))),
    ]


COLUMN_COUNT = 42


def column_names(codes: KiasCodes) -> list[str]:
    return [name for name, _ in column_exprs(codes)]


def with_seed_names(rows: pl.DataFrame, codes: KiasCodes) -> pl.DataFrame:
    """The extract's header back after a round trip through DuckDB, whose column names are
    case-insensitive: cols 8 and 42 differ only in case (A30), so the stored table calls the
    second `..._1`. Columns keep their order, so the names are restored by position."""
    names = column_names(codes)
    if rows.width != len(names):
        raise ValueError(f"the KIAS extract has {rows.width} columns, not {len(names)}")
    return rows.rename(dict(zip(rows.columns, names, strict=True)))


def extract(candidates: pl.DataFrame, codes: KiasCodes, *, keys: bool = False) -> pl.DataFrame:
    """The state file's rows: the 42 columns as text, blank = "", sorted per A38. With `keys`,
    the group key (personID, eventID, stateResCode) comes first, for review and tests."""
    columns = column_exprs(codes)
    assert len(columns) == COLUMN_COUNT
    g = groups(candidates, codes)
    building = columns[0][1]
    keyed = g.with_columns(building.alias("_building"),
                           pl.col("stateID").fill_null("").alias("_kids"))
    return keyed.sort(*SORT_KEY).select(
        *(GROUP_KEY if keys else ()),
        *(expr.cast(pl.String).fill_null("").alias(name) for name, expr in columns))
