"""BOREL (docs/algorithm.md, "BOREL"): ordered sequences of the dataset, the ELBO on hand-made tensors, the belief
against the GRU run by hand (in training, in the relabelling and in the meta-test protocols), which parameters each
stage moves, the keys it reads, bad data, and a tiny run of both stages with its resume."""

import dataclasses
import json
import math
import os
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import torch
from torch.nn import functional as F

from rlkit.config import load_config, parse_override_args
from rlkit.data.buffer import MultiTaskBuffer, RLBatch, sample_step
from rlkit.data.dataset import Trajectories, task_dir
from rlkit.data.sequences import SequenceIndex
from rlkit.errors import UserError
from rlkit.eval import EvalSetting
from rlkit.eval.recurrent import (
    nonprior_context_recurrent,
    offline_context_recurrent,
    online_prior_context_recurrent,
)
from rlkit.experiment import MetaTrainer, prepare
from rlkit.logging import SPREAD_COLUMNS, VAE_COLUMNS, RunLogger, collapse_warning
from rlkit.run_folder import config_differences
from rlkit.tasks import make_env
from rlkit.torch.csro import borel
from rlkit.torch.csro.agent import CSROAgent
from rlkit.torch.csro.borel import BorelAgent, BorelSettings
from rlkit.torch.csro.trainer import CSROTrainer, TrainerSettings, belief_spread
from tests.conftest import ROOT, TINY_CONFIG, cuda_only
from tests.test_buffer import _written_data, make
from tests.test_eval import _envs, envs_for
from tests.test_gradient_flow import assert_detached, changed, snapshot

OBS, ACT = 2, 2
DEV = torch.device("cpu")


def borel_cfg(**overrides):
    args = ["--algo_type", "BOREL", "--net_size", "16"]
    for k, v in overrides.items():
        args += [f"--{k}", json.dumps(v)]
    return load_config(None, parse_override_args(args))


def make_trainer(seed=0, **overrides) -> CSROTrainer:
    cfg = borel_cfg(**overrides)
    return CSROTrainer(TrainerSettings.from_config(cfg, range(30)), OBS, ACT, DEV, seed=seed)


def episodes_data(lengths: list[int], tag: float, seed: int = 0) -> Trajectories:
    """Episodes of the given lengths; obs[:, 0] = tag (the task), obs[:, 1] = the row's index in the task."""
    n = sum(lengths)
    rng = np.random.default_rng(seed)
    obs = np.stack([np.full(n, tag), np.arange(n)], 1).astype(np.float32)
    act = rng.uniform(-1, 1, (n, ACT)).astype(np.float32)
    rew = rng.normal(size=n).astype(np.float32)
    nxt = (obs + rng.normal(size=obs.shape)).astype(np.float32)
    return Trajectories(obs, act, rew, nxt, np.zeros(n, np.float32), np.asarray(lengths))


# ---- ordered sequences ----------------------------------------------------------------------------------------


def test_sequences_are_pairs_of_consecutive_episodes_within_a_checkpoint():
    # task 4: two checkpoints of 3 episodes (block 3), lengths 2, 3, 1 | 2, 2, 3; task 9: one checkpoint of 3
    buf = MultiTaskBuffer(
        {4: episodes_data([2, 3, 1, 2, 2, 3], 4), 9: episodes_data([1, 1, 2], 9)}, OBS, ACT, DEV, terminal_at_traj_end=0
    )
    index = SequenceIndex(buf, episodes=2, block=3, max_episode_steps=3)
    # rows of a task are numbered by obs[:, 1]; task 9's start at 13
    expected = [[0, 1, 2, 3, 4], [5], [6, 7, 8, 9], [10, 11, 12], [13, 14], [15, 16]]
    got = [index.rows[i, : index.lengths[i]].tolist() for i in range(len(index))]
    assert got == expected
    assert index.task.tolist() == [4, 4, 4, 4, 9, 9] and index.max_length == 5
    b = index.batch(torch.arange(len(index)))
    assert b.mask.sum(1).tolist() == [5, 1, 4, 3, 2, 2]
    torch.testing.assert_close(b.obs[0, :5, 1], torch.arange(5.0))  # in order
    torch.testing.assert_close(b.rewards[0, :5, 0], buf.transitions()[:5, OBS + ACT])
    # every row in exactly one sequence, at one position
    covered = torch.cat([index.rows[i, : index.lengths[i]] for i in range(len(index))])
    assert sorted(covered.tolist()) == list(range(len(buf)))
    single = SequenceIndex(buf, episodes=1, block=3)  # the episodes themselves
    assert single.lengths.tolist() == [2, 3, 1, 2, 2, 3, 1, 1, 2]


def test_sampled_sequences_are_the_requested_tasks():
    buf = MultiTaskBuffer({t: episodes_data([3] * 6, t, seed=t) for t in (2, 5, 7)}, OBS, ACT, DEV)
    index = SequenceIndex(buf, episodes=2, block=6)
    b = index.sample(torch.tensor([7, 2]), 5, torch.Generator().manual_seed(0))
    assert b.rows.shape == (2, 5, 6, 2 * OBS + ACT + 3) and b.mask.all()
    assert (b.obs[0, ..., 0] == 7).all() and (b.obs[1, ..., 0] == 2).all()
    steps = b.obs[..., 1]
    assert (steps[..., 1:] - steps[..., :-1] == 1).all() and (steps[..., 0] % 6 == 0).all()  # whole pairs in order


def test_sequences_are_sampled_uniformly_each_of_a_tasks_last_included():
    """Task 3's four one-episode sequences and task 8's two, 4,000 draws each: every sequence of each task about
    equally often (a draw scaled to count - 1 never reached a task's last sequence)."""
    buf = MultiTaskBuffer({3: episodes_data([2] * 4, 3), 8: episodes_data([3] * 2, 8)}, OBS, ACT, DEV)
    index = SequenceIndex(buf, episodes=1, block=4)
    ids = index.sample_ids(torch.tensor([3, 8]), 4000, torch.Generator().manual_seed(0))
    assert index.task[ids[0]].eq(3).all() and index.task[ids[1]].eq(8).all()
    assert (torch.bincount(ids[0], minlength=6)[:4] > 850).all() and (
        torch.bincount(ids[1], minlength=6)[4:] > 1800
    ).all()


@pytest.mark.parametrize(
    "lengths, limit, message",
    [
        ([20, 45], 20, r"task 3: an episode of 45 steps: expected at most env_params.max_episode_steps=20 \(the files"),
        ([20, 0, 5], 20, r"task 3: the files' episode lengths \[20, 0, 5\] do not cut its 25 rows into episodes"),
        ([20, 0, 1, 1, 1, 1, 1, 0, 0], 20, r"episode lengths \[20, 0, 1, 1, 1, 1, 1, 0\]\.\.\. do not cut its 25 rows"),
        ([20, 0, 1, 1, 1, 1, 1, 0], 20, r"episode lengths \[20, 0, 1, 1, 1, 1, 1, 0\] do not cut its 25 rows"),
    ],
)
def test_data_without_episode_boundaries_is_a_one_line_error(lengths, limit, message):
    data = episodes_data(lengths, 3)
    buf = MultiTaskBuffer({3: data}, OBS, ACT, DEV)
    with pytest.raises(UserError, match=message) as err:
        SequenceIndex(buf, 2, 50, limit)
    assert "\n" not in str(err.value)


@pytest.mark.slow
def test_sequences_against_the_files(tiny_data, monkeypatch):
    """The tiny dataset (6 tasks, checkpoints 100 and 200, n_trj 3): each training sequence is episodes (0, 1) or
    (2) of one checkpoint's file, read back from the .npz itself, in order."""
    monkeypatch.chdir(tiny_data.parent.parent)
    setup = prepare(load_config(TINY_CONFIG, {"algo_type": "BOREL"}), 0, DEV)
    index = setup.sequences
    scale = setup.obs_scale if setup.obs_scale is not None else 1.0
    for t in setup.train_tasks:
        ids = (index.task == t).nonzero()[:, 0]
        b = index.batch(ids)
        expected = []
        for step in (100, 200):
            with np.load(task_dir(tiny_data, t) / f"step{step}.npz") as z:
                ends = np.cumsum(z["sample_traj_lengths"][:3])
                starts = np.concatenate([[0], ends[:-1]])
                for group in ([0, 1], [2]):
                    sl = np.concatenate([np.arange(starts[e], ends[e]) for e in group])
                    expected.append(
                        np.concatenate(
                            [
                                z["sample_obs"][sl] / scale,
                                z["sample_actions"][sl],
                                z["sample_rewards"][sl, None],
                                z["sample_next_obs"][sl] / scale,
                            ],
                            1,
                        )
                    )
        assert len(ids) == len(expected) == 4
        for k, e in enumerate(expected):
            n = int(b.mask[k].sum())
            got = torch.cat([b.obs, b.actions, b.rewards, b.next_obs], -1)[k, :n].numpy()
            np.testing.assert_allclose(got, e, rtol=1e-6, atol=1e-6)


# ---- the ELBO, by hand ----------------------------------------------------------------------------------------


def elbo_inputs():
    """Two sequences padded to T = 2 (the second has one real step), latent and state of one dimension."""
    reward_pred = torch.tensor([[[0.0, 0.0], [1.0, 1.0], [1.0, 2.0]], [[2.0, 50.0], [3.0, 7.0], [9.0, 9.0]]])[..., None]
    rewards = torch.tensor([[1.0, 2.0], [3.0, 100.0]])[..., None]
    mask = torch.tensor([[True, True], [True, False]])
    mu = torch.tensor([[0.0, 1.0, 1.0], [2.0, 0.0, 5.0]])[..., None]
    logvar = torch.tensor([[0.0, 0.0, math.log(2.0)], [0.0, 0.0, 0.0]])[..., None]
    return reward_pred, rewards, mask, mu, logvar


def test_elbo_by_hand():
    # rewards: seq 0, t = 0, 1, 2: mean_k of (1, 4), (0, 1), (0, 0) -> 2.5 + 0.5 + 0 = 3; seq 1 (one step, t <= 1):
    # (2 - 3)^2 + (3 - 3)^2 = 1; padding never counts. Mean over the sequences: 2.
    # KL: seq 0: KL(N(0,1)||N(0,1)) + KL(N(1,1)||N(0,1)) + KL(N(1,2)||N(1,1)) = 0 + 0.5 + 0.5 (1 - ln 2);
    # seq 1: KL(N(2,1)||N(0,1)) + KL(N(0,1)||N(2,1)) = 2 + 2
    kl = ((1 - 0.5 * math.log(2)) + 4) / 2
    t = borel.elbo_terms(*elbo_inputs(), kl_weight=0.05)
    assert t.reward.item() == pytest.approx(2.0) and t.kl.item() == pytest.approx(kl, rel=1e-6)
    assert t.state.item() == 0 and t.loss.item() == pytest.approx(2.0 + 0.05 * kl, rel=1e-6)
    # the state decoder: seq 0 predicts 0 for s' = 1 (3 beliefs x mean 1), seq 1 predicts 0 for s' = 2 (2 x 4)
    state_pred, next_obs = torch.zeros(2, 3, 2, 1), torch.tensor([[1.0, 1.0], [2.0, -9.0]])[..., None]
    t = borel.elbo_terms(*elbo_inputs(), kl_weight=0.05, state_pred=state_pred, next_obs=next_obs)
    assert t.state.item() == pytest.approx(5.5) and t.loss.item() == pytest.approx(2.0 + 5.5 + 0.05 * kl, rel=1e-6)
    # two state dimensions, summed (a mean over them passed on one): seq 0, s' = (1, 2) at both steps: 3 beliefs x
    # (1 + 4) = 15; seq 1, s' = (2, 0) at its one step: 2 x 4 = 8; the mean 11.5
    state_pred, next_obs = torch.zeros(2, 3, 2, 2), torch.tensor([[[1.0, 2.0], [1.0, 2.0]], [[2.0, 0.0], [-9.0, -9.0]]])
    t = borel.elbo_terms(*elbo_inputs(), kl_weight=0.05, state_pred=state_pred, next_obs=next_obs)
    assert t.state.item() == pytest.approx(11.5)


def test_the_elbos_kl_trains_each_belief_towards_the_next_and_the_next_towards_it():
    """The KL term's gradient, by hand: d/d(mu, logvar) of 0.05 x mean_i sum_{t <= n_i} KL(q_t || q_{t-1}) with both
    beliefs of each pair live (BOReL's compute_kl_loss detaches neither). The values above held with the KL detached
    (the VAE trained on reconstruction alone, its logvar head pushed down without bound), with q_{t-1} detached
    (a belief never pulled towards the next) or with the means or log-variances detached. On these numbers: mu_0 of
    sequence 0 gets -0.025, only through KL(q_1 || q_0) (its own KL to N(0, 1) is flat at mu_0 = 0)."""
    reward_pred, rewards, mask, mu, logvar = elbo_inputs()
    mu, logvar = mu.requires_grad_(), logvar.requires_grad_()
    got = torch.autograd.grad(borel.elbo_terms(reward_pred, rewards, mask, mu, logvar, 0.05).loss, (mu, logvar))

    def kl(m, lv, mp, lp):
        return 0.5 * (lp - lv - 1 + (lv - lp).exp() + (m - mp) ** 2 * (-lp).exp()).sum()

    zero = torch.zeros(1)
    hand = sum(
        kl(mu[i, t], logvar[i, t], *((zero, zero) if t == 0 else (mu[i, t - 1], logvar[i, t - 1])))
        for i, n in enumerate([2, 1])  # real steps; beliefs t = 0..n
        for t in range(n + 1)
    )
    want = torch.autograd.grad(0.05 * hand / 2, (mu, logvar))
    for g, w in zip(got, want):
        torch.testing.assert_close(g, w)
    assert got[0][0, 0, 0].item() == pytest.approx(-0.025) and got[1].abs().sum() > 0


def test_gaussian_kl_by_hand():
    mu, lv, mp, lp = (torch.tensor([x]) for x in (1.0, math.log(4.0), -1.0, math.log(2.0)))
    # 0.5 (ln 2 - ln 4 - 1 + 4 / 2 + (1 + 1)^2 / 2)
    expected = 0.5 * (math.log(2) - math.log(4) - 1 + 2 + 2)
    assert borel.gaussian_kl(mu, lv, mp, lp).item() == pytest.approx(expected, rel=1e-6)
    assert borel.gaussian_kl(mu, lv, mu, lv).item() == 0
    # summed over dimensions (a mean over them passed on one): a second one, N(0.5, 1) against N(0, 1), adds 0.125
    two = [torch.tensor([x, y]) for x, y in ((1.0, 0.5), (math.log(4.0), 0.0), (-1.0, 0.0), (math.log(2.0), 0.0))]
    assert borel.gaussian_kl(*two).item() == pytest.approx(expected + 0.125, rel=1e-6)
    # the first belief against the prior N(0, I), not N(0, its own variance): KL(N(0, 2) || N(0, 1)) = (1 - ln 2) / 2
    first = borel.sequential_kl(torch.zeros(1, 1, 1), torch.full((1, 1, 1), math.log(2.0)))
    assert first.item() == pytest.approx(0.5 * (1 - math.log(2)), rel=1e-6)


