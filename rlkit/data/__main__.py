"""`python -m rlkit.data check DIR | import-legacy SRC DST --allow-pickle | export-legacy SRC DST`."""
from __future__ import annotations

import click

from rlkit.cli import run_cli
from rlkit.data.dataset import check_dataset
from rlkit.data.legacy import export_legacy, import_legacy


@click.group()
def main() -> None:
    """Inspect and convert offline datasets."""


@main.command()
@click.argument("data_dir")
def check(data_dir: str) -> None:
    """Validate every goal_idx* folder of DATA_DIR and print a line per task; exit 1 on any problem."""
    lines, problems = check_dataset(data_dir)
    for line in lines:
        click.echo(line)
    for problem in problems:
        click.echo(f"problem: {problem}", err=True)
    if problems:
        raise SystemExit(1)


@main.command("import-legacy")
@click.argument("src")
@click.argument("dst")
@click.option("--env-name", required=True, help="env_name the data was collected on, e.g. point-robot")
@click.option("--allow-pickle", is_flag=True, help="required: the reference's files are pickled object arrays")
def import_cmd(src: str, dst: str, env_name: str, allow_pickle: bool) -> None:
    """Convert the reference's trj_*.npy layout in SRC to this project's format in DST."""
    n = import_legacy(src, dst, env_name, allow_pickle=allow_pickle)
    click.echo(f"imported {n} tasks into {dst}")


@main.command("export-legacy")
@click.argument("src")
@click.argument("dst")
def export_cmd(src: str, dst: str) -> None:
    """Write the dataset in SRC in the reference's trj_*.npy layout to DST."""
    n = export_legacy(src, dst)
    click.echo(f"exported {n} tasks into {dst}")


if __name__ == "__main__":
    run_cli(main)
