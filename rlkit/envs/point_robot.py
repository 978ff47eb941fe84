"""Point-robot, sparse-point-robot and point-robot-wind (docs/environments.md)."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np

from rlkit.envs.base import MultiTaskEnv


def point_goals(n_tasks: int, randomize_tasks: bool) -> np.ndarray:
    """Goals on the upper unit half circle; the same list for the same arguments, always."""
    angles = np.linspace(0, np.pi, num=n_tasks)
    goals = np.stack([np.cos(angles), np.sin(angles)], axis=1)
    if randomize_tasks:
        goals = goals[np.random.RandomState(1337).permutation(n_tasks)]
    return goals


class PointEnv(MultiTaskEnv):
    """2-D point that moves by its (clipped) action; reward = -distance(new state, goal)."""

    def __init__(
        self, n_tasks: int = 2, randomize_tasks: bool = False, max_episode_steps: int = 20, seed: int | None = None
    ):
        goals = point_goals(n_tasks, bool(randomize_tasks))
        super().__init__([{"goal": g.tolist()} for g in goals], max_episode_steps, seed)
        self._goals = goals
        self.observation_space = gym.spaces.Box(-np.inf, np.inf, shape=(2,), dtype=np.float64)
        self.action_space = gym.spaces.Box(-0.1, 0.1, shape=(2,), dtype=np.float64)
        self._state = np.zeros(2)

    @property
    def goal(self) -> np.ndarray:
        return self._goals[self.task_idx]

    def position(self) -> np.ndarray:
        """Where the agent is (for drawing paths)."""
        return self._state.copy()

    def _reset_state(self) -> np.ndarray:
        self._state = np.zeros(2)
        return self._state.copy()

    def _step_state(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, dict[str, Any]]:
        self._state = self._state + action
        reward = -float(np.linalg.norm(self._state - self.goal))
        return self._state.copy(), reward, False, {}

    def oracle_action(self, obs: np.ndarray) -> np.ndarray:
        """Move by the goal offset clipped to the action box (in env units)."""
        return np.clip(self.goal - obs, self.action_space.low, self.action_space.high)


class SparsePointEnv(PointEnv):
    """Same dynamics; `sparsify_rewards` gives reward only within `goal_radius` of the goal.

    `step` keeps the dense reward and reports the sparse one in `info["sparse_reward"]`.
    """

    def __init__(
        self,
        n_tasks: int = 2,
        randomize_tasks: bool = False,
        max_episode_steps: int = 20,
        goal_radius: float = 0.2,
        seed: int | None = None,
    ):
        super().__init__(n_tasks, randomize_tasks, max_episode_steps, seed)
        self.goal_radius = float(goal_radius)

    def sparsify_rewards(self, r: np.ndarray | float) -> np.ndarray:
        """Dense reward (minus distance) -> sparse: shifted to be positive inside the radius, else 0."""
        r = np.asarray(r, dtype=np.float64)
        return np.where(r >= -self.goal_radius, r + 1.0, 0.0)

    def _step_state(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, dict[str, Any]]:
        obs, reward, terminated, info = super()._step_state(action)
        info["sparse_reward"] = float(self.sparsify_rewards(reward))
        return obs, reward, terminated, info


def wind_vectors(n_tasks: int) -> np.ndarray:
    """[n_tasks, 2] winds, the reference's draw: RandomState(1337), all x components, then all y."""
    rs = np.random.RandomState(1337)
    wind_x = rs.uniform(-0.05, 0.05, n_tasks)
    wind_y = rs.uniform(-0.05, 0.05, n_tasks)
    return np.stack([wind_x, wind_y], axis=1)


class PointWindEnv(PointEnv):
    """point-robot-wind: the goal is (1, 0) for every task; task i adds its own wind vector to every
    step (next state = state + action + wind). `step` returns the dense reward; `sparsify_rewards` is what the
    reference reports as `info["sparse_reward"]` and scores a sparse run by, the dense reward plus 1 inside
    `goal_radius` of the goal and 0 outside (its own `sparsify_rewards`, the dense reward inside and 0 outside, is
    never positive and rewards staying outside: docs/reference-differences.md)."""

    tasks_differ_in = "dynamics"

    def __init__(
        self,
        n_tasks: int = 2,
        randomize_tasks: bool = False,
        max_episode_steps: int = 20,
        goal_radius: float = 0.2,
        seed: int | None = None,
    ):
        super().__init__(n_tasks, randomize_tasks, max_episode_steps, seed)
        self.goal_radius = float(goal_radius)
        self._winds = wind_vectors(n_tasks)
        self._goals = np.tile([1.0, 0.0], (n_tasks, 1))
        self.tasks = [{"goal": g.tolist(), "wind": w.tolist()} for g, w in zip(self._goals, self._winds)]

    @property
    def wind(self) -> np.ndarray:
        return self._winds[self.task_idx]

    sparsify_rewards = SparsePointEnv.sparsify_rewards  # (the same map as sparse-point-robot's)

    def _step_state(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, dict[str, Any]]:
        self._state = self._state + action + self.wind
        reward = -float(np.linalg.norm(self._state - self.goal))
        return self._state.copy(), reward, False, {"sparse_reward": float(self.sparsify_rewards(reward))}

    def oracle_action(self, obs: np.ndarray) -> np.ndarray:
        """Move by the goal offset less the wind, clipped to the action box (in env units)."""
        return np.clip(self.goal - obs - self.wind, self.action_space.low, self.action_space.high)
