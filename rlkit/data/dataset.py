"""The offline dataset on disk (docs/data-format.md).

DATA_DIR/goal_idx{i}/
    task.json          env name, task index and parameters, dims, checkpoints, seed, versions,
                       "complete": true once every checkpoint is written (the resume marker)
    step{c}.npz        one file per behaviour checkpoint c, pickle-free float32 arrays:
                       {kind}_{obs,actions,rewards,next_obs,terminals,traj_lengths} for kind in
                       "sample" (stochastic policy, the reference's trj_evalsample) and "eval"
                       (deterministic, the reference's trj_eval)
    task_params.json   (parameter families only) the task's model parameters, written by
                       rand_param_envs.save_task_params; meta-training restores the task from it
DATA_DIR/stage1_settings.json   the stage-1 settings every task is trained with (env and its parameters, SAC,
                       schedule, seeding, physics, networks saved), created by the first stage-1 run to begin
                       (once, whole): a run or --split part of other settings is refused
DATA_DIR/normalizer.npz (optional, key abs_max): observations are divided by abs_max + 1e-8
                       when loading and when acting. Files always store raw observations.

Every write goes to a temporary file that is renamed into place, so a killed run never
leaves a half file that looks whole.

This module holds the layout's names and `Trajectories`; the files are read and written by
`npz` (step files), `networks` (behaviour networks), `meta` (task.json), `load` (a run's data)
and `check` (`python -m rlkit.data check`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from rlkit.errors import UserError
from rlkit.fileio import ascii_digits, read_csv_table

if TYPE_CHECKING:
    import pandas as pd

FORMAT_VERSION = 1
KINDS = ("sample", "eval")
TASK_PARAMS_FILE = "task_params.json"
SETTINGS_FILE = "stage1_settings.json"  # DATA_DIR/: the stage-1 settings of every task (`group_settings`)
RETURNS_FILE = "returns.csv"  # per task: mean stochastic and deterministic return of every checkpoint
RETURNS_COLUMNS = ("checkpoint", "stochastic_return", "deterministic_return")  # its header
LOSSES_FILE = "losses.csv"  # per task: the means of its SAC updates' records since the checkpoint before each
LOSSES_EVERY = ("critic_loss", "batch_reward")  # the records of every update
LOSSES_ACTOR = ("actor_loss", "alpha_loss", "alpha", "entropy")  # and of an update of the actor and temperature
# its header: each group's means after its count (nan where no update of the kind ran)
LOSSES_COLUMNS = ("checkpoint", "updates", *LOSSES_EVERY, "actor_updates", *LOSSES_ACTOR)
FIELDS = ("obs", "actions", "rewards", "next_obs", "terminals", "traj_lengths")
# the stage-1 settings (`group_settings`) that task.json records under another name: whether its networks were saved
TASK_RECORD_NAMES = {"save_networks": "saved_networks"}


def as_task_records(settings: dict[str, Any]) -> dict[str, Any]:
    """`settings` under task.json's names (`TASK_RECORD_NAMES`), in their order."""
    return {TASK_RECORD_NAMES.get(k, k): v for k, v in settings.items()}


