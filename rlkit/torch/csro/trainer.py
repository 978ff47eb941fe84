"""One CSRO gradient step composed from the losses in `losses.py` (docs/algorithm.md, "One training step").

`CSROTrainer.train_step` reads as the numbered losses of that table, in the reference's order: dual
critic (7, x c_iter), D_hat, V_target(s'), CLUB net (2), encoder gradients (3 min MI + 1 max MI),
critics (4), the encoder's step, value (5) + Polyak, policy (6), alpha (8). z is computed once
(`Latents`); the actor-critic sees sg(z) (unless `allow_backward_z`, where the critic loss also
trains the encoder), so no graph is kept alive across updates. Every backward names its `inputs`:
each `_update_*` builds gradients for exactly the parameters of the optimiser it steps, except that
with `allow_backward_z` the critic's backward also adds to the encoder's gradient. The encoder's
step is therefore in `train_step` itself, after both of its gradient sources.

Public surface (what `rlkit.experiment`, `rlkit.budget` and the tests use): `TrainerSettings.from_config`,
`train_step`, `vae_step` (BOREL), `steps_taken`, `branch`, `latents`, `modules`, `optimizers`, `state_dict` /
`load_state_dict`, `alpha`, `borel_spread`; the functions `task_spread`, `belief_spread`, `rows_std`, and
`LossRecord` (its `SCALARS` are the logged means).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

from rlkit.config import Config, DualCriticPenalty, ZStrategy, pearl_bottleneck, reads
from rlkit.data.buffer import RLBatch, context_width
from rlkit.data.sequences import SequenceBatch
from rlkit.seeding import torch_generator
from rlkit.torch import graphs
from rlkit.torch.csro import borel, corro, losses, unicorn
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
    # std of the first task's embeddings across its context, mean over dims ("Z variance train", as the reference)
    z_std: torch.Tensor
    # the collapse guard (`task_spread`): across-task std of z and its ratio to the within-task std
    z_across: torch.Tensor
    z_spread_ratio: torch.Tensor

    SCALARS = ("z_loss", "club_loss", "club_model_loss", "qf_loss", "vf_loss", "policy_loss", "dual_critic_loss")


@dataclass(frozen=True)
class TrainerSettings:
    """Everything `CSROTrainer` reads, resolved once from the config and `algo_type` by `from_config`."""

    latent_size: int
    net_size: int
    use_next_obs_in_context: bool  # context rows are (s, a, r, s'), else (s, a, r)
    # the encoder's objective (docs/algorithm.md, "Baselines and variants", "Encoder variants")
    use_focal: bool  # max MI, loss 1 (CSRO, FOCAL)
    use_club: bool  # CLUB net fit 2 and min MI 3 (CSRO, CLASSIFIER)
    allow_backward_z: bool  # the critic loss 4 trains the encoder too (OFFPEARL)
    classifier_tasks: tuple[int, ...]  # CLASSIFIER: max MI is task-id classification over these tasks; else ()
    use_hvar: bool
    z_strategy: ZStrategy
    # OFFPEARL (docs/algorithm.md, "OFFPEARL"): PEARL's encoder has no tanh; with its information bottleneck
    # (use_hvar + poe implied) kl_lambda * KL(q(z|c) || N(0, I)) trains the encoder with the critic loss
    identity_encoder: bool
    pearl_kl: bool
    kl_lambda: float
    sample_z_at_test: bool  # meta-test z is a posterior sample (PEARL), else the posterior mean
    z0_share: float | None  # train_z0_policy: this share of each task's RL rows trains with z = 0; else None
    # BRAC, losses 7 and 8
    use_brac: bool
    value_penalty: bool  # V_target(s') - alpha D_hat (BRAC with use_value_penalty)
    dual_critic_penalty: DualCriticPenalty  # c's interpolation penalty on its values (the reference) or its gradients
    train_alpha: bool  # alpha follows D_hat (BRAC with train_alpha)
    alpha_init: float
    alpha_max: float
    alpha_lr: float
    target_divergence: float
    # the actor-critic, losses 4 to 6
    max_entropy: bool  # log pi in V's target and in the policy loss
    reward_scale: float
    discount: float
    soft_target_tau: float
    # loss weights
    z_loss_weight: float
    club_model_loss_weight: float
    club_loss_weight: float
    policy_mean_reg_weight: float
    policy_std_reg_weight: float
    policy_pre_activation_weight: float
    # Adam learning rates
    context_lr: float  # the encoder (with the CLASSIFIER's head) and the CLUB net
    qf_lr: float
    vf_lr: float
    policy_lr: float
    c_lr: float
    # the baselines with their own encoder objective (rlkit.torch.csro.corro, .unicorn); None under other algo_types
    corro: corro.CorroSettings | None = None
    unicorn_beta: float | None = None  # UNICORN_SS: weight of FOCAL's metric next to its decoder's loss
    unicorn_decoder_hidden: int = unicorn.DECODER_HIDDEN  # UNICORN_SS: width of its decoder's two hidden layers
    borel: borel.BorelSettings | None = None  # BOREL: the belief VAE; the learner reads hyper-states

    @staticmethod
    def from_config(cfg: Config, train_tasks: Sequence[int]) -> TrainerSettings:
        """`train_tasks`: the run's training tasks (`RunSetup.train_tasks`), the CLASSIFIER's classes."""
        hp, algo, ib = cfg.algo_params, cfg.algo_type, pearl_bottleneck(cfg)
        return TrainerSettings(
            latent_size=cfg.latent_size,
            net_size=cfg.net_size,
            use_next_obs_in_context=hp.use_next_obs_in_context,
            use_focal=hp.use_FOCAL_cl and reads(algo, "use_FOCAL_cl"),
            use_club=hp.use_club and reads(algo, "use_club"),
            allow_backward_z=hp.allow_backward_z,  # (OFFPEARL and CORRO set it: rlkit.config.METHOD_FORCED)
            classifier_tasks=tuple(train_tasks) if algo in ("CLASSIFIER", "UNICORN_SUP") else (),
            use_hvar=hp.use_hvar,  # (with the bottleneck, True and "poe": rlkit.config.PEARL_FORCED)
            z_strategy=hp.z_strategy,
            identity_encoder=algo == "OFFPEARL",
            pearl_kl=ib,
            kl_lambda=hp.kl_lambda if ib else 0.0,
            sample_z_at_test=ib and hp.sample_z_at_test,
            z0_share=hp.z0_policy_share if hp.train_z0_policy else None,
            use_brac=hp.use_brac,
            value_penalty=hp.use_brac and hp.use_value_penalty,
            dual_critic_penalty=hp.dual_critic_penalty,
            train_alpha=hp.use_brac and hp.train_alpha,
            alpha_init=hp.alpha_init,
            alpha_max=hp.alpha_max,
            alpha_lr=hp.alpha_lr,
            target_divergence=hp.target_divergence,
            max_entropy=hp.max_entropy,
            reward_scale=hp.reward_scale,
            discount=hp.discount,
            soft_target_tau=hp.soft_target_tau,
            z_loss_weight=hp.z_loss_weight,
            club_model_loss_weight=hp.club_model_loss_weight,
            club_loss_weight=hp.club_loss_weight,
            policy_mean_reg_weight=hp.policy_mean_reg_weight,
            policy_std_reg_weight=hp.policy_std_reg_weight,
            policy_pre_activation_weight=hp.policy_pre_activation_weight,
            context_lr=hp.context_lr,
            qf_lr=hp.qf_lr,
            vf_lr=hp.vf_lr,
            policy_lr=hp.policy_lr,
            c_lr=hp.c_lr,
            corro=corro.CorroSettings.from_config(cfg),
            unicorn_beta=hp.unicorn_beta if reads(algo, "unicorn_beta") else None,
            unicorn_decoder_hidden=hp.unicorn_decoder_hidden,
            borel=borel.BorelSettings.from_config(cfg),
        )


@dataclass(frozen=True)
class Latents:
    """The task latents of one step, built once by `CSROTrainer.latents`.

    `e`, `e_var`: per-transition embeddings [T, b, L] and, with `use_hvar`, their variances (else None);
    the encoder's own losses read them. `z`: [T, L], the aggregate (loss 1, and what is logged).
    `rows`: [T * B, L], z broadcast to each task's B RL rows (with `poe` a posterior sample), zeroed on
    the z0 rows, stop-gradient: what pi, V, V_target and c see. `critic_rows`: the same values for the
    critics, carrying the encoder's graph with `allow_backward_z` (else `rows` itself).
    `z_var`: [T, L], with `poe` the posterior's variance (PEARL's KL reads it with `z`), else None.
    """

    e: torch.Tensor
    e_var: torch.Tensor | None
    z: torch.Tensor
    rows: torch.Tensor
    critic_rows: torch.Tensor
    z_var: torch.Tensor | None = None


def rows_std(e: torch.Tensor) -> torch.Tensor:
    """The reference's `Z variance train` (a std): of the embeddings [N, L] of one task's context, over its rows,
    mean over dims; 0 for a context of one row, as the meta-test's `Z variance eval` (N is a shape: no sync)."""
    return e.std(dim=0).mean() if e.shape[0] > 1 else e.new_zeros(())


