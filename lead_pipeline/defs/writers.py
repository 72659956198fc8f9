"""The workbook writer processes of a run (lib/excel.Writers), started when the run starts.

Dagster's in-process executor sets up every resource a run's steps use before its first step,
so a run that writes the LEAD workbooks starts its writer while the snapshot is read, staged
and reported on, and the workbook step finds it ready rather than waiting the quarter of a
second a spawned process takes to import Polars and xlsxwriter. A run that does not write the
workbooks (one asset from the UI, the one-school refresh) uses no such resource and starts
nothing. The workbook step releases the processes once it has written the workbooks, and
they are waited for when the run ends, whatever its outcome.
"""

import dagster as dg
from pydantic import PrivateAttr

from lead_pipeline.lib.excel import Writers


class WorkbookWriters(dg.ConfigurableResource):
    _writers: Writers | None = PrivateAttr(default=None)

    @property
    def writers(self) -> Writers | None:
        """The run's started writers; None outside a run."""
        return self._writers

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        self._writers = Writers()

    def release(self) -> None:
        """The run writes no more workbooks: let the processes exit while its last steps run
        (Writers.release); teardown still waits for them."""
        if self._writers is not None:
            self._writers.release()

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._writers is not None:
            self._writers.close()
            self._writers = None
