"""Draw what a trained agent does under the non-prior (Np) protocol, on every task family.

    python show_path.py output/ENV/EXP/seed0 [--itr N] [--out paths.png]

Loads the run's variant.json and a snapshot (weights_only), runs the Np protocol on the
held-out tasks and draws, per task, the context episodes (random, then posterior-sampled)
and the last scored episode. Bodies that move in the plane (point-robot, ant, humanoid) are
drawn as x-y paths with the goal point or direction; planar bodies (cheetah, hopper, walker)
as forward position over time, with the target velocity's line for cheetah-vel.
"""
from __future__ import annotations

import json
from pathlib import Path

import click
import gymnasium as gym
import numpy as np
import torch

from rlkit.cli import run_cli
from rand_param_envs import RandParamsEnv
from rlkit.config import config_from_variant
from rlkit.envs.half_cheetah import HalfCheetahVelEnv
from rlkit.envs.point_robot import PointEnv
from rlkit.errors import UserError
from rlkit.eval.protocols import EvalSetting, nonprior_context
from rlkit.tasks import make_wrapped_env, train_eval_split
from rlkit.torch.csro.trainer import CSROTrainer, TrainerSettings


def load_run(run: Path, itr: int | None, device: torch.device):
    variant_path = run / "variant.json"
    if not variant_path.is_file():
        raise UserError(f"{str(run)!r} has no variant.json: expected a run folder output/ENV/EXP/seed{{S}}")
    variant = json.loads(variant_path.read_text())
    seed, cfg = variant.get("seed", 0), config_from_variant(variant)
    snap = run / "latest.pt" if itr is None else run / "snapshots" / f"itr_{itr}.pt"
    if not snap.is_file():
        raise UserError(f"snapshot {str(snap)!r} not found: expected one of {sorted(p.name for p in (run / 'snapshots').glob('*.pt'))}")
    env = make_wrapped_env(cfg, None)
    trainer = CSROTrainer(TrainerSettings.from_config(cfg), env.observation_space.shape[0], env.action_space.shape[0],
                          device, seed)
    trainer.load_state_dict(torch.load(snap, map_location=device, weights_only=True)["trainer"], with_optimizers=False)
    return cfg, trainer.agent, seed


class PositionRecorder(gym.Wrapper):
    """Keeps the agent's position at every step of the episode in progress."""

    def __init__(self, env):
        super().__init__(env)
        self.episode: list[np.ndarray] = []

    def reset(self, **kwargs):
        out = self.env.reset(**kwargs)
        self.episode = [self.env.unwrapped.position()]
        return out

    def step(self, action):
        out = self.env.step(action)
        self.episode.append(self.env.unwrapped.position())
        return out

    def __getattr__(self, name):
        return getattr(self.env, name)


def np_episodes(cfg, agent, tasks: list[int], seed: int, device):
    """Run the Np protocol on `tasks`; per task, its episodes' positions as (kind, [T+1, d]) and the last return."""
    a = cfg.algo_params
    envs = []
    for t in tasks:
        env = PositionRecorder(make_wrapped_env(cfg, None))
        env.reset_task(t)
        envs.append(env)
    episodes: list[list[tuple[str, np.ndarray]]] = [[] for _ in tasks]
    last_return = np.zeros(len(tasks))

    def keep(kind, paths):  # called right after each batch of episodes
        for i, env in enumerate(envs):
            if paths.lengths[i]:
                episodes[i].append((kind, np.array(env.episode)))
                if kind == "scored":
                    last_return[i] = paths.returns()[i]

    setting = EvalSetting(a.num_steps_per_eval, a.max_path_length, a.num_exp_traj_eval, a.use_next_obs_in_context)
    nonprior_context(agent, envs, setting, device, np.random.default_rng(seed),
                     torch.Generator(device=device).manual_seed(seed), on_paths=keep)
    return envs, episodes, last_return


def draw_task(ax, env, episodes, last_return: float, task: int, plt) -> None:
    goal = env.unwrapped.goal
    contexts = [p for kind, p in episodes if kind == "context"]
    scored = [p for kind, p in episodes if kind == "scored"][-1]
    half = len(contexts) // 2
    planar = scored.shape[1] == 1
    for k, p in enumerate(contexts):
        xy = (np.arange(len(p)), p[:, 0]) if planar else (p[:, 0], p[:, 1])
        ax.plot(*xy, color="tab:gray" if k < half else "tab:orange", lw=0.6, alpha=0.6)
    ax.plot(*((np.arange(len(scored)), scored[:, 0]) if planar else (scored[:, 0], scored[:, 1])), color="tab:blue", lw=2)
    family = env.unwrapped
    if planar:
        if isinstance(family, HalfCheetahVelEnv):  # the target velocity's path from the start
            t = np.arange(len(scored))
            ax.plot(t, scored[0, 0] + goal * family.dt * t, "k--", lw=0.8)
        ax.set_xlabel("step", fontsize=6), ax.set_ylabel("x", fontsize=6)
    elif isinstance(family, PointEnv):
        ax.add_patch(plt.Circle(goal, 0.05, color="tab:red"))
        ax.set_xlim(-1.3, 1.3), ax.set_ylim(-0.4, 1.3), ax.set_aspect("equal")
    elif np.ndim(goal) == 1:  # a goal position
        ax.plot(*goal, "o", color="tab:red", ms=8)
        ax.set_aspect("equal", adjustable="datalim")
    else:  # a direction angle: a red ray from the start
        reach = max(1.0, float(np.abs(scored).max()))
        ax.plot([0, reach * np.cos(goal)], [0, reach * np.sin(goal)], "--", color="tab:red", lw=1)
        ax.plot(reach * np.cos(goal), reach * np.sin(goal), ">", color="tab:red", ms=5)
        ax.set_aspect("equal", adjustable="datalim")
    goal_text = "" if isinstance(family, RandParamsEnv) else f", goal {np.round(goal, 2).tolist()}"
    ax.set_title(f"task {task}{goal_text}: return {last_return:.2f}", fontsize=7)
    ax.tick_params(labelsize=6)


@click.command()
@click.argument("run_dir")
@click.option("--itr", default=None, type=int, help="snapshot iteration (default: the latest)")
@click.option("--out", default=None, help="PNG path (default: RUN_DIR/paths.png)")
def main(run_dir: str, itr: int | None, out: str | None) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    run = Path(run_dir)
    device = torch.device("cpu")
    cfg, agent, seed = load_run(run, itr, device)
    _, tasks = train_eval_split(cfg)
    envs, episodes, last_return = np_episodes(cfg, agent, tasks, seed, device)
    cols = min(5, len(tasks))
    rows = (len(tasks) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(max(3 * cols, 6), 2.4 * rows + 0.4), squeeze=False)
    for i, (ax, t) in enumerate(zip(axes.flat, tasks)):
        draw_task(ax, envs[i], episodes[i], last_return[i], t, plt)
    for ax in list(axes.flat)[len(tasks):]:
        ax.axis("off")
    fig.suptitle(f"{cfg.env_name}, Np protocol\ngray = random context, orange = posterior-sampled context, "
                 "blue = last scored episode", fontsize=8)
    fig.tight_layout()
    path = Path(out) if out else run / "paths.png"
    fig.savefig(path, dpi=120)
    click.echo(f"wrote {path}")


if __name__ == "__main__":
    run_cli(main)
