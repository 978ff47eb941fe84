"""The meta-test of one iteration: the three protocols on the held-out tasks, `num_evals` runs each."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import gymnasium as gym
import numpy as np
import torch

from rlkit.config import Config
from rlkit.data.buffer import MultiTaskBuffer
from rlkit.data.sequences import SequenceIndex
from rlkit.envs import env_rng_state, set_env_rng_state
from rlkit.eval.protocols import EvalSetting, ProtocolResult, nonprior_context, offline_context, online_prior_context
from rlkit.eval.recurrent import (
    nonprior_context_recurrent,
    offline_context_recurrent,
    online_prior_context_recurrent,
)
from rlkit.seeding import numpy_generator, stream_seed, torch_generator
from rlkit.tasks import make_wrapped_env, scored_reward_fn
from rlkit.torch.csro.agent import CSROAgent


@dataclass
class EvalResult:
    scores: dict[str, np.ndarray] = field(
        default_factory=dict
    )  # protocol -> [tasks, runs] return of the last scored episode
    returns: dict[str, list[list[float]]] = field(
        default_factory=dict
    )  # protocol -> per job, every scored episode's return
    env_steps: int = 0
    final_z: np.ndarray | None = None  # [L]: z of the last Np job (last test task, last run), as the reference logs
    final_z_std: float = math.nan  # that job's embedding std over its context, mean over dims (nan: no meta-test)

    @property
    def rollouts(self) -> int:
        return sum(len(r) for v in self.returns.values() for r in v)

    def mean_returns(self) -> dict[str, float]:
        return {k: float(v.mean()) for k, v in self.scores.items()}


def make_job_envs(
    cfg: Config,
    tasks: list[int],
    runs: int,
    seed: int,
    obs_scale: np.ndarray | None,
    data_dir: str | Path | None = None,
    wrap: Callable[[gym.Env], gym.Env] | None = None,
) -> tuple[list[tuple[int, int]], list[gym.Env]]:
    """The meta-test's jobs (task, run), tasks outer and runs inner, and one env per job: the dataset's env in
    agent units (`make_wrapped_env`; `wrap` adds an outer wrapper), set to its task and seeded by the stream
    `eval_envs` of run r, so run r of every task draws its episode starts from the same generator state."""
    jobs = [(t, r) for t in tasks for r in range(runs)]
    envs = []
    for t, r in jobs:
        env = make_wrapped_env(cfg, obs_scale, data_dir)
        if wrap is not None:
            env = wrap(env)
        env.reset_task(t)
        env.reset(seed=stream_seed(seed, "eval_envs", r))
        envs.append(env)
    return jobs, envs


@dataclass
class EvalStreams:
    """The random streams of one meta-test (`rlkit.seeding`, keyed by the iteration, so a resumed run
    repeats them): the offline protocol's context rows, and Np's random actions and policy samples."""

    offline_context: torch.Generator
    np_random: np.random.Generator
    np_policy: torch.Generator

    @staticmethod
    def of(seed: int, iteration: int, device: torch.device) -> EvalStreams:
        return EvalStreams(
            torch_generator(seed, "eval_offline_context", iteration, device=device),
            numpy_generator(seed, "eval_np_random", iteration),
            torch_generator(seed, "eval_np_policy", iteration, device=device),
        )


def seed_meta_test_z(agent, seed: int, iteration: int) -> None:
    """OFFPEARL's sampled meta-test z (`sample_z_at_test`): its generator seeded for the meta-test of `iteration`
    (stream test_z), so that a resumed run and show_path.py draw that meta-test's z again; no-op for other agents."""
    gen = getattr(agent, "test_z_generator", None)
    if gen is not None:
        gen.manual_seed(stream_seed(seed, "test_z", iteration))


