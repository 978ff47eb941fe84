"""`python -m rlkit.plot RUNS_DIR [--out FILE]`: learning curves of the three meta-test protocols.

One line per protocol, mean over the runs (seeds) found under RUNS_DIR, shaded +- std, with
the oracle and uniform-random returns as horizontal references where the env has them. The
curves end where the shortest run ends (`rlkit.stats.curve_band`). RUNS_DIR must hold one experiment
(runs of one config apart from the seed); runs of different configs are refused rather than averaged.
"""

from __future__ import annotations

from pathlib import Path

import click
import numpy as np
import pandas as pd

from rlkit.cli import PATH, run_cli
from rlkit.errors import UserError
from rlkit.fileio import atomic_savefig
from rlkit.logging import TRAIN_STEPS
from rlkit.report import (
    PROTOCOLS,
    check_meta_tested,
    describe_groups,
    find_runs,
    group_runs,
    read_progress,
    reference_returns,
)
from rlkit.stats import curve_band


def learning_curves(frames: list[pd.DataFrame]) -> dict[str, tuple[np.ndarray, ...]]:
    """Per protocol, (train steps, mean, mean - std, mean + std) over the runs' progress tables, over the
    iterations every run reached."""
    xs = [f[TRAIN_STEPS].to_numpy() for f in frames]
    return {name: curve_band(xs, [f[col].to_numpy() for f in frames], band="std") for name, col in PROTOCOLS.items()}


def plot_runs(runs: list[Path], out: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = group_runs(runs)
    if len(groups) > 1:
        raise UserError(
            f"the runs hold {len(groups)} experiments with different configs ({describe_groups(groups)}): "
            "expected one experiment; plot each experiment folder separately"
        )
    frames = [read_progress(r) for r in runs]
    for run, frame in zip(runs, frames, strict=True):
        check_meta_tested(frame, run)
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for name, (x, mean, lo, hi) in learning_curves(frames).items():
        ax.plot(x, mean, label=name, marker="o" if len(x) == 1 else None)  # (one iteration: a line of one point)
        if len(frames) > 1:
            ax.fill_between(x, lo, hi, alpha=0.2)
    ref = reference_returns(runs[0])
    if ref:
        ax.axhline(ref.oracle, color="k", ls="--", lw=1, label=f"oracle ({ref.oracle:.2f})")
        ax.axhline(ref.random, color="gray", ls=":", lw=1, label=f"uniform random ({ref.random:.2f})")
    ax.set_xlabel("gradient steps")
    ax.set_ylabel("return on held-out tasks")
    ax.set_title(f"{runs[0].parent.parent.name}: {len(frames)} run(s)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    atomic_savefig(fig, out, dpi=120)
    plt.close(fig)
    return out


@click.command()
@click.argument("runs_dir", type=PATH)
@click.option("--out", default=None, type=PATH, help="PNG path (default: RUNS_DIR/learning_curve.png)")
def main(runs_dir: str, out: str | None) -> None:
    """Plot the learning curves of the runs under RUNS_DIR."""
    runs = find_runs(runs_dir)
    path = plot_runs(runs, Path(out) if out else Path(runs_dir) / "learning_curve.png")
    click.echo(f"wrote {path}")


if __name__ == "__main__":
    run_cli(main)
