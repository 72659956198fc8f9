"""The two runs an operator starts: the weekly refresh, one unpartitioned run over every asset
(snapshot -> LEAD -> KIAS -> publish), a district-wide pass, not one run per school; and the
one-school refresh, a partition of the one asset the weekly refresh leaves out. The schedule,
the sensor and the command line all start these jobs."""

import dagster as dg

from lead_pipeline.defs.lead.assets import DETAIL
from lead_pipeline.defs.lead.school_refresh import SCHOOL_REFRESH
from lead_pipeline.defs.operations.freshness import FRESHNESS_CHECK
from lead_pipeline.defs.snapshot.assets import CANDIDATE

WEEKLY = "weekly_refresh"
ONE_SCHOOL = "one_school_refresh"


def op_name(key: dg.AssetKey) -> str:
    """The op (and step) Dagster makes of the asset `key`, by which run config and the run's
    events name it: the key's path joined by "__" ("snapshot__candidate"), computed by the
    helper `@dg.asset` itself names its op with."""
    return key.to_python_identifier()


weekly_refresh = dg.define_asset_job(
    WEEKLY,
    # the freshness check is Dagster's freshness sensor's to run (defs/operations/freshness.py)
    selection=dg.AssetSelection.all() - dg.AssetSelection.assets(SCHOOL_REFRESH)
    - dg.AssetSelection.checks(FRESHNESS_CHECK),
    description="Every school in one run: load the snapshot folder (run config "
    f"ops.{op_name(CANDIDATE)}.config.folder), promote it if it passes the blocking checks, "
    "build the LEAD and KIAS outputs, publish them whole and move `latest`.",
    tags={"lead/trigger": "weekly"},
)

one_school_refresh = dg.define_asset_job(
    ONE_SCHOOL,
    selection=dg.AssetSelection.assets(SCHOOL_REFRESH),  # partitioned by its asset's SCHOOLS
    description="One school (the partition, its state school number) rebuilt from the snapshot "
    f"folder of the run config (ops.{op_name(SCHOOL_REFRESH)}.config.folder; default: the "
    "current snapshot's) into the published `latest`.",
)


def run_config(folder: str, *, sections: list[int] | None = None,
               accept_smaller: bool = False) -> dict[str, object]:
    """The weekly refresh's run config, the one definition the schedule, the sensor and the
    command line use: the snapshot folder, Detail sections, and whether a shrunken core table
    is accepted for this one refresh."""
    ops: dict[str, object] = {op_name(CANDIDATE): {"config": {
        "folder": folder, "accept_smaller": accept_smaller}}}
    if sections:
        ops[op_name(DETAIL)] = {"config": {"section_ids": list(sections)}}
    return {"ops": ops}


def school_run_config(folder: str) -> dict[str, object]:
    """The one-school refresh's run config: the snapshot folder holding the fixed records."""
    return {"ops": {op_name(SCHOOL_REFRESH): {"config": {"folder": folder}}}}
