r"""Broken and hostile snapshots (snapshot.md "Integrity", outputs.md): a property-based test.

Each example applies 1-3 random mutations (`lead_pipeline_tests/mutations.py`: bytes flipped,
inserted or deleted — NUL, control bytes, invalid UTF-8, a BOM in the middle —, a lone quote, a
line with another delimiter, header columns duplicated, dropped, renamed or reordered, values set
to empty, very long, Excel's `1.03457E+9`, negative or huge ids, school numbers like `005/../../x`,
rows dropped or duplicated, files truncated or deleted, manifest fields removed or wrong) to a
copy of the bundled sample and runs `lead-pipeline refresh --snapshot S --output O --database D`
(`lead_pipeline.cli.main`, in-process) against a copy of a deployment that already holds the
sample's good publication. Asserted on every example:

- the command exits 0 or 1 and raises nothing;
- its output holds no traceback ("Traceback", 'File "', an exception class name followed by
  ':'), no raw control character (\x00-\x08, \x0b, \x0c, \x0e-\x1f, \x7f), and no private
  value (names, birth dates, state ids, student numbers of the sample or of the mutated
  snapshot; `mutations.Privacy` states the rule for short and common values);
- nothing is created, changed or removed under the example's folder outside the output root
  and the database's folder (the snapshot folder, the working directory and the folders the
  default database, output and snapshots paths point at during the command included);
- exit 1: `latest` points where it did, every entry under the output root is byte-identical
  (only the hidden leftovers `publish.recover` removes are ignored: `.staging-*` and `.latest-*`
  at the root, `.<date>.replaced-*` and `.pruned-*` in a year folder), and the database's current
  snapshot (opened read-only afterwards) is the same load, date and row counts;
- exit 0: a new load is current and `latest` points at its `<endYear>/<snapshotDate>`; the
  earlier publication still exists (outputs.md: pruning never follows a newer snapshot date);
  and for every table of a family that ran, rows in the mutated file (RFC 4180 records after
  the header, blank lines not counted) minus rows of `snapshot.<Table>` equals the rows its
  printed warnings left out (`mutations.left_out`: `  warning: <Table>.<column>: <N> row(s)
  ...left out...` counts N for <Table>; a table named only by a warning of another form need
  only be named when it lost rows).

Settings (environment):

- `LEAD_FUZZ_EXAMPLES` (default 10, about a minute on 2 cores): examples to run; e.g. 200 for a
  deeper run by hand (each refresh takes 1-5 s).
- `LEAD_FUZZ_RANDOM=1`: new random examples each run (default: derandomized, the same examples
  every run; `--hypothesis-seed=N` picks a seed for a random run).
- `LEAD_FUZZ_SHRINK_SECONDS` (default 60): after the LEAD_FUZZ_EXAMPLES examples, the time
  Hypothesis may go on refreshing to shrink the failures it found; then an example not already
  seen failing is rejected (not run), so it reports the smallest failure found so far instead
  of shrinking for many minutes (each step is a refresh). `0`: no shrinking, the first failure
  is reported as drawn.
- `LEAD_FUZZ_LOG=file.jsonl`: append every example (mutations, exit, masked output, violations).

A failure names the mutations applied and the invariant broken (Hypothesis reports each broken
invariant separately, shrunk to a small example); private values are masked in every message.
Hypothesis stops looking for new failures soon after its first one; to list every failure of
many examples instead (no shrinking, nothing asserted): `python -m lead_pipeline_tests.mutations
--examples 60 --log survey.jsonl`.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, assume, given, note, settings

from lead_pipeline_tests import mutations as mu

EXAMPLES = int(os.environ.get("LEAD_FUZZ_EXAMPLES", "10"))
RANDOM = os.environ.get("LEAD_FUZZ_RANDOM", "") == "1"
SHRINK_SECONDS = float(os.environ.get("LEAD_FUZZ_SHRINK_SECONDS", "60"))
LOG = os.environ.get("LEAD_FUZZ_LOG", "")


class _ShrinkBudget:
    """Bounds the time spent shrinking. The first EXAMPLES examples always run; once one of
    them (or a later one) failed, SHRINK_SECONDS more of refreshes follow (Hypothesis's search
    for more failures and its shrinking); after that only examples already run run again
    (Hypothesis replays some, and the smallest failure to report it) and a new one is
    rejected."""

    def __init__(self) -> None:
        self.runs = 0
        self.clock: float | None = None
        self.failing = False
        self.seen: set[str] = set()

    def allows(self, key: str) -> bool:
        if key in self.seen:
            return True
        if self.failing and self.runs >= EXAMPLES and self.clock is None:
            self.clock = time.monotonic()
        return self.clock is None or time.monotonic() - self.clock < SHRINK_SECONDS

    def ran(self, key: str, failed: bool) -> None:
        self.runs += 1
        self.seen.add(key)
        self.failing |= failed


@pytest.fixture(scope="module")
def shrink_budget() -> _ShrinkBudget:
    return _ShrinkBudget()


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> mu.Deployment:
    """The sample refreshed once into a fresh output root and DuckDB file (exit 0)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("DAGSTER_HOME", raising=False)  # conftest's autouse fixture is per function
        dep = mu.build_deployment(tmp_path_factory.mktemp("mutations"))
    assert dep.baseline.code == 0
    assert dep.load.rows["Person"] > 1000 and dep.tree
    return dep


