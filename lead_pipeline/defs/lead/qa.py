"""Quality rules (docs/lead.md §5) in Dagster: all the findings of a refresh as `lead/findings`
(the Issues rows), one check per rule on the report it reads, and their history.

Thin wiring around lib/lead/flow.py and lib/lead/history.py: `lead/findings` runs the flow's
findings step once per refresh and the checks read the stored rows (as the KIAS checks read
`kias/validation`), so the Issues sheet and the checks cannot disagree. Every check
is non-blocking (an `error` rule is an ERROR, a `review` rule a WARN): the workbooks must still
be published, since they are how a school sees its problems. Metadata carries ids and counts,
never names.
"""

from collections.abc import Iterator, Sequence

import dagster as dg
import polars as pl

from lead_pipeline.defs.districts import DISTRICTS
from lead_pipeline.defs.group import GROUP
from lead_pipeline.defs.lead.assets import (
    CASELOAD,
    CLASSES,
    SCHOOLWIDE,
    STAFF,
    STG_SECTION_STUDENTS,
)
from lead_pipeline.defs.metadata import id_table
from lead_pipeline.defs.resources import SnapshotResource
from lead_pipeline.defs.snapshot.assets import TABLES_KEY
from lead_pipeline.lib.lead import flow, history
from lead_pipeline.lib.lead.reports import CASELOAD_STUDENT_COLUMNS, without_case_manager
from lead_pipeline.lib.lead.rules import (
    IDENTITY,
    RULE_COLUMN,
    RULES,
    STUDENT_COLUMNS,
    QualityRule,
    generic,
)
from lead_pipeline.lib.rules import by_rule

FINDINGS = dg.AssetKey(["lead", "findings"])
REPORT_KEYS: dict[str, dg.AssetKey] = {
    "Classes": CLASSES, "Staff": STAFF, "Caseload": CASELOAD, "Schoolwide": SCHOOLWIDE}
_INS = {"classes": dg.AssetIn(CLASSES), "staff": dg.AssetIn(STAFF),
        "caseload": dg.AssetIn(CASELOAD), "schoolwide": dg.AssetIn(SCHOOLWIDE),
        "students": dg.AssetIn(STG_SECTION_STUDENTS,
                               metadata={"columns": list(STUDENT_COLUMNS)})}
_EMPLOYMENT = ["Employment", "District"]
"""The snapshot tables the findings step reads (Q-I1: who is employed in the school year)."""
FIRST_ID_COLUMNS = ["School Number", "Section ID", "Person ID"]
"""What a check lists of its first findings: ids only, never names."""


def marked_new(found: pl.DataFrame, before: pl.DataFrame | None) -> pl.DataFrame:
    """`found` with a column `new` ("new" or blank: not in the previous publication), the new
    ones first, then in the Issues order; what a check lists of its first findings."""
    if before is None:
        return found.with_columns(pl.lit("").alias("new"))
    old = before.select(IDENTITY).unique().with_columns(pl.lit(False).alias("_old"))
    return (found.join(old, on=IDENTITY, how="left", nulls_equal=True, maintain_order="left")
            .with_columns(pl.when(pl.col("_old").is_null()).then(pl.lit("new"))
                          .otherwise(pl.lit("")).alias("new"))
            .drop("_old")
            .sort(pl.col("new") == "", maintain_order=True))


def fix_text(rule: QualityRule, found: pl.DataFrame) -> str:
    """The fix a check shows: for a single finding the Issues row's own (its ids filled in),
    otherwise the rule's with `[Column]` where each row has its value."""
    if found.height == 1:
        return str(found["How to fix"][0])
    return generic(rule.fix)


def check_metadata(rule: QualityRule, found: pl.DataFrame,
                   previous: history.PublishedRefresh | None, before: pl.DataFrame | None,
                   counts: dict[str, dict[str, int]],
                   students: pl.Series | None = None) -> dict[str, dg.MetadataValue]:
    meta: dict[str, dg.MetadataValue] = {
        "findings": dg.MetadataValue.int(found.height),
        "level": dg.MetadataValue.text(rule.level),
        "report": dg.MetadataValue.text(rule.report),
        "fix": dg.MetadataValue.text(fix_text(rule, found)),
        "previous_refresh": dg.MetadataValue.text(
            previous.snapshot_date.isoformat() if previous else "none"),
    }
    shown = marked_new(found, before)
    columns = [c for c in FIRST_ID_COLUMNS if shown[c].null_count() < shown.height]
    if columns:  # Q-K2's one finding has no ids: its students are listed instead
        meta["first_findings"] = id_table(
            shown, [*columns, "new"] if before is not None else columns)
    if students is not None and students.len():
        meta["students_without_case_manager"] = dg.MetadataValue.int(students.len())
        meta["student_person_ids"] = id_table(students.to_frame("Person ID"), ["Person ID"],
                                              n=FIRST_STUDENTS)
    if previous is not None:
        mine = counts.get(rule.id, {})
        for name in ("new", "resolved", "still_open"):
            meta[name] = dg.MetadataValue.int(int(mine.get(name, 0)))
    return meta


