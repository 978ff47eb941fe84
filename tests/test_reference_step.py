"""`CSROTrainer.train_step` against a port of the reference's training step, step by step, in float64.

What is compared. The reference is the authors' code, MoreanP/CSRO (commit 7db1efd), whose
`CSROSoftActorCritic._take_step` (`rlkit/torch/sac/sac.py` 243-406) drives seven Adam optimisers (sac.py 79-85)
through shared graphs with `retain_graph=True`; docs/reference-differences.md says the project's step gives "the
losses on the same weights and batch equal to the reference's". `ReferenceStep` below is that step written in the
reference's own structure, and each case runs it next to the project's trainer for `STEPS` steps on the same
inputs, asserting every logged loss of every step (rtol 1e-9), then every parameter of every network, all layers,
the target V included, and BRAC's alpha. Several steps, so that Adam's moments, the Polyak target and alpha all
carry from one step into the next. What the port keeps of the reference:

- networks (`launch_experiment.py` 64-114): rlkit's `Mlp` / `FlattenMlp` (`rlkit/torch/networks.py` 20-119),
  one `nn.Linear` per layer; two separate Q networks with one Adam each (the project: one 2-member ensemble, one
  Adam); the tanh-Gaussian policy with separate mean and log-std heads (`rlkit/torch/sac/policies.py` 14-15,
  81-144; the project: one layer of 2|A| outputs), its sample and log-probability as `TanhNormal.rsample` and
  `log_prob` (`rlkit/torch/distributions.py` 107-141); the target V a copy of V (sac.py 77);
- z (`rlkit/torch/sac/agent.py` 145-195): the mean of the tanh encoder's per-transition outputs, repeated per RL
  row, the policy fed sg(z);
- the step, statement by statement in the reference's order: Q and V predictions on the step's first weights
  (265-272), the dual critic's loss and `c_iter - 1` further `_optimize_c` steps (278-283, 206-224), D_hat
  (286-287), the target V with the value penalty (290-294), the CLUB net's fit (297-306), the encoder's
  gradients: the CLUB bound through the pairwise [T, b^2, L] tensor (311-324) and FOCAL's pair loop
  (226-241, 326-329), each `backward(retain_graph=True)` into the same gradients, the critics' loss and the three
  steps Q1, Q2, encoder (332-348), V and the Polyak update (350-363; `pytorch_util.py` 6-10), the policy
  (368-395), alpha by the gradient of its loss (400-405), used clipped (`clip_v2`, sac.py 99-102,
  `rlkit/torch/brac/utils.py` 36-38);
- BRAC (`rlkit/torch/brac/divergences.py` 29-95, `utils.py` 64-68): `soft_relu`, the KL dual estimate and the
  penalty on c's values at interpolated actions.

OFFPEARL has no reference in CSRO's code (docs/algorithm.md, "OFFPEARL"); it is PEARL's encoder and KL on CSRO's
learner, so its port is the step above with PEARL's agent and KL term from katerakelly/oyster (commit 44e20fd):
`_product_of_gaussians` (`rlkit/torch/sac/agent.py` 10-17), `infer_posterior` / `sample_z` (123-145),
`compute_kl_div` (115-121, prior N(0, I)) and the KL's place in `_take_step` (`sac.py` 204-209, in place of
CSRO's 297-329), the critics' gradient reaching the encoder through z (oyster sac.py 197-198).

Where the port follows the project instead, because the reference's behaviour there is a documented difference:
c and alpha are trained only with BRAC (the reference trains both always, where they affect nothing; the
reference-differences table); OFFPEARL's extra dual-critic batches use this step's z sample (the reference's
`_optimize_c` re-infers z, the same value for CSRO's deterministic z); PEARL's posterior sample is one draw of
[T, L] (oyster draws one per task, twice per forward: agent.py 137 and 160).

Same weights, same random numbers. The port's networks are built from the project trainer's initial weights
(`reference_networks`, also used at the end to read the trained weights back in the reference's layout). The
reference draws its noise from torch's global generator (the policy's N(0, 1) sample, `torch.rand` for c's
interpolation, PEARL's z sample); the port draws the same shapes from its own generator, started from the state
of the trainer's generator, in the reference's order, which is also the project's. A missing, extra or reordered
draw therefore shows as a loss mismatch, and the two generators' states must agree at the end.

Why float64: the port groups the arithmetic differently (separate Q heads against batched matmuls, the pairwise
CLUB tensor against its moment form, a Python pair loop against a masked FOCAL sum, plain against fused Adam). In
float32 these cases then differ by up to 6e-3 in a loss (the CLUB bound, a small difference of large terms) and
4e-5 in a weight after 10 steps, about what 10 Adam steps move a weight, so no tolerance could tell rounding from
a real difference. In float64 they agree to 2e-13 (losses, relative) and 1e-13 (weights), and rtol 1e-9 sits far
below the effect of any real change (a reordered update, a wrong constant, a stray random draw).
"""