def test_the_harness_sees_the_good_deployment(deployment: mu.Deployment):
    """The oracles agree with the unmutated sample: its file rows minus the warnings' rows are
    the rows loaded, its output leaks nothing, and many private values are watched."""
    dep = deployment
    counted, unparsed = mu.left_out(dep.baseline.text)
    assert counted and not unparsed
    for table in mu.CSV_TABLES:
        in_file = mu.count_rows(mu.SAMPLE_FILES[f"{table}.csv"])
        assert in_file - counted.get(table, 0) == dep.load.rows[table], table
    values = mu.private_values(mu.SAMPLE_FILES)
    watched = dep.privacy.watched(values, set())
    assert len(watched) > 2500
    # the good refresh's output is part of the public text: judged without it, it leaks nothing
    without_output = mu.Privacy(frozenset(mu.tokens(mu._public_text())))
    assert not set(without_output.watched(values, set())) & mu.tokens(dep.baseline.text)
    # and a leak is seen, and masked in the test's messages
    token, column = next(iter(sorted(watched.items())))
    ex = mu.Example([], mu.Run(1, "", f"  Identity.personID: 1 value(s); rows: x '{token}'\x07",
                               None), watched=watched, masked=watched)
    assert token in mu.tokens(ex.run.text)
    assert ex.mask(ex.run.text) == f"  Identity.personID: 1 value(s); rows: x '<{column}>'\\x07"
    assert mu.traceback_lines(dep.baseline.text, dep.exceptions) == []
    files, _ = mu.apply_all([])
    assert files == mu.SAMPLE_FILES  # no mutation, no change


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not RANDOM,
    database=None,
    print_blob=True,
    phases=[Phase.explicit, Phase.reuse, Phase.generate,
            *([Phase.target, Phase.shrink] if SHRINK_SECONDS > 0 else [])],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                           HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
@given(mutations=mu.mutation_lists())
def test_refresh_of_a_mutated_snapshot_keeps_every_promise(
        deployment: mu.Deployment, mutations: list[mu.Mutation], shrink_budget: _ShrinkBudget,
        capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
    key = repr(mutations)
    assume(shrink_budget.allows(key))
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    ex = mu.run_example(deployment, mutations,
                        drain=lambda: "".join(capfd.readouterr()))
    shrink_budget.ran(key, bool(ex.violations))
    for line in ex.done:
        note(f"mutation: {line}")
    for line in ex.summary():
        note(f"output: {line}")
    if LOG:
        with open(LOG, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"mutations": [repr(m) for m in mutations], "done": ex.done,
                                 "exit": ex.run.code, "output": ex.mask(ex.run.text),
                                 "violations": ex.violations}) + "\n")
    # one assertion per invariant, each on its own line: Hypothesis reports (and shrinks) each
    # broken one apart. `found` holds masked messages only (no private value, no control byte)
    found, why = ex.violations, ex.explain()
    assert "raised" not in found, why
    assert "exit code" not in found, why
    assert "traceback" not in found, why
    assert "control characters" not in found, why
    assert "private values" not in found, why
    assert "latest moved" not in found, why
    assert "published files changed" not in found, why
    assert "database changed" not in found, why
    assert "rows unaccounted" not in found, why
    assert "publication" not in found, why
    assert "files outside" not in found, why  # last: it may hold in every example
    assert set(found) <= set(mu.CATEGORIES), why


