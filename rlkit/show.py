"""show_path.py's library: a trained run's policy under the three meta-test protocols, and the figures of what it
does. The run is found from the reference's `launch_experiment.py` arguments (`find_run`) or named by its folder,
its snapshot loaded (`load_run`); each protocol's meta-test of the snapshot's iteration is run again with every
episode's positions recorded (`record_protocol`), and z inferred from offline contexts (`offline_z`); the figures
are drawn from those (`draw_paths`, `draw_z`)."""

from __future__ import annotations

import json
from pathlib import Path

import gymnasium as gym
import numpy as np
import torch

from rand_param_envs import RandParamsEnv
from rlkit.config import Config, config_from_variant, leaf_paths, load_config
from rlkit.envs.half_cheetah import HalfCheetahVelEnv
from rlkit.envs.point_robot import PointEnv
from rlkit.errors import UserError
from rlkit.eval import EvalSetting, EvalStreams, make_job_envs
from rlkit.eval.evaluator import Belief, run_protocol
from rlkit.eval.protocols import np_random_steps
from rlkit.experiment import RunSetup, output_dir, prepare
from rlkit.fileio import atomic_savefig, read_json_object
from rlkit.logging import PROTOCOL_BY_KEY
from rlkit.report import same_config_file
from rlkit.run_folder import (
    DATA_PRINT_FILE,
    config_differences,
    load_trainer_state,
    read_data_print,
    read_run_state,
    snapshot_names,
)
from rlkit.seeding import MAX_SEED, torch_generator
from rlkit.tasks import scored_reward_fn
from rlkit.torch.csro.trainer import CSROTrainer, TrainerSettings


def find_run(config: str, seed: int, overrides: dict) -> Path:
    """The reference's form: the run folder the launch_experiment.py arguments point at, checked
    against the run's variant.json where the arguments say something (`run_contradictions`)."""
    if not overrides.get("util_params", {}).get("exp_name"):
        raise UserError("no --exp_name: expected the --exp_name the run was trained with (output/ENV/EXP/seed{S})")
    cfg = load_config(config, overrides)
    run = output_dir(cfg, seed)
    if not (run / "variant.json").is_file():
        exp_root, env_root = run.parent, run.parent.parent
        there = (
            sorted(p.name for p in exp_root.glob("seed*"))
            if exp_root.is_dir()
            else sorted(p.name for p in env_root.iterdir())
            if env_root.is_dir()
            else []
        )
        raise UserError(
            f"no run in {str(run)!r}: expected a folder written by launch_experiment.py "
            f"(found {there or 'nothing'} in {str(exp_root if exp_root.is_dir() else env_root)!r})"
        )
    variant = read_json_object(run / "variant.json", "the config a run of launch_experiment.py writes")
    diff = run_contradictions(variant, cfg.to_dict(), overrides, config)
    if diff:
        raise UserError(
            f"{str(run)!r} was trained with another config ({'; '.join(diff)}): expected the arguments "
            "the run was trained with"
        )
    return run


def run_contradictions(variant: dict, resolved: dict, overrides: dict, config: str) -> list[str]:
    """'key: run's value -> given value' for each key the user gave that the run contradicts. Given are
    the keys on the command line, and, when `config` is not the file the run was configured from
    (variant.json's util_params.config_file; runs that predate it are taken to be), the file's own
    keys too. Everything else the drawing takes from variant.json, so a run trained with more
    overrides than the command repeats is found."""
    given = set(leaf_paths(overrides))
    trained_from = variant.get("util_params", {}).get("config_file") or config
    # (the run recorded the path it was launched with, relative to where it was launched: the file from here, or a
    # path ending in the recorded one, is that file)
    if not (same_config_file(config, trained_from) or same_config_file(trained_from, config)):
        given |= set(leaf_paths(json.loads(Path(config).read_text())))
    return [d for d in config_differences(variant, resolved) if d.split(":", 1)[0] in given]