class Evaluator:
    """One env per job (test task, run), seeded by run (`make_job_envs`), kept across iterations; all
    jobs of a protocol advance in lockstep."""

    def __init__(
        self,
        cfg: Config,
        test_tasks: list[int],
        eval_buffer: MultiTaskBuffer,
        obs_scale: np.ndarray | None,
        seed: int,
        device: torch.device,
        data_dir: str | Path | None = None,
    ):
        if eval_buffer is not None:  # (tests that run no offline protocol give none)
            eval_buffer.require(test_tasks, "test tasks")
        self.test_tasks, self.eval_buffer, self.seed, self.device = test_tasks, eval_buffer, seed, device
        self.num_evals = cfg.algo_params.num_evals
        self.jobs, self.envs = make_job_envs(cfg, test_tasks, self.num_evals, seed, obs_scale, data_dir)
        self.setting = EvalSetting.from_config(cfg)
        self.reward_fn = scored_reward_fn(cfg, self.envs[0])
        # a recurrent belief (BOREL): the test data's whole episodes, in order, and how many context episodes
        # the belief carries over into the next episode
        self.episodes, self.window = None, 0
        if cfg.algo_type == "BOREL":
            a = cfg.algo_params
            self.window = a.borel_episodes - 1
            if eval_buffer is not None:  # (none: a caller that runs no offline protocol)
                self.episodes = SequenceIndex(eval_buffer, 1, a.n_trj, cfg.env_params.max_episode_steps)

    def rng_states(self) -> list[dict]:
        """Each job env's numpy generator (episode starts draw from it, and it runs on across iterations)."""
        return [env_rng_state(env) for env in self.envs]

    def set_rng_states(self, states: list[dict]) -> None:
        """On resume: continue each job env's generator where `rng_states` left it."""
        if len(states) != len(self.envs):
            raise ValueError(f"{len(states)} env states for {len(self.envs)} evaluation envs")
        for env, s in zip(self.envs, states):
            set_env_rng_state(env, s)

    def __call__(self, agent: CSROAgent, iteration: int) -> EvalResult:
        """Run the three protocols once; their draws come from `EvalStreams.of(seed, iteration)`, so resumes
        repeat them (the envs' generators run on across iterations and are saved with the run)."""
        dev = self.device
        steps_before = sum(e.total_steps for e in self.envs)
        streams = EvalStreams.of(self.seed, iteration, dev)
        seed_meta_test_z(agent, self.seed, iteration)
        agent.eval()
        if agent.recurrent:
            results = self._recurrent(agent, streams)
        else:
            results = self._mean_pooled(agent, streams)
        agent.train()
        shape = (len(self.test_tasks), self.num_evals)
        scores = {k: np.array([r[-1] for r in v.returns]).reshape(shape) for k, v in results.items()}
        np_result = results["np"]
        return EvalResult(
            scores,
            {k: v.returns for k, v in results.items()},
            sum(e.total_steps for e in self.envs) - steps_before,
            np_result.z[-1],
            float(np_result.z_std[-1]),
        )

    def _mean_pooled(self, agent, streams: EvalStreams) -> dict[str, ProtocolResult]:
        """The three protocols with z inferred from whole contexts (`rlkit.eval.protocols`)."""
        dev, setting = self.device, self.setting
        return {
            "offline": offline_context(
                agent,
                self.envs,
                [t for t, _ in self.jobs],
                self.eval_buffer,
                setting,
                dev,
                streams.offline_context,
                self.reward_fn,
            ),
            "online": online_prior_context(agent, self.envs, setting, dev, self.reward_fn),
            "np": nonprior_context(
                agent, self.envs, setting, dev, streams.np_random, streams.np_policy, self.reward_fn
            ),
        }

    def _recurrent(self, agent, streams: EvalStreams) -> dict[str, ProtocolResult]:
        """The three protocols with a belief updated at every step (`rlkit.eval.recurrent`), from the same streams."""
        dev, setting, w = self.device, self.setting, self.window
        return {
            "offline": offline_context_recurrent(
                agent,
                self.envs,
                [t for t, _ in self.jobs],
                self.episodes,
                setting,
                w,
                dev,
                streams.offline_context,
                self.reward_fn,
            ),
            "online": online_prior_context_recurrent(agent, self.envs, setting, w, dev, self.reward_fn),
            "np": nonprior_context_recurrent(
                agent, self.envs, setting, w, dev, streams.np_random, streams.np_policy, self.reward_fn
            ),
        }
