"""The KIAS data-validation rules (docs/kias.md §7): a firearm discipline method that does not fit
the student's IDEA status, on every resolution of a student involved with a weapon.

Population (docs/kias.md "Product decisions beyond the register"): the candidates of
`population.candidates`, i.e. students who pass the incident and enrollment filters, with every one
of their resolutions on the event (also those without a state code), on an event where the student
has a weapon code 100-500 (WEAPON_INVOLVED). One finding per (rule, resolutionID); a null or
unreadable method is invalid.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from lead_pipeline.lib.kias.columns import building_id
from lead_pipeline.lib.kias.reference import KiasCodes
from lead_pipeline.lib.rules import Rule, by_id


@dataclass(frozen=True)
class ValidationRule(Rule):
    """One KIAS validation rule: beside the id and the property that should hold (lib/rules.py),
    its title (the state's report name), the population it checks and how a message names it."""

    title: str
    idea: bool
    """The population: IDEA students (V1) or non-IDEA students (V2)."""
    who: str

    def allowed(self, codes: KiasCodes) -> tuple[int, ...]:
        return codes.idea_methods if self.idea else codes.non_idea_methods


RULES: tuple[ValidationRule, ...] = (
    ValidationRule(
        "V1", "idea_firearm_method",
        "Special Education Students with Invalid Discipline Method on Behavior Resolution",
        True, "IDEA student (IEP or special education state reporting record on the "
        "incident date)"),
    ValidationRule(
        "V2", "non_idea_firearm_method",
        "Non-Special Education Students with Invalid Discipline Method on Behavior "
        "Resolution", False, "Non-IDEA student"),
)
RULE_BY_ID = by_id(RULES)
RULE_COLUMN = "Rule"
"""The Findings column holding a finding's rule id (what `lib.rules.by_rule` splits on)."""

FINDING_COLUMNS = ("Rule", "Building ID", "KIDS ID", "Person ID", "Incident Date", "Incident ID",
                   "Event ID", "Resolution ID", "State Resolution Code", "Weapon Codes",
                   "Firearm Discipline Method", "Message")
"""The `Findings` sheet of KIAS_Validation_<district>.xlsx (docs/outputs.md)."""


def _findings_of_rule(weapon: pl.DataFrame, rule: ValidationRule, codes: KiasCodes
                      ) -> pl.DataFrame:
    allowed = rule.allowed(codes)
    listed = ", ".join(str(m) for m in allowed)
    method = pl.col("method")
    problem = (pl.when(pl.col("altPlacement").is_null())
               .then(pl.lit("Firearm Discipline Method is missing"))
               .otherwise(pl.format("Firearm Discipline Method {} is not valid",
                                    pl.col("altPlacement"))))
    return (weapon
            .filter(pl.col("idea") == rule.idea, method.is_null() | ~method.is_in(allowed))
            .select(
                pl.lit(rule.id).alias("Rule"),
                building_id(pl.col("schoolNumber")).alias("Building ID"),
                pl.col("stateID").fill_null("").alias("KIDS ID"),
                pl.col("personID").alias("Person ID"),
                pl.col("d").alias("Incident Date"),
                pl.col("incidentID").alias("Incident ID"),
                pl.col("eventID").alias("Event ID"),
                pl.col("resolutionID").alias("Resolution ID"),
                pl.col("stateResCode").fill_null("").alias("State Resolution Code"),
                pl.col("weaponCodes").list.join(", ").alias("Weapon Codes"),
                pl.col("altPlacement").fill_null("").alias("Firearm Discipline Method"),
                pl.format("{} on a weapon event (weapon codes {}): {}; set it to one of {} on "
                          "this behavior resolution.", pl.lit(rule.who),
                          pl.col("weaponCodes").list.join(", "), problem,
                          pl.lit(listed)).alias("Message")))


def findings(candidates: pl.DataFrame, codes: KiasCodes) -> pl.DataFrame:
    """Every V1 and V2 finding, sorted by rule, Building ID, KIDS ID, date, event, resolution."""
    weapon = candidates.filter(pl.col("weaponCodes").list.len() > 0)
    found = pl.concat([_findings_of_rule(weapon, rule, codes) for rule in RULES])
    return found.sort("Rule", "Building ID", "KIDS ID", "Incident Date", "Event ID",
                      "Resolution ID")

