"""On generated districts: every V1/V2 problem the generator planted (planted.json, one
resolutionID each) is found by its rule, and with every rate at zero no V1/V2 fires; the extract
has rows of every code category.

The snapshot is read through the real reader and warn-and-drop (what a refresh sees), then the
pure KIAS functions run on it with the refresh defaults.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import polars as pl
import pytest

from lead_pipeline.lib.codes import load_codes
from lead_pipeline.lib.generator import ProblemRates, generate
from lead_pipeline.lib.kias import columns, population, validation
from lead_pipeline.lib.kias.reference import event_categories, load_kias_codes
from lead_pipeline.lib.snapshot import store
from lead_pipeline.lib.snapshot.integrity import drop_invalid_rows
from lead_pipeline.lib.snapshot.reader import load_folder
from lead_pipeline.lib.snapshot.schema import TABLES

STUDENTS, SCHOOLS, SEED = 500, 2, 11


def kias_of(folder: Path) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, dict]:
    reference = load_codes()
    with duckdb.connect(str(folder / "test.duckdb")) as con:
        result = load_folder(con, folder, "s",
                             included_classifications=reference.included_classifications)
        assert not result.blocking, [f.line() for f in result.blocking]
        drop_invalid_rows(con, "s", result.present)
        tables = store.frames(con, [t.name for t in TABLES], schema="s")
    codes = load_kias_codes()
    categories, source = event_categories(tables, result.present,
                                          reference=reference.event_code_category)
    assert source == "snapshot"  # the generator writes its EventCodeCategory
    found = population.candidates(tables, codes, population.Params.for_year(2027), categories)
    planted = json.loads((folder / "planted.json").read_text())["planted"]
    return found, columns.extract(found, codes, keys=True), validation.findings(found, codes), \
        planted


def test_every_planted_V1_V2_is_found_and_only_those(tmp_path: Path):
    rates = ProblemRates.from_mapping({"V1": 0.4, "V2": 0.3})
    summary = generate(tmp_path / "g", STUDENTS, SEED, rates=rates, schools=SCHOOLS)
    _, rows, found, planted = kias_of(summary.out)
    for rule in ("V1", "V2"):
        want = sorted(p["resolutionID"] for p in planted[rule])
        assert want, f"the generator planted no {rule} at this rate"
        got = sorted(found.filter(pl.col("Rule") == rule)["Resolution ID"])
        assert got == want, rule
    assert rows.height > 0


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory
          ) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, dict]:
    """A district generated with every problem rate at zero, read and extracted once."""
    folder = tmp_path_factory.mktemp("clean") / "g"
    generate(folder, STUDENTS, SEED, rates=ProblemRates.zero(), schools=SCHOOLS)
    return kias_of(folder)


def test_no_V1_V2_with_every_rate_at_zero(clean):
    candidates, rows, found, planted = clean
    assert planted.get("V1", []) == [] and planted.get("V2", []) == []
    assert found.height == 0
    # weapon-involved resolutions exist, so the rules did have something to check
    assert candidates.filter(pl.col("weaponCodes").list.len() > 0).height > 0
    assert rows.height > 0 and rows.width == 3 + 42


def test_every_code_category_forms_rows(clean):
    """The generator puts every state code on some resolution, but not always on a complete
    incident (470 here only on a draft one), so only the categories are pinned."""
    _, rows, _, _ = clean
    assert set(rows["stateResCode"]) >= {"001", "450", "510", "520", "550", "555", "560", "565",
                                         "710", "730", "750", "770"}


@pytest.mark.parametrize(("column", "domain"), [
    ("Bullying Type", {"", "1", "2", "3", "4"}), ("Weapon Code", {"", "1", "2", "3", "4"}),
    ("KSSSA Where", {"", "1", "2", "3"}),
    ("Discipline Method for IDEA Student", {"", "1", "2", "3", "4", "5"}),
    ("Discipline Method for Non-IDEA Student", {"", *map(str, range(6, 13))})])
def test_generated_values_are_in_their_domains(clean, column: str, domain: set[str]):
    _, rows, _, _ = clean
    assert set(rows[column]) <= domain
