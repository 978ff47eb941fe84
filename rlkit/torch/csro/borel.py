"""BOReL (Dorfman, Shenfeld and Tamar, NeurIPS 2021, `Rondorf/BOReL`) without its oracle reward relabelling, as
`algo_type: BOREL` on CSRO's learner (docs/algorithm.md, "BOREL").

A VariBAD belief: a GRU reads a task's transitions in order, (a_t, r_t, s_{t+1}) embedded by ReLU layers of 16,
16 and 32 units, and after every step its hidden state h_t (128 units) gives q_t = N(mu_t, exp(logvar_t)) over a
latent of `borel_latent_size` (5) dimensions; q_0 comes from h = 0 (the learned prior). Trained offline as a VAE
(`elbo_terms`): from a sample of every q_t a reward decoder reconstructs the rewards of *all* steps of the sequence,
and sum_t KL(q_t || q_{t-1}), q_{-1} = N(0, I), keeps consecutive beliefs close. A state decoder (s' from z, s,
a) is added for the families whose tasks differ in dynamics.

Then the VAE is frozen, every dataset row is relabelled as a hyper-state (s, mu_t, logvar_t) with the belief after
the rows before it in its sequence (`hyper_state_columns`), and the project's learner trains on hyper-states:
`BorelAgent`'s policy reads (s, mu, logvar), and so do Q, V and BRAC's dual critic, in place of (s, z). At
meta-test the belief is updated after every step from the GRU state (`rlkit.eval.recurrent`).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from rlkit.config import POINT_FAMILIES, Config, borel_decode_state_of
from rlkit.data.buffer import MultiTaskBuffer
from rlkit.data.sequences import SequenceBatch, SequenceIndex
from rlkit.torch.networks import PolicyOutput, TanhGaussianPolicy

STATE_EMBED, ACTION_EMBED, REWARD_EMBED = 32, 16, 16  # BOReL's state/action/reward_embedding_size
GRU_HIDDEN = 128  # BOReL's aggregator_hidden_size
DECODER_HIDDEN = (32, 32)  # BOReL's reward_decoder_layers; the state decoder gets the same


@dataclass(frozen=True)
class BorelSettings:
    latent: int  # dimension of the belief's mean (and of its log-variance)
    vae_steps: int
    vae_tasks: int  # tasks per VAE step
    vae_sequences: int  # sequences per task per VAE step
    kl_weight: float
    episodes: int  # episodes of a sequence (BAMDP horizon)
    decode_state: bool  # the state decoder and its loss
    reward_reads_sa: bool  # the reward decoder also reads (s, a) (BOReL's MuJoCo configs), else (z, s') only
    elbo_terms: int | None = None  # beliefs per sequence that decode at a VAE step (`elbo_subsample`); None: all

    @staticmethod
    def from_config(cfg: Config) -> BorelSettings | None:
        """None unless `algo_type` is BOREL. `borel_decode_state` null is the env family's choice
        (`rlkit.config.borel_decode_state_of`); the reward decoder reads (s, a) beside s' outside the point-robot
        families (BOReL's cheetah config), s' alone on them (its point-robot config)."""
        if cfg.algo_type != "BOREL":
            return None
        a = cfg.algo_params
        return BorelSettings(
            latent=a.borel_latent_size,
            vae_steps=a.borel_vae_steps,
            vae_tasks=a.borel_vae_tasks,
            vae_sequences=a.borel_vae_sequences,
            kl_weight=a.borel_kl_weight,
            episodes=a.borel_episodes,
            # (a config loaded to run has its null resolved already)
            decode_state=borel_decode_state_of(cfg.env_name, a.borel_decode_state),
            reward_reads_sa=cfg.env_name not in POINT_FAMILIES,
            elbo_terms=a.borel_elbo_terms,
        )


# ---- the losses -----------------------------------------------------------------------------------------------


def gaussian_kl(mu: torch.Tensor, logvar: torch.Tensor, mu_p: torch.Tensor, logvar_p: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, exp logvar) || N(mu_p, exp logvar_p)) of diagonal Gaussians, summed over the last axis:
    0.5 sum_d (logvar_p - logvar - 1 + exp(logvar - logvar_p) + (mu - mu_p)^2 exp(-logvar_p))."""
    return 0.5 * (logvar_p - logvar - 1 + (logvar - logvar_p).exp() + (mu - mu_p) ** 2 * (-logvar_p).exp()).sum(-1)


def sequential_kl(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """[N, T+1, L] beliefs q_0..q_T -> [N, T+1]: KL(q_t || q_{t-1}), q_{-1} = N(0, I) (BOReL's `compute_kl_loss`)."""
    prev_mu = torch.cat([torch.zeros_like(mu[:, :1]), mu[:, :-1]], dim=1)
    prev_logvar = torch.cat([torch.zeros_like(logvar[:, :1]), logvar[:, :-1]], dim=1)
    return gaussian_kl(mu, logvar, prev_mu, prev_logvar)


@dataclass
class ElboTerms:
    """The VAE's loss and its parts, each a mean over the sequences (scalars)."""

    loss: torch.Tensor  # reward + state + kl_weight * kl
    reward: torch.Tensor
    state: torch.Tensor
    kl: torch.Tensor


def elbo_terms(
    reward_pred: torch.Tensor,
    rewards: torch.Tensor,
    mask: torch.Tensor,
    mu: torch.Tensor,
    logvar: torch.Tensor,
    kl_weight: float,
    state_pred: torch.Tensor | None = None,
    next_obs: torch.Tensor | None = None,
    belief_weight: torch.Tensor | None = None,
) -> ElboTerms:
    """BOReL's negative ELBO (no reward relabelling) of N sequences padded to T steps, n_i real ones each.

    reward_pred [N, T+1, T, 1]: r_hat(z_t, step k) from a sample z_t of q_t, t = 0..T (q_0 the prior);
    rewards [N, T, 1]; mask [N, T] (step k real: k < n_i); mu, logvar [N, T+1, L];
    state_pred [N, T+1, T, S] and next_obs [N, T, S] with the state decoder.

    reward_i = sum_{t <= n_i} mean_{k < n_i} (r_hat_tk - r_k)^2
    state_i  = sum_{t <= n_i} sum_d mean_{k < n_i} (s_hat_tkd - s'_kd)^2
    kl_i     = sum_{t <= n_i} KL(q_t || q_{t-1}),  q_{-1} = N(0, I)
    loss     = mean_i (reward_i + state_i + kl_weight * kl_i)

    (BOReL's `update_step` and `compute_rew_reconstruction_loss`: every belief decodes every step of the
    sequence, past and future; the squared errors are averaged over the decoded steps k and summed over t.)

    With `belief_weight` [N, M] (`elbo_subsample`), the predictions are of M drawn beliefs only ([N, M, T, .]) and
    the sums over t in reward_i and state_i are sum_j w_ij (...)_j, an unbiased estimate of the full sums; kl_i
    stays over every belief (it costs O(T), the decodes O(T^2))."""
    step = mask.to(reward_pred.dtype)  # [N, T]
    latent = torch.cat([torch.ones_like(step[:, :1]), step], dim=1)  # [N, T+1]: t <= n_i
    decoded = latent if belief_weight is None else belief_weight  # the weight of each decoding belief
    per_k = step / step.sum(dim=1, keepdim=True)  # the mean over the real steps
    reward = ((((reward_pred - rewards[:, None]) ** 2).sum(-1) * per_k[:, None]).sum(-1) * decoded).sum(-1)
    kl = (sequential_kl(mu, logvar) * latent).sum(-1)
    state = torch.zeros_like(reward)
    if state_pred is not None:
        state = ((((state_pred - next_obs[:, None]) ** 2).sum(-1) * per_k[:, None]).sum(-1) * decoded).sum(-1)
    return ElboTerms(
        (reward + state + kl_weight * kl).mean(), reward.detach().mean(), state.detach().mean(), kl.detach().mean()
    )


def vae_step_bytes(sequences: int, steps: int, beliefs: int, obs_dim: int, decode_state: bool) -> int:
    """About the memory a VAE step's decodes hold until its backward, the step's O(T^2) part: `sequences` of up to
    `steps` steps, `beliefs` of each (all T + 1, or `borel_elbo_terms`) decoding every step. A (belief, step) pair
    holds the reward decoder's hidden layers before and after their ReLU and its output, error and square, 4 bytes
    each; the state decoder about 4 floats per state dimension more. Measured on cheetah-vel (fp32, CPU, 32 x 401 x
    400 pairs): 520 bytes a pair with the reward decoder (this says 524), 829 with both (S = 20: this says 844)."""
    floats = 2 * sum(DECODER_HIDDEN) + 3 + (4 * obs_dim if decode_state else 0)
    return sequences * beliefs * steps * floats * 4


def free_bytes(device: torch.device) -> int | None:
    """Memory free for a step on `device`: CUDA's free memory, or the CPU's MemAvailable (/proc/meminfo); None
    where neither can be read."""
    if device.type == "cuda":
        return int(torch.cuda.mem_get_info(device)[0])
    try:
        with open("/proc/meminfo") as f:
            fields = dict(line.split(":", 1) for line in f)
        return int(fields["MemAvailable"].split()[0]) * 1024
    except (OSError, KeyError, ValueError):
        return None


def elbo_subsample(
    mask: torch.Tensor, m: int, generator: torch.Generator | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Draw M = min(m, T+1) of each sequence's beliefs to decode: mask [N, T] (n_i real steps) -> (index [N, M] of
    beliefs t, weight [N, M]). Each draw is a uniform subset of min(m, n_i + 1) of the real beliefs t <= n_i, each
    weighted (n_i + 1) / min(m, n_i + 1), so that sum_j w_ij f(t_ij) is an unbiased estimate of sum_{t <= n_i} f(t);
    padding beliefs fill the rest of a short sequence's row with weight 0."""
    n = mask.sum(dim=1)  # [N]
    t = torch.arange(mask.shape[1] + 1, device=mask.device)
    real = t[None] <= n[:, None]  # [N, T+1]
    keys = torch.rand(real.shape, generator=generator, device=mask.device) + (~real).float()  # real ones first
    index = keys.argsort(dim=1)[:, :m]
    drawn = real.gather(1, index).float()
    weight = drawn * (n + 1)[:, None] / (n + 1).clamp(max=m)[:, None]
    return index, weight


# ---- the networks ---------------------------------------------------------------------------------------------


def _linear(n_in: int, n_out: int, generator: torch.Generator | None) -> nn.Linear:
    """nn.Linear initialised as torch's default (BOReL's): weight and bias U(+-1/sqrt(n_in)), from `generator`."""
    layer = nn.Linear(n_in, n_out)
    bound = 1.0 / math.sqrt(n_in)
    with torch.no_grad():
        layer.weight.uniform_(-bound, bound, generator=generator)
        layer.bias.uniform_(-bound, bound, generator=generator)
    return layer


@contextlib.contextmanager
def gru_in_full_float32() -> Iterator[None]:
    """cuDNN's float32 RNNs inside in full float32: torch lets cuDNN run them in TF32 (10 bits of mantissa) on
    Ampere and later GPUs unless told otherwise, where its matrix products elsewhere stay float32 by default; the
    belief's GRU then computes as on the CPU and as the rest of the step. No effect on the CPU."""
    rnn = getattr(torch.backends.cudnn, "rnn", None)
    if rnn is not None and hasattr(rnn, "fp32_precision"):
        owner, flag, full = rnn, "fp32_precision", "ieee"
    else:  # torch before 2.9: one flag for convolutions and RNNs
        owner, flag, full = torch.backends.cudnn, "allow_tf32", False
    before = getattr(owner, flag)
    setattr(owner, flag, full)
    try:
        yield
    finally:
        setattr(owner, flag, before)


class BeliefEncoder(nn.Module):
    """BOReL's `RNNEncoder`: embeddings of a, s', r (ReLU), a GRU of 128, and linear heads mu, logvar. The input of
    step t is (a_t, r_t, s_{t+1}); h = 0 gives q_0, the prior."""

    def __init__(self, obs_dim: int, action_dim: int, latent: int, generator: torch.Generator | None = None):
        super().__init__()
        self.obs_dim, self.action_dim, self.latent = obs_dim, action_dim, latent
        self.action_embed = _linear(action_dim, ACTION_EMBED, generator)
        self.state_embed = _linear(obs_dim, STATE_EMBED, generator)
        self.reward_embed = _linear(1, REWARD_EMBED, generator)
        self.gru = nn.GRU(ACTION_EMBED + STATE_EMBED + REWARD_EMBED, GRU_HIDDEN, batch_first=True)
        with torch.no_grad():  # BOReL's: orthogonal weights, zero biases
            for name, p in self.gru.named_parameters():
                if "bias" in name:
                    p.zero_()
                else:
                    q = torch.empty(p.shape)
                    nn.init.orthogonal_(q, generator=generator)
                    p.copy_(q)
        self.mu = _linear(GRU_HIDDEN, latent, generator)
        self.logvar = _linear(GRU_HIDDEN, latent, generator)

    def embed(self, actions: torch.Tensor, rewards: torch.Tensor, next_obs: torch.Tensor) -> torch.Tensor:
        """[..., A], [..., 1], [..., S] -> the GRU input [..., 64], (a, s', r) embedded with ReLU (BOReL's order)."""
        return torch.cat(
            [
                F.relu(self.action_embed(actions)),
                F.relu(self.state_embed(next_obs)),
                F.relu(self.reward_embed(rewards)),
            ],
            dim=-1,
        )

    def prior_state(self, n: int, device: torch.device | None = None) -> torch.Tensor:
        """[n, 128] zeros: the hidden state before any step."""
        w = self.mu.weight
        return torch.zeros(n, GRU_HIDDEN, dtype=w.dtype, device=device if device is not None else w.device)

    def heads(self, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Hidden states [..., 128] -> (mu, logvar) [..., L]."""
        return self.mu(h), self.logvar(h)

    def hidden_states(
        self, actions: torch.Tensor, rewards: torch.Tensor, next_obs: torch.Tensor, h0: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Sequences [N, T, .] (from hidden states h0 [N, 128], default 0) -> [N, T+1, 128]: h0, then h after each
        step."""
        x = self.embed(actions, rewards, next_obs)
        if h0 is None:
            h0 = self.prior_state(x.shape[0], x.device)
        with gru_in_full_float32():
            out, _ = self.gru(x, h0[None].contiguous())
        return torch.cat([h0[:, None], out], dim=1)

    def forward(
        self, actions: torch.Tensor, rewards: torch.Tensor, next_obs: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Sequences [N, T, .] -> (mu, logvar) [N, T+1, L] of q_0 (the prior) .. q_T."""
        return self.heads(self.hidden_states(actions, rewards, next_obs))

    def advance(
        self, h: torch.Tensor, actions: torch.Tensor, rewards: torch.Tensor, next_obs: torch.Tensor
    ) -> torch.Tensor:
        """One step of the GRU: h [n, 128] and one transition [n, .] each -> the next h [n, 128]."""
        return self.hidden_states(actions[:, None], rewards[:, None], next_obs[:, None], h)[:, 1]


def _first_layer(layer: nn.Linear, parts: list[torch.Tensor]) -> torch.Tensor:
    """relu(layer(cat(parts))) for parts that only broadcast together: the weight's column blocks apply to each
    part, and the sums broadcast (a belief [N, T+1, 1, L] against steps [N, 1, T, D] without expanding either)."""
    out, start = layer.bias, 0
    for x in parts:
        out = out + F.linear(x, layer.weight[:, start : start + x.shape[-1]])
        start += x.shape[-1]
    return F.relu(out)


class RewardDecoder(nn.Module):
    """BOReL's `RewardDecoder` (deterministic): (z, ReLU embedding of s'[, of a, of s]) -> [32, 32] ReLU -> r."""

    def __init__(self, obs_dim: int, action_dim: int, latent: int, reads_sa: bool, generator=None):
        super().__init__()
        self.reads_sa = reads_sa
        self.state_embed = _linear(obs_dim, STATE_EMBED, generator)
        self.action_embed = _linear(action_dim, ACTION_EMBED, generator) if reads_sa else None
        sizes = [latent + STATE_EMBED + ((ACTION_EMBED + STATE_EMBED) if reads_sa else 0), *DECODER_HIDDEN]
        self.layers = nn.ModuleList(_linear(i, o, generator) for i, o in zip(sizes[:-1], sizes[1:]))
        self.out = _linear(sizes[-1], 1, generator)

    def forward(self, z, next_obs, obs=None, actions=None) -> torch.Tensor:
        """Inputs [..., .] that broadcast together (see `_first_layer`)."""
        parts = [z, F.relu(self.state_embed(next_obs))]
        if self.reads_sa:
            parts += [F.relu(self.action_embed(actions)), F.relu(self.state_embed(obs))]
        h = _first_layer(self.layers[0], parts)
        for layer in self.layers[1:]:
            h = F.relu(layer(h))
        return self.out(h)


class StateDecoder(nn.Module):
    """BOReL's `StateTransitionDecoder` (deterministic): (z, ReLU embeddings of s and a) -> [32, 32] ReLU -> s'."""

    def __init__(self, obs_dim: int, action_dim: int, latent: int, generator=None):
        super().__init__()
        self.state_embed = _linear(obs_dim, STATE_EMBED, generator)
        self.action_embed = _linear(action_dim, ACTION_EMBED, generator)
        sizes = [latent + STATE_EMBED + ACTION_EMBED, *DECODER_HIDDEN]
        self.layers = nn.ModuleList(_linear(i, o, generator) for i, o in zip(sizes[:-1], sizes[1:]))
        self.out = _linear(sizes[-1], obs_dim, generator)

    def forward(self, z, obs, actions) -> torch.Tensor:
        """Inputs [..., .] that broadcast together (see `_first_layer`)."""
        h = _first_layer(self.layers[0], [z, F.relu(self.state_embed(obs)), F.relu(self.action_embed(actions))])
        for layer in self.layers[1:]:
            h = F.relu(layer(h))
        return self.out(h)


class BeliefVAE(nn.Module):
    """The encoder, the decoders, and `steps`, the VAE steps taken (saved with the agent, so a run resumes in its
    stage)."""

    def __init__(self, obs_dim: int, action_dim: int, settings: BorelSettings, generator=None):
        super().__init__()
        L = settings.latent
        self.encoder = BeliefEncoder(obs_dim, action_dim, L, generator)
        self.reward_decoder = RewardDecoder(obs_dim, action_dim, L, settings.reward_reads_sa, generator)
        self.state_decoder = StateDecoder(obs_dim, action_dim, L, generator) if settings.decode_state else None
        self.elbo_terms = settings.elbo_terms
        self.register_buffer("steps", torch.zeros((), dtype=torch.long))

    def elbo(self, batch: SequenceBatch, kl_weight: float, generator: torch.Generator) -> ElboTerms:
        """`elbo_terms` of a batch of sequences [..., T, W], z_t = mu_t + exp(logvar_t / 2) eps (reparameterised);
        with `borel_elbo_terms` below T + 1, only the beliefs `elbo_subsample` draws (after eps) decode."""
        T = batch.rows.shape[-2]
        flat = SequenceBatch(batch.rows.reshape(-1, *batch.rows.shape[-2:]), batch.mask.reshape(-1, T), *_dims(batch))
        s, a, r, s2 = flat.obs, flat.actions, flat.rewards, flat.next_obs
        mu, logvar = self.encoder(a, r, s2)
        z = mu + (0.5 * logvar).exp() * torch.randn(mu.shape, generator=generator, device=mu.device)
        weight = None
        if self.elbo_terms is not None and self.elbo_terms < T + 1:  # decode from drawn beliefs only
            index, weight = elbo_subsample(flat.mask, self.elbo_terms, generator)
            z = z.gather(1, index[..., None].expand(-1, -1, z.shape[-1]))
        zz = z[:, :, None]  # [N, T+1 (or M), 1, L] against the steps [N, 1, T, .]: each belief decodes every step
        reward_pred = self.reward_decoder(zz, s2[:, None], s[:, None], a[:, None])
        state_pred = self.state_decoder(zz, s[:, None], a[:, None]) if self.state_decoder is not None else None
        return elbo_terms(
            reward_pred, r, flat.mask, mu, logvar, kl_weight, state_pred, s2 if state_pred is not None else None, weight
        )


def _dims(batch: SequenceBatch) -> tuple[int, int]:
    return batch.obs_dim, batch.action_dim


def belief_vector(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """What the learner reads beside s: (mu, logvar) [..., 2L] (BOReL's hyper-state)."""
    return torch.cat([mu, logvar], dim=-1)


@torch.no_grad()
def hyper_state_columns(
    encoder: BeliefEncoder, index: SequenceIndex, chunk: int = 2048
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """BOReL's `transform_mdp_to_bamdp_rollouts` over every sequence of `index`: for every buffer row, the belief
    before it (`belief_vector` after the rows before it in its sequence; the prior for a sequence's first row) and
    after it, [N_rows, 2L] each; and the belief mean after each whole sequence, [S, L]."""
    n_rows, L = len(index.buffer), encoder.latent
    device = index.rows.device
    before = torch.full((n_rows, 2 * L), float("nan"), device=device)
    after = torch.full((n_rows, 2 * L), float("nan"), device=device)
    final = torch.empty(len(index), L, device=device)
    for start in range(0, len(index), chunk):
        ids = torch.arange(start, min(start + chunk, len(index)), device=device)
        b = index.batch(ids)
        mu, logvar = encoder(b.actions, b.rewards, b.next_obs)  # [n, T+1, L]
        belief = belief_vector(mu, logvar)
        rows = index.rows[ids]
        before[rows[b.mask]] = belief[:, :-1][b.mask]
        after[rows[b.mask]] = belief[:, 1:][b.mask]
        final[ids] = mu[torch.arange(len(ids), device=device), index.lengths[ids]]
    if torch.isnan(before).any() or torch.isnan(after).any():
        raise RuntimeError("a buffer row is in no sequence: the sequence index does not cover the buffer")
    return before, after, final


def hyper_state_buffer(
    buf: MultiTaskBuffer, index: SequenceIndex, before: torch.Tensor, after: torch.Tensor
) -> MultiTaskBuffer:
    """The learner's rows: `buf` (what `index` reads) with every row's obs widened by its belief before it and its
    next_obs by the belief after it (`hyper_state_columns`), and the episodes of a sequence joined into one BAMDP
    rollout, as BOReL's wrapper runs one (it resets the env there and goes on): the last row of every episode but the
    sequence's last is not terminal and leads to the next episode's first hyper-state, its reset state, so a value
    learned in one episode counts what the next one earns with what was learned. (BOReL's stored data differ at the
    join, docs/algorithm.md, "BOREL": its next episode starts from the last one's final state, and its goal states
    are terminal.)"""
    out = buf.with_obs_columns(before, after)
    ends = torch.zeros(len(buf), dtype=torch.bool)
    for slot, t in enumerate(buf.task_ids):
        ends[int(buf.offsets[slot]) + torch.as_tensor(np.cumsum(buf.traj_lengths[t]) - 1)] = True
    ends = ends.to(index.rows.device)
    cur, nxt = index.rows[:, :-1], index.rows[:, 1:]
    inside = torch.arange(1, index.max_length, device=cur.device) < index.lengths[:, None]  # step k + 1 is real
    join = inside & ends[cur]
    # (the copy's own index: `buf`'s is left as it was; the rows that held those rows' own next obs go unread)
    out.next_row[cur[join]] = nxt[join].to(out.next_row.dtype)
    out.data[cur[join], -1] = 0.0
    return out


class BorelAgent(nn.Module):
    """The policy on hyper-states, pi(a | s, mu, logvar), and the belief VAE as `encoder` (what the encoder's
    optimiser steps). `recurrent`: the meta-test feeds it transitions one by one (`rlkit.eval.recurrent`)."""

    recurrent = True

    def __init__(
        self, obs_dim: int, action_dim: int, settings: BorelSettings, net_size: int, generator: torch.Generator | None
    ):
        super().__init__()
        self.obs_dim, self.action_dim = obs_dim, action_dim
        self.latent_dim = 2 * settings.latent  # the policy's belief input (mu, logvar)
        self.test_z_generator: torch.Generator | None = None  # the belief is read as it is: nothing is sampled
        self.encoder = BeliefVAE(obs_dim, action_dim, settings, generator)
        self.policy = TanhGaussianPolicy(obs_dim + self.latent_dim, action_dim, [net_size] * 3, generator=generator)

    @property
    def gru(self) -> BeliefEncoder:
        return self.encoder.encoder

    def policy_output(
        self, obs: torch.Tensor, z: torch.Tensor, deterministic: bool = False, generator: torch.Generator | None = None
    ) -> PolicyOutput:
        """z: the belief (mu, logvar) [..., 2L] (`belief_vector`)."""
        return self.policy(torch.cat([obs, z], dim=-1), deterministic=deterministic, generator=generator)

    def belief(self, h: torch.Tensor) -> torch.Tensor:
        """GRU states [n, 128] -> the policy's belief input [n, 2L]."""
        return belief_vector(*self.gru.heads(h))

    @torch.no_grad()
    def feed(self, h: torch.Tensor, rows: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Run the GRU from h [n, 128] over each job's `lengths[i]` first transitions of rows [n, T, A + 1 + S]
        ((a, r, s') in order); returns the state after them [n, 128] (h itself where the length is 0)."""
        if rows.shape[1] == 0:
            return h
        A = self.action_dim
        states = self.gru.hidden_states(rows[..., :A], rows[..., A : A + 1], rows[..., A + 1 :], h)  # [n, T+1, 128]
        return states[torch.arange(len(h), device=h.device), lengths]
