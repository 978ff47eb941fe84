"""CUDA-graph capture of a training step, in one place and behind one switch (LeanRL style).

The model code and the step stay plain PyTorch; this module applies capture at one boundary,
`StepRunner`, which both stages use (stage 2's `CSROTrainer.train_step` in `rlkit.experiment`, stage 1's
`VectorSAC.update` in `rlkit.behaviour.generate`). Each call of a runner:

1. draws the step's inputs eagerly (sampling runs on the device, with the run's own generators), and
   copies them with `copy_` into static buffers allocated once (`StaticBuffers`: task ids, context,
   RL batch, BRAC's extra batches, or stage 1's batch);
2. runs the step on those buffers. With capture on CUDA, the first `warmup` calls run eagerly on a
   side stream (they are real training steps, on real samples), the next one captures the step in a
   `torch.cuda.CUDAGraph` (optimiser param groups set `capturable=True`, every generator the step
   draws from registered with `register_generator_state`) and every later call replays it. On the
   CPU there is no graph: "capture" there runs the same static-buffer path eagerly, which is what the
   CPU tests compare with the plain eager step.

What a captured step may not do is read a tensor on the host (`.item()`, `bool(t)`, `.tolist()`,
`.cpu()`, `.numpy()`, printing) or run an op whose output shape depends on data (`nonzero`, boolean
masks): `no_host_reads` raises on each of these, and the tests run every step under it on the CPU.
Losses are accumulated on the device (`DeviceSums`) and read once per iteration.

A load that replaces tensors the graph reads (an optimiser's `load_state_dict` does) or moves a
generator (`set_state`) must be followed by `StepRunner.reset`, which drops the graphs: the next
calls warm up and capture again.

The switch: unset, capture is on for a run on CUDA and off on the CPU (where it would only copy the draws into
static buffers: no graph); `CSRO_CAPTURE=1` or `0` in the environment (read once, at first use),
`use_capture(True/False)` in the process, or the entry scripts' `--capture` / `--eager` decide it for either device.
The CUDA default is on since an H200 ran the CUDA tests passing (captured against eager within 1e-5 over 50 steps
for CSRO and BRAC, whole runs of CORRO's stages, UNICORN_SUP and BOREL, resume; docs/results/point-robot-gpu.md).

Fusion, the second trick: inside a captured step every small elementwise op of a loss is still one kernel
of its own (a replay launches them back to back, but each costs its few microseconds of GPU time).
`compiled(module)` gives the module's pure loss functions compiled by `torch.compile` (whole-graph, fixed
shapes), which fuses each loss's elementwise work, forward and backward, into a few kernels; stage 2's
trainer calls its losses through it when `CSRO_FUSE=1` (or `use_fusion(True)`). Off by default: on an
H200 it took the captured step from 3.34 to 3.10 ms, against compiling at the start of a run (about 30 s per
loss on a 2-core CPU), and its kernels sum in another order, so a fused run matches a plain one to float
rounding, not step for step. The plain functions stay the reference; the tests compare the two. On the CPU,
inductor's vector width is pinned in its config so that its graph cache keys on it (`inductor_options`).
"""

from __future__ import annotations

import dataclasses
import inspect
import os
import weakref
from collections.abc import Callable, Hashable, Iterable, Sequence
from types import ModuleType, SimpleNamespace
from typing import Any

import torch
from torch.overrides import TorchFunctionMode
from torch.utils._python_dispatch import TorchDispatchMode

from rlkit.switch import Switch

ENV_VAR = "CSRO_CAPTURE"
WARMUP_STEPS = 3
_SWITCH = Switch(ENV_VAR, None, on="CUDA-graph capture", off="eager steps", unset="capture on CUDA, eager on the CPU")
FUSE_ENV_VAR = "CSRO_FUSE"
_FUSE = Switch(FUSE_ENV_VAR, default=False, on="losses compiled by torch.compile", off="plain losses")


def use_capture(on: bool | None) -> None:
    """Turn capture on or off for this process; None goes back to what `CSRO_CAPTURE` says."""
    _SWITCH.set(on)


def request_capture(on: bool | None) -> None:
    """An entry script's `--capture` (True) or `--eager` (False): turn capture on or off here and in the processes
    this one starts (through the environment); without either flag (None), leave the switch as `CSRO_CAPTURE` says."""
    if on is not None:
        os.environ[ENV_VAR] = "1" if on else "0"
        use_capture(on)


def capture_on(device: torch.device | str) -> bool:
    """Whether a step on `device` is captured: as `use_capture` or `CSRO_CAPTURE` say, else on CUDA only."""
    on = _SWITCH()
    return torch.device(device).type == "cuda" if on is None else on


def use_fusion(on: bool | None) -> None:
    """Turn fusion (the trainer's losses through `compiled`) on or off here; None: what `CSRO_FUSE` says."""
    _FUSE.set(on)


