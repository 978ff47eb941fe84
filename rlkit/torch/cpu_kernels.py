"""Every CPU speed trick of the training step, in one place and behind one switch.

`networks.py` is plain PyTorch (`F.linear` or `baddbmm`, then `relu`) and calls `hidden_layer` here
only where `enabled_for(x)` says so: the switch is on and x lives on the CPU. On CUDA the plain
path always runs (it is what a compiled or graph-captured GPU step wants). The tricks, each equal
to the plain ops up to float rounding (tests/test_networks.py runs the equivalence tests on both paths):

- the oneDNN linear: a 2-D float32 hidden layer runs as one oneDNN matmul with the bias added in
  its epilogue (no separate bias pass), through the private op `torch.ops.mkldnn._linear_pointwise`,
  then an in-place ReLU (no second activation-sized tensor);
- the in-place gradient mask: `_HiddenLayer`'s backward masks the incoming gradient in place
  instead of allocating and writing a masked copy per hidden layer;
- `keep_freed_memory`: glibc's malloc keeps freed memory for reuse, so the step's 4-13 MB
  activations do not page-fault on fresh mmap pages every step (about 4,000 faults and 6-14 ms of
  kernel time per step at the point-robot settings; a CLUB-net fit alone goes from 74 to 55 ms).

All three against plain PyTorch, `python benchmarks/meta_train_speed.py` ("plain" beside "ours"; 1 thread
on the 2-core AMD EPYC while the host was busy): 1.82 s against 1.97 s per step (median), 75% against
70% of the probed matmul peak, 1.07-1.08x (README, "Demo results": "Speed of the training step").

Fused Adam (`torch.optim.Adam(fused=True)` in `rlkit/torch/csro/trainer.py`, ~10 ms less per step
here than the for-loop Adam) is a public option that is also the fast path on CUDA, so it stays on
on both paths and in the trainer.

The switch: `CSRO_CPU_KERNELS=0` in the environment (read once, at first use) or
`use_cpu_kernels(False)` in the process turns every trick off; on (1) is the default.
"""

from __future__ import annotations

import ctypes
import sys

import torch

from rlkit.switch import Switch

ENV_VAR = "CSRO_CPU_KERNELS"
_ONEDNN_LINEAR = torch.backends.mkldnn.is_available() and hasattr(torch.ops.mkldnn, "_linear_pointwise")
_SWITCH = Switch(ENV_VAR, default=True, on="the CPU kernels", off="plain PyTorch")


def use_cpu_kernels(on: bool | None) -> None:
    """Turn the CPU kernels on or off for this process; None goes back to what `CSRO_CPU_KERNELS` says."""
    _SWITCH.set(on)


def cpu_kernels_on() -> bool:
    """Whether the switch is on (`use_cpu_kernels`, else `CSRO_CPU_KERNELS`, default on)."""
    return _SWITCH()


def enabled_for(x: torch.Tensor) -> bool:
    """Whether a layer on x runs the CPU kernels: the switch is on and x is a CPU tensor."""
    return x.device.type == "cpu" and cpu_kernels_on()


def _hidden_forward(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """relu(x @ weight + bias). A 2-D float32 layer runs as one oneDNN matmul with the bias added in
    its epilogue, then an in-place ReLU. (oneDNN's fused ReLU epilogue would save that pass, but
    it maps NaN to 0, so a diverged network would look healthy; torch's ReLU keeps NaN.)"""
    if x.dim() == 2:
        if _ONEDNN_LINEAR and x.dtype == torch.float32:
            return torch.ops.mkldnn._linear_pointwise(x, weight.mT, bias, "none", [], "").relu_()
        return torch.addmm(bias, x, weight).relu_()
    return torch.baddbmm(bias, x, weight).relu_()


class _HiddenLayer(torch.autograd.Function):
    """y = relu(x @ W + b): x [N, in] with W [in, out], b [out]; or an ensemble, x [M, N, in],
    W [M, in, out], b [M, 1, out].

    The backward is autograd's own (mask the incoming gradient where y = 0, then the two
    matmuls and the bias sum), except that it masks the incoming gradient in place. That is
    safe only because, inside `MLP` and `EnsembleMLP`, y's one consumer is the next layer's
    matmul, whose backward returns a fresh tensor; an op that hands the same gradient tensor
    to two inputs (y + skip) would see it masked, so keep it to those two classes' hidden layers.
    Under `create_graph` (a gradient penalty) it runs out of place with differentiable ops,
    so double backward works; so it does for a gradient that is not contiguous (the expanded
    ones of `y.sum()`, whose elements share memory, would be masked wrongly in place).
    """

    @staticmethod
    def forward(ctx, x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        y = _hidden_forward(x, weight, bias)
        ctx.save_for_backward(x, weight, y)
        ctx.bias_shape = bias.shape
        return y

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        x, weight, y = ctx.saved_tensors
        if torch.is_grad_enabled() or not grad.is_contiguous():  # an expanded gradient (of a sum) shares elements
            grad = torch.ops.aten.threshold_backward(grad, y, 0.0)
        else:
            grad = torch.ops.aten.threshold_backward.grad_input(grad, y, 0.0, grad_input=grad)
        need_x, need_w, need_b = ctx.needs_input_grad
        return (
            grad @ weight.mT if need_x else None,
            x.mT @ grad if need_w else None,
            grad.sum(-2, keepdim=True).reshape(ctx.bias_shape) if need_b else None,
        )


def hidden_layer(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """relu(x @ weight + bias) of an `MLP`'s or `EnsembleMLP`'s hidden layer on the CPU (see `_HiddenLayer`)."""
    if torch.is_grad_enabled() and (x.requires_grad or weight.requires_grad or bias.requires_grad):
        return _HiddenLayer.apply(x, weight, bias)
    return _hidden_forward(x, weight, bias)


def _onednn_linear_flops(x_shape, w_shape, *args, out_shape=None, **kwargs) -> int:
    rows = 1
    for d in x_shape[:-1]:
        rows *= d
    return 2 * rows * x_shape[-1] * w_shape[0]


def flop_mapping() -> dict:
    """`torch.utils.flop_counter.FlopCounterMode`'s `custom_mapping` for the ops here that it does not know."""
    return {torch.ops.mkldnn._linear_pointwise: _onednn_linear_flops} if _ONEDNN_LINEAR else {}


_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_THRESHOLD = -1, -2, -3  # glibc mallopt parameter ids


def keep_freed_memory() -> bool:
    """Ask glibc's malloc to keep freed memory for reuse instead of returning it to the OS.

    A training step allocates and frees dozens of 4-13 MB activation and gradient tensors.
    By default glibc serves many of them with fresh mmap pages, so the matmul writing them
    page-faults (about 4,000 faults and 6-14 ms of kernel time per step at the point-robot
    settings; a CLUB-net fit alone goes from 74 to 55 ms with this setting). The process's
    resident memory then stays at its peak instead of shrinking between steps. Process-wide,
    so only the entry points call it; returns False (changing nothing) when the CPU kernels are
    switched off or malloc is not glibc.
    """
    if not cpu_kernels_on() or not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):
        return False
    settings = ((_M_MMAP_THRESHOLD, 256 << 20), (_M_TRIM_THRESHOLD, 1 << 30), (_M_TOP_PAD, 64 << 20))
    return all([mallopt(key, value) == 1 for key, value in settings])  # a list: apply every setting, no short-circuit
