"""The KIAS validation rules (kias.md §7) as Dagster asset checks on `kias/validation`.

Both are ERROR and non-blocking: like IC's Data Validation Report they list what to fix before
submitting, and the files (with the findings workbook) must still be published. The checks read
the same findings frame as the workbook, so the two cannot disagree. Metadata carries ids and
counts only (resolution, person, event), never a KIDS ID or a name.
"""

from collections.abc import Iterator

import dagster as dg
import polars as pl

from lead_pipeline.defs.kias.assets import VALIDATION
from lead_pipeline.lib import markdown
from lead_pipeline.lib.kias.validation import RULES, by_rule

FIRST_IDS = 10


def first_ids(found: pl.DataFrame) -> str:
    """A markdown table of the first findings' ids and methods (never a KIDS ID or a name)."""
    ids = ["Resolution ID", "Person ID", "Event ID", "Building ID"]
    rows = [(*row, method or "missing") for *row, method in found.head(FIRST_IDS).select(
        *ids, "Firearm Discipline Method").iter_rows()]
    return markdown.table([*ids, "Method"], rows)


@dg.multi_asset_check(
    specs=[dg.AssetCheckSpec(rule.check_name, asset=VALIDATION, blocking=False,
                             description=f"{rule.id}: {rule.title} (kias.md §7).",
                             metadata={"rule": rule.id})
           for rule in RULES],
    name="kias_validation_rules", can_subset=True,
    ins={"found": dg.AssetIn(VALIDATION)},
    description="kias.md §7: V1 and V2 over the KIAS findings.")
def kias_validation_rules(context: dg.AssetCheckExecutionContext,
                          found: pl.DataFrame) -> Iterator[dg.AssetCheckResult]:
    split = by_rule(found)
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
            metadata["first_ids"] = dg.MetadataValue.md(first_ids(mine))
        yield dg.AssetCheckResult(
            asset_key=VALIDATION, check_name=rule.check_name, passed=mine.height == 0,
            severity=dg.AssetCheckSeverity.ERROR, metadata=metadata,
            description=f"{rule.id}: {mine.height} resolution(s) with an invalid firearm "
            "discipline method")
