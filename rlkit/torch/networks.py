"""Networks: MLP, EnsembleMLP (twin critics, per-task behaviour SAC), tanh-Gaussian policy.

Initialisation follows the reference (csro.md 4.2): hidden weights uniform in +-1/sqrt(fan)
with fan = the weight's *output* size (the reference reads `weight.size(0)` of an
[out, in] matrix), hidden biases 0.1, last layer weights and biases uniform in +-init_w.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import torch
from torch import nn
from torch.nn import functional as F

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


class MLP(nn.Module):
    """Linear/ReLU stack; `output_activation` applied to the last layer (e.g. torch.tanh)."""

    def __init__(self, sizes: Sequence[int], output_activation=None, init_w: float = 3e-3,
                 generator: torch.Generator | None = None):
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(i, o) for i, o in zip(sizes[:-1], sizes[1:]))
        for layer in self.layers[:-1]:
            _init_hidden_(layer.weight, layer.bias, layer.weight.shape[0], generator)
        _init_last_(self.layers[-1].weight, self.layers[-1].bias, init_w, generator)
        self.output_activation = output_activation

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        lead = x.shape[:-1]
        x = x.reshape(-1, x.shape[-1])  # 2-D inputs take the fused addmm path (3-D ones are ~2x slower)
        for layer in self.layers[:-1]:
            x = F.relu(layer(x), inplace=True)
        x = self.layers[-1](x)
        x = x if self.output_activation is None else self.output_activation(x)
        return x.view(*lead, x.shape[-1])


class EnsembleMLP(nn.Module):
    """`members` independent MLPs evaluated as batched matmuls: [M, N, in] -> [M, N, out].

    A [N, in] input is shared by all members. Member m is initialised exactly like an `MLP`
    (with `generators[m]` if given), so an ensemble of one equals a plain MLP.
    """

    def __init__(self, members: int, sizes: Sequence[int], init_w: float = 3e-3,
                 generators: Sequence[torch.Generator] | None = None):
        super().__init__()
        self.members = members
        self.weights = nn.ParameterList(nn.Parameter(torch.empty(members, i, o)) for i, o in zip(sizes[:-1], sizes[1:]))
        self.biases = nn.ParameterList(nn.Parameter(torch.empty(members, 1, o)) for o in sizes[1:])
        gens = list(generators) if generators is not None else [None] * members
        last = len(self.weights) - 1
        for k, (w, b) in enumerate(zip(self.weights, self.biases)):
            for m in range(members):
                # member m as an nn.Linear-shaped [out, in] view: fan = output size (reference quirk)
                wt, bm = w.data[m].T, b.data[m, 0]
                if k < last:
                    _init_hidden_(wt, bm, w.shape[2], gens[m])
                else:
                    _init_last_(wt, bm, init_w, gens[m])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() == 2:
            x = x.unsqueeze(0).expand(self.members, -1, -1)
        last = len(self.weights) - 1
        for k, (w, b) in enumerate(zip(self.weights, self.biases)):
            x = torch.baddbmm(b, x, w)
            if k < last:
                x = F.relu(x, inplace=True)
        return x


@dataclass
class PolicyOutput:
    action: torch.Tensor  # tanh-squashed sample (or tanh(mean) when deterministic)
    log_prob: torch.Tensor  # [..., 1]
    mean: torch.Tensor
    log_std: torch.Tensor
    pre_tanh: torch.Tensor


def tanh_gaussian(mean: torch.Tensor, log_std: torch.Tensor, noise: torch.Tensor | None) -> PolicyOutput:
    """Reparameterised tanh-Gaussian sample; `noise=None` gives the deterministic action tanh(mean).

    log pi(a) = log N(u; mean, std) - sum log(1 - tanh(u)^2 + 1e-6), u the pre-tanh value.
    """
    std = log_std.exp()
    pre = mean if noise is None else mean + std * noise
    action = torch.tanh(pre)
    gauss = -0.5 * ((pre - mean) / std) ** 2 - log_std - 0.5 * math.log(2 * math.pi)
    log_prob = (gauss - torch.log(1 - action ** 2 + 1e-6)).sum(-1, keepdim=True)
    return PolicyOutput(action, log_prob, mean, log_std, pre)


class TanhGaussianPolicy(nn.Module):
    """pi(a | s, z): an MLP trunk with mean and log-std heads (one linear layer of 2|A| outputs)."""

    def __init__(self, input_size: int, action_dim: int, hidden: Sequence[int], generator: torch.Generator | None = None):
        super().__init__()
        self.action_dim = action_dim
        self.net = MLP([input_size, *hidden, 2 * action_dim], init_w=1e-3, generator=generator)

    def forward(self, x: torch.Tensor, deterministic: bool = False,
                generator: torch.Generator | None = None) -> PolicyOutput:
        mean, log_std = self.net(x).chunk(2, dim=-1)
        log_std = log_std.clamp(LOG_STD_MIN, LOG_STD_MAX)
        noise = None if deterministic else torch.randn(mean.shape, generator=generator, device=mean.device, dtype=mean.dtype)
        return tanh_gaussian(mean, log_std, noise)
