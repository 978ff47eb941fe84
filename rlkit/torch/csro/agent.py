"""The CSRO agent: context encoder q_phi (transitions -> task latent z) and the z-conditioned policy.

By default (the reference) z is the plain mean of the per-transition embeddings. The encoder
variants (docs/algorithm.md, "Encoder variants") add a per-transition variance (`use_hvar`)
and aggregate with it: `weighted` takes the inverse-variance weighted mean, `poe` PEARL's
product of Gaussians, whose mean is the same and whose variance 1 / sum_j(1 / var_j) is used
to sample z during training (the trainer samples; inference here is deterministic unless
`test_z_generator` is set, PEARL's sampled z at meta-test). `identity_output` is PEARL's encoder
(OFFPEARL): no tanh, the mean half (or, without `use_hvar`, the whole output) is the raw last layer.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from rlkit.torch.networks import MLP, PolicyOutput, TanhGaussianPolicy

ENCODER_HIDDEN = (200, 200, 200)
MIN_VARIANCE = 1e-7  # PEARL's clamp of the per-transition variances


def inverse_variance_mean(e: torch.Tensor, var: torch.Tensor) -> torch.Tensor:
    """sum_j e_j / var_j / sum_j 1 / var_j over the context axis: [..., b, L] -> [..., L]."""
    precision = 1.0 / var
    return (e * precision).sum(dim=-2) / precision.sum(dim=-2)


def product_of_gaussians(e: torch.Tensor, var: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """PEARL's posterior from per-transition Gaussians N(e_j, var_j): mean and variance [..., L]."""
    return inverse_variance_mean(e, var), 1.0 / (1.0 / var).sum(dim=-2)


class CSROAgent(nn.Module):
    """z = mean_j q_phi(c_j) over a task's context transitions (deterministic, no bottleneck), or with
    `use_hvar` the variance-weighted mean of `z_strategy`."""

    recurrent = False  # z comes from a whole context at once (mean-pooled); BOREL's agent is recurrent

    def __init__(
        self,
        obs_dim: int,
        action_dim: int,
        latent_dim: int,
        context_dim: int,
        net_size: int,
        generator: torch.Generator | None = None,
        use_hvar: bool = False,
        z_strategy: str = "mean",
        identity_output: bool = False,
    ):
        super().__init__()
        self.obs_dim, self.action_dim, self.latent_dim, self.context_dim = obs_dim, action_dim, latent_dim, context_dim
        self.use_hvar, self.z_strategy, self.identity_output = use_hvar, z_strategy, identity_output
        self.test_z_generator: torch.Generator | None = None  # set: meta-test z is a posterior sample (PEARL)
        if use_hvar:  # mean half through tanh (or not, `identity_output`), variance half through softplus
            self.encoder = MLP([context_dim, *ENCODER_HIDDEN, 2 * latent_dim], generator=generator)
        else:
            self.encoder = MLP(
                [context_dim, *ENCODER_HIDDEN, latent_dim],
                output_activation=None if identity_output else torch.tanh,
                generator=generator,
            )
        self.policy = TanhGaussianPolicy(obs_dim + latent_dim, action_dim, [net_size] * 3, generator=generator)

    def encode_with_var(self, context: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Per-transition embeddings e [T, b, L] and, with `use_hvar`, their variances (else None)."""
        if context.shape[-1] != self.context_dim:  # a shape, not a value: no host read, capture-safe
            raise ValueError(
                f"context width {context.shape[-1]}: expected {self.context_dim} (obs {self.obs_dim}, action "
                f"{self.action_dim}, reward, and next obs where use_next_obs_in_context), e.g. data of another env"
            )
        out = self.encoder(context)
        if not self.use_hvar:
            return out, None
        mean, raw = out.chunk(2, dim=-1)
        return mean if self.identity_output else torch.tanh(mean), F.softplus(raw).clamp(min=MIN_VARIANCE)

    def encode(self, context: torch.Tensor) -> torch.Tensor:
        """Per-transition embeddings e: [T, b, C] -> [T, b, L]."""
        return self.encode_with_var(context)[0]

    def aggregate(self, e: torch.Tensor, var: torch.Tensor | None) -> torch.Tensor:
        """Embeddings [..., b, L] -> z [..., L] by `z_strategy` (for poe, the posterior mean)."""
        if self.z_strategy == "mean":
            return e.mean(dim=-2)
        return inverse_variance_mean(e, var)

    def infer_z(self, context: torch.Tensor) -> torch.Tensor:
        """Task latents [T, L] from contexts [T, b, C]: the aggregate, or with `test_z_generator` a sample of
        the product-of-Gaussians posterior (mean + sqrt(var) * eps, eps ~ N(0, I))."""
        e, var = self.encode_with_var(context)
        z = self.aggregate(e, var)
        if self.test_z_generator is None:
            return z
        post_var = product_of_gaussians(e, var)[1]
        return z + post_var.sqrt() * torch.randn(z.shape, generator=self.test_z_generator, device=z.device)

    def prior_z(self, n: int) -> torch.Tensor:
        """[n, L] latents for an empty context: the prior's mean 0, or with `test_z_generator` samples of N(0, I)."""
        device = next(self.parameters()).device
        if self.test_z_generator is None:
            return torch.zeros(n, self.latent_dim, device=device)
        return torch.randn(n, self.latent_dim, generator=self.test_z_generator, device=device)

    def infer_z_list(self, contexts: list[torch.Tensor]) -> torch.Tensor:
        """Task latents for contexts of possibly different lengths ([b_i, C] each); an empty one gets `prior_z`."""
        out = self.prior_z(len(contexts))
        lengths = {len(c) for c in contexts}
        if len(lengths) == 1 and 0 not in lengths:
            return self.infer_z(torch.stack(contexts))
        for i, c in enumerate(contexts):
            if len(c):
                out[i] = self.infer_z(c[None])[0]
        return out

    def policy_output(
        self, obs: torch.Tensor, z: torch.Tensor, deterministic: bool = False, generator: torch.Generator | None = None
    ) -> PolicyOutput:
        return self.policy(torch.cat([obs, z], dim=-1), deterministic=deterministic, generator=generator)
