"""Peak memory of `policy_train.py --regenerate` against the number of saved networks it rolls out.

    python benchmarks/regenerate_memory.py [--work DIR] [--networks 1,18] [--code DIR]

A point-robot task with N checkpoints is synthesised under `--work`, each with a network file of the
faithful size (`train_point`'s SAC, hidden 1024: ~21 MB per file); each measurement regenerates one
episode per checkpoint in a fresh process (`--overwrite`) and reports the process's peak RSS after its
imports and at the end, and the growth. Regeneration holds one network at a time, so the peak should
not grow with N. `--code DIR` imports rlkit from another checkout (e.g. `git archive` of an older
commit) to measure its regeneration on the same data.
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parents[1]
ENV_PARAMS = {"n_tasks": 1, "max_episode_steps": 20}


def synthesize(data_dir: Path, n: int) -> None:
    """Task 0 of point-robot with checkpoints 100..100n, one full-size network file each (random weights)."""
    import torch

    from rlkit.behaviour import load_sac_config
    from rlkit.data.dataset import FORMAT_VERSION, task_dir
    from rlkit.data.meta import write_task_meta
    from rlkit.data.networks import write_networks
    from rlkit.torch.sac.vector_sac import VectorSAC

    sac = load_sac_config("train_point", []).sac
    agent = VectorSAC(1, 2, 2, sac, 0, torch.device("cpu"))
    steps = [100 * (k + 1) for k in range(n)]
    tdir = task_dir(data_dir, 0)
    for c in steps:
        write_networks(tdir, c, agent.task_state(0), {"obs_dim": 2, "action_dim": 2, "sac": sac.to_dict()})
    write_task_meta(
        tdir,
        {
            "format_version": FORMAT_VERSION,
            "env_name": "point-robot",
            "env_params": ENV_PARAMS,
            "task_idx": 0,
            "obs_dim": 2,
            "action_dim": 2,
            "checkpoints": steps,
            "schedule": {"num_eval_sample_episodes": 1},
            "sac": sac.to_dict(),
            "saved_networks": True,
            "complete": True,
            "source": "benchmarks/regenerate_memory.py (synthetic)",
        },
    )


def peak_rss_mb() -> float:
    """The child's own peak RSS (Linux's VmHWM, which exec starts afresh; getrusage's ru_maxrss carries the parent's
    across exec). Here, not imported from rlkit: the child imports only what it measures from --code's checkout."""
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) / 1024 for line in f if line.startswith("VmHWM:"))


def child(data_dir: str) -> None:
    import torch

    from rlkit.behaviour.regenerate import regenerate

    before = peak_rss_mb()
    with contextlib.redirect_stdout(io.StringIO()):
        # (every one by keyword: an older checkout's positional parameters, without defaults, take them too)
        written = regenerate(
            "point-robot",
            ENV_PARAMS,
            Path(data_dir),
            [0],
            n_trj=1,
            checkpoints=None,
            seed=0,
            overwrite=True,
            device=torch.device("cpu"),
        )
    peak = peak_rss_mb()
    import rlkit

    print(
        json.dumps(
            {
                "files": len(written),
                "peak_rss_after_imports_mb": before,
                "peak_rss_mb": peak,
                "rlkit": str(Path(rlkit.__file__).resolve().parent),
            }
        )
    )


def measure(data_dir: Path, code: Path) -> dict:
    """One regeneration of `data_dir` in a fresh process importing rlkit from `code` (checked: an installed rlkit
    would otherwise answer for a wrong path)."""
    from rlkit.cli import child_env, child_json
    from rlkit.errors import UserError

    env = child_env(code, OMP_NUM_THREADS="1")
    r = child_json([__file__, "--child", str(data_dir)], f"regenerating {str(data_dir)!r}", env)
    if Path(r["rlkit"]) != (code / "rlkit").resolve():
        raise UserError(f"--code {str(code)!r}: the child imported rlkit from {r['rlkit']!r}, not from that checkout")
    return r


@click.command()
@click.option("--work", default="/tmp/csro-regenerate-memory", show_default=True, help="where the data is synthesised")
@click.option("--networks", default="1,18", show_default=True, help="comma-separated numbers of network files")
@click.option("--code", default=str(ROOT), show_default=True, help="the checkout whose rlkit regenerates")
@click.option("--child", "child_dir", default=None, hidden=True)
def main(work: str, networks: str, code: str, child_dir: str | None) -> None:
    if child_dir:
        child(child_dir)
        return
    from rlkit.cli import parse_list, refuse_blank
    from rlkit.config import MAX_INT
    from rlkit.errors import UserError

    refuse_blank("--work", work)  # ('' synthesised into the current folder)
    refuse_blank("--code", code)
    if not (Path(code) / "rlkit" / "__init__.py").is_file():
        raise UserError(f"--code {code!r} has no rlkit/__init__.py: expected a checkout of this project")
    for n in parse_list("--networks", networks, minimum=1, maximum=MAX_INT):
        data_dir = Path(work) / f"networks{n}"
        if not (data_dir / "goal_idx0" / "task.json").is_file():
            synthesize(data_dir, n)
        for old in (data_dir / "goal_idx0").glob("step*_extra.npz"):  # a rerun's: regeneration would keep them
            old.unlink()
        r = measure(data_dir, Path(code))
        if r["files"] != n:
            raise UserError(f"{str(data_dir)!r}: {r['files']} files regenerated, expected {n} (one per network)")
        print(
            f"{n:3d} networks ({r['files']} files written): peak RSS {r['peak_rss_mb']:.0f} MB, "
            f"{r['peak_rss_mb'] - r['peak_rss_after_imports_mb']:+.0f} MB over the peak after imports "
            f"({r['peak_rss_after_imports_mb']:.0f} MB)"
        )


if __name__ == "__main__":
    from rlkit.cli import run_cli

    run_cli(main)
