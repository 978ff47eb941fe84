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
from rlkit.logging import PROTOCOL_BY_KEY
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


@dataclass
class Belief:
    """What a recurrent belief (BOREL's) reads besides the agent: the test data's whole episodes in order (the
    offline protocol's context), and how many context episodes it carries over into the next episode."""

    episodes: SequenceIndex | None
    window: int

    @staticmethod
    def of(cfg: Config, eval_buffer: MultiTaskBuffer | None) -> Belief:
        """BOREL's, of `cfg` and the test tasks' buffer (None: no episodes, for a caller that runs no offline
        protocol)."""
        a = cfg.algo_params
        episodes = (
            None if eval_buffer is None else SequenceIndex(eval_buffer, 1, a.n_trj, cfg.env_params.max_episode_steps)
        )
        return Belief(episodes, a.borel_episodes - 1)


def run_protocol(
    protocol: str,
    agent: CSROAgent,
    envs: list[gym.Env],
    tasks: list[int],
    setting: EvalSetting,
    streams: EvalStreams,
    reward_fn,
    device: torch.device,
    buffer: MultiTaskBuffer | None = None,
    belief: Belief | None = None,
    on_paths=None,
) -> ProtocolResult:
    """One protocol (a key of `rlkit.logging.PROTOCOL_BY_KEY`) on `envs` (job i on task `tasks[i]`), with z
    inferred from whole contexts (`rlkit.eval.protocols`; the offline protocol's from `buffer`) or, for a recurrent
    agent, by a belief updated at every step (`rlkit.eval.recurrent`; `belief` its inputs). Its draws come from
    `streams`; `on_paths` is called after each batch of episodes (show_path.py draws them). The one place that
    calls the protocols: the meta-test and show_path.py's figures run the same."""
    if agent.recurrent:
        if belief is None:
            raise ValueError("a recurrent agent's protocols need its Belief")
        w = belief.window
        if protocol == "offline":
            gen = streams.offline_context
            return offline_context_recurrent(
                agent, envs, tasks, belief.episodes, setting, w, device, gen, reward_fn, on_paths=on_paths
            )
        if protocol == "online":
            return online_prior_context_recurrent(agent, envs, setting, w, device, reward_fn, on_paths=on_paths)
        if protocol == "np":
            return nonprior_context_recurrent(
                agent, envs, setting, w, device, streams.np_random, streams.np_policy, reward_fn, on_paths=on_paths
            )
    elif protocol == "offline":
        gen = streams.offline_context
        return offline_context(agent, envs, tasks, buffer, setting, device, gen, reward_fn, on_paths=on_paths)
    elif protocol == "online":
        return online_prior_context(agent, envs, setting, device, reward_fn, on_paths=on_paths)
    elif protocol == "np":
        return nonprior_context(
            agent, envs, setting, device, streams.np_random, streams.np_policy, reward_fn, on_paths=on_paths
        )
    raise ValueError(f"protocol {protocol!r}: expected one of {list(PROTOCOL_BY_KEY)}")


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
        self.belief = Belief.of(cfg, eval_buffer) if cfg.algo_type == "BOREL" else None  # (a recurrent belief)

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
        tasks = [t for t, _ in self.jobs]
        results = {
            p: run_protocol(
                p, agent, self.envs, tasks, self.setting, streams, self.reward_fn, dev, self.eval_buffer, self.belief
            )
            for p in PROTOCOL_BY_KEY  # (the registry's order: offline, online, Np)
        }
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
