"""`lead-pipeline generate|refresh`: the command line (docs/outputs.md "Running a refresh")."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from lead_pipeline.lib import paths, permissions
from lead_pipeline.lib.districts import DistrictError, is_district, multi_district
from lead_pipeline.lib.snapshot.findings import clean


def _rates(values: list[str]) -> dict[str, float]:
    rates: dict[str, float] = {}
    for item in values:
        name, sep, number = item.partition("=")
        if not sep:
            raise SystemExit(f"--rate takes RULE=FRACTION (e.g. Q-C1=0.05), not {item!r}")
        try:
            rates[name.strip()] = float(number)
        except ValueError:
            raise SystemExit(f"--rate {item!r}: {number!r} is not a number") from None
    return rates


def cmd_generate(args: argparse.Namespace) -> int:
    # imported per command: each costs its import (the generator Polars and NumPy, ~0.5 s;
    # the refresh Dagster, ~2 s) and only one of them runs
    from lead_pipeline.lib.generator import ProblemRates, generate

    if args.no_problems:
        rates = ProblemRates.zero()
    else:
        try:
            rates = ProblemRates.from_mapping(_rates(args.rate))
        except ValueError as exc:
            print(f"lead-pipeline generate: {exc}", file=sys.stderr)
            return 2
    if args.incidents is not None and not 0 <= args.incidents <= 1:
        print(f"lead-pipeline generate: --incidents {args.incidents} is not within 0..1",
              file=sys.stderr)
        return 2
    if not is_district(args.district):
        print(f"lead-pipeline generate: --district {args.district!r} is not three digits",
              file=sys.stderr)
        return 2
    summary = generate(Path(args.out), args.students, args.seed, rates=rates,
                       schools=args.schools, incidents=args.incidents,
                       **({} if args.district == "165" else {
                           "district_number": args.district,
                           "district_name": f"District {args.district} Public Schools"}))
    total = sum(summary.rows.values())
    print(f"wrote {summary.out}: {summary.students} students, {summary.schools} schools, "
          f"{total:,} rows in {len(summary.rows)} tables, {summary.seconds:.1f} s")
    print(f"planted problems: {summary.planted_path}")
    return 0


def cmd_refresh_school(args: argparse.Namespace) -> int:
    """`refresh --school NNN`: replace that school's workbook in the published `latest`."""
    from lead_pipeline.refresh import run_school_refresh  # Dagster: see cmd_generate

    outcome = run_school_refresh(args.school, Path(args.snapshot), output=Path(args.output),
                                 database=Path(args.database) if args.database else None,
                                 log_level="INFO" if args.verbose else "CRITICAL")
    if not outcome.success:
        print(f"one-school refresh of {args.school} from {outcome.snapshot} stopped; every "
              "published file is unchanged:", file=sys.stderr)
        for line in outcome.problems or ["the run failed"]:
            print(f"  {line}", file=sys.stderr)
        return 1
    print(f"school {args.school}: {outcome.path} replaced from {outcome.snapshot} "
          f"({outcome.snapshot_date}) in {outcome.seconds:.1f} s; {outcome.findings} finding(s), "
          f"{outcome.new} new, {outcome.resolved} resolved")
    return 0


