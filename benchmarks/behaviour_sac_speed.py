"""Stage 1's SAC update at the faithful point-robot settings on this machine: ms per update per task.

    python benchmarks/behaviour_sac_speed.py [--updates 12] [--tasks 1,8]
    python benchmarks/behaviour_sac_speed.py --device cuda|cpu [--tasks 40] [--updates 50] [--sac_config demo_point]
                                                                                 (eager against captured)

The update is `VectorSAC.update` (critic step, actor and temperature step, target Polyak) at the
settings of `rlkit/behaviour/sac_config/train_point.yaml`: 2 x 1024 hidden units for actor and
critic, batch 1024, obs 2 / action 2. `--tasks` are the group sizes timed: a group of n tasks
runs as one vectorised update, so its time per task is the update's time / n (train_point trains
8 at a time). Each timed update is compared with dense fp32 matmul probes run between blocks of
updates (this host's matmul speed drifts by +-20% over minutes), and its FLOPs are counted, so
the printout says how much of the machine's matmul speed the update gets. Target: at most 70 ms
per update per task; the reference's update is reported at about 141 ms on this kind of CPU.
"""

from __future__ import annotations

import math
import statistics
import sys
import time
from pathlib import Path

import click
import torch

from rlkit.config import MAX_INT  # (light: no torch; a count stops where a config's does)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def synthetic_rows(n: int, rows: int, device: torch.device | str = "cpu") -> dict[str, torch.Tensor]:
    """n point-robot tasks' worth of `rows` random transitions (obs 2, action 2), as a replay batch holds them."""
    return {
        "obs": torch.randn(n, rows, 2, device=device),
        "actions": torch.rand(n, rows, 2, device=device) * 2 - 1,
        "rewards": -torch.rand(n, rows, 1, device=device),
        "next_obs": torch.randn(n, rows, 2, device=device),
        "not_done": torch.ones(n, rows, 1, device=device),
    }


def time_group(n: int, updates: int, block: int = 4, sac_config: str = "train_point") -> dict:
    from rlkit.behaviour import load_sac_config
    from rlkit.torch.flops import MatmulProbe, count_flops
    from rlkit.torch.sac.vector_sac import TaskGenerators, VectorSAC

    sac = load_sac_config(sac_config, []).sac
    dev = torch.device("cpu")
    agent = VectorSAC(n, 2, 2, sac, 0, dev)
    gens = TaskGenerators(n, 0, dev)
    batch = synthetic_rows(n, sac.batch_size)
    step = [0]

    def update() -> None:
        agent.update(batch, step[0], gens)
        step[0] += 1

    for _ in range(3):
        update()
    probe = MatmulProbe()
    times, peaks = [], [probe()]
    while len(times) < updates:
        update()  # untimed: the probe evicted the update's working set
        for _ in range(min(block, updates - len(times))):
            t = time.perf_counter()
            update()
            times.append(time.perf_counter() - t)
        peaks.append(probe())
    flops = count_flops(update)
    return {
        "n": n,
        "median_s": statistics.median(times),
        "min_s": min(times),
        "flops": flops,
        "median_peak": statistics.median(peaks),
        "best_peak": max(peaks),
    }


def cuda_matmul_probe(device: torch.device, n: int = 40, size: int = 1024, reps: int = 20) -> float:
    """Batched fp32 matmul throughput (FLOP/s) on the GPU at the update's biggest shape ([n, size, size] @ [n, size,
    size]: the hidden layer of n tasks' networks over a batch of `size`), under the process's TF32 setting."""
    a, b = torch.randn(n, size, size, device=device), torch.randn(n, size, size, device=device)
    for _ in range(3):
        a @ b
    torch.cuda.synchronize(device)
    t = time.perf_counter()
    for _ in range(reps):
        a @ b
    torch.cuda.synchronize(device)
    return 2 * n * size**3 * reps / (time.perf_counter() - t)


def update_flops(n: int, sac_config: str, device: torch.device) -> int:
    """Matmul FLOPs of one update (actor and target branches taken) of a group of n tasks."""
    from rlkit.behaviour import load_sac_config
    from rlkit.torch.flops import count_flops
    from rlkit.torch.sac.vector_sac import TaskGenerators, VectorSAC

    sac = load_sac_config(sac_config, []).sac
    agent, gens = VectorSAC(n, 2, 2, sac, 0, device), TaskGenerators(n, 0, device)
    batch = synthetic_rows(n, sac.batch_size, device)
    return count_flops(lambda: agent.update(batch, 0, gens))


