"""Keep glibc from handing every large temporary array back to the kernel (Linux only).

By default glibc's malloc serves each allocation of 128 KiB or more (a threshold that adapts up to
32 MiB) with a fresh mmap, and returns it to the kernel with munmap when freed. A training step
allocates and frees thousands of multi-megabyte temporaries, so each one page-faults again when it is
touched: measured on our 2-core machine, ~17,000 faults per step and 1.3-1.6x slower steps.

Raising the mmap threshold to 32 MiB (glibc's maximum) and the trim threshold to 1 GiB makes malloc
keep and reuse that memory, like PyTorch's own caching allocator does. Arrays above 32 MiB (the
(positions, 23,716 items) logits of a full-softmax loss: ~75 MB) would still be mmap-ed and faulted
in afresh each time (measured: exp() of such an array 61 ms instead of 9 ms), so we also set
M_MMAP_MAX to 0: every allocation then comes from the reusable heap. Freed memory is kept by the
process for the next step instead of being returned to the kernel.

Set the environment variable MINISHOP_NO_MALLOC_TUNING=1 to leave malloc alone.
"""

import ctypes
import ctypes.util
import os
import sys

M_TRIM_THRESHOLD = -1  # from glibc's <malloc.h>
M_MMAP_THRESHOLD = -3
M_MMAP_MAX = -4

MMAP_THRESHOLD_BYTES = 32 * 1024 * 1024
TRIM_THRESHOLD_BYTES = 1024 * 1024 * 1024

tuned = False  # True once mallopt succeeded


def tune_malloc():
    """Call mallopt() for the three settings; returns True if glibc accepted them."""
    if not sys.platform.startswith("linux") or os.environ.get("MINISHOP_NO_MALLOC_TUNING") == "1":
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (e.g. musl): nothing to tune
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    ok_mmap = mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES) == 1
    ok_trim = mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES) == 1
    ok_max = mallopt(M_MMAP_MAX, 0) == 1  # no mmap at all: big arrays come from the heap too
    return ok_mmap and ok_trim and ok_max


tuned = tune_malloc()
