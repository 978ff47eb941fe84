"""Each loss on hand-made tensors, against a direct transcription of docs/algorithm.md ("One training step")."""

import math

import pytest
import torch
from torch.nn import functional as F

from rlkit.torch.csro import losses


def test_focal_metric_matches_pair_loop():
    torch.manual_seed(0)
    z = torch.randn(5, 3)
    ids = torch.tensor([0, 1, 1, 2, 3])
    pos = neg = 0.0
    n_pos = n_neg = 0
    for i in range(5):
        for j in range(i + 1, 5):
            d = ((z[i] - z[j]) ** 2).mean()
            if ids[i] == ids[j]:
                pos, n_pos = pos + torch.sqrt(d + 1e-3), n_pos + 1
            else:
                neg, n_neg = neg + 1 / (d + 0.1), n_neg + 1
    expected = pos / (n_pos + 1e-3) + neg / (n_neg + 1e-3)
    assert losses.focal_metric_loss(z, ids).item() == pytest.approx(expected.item(), rel=1e-6)


def test_focal_two_tasks_by_hand():
    z = torch.tensor([[0.0, 0.0], [1.0, 1.0]])  # D = 1
    assert losses.focal_metric_loss(z, torch.tensor([0, 1])).item() == pytest.approx(1 / 1.1 / 1.001, rel=1e-6)


def test_club_estimator_nll_by_hand():
    e, mu, var = torch.tensor([[[1.0]]]), torch.tensor([[[0.0]]]), torch.tensor([[[2.0]]])
    expected = 1 / 4 + 0.5 * math.log(2.0)
    assert losses.club_estimator_nll(e, mu, var).item() == pytest.approx(expected, rel=1e-6)
    # a mean over every element [T, b, L] (one element alone would not tell it from a sum)
    e, mu, var = (
        torch.tensor([[[1.0, 0.0]], [[2.0, 1.0]]]),
        torch.zeros(2, 1, 2),
        torch.tensor([[[2.0, 1.0]], [[1.0, 1.0]]]),
    )
    terms = [1 / 4 + 0.5 * math.log(2.0), 0.0, 4 / 2, 1 / 2]
    assert losses.club_estimator_nll(e, mu, var).item() == pytest.approx(sum(terms) / 4, rel=1e-6)


@pytest.mark.parametrize("shape", [(1, 2, 1), (3, 7, 4), (2, 16, 5)])
def test_club_bound_linear_form_equals_pairwise(shape):
    g = torch.Generator().manual_seed(sum(shape))
    e, mu = torch.randn(shape, generator=g, dtype=torch.float64), torch.randn(shape, generator=g, dtype=torch.float64)
    var = F.softplus(torch.randn(shape, generator=g, dtype=torch.float64))
    fast, pair = losses.club_upper_bound(e, mu, var), losses.club_upper_bound_pairwise(e, mu, var)
    assert fast.item() == pytest.approx(pair.item(), rel=1e-10, abs=1e-12)


def test_club_bound_keeps_its_digits_when_the_encoder_collapses():
    """Near collapse (embeddings within 1e-3 of their CLUB means, which sit at 1) the bound is a tiny difference:
    the float32 linear form must still give it to the pairwise float64 value's leading digits, not rounding."""
    g = torch.Generator().manual_seed(0)
    mu = 1 + 1e-3 * torch.randn(2, 512, 20, generator=g, dtype=torch.float64)
    e = mu + 1e-3 * torch.randn(2, 512, 20, generator=g, dtype=torch.float64)
    var = torch.full_like(e, 0.5)
    exact = losses.club_upper_bound_pairwise(e, mu, var).item()
    fast32 = losses.club_upper_bound(e.float(), mu.float(), var.float()).item()
    assert fast32 == pytest.approx(exact, rel=1e-5)  # (the moment form m2 - 2 mu m1 + mu^2: 1e-3 off here)


def test_club_bound_by_hand():
    # one task, two transitions, one dim, var 1: pos = -mean((e-mu)^2), neg = -mean over all (j, k)
    e, mu, var = torch.tensor([[[1.0], [3.0]]]), torch.tensor([[[0.0], [1.0]]]), torch.ones(1, 2, 1)
    pos = -((1 - 0) ** 2 + (3 - 1) ** 2) / 2
    neg = -((1 - 0) ** 2 + (3 - 0) ** 2 + (1 - 1) ** 2 + (3 - 1) ** 2) / 4
    assert losses.club_upper_bound(e, mu, var).item() == pytest.approx(pos - neg)