@dataclass
class Trajectories:
    """Consecutive episodes, flattened: row t is (obs, action, reward, next_obs, terminal)."""

    obs: np.ndarray  # [n, obs_dim] float32
    actions: np.ndarray  # [n, action_dim] float32
    rewards: np.ndarray  # [n] float32
    next_obs: np.ndarray  # [n, obs_dim] float32
    terminals: np.ndarray  # [n] float32, 1 where the env terminated (not a time limit)
    traj_lengths: np.ndarray  # [k] int64, episode lengths, sum = n

    def __len__(self) -> int:
        return len(self.rewards)

    @property
    def n_traj(self) -> int:
        return len(self.traj_lengths)

    def first(self, n_traj: int) -> Trajectories:
        """The first `n_traj` episodes."""
        n = int(self.traj_lengths[:n_traj].sum())
        return Trajectories(
            self.obs[:n],
            self.actions[:n],
            self.rewards[:n],
            self.next_obs[:n],
            self.terminals[:n],
            self.traj_lengths[:n_traj],
        )

    @staticmethod
    def concat(parts: list[Trajectories]) -> Trajectories:
        return Trajectories(*(np.concatenate([getattr(p, f) for p in parts]) for f in FIELDS))

    def traj_end_mask(self) -> np.ndarray:
        """1.0 at the last transition of every episode."""
        mask = np.zeros(len(self), dtype=np.float32)
        mask[np.cumsum(self.traj_lengths) - 1] = 1.0
        return mask

    def chained(self) -> Trajectories:
        """These episodes with every next_obs inside an episode set to the next step's obs (in place), as stage 1
        writes them: for synthetic data (the benchmarks, `rlkit.budget`), whose rows are drawn one by one."""
        inside = np.flatnonzero(self.traj_end_mask()[:-1] == 0)
        self.next_obs[inside] = self.obs[inside + 1]
        return self


TASK_DIR_PREFIX = "goal_idx"


def mean_return(trajs: Trajectories | None, horizon: int | None = None) -> float:
    """Mean episode return of a checkpoint's episodes (nan if there are none); `horizon`: of each episode's first
    `horizon` steps."""
    if trajs is None or not len(trajs.traj_lengths):
        return float("nan")
    if horizon is None or trajs.traj_lengths.max() <= horizon:
        return float(trajs.rewards.sum()) / len(trajs.traj_lengths)
    starts = np.concatenate([[0], np.cumsum(trajs.traj_lengths)[:-1]])
    rewards = np.asarray(trajs.rewards).reshape(-1)
    return float(np.mean([rewards[s : s + min(n, horizon)].sum() for s, n in zip(starts, trajs.traj_lengths)]))


def task_dir(data_dir: str | Path, task_idx: int) -> Path:
    return Path(data_dir) / f"{TASK_DIR_PREFIX}{task_idx}"


def checkpoint_path(tdir: Path, step: int, extra: bool = False) -> Path:
    """`step{c}.npz`, or with `extra` `step{c}_extra.npz`: more episodes of checkpoint c's saved policy
    (`policy_train.py --regenerate`), which the loader appends when n_trj asks for more."""
    return tdir / f"step{int(step)}{EXTRA_SUFFIX if extra else ''}.npz"


EXTRA_SUFFIX = "_extra"


def parse_task_dir(tdir: Path) -> int | None:
    """i of a `goal_idx{i}` folder, or None for another name (`goal_idx01` too: it is not task 1's folder, which the
    loader reads, and read as task 1 beside it the two would merge)."""
    name = Path(tdir).name
    digits = name[len(TASK_DIR_PREFIX) :]
    if not (name.startswith(TASK_DIR_PREFIX) and ascii_digits(digits)):
        return None
    return int(digits) if str(int(digits)) == digits else None


def task_dirs(root: str | Path, expected: str) -> list[tuple[int, Path]]:
    """(i, folder) of every `goal_idx{i}` folder of `root`, by i; none is a UserError ending in `expected`."""
    root = Path(root)
    if not root.exists():
        raise UserError(f"{str(root)!r} not found: expected {expected}")
    found = sorted(
        (i, d) for d in root.glob(f"{TASK_DIR_PREFIX}*") if d.is_dir() and (i := parse_task_dir(d)) is not None
    )
    if not found:
        raise UserError(f"no {TASK_DIR_PREFIX}* folders in {str(root)!r}: expected {expected}")
    return found


def read_returns(path: Path) -> pd.DataFrame:
    """A task's returns.csv (`RETURNS_COLUMNS`, a row per checkpoint; nan where a checkpoint has no episodes of
    a kind), as `rlkit.behaviour.curves` draws it; a damaged one is a one-line UserError naming it."""
    return read_csv_table(
        path,
        f"the returns.csv policy_train.py writes ({','.join(RETURNS_COLUMNS)}, then a row of numbers per checkpoint)",
        RETURNS_COLUMNS,
        integers=("checkpoint",),
    )