def test_every_belief_decodes_every_step():
    """The VAE's ELBO equals `elbo_terms` on predictions of every (belief t, step k) pair, from the same noise."""
    tr = make_trainer()
    vae = tr.agent.encoder
    buf = MultiTaskBuffer({0: episodes_data([3, 2], 0)}, OBS, ACT, DEV)
    b = SequenceIndex(buf, 2, 2).batch(torch.tensor([[0]]))
    got = vae.elbo(b, 0.05, torch.Generator().manual_seed(3))
    a, r, s2 = b.actions[0], b.rewards[0], b.next_obs[0]
    mu, logvar = vae.encoder(a, r, s2)
    z = mu + (0.5 * logvar).exp() * torch.randn(mu.shape, generator=torch.Generator().manual_seed(3))
    pred = torch.stack([torch.stack([vae.reward_decoder(z[:, t], s2[:, k]) for k in range(5)], 1) for t in range(6)], 1)
    want = borel.elbo_terms(pred, r, b.mask[0], mu, logvar, 0.05)
    assert got.loss.item() == pytest.approx(want.loss.item(), rel=1e-5)


def test_each_decoder_reads_its_inputs_by_hand():
    """BOReL's reward decoder with (s, a) (its MuJoCo configs): the first layer reads [z, relu(E_s s'), relu(E_a a),
    relu(E_s s)] (one state embedding for s' and s), then [32, 32] ReLU -> r; the state decoder [z, relu(E_s s),
    relu(E_a a)] -> s'. By hand, with s and s' apart (a swap of them passed every test)."""
    g = torch.Generator().manual_seed(0)
    rd = borel.RewardDecoder(3, 2, 4, reads_sa=True, generator=g)
    sd = borel.StateDecoder(3, 2, 4, generator=g)
    z, s, a, s2 = (torch.randn(5, d, generator=g) for d in (4, 3, 2, 3))

    def mlp(layers, out, x):
        for layer in layers:
            x = F.relu(layer(x))
        return out(x)

    emb = lambda lin, x: F.relu(lin(x))  # noqa: E731
    want_r = mlp(
        rd.layers, rd.out, torch.cat([z, emb(rd.state_embed, s2), emb(rd.action_embed, a), emb(rd.state_embed, s)], -1)
    )
    want_s = mlp(sd.layers, sd.out, torch.cat([z, emb(sd.state_embed, s), emb(sd.action_embed, a)], -1))
    torch.testing.assert_close(rd(z, s2, s, a), want_r)
    torch.testing.assert_close(sd(z, s, a), want_s)
    # without (s, a) (the point-robot configs): the first layer reads [z, relu(E_s s')] and nothing more
    rd = borel.RewardDecoder(3, 2, 4, reads_sa=False, generator=g)
    torch.testing.assert_close(rd(z, s2), mlp(rd.layers, rd.out, torch.cat([z, emb(rd.state_embed, s2)], -1)))


def test_every_belief_decodes_every_step_from_s_and_a_and_predicts_s_prime():
    """As above with the MuJoCo decoders: the reward decoder reads (z_t, s'_k, s_k, a_k), the state decoder predicts
    s'_k from (z_t, s_k, a_k), its target s'_k."""
    import dataclasses

    settings = dataclasses.replace(make_trainer().settings.borel, decode_state=True, reward_reads_sa=True)
    vae = borel.BeliefVAE(OBS, ACT, settings, torch.Generator().manual_seed(0))
    buf = MultiTaskBuffer({0: episodes_data([3, 2], 0)}, OBS, ACT, DEV)
    b = SequenceIndex(buf, 2, 2).batch(torch.tensor([[0]]))
    got = vae.elbo(b, 0.05, torch.Generator().manual_seed(3))
    s, a, r, s2 = b.obs[0], b.actions[0], b.rewards[0], b.next_obs[0]
    mu, logvar = vae.encoder(a, r, s2)
    z = mu + (0.5 * logvar).exp() * torch.randn(mu.shape, generator=torch.Generator().manual_seed(3))
    steps = range(s.shape[1])
    pred = torch.stack(
        [torch.stack([vae.reward_decoder(z[:, t], s2[:, k], s[:, k], a[:, k]) for k in steps], 1) for t in range(6)], 1
    )
    state = torch.stack(
        [torch.stack([vae.state_decoder(z[:, t], s[:, k], a[:, k]) for k in steps], 1) for t in range(6)], 1
    )
    want = borel.elbo_terms(pred, r, b.mask[0], mu, logvar, 0.05, state, s2)
    assert want.state.item() > 0
    assert got.loss.item() == pytest.approx(want.loss.item(), rel=1e-5)
    assert got.state.item() == pytest.approx(want.state.item(), rel=1e-5)


def test_the_vaes_linear_layers_start_as_torchs_default_from_the_runs_generator():
    """Every linear layer of the belief VAE (embeddings, heads, decoders): weight and bias uniform in +-1/sqrt(n_in)
    (BOReL's, torch's default), drawn from the trainer's generator (the same seed: the same weights)."""
    layers = [m for m in make_trainer().agent.encoder.modules() if isinstance(m, torch.nn.Linear)]
    assert len(layers) >= 6
    for name in ("weight", "bias"):
        scaled = torch.cat([getattr(m, name).detach().flatten() * m.in_features**0.5 for m in layers])
        assert scaled.abs().max() <= 1 and scaled.min() < -0.9 and scaled.max() > 0.9, name
        assert abs(scaled.mean()) < 0.1, (name, scaled.mean())
    again = [m for m in make_trainer().agent.encoder.modules() if isinstance(m, torch.nn.Linear)]
    assert all(torch.equal(a.weight, b.weight) and torch.equal(a.bias, b.bias) for a, b in zip(layers, again))


def test_a_float64_vae_computes_its_elbo_under_the_float32_default():
    """The GRU's first hidden state takes the modules' dtype, not torch's default: a VAE cast to float64 (to check
    its gradients, say) gives the float32 ELBO to float32 rounding instead of a dtype error."""
    import dataclasses

    vae = make_trainer().agent.encoder
    buf = MultiTaskBuffer({0: episodes_data([3, 2], 0)}, OBS, ACT, DEV)
    b = SequenceIndex(buf, 2, 2).batch(torch.tensor([[0]]))
    want = vae.elbo(b, 0.05, torch.Generator().manual_seed(3)).loss
    got = vae.double().elbo(dataclasses.replace(b, rows=b.rows.double()), 0.05, torch.Generator().manual_seed(3)).loss
    assert got.dtype == torch.float64 and got.item() == pytest.approx(want.item(), rel=1e-6)


def test_elbo_subsample_draws_real_beliefs_with_weights_that_keep_the_sum():
    """Two sequences padded to T = 4 with 4 and 1 real steps, 3 beliefs drawn: the first sequence's are 3
    distinct of its 5, each weighted 5/3; the second has only 2 real beliefs, both drawn (weight 1), and one
    padding belief of weight 0. Over many draws each real belief of the first is drawn 3/5 of the time."""
    mask = torch.tensor([[True] * 4, [True, False, False, False]])
    g, counts = torch.Generator().manual_seed(0), torch.zeros(5)
    for _ in range(2000):
        index, weight = borel.elbo_subsample(mask, 3, g)
        assert index.shape == weight.shape == (2, 3) and len(set(index[0].tolist())) == 3
        assert torch.allclose(weight[0], torch.full((3,), 5 / 3))
        assert sorted(index[1, :2].tolist()) == [0, 1] and weight[1].tolist() == [1.0, 1.0, 0.0]
        assert 0 <= index.min() and index.max() <= 4  # (a padding belief too is one of the T + 1 there are)
        counts[index[0]] += 1
    assert torch.allclose(counts / 2000, torch.full((5,), 0.6), atol=0.04)


def test_subsampled_elbo_is_the_full_one_on_average_over_the_subsets():
    """elbo_inputs with 2 of the 3 beliefs decoded: sequence 0 has the 3 subsets {0, 1}, {0, 2}, {1, 2}, weighted
    3/2: (2.5 + 0.5) 1.5 = 4.5, (2.5 + 0) 1.5 = 3.75, (0.5 + 0) 1.5 = 0.75, mean 3 = its full reward term;
    sequence 1 decodes its two real beliefs (weight 1): 1. So the mean of the reward term over the subsets is the
    full one (2), and the KL term is the full one for every subset."""
    reward_pred, rewards, mask, mu, logvar = elbo_inputs()
    full = borel.elbo_terms(reward_pred, rewards, mask, mu, logvar, kl_weight=0.05)
    got = []
    for subset in ([0, 1], [0, 2], [1, 2]):
        pred = torch.stack([reward_pred[0, subset], reward_pred[1, [0, 1]]])
        weight = torch.tensor([[1.5, 1.5], [1.0, 1.0]])
        t = borel.elbo_terms(pred, rewards, mask, mu, logvar, kl_weight=0.05, belief_weight=weight)
        assert t.kl.item() == pytest.approx(full.kl.item())
        got.append(t.reward.item())
    assert got == pytest.approx([(4.5 + 1) / 2, (3.75 + 1) / 2, (0.75 + 1) / 2])
    assert sum(got) / 3 == pytest.approx(full.reward.item()) and full.reward.item() == pytest.approx(2.0)


def test_vae_decodes_only_the_drawn_beliefs_with_borel_elbo_terms():
    """With borel_elbo_terms M below T + 1 the VAE's ELBO is `elbo_terms` on the predictions of the beliefs
    `elbo_subsample` draws after the noise (same generator), weighted; at M >= T + 1 it is the full ELBO and draws
    nothing more."""
    buf = MultiTaskBuffer({0: episodes_data([3, 2], 0)}, OBS, ACT, DEV)
    b = SequenceIndex(buf, 2, 2).batch(torch.tensor([[0]]))  # one sequence of 5 steps: 6 beliefs
    a, r, s2 = b.actions[0], b.rewards[0], b.next_obs[0]
    full = make_trainer().agent.encoder.elbo(b, 0.05, torch.Generator().manual_seed(3))
    vae = make_trainer(borel_elbo_terms=6).agent.encoder
    assert vae.elbo(b, 0.05, torch.Generator().manual_seed(3)).loss.item() == pytest.approx(full.loss.item())
    vae = make_trainer(borel_elbo_terms=2).agent.encoder
    g = torch.Generator().manual_seed(3)
    got = vae.elbo(b, 0.05, g)
    g = torch.Generator().manual_seed(3)
    mu, logvar = vae.encoder(a, r, s2)
    z = mu + (0.5 * logvar).exp() * torch.randn(mu.shape, generator=g)
    index, weight = borel.elbo_subsample(b.mask[0], 2, g)
    assert weight.tolist() == [[3.0, 3.0]]
    pred = torch.stack([torch.stack([vae.reward_decoder(z[0, t], s2[0, k]) for k in range(5)]) for t in index[0]])
    want = borel.elbo_terms(pred[None], r, b.mask[0], mu, logvar, 0.05, belief_weight=weight)
    assert got.loss.item() == pytest.approx(want.loss.item(), rel=1e-5)
    assert got.loss.item() != pytest.approx(full.loss.item(), rel=1e-3)


# ---- the belief against the GRU by hand -----------------------------------------------------------------------


def gru_by_hand(enc: borel.BeliefEncoder, h, a, r, s2):
    x = torch.cat([torch.relu(enc.action_embed(a)), torch.relu(enc.state_embed(s2)), torch.relu(enc.reward_embed(r))])
    w_ir, w_iz, w_in = enc.gru.weight_ih_l0.chunk(3)
    w_hr, w_hz, w_hn = enc.gru.weight_hh_l0.chunk(3)
    b_ir, b_iz, b_in = enc.gru.bias_ih_l0.chunk(3)
    b_hr, b_hz, b_hn = enc.gru.bias_hh_l0.chunk(3)
    rr = torch.sigmoid(w_ir @ x + b_ir + w_hr @ h + b_hr)
    zz = torch.sigmoid(w_iz @ x + b_iz + w_hz @ h + b_hz)
    n = torch.tanh(w_in @ x + b_in + rr * (w_hn @ h + b_hn))
    return (1 - zz) * n + zz * h


def test_the_beliefs_gru_runs_in_full_float32_and_leaves_the_setting_as_it_was():
    """cuDNN would run the GRU's float32 in TF32 on Ampere and later GPUs by default: every GRU call of the
    belief (a sequence, or one step at meta-test) runs with cuDNN's RNN precision full float32 ("ieee"), and the
    setting is as it was after it, also where the call fails. (The setting is read on the CPU here; it acts on CUDA.)"""
    enc = make_trainer().agent.gru
    rnn = getattr(torch.backends.cudnn, "rnn", None)
    if rnn is not None and hasattr(rnn, "fp32_precision"):
        setting, full = (lambda: rnn.fp32_precision), "ieee"
    else:  # torch before 2.9: one flag for cuDNN's convolutions and RNNs
        setting, full = (lambda: torch.backends.cudnn.allow_tf32), False
    before, seen, real = setting(), [], enc.gru.forward

    def gru(*args, **kwargs):
        seen.append(setting())
        return real(*args, **kwargs)

    enc.gru.forward = gru
    g = torch.Generator().manual_seed(2)
    a, r, s2 = (
        torch.rand(1, 3, ACT, generator=g),
        torch.randn(1, 3, 1, generator=g),
        torch.randn(1, 3, OBS, generator=g),
    )
    enc(a, r, s2)
    enc.advance(enc.prior_state(1), a[:, 0], r[:, 0], s2[:, 0])
    assert seen == [full, full] and setting() == before
    with pytest.raises(RuntimeError):
        enc.hidden_states(a, r, s2, torch.zeros(1, 5))  # a hidden state of the wrong size: the GRU itself fails
    assert seen[-1] == full and setting() == before


@cuda_only
@torch.no_grad()
def test_the_beliefs_gru_on_cuda_computes_in_float32_not_tf32():
    """On CUDA the belief over 64 sequences of 200 steps is float64's to float32 rounding (1e-4 of its largest
    value): cuDNN's default TF32 for RNNs on Ampere and later GPUs (10 bits of mantissa) is off by about 1e-3."""
    import copy

    g = torch.Generator().manual_seed(0)
    enc = borel.BeliefEncoder(OBS, ACT, 5, g)
    exact = copy.deepcopy(enc).double()
    a, r, s2 = (torch.randn(64, 200, d, generator=g) for d in (ACT, 1, OBS))
    mu, logvar = enc.cuda()(a.cuda(), r.cuda(), s2.cuda())
    mu64, logvar64 = exact(a.double(), r.double(), s2.double())
    for x, y in ((mu, mu64), (logvar, logvar64)):
        assert float((x.cpu().double() - y).abs().max()) <= 1e-4 * float(y.abs().max())