def fusion_on() -> bool:
    """Whether stage 2's trainer compiles its losses (`use_fusion`, else `CSRO_FUSE`, default off)."""
    return _FUSE()


def describe(capture: bool, device: torch.device, named: bool = False, fused: bool = False) -> str:
    """What a run's first line says about capture on `device` (`named`: the device first, "cuda:0, capture off";
    `fused`: the losses are compiled, ", losses compiled" after it)."""
    if named:
        return f"{device}, {describe(capture, device, fused=fused)}"
    if fused:
        return f"{describe(capture, device)}, losses compiled"
    if not capture:
        return "capture off"
    if device.type == "cuda":
        return "capture on (CUDA graph)"
    return "capture on (static buffers; no CUDA graph on the CPU)"


def compiled(module: ModuleType) -> SimpleNamespace:
    """The public functions defined in `module`, each through `torch.compile(fullgraph=True, dynamic=False)`:
    one graph per loss and input shape (a step calls each loss with the same shapes every time), no graph
    breaks allowed. Compilation happens at each loss's first call; on CUDA that is in the warm-up steps, before
    the step is captured, so the graph records the compiled kernels. Inductor's CPU vector width is pinned
    (`inductor_options`)."""
    options = inductor_options()
    return SimpleNamespace(
        **{
            name: torch.compile(fn, fullgraph=True, dynamic=False, options=options)
            for name, fn in vars(module).items()
            if inspect.isfunction(fn) and fn.__module__ == module.__name__ and not name.startswith("_")
        }
    )


def inductor_options() -> dict[str, Any]:
    """Inductor's CPU vector width written into its config, at the width it picks by itself now (its
    `cpp.simdlen` if set, else what `ATEN_CPU_CAPABILITY` or the CPU allows; 0 for scalar code). Torch's on-disk
    graph cache keys on the config but not on the width picked: without the pin, a loss compiled under AVX-512
    is served from the cache to a later process that picked AVX2 (`ATEN_CPU_CAPABILITY=avx2`, or a cache folder
    shared by hosts of both kinds) and computes wrong values there (measured with torch 2.13: CLUB's bound
    13.67 for 0.59)."""
    from torch._inductor import cpu_vec_isa  # private: where inductor decides its width

    return {"cpp.simdlen": cpu_vec_isa.pick_vec_isa().bit_width()}


# ---- the capture-safety guard ---------------------------------------------------------------------------
class HostReadError(RuntimeError):
    """A tensor was read on the host (or a data-dependent shape was asked for) inside `no_host_reads`."""


_HOST_READS = {
    torch.Tensor.item,
    torch.Tensor.tolist,
    torch.Tensor.numpy,
    torch.Tensor.cpu,
    torch.Tensor.__bool__,
    torch.Tensor.__int__,
    torch.Tensor.__float__,
    torch.Tensor.__index__,
    torch.Tensor.__repr__,
    torch.Tensor.__str__,
    torch.Tensor.__format__,
    torch.Tensor.__array__,
}
_aten = torch.ops.aten
# ops that read a value on the host, or size their output by the data (a sync on CUDA)
_SYNC_OPS = {
    _aten._local_scalar_dense.default,
    _aten.is_nonzero.default,
    _aten.equal.default,
    _aten.allclose.default,  # (a Python bool)
    _aten.bincount.default,  # (as long as the largest value)
    _aten.nonzero.default,
    _aten.masked_select.default,
    _aten._unique2.default,
    _aten.unique_dim.default,
    _aten.unique_consecutive.default,
    _aten.repeat_interleave.Tensor,
}


def _masks_by_data(func, args) -> bool:
    """Indexing with a boolean mask (`t[t > 0]`, `t[mask] = x`): its size depends on the data."""
    if func not in (
        _aten.index.Tensor,
        _aten.index_put.default,
        _aten.index_put_.default,
        _aten._index_put_impl_.default,
    ):
        return False
    return any(i is not None and i.dtype in (torch.bool, torch.uint8) for i in args[1])


def _reads_to_host(func, args, kwargs) -> bool:
    """A copy of a device tensor into host memory (`.to('cpu')`, `copy_` into a CPU tensor)."""
    if func in (_aten._to_copy.default,) and isinstance(args[0], torch.Tensor) and args[0].device.type != "cpu":
        return torch.device(kwargs.get("device") or args[0].device).type == "cpu"
    if func is _aten.copy_.default:
        return args[0].device.type == "cpu" and args[1].device.type != "cpu"
    return False


class _FunctionGuard(TorchFunctionMode):
    def __init__(self, allowed: set[int]):
        super().__init__()
        self.allowed = allowed

    def __torch_function__(self, func, types, args=(), kwargs=None):
        if func in _HOST_READS and not (args and id(args[0]) in self.allowed):
            raise HostReadError(f"host read of a tensor inside a capturable step: Tensor.{func.__name__}")
        return func(*args, **(kwargs or {}))


