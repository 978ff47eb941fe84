"""Named random streams (rlkit/seeding.py): distinct seeds for every stream, index and run seed."""

import re
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from rlkit.errors import UserError
from rlkit.seeding import MAX_SEED, STREAMS, numpy_generator, portable_generator_state, stream_seed, torch_generator
from tests.conftest import ROOT

# The indices the code uses, over generous realistic ranges: meta-test runs (num_evals: 2 in the shipped
# configs), iterations (105 at most), a checkpoint's or --regenerate's envs (n_trj 50), tasks (40 at
# most), checkpoint steps (the point robot's and the MuJoCo families' schedules).
KEY_RANGES = {
    "run": range(20),
    "iteration": range(500),
    "env": range(64),
    "task": range(64),
    "checkpoint": [*range(2000, 5001, 200), *range(50_000, 1_000_001, 50_000)],
    "stream": range(19),  # device_change: a stream's id, then the iteration or step it resumed at
    "step": [*range(100), *range(5000, 1_000_001, 5000)],
}
SEEDS = range(10)


def shared_seeds(derive, streams: dict[str, tuple[str, ...]]) -> list[str]:
    """'a and b' for every pair of (seed, stream, index) that `derive(seed, stream, *key)` gives the same seed."""
    seen: dict[int, str] = {}
    out = []
    for seed in SEEDS:
        for name, key in streams.items():
            for index in np.ndindex(*(len(KEY_RANGES[k]) for k in key)):
                values = tuple(KEY_RANGES[k][i] for k, i in zip(key, index))
                s, who = derive(seed, name, *values), f"seed {seed} {name}{list(values)}"
                if s in seen:
                    out.append(f"{seen[s]} and {who}")
                seen.setdefault(s, who)
    return out


def test_no_two_streams_of_seeds_0_to_9_share_a_seed():
    shared = shared_seeds(stream_seed, {name: s.key for name, s in STREAMS.items()})
    assert not shared, f"{len(shared)} shared seeds, e.g. {shared[:3]}"


def test_the_check_sees_the_arithmetic_it_replaced():
    """The arithmetic of before (seed for policy noise, seed + 1 for initialisation, seed + 7 for
    sampling, seed * 1000 + r for eval envs) fails the same check: seed 0's init is seed 1's noise."""
    old = {
        "train_noise": lambda s: s,
        "init": lambda s: s + 1,
        "batch_sampling": lambda s: s + 7,
        "eval_envs": lambda s, r: s * 1000 + r,
    }
    shared = shared_seeds(
        lambda seed, name, *key: old[name](seed, *key),
        {"train_noise": (), "init": (), "batch_sampling": (), "eval_envs": ("run",)},
    )
    assert "seed 0 init[] and seed 1 train_noise[]" in shared


def test_stream_ids_are_unique_and_keys_are_known():
    ids = [s.id for s in STREAMS.values()]
    assert len(set(ids)) == len(ids)
    assert {k for s in STREAMS.values() for k in s.key} <= set(KEY_RANGES)


def test_a_stream_takes_exactly_its_indices():
    with pytest.raises(TypeError, match="indexed by"):
        stream_seed(0, "eval_envs")
    with pytest.raises(TypeError, match="indexed by"):
        stream_seed(0, "init", 3)
    with pytest.raises(KeyError, match="unknown random stream"):
        stream_seed(0, "nosuch")
    with pytest.raises(UserError, match=r"seed -1: expected an integer in \[0, 4294967295\]"):
        stream_seed(-1, "init")
    with pytest.raises(
        ValueError, match=r"stream 'eval_envs' index \(4294967296,\): expected indices in \[0, 2\*\*32\)"
    ):
        stream_seed(0, "eval_envs", 2**32)


def test_a_seed_beyond_max_seed_is_refused_not_another_seeds_stream():
    """SeedSequence pads a seed to 4 32-bit words before the spawn key: seed 3 * 2**128 + 7's `init` stream was seed
    7's `eval_envs` stream of run 0 (the words [7, 0, 0, 0, 3] + [0] against [7, 0, 0, 0] + [3, 0]); an index of
    two words, likewise, another key's two indices. Every seed option stops at MAX_SEED, and so does the derivation."""
    words = np.random.SeedSequence(3 * 2**128 + 7, spawn_key=(0,)).generate_state(2, np.uint32)
    assert int(words[0]) | int(words[1]) << 32 == stream_seed(7, "eval_envs", 0)  # what the check prevents
    assert stream_seed(MAX_SEED, "init") != stream_seed(0, "init")
    for seed in (MAX_SEED + 1, 3 * 2**128 + 7):
        with pytest.raises(UserError, match=rf"seed {seed}: expected an integer in \[0, 4294967295\]"):
            stream_seed(seed, "init")


def test_generators_follow_the_stream_seed():
    s = stream_seed(3, "eval_np_policy", 5)
    want = torch.randn(4, generator=torch.Generator().manual_seed(s))
    assert torch.equal(torch.randn(4, generator=torch_generator(3, "eval_np_policy", 5)), want)
    assert (
        numpy_generator(3, "eval_np_random", 5).random()
        == np.random.default_rng(stream_seed(3, "eval_np_random", 5)).random()
    )
    assert 0 <= s < 2**64 and stream_seed(3, "eval_np_policy", 5) == s  # a pure function of its arguments


