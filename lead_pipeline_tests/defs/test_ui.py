"""The real Dagster UI serves the snapshot assets and their checks (GraphQL on 127.0.0.1)."""

from __future__ import annotations

from lead_pipeline_tests.webserver import dagster_dev

QUERY = """
{
  assetNodes {
    assetKey { path }
    groupName
    kinds
    assetChecksOrError {
      ... on AssetChecks { checks { name blocking } }
    }
  }
}
"""


def test_dagster_dev_serves_snapshot_assets_and_checks(tmp_path):
    with dagster_dev(tmp_path / "home", env={"LEAD_DATABASE": str(tmp_path / "w.duckdb")}) as ui:
        nodes = ui.graphql(QUERY)["assetNodes"]
    by_key = {"/".join(n["assetKey"]["path"]): n for n in nodes}
    assert {"snapshot/tables", "snapshot/candidate"} <= set(by_key)
    assert not any(k.startswith("snapshot/") and k[9].isupper() for k in by_key)  # one asset
    candidate = by_key["snapshot/candidate"]
    assert candidate["groupName"] == "lead_pipeline" and candidate["kinds"] == ["duckdb"]
    checks = {c["name"]: c["blocking"] for c in candidate["assetChecksOrError"]["checks"]}
    assert checks == {"manifest_valid": True, "tables_and_columns_present": True,
                      "files_are_utf8": True, "values_parse": True, "values_usable": True,
                      "keys_unique": True, "report_year_has_calendars": True,
                      "core_tables_complete": True,
                      # is a new snapshot arriving (defs/operations/freshness.py)
                      "freshness_check": False}
    roster = {c["name"]: c["blocking"]
              for c in by_key["snapshot/tables"]["assetChecksOrError"]["checks"]}
    assert roster == {"ids_present": False, "ids_resolve": False,
                      "end_not_before_start": False, "one_active_trial": False}
