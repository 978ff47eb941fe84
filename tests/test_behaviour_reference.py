"""Stage 1's batched SAC update against the reference's, task by task.

`OneTaskSAC` below restates the update of the reference's behaviour SAC (pytorch_sac's `SACAgent.update`,
`rlkit/torch/sac/pytorch_sac/agent/sac.py` in MoreanP/CSRO) for one task, with plain `nn.Linear` layers and
ReLU, as it reads there: the critic's target r + not_done * discount * (min of the two target Qs - alpha
log pi), the sum of the two Q errors; every `actor_update_frequency` steps the actor's loss alpha log pi - min Q
and the temperature's alpha (-log pi - target_entropy); every `critic_target_update_frequency` steps the
Polyak average of the targets. The policy is pytorch_sac's `DiagGaussianActor`: log_std squashed by tanh into
`log_std_bounds`, a tanh-Gaussian with the exact log-det. `VectorSAC` trains several tasks as one ensemble;
each of its tasks must move exactly as such a SAC does on that task's batch and noise, whatever the others do.

The comparison runs in float64, where the two sides agree to about 1e-15 on every host's kernels: in float32 the
batched and the per-task matrix products round differently, by an amount that depends on the kernels (MKL's
oldest code path, `MKL_CBWR=COMPATIBLE`, moved the weights apart by 1.2e-5 after 7 Adam steps, 2.4e-7 otherwise),
while a setting off by a little on one side moves them by 5e-4 or more.
"""

import contextlib
import dataclasses
import math

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from rlkit.torch.sac.vector_sac import SACParams, VectorSAC

OBS, ACT, HIDDEN, BATCH, TASKS = 3, 2, 16, 8, 2


def _linear_stack(ensemble, member: int) -> nn.Sequential:
    """Member `member` of an `EnsembleMLP` as nn.Linear layers with ReLU between (weights [out, in])."""
    layers: list[nn.Module] = []
    for k, (w, b) in enumerate(zip(ensemble.weights, ensemble.biases)):
        lin = nn.Linear(w.shape[1], w.shape[2])
        with torch.no_grad():
            lin.weight.copy_(w[member].T)
            lin.bias.copy_(b[member, 0])
        layers += [lin] if k == len(ensemble.weights) - 1 else [lin, nn.ReLU()]
    return nn.Sequential(*layers)