class _DispatchGuard(TorchDispatchMode):
    def __init__(self, allowed: set[int]):
        super().__init__()
        self.allowed = allowed

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if (
            (func in _SYNC_OPS and not (args and id(args[0]) in self.allowed))
            or _masks_by_data(func, args)
            or _reads_to_host(func, args, kwargs)
        ):
            raise HostReadError(f"host synchronisation inside a capturable step: aten op {func}")
        return func(*args, **kwargs)


class no_host_reads:  # noqa: N801 (a context manager, named for the `with` line)
    """`with no_host_reads(): step()` raises `HostReadError` on any host read of a tensor or data-sized op.

    `allowed`: tensors that may be read (an optimiser's host-side step counter: Adam without
    `capturable` keeps it on the CPU and reads it there, which is no device sync; with `capturable`,
    as under capture, it stays on the device and is not read)."""

    def __init__(self, allowed: Iterable[torch.Tensor] = ()):
        ids = {id(t) for t in allowed}
        self.modes = (_FunctionGuard(ids), _DispatchGuard(ids))

    def __enter__(self):
        for m in self.modes:
            m.__enter__()
        return self

    def __exit__(self, *exc):
        for m in reversed(self.modes):
            m.__exit__(*exc)
        return False


def host_step_counters(optimizers: Iterable[torch.optim.Optimizer]) -> list[torch.Tensor]:
    """The optimisers' step counters that live on the CPU (see `no_host_reads`'s `allowed`)."""
    return [
        s["step"]
        for o in optimizers
        for s in o.state.values()
        if isinstance(s.get("step"), torch.Tensor) and s["step"].device.type == "cpu"
    ]


# ---- static buffers and device-side sums ---------------------------------------------------------------------
class StaticBuffers:
    """A nest of tensors (tensors, lists, tuples, dicts, dataclasses such as `RLBatch`) allocated once and
    refilled in place: what a captured graph reads."""

    def __init__(self):
        self.static: Any = None

    def fill(self, tree: Any) -> Any:
        """Copy `tree` into the buffers (allocating them on the first call); returns the static nest."""
        if self.static is None:
            self.static = _map(lambda t: t.detach().clone(), tree)
        else:
            _copy_into(self.static, tree)
        return self.static


def _map(fn: Callable[[torch.Tensor], torch.Tensor], tree: Any) -> Any:
    if isinstance(tree, torch.Tensor):
        return fn(tree)
    if dataclasses.is_dataclass(tree):
        return dataclasses.replace(tree, **{f.name: _map(fn, getattr(tree, f.name)) for f in dataclasses.fields(tree)})
    if isinstance(tree, dict):
        return {k: _map(fn, v) for k, v in tree.items()}
    if isinstance(tree, (list, tuple)):
        items = [_map(fn, v) for v in tree]
        return type(tree)(*items) if hasattr(tree, "_fields") else type(tree)(items)  # a namedtuple takes fields
    return tree


def _copy_into(static: Any, tree: Any) -> None:
    if isinstance(static, torch.Tensor):
        if static.shape != tree.shape:
            raise ValueError(
                f"a step input changed shape from {tuple(static.shape)} to {tuple(tree.shape)}: "
                "expected the same shapes every step (static buffers)"
            )
        static.copy_(tree)
    elif dataclasses.is_dataclass(static):
        for f in dataclasses.fields(static):
            _copy_into(getattr(static, f.name), getattr(tree, f.name))
    elif isinstance(static, dict):
        for k in static:
            _copy_into(static[k], tree[k])
    elif isinstance(static, (list, tuple)):
        if len(static) != len(tree):
            raise ValueError(f"a step input changed length from {len(static)} to {len(tree)}")
        for s, t in zip(static, tree):
            _copy_into(s, t)


class DeviceSums:
    """Per-name running sums kept on the device, added in place (inside a captured step, too) and read
    once per iteration."""

    def __init__(self, names: Sequence[str], device: torch.device):
        self.values = {k: torch.zeros((), device=device) for k in names}

    def add(self, source: Any) -> None:
        """Add `getattr(source, name)` to each sum, in place."""
        for k, v in self.values.items():
            v.add_(getattr(source, k))

    def zero_(self) -> None:
        for v in self.values.values():
            v.zero_()


# ---- the runner -------------------------------------------------------------------------------------------
def make_capturable(optimizers: Iterable[torch.optim.Optimizer], on: bool = True) -> None:
    """`capturable=on` on every param group, and with `on` each step counter on its parameter's device. A
    loaded state dict brings back the saved groups' setting: a CUDA run's `True`, which Adam refuses on the
    CPU, or a CPU run's `False` with CPU counters, which capture refuses."""
    for opt in optimizers:
        for group in opt.param_groups:
            group["capturable"] = on
            for p in group["params"] if on else ():
                state = opt.state.get(p, {})
                if isinstance(state.get("step"), torch.Tensor) and state["step"].device != p.device:
                    state["step"] = state["step"].to(p.device)


