"""Which env and which tasks: the registry of task families, an env built as a run sees it, the
train/test task split, and the oracle and random returns that bound a normalised score.

Imports run one way: the families (`rlkit.envs.*`, and `rand_param_envs`, which builds on
`rlkit.envs.mujoco_env`) know nothing of this registry; it imports each of them by name here.
Construction with a dataset (`make_wrapped_env`) restores the dataset's task parameters and
observation normaliser (docs/data-format.md).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from rand_param_envs.hopper_rand_params import HopperRandParamsEnv
from rand_param_envs.walker2d_rand_params import SparseWalker2DRandParamsEnv, Walker2DRandParamsEnv
from rlkit.config import Config, checked_env_params
from rlkit.data.load import restore_dataset_tasks
from rlkit.envs.ant import AntDirEnv, AntGoalEnv
from rlkit.envs.base import MultiTaskEnv
from rlkit.envs.half_cheetah import HalfCheetahDirEnv, HalfCheetahVelEnv
from rlkit.envs.humanoid import HumanoidDirEnv
from rlkit.envs.point_robot import PointEnv, PointWindEnv, SparsePointEnv
from rlkit.envs.wrappers import NormalizedBoxEnv
from rlkit.errors import UserError
from rlkit.seeding import numpy_generator

# The reference's env_name -> family (docs/environments.md).
ENVS: dict[str, type[MultiTaskEnv]] = {
    "point-robot": PointEnv,
    "sparse-point-robot": SparsePointEnv,
    "point-robot-wind": PointWindEnv,
    "cheetah-vel": HalfCheetahVelEnv,
    "cheetah-dir": HalfCheetahDirEnv,
    "ant-goal": AntGoalEnv,
    "ant-dir": AntDirEnv,
    "humanoid-dir": HumanoidDirEnv,
    "hopper-rand-params": HopperRandParamsEnv,
    "walker-rand-params": Walker2DRandParamsEnv,
    "sparse-walker-rand-params": SparseWalker2DRandParamsEnv,
}


def env_class(env_name: str) -> type[MultiTaskEnv]:
    if env_name not in ENVS:
        raise UserError(f"unknown env_name {env_name!r}: expected one of {sorted(ENVS)}")
    return ENVS[env_name]


def make_env(env_name: str, **env_params: Any) -> MultiTaskEnv:
    """The raw multi-task env (env units); wrap in `NormalizedBoxEnv` to act in [-1, 1]."""
    cls = env_class(env_name)
    accepted = inspect.signature(cls.__init__).parameters
    if not any(p.kind is p.VAR_KEYWORD for p in accepted.values()):
        for key in env_params:
            if key not in accepted:  # (goal_radius is sparse-point-robot's only)
                known = sorted(k for k in accepted if k != "self")
                raise UserError(f"env_params.{key} for {env_name!r}: expected only keys it takes, {known}")
    env_params = checked_env_params(env_params)
    try:
        return cls(**env_params)
    except (TypeError, ValueError) as e:
        raise UserError(f"bad env_params for {env_name!r}: {e}") from None


def make_wrapped_env(cfg: Config, obs_scale: np.ndarray | None, data_dir: str | Path | None = None) -> NormalizedBoxEnv:
    """The env in agent units, with a parameter family's tasks restored from the dataset's task files
    and observations divided by the dataset's normaliser `obs_scale` (None: unscaled). `data_dir`: where
    the dataset is on this machine, if not at the config's `algo_params.data_dir`."""
    env = make_env(cfg.env_name, **cfg.env_params.kwargs())
    restore_dataset_tasks(env, cfg.algo_params.data_dir if data_dir is None else data_dir)
    return NormalizedBoxEnv(env, obs_scale=obs_scale)


def scored_reward_fn(cfg: Config, env: gym.Env) -> Callable[[np.ndarray | float], np.ndarray] | None:
    """The map a run scores rewards with: the env's sparse reward where `algo_params.sparse_rewards` is set,
    else None (the dense reward). `env` may be wrapped. One line where the env has no sparse reward."""
    if not cfg.algo_params.sparse_rewards:
        return None
    fn = env.unwrapped.sparse_reward_fn()
    if fn is None:
        raise UserError(
            f"algo_params.sparse_rewards is set but {cfg.env_name!r} has no sparse reward: expected a sparse-* env"
        )
    return fn


