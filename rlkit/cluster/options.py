"""The command-line options both entry points take for Ray (`--ray [ADDRESS]` and its companions)."""

from __future__ import annotations

import click

from rlkit.cluster.engine import ClusterOptions, require_ray
from rlkit.errors import UserError


def ray_options(command):
    """Add --ray [ADDRESS], --cpus-per-task, --gpus-per-task and --max-retries to a click command."""
    for option in reversed(
        [
            click.option(
                "--ray",
                "ray_address",
                is_flag=False,
                flag_value="local",
                default=None,
                metavar="[ADDRESS]",
                help="run on Ray: alone, a local instance; 'auto' joins this machine's cluster; or HOST:PORT",
            ),
            click.option("--cpus-per-task", type=float, default=None, help="--ray: CPUs per Ray task (default 1)"),
            click.option(
                "--gpus-per-task",
                type=float,
                default=None,
                help="--ray: GPUs per Ray task, fractions allowed (default 1 when the cluster has GPUs, else 0)",
            ),
            click.option(
                "--max-retries",
                type=int,
                default=None,
                help="--ray: retries of a Ray task whose worker died (default 3)",
            ),
        ]
    ):
        command = option(command)
    return command


def cluster_options(
    address: str | None,
    cpus: float | None,
    gpus: float | None,
    retries: int | None,
    gpu: int | None = None,
    threads: int | None = None,
) -> ClusterOptions | None:
    """The options' `ClusterOptions`, or None without --ray (then the companions, None when not given, must be left
    out); the command's `--gpu` and `--threads`, which Ray replaces with `--gpus-per-task` and `--cpus-per-task`, must
    be left out with --ray."""
    if address is None:
        companions = (("--cpus-per-task", cpus), ("--gpus-per-task", gpus), ("--max-retries", retries))
        given = [name for name, v in companions if v is not None]
        if given:
            verb = "applies" if len(given) == 1 else "apply"
            raise UserError(f"{', '.join(given)} {verb} to --ray only: expected --ray with it")
        return None
    if gpu is not None:
        raise UserError(f"--gpu {gpu} with --ray: expected --gpus-per-task instead (Ray gives each task its GPU)")
    if threads is not None:
        raise UserError(
            f"--threads {threads} with --ray: expected --cpus-per-task instead (a Ray task's threads are its CPUs)"
        )
    options = ClusterOptions(address, cpus, gpus, ClusterOptions.max_retries if retries is None else retries)
    require_ray()  # a missing extra is said before anything is loaded
    return options
