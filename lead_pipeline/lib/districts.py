"""Many districts on one deployment (docs/statewide.md): where each district's files live and how
a run names its district. Pure functions; the Dagster wiring is defs/districts.py.

In multi-district mode (`LEAD_MULTI_DISTRICT=1`) every district keeps apart, under the same
three settings a single district uses:

- snapshots arrive in `<snapshots root>/<district>/<snapshot folder>/`;
- its DuckDB file is `<folder of LEAD_DATABASE>/<district>/<file name of LEAD_DATABASE>`;
- its publications are `<output>/<district>/<endYear>/<snapshotDate>/` with its own `latest`.

A district is its state district number, three digits as `District.number` must be
(docs/snapshot-format.md, integrity). A run names its district by its partition: the district
itself for the weekly refresh, `<district>-<school>` for one school's workbook.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from lead_pipeline.lib.snapshot.arrivals import Arrival, arrivals

MULTI_DISTRICT_ENV = "LEAD_MULTI_DISTRICT"
DISTRICT_TAG = "lead/district"
"""The run tag naming a run's district (the run queue limits runs per value of it)."""
PARTITION_TAG = "dagster/partition"
_NUMBER = re.compile(r"[0-9]{3}")
SEPARATOR = "-"
"""Between district and school in a school workbook's partition key: `165-010`."""


class DistrictError(ValueError):
    """A folder or run that does not name a district properly; the message says which."""


def multi_district(env: Mapping[str, str] | None = None) -> bool:
    """Whether this deployment serves many districts (LEAD_MULTI_DISTRICT=1/true/yes/on)."""
    value = (os.environ if env is None else env).get(MULTI_DISTRICT_ENV, "").strip().lower()
    if value in ("", "0", "false", "no", "off"):
        return False
    if value in ("1", "true", "yes", "on"):
        return True
    raise DistrictError(f"{MULTI_DISTRICT_ENV} is {value!r}: use 1 (many districts) or 0")


def is_district(name: str) -> bool:
    """A state district number: exactly three digits."""
    return bool(_NUMBER.fullmatch(name))


def checked(district: str) -> str:
    """`district` when it is a district number; else DistrictError (never a path part)."""
    if not is_district(district):
        raise DistrictError(f"{district!r} is not a district number (three digits)")
    return district


def database(base: Path | str, district: str) -> Path:
    """The district's DuckDB file beside the single-district one, in a folder of its own."""
    base = Path(base)
    return base.parent / checked(district) / base.name


def output(base: Path | str, district: str) -> Path:
    """The district's output tree (its publications and `latest`)."""
    return Path(base) / checked(district)


def snapshots(root: Path | str, district: str) -> Path:
    """Where the district's snapshot folders arrive."""
    return Path(root) / checked(district)


def school_key(district: str | None, school: str) -> str:
    """A school workbook's partition key: the school number alone for a single district,
    `<district>-<school>` in multi-district mode."""
    return school if district is None else f"{checked(district)}{SEPARATOR}{school}"


def split_school_key(key: str, multi: bool) -> tuple[str | None, str]:
    """(district, school) of a school workbook's partition key."""
    if not multi:
        return None, key
    district, _, school = key.partition(SEPARATOR)
    if not is_district(district) or not school:
        raise DistrictError(f"partition {key!r} is not <district>{SEPARATOR}<school>")
    return district, school


def of_run(tags: Mapping[str, str]) -> str | None:
    """The district a run works for, from its tags: `lead/district`, else its partition (a
    district, or `<district>-<school>`). None when the run names none."""
    if tags.get(DISTRICT_TAG):
        return checked(tags[DISTRICT_TAG])
    partition = tags.get(PARTITION_TAG, "")
    district = partition.partition(SEPARATOR)[0]
    return district if is_district(district) else None


def district_folders(root: Path | str) -> tuple[list[str], list[str]]:
    """The district folders directly under the snapshots root, and the other entries there
    (names that are not district numbers, which a multi-district deployment refuses); hidden
    entries are ignored."""
    root = Path(root)
    if not root.is_dir():
        return [], []
    good, bad = [], []
    for entry in sorted(root.iterdir()):
        if entry.name.startswith("."):
            continue
        (good if entry.is_dir() and is_district(entry.name) else bad).append(entry.name)
    return good, bad


def wrong_district(district: str, manifest_district: str | None, folder: str) -> str | None:
    """Why the snapshot `folder` may not be refreshed for `district` (its manifest names
    another district, or none), or None. Said before anything is loaded or written."""
    if manifest_district == district:
        return None
    named = f"district {manifest_district}" if manifest_district else "no district"
    return (f"manifest.json of {folder} names {named}, not {district} (the district folder it "
            f"arrived in): refused, nothing was loaded; move it to the right district's folder")


@dataclass(frozen=True)
class Survey:
    """What a multi-district snapshots root holds: each district's folders a refresh may load
    (oldest first), and the entries refused, each with the line that says why."""

    ready: dict[str, list[Arrival]]
    refused: list[tuple[str, str]]
    """(a stable key for "said once", the message)."""


def survey(root: Path | str) -> Survey:
    """Every district folder under `root` with its snapshot folders. Refused, never loaded: an
    entry whose name is not a district number, and a snapshot whose manifest names another
    district (one whose manifest cannot be read is the refresh's integrity check to explain)."""
    root = Path(root)
    good, bad = district_folders(root)
    refused = [(f"name:{name}", f"{root / name}: not a district folder (its name must be the "
                "three-digit state district number): refused, nothing was read")
               for name in bad]
    ready: dict[str, list[Arrival]] = {}
    for district in good:
        ready[district] = []
        for arrival in arrivals(root / district):
            why = wrong_district(district, arrival.district_number, str(arrival.path)) \
                if arrival.readable else None
            if why:
                refused.append((f"manifest:{district}/{arrival.run_key}", why))
            else:
                ready[district].append(arrival)
    return Survey(ready, refused)
