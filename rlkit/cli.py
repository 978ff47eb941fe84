"""Shared CLI plumbing: a `UserError` becomes one line on stderr and its exit code (2; 3 for a diverged run)."""
from __future__ import annotations

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
