"""`python -m rlkit.budget CONFIG [--KEY VALUE ...]`: a run's training work in FLOPs, and this machine's speed.

Wall time depends on the machine (this project has seen 2-core hosts whose dense fp32 matmul
throughput differs 3x); FLOPs do not. A run's budget is its matmul FLOPs per gradient step
(counted on one step of the real trainer at the config's sizes, on synthetic data of the env's
dimensions) times its number of steps. Printed next to a throughput probe, it tells what wall
time to expect and why a run on a slower host takes longer.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import click
import numpy as np
import torch

from rlkit.cli import PATH, run_cli
from rlkit.config import Config, load_config, parse_override_args
from rlkit.data.buffer import MultiTaskBuffer, sample_step
from rlkit.data.dataset import Trajectories
from rlkit.seeding import numpy_generator, torch_generator
from rlkit.tasks import make_env
from rlkit.torch.csro import corro
from rlkit.torch.csro.trainer import CSROTrainer, TrainerSettings
from rlkit.torch.flops import MatmulProbe, count_flops


@dataclass(frozen=True)
class Stage:
    """Steps of a run that are not the learner's full step: BOREL's belief VAE before them, CORRO's CVAE and
    pretraining steps among them."""

    name: str
    flops: int  # one step
    steps: int
    before_run: bool = False  # BOREL's VAE: done before the run's first training step, not among them


@dataclass(frozen=True)
class Budget:
    step_flops: int  # matmul FLOPs of one gradient step (forward + backward)
    steps: int  # the learner's gradient steps of the whole run
    stages: tuple[Stage, ...] = ()

    @property
    def total_flops(self) -> int:
        return self.step_flops * self.steps + sum(s.flops * s.steps for s in self.stages)

    def flops_after(self, done_steps: int) -> int:
        """What is left of `total_flops` for a run that has done `done_steps` of its training steps: the stages
        among them come first (CORRO's), a stage before the run (BOREL's VAE) is done once one step is."""
        return int(self.left_after(done_steps, self.step_flops, [st.flops for st in self.stages]))

    def left_after(self, done_steps: int, step_cost: float, stage_costs: Sequence[float]) -> float:
        """`flops_after` in another unit: the learner's step costs `step_cost`, a step of `stages[i]` `stage_costs[i]`
        (seconds each, as `step_seconds` times them: a GRU's FLOPs run slower than an MLP's)."""
        left, out = done_steps, 0.0
        for st, cost in zip(self.stages, stage_costs, strict=True):
            if st.before_run:
                out += 0 if done_steps > 0 else cost * st.steps
            else:
                out += cost * max(st.steps - left, 0)
                left = max(left - st.steps, 0)
        return out + step_cost * max(self.steps - left, 0)

    def summary(self) -> str:
        """'15,000 steps x 4.83 GFLOP = 72.4 TFLOP', with any stage's steps in the sum."""
        return (
            f"{self.steps:,} steps x {self.step_flops / 1e9:.2f} GFLOP"
            + "".join(f" + {st.steps:,} {st.name} steps x {st.flops / 1e9:.2f} GFLOP" for st in self.stages)
            + f" = {self.total_flops / 1e12:.1f} TFLOP"
        )


def synthetic_step(cfg: Config, n_tasks: int, transitions: int, seed: int = 0) -> Callable[[], object]:
    """One training step of `cfg`'s trainer (same sizes, same algorithm switches) as a callable, on
    synthetic data of the env's dimensions: `n_tasks` tasks of `transitions` random transitions, the
    meta-batch drawn from them by training's own `sample_step`. For counting and timing steps, not for learning."""
    return _step_of(*synthetic_parts(cfg, n_tasks, transitions, seed))


def _step_of(sample: Callable[[], object], trainer: CSROTrainer) -> Callable[[], object]:
    """A draw and a training step on it, as one callable."""

    def step():
        s = sample()
        return trainer.train_step(s.tasks, s.context, s.batch, s.extra)

    return step


