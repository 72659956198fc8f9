"""Where the project keeps its data, so the CLI, the UI and the tests agree without flags.

Defaults are relative to the project root (the folder holding pyproject.toml); the environment
variables let an operator point a deployment elsewhere.
"""

from __future__ import annotations

import os
from pathlib import Path


def project_root() -> Path:
    here = Path(__file__).resolve().parents[2]
    return here if (here / "pyproject.toml").is_file() else Path.cwd()


def _setting(env: str, default: str) -> Path:
    value = os.environ.get(env)
    path = Path(value) if value else project_root() / default
    return path.resolve()


def default_database() -> Path:
    return _setting("LEAD_DATABASE", "data/warehouse/lead_pipeline.duckdb")


def default_snapshot_dir() -> Path:
    return _setting("LEAD_SNAPSHOT_DIR", "data/sample")


def default_output_dir() -> Path:
    return _setting("LEAD_OUTPUT_DIR", "data/output")


def default_snapshots_root() -> Path:
    return _setting("LEAD_SNAPSHOTS_ROOT", "data/snapshots")


def reference_dir() -> Path:
    return _setting("LEAD_REFERENCE_DIR", "data/reference")
