"""Why a step failed, in the one line the command line prints (refresh.cause): the user's
exception rather than Dagster's "Error occurred while executing op" wrapper, and a step stopped
by a signal said to be interrupted (lib/interrupts.py). Real in-process runs."""

from __future__ import annotations

import dagster as dg
from dagster._core.errors import DagsterExecutionInterruptedError

from lead_pipeline.lib.interrupts import INTERRUPTED
from lead_pipeline.refresh import cause


def _failure_of(raised: BaseException) -> dg.DagsterEvent:
    @dg.op
    def failing() -> None:
        raise raised

    @dg.job
    def one_step() -> None:
        failing()

    result = one_step.execute_in_process(raise_on_error=False)
    (failure,) = result.get_step_failure_events()
    return failure


def test_a_failed_step_is_told_by_the_users_exception() -> None:
    error = _failure_of(ValueError("the roster file moved\nsecond line")).step_failure_data.error
    assert error is not None
    assert "Error occurred while executing op" in error.message  # Dagster's wrapper
    assert cause(error) == "ValueError: the roster file moved"


def test_a_step_stopped_by_a_signal_is_told_as_interrupted() -> None:
    error = _failure_of(DagsterExecutionInterruptedError()).step_failure_data.error
    assert error is not None
    assert error.message.strip() == "dagster._core.errors.DagsterExecutionInterruptedError"
    assert cause(error) == INTERRUPTED