def find_snapshot(run: Path, itr: int | None) -> tuple[int, Config, Path]:
    """The run's seed and config (its variant.json) and the path of its snapshot `itr` (None: latest.pt), each
    checked: what show_path.py refuses before its first line, as `load_run` does."""
    variant_path = run / "variant.json"
    if not variant_path.is_file():
        seeds = sorted(p.parent.name for p in run.glob("seed*/variant.json"))  # (an experiment folder: its runs)
        inside = f" (it holds the runs {', '.join(seeds)}: name one, e.g. {str(run / seeds[0])!r})" if seeds else ""
        raise UserError(f"{str(run)!r} has no variant.json: expected a run folder output/ENV/EXP/seed{{S}}{inside}")
    variant = read_json_object(variant_path, "the config a run of launch_experiment.py writes")
    if not variant:  # (read as every default, it would name a snapshot before the empty file it is)
        raise UserError(
            f"{str(variant_path)!r} is an empty JSON object: expected the config a run of launch_experiment.py writes"
        )
    seed = variant.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise UserError(f"{str(variant_path)!r} records seed {seed!r}: expected an integer in [0, {MAX_SEED}]")
    try:  # (a damaged or hand-edited file: named, not read as a complaint about the command's own arguments)
        cfg = config_from_variant(variant)
    except UserError as e:
        raise UserError(f"{str(variant_path)!r}: {e}") from None
    snap = run / "latest.pt" if itr is None else run / "snapshots" / f"itr_{itr}.pt"
    if not snap.is_file():
        raise UserError(f"snapshot {str(snap)!r} not found: expected one of {snapshot_names(run)}")
    return seed, cfg, snap


def load_run(
    run: Path, itr: int | None, device: torch.device, data_dir: Path | None = None
) -> tuple[RunSetup, CSROTrainer, int]:
    """The run's setup, its trainer with the snapshot's networks, and the iteration the snapshot was saved after
    (whose meta-test `record_protocol` repeats the streams of). `data_dir`: the dataset's folder on this machine,
    where not the run's config's (`--data_dir` of the config form)."""
    seed, cfg, snap = find_snapshot(run, itr)
    setup = prepare(cfg, seed, device, data_dir=data_dir)  # the held-out tasks' data, for the offline protocol
    if (run / DATA_PRINT_FILE).is_file():  # the held-out tasks' context: the run's data, by content
        trained_on = read_data_print(run / DATA_PRINT_FILE)
        if setup.data_print is None or setup.data_print.get("digest") != trained_on["digest"]:
            where = f"--data_dir {str(data_dir)!r}" if data_dir is not None else repr(cfg.algo_params.data_dir)
            raise UserError(
                f"{where} holds other data than {str(run)!r} was trained on (its {DATA_PRINT_FILE}, read from "
                f"{trained_on.get('data_dir')!r}): expected that dataset"
                + (", moved" if data_dir is not None else " (regenerated since? moved: give --data_dir)")
            )
    settings = TrainerSettings.from_config(cfg, setup.train_tasks)
    trainer = CSROTrainer(settings, setup.obs_dim, setup.action_dim, device, seed)
    state = read_run_state(snap, "a snapshot launch_experiment.py wrote", map_location=device)
    done = state["counters"]["iteration"]
    if done < 1:  # BOREL's latest.pt during its VAE stage: no policy trained yet
        raise UserError(
            f"{str(snap)!r} holds no finished iteration (a BOREL run in its VAE stage): expected a snapshot of a "
            "run with at least one iteration done"
        )
    load_trainer_state(  # (another run's snapshot copied there, say: one line)
        trainer,
        state["trainer"],
        f"{str(snap)!r} does not fit the networks of {str(run)!r}'s config",
        "expected a snapshot that run saved",
        with_optimizers=False,
    )
    trainer.agent.eval()
    return setup, trainer, done - 1


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


def record_protocol(setup: RunSetup, agent, protocol: str, runs: int, device, iteration: int):
    """One protocol on every held-out task, `runs` jobs per task: per job its episodes' positions as
    (kind, [T+1, d]), the last scored return, and the final z. The envs and the protocol's draws are those
    of the meta-test of `iteration` (`make_job_envs`, `EvalStreams`): on envs whose resets draw nothing
    (the point robots), with `runs` = num_evals, the episodes are the Evaluator's."""
    cfg = setup.cfg
    jobs, envs = make_job_envs(
        cfg, setup.test_tasks, runs, setup.seed, setup.obs_scale, setup.data_dir, wrap=PositionRecorder
    )
    episodes: list[list[tuple[str, np.ndarray]]] = [[] for _ in jobs]
    last_return = np.zeros(len(jobs))
    reward_fn = scored_reward_fn(cfg, envs[0])
    setting = EvalSetting.from_config(cfg)
    scored_steps = np.zeros(len(jobs))  # per job, as Np's exploration counts them

    def keep(kind, paths):  # called right after each batch of episodes
        returns = paths.returns(reward_fn)
        for i, env in enumerate(envs):
            if not paths.lengths[i]:
                continue
            path = np.array(env.episode)  # [steps + 1, d]
            if kind == "context" and protocol == "np":  # its first steps random (`np_explore`)
                k = int(np.clip(np_random_steps(scored_steps[i], setting.num_steps_per_eval), 0, len(path) - 1))
                # the episode twice, each part's points alone (NaN elsewhere: not drawn; steps stay aligned)
                random_part, policy_part = path.astype(float), path.astype(float)
                random_part[k + 1 :], policy_part[:k] = np.nan, np.nan
                episodes[i] += [("context-random", random_part)] if k else []
                episodes[i] += [("context", policy_part)] if k < len(path) - 1 else []
            else:
                episodes[i].append((kind, path))
            if kind == "scored":
                last_return[i] = returns[i]
                scored_steps[i] += paths.lengths[i]

    streams = EvalStreams.of(setup.seed, iteration, device)
    belief = Belief.of(cfg, setup.eval_buffer) if agent.recurrent else None  # (BOREL's, as the Evaluator's)
    tasks = [t for t, _ in jobs]
    result = run_protocol(
        protocol, agent, envs, tasks, setting, streams, reward_fn, device, setup.eval_buffer, belief, on_paths=keep
    )
    return envs, episodes, last_return, result.z


