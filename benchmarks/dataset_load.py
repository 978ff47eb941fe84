"""Load time and memory of a 40-task point-robot dataset: our format against the reference's.

    python benchmarks/dataset_load.py [--work DIR] [--data_dir DIR] [--rounds 3]

Both loaders read the same data the way meta-training does with configs/point-robot.json: the 30
train tasks' and 10 test tasks' episodes of checkpoints 2200..4800 (`train_epoch`, `eval_epoch`),
`n_trj` = 50 stochastic episodes each, into the replay buffers.

- ours: `rlkit.experiment.load_buffers` on `step{c}.npz` files (14 files per task), checked and
  copied into the `MultiTaskBuffer`;
- reference: the reference's `init_buffer` (`rlkit/core/rl_algorithm.py` ~100-190), rewritten
  without its class: list the 28,000 `trj_evalsample{k}_step{c}.npy` files, `np.load(...,
  allow_pickle=True)` each, extend Python lists per field, then `add_sample` transition by
  transition into per-task float64 buffers of `replay_buffer_size` rows (rlkit's SimpleReplayBuffer).

Without `--data_dir`, a dataset of the faithful shape (40 tasks, checkpoints 2000..4800 every
200, 50 stochastic + 1 deterministic episodes of 20 steps) is synthesised once under `--work`
(load time does not depend on the values; each next observation is the next step's, as in stage 1's data,
since the buffer stores an observation once), and `export-legacy` writes the reference's layout
beside it. Each measurement runs in a fresh process, after its imports, and reports the load's
wall time and the growth of the process's peak RSS during the load; the rounds alternate the
two loaders and the median is reported. Target: ours at least 20x faster.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import statistics
import time
from pathlib import Path

import click
import numpy as np

from rlkit.config import MAX_INT  # (light: no torch; a count stops where a config's does)

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "configs" / "point-robot.json"


def synthesize(ours: Path) -> None:
    from rlkit.data.dataset import FORMAT_VERSION, Trajectories, task_dir
    from rlkit.data.meta import write_task_meta
    from rlkit.data.npz import write_checkpoint
    from rlkit.tasks import make_env

    env = make_env("point-robot", n_tasks=40, max_episode_steps=20)
    rng = np.random.default_rng(0)
    steps = list(range(2000, 5000, 200))

    def episodes(n: int) -> Trajectories:
        rows = n * 20
        obs, next_obs = rng.normal(size=(rows, 2)).astype(np.float32), rng.normal(size=(rows, 2)).astype(np.float32)
        return Trajectories(
            obs,
            rng.uniform(-1, 1, (rows, 2)).astype(np.float32),
            -rng.uniform(0, 2, rows).astype(np.float32),
            next_obs,
            np.zeros(rows, np.float32),
            np.full(n, 20),
        ).chained()  # a step's next observation is the next step's, as in stage 1's data

    for t in range(40):
        for c in steps:
            write_checkpoint(task_dir(ours, t), c, {"sample": episodes(50), "eval": episodes(1)})
        write_task_meta(
            task_dir(ours, t),
            {
                "format_version": FORMAT_VERSION,
                "env_name": "point-robot",
                "task_idx": t,
                "task": env.tasks[t],
                "obs_dim": 2,
                "action_dim": 2,
                "checkpoints": steps,
                "complete": True,
                "source": "benchmarks/dataset_load.py (synthetic)",
            },
        )


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def load_ours(data_dir: Path) -> tuple[float, int]:
    import torch

    from rlkit.config import load_config
    from rlkit.experiment import load_buffers
    from rlkit.tasks import make_env, train_eval_split

    cfg = load_config(CONFIG, {"algo_params": {"data_dir": str(data_dir)}})
    train, test = train_eval_split(cfg)
    env = make_env(cfg.env_name, **cfg.env_params.kwargs())
    t0 = time.perf_counter()
    a, b = load_buffers(cfg, train, test, torch.device("cpu"), 2, 2, None, None, env.tasks, data_dir)
    return time.perf_counter() - t0, len(a) + len(b)


def load_reference(data_dir: Path) -> tuple[float, int]:
    import torch  # noqa: F401  (the reference's process has torch loaded too)

    from rlkit.config import load_config
    from rlkit.tasks import train_eval_split

    cfg = load_config(CONFIG)
    a = cfg.algo_params
    train_tasks, eval_tasks = train_eval_split(cfg)
    t0 = time.perf_counter()
    paths = {"train": [], "eval": []}
    for which, (lo, hi, step) in (("train", a.train_epoch), ("eval", a.eval_epoch)):
        for i in range(cfg.env_params.n_tasks):
            for j in range(lo, hi, step):
                for k in range(a.n_trj):
                    paths[which].append((i, os.path.join(data_dir, f"goal_idx{i}", f"trj_evalsample{k}_step{j}.npy")))
    total = 0
    for which, tasks in (("train", train_tasks), ("eval", eval_tasks)):
        lists = {f: [] for f in ("obs", "action", "reward", "next_obs", "terminal", "task")}
        for i, path in paths[which]:
            if i not in tasks:
                continue
            trj = np.load(path, allow_pickle=True)
            lists["obs"] += list(trj[:, 0])
            lists["action"] += list(trj[:, 1])
            lists["reward"] += list(trj[:, 2])
            lists["next_obs"] += list(trj[:, 3])
            terminal = [0 for _ in range(trj.shape[0])]
            terminal[-1] = 1
            lists["terminal"] += terminal
            lists["task"] += [i for _ in range(trj.shape[0])]
        cap = a.replay_buffer_size
        buffers = {
            t: {
                "obs": np.zeros((cap, 2)),
                "action": np.zeros((cap, 2)),
                "reward": np.zeros((cap, 1)),
                "terminal": np.zeros((cap, 1), dtype="uint8"),
                "next_obs": np.zeros((cap, 2)),
                "top": 0,
            }
            for t in tasks
        }
        for task, o, act, r, term, nxt in zip(
            lists["task"], lists["obs"], lists["action"], lists["reward"], lists["terminal"], lists["next_obs"]
        ):
            buf = buffers[task]
            top = buf["top"]
            buf["obs"][top], buf["action"][top], buf["reward"][top] = o, act, r
            buf["terminal"][top], buf["next_obs"][top] = term, nxt
            buf["top"] = (top + 1) % cap
        total += len(lists["task"])
    return time.perf_counter() - t0, total


def child(which: str, data_dir: str) -> None:
    import torch  # noqa: F401

    import rlkit.experiment  # noqa: F401
    from rlkit.cli import peak_rss_mb

    before = rss_mb()  # the peak so far may be above the current RSS; the growth is measured from the larger
    peak_before = peak_rss_mb()
    seconds, rows = (load_ours if which == "ours" else load_reference)(Path(data_dir))
    peak = peak_rss_mb()
    print(
        json.dumps({"seconds": seconds, "rows": rows, "peak_rss_mb": peak, "rss_before_mb": max(before, peak_before)})
    )


def layout_source(data_dir: Path) -> dict:
    """What the reference layout under --work was exported from: the dataset's folder and a digest of its files'
    names, sizes and modification times (data made again in the same folder is another dataset)."""
    files = sorted(p for p in data_dir.glob("goal_idx*/*") if p.is_file())
    listing = "\n".join(f"{p.relative_to(data_dir)} {p.stat().st_size} {p.stat().st_mtime_ns}" for p in files)
    return {"source": str(data_dir.resolve()), "files": hashlib.sha256(listing.encode()).hexdigest()}


def measure(which: str, data_dir: Path) -> dict:
    from rlkit.cli import child_env, child_json

    env = child_env(ROOT)
    return child_json([__file__, "--child", which, str(data_dir)], f"loading {str(data_dir)!r} ({which})", env)


@click.command()
@click.option("--work", default="/tmp/csro-dataset-load", show_default=True, help="where the synthetic datasets go")
@click.option("--data_dir", default=None, help="a 40-task point-robot dataset of ours instead of the synthetic one")
@click.option(
    "--rounds",
    default=3,
    show_default=True,
    type=click.IntRange(1, MAX_INT),
    help="rounds of the two loaders, each load in a fresh process (medians are reported)",
)
@click.option("--child", "child_args", nargs=2, default=None, hidden=True)
def main(work: str, data_dir: str | None, rounds: int, child_args) -> None:
    if child_args:
        child(*child_args)
        return
    from rlkit.cli import refuse_blank
    from rlkit.data.legacy import export_legacy
    from rlkit.errors import UserError
    from rlkit.fileio import atomic_write_text

    refuse_blank("--work", work)  # ('' wrote the synthetic datasets into the current folder)
    refuse_blank("--data_dir", data_dir)

    work_dir = Path(work)
    # (the synthetic episodes are chained, each next observation the next step's, since the buffer stores an
    # observation once: data synthesised before, unchained, would load larger than stage 1's; made again)
    ours = Path(data_dir) if data_dir else work_dir / "ours-chained"
    if not (ours / "goal_idx39" / "task.json").is_file():
        if data_dir:
            raise UserError(f"--data_dir {data_dir!r} has no goal_idx39/task.json: expected a 40-task dataset of ours")
        print(f"synthesising a faithful-shape 40-task dataset in {ours} ...")
        synthesize(ours)
    legacy = work_dir / "reference-layout"
    source = layout_source(ours)
    marker = legacy / "exported-from.json"
    if not marker.is_file() or json.loads(marker.read_text()) != source:  # another dataset's export, or none
        if legacy.exists():
            shutil.rmtree(legacy)
        print(f"writing the reference's layout of {ours} to {legacy} (export-legacy) ...")
        export_legacy(ours, legacy)
        atomic_write_text(marker, json.dumps(source) + "\n")
    n_files = sum(1 for _ in legacy.rglob("trj_evalsample*_step*.npy"))
    results = {"ours": [], "reference": []}
    for r in range(rounds):
        for which, path in (
            (("reference", legacy), ("ours", ours)) if r % 2 == 0 else (("ours", ours), ("reference", legacy))
        ):
            results[which].append(measure(which, path))
            m = results[which][-1]
            print(
                f"round {r} {which:9s}: {m['seconds']:7.2f} s, {m['rows']} transitions, peak RSS "
                f"{m['peak_rss_mb']:.0f} MB "
                f"(+{m['peak_rss_mb'] - m['rss_before_mb']:.0f} MB during the load)",
                flush=True,
            )
    med = {k: statistics.median(m["seconds"] for m in v) for k, v in results.items()}
    grow = {k: statistics.median(m["peak_rss_mb"] - m["rss_before_mb"] for m in v) for k, v in results.items()}
    print(
        f"\nreference layout: {n_files} stochastic-episode files (the loader reads those of the checkpoints in "
        "train_epoch and eval_epoch); ours: "
        f"{len(list(ours.glob('goal_idx*/step*.npz')))} files"
    )
    print(f"{'loader':10s} {'median s':>9s} {'peak RSS growth MB':>19s}")
    for k in ("reference", "ours"):
        print(f"{k:10s} {med[k]:9.2f} {grow[k]:19.0f}")
    print(
        f"speed-up (reference / ours): {med['reference'] / med['ours']:.1f}x (target >= 20x); "
        f"memory ratio: {grow['reference'] / max(grow['ours'], 1):.1f}x"
    )


if __name__ == "__main__":
    from rlkit.cli import run_cli

    run_cli(main)
