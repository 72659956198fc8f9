"""Fixtures of the LEAD tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from lead_pipeline_tests.builders import Run, Snapshot


@pytest.fixture
def run(tmp_path: Path) -> Callable[[Snapshot], Run]:
    """`run(snapshot)`: the LEAD flow over a hand-built snapshot, each in its own folder."""
    counter = iter(range(1000))

    def make(snapshot: Snapshot) -> Run:
        return Run(snapshot, tmp_path / f"s{next(counter)}")
    return make
