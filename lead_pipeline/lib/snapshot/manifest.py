"""manifest.json: the snapshot's as-of date, report year and district (snapshot.md)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from lead_pipeline.lib.snapshot.findings import Check, Finding
from lead_pipeline.lib.snapshot.schema import REQUIRED_MANIFEST_FIELDS

MANIFEST_FILE = "manifest.json"


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
        return None, [_problem(f"{MANIFEST_FILE} is missing from {folder}")]
    try:
        raw = json.loads(path.read_bytes().decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return None, [_problem(f"{MANIFEST_FILE} is not valid UTF-8 JSON: {exc}")]
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
            findings.append(_problem(
                f"{MANIFEST_FILE} snapshotDate {raw['snapshotDate']!r} is not a date YYYY-MM-DD"))
    if raw.get("endYear") not in (None, ""):
        try:
            end_year = int(str(raw["endYear"]))
        except ValueError:
            findings.append(_problem(
                f"{MANIFEST_FILE} endYear {raw['endYear']!r} is not a year such as 2027"))
    fmt = raw.get("format")
    if fmt is not None and str(fmt).lower() not in ("csv", "parquet"):
        findings.append(_problem(f"{MANIFEST_FILE} format {fmt!r} is neither csv nor parquet"))
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
