"""Per-task randomised dynamics on `mujoco.MjModel` (docs/environments.md).

A task is a set of absolute model parameters (body_mass, body_inertia, dof_damping,
geom_friction). Sampling reproduces the reference: RandomState(1234); per task, in the
order mass, inertia, damping, friction, every element of the unmodified value is multiplied
by base ** U(-log_scale_limit, log_scale_limit), base 1.5 (1.3 for damping).

A task can be written to and read from a small JSON file (`save_task_params` /
`load_task_params`), so a dataset folder describes its own tasks.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import mujoco
import numpy as np

from rlkit.envs.mujoco_env import MujocoTaskEnv
from rlkit.errors import UserError
from rlkit.fileio import atomic_write_text

RAND_PARAMS = ("body_mass", "body_inertia", "dof_damping", "geom_friction")  # the reference's sampling order
BASES = {"body_mass": 1.5, "body_inertia": 1.5, "dof_damping": 1.3, "geom_friction": 1.5}
TASK_FILE_FORMAT = "csro-rand-params/1"

TaskParams = dict[str, np.ndarray]


def unmodified_params(model: mujoco.MjModel) -> TaskParams:
    return {name: getattr(model, name).copy() for name in RAND_PARAMS}


def sample_multipliers(
    shapes: dict[str, tuple[int, ...]], n_tasks: int, log_scale_limit: float = 3.0, seed: int = 1234
) -> list[TaskParams]:
    """Per task, one multiplier array per parameter (a local RandomState: the global RNG is untouched)."""
    rs = np.random.RandomState(seed)
    return [
        {name: BASES[name] ** rs.uniform(-log_scale_limit, log_scale_limit, size=shapes[name]) for name in RAND_PARAMS}
        for _ in range(n_tasks)
    ]


def apply_params(model: mujoco.MjModel, data: mujoco.MjData, params: TaskParams) -> None:
    """Write the parameters into the model and recompute its derived constants (mj_setConst)."""
    for name in RAND_PARAMS:
        getattr(model, name)[:] = params[name]
    mujoco.mj_setConst(model, data)


def save_task_params(path: str | Path, env_name: str, params: TaskParams) -> None:
    """Write one task's parameters as JSON (atomically: a temp file renamed into place)."""
    doc = {
        "format": TASK_FILE_FORMAT,
        "env_name": env_name,
        "params": {k: np.asarray(v).tolist() for k, v in params.items()},
    }
    atomic_write_text(Path(path), json.dumps(doc, indent=1) + "\n")


def load_task_params(path: str | Path, env_name: str, reference: TaskParams) -> TaskParams:
    """Read a task file written by `save_task_params`, checking the env and every shape."""
    try:
        doc = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as e:
        raise UserError(f"cannot read task file {str(path)!r}: {e}") from None
    if not isinstance(doc, dict) or doc.get("format") != TASK_FILE_FORMAT:
        raise UserError(f"task file {str(path)!r} is not a rand-params task file: expected format {TASK_FILE_FORMAT!r}")
    if doc.get("env_name") != env_name:
        raise UserError(f"task file {str(path)!r} is for env {doc.get('env_name')!r}: expected {env_name!r}")
    if not isinstance(doc.get("params"), dict):
        raise UserError(f"task file {str(path)!r} has no 'params' object: expected one with {sorted(reference)}")
    params = {}
    for name, ref in reference.items():
        try:
            value = np.asarray(doc["params"].get(name, []), dtype=np.float64)
        except (TypeError, ValueError):  # not numbers: the shape check below names it
            value = np.asarray([])
        if value.shape != ref.shape or not np.isfinite(value).all():
            raise UserError(
                f"task file {str(path)!r}: {name} has shape {value.shape}: expected finite values of shape {ref.shape}"
            )
        params[name] = value
    return params


class RandParamsEnv(MujocoTaskEnv):
    """A MuJoCo body whose dynamics change per task; the reward is the same for all tasks."""

    tasks_differ_in = "dynamics"
    physics_version = 2  # 1: gymnasium's 0.002 s assets, before the reference's 0.004 s (`_as_the_reference`)
    env_name = ""
    frame_skip = 4  # the reference's RandomEnv always passes 4
    qpos_noise = 0.005
    qvel_noise = 0.005
    qvel_noise_uniform = True

    def _as_the_reference(self, model: mujoco.MjModel) -> None:
        """The reference's rand-params assets (its vendored gym's hopper.xml and walker2d.xml) step at 0.004 s, where
        gymnasium's step at 0.002: with frame skip 4 an action lasts 16 ms, as in the reference, not 8."""
        model.opt.timestep = 0.004

    def __init__(
        self,
        n_tasks: int = 2,
        randomize_tasks: bool = True,
        max_episode_steps: int = 200,
        log_scale_limit: float = 3.0,
        seed: int | None = None,
    ):
        if not randomize_tasks:
            raise UserError(
                f"{self.env_name}: randomize_tasks false is not supported (the reference read tasks from "
                "./data/*/log.txt): expected true; a dataset's own tasks are restored from its "
                "goal_idx{i}/task_params.json"
            )
        super().__init__([], max_episode_steps, seed)
        self.init_params = unmodified_params(self.model)
        shapes = {k: v.shape for k, v in self.init_params.items()}
        multipliers = sample_multipliers(shapes, n_tasks, log_scale_limit)
        self.task_params = [{k: self.init_params[k] * m[k] for k in RAND_PARAMS} for m in multipliers]
        self.tasks = [self._describe(p) for p in self.task_params]
        self._applied = -1  # the task whose parameters the model holds
        self._task_changed()

    @staticmethod
    def _describe(params: TaskParams) -> dict[str, Any]:
        return {k: v.tolist() for k, v in params.items()}

    @property
    def goal(self) -> int:
        return self.task_idx

    def _task_changed(self) -> None:
        if self._applied != self.task_idx:
            apply_params(self.model, self.data, self.task_params[self.task_idx])
            self._applied = self.task_idx

    def set_task_params(self, idx: int, params: TaskParams) -> None:
        """Replace task `idx`'s parameters (e.g. restored from a dataset's task file)."""
        self.task_params[idx] = {k: np.array(params[k], dtype=np.float64) for k in RAND_PARAMS}
        self.tasks[idx] = self._describe(self.task_params[idx])
        if idx == self._applied:
            self._applied = -1
            self._task_changed()

    def save_task(self, idx: int, path: str | Path) -> None:
        save_task_params(path, self.env_name, self.task_params[idx])

    def load_task(self, idx: int, path: str | Path) -> None:
        self.set_task_params(idx, load_task_params(path, self.env_name, self.init_params))

    # shared locomotion reward of hopper and walker ---------------------------------------
    def _get_obs(self) -> np.ndarray:
        return np.concatenate([self.data.qpos[1:], np.clip(self.data.qvel, -10.0, 10.0)])

    def _before_step(self) -> float:
        return float(self.data.qpos[0])

    def _reward(self, x_before: float, action: np.ndarray) -> tuple[float, bool, dict[str, Any]]:
        forward_vel = (float(self.data.qpos[0]) - x_before) / self.dt
        reward = forward_vel + 1.0 - 1e-3 * float(action @ action)
        return reward, not self._healthy(), {"forward_vel": forward_vel}

    def _healthy(self) -> bool:
        raise NotImplementedError
