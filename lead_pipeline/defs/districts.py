"""The district dimension of a multi-district deployment (lib/districts.py, docs/statewide.md).

With `LEAD_MULTI_DISTRICT=1` every asset of the weekly refresh (and every check on them) is
partitioned by district: one run refreshes one district, the UI shows each district's latest
build, failure and check results as that district's partition, and the run queue limits runs at
once and per district. Without it `DISTRICTS` is None and every definition is exactly the
single-district one. Read once, when the code location loads: the mode is a deployment's
configuration, not something a run chooses.
"""

from __future__ import annotations

import dagster as dg

from lead_pipeline.lib.districts import multi_district

MULTI = multi_district()
DISTRICTS_NAME = "district"
DISTRICTS: dg.DynamicPartitionsDefinition | None = (
    dg.DynamicPartitionsDefinition(name=DISTRICTS_NAME) if MULTI else None)
"""Each district's number is a partition, added when its first snapshot folder is seen."""
