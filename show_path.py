"""Draw what a trained agent does under the three meta-test protocols, and the picture of context shift.

    python show_path.py output/ENV/EXP/seed0 [--itr N] [--out paths.png]
    python show_path.py configs/point-robot.json --seed 1 --exp_name NAME [--gpu G] [--KEY VALUE ...] [--itr N]

The second form is the reference's: the same arguments as `launch_experiment.py`, which locate
output/ENV/NAME/seed{S}/. Each key given on the command line (and, when CONFIG is not the file
the run was trained from, each key CONFIG sets) must agree with that run's variant.json (paths and
devices aside), else the differing keys are named with both values; every other setting is the
run's own, so overrides the run was trained with need not be repeated; `--data_dir` there reads a dataset
that has moved since.

Each protocol runs the meta-test of the snapshot's iteration again: its random streams, the run's
`num_evals` jobs per task (`--runs` sets another count, which draws other episodes) and the
Evaluator's protocol order, so that on envs whose resets draw nothing (the point robots) the
returns are those of progress.csv (OFFPEARL's sampled z with `sample_z_at_test` too: its stream is
keyed by the iteration); the figures show each task's first run.

Loads the run's variant.json and a snapshot (`--itr N`, default the latest; weights_only) and
writes into the run folder (with `--itr N` and no `--out`, each name ending `_itrN`: paths_itr3.png, ...):
- `paths.png` (Np), `paths_offline.png`, `paths_online_prior.png`: per held-out task, the
  episodes of each protocol. Bodies that move in the plane (point robots, ant, humanoid) are
  drawn as x-y paths with the start, the goal point (and a sparse env's goal radius) or
  direction; planar bodies (cheetah, hopper, walker) as forward position over time, with the
  target velocity's line for cheetah-vel. Np's context steps are gray where they act at random
  and orange where the policy samples them; the last scored episode is blue, its return in the legend.
- `z_pca.png` (and `z_tsne.png` when scikit-learn is installed): the task latents z inferred from
  offline-data contexts and at the end of each online protocol (every run of each task), one
  colour per task, projected together: contexts whose z drifts away from the offline ones are
  context shift (the paper's Fig. 5).
"""

from __future__ import annotations

from pathlib import Path

import click
import numpy as np

from rlkit.cli import PATH, NonBlank, figure_file, run_cli
from rlkit.config import MAX_INT, parse_override_args, set_option
from rlkit.errors import UserError
from rlkit.eval.evaluator import seed_meta_test_z
from rlkit.logging import PROTOCOL_BY_KEY
from rlkit.seeding import MAX_SEED
from rlkit.show import (
    Z_FIGURES,
    draw_paths,
    draw_z,
    find_run,
    find_snapshot,
    load_run,
    offline_z,
    record_protocol,
)