def draw_task(ax, env, episodes, last_return: float, task: int, plt) -> None:
    goal = env.unwrapped.goal
    contexts = [(kind, p) for kind, p in episodes if kind in ("context", "context-random")]
    scored = [p for kind, p in episodes if kind == "scored"][-1]
    planar = scored.shape[1] == 1
    for kind, p in contexts:  # Np's random steps gray, its policy's orange (an episode can hold both)
        xy = (np.arange(len(p)), p[:, 0]) if planar else (p[:, 0], p[:, 1])
        ax.plot(*xy, color="tab:gray" if kind == "context-random" else "tab:orange", lw=0.6, alpha=0.6)
    xy = (np.arange(len(scored)), scored[:, 0]) if planar else (scored[:, 0], scored[:, 1])
    ax.plot(*xy, color="tab:blue", lw=2, label=f"return {last_return:.2f}")
    family = env.unwrapped
    if isinstance(family, PointEnv):  # every goal of the family, the start and the paths drawn, in view
        lims = _point_limits(family, [p for _, p in contexts] + [scored])
    if planar:
        if isinstance(family, HalfCheetahVelEnv):  # the target velocity's path from the start
            t = np.arange(len(scored))
            ax.plot(t, scored[0, 0] + goal * family.dt * t, "k--", lw=0.8, label="target velocity")
        ax.set_xlabel("step", fontsize=6), ax.set_ylabel("x", fontsize=6)
    else:
        ax.plot(*scored[0], "ks", ms=4, label="start")
        if isinstance(family, PointEnv):
            ax.plot(*goal, "o", color="tab:red", ms=5, label="goal")
            if hasattr(family, "goal_radius"):
                ax.add_patch(plt.Circle(goal, family.goal_radius, color="tab:red", fill=False, lw=0.8, ls="--"))
            ax.set_xlim(*lims[0]), ax.set_ylim(*lims[1]), ax.set_aspect("equal")
        elif np.ndim(goal) == 1:  # a goal position
            ax.plot(*goal, "o", color="tab:red", ms=8, label="goal")
            ax.set_aspect("equal", adjustable="datalim")
        else:  # a direction angle: a red ray from the origin (the body starts within reset noise of it)
            reach = max(1.0, float(np.abs(scored).max()))
            ax.plot(
                [0, reach * np.cos(goal)], [0, reach * np.sin(goal)], "--", color="tab:red", lw=1, label="direction"
            )
            ax.set_aspect("equal", adjustable="datalim")
    goal_text = "" if isinstance(family, RandParamsEnv) else f", goal {np.round(goal, 2).tolist()}"
    ax.set_title(f"task {task}{goal_text}", fontsize=7)
    ax.legend(fontsize=5, loc="best")
    ax.tick_params(labelsize=6)


def _point_limits(family: PointEnv, paths: list[np.ndarray], pad: float = 0.3) -> list[tuple[float, float]]:
    """x and y limits of a point-robot panel: the family's goals, the origin and the paths, `pad` around them (the
    point-robot's [-1.3, 1.3] x [-0.3, 1.3] where its paths stay near its goals; a family of farther goals, or a
    path that leaves them, in view)."""
    pad = max(pad, float(getattr(family, "goal_radius", 0.0) or 0.0) + 0.05)  # (a sparse goal's circle in view)
    points = np.concatenate([np.array([t["goal"] for t in family.tasks]), np.zeros((1, 2)), *paths])
    # (NaN: the steps of an Np context episode that the other of its two parts draws)
    return [(float(np.nanmin(points[:, k])) - pad, float(np.nanmax(points[:, k])) + pad) for k in (0, 1)]