class OneTaskSAC:
    """The reference's behaviour SAC for task `i` of `vs`, from its current weights."""

    def __init__(self, vs: VectorSAC, i: int, p: SACParams):
        self.p = p
        self.actor = _linear_stack(vs.actor, i)
        self.q1, self.q2 = _linear_stack(vs.critic, i), _linear_stack(vs.critic, vs.n + i)
        self.t1, self.t2 = _linear_stack(vs.critic_target, i), _linear_stack(vs.critic_target, vs.n + i)
        self.log_alpha = torch.tensor(float(vs.log_alpha[i, 0, 0].detach()), requires_grad=True)
        critic = [*self.q1.parameters(), *self.q2.parameters()]
        self.actor_opt = torch.optim.Adam(self.actor.parameters(), lr=p.actor_lr, betas=p.actor_betas)
        self.critic_opt = torch.optim.Adam(critic, lr=p.critic_lr, betas=p.critic_betas)
        self.alpha_opt = torch.optim.Adam([self.log_alpha], lr=p.alpha_lr, betas=p.alpha_betas)

    def act(self, obs, eps):
        mu, log_std = self.actor(obs).chunk(2, dim=-1)
        lo, hi = self.p.log_std_bounds
        log_std = lo + 0.5 * (hi - lo) * (torch.tanh(log_std) + 1)
        u = mu + log_std.exp() * eps
        log_prob = torch.distributions.Normal(mu, log_std.exp()).log_prob(u)
        log_prob = log_prob - 2 * (math.log(2) - u - F.softplus(-2 * u))  # log |d tanh(u) / du|
        return torch.tanh(u), log_prob.sum(-1, keepdim=True)

    def update(self, obs, action, reward, next_obs, not_done, step, eps_next, eps_pi):
        alpha = self.log_alpha.exp()
        with torch.no_grad():
            next_action, next_log_prob = self.act(next_obs, eps_next)
            x = torch.cat([next_obs, next_action], -1)
            target_v = torch.min(self.t1(x), self.t2(x)) - alpha.detach() * next_log_prob
            target_q = reward + not_done * self.p.discount * target_v
        x = torch.cat([obs, action], -1)
        critic_loss = F.mse_loss(self.q1(x), target_q) + F.mse_loss(self.q2(x), target_q)
        self.critic_opt.zero_grad()
        critic_loss.backward()
        self.critic_opt.step()
        logged = {"critic_loss": critic_loss, "batch_reward": reward.mean()}  # what pytorch_sac's logger records
        if step % self.p.actor_update_frequency == 0:
            pi, log_prob = self.act(obs, eps_pi)
            x = torch.cat([obs, pi], -1)
            actor_loss = (alpha.detach() * log_prob - torch.min(self.q1(x), self.q2(x))).mean()
            self.actor_opt.zero_grad()
            actor_loss.backward()
            self.actor_opt.step()
            alpha_loss = (self.log_alpha.exp() * (-log_prob - (-ACT)).detach()).mean()
            logged |= {"actor_loss": actor_loss, "alpha_loss": alpha_loss, "alpha": alpha, "entropy": -log_prob.mean()}
            self.alpha_opt.zero_grad()
            alpha_loss.backward()
            self.alpha_opt.step()
        if step % self.p.critic_target_update_frequency == 0:
            with torch.no_grad():
                for net, target in ((self.q1, self.t1), (self.q2, self.t2)):
                    for w, tw in zip(net.parameters(), target.parameters()):
                        tw.mul_(1 - self.p.critic_tau).add_(self.p.critic_tau * w)
        return {k: v.detach() for k, v in logged.items()}


class RecordedNoise:
    """`TaskGenerators`' interface, keeping every draw (stacked over tasks) for the one-task SACs."""

    def __init__(self):
        self.gen, self.draws = torch.Generator().manual_seed(7), []

    def randn(self, *shape, subset=None):
        self.draws.append(torch.randn(TASKS, *shape, generator=self.gen))
        return self.draws[-1]


def _assert_task_equal(vs: VectorSAC, i: int, ref: OneTaskSAC, atol: float) -> None:
    state = vs.task_state(i)
    for key, net, row in [
        ("actor", ref.actor, 0),
        ("critic", ref.q1, 0),
        ("critic", ref.q2, 1),
        ("critic_target", ref.t1, 0),
        ("critic_target", ref.t2, 1),
    ]:
        linears = [m for m in net if isinstance(m, nn.Linear)]
        for k, lin in enumerate(linears):
            torch.testing.assert_close(state[f"{key}.weights.{k}"][row].T, lin.weight.detach(), atol=atol, rtol=0)
            torch.testing.assert_close(state[f"{key}.biases.{k}"][row, 0], lin.bias.detach(), atol=atol, rtol=0)
    torch.testing.assert_close(state["log_alpha"].reshape(()), ref.log_alpha.detach(), atol=atol, rtol=0)


def _params(actor_every: int) -> SACParams:
    """Every learning rate, beta and period off its default, so that a swapped one shows."""
    return SACParams(
        discount=0.97,
        init_temperature=0.1,
        alpha_lr=3e-3,
        alpha_betas=(0.5, 0.999),
        actor_lr=2e-3,
        actor_betas=(0.8, 0.99),
        actor_update_frequency=actor_every,
        critic_lr=1e-3,
        critic_betas=(0.7, 0.9),
        critic_tau=0.05,
        critic_target_update_frequency=2,
        batch_size=BATCH,
        critic_hidden_dim=HIDDEN,
        critic_hidden_depth=2,
        actor_hidden_dim=HIDDEN,
        actor_hidden_depth=2,
        log_std_bounds=(-5.0, 2.0),
    )


