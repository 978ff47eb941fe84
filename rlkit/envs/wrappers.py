"""Action rescaling (the reference's NormalizedBoxEnv) and optional observation scaling."""

from __future__ import annotations

import gymnasium as gym
import numpy as np


class NormalizedBoxEnv(gym.Wrapper):
    """The agent acts in [-1, 1]^d; actions are mapped affinely to the env's box and clipped.

    With `obs_scale` (the dataset's `abs_max + 1e-8`), observations are divided by it, the
    same division the data loader applies to the offline data.
    """

    def __init__(self, env: gym.Env, obs_scale: np.ndarray | None = None):
        super().__init__(env)
        self._low = env.action_space.low.astype(np.float64)
        self._high = env.action_space.high.astype(np.float64)
        self._half_range = 0.5 * (self._high - self._low)
        self.action_space = gym.spaces.Box(-1.0, 1.0, shape=env.action_space.shape, dtype=np.float32)
        self._obs_scale = None if obs_scale is None else np.asarray(obs_scale, dtype=np.float64)
        self.total_steps = 0  # env steps taken through this wrapper (for the logs)

    def _obs(self, obs: np.ndarray) -> np.ndarray:
        return obs if self._obs_scale is None else obs / self._obs_scale

    def reset(self, **kwargs):
        obs, info = self.env.reset(**kwargs)
        return self._obs(obs), info

    def reset_task(self, idx: int) -> np.ndarray:
        return self._obs(self.env.unwrapped.reset_task(idx))

    def step(self, action):
        action = np.asarray(action, dtype=np.float64)
        scaled = self._low + (action + 1.0) * self._half_range
        self.total_steps += 1
        # minimum/maximum: np.clip's dispatch costs more than the clipping itself here
        obs, r, terminated, truncated, info = self.env.step(np.minimum(np.maximum(scaled, self._low), self._high))
        return self._obs(obs), r, terminated, truncated, info

    def __getattr__(self, name):
        return getattr(self.env, name)
