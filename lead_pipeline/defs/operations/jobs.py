"""The weekly refresh: one unpartitioned run over every asset (snapshot -> LEAD -> KIAS ->
publish), a district-wide pass, not one run per school. The one-school asset is left out."""

import dagster as dg

from lead_pipeline.defs.lead.assets import DETAIL
from lead_pipeline.defs.lead.school_refresh import SCHOOL_REFRESH
from lead_pipeline.defs.snapshot.assets import CANDIDATE

WEEKLY = "weekly_refresh"


def op_name(key: dg.AssetKey) -> str:
    """The op (and step) Dagster makes of the asset `key`, by which run config and the run's
    events name it: the key's path joined by "__" ("snapshot__candidate"), computed by the
    helper `@dg.asset` itself names its op with."""
    return key.to_python_identifier()


weekly_refresh = dg.define_asset_job(
    WEEKLY,
    selection=dg.AssetSelection.all() - dg.AssetSelection.assets(SCHOOL_REFRESH),
    description="Every school in one run: load the snapshot folder (run config "
    f"ops.{op_name(CANDIDATE)}.config.folder), promote it if it passes the blocking checks, "
    "build the LEAD and KIAS outputs, publish them whole and move `latest`.",
    tags={"lead/trigger": "weekly"},
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
