"""Stage 1's progress output: one bar per task, a line per checkpoint, or nothing."""

from __future__ import annotations

import sys

from tqdm import tqdm

from rlkit.data.dataset import TASK_DIR_PREFIX


class TaskBars:
    """Progress of a task group, in one of three modes:
    "bars": one tqdm bar per task (`goal_idx{i}`), advancing together since a group's tasks train in
    lockstep, each showing its checkpoints written and the mean return of the last checkpoint's
    stochastic episodes; "lines": one plain line per checkpoint written (for logs: no cursor
    escapes); "off": nothing. `mode=None` picks "bars" on a terminal and "lines" otherwise."""

    def __init__(self, tasks: list[int], total: int, mode: str | None = None):
        self.mode = mode or ("bars" if sys.stderr.isatty() else "lines")
        self.tasks = tasks
        # fits 80 columns
        fmt = "{desc}: {percentage:3.0f}% {n_fmt}/{total_fmt} [{elapsed}<{remaining}, {rate_fmt}{postfix}]"
        self.bars = (
            [
                tqdm(total=total, desc=f"{TASK_DIR_PREFIX}{t}", position=i, leave=True, mininterval=1.0, bar_format=fmt)
                for i, t in enumerate(tasks)
            ]
            if self.mode == "bars"
            else []
        )

    def advance(self, steps: int = 1) -> None:
        for bar in self.bars:
            bar.update(steps)

    def checkpoint(self, i: int, n_written: int, mean_return: float) -> None:
        if self.mode == "bars":
            self.bars[i].set_postfix(ckpts=n_written, ret=f"{mean_return:.3g}", refresh=False)
        elif self.mode == "lines":
            print(
                f"{TASK_DIR_PREFIX}{self.tasks[i]}: checkpoint {n_written} written, mean return {mean_return:.3g}",
                file=sys.stderr,
                flush=True,
            )

    def close(self) -> None:
        for bar in self.bars:
            bar.close()
