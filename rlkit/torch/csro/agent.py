"""The CSRO agent: context encoder q_phi (transitions -> task latent z) and the z-conditioned policy."""
from __future__ import annotations

import torch
from torch import nn

from rlkit.torch.networks import MLP, PolicyOutput, TanhGaussianPolicy

ENCODER_HIDDEN = (200, 200, 200)


class CSROAgent(nn.Module):
    """z = mean_j q_phi(c_j) over a task's context transitions (deterministic, no bottleneck)."""

    def __init__(self, obs_dim: int, action_dim: int, latent_dim: int, context_dim: int, net_size: int,
                 generator: torch.Generator | None = None):
        super().__init__()
        self.obs_dim, self.action_dim, self.latent_dim, self.context_dim = obs_dim, action_dim, latent_dim, context_dim
        self.encoder = MLP([context_dim, *ENCODER_HIDDEN, latent_dim], output_activation=torch.tanh, generator=generator)
        self.policy = TanhGaussianPolicy(obs_dim + latent_dim, action_dim, [net_size] * 3, generator=generator)

    def encode(self, context: torch.Tensor) -> torch.Tensor:
        """Per-transition embeddings e: [T, b, C] -> [T, b, L]."""
        return self.encoder(context)

    def infer_z(self, context: torch.Tensor) -> torch.Tensor:
        """Task latents [T, L] from contexts [T, b, C]."""
        return self.encode(context).mean(dim=1)

    def infer_z_list(self, contexts: list[torch.Tensor]) -> torch.Tensor:
        """Task latents for contexts of possibly different lengths ([b_i, C] each); an empty one gives z = 0."""
        out = torch.zeros(len(contexts), self.latent_dim, device=next(self.parameters()).device)
        lengths = {len(c) for c in contexts}
        if len(lengths) == 1 and 0 not in lengths:
            return self.infer_z(torch.stack(contexts))
        for i, c in enumerate(contexts):
            if len(c):
                out[i] = self.infer_z(c[None])[0]
        return out

    def policy_output(self, obs: torch.Tensor, z: torch.Tensor, deterministic: bool = False,
                      generator: torch.Generator | None = None) -> PolicyOutput:
        return self.policy(torch.cat([obs, z], dim=-1), deterministic=deterministic, generator=generator)
