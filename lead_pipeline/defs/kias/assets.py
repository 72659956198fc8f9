"""Kansas KIAS: the discipline extract as thin Dagster wrappers around lib/kias.

`kias/candidates` (the population of §2 with the editor parameters as run config) feeds
`kias/extract` (the 42 columns) and `kias/validation` (V1/V2 findings, checked in checks.py);
`kias/files` writes the CSV, the HTML page and the validation workbook into the run's staging
folder, which `publish/latest` publishes together with LEAD's workbooks. Frames are stored as
DuckDB tables `kias.<name>`. When the snapshot holds no KIAS tables the assets still run (on the
empty tables), write nothing and say so in their metadata.
"""

from datetime import date, datetime

import dagster as dg
import polars as pl
from pydantic import Field

from lead_pipeline.defs.districts import DISTRICTS
from lead_pipeline.defs.group import GROUP
from lead_pipeline.defs.resources import PipelineSettings, SnapshotResource
from lead_pipeline.defs.snapshot.assets import TABLES_KEY
from lead_pipeline.lib.kias import columns, output, population, validation
from lead_pipeline.lib.kias.reference import KiasCodes, event_categories
from lead_pipeline.lib.publish import run_staging
from lead_pipeline.lib.rules import by_rule
from lead_pipeline.lib.snapshot import store
from lead_pipeline.lib.snapshot.schema import TABLES, Family

FAMILY = Family.KIAS.value
KINDS = {"polars", "duckdb"}
CANDIDATES = dg.AssetKey(["kias", "candidates"])
EXTRACT_KEY = dg.AssetKey(["kias", "extract"])
VALIDATION = dg.AssetKey(["kias", "validation"])
FILES = dg.AssetKey(["kias", "files"])

SHARED_READS = ["District", "School", "Calendar", "GradeLevel", "Person", "Enrollment", "Plan"]
KIAS_READS = [*SHARED_READS, *(t.name for t in TABLES if t.family is Family.KIAS)]
SKIPPED = "the snapshot holds no KIAS tables: KIAS skipped, nothing written"


class KiasConfig(dg.Config):
    """The KIAS extract editor (docs/kias.md §2.1); every field empty means the refresh default."""

    start_date: str = Field(
        default="", description="Window start, YYYY-MM-DD; incidents before it are not "
        "reported (A5). Empty: July 1 before the report year's June 30.")
    end_date: str = Field(
        default="", description="Window end, YYYY-MM-DD. Empty: June 30 of the report year.")
    grades: list[str] = Field(
        default=[], description="Enrollment grades (local names, Enrollment.grade) to "
        "include. Empty: all grades.")
    calendar_ids: list[int] = Field(
        default=[], description="Calendars of enrollment to include. Empty: every calendar "
        "whose endYear is the report year (excluded calendars are still left out).")
    person_ids: list[int] | None = Field(
        default=None, description="Ad hoc filter: only these students (personIDs). "
        "Unset: no filter.")
    newer_kb_codes: bool = Field(
        default=False, description="A2 alternative: report only the state resolution codes "
        "of the newer IC article (450, 510, 520, 001, 002, 550, 555, 560, 565, 730, 750; "
        "data/reference/kias_resolution_code.csv newerKbQualifying). Off: any mapped code.")


def _day(text: str, name: str) -> date | None:
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise dg.Failure(f"kias config {name}: {text!r} is not a date YYYY-MM-DD") from None


def params_of(config: KiasConfig, end_year: int, codes: KiasCodes) -> population.Params:
    params = population.Params.for_year(
        end_year, start=_day(config.start_date, "start_date"),
        end=_day(config.end_date, "end_date"), grades=config.grades or None,
        calendar_ids=config.calendar_ids or None, person_ids=config.person_ids,
        qualifying_codes=codes.newer_kb_codes if config.newer_kb_codes else None)
    if params.start > params.end:
        raise dg.Failure(f"kias config: start {params.start} is after end {params.end}")
    return params


def _skipped(current: store.CurrentSnapshot) -> dict[str, dg.MetadataValue]:
    return {} if FAMILY in current.families else {"skipped": dg.MetadataValue.text(SKIPPED)}


@dg.asset(partitions_def=DISTRICTS,
          key=CANDIDATES, group_name=GROUP, kinds=KINDS, deps=[TABLES_KEY],
          description="docs/kias.md §2: one row per resolution of a student (any role) on a "
          "complete event dated in the window, for a student with an enrollment in the incident's "
          "school on that date that is not State Exclude / No Show / excluded grade or "
          "calendar, in the selected calendars and grades (ad hoc filter optional); with the "
          "resolution's exact day count (§3.6) and the student's IDEA/foster status on the "
          "incident date. Run config: the editor parameters.")
