"""Stage 1 on Ray against the plain command, on this machine: 8 tiny point-robot tasks.

    python benchmarks/scale_out.py [--tasks 8] [--steps 1000] [--rounds 3]

Times, in one run of this script, the same data generation (configs/test/point-robot-tiny.json
with `--tasks` tasks, SAC config `tiny_point` with `num_train_steps=--steps`):
- plain: `generate_dataset` in this process, one task at a time (`tasks_per_group=1`, as a Ray task
  trains one task) and, for reference, the config's lockstep groups (`tasks_per_group` 6);
- Ray with 1 and with 2 workers (a local instance with 1 or 2 CPUs, one CPU per task).
Every variant runs with 1 torch thread per process. The timings leave out what a process pays
once, on both sides: this process and every Ray worker first train a throwaway task for a few
steps (Python imports, and torch's first optimizer step, which imports torch._dynamo: 0.8 s), and
the Ray timings start with the instance up and its workers started (a cluster is normally running
already). That one-time cost of Ray is printed on its own, and so is the time the workers spent in
segments (the rest is the driver's waiting).
Each dataset is checked equal to the plain one. This host's speed drifts by 30% from minute to
minute, so the variants run in `--rounds` rounds, in a rotated order each round, and the ratios
are those of the medians:
  speed-up of 2 workers over 1 (target >= 1.7), Ray's overhead at 1 worker over plain (target <= 10%).
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    from rlkit.cli import argument_parser, positive_int

    ap = argument_parser(__doc__.split("\n")[0])
    ap.add_argument("--tasks", type=positive_int, default=8)
    ap.add_argument("--steps", type=positive_int, default=1000)
    ap.add_argument("--rounds", type=positive_int, default=3, help="rounds of all variants (medians are reported)")
    args = ap.parse_args()

    from rlkit.behaviour import load_sac_config
    from rlkit.cluster.engine import require_ray
    from rlkit.errors import UserError

    try:  # a --steps that tiny_point refuses, said before Ray starts
        load_sac_config("tiny_point", [f"num_train_steps={args.steps}"])
    except UserError as e:
        raise UserError(f"--steps {args.steps}: {e}") from None

    ray = require_ray("this benchmark")
    import torch

    from rlkit.behaviour import generate_dataset
    from rlkit.cluster.behaviour import generate_on_ray
    from rlkit.cluster.engine import ClusterOptions
    from rlkit.fileio import read_tree

    torch.set_num_threads(1)
    _warm_up()
    tmp = Path(tempfile.mkdtemp(prefix="csro-scale-out-"))
    cfg = json.loads((ROOT / "configs" / "test" / "point-robot-tiny.json").read_text())
    env_params = dict(cfg["env_params"], n_tasks=args.tasks)
    tasks = list(range(args.tasks))
    overrides = [f"num_train_steps={args.steps}"]

    def data(name: str) -> Path:
        return tmp / name

    def same_data(a: Path, b: Path) -> bool:
        fa, fb = read_tree(a), read_tree(b)
        for files in (fa, fb):
            for rel in [r for r in files if r.endswith("task.json")]:
                meta = json.loads(files[rel])
                meta.pop("written")
                files[rel] = meta
        return fa == fb

    def plain(name: str, group: int) -> float:
        behaviour = load_sac_config("tiny_point", overrides + [f"tasks_per_group={group}"])
        t0 = time.perf_counter()
        generate_dataset(
            "point-robot", env_params, data(name), tasks, "tiny_point", behaviour, torch.device("cpu"), "off"
        )
        return time.perf_counter() - t0

    def on_ray(name: str, workers: int) -> tuple[float, float, float]:
        t0 = time.perf_counter()
        ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False, logging_level="WARNING")
        warm = ray.remote(num_cpus=1)(_warm_up)
        pids = ray.get([warm.remote() for _ in range(workers)])  # start and warm up every worker
        if len(set(pids)) != workers:
            raise SystemExit(f"Ray warmed up {len(set(pids))} worker processes, expected {workers}")
        startup = time.perf_counter() - t0
        try:
            t1 = time.perf_counter()
            records = generate_on_ray(
                "point-robot",
                env_params,
                data(name),
                tasks,
                "tiny_point",
                load_sac_config("tiny_point", overrides),
                ClusterOptions("local"),
                out=lambda line: None,
            )
            return time.perf_counter() - t1, startup, sum(r.seconds for r in records)
        finally:
            ray.shutdown()

    variants = [
        ("plain, one task at a time", lambda n: (plain(n, 1),)),
        ("plain, lockstep groups of 6", lambda n: (plain(n, 6),)),
        ("Ray, 1 worker", lambda n: on_ray(n, 1)),
        ("Ray, 2 workers", lambda n: on_ray(n, 2)),
    ]
    results: dict[str, list[tuple[float, ...]]] = {name: [] for name, _ in variants}
    for r in range(args.rounds):
        order = variants[r % len(variants) :] + variants[: r % len(variants)]
        for name, fn in order:
            folder = f"{name.replace(' ', '_').replace(',', '')}_{r}"
            out = fn(folder)
            results[name].append(out)
            print(f"  round {r + 1}: {name}: {out[0]:.1f} s", flush=True)
    for r in range(args.rounds):
        for name, _ in variants:
            folder = data(f"{name.replace(' ', '_').replace(',', '')}_{r}")
            if not same_data(folder, data(f"plain_one_task_at_a_time_{r}")):
                raise SystemExit(f"{name}: the dataset differs from the plain command's")
    median = {k: statistics.median(v[0] for v in runs) for k, runs in results.items()}
    print(
        f"\n{args.tasks} point-robot tasks x {args.steps} SAC steps (tiny_point), 1 torch thread per process; "
        f"median of {args.rounds} rounds (all rounds: seconds); every dataset equal to the plain one"
    )
    print(f"{'variant':<30} {'median s':>8}   rounds")
    for k, runs in results.items():
        line = f"{k:<30} {median[k]:8.1f}   {' '.join(f'{v[0]:.1f}' for v in runs)}"
        if len(runs[0]) > 1:
            line += (
                f"   (workers busy {statistics.median(v[2] for v in runs):.1f} s; "
                f"+{statistics.median(v[1] for v in runs):.1f} s to start Ray and its workers, once)"
            )
        print(line)
    speedup = median["Ray, 1 worker"] / median["Ray, 2 workers"]
    overhead = median["Ray, 1 worker"] / median["plain, one task at a time"] - 1
    print(f"\nspeed-up, 2 Ray workers over 1:          {speedup:.2f}x   (target >= 1.7x)")
    print(f"Ray overhead at 1 worker over plain:     {100 * overhead:+.1f}%   (target <= +10%)")


def _warm_up() -> int:
    """Pay a process's one-time costs: train a throwaway point-robot task for 150 steps (one
    checkpoint) in a scratch folder. Returns the process id."""
    import dataclasses
    import os

    import torch

    from rlkit.behaviour import load_sac_config
    from rlkit.behaviour.generate import Stage1Spec, train_segment

    torch.set_num_threads(1)
    behaviour = load_sac_config("tiny_point", [])
    sched, sac = behaviour.schedule, behaviour.sac
    sched = dataclasses.replace(sched, num_train_steps=150)
    with tempfile.TemporaryDirectory(prefix="csro-warm-up-") as scratch:
        state = None
        while True:
            point = {"n_tasks": 1, "max_episode_steps": 20}
            spec = Stage1Spec("point-robot", point, sched, sac, Path(scratch), torch.device("cpu"))
            state = train_segment(spec, 0, state).state
            if state is None:
                return os.getpid()


if __name__ == "__main__":
    from rlkit.cli import run_cli

    run_cli(main)
