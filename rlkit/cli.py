"""Shared CLI plumbing: a `UserError` becomes one line on stderr and its exit code (2; 3 for a diverged run)."""
from __future__ import annotations

import ctypes
import sys
from typing import Any, Callable

import click
import torch

from rlkit.errors import UserError


def run_cli(command: Callable[..., Any], args: list[str] | None = None) -> None:
    try:
        command.main(args=args, standalone_mode=False)
    except UserError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(e.exit_code)
    except click.exceptions.Abort:
        print("aborted", file=sys.stderr)
        sys.exit(130)
    except click.ClickException as e:
        print(f"error: {e.format_message()}", file=sys.stderr)
        sys.exit(2)


def select_device(gpu: int | None) -> torch.device:
    """cuda:G when asked and available; otherwise the CPU, saying so in one line if CUDA was asked for."""
    if gpu is None or gpu < 0:
        return torch.device("cpu")
    if torch.cuda.is_available() and gpu < torch.cuda.device_count():
        return torch.device(f"cuda:{gpu}")
    print(f"note: --gpu {gpu} asked for CUDA, which is not available here; running on the CPU", file=sys.stderr)
    return torch.device("cpu")


_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_THRESHOLD = -1, -2, -3  # glibc mallopt parameter ids


def keep_freed_memory() -> bool:
    """Ask glibc's malloc to keep freed memory for reuse instead of returning it to the OS.

    A training step allocates and frees dozens of 4-13 MB activation and gradient tensors.
    By default glibc serves many of them with fresh mmap pages, so the matmul writing them
    page-faults (about 4,000 faults and 6-14 ms of kernel time per step at the point-robot
    settings; a CLUB-net fit alone goes from 74 to 55 ms with this setting). The process's
    resident memory then stays at its peak instead of shrinking between steps. Process-wide,
    so only the entry points call it; returns False (changing nothing) where malloc is not glibc.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):
        return False
    settings = ((_M_MMAP_THRESHOLD, 256 << 20), (_M_TRIM_THRESHOLD, 1 << 30), (_M_TOP_PAD, 64 << 20))
    return all([mallopt(key, value) == 1 for key, value in settings])  # a list: apply every setting, no short-circuit