def _synthetic_buffer(
    cfg: Config,
    n_tasks: int,
    transitions: int,
    seed: int = 0,
    device: torch.device | None = None,
    fuse: bool = False,
) -> tuple[MultiTaskBuffer, CSROTrainer, np.random.Generator]:
    """`n_tasks` tasks of `transitions` random transitions of the env's dimensions (episodes of the env's length), the
    trainer of `cfg` on `device` (default the CPU; `fuse`: its losses compiled), and the generator that drew the
    data, for any more draws."""
    device = device or torch.device("cpu")
    env = make_env(cfg.env_name, **cfg.env_params.kwargs())
    obs_dim, act_dim = env.observation_space.shape[0], env.action_space.shape[0]
    rng = numpy_generator(seed, "budget_data")
    n = transitions
    # episodes of the env's length, as its data holds them (BOREL's sequences are whole episodes: its VAE step's
    # cost grows with their length squared; the other methods draw rows and do not see it)
    ep = min(cfg.env_params.max_episode_steps, n)
    lengths = np.asarray([ep] * (n // ep) + ([n % ep] if n % ep else []))
    data = {
        t: Trajectories(
            rng.normal(size=(n, obs_dim)).astype(np.float32),
            rng.uniform(-1, 1, (n, act_dim)).astype(np.float32),
            rng.normal(size=n).astype(np.float32),
            rng.normal(size=(n, obs_dim)).astype(np.float32),
            np.zeros(n, np.float32),
            lengths,
        )
        for t in range(n_tasks)
    }
    for d in data.values():  # a step's next obs is the next step's obs within an episode, as in real data
        d.chained()
    buf = MultiTaskBuffer(data, obs_dim, act_dim, device)
    # the run's training tasks are the CLASSIFIER's classes (its head's width), however many tasks are drawn here
    settings = TrainerSettings.from_config(cfg, range(max(n_tasks, cfg.n_train_tasks)))
    trainer = CSROTrainer(settings, obs_dim, act_dim, device, seed=seed, fuse=fuse)
    return buf, trainer, rng


def synthetic_parts(
    cfg: Config,
    n_tasks: int,
    transitions: int,
    seed: int = 0,
    device: torch.device | None = None,
    fuse: bool = False,
) -> tuple[Callable[[], object], CSROTrainer]:
    """`synthetic_step`'s two halves on `device` (default the CPU): the draw (`sample_step` on the synthetic
    buffer) and the trainer (`fuse`: its losses compiled)."""
    device = device or torch.device("cpu")
    buf, trainer, rng = _synthetic_buffer(cfg, n_tasks, transitions, seed, device, fuse)
    gen = torch_generator(seed, "batch_sampling", device=device)  # as training draws its meta-batches
    task_ids = torch.arange(n_tasks, device=device)
    if trainer.settings.borel is not None:  # the learner's step on hyper-state rows (the VAE's: `synthetic_vae_step`)
        width = (len(buf), trainer.agent.latent_dim)
        before, after = [torch.as_tensor(rng.normal(size=width), dtype=buf.data.dtype) for _ in range(2)]
        chained = buf.next_row < len(buf)  # the belief after a step is the one before the next, as in real rows
        after[chained] = before[buf.next_row[chained].long()]
        buf = buf.with_obs_columns(before, after)
        return (lambda: sample_step(buf, task_ids, cfg.algo_params, gen, with_context=False)), trainer
    return (lambda: sample_step(buf, task_ids, cfg.algo_params, gen)), trainer


def synthetic_vae_step(cfg: Config, n_tasks: int, transitions: int, seed: int = 0) -> Callable[[], object]:
    """One step of BOREL's belief-VAE stage at `cfg`'s sizes, on the synthetic data of `synthetic_parts` (episodes
    of the env's `max_episode_steps`) of `n_tasks` training tasks: min(`n_tasks`, `borel_vae_tasks`) tasks x
    `borel_vae_sequences` ordered sequences, as `MetaTrainer.vae_stage` draws."""
    from rlkit.data.sequences import SequenceIndex

    buf, trainer, _ = _synthetic_buffer(cfg, n_tasks, transitions, seed)
    b = trainer.settings.borel
    index = SequenceIndex(buf, b.episodes, cfg.algo_params.n_trj)
    gen = torch_generator(seed, "borel_vae")
    tasks = torch.arange(min(n_tasks, b.vae_tasks))
    return lambda: trainer.vae_step(index.sample(tasks, b.vae_sequences, gen))


def _corro_step_at(cfg: Config, step: int) -> Callable[[], object]:
    """`synthetic_step` with CORRO's encoder at its step `step`, so in the stage it has there ("cvae", ...)."""
    sample, trainer = synthetic_parts(cfg, n_tasks=cfg.algo_params.meta_batch, transitions=2000)
    trainer.agent.encoder.steps.fill_(step)
    return _step_of(sample, trainer)


def _corro_stage_steps(cfg: Config) -> tuple[int, int]:
    """CORRO's CVAE and E1-pretraining steps within the run's steps (the first of them, in that order)."""
    a, c = cfg.algo_params, corro.CorroSettings.from_config(cfg)
    total = a.num_iterations * a.num_train_steps_per_itr
    return min(c.cvae_steps, total), min(c.pretrain_steps, max(total - c.cvae_steps, 0))


def learner_step(cfg: Config) -> Callable[[], object]:
    """The learner's full step of `cfg` (a draw and `train_step`, on synthetic data of the env's dimensions): BOREL's
    on hyper-state rows, CORRO's with its encoder past its CVAE and pretraining stages. `training_budget` counts it."""
    if cfg.algo_type == "CORRO":
        return _corro_step_at(cfg, sum(_corro_stage_steps(cfg)))
    return synthetic_step(cfg, n_tasks=cfg.algo_params.meta_batch, transitions=2000)


def stage_steps(cfg: Config) -> list[tuple[str, Callable[[], object], int, bool]]:
    """(name, one step as a callable, steps, before the run) of each stage of `cfg`'s run that is not the learner's
    full step: BOREL's VAE steps before it, CORRO's CVAE and pretraining steps, which are the first of the run's."""
    a = cfg.algo_params
    if cfg.algo_type == "BOREL":
        # enough episodes per task for the longest sequence the data holds (borel_episodes episodes of one
        # checkpoint's n_trj): every sequence is padded to it, so the step's cost is set by its length
        longest = min(a.borel_episodes, a.n_trj) * cfg.env_params.max_episode_steps
        vae = synthetic_vae_step(cfg, n_tasks=cfg.n_train_tasks, transitions=max(2000, longest))  # min(that, vae_tasks)
        return [("VAE", vae, a.borel_vae_steps, True)]
    if cfg.algo_type == "CORRO":
        cvae, pretrain = _corro_stage_steps(cfg)
        stages = (("CVAE", 0, cvae), ("E1 pretraining", cvae, pretrain))
        return [(name, _corro_step_at(cfg, start), n, False) for name, start, n in stages if n > 0]
    return []


def training_budget(cfg: Config) -> Budget:
    """Count one training step of `cfg`'s trainer (same sizes, same algorithm switches), and one step of each stage
    that is not the learner's full step (`stage_steps`)."""
    a = cfg.algo_params
    total = a.num_iterations * a.num_train_steps_per_itr
    stages = tuple(Stage(name, count_flops(fn), n, before) for name, fn, n, before in stage_steps(cfg))
    return Budget(count_flops(learner_step(cfg)), total - sum(st.steps for st in stages if not st.before_run), stages)


def timed_steps(cfg: Config) -> tuple[float, list[float]]:
    """Seconds of one learner step of `cfg` here, and of one step of each of its `stage_steps`, in this process's
    threads (`step_seconds`): what `Budget.left_after` turns into a run's training time."""
    return step_seconds(learner_step(cfg)), [step_seconds(fn) for _, fn, _, _ in stage_steps(cfg)]


def step_seconds(step: Callable[[], object], repeats: int = 5, warmup: int = 3) -> float:
    """Median wall seconds of `step` in this process (its torch threads), after `warmup` untimed calls. A run's FLOPs
    at this rate estimate its training time here better than the matmul probe does: a step's matrices are small, and
    how far below the dense peak they run differs between hosts (about 2x between two 2-core hosts of this project)."""
    for _ in range(warmup):
        step()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        step()
        times.append(time.perf_counter() - t)
    return float(np.median(times))


def usable_cores() -> int:
    """The CPU cores this process may run on (its affinity where the OS says, else the machine's count)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def makespan(durations: Sequence[float], slots: int) -> float:
    """Wall time of runs lasting `durations`, taken in order, each started as soon as one of `slots` workers is free
    (as a pool of processes takes them): 3 equal runs on 2 workers take 2 runs' time, not 1.5."""
    free = [0.0] * max(1, slots)
    for d in durations:
        free[free.index(min(free))] += d
    return max(free)


def describe(budget: Budget, throughput: float | None = None) -> str:
    """One line: the budget, and with a probe, the pure-matmul time it implies on this machine."""
    line = f"training budget: {budget.summary()} (matmuls, fwd + bwd)"
    if throughput:
        line += (
            f"; this machine's dense fp32 matmul: {throughput / 1e9:.0f} GFLOP/s, so at least "
            f"{budget.total_flops / throughput / 60:.1f} min of training at 100% of it"
        )
    return line


@click.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.argument("config", type=PATH)
@click.pass_context
def main(ctx: click.Context, config: str) -> None:
    """Print CONFIG's training budget in FLOPs and this machine's matmul throughput."""
    cfg = load_config(config, parse_override_args(list(ctx.args)))
    click.echo(describe(training_budget(cfg), MatmulProbe()()))


if __name__ == "__main__":
    run_cli(main)
