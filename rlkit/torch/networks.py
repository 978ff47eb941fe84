"""Networks: MLP, EnsembleMLP (twin critics, per-task behaviour SAC), tanh-Gaussian policy.

Initialisation follows the reference (docs/algorithm.md, "Networks"): hidden weights uniform in +-1/sqrt(fan)
with fan = the weight's *output* size (the reference reads `weight.size(0)` of an
[out, in] matrix), hidden biases 0.1, last layer weights and biases uniform in +-init_w.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

from rlkit.torch import cpu_kernels

LOG_STD_MIN, LOG_STD_MAX = -20.0, 0.0


def _init_hidden_(weight: torch.Tensor, bias: torch.Tensor, fan: int, generator: torch.Generator | None) -> None:
    bound = 1.0 / math.sqrt(fan)
    with torch.no_grad():
        weight.uniform_(-bound, bound, generator=generator)
        bias.fill_(0.1)


def _init_last_(weight: torch.Tensor, bias: torch.Tensor, init_w: float, generator: torch.Generator | None) -> None:
    with torch.no_grad():
        weight.uniform_(-init_w, init_w, generator=generator)
        bias.uniform_(-init_w, init_w, generator=generator)


def _init_orthogonal_(weight: torch.Tensor, bias: torch.Tensor, generator: torch.Generator | None) -> None:
    """pytorch_sac's `weight_init`: orthogonal [out, in] weight (gain 1), zero bias."""
    with torch.no_grad():
        q = torch.empty(weight.shape)
        nn.init.orthogonal_(q, generator=generator)
        weight.copy_(q)
        bias.zero_()


def _hidden_layer(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """relu(x @ weight + bias) of a hidden layer: x [N, in], weight [in, out], bias [out]; or an ensemble,
    x [M, N, in], weight [M, in, out], bias [M, 1, out]. The one place where the CPU kernels
    (`rlkit.torch.cpu_kernels`, same values up to float rounding) take over when switched on for x's device."""
    if cpu_kernels.enabled_for(x):
        return cpu_kernels.hidden_layer(x, weight, bias)
    if x.dim() == 2:
        return F.relu(F.linear(x, weight.mT, bias))
    return F.relu(torch.baddbmm(bias, x, weight))


def _maybe_detach(t: torch.Tensor, detach: bool) -> torch.Tensor:
    return t.detach() if detach else t


class MLP(nn.Module):
    """Linear/ReLU stack; `output_activation` applied to the last layer (e.g. torch.tanh)."""

    def __init__(
        self,
        sizes: Sequence[int],
        output_activation=None,
        init_w: float = 3e-3,
        generator: torch.Generator | None = None,
    ):
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(i, o) for i, o in zip(sizes[:-1], sizes[1:]))
        for layer in self.layers[:-1]:
            _init_hidden_(layer.weight, layer.bias, layer.weight.shape[0], generator)
        _init_last_(self.layers[-1].weight, self.layers[-1].bias, init_w, generator)
        self.output_activation = output_activation

    def forward(self, x: torch.Tensor, frozen: bool = False) -> torch.Tensor:
        """`frozen`: treat the weights as constants (no gradient reaches them; see `EnsembleMLP`)."""
        lead = x.shape[:-1]
        x = x.reshape(-1, x.shape[-1])  # 2-D: one fused matmul per layer (3-D inputs take slower paths)
        params = [(_maybe_detach(layer.weight, frozen), _maybe_detach(layer.bias, frozen)) for layer in self.layers]
        for w, b in params[:-1]:
            x = _hidden_layer(x, w.T, b)
        x = F.linear(x, *params[-1])
        x = x if self.output_activation is None else self.output_activation(x)
        return x.view(*lead, x.shape[-1])


