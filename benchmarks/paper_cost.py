"""What a full reproduction at the `paper` profile costs, per env, before anyone starts one.

    python benchmarks/paper_cost.py [--envs point-robot,cheetah-vel] [--reps 3] [--markdown FILE]

For every env of `rlkit.reproduce` at its `paper` profile (the reference's settings): stage 1's and
stage 2's matmul FLOPs counted as `rlkit.budget` counts them (one real update at the config's sizes, times the number of
updates), this machine's measured time of one stage-1 SAC update (one task), one env step and one
stage-2 training step, their extrapolation to the whole run on this CPU, and an estimate of the
same on one H100/H200 GPU. The GPU figures are estimates, not measurements: they scale the GPU
step times measured on an H200 for this code, captured as CUDA runs are by default
(docs/results/point-robot-gpu.md: the faithful point-robot CSRO step, 38.9 GFLOP, 3.34 ms with the GPU
86% busy; stage 1 of 40 tasks vectorised at the faithful 2 x 1024 sizes, 1,381 GFLOP an update at 25.9
updates/s, fp32 compute-bound, and at the demo's sizes 749 updates/s, launch-bound) by FLOPs, with the
env steps of stage 1 on the host's CPU at the rate measured here. Stage 2's meta-test episodes are not
counted (a few percent of a run at the paper's settings).
"""

from __future__ import annotations

import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import click
import numpy as np
import torch

from rlkit.config import MAX_INT  # (light: no torch; a count stops where a config's does)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# H200 figures measured for this code, captured (see the module docstring); the GPU columns derive from these.
GPU_STEP2_FLOOR_S = 3.34e-3  # the point-robot CSRO step captured, sampling included
GPU_STEP2_KERNEL_FLOPS_PER_S = 38.9e9 / (0.86 * 3.34e-3)  # 38.9 GFLOP in the step's busy 86%: about 13.5 TFLOP/s
GPU_STEP1_FLOPS_PER_S = 1381e9 * 25.9  # stage 1 at 2 x 1024, batch 1024, fp32: about 35.8 TFLOP/s
GPU_STEP1_LAUNCH_S = 1 / 749  # stage-1 update of a vectorised group, captured, at the demo's small sizes


@dataclass(frozen=True)
class EnvCost:
    env: str
    tasks: int
    stage1_updates: int  # per task
    stage1_env_steps: int  # per task: training steps + checkpoint rollouts
    stage1_flops_per_update: int  # one task
    stage2_steps: int
    stage2_flops_per_step: int
    t_update_s: float  # measured: one stage-1 update of one task
    t_env_s: float  # measured: one env step (random actions)
    t_step2_s: float  # measured: one stage-2 training step

    @property
    def stage1_flops(self) -> float:
        return self.tasks * self.stage1_updates * self.stage1_flops_per_update

    @property
    def stage2_flops(self) -> float:
        return self.stage2_steps * self.stage2_flops_per_step

    @property
    def cpu_hours(self) -> tuple[float, float]:
        s1 = self.tasks * (self.stage1_updates * self.t_update_s + self.stage1_env_steps * self.t_env_s)
        return s1 / 3600, self.stage2_steps * self.t_step2_s / 3600

    @property
    def gpu_hours(self) -> tuple[float, float]:
        """Estimates: all tasks as one vectorised group per update, env steps on the CPU at the measured rate."""
        update = max(GPU_STEP1_LAUNCH_S, self.tasks * self.stage1_flops_per_update / GPU_STEP1_FLOPS_PER_S)
        s1 = self.stage1_updates * update + self.tasks * self.stage1_env_steps * self.t_env_s
        step = max(GPU_STEP2_FLOOR_S, self.stage2_flops_per_step / GPU_STEP2_KERNEL_FLOPS_PER_S)
        return s1 / 3600, self.stage2_steps * step / 3600


