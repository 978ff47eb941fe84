"""The three meta-test protocols for a recurrent belief (BOREL's `BorelAgent`), beside `protocols`' for the
mean-pooled encoders (docs/algorithm.md, "Meta-test", "BOREL").

The policy reads the belief (mu, logvar) from the GRU state, and the GRU reads every transition as it happens:
after each env step (`rollout`'s `on_step`) the acting job's state advances by (a_t, r_t, s_{t+1}), so the belief
changes within an episode. Across episodes the belief carries over a BAMDP of `borel_episodes` episodes, the
horizon the VAE was trained on: every episode (scored or context) starts from the prior with the job's last
`window` = borel_episodes - 1 *context* episodes fed in order, then updates at each of its own steps.
What a protocol's context episodes are:

- offline context: before each scored episode one whole offline episode of the test task, drawn from its data
  (ordered rows, not i.i.d. ones);
- online, prior context: the job's own scored episodes, the first starting from the prior;
- non-prior (Np): its exploration episodes, uniform random actions while scored + t < N / 2 (fed to the GRU in
  order), then the policy's samples with the belief; the scored episodes act with the posterior and are not
  context, as in `protocols.nonprior_context`.

Each protocol returns `protocols.ProtocolResult`; its `z` is each job's last belief mean, its `z_std` the mean over
dims of that belief's standard deviation exp(logvar / 2).
"""

from __future__ import annotations

import numpy as np
import torch

from rlkit.data.rollout import Paths, rollout
from rlkit.data.sequences import SequenceIndex
from rlkit.eval.protocols import EvalSetting, ProtocolResult, _scored_loop, np_explore
from rlkit.torch.csro.borel import BorelAgent


class _Belief:
    """Per job: the GRU state `h`, the belief `z` the policy reads, and the last `window` context episodes, each a
    tensor [n, A + 1 + S] of (a, r, s') rows in order."""

    def __init__(self, agent: BorelAgent, n_jobs: int, window: int, device: torch.device, reward_fn=None):
        self.agent, self.window, self.device, self.reward_fn = agent, window, device, reward_fn
        self.history: list[list[torch.Tensor]] = [[] for _ in range(n_jobs)]
        self.h = agent.gru.prior_state(n_jobs, device)
        with torch.no_grad():
            self.z = agent.belief(self.h)

    def _t(self, x) -> torch.Tensor:
        return torch.as_tensor(np.asarray(x), dtype=torch.get_default_dtype(), device=self.device)

    def add(self, i: int, rows: torch.Tensor) -> None:
        """A context episode of job i, (a, r, s') rows in order; only the last `window` are kept."""
        if self.window:
            self.history[i] = (self.history[i] + [rows])[-self.window :]

    def add_paths(self, paths: Paths) -> None:
        for i in np.flatnonzero(paths.lengths):
            n = paths.lengths[i]
            r = paths.rewards[i, :n] if self.reward_fn is None else self.reward_fn(paths.rewards[i, :n])
            rows = np.concatenate([paths.actions[i, :n], np.asarray(r)[:, None], paths.next_obs[i, :n]], axis=1)
            self.add(i, self._t(rows))

    @torch.no_grad()
    def start(self, jobs: np.ndarray) -> None:
        """Start an episode of `jobs`: the prior, then each job's context episodes fed in order."""
        if not len(jobs):
            return
        seqs = [torch.cat(self.history[i]) if self.history[i] else None for i in jobs]
        width = self.agent.action_dim + 1 + self.agent.obs_dim
        lengths = torch.as_tensor([0 if s is None else len(s) for s in seqs], device=self.device)
        rows = torch.zeros(len(jobs), int(lengths.max()), width, device=self.device)
        for k, s in enumerate(seqs):
            if s is not None:
                rows[k, : len(s)] = s
        idx = torch.as_tensor(jobs, device=self.device)
        self.h[idx] = self.agent.feed(self.agent.gru.prior_state(len(jobs), self.device), rows, lengths)
        self.z[idx] = self.agent.belief(self.h[idx])

    @torch.no_grad()
    def on_step(self, t: int, stepped: np.ndarray, paths: Paths) -> None:
        """`rollout`'s hook: the jobs that stepped at t advance by their transition (a_t, r_t, s_{t+1})."""
        jobs = np.flatnonzero(stepped)
        r = paths.rewards[jobs, t] if self.reward_fn is None else self.reward_fn(paths.rewards[jobs, t])
        idx = torch.as_tensor(jobs, device=self.device)
        self.h[idx] = self.agent.gru.advance(
            self.h[idx], self._t(paths.actions[jobs, t]), self._t(r)[:, None], self._t(paths.next_obs[jobs, t])
        )
        self.z[idx] = self.agent.belief(self.h[idx])

    def result(self, returns: list[list[float]]) -> ProtocolResult:
        L = self.agent.latent_dim // 2
        mu, logvar = self.z[:, :L], self.z[:, L:]
        return ProtocolResult(returns, mu.cpu().numpy().copy(), (0.5 * logvar).exp().mean(dim=1).cpu().numpy())


