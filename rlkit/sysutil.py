"""Process-level performance settings, applied once by the entry points (never on import)."""
from __future__ import annotations

import ctypes
import ctypes.util
import sys

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3


def tune_malloc() -> bool:
    """Keep freed large blocks in glibc's heap instead of returning them to the OS.

    Training allocates the same 1-16 MB activation tensors every step; by default glibc serves
    them with mmap and unmaps them on free, so every step pays page faults to zero fresh pages.
    Raising the mmap threshold to its maximum (32 MB) and the trim threshold lets them be
    reused (benchmarks/meta_train_speed.py measures the effect). Returns False off glibc.
    """
    if not sys.platform.startswith("linux"):
        return False
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        libc = ctypes.CDLL(name)
        ok = libc.mallopt(_M_MMAP_THRESHOLD, 32 * 1024 * 1024) == 1
        return ok and libc.mallopt(_M_TRIM_THRESHOLD, 1 << 30) == 1
    except (OSError, AttributeError):
        return False
