"""Reading a dataset for a run: a task's checked episodes, the normaliser, a parameter family's task files."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np

from rlkit.data.dataset import TASK_PARAMS_FILE, Trajectories, checkpoint_path, task_dir
from rlkit.data.meta import listed_checkpoints, physics_problem, read_task_meta, task_meta_problem
from rlkit.data.npz import NPZ_ERRORS, read_checkpoint
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


NORMALIZER_EXPECTED = "an .npz file holding abs_max, one finite value >= 0 per observation entry"


def read_normalizer(
    data_dir: str | Path, obs_dim: int | None = None, what: str = "the env's observation size"
) -> np.ndarray | None:
    """`abs_max + 1e-8` if DATA_DIR/normalizer.npz exists, else None. A file that cannot be read, lacks
    `abs_max`, or holds anything but one finite value >= 0 per observation entry (shape `(obs_dim,)` given
    `obs_dim`, `what` says whose size that is; else any 1-D shape) is a one-line UserError naming it."""
    path = Path(data_dir) / "normalizer.npz"
    if not path.is_file():
        return None
    try:
        z = np.load(path, allow_pickle=False)
        if not isinstance(z, np.lib.npyio.NpzFile):  # a bare .npy under this name
            raise ValueError("not an .npz archive")
        with z:
            if "abs_max" not in z.files:
                raise UserError(
                    f"{str(path)!r} has no abs_max (it holds {sorted(z.files)}): expected {NORMALIZER_EXPECTED}"
                )
            abs_max = z["abs_max"]
    except NPZ_ERRORS as e:
        raise UserError(
            f"{str(path)!r} is truncated or unreadable ({type(e).__name__}: {e}): expected {NORMALIZER_EXPECTED}"
        ) from None
    if abs_max.dtype.kind not in "biuf":
        raise UserError(f"{str(path)!r} holds abs_max of type {abs_max.dtype}: expected {NORMALIZER_EXPECTED}")
    if abs_max.ndim != 1 or (obs_dim is not None and abs_max.shape != (obs_dim,)):
        size = f"({obs_dim},), {what}" if obs_dim is not None else "one dimension, one value per observation entry"
        raise UserError(f"{str(path)!r} holds abs_max of shape {abs_max.shape}: expected {size}")
    abs_max = abs_max.astype(np.float64)
    if not np.isfinite(abs_max).all() or (abs_max < 0).any():
        bad = [float(v) for v in abs_max if not (np.isfinite(v) and v >= 0)]
        raise UserError(
            f"{str(path)!r} holds non-finite or negative abs_max values {bad[:5]}: expected {NORMALIZER_EXPECTED}"
        )
    return abs_max + 1e-8


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
    physics_version: int | None = None,
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
    listed = set(listed_checkpoints(tdir, meta))  # (also: an env_name that is not a string is one line)
    if meta.get("env_name") != env_name:
        raise UserError(f"dataset {str(tdir)!r} is for env {meta.get('env_name')!r}: expected {env_name!r}")
    if "obs_dim" in meta and (meta.get("obs_dim"), meta.get("action_dim")) != (obs_dim, action_dim):
        raise UserError(
            f"dataset {str(tdir)!r} has obs/action dims {meta.get('obs_dim')}/{meta.get('action_dim')}: "
            f"expected {obs_dim}/{action_dim} for {env_name!r}"
        )
    problem = task_meta_problem(tdir, meta, expected_task) or (
        None if physics_version is None else physics_problem(tdir, meta, physics_version)
    )
    if problem:
        raise UserError(problem)
    parts = []
    for step in steps:
        t = read_checkpoint(tdir, step, kind)
        if step not in listed:
            raise UserError(
                f"{str(checkpoint_path(tdir, step))!r} is not among the checkpoints that task.json lists "
                f"({sorted(listed)}): expected only files of the run that wrote task.json (a file left by "
                "another stage-1 run?)"
            )
        _check_sizes(checkpoint_path(tdir, step), t, obs_dim, action_dim, env_name)
        if t.n_traj < n_trj and checkpoint_path(tdir, step, extra=True).is_file():
            more = read_checkpoint(tdir, step, kind, missing_ok=True, extra=True)
            if more is not None:
                _check_sizes(checkpoint_path(tdir, step, extra=True), more, obs_dim, action_dim, env_name)
                t = Trajectories.concat([t, more])
        if t.n_traj < n_trj:
            more_from = (  # (--regenerate writes stochastic episodes only: no more deterministic ones)
                "policy_train.py --regenerate --n_trj K writes more from the saved policies"
                if kind == "sample"
                else "a smaller n_trj, or the stochastic episodes (algo_params.sample true), of which policy_train.py "
                "--regenerate writes more"
            )
            raise UserError(
                f"{str(checkpoint_path(tdir, step))!r} holds {t.n_traj} {kind} trajectories: expected at least "
                f"n_trj={n_trj} ({more_from})"
            )
        parts.append(t.first(n_trj))
    if not parts:
        raise UserError(f"no checkpoints selected for task {task_idx}: the epoch range is empty")
    return Trajectories.concat(parts)


def _check_sizes(path: Path, t: Trajectories, obs_dim: int, action_dim: int, env_name: str) -> None:
    """One line naming `path` where its trajectories' observation or action size is not the env's."""
    if t.obs.shape[1] != obs_dim or t.actions.shape[1] != action_dim:
        raise UserError(
            f"{str(path)!r} has observation size {t.obs.shape[1:]} and action size "
            f"{t.actions.shape[1:]}: expected ({obs_dim},) and ({action_dim},) for {env_name!r}"
        )
