"""Run tags an operator reads in the runs list: which snapshot a run used, what started it and,
for a one-school run, which school. One definition for the schedule, the sensor, the command
line, the jobs and the assets that add what they learn while running.

`lead/trigger` is `schedule`, `sensor`, `ui` (launched from the UI's launchpad or asset graph)
or `command_line`; the one-school job adds `lead/run: one_school` and `lead/school`, the weekly
one `lead/run: weekly`. The snapshot tags are added by the step that reads the manifest, so a
run launched by hand carries them as well as a scheduled one. With many districts every run
also carries `lead/district`: the schedule and the sensor set it (the run queue holds one run
per district by it), and the first step adds it to a run launched by hand.
"""

from __future__ import annotations

import dagster as dg

from lead_pipeline.lib.districts import DISTRICT_TAG

TRIGGER, RUN, SCHOOL = "lead/trigger", "lead/run", "lead/school"
SNAPSHOT, SNAPSHOT_DATE = "lead/snapshot", "lead/snapshot_date"
SCHEDULE, SENSOR, UI, COMMAND_LINE = "schedule", "sensor", "ui", "command_line"
WEEKLY, ONE_SCHOOL = "weekly", "one_school"
DISTRICT = DISTRICT_TAG


def tag_run(context: dg.AssetExecutionContext | dg.OpExecutionContext, tags: dict[str, str],
            district: str | None = None) -> None:
    """Add `tags` to the running run (what the runs list shows), keeping a trigger the run was
    started with: a run launched from the UI has none, so it is marked `ui`; with many
    districts, the run's `district` too."""
    have = context.run.tags
    extra = {**({} if TRIGGER in have else {TRIGGER: UI}), **tags,
             **({DISTRICT: district} if district else {})}
    context.instance.add_run_tags(context.run.run_id, extra)