def draw_paths(setup: RunSetup, protocol: str, envs, episodes, last_return, path: Path, plt) -> Path:
    tasks = setup.test_tasks
    cols = min(5, len(tasks))
    rows = (len(tasks) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(max(3 * cols, 6), 2.4 * rows + 0.5), squeeze=False)
    for i, (ax, t) in enumerate(zip(axes.flat, tasks)):
        draw_task(ax, envs[i], episodes[i], last_return[i], t, plt)
    for ax in list(axes.flat)[len(tasks) :]:
        ax.axis("off")
    legend = (
        "gray = random context, orange = posterior-sampled context, blue = last scored episode"
        if protocol == "np"
        else "blue = last scored episode (context: offline data)"
        if protocol == "offline"
        else "blue = last scored episode (context: its own earlier episodes, from the prior z)"
    )
    fig.suptitle(
        f"{setup.cfg.env_name} ({setup.cfg.algo_type}), {PROTOCOL_BY_KEY[protocol].label}\n{legend}", fontsize=8
    )
    fig.tight_layout()
    atomic_savefig(fig, path, dpi=120)
    plt.close(fig)
    return path


@torch.no_grad()
def offline_z(setup: RunSetup, agent, per_task: int, device) -> np.ndarray:
    """[tasks, per_task, L]: z from contexts of H transitions drawn from each held-out task's offline data."""
    a = setup.cfg.algo_params
    tasks = torch.as_tensor(setup.test_tasks, device=device)
    gen = torch_generator(setup.seed, "show_path_z", device=device)
    if agent.recurrent:  # BOREL: the belief mean after one whole offline episode of the task
        episodes = Belief.of(setup.cfg, setup.eval_buffer).episodes
        out = []
        for _ in range(per_task):
            b = episodes.batch(episodes.sample_ids(tasks, 1, gen)[:, 0])
            mu, _ = agent.gru(b.actions, b.rewards, b.next_obs)
            out.append(mu[torch.arange(len(mu), device=device), b.mask.sum(1)])
        return torch.stack(out, dim=1).cpu().numpy()
    out = [
        agent.infer_z(setup.eval_buffer.sample_context(tasks, a.max_path_length, gen, a.use_next_obs_in_context))
        for _ in range(per_task)
    ]
    return torch.stack(out, dim=1).cpu().numpy()


Z_FIGURES = ("pca", "tsne")  # draw_z's projections, each written to z_{kind}{tag}.png


def draw_z(setup: RunSetup, zs: dict[str, np.ndarray], out_dir: Path, plt, tag: str = "") -> list[Path]:
    """z of every source in one 2-D projection (PCA, and t-SNE with scikit-learn), a panel per source."""
    names = {k: "offline data" if k == "offline" else PROTOCOL_BY_KEY[k].label for k in zs}
    tasks = setup.test_tasks
    points = np.concatenate([z.reshape(-1, z.shape[-1]) for z in zs.values()])
    labels = np.concatenate([np.repeat(np.arange(len(tasks)), z.shape[1]) for z in zs.values()])
    centred = points - points.mean(0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    projections = {Z_FIGURES[0]: centred @ vt[:2].T}
    try:
        from sklearn.manifold import TSNE

        projections[Z_FIGURES[1]] = TSNE(2, perplexity=min(30, len(points) - 1), random_state=0).fit_transform(points)
    except ImportError:
        pass
    written = []
    cmap = plt.get_cmap("viridis")
    for kind, xy in projections.items():
        fig, axes = plt.subplots(1, len(zs), figsize=(4 * len(zs), 3.8), sharex=True, sharey=True, squeeze=False)
        start = 0
        for ax, (source, z) in zip(axes.flat, zs.items()):
            n = z.shape[0] * z.shape[1]
            part, lab = xy[start : start + n], labels[start : start + n]
            start += n
            ax.scatter(part[:, 0], part[:, 1], c=lab / max(len(tasks) - 1, 1), cmap=cmap, s=14, vmin=0, vmax=1)
            ax.set_title(f"z from {names[source]}", fontsize=9)
            ax.grid(alpha=0.3)
        fig.suptitle(
            f"{setup.cfg.env_name} ({setup.cfg.algo_type}): task latents of the {len(tasks)} held-out "
            f"task{'s' if len(tasks) != 1 else ''} "
            f"(colour = task), {kind.upper()} of all panels together",
            fontsize=9,
        )
        fig.tight_layout()
        path = atomic_savefig(fig, out_dir / f"z_{kind}{tag}.png", dpi=120)
        plt.close(fig)
        written.append(path)
    return written
