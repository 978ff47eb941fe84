"""CORRO (Yuan and Lu, ICML 2022, `PKU-RL/CORRO`) as `algo_type: CORRO` on CSRO's learner (docs/algorithm.md, "CORRO").

A transition encoder E1 maps each context row (s, a, r, s') to an L2-normalised embedding and learns by
InfoNCE alone: the query is a transition of task t, its positive another transition of task t, its 16
negatives share the query's (s, a) with another (r, s') that task t would not produce: the reward
randomised, r + N(0, std^2) (CORRO's `reward_randomize`, for families whose tasks differ in reward), or
(r, s') decoded from (s, a, w), w ~ N(0, I), by a conditional VAE trained on all training tasks' rows
(CORRO's `generative`, for the dynamics families). The aggregator E2 (CORRO's
`SelfAttnEncoder`: a linear score per embedding, softmax over the context, the weighted sum; or the
plain mean) turns sg(E1) of a context into z and learns through the critic's loss only. With
`corro_standardize` (not CORRO's) E1 reads each context column standardised by the training data's statistics.

Stages, by the training step (`CorroEncoder.stage`): with generative negatives the first
`corro_cvae_steps` steps train the CVAE alone on the steps' context rows ("cvae"). With
`corro_pretrain_steps` N > 0 the next N steps train E1 alone ("pretrain"), after which E1 is frozen and
the actor-critic and E2 train ("frozen"), CORRO's schedule. With N = 0, E1 keeps training by InfoNCE at
every step next to the actor-critic and E2 ("joint").
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

from rlkit.config import Config, corro_negatives_of
from rlkit.torch.csro.agent import ENCODER_HIDDEN, CSROAgent
from rlkit.torch.networks import MLP

QUERIES = 64  # CORRO's contrastive_batch_size: InfoNCE queries per step
NEGATIVES = 16  # CORRO's n_negative_per_positive
TEMPERATURE = 0.1  # CORRO's infonce_temp
CVAE_BETA = 0.2  # CORRO's beta: the KL's weight in the CVAE's loss


@dataclass(frozen=True)
class CorroSettings:
    aggregator: str  # "attention" or "mean"
    pretrain_steps: int  # 0: E1 trains with the actor-critic throughout; N: E1 alone for N steps, then frozen
    reward_std: float  # std of the reward noise of the negatives
    negatives: str  # "reward" (randomised reward) or "generative" (the CVAE's (r, s'))
    cvae_steps: int  # the CVAE's training steps before anything else (0 without generative negatives)
    standardize: bool = False  # E1 reads (row - mean) / std, the training data's column statistics (not CORRO's)
    cvae_hidden: int = 64  # the CVAE's hidden units (one layer) and w dims: CORRO's for the env unless set
    cvae_latent: int = 5

    @staticmethod
    def from_config(cfg: Config) -> CorroSettings | None:
        """None unless `algo_type` is CORRO. `corro_negatives` 'auto' is the env family's kind
        (`rlkit.config.corro_negatives_of`; reward-randomised negatives on a dynamics family are refused at load)."""
        if cfg.algo_type != "CORRO":
            return None
        a = cfg.algo_params
        negatives = corro_negatives_of(cfg.env_name, a.corro_negatives)  # (a config loaded to run has it resolved)
        return CorroSettings(
            a.corro_aggregator,
            a.corro_pretrain_steps,
            a.corro_reward_std,
            negatives,
            a.corro_cvae_steps if negatives == "generative" else 0,
            a.corro_standardize,
            a.corro_cvae_hidden,
            a.corro_cvae_latent,
        )


def infonce_loss(q: torch.Tensor, k: torch.Tensor, neg: torch.Tensor, temperature: float) -> torch.Tensor:
    """CORRO's InfoNCE over N queries: q, k [N, L] (query and positive), neg [N, M, L] (M negatives each).

    l_i = [q_i . k_i, q_i . neg_i1, ..., q_i . neg_iM] / temperature;
    L = mean_i (logsumexp(l_i) - l_i0), the cross-entropy with the positive at index 0.
    """
    pos = (q * k).sum(dim=-1, keepdim=True)
    negs = (q.unsqueeze(1) * neg).sum(dim=-1)
    logits = torch.cat([pos, negs], dim=1) / temperature
    return F.cross_entropy(logits, torch.zeros(len(q), dtype=torch.long, device=q.device))


def reward_randomized_negatives(
    rows: torch.Tensor, count: int, reward_col: int, std: float, generator: torch.Generator
) -> torch.Tensor:
    """[N, C] context rows -> [N, count, C]: each row repeated with its reward (column `reward_col`) replaced by
    r + std * eps, eps ~ N(0, 1); (s, a, s') unchanged (CORRO's `reward_randomize`)."""
    neg = rows.unsqueeze(1).repeat(1, count, 1)
    noise = torch.randn(neg.shape[:2], generator=generator, device=rows.device, dtype=rows.dtype)
    neg[..., reward_col] += std * noise
    return neg


def cvae_loss(
    next_obs_pred: torch.Tensor,
    reward_pred: torch.Tensor,
    next_obs: torch.Tensor,
    rewards: torch.Tensor,
    mean: torch.Tensor,
    logvar: torch.Tensor,
    beta: float,
) -> torch.Tensor:
    """CORRO's CVAE loss: beta * mean_rows KL(N(mean, exp logvar) || N(0, I)) + mean((s'_pred - s')^2)
    + mean((r_pred - r)^2), KL = -0.5 sum_d (1 + logvar - mean^2 - exp logvar).
    mean, logvar: [N, W]; the predictions and targets [N, .]."""
    kl = -0.5 * (1 + logvar - mean**2 - logvar.exp()).sum(dim=-1)
    return beta * kl.mean() + ((next_obs_pred - next_obs) ** 2).mean() + ((reward_pred - rewards) ** 2).mean()


class CVAE(nn.Module):
    """CORRO's conditional VAE of (r, s') given (s, a): q(w | s, a, r, s') and p(s', r | s, a, w), one hidden layer
    each, of `hidden` units, and w of `latent` dims (corro_cvae_hidden, corro_cvae_latent: CORRO's for the env). Its
    samples with w ~ N(0, I) approximate E_task p(r, s' | s, a, task)."""

    def __init__(
        self,
        obs_dim: int,
        action_dim: int,
        generator: torch.Generator | None = None,
        hidden: int = 64,
        latent: int = 5,
    ):
        super().__init__()
        self.latent = latent
        self.obs_dim, self.action_dim = obs_dim, action_dim
        self.encoder = MLP([2 * obs_dim + action_dim + 1, hidden, 2 * self.latent], generator=generator)
        self.decoder = MLP([obs_dim + action_dim + self.latent, hidden, obs_dim + 1], generator=generator)

    def decode(self, sa: torch.Tensor, w: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(s, a) rows [..., S + A] and w [..., W] -> (s' [..., S], r [..., 1])."""
        out = self.decoder(torch.cat([sa, w], dim=-1))
        return out[..., : self.obs_dim], out[..., self.obs_dim :]

    def loss(self, rows: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """`cvae_loss` on (s, a, r, s') rows [..., C], w from the encoder's posterior (reparameterised)."""
        sa_dim = self.obs_dim + self.action_dim
        rows = rows.reshape(-1, rows.shape[-1])
        mean, logvar = self.encoder(rows).chunk(2, dim=-1)
        w = mean + (0.5 * logvar).exp() * torch.randn(mean.shape, generator=generator, device=rows.device)
        next_obs, reward = self.decode(rows[:, :sa_dim], w)
        return cvae_loss(next_obs, reward, rows[:, sa_dim + 1 :], rows[:, sa_dim : sa_dim + 1], mean, logvar, CVAE_BETA)

    @torch.no_grad()
    def negatives(self, rows: torch.Tensor, count: int, generator: torch.Generator) -> torch.Tensor:
        """[N, C] (s, a, r, s') rows -> [N, count, C]: each row's (s, a) with (r, s') decoded from w ~ N(0, I)."""
        sa_dim = self.obs_dim + self.action_dim
        sa = rows[:, None, :sa_dim].expand(-1, count, -1)
        w = torch.randn(len(rows), count, self.latent, generator=generator, device=rows.device)
        next_obs, reward = self.decode(sa, w)
        return torch.cat([sa, reward, next_obs], dim=-1)


def queries_per_task(tasks: int, context_size: int) -> int:
    """ceil(QUERIES / tasks) queries per task, with as many distinct positives: at most half the context."""
    return min(math.ceil(QUERIES / tasks), context_size // 2)


class CorroEncoder(nn.Module):
    """E1 (`transition`, 3 x 200 ReLU like CSRO's encoder, L2-normalised output), E2 (`attention`, a linear
    score; None with the mean), the `cvae` of the generative negatives (else None), and `steps`, the training
    steps taken (the stages, saved with the agent)."""

    def __init__(
        self,
        obs_dim: int,
        action_dim: int,
        context_dim: int,
        latent_dim: int,
        settings: CorroSettings,
        generator: torch.Generator | None = None,
    ):
        super().__init__()
        self.transition = MLP([context_dim, *ENCODER_HIDDEN, latent_dim], generator=generator)
        # initialised like torch's nn.Linear (CORRO's), U(+-1/sqrt(L))
        self.attention = (
            MLP([latent_dim, 1], init_w=1 / math.sqrt(latent_dim), generator=generator)
            if settings.aggregator == "attention"
            else None
        )
        self.cvae = (
            CVAE(obs_dim, action_dim, generator, settings.cvae_hidden, settings.cvae_latent)
            if settings.negatives == "generative"
            else None
        )
        self.register_buffer("steps", torch.zeros((), dtype=torch.long))
        # the step `stage` reads, pinned on the host by the trainer's `branch` (so the step reads no device
        # counter, and under capture each stage has its own graph); None: read `steps` (a host read)
        self.pinned_step: int | None = None
        self.standardize = settings.standardize
        if self.standardize:  # the training data's column statistics (`set_input_stats`), saved with the agent
            self.register_buffer("input_mean", torch.zeros(context_dim))
            self.register_buffer("input_std", torch.ones(context_dim))

    def set_input_stats(self, mean: torch.Tensor, std: torch.Tensor) -> None:
        """With `standardize`: the per-column mean and std [C] of the training data's context rows."""
        if not self.standardize:
            raise ValueError("set_input_stats on a CORRO encoder without corro_standardize")
        self.input_mean.copy_(mean)
        self.input_std.copy_(std)

    def forward(self, context: torch.Tensor) -> torch.Tensor:
        """E1: rows [..., C] -> unit embeddings [..., L] (rows standardised first with `standardize`)."""
        if self.standardize:
            context = (context - self.input_mean) / self.input_std
        return F.normalize(self.transition(context), dim=-1)

    def aggregate(self, e: torch.Tensor) -> torch.Tensor:
        """E2 on sg(e): [..., b, L] -> z [..., L]; E1 gets no gradient through z."""
        e = e.detach()
        if self.attention is None:
            return e.mean(dim=-2)
        weights = torch.softmax(self.attention(e), dim=-2)  # [..., b, 1]
        return (weights * e).sum(dim=-2)

    def stage(self, settings: CorroSettings) -> str:
        """This step's stage (module docstring): "cvae", "pretrain", "joint" or "frozen"."""
        step = int(self.steps) if self.pinned_step is None else self.pinned_step
        if step < settings.cvae_steps:
            return "cvae"
        if step < settings.cvae_steps + settings.pretrain_steps:
            return "pretrain"
        return "joint" if settings.pretrain_steps == 0 else "frozen"


class CorroAgent(CSROAgent):
    """CSRO's agent (policy, `infer_z`, `infer_z_list`) with `CorroEncoder` as its encoder."""

    def __init__(
        self,
        obs_dim: int,
        action_dim: int,
        latent_dim: int,
        context_dim: int,
        net_size: int,
        settings: CorroSettings,
        generator: torch.Generator | None = None,
    ):
        super().__init__(obs_dim, action_dim, latent_dim, context_dim, net_size, generator=generator)
        self.encoder = CorroEncoder(obs_dim, action_dim, context_dim, latent_dim, settings, generator=generator)

    def encode_with_var(self, context: torch.Tensor) -> tuple[torch.Tensor, None]:
        return self.encoder(context), None

    def aggregate(self, e: torch.Tensor, var: torch.Tensor | None) -> torch.Tensor:
        return self.encoder.aggregate(e)


def contrastive_loss(
    encoder: CorroEncoder,
    e: torch.Tensor,
    context: torch.Tensor,
    reward_col: int,
    settings: CorroSettings,
    generator: torch.Generator,
) -> torch.Tensor:
    """InfoNCE of one step from the step's contexts [T, b, C] and their embeddings e = E1(context) [T, b, L]:
    per task the first n rows are the queries, the next n their positives (rows are i.i.d. draws of the
    task's data), `NEGATIVES` rows with each query's (s, a) and another (r, s') its negatives."""
    T, b, C = context.shape
    n = queries_per_task(T, b)
    q, k = e[:, :n].reshape(T * n, -1), e[:, n : 2 * n].reshape(T * n, -1)
    rows = context[:, :n].reshape(T * n, C)
    if settings.negatives == "generative":
        neg_rows = encoder.cvae.negatives(rows, NEGATIVES, generator)
    else:
        neg_rows = reward_randomized_negatives(rows, NEGATIVES, reward_col, settings.reward_std, generator)
    return infonce_loss(q, k, encoder(neg_rows), TEMPERATURE)