class EnsembleMLP(nn.Module):
    """`members` independent MLPs evaluated as batched matmuls: [M, N, in] -> [M, N, out].

    A [N, in] input is shared by all members. With `init="rlkit"` (the CSRO networks) member m is
    initialised as an `MLP` is (with `generators[m]` if given): the same bounds and the same number of
    draws, but filled into the [in, out] layout, so an ensemble of one holds an MLP's values in another
    arrangement (kept so: changing it would change every run's initial weights). `init="orthogonal"` is
    pytorch_sac's `utils.weight_init`, which the reference's stage-1 SAC uses: every weight orthogonal (gain 1,
    on the [out, in] matrix), every bias 0.
    """

    def __init__(
        self,
        members: int,
        sizes: Sequence[int],
        init_w: float = 3e-3,
        generators: Sequence[torch.Generator] | None = None,
        init: str = "rlkit",
    ):
        super().__init__()
        if init not in ("rlkit", "orthogonal"):
            raise ValueError(f"init {init!r}: expected 'rlkit' or 'orthogonal'")
        self.members = members
        self.weights = nn.ParameterList(nn.Parameter(torch.empty(members, i, o)) for i, o in zip(sizes[:-1], sizes[1:]))
        self.biases = nn.ParameterList(nn.Parameter(torch.empty(members, 1, o)) for o in sizes[1:])
        gens = list(generators) if generators is not None else [None] * members
        last = len(self.weights) - 1
        for k, (w, b) in enumerate(zip(self.weights, self.biases)):
            for m in range(members):
                # member m as an nn.Linear-shaped [out, in] view: fan = output size (reference quirk)
                wt, bm = w.data[m].T, b.data[m, 0]
                if init == "orthogonal":
                    _init_orthogonal_(wt, bm, gens[m])
                elif k < last:
                    _init_hidden_(wt, bm, w.shape[2], gens[m])
                else:
                    _init_last_(wt, bm, init_w, gens[m])

    def forward(self, x: torch.Tensor, frozen: bool = False) -> torch.Tensor:
        """`frozen`: treat the weights as constants, e.g. a critic evaluated for the actor's loss.
        The result is the same; only the gradient w.r.t. x is built, so a backward does not
        spend matmuls on weight gradients nobody reads."""
        if x.dim() == 2:
            x = x.unsqueeze(0).expand(self.members, -1, -1)
        ws = [_maybe_detach(w, frozen) for w in self.weights]
        bs = [_maybe_detach(b, frozen) for b in self.biases]
        for w, b in zip(ws[:-1], bs[:-1]):
            x = _hidden_layer(x, w, b)
        return torch.baddbmm(bs[-1], x, ws[-1])


@dataclass
class PolicyOutput:
    action: torch.Tensor  # tanh-squashed sample (or tanh(mean) when deterministic)
    log_prob: torch.Tensor  # [..., 1]
    mean: torch.Tensor
    log_std: torch.Tensor
    pre_tanh: torch.Tensor


def tanh_gaussian(
    mean: torch.Tensor, log_std: torch.Tensor, noise: torch.Tensor | None, exact_log_det: bool = False
) -> PolicyOutput:
    """Reparameterised tanh-Gaussian sample; `noise=None` gives the deterministic action tanh(mean).

    log pi(a) = log N(u; mean, std) - sum log|d tanh(u)/du|, u the pre-tanh value, with the
    log-det written as the CSRO policy writes it, log(1 - tanh(u)^2 + 1e-6), or with
    `exact_log_det` in pytorch_sac's exact closed form 2 (log 2 - u - softplus(-2u)) (stage 1).
    """
    std = log_std.exp()
    pre = mean if noise is None else mean + std * noise
    action = torch.tanh(pre)
    gauss = -0.5 * ((pre - mean) / std) ** 2 - log_std - 0.5 * math.log(2 * math.pi)
    if exact_log_det:
        log_det = 2.0 * (math.log(2.0) - pre - F.softplus(-2.0 * pre))
    else:
        log_det = torch.log(1 - action**2 + 1e-6)
    log_prob = (gauss - log_det).sum(-1, keepdim=True)
    return PolicyOutput(action, log_prob, mean, log_std, pre)


class TanhGaussianPolicy(nn.Module):
    """pi(a | s, z): an MLP trunk with mean and log-std heads (one linear layer of 2|A| outputs)."""

    def __init__(
        self, input_size: int, action_dim: int, hidden: Sequence[int], generator: torch.Generator | None = None
    ):
        super().__init__()
        self.action_dim = action_dim
        self.net = MLP([input_size, *hidden, 2 * action_dim], init_w=1e-3, generator=generator)

    def forward(
        self, x: torch.Tensor, deterministic: bool = False, generator: torch.Generator | None = None
    ) -> PolicyOutput:
        mean, log_std = self.net(x).chunk(2, dim=-1)
        log_std = log_std.clamp(LOG_STD_MIN, LOG_STD_MAX)
        noise = (
            None
            if deterministic
            else torch.randn(mean.shape, generator=generator, device=mean.device, dtype=mean.dtype)
        )
        return tanh_gaussian(mean, log_std, noise)
