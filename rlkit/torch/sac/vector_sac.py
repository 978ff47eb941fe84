"""Behaviour-policy SAC (stage 1), vectorised over a group of tasks.

Each task has its own actor, double-Q critic, target critic, temperature and replay buffer;
they are stored as ensemble members and updated with batched matmuls, which is the same
algorithm as one SAC per task (Adam is elementwise and the losses are summed over tasks,
so no task's gradient reaches another's parameters). Every random draw of task i comes
from task i's own generators, so a task's data does not depend on which tasks share its
group. The SAC itself follows pytorch_sac (the reference's stage 1): done_no_max targets,
learnable temperature with target entropy -|A|, log-std squashed into `log_std_bounds`,
pytorch_sac's initialisation (orthogonal weights, zero biases, for actor and critics) and its
exact tanh log-det 2 (log 2 - u - softplus(-2u)). The meta-learner of stage 2 uses rlkit's
initialisation and log(1 - a^2 + 1e-6) instead: the two stages differ in the reference too.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import torch
from torch import nn

from rlkit.seeding import torch_generator
from rlkit.torch.networks import EnsembleMLP, PolicyOutput, tanh_gaussian


@dataclass(frozen=True)
class SACParams:
    discount: float
    init_temperature: float
    alpha_lr: float
    alpha_betas: tuple[float, float]
    actor_lr: float
    actor_betas: tuple[float, float]
    actor_update_frequency: int
    critic_lr: float
    critic_betas: tuple[float, float]
    critic_tau: float
    critic_target_update_frequency: int
    batch_size: int
    critic_hidden_dim: int
    critic_hidden_depth: int
    actor_hidden_dim: int
    actor_hidden_depth: int
    log_std_bounds: tuple[float, float]

    def to_dict(self) -> dict:
        """JSON-ready (tuples as lists), as task.json and the saved networks record it."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in self.__dict__.items()}

    @staticmethod
    def from_dict(d: dict) -> SACParams:
        return SACParams(**{k: tuple(v) if isinstance(v, list) else v for k, v in d.items()})


class TaskGenerators:
    """One torch generator per task (on the device), each of the stream `behaviour_noise` of `seed` (every task
    draws alike, as the reference's SACs, one process per task, all seeded with the same seed); draws are
    stacked along the task axis."""

    def __init__(self, n: int, seed: int, device: torch.device):
        self.device = device
        self.gens = [torch_generator(seed, "behaviour_noise", device=device) for _ in range(n)]

    def randn(self, *shape: int, subset: list[int] | None = None) -> torch.Tensor:
        gens = self.gens if subset is None else [self.gens[i] for i in subset]
        return torch.stack([torch.randn(shape, generator=g, device=self.device) for g in gens])

    def randint(self, high: int, *shape: int) -> torch.Tensor:
        return torch.stack([torch.randint(high, shape, generator=g, device=self.device) for g in self.gens])

    def uniform(self, *shape: int) -> torch.Tensor:
        return torch.stack([torch.rand(shape, generator=g, device=self.device) for g in self.gens]) * 2 - 1


