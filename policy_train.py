"""Stage 1: behaviour-policy SAC per task -> offline_dataset/ENV/goal_idx{i}/.

    python policy_train.py --config configs/point-robot.json [--split N --split_idx K] [--gpu G] [--seed S]
                           [KEY=VALUE ...]
    python policy_train.py --config configs/point-robot.json --regenerate [--n_trj N] [--checkpoints 2200,2400]
                           [--seed S] [--overwrite]

`--split N --split_idx K` trains part K of N near-equal parts of the tasks; with more parts than
tasks some parts are empty, and such a part says so and exits 0. Trailing KEY=VALUE are hydra overrides of the SAC
config (rlkit/behaviour/sac_config/),
e.g. `num_train_steps=4000 agent.params.batch_size=64`. `--seed S` is the behaviour SAC's seed, the
same as the `seed=S` override (default: the SAC config's, 0). Data goes to the config's
algo_params.data_dir; tasks whose data is complete are skipped, so a rerun resumes.

`--ray [ADDRESS]` trains every task of this part as one Ray task (a chain of one-checkpoint segments)
on a local Ray instance (no ADDRESS), the cluster this machine belongs to (`auto`) or HOST:PORT; each
asks for `--gpus-per-task` GPUs (default 1 when the cluster has GPUs) and `--cpus-per-task` CPUs
(default 1). Checkpoints come back through Ray's object store and are written here; a segment whose
worker dies is retried (`--max-retries`) from the task's last checkpoint. Needs `pip install -e '.[ray]'`.

`--regenerate` trains nothing: the behaviour networks saved at each checkpoint roll out `--n_trj`
more stochastic episodes per (task, checkpoint) into `goal_idx{i}/step{c}_extra.npz` (default: all
checkpoints that task.json lists, as many episodes as the data's own checkpoints hold), the same for
the same `--seed`. An existing file written with the same settings is kept (so a killed regeneration
resumes); one of other settings is replaced only with `--overwrite`. SAC overrides but `device=` are refused
with it: the networks roll out with the settings they were trained with.
"""

from __future__ import annotations

from pathlib import Path

import click
import torch

from rlkit.behaviour import default_sac_config, generate_dataset, load_sac_config, split_tasks
from rlkit.behaviour.regenerate import regenerate as regenerate_episodes
from rlkit.behaviour.settings import override_key, override_values
from rlkit.cli import PATH, THREADS, NonBlank, parse_list, run_cli, sac_config_device
from rlkit.cluster.behaviour import generate_on_ray
from rlkit.cluster.options import cluster_options, ray_options
from rlkit.config import MAX_INT, load_config
from rlkit.errors import UserError
from rlkit.seeding import MAX_SEED
from rlkit.tasks import env_class
from rlkit.torch import graphs
from rlkit.torch.cpu_kernels import keep_freed_memory

__all__ = ["main", "load_sac_config"]


