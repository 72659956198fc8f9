"""The one entry point: every asset, check, job and schedule under defs/, with the resources."""

from __future__ import annotations

import functools
import gc
import warnings
from pathlib import Path

import dagster as dg

from lead_pipeline.defs.resources import Resources, resources
from lead_pipeline.lib.allocator import return_large_blocks
from lead_pipeline.lib.permissions import restrict_umask

# Dagster's code server and run workers (started by `dagster dev`, the webserver or the daemon)
# import this module and never run cli.main(): from here on, what they create is private, and
# the large blocks their steps free go back to the system (lib/allocator.py).
restrict_umask()
return_large_blocks()
# What is imported by now (Dagster, Polars, DuckDB and this project's modules) lives as long as
# the process: moved out of the garbage collector's sight, a refresh's full collections walk
# what the run makes instead of these 200,000-odd objects again each time (0.15 s a
# collection, two or three a refresh). The collector still frees everything made later.
gc.freeze()


def definitions_with(res: Resources, *, catalog: bool = True) -> dg.Definitions:
    """Everything under defs/ bound to `res`: with the default resources what the UI loads, with
    a command line's database and folders what `lead-pipeline refresh` runs. `catalog`: with
    the catalog of installed component types that Dagster adds for the UI (`_found`); an
    in-process run, which never shows it, goes without."""
    found = _found(catalog)
    # one process: steps share the single-writer DuckDB file and skip ~2 s of process start-up
    # each
    return dg.Definitions.merge(
        found, dg.Definitions(resources=res.as_dict(), executor=dg.in_process_executor))


DEFS = Path(__file__).parent / "defs"


@functools.cache
def _found(catalog: bool = True) -> dg.Definitions:
    """Every definition under defs/, found once per process: the modules are imported once
    anyway, and a process that runs many refreshes (the tests, a script) need not walk them
    again for each. What they made lives as long as the process too (see `gc.freeze` above).

    `load_from_defs_folder` also builds, as metadata of the definitions, the catalog of the
    component types installed packages offer (JSON schemas and sample YAML of each), which the
    UI's component browser lists: 60-80 ms, most of finding the definitions. Without
    `catalog` the same folder is built from its component tree alone: the same assets, checks,
    jobs, sensors and schedules (a test compares them)."""
    if catalog:
        found = dg.load_from_defs_folder(path_within_project=DEFS)
    else:
        # the module loader under both is marked preview; load_from_defs_folder silences
        # that warning itself, and so is it silenced here (never shown to an operator)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", dg.PreviewWarning)
            found = dg.ComponentTree.for_project(path_within_project=DEFS).build_defs(DEFS)
    gc.freeze()
    return found


@dg.definitions
def defs() -> dg.Definitions:
    return definitions_with(resources())
