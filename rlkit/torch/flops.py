"""Counting the work of a training step, and how fast this machine does dense matmuls.

Used by `benchmarks/meta_train_speed.py` (efficiency of a step) and by the demo's summary (its
budget in FLOPs, so that a slow machine's wall time explains itself). Only matmul FLOPs are
counted, forward and backward, as `torch.utils.flop_counter` counts them, plus the oneDNN linear
layers of `cpu_kernels`, which that counter does not know (it asks that module for their count).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import torch

from rlkit.torch import cpu_kernels


def count_flops(fn: Callable[[], object]) -> int:
    """Matmul FLOPs of one call of `fn` (forward + backward if it backpropagates)."""
    from torch.utils.flop_counter import FlopCounterMode

    mapping = cpu_kernels.flop_mapping()
    with FlopCounterMode(display=False, custom_mapping=mapping) as counter:
        fn()
    return counter.get_total_flops()


class MatmulProbe:
    """Dense fp32 matmul throughput now (FLOP/s): the best of a square shape and a training step's big shapes."""

    SHAPES = [(1024, 1024, 1024), (16384, 200, 200), (8192, 256, 256)]

    def __init__(self):
        self.operands = [(torch.randn(n, k), torch.randn(k, m)) for n, k, m in self.SHAPES]
        for a, b in self.operands:
            a @ b

    def __call__(self, reps: int = 3) -> float:
        best = 0.0
        for a, b in self.operands:
            t = time.perf_counter()
            for _ in range(reps):
                a @ b
            best = max(best, 2 * a.shape[0] * a.shape[1] * b.shape[1] * reps / (time.perf_counter() - t))
        return best