@torch.no_grad()
def test_belief_after_k_steps_is_the_gru_run_by_hand():
    agent = make_trainer().agent
    enc = agent.gru
    for p in enc.gru.parameters():  # non-zero biases too
        p.add_(0.1 * torch.randn(p.shape, generator=torch.Generator().manual_seed(1)))
    g = torch.Generator().manual_seed(2)
    a, r, s2 = torch.rand(6, ACT, generator=g) * 2 - 1, torch.randn(6, 1, generator=g), torch.randn(6, OBS, generator=g)
    h, by_hand = torch.zeros(borel.GRU_HIDDEN), []
    for k in range(6):
        by_hand.append(torch.cat([enc.mu(h), enc.logvar(h)]))
        h = gru_by_hand(enc, h, a[k], r[k], s2[k])
    by_hand = torch.stack(by_hand + [torch.cat([enc.mu(h), enc.logvar(h)])])  # beliefs after 0..6 steps
    mu, logvar = enc(a[None], r[None], s2[None])
    torch.testing.assert_close(torch.cat([mu, logvar], -1)[0], by_hand, rtol=1e-5, atol=1e-5)
    rows = torch.cat([a, r, s2], -1)[None]
    for k in range(7):  # feeding k steps at once, or one by one
        hk = agent.feed(enc.prior_state(1), rows, torch.tensor([k]))
        torch.testing.assert_close(agent.belief(hk)[0], by_hand[k], rtol=1e-5, atol=1e-5)
    h1 = enc.prior_state(1)
    for k in range(6):
        h1 = enc.advance(h1, a[k : k + 1], r[k : k + 1], s2[k : k + 1])
    torch.testing.assert_close(agent.belief(h1)[0], by_hand[6], rtol=1e-5, atol=1e-5)
    # the relabelling: each row's hyper-state holds the belief before it and after it (one sequence of 6 rows)
    buf = MultiTaskBuffer(
        {0: Trajectories(s2.numpy(), a.numpy(), r[:, 0].numpy(), s2.numpy(), np.zeros(6), [4, 2])}, OBS, ACT, DEV
    )
    index = SequenceIndex(buf, 2, 2)
    before, after, final = borel.hyper_state_columns(enc, index)
    torch.testing.assert_close(before, by_hand[:6], rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(after, by_hand[1:], rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(final[0], by_hand[6, : enc.latent], rtol=1e-5, atol=1e-5)
    hyper = buf.with_obs_columns(before, after).sample(torch.tensor([0]), 4, torch.Generator().manual_seed(0))
    plain = buf.sample(torch.tensor([0]), 4, torch.Generator().manual_seed(0))
    torch.testing.assert_close(hyper.obs[..., :OBS], plain.obs)
    torch.testing.assert_close(hyper.next_obs[..., :OBS], plain.next_obs)
    torch.testing.assert_close(hyper.actions, plain.actions)
    torch.testing.assert_close(hyper.rewards, plain.rewards)


def test_the_learners_rows_join_a_sequences_episodes_into_one_bamdp_rollout():
    """Episodes (0, 1) and (2, 3) of 3 steps are two sequences: the last row of episodes 0 and 2 leads to the next
    episode's first hyper-state and is not terminal (BOReL's rollouts go on there); the sequences' last rows keep
    their own next state and terminal, and every other cell is the plain relabelling's."""
    buf = MultiTaskBuffer({0: episodes_data([3] * 4, 0.0)}, OBS, ACT, DEV)
    index = SequenceIndex(buf, episodes=2, block=4)
    g = torch.Generator().manual_seed(0)
    before, after = torch.randn(12, 4, generator=g), torch.randn(12, 4, generator=g)
    after[:-1] = before[1:]  # a sequence's beliefs run on: the belief after a row is the one before the next
    plain = buf.with_obs_columns(before, after)
    kept, kept_next = buf.transitions(), buf.next_row.clone()
    data = borel.hyper_state_buffer(buf, index, before, after).transitions()
    o, a = plain.obs_dim, plain.action_dim
    next_obs, terminal = slice(o + a + 1, 2 * o + a + 1), -1
    for row, follow in [(2, 3), (8, 9)]:
        torch.testing.assert_close(data[row, next_obs], plain.transitions()[follow, :o])
        assert data[row, terminal] == 0 and plain.transitions()[row, terminal] == 1
    same = torch.ones_like(data, dtype=torch.bool)
    same[[2, 8], next_obs], same[[2, 8], terminal] = False, False
    assert torch.equal(data[same], plain.transitions()[same]) and data[[5, 11], terminal].tolist() == [1.0, 1.0]
    assert torch.equal(buf.transitions(), kept) and torch.equal(buf.next_row, kept_next)  # left as it was


class SpyPolicy:
    """Wraps an agent's `policy_output`: records the belief each action was chosen with, and whether deterministic."""

    def __init__(self, agent):
        self.agent, self.seen, self.deterministic = agent, [], []
        inner = agent.policy_output

        def spy(obs, z, deterministic=False, generator=None):
            self.seen.append(z.clone())
            self.deterministic.append(deterministic)
            return inner(obs, z, deterministic, generator)

        agent.policy_output = spy


def replay(agent, rows_list):
    """The belief after feeding each transition block of `rows_list` in order, from the prior, one step at a time."""
    enc = agent.gru
    h = enc.prior_state(1)
    out = [agent.belief(h)[0]]
    for rows in rows_list:
        for x in rows:
            a, r, s2 = x[None, :ACT], x[None, ACT : ACT + 1], x[None, ACT + 1 :]
            h = enc.advance(h, a, r, s2)
            out.append(agent.belief(h)[0])
    return out


SETTING = EvalSetting(num_steps_per_eval=60, max_path_length=20, num_exp_traj_eval=1, use_next_obs_in_context=False)


def episode_rows(paths, i):
    n = paths.lengths[i]
    return torch.as_tensor(
        np.concatenate([paths.actions[i, :n], paths.rewards[i, :n, None], paths.next_obs[i, :n]], 1),
        dtype=torch.get_default_dtype(),
    )


def run_online(window: int):
    """The recurrent online protocol of a fresh agent on tasks 0 and 3 with `window` context episodes: the agent,
    its SpyPolicy (60 policy calls: 3 scored episodes of 20 steps) and the scored episodes' (a, r, s') rows."""
    agent = make_trainer().agent
    spy, scored = SpyPolicy(agent), []
    online_prior_context_recurrent(
        agent, envs_for([0, 3]), SETTING, window, DEV, on_paths=lambda kind, p: scored.append(p)
    )
    assert len(scored) == 3 and len(spy.seen) == 60
    return agent, spy, [episode_rows(p, 1) for p in scored]


@torch.no_grad()
def test_online_prior_protocol_updates_the_belief_every_step_and_carries_one_episode():
    agent, spy, ep = run_online(1)
    # episode 1 from the prior, updated after every step; episode e from episode e - 1 fed in order
    want = replay(agent, [ep[0]])[:20] + replay(agent, [ep[0], ep[1]])[20:40] + replay(agent, [ep[1], ep[2]])[20:40]
    for t, z in enumerate(spy.seen):
        torch.testing.assert_close(z[1], want[t], rtol=1e-6, atol=1e-6)
    assert not torch.allclose(spy.seen[0][1], spy.seen[1][1])  # it moved after the first step


def test_a_window_of_two_episodes_carries_the_last_two_in_order():
    """`borel_episodes` 3 (a window of 2 context episodes, BOReL's BAMDP of more rollouts): episode 3's belief reads
    episodes 1 and 2, oldest first, then its own steps; the tests above run a window of 1, where a window ignored, or
    fed newest first, looks the same."""
    agent, spy, ep = run_online(2)
    want = replay(agent, [ep[0]])[:20] + replay(agent, [ep[0], ep[1]])[20:40] + replay(agent, ep)[40:60]
    for t, z in enumerate(spy.seen):
        torch.testing.assert_close(z[1], want[t], rtol=1e-6, atol=1e-6)
    assert not torch.allclose(want[40], replay(agent, [ep[1], ep[2]])[20])  # (a window of 1 would read otherwise)
    # the scored episodes are near copies of each other (3e-5 apart), so the order shows on distinct episodes: three
    # added, the last two are fed, oldest first
    from rlkit.eval.recurrent import _Belief

    a, b, c = (torch.randn(5, ACT + 1 + OBS, generator=torch.Generator().manual_seed(k)) for k in range(3))
    belief = _Belief(agent, 1, 2, DEV)
    for rows in (a, b, c):
        belief.add(0, rows)
    with torch.no_grad():
        belief.start(np.array([0]))
        torch.testing.assert_close(belief.z[0], replay(agent, [b, c])[-1], rtol=1e-6, atol=1e-6)
        assert not torch.allclose(replay(agent, [b, c])[-1], replay(agent, [c, b])[-1], atol=1e-4)


@torch.no_grad()
def test_offline_protocol_feeds_an_ordered_offline_episode_then_updates_every_step():
    agent = make_trainer().agent
    spy = SpyPolicy(agent)
    scored, draws = run_offline(agent, [20] * 4)
    assert len(draws) == 3
    for e, b in enumerate(draws):  # the same draws: one offline episode of each job's task per episode
        offline = context_rows(b, 1)
        assert offline.shape[0] == 20 and (b.obs[1, :, 0] == 3).all()
        assert (b.obs[1, 1:, 1] - b.obs[1, :-1, 1] == 1).all()  # a whole episode, in order
        want = replay(agent, [offline, episode_rows(scored[e], 1)])[20:40]
        for t in range(20):
            torch.testing.assert_close(spy.seen[20 * e + t][1], want[t], rtol=1e-6, atol=1e-6)


def run_np(seed: int = 0, reward_fn=None):
    """The recurrent Np protocol of a fresh agent on tasks 0 and 3 (window 1, random actions of rng 0, policy samples
    of generator `seed`): the agent, its SpyPolicy and each batch of episodes as (kind, paths)."""
    agent = make_trainer().agent
    spy, kinds = SpyPolicy(agent), []
    nonprior_context_recurrent(
        agent,
        envs_for([0, 3]),
        SETTING,
        1,
        DEV,
        np.random.default_rng(0),
        torch.Generator().manual_seed(seed),
        reward_fn=reward_fn,
        on_paths=lambda kind, p: kinds.append((kind, p)),
    )
    return agent, spy, kinds


@torch.no_grad()
def test_np_protocol_feeds_its_random_episodes_in_order_then_acts_with_the_posterior():
    agent, spy, kinds = run_np()
    assert [k for k, _ in kinds] == ["context", "scored"] * 3
    ctx = [episode_rows(p, 1) for k, p in kinds if k == "context"]
    scored = [episode_rows(p, 1) for k, p in kinds if k == "scored"]
    sampled = [z for z, d in zip(spy.seen, spy.deterministic) if not d]
    acted = [z for z, d in zip(spy.seen, spy.deterministic) if d]
    # context episodes: uniform random while scored + t < N / 2 = 30 (episode 0 all, episode 1 its first 10 steps),
    # then the policy's samples with the belief: context episode e starts from context episode e - 1 (in order)
    assert len(sampled) == 10 + 20 and len(acted) == 60
    want = replay(agent, [ctx[0], ctx[1]])[30:40] + replay(agent, [ctx[1], ctx[2]])[20:40]
    for z, w in zip(sampled, want):
        torch.testing.assert_close(z[1], w, rtol=1e-6, atol=1e-6)
    # scored episode e acts with the posterior after context episode e, then after each of its own steps
    for e in range(3):
        want = replay(agent, [ctx[e], scored[e]])[20:40]
        for t in range(20):
            torch.testing.assert_close(acted[20 * e + t][1], want[t], rtol=1e-6, atol=1e-6)
    assert not torch.allclose(acted[0][1], replay(agent, [])[0])  # not the prior: the context was read


# ---- which parameters each stage moves ------------------------------------------------------------------------


def hyper_inputs(tr, T=3, B=5, seed=0, **overrides):
    g = torch.Generator().manual_seed(seed)
    L2 = tr.agent.latent_dim
    batch = sample_step(
        MultiTaskBuffer({t: episodes_data([4] * 5, t, seed=t) for t in range(T)}, OBS, ACT, DEV).with_obs_columns(
            torch.randn(T * 20, L2, generator=g), torch.randn(T * 20, L2, generator=g)
        ),
        torch.arange(T),
        borel_cfg(meta_batch=T, batch_size=B, n_train_tasks=T, n_eval_tasks=1, **overrides).algo_params,
        g,
        with_context=False,
    )
    return batch


def test_the_vae_trains_only_on_its_loss_and_the_learner_never_trains_it():
    tr = make_trainer(borel_decode_state=True)
    vae = tr.agent.encoder
    buf = MultiTaskBuffer({t: episodes_data([4] * 6, t, seed=t) for t in range(3)}, OBS, ACT, DEV)
    index = SequenceIndex(buf, 2, 6)
    before = {k: snapshot(m) for k, m in tr.modules().items()}
    parts = {n: snapshot(m) for n, m in vae.named_children()}
    policy = snapshot(tr.agent.policy)
    terms = tr.vae_step(index.sample(torch.arange(3), 4, torch.Generator().manual_seed(0)))
    assert_detached(terms)
    assert terms.reward > 0 and terms.state > 0 and terms.kl > 0 and int(vae.steps) == 1
    assert {k for k, m in tr.modules().items() if changed(m, before[k])} == {"agent"}
    assert all(changed(m, parts[n]) for n, m in vae.named_children())  # encoder and both decoders
    assert not changed(tr.agent.policy, policy)
    # the learner's step: Q, V, the policy; the VAE gets no gradient at all
    vae_params = snapshot(vae)
    for p in vae.parameters():
        p.grad = None
    s = hyper_inputs(tr)
    before = {k: snapshot(m) for k, m in tr.modules().items()}
    rec = tr.train_step(s.tasks, s.context, s.batch, s.extra)
    assert {k for k, m in tr.modules().items() if changed(m, before[k])} == {"agent", "qf", "vf", "target_vf"}
    assert not changed(vae, vae_params) and all(p.grad is None for p in vae.parameters())
    assert changed(tr.agent.policy, policy) and rec.qf_loss > 0 and rec.z_loss == 0
    assert int(vae.steps) == 1


def test_the_learner_reads_each_rows_belief_and_the_next_rows_belief():
    """Q, V, pi and c read (s, mu_t, logvar_t); the target V reads (s', mu_t+1, logvar_t+1)."""
    tr = make_trainer(use_brac=True)
    s = hyper_inputs(tr)
    seen = {}
    tr.target_vf.register_forward_hook(lambda m, i, o: seen.__setitem__("target", i[0].clone()))
    tr.vf.register_forward_hook(lambda m, i, o: seen.__setitem__("vf", i[0].clone()))
    tr.train_step(s.tasks, s.context, s.batch, s.extra)
    torch.testing.assert_close(seen["target"], s.batch.next_obs.reshape(-1, OBS + tr.agent.latent_dim))
    torch.testing.assert_close(seen["vf"], s.batch.obs.reshape(-1, OBS + tr.agent.latent_dim))


def test_optimizers_step_every_module_parameter_once():
    tr = make_trainer(use_brac=True, borel_decode_state=True)
    stepped = [p for opt in tr.optimizers().values() for group in opt.param_groups for p in group["params"]]
    trainable = [p for name, m in tr.modules().items() if name != "target_vf" for p in m.parameters()]
    assert len(stepped) == len({id(p) for p in stepped}) == len(trainable)
    assert "club_net" not in tr.modules() and "club" not in tr.optimizers()


def test_belief_spread_by_hand():
    final = torch.tensor([[0.0], [2.0], [10.0], [14.0]])  # task 0: 0, 2 (mean 1); task 1: 10, 14 (mean 12)
    across, ratio = belief_spread(final, torch.tensor([0, 0, 1, 1]))
    within = math.sqrt(((0 - 2) ** 2 + (10 - 14) ** 2) / 2) / 2
    assert across.item() == pytest.approx(5.5) and ratio.item() == pytest.approx(5.5 / within)
    # four sequences a task: halves of two, each half's mean (task 0: 1 and 7; task 1: 11 and 17), within = 6 / 2
    final = torch.tensor([[0.0], [2.0], [4.0], [10.0], [10.0], [12.0], [14.0], [20.0]])  # means 4 and 14
    across, ratio = belief_spread(final, torch.tensor([0, 0, 0, 0, 1, 1, 1, 1]))
    assert across.item() == pytest.approx(5.0) and ratio.item() == pytest.approx(5.0 / 3.0)
    # one sequence a task: the spread across tasks (std, not variance), and no within-task estimate
    across, ratio = belief_spread(torch.tensor([[0.0], [4.0]]), torch.tensor([0, 1]))
    assert across.item() == pytest.approx(2.0) and math.isnan(ratio.item())
    # a belief blind to its task (the same after every sequence): the guard's warning fires
    same = belief_spread(torch.ones(4, 2), torch.tensor([0, 0, 1, 1]))
    assert collapse_warning(dict(zip(SPREAD_COLUMNS, (float(same[0]), float(same[1])))))


# ---- the keys it reads ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key, value",
    [("embedding_batch_size", 64), ("use_next_obs_in_context", True), ("num_exp_traj_eval", 2), ("latent_size", 8)],
)
def test_mean_pooled_keys_are_refused_under_borel_unless_at_their_value(key, value):
    name = key if key == "latent_size" else f"algo_params.{key}"
    with pytest.raises(UserError, match=rf"^{name} .*: algo_type 'BOREL' does not use it \(expected its default "):
        borel_cfg(**{key: value})
    # the config file's value is not an override: the demo's embedding_batch_size 128 loads under BOREL
    cfg = load_config(ROOT / "configs" / "demo" / "point-robot.json", {"algo_type": "BOREL"})
    assert cfg.algo_params.embedding_batch_size == 128 and cfg.latent_size == 20


@pytest.mark.parametrize(
    "algo, key, value",
    [
        ("BOREL", "club_loss_weight", "50"),
        ("BOREL", "use_hvar", "true"),
        ("CSRO", "borel_kl_weight", "0.1"),
        ("CSRO", "borel_elbo_terms", "32"),
    ],
)
def test_other_methods_keys_are_refused(algo, key, value):
    with pytest.raises(UserError, match=rf"^algo_params\.{key} .*: algo_type '{algo}' does not use it"):
        load_config(None, parse_override_args(["--algo_type", algo, f"--{key}", value]))


@pytest.mark.parametrize(
    "config, decode_state, reads_sa",
    [
        ("point-robot.json", False, False),
        ("point-robot-wind.json", True, False),
        ("cheetah-vel.json", False, True),
        ("walker_rand_params.json", True, True),
    ],
)
def test_decoders_by_family(config, decode_state, reads_sa):
    s = borel.BorelSettings.from_config(load_config(ROOT / "configs" / config, {"algo_type": "BOREL"}))
    assert (s.decode_state, s.reward_reads_sa, s.latent, s.kl_weight, s.episodes) == (
        decode_state,
        reads_sa,
        5,
        0.05,
        2,
    )
    assert borel.BorelSettings.from_config(load_config(ROOT / "configs" / config, {})) is None


@pytest.mark.parametrize(
    "config, overrides, tasks",
    [
        ("point-robot.json", {}, 8),  # BOReL's args_point_robot_sparse.py
        ("sparse-point-robot.json", {}, 8),
        ("point-robot-wind.json", {}, 8),
        ("cheetah-vel.json", {}, 4),  # its args_cheetah_vel.py
        ("ant-goal.json", {}, 4),  # and args_ant_semicircle_sparse.py
        ("walker_rand_params.json", {}, 4),
        ("cheetah-vel.json", {"borel_vae_tasks": 8}, 8),  # a value given wins, the key's default included
        ("point-robot.json", {"borel_vae_tasks": 3}, 3),
    ],
)
def test_tasks_per_vae_step_are_borels_for_the_family_unless_given(config, overrides, tasks):
    """BOReL draws 8 tasks per VAE step on its point-robot config and 4 on its cheetah and ant ones; variant.json
    records the value used (it was 8 on every family)."""
    cfg = load_config(ROOT / "configs" / config, {"algo_type": "BOREL", "algo_params": overrides})
    assert cfg.algo_params.borel_vae_tasks == tasks
    assert borel.BorelSettings.from_config(cfg).vae_tasks == tasks
    assert load_config(ROOT / "configs" / config, {}).algo_params.borel_vae_tasks == 8  # other methods: untouched


def test_a_run_folder_of_the_old_default_resumes_where_it_drew_every_task_either_way():
    """Before 2026-12-04 BOREL's variant recorded 8 tasks per VAE step on every family: where the run has no more
    than 4 training tasks (the tiny profile's 1) it drew them all, as now, and resumes; with more it drew 8, a real
    difference."""
    from rlkit.run_folder import config_differences

    for n_train, same in ((1, True), (4, True), (30, False)):
        tree = {"algo_type": "BOREL", "n_train_tasks": n_train, "algo_params": {"mb_replace": True}}
        cfg = load_config(ROOT / "configs" / "cheetah-vel.json", tree)
        old = json.loads(json.dumps(cfg.to_dict()))
        old["algo_params"]["borel_vae_tasks"] = 8
        diffs = config_differences(old, cfg.to_dict())
        assert diffs == ([] if same else ["algo_params.borel_vae_tasks: 8 -> 4"]), n_train


def test_differences_are_shown_as_the_variants_hold_them_algo_type_first():
    """Compared as normalised (BOREL's tasks per VAE step at most its training tasks), shown as recorded: a report
    grouping a CSRO run with a BOREL one said 'borel_vae_tasks: 8 -> 1' for a variant holding 4, and put algo_type
    after the keys it sorted before it."""
    from rlkit.run_folder import config_differences

    tree = {"n_train_tasks": 1, "algo_params": {"mb_replace": True}}
    csro = load_config(ROOT / "configs" / "cheetah-vel.json", tree).to_dict()
    ours = load_config(ROOT / "configs" / "cheetah-vel.json", {**tree, "algo_type": "BOREL"}).to_dict()
    diffs = config_differences(csro, ours)
    assert diffs[0] == 'algo_type: "CSRO" -> "BOREL"' and "algo_params.borel_vae_tasks: 8 -> 4" in diffs
    # the same recorded value that reads otherwise (at most the training tasks) says how it reads
    two = load_config(ROOT / "configs" / "cheetah-vel.json", {**tree, "algo_type": "BOREL", "n_train_tasks": 2})
    assert "algo_params.borel_vae_tasks: 4 -> 4 (read as 1 -> 2)" in config_differences(ours, two.to_dict())


@pytest.mark.parametrize(
    "config, algo, key, resolved",
    [
        ("walker_rand_params.json", "BOREL", "borel_decode_state", True),
        ("cheetah-vel.json", "BOREL", "borel_decode_state", False),
        ("hopper_rand_params.json", "CORRO", "corro_negatives", "generative"),
        ("point-robot.json", "CORRO", "corro_negatives", "reward"),
    ],
)
def test_what_the_family_decides_is_recorded_as_it_runs(config, algo, key, resolved):
    """variant.json recorded CORRO's negatives 'auto' and BOREL's state decoder null: what ran was in the code
    only. A run folder that recorded them so still compares equal."""
    from rlkit.run_folder import config_differences

    cfg = load_config(ROOT / "configs" / config, {"algo_type": algo})
    assert getattr(cfg.algo_params, key) == resolved
    old = json.loads(json.dumps(cfg.to_dict()))
    old["algo_params"][key] = "auto" if key == "corro_negatives" else None
    assert config_differences(old, cfg.to_dict()) == []
    assert load_config(ROOT / "configs" / config, {}).to_dict()["algo_params"][key] in ("auto", None)  # other methods


def test_the_point_robot_families_are_the_registrys():
    from rlkit.config import POINT_FAMILIES
    from rlkit.envs.point_robot import PointEnv
    from rlkit.tasks import ENVS, env_class

    point = {name for name in ENVS if issubclass(env_class(name), PointEnv)}
    assert set(POINT_FAMILIES) == point, f"rlkit.config.POINT_FAMILIES: expected {sorted(point)}"


# ---- both stages, end to end ----------------------------------------------------------------------------------


def _tiny(tmp_path, name, **algo_params):
    return load_config(
        TINY_CONFIG,
        {
            "algo_type": "BOREL",
            "algo_params": {"borel_vae_steps": 15, **algo_params},
            "util_params": {"exp_name": name, "base_log_dir": str(tmp_path)},
        },
    )


@pytest.mark.slow
def test_tiny_run_of_both_stages_and_resume_in_the_vae_stage(tiny_data, tmp_path, monkeypatch):
    monkeypatch.chdir(tiny_data.parent.parent)
    MetaTrainer(prepare(_tiny(tmp_path, "whole"), 0, DEV), show_progress=False).run()
    run = tmp_path / "point-robot" / "whole" / "seed0"
    df = pd.read_csv(run / "progress.csv")
    assert len(df) == 2 and np.isfinite(df.to_numpy()).all()
    assert list(df.columns[-len(VAE_COLUMNS) :]) == list(VAE_COLUMNS.values())
    assert (df["VAE Steps"] == 15).all() and (df["VAE Loss"] > 0).all() and (df["QF Loss"] > 0).all()
    assert "vae 10/15" in (run / "debug.log").read_text() and "relabelled 480 rows" in (run / "debug.log").read_text()
    v = {k: df[c].iloc[-1] for k, c in VAE_COLUMNS.items()}  # the last block's means, as debug.log gives them
    last = f"vae 15/15: loss {v['loss']:.4g} (reward {v['reward']:.4g}, state {v['state']:.4g}, kl {v['kl']:.4g}) in "
    assert last in (run / "debug.log").read_text() and len({v["loss"], v["reward"], v["kl"]}) == 3
    snap = torch.load(run / "snapshots" / "itr_1.pt", weights_only=True)
    assert int(snap["trainer"]["modules"]["agent"]["encoder.steps"]) == 15  # the VAE is in the snapshots

    # stopped after the VAE stage's first block of 10 steps, then resumed: the same VAE as without the stop
    trainer = MetaTrainer(prepare(_tiny(tmp_path, "stopped"), 0, DEV), show_progress=False)
    calls = {"n": 0}
    step = trainer.trainer.vae_step

    def stop_at_eleven(batch):
        calls["n"] += 1
        if calls["n"] == 11:
            raise KeyboardInterrupt
        return step(batch)

    trainer.trainer.vae_step = stop_at_eleven
    with pytest.raises(KeyboardInterrupt):
        trainer.run()
    stopped = tmp_path / "point-robot" / "stopped" / "seed0"
    state = torch.load(stopped / "latest.pt", weights_only=True)
    assert state["counters"]["iteration"] == 0 and int(state["trainer"]["modules"]["agent"]["encoder.steps"]) == 10
    MetaTrainer(prepare(_tiny(tmp_path, "stopped"), 0, DEV), show_progress=False).run()
    a = torch.load(run / "latest.pt", weights_only=True)["trainer"]["modules"]["agent"]
    b = torch.load(stopped / "latest.pt", weights_only=True)["trainer"]["modules"]["agent"]
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=0, atol=0)
    pd.testing.assert_frame_equal(
        df.drop(columns=[c for c in df.columns if "Time" in c]),
        (d := pd.read_csv(stopped / "progress.csv")).drop(columns=[c for c in d.columns if "Time" in c]),
    )


