"""Done-when of issue 4: in the real Dagster UI (GraphQL of `dagster dev`) every Q- rule's check
appears on its report with the right severity, its latest evaluation's finding count, and the
counts new / resolved / still open since the previous published refresh; the Issues sheet rows
equal the check findings.

Two refreshes run in-process against the same DAGSTER_HOME before the webserver starts (so
they are in its run history): `every_rule()` on 2026-11-21, then on 2026-11-28 with Q-C6
fixed (section 604 gets its core content) and a second Q-C2 (section 609) broken.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import polars as pl
import pytest

from lead_pipeline.lib.lead.rules import RULES, generic
from lead_pipeline.lib.paths import project_root
from lead_pipeline.refresh import run_refresh
from lead_pipeline_tests.builders import EVERY_RULE, every_rule, section
from lead_pipeline_tests.webserver import dagster_dev

QUERY = """
{
  assetNodes {
    assetKey { path }
    groupName
    assetChecksOrError {
      ... on AssetChecks {
        checks {
          name
          blocking
          description
          executionForLatestMaterialization {
            runId
            status
            evaluation {
              severity
              success
              description
              metadataEntries {
                label
                ... on IntMetadataEntry { intValue }
                ... on TextMetadataEntry { text }
                ... on MarkdownMetadataEntry { mdStr }
                ... on TableMetadataEntry { table { records } }
              }
            }
          }
        }
      }
    }
  }
}
"""

REPORT_ASSET = {"Classes": "lead/classes", "Staff": "lead/staff", "Caseload": "lead/caseload",
                "Schoolwide": "lead/schoolwide"}


def _ids(frame: pl.DataFrame) -> list[tuple]:
    """(School Number, Section ID, Person ID) of Issues rows read back from the sheet."""
    return [(school, None if section is None else int(section),
             None if person is None else int(person))
            for school, section, person in frame.select(
                "School Number", "Section ID", "Person ID").iter_rows()]


def _value(entry: dict) -> object:
    for field in ("intValue", "text", "mdStr"):
        if field in entry:
            return entry[field]
    if "table" in entry:
        return [json.loads(r) for r in entry["table"]["records"]]
    return None


NEW_IN_WEEK2 = {("Q-C2", 609), ("Q-C5", 609)}


def test_every_rule_is_a_check_in_the_ui_with_its_findings(tmp_path: Path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(project_root() / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    db, out = tmp_path / "w.duckdb", tmp_path / "out"

    first = run_refresh(every_rule().write(tmp_path / "week1"), database=db, output=out)
    assert first.success, first.problems
    week2 = every_rule()
    week2.manifest["snapshotDate"] = "2026-11-28"
    next(r for r in week2.rows["Section"] if r["sectionID"] == 604)["coreContent"] = "102"
    section(week2, 609, teacher=None)
    second = run_refresh(week2.write(tmp_path / "week2"), database=db, output=out)
    assert second.success, second.problems
    assert second.published is not None

    issues = pl.read_excel(second.published / "district/LEAD_District_165.xlsx",
                           sheet_name="Issues", engine="calamine")
    per_rule = {r.id: issues.filter(pl.col("Check") == r.id) for r in RULES}
    # the published Issues rows: every_rule()'s findings, minus Q-C6, plus Q-C2 on 609
    expected = {**EVERY_RULE, "Q-C6": [], "Q-C2": [*EVERY_RULE["Q-C2"], ("005", 609, None)],
                "Q-C5": [*EVERY_RULE["Q-C5"], ("005", 609, None)]}
    assert {k: _ids(frame) for k, frame in per_rule.items()} == expected

    monkeypatch.delenv("DAGSTER_HOME")
    with dagster_dev(home, env={"LEAD_DATABASE": str(db), "LEAD_OUTPUT_DIR": str(out)}) as ui:
        nodes = ui.graphql(QUERY)["assetNodes"]
    by_key = {"/".join(n["assetKey"]["path"]): n for n in nodes}
    assert by_key["lead/findings"]["groupName"] == "lead_pipeline"

    for rule in RULES:
        checks = {c["name"]: c for c in
                  by_key[REPORT_ASSET[rule.report]]["assetChecksOrError"]["checks"]}
        check = checks.get(rule.check_name)
        assert check is not None, f"{rule.id}: no check {rule.check_name} in the UI"
        assert check["blocking"] is False
        execution = check["executionForLatestMaterialization"]
        assert execution is not None, rule.id
        evaluation = execution["evaluation"]
        meta = {e["label"]: _value(e) for e in evaluation["metadataEntries"]}
        mine = per_rule[rule.id]
        assert evaluation["severity"] == ("ERROR" if rule.level == "error" else "WARN"), rule.id
        assert meta["findings"] == mine.height, rule.id
        assert evaluation["success"] is (mine.height == 0), rule.id
        assert meta["previous_refresh"] == "2026-11-21"
        # survives the UI's Markdown: no `<word` outside code spans (it would be an HTML tag)
        prose = re.sub(r"`[^`]*`", "", check["description"])
        assert not re.search(r"<[A-Za-z]", prose), check["description"]
        assert check["description"].startswith(f"{rule.id} ("), rule.id
        assert len(rule.check_name) <= 26, rule.check_name  # the check list shows ~26 chars
        if mine.height and rule.id != "Q-K2":
            # the first ids in the check are the Issues rows' ids, new ones first and marked
            columns = [c for c in ("School Number", "Section ID", "Person ID")
                       if mine[c].null_count() < mine.height]
            rows = [{**{c: row[c] for c in columns},
                     "new": "new" if (rule.id, row["Section ID"]) in NEW_IN_WEEK2 else ""}
                    for row in mine.iter_rows(named=True)]
            assert meta["first_findings"] == sorted(rows, key=lambda r: r["new"] != "new")
        if mine.height == 1:  # a single finding: the fix names its ids, as the Issues row
            assert meta["fix"] == mine["How to fix"][0], rule.id
            assert not re.search(r"\[[A-Z][A-Za-z ]+\]", meta["fix"]), rule.id  # no [Column]
        elif mine.height > 1:
            assert meta["fix"] == generic(rule.fix)
        changes = (meta["new"], meta["resolved"], meta["still_open"])
        if rule.id == "Q-K2":  # its one finding lists the students' Person IDs, ids only
            assert meta["student_person_ids"] == [{"Person ID": 4}]
            assert meta["students_without_case_manager"] == 1
            assert "Person IDs 4." in evaluation["description"]
        if rule.id == "Q-C10":
            assert "--section 600" in meta["fix"]
        changes = (meta["new"], meta["resolved"], meta["still_open"])
        if rule.id == "Q-C6":
            assert changes == (0, 1, 0)
        elif rule.id in ("Q-C2", "Q-C5"):
            assert changes == (1, 0, len(EVERY_RULE[rule.id]))
        else:
            assert changes == (0, 0, len(EVERY_RULE[rule.id])), rule.id


@pytest.fixture(autouse=True)
def _restore_env(monkeypatch):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
