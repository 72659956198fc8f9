"""manifest.json: the snapshot's as-of date, report year and district (docs/snapshot-format.md)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from lead_pipeline.lib.snapshot.findings import Check, Finding, clean, shown
from lead_pipeline.lib.snapshot.schema import REQUIRED_MANIFEST_FIELDS

MANIFEST_FILE = "manifest.json"
FIRST_YEAR, LAST_YEAR = 2000, 2100
"""endYear outside these is a broken manifest (docs/snapshot-format.md "Integrity checks")."""


def snapshot_window(end_year: int) -> tuple[date, date]:
    """The snapshot dates a report year accepts: from July 1 before the school year to
    December 31 after it (a summer snapshot of the year just ended is normal; one from another
    decade is a broken manifest, and must never reorder or prune publications)."""
    return date(end_year - 1, 7, 1), date(end_year, 12, 31)


@dataclass(frozen=True)
class Manifest:
    snapshot_date: date
    end_year: int
    district_number: str | None
    state: str | None
    format: str | None


def _problem(message: str) -> Finding:
    return Finding(Check.MANIFEST, None, None, 1, (), message)


def read_manifest(folder: Path) -> tuple[Manifest | None, list[Finding]]:
    """Parse manifest.json; every problem becomes a blocking finding rather than an exception,
    so one refresh reports all that is wrong with a snapshot at once."""
    path = folder / MANIFEST_FILE
    if not path.is_file():
        return None, [_problem(f"{MANIFEST_FILE} is missing from {clean(str(folder))}")]
    try:
        raw = json.loads(path.read_bytes().decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        return None, [_problem(f"{MANIFEST_FILE} is not valid UTF-8 JSON: {clean(str(exc))}")]
    if not isinstance(raw, dict):
        return None, [_problem(f"{MANIFEST_FILE} must hold a JSON object")]

    findings = [
        _problem(f"{MANIFEST_FILE} has no {name}")
        for name in REQUIRED_MANIFEST_FIELDS
        if raw.get(name) in (None, "")
    ]
    snapshot_date: date | None = None
    end_year: int | None = None
    if raw.get("snapshotDate") not in (None, ""):
        try:
            snapshot_date = date.fromisoformat(str(raw["snapshotDate"]))
            if len(str(raw["snapshotDate"])) != 10:
                raise ValueError
        except ValueError:
            snapshot_date = None
            findings.append(_problem(
                f"{MANIFEST_FILE} snapshotDate {shown(raw['snapshotDate'])} is not a date "
                "YYYY-MM-DD"))
    if raw.get("endYear") not in (None, ""):
        try:
            if isinstance(raw["endYear"], bool | float):
                raise ValueError
            end_year = int(str(raw["endYear"]).strip())
        except ValueError:
            findings.append(_problem(
                f"{MANIFEST_FILE} endYear {shown(raw['endYear'])} is not a year such as 2027"))
        else:
            if not FIRST_YEAR <= end_year <= LAST_YEAR:
                findings.append(_problem(
                    f"{MANIFEST_FILE} endYear {end_year} is outside {FIRST_YEAR}-{LAST_YEAR}"))
                end_year = None
    if snapshot_date is not None and end_year is not None:
        first, last = snapshot_window(end_year)
        if not first <= snapshot_date <= last:
            findings.append(_problem(
                f"{MANIFEST_FILE} snapshotDate {snapshot_date.isoformat()} is outside the "
                f"report year {end_year}'s window {first.isoformat()} to {last.isoformat()}"))
    fmt = raw.get("format")
    if fmt is not None and str(fmt).lower() not in ("csv", "parquet"):
        findings.append(_problem(
            f"{MANIFEST_FILE} format {shown(fmt)} is neither csv nor parquet"))
    if findings or snapshot_date is None or end_year is None:
        return None, findings
    number = raw.get("districtNumber")
    return Manifest(
        snapshot_date=snapshot_date,
        end_year=end_year,
        district_number=None if number in (None, "") else str(number),
        state=None if raw.get("state") is None else str(raw["state"]),
        format=None if fmt is None else str(fmt).lower(),
    ), []
