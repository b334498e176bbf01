"""How the C library's malloc serves the tensor engine's arrays, set once at import.

A training step allocates its activations in the forward pass and frees them during the
next step, over and over, in arrays from a few hundred KiB to a few MiB. With glibc's
defaults, an array above the mmap threshold (128 KiB at first) gets pages of its own from
the kernel and returns them when freed, and freed memory at the top of the heap is given
back as soon as more than the trim threshold lies there. Either way the next step's arrays
come back as new pages, each 4 KiB one zeroed by the kernel on its first write (a page
fault), and each big free is an munmap: measured on makemore's float64 Transformer, thousands
of faults a step and a sixth of its time (benchmarks/README.md).

glibc raises both thresholds by itself once it sees big arrays freed, up to 32 MiB and
64 MiB, but the first steps, and any free of an array above the current threshold, keep
resetting the pattern. ``tune`` sets those two ceilings from the start: arrays under 32 MiB
come from the heap and are reused, and up to 64 MiB of freed memory stays with the process
rather than going back to the kernel between steps. PyTorch's own guidance for CPU training
is the same idea (an allocator that keeps memory: jemalloc or tcmalloc through LD_PRELOAD).

It changes nothing where the C library is not glibc, or where the user has set either
threshold already (``MALLOC_MMAP_THRESHOLD_``, ``MALLOC_TRIM_THRESHOLD_`` or
``GLIBC_TUNABLES``), or sets ``MICROGRAD_MALLOC=default``.
"""

from __future__ import annotations

import ctypes
import os
import sys

# mallopt's parameter numbers, from glibc's malloc.h
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3

MMAP_THRESHOLD = 32 * 1024 * 1024  # glibc's DEFAULT_MMAP_THRESHOLD_MAX on 64-bit
TRIM_THRESHOLD = 2 * MMAP_THRESHOLD  # what glibc's adaptive rule pairs with it

_USER_SETTINGS = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "GLIBC_TUNABLES")


def tune() -> bool:
    """Set glibc's mmap and trim thresholds for training loops; True if they were set."""
    if not sys.platform.startswith("linux") or os.environ.get("MICROGRAD_MALLOC") == "default":
        return False
    if any(name in os.environ for name in _USER_SETTINGS):
        return False
    try:
        if not os.confstr("CS_GNU_LIBC_VERSION"):
            return False
        mallopt = ctypes.CDLL(None).mallopt
    except (AttributeError, OSError, ValueError):  # not glibc (musl, ...), or no confstr name
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
        mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )


TUNED = tune()
