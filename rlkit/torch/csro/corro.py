"""CORRO (Yuan and Lu, ICML 2022, `PKU-RL/CORRO`) as `algo_type: CORRO` on CSRO's learner (docs/algorithm.md, "CORRO").

A transition encoder E1 maps each context row (s, a, r, s') to an L2-normalised embedding and learns by
InfoNCE alone: the query is a transition of task t, its positive another transition of task t, its 16
negatives share the query's (s, a) with another (r, s') that task t would not produce (here: the reward
randomised, r + N(0, std^2), CORRO's `reward_randomize` relabelling). The aggregator E2 (CORRO's
`SelfAttnEncoder`: a linear score per embedding, softmax over the context, the weighted sum; or the
plain mean) turns sg(E1) of a context into z and learns through the critic's loss only.

With `corro_pretrain_steps` N > 0 the run follows CORRO's two stages: the first N training steps train
E1 alone (no actor-critic update), after that E1 is frozen and the actor-critic and E2 train. With
N = 0, E1 keeps training by InfoNCE at every step next to the actor-critic.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

from rand_param_envs.base import RandParamsEnv
from rlkit.config import Config
from rlkit.errors import UserError
from rlkit.tasks import env_class
from rlkit.torch.csro.agent import ENCODER_HIDDEN, CSROAgent
from rlkit.torch.networks import MLP

QUERIES = 64  # CORRO's contrastive_batch_size: InfoNCE queries per step
NEGATIVES = 16  # CORRO's n_negative_per_positive
TEMPERATURE = 0.1  # CORRO's infonce_temp


@dataclass(frozen=True)
class CorroSettings:
    aggregator: str  # "attention" or "mean"
    pretrain_steps: int  # 0: E1 trains with the actor-critic throughout; N: E1 alone for N steps, then frozen
    reward_std: float  # std of the reward noise of the negatives

    @staticmethod
    def from_config(cfg: Config) -> "CorroSettings | None":
        """None unless `algo_type` is CORRO; a dynamics family is refused (`check_family`)."""
        if cfg.algo_type != "CORRO":
            return None
        check_family(cfg.env_name)
        a = cfg.algo_params
        return CorroSettings(a.corro_aggregator, a.corro_pretrain_steps, a.corro_reward_std)


def check_family(env_name: str) -> None:
    """Reward-randomised negatives only make sense where tasks differ in reward. Where they differ in dynamics
    (hopper, walker) CORRO draws its negatives from a CVAE of (r, s') given (s, a), trained on all training
    tasks' data; that stage is not implemented here."""
    if issubclass(env_class(env_name), RandParamsEnv):
        raise UserError(f"algo_type 'CORRO' on {env_name!r}: its tasks differ in dynamics, and CORRO's negatives there "
                        "come from a CVAE of (r, s') given (s, a) trained on the pooled training data, which this code "
                        "does not have yet; expected a reward-varying family (point-robot, cheetah-vel, ant-goal, ...)")


def infonce_loss(q: torch.Tensor, k: torch.Tensor, neg: torch.Tensor, temperature: float) -> torch.Tensor:
    """CORRO's InfoNCE over N queries: q, k [N, L] (query and positive), neg [N, M, L] (M negatives each).

    l_i = [q_i . k_i, q_i . neg_i1, ..., q_i . neg_iM] / temperature;
    L = mean_i (logsumexp(l_i) - l_i0), the cross-entropy with the positive at index 0.
    """
    pos = (q * k).sum(dim=-1, keepdim=True)
    negs = (q.unsqueeze(1) * neg).sum(dim=-1)
    logits = torch.cat([pos, negs], dim=1) / temperature
    return F.cross_entropy(logits, torch.zeros(len(q), dtype=torch.long, device=q.device))


def reward_randomized_negatives(rows: torch.Tensor, count: int, reward_col: int, std: float,
                                generator: torch.Generator) -> torch.Tensor:
    """[N, C] context rows -> [N, count, C]: each row repeated with its reward (column `reward_col`) replaced by
    r + std * eps, eps ~ N(0, 1); (s, a, s') unchanged (CORRO's `reward_randomize`)."""
    neg = rows.unsqueeze(1).repeat(1, count, 1)
    noise = torch.randn(neg.shape[:2], generator=generator, device=rows.device, dtype=rows.dtype)
    neg[..., reward_col] += std * noise
    return neg


def queries_per_task(tasks: int, context_size: int) -> int:
    """ceil(QUERIES / tasks) queries per task, with as many distinct positives: at most half the context."""
    return min(math.ceil(QUERIES / tasks), context_size // 2)


class CorroEncoder(nn.Module):
    """E1 (`transition`, 3 x 200 ReLU like CSRO's encoder, L2-normalised output) and E2 (`attention`, a linear
    score; None with the mean), and `steps`, the training steps taken (CORRO's schedule, saved with the agent)."""

    def __init__(self, context_dim: int, latent_dim: int, aggregator: str, generator: torch.Generator | None = None):
        super().__init__()
        self.transition = MLP([context_dim, *ENCODER_HIDDEN, latent_dim], generator=generator)
        # initialised like torch's nn.Linear (CORRO's), U(+-1/sqrt(L))
        self.attention = MLP([latent_dim, 1], init_w=1 / math.sqrt(latent_dim), generator=generator) \
            if aggregator == "attention" else None
        self.register_buffer("steps", torch.zeros((), dtype=torch.long))

    def forward(self, context: torch.Tensor) -> torch.Tensor:
        """E1: rows [..., C] -> unit embeddings [..., L]."""
        return F.normalize(self.transition(context), dim=-1)

    def aggregate(self, e: torch.Tensor) -> torch.Tensor:
        """E2 on sg(e): [..., b, L] -> z [..., L]; E1 gets no gradient through z."""
        e = e.detach()
        if self.attention is None:
            return e.mean(dim=-2)
        weights = torch.softmax(self.attention(e), dim=-2)  # [..., b, 1]
        return (weights * e).sum(dim=-2)

    def pretraining(self, settings: CorroSettings) -> bool:
        """In CORRO's first stage: E1 trains alone."""
        return int(self.steps) < settings.pretrain_steps

    def trains_transition_encoder(self, settings: CorroSettings) -> bool:
        """E1 learns at this step: always without the schedule, else only in the first stage."""
        return settings.pretrain_steps == 0 or self.pretraining(settings)


class CorroAgent(CSROAgent):
    """CSRO's agent (policy, `infer_z`, `infer_z_list`) with `CorroEncoder` as its encoder."""

    def __init__(self, obs_dim: int, action_dim: int, latent_dim: int, context_dim: int, net_size: int,
                 settings: CorroSettings, generator: torch.Generator | None = None):
        super().__init__(obs_dim, action_dim, latent_dim, context_dim, net_size, generator=generator)
        self.encoder = CorroEncoder(context_dim, latent_dim, settings.aggregator, generator=generator)

    def encode_with_var(self, context: torch.Tensor) -> tuple[torch.Tensor, None]:
        return self.encoder(context), None

    def aggregate(self, e: torch.Tensor, var: torch.Tensor | None) -> torch.Tensor:
        return self.encoder.aggregate(e)


def contrastive_loss(encoder: CorroEncoder, e: torch.Tensor, context: torch.Tensor, reward_col: int, std: float,
                     generator: torch.Generator) -> torch.Tensor:
    """InfoNCE of one step from the step's contexts [T, b, C] and their embeddings e = E1(context) [T, b, L]:
    per task the first n rows are the queries, the next n their positives (rows are i.i.d. draws of the
    task's data), `NEGATIVES` reward-randomised copies of each query its negatives."""
    T, b, C = context.shape
    n = queries_per_task(T, b)
    q, k = e[:, :n].reshape(T * n, -1), e[:, n:2 * n].reshape(T * n, -1)
    rows = context[:, :n].reshape(T * n, C)
    neg = encoder(reward_randomized_negatives(rows, NEGATIVES, reward_col, std, generator))
    return infonce_loss(q, k, neg, TEMPERATURE)
