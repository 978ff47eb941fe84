"""CSRO's losses as pure functions of tensors (docs/algorithm.md, "One training step"). Weights are applied by the
trainer.

Shapes: T tasks in the meta-batch, b context transitions per task, N = T * batch RL rows,
L latent dims. `sg` in the docstrings means stop-gradient (the caller detaches).
"""

from __future__ import annotations

import torch
from torch.nn import functional as F


def focal_metric_loss(z: torch.Tensor, task_ids: torch.Tensor) -> torch.Tensor:
    """Max MI, FOCAL's distance-metric loss (docs/algorithm.md, loss 1), over pairs t < u: pos + neg of
    `focal_metric_terms`."""
    pos, neg = focal_metric_terms(z, task_ids)
    return pos + neg


def focal_metric_terms(z: torch.Tensor, task_ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """FOCAL's two terms over pairs t < u: the same-task attraction `pos` and the other-task repulsion `neg`.

    D_tu = mean_d (z_t - z_u)^2;  pos = sum_same sqrt(D + 1e-3) / (n_pos + 1e-3);
    neg = sum_diff 1 / (D + 0.1) / (n_neg + 1e-3).  z: [T, L], task_ids: [T]. `pos` is 0 unless a task
    appears twice in the meta-batch, i.e. only with `mb_replace`.
    """
    d = ((z[:, None, :] - z[None, :, :]) ** 2).mean(-1)
    upper = torch.ones_like(d, dtype=torch.bool).triu(diagonal=1)
    same = task_ids[:, None] == task_ids[None, :]
    pos_mask, neg_mask = (upper & same).to(z.dtype), (upper & ~same).to(z.dtype)
    pos = (torch.sqrt(d + 1e-3) * pos_mask).sum() / (pos_mask.sum() + 1e-3)
    neg = (neg_mask / (d + 0.1)).sum() / (neg_mask.sum() + 1e-3)
    return pos, neg


def kl_to_standard_normal(mean: torch.Tensor, var: torch.Tensor) -> torch.Tensor:
    """PEARL's information bottleneck (OFFPEARL): KL(N(mean, var) || N(0, I)) of each task's posterior,
    summed over tasks and dims as PEARL's `compute_kl_div` does:
    sum_{t,d} 0.5 (var_td + mean_td^2 - 1 - log var_td).  mean, var: [T, L]."""
    return 0.5 * (var + mean**2 - 1.0 - torch.log(var)).sum()


def task_classification_loss(logits: torch.Tensor, classes: torch.Tensor) -> torch.Tensor:
    """Max MI by classification (CLASSIFIER, docs/algorithm.md, "Encoder variants"): the cross-entropy
    of every per-transition embedding's task logits against its task's class, averaged.
    logits: [T, b, C] (a linear head on each embedding), classes: [T] (the class of each task)."""
    T, b, C = logits.shape
    return F.cross_entropy(logits.reshape(T * b, C), classes.repeat_interleave(b))


def club_estimator_nll(e: torch.Tensor, mu: torch.Tensor, var: torch.Tensor) -> torch.Tensor:
    """CLUB net fit L_VD (loss 2): mean[(sg(e) - mu)^2 / (2 var) + 0.5 log var]; trains q_psi only."""
    return ((e - mu) ** 2 / (2 * var) + 0.5 * torch.log(var)).mean()


def club_upper_bound(e: torch.Tensor, mu: torch.Tensor, var: torch.Tensor) -> torch.Tensor:
    """Min MI, the CLUB upper bound (loss 3), with sg(mu), sg(var). e, mu, var: [T, b, L].

    pos = -mean_{j,d} (e_tj - mu_tj)^2 / var_tj;  neg = -mean_{j,k,d} (e_tk - mu_tj)^2 / var_tj,
    averaged over tasks, returns mean_t (pos - neg). The pair mean is exact in O(b):
    mean_k (e_tk - mu)^2 = (m1 - mu)^2 + v with m1 the mean of e_t and v its (biased) variance, each summing
    small terms, so the bound keeps its digits when e collapses onto mu (the form m2 - 2 mu m1 + mu^2 cancels
    large terms there and can change sign in float32).
    """
    pos = -((e - mu) ** 2 / var).mean()
    m1 = e.mean(dim=1, keepdim=True)
    v = ((e - m1) ** 2).mean(dim=1, keepdim=True)
    neg = -(((m1 - mu) ** 2 + v) / var).mean()
    return pos - neg


def club_upper_bound_pairwise(e: torch.Tensor, mu: torch.Tensor, var: torch.Tensor) -> torch.Tensor:
    """The same bound built as the reference does, with the [T, b, b, L] pair tensor (tests, benchmark)."""
    pos = -((e - mu) ** 2 / var).mean()
    neg = -((e[:, None, :, :] - mu[:, :, None, :]) ** 2 / var[:, :, None, :]).mean()
    return pos - neg


def q_target(
    rewards: torch.Tensor, terminals: torch.Tensor, target_v: torch.Tensor, reward_scale: float, discount: float
) -> torch.Tensor:
    """reward_scale * r + (1 - d) * discount * V_target(s', z)."""
    return reward_scale * rewards + (1.0 - terminals) * discount * target_v


def critic_loss(q_pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """L_Q (loss 4): sum over the twin critics [2, N, 1] of mean (Q_i - target)^2."""
    return ((q_pred - target.unsqueeze(0)) ** 2).mean(dim=(1, 2)).sum()


def value_loss(v_pred: torch.Tensor, v_target: torch.Tensor) -> torch.Tensor:
    """L_V (loss 5): mean (V(s, z) - sg(min Q(s, a~) - log pi(a~)))^2."""
    return ((v_pred - v_target) ** 2).mean()


def policy_loss(
    log_pi: torch.Tensor,
    min_q: torch.Tensor,
    mean: torch.Tensor,
    log_std: torch.Tensor,
    *,
    mean_reg: float,
    std_reg: float,
    max_entropy: bool = True,
    penalty: torch.Tensor | None = None,
    pre_tanh: torch.Tensor | None = None,
    pre_activation_reg: float = 0.0,
) -> torch.Tensor:
    """L_pi (loss 6): mean[log pi - min Q + alpha D_hat] + mean_reg mean(mean^2) + std_reg mean(log_std^2)
    + pre_activation_reg mean_rows(sum_dims pre_tanh^2) (the reference's pre-activation term, weight 0 in
    every shipped config).

    `penalty` is alpha * D_hat with BRAC, None without; `max_entropy=False` drops log pi. The weights and
    switches are keyword-only: two of them are 1e-3 in every config, so a swap would pass unseen.
    """
    objective = -min_q + (log_pi if max_entropy else 0.0) + (penalty if penalty is not None else 0.0)
    loss = objective.mean() + mean_reg * (mean**2).mean() + std_reg * (log_std**2).mean()
    if pre_activation_reg:
        loss = loss + pre_activation_reg * (pre_tanh**2).sum(dim=-1).mean()
    return loss


def kl_dual_estimate(logits_policy: torch.Tensor, logits_data: torch.Tensor) -> torch.Tensor:
    """BRAC's dual KL estimate (loss 7): -softplus(c(s, a_data)) + log(softplus(c(s, a~)) + 1e-8) + 1."""
    return -F.softplus(logits_data) + torch.log(F.softplus(logits_policy) + 1e-8) + 1.0


def interpolation_penalty(values: torch.Tensor, gamma: float = 5.0) -> torch.Tensor:
    """gamma * mean(max(sqrt(1e-8 + sum v^2) - 1, 0)^2) over the last axis of `values`.

    The reference passes c's output at interpolated actions (a penalty on values); a true
    gradient penalty passes dc/da at those actions instead.
    """
    slope = torch.sqrt(1e-8 + (values**2).sum(-1))
    return gamma * (F.relu(slope - 1.0) ** 2).mean()


def dual_critic_loss(div_estimate: torch.Tensor, penalty: torch.Tensor) -> torch.Tensor:
    """c maximises the dual estimate: -mean D_hat + penalty."""
    return -div_estimate.mean() + penalty


def alpha_update(
    alpha: torch.Tensor, div_mean: torch.Tensor, alpha_lr: float, target_divergence: float
) -> torch.Tensor:
    """alpha <- alpha + alpha_lr * (mean D_hat - target_divergence) (unclipped; used clipped)."""
    return alpha + alpha_lr * (div_mean - target_divergence)
