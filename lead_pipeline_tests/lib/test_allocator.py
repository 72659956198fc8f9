"""lib/allocator.py: after the project's definitions are imported, a freed large block no longer
raises glibc's mmap threshold, so the next large request is mapped (and returned when freed)
instead of being carved from the heap, where it would stay with the process."""

import platform
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(
    sys.platform != "linux" or platform.libc_ver()[0] != "glibc", reason="glibc's malloc only")

_PROBE = r"""
import ctypes, sys
if sys.argv[1] == "definitions":
    import lead_pipeline.definitions  # noqa: F401  (what every process running our steps does)

class Info(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in
                "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost"
                .split()]

libc = ctypes.CDLL("libc.so.6")
libc.mallinfo2.restype = Info
libc.malloc.restype = ctypes.c_void_p
libc.free.argtypes = [ctypes.c_void_p]
libc.free(libc.malloc(8 << 20))  # by default this raises the threshold to 8 MiB
mapped = libc.mallinfo2().hblkhd
block = libc.malloc(2 << 20)
print(libc.mallinfo2().hblkhd - mapped >= 2 << 20)
libc.free(block)
"""


def _mapped(mode: str) -> bool:
    done = subprocess.run([sys.executable, "-c", _PROBE, mode], capture_output=True, text=True,
                          check=True)
    return done.stdout.strip().splitlines()[-1] == "True"


def test_a_large_block_is_mapped_after_the_definitions_are_imported() -> None:
    assert _mapped("definitions")


def test_without_them_glibc_raises_its_threshold_and_keeps_the_block_in_the_heap() -> None:
    # the behaviour lib/allocator.py changes: without this, the test above could not fail
    assert not _mapped("plain")