def test_mutations_apply_and_describe_themselves():
    """Every kind of mutation changes the files (or says why not) without quoting a value."""
    cases: list[mu.Mutation] = [
        mu.FlipByte("School.csv", 40, 0x00),
        mu.InsertBytes("Roster.csv", 100, "BOM"),
        mu.DeleteBytes(mu.MANIFEST, 3, 2),
        mu.UnbalanceQuote("Course.csv".removesuffix(".csv"), 2, 3, False),
        mu.ReplaceDelimiter("Section", 1, ";", True),
        mu.HeaderChange("Roster", "personID", "swap", False, "sectionID"),
        mu.HeaderChange("Person", "stateID", "duplicate", True),
        mu.RenameColumn("Enrollment", "personID", "UPPER"),
        mu.SetValue("School", 0, "number", "school 005/../../x"),
        mu.DropRows("Roster", 7, "60%"),
        mu.DuplicateRows("Calendar", 1, 2),
        mu.Truncate("Identity", "mid-line", 12345),
        mu.DeleteFile("Day"),
        mu.ManifestField("endYear", "-2027"),
        mu.ManifestRaw("JSON list"),
    ]
    for m in cases:
        files, (done,) = mu.apply_all([m])
        assert files != mu.SAMPLE_FILES, m
        assert "skipped" not in done, done
    files, _ = mu.apply_all([mu.SetValue("School", 0, "number", "school 005/../../x")])
    assert mu.split_records(files["School.csv"])[1].split(b",")[2] == b"005/../../x"
    assert mu.count_rows(files["School.csv"]) == mu.count_rows(mu.SAMPLE_FILES["School.csv"])
    files, _ = mu.apply_all([mu.DropRows("Roster", 0, "all")])
    assert mu.count_rows(files["Roster.csv"]) == 0
    files, _ = mu.apply_all([mu.HeaderChange("Lep", "personID", "drop", True)])
    assert b"personID" not in files["Lep.csv"].splitlines()[0]
    assert all(r.count(b",") == 3 for r in files["Lep.csv"].splitlines())
    for table in mu.CSV_TABLES:  # the record splitter gives every file back unchanged
        data = mu.SAMPLE_FILES[f"{table}.csv"]
        assert b"".join(mu.split_records(data)) == data


def test_the_warning_parser():
    text = ("  warning: Roster.personID: 3 row(s) point at no Person row; left out of the "
            "reports; rows: rosterID=1 (personID=9)\n"
            "  warning: Roster.endDate: 2 row(s) end (endDate) before they start (startDate); "
            "left out of the reports; rows: rosterID=5\n"
            "  warning: Trial.active: structure 3 has 2 active trials\n"
            "refresh of x done\n")
    assert mu.left_out(text) == ({"Roster": 5},
                                 ["  warning: Trial.active: structure 3 has 2 active trials"])


def test_the_traceback_detector():
    names = mu.exception_names()
    bad = ["Traceback (most recent call last):", '  File "x.py", line 3, in f',
           "ValueError: bad", "  lead__workbooks: KeyError: 'x'",
           "dagster._core.errors.DagsterExecutionStepExecutionError: Error occurred",
           "duckdb.duckdb.InvalidInputException"]
    good = ["  Roster: Roster.csv cannot be read: Invalid Input Error: CSV Error on Line: 3",
            "  warning: Roster.personID: 1 row(s) point at no Person row; left out",
            "manifest.json endYear -2027 is not a year such as 2027"]
    assert mu.traceback_lines("\n".join(bad + good), names) == bad


def test_example_paths_are_kept_apart(tmp_path: Path):
    """`listing` sees files created beside the output root; `tree_digest` ignores only the
    leftovers the next refresh removes."""
    (tmp_path / "out" / "2027" / ".2026-11-21.replaced-ab12").mkdir(parents=True)
    (tmp_path / "out" / ".staging-run-x").mkdir()
    (tmp_path / "out" / "2027" / "2026-11-21").mkdir()
    (tmp_path / "out" / "2027" / ".other").mkdir()
    assert sorted(mu.tree_digest(tmp_path / "out")) == ["2027", "2027/.other", "2027/2026-11-21"]
    (tmp_path / "x.xlsx").write_bytes(b"x")
    assert mu.listing(tmp_path, {"out"}) == {"x.xlsx": "file 1"}