@click.command(
    context_settings={"ignore_unknown_options": True},
    epilog="SAC settings are overrides KEY=VALUE after the options (num_train_steps=4000, agent.params.batch_size="
    "512, seed=1), as in rlkit/behaviour/sac_config/*.yaml; the experiment's keys come from --config.",
)
@click.argument("args", nargs=-1)
@click.option("--config", "config_opt", default=None, type=PATH, help="experiment JSON, e.g. configs/point-robot.json")
@click.option("--split", default=1, show_default=True, type=click.IntRange(1, MAX_INT), help="parts the tasks share")
@click.option(
    "--split_idx", default=0, show_default=True, type=click.IntRange(0, MAX_INT), help="which part this process trains"
)
@click.option(
    "--gpu",
    default=None,
    type=int,
    help="CUDA device (-1: the CPU; default: CUDA device 0 when available, unless the SAC config says device: cpu)",
)
@click.option(
    "--capture/--eager",
    default=None,
    help="CUDA-graph capture of the training step, or eager steps (default: CSRO_CAPTURE, else capture on CUDA only)",
)
@click.option(
    "--sac_config",
    default=None,
    type=NonBlank("a SAC config's name or a .yaml path"),
    help="SAC config: a name of rlkit/behaviour/sac_config/ (default: train_point for the point-robot families, else "
    "train) or a path to a .yaml file of one's own, which may build on those (defaults: [train_point, _self_])",
)
@click.option(
    "--threads",
    default=None,
    type=THREADS,
    help="CPU threads for torch (default: torch's, one per core; on a busy host 1 can be 2-3x faster)",
)
@click.option(
    "--no-progress",
    is_flag=True,
    help="no progress output (default: bars on a terminal, a line per checkpoint otherwise)",
)
@click.option("--regenerate", is_flag=True, help="roll the saved behaviour networks out again instead of training")
@click.option(
    "--n_trj", default=None, type=click.IntRange(1, MAX_INT), help="--regenerate: episodes per (task, checkpoint)"
)
@click.option(
    "--checkpoints", default=None, help="--regenerate: comma-separated checkpoints (default: every saved one)"
)
@click.option(
    "--seed",
    default=None,
    type=click.IntRange(0, MAX_SEED),  # (the SAC seed's range; a --regenerate file records it as an int64)
    help="the behaviour SAC's seed (the seed= override); with --regenerate, the episodes' seed (default 0)",
)
@click.option(
    "--overwrite", is_flag=True, help="--regenerate: replace step*_extra.npz files written with other settings"
)
@ray_options
def main(
    args: tuple[str, ...],
    config_opt: str | None,
    split: int,
    split_idx: int,
    gpu: int | None,
    capture: bool | None,
    sac_config: str | None,
    threads: int | None,
    no_progress: bool,
    regenerate: bool,
    n_trj: int | None,
    checkpoints: str | None,
    seed: int | None,
    overwrite: bool,
    ray_address: str | None,
    cpus_per_task: float | None,
    gpus_per_task: float | None,
    max_retries: int | None,
) -> None:
    positional = [a for a in args if "=" not in a]
    overrides = [a for a in args if "=" in a]
    extra = positional if config_opt else positional[1:]  # (the first is the config: not named as unexpected)
    if extra:
        raise UserError(f"unexpected arguments {extra}: expected one config path and KEY=VALUE overrides")
    config = config_opt or (positional[0] if positional else None)
    if config is None:
        raise UserError("no config: expected --config configs/ENV.json")
    if regenerate:  # the saved networks roll out as they were trained: a SAC override would change nothing
        unused = [o for o in overrides if override_key(o) != "device"]
        if unused:
            raise UserError(
                f"{unused[0]!r} with --regenerate: expected no SAC overrides but device= (the saved networks roll "
                "out with the settings they were trained with; --seed S sets the episodes' seed)"
            )
        ignored = [
            o for o, given in (("--capture/--eager", capture is not None), ("--no-progress", no_progress)) if given
        ]
        if ignored:  # (the rollouts are no training step, and print a line per checkpoint)
            raise UserError(f"{ignored[0]} with --regenerate: expected it without (the option applies to training)")
    else:
        if any(v is not None for v in (n_trj, checkpoints)) or overwrite:
            raise UserError(
                "--n_trj, --checkpoints and --overwrite apply to --regenerate only: expected --regenerate with them"
            )
        if seed is not None:
            overrides = with_seed(overrides, seed)
    chosen = parse_checkpoints(checkpoints) if checkpoints is not None else None
    cfg = load_config(config)
    env_class(cfg.env_name)  # an unknown env_name is refused before the run's first line
    name = sac_config or default_sac_config(cfg.env_name)
    behaviour = load_sac_config(name, overrides)  # bad overrides fail before anything else
    if ray_address is not None and regenerate:  # (said before whether Ray is installed: it would not be used)
        raise UserError("--regenerate runs on this machine only: expected it without --ray")
    cluster = cluster_options(ray_address, cpus_per_task, gpus_per_task, max_retries, gpu, threads)
    said = override_values(overrides, "device")
    agree = ("cpu",) if gpu is not None and gpu < 0 else (f"cuda:{gpu}",) + (("cuda",) if gpu == 0 else ())
    if gpu is not None and said and said[-1] not in agree:  # (stage 2 refuses such a clash alike)
        raise UserError(f"--gpu {gpu} and device={said[-1]}: expected one of them, or the two naming one device")
    device = sac_config_device(behaviour.device, gpu)
    keep_freed_memory()
    graphs.request_capture(capture)
    if threads:
        torch.set_num_threads(threads)
    tasks = split_tasks(cfg.env_params.n_tasks, split, split_idx)
    count = f"{len(tasks)} task{'s' if len(tasks) != 1 else ''}"
    print(
        f"stage 1 on {cfg.env_name}, part {split_idx} of {split} ({count}): device {device} "
        f"({graphs.describe(graphs.capture_on(device), device)})"
    )
    if not tasks:  # more parts than tasks: this part has nothing to train, which is not an error
        print(
            f"part {split_idx} of {split} holds no tasks ({cfg.env_params.n_tasks} tasks in {split} parts): nothing "
            f"to do"
        )
        return
    data_dir = Path(cfg.algo_params.data_dir)
    if regenerate:
        regenerate_episodes(
            cfg.env_name,
            cfg.env_params.kwargs(),
            data_dir,
            tasks,
            n_trj=n_trj,
            checkpoints=chosen,
            seed=seed or 0,
            overwrite=overwrite,
            device=device,
        )
        return
    if cluster:
        generate_on_ray(cfg.env_name, cfg.env_params.kwargs(), data_dir, tasks, name, behaviour, cluster)
        return
    generate_dataset(
        cfg.env_name, cfg.env_params.kwargs(), data_dir, tasks, name, behaviour, device, "off" if no_progress else None
    )


def parse_checkpoints(text: str) -> list[int]:
    """'2200,2400' -> [2200, 2400]; an empty entry is an error, not "every checkpoint", and so is one given twice
    (as `launch_experiment.py --seeds`' are)."""
    return parse_list(
        "--checkpoints",
        text,
        minimum=0,
        duplicates="refuse",
        hint=" (leave --checkpoints out for every saved checkpoint)",
    )


def _as_number(text: str) -> int | float | None:
    """The number a SAC override's value writes (`01`, `+1`, `1.0`: 1), or None for another value."""
    try:
        return int(text) if text.strip().lstrip("+-").isdigit() else float(text)
    except ValueError:
        return None


def with_seed(overrides: list[str], seed: int) -> list[str]:
    """The SAC overrides with `--seed S` as `seed=S`; a `seed=` override of another value is an error."""
    given = override_values(overrides, "seed")
    if not given:
        return [*overrides, f"seed={seed}"]
    if any(_as_number(g) != seed for g in given):  # (seed=01 and seed=1.0 are the value of --seed 1)
        raise UserError(
            f"--seed {seed} and seed={given[0]}: expected one of them (both set the behaviour SAC's seed), "
            "or the same value"
        )
    return overrides


if __name__ == "__main__":
    run_cli(main)