def eager_vs_captured(n: int, updates: int, device: torch.device, sac_config: str = "train_point") -> dict[str, float]:
    """Updates per second of a group of n tasks, eager and through `rlkit.torch.graphs.StepRunner` (captured on
    CUDA, its static-buffer path on the CPU); the batch is drawn fresh each update, as stage 1 does."""
    from rlkit.behaviour import load_sac_config
    from rlkit.torch import graphs
    from rlkit.torch.sac.vector_sac import TaskGenerators, VectorSAC

    sac = load_sac_config(sac_config, []).sac
    B, period = sac.batch_size, math.lcm(sac.actor_update_frequency, sac.critic_target_update_frequency)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    out = {}
    for capture in (False, True):
        agent, gens = VectorSAC(n, 2, 2, sac, 0, device), TaskGenerators(n, 0, device)
        rows = synthetic_rows(n, 4096, device)
        runner = graphs.StepRunner(
            lambda batch, key: agent.update(batch, key, gens),  # noqa: B023 (called within this iteration)
            device,
            capture,
            gens.gens,
            [agent.actor_opt, agent.critic_opt, agent.alpha_opt],
        )

        def update(step: int, gens=gens, runner=runner, rows=rows) -> None:
            idx = gens.randint(4096, B)[..., None]
            runner({k: torch.gather(v, 1, idx.expand(-1, -1, v.shape[-1])) for k, v in rows.items()}, step % period)

        for step in range((graphs.WARMUP_STEPS + 1) * period):  # each branch's warm-up steps and its capture
            update(step)
        sync()
        t = time.perf_counter()
        for step in range(updates):
            update(step)
        sync()
        out["captured" if capture else "eager"] = updates / (time.perf_counter() - t)
    return out


@click.command()
@click.option(
    "--updates", default=12, show_default=True, type=click.IntRange(1, MAX_INT), help="timed updates per group size"
)
@click.option("--tasks", default="1,8", show_default=True, help="group sizes to time")
@click.option(
    "--threads",
    default=None,
    type=click.IntRange(1, 1024),
    help="torch threads (default: torch's; at most 1024, as rlkit.cli.THREADS)",
)
@click.option(
    "--device",
    default=None,
    type=click.Choice(["cpu", "cuda"]),
    help="eager against captured updates/s on this device (--tasks: the group size, e.g. 40)",
)
@click.option(
    "--sac_config",
    default="train_point",
    show_default=True,
    help="the SAC settings (demo_point: the demo profile's smaller networks)",
)
def main(updates: int, tasks: str, threads: int | None, device: str | None, sac_config: str) -> None:
    from rlkit.cli import parse_list
    from rlkit.errors import UserError
    from rlkit.torch.cpu_kernels import keep_freed_memory

    if device == "cuda" and not torch.cuda.is_available():
        raise UserError(f"--device cuda, but this torch ({torch.__version__}) sees no CUDA device")
    sizes = parse_list("--tasks", tasks, minimum=1, maximum=MAX_INT)
    keep_freed_memory()  # as policy_train.py does
    if threads:
        torch.set_num_threads(threads)
    if device:
        dev = torch.device(device)
        for n in sizes:
            r = eager_vs_captured(n, updates, dev, sac_config)
            print(
                f"device {device}, {n} tasks vectorised ({sac_config}.yaml): eager {r['eager']:.2f} updates/s, "
                f"captured {r['captured']:.2f} updates/s, ratio {r['captured'] / r['eager']:.2f}x",
                flush=True,
            )
            if dev.type == "cuda":  # how far the update's FLOPs alone let capture go on this GPU
                flops, peak = update_flops(n, sac_config, dev), cuda_matmul_probe(dev, n)
                print(
                    f"  {flops / 1e9:.0f} GFLOP per update; fp32 batched matmul probe {peak / 1e12:.1f} TFLOP/s "
                    f"(TF32 {'on' if torch.backends.cuda.matmul.allow_tf32 else 'off'}): at most "
                    f"{peak / flops:.0f} updates/s, so capture can give at most {peak / flops / r['eager']:.1f}x "
                    f"eager; eager reaches {flops * r['eager'] / peak:.0%} of the probe, captured "
                    f"{flops * r['captured'] / peak:.0%}",
                    flush=True,
                )
        return
    from rlkit.behaviour import load_sac_config

    sac = load_sac_config(sac_config, []).sac
    units = f"{sac.actor_hidden_depth} x {sac.actor_hidden_dim}"
    print(
        f"settings: {sac_config}.yaml ({units} units, batch {sac.batch_size}), {torch.get_num_threads()} threads, CPU"
    )
    print(
        f"{'tasks':>5s} {'median ms/update':>17s} {'ms per task':>12s} {'GFLOP/task':>11s} {'GFLOP/s':>8s} "
        f"{'matmul probe':>13s} {'share':>6s} {'ms/task at 100% of probe':>25s}"
    )
    for n in sizes:
        r = time_group(n, updates, sac_config=sac_config)
        achieved = r["flops"] / r["median_s"]
        print(
            f"{n:5d} {r['median_s'] * 1e3:17.1f} {r['median_s'] * 1e3 / n:12.1f} {r['flops'] / n / 1e9:11.1f} "
            f"{achieved / 1e9:8.0f} {r['median_peak'] / 1e9:10.0f} GF {achieved / r['median_peak']:6.0%} "
            f"{r['flops'] / n / r['best_peak'] * 1e3:25.1f}",
            flush=True,
        )
    print(
        (
            "target: <= 70 ms per update per task (the reference: about 141 ms on this kind of 2-core CPU); "
            if sac_config == "train_point"
            else ""
        )
        + "the last column is the floor this machine's best matmul probe sets for the update's FLOPs"
    )


if __name__ == "__main__":
    from rlkit.cli import run_cli

    run_cli(main)  # a bad --tasks or --sac_config, or --device cuda without CUDA: one line, exit 2