def _median_time(fn, reps: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def stage1_cost(env_name: str, env, horizon: int, reps: int) -> tuple[int, int, int, float, float]:
    """(updates per task, env steps per task, FLOPs of one update of one task, s per update, s per env step)
    at the reference's SAC config for this env, whose episodes are `horizon` steps (`max_episode_steps`)."""
    from rlkit.behaviour import load_sac_config
    from rlkit.behaviour.settings import default_sac_config
    from rlkit.torch.flops import count_flops
    from rlkit.torch.sac.vector_sac import TaskGenerators, VectorSAC

    settings = load_sac_config(default_sac_config(env_name), [])
    sched, sac = settings.schedule, settings.sac
    obs_dim, act_dim = env.observation_space.shape[0], env.action_space.shape[0]
    agent = VectorSAC(1, obs_dim, act_dim, sac, 0, torch.device("cpu"))
    gens = TaskGenerators(1, 0, torch.device("cpu"))
    B = sac.batch_size
    batch = {
        "obs": torch.randn(1, B, obs_dim),
        "actions": torch.rand(1, B, act_dim) * 2 - 1,
        "rewards": torch.randn(1, B, 1),
        "next_obs": torch.randn(1, B, obs_dim),
        "not_done": torch.ones(1, B, 1),
    }
    step = [0]

    def update() -> None:
        agent.update(batch, step[0], gens)
        step[0] += 1

    flops = count_flops(update)
    t_update = _median_time(update, reps)
    rollout = len(sched.expected_checkpoints(horizon)) * (sched.num_eval_episodes + sched.num_eval_sample_episodes)
    env_steps = sched.num_train_steps + rollout * horizon
    return sched.num_train_steps - sched.num_seed_steps, env_steps, flops, t_update, _env_step_time(env)


def _env_step_time(env, steps: int = 300) -> float:
    env.reset(seed=0)
    rng = np.random.default_rng(0)
    actions = rng.uniform(env.action_space.low, env.action_space.high, (steps, env.action_space.shape[0]))
    t = time.perf_counter()
    for a in actions:
        _, _, terminated, truncated, _ = env.step(a.astype(env.action_space.dtype))
        if terminated or truncated:
            env.reset()
    return (time.perf_counter() - t) / steps


def env_cost(config: Path, reps: int) -> EnvCost:
    from rlkit.budget import synthetic_step
    from rlkit.config import load_config
    from rlkit.tasks import make_env
    from rlkit.torch.flops import count_flops

    cfg = load_config(config)
    env = make_env(cfg.env_name, **cfg.env_params.kwargs())
    updates, env_steps, flops1, t_update, t_env = stage1_cost(cfg.env_name, env, cfg.env_params.max_episode_steps, reps)
    a = cfg.algo_params
    step = synthetic_step(cfg, n_tasks=a.meta_batch, transitions=2000)
    return EnvCost(
        cfg.env_name,
        cfg.env_params.n_tasks,
        updates,
        env_steps,
        flops1,
        a.num_iterations * a.num_train_steps_per_itr,
        count_flops(step),
        t_update,
        t_env,
        _median_time(step, reps),
    )


def table(costs: list[EnvCost], probe: float) -> str:
    head = (
        "| env | tasks | stage 1 PFLOP | stage 2 PFLOP | CPU: s / SAC update (1 task) | CPU: us / env step "
        "| CPU: s / stage-2 step | CPU hours, stage 1 + 2 (extrapolated) | one GPU, hours (estimate) |"
    )
    lines = [head, "|" + "---|" * 9]
    for c in costs:
        (c1, c2), (g1, g2) = c.cpu_hours, c.gpu_hours
        lines.append(
            f"| {c.env} | {c.tasks} | {c.stage1_flops / 1e15:,.1f} | {c.stage2_flops / 1e15:,.1f} "
            f"| {c.t_update_s:.3f} | {c.t_env_s * 1e6:.0f} | {c.t_step2_s:.3f} "
            f"| {c1:,.0f} + {c2:,.0f} = {c1 + c2:,.0f} | {g1:,.1f} + {g2:,.1f} = {g1 + g2:,.1f} |"
        )
    lines.append("")
    lines.append(
        f"CPU: {torch.get_num_threads()} torch threads; this machine's dense fp32 matmul probe: "
        f"{probe / 1e9:.0f} GFLOP/s during the run."
    )
    return "\n".join(lines)


@click.command()
@click.option("--envs", default=None, help="comma-separated env names (default: every env of rlkit.reproduce)")
@click.option(
    "--reps",
    default=3,
    show_default=True,
    type=click.IntRange(1, MAX_INT),
    help="timed repetitions per measurement (median)",
)
@click.option(
    "--markdown", "markdown", default=None, type=click.Path(dir_okay=False), help="also write the table to this file"
)
def main(envs: str | None, reps: int, markdown: str | None) -> None:
    from rlkit.cli import parse_list, writable_folder
    from rlkit.errors import UserError
    from rlkit.fileio import atomic_write_text
    from rlkit.reproduce.plan import ENV_CONFIGS, profile
    from rlkit.torch.flops import MatmulProbe

    # (--envs '' is refused as an empty entry, not read as every env; --markdown checked before the measurements)
    names = parse_list("--envs", envs, choices=list(ENV_CONFIGS), duplicates="drop") if envs is not None else None
    names = list(ENV_CONFIGS) if names is None else names
    if markdown is not None and not markdown.strip():  # (an unset shell variable: an hour measured, nothing written)
        raise UserError(f"--markdown {markdown!r}: expected a file path; leave the option out to print the table only")
    if markdown:
        writable_folder("--markdown", Path(markdown).absolute().parent)
    configs = [ROOT / profile(name, "paper").config for name in names]
    costs = []
    for path in configs:
        c = env_cost(path, reps)
        print(
            f"{c.env}: stage-1 update {c.t_update_s * 1e3:.0f} ms, env step {c.t_env_s * 1e6:.0f} us, "
            f"stage-2 step {c.t_step2_s * 1e3:.0f} ms ({c.stage2_flops_per_step / 1e9:.1f} GFLOP)",
            flush=True,
        )
        costs.append(c)
    text = table(costs, MatmulProbe()())
    print(text)
    if markdown:
        atomic_write_text(Path(markdown), text + "\n")


if __name__ == "__main__":
    from rlkit.cli import run_cli

    run_cli(main)
