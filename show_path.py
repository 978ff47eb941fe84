"""Draw what a trained agent does: point-robot paths under the non-prior (Np) protocol.

    python show_path.py output/point-robot/EXP/seed0 [--itr N] [--out paths.png]

Loads the run's variant.json and a snapshot (weights_only), runs the Np protocol on the
held-out tasks and draws, per task, the context episodes (random, then posterior-sampled)
and the last scored episode, with the goal.
"""
from __future__ import annotations

import json
from pathlib import Path

import click
import numpy as np
import torch

from rlkit.cli import run_cli
from rlkit.config import config_from_variant
from rlkit.errors import UserError
from rlkit.eval.protocols import EvalSetting, nonprior_context
from rlkit.experiment import make_wrapped_env, train_eval_split
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


def np_paths(cfg, agent, tasks: list[int], seed: int, device):
    """Run the Np protocol on `tasks` and keep its episodes: (envs, context episodes, last scored episode)."""
    a = cfg.algo_params
    envs = []
    for t in tasks:
        env = make_wrapped_env(cfg, None)
        env.reset_task(t)
        envs.append(env)
    setting = EvalSetting(a.num_steps_per_eval, a.max_path_length, a.num_exp_traj_eval, a.use_next_obs_in_context)
    kept: dict[str, list] = {"context": [], "scored": []}
    nonprior_context(agent, envs, setting, device, np.random.default_rng(seed),
                     torch.Generator(device=device).manual_seed(seed), on_paths=lambda kind, p: kept[kind].append(p))
    return envs, kept["context"], kept["scored"][-1]


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
    if "point-robot" not in cfg.env_name:
        raise UserError(f"show_path draws 2-D point-robot paths: {cfg.env_name!r} is not a point-robot env")
    _, tasks = train_eval_split(cfg)
    envs, context_paths, scored = np_paths(cfg, agent, tasks, seed, device)
    cols = min(5, len(tasks))
    rows = (len(tasks) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(3 * cols, 2.2 * rows), squeeze=False)
    half = len(context_paths) // 2
    for i, (ax, t) in enumerate(zip(axes.flat, tasks)):
        for k, p in enumerate(context_paths):
            xy = np.vstack([p.obs[i, :1], p.next_obs[i, :p.lengths[i]]])
            ax.plot(xy[:, 0], xy[:, 1], color="tab:gray" if k < half else "tab:orange", lw=0.6, alpha=0.6)
        xy = np.vstack([scored.obs[i, :1], scored.next_obs[i, :scored.lengths[i]]])
        ax.plot(xy[:, 0], xy[:, 1], color="tab:blue", lw=2)
        goal = envs[i].unwrapped.goal
        ax.add_patch(plt.Circle(goal, 0.05, color="tab:red"))
        ax.set_title(f"task {t}: return {scored.returns()[i]:.2f}", fontsize=8)
        ax.set_xlim(-1.3, 1.3), ax.set_ylim(-0.4, 1.3), ax.set_aspect("equal")
        ax.tick_params(labelsize=6)
    for ax in list(axes.flat)[len(tasks):]:
        ax.axis("off")
    fig.suptitle("Np protocol: gray = random context, orange = posterior-sampled context, blue = last scored episode",
                 fontsize=8)
    fig.tight_layout()
    path = Path(out) if out else run / "paths.png"
    fig.savefig(path, dpi=120)
    click.echo(f"wrote {path}")


if __name__ == "__main__":
    run_cli(main)