def _nan(device: torch.device) -> torch.Tensor:
    """A NaN scalar on `device`: a statistic with nothing to measure (no host read)."""
    return torch.full((), float("nan"), device=device)


def task_spread(z: torch.Tensor, z_a: torch.Tensor, z_b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The collapse guard's statistic (docs/algorithm.md, "When the tanh encoder collapses"): `across`, the std
    over the meta-batch's tasks of z [T, L], mean over dims, and its ratio to the within-task std of z, estimated
    from z_a and z_b [T, L], the same tasks' z from the two halves of each context: z ~ (z_a + z_b) / 2, so
    within = rms(z_a - z_b) / 2. A z that carries its task has a ratio well above 1; a context-blind z (one
    constant vector, or noise that ignores the task) has one near or below 1 (0 when z is exactly constant).
    Both NaN for a meta-batch of one task: no spread across tasks to measure (a shape: no host read)."""
    if z.shape[0] < 2:
        return _nan(z.device), _nan(z.device)
    across = z.std(dim=0, correction=0).mean()
    within = ((z_a - z_b) ** 2).mean().sqrt() / 2
    return across, across / (within + 1e-12)


@torch.no_grad()
def belief_spread(final: torch.Tensor, task: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """BOREL's `task_spread`: `final` [S, L], the belief mean after each whole sequence, `task` [S] its task. z of
    a task is the mean over its sequences, z_a and z_b over the first and the second half of them; tasks with a
    single sequence give no within-task estimate and are left out of it (NaN if every task has one); both NaN with
    one task."""
    z, z_a, z_b = [], [], []
    for t in torch.unique(task):
        f = final[task == t]
        z.append(f.mean(0))
        h = len(f) // 2
        if h:
            z_a.append(f[:h].mean(0)), z_b.append(f[h : 2 * h].mean(0))
    z = torch.stack(z)
    if len(z) >= 2 and not z_a:
        return z.std(dim=0, correction=0).mean(), _nan(final.device)
    return task_spread(z, *((torch.stack(z_a), torch.stack(z_b)) if z_a else (z, z)))


def _flat(batch: RLBatch) -> RLBatch:
    """[T, B, .] fields -> [T * B, .] rows."""
    T, B = batch.obs.shape[:2]
    return RLBatch(*(None if x is None else x.reshape(T * B, -1) for x in vars(batch).values()))


class CSROTrainer:
    """CSRO's networks and optimisers, and one gradient step over them (`train_step`)."""

    def __init__(
        self,
        settings: TrainerSettings,
        obs_dim: int,
        action_dim: int,
        device: torch.device,
        seed: int,
        fuse: bool = False,
    ):
        """`fuse`: call the losses compiled (`rlkit.torch.graphs.compiled`, the same functions fused into fewer
        kernels) instead of as plain PyTorch."""
        s = self.settings = settings
        self.loss = graphs.compiled(losses) if fuse else losses  # every loss of the step is called through this
        self.obs_dim, self.action_dim, self.device = obs_dim, action_dim, device
        self.generator = torch_generator(seed, "train_noise", device=device)  # policy noise, BRAC interpolation
        init_gen = torch_generator(seed, "init")  # network initialisation
        context_dim = context_width(obs_dim, action_dim, s.use_next_obs_in_context)
        latent, hidden = s.latent_size, s.net_size
        if s.borel is not None:  # the policy reads (s, mu, logvar), and so do Q, V and c
            self.agent = borel.BorelAgent(obs_dim, action_dim, s.borel, hidden, init_gen).to(device)
            latent = self.agent.latent_dim
        else:
            self.agent = CSROAgent(
                obs_dim,
                action_dim,
                latent,
                context_dim,
                hidden,
                generator=init_gen,
                use_hvar=s.use_hvar,
                z_strategy=s.z_strategy,
                identity_output=s.identity_encoder,
            ).to(device)
        if s.sample_z_at_test:  # its own stream, so that sampling at meta-test leaves training's draws alone;
            # reseeded at each meta-test by its iteration (`rlkit.eval.evaluator.seed_meta_test_z`)
            self.agent.test_z_generator = torch_generator(seed, "test_z", 0, device=device)
        if s.corro is not None:  # CORRO's transition encoder and aggregator in place of q_phi
            # (built after the CSROAgent above drew its weights from init_gen, which stays so: a seed's CORRO networks
            # are then those of the runs published with this code; sample_z_at_test is OFFPEARL's alone)
            self.agent = corro.CorroAgent(obs_dim, action_dim, latent, context_dim, hidden, s.corro, init_gen).to(
                device
            )
        self.decoder = (
            unicorn.Decoder(latent, obs_dim, action_dim, init_gen, s.unicorn_decoder_hidden).to(device)
            if s.unicorn_beta is not None
            else None
        )  # UNICORN_SS's (z, s, a) -> (s' - s, r)
        self.club_net = (
            MLP(
                [obs_dim + action_dim, *ENCODER_HIDDEN, 2 * latent], output_activation=torch.tanh, generator=init_gen
            ).to(device)
            if s.borel is None
            else None
        )
        self.qf = EnsembleMLP(
            2, [obs_dim + action_dim + latent, hidden, hidden, hidden, 1], generators=[init_gen, init_gen]
        ).to(device)
        self.vf = MLP([obs_dim + latent, hidden, hidden, hidden, 1], generator=init_gen).to(device)
        self.target_vf = copy.deepcopy(self.vf).requires_grad_(False)
        self.dual_critic = (
            MLP([obs_dim + action_dim + latent, hidden, hidden, hidden, 1], generator=init_gen).to(device)
            if s.use_brac
            else None
        )
        self.alpha_var = torch.tensor(float(s.alpha_init), device=device)  # BRAC alpha (the reference's _alpha_var)
        # BOREL's collapse guard: across-task std of the belief after whole training sequences and its ratio to the
        # within-task std (`rlkit.experiment` sets it once the dataset is relabelled); NaN until then
        self.borel_spread: tuple[torch.Tensor, torch.Tensor] = (_nan(device), _nan(device))
        self.classifier, self.class_of_task = None, None
        if s.classifier_tasks:  # a linear head on each embedding; classes are the training tasks in order
            # initialised like torch's nn.Linear, U(+-1/sqrt(L)): rlkit's 3e-3 output init would leave the
            # encoder almost no gradient from the cross-entropy at the start
            self.classifier = MLP(
                [latent, len(s.classifier_tasks)], init_w=1 / math.sqrt(latent), generator=init_gen
            ).to(device)
            self.class_of_task = torch.full((max(s.classifier_tasks) + 1,), -1, dtype=torch.long, device=device)
            self.class_of_task[list(s.classifier_tasks)] = torch.arange(len(s.classifier_tasks), device=device)

        def adam(params, lr):  # the fused kernel: same update, ~10 ms less per step here than the for-loop one
            return torch.optim.Adam(params, lr=lr, fused=True)

        self.encoder_opt = adam(self._encoder_params(), lr=s.context_lr)
        self.club_opt = adam(self.club_net.parameters(), lr=s.context_lr) if self.club_net is not None else None
        self.qf_opt = adam(self.qf.parameters(), lr=s.qf_lr)
        self.vf_opt = adam(self.vf.parameters(), lr=s.vf_lr)
        self.policy_opt = adam(self.agent.policy.parameters(), lr=s.policy_lr)
        self.c_opt = adam(self.dual_critic.parameters(), lr=s.c_lr) if self.dual_critic is not None else None

    def _encoder_params(self) -> list[nn.Parameter]:
        """What the encoder's optimiser steps: the encoder, and the CLASSIFIER's head or UNICORN_SS's decoder."""
        return (
            list(self.agent.encoder.parameters())
            + (list(self.classifier.parameters()) if self.classifier else [])
            + (list(self.decoder.parameters()) if self.decoder is not None else [])
        )

    # ---- state --------------------------------------------------------------------------
    def modules(self) -> dict[str, nn.Module]:
        mods = {
            "agent": self.agent,
            "club_net": self.club_net,
            "qf": self.qf,
            "vf": self.vf,
            "target_vf": self.target_vf,
        }
        if self.club_net is None:  # BOREL
            del mods["club_net"]
        if self.dual_critic is not None:
            mods["dual_critic"] = self.dual_critic
        if self.classifier is not None:
            mods["classifier"] = self.classifier
        if self.decoder is not None:
            mods["decoder"] = self.decoder
        return mods

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        opts = {
            "encoder": self.encoder_opt,
            "club": self.club_opt,
            "qf": self.qf_opt,
            "vf": self.vf_opt,
            "policy": self.policy_opt,
        }
        if self.club_opt is None:  # BOREL: "encoder" is the belief VAE's optimiser
            del opts["club"]
        if self.c_opt is not None:
            opts["dual_critic"] = self.c_opt
        return opts

    def state_dict(self) -> dict:
        state = {
            "modules": {k: m.state_dict() for k, m in self.modules().items()},
            "optimizers": {k: o.state_dict() for k, o in self.optimizers().items()},
            "alpha": self.alpha_var.detach().cpu(),
            "generator": self.generator.get_state(),
            "encoder_output": self.encoder_output,
        }
        if self.agent.test_z_generator is not None:
            state["test_z_generator"] = self.agent.test_z_generator.get_state()
        return state

    @property
    def encoder_output(self) -> str:
        """What the encoder's last layer goes through: "identity" (OFFPEARL, PEARL's encoder) or "tanh"; weights
        trained through one read through the other are another function with the same shapes."""
        return "identity" if self.settings.identity_encoder else "tanh"

    def load_state_dict(self, state: dict, with_optimizers: bool = True) -> None:
        """A state of `state_dict`: the networks and BRAC's alpha (learned state, taken by a weights-only start from
        `path_to_weights` too), and `with_optimizers` also the optimisers and the noise stream (a resume). One whose
        encoder output differs (`encoder_output`) is a RuntimeError. (States saved before the record have none: they
        are read as they are.)"""
        saved = state.get("encoder_output", self.encoder_output)
        if saved != self.encoder_output:
            raise RuntimeError(
                f"its encoder's last layer was trained through {saved}, this run's goes through {self.encoder_output}"
            )
        for k, m in self.modules().items():
            m.load_state_dict(state["modules"][k])
        self.alpha_var.copy_(state["alpha"])  # in place: a captured step reads this tensor
        if with_optimizers:  # resuming: also the optimisers and the noise stream
            for k, o in self.optimizers().items():
                o.load_state_dict(state["optimizers"][k])
            self.generator.set_state(state["generator"])
            if self.agent.test_z_generator is not None and "test_z_generator" in state:
                self.agent.test_z_generator.set_state(state["test_z_generator"])

    @property
    def alpha(self) -> torch.Tensor:
        return self.alpha_var.clamp(0.0, self.settings.alpha_max)

    # ---- z ----------------------------------------------------------------------------------
    def latents(self, context: torch.Tensor, rows_per_task: int) -> Latents:
        """Encode the contexts [T, b, C] and route z to the `rows_per_task` RL rows of each task
        (`Latents`). With `poe` the rows get a posterior sample (from the trainer's generator)."""
        e, e_var = self.agent.encode_with_var(context)
        z = self.agent.aggregate(e, e_var)
        post_var = product_of_gaussians(e, e_var)[1] if self.settings.z_strategy == "poe" else None
        rows = self._posterior_sample(z, post_var) if post_var is not None else z
        rows = rows.repeat_interleave(rows_per_task, dim=0)
        if self.settings.z0_share is not None:
            rows = rows * self._z0_keep(z.shape[0], rows_per_task)
        return Latents(e, e_var, z, rows.detach(), rows if self.settings.allow_backward_z else rows.detach(), post_var)

    def _posterior_sample(self, z: torch.Tensor, post_var: torch.Tensor) -> torch.Tensor:
        """z + sqrt(posterior variance) * eps, eps ~ N(0, I): a (reparameterised) sample of `poe`'s product
        of Gaussians."""
        return z + post_var.sqrt() * torch.randn(z.shape, generator=self.generator, device=z.device)

    def _z0_keep(self, T: int, B: int) -> torch.Tensor:
        """[T * B, 1]: 0 on the first ceil(z0_share * B) rows of each task's batch (they train with z = 0,
        the prior mean), 1 elsewhere. (The product rounded to 9 decimals first: 0.55 x 100 is 55.00000000000001
        in floating point, whose ceiling would zero 56 rows.)"""
        keep = torch.ones(T, B, 1, device=self.device)
        keep[:, : math.ceil(round(self.settings.z0_share * B, 9))] = 0.0
        return keep.reshape(T * B, 1)

    # ---- the updates ------------------------------------------------------------------------
    def _q(self, obs: torch.Tensor, actions: torch.Tensor, z: torch.Tensor, frozen: bool = False) -> torch.Tensor:
        """[2, N, 1]; `frozen` for the policy's use: gradients reach the actions only."""
        return self.qf(torch.cat([obs, actions, z], dim=-1), frozen=frozen)

    def _d_hat(self, obs, a_policy, a_data, z) -> torch.Tensor:
        """D_hat (loss 7) with c's weights as constants: it feeds the policy loss, alpha and the value penalty."""
        n = obs.shape[0]
        logits = self.dual_critic(
            torch.cat([obs.repeat(2, 1), torch.cat([a_policy, a_data]), z.repeat(2, 1)], dim=-1), frozen=True
        )
        return self.loss.kl_dual_estimate(logits[:n], logits[n:])

    def _dual_critic_loss(self, obs, a_policy, a_data, z) -> torch.Tensor:
        """c's loss (loss 7): -mean D_hat + the interpolation penalty at a_int = a~ + u (a_data - a~),
        u ~ U(0, 1), from one batched pass of c over (a~, a_data, a_int)."""
        n = obs.shape[0]
        u = torch.rand(n, 1, generator=self.generator, device=obs.device)
        a_int = a_policy + u * (a_data - a_policy)
        if self.settings.dual_critic_penalty == "gradient":
            a_int = a_int.detach().requires_grad_(True)
        logits = self.dual_critic(
            torch.cat([obs.repeat(3, 1), torch.cat([a_policy, a_data, a_int]), z.repeat(3, 1)], dim=-1)
        )
        c_int = logits[2 * n :]
        if self.settings.dual_critic_penalty == "gradient":
            (c_int,) = torch.autograd.grad(c_int.sum(), a_int, create_graph=True)
        d_hat = self.loss.kl_dual_estimate(logits[:n], logits[n : 2 * n])
        return self.loss.dual_critic_loss(d_hat, self.loss.interpolation_penalty(c_int))

    def _update_dual_critic(self, obs, a_policy, a_data, z) -> torch.Tensor:
        loss = self._dual_critic_loss(obs, a_policy.detach(), a_data, z)
        self.c_opt.zero_grad(set_to_none=True)
        loss.backward(inputs=list(self.dual_critic.parameters()))
        self.c_opt.step()
        return loss.detach()

    def _fit_dual_critic(
        self,
        obs: torch.Tensor,
        a_policy: torch.Tensor,
        actions: torch.Tensor,
        z: torch.Tensor,
        extras: Iterable[tuple[torch.Tensor, torch.Tensor, torch.Tensor]],
    ) -> torch.Tensor:
        """`c_iter` steps of c: on this step's rows with their a~, then on each extra batch's rows (obs, z, data
        actions) with fresh actions of the policy. Returns the first step's loss."""
        loss = self._update_dual_critic(obs, a_policy, actions, z)
        for e_obs, e_z, e_actions in extras:
            with torch.no_grad():
                a_extra = self.agent.policy_output(e_obs, e_z, generator=self.generator).action
            self._update_dual_critic(e_obs, a_extra, e_actions, e_z)
        return loss

    def _target_v(self, next_obs: torch.Tensor, z_rows: torch.Tensor, d_hat: torch.Tensor | None) -> torch.Tensor:
        """V_target(s', z), minus alpha D_hat with BRAC's value penalty; no graph."""
        with torch.no_grad():
            target_v = self.target_vf(torch.cat([next_obs, z_rows], dim=-1))
            return target_v - self.alpha * d_hat if self.settings.value_penalty else target_v

    def _update_club_net(
        self, context: torch.Tensor, e: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Fit q_psi(z | s, a) to sg(e) (loss 2); returns the loss and the *updated* net's (mu, var), detached."""
        sa = context[..., : self.obs_dim + self.action_dim].contiguous()
        mu, var = self._club_params(sa)
        loss = self.settings.club_model_loss_weight * self.loss.club_estimator_nll(e.detach(), mu, var)
        self.club_opt.zero_grad(set_to_none=True)
        loss.backward(inputs=list(self.club_net.parameters()))
        self.club_opt.step()
        with torch.no_grad():
            mu, var = self._club_params(sa)
        return loss.detach(), mu, var

    def _club_params(self, sa: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mu, raw = (t.contiguous() for t in self.club_net(sa).chunk(2, dim=-1))  # strided softplus is ~10x slower
        return mu, F.softplus(raw)

    def _encoder_grads(
        self, lat: Latents, task_ids: torch.Tensor, mu: torch.Tensor | None, var: torch.Tensor | None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Add the gradients of the encoder's own losses, min MI (3) + max MI (1), to its (zeroed) ones; no step.
        The max-MI term is FOCAL's distance metric on z, or with CLASSIFIER the task-id cross-entropy of
        every embedding, or with OFFPEARL's bottleneck PEARL's kl_lambda * KL(q(z|c) || N(0, I)) in its place; with
        `use_hvar` each embedding is classified with Gaussian noise of its own
        variance (heteroscedastic classification), which is how that objective trains the variance.
        With `allow_backward_z` the graph is kept: the critic's backward goes through it next."""
        s, zero = self.settings, torch.zeros((), device=self.device)
        club = s.club_loss_weight * self.loss.club_upper_bound(lat.e, mu, var) if s.use_club else zero
        if self.classifier is not None:
            noisy = (
                lat.e
                if lat.e_var is None
                else lat.e + lat.e_var.sqrt() * torch.randn(lat.e.shape, generator=self.generator, device=lat.e.device)
            )
            z_loss = s.z_loss_weight * self.loss.task_classification_loss(
                self.classifier(noisy), self.class_of_task[task_ids]
            )
        elif s.use_focal:
            z_loss = s.z_loss_weight * self.loss.focal_metric_loss(lat.z, task_ids)
        elif s.pearl_kl:  # OFFPEARL's own term in its place
            z_loss = s.kl_lambda * self.loss.kl_to_standard_normal(lat.z, lat.z_var)
        else:
            z_loss = zero
        loss = club + z_loss
        if loss.requires_grad:  # (a graph's flag, not a host read: no term at all leaves the zeros)
            loss.backward(inputs=self._encoder_params(), retain_graph=s.allow_backward_z)
        return club.detach(), z_loss.detach()

    def _baseline_encoder_grads(
        self, lat: Latents, task_ids: torch.Tensor, context: torch.Tensor, flat: RLBatch
    ) -> torch.Tensor:
        """Add the gradients of a baseline's own encoder loss to those `_encoder_grads` set; no step. CORRO:
        InfoNCE into E1 only, while its schedule trains E1 (else just measured); UNICORN_SS: the decoder's loss +
        beta x FOCAL's metric into the encoder and the decoder. Returns the loss ("Z Loss")."""
        s = self.settings
        if s.corro is not None:
            enc = self.agent.encoder
            train = enc.stage(s.corro) == "joint"
            with torch.set_grad_enabled(train):
                loss = self._corro_loss(lat.e, context)
            if train:
                loss.backward(inputs=list(enc.transition.parameters()))
            enc.steps += 1
            return loss.detach()
        loss, _ = unicorn.self_supervised_loss(  # the reward the encoder reads: the sparse one under sparse_rewards
            self.decoder, lat.z, task_ids, flat.obs, flat.actions, flat.context_reward, flat.next_obs, s.unicorn_beta
        )
        loss.backward(inputs=self._encoder_params(), retain_graph=s.allow_backward_z)
        return loss.detach()

    def _corro_loss(self, e: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
        """CORRO's InfoNCE of this step's contexts [T, b, C] with their embeddings e (r is column |S| + |A|)."""
        return corro.contrastive_loss(
            self.agent.encoder, e, context, self.obs_dim + self.action_dim, self.settings.corro, self.generator
        )

    def _corro_pretrain_step(self, context: torch.Tensor) -> LossRecord:
        """A step of CORRO's first stages: the CVAE's loss steps the CVAE, or InfoNCE steps E1; nothing else
        trains (both are stepped by the encoder's optimiser); the record's RL fields are 0."""
        enc = self.agent.encoder
        e = enc(context)
        cvae = enc.stage(self.settings.corro) == "cvae"
        loss = enc.cvae.loss(context, self.generator) if cvae else self._corro_loss(e, context)
        self.encoder_opt.zero_grad(set_to_none=True)
        loss.backward(inputs=list((enc.cvae if cvae else enc.transition).parameters()))
        self.encoder_opt.step()
        enc.steps += 1
        zero, zeros = torch.zeros((), device=self.device), torch.zeros(1, 1, device=self.device)
        no_pi = PolicyOutput(action=zeros, log_prob=zeros, mean=zeros, log_std=zeros, pre_tanh=zeros)
        return LossRecord(
            z_loss=loss.detach(),
            club_loss=zero,
            club_model_loss=zero,
            **self._rl_fields(zero, zero, zero, zero, zeros, zeros, no_pi, None),  # the learner waits for the encoder
            z_mean=enc.aggregate(e).detach(),
            z_std=rows_std(e.detach()[0]),
            **self._spread(Latents(e=e.detach(), e_var=None, z=enc.aggregate(e).detach(), rows=None, critic_rows=None)),
        )

    def _update_critics(
        self, batch: RLBatch, z_rows: torch.Tensor, target_v: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Q1, Q2 step on L_Q (loss 4). With `allow_backward_z`, `z_rows` carries the encoder's graph and
        L_Q's gradient is added to the encoder's too (its step follows in `train_step`)."""
        s = self.settings
        target = self.loss.q_target(batch.rewards, batch.terminals, target_v, s.reward_scale, s.discount)
        q_pred = self._q(batch.obs, batch.actions, z_rows)
        loss = self.loss.critic_loss(q_pred, target)
        inputs = list(self.qf.parameters()) + (list(self.agent.encoder.parameters()) if s.allow_backward_z else [])
        self.qf_opt.zero_grad(set_to_none=True)
        loss.backward(inputs=inputs)
        self.qf_opt.step()
        return loss.detach(), q_pred[0].detach()

    def _update_value(self, obs, z_rows, pi: PolicyOutput) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """V step (loss 5) against the updated critics, then Polyak; returns min Q(s, a~) with its graph
        for the policy."""
        min_q_new = self._q(obs, pi.action, z_rows, frozen=True).min(dim=0).values
        v_target = (min_q_new - pi.log_prob if self.settings.max_entropy else min_q_new).detach()
        v_pred = self.vf(torch.cat([obs, z_rows], dim=-1))
        loss = self.loss.value_loss(v_pred, v_target)
        self.vf_opt.zero_grad(set_to_none=True)
        loss.backward(inputs=list(self.vf.parameters()))
        self.vf_opt.step()
        with torch.no_grad():
            for p, tp in zip(self.vf.parameters(), self.target_vf.parameters()):
                tp.lerp_(p, self.settings.soft_target_tau)
        return loss.detach(), v_pred.detach(), min_q_new

    def _update_policy(self, pi: PolicyOutput, min_q_new: torch.Tensor, d_hat: torch.Tensor | None) -> torch.Tensor:
        """Policy step (loss 6); Q and c are constants in it (`frozen`)."""
        s = self.settings
        penalty = self.alpha.detach() * d_hat if d_hat is not None else None
        loss = self.loss.policy_loss(
            pi.log_prob,
            min_q_new,
            pi.mean,
            pi.log_std,
            mean_reg=s.policy_mean_reg_weight,
            std_reg=s.policy_std_reg_weight,
            max_entropy=s.max_entropy,
            penalty=penalty,
            pre_tanh=pi.pre_tanh,
            pre_activation_reg=s.policy_pre_activation_weight,
        )
        self.policy_opt.zero_grad(set_to_none=True)
        loss.backward(inputs=list(self.agent.policy.parameters()))
        self.policy_opt.step()
        return loss.detach()

    def _update_alpha(self, d_hat: torch.Tensor) -> None:
        """8: BRAC's dual step on alpha, in place so that a captured step (rlkit/torch/graphs.py) updates it too."""
        s = self.settings
        self.alpha_var.copy_(
            self.loss.alpha_update(self.alpha_var, d_hat.detach().mean(), s.alpha_lr, s.target_divergence)
        )

    def _rl_fields(
        self,
        qf_loss: torch.Tensor,
        vf_loss: torch.Tensor,
        pol_loss: torch.Tensor,
        c_loss: torch.Tensor,
        q_pred: torch.Tensor,
        v_pred: torch.Tensor,
        pi: PolicyOutput,
        d_hat: torch.Tensor | None,
    ) -> dict[str, torch.Tensor]:
        """The actor-critic part of a step's `LossRecord`, shared by the z step, BOREL's hyper-state step and
        CORRO's encoder-only first stages (zeros)."""
        return dict(
            qf_loss=qf_loss,
            vf_loss=vf_loss,
            policy_loss=pol_loss,
            dual_critic_loss=c_loss,
            q_predictions=q_pred,
            v_predictions=v_pred,
            log_pis=pi.log_prob.detach(),
            policy_mu=pi.mean.detach(),
            policy_log_std=pi.log_std.detach(),
            alpha=self.alpha.detach().reshape(1),
            div_estimate=d_hat.detach() if d_hat is not None else torch.zeros(1, device=self.device),
        )

    # ---- the step -----------------------------------------------------------------------------
    def steps_taken(self) -> int | None:
        """CORRO's count of training steps (its stages follow it), read on the host: once per iteration, outside
        the steps; None for the other methods, whose step takes one branch throughout."""
        return int(self.agent.encoder.steps) if self.settings.corro is not None else None

    def branch(self, step: int | None) -> Hashable:
        """Pin the Python branch of the next `train_step` to training step `step` (from `steps_taken`) and name
        it: CORRO's stage there, so that the step reads no device counter and a captured run captures one graph
        per stage (`graphs.StepRunner`'s key; a finished stage's is dropped); None for every other method, or with
        `step` None (unpinned)."""
        if self.settings.corro is None:
            return None
        enc = self.agent.encoder
        enc.pinned_step = step
        return None if step is None else enc.stage(self.settings.corro)

    def train_step(
        self, task_ids: torch.Tensor, context: torch.Tensor, batch: RLBatch, extra_c_batches: Sequence[RLBatch] = ()
    ) -> LossRecord:
        """One gradient step, the losses of docs/algorithm.md in the reference's order. context: [T, b, C];
        batch fields [T, B, .]; `extra_c_batches` feed the 2nd..c_iter-th dual-critic steps (BRAC only)."""
        s, zero = self.settings, torch.zeros((), device=self.device)
        if s.borel is not None:  # the learner on hyper-states; the VAE trained before (`vae_step`) and frozen
            return self._borel_step(batch, extra_c_batches)
        if s.corro is not None and self.agent.encoder.stage(s.corro) in ("cvae", "pretrain"):  # CORRO's first stages
            return self._corro_pretrain_step(context)
        flat = _flat(batch)
        lat = self.latents(context, rows_per_task=batch.obs.shape[1])
        pi = self.agent.policy_output(flat.obs, lat.rows, generator=self.generator)  # a~ ~ pi(.|s, sg z)

        c_loss, d_hat = zero, None
        if s.use_brac:  # 7: c_iter steps of the dual critic, then D_hat from the fitted c
            extras = ((e.obs, lat.rows, e.actions) for e in map(_flat, extra_c_batches))
            c_loss = self._fit_dual_critic(flat.obs, pi.action, flat.actions, lat.rows, extras)
            d_hat = self._d_hat(flat.obs, pi.action, flat.actions, lat.rows)
        target_v = self._target_v(flat.next_obs, lat.rows, d_hat)

        club_model_loss, mu, var = self._update_club_net(context, lat.e) if s.use_club else (zero, None, None)  # 2
        self.encoder_opt.zero_grad(set_to_none=True)  # its gradients come from 3 + 1 or a baseline's (+ 4)
        club_loss, z_loss = self._encoder_grads(lat, task_ids, mu, var)  # 3 + 1
        if s.corro is not None or s.unicorn_beta is not None:  # in place of 1: CORRO's InfoNCE, UNICORN_SS's decoder
            z_loss = self._baseline_encoder_grads(lat, task_ids, context, flat)
        qf_loss, q_pred = self._update_critics(flat, lat.critic_rows, target_v)  # 4
        self.encoder_opt.step()  # 3 + 1 (+ 4 with allow_backward_z)
        vf_loss, v_pred, min_q_new = self._update_value(flat.obs, lat.rows, pi)  # 5
        pol_loss = self._update_policy(pi, min_q_new, d_hat)  # 6
        if s.train_alpha:  # 8
            self._update_alpha(d_hat)

        return LossRecord(
            z_loss=z_loss,
            club_loss=club_loss,
            club_model_loss=club_model_loss,
            **self._rl_fields(qf_loss, vf_loss, pol_loss, c_loss, q_pred, v_pred, pi, d_hat),
            z_mean=lat.z.detach(),
            z_std=rows_std(lat.e.detach()[0]),
            **self._spread(lat),
        )

    # ---- BOREL ------------------------------------------------------------------------------------------
    def vae_step(self, batch: SequenceBatch) -> borel.ElboTerms:
        """One step of BOREL's belief VAE on ordered sequences [..., T, W]: its negative ELBO (`borel.elbo_terms`)
        steps the encoder and the decoders (the encoder's optimiser), nothing else."""
        vae = self.agent.encoder
        terms = vae.elbo(batch, self.settings.borel.kl_weight, self.generator)
        self.encoder_opt.zero_grad(set_to_none=True)
        terms.loss.backward(inputs=list(vae.parameters()))
        self.encoder_opt.step()
        vae.steps += 1
        terms.loss = terms.loss.detach()
        return terms

    def _hyper(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Hyper-state rows [N, S + 2L] -> (s [N, S], the belief (mu, logvar) [N, 2L])."""
        return x[:, : self.obs_dim], x[:, self.obs_dim :]

    def _borel_step(self, batch: RLBatch, extra_c_batches: Sequence[RLBatch]) -> LossRecord:
        """The learner's step on hyper-state rows (obs and next_obs are (s, mu_t, logvar_t) and (s', mu_t+1,
        logvar_t+1), relabelled once by the frozen VAE): losses 7, 4, 5, 6, 8 as `train_step`'s, with each row's
        belief in place of its task's z. The VAE is in no graph here."""
        s, zero = self.settings, torch.zeros((), device=self.device)
        flat = _flat(batch)
        (obs, z), (next_obs, z_next) = self._hyper(flat.obs), self._hyper(flat.next_obs)
        pi = self.agent.policy_output(obs, z, generator=self.generator)
        c_loss, d_hat = zero, None
        if s.use_brac:  # 7: c_iter steps of c, each extra batch with its own rows' beliefs
            extras = ((*self._hyper(e.obs), e.actions) for e in map(_flat, extra_c_batches))
            c_loss = self._fit_dual_critic(obs, pi.action, flat.actions, z, extras)
            d_hat = self._d_hat(obs, pi.action, flat.actions, z)
        target_v = self._target_v(next_obs, z_next, d_hat)
        rows = RLBatch(obs, flat.actions, flat.rewards, next_obs, flat.terminals)
        qf_loss, q_pred = self._update_critics(rows, z, target_v)  # 4
        vf_loss, v_pred, min_q_new = self._update_value(obs, z, pi)  # 5
        pol_loss = self._update_policy(pi, min_q_new, d_hat)  # 6
        if s.train_alpha:  # 8
            self._update_alpha(d_hat)
        T, B = batch.obs.shape[:2]
        mu = z[:, : s.borel.latent].reshape(T, B, -1)
        across, ratio = self.borel_spread
        return LossRecord(
            z_loss=zero,
            club_loss=zero,
            club_model_loss=zero,
            **self._rl_fields(qf_loss, vf_loss, pol_loss, c_loss, q_pred, v_pred, pi, d_hat),
            z_mean=mu.mean(dim=1),  # each task's mean belief over its rows
            z_std=rows_std(mu[0]),
            z_across=across,
            z_spread_ratio=ratio,
        )

    @torch.no_grad()
    def _spread(self, lat: Latents) -> dict[str, torch.Tensor]:
        """`task_spread` of this step's z, the halves aggregated as z is (no device sync)."""
        h = lat.e.shape[1] // 2
        if h == 0:  # one context transition: no within-task estimate
            return {"z_across": _nan(self.device), "z_spread_ratio": _nan(self.device)}
        var = lat.e_var
        halves = [
            self.agent.aggregate(lat.e[:, part], None if var is None else var[:, part])
            for part in (slice(0, h), slice(h, 2 * h))
        ]
        across, ratio = task_spread(lat.z.detach(), *halves)
        return {"z_across": across, "z_spread_ratio": ratio}