def _act(agent: BorelAgent, belief: _Belief, deterministic: bool, generator: torch.Generator | None):
    @torch.no_grad()
    def act(obs: torch.Tensor, t: int, alive: np.ndarray) -> np.ndarray:
        return agent.policy_output(obs, belief.z, deterministic, generator).action.cpu().numpy()

    return act


def _scored(
    agent, belief: _Belief, envs, setting: EvalSetting, device, before, on_paths, reward_fn, after=lambda *a: None
) -> ProtocolResult:
    """The scored episodes of a protocol whose context `before` (and `after` each episode) gathers: deterministic
    actions with the belief, advanced after every step."""
    returns = _scored_loop(
        envs,
        setting,
        device,
        before,
        after,
        _act(agent, belief, True, None),
        on_paths,
        score_reward_fn=reward_fn,
        on_step=belief.on_step,
    )
    return belief.result(returns)


def offline_context_recurrent(
    agent: BorelAgent,
    envs: list,
    tasks: list[int],
    episodes: SequenceIndex,
    setting: EvalSetting,
    window: int,
    device: torch.device,
    generator: torch.Generator,
    reward_fn=None,
    on_paths=None,
) -> ProtocolResult:
    """Before each scored episode, one whole offline episode of the job's task (`episodes`: the test data's episodes,
    one per sequence), drawn uniformly, becomes the job's context; the scored episode starts from the belief after
    it and updates at every step. (The buffer holds the context rewards, sparsified where the run trains on sparse
    rewards; the scored episode's own steps read `reward_fn`'s, as the online protocols do.)"""
    belief = _Belief(agent, len(envs), window, device, reward_fn)
    task_t = torch.as_tensor(tasks, device=device)

    def before(active, scored):
        b = episodes.batch(episodes.sample_ids(task_t, 1, generator)[:, 0])
        rows = torch.cat([b.actions, b.rewards, b.next_obs], dim=-1).to(torch.get_default_dtype())
        n = b.mask.sum(dim=1)
        for i in np.flatnonzero(active):
            belief.add(i, rows[i, : int(n[i])])
        belief.start(np.flatnonzero(active))

    return _scored(agent, belief, envs, setting, device, before, on_paths, reward_fn)


def online_prior_context_recurrent(
    agent: BorelAgent,
    envs: list,
    setting: EvalSetting,
    window: int,
    device: torch.device,
    reward_fn=None,
    on_paths=None,
) -> ProtocolResult:
    """Deterministic scored episodes, the first from the prior; each becomes the job's context for the next."""
    belief = _Belief(agent, len(envs), window, device, reward_fn)
    return _scored(
        agent,
        belief,
        envs,
        setting,
        device,
        lambda active, scored: belief.start(np.flatnonzero(active)),
        on_paths,
        reward_fn,
        after=lambda active, scored, paths: belief.add_paths(paths),
    )


def nonprior_context_recurrent(
    agent: BorelAgent,
    envs: list,
    setting: EvalSetting,
    window: int,
    device: torch.device,
    rng: np.random.Generator,
    generator: torch.Generator,
    reward_fn=None,
    on_paths=None,
) -> ProtocolResult:
    """`protocols.nonprior_context`'s collection with a recurrent belief: before each scored episode, exploration
    episodes until H new context transitions exist, each fed to the GRU step by step as it is collected and then
    kept as context; an action is uniform in [-1, 1] while (scored steps + step) < N / 2, else sampled from the
    policy with the current belief. The scored episode starts from the belief after the last context episode(s)."""
    belief = _Belief(agent, len(envs), window, device, reward_fn)
    sample = _act(agent, belief, False, generator)
    act_dim = envs[0].action_space.shape[0]

    def before(active, scored):
        explore = np_explore(rng, len(envs), act_dim, setting.num_steps_per_eval, scored, sample)
        collected = np.zeros(len(envs), dtype=np.int64)
        while (need := active & (collected < setting.max_path_length)).any():
            belief.start(np.flatnonzero(need))
            paths = rollout(envs, explore, setting.max_path_length, need, device, on_step=belief.on_step)
            if on_paths is not None:
                on_paths("context", paths)
            belief.add_paths(paths)
            collected += paths.lengths
        belief.start(np.flatnonzero(active))

    return _scored(agent, belief, envs, setting, device, before, on_paths, reward_fn)
