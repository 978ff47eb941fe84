"""Seconds per CSRO gradient step and peak memory at the faithful point-robot settings.

    python benchmarks/meta_train_speed.py [--steps 20] [--context 1024] [--batch 256] [--meta_batch 16]
    python benchmarks/meta_train_speed.py --device cuda|cpu [--steps 200]     (eager against captured, fused)

Each variant runs in its own subprocess (so peak RSS is its own), on synthetic point-robot
data (30 tasks x 14,000 transitions, as the reference's data), with the reference's sizes:
latent 20, encoder/CLUB 3 x 200, Q/V/policy 3 x 256.
  ours          the trainer as shipped (exact O(b) CLUB bound, batched twin critics, the CPU kernels)
  plain         the same step with the CPU kernels switched off (rlkit.torch.cpu_kernels: plain PyTorch
                layers, glibc's default malloc settings)
  naive-club    the same step with the reference's pairwise [T, b, b, L] CLUB negative term
With `--device`, the variants are instead eager, captured (rlkit/torch/graphs.py), captured-fused (the
captured step with its losses compiled, `CSRO_FUSE`) and captured-pairwise-club (on CUDA also
eager-plain-adam: the eager step with the optimisers not capturable, which the runner makes them there so
that eager and captured run one update, to show what that costs); on the CPU, eager, the
static-buffer path and the fused step also run in turn in one process, for ratios free of the host's drift.
Between blocks of steps it probes the machine's dense fp32 matmul throughput (this host's speed
drifts by +-20% over minutes, so each step is compared with the probes around its block) and
it counts the step's FLOPs from the layer shapes (torch.utils.flop_counter), then prints three
ratios: the speed-up over the plain-PyTorch step and over the naive step, and the achieved FLOP/s as a
share of the matmul peak.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def build(context: int, batch: int, meta_batch: int):
    """The shipped trainer's step at the point-robot config with these sizes, on synthetic data of the
    reference's volume (30 tasks x 14,000 transitions)."""
    from rlkit.budget import synthetic_step
    from rlkit.config import load_config
    from rlkit.torch.cpu_kernels import keep_freed_memory

    cfg = load_config(
        ROOT / "configs" / "point-robot.json",
        {
            "algo_params": {
                "embedding_batch_size": context,
                "embedding_mini_batch_size": context,
                "batch_size": batch,
                "meta_batch": meta_batch,
            }
        },
    )
    keep_freed_memory()  # as launch_experiment.py does
    return synthetic_step(cfg, n_tasks=30, transitions=14_000)


def run_variant(variant: str, steps: int, context: int, batch: int, meta_batch: int, block: int = 4) -> dict:
    """Time `steps` training steps in blocks of `block`, with a matmul probe between blocks, so
    each step's throughput is compared with the machine's matmul throughput of the same minute
    (this host's speed drifts by +-20% over minutes). A probe evicts the step's working set from
    the caches, so the step right after it is run untimed."""
    import torch

    from rlkit.cli import peak_rss_mb
    from rlkit.torch.cpu_kernels import use_cpu_kernels
    from rlkit.torch.csro import losses
    from rlkit.torch.flops import MatmulProbe, count_flops

    if variant == "naive-club":
        losses.club_upper_bound = losses.club_upper_bound_pairwise
    use_cpu_kernels(variant != "plain")  # regardless of CSRO_CPU_KERNELS
    step = build(context, batch, meta_batch)
    for _ in range(3):
        step()
    probe = MatmulProbe()
    times, peaks = [], [probe()]
    while len(times) < steps:
        step()  # warm-up after the probe, untimed
        block_times = []
        for _ in range(min(block, steps - len(times))):
            t = time.perf_counter()
            step()
            block_times.append(time.perf_counter() - t)
        peaks.append(probe())
        times += block_times
    flops = count_flops(step)
    # each block's steps against the mean of the two probes around it
    shares, i = [], 0
    for k in range(1, len(peaks)):
        n = min(block, len(times) - i)
        shares += [flops / t / ((peaks[k - 1] + peaks[k]) / 2) for t in times[i : i + n]]
        i += n
    shares.sort()
    times.sort()
    return {
        "variant": variant,
        "median_s": statistics.median(times),  # (of an even count, the mean of the middle two, as elsewhere)
        "min_s": times[0],
        "peak_rss_gb": peak_rss_mb() / 1024,
        "flops": flops,
        "threads": torch.get_num_threads(),
        "peak_flops": max(peaks),
        "median_peak_flops": statistics.median(peaks),
        "median_share": statistics.median(shares),
    }


