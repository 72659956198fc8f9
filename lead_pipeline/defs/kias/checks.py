"""The KIAS validation rules (docs/kias.md §7) as Dagster asset checks on `kias/validation`.

Both are ERROR and non-blocking: like IC's Data Validation Report they list what to fix before
submitting, and the files (with the findings workbook) must still be published. The checks read
the same findings frame as the workbook, so the two cannot disagree. Metadata carries ids and
counts only (resolution, person, event), never a KIDS ID or a name.
"""

from collections.abc import Iterator

import dagster as dg
import polars as pl

from lead_pipeline.defs.districts import DISTRICTS
from lead_pipeline.defs.kias.assets import VALIDATION
from lead_pipeline.defs.metadata import id_table
from lead_pipeline.lib.kias.validation import RULE_COLUMN, RULES
from lead_pipeline.lib.rules import by_rule

_METHOD = pl.col("Firearm Discipline Method")
FIRST_ID_COLUMNS = ["Resolution ID", "Person ID", "Event ID", "Building ID",
                    pl.when(_METHOD.is_null() | (_METHOD == "")).then(pl.lit("missing"))
                    .otherwise(_METHOD).alias("Method")]
"""What a check lists of its first findings: ids and the method (never a KIDS ID or a name)."""


@dg.multi_asset_check(
    specs=[dg.AssetCheckSpec(rule.check_name, asset=VALIDATION, blocking=False,
                             description=f"{rule.id}: {rule.title} (docs/kias.md §7).",
                             metadata={"rule": rule.id}, partitions_def=DISTRICTS)
           for rule in RULES],
    name="kias_validation_rules", can_subset=True,
    ins={"found": dg.AssetIn(VALIDATION)},
    description="docs/kias.md §7: V1 and V2 over the KIAS findings.")
def kias_validation_rules(context: dg.AssetCheckExecutionContext,
                          found: pl.DataFrame) -> Iterator[dg.AssetCheckResult]:
    split = by_rule(found, RULES, RULE_COLUMN)
    for rule in RULES:
        key = dg.AssetCheckKey(VALIDATION, rule.check_name)
        if key not in context.selected_asset_check_keys:
            continue
        mine = split[rule.id]
        metadata: dict[str, dg.MetadataValue] = {
            "findings": dg.MetadataValue.int(mine.height),
            "students": dg.MetadataValue.int(mine["Person ID"].n_unique()),
        }
        if mine.height:
            metadata["first_findings"] = id_table(mine, FIRST_ID_COLUMNS)
        yield dg.AssetCheckResult(
            asset_key=VALIDATION, check_name=rule.check_name, passed=mine.height == 0,
            severity=dg.AssetCheckSeverity.ERROR, metadata=metadata,
            description=f"{rule.id}: {mine.height} resolution(s) with an invalid firearm "
            "discipline method")
