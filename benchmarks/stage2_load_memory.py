"""Peak memory of stage 2's load, on a dataset of one env's `paper` per-task shape.

    python benchmarks/stage2_load_memory.py [--env ant-dir] [--train 3] [--test 1] [--work DIR] [--rounds 2]

A dataset of `--train` + `--test` tasks of the env's per-task shape at the `paper` profile (configs/ENV.json:
the checkpoints of `train_epoch` and `eval_epoch`, `n_trj` episodes of `max_episode_steps` steps each, plus one
deterministic episode) is synthesised once under `--work`: random values, the episodes chained as stage 1
writes them (each next observation the next step's), since the buffer stores an observation once. Each round a
fresh process loads it as meta-training does (`rlkit.experiment.load_buffers`, after its imports) and reports the
growth of its peak RSS during the load and the buffers' bytes, beside the rule docs/paper-cost.md applies to
every env at its full size: the buffers + twice one task's arrays as read (obs, action, reward, next_obs, terminal:
2 |S| + |A| + 2 numbers a transition; a task is read one at a time, its checkpoints concatenated, and made into
rows before the next is read). The ratio measured / rule is what the docs' factor (`FACTOR`) covers. Sizes in MiB.
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

import click
import numpy as np

from rlkit.config import MAX_INT  # (light: no torch; a count stops where a config's does)

ROOT = Path(__file__).resolve().parents[1]
ENVS = ("point-robot", "cheetah-vel", "cheetah-dir", "ant-dir", "ant-goal", "humanoid-dir")  # task = goal, no files
FACTOR = 1.0  # docs/paper-cost.md's estimate: the rule times this (measured 0.89-0.94x on ant-dir and humanoid-dir)


def _config(env: str, data_dir: Path | None = None):
    from rlkit.config import load_config

    overrides = {"algo_params": {"data_dir": str(data_dir)}} if data_dir is not None else {}
    return load_config(ROOT / "configs" / f"{env}.json", overrides)


def synthesize(env_name: str, data_dir: Path, n_tasks: int) -> None:
    """`n_tasks` tasks of the paper's per-task shape for `env_name`, chained episodes of random values."""
    from rlkit.data.dataset import FORMAT_VERSION, Trajectories, task_dir
    from rlkit.data.meta import write_task_meta
    from rlkit.data.npz import write_checkpoint
    from rlkit.tasks import make_env

    cfg = _config(env_name)
    env = make_env(cfg.env_name, **cfg.env_params.kwargs())
    o, a = env.observation_space.shape[0], env.action_space.shape[0]
    length, n_trj = cfg.env_params.max_episode_steps, cfg.algo_params.n_trj
    steps = sorted(set(range(*cfg.algo_params.train_epoch)) | set(range(*cfg.algo_params.eval_epoch)))
    rng = np.random.default_rng(0)

    def episodes(k: int) -> Trajectories:
        n = k * length
        obs, next_obs = rng.normal(size=(n, o)).astype(np.float32), rng.normal(size=(n, o)).astype(np.float32)
        actions = rng.uniform(-1, 1, (n, a)).astype(np.float32)
        rewards = rng.normal(size=n).astype(np.float32)
        return Trajectories(obs, actions, rewards, next_obs, np.zeros(n, np.float32), np.full(k, length)).chained()

    for t in range(n_tasks):
        for c in steps:
            write_checkpoint(task_dir(data_dir, t), c, {"sample": episodes(n_trj), "eval": episodes(1)})
        meta = {"format_version": FORMAT_VERSION, "env_name": cfg.env_name, "task_idx": t, "task": env.tasks[t]}
        write_task_meta(
            task_dir(data_dir, t),
            meta | {"obs_dim": o, "action_dim": a, "checkpoints": steps, "complete": True, "source": "synthetic"},
        )


