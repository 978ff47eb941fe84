"""One CSRO gradient step composed from the losses in `losses.py` (docs/algorithm.md, "One training step").

`CSROTrainer.train_step` runs the reference's order: dual critic (x c_iter), D_hat,
V_target(s'), CLUB net, encoder gradients (min MI + max MI), critics + encoder step,
value + Polyak, policy, alpha. z is computed once; the actor-critic sees `z.detach()`
(unless `allow_backward_z`, where the critic loss also trains the encoder), so no graph is
kept alive across updates. Each `_update_*` names exactly the parameters it steps.
"""
from __future__ import annotations

import copy
import math
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

from rlkit.config import AlgoParams, Config
from rlkit.data.buffer import RLBatch
from rlkit.tasks import train_eval_split
from rlkit.torch.csro import losses
from rlkit.torch.csro.agent import ENCODER_HIDDEN, CSROAgent, product_of_gaussians
from rlkit.torch.networks import MLP, EnsembleMLP, PolicyOutput


@dataclass
class LossRecord:
    """What one step reports; tensors are detached (no device sync until read)."""

    z_loss: torch.Tensor
    club_loss: torch.Tensor
    club_model_loss: torch.Tensor
    qf_loss: torch.Tensor
    vf_loss: torch.Tensor
    policy_loss: torch.Tensor
    dual_critic_loss: torch.Tensor
    q_predictions: torch.Tensor
    v_predictions: torch.Tensor
    log_pis: torch.Tensor
    policy_mu: torch.Tensor
    policy_log_std: torch.Tensor
    alpha: torch.Tensor
    div_estimate: torch.Tensor
    z_mean: torch.Tensor  # [T, L], the meta-batch's task latents
    z_std: torch.Tensor  # std of the first task's embeddings across its context, mean over dims ("Z variance train", as the reference)

    SCALARS = ("z_loss", "club_loss", "club_model_loss", "qf_loss", "vf_loss", "policy_loss", "dual_critic_loss")


@dataclass(frozen=True)
class TrainerSettings:
    """The algorithm's hyperparameters plus the sizes and the switches resolved from `algo_type`."""

    algo: AlgoParams
    latent_size: int
    net_size: int
    use_focal: bool  # max-MI term (CSRO, FOCAL)
    use_club: bool  # min-MI term (CSRO, CLASSIFIER)
    allow_backward_z: bool  # critic loss trains the encoder (OFFPEARL)
    classifier_tasks: tuple[int, ...] = ()  # CLASSIFIER: the max-MI term is task-id classification over these tasks

    @staticmethod
    def from_config(cfg: Config) -> "TrainerSettings":
        a, algo = cfg.algo_params, cfg.algo_type
        return TrainerSettings(a, cfg.latent_size, cfg.net_size,
                               use_focal=a.use_FOCAL_cl and algo in ("CSRO", "FOCAL"),
                               use_club=a.use_club and algo in ("CSRO", "CLASSIFIER"),
                               allow_backward_z=a.allow_backward_z or algo == "OFFPEARL",
                               classifier_tasks=tuple(train_eval_split(cfg)[0]) if algo == "CLASSIFIER" else ())