def time_steps(step, steps: int, device) -> float:
    """Seconds per call of `step` over `steps` calls, after 5 untimed ones (CUDA synchronised around)."""
    import torch

    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    for _ in range(5):
        step()
    sync()
    t = time.perf_counter()
    for _ in range(steps):
        step()
    sync()
    return (time.perf_counter() - t) / steps


def capture_variant(variant: str, device_name: str, steps: int, context: int, batch: int, meta_batch: int) -> dict:
    """ms/step (sampling included) of the eager step, the captured step (rlkit/torch/graphs.py; on the CPU its
    static-buffer path), the captured step with its losses compiled ("captured-fused") or with the reference's
    pairwise CLUB term; on CUDA also peak memory, kernel launches per step and the GPU's busy share of the step
    (torch.profiler)."""
    import torch

    from rlkit.budget import synthetic_parts
    from rlkit.config import load_config
    from rlkit.torch import graphs
    from rlkit.torch.csro import losses

    device = torch.device(device_name)
    if variant == "captured-pairwise-club":
        losses.club_upper_bound = losses.club_upper_bound_pairwise
    cfg = load_config(
        ROOT / "configs" / "point-robot.json",
        {
            "algo_params": {
                "embedding_batch_size": context,
                "embedding_mini_batch_size": context,
                "batch_size": batch,
                "meta_batch": meta_batch,
            }
        },
    )
    sample, trainer = synthetic_parts(cfg, 30, 14_000, device=device, fuse=variant == "captured-fused")
    runner = graphs.StepRunner(
        lambda s, key: trainer.train_step(s.tasks, s.context, s.batch, s.extra),
        device,
        not variant.startswith("eager"),
        [trainer.generator],
        list(trainer.optimizers().values()),
    )
    if variant == "eager-plain-adam":  # what capturable=True costs an eager CUDA step (the runner sets it there)
        graphs.make_capturable(runner.optimizers, on=False)
        runner.prepared = True
    out = {
        "variant": variant,
        "ms": 1000 * time_steps(lambda: runner(sample()), steps, device),
        "graphed": bool(runner.graphs),
    }
    if device.type == "cuda":
        from torch.profiler import ProfilerActivity, profile

        out["peak_gb"] = torch.cuda.max_memory_allocated(device) / 1024**3
        n = 20
        torch.cuda.synchronize()
        with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
            t = time.perf_counter()
            for _ in range(n):
                runner(sample())
            torch.cuda.synchronize()
            wall = time.perf_counter() - t
        kernels = [e for e in prof.events() if e.device_type == torch.autograd.DeviceType.CUDA]
        out["kernels_per_step"] = len(kernels) / n
        out["busy_share"] = sum(e.device_time for e in kernels) / 1e6 / wall  # device_time in microseconds
    return out