def child(env_name: str, data_dir: str, n_train: int, n_test: int) -> None:
    import torch

    from rlkit.cli import peak_rss_mb
    from rlkit.experiment import load_buffers
    from rlkit.tasks import make_env

    cfg = _config(env_name, Path(data_dir))
    env = make_env(cfg.env_name, **cfg.env_params.kwargs())
    o, a = env.observation_space.shape[0], env.action_space.shape[0]
    train, test = list(range(n_train)), list(range(n_train, n_train + n_test))
    with open("/proc/self/status") as f:
        rss = next(int(line.split()[1]) / 1024 for line in f if line.startswith("VmRSS:"))
    before = max(rss, peak_rss_mb())
    t0 = time.perf_counter()
    bufs = load_buffers(cfg, train, test, torch.device("cpu"), o, a, None, None, env.tasks, Path(data_dir))
    seconds, peak = time.perf_counter() - t0, peak_rss_mb()
    mb = 2**20
    sizes = [b.data.numel() * b.data.element_size() + b.next_row.numel() * b.next_row.element_size() for b in bufs]
    file_bytes = [len(b) * (2 * o + a + 2) * 4 for b in bufs]  # a split's arrays as read: next_obs included
    one = file_bytes[0] / n_train
    estimate = (sum(sizes) + 2 * one) / mb
    print(
        json.dumps(
            {
                "seconds": seconds,
                "transitions": sum(len(b) for b in bufs),
                "growth_mb": peak - before,
                "rss_before_mb": before,
                "buffers_mb": sum(sizes) / mb,
                "files_mb": sum(file_bytes) / mb,
                "estimate_mb": estimate,
            }
        )
    )


@click.command()
@click.option(
    "--env",
    "env_name",
    type=click.Choice(ENVS),
    default="ant-dir",
    show_default=True,
    help="the env whose paper-profile per-task shape the synthetic dataset takes",
)
@click.option(
    "--train", "n_train", type=click.IntRange(1, MAX_INT), default=3, show_default=True, help="training tasks"
)
@click.option("--test", "n_test", type=click.IntRange(1, MAX_INT), default=1, show_default=True, help="test tasks")
@click.option("--work", default="/tmp/csro-stage2-load", show_default=True, help="where the synthetic dataset goes")
@click.option(
    "--rounds",
    type=click.IntRange(1, MAX_INT),
    default=2,
    show_default=True,
    help="loads, each in a fresh process (the median growth is reported)",
)
@click.option("--child", "child_args", nargs=4, default=None, hidden=True)
def main(env_name: str, n_train: int, n_test: int, work: str, rounds: int, child_args) -> None:
    from rlkit.cli import child_env, child_json

    if child_args:
        child(child_args[0], child_args[1], int(child_args[2]), int(child_args[3]))
        return
    from rlkit.cli import refuse_blank
    from rlkit.errors import UserError
    from rlkit.tasks import make_env

    refuse_blank("--work", work)  # ('' synthesised into the current folder)
    cfg = _config(env_name)
    n_tasks = len(make_env(cfg.env_name, **cfg.env_params.kwargs()).tasks)
    if n_train + n_test > n_tasks:
        raise UserError(
            f"--train {n_train} + --test {n_test} = {n_train + n_test} tasks: expected at most {n_tasks}, "
            f"{env_name}'s tasks at the paper profile"
        )
    data_dir = Path(work) / f"{env_name}-{n_train + n_test}-tasks"
    if not (data_dir / f"goal_idx{n_train + n_test - 1}" / "task.json").is_file():
        print(f"synthesising {n_train + n_test} {env_name} tasks of the paper's per-task shape in {data_dir} ...")
        try:
            synthesize(env_name, data_dir, n_train + n_test)
        except OSError as e:
            raise UserError(f"--work {work!r}: {e.strerror or e} ({e.filename}): expected a folder to write") from None
    env = child_env(ROOT)
    args = [__file__, "--child", env_name, str(data_dir), str(n_train), str(n_test)]
    results = []
    for r in range(rounds):
        m = child_json(args, f"loading {str(data_dir)!r}", env)
        results.append(m)
        print(
            f"round {r}: {m['seconds']:.2f} s, {m['transitions']} transitions ({m['files_mb']:.0f} MiB as read), "
            f"+{m['growth_mb']:.0f} MiB peak RSS during the load (from {m['rss_before_mb']:.0f} MiB), buffers "
            f"{m['buffers_mb']:.0f} MiB",
            flush=True,
        )
    growth = statistics.median(m["growth_mb"] for m in results)
    estimate = results[0]["estimate_mb"]
    print(
        f"median growth {growth:.0f} MiB; the docs' rule before its {FACTOR}x: {estimate:.0f} MiB; "
        f"measured / rule {growth / estimate:.2f}x"
    )


if __name__ == "__main__":
    from rlkit.cli import run_cli

    run_cli(main)