class CSROTrainer:
    def __init__(self, settings: TrainerSettings, obs_dim: int, action_dim: int, device: torch.device, seed: int):
        s = self.settings = settings
        a = self.algo_params = settings.algo
        self.obs_dim, self.action_dim, self.device = obs_dim, action_dim, device
        self.generator = torch.Generator(device=device).manual_seed(seed)  # policy noise, BRAC interpolation
        init_gen = torch.Generator().manual_seed(seed + 1)  # network initialisation
        context_dim = obs_dim + action_dim + 1 + (obs_dim if a.use_next_obs_in_context else 0)
        L, h = s.latent_size, s.net_size
        self.agent = CSROAgent(obs_dim, action_dim, L, context_dim, h, generator=init_gen, use_hvar=a.use_hvar,
                               z_strategy=a.z_strategy).to(device)
        self.club_net = MLP([obs_dim + action_dim, *ENCODER_HIDDEN, 2 * L], output_activation=torch.tanh,
                            generator=init_gen).to(device)
        self.qf = EnsembleMLP(2, [obs_dim + action_dim + L, h, h, h, 1],
                              generators=[init_gen, init_gen]).to(device)
        self.vf = MLP([obs_dim + L, h, h, h, 1], generator=init_gen).to(device)
        self.target_vf = copy.deepcopy(self.vf).requires_grad_(False)
        self.dual_critic = MLP([obs_dim + action_dim + L, h, h, h, 1], generator=init_gen).to(device) if a.use_brac else None
        self.alpha_var = torch.tensor(float(a.alpha_init), device=device)  # BRAC alpha (the reference's _alpha_var)
        self.classifier, self.class_of_task = None, None
        if s.classifier_tasks:  # a linear head on each embedding; classes are the training tasks in order
            # initialised like torch's nn.Linear, U(+-1/sqrt(L)): rlkit's 3e-3 output init would leave the
            # encoder almost no gradient from the cross-entropy at the start
            self.classifier = MLP([L, len(s.classifier_tasks)], init_w=1 / math.sqrt(L), generator=init_gen).to(device)
            self.class_of_task = torch.full((max(s.classifier_tasks) + 1,), -1, dtype=torch.long, device=device)
            self.class_of_task[list(s.classifier_tasks)] = torch.arange(len(s.classifier_tasks), device=device)
        def adam(params, lr):  # the fused kernel: same update, ~10 ms less per step here than the for-loop one
            return torch.optim.Adam(params, lr=lr, fused=True)
        self.encoder_opt = adam(self._encoder_params(), lr=a.context_lr)
        self.club_opt = adam(self.club_net.parameters(), lr=a.context_lr)
        self.qf_opt = adam(self.qf.parameters(), lr=a.qf_lr)
        self.vf_opt = adam(self.vf.parameters(), lr=a.vf_lr)
        self.policy_opt = adam(self.agent.policy.parameters(), lr=a.policy_lr)
        self.c_opt = adam(self.dual_critic.parameters(), lr=a.c_lr) if self.dual_critic is not None else None

    def _encoder_params(self) -> list[nn.Parameter]:
        """What the encoder's own losses train: the encoder, and the CLASSIFIER's head."""
        return list(self.agent.encoder.parameters()) + (list(self.classifier.parameters()) if self.classifier else [])

    # ---- state --------------------------------------------------------------------------
    def modules(self) -> dict[str, nn.Module]:
        mods = {"agent": self.agent, "club_net": self.club_net, "qf": self.qf, "vf": self.vf, "target_vf": self.target_vf}
        if self.dual_critic is not None:
            mods["dual_critic"] = self.dual_critic
        if self.classifier is not None:
            mods["classifier"] = self.classifier
        return mods

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        opts = {"encoder": self.encoder_opt, "club": self.club_opt, "qf": self.qf_opt, "vf": self.vf_opt,
                "policy": self.policy_opt}
        if self.c_opt is not None:
            opts["dual_critic"] = self.c_opt
        return opts

    def state_dict(self) -> dict:
        return {"modules": {k: m.state_dict() for k, m in self.modules().items()},
                "optimizers": {k: o.state_dict() for k, o in self.optimizers().items()},
                "alpha": self.alpha_var.detach().cpu(), "generator": self.generator.get_state()}

    def load_state_dict(self, state: dict, with_optimizers: bool = True) -> None:
        for k, m in self.modules().items():
            m.load_state_dict(state["modules"][k])
        self.alpha_var = state["alpha"].to(self.device)
        if with_optimizers:  # resuming: also the optimisers and the noise stream
            for k, o in self.optimizers().items():
                o.load_state_dict(state["optimizers"][k])
            self.generator.set_state(state["generator"])

    @property
    def alpha(self) -> torch.Tensor:
        return self.alpha_var.clamp(0.0, self.algo_params.alpha_max)

    # ---- pieces ---------------------------------------------------------------------------
    def _q(self, obs: torch.Tensor, actions: torch.Tensor, z: torch.Tensor, frozen: bool = False) -> torch.Tensor:
        """[2, N, 1]; `frozen` for the policy's use: gradients reach the actions only."""
        return self.qf(torch.cat([obs, actions, z], dim=-1), frozen=frozen)

    def _dual_critic_terms(self, obs, a_policy, a_data, z, with_penalty: bool):
        """D_hat and (optionally) the interpolation penalty, from one batched pass of c."""
        n = obs.shape[0]
        a_parts = [a_policy, a_data]
        a_int = None
        if with_penalty:
            u = torch.rand(n, 1, generator=self.generator, device=obs.device)
            a_int = a_policy + u * (a_data - a_policy)
            if self.algo_params.dual_critic_penalty == "gradient":
                a_int = a_int.detach().requires_grad_(True)
            a_parts.append(a_int)
        k = len(a_parts)
        # without the penalty, D_hat feeds the policy loss and alpha only: c's weights are constants there
        logits = self.dual_critic(torch.cat([obs.repeat(k, 1), torch.cat(a_parts), z.repeat(k, 1)], dim=-1),
                                  frozen=not with_penalty)
        d_hat = losses.kl_dual_estimate(logits[:n], logits[n:2 * n])
        if not with_penalty:
            return d_hat, None
        c_int = logits[2 * n:]
        if self.algo_params.dual_critic_penalty == "gradient":
            (c_int,) = torch.autograd.grad(c_int.sum(), a_int, create_graph=True)
        return d_hat, losses.interpolation_penalty(c_int)

    def _update_dual_critic(self, obs, a_policy, a_data, z) -> torch.Tensor:
        d_hat, penalty = self._dual_critic_terms(obs, a_policy.detach(), a_data, z, with_penalty=True)
        loss = losses.dual_critic_loss(d_hat, penalty)
        self.c_opt.zero_grad(set_to_none=True)
        loss.backward(inputs=list(self.dual_critic.parameters()))
        self.c_opt.step()
        return loss.detach()

    def _update_club_net(self, context: torch.Tensor, e: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Fit q_psi(z | s, a) to sg(e); returns the loss and the *updated* net's (mu, var), detached."""
        sa = context[..., :self.obs_dim + self.action_dim].contiguous()
        mu, var = self._club_params(sa)
        loss = self.algo_params.club_model_loss_weight * losses.club_estimator_nll(e.detach(), mu, var)
        self.club_opt.zero_grad(set_to_none=True)
        loss.backward()
        self.club_opt.step()
        with torch.no_grad():
            mu, var = self._club_params(sa)
        return loss.detach(), mu, var

    def _club_params(self, sa: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mu, raw = (t.contiguous() for t in self.club_net(sa).chunk(2, dim=-1))  # strided softplus is ~10x slower
        return mu, F.softplus(raw)

    def _encoder_grads(self, e, z, task_ids, mu, var, e_var=None) -> tuple[torch.Tensor, torch.Tensor]:
        """Accumulate the encoder's own losses (min MI, max MI) into its gradients. The max-MI term is
        FOCAL's distance metric on z, or with CLASSIFIER the task-id cross-entropy of every embedding;
        with `use_hvar` each embedding is classified with Gaussian noise of its own variance
        (heteroscedastic classification), which is how that objective trains the variance."""
        zero = torch.zeros((), device=self.device)
        club = self.algo_params.club_loss_weight * losses.club_upper_bound(e, mu, var) if self.settings.use_club else zero
        if self.classifier is not None:
            noisy = e if e_var is None else \
                e + e_var.sqrt() * torch.randn(e.shape, generator=self.generator, device=e.device)
            max_mi = self.algo_params.z_loss_weight * losses.task_classification_loss(
                self.classifier(noisy), self.class_of_task[task_ids])
        elif self.settings.use_focal:
            max_mi = self.algo_params.z_loss_weight * losses.focal_metric_loss(z, task_ids)
        else:
            max_mi = zero
        self.encoder_opt.zero_grad(set_to_none=True)
        if self.settings.use_club or self.settings.use_focal or self.classifier is not None:
            (club + max_mi).backward(inputs=self._encoder_params())
        return club.detach(), max_mi.detach()

    def _policy_z(self, z: torch.Tensor, e: torch.Tensor, e_var: torch.Tensor | None) -> torch.Tensor:
        """The z the actor-critic trains with: z itself, or with `poe` a sample of the posterior."""
        if self.algo_params.z_strategy != "poe":
            return z
        _, post_var = product_of_gaussians(e, e_var)
        return z + post_var.sqrt() * torch.randn(z.shape, generator=self.generator, device=z.device)

    def _z0_rows(self, T: int, B: int) -> torch.Tensor | None:
        """With `train_z0_policy`, [T * B, 1]: 0 on the first ceil(share * B) rows of each task's batch (they
        train with z = 0, the prior mean), 1 elsewhere; else None."""
        if not self.algo_params.train_z0_policy:
            return None
        keep = torch.ones(T, B, 1, device=self.device)
        keep[:, :math.ceil(self.algo_params.z0_policy_share * B)] = 0.0
        return keep.reshape(T * B, 1)

    def _update_critics(self, batch: RLBatch, z_q: torch.Tensor, target_v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        target = losses.q_target(batch.rewards, batch.terminals, target_v, self.algo_params.reward_scale, self.algo_params.discount)
        q_pred = self._q(batch.obs, batch.actions, z_q)
        loss = losses.critic_loss(q_pred, target)
        params = list(self.qf.parameters())
        if self.settings.allow_backward_z:
            params += list(self.agent.encoder.parameters())
        self.qf_opt.zero_grad(set_to_none=True)
        loss.backward(inputs=params)
        self.qf_opt.step()
        self.encoder_opt.step()
        return loss.detach(), q_pred[0].detach()

    def _update_value(self, obs, z, pi: PolicyOutput) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """V step against the updated critics, then Polyak; returns min Q(s, a~) with its graph for the policy."""
        min_q_new = self._q(obs, pi.action, z, frozen=True).min(dim=0).values
        v_target = (min_q_new - pi.log_prob if self.algo_params.max_entropy else min_q_new).detach()
        v_pred = self.vf(torch.cat([obs, z], dim=-1))
        loss = losses.value_loss(v_pred, v_target)
        self.vf_opt.zero_grad(set_to_none=True)
        loss.backward()
        self.vf_opt.step()
        with torch.no_grad():
            for p, tp in zip(self.vf.parameters(), self.target_vf.parameters()):
                tp.lerp_(p, self.algo_params.soft_target_tau)
        return loss.detach(), v_pred.detach(), min_q_new

    def _update_policy(self, pi: PolicyOutput, min_q_new: torch.Tensor, div: torch.Tensor | None) -> torch.Tensor:
        penalty = self.alpha.detach() * div if div is not None else None
        loss = losses.policy_loss(pi.log_prob, min_q_new, pi.mean, pi.log_std, self.algo_params.policy_mean_reg_weight,
                                  self.algo_params.policy_std_reg_weight, self.algo_params.max_entropy, penalty, pi.pre_tanh,
                                  self.algo_params.policy_pre_activation_weight)
        self.policy_opt.zero_grad(set_to_none=True)
        loss.backward(inputs=list(self.agent.policy.parameters()))
        self.policy_opt.step()
        return loss.detach()

    def _update_alpha(self, div: torch.Tensor) -> None:
        if self.algo_params.train_alpha:
            self.alpha_var = losses.alpha_update(self.alpha_var, div.detach().mean(), self.algo_params.alpha_lr,
                                                 self.algo_params.target_divergence)

    # ---- the step -----------------------------------------------------------------------------
    def train_step(self, task_ids: torch.Tensor, context: torch.Tensor, batch: RLBatch,
                   extra_c_batches: list[RLBatch] = ()) -> LossRecord:
        """One gradient step. context: [T, b, C]; batch fields [T, B, .]; `extra_c_batches` feed
        the 2nd..c_iter-th dual-critic steps (BRAC only)."""
        T, B = batch.obs.shape[:2]
        flat = RLBatch(*(x.reshape(T * B, -1) for x in (batch.obs, batch.actions, batch.rewards, batch.next_obs, batch.terminals)))
        e, e_var = self.agent.encode_with_var(context)
        z = self.agent.aggregate(e, e_var)
        z_pol = self._policy_z(z, e, e_var)
        z0 = self._z0_rows(T, B)
        z_rows = z_pol.detach().repeat_interleave(B, dim=0)
        if z0 is not None:
            z_rows = z_rows * z0
        pi = self.agent.policy_output(flat.obs, z_rows, generator=self.generator)

        zero = torch.zeros((), device=self.device)
        c_loss, div = zero, None
        if self.algo_params.use_brac:
            c_loss = self._update_dual_critic(flat.obs, pi.action, flat.actions, z_rows)
            for extra in extra_c_batches:
                obs_x, act_x = extra.obs.reshape(T * B, -1), extra.actions.reshape(T * B, -1)
                with torch.no_grad():
                    a_x = self.agent.policy_output(obs_x, z_rows, generator=self.generator).action
                self._update_dual_critic(obs_x, a_x, act_x, z_rows)
            div, _ = self._dual_critic_terms(flat.obs, pi.action, flat.actions, z_rows, with_penalty=False)

        with torch.no_grad():
            target_v = self.target_vf(torch.cat([flat.next_obs, z_rows], dim=-1))
            if self.algo_params.use_brac and self.algo_params.use_value_penalty:
                target_v = target_v - self.alpha * div

        club_model_loss = zero
        if self.settings.use_club:
            club_model_loss, mu, var = self._update_club_net(context, e)
        else:
            mu = var = None
        club_loss, z_loss = self._encoder_grads(e, z, task_ids, mu, var, e_var)

        z_q = z_pol.repeat_interleave(B, dim=0) * (z0 if z0 is not None else 1.0) if self.settings.allow_backward_z \
            else z_rows
        qf_loss, q_pred = self._update_critics(flat, z_q, target_v)
        vf_loss, v_pred, min_q_new = self._update_value(flat.obs, z_rows, pi)
        pol_loss = self._update_policy(pi, min_q_new, div)
        if self.algo_params.use_brac:
            self._update_alpha(div)

        return LossRecord(
            z_loss=z_loss, club_loss=club_loss, club_model_loss=club_model_loss, qf_loss=qf_loss, vf_loss=vf_loss,
            policy_loss=pol_loss, dual_critic_loss=c_loss, q_predictions=q_pred, v_predictions=v_pred,
            log_pis=pi.log_prob.detach(), policy_mu=pi.mean.detach(), policy_log_std=pi.log_std.detach(),
            alpha=self.alpha.detach().reshape(1),
            div_estimate=div.detach() if div is not None else torch.zeros(1, device=self.device),
            z_mean=z.detach(), z_std=e.detach()[0].std(dim=0).mean())
