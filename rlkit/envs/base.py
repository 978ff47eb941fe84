"""The multi-task env interface every task family implements (docs/environments.md)."""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.utils import seeding

from rlkit.errors import UserError


def env_rng_state(env: gym.Env) -> dict[str, Any]:
    """The state of the numpy generator an env (wrapped or not) draws its episode starts from
    (gymnasium's `np_random`): saved in checkpoints so a resume replays the same starts."""
    return env.unwrapped.np_random.bit_generator.state


def set_env_rng_state(env: gym.Env, state: dict[str, Any]) -> None:
    """Continue an env's generator from a state `env_rng_state` returned."""
    env.unwrapped.np_random.bit_generator.state = state


class MultiTaskEnv(gym.Env):
    """A gymnasium env holding a fixed list of tasks; `reset_task(i)` selects one.

    Every family's constructor takes `n_tasks`, `randomize_tasks`, `max_episode_steps` and an
    optional `seed` for the env's own RNG (reset noise); the task list never depends on `seed`.
    Subclasses implement `_reset_state() -> obs` and `_step_state(a) -> (obs, r, terminated, info)`
    in env units; this class adds task bookkeeping, the time limit and input checks.

    Optional capabilities are declared here too: a family offers one by overriding its method
    (`sparsify_rewards`, `oracle_action`, `save_task`/`load_task`), and callers ask
    `sparse_reward_fn()`, `has_oracle` and `supports_task_files` instead of probing attributes.
    """

    metadata: dict[str, Any] = {"render_modes": []}
    # what tells the tasks apart: "reward" (goals, directions) or "dynamics" (body parameters, wind), which
    # decides what a method may learn the task from (CORRO's negatives, BOREL's state decoder)
    tasks_differ_in: str = "reward"
    # the version of what the family simulates: raised when a change of this code changes its physics, so that
    # data written before (stage 1 records it in task.json as "physics") is refused rather than mixed with it
    physics_version: int = 1

    def __init__(self, tasks: list[dict[str, Any]], max_episode_steps: int, seed: int | None = None):
        self.tasks = tasks
        self.max_episode_steps = int(max_episode_steps)
        self.task_idx = 0
        self._t = 0
        if seed is not None:  # seeds the reset noise, like a first `reset(seed=seed)`
            if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:  # (2.5 was seed 2)
                raise UserError(f"env seed {seed!r}: expected a whole number >= 0 (or None)")
            self._np_random, self._np_random_seed = seeding.np_random(int(seed))

    def _reset_state(self) -> np.ndarray:
        raise NotImplementedError

    def _step_state(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, dict[str, Any]]:
        raise NotImplementedError

    def reset_task(self, idx: int) -> np.ndarray:
        if isinstance(idx, bool) or not isinstance(idx, numbers.Integral):  # (1.7 would be task 1, silently)
            raise UserError(f"task index {idx!r}: expected a whole number, 0 <= idx < {len(self.tasks)}")
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
        if action.shape != self.action_space.shape:  # numpy would broadcast it into every actuator
            raise ValueError(f"action of shape {action.shape}: expected {self.action_space.shape}")
        # a @ a is finite for every finite action short of |a| ~ 1e154; only then the exact test runs
        if not math.isfinite(action @ action) and not np.isfinite(action).all():
            raise UserError(f"non-finite action {action.tolist()}: expected finite numbers")
        obs, reward, terminated, info = self._step_state(action)
        self._t += 1
        truncated = self._t >= self.max_episode_steps and not terminated
        return obs, reward, terminated, truncated, info

    def get_task(self) -> dict[str, Any]:
        return self.tasks[self.task_idx]

    # optional capabilities --------------------------------------------------------------
    def _overrides(self, name: str) -> bool:
        return getattr(type(self), name) is not getattr(MultiTaskEnv, name)

    def sparsify_rewards(self, r: np.ndarray | float) -> np.ndarray:
        """Dense reward -> the family's sparse reward (sparse families override this)."""
        raise NotImplementedError(f"{type(self).__name__} has no sparse reward")

    def sparse_reward_fn(self) -> Callable[[np.ndarray | float], np.ndarray] | None:
        """`sparsify_rewards` where the family has a sparse reward, else None (only the dense reward exists)."""
        return self.sparsify_rewards if self._overrides("sparsify_rewards") else None

    def oracle_action(self, obs: np.ndarray) -> np.ndarray:
        """A near-optimal scripted action in env units (families with an oracle override this)."""
        raise NotImplementedError(f"{type(self).__name__} has no scripted oracle")

    @property
    def has_oracle(self) -> bool:
        """Whether `oracle_action` exists, so oracle returns (the top of the normalised score) can be computed."""
        return self._overrides("oracle_action")

    def save_task(self, idx: int, path: str | Path) -> None:
        """Write task `idx`'s parameters to a task file (parameter families override this and `load_task`)."""
        raise NotImplementedError(f"{type(self).__name__} has no task files")

    def load_task(self, idx: int, path: str | Path) -> None:
        """Make task `idx` the one a task file written by `save_task` describes."""
        raise NotImplementedError(f"{type(self).__name__} has no task files")

    @property
    def supports_task_files(self) -> bool:
        """Whether a dataset describes its own tasks in task files (parameter families, whose tasks are not in
        the config)."""
        return self._overrides("save_task") and self._overrides("load_task")
