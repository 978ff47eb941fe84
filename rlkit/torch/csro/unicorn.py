"""UNICORN-SS (NeurIPS 2024, `betray12138/UNICORN`) as `algo_type: UNICORN_SS` (docs/algorithm.md, "UNICORN").

The encoder (CSRO's, z the mean of its embeddings) learns from a decoder that predicts each transition's
(s' - s, r) from (z, s, a), plus `unicorn_beta` (UNICORN's `beta_encoder` for the env: 0.15 on cheetah-vel) times
FOCAL's distance metric on z; the decoder is stepped with the encoder by one optimiser, as UNICORN's
`finetune_encoder_decoder_optimizer`. The actor-critic sees sg(z). UNICORN_SUP is the CLASSIFIER objective without
CLUB and lives in the trainer.
"""

from __future__ import annotations

import torch
from torch import nn

from rlkit.torch.csro import losses
from rlkit.torch.networks import MLP

DECODER_HIDDEN = 64  # UNICORN's FOCALDecoder: num_layers 2 of aggregator_hidden_size (64; 128 on hopper, walker)


class Decoder(nn.Module):
    """(z, s, a) -> (predicted s' - s, predicted r): one MLP with |S| + 1 outputs."""

    def __init__(
        self,
        latent_dim: int,
        obs_dim: int,
        action_dim: int,
        generator: torch.Generator | None = None,
        hidden: int = DECODER_HIDDEN,
    ):
        super().__init__()
        self.obs_dim = obs_dim
        self.net = MLP([latent_dim + obs_dim + action_dim, hidden, hidden, obs_dim + 1], generator=generator)

    def forward(self, z: torch.Tensor, obs: torch.Tensor, actions: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        out = self.net(torch.cat([z, obs, actions], dim=-1))
        return out[..., : self.obs_dim], out[..., self.obs_dim :]


def decoder_loss(
    delta_pred: torch.Tensor,
    reward_pred: torch.Tensor,
    obs: torch.Tensor,
    next_obs: torch.Tensor,
    rewards: torch.Tensor,
) -> torch.Tensor:
    """UNICORN-SS's reconstruction term with squared errors:
    mean((delta_pred - (s' - s))^2) + mean((reward_pred - r)^2), each mean over rows and dims.
    delta_pred, obs, next_obs: [N, S]; reward_pred, rewards: [N, 1]."""
    return ((delta_pred - (next_obs - obs)) ** 2).mean() + ((reward_pred - rewards) ** 2).mean()


def self_supervised_loss(
    decoder: Decoder,
    z: torch.Tensor,
    task_ids: torch.Tensor,
    obs: torch.Tensor,
    actions: torch.Tensor,
    rewards: torch.Tensor,
    next_obs: torch.Tensor,
    beta: float,
) -> tuple[torch.Tensor, torch.Tensor]:
    """UNICORN-SS's encoder loss decoder_loss + beta * FOCAL metric(z), and the decoder term alone.
    z: [T, L] with the encoder's graph; the transitions [T * B, .] are the step's RL batch, B rows per task."""
    z_rows = z.repeat_interleave(obs.shape[0] // z.shape[0], dim=0)
    recon = decoder_loss(*decoder(z_rows, obs, actions), obs, next_obs, rewards)
    return recon + beta * losses.focal_metric_loss(z, task_ids), recon.detach()