FIRST_STUDENTS = 50
"""How many Person IDs Q-K2's check lists (its one finding stands for them all)."""
Q_K2 = "Q-K2"


def result_description(rule: QualityRule, found: pl.DataFrame, new: int | None,
                       students: pl.Series | None) -> str:
    """The one line under a check's result: how many, how many new, and what to do (Q-K2:
    with the students' Person IDs)."""
    if not found.height:
        return f"{rule.id}: no findings"
    head = f"{rule.id}: {found.height} finding(s)" + ("" if new is None else f", {new} new")
    if students is not None and students.len():
        ids = ", ".join(str(i) for i in students.head(10).to_list())
        more = f" and {students.len() - 10} more" if students.len() > 10 else ""
        return (f"{head}: {students.len()} student(s) with a disability and no case manager, "
                f"Person IDs {ids}{more}. Fix: {generic(rule.fix)}")
    return f"{head}. Fix: {fix_text(rule, found)}"


@dg.asset(partitions_def=DISTRICTS,
          key=FINDINGS, group_name=GROUP, kinds={"polars", "duckdb"}, ins=_INS,
          deps=[TABLES_KEY],
          description="Every finding of the Q- rules (docs/lead.md §5) on this refresh, one row "
          "per finding with the Issues sheet columns (docs/outputs.md); the same rows as the "
          "checks.")
def findings(context: dg.AssetExecutionContext, snapshot: SnapshotResource,
             classes: pl.DataFrame, staff: pl.DataFrame, caseload: pl.DataFrame,
             schoolwide: pl.DataFrame, students: pl.DataFrame) -> pl.DataFrame:
    found = flow.findings(snapshot.frames(_EMPLOYMENT), snapshot.header(), snapshot.codes(),
                          classes, staff, caseload, schoolwide, students)
    levels = dict(found.group_by("Level").len().iter_rows())
    context.add_output_metadata({
        "findings": dg.MetadataValue.int(found.height),
        "errors": dg.MetadataValue.int(int(levels.get("Error", 0))),
        "reviews": dg.MetadataValue.int(int(levels.get("Review", 0))),
    })
    return found


def build_quality_checks(rules: Sequence[QualityRule] = RULES) -> dg.AssetChecksDefinition:
    """The one factory: every rule becomes a non-blocking check `<id>_<property>` on its
    report, evaluated together in one step over the stored `lead/findings` (the rules run
    once per refresh, in that asset)."""
    specs = [
        dg.AssetCheckSpec(
            rule.check_name, asset=REPORT_KEYS[rule.report], blocking=False,
            description=f"{rule.id} ({rule.level}, {rule.report}): {rule.description}. "
            f"Fix: {generic(rule.fix)}",
            metadata={"rule": rule.id, "level": rule.level}, partitions_def=DISTRICTS,
            # Q-K2 lists its students (ids) from the counted students
            additional_deps=[FINDINGS, *([STG_SECTION_STUDENTS] if rule.id == Q_K2 else [])])
        for rule in rules
    ]
    ids = [rule.id for rule in rules]

    @dg.multi_asset_check(specs=specs, name="lead_quality_rules", can_subset=True,
                          ins={"stored": dg.AssetIn(FINDINGS),
                               "students": dg.AssetIn(STG_SECTION_STUDENTS)},
                          description="docs/lead.md §5: the Q- rules over the LEAD reports.")
    def lead_quality_rules(context: dg.AssetCheckExecutionContext, snapshot: SnapshotResource,
                           stored: pl.DataFrame, students: pl.DataFrame
                           ) -> Iterator[dg.AssetCheckResult]:
        found = stored.filter(pl.col(RULE_COLUMN).is_in(ids))
        header = snapshot.header()
        with snapshot.duckdb.get_connection() as con:
            previous = history.previous(con, header.district_number, header.snapshot_date,
                                        end_year=header.end_year)
            before = None if previous is None else history.published_findings(con, previous)
        counts: dict[str, dict[str, int]] = {}
        if before is not None:
            counts = {row.pop(RULE_COLUMN): row for row in
                      history.change_counts(found, before).iter_rows(named=True)}
        split = by_rule(found, rules, RULE_COLUMN)
        selected = context.selected_asset_check_keys
        for rule in rules:
            key = dg.AssetCheckKey(REPORT_KEYS[rule.report], rule.check_name)
            if key not in selected:
                continue
            mine = split[rule.id]
            without = (without_case_manager(students.select(CASELOAD_STUDENT_COLUMNS))
                       if rule.id == Q_K2 and mine.height else None)
            new = None if previous is None else int(counts.get(rule.id, {}).get("new", 0))
            yield dg.AssetCheckResult(
                asset_key=key.asset_key, check_name=key.name, passed=mine.height == 0,
                severity=(dg.AssetCheckSeverity.ERROR if rule.level == "error"
                          else dg.AssetCheckSeverity.WARN),
                metadata=check_metadata(rule, mine, previous, before, counts, without),
                description=result_description(rule, mine, new, without))
        context.log.info(f"quality rules: {found.height} finding(s) over {len(rules)} rules")

    return lead_quality_rules


lead_quality_rules = build_quality_checks()
