"""cheetah-vel and cheetah-dir on gymnasium's half_cheetah.xml (docs/environments.md)."""

from __future__ import annotations

from typing import Any

import numpy as np

from rlkit.envs.mujoco_env import MujocoTaskEnv


def cheetah_velocities(n_tasks: int, randomize_tasks: bool) -> np.ndarray:
    """Target velocities: evenly spaced in [1, 3], or RandomState(1337).uniform(1, 3) as in the reference."""
    if randomize_tasks:
        return np.random.RandomState(1337).uniform(1.0, 3.0, size=n_tasks)
    return np.linspace(1.0, 3.0, num=n_tasks)


def cheetah_directions(n_tasks: int, randomize_tasks: bool) -> np.ndarray:
    """Directions in {-1, +1}: alternating -1, +1, ... (the reference's fixed [-1, 1] for 2 tasks),
    or RandomState(1337) coin flips."""
    if randomize_tasks:
        return 2 * np.random.RandomState(1337).binomial(1, 0.5, size=n_tasks) - 1
    return np.where(np.arange(n_tasks) % 2 == 0, -1, 1)


class HalfCheetahTaskEnv(MujocoTaskEnv):
    """HalfCheetah; obs = qpos[1:], qvel, torso position (20); the task scores the forward velocity."""

    asset = "half_cheetah.xml"
    frame_skip = 5
    ctrl_cost_weight = 0.05

    def _get_obs(self) -> np.ndarray:
        return np.concatenate([self.data.qpos[1:], self.data.qvel, self.body_xpos("torso")])

    def _before_step(self) -> float:
        return float(self.data.qpos[0])

    def _reward(self, x_before: float, action: np.ndarray) -> tuple[float, bool, dict[str, Any]]:
        forward_vel = (float(self.data.qpos[0]) - x_before) / self.dt
        task_reward = self._task_reward(forward_vel)
        ctrl_cost = self.ctrl_cost_weight * float(action @ action)
        return task_reward - ctrl_cost, False, {"forward_vel": forward_vel, "reward_ctrl": -ctrl_cost}

    def _task_reward(self, forward_vel: float) -> float:
        raise NotImplementedError


class HalfCheetahVelEnv(HalfCheetahTaskEnv):
    """Reward = -|forward velocity - target| - 0.05 |a|^2."""

    def __init__(
        self, n_tasks: int = 2, randomize_tasks: bool = False, max_episode_steps: int = 200, seed: int | None = None
    ):
        self._targets = cheetah_velocities(n_tasks, bool(randomize_tasks))
        super().__init__([{"velocity": float(v)} for v in self._targets], max_episode_steps, seed)

    @property
    def goal(self) -> float:
        return float(self._targets[self.task_idx])

    def _task_reward(self, forward_vel: float) -> float:
        return -abs(forward_vel - self.goal)


class HalfCheetahDirEnv(HalfCheetahTaskEnv):
    """Reward = direction * forward velocity - 0.05 |a|^2."""

    def __init__(
        self, n_tasks: int = 2, randomize_tasks: bool = False, max_episode_steps: int = 200, seed: int | None = None
    ):
        self._directions = cheetah_directions(n_tasks, bool(randomize_tasks))
        super().__init__([{"direction": int(d)} for d in self._directions], max_episode_steps, seed)

    @property
    def goal(self) -> int:
        return int(self._directions[self.task_idx])

    def _task_reward(self, forward_vel: float) -> float:
        return self.goal * forward_vel
