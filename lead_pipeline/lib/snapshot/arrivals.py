"""Snapshot folders waiting under the snapshots root (what the schedule and sensor start on).

A folder counts once it holds manifest.json (the weekend copy writes it last); "newest" is the
latest snapshotDate, then the folder name. A manifest that cannot be read still counts (date
unknown, sorted first): the refresh's integrity checks will say what is wrong with it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Arrival:
    path: Path
    name: str
    snapshot_date: str
    """The manifest's snapshotDate as written ("" when unreadable)."""
    district_number: str | None = None
    """The manifest's districtNumber as written (None when absent or unreadable)."""
    readable: bool = True
    """Whether manifest.json parsed as a JSON object."""

    @property
    def run_key(self) -> str:
        return f"{self.name}:{self.snapshot_date or 'unknown'}"


def arrivals(root: Path | str) -> list[Arrival]:
    """Every snapshot folder directly under `root`, oldest first."""
    root = Path(root)
    if not root.is_dir():
        return []
    found = []
    for folder in root.iterdir():
        manifest = folder / "manifest.json"
        if folder.name.startswith(".") or not manifest.is_file():
            continue
        try:
            raw = json.loads(manifest.read_text(encoding="utf-8"))
            day = str(raw.get("snapshotDate", ""))
            number = raw.get("districtNumber")
            district = None if number in (None, "") else str(number)
            readable = True
        except (OSError, ValueError, AttributeError):
            day, district, readable = "", None, False
        found.append(Arrival(folder.resolve(), folder.name, day, district, readable))
    return sorted(found, key=lambda a: (a.snapshot_date, a.name))


def newest(root: Path | str) -> Arrival | None:
    found = arrivals(root)
    return found[-1] if found else None


def arrival_time(folder: Path | str) -> float | None:
    """When the snapshot in `folder` arrived: the modification time of its manifest.json (the
    weekend copy writes it last), as a Unix timestamp; None without one."""
    try:
        return (Path(folder) / "manifest.json").stat().st_mtime
    except OSError:
        return None
