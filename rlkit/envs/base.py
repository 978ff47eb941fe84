"""The multi-task env interface every task family implements (docs/environments.md)."""
from __future__ import annotations

import math
from typing import Any

import gymnasium as gym
from gymnasium.utils import seeding
import numpy as np

from rlkit.errors import UserError


class MultiTaskEnv(gym.Env):
    """A gymnasium env holding a fixed list of tasks; `reset_task(i)` selects one.

    Every family's constructor takes `n_tasks`, `randomize_tasks`, `max_episode_steps` and an
    optional `seed` for the env's own RNG (reset noise); the task list never depends on `seed`.
    Subclasses implement `_reset_state() -> obs` and `_step_state(a) -> (obs, r, terminated, info)`
    in env units; this class adds task bookkeeping, the time limit and input checks.
    """

    metadata: dict[str, Any] = {"render_modes": []}

    def __init__(self, tasks: list[dict[str, Any]], max_episode_steps: int, seed: int | None = None):
        self.tasks = tasks
        self.max_episode_steps = int(max_episode_steps)
        self.task_idx = 0
        self._t = 0
        if seed is not None:  # seeds the reset noise, like a first `reset(seed=seed)`
            self._np_random, self._np_random_seed = seeding.np_random(int(seed))

    def _reset_state(self) -> np.ndarray:
        raise NotImplementedError

    def _step_state(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, dict[str, Any]]:
        raise NotImplementedError

    def reset_task(self, idx: int) -> np.ndarray:
        if not 0 <= int(idx) < len(self.tasks):
            raise UserError(f"task index {idx} out of range: expected 0 <= idx < {len(self.tasks)}")
        self.task_idx = int(idx)
        self._task_changed()
        obs, _ = self.reset()
        return obs

    def _task_changed(self) -> None:
        """Hook run when `reset_task` selects a task (parameter families rewrite the model here)."""

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        self._t = 0
        return self._reset_state(), {"task": self.task_idx}

    def step(self, action):
        action = np.asarray(action, dtype=np.float64)
        # a @ a is finite for every finite action short of |a| ~ 1e154; only then the exact test runs
        if not math.isfinite(action @ action) and not np.isfinite(action).all():
            raise UserError(f"non-finite action {action.tolist()}: expected finite numbers")
        obs, reward, terminated, info = self._step_state(action)
        self._t += 1
        truncated = self._t >= self.max_episode_steps and not terminated
        return obs, reward, terminated, truncated, info

    def get_task(self) -> dict[str, Any]:
        return self.tasks[self.task_idx]
