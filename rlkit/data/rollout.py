"""Lockstep episodes over a list of envs: the one rollout loop of stage 1's checkpoints and of the
meta-test. The caller supplies the policy as `act(obs batch, t, alive) -> actions` (`alive`: the jobs whose
episode is under way at t; the others' actions are not used), so this knows no network."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from rlkit.data.dataset import Trajectories

ActFn = Callable[[torch.Tensor, int, np.ndarray], np.ndarray]
# after every step: (t, the jobs that stepped at t [E] bool, the episode so far); a recurrent belief reads step t there
StepFn = Callable[[int, np.ndarray, "Paths"], None]


@dataclass
class Paths:
    """One episode per job, padded to H: obs/actions/next_obs [E, H, .], rewards/terminals [E, H]."""

    obs: np.ndarray
    actions: np.ndarray
    rewards: np.ndarray
    next_obs: np.ndarray
    terminals: np.ndarray
    lengths: np.ndarray  # [E], 0 for jobs that were not active

    def returns(self, reward_fn=None) -> np.ndarray:
        """[E] episode returns; `reward_fn` maps rewards first (e.g. to the sparse reward)."""
        if reward_fn is None:
            return self.rewards.sum(axis=1)
        valid = np.arange(self.rewards.shape[1])[None] < self.lengths[:, None]
        return np.where(valid, reward_fn(self.rewards), 0.0).sum(axis=1)

    def context(self, i: int, use_next_obs: bool, reward_fn=None) -> np.ndarray:
        n = self.lengths[i]
        r = self.rewards[i, :n] if reward_fn is None else reward_fn(self.rewards[i, :n])
        parts = [self.obs[i, :n], self.actions[i, :n], np.asarray(r)[:, None]]
        if use_next_obs:
            parts.append(self.next_obs[i, :n])
        return np.concatenate(parts, axis=1)

    def to_trajectories(self, jobs) -> Trajectories:
        """The listed jobs' episodes, flattened back to back."""
        parts = [
            Trajectories(
                self.obs[i, :n],
                self.actions[i, :n],
                self.rewards[i, :n],
                self.next_obs[i, :n],
                self.terminals[i, :n],
                np.array([n]),
            )
            for i in jobs
            if (n := self.lengths[i])
        ]
        return Trajectories.concat(parts)


def rollout(
    envs: list, act: ActFn, horizon: int, active: np.ndarray, device: torch.device, on_step: StepFn | None = None
) -> Paths:
    """Run one episode in every active env, stepping all of them in lockstep; `on_step` sees each step's
    transitions before the next action is chosen."""
    E = len(envs)
    if len(active) != E or not np.any(active):
        raise ValueError(f"rollout: active must mark at least one of the {E} envs, got {np.asarray(active).tolist()}")
    first = [env.reset()[0] if active[i] else None for i, env in enumerate(envs)]
    obs_dim = next(o for o in first if o is not None).shape[0]
    act_dim = envs[0].action_space.shape[0]
    P = Paths(
        np.zeros((E, horizon, obs_dim)),
        np.zeros((E, horizon, act_dim)),
        np.zeros((E, horizon)),
        np.zeros((E, horizon, obs_dim)),
        np.zeros((E, horizon)),
        np.zeros(E, dtype=np.int64),
    )
    obs = np.stack([o if o is not None else np.zeros(obs_dim) for o in first])
    alive = active.copy()
    for t in range(horizon):
        if not alive.any():
            break
        actions = act(torch.as_tensor(obs, dtype=torch.get_default_dtype(), device=device), t, alive.copy())
        stepped = alive.copy()
        for i in np.flatnonzero(alive):
            nxt, r, terminated, truncated, _ = envs[i].step(actions[i])
            P.obs[i, t], P.actions[i, t], P.rewards[i, t], P.next_obs[i, t] = obs[i], actions[i], r, nxt
            P.terminals[i, t] = float(terminated)
            P.lengths[i] = t + 1
            obs[i] = nxt
            if terminated or truncated:
                alive[i] = False
        if on_step is not None:
            on_step(t, stepped, P)
    return P
