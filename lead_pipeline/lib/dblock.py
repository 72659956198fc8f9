"""One writer at a time on the DuckDB file, across processes: an advisory lock beside it.

DuckDB lets one process open a database file for writing; a second process gets "Could not set
lock on file" (and Dagster's resource gives up after about 100 s of retries). A Dagster run
started from the UI or the schedule (queued one at a time by `dagster.yaml`) and an in-process
`lead-pipeline refresh` started by hand do not share a run queue, so both take this lock for
their whole run: `<database>.lock`, held with `fcntl.flock`. Whoever comes second *waits*
(blocking flock) and then runs on the finished state; nothing fails and nothing interleaves.

The lock is re-entrant within a process (the refresh path takes it, then the run's DuckDB
resource takes it again) and is released by the kernel when a process dies, so a killed run
never leaves it stuck.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

_guard = threading.Lock()
_held: dict[str, tuple[int, int]] = {}  # lock path -> (fd, depth)


def lock_path(database: Path | str) -> Path:
    return Path(str(Path(database).resolve()) + ".lock")


@contextmanager
def hold(database: Path | str, on_wait: Callable[[str], None] | None = None) -> Iterator[float]:
    """Hold the database's lock for the block; yields the seconds spent waiting for it."""
    if str(database) == ":memory:":
        yield 0.0
        return
    path = str(lock_path(database))
    with _guard:
        if path in _held:
            fd, depth = _held[path]
            _held[path] = (fd, depth + 1)
            nested = True
        else:
            nested = False
    waited = 0.0
    if not nested:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o660)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait:
                on_wait(f"another run holds {path}; waiting for it to finish")
            started = time.monotonic()
            fcntl.flock(fd, fcntl.LOCK_EX)
            waited = time.monotonic() - started
        with _guard:
            _held[path] = (fd, 1)
    try:
        yield waited
    finally:
        with _guard:
            fd, depth = _held[path]
            if depth > 1:
                _held[path] = (fd, depth - 1)
            else:
                del _held[path]
                fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)
