"""The progress.csv columns (docs/data-format.md describes each, and how it differs from the
reference's): their names, their order, and the one function that builds a row from plain values.
Also the one registry of the three meta-test protocols, which every other module reads its names from."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import torch


@dataclass(frozen=True)
class Protocol:
    """One meta-test protocol (docs/algorithm.md, "Meta-test") and every name it goes by."""

    key: str  # the code's name: the Evaluator's result keys, reproduce's tables
    column: str  # progress.csv column of its mean final-episode return over the test tasks and runs
    name: str  # rlkit.report's name, also the key in reference-seed files (docs/results/*-seeds.json)
    label: str  # its title in reproduce's tables and figures and in show_path.py's figures
    paths_file: str  # show_path.py's figure of its episodes


# the three protocols, in progress.csv column order
PROTOCOLS = (
    Protocol(
        "offline", "Average_OfflineReturn_all_test_tasks", "offline context", "offline context", "paths_offline.png"
    ),
    Protocol(
        "online",
        "Average_OnlineReturn_all_test_tasks",
        "online prior context",
        "online, prior context",
        "paths_online_prior.png",
    ),
    Protocol(
        "np", "Average_NpOnlineReturn_all_test_tasks", "non-prior context (Np)", "online, non-prior (Np)", "paths.png"
    ),
)
PROTOCOL_BY_KEY = {p.key: p for p in PROTOCOLS}

# protocol key -> column of its mean final-episode return over the test tasks and runs
RETURN_COLUMNS = {p.key: p.column for p in PROTOCOLS}

# loss (a `LossRecord` field) -> column of its mean over the iteration's training steps
LOSS_COLUMNS = {
    "z_loss": "Z Loss",
    "club_loss": "Club Loss",
    "club_model_loss": "Club model Loss",
    "qf_loss": "QF Loss",
    "vf_loss": "VF Loss",
    "policy_loss": "Policy Loss",
    "dual_critic_loss": "Dual Critic Loss",
}

# column prefix -> `LossRecord` field whose Mean/Std/Max/Min over the last step's batch are logged
STAT_COLUMNS = {
    "Q Predictions": "q_predictions",
    "V Predictions": "v_predictions",
    "Log Pis": "log_pis",
    "Policy mu": "policy_mu",
    "Policy log std": "policy_log_std",
    "alpha": "alpha",
    "div_estimate": "div_estimate",
}

# the collapse guard (docs/algorithm.md, "When the tanh encoder collapses"), from the iteration's last step:
# the across-task std of z over the meta-batch and its ratio to the within-task std (`trainer.task_spread`)
SPREAD_COLUMNS = ("Z Across-Task Std", "Z Spread Ratio")
# z is context-blind below either: a ratio near 1 is what a z that ignores its task gives; an across-task std
# below 1e-4 is invisible to networks whose inputs are O(1) (a saturated tanh's leftover differences; a z that
# learns, even from the 3e-3 output init, is above it within a few hundred steps)
COLLAPSE_RATIO, COLLAPSE_ACROSS = 1.5, 1e-4

# BOREL only, appended after every other column: its belief VAE's stage (`rlkit.experiment`), the steps it took and
# the means of its loss and parts over its last `num_train_steps_per_itr` steps (the VAE is frozen after)
VAE_COLUMNS = {
    "steps": "VAE Steps",
    "loss": "VAE Loss",
    "reward": "VAE Reward Loss",
    "state": "VAE State Loss",
    "kl": "VAE KL",
}

# wall-clock columns: the only ones that differ between two runs of the same seed
TRAIN_STEPS = "Number of train steps total"  # the x axis of every curve
TIMING_COLUMNS = ["Train Time (s)", "(Previous) Eval Time (s)", "Epoch Time (s)", "Total Train Time (s)"]


def stats(name: str, values: torch.Tensor | np.ndarray) -> dict[str, float]:
    """`<name> Mean/Std/Max/Min`, as the reference's create_stats_ordered_dict."""
    v = values.detach().float().cpu().numpy() if isinstance(values, torch.Tensor) else np.asarray(values, np.float64)
    return {
        f"{name} Mean": float(v.mean()),
        f"{name} Std": float(v.std()),
        f"{name} Max": float(v.max()),
        f"{name} Min": float(v.min()),
    }


def progress_row(
    counters: Mapping[str, float],
    times: Mapping[str, float],
    returns: Mapping[str, float],
    z_train: Sequence[float],
    z_train_std: float,
    z_eval: Sequence[float],
    z_eval_std: float,
    loss_means: Mapping[str, float],
    stat_values: Mapping[str, torch.Tensor | np.ndarray],
    z_spread: tuple[float, float] = (math.nan, math.nan),
) -> dict[str, float]:
    """One progress.csv row, in the column order above.

    counters: train_steps, env_steps, rollouts, iteration (done, so `Epoch` is iteration - 1), train_time (total);
    times: train, eval, epoch (this iteration's seconds); returns: protocol -> mean return (absent: nan, no
    meta-test ran: `allow_eval` false);
    z_train: z of the first training task of the last step; z_eval: z of the last Np job;
    loss_means: `LOSS_COLUMNS` key -> mean; stat_values: `STAT_COLUMNS` field -> values;
    z_spread: the `SPREAD_COLUMNS` values (across-task std of z, spread ratio) of the last step."""
    row: dict[str, float] = {
        TRAIN_STEPS: counters["train_steps"],
        "Number of env steps total": counters["env_steps"],
        "Number of rollouts total": counters["rollouts"],
        TIMING_COLUMNS[0]: times["train"],
        TIMING_COLUMNS[1]: times["eval"],
        TIMING_COLUMNS[2]: times["epoch"],
        TIMING_COLUMNS[3]: counters["train_time"],
        "Epoch": counters["iteration"] - 1,
    }
    for key, name in RETURN_COLUMNS.items():
        row[name] = returns.get(key, math.nan)
    for i, v in enumerate(z_train):
        row[f"Z mean train{i}"] = v
    row["Z variance train"] = z_train_std
    for i, v in enumerate(z_eval):
        row[f"Z mean eval{i}"] = v
    row["Z variance eval"] = z_eval_std
    for key, name in LOSS_COLUMNS.items():
        row[name] = loss_means[key]
    for name, field in STAT_COLUMNS.items():
        row.update(stats(name, stat_values[field]))
    row.update(zip(SPREAD_COLUMNS, z_spread))
    return {k: float(v) for k, v in row.items()}


def collapse_warning(row: Mapping[str, float]) -> str | None:
    """'z collapsed (...)' when a progress row's z is context-blind by the `SPREAD_COLUMNS` thresholds, else
    None (also for a row written before those columns existed, or without a within-task estimate)."""
    across, ratio = (row.get(c, math.nan) for c in SPREAD_COLUMNS)
    if math.isnan(across) or math.isnan(ratio) or (ratio >= COLLAPSE_RATIO and across >= COLLAPSE_ACROSS):
        return None
    return (
        f"z collapsed (across-task std {across:.2g}, spread ratio {ratio:.2g}; alive: ratio >= {COLLAPSE_RATIO} "
        f"and std >= {COLLAPSE_ACROSS:g})"
    )


def meta_test_columns(row: Mapping[str, float]) -> list[str]:
    """The columns of `row` the meta-test fills (returns, its z): NaN where it did not run (`allow_eval` false)."""
    return [k for k in row if k in RETURN_COLUMNS.values() or k.startswith("Z mean eval") or k == "Z variance eval"]
