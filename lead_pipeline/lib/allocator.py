"""Freed large blocks go back to the system at once (glibc's malloc).

DuckDB allocates through the C library's malloc, so its query results and the Arrow buffers it
hands to Polars do too. glibc serves a request of at least its *mmap threshold* from a mapping
of its own, returned to the system when freed, and anything smaller from its heaps, where a
freed block stays with the process until the space above it is free as well. The threshold
starts at 128 KiB and rises to the size of every mapped block freed (up to 32 MiB), so after
the first large result is dropped the next ones land in the heaps, and a staged district of
700,000 students left 0.3-0.4 GiB there, free but held, until the run ended (mallinfo2).
A fixed threshold of 1 MiB keeps the large blocks mapped: the 700,000-student refresh peaked
0.14-0.27 GiB lower, with no time lost that a run could measure (docs/speed.md). Blocks under
1 MiB (DuckDB's 256 KiB buffer blocks, Python's objects) stay in the heaps as before.
"""

from __future__ import annotations

import ctypes
import platform
import sys

MMAP_THRESHOLD = 1 << 20
"""Requests of at least this many bytes get a mapping of their own (glibc's M_MMAP_THRESHOLD)."""

_M_MMAP_THRESHOLD = -3
"""mallopt's parameter number for the mmap threshold (glibc's malloc.h)."""


def return_large_blocks(threshold: int = MMAP_THRESHOLD) -> bool:
    """Fix glibc's mmap threshold at `threshold` for this process (it no longer rises); whether
    it was set. Elsewhere than Linux with glibc (musl, macOS) nothing changes: False."""
    if sys.platform != "linux" or platform.libc_ver()[0] != "glibc":
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return False
    return bool(libc.mallopt(_M_MMAP_THRESHOLD, threshold))
