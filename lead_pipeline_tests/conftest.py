"""What every test shares."""

import pytest


@pytest.fixture(autouse=True)
def _no_dagster_home(monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process refreshes use a throwaway Dagster instance unless a test sets DAGSTER_HOME
    itself, so a developer's own DAGSTER_HOME never collects the tests' runs."""
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
