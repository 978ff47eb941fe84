"""humanoid-dir on gymnasium's humanoid.xml (docs/environments.md)."""

from __future__ import annotations

from typing import Any

import numpy as np

from rlkit.envs.ant import evenly_spaced_angles, random_directions
from rlkit.envs.mujoco_env import MujocoTaskEnv


class HumanoidDirEnv(MujocoTaskEnv):
    """Reward = 0.25 * (mass-centre xy displacement / model timestep) along the direction
    - 0.1 |ctrl|^2 - min(0.5e-6 |cfrc_ext|^2, 10) + 5; terminates when qpos z leaves [1, 2].

    Dividing by the model timestep rather than the env dt is the reference's formula, kept.
    Obs = qpos[2:], qvel, cinert, cvel, qfrc_actuator, cfrc_ext (376).
    """

    asset = "humanoid.xml"
    # 3: gymnasium's asset as it is, which is the reference's file (its gym 0.15.7's humanoid.xml; compiled heavier by
    # current MuJoCo's exact capsules: docs/reference-differences.md, "Environments"); 2 (2026-12-04 to 12-07):
    # the left hip's y range at [-120, 20] degrees, the old range of the gym vendored in rand_param_envs, which the
    # reference simulates hopper and walker with, not the humanoid; 1: before version 2
    physics_version = 3
    frame_skip = 5
    qpos_noise = 0.01
    qvel_noise = 0.01
    qvel_noise_uniform = True
    contact_forces = True
    position_dims = 2

    def __init__(
        self, n_tasks: int = 2, randomize_tasks: bool = False, max_episode_steps: int = 200, seed: int | None = None
    ):
        self._angles = random_directions(n_tasks, 1337) if randomize_tasks else evenly_spaced_angles(n_tasks)
        super().__init__([{"goal": float(a)} for a in self._angles], max_episode_steps, seed)
        self._mass = self.model.body_mass[:, None].copy()

    @property
    def goal(self) -> float:
        return float(self._angles[self.task_idx])

    def mass_center(self) -> np.ndarray:
        return (self._mass * self.data.xipos).sum(axis=0) / self._mass.sum()

    def _get_obs(self) -> np.ndarray:
        d = self.data
        return np.concatenate(
            [d.qpos[2:], d.qvel, d.cinert.ravel(), d.cvel.ravel(), d.qfrc_actuator, d.cfrc_ext.ravel()]
        )

    def _before_step(self) -> np.ndarray:
        return self.mass_center()[:2]

    def _reward(self, xy_before: np.ndarray, action: np.ndarray) -> tuple[float, bool, dict[str, Any]]:
        direction = np.array([np.cos(self.goal), np.sin(self.goal)])
        lin_vel_reward = 0.25 * float(direction @ (self.mass_center()[:2] - xy_before)) / self.model.opt.timestep
        ctrl_cost = 0.1 * float(np.sum(np.square(self.data.ctrl)))
        impact_cost = min(0.5e-6 * float(np.sum(np.square(self.data.cfrc_ext))), 10.0)
        reward = lin_vel_reward - ctrl_cost - impact_cost + 5.0
        z = self.data.qpos[2]
        info = {"reward_linvel": lin_vel_reward, "reward_ctrl": -ctrl_cost, "reward_impact": -impact_cost}
        return reward, bool(z < 1.0 or z > 2.0), info
