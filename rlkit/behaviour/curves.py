"""Training curves of the behaviour policies: the mean return of every checkpoint's stochastic and
deterministic episodes, per task, next to the task's oracle return where the family has one, so
a user sees that the data spans poor to good behaviour (`python -m rlkit.data curves DATA_DIR`)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd

from rlkit.data.dataset import RETURNS_COLUMNS, RETURNS_FILE, mean_return, read_returns, task_dirs
from rlkit.data.meta import listed_checkpoints, read_task_meta
from rlkit.data.npz import read_checkpoint
from rlkit.errors import UserError
from rlkit.fileio import atomic_write, atomic_write_text
from rlkit.tasks import make_env, oracle_return

COLUMNS = ["task", *RETURNS_COLUMNS]


def behaviour_returns(data_dir: str | Path) -> pd.DataFrame:
    """One row per (task, checkpoint); from each task's returns.csv, or computed from its step files
    where there is none (datasets imported from the reference's layout, or written before it existed)."""
    frames = []
    for idx, tdir in task_dirs(data_dir, "a dataset written by policy_train.py"):
        path = tdir / RETURNS_FILE
        if path.is_file():
            df = read_returns(path)
        else:
            meta = read_task_meta(tdir) or {}
            rows = [
                (
                    c,
                    mean_return(read_checkpoint(tdir, c, "sample", missing_ok=True)),
                    mean_return(read_checkpoint(tdir, c, "eval", missing_ok=True)),
                )
                for c in listed_checkpoints(tdir, meta)
            ]
            df = pd.DataFrame(rows, columns=COLUMNS[1:])
        frames.append(df.assign(task=idx)[COLUMNS])
    out = pd.concat(frames, ignore_index=True)
    if out.empty:
        raise UserError(
            f"no checkpoints in {str(data_dir)!r}: expected a dataset with at least one written checkpoint "
            "(is policy_train.py still at its first one?)"
        )
    return out


def unfinished_tasks(data_dir: str | Path) -> list[int]:
    """The tasks whose task.json does not say complete (still training, or interrupted): their curves end at the
    last checkpoint written so far."""
    return [
        idx
        for idx, tdir in task_dirs(data_dir, "a dataset written by policy_train.py")
        if not (read_task_meta(tdir) or {}).get("complete")
    ]


def oracle_returns(data_dir: str | Path, env_params: dict | None = None) -> dict[int, float]:
    """Per task, the scripted oracle's return, where the family has an oracle and the env's parameters are
    known: from task.json (recorded since env_params was added) or, for older datasets, `env_params`."""
    out = {}
    for idx, tdir in task_dirs(data_dir, "a dataset written by policy_train.py"):
        meta = read_task_meta(tdir) or {}
        params = meta.get("env_params", env_params)
        if params is None or "env_name" not in meta:  # (a task still training has no task.json yet)
            continue
        env = make_env(meta["env_name"], **params)
        if not env.has_oracle:
            return {}
        out[idx] = oracle_return(env, idx)
    return out


def plot_curves(df: pd.DataFrame, oracle: dict[int, float], out: Path, title: str) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
    cmap = plt.get_cmap("viridis")
    tasks = sorted(df["task"].unique())
    for ax, col, name in zip(axes, COLUMNS[2:], ("stochastic policy", "deterministic policy")):
        for k, t in enumerate(tasks):
            d = df[df["task"] == t]
            # (a marker at each checkpoint: a dataset of one checkpoint is a point, which a line alone never draws)
            ax.plot(d["checkpoint"], d[col], color=cmap(k / max(len(tasks) - 1, 1)), lw=1, alpha=0.8, marker="o", ms=3)
        if oracle:
            values = np.array(list(oracle.values()))
            ax.axhline(
                values.mean(),
                color="k",
                ls="--",
                lw=1,
                label=f"oracle, mean over tasks ({values.min():.3g} to {values.max():.3g})",
            )
            ax.legend(fontsize=8, loc="lower right")
        ax.set_title(f"{name}: one line per task ({len(tasks)})")
        ax.set_xlabel("behaviour SAC step (checkpoint)")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("mean episode return")
    fig.suptitle(title)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, dpi=110, format="png")
    plt.close(fig)
    atomic_write(out, lambda f: f.write(buf.getvalue()))
    return out


def write_curves(data_dir: str | Path, out: Path | None = None, env_params: dict | None = None) -> tuple[Path, Path]:
    """DATA_DIR/behaviour_returns.csv (every task and checkpoint, with the oracle return) and the figure, the figure
    first: a figure that cannot be written where `out` says leaves the data folder as it was."""
    data_dir = Path(data_dir)
    df = behaviour_returns(data_dir)
    oracle = oracle_returns(data_dir, env_params)
    table = df.assign(oracle_return=df["task"].map(oracle).astype(float))
    png = plot_curves(df, oracle, out or data_dir / "behaviour_curves.png", f"behaviour data: {data_dir.name}")
    csv_path = data_dir / "behaviour_returns.csv"
    atomic_write_text(csv_path, table.to_csv(index=False))
    return csv_path, png