def candidates(context: dg.AssetExecutionContext, config: KiasConfig,
               snapshot: SnapshotResource) -> pl.DataFrame:
    current, tables = snapshot.snapshot(), snapshot.frames(KIAS_READS)
    params = params_of(config, current.end_year, snapshot.kias_codes())
    categories, source = event_categories(
        tables, current.present, reference=snapshot.codes().event_code_category)
    found = population.candidates(tables, snapshot.kias_codes(), params, categories)
    qualifying = found.filter(pl.col("qualifies"))
    context.add_output_metadata({
        **_skipped(current),
        "window": dg.MetadataValue.text(f"{params.start} – {params.end}"),
        "calendars": dg.MetadataValue.text(
            "every calendar of the report year" if params.calendar_ids is None
            else ", ".join(map(str, sorted(params.calendar_ids)))),
        "grades": dg.MetadataValue.text(
            "all" if params.grades is None else ", ".join(sorted(params.grades))),
        "ad_hoc_filter": dg.MetadataValue.text(
            "none" if params.person_ids is None else f"{len(params.person_ids)} students"),
        "qualifying_codes": dg.MetadataValue.text(
            "any mapped state code (A2)" if params.qualifying_codes is None
            else ", ".join(sorted(params.qualifying_codes))),
        "event_code_categories": dg.MetadataValue.text(
            f"{source} ({categories.height} codes)"),
        "resolutions": dg.MetadataValue.int(found.height),
        "qualifying_resolutions": dg.MetadataValue.int(qualifying.height),
        "students": dg.MetadataValue.int(found["personID"].n_unique()),
        "events": dg.MetadataValue.int(found["eventID"].n_unique()),
    })
    return found


@dg.asset(partitions_def=DISTRICTS,
          key=EXTRACT_KEY, group_name=GROUP, kinds=KINDS,
          ins={"found": dg.AssetIn(CANDIDATES)},
          description="docs/kias.md §4: the state file's rows, one per student, event and state "
          "resolution code (A1: same codes summed, different codes separate rows), the 42 "
          "columns in seed order as text (blank = empty), sorted by Building ID, KIDS ID, "
          "incident date, event, code. (DuckDB names are case-insensitive, so the table "
          "kias.extract stores col 42, which differs from col 8 only in case, as '…_1'.)")
def extract(context: dg.AssetExecutionContext, snapshot: SnapshotResource,
            found: pl.DataFrame) -> pl.DataFrame:
    current = snapshot.snapshot()
    rows = columns.extract(found, snapshot.kias_codes())
    context.add_output_metadata({
        **_skipped(current),
        "rows": dg.MetadataValue.int(rows.height),
        "columns": dg.MetadataValue.int(rows.width),
        "students": dg.MetadataValue.int(
            found.filter(pl.col("qualifies"))["personID"].n_unique()),
    })
    return rows


@dg.asset(partitions_def=DISTRICTS,
          key=VALIDATION, group_name=GROUP, kinds=KINDS, ins={"found": dg.AssetIn(CANDIDATES)},
          description="docs/kias.md §7: V1/V2 findings, one per resolution of a student with a "
          "weapon code 100-500 on the event whose firearm discipline method does not fit the "
          "student's IDEA status on the incident date (missing counts as invalid); the rows of "
          "the Findings sheet.")
def kias_validation(context: dg.AssetExecutionContext, snapshot: SnapshotResource,
                    found: pl.DataFrame) -> pl.DataFrame:
    current = snapshot.snapshot()
    rows = validation.findings(found, snapshot.kias_codes())
    split = by_rule(rows, validation.RULES, validation.RULE_COLUMN)
    context.add_output_metadata({**_skipped(current), **{
        rule: dg.MetadataValue.int(frame.height) for rule, frame in split.items()}})
    return rows


@dg.asset(partitions_def=DISTRICTS,
          key=FILES, group_name=GROUP, kinds={"csv", "html", "excel"},
          ins={"rows": dg.AssetIn(EXTRACT_KEY), "found": dg.AssetIn(VALIDATION)},
          deps=[TABLES_KEY],
          description="`kias/KIAS_NNN.csv` (the state file), `kias/KIAS_NNN.html` "
          "(the same rows for review) and `kias/KIAS_Validation_NNN.xlsx` (sheet "
          "Findings), written into the run's staging folder; publish/latest publishes them.")
def files(context: dg.AssetExecutionContext, snapshot: SnapshotResource,
          settings: PipelineSettings, rows: pl.DataFrame,
          found: pl.DataFrame) -> dg.MaterializeResult:
    current, tables = snapshot.snapshot(), snapshot.frames(["District"])
    rows = columns.with_seed_names(rows, snapshot.kias_codes())
    if FAMILY not in current.families:
        context.log.info(SKIPPED)
        return dg.MaterializeResult(metadata={**_skipped(current),
                                              "files": dg.MetadataValue.int(0)})
    district = tables["District"]
    number = district["number"][0] if district.height else current.district_number or "district"
    year = f"{current.end_year - 1}-{current.end_year % 100:02d}"
    folder = run_staging(settings.output, context.run.run_id) / "kias"
    try:
        paths = output.write_files(
            folder, number, rows, found,
            title=f"KIAS discipline extract, district {number}",
            subtitle=f"School year {year} · snapshot {current.snapshot_date.isoformat()}",
            properties={"title": f"KIAS validation findings, district {number}",
                        "subject": f"End year {current.end_year}",
                        "snapshot_date": current.snapshot_date.isoformat(),
                        "generated": datetime.now().replace(microsecond=0).isoformat(),
                        "district_number": number})
    except ValueError as exc:
        raise dg.Failure(str(exc)) from exc
    context.log.info(f"wrote {len(paths)} KIAS files: {rows.height} rows, "
                     f"{found.height} validation findings")
    return dg.MaterializeResult(metadata={
        "files": dg.MetadataValue.md("\n".join(f"- kias/{p.name}" for p in paths)),
        "rows": dg.MetadataValue.int(rows.height),
        "findings": dg.MetadataValue.int(found.height),
        "bytes": dg.MetadataValue.int(sum(p.stat().st_size for p in paths)),
    })
