"""hopper-rand-params: gymnasium's hopper.xml with per-task mass, inertia, damping and friction."""

from __future__ import annotations

import numpy as np

from rand_param_envs.base import RandParamsEnv


class HopperRandParamsEnv(RandParamsEnv):
    """Reward = forward velocity + 1 - 1e-3 |a|^2; obs = qpos[1:], clip(qvel, -10, 10) (11).

    Terminates when the state is not finite, |state[2:]| >= 100, height <= 0.7 or |angle| >= 0.2.
    """

    env_name = "hopper-rand-params"
    asset = "hopper.xml"

    def _healthy(self) -> bool:
        s = self.state_vector()
        height, angle = self.data.qpos[1:3]
        return bool(np.isfinite(s).all() and (np.abs(s[2:]) < 100).all() and height > 0.7 and abs(angle) < 0.2)
