"""walker-rand-params: gymnasium's walker2d.xml with per-task mass, inertia, damping and friction;
sparse-walker-rand-params: the same with the reference's sparse reward."""

from __future__ import annotations

from typing import Any

import numpy as np

from rand_param_envs.base import RandParamsEnv


class Walker2DRandParamsEnv(RandParamsEnv):
    """Reward = forward velocity + 1 - 1e-3 |a|^2; obs = qpos[1:], clip(qvel, -10, 10) (17).

    Terminates when the height leaves (0.8, 2.0) or the torso angle leaves (-1, 1).
    """

    env_name = "walker-rand-params"
    asset = "walker2d.xml"

    def _healthy(self) -> bool:
        height, angle = self.data.qpos[1:3]
        return bool(0.8 < height < 2.0 and -1.0 < angle < 1.0)


class SparseWalker2DRandParamsEnv(Walker2DRandParamsEnv):
    """sparse-walker-rand-params: the same bodies and tasks; `step` returns the dense reward and
    `sparsify_rewards` keeps a reward only where it reaches `goal_radius` (0.5), else 0, as the
    reference's wrapper does; `info["sparse_reward"]` holds it."""

    env_name = "sparse-walker-rand-params"

    def __init__(
        self,
        n_tasks: int = 2,
        randomize_tasks: bool = True,
        max_episode_steps: int = 200,
        log_scale_limit: float = 3.0,
        goal_radius: float = 0.5,
        seed: int | None = None,
    ):
        super().__init__(n_tasks, randomize_tasks, max_episode_steps, log_scale_limit, seed)
        self.goal_radius = float(goal_radius)

    def sparsify_rewards(self, r: np.ndarray | float) -> np.ndarray:
        r = np.asarray(r, dtype=np.float64)
        return np.where(r >= self.goal_radius, r, 0.0)

    def _reward(self, x_before: float, action: np.ndarray) -> tuple[float, bool, dict[str, Any]]:
        reward, terminated, info = super()._reward(x_before, action)
        info["sparse_reward"] = float(self.sparsify_rewards(reward))
        return reward, terminated, info