def test_the_docs_table_lists_every_stream():
    """docs/algorithm.md's table of random streams names each stream with its id and key, and no other."""
    text = (ROOT / "docs" / "algorithm.md").read_text()
    section = text[text.index("## Random streams") :]
    rows = re.findall(r"^\| `(\w+)` \| (\d+) \| ([^|]*) \|", section, flags=re.M)
    assert {name: int(i) for name, i, _ in rows} == {name: s.id for name, s in STREAMS.items()}
    for name, _, key in rows:
        assert re.findall(r"\w+", key) == list(STREAMS[name].key) or key.strip() == "-" and not STREAMS[name].key


def test_a_saved_generator_state_that_fits_comes_back_as_it_was():
    gen = torch_generator(3, "train_noise")
    torch.randn(5, generator=gen)
    saved = gen.get_state()
    state, fits = portable_generator_state(torch.Generator(), saved, 3, "train_noise", 7)
    assert fits and torch.equal(state, saved)


def test_a_state_of_the_other_device_type_gives_the_device_change_stream():
    """A CUDA generator's state (Philox: 16 bytes) cannot go into a CPU generator (5,056 bytes) and the
    reverse: the generator is then seeded from `device_change` at (the stream's id, the step)."""
    cuda_like = torch.zeros(16, dtype=torch.uint8)
    gen = torch.Generator()
    state, fits = portable_generator_state(gen, cuda_like, 3, "batch_sampling", 7)
    assert not fits
    gen.set_state(state)
    want = torch.Generator().manual_seed(stream_seed(3, "device_change", STREAMS["batch_sampling"].id, 7))
    assert torch.equal(torch.randn(4, generator=gen), torch.randn(4, generator=want))
    other_step, _ = portable_generator_state(gen, cuda_like, 3, "batch_sampling", 8)
    assert not torch.equal(other_step, state)


def test_a_cpu_state_does_not_fit_a_cuda_generator():
    """A saved generator state fits a generator only with as many bytes as its own, so a CPU generator's 5,056-byte
    state does not fit a CUDA generator's 16 (Philox). A check of `>=` took it as fitting, so a run saved on the CPU and
    resumed on a GPU did not draw the `device_change` stream it should (set_state then fails, or a state of another
    generator type is loaded). The CUDA generator is stood in for by one whose state has 16 bytes."""
    cuda_like = SimpleNamespace(get_state=lambda: torch.zeros(16, dtype=torch.uint8), device=torch.device("cpu"))
    cpu_state = torch_generator(3, "batch_sampling").get_state()
    state, fits = portable_generator_state(cuda_like, cpu_state, 3, "batch_sampling", 7)
    assert not fits
    want = torch.Generator().manual_seed(stream_seed(3, "device_change", STREAMS["batch_sampling"].id, 7))
    assert torch.equal(state, want.get_state())


def test_a_seed_may_be_a_numpy_integer_but_not_a_bool():
    """A seed is a non-negative integer, a numpy one included (a seed read from an array or a sweep's arange), which
    derives the same streams as the int; a bool is refused (`True` is an int to Python, so a flag passed where the seed
    goes would silently train seed 1)."""
    assert stream_seed(np.int64(3), "init") == stream_seed(3, "init")
    assert stream_seed(np.uint8(3), "eval_envs", np.int32(2)) == stream_seed(3, "eval_envs", 2)
    for flag in (True, False):
        with pytest.raises(UserError, match=rf"seed {flag}: expected an integer in"):
            stream_seed(flag, "init")


class _FakeGenerator:
    """Stands in for torch.Generator where a CUDA device is needed: records its device and seed."""

    made: list = []

    def __init__(self, device=None):
        self.device, self.seed = device, None
        _FakeGenerator.made.append(self)

    def manual_seed(self, seed):
        self.seed = seed
        return self

    def get_state(self):
        return ("state of", self.device, self.seed)


def test_a_streams_torch_generator_lives_on_the_device_asked_for(monkeypatch):
    """`torch_generator(..., device=d)` makes the generator on `d` (a CUDA run's sampling draws on the GPU), default the
    CPU; dropping the device makes a CPU generator that a CUDA `torch.rand(generator=...)` refuses. Only a CUDA host
    shows it for real; a stand-in generator class records what it was given."""
    import rlkit.seeding as seeding

    monkeypatch.setattr(seeding.torch, "Generator", _FakeGenerator)
    gen = seeding.torch_generator(3, "batch_sampling", device="cuda:1")
    assert gen.device == "cuda:1" and gen.seed == seeding.stream_seed(3, "batch_sampling")
    assert seeding.torch_generator(3, "init").device == "cpu"


def test_a_state_reseeded_for_another_device_type_is_made_on_the_generators_device(monkeypatch):
    """A CPU run's generator state resumed on a GPU is replaced by the `device_change` stream's state of a generator on
    the GPU (Philox, 16 bytes); made on the CPU instead (`torch.Generator()`), the new state is a CPU generator's 5,056
    bytes, which the CUDA generator's set_state refuses: every CPU-to-GPU resume fails. A stand-in generator class
    records the device; the CUDA generator is a stand-in with a 16-byte state."""
    import rlkit.seeding as seeding

    cpu_state = seeding.torch_generator(3, "batch_sampling").get_state()
    monkeypatch.setattr(seeding.torch, "Generator", _FakeGenerator)
    cuda_gen = SimpleNamespace(device=torch.device("cuda", 0), get_state=lambda: torch.zeros(16, dtype=torch.uint8))
    _FakeGenerator.made = []
    state, fits = seeding.portable_generator_state(cuda_gen, cpu_state, 3, "batch_sampling", 7)
    assert not fits and [g.device for g in _FakeGenerator.made] == [torch.device("cuda", 0)]
    want = seeding.stream_seed(3, "device_change", seeding.STREAMS["batch_sampling"].id, 7)
    assert state == ("state of", torch.device("cuda", 0), want)
