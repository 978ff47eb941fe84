"""Named random streams: every seed the code uses comes from here, derived from the run's seed (but the fixed
reset seeds of the reports' zero-action and random references: `rlkit.tasks`).

A stream is a name of `STREAMS` (what it drives) plus the indices its key names (an env, a run, an
iteration, ...). Its seed is one 64-bit word of `numpy.random.SeedSequence(seed, spawn_key=(id, *key))`,
so streams of different names, indices or run seeds are independent, where the arithmetic this
replaces (`seed + 1`, `seed * 1000 + r`) made seed 0's initialisation stream seed 1's policy noise.
The table of streams is in docs/algorithm.md ("Random streams"). Changing a derivation changes the
numbers of every run and dataset: bump `SEEDING_VERSION`, which run states, task.json and the
regenerated episode files record, so that work begun under the old derivation is refused, not mixed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from rlkit.errors import UserError

# 1: the ad-hoc arithmetic before this module (recorded as absent); 2: named streams through SeedSequence
SEEDING_VERSION = 2

# The largest run seed, of both stages' seed options: SeedSequence pads a seed to 4 32-bit words before the spawn key,
# so a seed of 2**128 or more would share its words with a smaller seed's other stream; 32 bits, as stage 1's SAC
# seed (and the reference's np.random.seed), keeps one range for every seed a user gives
MAX_SEED = 2**32 - 1


@dataclass(frozen=True)
class Stream:
    """A stream's fixed id (part of its derivation: never reuse or renumber one), the names of the
    indices of its key, and what it drives."""

    id: int
    key: tuple[str, ...]
    drives: str


STREAMS: dict[str, Stream] = {
    # stage 2+3: the meta-learner (rlkit.experiment, rlkit.eval, show_path.py, rlkit.budget)
    "init": Stream(0, (), "the meta-learner's network initialisation (CPU)"),
    "train_noise": Stream(1, (), "policy samples and BRAC's interpolation in `train_step`"),
    "batch_sampling": Stream(2, (), "the meta-batch: training tasks, context rows, RL batch rows"),
    "eval_envs": Stream(3, ("run",), "reset noise of meta-test run r's env (the same for every test task)"),
    "eval_offline_context": Stream(4, ("iteration",), "the offline-context protocol's context rows"),
    "eval_np_random": Stream(5, ("iteration",), "Np's uniform random context actions"),
    "eval_np_policy": Stream(6, ("iteration",), "Np's policy samples in its context episodes"),
    "show_path_z": Stream(7, (), "show_path.py's offline-data contexts for the z picture"),
    "budget_data": Stream(8, (), "rlkit.budget's synthetic transitions"),
    "random_return": Stream(9, (), "the uniform-random actions of the reports' random-policy return"),
    "test_z": Stream(16, ("iteration",), "OFFPEARL's sampled z at the meta-test of iteration i (`sample_z_at_test`)"),
    "borel_vae": Stream(17, (), "BOREL's VAE stage: each step's training tasks and their ordered sequences"),
    "device_change": Stream(
        18,
        ("stream", "step"),
        "stream s's generator from step (or iteration) t on, after a resume on another device type, where the "
        "saved generator state cannot go (`portable_generator_state`)",
    ),
    # stage 1: the behaviour SACs (rlkit.behaviour). No task index: every task's SAC draws the same
    # streams, as the reference's one-process-per-task SACs drew torch's and numpy's after seeding them alike
    # (its seed-step actions and MuJoCo reset noise were gym's, seeded from the OS: docs/reference-differences.md)
    "behaviour_init": Stream(10, (), "every task's SAC initialisation"),
    "behaviour_noise": Stream(11, (), "every task's SAC draws: seed-step actions, policy noise, replay rows"),
    "behaviour_env": Stream(12, (), "reset noise of every task's training env"),
    "behaviour_eval_envs": Stream(13, ("env",), "reset noise of a task's checkpoint-rollout env k"),
    "regenerate_envs": Stream(14, ("env",), "reset noise of `--regenerate`'s env k of a (task, checkpoint)"),
    "regenerate_noise": Stream(15, ("task", "checkpoint"), "`--regenerate`'s policy noise of a (task, checkpoint)"),
}


def stream_seed(seed: int, stream: str, *key: int) -> int:
    """The 64-bit seed of `stream` of run seed `seed` at index `key` (as many ints as the stream's key
    names); what `env.reset(seed=...)` takes, and what the generators below are seeded with."""
    if stream not in STREAMS:
        raise KeyError(f"unknown random stream {stream!r}: expected one of {sorted(STREAMS)}")
    spec = STREAMS[stream]
    if len(key) != len(spec.key):
        raise TypeError(f"stream {stream!r} is indexed by {spec.key}: got {len(key)} indices {key}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed <= MAX_SEED:
        raise UserError(f"seed {seed!r}: expected an integer in [0, {MAX_SEED}]")
    if any(not 0 <= int(k) < 2**32 for k in key):  # (an index of two words would be another key's two indices)
        raise ValueError(f"stream {stream!r} index {key}: expected indices in [0, 2**32)")
    words = np.random.SeedSequence(int(seed), spawn_key=(spec.id, *map(int, key))).generate_state(2, np.uint32)
    return int(words[0]) | int(words[1]) << 32


def torch_generator(seed: int, stream: str, *key: int, device: torch.device | str | None = None) -> torch.Generator:
    """A torch generator (on `device`, default the CPU) seeded with `stream_seed(seed, stream, *key)`."""
    return torch.Generator(device=device or "cpu").manual_seed(stream_seed(seed, stream, *key))


def numpy_generator(seed: int, stream: str, *key: int) -> np.random.Generator:
    """A numpy generator seeded with `stream_seed(seed, stream, *key)`."""
    return np.random.default_rng(stream_seed(seed, stream, *key))


def portable_generator_state(
    gen: torch.Generator, saved: torch.Tensor, seed: int, stream: str, step: int
) -> tuple[torch.Tensor, bool]:
    """A state for `gen.set_state`: `saved` (a `get_state()` loaded on any device) when it fits `gen`, and True;
    else, with False, the state of a generator of `gen`'s device seeded from stream `device_change` at
    (`stream`'s id, `step`). The CPU's generator (Mersenne Twister, 5,056 bytes of state) and CUDA's (Philox, 16
    bytes) cannot take each other's state, so a run resumed on the other device type draws a new stream from
    there on, derived from its seed and the step, and the caller says so."""
    saved = saved.to("cpu", torch.uint8)
    if saved.numel() == gen.get_state().numel():
        return saved, True
    fresh = torch.Generator(device=gen.device)
    fresh.manual_seed(stream_seed(seed, "device_change", STREAMS[stream].id, step))
    return fresh.get_state(), False
