"""The two runs an operator starts: the weekly refresh, one unpartitioned run over every asset
(snapshot -> LEAD -> KIAS -> publish), a district-wide pass that also records every school's
partition of `lead/school_workbook`, not one run per school; and the one-school refresh, an op
job that rebuilds one partition of that asset (the asset is a spec both runs report, so the
lineage's "Materialize all" holds only the weekly job's assets and starts that job). The
schedule, the sensor and the command line start these jobs."""

import dagster as dg

from lead_pipeline.defs.districts import DISTRICTS, MULTI, district_tags
from lead_pipeline.defs.lead.assets import DETAIL
from lead_pipeline.defs.lead.partitions import SCHOOL_WORKBOOK, SCHOOLS
from lead_pipeline.defs.lead.school_refresh import rebuild_school
from lead_pipeline.defs.operations.freshness import FRESHNESS_CHECK
from lead_pipeline.defs.operations.tags import ONE_SCHOOL as ONE_SCHOOL_RUN
from lead_pipeline.defs.operations.tags import RUN, SNAPSHOT, SNAPSHOT_DATE, TRIGGER
from lead_pipeline.defs.operations.tags import WEEKLY as WEEKLY_RUN
from lead_pipeline.defs.snapshot.assets import CANDIDATE
from lead_pipeline.lib.districts import split_school_key
from lead_pipeline.lib.snapshot.arrivals import Arrival

WEEKLY = "Weekly_refresh"
"""Capitalised on purpose: the UI's Materialize buttons (an asset page's, the lineage's
"Materialize all") launch the first job, by name, that holds every selected asset, and the
implicit `__ASSET_JOB` sorts before every lowercase name; so materialising the flow from the
lineage runs this job, with its tags, not `__ASSET_JOB`."""
ONE_SCHOOL = "One_school_refresh"


def op_name(key: dg.AssetKey) -> str:
    """The op (and step) Dagster makes of the asset `key`, by which run config and the run's
    events name it: the key's path joined by "__" ("snapshot__candidate"), computed by the
    helper `@dg.asset` itself names its op with."""
    return key.to_python_identifier()


weekly_refresh = dg.define_asset_job(
    WEEKLY,
    # every step (the school workbooks and the trend are specs this run reports, not steps);
    # the freshness check is Dagster's freshness sensor's to run (defs/operations/freshness.py)
    selection=dg.AssetSelection.all() - dg.AssetSelection.checks(FRESHNESS_CHECK),
    description="The weekly refresh, every school in one run: loads a snapshot folder (launch "
    "form: `folder` of snapshot/candidate; empty = the newest folder under the snapshots "
    "root, the one the schedule loads), checks "
    "it, builds the LEAD workbooks and the KIAS extract and publishes them together, moving "
    "`latest`; every school's workbook then shows as a partition of lead/school_workbook. "
    "The lineage's \"Materialize all\" starts this job.",
    tags={RUN: WEEKLY_RUN},
    # with many districts a launch for a district's partition carries its tags from the start
    config=dg.PartitionedConfig(
        partitions_def=DISTRICTS, run_config_for_partition_key_fn=lambda _: run_config(""),
        tags_for_partition_key_fn=district_tags) if DISTRICTS else None,
)

@dg.job(
    name=ONE_SCHOOL,
    description="One school rebuilt: pick its partition (state school number), set `folder` "
    "to the snapshot folder with the fixed records (empty = the current snapshot's folder); "
    "only that school's workbook in `latest` is replaced, and the school's partition of "
    "lead/school_workbook shows the build.",
    tags={RUN: ONE_SCHOOL_RUN},
    partitions_def=None if MULTI else SCHOOLS,
    # the launchpad opens with the one field filled in: the form, not an empty YAML editor
    config=dg.PartitionedConfig(
        partitions_def=SCHOOLS, run_config_for_partition_key_fn=lambda _: school_run_config(""),
        tags_for_partition_key_fn=lambda key: district_tags(
            str(split_school_key(key, multi=True)[0]))) if MULTI
    else {"ops": {op_name(SCHOOL_WORKBOOK): {"config": {"folder": ""}}}},
)
def one_school_refresh() -> None:
    rebuild_school()


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
    return {"ops": {op_name(SCHOOL_WORKBOOK): {"config": {"folder": folder}}}}


def run_request(arrival: Arrival, trigger: str, district: str | None = None,
                run_key: str | None = None) -> dg.RunRequest:
    """The weekly refresh of `arrival` (for `district`'s partition with many districts), tagged
    with what started it and which snapshot it loads; the schedule's requests too."""
    return dg.RunRequest(
        run_key=run_key, run_config=run_config(str(arrival.path)), partition_key=district,
        tags={TRIGGER: trigger, SNAPSHOT: str(arrival.path),
              SNAPSHOT_DATE: arrival.snapshot_date,
              **(district_tags(district) if district else {})})
