"""`python -m rlkit.data check DIR | curves DIR | import-legacy SRC DST --allow-pickle | export-legacy SRC DST`."""

from __future__ import annotations

import functools
from pathlib import Path

import click

from rlkit.cli import PATH, NonBlank, figure_file, run_cli
from rlkit.data.check import check_dataset
from rlkit.data.dataset import task_dirs
from rlkit.data.legacy import export_legacy, import_legacy
from rlkit.data.meta import read_task_meta
from rlkit.errors import UserError


@click.group()
def main() -> None:
    """Inspect and convert offline datasets."""


@functools.cache
def env_dims(env_name: str) -> tuple[int, int]:
    """The (observation, action) sizes of the env `env_name`, built once per name; UserError if unknown."""
    from rlkit.tasks import make_env

    env = make_env(env_name, n_tasks=1)
    return int(env.observation_space.shape[0]), int(env.action_space.shape[0])


def physics_version(env_name: str) -> int:
    """The physics version of the env `env_name`'s family (`MultiTaskEnv.physics_version`, a class attribute: no env
    is built); UserError if unknown."""
    from rlkit.tasks import env_class

    return int(env_class(env_name).physics_version)


@main.command()
@click.argument("data_dir", type=PATH)
def check(data_dir: str) -> None:
    """Validate every goal_idx* folder of DATA_DIR, print a line per task and go on past each problem.
    Exit 0: usable (warnings, such as data written with other package versions, do not fail); 1: problems
    found in the dataset, one line each; 2: bad arguments (no such folder, no goal_idx* folders in it)."""
    report = check_dataset(data_dir, env_dims, physics_version)
    for line in report.lines:
        click.echo(line)
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    for problem in report.problems:
        click.echo(f"problem: {problem}", err=True)
    if report.problems:
        raise SystemExit(1)


@main.command()
@click.argument("data_dir", type=PATH)
@click.option("--out", default=None, type=PATH, help="PNG path (default: DATA_DIR/behaviour_curves.png)")
@click.option(
    "--config",
    default=None,
    type=PATH,
    help="experiment JSON whose env_params give the oracle of a dataset whose task.json predates recording them",
)
def curves(data_dir: str, out: str | None, config: str | None) -> None:
    """Draw the behaviour policies' returns at every checkpoint, one line per task, with the oracle's."""
    from rlkit.behaviour.curves import unfinished_tasks, write_curves
    from rlkit.config import load_config

    if out is not None:  # checked before anything is drawn or written
        if Path(out).is_dir():
            raise UserError(f"--out {out!r} is a folder: expected a PNG path such as {str(Path(out) / 'curves.png')!r}")
        figure_file("--out", out)
    cfg = load_config(config) if config else None
    if cfg is not None:  # (its env_params are read as this data's: another env's were taken without a word)
        names = {
            m["env_name"] for _, d in task_dirs(data_dir, "a dataset") if "env_name" in (m := read_task_meta(d) or {})
        }
        if names and names != {cfg.env_name}:
            raise UserError(
                f"--config {config!r} is a {cfg.env_name} config and {data_dir!r} holds {sorted(names)} data: expected "
                "the config the data was made with"
            )
    env_params = cfg.env_params.kwargs() if cfg is not None else None
    csv_path, png = write_curves(data_dir, Path(out) if out else None, env_params)
    click.echo(f"wrote {csv_path}")
    click.echo(f"wrote {png}")
    unfinished = unfinished_tasks(data_dir)
    if unfinished:  # (drawn while stage 1 runs: a look at the data so far)
        click.echo(
            f"note: tasks {unfinished} are not complete (still training, or interrupted): their curves end at the "
            "last checkpoint written so far"
        )


@main.command("import-legacy")
@click.argument("src", type=PATH)
@click.argument("dst", type=PATH)
@click.option(
    "--env-name",
    required=True,
    type=NonBlank("an env name"),
    help="env_name the data was collected on, e.g. point-robot",
)
@click.option("--allow-pickle", is_flag=True, help="required: the reference's files are pickled object arrays")
@click.option("--overwrite", is_flag=True, help="replace a non-empty DST whole (default: refuse it)")
def import_cmd(src: str, dst: str, env_name: str, allow_pickle: bool, overwrite: bool) -> None:
    """Convert the reference's trj_*.npy layout in SRC to this project's format in the new folder DST,
    refusing data whose sizes are not the env's. With a normalizer.npz in SRC its observations are taken to be
    divided by its abs_max already, as the reference's learner expects (docs/reference-differences.md), and are
    multiplied back; raw files with a normalizer added beside them would be scaled wrongly."""
    n = import_legacy(src, dst, env_name, allow_pickle=allow_pickle, overwrite=overwrite, env_dims=env_dims(env_name))
    click.echo(f"imported {n} tasks into {dst}")


@main.command("export-legacy")
@click.argument("src", type=PATH)
@click.argument("dst", type=PATH)
@click.option("--overwrite", is_flag=True, help="replace a non-empty DST whole (default: refuse it)")
def export_cmd(src: str, dst: str, overwrite: bool) -> None:
    """Write the dataset in SRC in the reference's trj_*.npy layout to the new folder DST (a dataset that `check`
    passes: the reference's layout would carry a damaged or mis-sized file on without a word)."""
    problems = check_dataset(src, env_dims, physics_version).problems
    if problems:
        raise UserError(
            f"{src!r} has {len(problems)} problem(s), the first: {problems[0]}; expected a dataset that "
            f"`python -m rlkit.data check {src}` passes"
        )
    n = export_legacy(src, dst, overwrite=overwrite)  # (of this physics: check_dataset's physics_problem above)
    click.echo(f"exported {n} tasks into {dst}")


if __name__ == "__main__":
    run_cli(main)
