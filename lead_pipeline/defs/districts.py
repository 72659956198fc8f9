"""The district dimension of a multi-district deployment (lib/districts.py, docs/statewide.md).

With `LEAD_MULTI_DISTRICT=1` every asset of the weekly refresh (and every check on them) is
partitioned by district: one run refreshes one district, the UI shows each district's latest
build, failure and check results as that district's partition, and the run queue limits runs at
once and per district. Without it `DISTRICTS` is None and every definition is exactly the
single-district one. Read once, when the code location loads: the mode is a deployment's
configuration, not something a run chooses.

`LEAD_DISTRICT_K8S_CONFIG` names a file (deploy/k8s/district-run-k8s-config.yaml) whose YAML,
with `NNN` replaced by the district number, every district run carries as its
`dagster-k8s/config` tag: on Kubernetes, the pod of district NNN's run mounts NNN's own volume.
"""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import yaml

from lead_pipeline.lib.districts import DISTRICT_TAG, checked, multi_district
from lead_pipeline.lib.environment import SettingError, text

MULTI = multi_district()
DISTRICTS_NAME = "district"
DISTRICTS: dg.DynamicPartitionsDefinition | None = (
    dg.DynamicPartitionsDefinition(name=DISTRICTS_NAME) if MULTI else None)
"""Each district's number is a partition, added when its first snapshot folder is seen."""
K8S_CONFIG_ENV = "LEAD_DISTRICT_K8S_CONFIG"
K8S_TAG = "dagster-k8s/config"


def _k8s_template() -> str | None:
    """The district run's Kubernetes config with `NNN` for the district, or None."""
    where = text(K8S_CONFIG_ENV, "")
    if not where:
        return None
    try:
        template = Path(where).read_text(encoding="utf-8")
        if not isinstance(yaml.safe_load(template.replace("NNN", "000")), dict):
            raise ValueError("not a mapping")
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise SettingError(f"{K8S_CONFIG_ENV} is {where}: {type(exc).__name__}: {exc}") from None
    return template


K8S_TEMPLATE = _k8s_template() if MULTI else None


def district_tags(district: str) -> dict[str, str]:
    """The tags every run of `district` carries: `lead/district` (the run queue's per-district
    limit reads it) and, on Kubernetes, the pod config mounting the district's volume."""
    tags = {DISTRICT_TAG: checked(district)}
    if K8S_TEMPLATE is not None:
        config = yaml.safe_load(K8S_TEMPLATE.replace("NNN", district))
        tags[K8S_TAG] = json.dumps(config, separators=(",", ":"))
    return tags
