"""Dagster's own storage during a run: one connection held for the run instead of one opened
per event.

dagster-postgres opens a new connection for every event it stores (its engines use
SQLAlchemy's NullPool, so that long-lived processes such as the daemon do not accumulate
idle connections), and only the webserver swaps in a pool (`optimize_for_webserver`). A
refresh stores 270-290 events (steps, inputs, outputs, materialisations, 35 asset checks
planned and evaluated): with a connection each — a new server process and a password
exchange every time — that was 6.0-6.2 s of every refresh against PostgreSQL, whatever the
district's size, and 1.2-1.5 s with the connection held (README, Speed). The process a run
executes in holds its instance's connections the same way the webserver does, for as long
as it lives: a run worker ends with its run, an in-process refresh disposes its instance.

SQLite and in-memory storages have no pool to swap: Dagster's method does nothing for them.
"""

from __future__ import annotations

import weakref

import dagster as dg

STATEMENT_TIMEOUT_MS = 0
"""No time limit on one statement of the storage, as with Dagster's own per-event connections
(the webserver sets 15 s, for its queries of the whole history)."""
POOL_RECYCLE_S = 3600
"""A held connection idle this long is replaced (the webserver's default)."""
MAX_OVERFLOW = 10
"""Connections beyond the held one while it is busy (another thread storing at the same
moment); they are closed when returned."""

_held: weakref.WeakSet[dg.DagsterInstance] = weakref.WeakSet()


def hold_connections(instance: dg.DagsterInstance) -> None:
    """Let `instance`'s run, event and schedule storages keep a connection open instead of
    opening one per call; once per instance (a second call would replace the pools, and
    their held connections, for nothing)."""
    if instance in _held:
        return
    instance.optimize_for_webserver(statement_timeout=STATEMENT_TIMEOUT_MS,
                                    pool_recycle=POOL_RECYCLE_S, max_overflow=MAX_OVERFLOW)
    _held.add(instance)