@pytest.mark.parametrize("brac", [False, True])
def test_the_learners_step_is_capture_safe(brac):
    """BOREL's step on hyper-states reads nothing on the host (as every other method's, tests/test_graphs.py)."""
    from rlkit.torch import graphs

    tr = make_trainer(use_brac=brac)
    s = hyper_inputs(tr)
    tr.train_step(s.tasks, s.context, s.batch, s.extra)
    s = hyper_inputs(tr, seed=1)
    with graphs.no_host_reads(graphs.host_step_counters(tr.optimizers().values())):
        assert_detached(tr.train_step(s.tasks, s.context, s.batch, s.extra))


def test_one_episode_sequences_are_refused_in_one_line():
    """With borel_episodes 1 the offline and Np meta-tests would feed the belief no context episode (a window of
    0): every protocol would be the online one from the prior."""
    with pytest.raises(UserError, match=r"^algo_params.borel_episodes 1: expected >= 2 \(BOREL's offline and Np"):
        borel_cfg(borel_episodes=1)
    assert borel_cfg(borel_episodes=3).algo_params.borel_episodes == 3


def test_an_evaluator_without_offline_data_keeps_the_beliefs_window():
    from rlkit.eval import Evaluator

    cfg = borel_cfg(borel_episodes=3, n_train_tasks=2, n_eval_tasks=2, meta_batch=2)
    evaluator = Evaluator(cfg, [2, 3], None, None, seed=5, device=torch.device("cpu"))
    assert evaluator.belief.window == 2 and evaluator.belief.episodes is None


def test_the_learners_logged_belief_is_each_tasks_mean_of_its_rows_mu():
    """BOREL's `Z mean train` is each task's mean over its rows of the belief mean mu (the hyper-state's first L
    columns after s, not logvar), its `Z variance train` the std over the first task's rows (the rows' mu, mean
    over dims)."""
    from rlkit.torch.csro.trainer import rows_std

    tr = make_trainer()
    L, T, B = tr.settings.borel.latent, 3, 4
    g = torch.Generator().manual_seed(0)
    obs, next_obs = (torch.randn(T, B, OBS + 2 * L, generator=g) for _ in range(2))
    batch = RLBatch(
        obs,
        torch.rand(T, B, ACT, generator=g) * 2 - 1,
        torch.randn(T, B, 1, generator=g),
        next_obs,
        torch.zeros(T, B, 1),
    )
    rec = tr.train_step(torch.arange(T), torch.zeros(T, 1, 1), batch)
    mu = obs[..., OBS : OBS + L]
    torch.testing.assert_close(rec.z_mean, mu.mean(dim=1))
    torch.testing.assert_close(rec.z_std, rows_std(mu[0]))


# ---- BRAC under BOREL (a mutation audit of the non-default switches: no step test had BOREL's extra batches) -------
def test_borel_brac_keeps_alpha_at_its_init_without_train_alpha():
    tr = make_trainer(use_brac=True, train_alpha=False, alpha_init=2.5)
    s = hyper_inputs(tr, use_brac=True)
    tr.train_step(s.tasks, s.context, s.batch, s.extra)
    assert tr.alpha_var.item() == 2.5