@contextlib.contextmanager
def _float64():
    """torch's default dtype float64 inside (the networks, batches and noise made there), as before after."""
    before = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        yield
    finally:
        torch.set_default_dtype(before)


def _compare(p: SACParams, reference: SACParams, steps: int = 7) -> None:
    """`steps` updates of a 2-task VectorSAC of settings `p` beside one-task SACs of settings `reference`, in
    float64 (the module's doc)."""
    with _float64():
        _compare_float64(p, reference, steps)


def _compare_float64(p: SACParams, reference: SACParams, steps: int) -> None:
    vs = VectorSAC(TASKS, OBS, ACT, p, seed=0, device=torch.device("cpu"))
    gen = torch.Generator().manual_seed(3)
    with torch.no_grad():  # the tasks start alike (one seed): make them differ
        for w in [*vs.actor.parameters(), *vs.critic.parameters()]:
            w.add_(0.1 * torch.randn(w.shape, generator=gen))
        vs.critic_target.load_state_dict(vs.critic.state_dict())
        for w in vs.critic_target.parameters():
            w.add_(0.05 * torch.randn(w.shape, generator=gen))
        vs.log_alpha.copy_(torch.tensor([0.1, 0.3]).log().view(TASKS, 1, 1))
    refs = [OneTaskSAC(vs, i, reference) for i in range(TASKS)]
    for i, ref in enumerate(refs):
        _assert_task_equal(vs, i, ref, atol=0)
    for step in range(steps):
        batch = {
            "obs": torch.randn(TASKS, BATCH, OBS, generator=gen),
            "actions": torch.rand(TASKS, BATCH, ACT, generator=gen) * 2 - 1,
            "rewards": torch.randn(TASKS, BATCH, 1, generator=gen),
            "next_obs": torch.randn(TASKS, BATCH, OBS, generator=gen),
            "not_done": (torch.rand(TASKS, BATCH, 1, generator=gen) > 0.3).float(),
        }
        noise = RecordedNoise()
        records = vs.update(batch, step, noise)
        assert len(noise.draws) == (2 if step % p.actor_update_frequency == 0 else 1)
        eps_pi = noise.draws[1] if len(noise.draws) == 2 else torch.zeros_like(noise.draws[0])
        for i, ref in enumerate(refs):
            rows = [batch[k][i] for k in ("obs", "actions", "rewards", "next_obs", "not_done")]
            logged = ref.update(*rows, step, noise.draws[0][i], eps_pi[i])
            _assert_task_equal(vs, i, ref, atol=1e-10)
            assert records.keys() == logged.keys()  # the update's records are pytorch_sac's logged values, per task
            for k, v in logged.items():
                torch.testing.assert_close(records[k][i], v, atol=1e-10, rtol=0, msg=k)


@pytest.mark.parametrize("actor_every", [1, 2])
def test_every_task_of_the_batched_update_moves_as_the_references_sac_on_its_own_batch(actor_every):
    """7 steps; tasks of different weights, targets and temperatures (an update mixing them shows); about a
    third of the rows terminal. Equal to float64 rounding."""
    _compare(_params(actor_every), _params(actor_every))


@pytest.mark.parametrize(
    "change", [{"discount": 0.96}, {"critic_tau": 0.06}, {"actor_betas": (0.9, 0.99)}, {"log_std_bounds": (-5.0, 1.0)}]
)
def test_the_comparison_sees_a_setting_changed_on_one_side(change):
    """The same comparison fails where the one-task SAC runs one setting slightly off: the tolerance is tight."""
    with pytest.raises(AssertionError):
        _compare(_params(2), dataclasses.replace(_params(2), **change))
