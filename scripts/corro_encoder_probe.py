"""Does CORRO's transition encoder E1 learn on a dataset? E1 alone, trained by its InfoNCE on training draws.

    python scripts/corro_encoder_probe.py CONFIG [--negatives auto|reward|generative] [--standardize]
        [--steps 5000] [--cvae-steps 2000] [--every 500] [--seed 0]

Builds the run's training buffer from CONFIG (as `launch_experiment.py` would, algo_type CORRO), then steps E1
(`rlkit.torch.csro.corro`, the shipped encoder and loss) with Adam at `context_lr` on each step's contexts
(`sample_step`, the training draw), after `--cvae-steps` of the CVAE with generative negatives. Every `--every`
steps (and after the last) it prints the mean InfoNCE of the block (chance: ln 17 = 2.833, where every embedding is
alike), and task identification from z = the mean embedding of a 100-row context: for each training task, two fresh
contexts; `id` is the share of tasks whose first z is nearest to its own second z (chance 1 / tasks), `ratio` the
mean distance between two tasks' z (first of one, second of another) over that within a task. One thread; a few
minutes on the cpu profiles.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rlkit.cli import argument_parser, positive_int, run_cli  # noqa: E402
from rlkit.config import load_config  # noqa: E402
from rlkit.data.buffer import context_width, sample_step  # noqa: E402
from rlkit.experiment import prepare  # noqa: E402
from rlkit.seeding import torch_generator  # noqa: E402
from rlkit.torch.csro import corro  # noqa: E402


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The probe's options; a count below 1 is refused in one line (exit 2): `--every 0` divided by zero, and
    `--cvae-steps 0` left no CVAE loss to print."""
    p = argument_parser(__doc__.splitlines()[0])
    p.add_argument("config")
    # auto: the family's kind, as a run of CONFIG would draw (reward-randomised ones are refused on a dynamics family)
    p.add_argument("--negatives", choices=["auto", "reward", "generative"], default="auto")
    p.add_argument("--standardize", action="store_true", help="corro_standardize: standardised context columns")
    p.add_argument("--steps", type=positive_int, default=5000)
    p.add_argument("--cvae-steps", type=positive_int, default=2000)
    p.add_argument("--every", type=positive_int, default=500)
    p.add_argument("--seed", type=int, default=0)
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """A bad config (missing, not JSON, a wrong key) is one line and its exit code, as the project's CLIs give it
    (`rlkit.cli.run_cli`)."""
    args = parse_args(argv)
    run_cli(lambda: probe(args))


def probe_config(args: argparse.Namespace):
    """CONFIG as a CORRO run of it, with the probe's negatives and standardisation."""
    overrides = {"corro_negatives": args.negatives, "corro_standardize": args.standardize}
    return load_config(args.config, {"algo_type": "CORRO", "algo_params": overrides})


def task_identification(z1: torch.Tensor, z2: torch.Tensor) -> tuple[float, float]:
    """(id, ratio) of the module doc, z1[i] and z2[i] two contexts' z of task i: the share of tasks whose z1 is
    nearest its own z2, and the mean distance of z1[i] to z2[j] over pairs i != j over that of i == j."""
    dist = torch.cdist(z1, z2)
    own = torch.eye(len(z1), dtype=torch.bool)
    ident = (dist.argmin(dim=1) == torch.arange(len(z1))).float().mean().item()
    return ident, (dist[~own].mean() / dist[own].mean()).item()  # (a task's own pair is not between tasks)


def probe(args: argparse.Namespace) -> None:
    """Train E1 as the module says, printing each block's figures."""
    torch.set_num_threads(1)

    cfg = probe_config(args)
    setup = prepare(cfg, args.seed, torch.device("cpu"))
    buf, tasks = setup.train_buffer, torch.as_tensor(setup.train_tasks)
    settings = corro.CorroSettings.from_config(cfg)
    S, A = setup.obs_dim, setup.action_dim
    next_obs = cfg.algo_params.use_next_obs_in_context  # true: CORRO's rows are (s, a, r, s')
    enc = corro.CorroEncoder(
        S, A, context_width(S, A, next_obs), cfg.latent_size, settings, torch_generator(args.seed, "init")
    )
    if args.standardize:
        enc.set_input_stats(*buf.context_stats(next_obs))
    gen = torch_generator(args.seed, "batch_sampling")  # the draws as training makes them
    lr = cfg.algo_params.context_lr
    print(
        f"{args.config}: {len(tasks)} training tasks, negatives {settings.negatives}, "
        f"standardize {args.standardize}, E1 lr {lr}; InfoNCE chance {math.log(1 + corro.NEGATIVES):.3f}, "
        f"task identification chance {1 / len(tasks):.3f}",
        flush=True,
    )
    t0 = time.time()
    if enc.cvae is not None:
        opt = torch.optim.Adam(enc.cvae.parameters(), lr=lr)
        for _ in range(args.cvae_steps):
            loss = enc.cvae.loss(sample_step(buf, tasks, cfg.algo_params, gen).context, gen)
            opt.zero_grad()
            loss.backward()
            opt.step()
        print(f"CVAE: {args.cvae_steps} steps, last loss {loss.item():.3f}, {time.time() - t0:.0f} s", flush=True)
    opt = torch.optim.Adam(enc.transition.parameters(), lr=lr)
    block = []
    for i in range(1, args.steps + 1):
        context = sample_step(buf, tasks, cfg.algo_params, gen).context
        loss = corro.contrastive_loss(enc, enc(context), context, S + A, settings, gen)
        opt.zero_grad()
        loss.backward()
        opt.step()
        block.append(loss.item())
        if i % args.every == 0 or i == args.steps:  # (a last block shorter than --every is printed too)
            with torch.no_grad():
                z1 = enc(buf.sample_context(tasks, 100, gen, next_obs)).mean(dim=1)
                z2 = enc(buf.sample_context(tasks, 100, gen, next_obs)).mean(dim=1)
                ident, ratio = task_identification(z1, z2)
            print(
                f"step {i}: InfoNCE {sum(block) / len(block):.3f}, id {ident:.2f}, ratio {ratio:.1f}, "
                f"z spread {(z1 - z1.mean(0)).norm(dim=-1).mean().item():.3f}, {time.time() - t0:.0f} s",
                flush=True,
            )
            block = []


if __name__ == "__main__":
    main()