def check_env_settings(cfg: Config) -> None:
    """The config's env built with its env_params, and its sparse reward where `sparse_rewards` asks for one: a
    one-line UserError naming the key, found before any run starts (a Ray sweep would find it in a worker)."""
    scored_reward_fn(cfg, make_env(cfg.env_name, **cfg.env_params.kwargs()))


def train_eval_split(cfg: Config) -> tuple[list[int], list[int]]:
    """docs/algorithm.md, "Task split": interpolation spreads the test tasks; otherwise the last ones (or a seeded
    choice)."""
    n = cfg.env_params.n_tasks
    n_train, n_eval = cfg.n_train_tasks, cfg.n_eval_tasks
    if cfg.randomize_tasks:
        train = sorted(np.random.RandomState(1337).choice(n, n_train, replace=False).tolist())
        return train, [t for t in range(n) if t not in train][:n_eval]
    if cfg.interpolation:
        gap = int(n_train / n_eval) + 1
        test = [t + int(gap / 2) for t in range(0, n, gap)][:n_eval]
        return [t for t in range(n) if t not in test][:n_train], test
    return list(range(n_train)), list(range(n - n_eval, n))


def _episode_return(env: MultiTaskEnv, obs, policy, reward_fn=None, horizon: int | None = None) -> float:
    """Return of one episode from `obs` (the env just reset), acting `policy(obs)` until it ends, or after
    `horizon` steps (a meta-test's max_path_length, shorter than the env's episodes); `reward_fn` maps each reward
    first (the sparse reward of a sparse env)."""
    if horizon is not None and horizon < 1:  # (0 would never equal `steps`: the env's whole episode, unsaid)
        raise ValueError(f"horizon {horizon}: expected at least 1 step, or None for the env's episodes")
    total, done, steps = 0.0, False, 0
    while not done:
        obs, r, terminated, truncated, _ = env.step(policy(obs))
        total += float(reward_fn(r)) if reward_fn is not None else r
        steps += 1
        done = terminated or truncated or steps == horizon
    return total


def oracle_return(env: MultiTaskEnv, task: int, reward_fn=None, horizon: int | None = None) -> float:
    """Return of the family's near-optimal scripted policy on `task` (top of the normalised score);
    `reward_fn` maps each reward first (the sparse reward of a sparse env); `horizon`: episodes cut there."""
    env.reset_task(task)
    obs, _ = env.reset()
    return _episode_return(env, obs, env.oracle_action, reward_fn, horizon)


def zero_action_return(
    env: MultiTaskEnv, task: int, episodes: int = 3, seed: int = 0, reward_fn=None, horizon: int | None = None
) -> float:
    """Mean return of the action at the centre of the action box (zero for the bodies and the point robots: the
    body does nothing) on `task`, over `episodes` resets seeded `seed`, `seed + 1`, ... (fixed numbers of no run's
    seed, not `rlkit.seeding`'s streams: the committed reports' references were computed so). A policy below it has
    learned nothing that helps: a third reference beside the oracle (or best behaviour) and uniform random."""
    still = (np.asarray(env.action_space.low) + np.asarray(env.action_space.high)) / 2.0
    env.reset_task(task)
    return float(
        np.mean(
            [
                _episode_return(env, env.reset(seed=seed + i)[0], lambda _: still, reward_fn, horizon)
                for i in range(episodes)
            ]
        )
    )


def random_return(
    env: MultiTaskEnv, task: int, episodes: int = 200, seed: int = 0, reward_fn=None, horizon: int | None = None
) -> float:
    """Mean return of uniformly random actions on `task` (bottom of the normalised score). The env's reset
    noise is seeded too (its first reset, with `seed` itself, as `zero_action_return`'s first), so a report written
    twice gives the same reference."""
    rng = numpy_generator(seed, "random_return")
    env.reset_task(task)

    def act(_obs):
        return rng.uniform(env.action_space.low, env.action_space.high)

    totals = [
        _episode_return(env, env.reset(seed=seed if i == 0 else None)[0], act, reward_fn, horizon)
        for i in range(episodes)
    ]
    return float(np.mean(totals))