def test_borel_extra_dual_critic_steps_read_the_extra_batches_rows_and_beliefs():
    """c_iter 3: the dual critic's 2nd and 3rd steps read each extra batch's own s, hyper-state belief and data
    actions (not the main batch's), as CSRO's read each extra batch's rows."""
    tr = make_trainer(use_brac=True)
    s = hyper_inputs(tr, use_brac=True)
    assert len(s.extra) == 2
    seen = []
    tr.dual_critic.register_forward_hook(lambda module, inputs, out: seen.append(inputs[0].detach().clone()))
    tr.train_step(s.tasks, s.context, s.batch, s.extra)
    for call, extra in enumerate(s.extra, start=1):  # calls: c's step on the batch, one per extra batch, then D_hat
        rows = extra.obs.reshape(-1, extra.obs.shape[-1])  # s then the belief columns
        n = rows.shape[0]
        torch.testing.assert_close(seen[call][:n, :OBS], rows[:, :OBS], rtol=0, atol=0)
        torch.testing.assert_close(seen[call][:n, OBS + ACT :], rows[:, OBS:], rtol=0, atol=0)
        torch.testing.assert_close(
            seen[call][n : 2 * n, OBS : OBS + ACT], extra.actions.reshape(n, ACT), rtol=0, atol=0
        )


def test_borels_critic_learns_the_dense_reward_not_the_context_reward():
    """Under sparse_rewards a batch's context_rewards differ from its rewards: BOREL's learner reads the rewards
    alone (its beliefs come from the VAE), so the step is the same with context_rewards 100 above them."""
    records = []
    for shift in (None, 100.0):
        tr = make_trainer(use_brac=True)
        s = hyper_inputs(tr, use_brac=True)
        b = s.batch
        batch = RLBatch(
            b.obs, b.actions, b.rewards, b.next_obs, b.terminals, None if shift is None else b.rewards + shift
        )
        records.append(tr.train_step(s.tasks, s.context, batch, s.extra))
    assert torch.equal(records[0].qf_loss, records[1].qf_loss)
    assert torch.equal(records[0].policy_loss, records[1].policy_loss)


SPARSIFY = make_env("sparse-point-robot", n_tasks=8, goal_radius=0.2).sparsify_rewards


def sparse_rows(rows: torch.Tensor) -> torch.Tensor:
    """(a, r, s') rows with r replaced by the sparse reward (0 outside the goal's radius, r + 1 inside)."""
    out = rows.clone()
    out[:, ACT] = torch.as_tensor(SPARSIFY(rows[:, ACT].numpy()), dtype=rows.dtype)
    return out


@torch.no_grad()
def test_online_belief_reads_the_sparse_reward_in_its_steps_and_its_context():
    """On a sparse run the belief must read the reward the VAE was trained on, the sparse one (docs/algorithm.md,
    BOREL's ELBO uses the context rewards, sparse with `sparse_rewards`), both at each step of an episode (not the dense
    r_t fed to the GRU's step) and from the previous episode carried as context (not with its dense rewards kept). A
    belief fed dense rewards is off-distribution, so the sparse BOReL numbers would be wrong. By hand: episode e acts
    from the prior fed sparse(episode e - 1), then each of its own sparse steps."""
    agent = make_trainer().agent
    spy = SpyPolicy(agent)
    scored = []
    online_prior_context_recurrent(
        agent, envs_for([0, 3]), SETTING, 1, DEV, reward_fn=SPARSIFY, on_paths=lambda kind, p: scored.append(p)
    )
    assert len(scored) == 3 and len(spy.seen) == 60
    dense = [episode_rows(p, 1) for p in scored]
    ep = [sparse_rows(rows) for rows in dense]
    assert not torch.equal(ep[0], dense[0])  # the untrained policy stays outside the radius: 0 instead of -dist
    want = replay(agent, [ep[0]])[:20] + replay(agent, [ep[0], ep[1]])[20:40] + replay(agent, [ep[1], ep[2]])[20:40]
    for t, z in enumerate(spy.seen):
        torch.testing.assert_close(z[1], want[t], rtol=1e-6, atol=1e-6)


@torch.no_grad()
def test_nps_belief_reads_the_sparse_reward_and_its_samples_come_from_its_stream():
    """Np's belief reads the run's reward map as the online one does: on a sparse run its posterior samples in a
    context episode act with the belief of the sparsified context episodes before (by hand, as in the dense Np test
    above); and those samples are drawn from the protocol's generator (`eval_np_policy`), so the same stream draws
    the same context episodes again and another stream others (torch's global generator would give neither)."""

    agent, spy, kinds = run_np(0, SPARSIFY)
    dense = [episode_rows(p, 1) for k, p in kinds if k == "context"]
    ctx = [sparse_rows(rows) for rows in dense]
    assert not torch.equal(ctx[0], dense[0])
    sampled = [z for z, d in zip(spy.seen, spy.deterministic) if not d]
    want = replay(agent, [ctx[0], ctx[1]])[30:40] + replay(agent, [ctx[1], ctx[2]])[20:40]
    for z, w in zip(sampled, want, strict=True):
        torch.testing.assert_close(z[1], w, rtol=1e-6, atol=1e-6)

    def context_actions(kinds):
        return torch.cat([torch.as_tensor(p.actions) for k, p in kinds if k == "context"])

    first, again, other = (context_actions(run_np(seed)[2]) for seed in (0, 0, 1))
    assert torch.equal(first, again) and not torch.equal(first, other)


def run_offline(agent, lengths: list[int], reward_fn=None):
    """The offline protocol on tasks 0 and 3 whose data are episodes of `lengths`; returns the scored paths and, per
    scored episode, the offline context episodes it drew (a SequenceBatch of the two jobs, drawn again here with the
    protocol's generator seed)."""
    buf = MultiTaskBuffer({t: episodes_data(lengths, t, seed=t) for t in (0, 3)}, OBS, ACT, DEV)
    episodes = SequenceIndex(buf, 1, len(lengths))
    scored = []
    offline_context_recurrent(
        agent,
        envs_for([0, 3]),
        [0, 3],
        episodes,
        SETTING,
        1,
        DEV,
        torch.Generator().manual_seed(5),
        reward_fn=reward_fn,
        on_paths=lambda kind, p: scored.append(p),
    )
    g = torch.Generator().manual_seed(5)
    draws = [episodes.batch(episodes.sample_ids(torch.tensor([0, 3]), 1, g)[:, 0]) for _ in scored]
    return scored, draws


def context_rows(b, job: int) -> torch.Tensor:
    """Job `job`'s drawn offline episode as the belief reads it: its n real (a, r, s') rows, in order."""
    n = int(b.mask[job].sum())
    return torch.cat([b.actions, b.rewards, b.next_obs], -1)[job, :n]


@torch.no_grad()
def test_a_short_offline_episode_is_fed_without_its_padding():
    """An offline context episode shorter than the longest sequence (MuJoCo episodes that end early) must be fed to the
    GRU as its n real rows, not as the whole padded row block (the last row repeated up to the longest episode), with
    which the belief read transitions that never happened. By hand: with episodes of 20, 7, 13 and 20 steps, scored step
    t acts with the belief after the drawn episode's n rows and t scored steps."""
    agent = make_trainer().agent
    spy = SpyPolicy(agent)
    scored, draws = run_offline(agent, [20, 7, 13, 20])
    contexts = [context_rows(b, 1) for b in draws]
    assert any(len(c) < 20 for c in contexts)  # the draws include a short episode
    for e, ctx in enumerate(contexts):
        n = len(ctx)
        want = replay(agent, [ctx, episode_rows(scored[e], 1)])[n : n + 20]
        for t in range(20):
            torch.testing.assert_close(spy.seen[20 * e + t][1], want[t], rtol=1e-6, atol=1e-6)


@torch.no_grad()
def test_offline_scored_steps_read_the_sparse_reward_and_the_context_as_stored():
    """In the offline protocol the context episode is read as the buffer holds it (its rewards are already the run's
    context rewards) and the scored episode's own steps must read the sparse reward on a sparse run, as in the online
    protocols; an offline belief built without the reward map fed its scored steps' dense reward to the GRU, and BOReL's
    offline-context returns came from an off-distribution belief."""
    agent = make_trainer().agent
    spy = SpyPolicy(agent)
    scored, draws = run_offline(agent, [20] * 4, reward_fn=SPARSIFY)
    contexts = [context_rows(b, 1) for b in draws]
    assert len(contexts) == 3 and len(scored) >= 3  # (the loop below checks something)
    for e, ctx in enumerate(contexts):
        own = sparse_rows(episode_rows(scored[e], 1))
        assert not torch.equal(own, episode_rows(scored[e], 1))
        want = replay(agent, [ctx, own])[20:40]
        for t in range(20):
            torch.testing.assert_close(spy.seen[20 * e + t][1], want[t], rtol=1e-6, atol=1e-6)


