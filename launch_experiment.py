"""Stage 2 + 3: offline meta-training and meta-test.

    python launch_experiment.py configs/point-robot.json --seed 0 [--exp_name NAME] [--gpu G] [--KEY VALUE ...]
    python launch_experiment.py configs/point-robot.json --seeds 0,1,2 [--sweep FILE] [--ray [ADDRESS]] [--KEY VALUE
    ...]

Any config key can be overridden: `--algo_params.num_iterations 2` (a unique leaf name such
as `--num_iterations 2` works too); values are JSON (`true`, `false`, `null`, numbers, lists).
Outputs go to output/ENV/EXP/seed{S}/; rerunning with the same --exp_name resumes.

`--seeds` trains one run per seed (per entry of a `--sweep` file, too: rlkit/cluster/runs.py), one
after another, or on Ray with `--ray` (a local instance, `auto`, or HOST:PORT), each run a chain of
one-iteration Ray tasks that continues from its latest snapshot when a worker is lost.
"""

from __future__ import annotations

import click
import torch

from rlkit.cli import PATH, THREADS, config_device, gpu_overrides, run_cli
from rlkit.cluster.options import cluster_options, ray_options
from rlkit.cluster.runs import parse_seeds, run_many
from rlkit.config import load_config, parse_override_args, set_option
from rlkit.errors import UserError
from rlkit.experiment import MetaTrainer, experiment_name, prepare
from rlkit.seeding import MAX_SEED
from rlkit.torch import graphs
from rlkit.torch.cpu_kernels import keep_freed_memory


@click.command(
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    epilog="Any config key is an override: --KEY VALUE after CONFIG (--num_iterations 2, --algo_params.batch_size "
    "128, --use_brac true); configs/default.py lists every key with its range.",
)
@click.argument("config", type=PATH)
@click.option("--seed", default=0, show_default=True, type=click.IntRange(0, MAX_SEED), help="random seed of the run")
@click.option("--exp_name", default=None, help="experiment folder name (default: a timestamp); an existing one resumes")
@click.option(
    "--gpu",
    default=None,
    type=int,
    help="CUDA device (-1: the CPU; default: the config's use_gpu, CUDA device 0 when available)",
)
@click.option(
    "--capture/--eager",
    default=None,
    help="CUDA-graph capture of the training step, or eager steps (default: CSRO_CAPTURE, else capture on CUDA only)",
)
@click.option("--docker", is_flag=True, hidden=True)
@click.option("--debug", is_flag=True, help="accepted for the reference's command lines")
@click.option("--no-progress", is_flag=True, help="no progress bars (logs only)")
@click.option(
    "--threads",
    default=None,
    type=THREADS,
    help="CPU threads for torch (default: torch's, one per core; on a busy host 1 can be 2-3x faster)",
)
@click.option("--seeds", default=None, help="several runs, e.g. 0,1,2 (instead of --seed)")
@click.option("--sweep", default=None, type=PATH, help="JSON list of {exp_name, overrides}: runs per entry and seed")
@ray_options
@click.pass_context
def main(
    ctx: click.Context,
    config: str,
    seed: int,
    exp_name: str | None,
    gpu: int | None,
    capture: bool | None,
    docker: bool,
    debug: bool,
    no_progress: bool,
    threads: int | None,
    seeds: str | None,
    sweep: str | None,
    ray_address: str | None,
    cpus_per_task: float | None,
    gpus_per_task: float | None,
    max_retries: int | None,
) -> None:
    overrides = parse_override_args(list(ctx.args))
    graphs.request_capture(capture)
    if exp_name is not None and not exp_name.strip():  # (a typo, or an unset shell variable)
        raise UserError(f"--exp_name {exp_name!r}: expected a name; leave the option out for a timestamped folder")
    if exp_name is not None:
        set_option(overrides, "util_params.exp_name", exp_name, f"--exp_name {exp_name}")
    if gpu is not None:  # -1: the CPU
        for key, value in gpu_overrides(gpu).items():
            set_option(overrides, f"util_params.{key}", value, f"--gpu {gpu}")
    cluster = cluster_options(ray_address, cpus_per_task, gpus_per_task, max_retries, gpu, threads)
    if threads:
        torch.set_num_threads(threads)
    if seeds is not None or sweep is not None or cluster is not None:
        if seeds is not None and ctx.get_parameter_source("seed") != click.core.ParameterSource.DEFAULT:
            raise UserError("--seed and --seeds together: expected one of them")
        run_many(
            config,
            overrides,
            parse_seeds(seeds) if seeds is not None else [seed],
            sweep,
            cluster,
            show_progress=not no_progress,
        )
        return
    cfg = load_config(config, overrides)
    if not cfg.util_params.exp_name:  # the timestamp that names its folder, recorded in variant.json (as --seeds does)
        cfg = load_config(config, overrides, {"util_params": {"exp_name": experiment_name(cfg)}})
    device = config_device(cfg.util_params.use_gpu, cfg.util_params.gpu_id, gpu)
    keep_freed_memory()
    prepared = prepare(cfg, seed, device)
    print(
        f"{cfg.algo_type} on {cfg.env_name}: {len(prepared.train_tasks)} train / {len(prepared.test_tasks)} test "
        f"tasks, "
        f"{len(prepared.train_buffer)} train transitions, device {device} "
        f"({graphs.describe(graphs.capture_on(device), device, fused=graphs.fusion_on())}) -> {prepared.out_dir}"
    )
    MetaTrainer(prepared, show_progress=not no_progress).run()


if __name__ == "__main__":
    run_cli(main)
