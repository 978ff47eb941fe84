"""ant-goal and ant-dir on gymnasium's ant.xml (docs/environments.md)."""

from __future__ import annotations

from typing import Any

import numpy as np

from rlkit.envs.mujoco_env import MujocoTaskEnv


def evenly_spaced_angles(n_tasks: int) -> np.ndarray:
    return np.linspace(0, 2 * np.pi, n_tasks + 1)[:-1]


def ant_goals(n_tasks: int, randomize_tasks: bool) -> np.ndarray:
    """Goals on the circle of radius 2; random angles from RandomState(1334) as in the reference."""
    angles = (
        np.random.RandomState(1334).random_sample(n_tasks) * 2 * np.pi
        if randomize_tasks
        else evenly_spaced_angles(n_tasks)
    )
    return 2.0 * np.stack([np.cos(angles), np.sin(angles)], axis=-1)


def random_directions(n_tasks: int, seed: int) -> np.ndarray:
    """Direction angles uniform in [0, 2 pi) from a local RandomState (the reference used the global RNG)."""
    return np.random.RandomState(seed).uniform(0.0, 2 * np.pi, size=n_tasks)


class AntTaskEnv(MujocoTaskEnv):
    """Ant; the reward's control and contact costs are shared, the task term differs."""

    asset = "ant.xml"
    frame_skip = 5
    contact_forces = True
    position_dims = 2
    ctrl_cost_weight = 0.1
    survive_reward = 0.0

    def _contact_cost(self) -> float:
        return 0.5e-3 * float(np.sum(np.square(np.clip(self.data.cfrc_ext, -1.0, 1.0))))

    def _before_step(self) -> np.ndarray:
        return self.body_xpos("torso")

    def _reward(self, torso_before: np.ndarray, action: np.ndarray) -> tuple[float, bool, dict[str, Any]]:
        task_reward = self._task_reward(torso_before, self.body_xpos("torso"))
        ctrl_cost = self.ctrl_cost_weight * float(action @ action)
        contact_cost = self._contact_cost()
        reward = task_reward - ctrl_cost - contact_cost + self.survive_reward
        info = {"reward_task": task_reward, "reward_ctrl": -ctrl_cost, "reward_contact": -contact_cost}
        return reward, self._terminated(), info

    def _task_reward(self, torso_before: np.ndarray, torso_after: np.ndarray) -> float:
        raise NotImplementedError

    def _terminated(self) -> bool:
        return False


class AntGoalEnv(AntTaskEnv):
    """Reward = -L1(torso xy, goal) - 0.1 |a|^2 - contact cost; obs = qpos, qvel (29)."""

    def __init__(
        self, n_tasks: int = 2, randomize_tasks: bool = False, max_episode_steps: int = 200, seed: int | None = None
    ):
        self._goals = ant_goals(n_tasks, bool(randomize_tasks))
        super().__init__([{"goal": g.tolist()} for g in self._goals], max_episode_steps, seed)

    @property
    def goal(self) -> np.ndarray:
        return self._goals[self.task_idx]

    def _get_obs(self) -> np.ndarray:
        return np.concatenate([self.data.qpos, self.data.qvel])

    def _task_reward(self, torso_before: np.ndarray, torso_after: np.ndarray) -> float:
        return -float(np.sum(np.abs(torso_after[:2] - self.goal)))


class AntDirEnv(AntTaskEnv):
    """Reward = torso xy velocity along the direction - 0.5 |a|^2 - contact cost + 1; obs = qpos[2:], qvel (27).

    Terminates when the torso height leaves [0.2, 1.0] or the state is not finite.
    """

    ctrl_cost_weight = 0.5
    survive_reward = 1.0

    def __init__(
        self, n_tasks: int = 2, randomize_tasks: bool = False, max_episode_steps: int = 200, seed: int | None = None
    ):
        self._angles = random_directions(n_tasks, 1337) if randomize_tasks else evenly_spaced_angles(n_tasks)
        super().__init__([{"goal": float(a)} for a in self._angles], max_episode_steps, seed)

    @property
    def goal(self) -> float:
        return float(self._angles[self.task_idx])

    def _get_obs(self) -> np.ndarray:
        return np.concatenate([self.data.qpos[2:], self.data.qvel])

    def _task_reward(self, torso_before: np.ndarray, torso_after: np.ndarray) -> float:
        velocity = (torso_after[:2] - torso_before[:2]) / self.dt
        return float(velocity @ np.array([np.cos(self.goal), np.sin(self.goal)]))

    def _terminated(self) -> bool:
        state = self.state_vector()
        return not (np.isfinite(state).all() and 0.2 <= state[2] <= 1.0)
