"""Files and folders the pipeline creates are readable by their owner and group only.

The DuckDB file, the published workbooks, the staging folders and the Dagster instance describe
children (names, birth dates, disabilities, discipline). On a shared server the other accounts
must not be able to read them, whatever umask the operator's shell or service manager had (most
default to 022: everything world-readable). The group keeps access so a team of operators can
share a deployment.

Setting the process umask once, at every entry point (`lead-pipeline`, the module Dagster's
code server and run workers import, the `lp` launcher), covers every file the process and its
children create — DuckDB's own files, xlsxwriter's, Dagster's SQLite storage — without a mode
argument at each call site.
"""

from __future__ import annotations

import os

PRIVATE_UMASK = 0o007
"""No permission bit for "other" on anything created; owner and group bits are left as they
were (a stricter umask such as 077 stays stricter)."""


def restrict_umask() -> int:
    """Add PRIVATE_UMASK to the process umask; returns the umask it had before."""
    old = os.umask(PRIVATE_UMASK)  # os.umask can only be read by setting it
    os.umask(old | PRIVATE_UMASK)
    return old
