"""MuJoCo task families on the official `mujoco` bindings (docs/environments.md).

`MujocoTaskEnv` loads one of gymnasium's MuJoCo assets into an `MjModel`, steps it with
`frame_skip` physics steps per env step, and turns an unstable simulation into a terminal
step flagged `info["unstable"]` instead of an exception. A family subclass gives the
asset, the reset noise, `_get_obs`, and `_reward(before, action) -> (r, terminated, info)`
where `before` is whatever `_before_step()` recorded.
"""

from __future__ import annotations

import copy
import importlib.util
import math
import re
from functools import cache
from pathlib import Path
from typing import Any

import gymnasium as gym
import mujoco
import numpy as np

from rlkit.envs.base import MultiTaskEnv

# MuJoCo resets a diverging simulation and counts it under these warnings
_UNSTABLE = [
    int(w)
    for w in (mujoco.mjtWarning.mjWARN_BADQPOS, mujoco.mjtWarning.mjWARN_BADQVEL, mujoco.mjtWarning.mjWARN_BADQACC)
]


def gymnasium_asset(name: str) -> Path:
    """Path of a MuJoCo model shipped with gymnasium (found without importing gymnasium.envs.mujoco)."""
    spec = importlib.util.find_spec("gymnasium")
    assert spec is not None and spec.submodule_search_locations
    return Path(spec.submodule_search_locations[0]) / "envs" / "mujoco" / "assets" / name


@cache
def _compiled(xml_path: str) -> mujoco.MjModel:
    """Compile once per process; every env gets its own copy (tasks may edit the model).

    The deprecated `<compiler settotalmass=..>` attribute (half_cheetah.xml) is applied the way
    MuJoCo recommends, with `mj_setTotalmass` + `mj_setConst`, which gives the same model
    without a compiler warning on every construction.
    """
    text = Path(xml_path).read_text()
    match = re.search(r'\s+settotalmass="([^"]+)"', text)
    if match is None:
        return mujoco.MjModel.from_xml_path(xml_path)
    model = mujoco.MjModel.from_xml_string(text.replace(match.group(0), ""))
    mujoco.mj_setTotalmass(model, float(match.group(1)))
    mujoco.mj_setConst(model, mujoco.MjData(model))
    return model


class MujocoTaskEnv(MultiTaskEnv):
    """A multi-task env over one MuJoCo body; subclasses define the task and reward."""

    asset: str = ""  # file name in gymnasium's assets folder
    frame_skip: int = 5
    qpos_noise: float = 0.1  # reset: qpos += U(-qpos_noise, qpos_noise)
    qvel_noise: float = 0.1  # reset: qvel += qvel_noise * N(0, 1), or U(-., .) when qvel_noise_uniform
    qvel_noise_uniform: bool = False
    contact_forces: bool = False  # compute cfrc_ext after each step (mj_rnePostConstraint)
    position_dims: int = 1  # root position coordinates for drawing: x (planar bodies) or x, y (free bodies)

    def __init__(self, tasks: list[dict[str, Any]], max_episode_steps: int, seed: int | None = None):
        super().__init__(tasks, max_episode_steps, seed)
        self.model = copy.deepcopy(_compiled(str(gymnasium_asset(self.asset))))
        self._as_the_reference(self.model)
        self.data = mujoco.MjData(self.model)
        self.init_qpos = self.data.qpos.copy()
        self.init_qvel = self.data.qvel.copy()
        self.dt = float(self.model.opt.timestep) * self.frame_skip
        self._body_ids: dict[str, int] = {}
        self._warnings = self._warning_count()  # instability warnings so far (re-read at every reset)
        low, high = self.model.actuator_ctrlrange.T.astype(np.float32)
        self.action_space = gym.spaces.Box(low, high, dtype=np.float32)
        self._last_obs = self._get_obs()
        self.observation_space = gym.spaces.Box(-np.inf, np.inf, shape=self._last_obs.shape, dtype=np.float64)

    def _as_the_reference(self, model: mujoco.MjModel) -> None:
        """Make gymnasium's compiled asset the one the reference simulated where the two differ (nothing by
        default; docs/environments.md lists each change)."""

    # physics ---------------------------------------------------------------------------
    def set_state(self, qpos: np.ndarray, qvel: np.ndarray) -> None:
        self.data.qpos[:] = qpos
        self.data.qvel[:] = qvel
        mujoco.mj_forward(self.model, self.data)
        if self.contact_forces:
            mujoco.mj_rnePostConstraint(self.model, self.data)

    def do_simulation(self, action: np.ndarray) -> None:
        self.data.ctrl[:] = action
        mujoco.mj_step(self.model, self.data, nstep=self.frame_skip)
        if self.contact_forces:
            mujoco.mj_rnePostConstraint(self.model, self.data)

    def state_vector(self) -> np.ndarray:
        return np.concatenate([self.data.qpos, self.data.qvel])

    def position(self) -> np.ndarray:
        """Root position in the world, x or (x, y) (for drawing paths)."""
        return self.data.qpos[: self.position_dims].copy()

    def body_xpos(self, name: str) -> np.ndarray:
        """World position of a body's frame (mujoco-py's `get_body_com`), copied."""
        if name not in self._body_ids:
            self._body_ids[name] = self.model.body(name).id
        return self.data.xpos[self._body_ids[name]].copy()

    def _warning_count(self) -> int:
        n = self.data.warning.number
        return int(n[_UNSTABLE[0]] + n[_UNSTABLE[1]] + n[_UNSTABLE[2]])

    def _diverged(self, obs: np.ndarray) -> bool:
        """MuJoCo reset a diverging simulation during the step (it counts a warning), or the
        last substep left non-finite values, which reach the observation (qacc -> qvel -> qpos).
        `obs @ obs` is non-finite exactly when obs is (MuJoCo caps the state at 1e10)."""
        return self._warning_count() > self._warnings or not math.isfinite(obs @ obs)

    # MultiTaskEnv hooks ----------------------------------------------------------------
    def _reset_state(self) -> np.ndarray:
        mujoco.mj_resetData(self.model, self.data)
        rng = self.np_random
        qpos = self.init_qpos + rng.uniform(-self.qpos_noise, self.qpos_noise, size=self.model.nq)
        if self.qvel_noise_uniform:
            qvel = self.init_qvel + rng.uniform(-self.qvel_noise, self.qvel_noise, size=self.model.nv)
        else:
            qvel = self.init_qvel + self.qvel_noise * rng.standard_normal(self.model.nv)
        self.set_state(qpos, qvel)
        self._warnings = self._warning_count()
        self._last_obs = self._get_obs()
        return self._last_obs

    def _step_state(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, dict[str, Any]]:
        before = self._before_step()
        self.do_simulation(action)
        obs = self._get_obs()
        if self._diverged(obs):
            # Not a real transition: end the episode on the last valid observation, zero reward.
            return self._last_obs, 0.0, True, {"unstable": True}
        reward, terminated, info = self._reward(before, action)
        self._last_obs = obs
        return obs, float(reward), bool(terminated), info

    def _before_step(self) -> Any:
        raise NotImplementedError

    def _reward(self, before: Any, action: np.ndarray) -> tuple[float, bool, dict[str, Any]]:
        raise NotImplementedError

    def _get_obs(self) -> np.ndarray:
        raise NotImplementedError