@torch.no_grad()
def test_a_recurrent_protocols_z_is_the_last_belief_mean_and_z_std_its_std():
    """A recurrent protocol's result (logged as `Z mean eval` / `Z variance eval`) is each job's last belief: z its mean
    mu, z_std the mean over dims of its standard deviation exp(logvar / 2) (module docstring of
    rlkit/eval/recurrent.py), not exp(logvar), the variance, and not with mu and logvar swapped. By hand: the last
    belief of job j is the prior fed its second scored episode, then its third's 20 steps."""
    agent = make_trainer().agent
    agent.gru.logvar.bias.add_(1.0)  # logvar near 1, not 0: the std exp(1/2) and the variance exp(1) far apart
    scored = []
    result = online_prior_context_recurrent(
        agent, envs_for([0, 3]), SETTING, 1, DEV, on_paths=lambda kind, p: scored.append(p)
    )
    L = agent.latent_dim // 2
    for j in range(2):
        last = replay(agent, [episode_rows(scored[1], j), episode_rows(scored[2], j)])[-1]
        mu, logvar = last[:L], last[L:]
        np.testing.assert_allclose(result.z[j], mu.numpy(), rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(result.z_std[j], float(torch.exp(0.5 * logvar).mean()), rtol=1e-4, atol=1e-6)


def test_a_shorter_sequences_last_row_keeps_its_own_next_state_and_its_terminal():
    """The join of a sequence's episodes must stop at the sequence's last real row, also in a sequence shorter than the
    longest one, whose padding repeats that last row: not one step further (`inside = ... <= index.lengths`) and not
    without `inside` (`join = ends[cur]`). Otherwise the last row of every short sequence (an odd checkpoint's last
    episode, or any pair of short episodes) is joined to its own padding copy: it loses its terminal and its next
    hyper-state becomes its own state, a self-loop the critic bootstraps from, so BOREL's values are wrong.

    Task 0: one checkpoint (block 3) of episodes of 3, 3 and 2 steps, episodes 2: sequences rows 0..5 (episodes 0
    and 1) and rows 6..7 (episode 2 alone, padded to 6). By the docs: the last row of episode 0 (row 2) is not
    terminal and leads to row 3's hyper-state; rows 5 and 7 end their sequences, terminal, each with its own next
    state (s'_k, belief after k)."""
    data = episodes_data([3, 3, 2], 0.0)
    buf = MultiTaskBuffer({0: data}, OBS, ACT, DEV)
    index = SequenceIndex(buf, episodes=2, block=3)
    assert index.lengths.tolist() == [6, 2] and index.max_length == 6
    g = torch.Generator().manual_seed(0)
    before, after = torch.randn(8, 4, generator=g), torch.randn(8, 4, generator=g)
    after[:-1] = before[1:]  # within the data the belief after a row is the one before the next
    rows = borel.hyper_state_buffer(buf, index, before, after).transitions()
    o = OBS + 4
    next_obs, terminal = slice(o + ACT + 1, 2 * o + ACT + 1), -1
    assert rows[:, terminal].tolist() == [0, 0, 0, 0, 0, 1, 0, 1]
    # row 2 -> row 3's (s, belief before 3); rows 5 and 7 -> their own (s', belief after)
    torch.testing.assert_close(rows[2, next_obs], torch.cat([torch.as_tensor(data.obs[3]), before[3]]))
    for k in (5, 7):
        torch.testing.assert_close(rows[k, next_obs], torch.cat([torch.as_tensor(data.next_obs[k]), after[k]]))


def test_subsampled_beliefs_weight_the_state_term_as_the_reward_term():
    """The state term is weighted by `decoded`, the drawn beliefs' weights, not multiplied by `latent`, every real
    belief: with `borel_elbo_terms` M below T + 1 and the state decoder (hopper, walker, point-robot-wind), the state
    reconstruction must be sum_j w_j mean_k |s_hat_jk - s'_k|^2 over the M drawn beliefs, as the reward term (docs: "M
    draws ... weights each (n + 1) / M"); else the state term is not the unbiased estimate the docs promise (the slip
    fails to broadcast, or drops the weights at M = 1).

    elbo_inputs, M = 2. Sequence 0 (2 steps, s' = 1, 1) draws beliefs {0, 2}, weight 3/2 each; their state
    predictions (0, 0) and (3, 1): errors mean(1, 1) = 1 and mean(4, 0) = 2 -> 1.5 (1 + 2) = 4.5. Sequence 1 (one
    step, s' = 2) draws its two beliefs, weight 1: predictions 0 and 1 at its real step (its padding step predicts
    50, never counted) -> 4 + 1 = 5. Mean over the sequences 4.75. Reward term (the existing subset test): sequence
    0 subset {0, 2}: 1.5 (2.5 + 0) = 3.75, sequence 1: 1 -> 2.375."""
    reward_pred, rewards, mask, mu, logvar = elbo_inputs()
    pred = torch.stack([reward_pred[0, [0, 2]], reward_pred[1, [0, 1]]])
    weight = torch.tensor([[1.5, 1.5], [1.0, 1.0]])
    state_pred = torch.tensor([[[0.0, 0.0], [3.0, 1.0]], [[0.0, 50.0], [1.0, 50.0]]])[..., None]  # [N, M, T, 1]
    next_obs = torch.tensor([[1.0, 1.0], [2.0, -9.0]])[..., None]
    t = borel.elbo_terms(pred, rewards, mask, mu, logvar, 0.05, state_pred, next_obs, belief_weight=weight)
    kl = ((1 - 0.5 * math.log(2)) + 4) / 2  # test_elbo_by_hand's: over every belief
    assert t.state.item() == pytest.approx(4.75)
    assert t.reward.item() == pytest.approx(2.375)
    assert t.loss.item() == pytest.approx(2.375 + 4.75 + 0.05 * kl, rel=1e-6)


def test_the_vae_reads_the_context_reward_of_its_sequences_the_sparse_one_on_a_sparse_run():
    """`SequenceBatch.rewards` reads the row's context reward, not its dense reward column: the VAE's ELBO, the
    hyper-state relabelling and the meta-test all read the context reward, sparse with `sparse_rewards` (docs: "The
    rewards are the context rewards (the sparse ones with `sparse_rewards`)"), and the meta-test feeds the belief sparse
    rewards; a VAE trained and relabelled on dense rewards is off-distribution at meta-test and the sparse BOREL numbers
    are wrong. A buffer whose context reward is 1 where the dense reward is positive, else 0: each sequence's rewards
    are those 0/1 values, in order."""
    data = episodes_data([3, 2, 4], 5.0)
    buf = MultiTaskBuffer({5: data}, OBS, ACT, DEV, context_reward_fn=lambda r: (r > 0).astype(np.float32))
    index = SequenceIndex(buf, episodes=2, block=3)
    b = index.batch(torch.arange(len(index)))
    want = (data.rewards > 0).astype(np.float32)
    assert 0 < want.sum() < len(want)  # both kinds present, and the dense rewards are not 0/1
    got = torch.cat([b.rewards[i, : index.lengths[i], 0] for i in range(len(index))])
    assert got.tolist() == want.tolist()
    # and the VAE's step reads them: the ELBO is unchanged when only the dense column changes
    vae = borel.BeliefVAE(OBS, ACT, borel.BorelSettings(5, 1, 1, 1, 0.05, 2, False, False), torch.Generator())
    loss = vae.elbo(b, 0.05, torch.Generator().manual_seed(0)).loss
    buf.data[: len(buf), -2] += 10.0
    assert vae.elbo(index.batch(torch.arange(len(index))), 0.05, torch.Generator().manual_seed(0)).loss == loss


def test_the_vaes_elbo_ignores_what_the_padding_of_a_short_sequence_holds():
    """`BeliefVAE.elbo` passes the batch's mask to `elbo_terms`, not an all-True one: a batch's sequences are padded to
    the longest, and padded steps must never count (docs: "for a sequence of n steps ... mean_{k<n}", sum over t <= n).
    Otherwise every short sequence (an odd checkpoint's last episode, early-terminating hopper/walker/ant episodes)
    trains the VAE on copies of its last transition and on beliefs past its end. Sequences of 6 and 2 steps, the second
    padded to 6: the ELBO, from the same noise, is the same whatever its 4 padding rows hold."""
    buf = MultiTaskBuffer({0: episodes_data([3, 3, 2], 0.0)}, OBS, ACT, DEV)
    b = SequenceIndex(buf, episodes=2, block=3).batch(torch.tensor([[0, 1]]))
    assert b.mask[0].sum(1).tolist() == [6, 2]
    vae = borel.BeliefVAE(OBS, ACT, borel.BorelSettings(5, 1, 1, 1, 0.05, 2, True, True), torch.Generator())
    loss = vae.elbo(b, 0.05, torch.Generator().manual_seed(0))
    rows = b.rows.clone()
    rows[0, 1, 2:] = 7.0  # other padding: not the last row repeated
    other = vae.elbo(type(b)(rows, b.mask, OBS, ACT), 0.05, torch.Generator().manual_seed(0))
    for part in ("loss", "reward", "state", "kl"):
        assert getattr(other, part).item() == pytest.approx(getattr(loss, part).item(), rel=1e-6), part


def test_the_reward_reconstruction_trains_the_belief_encoder():
    """The reward decoder is fed the belief samples as they are, not `zz.detach()`: z_t is a reparameterised sample of
    q_t, so the reward reconstruction's gradient reaches the GRU and the mu/logvar heads (docs: stage 1 steps "the
    encoder and decoders" on the ELBO); detached, the encoder learns from the KL alone, which pulls every belief to the
    prior, and BOREL's beliefs carry no task information. With kl_weight 0 and no state decoder the loss is the reward
    term alone, and it must give the encoder's GRU and both heads a gradient."""
    buf = MultiTaskBuffer({0: episodes_data([3, 3], 0.0)}, OBS, ACT, DEV)
    b = SequenceIndex(buf, episodes=2, block=2).batch(torch.tensor([[0]]))
    vae = borel.BeliefVAE(OBS, ACT, borel.BorelSettings(5, 1, 1, 1, 0.0, 2, False, False), torch.Generator())
    vae.elbo(b, 0.0, torch.Generator().manual_seed(0)).loss.backward()
    enc = vae.encoder
    for name, p in [("gru", enc.gru.weight_ih_l0), ("mu", enc.mu.weight), ("logvar", enc.logvar.weight)]:
        assert p.grad is not None and p.grad.abs().sum() > 0, name


def test_borels_dual_critic_and_d_hat_read_each_rows_own_belief():
    """Under BOREL with BRAC, D_hat and c's fit on the step's rows each read the row's own belief, not the next row's
    (mu_t+1, logvar_t+1) in its place. c(s, a, b) estimates the divergence of pi(.|s, b) from the data's actions at the
    hyper-state (s, b_t) the policy acted in (docs/algorithm.md, "BOREL": the learner on hyper-states, each row's belief
    in place of its task's z); the next belief belongs to s' and is the target V's alone. Other tests here check V
    and the target V but not c, whose docstring says it reads (s, mu_t, logvar_t). c's first call of the step fits it on
    (a~, a_data, a_int) of the step's rows, its last gives D_hat on (a~, a_data): both must carry each row's own s and
    belief."""
    tr = make_trainer(use_brac=True)
    s = hyper_inputs(tr)
    calls = []
    tr.dual_critic.register_forward_hook(lambda m, i, o: calls.append(i[0].detach().clone()))
    tr.train_step(s.tasks, s.context, s.batch, s.extra)
    rows = s.batch.obs.reshape(-1, OBS + tr.agent.latent_dim)  # (s, mu_t, logvar_t)
    state, belief = rows[:, :OBS], rows[:, OBS:]
    fit, d_hat = calls[0], calls[-1]
    assert len(fit) == 3 * len(rows) and len(d_hat) == 2 * len(rows)
    for got, k in ((fit, 3), (d_hat, 2)):
        torch.testing.assert_close(got[:, :OBS], state.repeat(k, 1))
        torch.testing.assert_close(got[:, OBS + ACT :], belief.repeat(k, 1))


def test_borel_refuses_training_its_policy_with_a_zero_z_it_does_not_have():
    """BOREL's learner reads a belief, not a z: `--train_z0_policy true` would be ignored, so it is refused like the
    other keys only the mean-pooled encoders read; with z0_policy_share too, the first such key is named."""
    with pytest.raises(
        UserError, match=r"^algo_params.train_z0_policy True: algo_type 'BOREL' does not use it \(expected its default "
    ):
        borel_cfg(train_z0_policy=True)
    with pytest.raises(UserError, match=r"^algo_params.train_z0_policy True: algo_type 'BOREL' does not use it"):
        borel_cfg(train_z0_policy=True, z0_policy_share=0.5)
    assert borel_cfg(train_z0_policy=False).algo_params.train_z0_policy is False


@pytest.mark.slow
def test_borels_vae_draws_its_own_stream(tiny_data, tmp_path, monkeypatch):
    """BOREL's VAE stage draws from a stream of its own (`"borel_vae"`), not from the batch sampler's
    (`"batch_sampling"`). Every consumer of randomness has a stream of its own (docs' table of streams, rlkit.seeding):
    drawing from the batch sampler's, the VAE's task and sequence picks repeat the draws of the training batches
    exactly, a correlation between the two stages that the stream table rules out."""
    from rlkit.seeding import torch_generator

    monkeypatch.chdir(tiny_data.parent.parent)
    cfg = load_config(
        TINY_CONFIG,
        {"algo_type": "BOREL", "util_params": {"exp_name": "b", "base_log_dir": str(tmp_path)}},
    )
    t = MetaTrainer(prepare(cfg, 5, torch.device("cpu")), show_progress=False)
    own, sampler = torch.rand(8, generator=t.vae_gen), torch.rand(8, generator=t.sample_gen)
    assert torch.equal(own, torch.rand(8, generator=torch_generator(5, "borel_vae")))
    assert not torch.equal(own, sampler)


def test_borels_policy_reads_s_then_mu_then_logvar():
    """BOREL's policy input is the hyper-state (s, mu, logvar) in that order (docs/algorithm.md, "Learner"; a saved
    snapshot's first-layer columns mean that), not (mu, logvar, s)."""
    settings = BorelSettings.from_config(borel_cfg())
    agent = BorelAgent(2, 2, settings, 16, torch.Generator().manual_seed(0))
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():  # (an output layer of O(1) weights: its init of 1e-3 makes every action near 0)
        agent.policy.net.layers[-1].weight.normal_(generator=g)
    obs, z = torch.randn(4, 2, generator=g), torch.randn(4, 2 * settings.latent, generator=g)
    got = agent.policy_output(obs, z, deterministic=True).action
    mean = agent.policy.net(torch.cat([obs, z[:, : settings.latent], z[:, settings.latent :]], dim=1))[:, :2]
    torch.testing.assert_close(got, torch.tanh(mean))


def test_borels_policy_is_csros_three_hidden_layers_of_net_size_on_the_wider_input():
    """BOREL's policy is the network every method's learner trains (3 hidden layers of net_size, as CSROAgent's), its
    input widened from (s, z) to (s, mu, logvar)."""
    settings = BorelSettings.from_config(borel_cfg())
    L = settings.latent
    agent = BorelAgent(3, 2, settings, 16, torch.Generator().manual_seed(0))
    shapes = [tuple(layer.weight.shape) for layer in agent.policy.net.layers]
    assert shapes == [(16, 3 + 2 * L), (16, 16), (16, 16), (4, 16)]
    csro = CSROAgent(3, 2, 2 * L, 5, 16, generator=torch.Generator().manual_seed(0))
    assert [tuple(layer.weight.shape) for layer in csro.policy.net.layers] == shapes


@pytest.mark.parametrize("lengths", [[10, 10], [10, 20]])
def test_episode_lengths_that_do_not_sum_to_a_tasks_rows_are_a_one_line_error(lengths):
    """A task's episode lengths must sum to its rows (25 here): fewer leave rows in no sequence, more make a sequence
    read past the task's rows into the next task's."""
    data = episodes_data([10, 15], 3)
    data.traj_lengths = np.asarray(lengths)
    buf = MultiTaskBuffer({3: data, 4: episodes_data([10, 15], 4)}, 2, 2, DEV, terminal_at_traj_end=False)
    with pytest.raises(
        UserError,
        match=rf"task 3: the files' episode lengths \[{lengths[0]}, {lengths[1]}\] "
        r"do not cut its 25 rows into episodes",
    ) as err:
        SequenceIndex(buf, 2, 50, 20)
    assert "\n" not in str(err.value)


def test_the_relabelling_in_chunks_of_two_sequences_gives_each_row_its_own_belief():
    """`hyper_state_columns` relabels the sequences `chunk` at a time (2048 in a run, more sequences than that in a
    paper run's data): each chunk writes the beliefs of its own sequences' rows, so chunks of 2 give what one chunk
    gives (two tasks, 3 sequences of unequal lengths)."""
    enc = make_trainer().agent.gru
    buf = MultiTaskBuffer({1: episodes_data([3, 2, 4, 1], 1), 6: episodes_data([2, 3], 6, seed=1)}, 2, 2, DEV)
    index = SequenceIndex(buf, 2, 4)
    assert len(index) == 3
    whole = borel.hyper_state_columns(enc, index)
    for chunk in (1, 2):
        for got, want in zip(borel.hyper_state_columns(enc, index, chunk=chunk), whole, strict=True):
            torch.testing.assert_close(got, want, rtol=1e-6, atol=1e-6)


def test_borels_policy_and_critics_read_each_rows_own_belief_not_the_next_rows():
    """BOReL's learner step (`_borel_step`) gives the policy and the twin critics the belief the row's action was taken
    under (mu_t, logvar_t, the obs columns), not the belief after the row's transition (mu_t+1, logvar_t+1, the next_obs
    columns), which the policy or the critics once read in its place: pi(a | s, b_t) and Q(s, a, b_t), as the BAMDP's
    hyper-state says (docs/algorithm.md, "BOREL"). Other tests here check what V and the target V read; this checks
    the policy's first input and the critics' first (their own update's) input of the step by hand."""
    tr = make_trainer()  # no BRAC: the policy runs once, on the step's rows
    s = hyper_inputs(tr)
    seen = {"policy": [], "qf": []}
    tr.agent.policy.register_forward_hook(lambda m, i, o: seen["policy"].append(i[0].clone()))
    tr.qf.register_forward_hook(lambda m, i, o: seen["qf"].append(i[0].clone()))
    tr.train_step(s.tasks, s.context, s.batch, s.extra)
    width = OBS + tr.agent.latent_dim
    obs, next_obs = s.batch.obs.reshape(-1, width), s.batch.next_obs.reshape(-1, width)
    actions = s.batch.actions.reshape(len(obs), -1)
    assert not torch.allclose(obs[:, OBS:], next_obs[:, OBS:])  # (the two beliefs differ)
    torch.testing.assert_close(seen["policy"][0], obs)
    # the critics' update first (Q(s, a, b_t) on the data actions), then min Q for V and pi on a~
    torch.testing.assert_close(seen["qf"][0], torch.cat([obs[:, :OBS], actions, obs[:, OBS:]], dim=-1))


@torch.no_grad()
def test_borels_np_keeps_a_jobs_context_episode_while_a_batch_mate_collects_more():
    """`_Belief.add_paths` adds an episode only for the jobs that stepped (`np.flatnonzero(paths.lengths)`), not for
    every job (`range(len(self.history))`). Adding one for every job, an idle job gets an empty episode, which pushes
    its real context episode out of the window (borel_episodes - 1 = 1): when a batch-mate (episodes ending early) needs
    a further context round, the job's scored episode starts from the prior, as if it had no context.

    By hand: N = 40, H = 20; job 1 (task 6) collects one 20-step context episode, job 0 (task 2, 7-step episodes)
    three. Job 1's first scored step acts with the belief after its 20 context rows, fed in order from the prior."""
    agent = make_trainer().agent
    spy = SpyPolicy(agent)
    kinds = []
    setting = EvalSetting(num_steps_per_eval=40, max_path_length=20, num_exp_traj_eval=1, use_next_obs_in_context=False)
    nonprior_context_recurrent(
        agent,
        _envs(),
        setting,
        1,
        DEV,
        np.random.default_rng(0),
        torch.Generator().manual_seed(0),
        on_paths=lambda kind, p: kinds.append((kind, p.lengths.copy(), p)),
    )
    context = [(n, p) for k, n, p in kinds if k == "context"]
    assert [n.tolist() for n, _ in context[:3]] == [[7, 20], [7, 0], [7, 0]]  # job 1 idle in rounds 2 and 3
    first_scored = [z for z, d in zip(spy.seen, spy.deterministic) if d][0]
    want = replay(agent, [episode_rows(context[0][1], 1)])[20]
    torch.testing.assert_close(first_scored[1], want, rtol=1e-6, atol=1e-6)
    assert not torch.allclose(want, replay(agent, [])[0])  # the context moved it from the prior


@torch.no_grad()
def test_borels_belief_advances_only_for_the_jobs_that_stepped():
    """`_Belief.on_step` advances the GRU of the jobs that stepped at t only, not every job's (`np.arange`): a job whose
    episode has ended, or that is done while a batch-mate goes on, would read the zero padding of the steps it never
    took as transitions, and its logged belief (`Z mean eval`) would drift. The online protocol restarts the belief of
    the active jobs only before each scored episode, not every job's (`np.arange(len(envs))`): restarting every job's, a
    done job's result becomes the belief after its context alone, not after its last episode.

    By hand: online protocol, N = 40, H = 20, window 1; job 1 (task 6, 20-step episodes) is done after 2 scored
    episodes while job 0 (task 2, 7-step episodes) plays 4 more. Job 1's result is the mean of the belief after its
    first episode (the context) and its second episode's 20 steps, fed in order from the prior."""
    agent = make_trainer().agent
    scored = []
    setting = EvalSetting(num_steps_per_eval=40, max_path_length=20, num_exp_traj_eval=1, use_next_obs_in_context=False)
    result = online_prior_context_recurrent(agent, _envs(), setting, 1, DEV, on_paths=lambda k, p: scored.append(p))
    assert [p.lengths.tolist() for p in scored] == [[7, 20], [7, 20]] + [[7, 0]] * 4
    L = agent.latent_dim // 2
    want = replay(agent, [episode_rows(scored[0], 1), episode_rows(scored[1], 1)])[-1][:L]
    np.testing.assert_allclose(result.z[1], want.numpy(), rtol=0, atol=1e-6)
    # (the untrained GRU nearly forgets the first episode: restarted from its context alone, as a restart of every
    # job's belief before each scored episode leaves it, it is within about 1e-5, so the tolerance is 1e-6; the
    # protocol's feed and this replay agree to about 1e-8)
    restarted = replay(agent, [episode_rows(scored[1], 1)])[-1][:L]
    assert float((restarted - want).abs().max()) > 5e-6


def test_a_borel_runs_training_sequences_are_borel_episodes_whole_episodes_of_each_checkpoint(tmp_path):
    """BOREL's training sequences (`prepare`'s SequenceIndex) group `borel_episodes` consecutive whole episodes of one
    checkpoint's n_trj; with 1 (the eval protocol's grouping) the VAE never sees a sequence that spans episodes, which
    is what its belief over a meta-episode is trained for. Only a slow test read them back. Written data: 3 episodes of
    4 steps per checkpoint, 2 checkpoints, borel_episodes 2: per task the sequences are episodes (0, 1) and (2) of each
    checkpoint, 8, 4, 8 and 4 steps long."""
    data = _written_data(tmp_path / "data")
    cfg = load_config(TINY_CONFIG, {"algo_type": "BOREL", "algo_params": {"data_dir": str(data), "borel_episodes": 2}})
    index = prepare(cfg, 0, torch.device("cpu")).sequences
    assert index.task.tolist() == [t for t in (0, 2, 3, 5) for _ in range(4)]  # (test tasks: 1, 4)
    assert index.lengths.tolist() == [8, 4, 8, 4] * 4


def test_a_borel_step_draws_its_batch_from_the_hyper_state_rows_without_a_context():
    """BOREL's training step draws its meta-batch from the relabelled hyper-state rows and no context (its learner reads
    the belief in the rows); drawing a context as well (`with_context` True) moves the batch stream on by a context's
    draws, so every BOREL batch after it is another one, and spends a context's sampling per step for nothing. The draw
    must be: the tasks, then the batch, from the one generator."""
    t = object.__new__(MetaTrainer)
    t.borel, t.hyper_buffer = SimpleNamespace(), make()
    t.setup = SimpleNamespace(train_buffer=None)  # BOREL never draws from the plain training rows
    t.train_tasks = torch.tensor([3, 7, 8])
    t.cfg = load_config(None, {"algo_params": {"meta_batch": 2, "batch_size": 6}})
    t.sample_gen = torch.Generator().manual_seed(5)
    s = t.sample()
    g = torch.Generator().manual_seed(5)
    tasks = t.train_tasks[torch.randperm(3, generator=g)[:2]]
    batch = t.hyper_buffer.sample(tasks, 6, g)
    assert s.context is None and torch.equal(s.tasks, tasks)
    assert torch.equal(s.batch.obs, batch.obs) and torch.equal(s.batch.rewards, batch.rewards)


def test_borels_relabelling_widens_obs_by_the_belief_before_each_row_and_next_obs_by_the_belief_after(monkeypatch):
    """`relabel` gives `hyper_state_buffer` the beliefs before each row (for its obs) and after it (for its next obs),
    as `hyper_state_columns` returns them; swapped, every hyper-state holds the belief that already saw its own
    transition and the learner's critic reads the future. The relabelling tests call `hyper_state_buffer` directly; only
    `relabel` orders the two, and nothing ran it fast."""
    import rlkit.experiment as experiment

    before, after, final = torch.zeros(3, 2), torch.ones(3, 2), torch.full((2, 1), 5.0)
    given = {}
    monkeypatch.setattr(experiment.borel, "hyper_state_columns", lambda gru, index: (before, after, final))
    monkeypatch.setattr(
        experiment.borel, "hyper_state_buffer", lambda buf, index, b, a: given.update(buf=buf, b=b, a=a) or [0, 1, 2]
    )
    monkeypatch.setattr(experiment, "belief_spread", lambda z, task: (torch.tensor(0.5), torch.tensor(2.0)))
    t = object.__new__(MetaTrainer)
    index = type("Index", (), {"task": torch.tensor([0, 1]), "__len__": lambda self: 2})()  # 2 sequences
    t.setup = SimpleNamespace(sequences=index, train_buffer="rows")
    t.trainer = SimpleNamespace(agent=SimpleNamespace(gru="gru"))
    t.relabel(SimpleNamespace(info=lambda m: None))
    assert given["buf"] == "rows" and given["b"] is before and given["a"] is after
    assert t.hyper_buffer == [0, 1, 2]


def test_a_borel_run_of_one_decode_state_setting_is_not_resumed_with_the_other():
    """BOREL's `borel_decode_state` null is read as the env's default (variants written before 2026-12-04 recorded
    null), but a value given is kept: a run trained without the state decoder is another config than one with it. With
    the `is None` condition dropped both sides were replaced by the default and the folder resumed under the other
    setting without a word."""
    off = load_config(None, {"algo_type": "BOREL", "algo_params": {"borel_decode_state": False}}).to_dict()
    on = load_config(None, {"algo_type": "BOREL", "algo_params": {"borel_decode_state": True}}).to_dict()
    assert config_differences(off, on) == ["algo_params.borel_decode_state: false -> true"]


def test_borel_refuses_a_share_of_zero_z_rows_even_where_the_config_file_turns_the_zero_z_policy_on(tmp_path):
    """BOREL has no z to zero, so z0_policy_share is one of the keys only the mean-pooled encoders read: an override of
    it is refused under BOREL as such, also where the file's train_z0_policy true leaves it switched on."""
    doc = json.loads((ROOT / "configs" / "point-robot.json").read_text())
    doc["algo_params"]["train_z0_policy"] = True
    path = tmp_path / "z0.json"
    path.write_text(json.dumps(doc))
    for file in (None, path):
        with pytest.raises(UserError, match=r"^algo_params\.z0_policy_share 0\.5: algo_type 'BOREL' does not use it"):
            load_config(file, parse_override_args(["--algo_type", "BOREL", "--z0_policy_share", "0.5"]))


def test_borel_settings_resolve_a_null_decode_state_by_the_family_even_on_a_config_not_loaded_to_run():
    """BorelSettings.from_config of a config whose borel_decode_state is still null decodes the state on a dynamics
    family (walker) and not on a reward family (cheetah-vel), as its docstring says."""

    for config, decode in (("walker_rand_params.json", True), ("cheetah-vel.json", False)):
        cfg = load_config(ROOT / "configs" / config, {"algo_type": "BOREL"})
        unresolved = dataclasses.replace(cfg, algo_params=dataclasses.replace(cfg.algo_params, borel_decode_state=None))
        assert borel.BorelSettings.from_config(unresolved).decode_state is decode, config


def _borel_settings(**kw):

    base = dict(latent=3, vae_steps=1, vae_tasks=1, vae_sequences=1, kl_weight=0.05, episodes=2)
    return BorelSettings(**{**base, "decode_state": False, "reward_reads_sa": False, **kw})


def _one_sequence(lengths, obs_dim=2, action_dim=2, seed=0):
    """A buffer of one task whose episodes `lengths` are one sequence, and that sequence as a batch [1, T, W]."""
    rng = np.random.default_rng(seed)
    n = sum(lengths)
    f = lambda *shape: rng.normal(size=shape).astype(np.float32)  # noqa: E731
    data = Trajectories(f(n, obs_dim), f(n, action_dim), f(n), f(n, obs_dim), np.zeros(n, np.float32), lengths)
    buf = MultiTaskBuffer({0: data}, obs_dim, action_dim, torch.device("cpu"))
    index = SequenceIndex(buf, len(lengths), len(lengths))
    return buf, index, index.batch(torch.tensor([[0]]))


def _elbo_by_hand(vae, b, seed, m=None):
    """The VAE's negative ELBO of the one sequence `b` [1, 1, T, W] (every belief decodes every step; with `m`, the m
    beliefs elbo_subsample draws after the noise), the decoders called per (belief, step)."""
    s, a, r, s2 = b.obs[0], b.actions[0], b.rewards[0], b.next_obs[0]
    g = torch.Generator().manual_seed(seed)
    mu, logvar = vae.encoder(a, r, s2)
    z = mu + (0.5 * logvar).exp() * torch.randn(mu.shape, generator=g)
    T = s.shape[1]
    beliefs, weight = range(T + 1), None
    if m is not None:
        index, weight = borel.elbo_subsample(b.mask[0], m, g)
        beliefs = index[0].tolist()
    rd, sd = vae.reward_decoder, vae.state_decoder
    rp = torch.stack([torch.stack([rd(z[0, t], s2[0, k], s[0, k], a[0, k]) for k in range(T)]) for t in beliefs])
    sp = (
        None
        if sd is None
        else torch.stack([torch.stack([sd(z[0, t], s[0, k], a[0, k]) for k in range(T)]) for t in beliefs])
    )
    return borel.elbo_terms(
        rp[None], r, b.mask[0], mu, logvar, 0.05, sp if sp is None else sp[None], None if sp is None else s2, weight
    )


def test_borel_elbo_terms_equal_to_the_sequence_length_still_subsamples_the_beliefs():
    """borel_elbo_terms M = T (5 of a 5-step sequence's 6 beliefs) decodes M drawn beliefs, each weighted 6/5, not
    all T + 1 (only M >= T + 1 is the full ELBO)."""
    _, _, b = _one_sequence([3, 2])
    vae = borel.BeliefVAE(2, 2, _borel_settings(elbo_terms=5), torch.Generator().manual_seed(1))
    _, weight = borel.elbo_subsample(b.mask[0], 5, torch.Generator().manual_seed(0))
    assert weight[0].tolist() == pytest.approx([1.2] * 5)
    got = vae.elbo(b, 0.05, torch.Generator().manual_seed(3)).loss.item()
    want, full = _elbo_by_hand(vae, b, 3, m=5).loss.item(), _elbo_by_hand(vae, b, 3).loss.item()
    assert got == pytest.approx(want, rel=1e-5) and want != pytest.approx(full, rel=1e-4)


def test_borels_vae_reads_s_a_r_s_prime_of_a_family_whose_obs_and_action_sizes_differ():
    """With obs of 3 and actions of 1 (every other BOREL test has 2 and 2), the VAE's ELBO with both decoders reading
    (s, a) is the one of the sequence's own columns."""
    _, _, b = _one_sequence([3, 2], obs_dim=3, action_dim=1)
    settings = _borel_settings(decode_state=True, reward_reads_sa=True)
    vae = borel.BeliefVAE(3, 1, settings, torch.Generator().manual_seed(1))
    got = vae.elbo(b, 0.05, torch.Generator().manual_seed(3))
    want = _elbo_by_hand(vae, b, 3)
    assert got.loss.item() == pytest.approx(want.loss.item(), rel=1e-5)
    assert got.state.item() == pytest.approx(want.state.item(), rel=1e-5) and got.state.item() > 0


def test_the_relabelling_refuses_a_sequence_index_that_leaves_a_buffer_row_out():
    """Rows that no sequence of the index holds (here the last sequence dropped) are a RuntimeError, not NaN
    hyper-states left in a buffer the learner trains on."""
    buf, _, _ = _one_sequence([3, 2, 4, 1])
    cut = SequenceIndex(buf, 2, 4)
    assert len(cut) == 2
    cut.rows, cut.lengths = cut.rows[:1], cut.lengths[:1]  # rows 5..9 in no sequence
    enc = borel.BeliefEncoder(2, 2, 3, torch.Generator().manual_seed(0))
    with pytest.raises(RuntimeError, match="a buffer row is in no sequence"):
        borel.hyper_state_columns(enc, cut)
    before, after, _ = borel.hyper_state_columns(enc, SequenceIndex(buf, 2, 4))
    assert not before.isnan().any() and not after.isnan().any()


def test_the_bamdp_join_finds_each_tasks_episode_ends_by_its_place_not_its_id():
    """With training ids 1 and 6 (not 0, 1, ...), the last row of each task's first episode (rows 2 and 6: task 1's
    episodes of 3 and 2 steps, task 6's of 2 and 2) leads to the next episode's first row and is not terminal; every
    other row keeps its own next state and is terminal only at an episode's end."""
    buf = MultiTaskBuffer({1: episodes_data([3, 2], 1), 6: episodes_data([2, 2], 6, seed=1)}, 2, 2, torch.device("cpu"))
    index = SequenceIndex(buf, 2, 2)
    g = torch.Generator().manual_seed(0)
    before, after = torch.randn(9, 4, generator=g), torch.randn(9, 4, generator=g)
    rows = borel.hyper_state_buffer(buf, index, before, after).transitions()
    assert rows[:, -1].tolist() == [0, 0, 0, 0, 1, 0, 0, 0, 1]
    plain = buf.with_obs_columns(before, after).transitions()
    next_obs = slice(2 + 4 + 2 + 1, 2 * (2 + 4) + 2 + 1)
    for row, follow in ((2, 3), (6, 7)):
        torch.testing.assert_close(rows[row, next_obs], plain[follow, : 2 + 4])
    for row in (0, 1, 3, 4, 5, 7, 8):
        torch.testing.assert_close(rows[row, next_obs], plain[row, next_obs])


@torch.no_grad()
def test_the_relabelling_runs_the_belief_on_each_steps_next_state_not_its_state():
    """`hyper_state_columns` feeds the GRU (a_t, r_t, s_{t+1}) as the VAE trained on and the meta-test feeds it: on data
    whose next states are not the states, each row's beliefs before and after it are those of the encoder run on the
    sequence's next_obs (one sequence of episodes of 3 and 2 steps)."""
    _, index, b = _one_sequence([3, 2])
    assert not torch.equal(b.obs, b.next_obs)
    enc = borel.BeliefEncoder(2, 2, 3, torch.Generator().manual_seed(0))
    mu, logvar = enc(b.actions[0], b.rewards[0], b.next_obs[0])  # [1, 6, 3]
    belief = torch.cat([mu, logvar], -1)[0]
    before, after, final = borel.hyper_state_columns(enc, index)
    torch.testing.assert_close(before, belief[:-1])
    torch.testing.assert_close(after, belief[1:])
    torch.testing.assert_close(final[0], mu[0, -1])


@torch.no_grad()
def test_the_beliefs_log_variance_is_the_heads_output_unclamped():
    """The belief's logvar is the linear head's output as it is (BOReL's RNNEncoder clamps nothing), also far below
    0."""
    enc = borel.BeliefEncoder(2, 2, 3, torch.Generator().manual_seed(0))
    enc.logvar.weight.zero_()
    enc.logvar.bias.copy_(torch.tensor([-30.0, 0.0, 12.0]))
    mu, logvar = enc.heads(torch.zeros(1, borel.GRU_HIDDEN))
    assert logvar.tolist() == [[-30.0, 0.0, 12.0]]


def test_a_sequence_index_of_block_zero_is_refused_by_name():
    """A block (n_trj) below 1 is refused as such, like episodes below 1, not left to fail inside the grouping loop
    (range() with step 0) or to make no sequences at all (a negative block)."""
    buf = MultiTaskBuffer({3: episodes_data([2, 2], 3)}, OBS, ACT, DEV)
    for block in (0, -1):
        with pytest.raises(ValueError, match=rf"^episodes 1 and block {block}: expected >= 1$"):
            SequenceIndex(buf, 1, block)


def test_with_one_episode_per_checkpoint_every_episode_is_a_sequence_the_last_included():
    """n_trj 1 (block 1): each episode is a checkpoint's group of its own, so each is a sequence, the task's last one
    too (every row of the buffer in exactly one sequence)."""
    buf = MultiTaskBuffer({3: episodes_data([2, 3, 1], 3)}, OBS, ACT, DEV)
    index = SequenceIndex(buf, episodes=2, block=1)
    assert [index.rows[i, : index.lengths[i]].tolist() for i in range(len(index))] == [[0, 1], [2, 3, 4], [5]]
    assert index.count.tolist() == [3.0]


def test_a_borel_run_whose_vae_stage_trains_nothing_reports_its_vae_columns_unmeasured(tmp_path):
    """A BOREL run whose VAE already has its borel_vae_steps (path_to_weights from a trained run) trains no VAE block,
    so its rows' VAE columns are nan (unmeasured), not 0 (a perfect VAE)."""
    data = _written_data(tmp_path / "data")
    cfg = load_config(TINY_CONFIG, {"algo_type": "BOREL", "algo_params": {"data_dir": str(data), "borel_vae_steps": 3}})
    t = MetaTrainer(prepare(cfg, 0, torch.device("cpu"), out_dir=tmp_path / "run"), show_progress=False)
    t.trainer.agent.encoder.steps.fill_(3)  # as loaded from a trained run's networks
    (tmp_path / "run").mkdir()
    logger = RunLogger(tmp_path / "run")
    try:
        t.vae_stage(logger)
    finally:
        logger.close()
    assert set(t.vae_means) == set(VAE_COLUMNS)
    assert all(np.isnan(v) for v in t.vae_means.values())


def test_borels_training_sequences_may_be_as_long_as_the_envs_time_limit_not_the_meta_tests_horizon(tmp_path):
    """A BOREL run's sequence index bounds the files' episodes by env_params.max_episode_steps (the limit the data was
    collected under), not by max_path_length (the meta-test's horizon, which may be shorter): episodes of 4 steps under
    a time limit of 20 are read whole with a meta-test horizon of 3."""
    data = _written_data(tmp_path / "data")
    cfg = load_config(TINY_CONFIG, {"algo_type": "BOREL", "algo_params": {"data_dir": str(data), "max_path_length": 3}})
    assert cfg.env_params.max_episode_steps == 20
    setup = prepare(cfg, 0, torch.device("cpu"), out_dir=tmp_path / "run")
    assert int(setup.sequences.lengths.max()) == 4 * cfg.algo_params.borel_episodes


def test_borels_learner_step_is_the_papers_losses_on_each_rows_belief():
    """BOREL's learner step with BRAC, its losses recomputed from the pure losses (rlkit/torch/csro/losses.py) on
    hyper-state rows split by hand (s the first OBS columns, the belief (mu, logvar) the rest): loss 4's target reads
    each row's own terminal (every third row ends an episode here) and V_target(s', belief') minus alpha D_hat (BRAC's
    value penalty), loss 5 min Q - log pi against V, loss 6 carries alpha D_hat. The networks are as the step has
    them: Q, V, V_target, alpha and the policy (its sample the step's first draw) before it; c after its c_iter
    steps, Q after its own step (the policy's min Q). Only which networks move and which belief each reads was
    tested: a critic blind to terminals, or a policy loss without its penalty, passed."""
    from rlkit.torch.csro import losses

    brac = dict(use_brac=True, use_value_penalty=True)  # (its penalty reaches loss 4's target too)
    tr, before = make_trainer(**brac), make_trainer(**brac)  # the same seed: `before` is tr as it is before its step
    with torch.no_grad():  # V_target's output from ~1e-3 to ~1 in both, beside alpha D_hat (alpha 500): else which
        for t in (tr, before):  # belief V_target reads (belief' or belief) changed the loss by 1e-6 of itself
            t.target_vf.layers[-1].weight.mul_(1000.0)
    st = tr.settings
    assert st.use_brac and st.value_penalty and st.max_entropy
    s = hyper_inputs(tr, use_brac=True)
    terminals = torch.zeros_like(s.batch.terminals)
    terminals.view(-1)[::3] = 1.0
    b = RLBatch(s.batch.obs, s.batch.actions, s.batch.rewards, s.batch.next_obs, terminals)
    record = tr.train_step(s.tasks, s.context, b, s.extra)

    def rows(x):
        return x.reshape(-1, x.shape[-1])

    obs, z = rows(b.obs)[:, :OBS], rows(b.obs)[:, OBS:]
    next_obs, z_next = rows(b.next_obs)[:, :OBS], rows(b.next_obs)[:, OBS:]
    a, r, d, n = rows(b.actions), rows(b.rewards), rows(terminals), rows(b.obs).shape[0]
    assert 0 < d.sum() < n
    with torch.no_grad():
        pi = before.agent.policy_output(obs, z, generator=before.generator)
        logits = tr.dual_critic(torch.cat([torch.cat([obs, obs]), torch.cat([pi.action, a]), torch.cat([z, z])], -1))
        penalty = before.alpha * losses.kl_dual_estimate(logits[:n], logits[n:])
        v_next = before.target_vf(torch.cat([next_obs, z_next], -1)) - penalty
        target = losses.q_target(r, d, v_next, st.reward_scale, st.discount)
        qf_loss = losses.critic_loss(before.qf(torch.cat([obs, a, z], -1)), target)
        min_q = tr.qf(torch.cat([obs, pi.action, z], -1)).min(dim=0).values
        vf_loss = losses.value_loss(before.vf(torch.cat([obs, z], -1)), min_q - pi.log_prob)
        policy_loss = losses.policy_loss(
            pi.log_prob,
            min_q,
            pi.mean,
            pi.log_std,
            mean_reg=st.policy_mean_reg_weight,
            std_reg=st.policy_std_reg_weight,
            max_entropy=True,
            penalty=penalty,
            pre_tanh=pi.pre_tanh,
            pre_activation_reg=st.policy_pre_activation_weight,
        )
    for name, want in (("qf_loss", qf_loss), ("vf_loss", vf_loss), ("policy_loss", policy_loss)):
        torch.testing.assert_close(getattr(record, name), want, rtol=1e-6, atol=1e-7, msg=name)


def test_a_short_sequence_is_padded_with_its_own_last_row_not_row_0():
    """`SequenceIndex.rows`: a sequence shorter than the longest is padded by repeating its own last row (a step of
    its own task), not with buffer row 0 (task 4's first step here). Every reader masks the padding today, so only
    this contract keeps an unmasked read (a new consumer, a debugging print of `b.obs`) inside the sequence's task."""
    buf = MultiTaskBuffer({4: episodes_data([3], 4), 9: episodes_data([1], 9)}, OBS, ACT, DEV)
    index = SequenceIndex(buf, episodes=1, block=1)
    assert index.rows.tolist() == [[0, 1, 2], [3, 3, 3]]
    b = index.batch(torch.arange(2))
    assert b.mask.tolist() == [[True, True, True], [True, False, False]]
    assert b.obs[1, :, 0].tolist() == [9.0, 9.0, 9.0]  # task 9's one step, repeated


def test_borels_vae_has_borels_sizes():
    """BOReL's VAE sizes (its vae_config, docs/algorithm.md "BOREL"): embeddings of s 32, a 16 and r 16 (ReLU) into one
    GRU of 128, whose state gives mu and logvar of L dims each; reward and state decoders of [32, 32] hidden units,
    the reward decoder reading (z, s', a, s) on MuJoCo. Every other test builds its networks from the module's own
    constants, so a GRU of 64, decoders of [64, 64] or embeddings of 16 passed them all."""
    vae = borel.BeliefVAE(3, 2, _borel_settings(latent=5, decode_state=True, reward_reads_sa=True))
    enc = vae.encoder
    assert (enc.action_embed.out_features, enc.state_embed.out_features, enc.reward_embed.out_features) == (16, 32, 16)
    assert (enc.gru.input_size, enc.gru.hidden_size, enc.gru.num_layers) == (64, 128, 1)
    assert (enc.mu.in_features, enc.mu.out_features) == (enc.logvar.in_features, enc.logvar.out_features) == (128, 5)
    assert enc.prior_state(2).shape == (2, 128)

    def sizes(dec):
        return [(lin.in_features, lin.out_features) for lin in [*dec.layers, dec.out]]

    rd, sd = vae.reward_decoder, vae.state_decoder
    assert (rd.state_embed.out_features, rd.action_embed.out_features) == (32, 16)
    assert sizes(rd) == [(5 + 32 + 16 + 32, 32), (32, 32), (32, 1)]
    assert (sd.state_embed.out_features, sd.action_embed.out_features) == (32, 16)
    assert sizes(sd) == [(5 + 32 + 16, 32), (32, 32), (32, 3)]


def test_every_borel_key_of_the_config_reaches_its_settings():
    """`BorelSettings.from_config` takes each borel_* key from the config, each here off its default: the latent size
    (the belief's and the policy's widths), the VAE's steps, tasks and sequences per step (both 8 by default, so a
    swap of the two showed nowhere), the KL weight of the ELBO, the episodes of a sequence and the ELBO's terms. A KL
    weight, latent size, sequence count or episode count of the default whatever the config said passed every test."""
    cfg = borel_cfg(
        borel_latent_size=3,
        borel_vae_steps=7,
        borel_vae_tasks=5,
        borel_vae_sequences=6,
        borel_kl_weight=0.3,
        borel_episodes=4,
        borel_elbo_terms=2,
    )
    s = BorelSettings.from_config(cfg)
    got = (s.latent, s.vae_steps, s.vae_tasks, s.vae_sequences, s.kl_weight, s.episodes, s.elbo_terms)
    assert got == (3, 7, 5, 6, 0.3, 4, 2)
    agent = BorelAgent(OBS, ACT, s, 16, torch.Generator().manual_seed(0))
    assert agent.latent_dim == 6 and agent.gru.mu.out_features == 3


def test_a_vae_steps_memory_by_hand():
    """Per (belief, step) pair: the reward decoder's two hidden layers of 32 before and after ReLU, its output, error
    and square (131 floats); the state decoder 4 floats per state dimension more. 2 sequences x 4 beliefs x 3 steps."""
    assert borel.vae_step_bytes(2, 3, 4, 5, False) == 2 * 4 * 3 * 131 * 4
    assert borel.vae_step_bytes(2, 3, 4, 5, True) == 2 * 4 * 3 * (131 + 20) * 4
    # this Linux's MemAvailable (kB in /proc/meminfo), in bytes: more than the 64 MiB any host running this suite
    # has free, at most the machine's memory (a container's /proc/meminfo may show less than the host's pages)
    free, memory = borel.free_bytes(torch.device("cpu")), os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    assert 2**26 <= free <= memory, (free, memory)


def test_a_run_past_its_vae_stage_is_not_refused_for_the_stages_memory():
    """The VAE stage checks the free memory only where it has steps to train: a run resumed with all its VAE steps done
    (on a host with less memory free than a VAE step needs) goes on to its iterations; one step short, it is checked
    (and refused) before its step."""

    class Refused(Exception):
        pass

    def refuse():
        checked.append(int(t.trainer.agent.encoder.steps))
        raise Refused

    t, checked = object.__new__(MetaTrainer), []
    t.borel, t.train_tasks, t._check_vae_memory = SimpleNamespace(vae_steps=15), torch.arange(4), refuse
    t.setup, t.cfg = SimpleNamespace(device=torch.device("cpu")), None
    t.trainer = SimpleNamespace(agent=SimpleNamespace(encoder=SimpleNamespace(steps=torch.tensor(15))))
    t.vae_stage(logger=None)
    assert checked == []
    t.trainer.agent.encoder.steps = torch.tensor(14)
    with pytest.raises(Refused):
        t.vae_stage(logger=None)
    assert checked == [14]


def test_the_vae_memory_check_sizes_the_longest_sequence_and_the_decoded_beliefs(monkeypatch):
    """`_check_vae_memory` on sequences of 5 and 40 steps (padded to the longest), 3 of 4 tasks drawn x 2 sequences:
    without borel_elbo_terms every belief of 41 is decoded, with 7 (or 50, more than there are) that many; a step that
    needs exactly the free memory, or a device whose free memory cannot be read, is let through."""
    t = object.__new__(MetaTrainer)
    t.train_tasks = torch.arange(4)
    t.setup = SimpleNamespace(sequences=SimpleNamespace(lengths=torch.tensor([5, 40, 12])), obs_dim=2, device="cpu")
    free = {"bytes": 0}
    monkeypatch.setattr(borel, "free_bytes", lambda device: free["bytes"])

    def refusal(elbo_terms):
        t.borel = SimpleNamespace(vae_tasks=3, vae_sequences=2, elbo_terms=elbo_terms, decode_state=False)
        with pytest.raises(UserError) as refused:
            t._check_vae_memory()
        return str(refused.value).split(", about")[0]

    assert refusal(None) == "BOREL's VAE step decodes 6 sequences x 41 beliefs x 40 steps"
    assert refusal(7) == "BOREL's VAE step decodes 6 sequences x 7 beliefs x 40 steps"
    assert refusal(50) == "BOREL's VAE step decodes 6 sequences x 41 beliefs x 40 steps"
    free["bytes"] = borel.vae_step_bytes(6, 40, 7, 2, False)
    t.borel.elbo_terms = 7
    t._check_vae_memory()
    free["bytes"] -= 1
    assert refusal(7).endswith("6 sequences x 7 beliefs x 40 steps")
    free["bytes"] = None
    t._check_vae_memory()


@pytest.mark.slow
def test_a_vae_step_past_the_free_memory_is_refused_in_one_line(tiny_data, tmp_path, monkeypatch):
    """Sequences of 2000 steps without borel_elbo_terms ran the CPU out of memory (24 GiB): killed without a word. The
    tiny run's step (4 tasks x 8 sequences, 2 episodes of 20 steps: 32 x 41 x 40 pairs, 26 MiB) against 10 MiB free
    is refused before its first VAE step; with borel_elbo_terms 5 (32 x 5 x 40 pairs, 3 MiB) it trains."""
    monkeypatch.chdir(tiny_data.parent.parent)
    monkeypatch.setattr(borel, "free_bytes", lambda device: 10 * 2**20)
    with pytest.raises(UserError) as refused:
        MetaTrainer(prepare(_tiny(tmp_path, "big"), 0, DEV), show_progress=False).run()
    assert str(refused.value).startswith(
        "BOREL's VAE step decodes 32 sequences x 41 beliefs x 40 steps, about 26 MiB, more than the 10 MiB free on cpu"
    )
    assert "borel_elbo_terms" in str(refused.value) and "\n" not in str(refused.value)
    MetaTrainer(prepare(_tiny(tmp_path, "small", borel_elbo_terms=5), 0, DEV), show_progress=False).run()
    assert (tmp_path / "point-robot" / "small" / "seed0" / "progress.csv").is_file()
