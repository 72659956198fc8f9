"""What every LEAD report reads besides the snapshot resource (defs/resources.py) and the
snapshot's tables (the asset `snapshot/tables`): the one "Date Time Generated" of the run."""

from datetime import datetime

import dagster as dg


def run_started(context: dg.AssetExecutionContext) -> datetime:
    """One "Date Time Generated" for every report of a run: the run's start, to the second."""
    stats = context.instance.get_run_stats(context.run.run_id)
    started = stats.start_time if stats and stats.start_time else datetime.now().timestamp()
    return datetime.fromtimestamp(started).replace(microsecond=0)
