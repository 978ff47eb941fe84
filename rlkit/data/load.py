"""Reading a dataset for a run: a task's checked episodes, the normaliser, a parameter family's task files."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np

from rlkit.data.dataset import TASK_PARAMS_FILE, Trajectories, checkpoint_path, task_dir
from rlkit.data.meta import read_task_meta, task_meta_problem
from rlkit.data.npz import read_checkpoint
from rlkit.errors import UserError


def restore_dataset_tasks(env, data_dir: str | Path) -> int:
    """Give a parameter family's env the tasks its dataset was written with; returns how many.

    Envs without per-task parameter files (reward families) are left as they are.
    """
    if not env.supports_task_files:
        return 0
    restored = 0
    for i in range(len(env.tasks)):
        path = task_dir(data_dir, i) / TASK_PARAMS_FILE
        if path.is_file():
            env.load_task(i, path)
            restored += 1
    return restored


def read_normalizer(data_dir: str | Path) -> np.ndarray | None:
    """`abs_max + 1e-8` if DATA_DIR/normalizer.npz exists, else None."""
    path = Path(data_dir) / "normalizer.npz"
    if not path.is_file():
        return None
    with np.load(path, allow_pickle=False) as z:
        return z["abs_max"].astype(np.float64) + 1e-8


def load_task_data(
    data_dir: str | Path,
    task_idx: int,
    steps: Iterable[int],
    kind: str,
    n_trj: int,
    env_name: str,
    obs_dim: int,
    action_dim: int,
    expected_task: dict | None = None,
) -> Trajectories:
    """The first `n_trj` episodes of `kind` at each checkpoint in `steps`, checked against the env (and,
    given `expected_task`, against the env's description of task `task_idx`)."""
    tdir = task_dir(data_dir, task_idx)
    if not tdir.is_dir():
        raise UserError(
            f"missing dataset folder {str(tdir)!r}: expected behaviour data for task {task_idx} "
            f"(run policy_train.py for {env_name!r} first, or fix algo_params.data_dir)"
        )
    meta = read_task_meta(tdir)
    if meta is None:
        raise UserError(
            f"{str(tdir / 'task.json')!r} is missing: expected a dataset written by policy_train.py or import-legacy"
        )
    if meta.get("env_name") != env_name:
        raise UserError(f"dataset {str(tdir)!r} is for env {meta.get('env_name')!r}: expected {env_name!r}")
    if "obs_dim" in meta and (meta.get("obs_dim"), meta.get("action_dim")) != (obs_dim, action_dim):
        raise UserError(
            f"dataset {str(tdir)!r} has obs/action dims {meta.get('obs_dim')}/{meta.get('action_dim')}: "
            f"expected {obs_dim}/{action_dim} for {env_name!r}"
        )
    problem = task_meta_problem(tdir, meta, expected_task)
    if problem:
        raise UserError(problem)
    listed = set(meta.get("checkpoints", []))
    parts = []
    for step in steps:
        t = read_checkpoint(tdir, step, kind)
        if step not in listed:
            raise UserError(
                f"{str(checkpoint_path(tdir, step))!r} is not among the checkpoints that task.json lists "
                f"({sorted(listed)}): expected only files of the run that wrote task.json (a file left by "
                "another stage-1 run?)"
            )
        if t.obs.ndim != 2 or t.obs.shape[1] != obs_dim or t.actions.shape[1] != action_dim:
            raise UserError(
                f"{str(checkpoint_path(tdir, step))!r} has observation size {t.obs.shape[1:]} and action size "
                f"{t.actions.shape[1:]}: expected ({obs_dim},) and ({action_dim},) for {env_name!r}"
            )
        if t.n_traj < n_trj and checkpoint_path(tdir, step, extra=True).is_file():
            more = read_checkpoint(tdir, step, kind, missing_ok=True, extra=True)
            t = Trajectories.concat([t, more]) if more is not None else t
        if t.n_traj < n_trj:
            raise UserError(
                f"{str(checkpoint_path(tdir, step))!r} holds {t.n_traj} {kind} trajectories: expected at least "
                f"n_trj={n_trj} (policy_train.py --regenerate --n_trj K writes more from the saved policies)"
            )
        parts.append(t.first(n_trj))
    if not parts:
        raise UserError(f"no checkpoints selected for task {task_idx}: the epoch range is empty")
    return Trajectories.concat(parts)
