"""Done-when of issue 4: on a generated district every problem the generator planted (its
`planted.json`) is found by its rule, through a whole refresh; with every rate at zero no
error-level rule fires.

The generator records each planted problem at its rule's finding grain (sectionID for Q-C*,
personID and schoolNumber for Q-S*/Q-I2, section and teacher for Q-I1, case manager for
Q-K1/Q-K3, school for Q-W1), except Q-K2: there it records the *students* left without a case
manager, while the finding is the Caseload row with a blank Person ID (lead.md §5, "per case
manager"). So a Q-K2 student is found when that row is a finding and the student is counted in
it (a disability in section on their attribute row and no case manager).
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import polars as pl

from lead_pipeline.lib.generator import ProblemRates, generate
from lead_pipeline.lib.generator.rates import LEAD_RULES
from lead_pipeline.lib.lead import staging as st
from lead_pipeline.lib.lead.rules import RULE_BY_ID, RULES
from lead_pipeline.refresh import RefreshOutcome, run_refresh

STUDENTS, SCHOOLS, SEED = 600, 3, 7
_ID_COLUMN = {"sectionID": "Section ID", "personID": "Person ID",
              "schoolNumber": "School Number"}



def refreshed(tmp_path: Path, rates: ProblemRates) -> tuple[RefreshOutcome, pl.DataFrame,
                                                            pl.DataFrame, dict]:
    """Generate, refresh, and return the outcome, the findings (lead.findings: the Issues
    rows), the counted students, and planted.json."""
    summary = generate(tmp_path / "snapshot", STUDENTS, SEED, rates=rates, schools=SCHOOLS)
    outcome = run_refresh(summary.out, database=tmp_path / "w.duckdb", output=tmp_path / "out")
    assert outcome.success, outcome.problems
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as con:
        found = con.execute("SELECT * FROM lead.findings").pl()
        students = con.execute("SELECT * FROM lead.stg_section_students").pl()
    planted = json.loads(summary.planted_path.read_text())["planted"]
    return outcome, found, students, planted


def missing(found: pl.DataFrame, rule: str, items: list[dict]) -> list[dict]:
    """The planted items of `rule` that no finding of that rule carries (by every id given)."""
    mine = found.filter(pl.col("Check") == rule)
    gone = []
    for item in items:
        match = pl.all_horizontal(pl.lit(True), *(pl.col(_ID_COLUMN[k]) == v
                                                   for k, v in item.items()))
        if mine.filter(match).height == 0:
            gone.append(item)
    return gone


def without_case_manager(students: pl.DataFrame) -> set[int]:
    """Students counted on the Caseload row with a blank Person ID (lead.md §4)."""
    rows = st.attribute_rows(students.filter(pl.col("stateID").is_not_null()), ["personID"])
    return set(rows.filter(pl.col("caseManagerPersonID").is_null(),
                           pl.col("disabilityInSection").is_not_null())["personID"])


def test_every_planted_problem_is_found_by_its_rule(tmp_path: Path):
    rates = ProblemRates.from_mapping(dict.fromkeys(LEAD_RULES, 0.1))
    outcome, found, students, planted = refreshed(tmp_path, rates)
    assert {r.id for r in RULES} == set(LEAD_RULES)
    for rule in RULES:
        assert planted[rule.id], f"{rule.id}: the generator planted nothing; pick another seed"
    problems = {rule.id: missing(found, rule.id, planted[rule.id])
                for rule in RULES if rule.id != "Q-K2"}
    assert {k: v for k, v in problems.items() if v} == {}
    # Q-K2: one finding, the blank row, and every planted student is counted in it
    assert found.filter(pl.col("Check") == "Q-K2").select(
        "School Number", "Section ID", "Person ID").rows() == [(None, None, None)]
    planted_k2 = {item["personID"] for item in planted["Q-K2"]}
    assert planted_k2 <= without_case_manager(students)
    # the checks saw the same findings as the Issues rows
    per_check = {c.name: c.findings for c in outcome.checks if c.asset.startswith("lead/")}
    counts = dict(found.group_by("Check").len().iter_rows())
    assert per_check == {r.check_name: counts.get(r.id, 0) for r in RULES}


def test_with_every_rate_at_zero_no_error_rule_fires(tmp_path: Path):
    outcome, found, _, planted = refreshed(tmp_path, ProblemRates.zero())
    assert all(not items for items in planted.values())
    errors = found.filter(pl.col("Level") == "Error")
    assert errors.height == 0, errors.select("Check", "School Number", "Section ID",
                                             "Person ID").rows()[:10]
    for check in outcome.checks:
        rule = next((r for r in RULES if r.check_name == check.name), None)
        if rule is not None and RULE_BY_ID[rule.id].level == "error":
            assert check.passed and check.severity == "ERROR", check