def alternating_cpu(steps: int, context: int, batch: int, meta_batch: int) -> dict:
    """On the CPU, eager, captured (the static-buffer path) and fused (eager, its losses compiled) steps taken in
    turn in one process, so that this host's drift over minutes hits them alike: median ms/step of each."""
    import statistics

    import torch

    from rlkit.budget import synthetic_parts
    from rlkit.config import load_config
    from rlkit.torch import graphs
    from rlkit.torch.cpu_kernels import keep_freed_memory

    keep_freed_memory()  # as launch_experiment.py does
    cfg = load_config(
        ROOT / "configs" / "point-robot.json",
        {
            "algo_params": {
                "embedding_batch_size": context,
                "embedding_mini_batch_size": context,
                "batch_size": batch,
                "meta_batch": meta_batch,
            }
        },
    )
    calls = {}
    for variant in ("eager", "captured", "fused"):
        sample, trainer = synthetic_parts(cfg, 30, 14_000, fuse=variant == "fused")
        runner = graphs.StepRunner(
            lambda s, key, tr=trainer: tr.train_step(s.tasks, s.context, s.batch, s.extra),
            torch.device("cpu"),
            variant == "captured",
        )
        calls[variant] = lambda runner=runner, sample=sample: runner(sample())
    times = {v: [] for v in calls}
    for i in range(steps + 2):
        for variant, call in calls.items():
            t = time.perf_counter()
            call()
            if i >= 2:  # two untimed steps each first
                times[variant].append(time.perf_counter() - t)
    return {v: 1000 * statistics.median(ts) for v, ts in times.items()}


def capture_main(args) -> None:
    """`--device`: eager against captured in one run, each variant in its own subprocess; on the CPU also the two
    taken in turn in one process (the ratio that says whether the static-buffer path is slower)."""
    if args.device == "cpu":
        r = alternating_cpu(args.steps, args.context, args.batch, args.meta_batch)
        print(
            f"cpu, eager, captured and fused in turn, median of {args.steps}: eager {r['eager']:.1f} ms/step, "
            f"captured {r['captured']:.1f} ms/step, fused {r['fused']:.1f} ms/step; ratios captured / eager "
            f"{r['captured'] / r['eager']:.3f}, fused / eager {r['fused'] / r['eager']:.3f}"
        )
    print(
        f"device {args.device}: meta_batch {args.meta_batch}, context {args.context}, batch {args.batch}, "
        f"{args.steps} steps per variant (sampling included)",
        flush=True,
    )
    results, failed = [], []
    variants = ["eager", "captured", "captured-fused", "captured-pairwise-club"]
    if args.device == "cuda":
        variants.insert(1, "eager-plain-adam")
    for variant in variants:  # each line printed as its variant ends: a run cut short keeps those done
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--device",
                args.device,
                "--variant",
                variant,
                "--steps",
                str(args.steps),
                "--context",
                str(args.context),
                "--batch",
                str(args.batch),
                "--meta_batch",
                str(args.meta_batch),
            ],
            capture_output=True,
            text=True,
        )
        if out.returncode:
            print(f"{variant}: failed\n{out.stderr.strip()[-2000:]}", flush=True)
            failed.append(variant)
            continue
        r = json.loads(out.stdout.strip().splitlines()[-1])
        results.append(r)
        extra = (
            f"  peak {r['peak_gb']:.2f} GB, {r['kernels_per_step']:.0f} kernels/step, GPU busy {r['busy_share']:.0%}"
            if "peak_gb" in r
            else ""
        )
        print(f"{r['variant']:24s} {r['ms']:9.2f} ms/step  graph: {'yes' if r['graphed'] else 'no'}{extra}", flush=True)
    by = {r["variant"]: r for r in results}
    if "eager" in by and "captured" in by:
        print(
            f"ratio captured / eager: {by['captured']['ms'] / by['eager']['ms']:.3f} "
            "(on the CPU: the static-buffer path, which must not be slower than eager)"
        )
    if "captured" in by and "captured-fused" in by:
        print(f"ratio captured-fused / captured: {by['captured-fused']['ms'] / by['captured']['ms']:.3f}")
    if "eager" in by and "eager-plain-adam" in by:
        print(f"ratio eager-plain-adam / eager: {by['eager-plain-adam']['ms'] / by['eager']['ms']:.3f}")
    if failed:  # (the figures of the others are printed above; a device call's summary then shows the failure)
        print(f"error: variants {failed} failed: expected every variant to run (their errors above)", file=sys.stderr)
        sys.exit(1)