from __future__ import annotations

import copy

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from rlkit.config import load_config, parse_override_args
from rlkit.data.buffer import RLBatch
from rlkit.tasks import train_eval_split
from rlkit.torch.csro.trainer import CSROTrainer, LossRecord, TrainerSettings
from rlkit.torch.networks import MLP

OBS, ACT = 2, 2
TASKS, CONTEXT, ROWS = 4, 8, 5  # meta-batch, context transitions and RL rows per task
STEPS = 10  # enough for Adam's moments, the Polyak target and alpha to carry over several steps
LOSS_RTOL, LOSS_ATOL = 1e-9, 1e-12
WEIGHT_RTOL, WEIGHT_ATOL = 1e-9, 1e-12

CASES = {
    "csro": {},
    "brac": {"use_brac": True},
    "brac_value_penalty": {"use_brac": True, "use_value_penalty": True},
    "focal": {"algo_type": "FOCAL"},
    "mb_replace": {"mb_replace": True},  # repeated tasks: FOCAL's same-task term acts
    "allow_backward_z": {"allow_backward_z": True},
    "brac_no_max_entropy_pre_activation": {
        "use_brac": True,
        "max_entropy": False,
        "policy_pre_activation_weight": 0.01,
    },
    # alpha starts above alpha_max, then falls through [0, alpha_max] and below 0 within the steps: both clips act,
    # in the policy loss and (value penalty) in V's target
    "brac_clipped_alpha": {
        "use_brac": True,
        "use_value_penalty": True,
        "alpha_init": 20.0,
        "alpha_max": 10.0,
        "alpha_lr": 50.0,
    },
    "offpearl": {"algo_type": "OFFPEARL"},
    "offpearl_brac": {"algo_type": "OFFPEARL", "use_brac": True},
    # the policy's mean and log-std regularisers of different weights (the others' are both 1e-3, where the two
    # terms or their weights swapped give the same loss)
    "policy_regularisers_apart": {"policy_mean_reg_weight": 0.3, "policy_std_reg_weight": 0.002},
    # every loss weight and learning rate of its own (by default z_loss_weight and club_model_loss_weight are both 10,
    # and the four learning rates all 3e-4, where one taken for another gives the same step)
    "weights_and_rates_apart": {
        "z_loss_weight": 3.0,
        "club_model_loss_weight": 7.0,
        "club_loss_weight": 11.0,
        "policy_lr": 1e-4,
        "qf_lr": 2e-4,
        "vf_lr": 3e-4,
        "context_lr": 4e-4,
    },
}


@pytest.fixture
def float64():
    """torch's default dtype float64 for the test, restored after it."""
    before = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(before)


# ---- the reference's networks ------------------------------------------------------------------------------
class RefMlp(nn.Module):
    """rlkit's `Mlp` / `FlattenMlp` (networks.py 20-119): the inputs concatenated, ReLU layers `fcs`, `last_fc`,
    then the output activation (identity when None)."""

    def __init__(self, linears: list[nn.Linear], output_activation=None):
        super().__init__()
        self.fcs = nn.ModuleList(linears[:-1])
        self.last_fc = linears[-1]
        self.output_activation = output_activation

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
        h = torch.cat(inputs, dim=-1)
        for fc in self.fcs:
            h = F.relu(fc(h))
        out = self.last_fc(h)
        return out if self.output_activation is None else self.output_activation(out)