def test_q_target_and_critic_loss():
    r, d, v = torch.tensor([[1.0], [2.0]]), torch.tensor([[0.0], [1.0]]), torch.tensor([[10.0], [10.0]])
    t = losses.q_target(r, d, v, reward_scale=5.0, discount=0.9)
    torch.testing.assert_close(t, torch.tensor([[14.0], [10.0]]))
    q = torch.stack([t + 1.0, t - 2.0])
    assert losses.critic_loss(q, t).item() == pytest.approx(1.0 + 4.0)


def test_value_and_policy_losses():
    assert losses.value_loss(torch.tensor([[1.0], [3.0]]), torch.tensor([[0.0], [0.0]])).item() == pytest.approx(5.0)
    logp, q = torch.tensor([[1.0], [2.0]]), torch.tensor([[3.0], [5.0]])
    # (entries of other signs and sizes: the means of the squares, 11 / 4 and 24 / 4, not the squares of the means)
    mean, log_std = torch.tensor([[1.0, -1.0], [3.0, 0.0]]), torch.tensor([[0.0, 2.0], [-2.0, 4.0]])
    got = losses.policy_loss(logp, q, mean, log_std, mean_reg=1e-3, std_reg=2e-3)
    assert got.item() == pytest.approx((1 - 3 + 2 - 5) / 2 + 1e-3 * 11 / 4 + 2e-3 * 24 / 4)
    pen = torch.tensor([[0.5], [1.5]])
    got = losses.policy_loss(logp, q, mean, log_std, mean_reg=0, std_reg=0, max_entropy=False, penalty=pen)
    assert got.item() == pytest.approx((-3 - 5 + 2) / 2)


def test_policy_loss_weights_are_keyword_only():
    """Both regularisation weights are 1e-3 in every config: swapped positionally, nothing would show it."""
    t = torch.ones(2, 1)
    with pytest.raises(TypeError):
        losses.policy_loss(t, t, t, t, 1e-3, 1e-3)


def test_kl_dual_estimate_and_penalties():
    lp, lb = torch.tensor([0.3]), torch.tensor([-0.2])
    expected = -math.log1p(math.exp(-0.2)) + math.log(math.log1p(math.exp(0.3)) + 1e-8) + 1
    assert losses.kl_dual_estimate(lp, lb).item() == pytest.approx(expected, rel=1e-6)
    values = torch.tensor([[0.5], [-3.0], [2.0]])  # |c| - 1 -> 0, 2, 1
    assert losses.interpolation_penalty(values).item() == pytest.approx(5 * (0 + 4 + 1) / 3, rel=1e-6)
    rows = torch.tensor([[0.6, 0.8], [3.0, 4.0]])  # the gradient penalty's [N, |A|]: each row's norm, 1 and 5
    assert losses.interpolation_penalty(rows, gamma=2.0).item() == pytest.approx(2 * (0 + 16) / 2, rel=1e-6)
    assert losses.dual_critic_loss(torch.tensor([1.0, 3.0]), torch.tensor(0.5)).item() == pytest.approx(-1.5)


def test_alpha_update():
    assert losses.alpha_update(torch.tensor(50.0), torch.tensor(0.15), 1.0, 0.05).item() == pytest.approx(50.1)
    assert losses.alpha_update(torch.tensor(50.0), torch.tensor(0.15), 0.5, 0.05).item() == pytest.approx(50.05)


def test_policy_pre_activation_term():
    """The reference's pre-activation regulariser: weight * mean over rows of sum over dims of pre_tanh^2."""
    zero = torch.zeros(2, 1)
    pre = torch.tensor([[1.0, 2.0], [3.0, 0.0]])
    no_reg = {"mean_reg": 0, "std_reg": 0, "pre_tanh": pre}
    got = losses.policy_loss(zero, zero, torch.zeros(2, 2), torch.zeros(2, 2), **no_reg, pre_activation_reg=0.5)
    assert got.item() == pytest.approx(0.5 * (5 + 9) / 2)
    assert losses.policy_loss(zero, zero, torch.zeros(2, 2), torch.zeros(2, 2), **no_reg).item() == 0


