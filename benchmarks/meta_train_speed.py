"""Seconds per CSRO gradient step and peak memory at the faithful point-robot settings.

    python benchmarks/meta_train_speed.py [--steps 20] [--context 1024] [--batch 256] [--meta_batch 16]

Each variant runs in its own subprocess (so peak RSS is its own), on synthetic point-robot
data (30 tasks x 14,000 transitions, as the reference's data), with the reference's sizes:
latent 20, encoder/CLUB 3 x 200, Q/V/policy 3 x 256.
  ours          the trainer as shipped (exact O(b) CLUB bound, batched twin critics)
  naive-club    the same step with the reference's pairwise [T, b, b, L] CLUB negative term
In the same run it measures the machine's dense fp32 matmul throughput and counts the step's
FLOPs from the layer shapes (torch.utils.flop_counter), then prints two ratios: the speed-up
over the naive step and the achieved FLOP/s as a share of the matmul peak.
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def build(context: int, batch: int, meta_batch: int):
    import numpy as np
    import torch

    from rlkit.config import load_config
    from rlkit.data.buffer import MultiTaskBuffer
    from rlkit.data.dataset import Trajectories
    from rlkit.torch.csro.trainer import CSROTrainer, TrainerSettings

    cfg = load_config(ROOT / "configs" / "point-robot.json", {"algo_params": {
        "embedding_batch_size": context, "embedding_mini_batch_size": context, "batch_size": batch, "meta_batch": meta_batch}})
    rng = np.random.default_rng(0)
    n = 14_000
    data = {t: Trajectories(rng.normal(size=(n, 2)).astype(np.float32), rng.uniform(-1, 1, (n, 2)).astype(np.float32),
                            rng.normal(size=n).astype(np.float32), rng.normal(size=(n, 2)).astype(np.float32),
                            np.zeros(n, np.float32), np.full(n // 20, 20)) for t in range(30)}
    dev = torch.device("cpu")
    buf = MultiTaskBuffer(data, 2, 2, dev)
    trainer = CSROTrainer(TrainerSettings.from_config(cfg), 2, 2, dev, seed=0)
    gen = torch.Generator().manual_seed(0)
    a = cfg.algo_params

    def step():
        tasks = torch.randperm(30, generator=gen)[:a.meta_batch]
        ctx = buf.sample_context(tasks, a.embedding_batch_size, gen, False)
        return trainer.train_step(tasks, ctx, buf.sample(tasks, a.batch_size, gen))

    return step


def run_variant(variant: str, steps: int, context: int, batch: int, meta_batch: int) -> dict:
    import torch

    from rlkit.torch.csro import losses

    if variant == "naive-club":
        losses.club_upper_bound = losses.club_upper_bound_pairwise
    step = build(context, batch, meta_batch)
    for _ in range(3):
        step()
    times = []
    for _ in range(steps):
        t = time.perf_counter()
        step()
        times.append(time.perf_counter() - t)
    from torch.utils.flop_counter import FlopCounterMode
    with FlopCounterMode(display=False) as counter:
        step()
    times.sort()
    return {"variant": variant, "median_s": times[len(times) // 2], "min_s": times[0],
            "peak_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2,
            "flops": counter.get_total_flops(), "threads": torch.get_num_threads()}


def matmul_peak() -> float:
    import torch
    best = 0.0
    for n, k, m in [(2048, 2048, 2048), (16384, 200, 200), (8192, 256, 256)]:
        a, b = torch.randn(n, k), torch.randn(k, m)
        for _ in range(3):
            a @ b
        t = time.perf_counter()
        reps = 10
        for _ in range(reps):
            a @ b
        best = max(best, 2 * n * k * m * reps / (time.perf_counter() - t))
    return best


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--context", type=int, default=1024)
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--meta_batch", type=int, default=16)
    p.add_argument("--variant", default=None, help=argparse.SUPPRESS)
    p.add_argument("--naive_steps", type=int, default=5)
    args = p.parse_args()
    if args.variant:
        steps = args.naive_steps if args.variant == "naive-club" else args.steps
        print(json.dumps(run_variant(args.variant, steps, args.context, args.batch, args.meta_batch)))
        return
    results = {}
    for variant in ("ours", "naive-club"):
        out = subprocess.run([sys.executable, __file__, "--variant", variant, "--steps", str(args.steps),
                              "--naive_steps", str(args.naive_steps), "--context", str(args.context),
                              "--batch", str(args.batch), "--meta_batch", str(args.meta_batch)],
                             capture_output=True, text=True, check=True)
        results[variant] = json.loads(out.stdout.strip().splitlines()[-1])
    peak = matmul_peak()
    ours = results["ours"]
    print(f"settings: meta_batch {args.meta_batch}, context {args.context}, batch {args.batch}, latent 20, "
          f"{ours['threads']} threads")
    print(f"{'variant':12s} {'median s/step':>14s} {'min s/step':>11s} {'peak RSS GB':>12s}")
    for r in results.values():
        print(f"{r['variant']:12s} {r['median_s']:14.3f} {r['min_s']:11.3f} {r['peak_rss_gb']:12.2f}")
    print(f"step FLOPs (matmuls, fwd + bwd): {ours['flops'] / 1e9:.1f} GFLOP; dense matmul peak here: {peak / 1e9:.0f} GFLOP/s")
    print(f"ratio  speed-up over naive CLUB step : {results['naive-club']['median_s'] / ours['median_s']:.1f}x")
    print(f"ratio  achieved / matmul peak        : {ours['flops'] / ours['median_s'] / peak:.0%} "
          f"({ours['flops'] / ours['median_s'] / 1e9:.0f} GFLOP/s)")


if __name__ == "__main__":
    main()