class RefTanhGaussianPolicy(nn.Module):
    """`TanhGaussianPolicy.forward(reparameterize=True, return_log_prob=True)` (policies.py 81-144): mean and
    log-std heads, log-std clamped to [-20, 0], `TanhNormal.rsample` and `log_prob` (distributions.py 107-141),
    the N(0, 1) sample drawn from `generator`. Returns the reference's 8-tuple."""

    def __init__(self, linears: list[nn.Linear], log_std_head: nn.Linear):
        super().__init__()
        self.fcs = nn.ModuleList(linears[:-1])
        self.last_fc = linears[-1]
        self.last_fc_log_std = log_std_head

    def forward(self, obs: torch.Tensor, generator: torch.Generator) -> tuple:
        h = obs
        for fc in self.fcs:
            h = F.relu(fc(h))
        mean = self.last_fc(h)
        log_std = torch.clamp(self.last_fc_log_std(h), -20, 0)
        std = torch.exp(log_std)
        pre_tanh_value = mean + std * torch.randn(mean.shape, generator=generator)
        action = torch.tanh(pre_tanh_value)
        log_prob = torch.distributions.Normal(mean, std).log_prob(pre_tanh_value) - torch.log(
            1 - action * action + 1e-6
        )
        log_prob = log_prob.sum(dim=1, keepdim=True)
        return action, mean, log_std, log_prob, None, std, None, pre_tanh_value


def _linear(weight: torch.Tensor, bias: torch.Tensor) -> nn.Linear:
    """An `nn.Linear` holding a copy of `weight` [out, in] and `bias` [out]."""
    layer = nn.Linear(weight.shape[1], weight.shape[0])
    with torch.no_grad():
        layer.weight.copy_(weight)
        layer.bias.copy_(bias)
    return layer


def _linears(mlp: MLP) -> list[nn.Linear]:
    return [_linear(layer.weight, layer.bias) for layer in mlp.layers]


def reference_networks(tr: CSROTrainer) -> dict[str, nn.Module]:
    """The reference's networks (launch_experiment.py 64-114) holding the trainer's current weights: the project's
    ensemble member m as `qf{m + 1}`, its policy's 2|A|-output layer as the mean and log-std heads."""
    s, a = tr.settings, tr.action_dim
    *trunk, last = tr.agent.policy.net.layers
    policy = RefTanhGaussianPolicy(
        [_linear(layer.weight, layer.bias) for layer in trunk] + [_linear(last.weight[:a], last.bias[:a])],
        _linear(last.weight[a:], last.bias[a:]),
    )
    qf = [RefMlp([_linear(w[m].T, b[m, 0]) for w, b in zip(tr.qf.weights, tr.qf.biases)]) for m in range(tr.qf.members)]
    nets = {
        "context_encoder": RefMlp(_linears(tr.agent.encoder), None if s.identity_encoder else torch.tanh),
        "policy": policy,
        "qf1": qf[0],
        "qf2": qf[1],
        "vf": RefMlp(_linears(tr.vf)),
        "target_vf": RefMlp(_linears(tr.target_vf)),
        "club_model": RefMlp(_linears(tr.club_net), torch.tanh),
    }
    if tr.dual_critic is not None:
        nets["c"] = RefMlp(_linears(tr.dual_critic))
    return nets


def soft_relu(x: torch.Tensor) -> torch.Tensor:
    """brac/utils.py 64-68: log(1 + exp(x)), written as the reference writes it."""
    return torch.log(1.0 + torch.exp(-torch.abs(x))) + torch.max(x, torch.zeros_like(x))


