"""Task families: `make_env(env_name, **env_params)` and `oracle_return` (docs/environments.md).

The registry maps the reference's `env_name`s to "module:class"; a family's module (and
MuJoCo) is imported only when that family is made, so importing rlkit.envs has no side effects.
"""
from __future__ import annotations

import importlib
from typing import Any

import numpy as np

from rlkit.envs.base import MultiTaskEnv
from rlkit.envs.wrappers import NormalizedBoxEnv
from rlkit.errors import UserError

ENVS: dict[str, str] = {
    "point-robot": "rlkit.envs.point_robot:PointEnv",
    "sparse-point-robot": "rlkit.envs.point_robot:SparsePointEnv",
    "cheetah-vel": "rlkit.envs.half_cheetah:HalfCheetahVelEnv",
    "cheetah-dir": "rlkit.envs.half_cheetah:HalfCheetahDirEnv",
    "ant-goal": "rlkit.envs.ant:AntGoalEnv",
    "ant-dir": "rlkit.envs.ant:AntDirEnv",
    "humanoid-dir": "rlkit.envs.humanoid:HumanoidDirEnv",
    "hopper-rand-params": "rand_param_envs.hopper_rand_params:HopperRandParamsEnv",
    "walker-rand-params": "rand_param_envs.walker2d_rand_params:Walker2DRandParamsEnv",
}


def env_class(env_name: str) -> type[MultiTaskEnv]:
    if env_name not in ENVS:
        raise UserError(f"unknown env_name {env_name!r}: expected one of {sorted(ENVS)}")
    module, name = ENVS[env_name].split(":")
    return getattr(importlib.import_module(module), name)


def make_env(env_name: str, **env_params: Any) -> MultiTaskEnv:
    """The raw multi-task env (env units); wrap in `NormalizedBoxEnv` to act in [-1, 1]."""
    cls = env_class(env_name)
    try:
        return cls(**env_params)
    except TypeError as e:
        raise UserError(f"bad env_params for {env_name!r}: {e}") from None


def oracle_return(env: MultiTaskEnv, task: int, reward_fn=None) -> float:
    """Return of the family's near-optimal scripted policy on `task` (top of the normalised score);
    `reward_fn` maps each reward first (the sparse reward of a sparse env)."""
    env.reset_task(task)
    obs, _ = env.reset()
    total = 0.0
    for _ in range(env.max_episode_steps):
        obs, r, terminated, truncated, _ = env.step(env.oracle_action(obs))
        total += float(reward_fn(r)) if reward_fn is not None else r
        if terminated or truncated:
            break
    return total


def random_return(env: MultiTaskEnv, task: int, episodes: int = 200, seed: int = 0, reward_fn=None) -> float:
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
            total += float(reward_fn(r)) if reward_fn is not None else r
            done = terminated or truncated
        totals.append(total)
    return float(np.mean(totals))


__all__ = ["ENVS", "env_class", "MultiTaskEnv", "NormalizedBoxEnv", "make_env", "oracle_return", "random_return"]