class VectorSAC(nn.Module):
    def __init__(self, n_tasks: int, obs_dim: int, action_dim: int, params: SACParams, seed: int, device: torch.device):
        super().__init__()
        self.n, self.params, self.action_dim = n_tasks, params, action_dim
        init_gens = [torch_generator(seed, "behaviour_init") for _ in range(n_tasks)]  # every task alike, as above
        actor_hidden = [params.actor_hidden_dim] * params.actor_hidden_depth
        critic_hidden = [params.critic_hidden_dim] * params.critic_hidden_depth
        self.actor = EnsembleMLP(
            n_tasks, [obs_dim, *actor_hidden, 2 * action_dim], generators=init_gens, init="orthogonal"
        )
        # critic member q * n + i is Q_{q+1} of task i
        self.critic = EnsembleMLP(
            2 * n_tasks, [obs_dim + action_dim, *critic_hidden, 1], generators=init_gens + init_gens, init="orthogonal"
        )
        self.critic_target = copy.deepcopy(self.critic).requires_grad_(False)
        self.log_alpha = nn.Parameter(torch.full((n_tasks, 1, 1), float(torch.tensor(params.init_temperature).log())))
        self.to(device)
        self.target_entropy = -float(action_dim)
        self.actor_opt = torch.optim.Adam(self.actor.parameters(), lr=params.actor_lr, betas=params.actor_betas)
        self.critic_opt = torch.optim.Adam(self.critic.parameters(), lr=params.critic_lr, betas=params.critic_betas)
        self.alpha_opt = torch.optim.Adam([self.log_alpha], lr=params.alpha_lr, betas=params.alpha_betas)

    def task_state(self, i: int) -> dict[str, torch.Tensor]:
        """Task i's networks (actor, twin critics, target critics, temperature) as the state_dict of a
        one-task VectorSAC with the same settings; optimiser states are not included."""
        rows = {"actor": [i], "critic": [i, self.n + i], "critic_target": [i, self.n + i], "log_alpha": [i]}
        return {k: v[rows[k.split(".")[0]]].detach().clone().cpu() for k, v in self.state_dict().items()}

    def finite_tasks(self) -> torch.Tensor:
        """[n] bool: whether all of task i's networks (actor, twin critics, target critics, temperature) are
        finite (a host read of n values, for a checkpoint)."""
        ok = torch.ones(self.n, dtype=torch.bool, device=self.log_alpha.device)
        for name, v in self.state_dict().items():
            finite = torch.isfinite(v.reshape(v.shape[0], -1)).all(dim=1)
            ok &= finite[: self.n] & finite[self.n :] if name.startswith("critic") else finite
        return ok.cpu()

    def policy(self, obs: torch.Tensor, noise: torch.Tensor | None) -> PolicyOutput:
        """obs [n, B, o] -> actions [n, B, A]; noise [n, B, A] or None (deterministic)."""
        mean, raw = self.actor(obs).chunk(2, dim=-1)
        lo, hi = self.params.log_std_bounds
        log_std = lo + 0.5 * (hi - lo) * (torch.tanh(raw) + 1)
        return tanh_gaussian(mean, log_std, noise, exact_log_det=True)

    def _q(self, net: EnsembleMLP, obs: torch.Tensor, actions: torch.Tensor, frozen: bool = False) -> torch.Tensor:
        """[2, n, B, 1] from obs/actions [n, B, .]; `frozen` for the actor's loss (gradients reach the actions only)."""
        x = torch.cat([obs, actions], dim=-1).repeat(2, 1, 1)
        return net(x, frozen=frozen).view(2, self.n, *obs.shape[1:-1], 1)

    def update(self, batch: dict[str, torch.Tensor], step: int, gens: TaskGenerators) -> dict[str, torch.Tensor]:
        """One SAC update of every task. batch fields [n, B, .]; not_done excludes time limits. Returns task i's
        records at [i] (pytorch_sac's logged values): `critic_loss` (the sum of its twin critics' mean squared
        errors), `batch_reward` (the batch's mean reward) and, where the actor updates, `actor_loss`, `alpha_loss`,
        `alpha` (the temperature the losses used, before its own step) and `entropy` (minus the mean log-prob)."""
        alpha = self.log_alpha.exp()
        with torch.no_grad():
            nxt = self.policy(batch["next_obs"], gens.randn(self.params.batch_size, self.action_dim))
            target_v = self._q(self.critic_target, batch["next_obs"], nxt.action).min(0).values - alpha * nxt.log_prob
            target_q = batch["rewards"] + batch["not_done"] * self.params.discount * target_v
        q = self._q(self.critic, batch["obs"], batch["actions"])
        critic_losses = ((q - target_q) ** 2).mean(dim=(2, 3)).sum(0)  # [n]: task i's Q1 and Q2 errors
        self.critic_opt.zero_grad(set_to_none=True)
        critic_losses.sum().backward()  # summed over tasks: no task's gradient reaches another's parameters
        self.critic_opt.step()
        out = {"critic_loss": critic_losses.detach(), "batch_reward": batch["rewards"].mean(dim=(1, 2))}

        if step % self.params.actor_update_frequency == 0:
            pi = self.policy(batch["obs"], gens.randn(self.params.batch_size, self.action_dim))
            min_q = self._q(self.critic, batch["obs"], pi.action, frozen=True).min(0).values
            actor_losses = (alpha.detach() * pi.log_prob - min_q).mean(dim=(1, 2))  # [n]
            self.actor_opt.zero_grad(set_to_none=True)
            actor_losses.sum().backward(inputs=list(self.actor.parameters()))
            self.actor_opt.step()
            alpha_losses = (alpha * (-pi.log_prob - self.target_entropy).detach()).mean(dim=(1, 2))  # [n]
            self.alpha_opt.zero_grad(set_to_none=True)
            alpha_losses.sum().backward()
            self.alpha_opt.step()
            out.update(
                actor_loss=actor_losses.detach(),
                alpha_loss=alpha_losses.detach(),
                alpha=alpha.detach().view(self.n),
                entropy=-pi.log_prob.detach().mean(dim=(1, 2)),
            )

        if step % self.params.critic_target_update_frequency == 0:
            with torch.no_grad():
                for w, tw in zip(self.critic.parameters(), self.critic_target.parameters()):
                    tw.lerp_(w, self.params.critic_tau)
        return out
