"""walker-rand-params: gymnasium's walker2d.xml with per-task mass, inertia, damping and friction."""
from __future__ import annotations

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