@click.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.argument("target", type=PATH)
@click.option("--itr", default=None, type=int, help="snapshot iteration (default: the latest)")
@click.option(
    "--out", default=None, type=PATH, help="path of the Np figure (default: RUN_DIR/paths.png); the others go beside it"
)
@click.option("--seed", default=None, type=click.IntRange(0, MAX_SEED), help="config form: the run's seed (default 0)")
@click.option(
    "--exp_name",
    default=None,
    type=NonBlank("the --exp_name the run was trained with"),
    help="config form: the run's --exp_name",
)
@click.option(
    "--gpu",
    default=None,
    type=int,
    help="CUDA device (-1: the CPU; default: the run's own, its config's use_gpu and gpu_id: CUDA device 0 when "
    "available, the CPU for a run of a CPU profile)",
)
@click.option(
    "--runs",
    default=None,
    type=click.IntRange(1, MAX_INT),  # (as the config's num_evals: 10**23 was taken, and ran until stopped)
    help="runs per task of each protocol (default: the run's num_evals, so that they repeat its meta-test)",
)
@click.pass_context
def main(
    ctx: click.Context,
    target: str,
    itr: int | None,
    out: str | None,
    seed: int | None,
    exp_name: str | None,
    gpu: int | None,
    runs: int | None,
) -> None:
    """Draw a run: TARGET is its folder, or the config it was trained with (then --seed, --exp_name, overrides)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from rlkit.cli import config_device, select_device

    if out is not None:
        figure_file("--out", out)
    if out is not None and Path(out).is_dir():  # refused before the protocols run, not when the first figure is saved
        raise UserError(
            f"--out {out!r} is a folder: expected the path of the Np figure, such as "
            f"{str(Path(out) / PROTOCOL_BY_KEY['np'].paths_file)!r} (the others are written beside it)"
        )
    path, data_dir = Path(target), None
    if path.is_dir():
        given = (
            ctx.args
            + ([f"--exp_name {exp_name}"] if exp_name else [])
            + ([f"--seed {seed}"] if seed is not None else [])
        )
        if given:
            raise UserError(
                f"a run folder and config arguments {given}: expected either RUN_DIR alone (its seed is the "
                "folder's) or the config form"
            )
        run = path
    elif path.is_file():
        overrides = parse_override_args(list(ctx.args))
        for key in ("use_gpu", "gpu_id"):  # (not a config difference: the drawing's device is --gpu's, or the run's)
            if key in overrides.get("util_params", {}):
                raise UserError(
                    f"util_params.{key} given: show_path draws on the device the run's variant.json names, or on "
                    "--gpu G's: expected --gpu"
                )
        if exp_name is not None:
            set_option(overrides, "util_params.exp_name", exp_name, f"--exp_name {exp_name}")
        run = find_run(target, seed or 0, overrides)
        given_data = overrides.get("algo_params", {}).get("data_dir")
        data_dir = Path(given_data) if given_data else None  # the dataset moved: read it where it is now
    else:
        raise UserError(
            f"{target!r} is neither a run folder nor a config file: expected output/ENV/EXP/seed{{S}} "
            "or configs/ENV.json"
        )
    _, cfg, _ = find_snapshot(run, itr)  # a missing run or snapshot is refused before the first line
    # the run's own device (its use_gpu, gpu_id), as its meta-test ran, unless --gpu says another
    device = (
        select_device(gpu) if gpu is not None else config_device(cfg.util_params.use_gpu, cfg.util_params.gpu_id, None)
    )
    click.echo(f"show_path {run}: device {device}")
    setup, trainer, iteration = load_run(run, itr, device, data_dir)
    agent = trainer.agent
    runs = runs or setup.cfg.algo_params.num_evals  # as many jobs as the meta-test: its draws are shared by them
    # another snapshot's figures beside the latest's in the run folder, not over them (--out: where the user says)
    tag = "" if itr is None or out is not None else f"_itr{itr}"

    def named(file: str) -> str:
        return f"{Path(file).stem}{tag}{Path(file).suffix}"

    np_out = Path(out) if out else run / named(PROTOCOL_BY_KEY["np"].paths_file)
    if not np_out.suffix:
        np_out = np_out.with_suffix(".png")
    others = [np_out.with_name(named(PROTOCOL_BY_KEY[p].paths_file)) for p in PROTOCOL_BY_KEY if p != "np"]
    others += [np_out.parent / f"z_{kind}{tag}.png" for kind in Z_FIGURES]
    if np_out in others:  # refused before the protocols run, as a parent that is a file
        raise UserError(
            f"--out {out!r} is the name of another of the figures written beside it "
            f"({', '.join(p.name for p in others)}): expected another name for the Np figure"
        )
    if np_out.parent.exists() and not np_out.parent.is_dir():
        raise UserError(f"--out {out!r}: {str(np_out.parent)!r} is a file: expected a folder to write the figures in")
    zs = {}
    seed_meta_test_z(agent, setup.seed, iteration)  # OFFPEARL's sampled z: the meta-test's draws, run on in order
    for protocol in PROTOCOL_BY_KEY:  # the Evaluator's order
        envs, episodes, last_return, z = record_protocol(setup, agent, protocol, runs, device, iteration)
        pick = np.arange(0, len(envs), runs)  # the first run of each task
        target_path = np_out if protocol == "np" else np_out.with_name(named(PROTOCOL_BY_KEY[protocol].paths_file))
        draw_paths(
            setup, protocol, [envs[i] for i in pick], [episodes[i] for i in pick], last_return[pick], target_path, plt
        )
        click.echo(f"wrote {target_path}")
        if protocol != "offline":
            zs[protocol] = z.reshape(len(setup.test_tasks), runs, -1)
    zs = {"offline": offline_z(setup, agent, runs, device), **zs}  # after the protocols: it draws nothing of theirs
    for p in draw_z(setup, zs, np_out.parent, plt, tag):
        click.echo(f"wrote {p}")


if __name__ == "__main__":
    run_cli(main)
