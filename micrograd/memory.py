"""glibc's malloc set up for a training loop: ``tune_malloc()``, one call, never made at import.

A training step allocates its activations in the forward pass and frees them during the
next step, over and over, in arrays from a few hundred KiB to a few MiB. With glibc's
defaults, an array above the mmap threshold (128 KiB at first) gets pages of its own from
the kernel and returns them when freed, and freed memory at the top of the heap is given
back as soon as more than the trim threshold lies there. Either way the next step's arrays
come back as new pages, each 4 KiB one zeroed by the kernel on its first write (a page
fault), and each big free is an munmap: thousands of faults a step on makemore's float64
Transformer (benchmarks/README.md measures what that costs).

glibc raises both thresholds by itself once it sees big arrays freed, up to 32 MiB and
64 MiB, but the first steps, and any free of an array above the current threshold, keep
resetting the pattern. ``tune_malloc`` sets those two ceilings from the start: arrays under
32 MiB come from the heap and are reused, and up to 64 MiB of freed memory stays with the
process rather than going back to the kernel between steps. PyTorch's own guidance for CPU
training is the same idea (an allocator that keeps memory: jemalloc or tcmalloc through
LD_PRELOAD).

The setting is the whole process's (every library's allocations in it), so importing
micrograd never makes it: the ``micrograd`` command makes it for its own training runs
(``makemore``, ``train``), and a script of yours can ask for it once, before its loop::

    import micrograd
    micrograd.tune_malloc()
"""

from __future__ import annotations

import ctypes
import os
import sys

__all__ = ["tune_malloc"]

# mallopt's parameter numbers, from glibc's malloc.h
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3

MMAP_THRESHOLD = 32 * 1024 * 1024  # glibc's DEFAULT_MMAP_THRESHOLD_MAX on 64-bit
TRIM_THRESHOLD = 2 * MMAP_THRESHOLD  # what glibc's adaptive rule pairs with it

_USER_SETTINGS = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "GLIBC_TUNABLES")


def tune_malloc() -> bool:
    """Set glibc's mmap and trim thresholds for a training loop, for this whole process, so
    a step's freed arrays are reused by the next step; True if they were set.

    Changes nothing, and returns False, where the C library is not glibc, where the user has
    set either threshold already (``MALLOC_MMAP_THRESHOLD_``, ``MALLOC_TRIM_THRESHOLD_`` or
    ``GLIBC_TUNABLES``), or with ``MICROGRAD_MALLOC=default`` in the environment.
    """
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
