"""A step stopped by a signal, told as such wherever a failed step is explained.

Dagster turns SIGINT and SIGTERM that arrive during a step (Ctrl-C, systemd stopping a
service, Kubernetes evicting a pod) into its DagsterExecutionInterruptedError, whose text is
only that class's dotted name. The command line (refresh.cause) and the failure e-mail
(defs/operations/alerts.py) say `INTERRUPTED` instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # a dependency of dagster's, named here only for the type
    from dagster_shared.error import SerializableErrorInfo

INTERRUPTED = "interrupted: the refresh was asked to stop (Ctrl-C or SIGTERM) before it finished"
_INTERRUPTION = "DagsterExecutionInterruptedError"


def interrupted(error: SerializableErrorInfo | None) -> bool:
    """Whether `error`, or an error it was raised from, is Dagster's interruption."""
    while error is not None:
        if error.cls_name == _INTERRUPTION:
            return True
        error = error.cause
    return False
