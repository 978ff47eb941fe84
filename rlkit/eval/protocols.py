"""The three meta-test protocols (docs/algorithm.md, "Meta-test") over shared lockstep rollout code, for the
mean-pooled encoders: z is inferred from a whole context at once and fixed within an episode (a recurrent belief,
BOREL's, has its own path: `rlkit.eval.recurrent`).

A "job" is one (task, run) pair with its own env; all jobs of a protocol advance together,
so the policy runs once per step on a [jobs, obs] batch. Each protocol returns a
`ProtocolResult`: per job, the returns of its scored episodes (the score of a job is the
last one) and the posterior mean of its last inference of z.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from rlkit.config import Config
from rlkit.data.buffer import MultiTaskBuffer
from rlkit.data.rollout import Paths, rollout
from rlkit.torch.csro.agent import CSROAgent


@dataclass
class ProtocolResult:
    returns: list[list[float]]  # per job, every scored episode's return, in order
    z: np.ndarray  # [jobs, L]: the mean of the last z each job inferred (0, the prior's, if it never inferred)
    z_std: np.ndarray  # [jobs]: std over the context of that inference of the per-transition embeddings, mean over dims


@dataclass(frozen=True)
class EvalSetting:
    num_steps_per_eval: int  # N, scored steps per job
    max_path_length: int  # H
    num_exp_traj_eval: int
    use_next_obs_in_context: bool

    @classmethod
    def from_config(cls, cfg: Config) -> EvalSetting:
        a = cfg.algo_params
        return cls(a.num_steps_per_eval, a.max_path_length, a.num_exp_traj_eval, a.use_next_obs_in_context)


class _Context:
    """Per-job growing context (tensors of torch's default dtype on the device) and the current z."""

    def __init__(self, agent: CSROAgent, n_jobs: int, device: torch.device):
        self.agent, self.device = agent, device
        self.parts: list[list[torch.Tensor]] = [[] for _ in range(n_jobs)]
        self.z = agent.prior_z(n_jobs).to(device)  # the prior (its mean 0, or a sample with PEARL's sampled z)
        self.read = np.full(n_jobs, -1)  # per job, the context parts its last inference read (-1: none, the prior)

    def add(self, i: int, rows: np.ndarray | torch.Tensor) -> None:
        self.parts[i].append(torch.as_tensor(rows, dtype=torch.get_default_dtype(), device=self.device))

    def add_paths(self, paths: Paths, use_next_obs: bool, reward_fn) -> None:
        for i in range(len(self.parts)):
            if paths.lengths[i]:
                self.add(i, paths.context(i, use_next_obs, reward_fn))

    @torch.no_grad()
    def infer(self, jobs: np.ndarray, parts: list[int] | None = None) -> None:
        """z of `jobs` from their context (`parts`: from its first parts[k] parts only)."""
        if not len(jobs):
            return
        parts = [len(self.parts[i]) for i in jobs] if parts is None else parts
        ctxs = [
            torch.cat(self.parts[i][:n]) if n else torch.zeros(0, self.agent.context_dim, device=self.device)
            for i, n in zip(jobs, parts, strict=True)
        ]
        self.z[torch.as_tensor(jobs, device=self.device)] = self.agent.infer_z_list(ctxs)
        self.read[jobs] = parts

    @torch.no_grad()
    def resample(self, jobs: np.ndarray) -> None:
        """PEARL's `sample_z` after every trajectory (its sampler's `resample=1`): with a sampled z
        (`test_z_generator`, OFFPEARL), each job of `jobs` draws a new z from what its z was drawn from, the prior
        N(0, I) before its first inference, else the posterior of the context its last inference read (not
        the context added since, which only the next inference reads). With z the posterior mean: nothing."""
        if getattr(self.agent, "test_z_generator", None) is None or not len(jobs):
            return
        prior, posterior = jobs[self.read[jobs] < 0], jobs[self.read[jobs] >= 0]
        if len(prior):
            self.z[torch.as_tensor(prior, device=self.device)] = self.agent.prior_z(len(prior)).to(self.device)
        self.infer(posterior, [int(self.read[i]) for i in posterior])

    @torch.no_grad()
    def result(self, returns: list[list[float]]) -> ProtocolResult:
        """The returns with, per job, the posterior mean of its last inference and the spread of the embeddings of
        the context it read (the reference's `Z mean eval`, its agent's z_means, and `Z variance eval`, its z_vars,
        a std; both 0 for a job that never inferred, as after its `clear_z`). With PEARL's sampled z the mean, not
        the sample the job acted with."""
        z = self.z.cpu().numpy().copy()
        std = np.zeros(len(self.parts))
        sampled = getattr(self.agent, "test_z_generator", None) is not None
        for i, parts in enumerate(self.parts):
            read = parts[: max(int(self.read[i]), 0)]
            if not read:
                z[i] = 0.0
                continue
            e, var = self.agent.encode_with_var(torch.cat(read)[None])
            if sampled:
                z[i] = self.agent.aggregate(e, var)[0].cpu().numpy()
            if e.shape[1] > 1:
                std[i] = float(e[0].std(dim=0).mean())
        return ProtocolResult(returns, z, std)


def _policy_act(agent: CSROAgent, ctx: _Context, deterministic: bool, generator: torch.Generator | None):
    @torch.no_grad()
    def act(obs: torch.Tensor, t: int, alive: np.ndarray) -> np.ndarray:
        return agent.policy_output(obs, ctx.z, deterministic=deterministic, generator=generator).action.cpu().numpy()

    return act


def _scored_loop(
    envs,
    setting: EvalSetting,
    device,
    before_episode,
    after_episode,
    act_fn,
    on_paths=None,
    score_reward_fn=None,
    on_step=None,
) -> list[list[float]]:
    """Run scored episodes until every job has N scored steps; hooks gather context and infer z (`on_step`, after
    every env step: a recurrent belief's update, `rlkit.eval.recurrent`). A scored episode's return sums
    `score_reward_fn(r)` when given (the sparse reward of a sparse-reward env, as the reference scores it), else
    the env's reward."""
    n_jobs = len(envs)
    scored = np.zeros(n_jobs, dtype=np.int64)
    returns: list[list[float]] = [[] for _ in range(n_jobs)]
    while (active := scored < setting.num_steps_per_eval).any():
        before_episode(active, scored)
        paths = rollout(envs, act_fn, setting.max_path_length, active, device, on_step)
        if on_paths is not None:
            on_paths("scored", paths)
        scored += paths.lengths
        episode_returns = paths.returns(score_reward_fn)
        for i in np.flatnonzero(active):
            returns[i].append(float(episode_returns[i]))
        after_episode(active, scored, paths)
    return returns


def _scored(ctx: _Context, envs, setting: EvalSetting, device, before, after, on_paths, reward_fn) -> ProtocolResult:
    """`_scored_loop` with the deterministic policy on the jobs' z (`ctx`), its returns with `ctx`'s z."""
    act = _policy_act(ctx.agent, ctx, True, None)
    return ctx.result(_scored_loop(envs, setting, device, before, after, act, on_paths, score_reward_fn=reward_fn))


def _reinfer_or_resample(ctx: _Context, active: np.ndarray, scored: np.ndarray, setting: EvalSetting) -> None:
    """After a scored episode: z re-inferred for the active jobs with num_exp_traj_eval * H steps scored, z
    resampled (PEARL's sampled z) for the others."""
    infer = active & (scored >= setting.num_exp_traj_eval * setting.max_path_length)
    ctx.resample(np.flatnonzero(active & ~infer))
    ctx.infer(np.flatnonzero(infer))


def offline_context(
    agent: CSROAgent,
    envs: list,
    tasks: list[int],
    buffer: MultiTaskBuffer,
    setting: EvalSetting,
    device: torch.device,
    generator: torch.Generator,
    reward_fn=None,
    on_paths=None,
) -> ProtocolResult:
    """Before each scored episode, add H transitions of the task's offline data to the context and infer z.
    (The buffer already holds sparsified context rewards when the run trains on sparse rewards;
    `reward_fn` only scores the episodes.)"""
    ctx = _Context(agent, len(envs), device)
    task_t = torch.as_tensor(tasks, device=device)

    def before(active, scored):
        rows = buffer.sample_context(task_t, setting.max_path_length, generator, setting.use_next_obs_in_context)
        for i in np.flatnonzero(active):
            ctx.add(i, rows[i])
        ctx.infer(np.flatnonzero(active))

    return _scored(ctx, envs, setting, device, before, lambda *a: None, on_paths, reward_fn)


def online_prior_context(
    agent: CSROAgent, envs: list, setting: EvalSetting, device: torch.device, reward_fn=None, on_paths=None
) -> ProtocolResult:
    """PEARL's protocol: deterministic episodes from the prior z, each added to the context; z is
    re-inferred after every episode once num_exp_traj_eval * H steps are scored. `reward_fn`: the reward the
    context holds and the episodes are scored by (the sparse one of a sparse-reward env), else the env's."""
    ctx = _Context(agent, len(envs), device)

    def after(active, scored, paths):
        ctx.add_paths(paths, setting.use_next_obs_in_context, reward_fn)
        _reinfer_or_resample(ctx, active, scored, setting)

    return _scored(ctx, envs, setting, device, lambda *a: None, after, on_paths, reward_fn)


def np_random_steps(scored: np.ndarray, num_steps_per_eval: int) -> np.ndarray:
    """Per job, how many first steps of its next context episode CSRO's Np exploration takes at random: the steps
    t with (its `scored` steps + t) < N / 2, N = num_steps_per_eval (0 or less: none)."""
    return np.ceil(num_steps_per_eval / 2 - scored)


def np_explore(
    rng: np.random.Generator, n_jobs: int, act_dim: int, num_steps_per_eval: int, scored: np.ndarray, sample
) -> Callable[[torch.Tensor, int, np.ndarray], np.ndarray]:
    """CSRO's Np exploration policy for one round of context episodes: a job's action at step t is uniform in
    [-1, 1] for its first `np_random_steps` steps, else `sample(obs, t, alive)`, the policy's sample."""

    def explore(obs: torch.Tensor, t: int, alive: np.ndarray) -> np.ndarray:
        random = rng.uniform(-1.0, 1.0, size=(n_jobs, act_dim))
        use_random = t < np_random_steps(scored, num_steps_per_eval)
        if use_random.all():
            return random
        return np.where(use_random[:, None], random, sample(obs, t, alive))

    return explore


def nonprior_context(
    agent: CSROAgent,
    envs: list,
    setting: EvalSetting,
    device: torch.device,
    rng: np.random.Generator,
    generator: torch.Generator,
    reward_fn=None,
    on_paths=None,
) -> ProtocolResult:
    """CSRO's non-prior collection: before each scored episode, context episodes until at least H new
    context transitions exist (one episode where nothing ends early; on envs that terminate, further
    episodes, as the reference's in-place sampler with `max_samples=H`). An action is uniform in
    [-1, 1] while (scored steps + step in its episode) < N / 2 and sampled from the policy with the
    current z after; z is re-inferred after each scored episode once num_exp_traj_eval * H steps
    are scored. Scored episodes are deterministic and not added to the context. `reward_fn` as in
    `online_prior_context`; `on_paths(kind, paths)`, if given, sees every "context" and "scored" episode batch
    (for drawing)."""
    ctx = _Context(agent, len(envs), device)
    sample = _policy_act(agent, ctx, False, generator)
    act_dim = envs[0].action_space.shape[0]

    def before(active, scored):
        explore = np_explore(rng, len(envs), act_dim, setting.num_steps_per_eval, scored, sample)
        collected = np.zeros(len(envs), dtype=np.int64)
        while (need := active & (collected < setting.max_path_length)).any():
            paths = rollout(envs, explore, setting.max_path_length, need, device)
            if on_paths is not None:
                on_paths("context", paths)
            ctx.add_paths(paths, setting.use_next_obs_in_context, reward_fn)
            ctx.resample(np.flatnonzero(need))
            collected += paths.lengths

    def after(active, scored, paths):
        _reinfer_or_resample(ctx, active, scored, setting)

    return _scored(ctx, envs, setting, device, before, after, on_paths, reward_fn)