def main() -> None:
    from rlkit.cli import argument_parser, child_json, positive_int

    p = argument_parser(__doc__.splitlines()[0])
    p.add_argument("--steps", type=positive_int, default=20)
    p.add_argument("--context", type=positive_int, default=1024)
    p.add_argument("--batch", type=positive_int, default=256)
    p.add_argument("--meta_batch", type=positive_int, default=16)
    p.add_argument("--variant", default=None, help=argparse.SUPPRESS)
    p.add_argument("--naive_steps", type=positive_int, default=5)
    p.add_argument(
        "--device",
        default=None,
        choices=["cpu", "cuda"],
        help="eager against captured (rlkit/torch/graphs.py) on this device",
    )
    args = p.parse_args()
    if args.device == "cuda":
        import torch

        if not torch.cuda.is_available():
            print(f"error: --device cuda, but this torch ({torch.__version__}) sees no CUDA device", file=sys.stderr)
            sys.exit(2)
    if args.device and args.variant:
        print(
            json.dumps(
                capture_variant(args.variant, args.device, args.steps, args.context, args.batch, args.meta_batch)
            )
        )
        return
    if args.device:
        capture_main(args)
        return
    if args.variant:
        steps = args.naive_steps if args.variant == "naive-club" else args.steps
        print(json.dumps(run_variant(args.variant, steps, args.context, args.batch, args.meta_batch)))
        return
    results = {}
    for variant in ("ours", "plain", "naive-club"):
        args_ = ["--steps", str(args.steps), "--naive_steps", str(args.naive_steps), "--context", str(args.context)]
        args_ += ["--batch", str(args.batch), "--meta_batch", str(args.meta_batch)]
        results[variant] = child_json([__file__, "--variant", variant, *args_], f"the {variant} variant's process")
    ours = results["ours"]
    print(
        f"settings: meta_batch {args.meta_batch}, context {args.context}, batch {args.batch}, latent 20, "
        f"{ours['threads']} threads"
    )
    print(f"{'variant':12s} {'median s/step':>14s} {'min s/step':>11s} {'peak RSS GB':>12s} {'share of peak':>14s}")
    for r in results.values():
        print(
            f"{r['variant']:12s} {r['median_s']:14.3f} {r['min_s']:11.3f} {r['peak_rss_gb']:12.2f} "
            f"{r['median_share']:14.0%}"
        )
    print(
        f"step FLOPs (matmuls, fwd + bwd): {ours['flops'] / 1e9:.1f} GFLOP; dense matmul throughput probed between "
        f"blocks of steps: median {ours['median_peak_flops'] / 1e9:.0f}, best {ours['peak_flops'] / 1e9:.0f} GFLOP/s"
    )
    plain = results["plain"]
    print(
        f"ratio  speed-up of the CPU kernels   : {plain['median_s'] / ours['median_s']:.2f}x (median s/step), "
        f"{ours['median_share'] / plain['median_share']:.2f}x (share of the probed peak, drift-corrected)"
    )
    print(f"ratio  speed-up over naive CLUB step : {results['naive-club']['median_s'] / ours['median_s']:.1f}x")
    print(
        f"ratio  achieved / matmul peak        : {ours['median_share']:.0%} (median over steps of the step's "
        f"FLOP/s over the probes around its block)"
    )
    print(
        f"       at the median step time         {ours['flops'] / ours['median_s'] / 1e9:.0f} GFLOP/s = "
        f"{ours['flops'] / ours['median_s'] / ours['peak_flops']:.0%} of the run's best probe"
    )


if __name__ == "__main__":
    from rlkit.cli import run_cli

    run_cli(main)