def product_of_gaussians(mus: torch.Tensor, sigmas_squared: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """oyster agent.py 10-17."""
    sigmas_squared = torch.clamp(sigmas_squared, min=1e-7)
    sigma_squared = 1.0 / torch.sum(torch.reciprocal(sigmas_squared), dim=0)
    mu = sigma_squared * torch.sum(mus / sigmas_squared, dim=0)
    return mu, sigma_squared


# ---- the reference's step --------------------------------------------------------------------------------------
class ReferenceStep:
    """`CSROSoftActorCritic` (sac.py) reduced to its training step, on `reference_networks(tr)`; with OFFPEARL,
    PEARL's agent and KL (oyster). The switches and weights are the trainer's resolved settings."""

    def __init__(self, tr: CSROTrainer):
        s = self.s = tr.settings
        # what the port implements: the reference's value penalty, no z = 0 rows, no classifier head
        assert s.dual_critic_penalty == "value" and s.z0_share is None and not s.classifier_tasks
        self.obs_dim, self.action_dim, self.latent_dim = tr.obs_dim, tr.action_dim, s.latent_size
        nets = reference_networks(tr)
        self.context_encoder, self.policy = nets["context_encoder"], nets["policy"]
        self.qf1, self.qf2, self.vf, self.club_model = nets["qf1"], nets["qf2"], nets["vf"], nets["club_model"]
        self.c = nets.get("c")
        self.target_vf = copy.deepcopy(self.vf)  # sac.py 77
        adam = torch.optim.Adam  # sac.py 79-85
        self.policy_optimizer = adam(self.policy.parameters(), lr=s.policy_lr)
        self.qf1_optimizer = adam(self.qf1.parameters(), lr=s.qf_lr)
        self.qf2_optimizer = adam(self.qf2.parameters(), lr=s.qf_lr)
        self.vf_optimizer = adam(self.vf.parameters(), lr=s.vf_lr)
        self.c_optimizer = adam(self.c.parameters(), lr=s.c_lr) if self.c is not None else None
        self.context_optimizer = adam(self.context_encoder.parameters(), lr=s.context_lr)
        self.club_model_optimizer = adam(self.club_model.parameters(), lr=s.context_lr)
        self._alpha_var = torch.tensor(s.alpha_init, requires_grad=True)  # sac.py 113-114
        self.generator = torch.Generator()  # the reference's global generator, at the trainer's stream
        self.generator.set_state(tr.generator.get_state())

    def networks(self) -> dict[str, nn.Module]:
        """The networks under `reference_networks`' names."""
        names = ("context_encoder", "policy", "qf1", "qf2", "vf", "target_vf", "club_model", "c")
        return {k: getattr(self, k) for k in names if getattr(self, k) is not None}

    def get_alpha(self) -> torch.Tensor:
        """sac.py 99-102 with `clip_v2` (brac/utils.py 36-38)."""
        x = self._alpha_var
        return torch.min(torch.max(x, 0.0 * torch.ones_like(x)), self.s.alpha_max * torch.ones_like(x))

    # the agent (agent.py)
    def infer_posterior(self, context: torch.Tensor) -> None:
        """agent.py 145-165: z is the mean of the per-transition outputs. OFFPEARL: oyster agent.py 123-145, the
        product of the per-transition Gaussians and one reparameterised sample of it."""
        params = self.encode_no_mean(context)
        if self.s.pearl_kl:
            mu = params[..., : self.latent_dim]
            sigma_squared = F.softplus(params[..., self.latent_dim :])
            z_params = [product_of_gaussians(m, s) for m, s in zip(torch.unbind(mu), torch.unbind(sigma_squared))]
            self.z_means = torch.stack([p[0] for p in z_params])
            self.z_vars = torch.stack([p[1] for p in z_params])
            eps = torch.randn(self.z_means.shape, generator=self.generator)
            self.z = self.z_means + torch.sqrt(self.z_vars) * eps
        else:
            self.z_means = torch.mean(params, dim=1)
            self.z = self.z_means

    def encode_no_mean(self, context: torch.Tensor) -> torch.Tensor:
        """agent.py 159-162."""
        return self.context_encoder(context).view(context.size(0), -1, self.context_encoder.last_fc.out_features)

    def agent(self, obs: torch.Tensor, context: torch.Tensor) -> tuple[tuple, torch.Tensor]:
        """`PEARLAgent.forward` (agent.py 177-195): z broadcast to each task's rows, the policy on (s, sg z)."""
        self.infer_posterior(context)
        return self.run_policy(obs, self.z)

    def run_policy(self, obs: torch.Tensor, z: torch.Tensor) -> tuple[tuple, torch.Tensor]:
        """agent.py 185-191: z [T, L] repeated to the B rows of its task, the policy on (s, sg z) of obs [T, B, S]."""
        t, b, _ = obs.size()
        obs = obs.view(t * b, -1)
        task_z = torch.cat([z_t.repeat(b, 1) for z_t in z], dim=0)
        in_ = torch.cat([obs, task_z.detach()], dim=1)
        return self.policy(in_, self.generator), task_z

    # BRAC (brac/divergences.py)
    def dual_estimate(self, s, a_p, a_b, task_z) -> torch.Tensor:
        """`FDivergence.dual_estimate` with `KL._dual_estimate_with_logits` (66-69, 93-95)."""
        logits_p, logits_b = self.c(s, a_p, task_z), self.c(s, a_b, task_z)
        return -soft_relu(logits_b) + torch.log(soft_relu(logits_p) + 1e-8) + 1.0

    def gradient_penalty(self, s, a_p, a_b, task_z, gamma: float = 5.0) -> torch.Tensor:
        """29-43: the penalty on c's values at interpolated actions."""
        alpha = torch.rand([s.shape[0]], generator=self.generator)
        a_intpl = a_p + alpha[:, None] * (a_b - a_p)
        c_intpl = self.c(s, a_intpl, task_z)
        slope = torch.sqrt(1e-8 + torch.sum(c_intpl**2, axis=-1))
        return torch.mean(torch.max(slope - 1.0, torch.zeros_like(slope)) ** 2) * gamma

    def dual_critic_loss(self, s, a_p, a_b, task_z) -> torch.Tensor:
        """55-57."""
        return -torch.mean(self.dual_estimate(s, a_p, a_b, task_z)) + self.gradient_penalty(s, a_p, a_b, task_z)

    def _optimize_c(self, batch: RLBatch, context: torch.Tensor) -> None:
        """sac.py 206-224 on one extra batch; OFFPEARL keeps this step's z sample (the project's choice)."""
        if self.s.pearl_kl:
            policy_outputs, task_z = self.run_policy(batch.obs, self.z)
        else:
            policy_outputs, task_z = self.agent(batch.obs, context)
        t, b, _ = batch.obs.size()
        obs, actions = batch.obs.view(t * b, -1), batch.actions.view(t * b, -1)
        c_loss = self.dual_critic_loss(obs, policy_outputs[0].detach(), actions, task_z.detach())
        self.c_optimizer.zero_grad()
        c_loss.backward(retain_graph=True)
        self.c_optimizer.step()

    # the encoder's own losses
    def focal_z_loss(self, indices: list, task_z: torch.Tensor, b: int, epsilon: float = 1e-3) -> torch.Tensor:
        """`FOCAL_z_loss` (sac.py 226-241): over pairs i < j of the meta-batch, on row i * b of each task."""
        pos_z_loss, neg_z_loss, pos_cnt, neg_cnt = 0.0, 0.0, 0, 0
        for i in range(len(indices)):
            idx_i = i * b
            for j in range(i + 1, len(indices)):
                idx_j = j * b
                if indices[i] == indices[j]:
                    pos_z_loss += torch.sqrt(torch.mean((task_z[idx_i] - task_z[idx_j]) ** 2) + epsilon)
                    pos_cnt += 1
                else:
                    neg_z_loss += 1 / (torch.mean((task_z[idx_i] - task_z[idx_j]) ** 2) + epsilon * 100)
                    neg_cnt += 1
        return pos_z_loss / (pos_cnt + epsilon) + neg_z_loss / (neg_cnt + epsilon)

    def compute_kl_div(self) -> torch.Tensor:
        """oyster agent.py 115-121: sum over tasks of KL(q(z|c) || N(0, I))."""
        prior = torch.distributions.Normal(torch.zeros(self.latent_dim), torch.ones(self.latent_dim))
        posteriors = [
            torch.distributions.Normal(mu, torch.sqrt(var))
            for mu, var in zip(torch.unbind(self.z_means), torch.unbind(self.z_vars))
        ]
        kl_divs = [torch.distributions.kl.kl_divergence(post, prior) for post in posteriors]
        return torch.sum(torch.stack(kl_divs))

    def encoder_gradients(self, indices: list, context: torch.Tensor, task_z: torch.Tensor, b: int) -> dict:
        """CSRO: sac.py 297-329, the CLUB net's step, then the CLUB bound's and FOCAL's gradients into the encoder
        (zeroed first). OFFPEARL: oyster sac.py 204-209, the KL's gradient."""
        s, zero = self.s, torch.zeros(())
        out = {"club_model_loss": zero, "club_loss": zero, "z_loss": zero}
        sa = context[..., : self.obs_dim + self.action_dim]  # the CLUB net's input size (club_use_sa)
        if s.use_club:
            self.club_model_optimizer.zero_grad()
            z_target = self.encode_no_mean(context).detach()
            z_param = self.club_model(sa)
            z_mean = z_param[..., : self.latent_dim]
            z_var = F.softplus(z_param[..., self.latent_dim :])
            club_model_loss = (
                s.club_model_loss_weight
                * ((z_target - z_mean) ** 2 / (2 * z_var) + torch.log(torch.sqrt(z_var))).mean()
            )
            club_model_loss.backward()
            out["club_model_loss"] = club_model_loss.detach()
            self.club_model_optimizer.step()

        self.context_optimizer.zero_grad()
        if s.use_club:
            z_target = self.encode_no_mean(context)
            z_param = self.club_model(sa).detach()
            z_mean = z_param[..., : self.latent_dim]
            z_var = F.softplus(z_param[..., self.latent_dim :])
            z_t, z_b, _ = z_mean.size()
            position = -((z_target - z_mean) ** 2 / z_var).mean()
            z_mean_expand = z_mean[:, :, None, :].expand(-1, -1, z_b, -1).reshape(z_t, z_b**2, -1)
            z_var_expand = z_var[:, :, None, :].expand(-1, -1, z_b, -1).reshape(z_t, z_b**2, -1)
            z_target_repeat = z_target.repeat(1, z_b, 1)
            negative = -((z_target_repeat - z_mean_expand) ** 2 / z_var_expand).mean()
            club_loss = s.club_loss_weight * (position - negative)
            club_loss.backward(retain_graph=True)
            out["club_loss"] = club_loss.detach()
        if s.use_focal:
            z_loss = s.z_loss_weight * self.focal_z_loss(indices, task_z, b)
            z_loss.backward(retain_graph=True)
            out["z_loss"] = z_loss.detach()
        if s.pearl_kl:
            kl_loss = s.kl_lambda * self.compute_kl_div()
            kl_loss.backward(retain_graph=True)
            out["z_loss"] = kl_loss.detach()
        return out

    def take_step(
        self, indices: torch.Tensor, context: torch.Tensor, batch: RLBatch, extras: list[RLBatch]
    ) -> dict[str, torch.Tensor]:
        """sac.py 243-406; returns the losses under `LossRecord.SCALARS`' names."""
        s = self.s
        num_tasks = len(indices)
        obs, actions, rewards = batch.obs, batch.actions, batch.rewards
        next_obs, terms = batch.next_obs, batch.terminals
        policy_outputs, task_z = self.agent(obs, context)
        t, b, _ = obs.size()
        obs = obs.view(t * b, -1)
        actions = actions.view(t * b, -1)
        next_obs = next_obs.view(t * b, -1)
        new_actions, policy_mean, policy_log_std, log_pi = policy_outputs[:4]

        if s.allow_backward_z:
            q1_pred = self.qf1(obs, actions, task_z)
            q2_pred = self.qf2(obs, actions, task_z)
        else:
            q1_pred = self.qf1(obs, actions, task_z.detach())
            q2_pred = self.qf2(obs, actions, task_z.detach())
        v_pred = self.vf(obs, task_z.detach())

        c_loss, div_estimate = torch.zeros(()), None
        if s.use_brac:
            c_loss = self.dual_critic_loss(obs, new_actions.detach(), actions, task_z.detach())
            self.c_optimizer.zero_grad()
            c_loss.backward(retain_graph=True)
            self.c_optimizer.step()
            for extra in extras:  # c_iter - 1 of them
                self._optimize_c(extra, context)
            div_estimate = self.dual_estimate(obs, new_actions, actions, task_z.detach())

        with torch.no_grad():
            if s.use_brac and s.value_penalty:
                target_v_values = self.target_vf(next_obs, task_z) - self.get_alpha() * div_estimate
            else:
                target_v_values = self.target_vf(next_obs, task_z)

        losses = self.encoder_gradients(indices.tolist(), context, task_z, b)

        self.qf1_optimizer.zero_grad()
        self.qf2_optimizer.zero_grad()
        rewards_flat = rewards.view(b * num_tasks, -1) * s.reward_scale  # b is the reference's self.batch_size
        terms_flat = terms.view(b * num_tasks, -1)
        q_target = rewards_flat + (1.0 - terms_flat) * s.discount * target_v_values
        qf_loss = torch.mean((q1_pred - q_target) ** 2) + torch.mean((q2_pred - q_target) ** 2)
        qf_loss.backward(retain_graph=True)
        self.qf1_optimizer.step()
        self.qf2_optimizer.step()
        self.context_optimizer.step()

        min_q_new_actions = torch.min(
            self.qf1(obs, new_actions, task_z.detach()), self.qf2(obs, new_actions, task_z.detach())
        )
        v_target = min_q_new_actions - log_pi if s.max_entropy else min_q_new_actions
        vf_loss = F.mse_loss(v_pred, v_target.detach())
        self.vf_optimizer.zero_grad()
        vf_loss.backward(retain_graph=True)
        self.vf_optimizer.step()
        for target_param, param in zip(self.target_vf.parameters(), self.vf.parameters()):
            target_param.data.copy_(target_param.data * (1.0 - s.soft_target_tau) + param.data * s.soft_target_tau)

        log_policy_target = min_q_new_actions
        if s.use_brac:
            if s.max_entropy:
                policy_loss = (log_pi - log_policy_target + self.get_alpha().detach() * div_estimate).mean()
            else:
                policy_loss = (-log_policy_target + self.get_alpha().detach() * div_estimate).mean()
        else:
            if s.max_entropy:
                policy_loss = (log_pi - log_policy_target).mean()
            else:
                policy_loss = -log_policy_target.mean()
        mean_reg_loss = s.policy_mean_reg_weight * (policy_mean**2).mean()
        std_reg_loss = s.policy_std_reg_weight * (policy_log_std**2).mean()
        pre_tanh_value = policy_outputs[-1]
        pre_activation_reg_loss = s.policy_pre_activation_weight * ((pre_tanh_value**2).sum(dim=-1).mean())
        policy_loss = policy_loss + mean_reg_loss + std_reg_loss + pre_activation_reg_loss
        self.policy_optimizer.zero_grad()
        policy_loss.backward(retain_graph=True)
        self.policy_optimizer.step()

        if s.use_brac and s.train_alpha:
            a_loss = -torch.mean(self._alpha_var * (div_estimate - s.target_divergence).detach())
            a_loss.backward()
            with torch.no_grad():
                self._alpha_var -= s.alpha_lr * self._alpha_var.grad
                self._alpha_var.grad.zero_()

        return {
            **losses,
            "qf_loss": qf_loss.detach(),
            "vf_loss": vf_loss.detach(),
            "policy_loss": policy_loss.detach(),
            "dual_critic_loss": c_loss.detach(),
        }


# ---- the test ------------------------------------------------------------------------------------------------
def make_trainer(overrides: dict) -> tuple[CSROTrainer, int]:
    """A small trainer (latent 4, net 16) of the default config with `overrides`, and its `c_iter`."""
    args = []
    for k, v in {"latent_size": 4, "net_size": 16, **overrides}.items():
        args += [f"--{k}", str(v).lower() if isinstance(v, bool) else str(v)]
    cfg = load_config(None, parse_override_args(args))
    settings = TrainerSettings.from_config(cfg, train_eval_split(cfg)[0])
    return CSROTrainer(settings, OBS, ACT, torch.device("cpu"), seed=0), cfg.algo_params.c_iter


def make_inputs(step: int, mb_replace: bool, n_extra: int) -> tuple[torch.Tensor, torch.Tensor, RLBatch, list[RLBatch]]:
    """Step `step`'s task ids, contexts [T, b, |S| + |A| + 1], RL batch and `n_extra` extra dual-critic batches.
    With `mb_replace` the ids repeat (4 drawn from 3), so that FOCAL's same-task term acts."""
    g = torch.Generator().manual_seed(step)
    context = torch.randn(TASKS, CONTEXT, OBS + ACT + 1, generator=g)

    def rl_batch() -> RLBatch:
        return RLBatch(
            torch.randn(TASKS, ROWS, OBS, generator=g),
            torch.rand(TASKS, ROWS, ACT, generator=g) * 2 - 1,
            torch.randn(TASKS, ROWS, 1, generator=g),
            torch.randn(TASKS, ROWS, OBS, generator=g),
            (torch.rand(TASKS, ROWS, 1, generator=g) < 0.2).to(torch.get_default_dtype()),
        )

    task_ids = (
        torch.randint(0, TASKS - 1, (TASKS,), generator=g) if mb_replace else torch.randperm(30, generator=g)[:TASKS]
    )
    return task_ids, context, rl_batch(), [rl_batch() for _ in range(n_extra)]


def assert_close(actual: torch.Tensor, expected: torch.Tensor, what: str, rtol: float, atol: float) -> None:
    """`torch.testing.assert_close`, its message prefixed with `what`."""
    torch.testing.assert_close(actual, expected, rtol=rtol, atol=atol, msg=lambda message: f"{what}: {message}")


def assert_same_weights(tr: CSROTrainer, ref: ReferenceStep) -> None:
    """Every parameter of every network (the project's read back in the reference's layout, which covers all of
    them), then alpha (unclipped)."""
    trained, ported = reference_networks(tr), ref.networks()
    assert trained.keys() == ported.keys()
    assert sum(p.numel() for net in trained.values() for p in net.parameters()) == sum(
        p.numel() for net in tr.modules().values() for p in net.parameters()
    )
    for name, net in trained.items():
        theirs = ported[name].state_dict()
        for key, value in net.state_dict().items():
            assert_close(value, theirs[key], f"{name}.{key}", WEIGHT_RTOL, WEIGHT_ATOL)
    assert_close(tr.alpha_var, ref._alpha_var.detach(), "alpha", WEIGHT_RTOL, 0.0)


@pytest.mark.parametrize("overrides", CASES.values(), ids=CASES.keys())
def test_train_step_equals_the_reference_step(float64, overrides):
    tr, c_iter = make_trainer(overrides)
    ref = ReferenceStep(tr)
    n_extra = c_iter - 1 if tr.settings.use_brac else 0
    for step in range(STEPS):
        task_ids, context, batch, extras = make_inputs(step, overrides.get("mb_replace", False), n_extra)
        record = tr.train_step(task_ids, context, batch, extras)
        expected = ref.take_step(task_ids, context, batch, extras)
        for name in LossRecord.SCALARS:
            assert_close(getattr(record, name), expected[name], f"step {step} {name}", LOSS_RTOL, LOSS_ATOL)
    assert_same_weights(tr, ref)
    assert torch.equal(tr.generator.get_state(), ref.generator.get_state()), "the two drew different random numbers"
