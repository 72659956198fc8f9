"""One writer at a time on the DuckDB file, across processes: a `filelock.FileLock` beside it.

DuckDB lets one process open a database file for writing; a second process gets "Could not set
lock on file" (and Dagster's resource gives up after about 100 s of retries). A Dagster run
started from the UI or the schedule (queued one at a time by `dagster.yaml`) and an in-process
`lead-pipeline refresh` started by hand do not share a run queue, so both take this lock for
their whole run: `<database>.lock` (an `fcntl.flock` on Unix, released by the kernel when a
process dies, so a killed run never leaves it stuck). Whoever comes second *waits* and then runs
on the finished state; nothing fails and nothing interleaves.

The lock is re-entrant within a process, whichever thread asks (the refresh takes it, then the
run's DuckDB resource takes it again): one `FileLock` per path (`is_singleton`) with a
process-wide counter (`thread_local=False`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

MODE = 0o660
"""The lock file is private to the owner and group, like the database beside it."""


def lock_path(database: Path | str) -> Path:
    return Path(str(Path(database).resolve()) + ".lock")


@contextmanager
def hold(database: Path | str, on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold the database's lock for the block, waiting (never failing) while another process
    holds it; `on_wait` hears why when it has to wait. An in-memory database needs none."""
    if str(database) == ":memory:":
        yield
        return
    path = lock_path(database)
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(path, mode=MODE, thread_local=False, is_singleton=True)
    try:
        lock.acquire(blocking=False)
    except Timeout:
        if on_wait:
            on_wait(f"another run holds {path}; waiting for it to finish")
        lock.acquire()
    try:
        yield
    finally:
        lock.release()
