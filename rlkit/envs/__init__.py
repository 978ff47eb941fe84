"""Task families: `make_env(env_name, **env_params)` and `oracle_return` (environments.md)."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from rlkit.envs.base import MultiTaskEnv
from rlkit.envs.point_robot import PointEnv, SparsePointEnv
from rlkit.envs.wrappers import NormalizedBoxEnv
from rlkit.errors import UserError

ENVS: dict[str, Callable[..., MultiTaskEnv]] = {
    "point-robot": PointEnv,
    "sparse-point-robot": SparsePointEnv,
}


def make_env(env_name: str, **env_params: Any) -> MultiTaskEnv:
    """The raw multi-task env (env units); wrap in `NormalizedBoxEnv` to act in [-1, 1]."""
    if env_name not in ENVS:
        raise UserError(f"unknown env_name {env_name!r}: expected one of {sorted(ENVS)}")
    try:
        return ENVS[env_name](**env_params)
    except TypeError as e:
        raise UserError(f"bad env_params for {env_name!r}: {e}") from None


def oracle_return(env: MultiTaskEnv, task: int) -> float:
    """Return of the family's near-optimal scripted policy on `task` (top of the normalised score)."""
    env.reset_task(task)
    obs, _ = env.reset()
    total = 0.0
    for _ in range(env.max_episode_steps):
        obs, r, terminated, truncated, _ = env.step(env.oracle_action(obs))
        total += r
        if terminated or truncated:
            break
    return total


def random_return(env: MultiTaskEnv, task: int, episodes: int = 200, seed: int = 0) -> float:
    """Mean return of uniformly random actions on `task` (bottom of the normalised score)."""
    rng = np.random.default_rng(seed)
    env.reset_task(task)
    totals = []
    for _ in range(episodes):
        env.reset()
        total, done = 0.0, False
        while not done:
            a = rng.uniform(env.action_space.low, env.action_space.high)
            _, r, terminated, truncated, _ = env.step(a)
            total += r
            done = terminated or truncated
        totals.append(total)
    return float(np.mean(totals))


__all__ = ["ENVS", "MultiTaskEnv", "NormalizedBoxEnv", "make_env", "oracle_return", "random_return"]