class StepRunner:
    """Runs `step(inputs, key)` once per call on freshly drawn `inputs`: eagerly on them (`capture=False`),
    or on static copies of them (`capture=True`), replaying one CUDA graph per `key` on CUDA.

    `key` names the step's Python branches (stage 1: whether the actor and the target update this
    step; stage 2: CORRO's stage, `CSROTrainer.branch`, else None); a step must take the same branches
    for the same key, and decide them from host values alone. `generators`: every generator the
    step draws from, other than CUDA's default; `optimizers`: every optimiser it steps. `keys_return` False: a
    key once left is not seen again (CORRO's stages follow one another), so its graph, and the GPU memory pool the
    graph holds, is dropped when the next key begins, after a wait for the GPU to finish its queued replays (a key
    that came back would be warmed up and captured again)."""

    def __init__(
        self,
        step: Callable[[Any, Hashable], Any],
        device: torch.device,
        capture: bool,
        generators: Sequence[torch.Generator] = (),
        optimizers: Sequence[torch.optim.Optimizer] = (),
        warmup: int = WARMUP_STEPS,
        keys_return: bool = True,
    ):
        # a method of the runner's owner is held weakly: owner -> runner -> owner would be a reference cycle, which
        # keeps a dropped owner (its replay buffers, networks, graphs' memory pools) alive until a cycle collection
        self._step = weakref.WeakMethod(step) if inspect.ismethod(step) else lambda: step
        self.device, self.capture = torch.device(device), capture
        self.generators, self.optimizers, self.warmup = list(generators), list(optimizers), warmup
        self.keys_return = keys_return
        self.graphed = self.capture and self.device.type == "cuda"
        self.buffers = StaticBuffers()
        self.reset()

    def step_fn(self, inputs: Any, key: Hashable) -> Any:
        step = self._step()
        if step is None:
            raise ReferenceError("the step's owner was freed: build a StepRunner from a method of an object kept alive")
        return step(inputs, key)

    def reset(self) -> None:
        """Drop every graph (after a load replaced tensors or generator states they read): warm up and capture anew."""
        self.graphs: dict[Hashable, tuple[Any, Any]] = {}  # key -> (graph, its static output)
        self.warm: dict[Hashable, int] = {}
        self.prepared = False  # make_capturable done since the last load

    def __call__(self, inputs: Any, key: Hashable = None) -> Any:
        if not self.keys_return and key not in self.warm:  # a new key: the ones before it are done with
            if self.graphs:  # (once a stage: their last replays may still be queued, so they finish first)
                torch.cuda.synchronize(self.device)
            self.graphs.clear()
            self.warm = {key: 0}
        if not self.prepared:
            # on CUDA the optimisers are capturable captured or not, so that both run the same update
            make_capturable(self.optimizers, on=self.device.type == "cuda")
            self.prepared = True
        if not self.capture:
            return self.step_fn(inputs, key)
        static = self.buffers.fill(inputs)
        if not self.graphed:
            return self.step_fn(static, key)
        # the run's GPU current throughout: a capture records the current device's streams only, so a step on
        # cuda:1 captured with cuda:0 current would run once, unrecorded, and replay as nothing
        with torch.cuda.device(self.device):
            if key in self.graphs:
                graph, out = self.graphs[key]
                graph.replay()
                return out
            if self.warm.get(key, 0) < self.warmup:
                self.warm[key] = self.warm.get(key, 0) + 1
                return self._on_side_stream(lambda: self.step_fn(static, key))
            return self._capture(static, key)

    def _on_side_stream(self, fn: Callable[[], Any]) -> Any:
        """Warm-up: run `fn` on a side stream (what CUDA graphs ask for before capture)."""
        current = torch.cuda.current_stream(self.device)
        side = torch.cuda.Stream(self.device)
        side.wait_stream(current)
        with torch.cuda.stream(side):
            out = fn()
        current.wait_stream(side)
        return out

    def _capture(self, static: Any, key: Hashable) -> Any:
        """Capture the step on `static` in a new graph, then replay it once (capture itself runs nothing)."""
        graph = torch.cuda.CUDAGraph()
        for gen in self.generators:
            graph.register_generator_state(gen)
        # a stream of the run's device (torch.cuda.graph's own default is made once, on whichever device was current)
        with torch.cuda.graph(graph, stream=torch.cuda.Stream(self.device)):
            out = self.step_fn(static, key)
        self.graphs[key] = (graph, out)
        graph.replay()
        return out
