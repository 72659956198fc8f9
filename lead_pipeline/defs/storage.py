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

A held connection is tried before each use (`_tried_before_use`): a connection opened per
event never outlives the server, but a held one does when PostgreSQL restarts in the middle
of a run (a package upgrade, a failover), and the next event stored on it failed, and the run
with it. Tried first, a broken connection is replaced by a new one and the run goes on. The
price is a round trip per use: a 5,000-student refresh pinged 702 times, 0.24 s in all
(loopback server), of the 5 s saved by holding the connections.

SQLite and in-memory storages have no pool to swap: Dagster's method does nothing for them.
"""

from __future__ import annotations

import weakref
from typing import Any

import dagster as dg
from sqlalchemy import event, exc
from sqlalchemy.engine import Engine

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
    for storage in (instance.run_storage, instance.event_log_storage,
                    instance.schedule_storage):
        engine = getattr(storage, "_engine", None)  # the pooled engine dagster-postgres made
        if isinstance(engine, Engine):
            _tried_before_use(engine)
    _held.add(instance)


def _tried_before_use(engine: Engine) -> None:
    """SQLAlchemy's pessimistic disconnect handling on `engine`'s pool: each connection it
    hands out is pinged first (the dialect's own ping, one round trip), and one the server
    has closed is thrown away for a new one. Dagster's method makes the engine without
    `pool_pre_ping`; a `checkout` listener raising DisconnectionError is SQLAlchemy's way of
    doing the same on an engine that exists."""
    dialect = engine.dialect

    def ping(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            raise exc.DisconnectionError("the held connection was closed by the server") \
                from error

    event.listen(engine, "checkout", ping)