def test_kl_to_standard_normal_by_hand():
    """PEARL's KL(N(mean, var) || N(0, I)), summed over tasks and dims: 0.5 (var + mean^2 - 1 - log var)."""
    mean, var = torch.tensor([[1.0, 0.0], [0.0, 0.0]]), torch.tensor([[1.0, 0.5], [1.0, 1.0]])
    expected = 0.5 * (1 + 1 - 1 - 0) + 0.5 * (0.5 + 0 - 1 - math.log(0.5)) + 0 + 0  # the prior itself: 0
    assert losses.kl_to_standard_normal(mean, var).item() == pytest.approx(expected, rel=1e-6)
    g = torch.Generator().manual_seed(0)
    mean, var = torch.randn(3, 4, generator=g), F.softplus(torch.randn(3, 4, generator=g))
    post = torch.distributions.Normal(mean, var.sqrt())
    prior = torch.distributions.Normal(torch.zeros(4), torch.ones(4))
    by_torch = torch.distributions.kl_divergence(post, prior).sum()  # as PEARL's compute_kl_div
    assert losses.kl_to_standard_normal(mean, var).item() == pytest.approx(by_torch.item(), rel=1e-5)


def gradient_penalty_case():
    """A BRAC trainer with the true gradient penalty whose dual critic c is steeper than at initialisation (|dc/da|
    ~1e-4 there), so that |dc/da| passes 1 in some rows and the penalty bites, and 6 rows (s, z, a~, a_data) to
    evaluate c's loss on: (trainer, obs, z, a_policy, a_data)."""
    from tests.test_gradient_flow import ACT, OBS, make_trainer

    tr = make_trainer(use_brac=True, dual_critic_penalty="gradient")
    with torch.no_grad():
        for layer, scale in zip(tr.dual_critic.layers, (4.0, 4.0, 4.0, 1000.0)):
            layer.weight.mul_(scale)
    g = torch.Generator().manual_seed(5)
    n, latent = 6, tr.agent.latent_dim
    obs, z = torch.randn(n, OBS, generator=g), torch.randn(n, latent, generator=g)
    a_policy, a_data = torch.rand(n, ACT, generator=g) * 2 - 1, torch.rand(n, ACT, generator=g) * 2 - 1
    return tr, obs, z, a_policy, a_data


def test_the_gradient_penalty_reads_each_rows_own_dc_da():
    """BRAC's true gradient penalty (dual_critic_penalty "gradient"): the penalty of dc/da at each row's own
    interpolated action, a_int = a~ + u (a_data - a~), u ~ U(0, 1) from the trainer's generator; computed here row
    by row. (A sum over rows before the gradient is what makes each row's dc/da its own; a mean scaled them all by
    1/N, a penalty that vanished, and nothing checked its value.)"""
    tr, obs, z, a_policy, a_data = gradient_penalty_case()
    n = len(obs)
    state = tr.generator.get_state()
    got = tr._dual_critic_loss(obs, a_policy, a_data, z)
    tr.generator.set_state(state)
    u = torch.rand(n, 1, generator=tr.generator)
    a_int = a_policy + u * (a_data - a_policy)
    grads = []
    for i in range(n):  # dc/da at row i alone
        a = a_int[i : i + 1].clone().requires_grad_(True)
        (grad,) = torch.autograd.grad(tr.dual_critic(torch.cat([obs[i : i + 1], a, z[i : i + 1]], -1)).sum(), a)
        grads.append(grad[0])
    norm = torch.sqrt(1e-8 + (torch.stack(grads) ** 2).sum(-1))
    penalty = 5.0 * (F.relu(norm - 1.0) ** 2).mean()
    c = lambda a: tr.dual_critic(torch.cat([obs, a, z], -1))  # noqa: E731
    expected = -losses.kl_dual_estimate(c(a_policy), c(a_data)).mean() + penalty
    assert penalty.item() > 0.01  # (a penalty that bites: the check would not see it scaled otherwise)
    assert got.item() == pytest.approx(expected.item(), rel=1e-5)