def cmd_refresh(args: argparse.Namespace) -> int:
    from lead_pipeline.refresh import run_refresh  # Dagster: see cmd_generate

    try:
        many = multi_district()
    except DistrictError as exc:
        print(f"lead-pipeline refresh: {exc}", file=sys.stderr)
        return 2
    if many:
        print("lead-pipeline refresh: this deployment serves many districts "
              "(LEAD_MULTI_DISTRICT=1, docs/statewide.md): a district is refreshed from its "
              "folder under LEAD_SNAPSHOTS_ROOT/NNN by the schedule or the sensor, or from the "
              "UI (Weekly_refresh, its partition); unset LEAD_MULTI_DISTRICT to refresh one "
              "district's --snapshot into --output and --database", file=sys.stderr)
        return 2
    if args.school:
        return cmd_refresh_school(args)
    started = time.perf_counter()
    outcome = run_refresh(Path(args.snapshot), output=Path(args.output),
                          database=Path(args.database) if args.database else None,
                          sections=args.section, accept_smaller=args.accept_smaller,
                          log_level="INFO" if args.verbose else "CRITICAL")
    seconds = time.perf_counter() - started
    if not outcome.success:
        why = ("the snapshot fails integrity" if outcome.stopped_at == "integrity"
               else f"step {outcome.stopped_at or '?'} failed")
        kept = ("the last good snapshot and the published reports are unchanged"
                if outcome.unchanged else "WARNING: the current snapshot or latest changed")
        print(f"refresh of {clean(str(outcome.snapshot))} stopped: {why}; {kept}.",
              file=sys.stderr)
        for line in outcome.problems or ["the run failed"]:
            print(f"  {line}", file=sys.stderr)
        return 1
    print(f"refresh of {outcome.snapshot} ({outcome.snapshot_date}) done in {seconds:.1f} s")
    if args.timings:
        for step, took in outcome.steps.items():
            print(f"  {took:7.2f} s  {step}")
    print(f"DuckDB file: {outcome.database}  (schema 'snapshot', load {outcome.load_id})")
    rows = sum(outcome.tables.values())
    print(f"snapshot: {len(outcome.tables)} tables, {rows:,} rows")
    failed = [c for c in outcome.checks if not c.passed]
    print(f"checks: {len(outcome.checks)} run, {len(outcome.checks) - len(failed)} passed, "
          f"{len(failed)} with findings")
    for line in outcome.warnings:
        print(f"  warning: {line}")
    for line in outcome.notes:
        print(f"  note: {clean(line)}")
    quality = [c for c in failed if c.asset.startswith(("lead/", "kias/"))]
    if quality:
        print("data problems found (the Issues sheets and KIAS_Validation list them):")
        for c in sorted(quality, key=lambda c: (c.severity != "ERROR", c.name)):
            level = "error " if c.severity == "ERROR" else "review"
            print(f"  {level} {c.findings:5d}  {c.name}")
    if outcome.published:
        files = sorted(p for p in outcome.published.rglob("*.xlsx"))
        print(f"published {len(files)} workbooks to {outcome.published}")
        print(f"  (latest: {outcome.output / 'latest'})")
        for path in files[:12]:
            print(f"  {path.relative_to(outcome.published)}")
        if len(files) > 12:
            print(f"  … and {len(files) - 12} more")
        for path in sorted(outcome.published.glob("kias/KIAS_*[!x]")):  # the CSV and HTML
            print(f"  {path.relative_to(outcome.published)}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lead-pipeline",
        description="Kentucky LEAD reports and the Kansas KIAS extract from a weekend SIS "
        "snapshot.")
    sub = parser.add_subparsers(dest="command", required=True)

    gen = sub.add_parser("generate", help="write a synthetic district snapshot")
    gen.add_argument("--out", required=True, help="folder to write the snapshot into")
    gen.add_argument("--students", type=int, required=True)
    gen.add_argument("--seed", type=int, default=0)
    gen.add_argument("--schools", type=int, default=None,
                     help="number of schools (default: about one per 667 students)")
    gen.add_argument("--rate", action="append", default=[], metavar="RULE=FRACTION",
                     help="rate of a planted problem, e.g. Q-C1=0.05 (repeatable)")
    gen.add_argument("--incidents", type=float, default=None, metavar="FRACTION",
                     help="behavior incidents per student, e.g. 0.2 for a discipline-heavy "
                     "district (default: 3-8%% per school)")
    gen.add_argument("--district", default="165", metavar="NNN",
                     help="state district number of the snapshot (default 165)")
    gen.add_argument("--no-problems", action="store_true",
                     help="plant no problems at all (every rate 0)")
    gen.set_defaults(func=cmd_generate)

    ref = sub.add_parser("refresh", help="load a snapshot and publish the reports")
    ref.add_argument("--snapshot", default=str(paths.default_snapshot_dir()))
    ref.add_argument("--output", default=str(paths.default_output_dir()))
    ref.add_argument("--database", default=None,
                     help="DuckDB file (default data/warehouse/lead_pipeline.duckdb)")
    ref.add_argument("--section", type=int, action="append", default=[], metavar="ID",
                     help="also write the Detail workbook of this section ID (repeatable)")
    ref.add_argument("--school", default=None, metavar="NNN",
                     help="refresh only this school (state school number): its workbook in the "
                     "published latest folder is replaced; needs a published refresh")
    ref.add_argument("--accept-smaller", action="store_true",
                     help="accept, for this refresh, a core table (Roster, Enrollment, …) that "
                     "is empty or has fewer than half the rows of the current snapshot's, when "
                     "you know the drop is real")
    ref.add_argument("--timings", action="store_true", help="print the time of each step")
    ref.add_argument("--verbose", action="store_true", help="show Dagster's event log")
    ref.set_defaults(func=cmd_refresh)
    return parser


def main(argv: list[str] | None = None) -> int:
    permissions.restrict_umask()  # the DuckDB file, workbooks, lock and instance stay private
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
