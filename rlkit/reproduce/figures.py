"""The report's PNGs: Fig. 3's learning curves and Fig. 4's ablation bars, in normalised score."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from rlkit.fileio import atomic_savefig
from rlkit.logging import PROTOCOL_BY_KEY, RETURN_COLUMNS, TRAIN_STEPS
from rlkit.report import Reference
from rlkit.stats import curve_band, t_interval


def plot_curves(runs: dict[str, list[pd.DataFrame]], ref: Reference, out: Path, title: str) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(14, 4.2), sharey=True)
    for ax, key in zip(axes, ("np", "online", "offline")):
        col = RETURN_COLUMNS[key]
        for method, frames in runs.items():
            x, mean, lo, hi = curve_band(
                [f[TRAIN_STEPS].to_numpy() for f in frames], [f[col].to_numpy() for f in frames]
            )
            ax.plot(x, ref.score(mean), label=f"{method} ({len(frames)} seeds)")
            ax.fill_between(x, ref.score(lo), ref.score(hi), alpha=0.2)
        ax.axhline(1.0, color="k", ls="--", lw=1)
        ax.axhline(0.0, color="gray", ls=":", lw=1)
        ax.set_title(PROTOCOL_BY_KEY[key].label)
        ax.set_xlabel("gradient steps")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel(f"normalised score\n(random 0, {ref.top.split(' (')[0]} 1)")  # (two lines: a long top fits)
    axes[0].legend(fontsize=8)
    fig.suptitle(f"{title}: mean and 95% band over seeds")
    fig.tight_layout()
    atomic_savefig(fig, out, dpi=110)
    plt.close(fig)
    return out


def plot_ablation(cells: dict[str, pd.Series], ref: Reference, out: Path, title: str) -> Path:
    """Fig. 4's bars: each cell's mean normalised score with the 95% Student-t interval of that mean over seeds
    (an IQM interval around a mean bar could leave the bar, from 5 seeds on; one seed: no whisker)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    names = list(cells)
    scores = [cells[n].score for n in names]
    bands = [t_interval(ref.score(cells[n].finals)) for n in names]
    err = [
        [0.0 if math.isnan(lo) else s - lo for s, (lo, _) in zip(scores, bands)],
        [0.0 if math.isnan(hi) else hi - s for s, (_, hi) in zip(scores, bands)],
    ]
    ax.bar(range(len(names)), scores, yerr=err, capsize=4, color=["#bbb", "#8ab", "#b98", "#47a"])
    ax.set_xticks(range(len(names)), [n.replace(" (", "\n(") for n in names], fontsize=8)
    ax.set_ylabel("normalised score (bars: mean; whiskers: 95% t-interval)")
    ax.set_title(title)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    atomic_savefig(fig, out, dpi=110)
    plt.close(fig)
    return out
