"""What an alert e-mail says: pure functions from a run's facts to a subject and a body.

An alert leaves the server, so it carries ids and counts only (docs/outputs.md): the lines of a
run's log name tables, columns, row numbers and ids (lib/snapshot/findings.py), and any quoted
value is removed here as well, so not even a value of a public column travels by e-mail.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from lead_pipeline.lib.snapshot.findings import clean

FIRST_LINES = 10
"""Problem lines an e-mail shows; the rest are counted and left to the run's page."""
LINE_CHARACTERS = 300
_QUOTED = re.compile(r"\s*'[^']*'…?")


def without_values(line: str) -> str:
    """`line` with every quoted value removed, control characters escaped, one line, cut to
    LINE_CHARACTERS."""
    first = clean(line.strip().splitlines()[0] if line.strip() else "")
    text = _QUOTED.sub("", first)
    return text if len(text) <= LINE_CHARACTERS else text[:LINE_CHARACTERS - 1] + "…"


def problem_lines(lines: Iterable[str], limit: int = FIRST_LINES) -> list[str]:
    """The first `limit` distinct problem lines without values, and a count of the rest."""
    seen: list[str] = []
    for line in lines:
        text = without_values(line)
        if text and text not in seen:
            seen.append(text)
    shown = seen[:limit]
    if len(seen) > limit:
        shown.append(f"… and {len(seen) - limit} more line(s): see the run's log")
    return shown


@dataclass(frozen=True)
class FailedRun:
    """What the failure e-mail names; every field comes from the run's tags, config and log."""

    job: str
    run_id: str
    folder: str
    snapshot_date: str
    trigger: str
    problems: Sequence[str]
    url: str = ""
    district: str | None = None
    """The run's district on a multi-district deployment (docs/statewide.md)."""


def failure_subject(run: FailedRun) -> str:
    snapshot = run.snapshot_date or "date unknown"
    where = f" for district {run.district}" if run.district else ""
    return f"[lead_pipeline] {run.job} failed{where} (snapshot {snapshot})"


def failure_body(run: FailedRun) -> str:
    lines = [
        f"The run of {run.job}{f' for district {run.district}' if run.district else ''} "
        "failed; nothing was published by it: the last good snapshot and the published "
        "reports are unchanged.",
        "",
        f"Job:             {run.job}",
        *([f"District:        {run.district}"] if run.district else []),
        f"Run:             {run.run_id}",
        f"Snapshot folder: {run.folder or 'unknown'}",
        f"Snapshot date:   {run.snapshot_date or 'unknown'}",
        f"Started by:      {run.trigger or 'unknown'}",
        "",
        "First problems:" if run.problems else "No problem line was logged.",
        *(f"  - {p}" for p in run.problems),
    ]
    if run.url:
        lines += ["", f"The run in the Dagster UI: {run.url}/runs/{run.run_id}"]
    return "\n".join(lines) + "\n"


def overdue_subject(days: float) -> str:
    return f"[lead_pipeline] snapshot overdue: no new snapshot for {days:g} days"


def overdue_body(days: float, last_arrival: str, check: str, snapshots_root: str) -> str:
    return "\n".join([
        f"No new snapshot has arrived for more than {days:g} days.",
        "",
        f"Last snapshot arrived: {last_arrival or 'never'}",
        f"Snapshots root:        {snapshots_root}",
        f"Freshness check:       {check}",
        "",
        "The weekly refresh keeps publishing the newest snapshot it has. Check the SIS "
        "export that copies the weekend snapshot into the snapshots root. This is said once; "
        "the next snapshot that arrives clears it.",
    ]) + "\n"
