"""The baselines with their own encoder objective (docs/algorithm.md, "Baselines and variants"): CORRO, UNICORN_SS,
UNICORN_SUP. Their losses on hand-made tensors, which parameters each update moves, the keys each method reads,
a tiny end-to-end run each, and that z stays context dependent after a few hundred steps on the tests' data."""

import dataclasses
import json
import math

import numpy as np
import pandas as pd
import pytest
import torch
from torch.nn import functional as F

from rlkit.config import ALGO_TYPES, METHOD_KEYS, AlgoParams, load_config, parse_override_args
from rlkit.errors import UserError
from rlkit.experiment import MetaTrainer, prepare
from rlkit.torch.csro import corro, losses, unicorn
from rlkit.torch.csro.trainer import CSROTrainer, TrainerSettings
from rlkit.torch.csro.unicorn import Decoder
from tests.conftest import ROOT, TINY_CONFIG
from tests.test_gradient_flow import (
    ACT,
    OBS,
    assert_detached,
    changed,
    extra_batches,
    make_inputs,
    make_trainer,
    snapshot,
    step_timeline,
)

SUP = {"algo_type": "UNICORN_SUP", "n_train_tasks": 3, "n_eval_tasks": 1, "meta_batch": 3, "interpolation": False}


def corro_inputs(T=3, b=8, B=5, seed=0):
    """`make_inputs` with (s, a, r, s') context rows, as CORRO reads them."""
    tasks, context, batch = make_inputs(T, b, B, seed)
    next_obs = torch.randn(T, b, OBS, generator=torch.Generator().manual_seed(seed + 100))
    return tasks, torch.cat([context, next_obs], dim=-1), batch


# ---- the losses, by hand --------------------------------------------------------------------------------------


def test_infonce_by_hand():
    q, k = torch.tensor([[1.0, 0.0]], dtype=torch.float64), torch.tensor([[1.0, 0.0]], dtype=torch.float64)
    neg = torch.tensor([[[0.0, 1.0], [-1.0, 0.0]]], dtype=torch.float64)  # logits / 0.1: [10, 0, -10]
    expected = math.log(math.exp(10) + 1 + math.exp(-10)) - 10
    assert corro.infonce_loss(q, k, neg, 0.1).item() == pytest.approx(expected, rel=1e-5)
    # two queries: the mean of each query's -log softmax at its positive
    q2, k2 = torch.tensor([[1.0, 0.0], [0.0, 1.0]]), torch.tensor([[0.0, 1.0], [0.0, 1.0]])
    neg2 = torch.tensor([[[1.0, 0.0]], [[1.0, 0.0]]])  # query 0: pos 0, neg 1; query 1: pos 1, neg 0 (temperature 1)
    expected2 = ((math.log(1 + math.e) - 0) + (math.log(math.e + 1) - 1)) / 2
    assert corro.infonce_loss(q2, k2, neg2, 1.0).item() == pytest.approx(expected2, rel=1e-6)


def test_reward_randomized_negatives_change_only_the_reward():
    rows = torch.arange(2 * 7, dtype=torch.float32).reshape(2, 7)  # (s, a, r, s') with |S| = |A| = 2: r in column 4
    neg = corro.reward_randomized_negatives(rows, 3, 4, 0.5, torch.Generator().manual_seed(0))
    noise = torch.randn(2, 3, generator=torch.Generator().manual_seed(0))
    assert neg.shape == (2, 3, 7)
    torch.testing.assert_close(neg[..., 4], rows[:, None, 4] + 0.5 * noise)
    keep = [0, 1, 2, 3, 5, 6]
    assert torch.equal(neg[..., keep], rows[:, None, keep].expand(2, 3, 6))


def test_corro_encoder_is_unit_norm_and_aggregates_by_attention_by_hand():
    settings = corro.CorroSettings("attention", pretrain_steps=0, reward_std=0.5, negatives="reward", cvae_steps=0)
    enc = corro.CorroEncoder(obs_dim=2, action_dim=0, context_dim=5, latent_dim=2, settings=settings)
    e = enc(torch.randn(3, 4, 5))
    torch.testing.assert_close(e.norm(dim=-1), torch.ones(3, 4))
    with torch.no_grad():  # score = 2 e_1 + 0 e_2
        enc.attention.layers[0].weight.copy_(torch.tensor([[2.0, 0.0]]))
        enc.attention.layers[0].bias.zero_()
    e = torch.tensor([[[1.0, 0.0], [0.0, 1.0]]])  # scores 2, 0
    w = math.exp(2) / (math.exp(2) + 1)
    torch.testing.assert_close(enc.aggregate(e), torch.tensor([[w, 1 - w]]))
    mean = corro.CorroEncoder(2, 0, 5, 2, dataclasses.replace(settings, aggregator="mean"))
    assert mean.attention is None and torch.equal(mean.aggregate(e), torch.tensor([[0.5, 0.5]]))


def test_corro_contrastive_loss_pairs_each_query_with_its_positive_and_its_own_negatives(monkeypatch):
    """CORRO's InfoNCE of one step, by hand: per task, query i is context row i, its positive row n + i (another draw
    of the task's data), its negatives rows with query i's own (s, a) (what the negative sampler is given), all at
    temperature 0.1. (`infonce_loss` alone is tested by hand; which rows went where was not: a positive equal to
    the query, negatives of the positives' (s, a) or a temperature of 1 passed every test.)"""
    settings = corro.CorroSettings("attention", pretrain_steps=0, reward_std=0.5, negatives="reward", cvae_steps=0)
    enc = corro.CorroEncoder(2, 2, 7, 3, settings, generator=torch.Generator().manual_seed(0))
    g = torch.Generator().manual_seed(1)
    T, b, C = 2, 6, 7
    n = corro.queries_per_task(T, b)
    context = torch.randn(T, b, C, generator=g)
    negatives = torch.randn(T * n, corro.NEGATIVES, C, generator=g)
    given = []

    def sampler(rows, count, reward_col, std, generator):
        given.append(rows.clone())
        return negatives

    monkeypatch.setattr(corro, "reward_randomized_negatives", sampler)
    e = enc(context)
    got = corro.contrastive_loss(enc, e, context, 4, settings, torch.Generator())
    assert torch.equal(given[0], context[:, :n].reshape(T * n, C))  # each query's own row: its (s, a)
    neg_e = enc(negatives)
    terms = []
    for t in range(T):
        for i in range(n):
            q, k = e[t, i], e[t, n + i]
            logits = torch.cat([(q * k).sum()[None], neg_e[t * n + i] @ q]) / 0.1
            terms.append(torch.logsumexp(logits, 0) - logits[0])
    assert corro.TEMPERATURE == 0.1 and n == 3
    by_hand = torch.stack(terms).mean()
    torch.testing.assert_close(got, by_hand)
    # its gradient too, at the queries and at the positives (a detached key gave the same value, and no gradient
    # through the positives)
    grad, hand_grad = (torch.autograd.grad(x, e, retain_graph=True)[0] for x in (got, by_hand))
    torch.testing.assert_close(grad, hand_grad)
    assert grad[:, n : 2 * n].abs().sum() > 0 and grad[:, :n].abs().sum() > 0


def test_corro_cvae_loss_reads_its_targets_from_the_rows_and_draws_w_by_reparameterisation():
    """`CVAE.loss` on (s, a, r, s') rows: w = mean + exp(logvar / 2) eps (eps from the generator), the decoder fed
    (s, a, w), and the targets r (the column after (s, a)) and s' (the columns after r), by hand; and its gradients to
    every weight of the encoder and decoder are the hand loss's: the values alone passed with w detached from the
    encoder's mean (or the decoder fed w.detach(): the reconstruction not training the encoder), or the KL on a
    detached mean, all of which leave w without the task's information and the negatives without the tasks'."""
    enc = corro.CVAE(2, 1, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():  # a posterior far from N(0, 1): a std of exp(logvar) would differ from exp(logvar / 2)
        enc.encoder.layers[-1].bias.copy_(torch.tensor([0.5] * enc.latent + [1.5] * enc.latent))
    rows = torch.randn(2, 4, 2 + 1 + 1 + 2, generator=torch.Generator().manual_seed(1))
    got = enc.loss(rows, torch.Generator().manual_seed(7))
    flat = rows.reshape(8, 6)
    mean, logvar = enc.encoder(flat).chunk(2, dim=-1)
    eps = torch.randn(mean.shape, generator=torch.Generator().manual_seed(7))
    out = enc.decoder(torch.cat([flat[:, :3], mean + torch.exp(logvar / 2) * eps], dim=-1))
    s_pred, r_pred = out[:, :2], out[:, 2:]
    kl = -0.5 * (1 + logvar - mean**2 - logvar.exp()).sum(-1)
    expected = 0.2 * kl.mean() + ((s_pred - flat[:, 4:]) ** 2).mean() + ((r_pred - flat[:, 3:4]) ** 2).mean()
    torch.testing.assert_close(got, expected)
    params = list(enc.parameters())
    for g, want in zip(torch.autograd.grad(got, params), torch.autograd.grad(expected, params)):
        torch.testing.assert_close(g, want)


def test_corro_standardize_feeds_e1_the_standardised_rows():
    """With `standardize`, E1 of rows x is the plain encoder (same weights) of (x - mean) / std; the statistics are
    saved with the agent, and a faithful encoder has none (its checkpoints keep their keys)."""
    settings = corro.CorroSettings("attention", pretrain_steps=0, reward_std=0.5, negatives="reward", cvae_steps=0)
    plain = corro.CorroEncoder(2, 0, 5, 2, settings, generator=torch.Generator().manual_seed(0))
    std_enc = corro.CorroEncoder(
        2, 0, 5, 2, dataclasses.replace(settings, standardize=True), generator=torch.Generator().manual_seed(0)
    )
    mean, std = torch.tensor([1.0, -2.0, 0.0, 3.0, 5.0]), torch.tensor([2.0, 0.5, 1.0, 4.0, 10.0])
    std_enc.set_input_stats(mean, std)
    x = torch.randn(3, 4, 5) * 10
    torch.testing.assert_close(std_enc(x), plain((x - mean) / std))
    assert not torch.allclose(std_enc(x), plain(x))
    assert {"input_mean", "input_std"} <= set(std_enc.state_dict()) and "input_mean" not in plain.state_dict()
    with pytest.raises(ValueError, match="without corro_standardize"):
        plain.set_input_stats(mean, std)


def test_cvae_loss_by_hand():
    s_pred, r_pred, s_true, r_true = (
        torch.tensor([[1.0, 2.0]]),
        torch.tensor([[0.0]]),
        torch.tensor([[1.0, 0.0]]),
        torch.tensor([[2.0]]),
    )
    mean, logvar = torch.tensor([[1.0, 0.0]]), torch.tensor([[0.0, math.log(2.0)]])
    kl = -0.5 * ((1 + 0 - 1 - 1) + (1 + math.log(2.0) - 0 - 2))  # sum over w's two dims
    expected = 0.2 * kl + (0 + 4) / 2 + 4
    got = corro.cvae_loss(s_pred, r_pred, s_true, r_true, mean, logvar, 0.2)
    assert got.item() == pytest.approx(expected, rel=1e-6)


def test_cvae_negatives_keep_the_query_state_action():
    cvae = corro.CVAE(obs_dim=2, action_dim=2, generator=torch.Generator().manual_seed(0))
    rows = torch.randn(3, 7)
    neg = cvae.negatives(rows, 4, torch.Generator().manual_seed(1))
    assert neg.shape == (3, 4, 7) and not neg.requires_grad
    assert torch.equal(neg[..., :4], rows[:, None, :4].expand(3, 4, 4))
    s_next, r = cvae.decode(
        rows[:, None, :4].expand(3, 4, 4), torch.randn(3, 4, 5, generator=torch.Generator().manual_seed(1))
    )
    torch.testing.assert_close(neg[..., 4:5], r)
    torch.testing.assert_close(neg[..., 5:], s_next)
    assert not torch.allclose(neg[:, 0], neg[:, 1])  # another w, another (r, s')


def test_decoder_loss_by_hand():
    delta_pred, obs, next_obs = torch.tensor([[1.0, 1.0]]), torch.tensor([[1.0, -1.0]]), torch.tensor([[2.0, 2.0]])
    reward_pred, rewards = torch.tensor([[0.5]]), torch.tensor([[1.5]])
    # s' - s = (1, 3); state: mean((1 - 1)^2, (1 - 3)^2) = 2; reward: (0.5 - 1.5)^2 = 1
    assert unicorn.decoder_loss(delta_pred, reward_pred, obs, next_obs, rewards).item() == pytest.approx(3.0)


def test_unicorn_ss_loss_is_decoder_plus_beta_focal():
    g = torch.Generator().manual_seed(0)
    dec = unicorn.Decoder(latent_dim=3, obs_dim=2, action_dim=2, generator=g)
    z, ids = torch.randn(2, 3, generator=g), torch.tensor([0, 1])
    obs, act, r, nxt = (torch.randn(4, d, generator=g) for d in (2, 2, 1, 2))  # 2 rows per task
    z_rows = z[[0, 0, 1, 1]]
    delta, r_pred = dec(z_rows, obs, act)
    expected = unicorn.decoder_loss(delta, r_pred, obs, nxt, r) + 0.15 * losses.focal_metric_loss(z, ids)
    total, recon = unicorn.self_supervised_loss(dec, z, ids, obs, act, r, nxt, beta=0.15)
    assert total.item() == pytest.approx(expected.item(), rel=1e-6)
    assert recon.item() == pytest.approx(unicorn.decoder_loss(delta, r_pred, obs, nxt, r).item(), rel=1e-6)


# ---- gradient flow --------------------------------------------------------------------------------------------

TAIL = ["step qf", "step encoder", "vf", "step vf", "policy", "step policy"]


@pytest.mark.parametrize(
    "overrides, inputs, expected",
    [
        # InfoNCE builds E1's gradients, the critic's loss E2's (both in the agent's `encoder`) and Q's
        ({"algo_type": "CORRO"}, corro_inputs, ["encoder", "qf", "encoder"] + TAIL),
        ({"algo_type": "CORRO", "corro_aggregator": "mean"}, corro_inputs, ["encoder", "qf"] + TAIL),  # no E2
        ({"algo_type": "CORRO", "corro_pretrain_steps": 1}, corro_inputs, ["encoder", "step encoder"]),  # stage 1
        (
            {"algo_type": "CORRO", "corro_negatives": "generative"},
            corro_inputs,
            ["encoder", "step encoder"],
        ),  # the CVAE
        (
            {"algo_type": "UNICORN_SS"},
            make_inputs,
            ["decoder", "encoder", "qf"] + TAIL,
        ),  # one backward: decoder + encoder
        (SUP, make_inputs, ["classifier", "encoder", "qf"] + TAIL),  # CLASSIFIER's step without the CLUB net's
    ],
)
def test_each_backward_builds_gradients_for_what_is_stepped_next(overrides, inputs, expected):
    tr = make_trainer(**overrides)
    assert step_timeline(tr, *inputs(), extra_batches(tr)) == expected


def grad_sources(tr, params, *inputs) -> list[int]:
    """How many backward passes add to each of `params`' gradients in one `train_step`."""
    counts = [0] * len(params)
    handles = [
        p.register_post_accumulate_grad_hook(lambda _, i=i: counts.__setitem__(i, counts[i] + 1))
        for i, p in enumerate(params)
    ]
    tr.train_step(*inputs)
    for h in handles:
        h.remove()
    return counts


def test_corro_critic_trains_the_aggregator_not_the_transition_encoder():
    """E1 gets one gradient per step (InfoNCE's), E2 one (the critic's): z = E2(sg E1)."""
    tr = make_trainer(algo_type="CORRO")
    e1, e2 = list(tr.agent.encoder.transition.parameters()), list(tr.agent.encoder.attention.parameters())
    assert grad_sources(tr, e1 + e2, *corro_inputs()) == [1] * (len(e1) + len(e2))
    for p in e1 + e2:
        p.grad = None
    lat = tr.latents(corro_inputs()[1], rows_per_task=5)
    lat.critic_rows.sum().backward()
    assert all(p.grad is None for p in e1) and all(p.grad is not None for p in e2)
    assert not lat.rows.requires_grad


def test_corro_schedule_trains_e1_alone_then_freezes_it():
    tr = make_trainer(algo_type="CORRO", corro_pretrain_steps=2)
    e1 = tr.agent.encoder.transition
    for step in range(3):
        before = {k: snapshot(m) for k, m in tr.modules().items()}
        e1_before, e2_before = snapshot(e1), snapshot(tr.agent.encoder.attention)
        rec = tr.train_step(*corro_inputs(seed=step))
        moved = {k for k, m in tr.modules().items() if changed(m, before[k])}
        if step < 2:  # stage 1: E1 only
            assert moved == {"agent"} and changed(e1, e1_before) and not changed(tr.agent.encoder.attention, e2_before)
            assert rec.qf_loss.item() == 0.0 and rec.z_loss.item() > 0
        else:  # stage 2: E1 frozen, the actor-critic and E2 train
            assert moved == {"agent", "qf", "vf", "target_vf"} and not changed(e1, e1_before)
            assert changed(tr.agent.encoder.attention, e2_before) and rec.z_loss.item() > 0  # InfoNCE still logged
    assert int(tr.agent.encoder.steps) == 3
    assert int(tr.state_dict()["modules"]["agent"]["encoder.steps"]) == 3  # resumes in the right stage


def test_corro_generative_stages_cvae_then_infonce_with_its_negatives():
    tr = make_trainer(algo_type="CORRO", corro_negatives="generative", corro_cvae_steps=2)
    enc = tr.agent.encoder
    for step in range(4):
        cvae, e1, e2 = snapshot(enc.cvae), snapshot(enc.transition), snapshot(enc.attention)
        qf = snapshot(tr.qf)
        rec = tr.train_step(*corro_inputs(seed=step))
        assert changed(enc.cvae, cvae) == (step < 2) and changed(tr.qf, qf) == (step >= 2)
        assert changed(enc.transition, e1) == (step >= 2) and changed(enc.attention, e2) == (step >= 2)
        assert rec.z_loss.item() > 0
    calls = []
    enc.cvae.decoder.register_forward_hook(lambda *_: calls.append(1))
    tr.train_step(*corro_inputs(seed=5))
    assert calls  # the negatives come from the CVAE


def test_corro_joint_training_moves_e1_at_every_step():
    tr = make_trainer(algo_type="CORRO")
    for seed in range(2):
        e1 = snapshot(tr.agent.encoder.transition)
        tr.train_step(*corro_inputs(seed=seed))
        assert changed(tr.agent.encoder.transition, e1)


def test_unicorn_ss_moves_encoder_and_decoder_not_through_the_critic():
    tr = make_trainer(algo_type="UNICORN_SS")
    enc = list(tr.agent.encoder.parameters())
    assert grad_sources(tr, enc, *make_inputs()) == [1] * len(enc)  # the decoder + metric loss only
    before = {k: snapshot(m) for k, m in tr.modules().items()}
    rec = tr.train_step(*make_inputs(seed=1))
    moved = {k for k, m in tr.modules().items() if changed(m, before[k])}
    assert moved == {"agent", "decoder", "qf", "vf", "target_vf"}
    assert rec.club_loss.item() == 0.0 and rec.z_loss.item() > 0


def test_unicorn_ss_with_allow_backward_z_adds_the_critics_gradient_to_the_encoder():
    """allow_backward_z: the critic's loss reaches the encoder too (its graph kept through the decoder's backward),
    so one step moves the encoder otherwise than without it."""
    encoders = []
    for backward_z in (False, True):
        tr = make_trainer(algo_type="UNICORN_SS", allow_backward_z=backward_z)
        tr.train_step(*make_inputs())
        encoders.append(snapshot(tr.agent.encoder))
    assert any(not torch.equal(p, q) for p, q in zip(*encoders, strict=True))


def test_unicorn_ss_decodes_the_reward_the_context_carries(monkeypatch):
    """Under sparse_rewards the encoder reads the sparse reward; UNICORN's decoder reconstructs the context's
    transitions, so it predicts that reward too, not the dense one the critic learns."""
    tr = make_trainer(algo_type="UNICORN_SS")
    tasks, context, batch = make_inputs()
    batch = dataclasses.replace(batch, context_rewards=(batch.rewards > 0).to(batch.rewards.dtype))
    seen = []
    real = unicorn.self_supervised_loss
    monkeypatch.setattr(unicorn, "self_supervised_loss", lambda *a: seen.append(a[5]) or real(*a))
    tr.train_step(tasks, context, batch)
    (rewards,) = seen
    torch.testing.assert_close(rewards, batch.context_rewards.reshape(-1, 1))


@pytest.mark.parametrize(
    "config, beta, hidden",
    [  # UNICORN's offline_rl_config/args_*.py: beta_encoder and aggregator_hidden_size
        ("cheetah-vel.json", 0.15, 64),
        ("ant-dir.json", 0.15, 64),
        ("cheetah-dir.json", 0.01, 64),
        ("hopper_rand_params.json", 1.5, 128),
        ("walker_rand_params.json", 0.7, 128),
        ("point-robot.json", 0.15, 64),  # no UNICORN config: the keys' defaults
    ],
)
def test_unicorn_ss_takes_unicorns_settings_for_the_env_unless_given(config, beta, hidden):
    """UNICORN sets beta_encoder and its decoder's width per env; they were 0.15 and 64 everywhere (15x its weight
    on cheetah-dir, a tenth of it on hopper). variant.json records the values used, and a value given wins."""
    cfg = load_config(ROOT / "configs" / config, parse_override_args(["--algo_type", "UNICORN_SS"]))
    assert (cfg.algo_params.unicorn_beta, cfg.algo_params.unicorn_decoder_hidden) == (beta, hidden)
    tr = CSROTrainer(TrainerSettings.from_config(cfg, range(30)), 3, 2, torch.device("cpu"), seed=0)
    weights = [tuple(p.shape) for p in tr.decoder.parameters() if p.dim() == 2]  # z, s, a -> h -> h -> s', r
    assert tr.settings.unicorn_beta == beta and weights[1] == (hidden, hidden) and hidden in weights[0]
    given = ["--algo_type", "UNICORN_SS", "--unicorn_beta", "0.15", "--unicorn_decoder_hidden", "64"]
    assert load_config(ROOT / "configs" / config, parse_override_args(given)).algo_params.unicorn_beta == 0.15
    assert load_config(ROOT / "configs" / config, {}).algo_params.unicorn_beta == 0.15  # other methods: untouched


def test_unicorn_sup_is_the_classifier_without_club():
    cfg = load_config(None, parse_override_args(["--algo_type", "UNICORN_SUP"]))
    settings = TrainerSettings.from_config(cfg, [4, 1, 7])
    assert settings.classifier_tasks == (4, 1, 7) and not settings.use_club and not settings.use_focal
    tr = make_trainer(**SUP)
    before = {k: snapshot(m) for k, m in tr.modules().items()}
    rec = tr.train_step(*make_inputs())
    assert {k for k, m in tr.modules().items() if changed(m, before[k])} == {
        "agent",
        "classifier",
        "qf",
        "vf",
        "target_vf",
    }
    assert rec.club_loss.item() == 0.0 and rec.club_model_loss.item() == 0.0 and rec.z_loss.item() > 0


@pytest.mark.parametrize("overrides", [{"algo_type": "CORRO"}, {"algo_type": "UNICORN_SS"}, SUP])
def test_optimizers_step_every_module_parameter_once(overrides):
    tr = make_trainer(**overrides)
    stepped = [p for opt in tr.optimizers().values() for group in opt.param_groups for p in group["params"]]
    trainable = [p for name, m in tr.modules().items() if name != "target_vf" for p in m.parameters()]
    assert len(stepped) == len({id(p) for p in stepped}) == len(trainable)
    assert {id(p) for p in stepped} == {id(p) for p in trainable}


# ---- capture safety -------------------------------------------------------------------------------------------

GENERATIVE_STAGES = {"algo_type": "CORRO", "corro_negatives": "generative", "corro_cvae_steps": 2}


@pytest.mark.parametrize(
    "overrides, inputs, stages",
    [
        ({"algo_type": "CORRO"}, corro_inputs, ["joint"] * 3),
        (
            {**GENERATIVE_STAGES, "corro_pretrain_steps": 2},
            corro_inputs,
            ["cvae"] * 2 + ["pretrain"] * 2 + ["frozen"] * 2,
        ),
        (GENERATIVE_STAGES, corro_inputs, ["cvae"] * 2 + ["joint"] * 2),
        ({"algo_type": "UNICORN_SS"}, make_inputs, [None] * 3),
        (SUP, make_inputs, [None] * 3),
    ],
    ids=["CORRO", "CORRO-stages", "CORRO-cvae-joint", "UNICORN_SS", "UNICORN_SUP"],
)
def test_every_baseline_step_is_capture_safe(overrides, inputs, stages):
    """Each step, in each of CORRO's stages, reads nothing on the host once its branch is pinned (`branch`: the
    stage at `steps_taken` + i, read once per iteration), which names the captured graph (the runner's key). A
    stage's first step runs unguarded: it makes the optimiser state of what it trains (CPU step counters)."""
    from rlkit.torch import graphs

    tr = make_trainer(**overrides)
    first = tr.steps_taken()
    for i, stage in enumerate(stages):
        assert tr.branch(None if first is None else first + i) == stage
        if i and stages[i - 1] == stage:
            with graphs.no_host_reads(graphs.host_step_counters(tr.optimizers().values())):
                record = tr.train_step(*inputs(seed=i), extra_batches(tr))
        else:
            record = tr.train_step(*inputs(seed=i), extra_batches(tr))
        assert_detached(record)  # as every method's (tests/test_graphs.py)
    tr.branch(None)
    assert tr.steps_taken() in (None, len(stages))


# ---- the keys each method reads -------------------------------------------------------------------------------


def test_method_key_table_names_real_keys_and_every_algo_type():
    assert set(METHOD_KEYS) == set(ALGO_TYPES)
    fields = set(AlgoParams.__dataclass_fields__)
    assert set().union(*METHOD_KEYS.values()) <= fields


@pytest.mark.parametrize(
    "algo, key, value, readers",
    [
        ("CORRO", "club_loss_weight", "50", "CSRO, CLASSIFIER"),
        ("CORRO", "use_hvar", "true", "CSRO, FOCAL, OFFPEARL, CLASSIFIER, UNICORN_SS, UNICORN_SUP"),
        ("CORRO", "use_FOCAL_cl", "false", "CSRO, FOCAL"),
        ("UNICORN_SS", "z_loss_weight", "3", "CSRO, FOCAL, CLASSIFIER, UNICORN_SUP"),
        ("UNICORN_SUP", "use_club", "false", "CSRO, CLASSIFIER"),
        ("FOCAL", "club_loss_weight", "50", "CSRO, CLASSIFIER"),
        ("CSRO", "corro_aggregator", "mean", "CORRO"),
        ("OFFPEARL", "unicorn_beta", "0.3", "UNICORN_SS"),
    ],
)
def test_a_key_the_method_does_not_read_is_refused_unless_at_its_default(algo, key, value, readers):
    with pytest.raises(
        UserError,
        match=rf"^algo_params\.{key} .*: algo_type '{algo}' does not use it .*"
        rf"read by {readers}\)$",
    ):
        load_config(None, parse_override_args(["--algo_type", algo, f"--{key}", value]))
    default = load_config(None, {})
    same = str(getattr(default.algo_params, key)).lower()
    unset = load_config(None, parse_override_args(["--algo_type", algo])).algo_params  # (CORRO sets allow_backward_z)
    assert getattr(
        load_config(None, parse_override_args(["--algo_type", algo, f"--{key}", same])).algo_params, key
    ) == getattr(unset, key)


def test_keys_the_method_reads_and_the_config_files_values_are_accepted():
    cfg = load_config(
        None,
        parse_override_args(
            [
                "--algo_type",
                "CORRO",
                "--corro_aggregator",
                "mean",
                "--corro_pretrain_steps",
                "100",
                "--corro_reward_std",
                "0.2",
            ]
        ),
    )
    assert (cfg.algo_params.corro_aggregator, cfg.algo_params.corro_pretrain_steps) == ("mean", 100)
    assert (
        load_config(
            None, parse_override_args(["--algo_type", "UNICORN_SS", "--unicorn_beta", "0.3"])
        ).algo_params.unicorn_beta
        == 0.3
    )
    # cheetah-vel's file sets CSRO's club_loss_weight 10: a baseline runs on the same file
    assert load_config(ROOT / "configs" / "cheetah-vel.json", {"algo_type": "CORRO"}).algo_params.club_loss_weight == 10


@pytest.mark.parametrize(
    "config, args, message",
    [
        (  # point-robot: 'auto' draws reward-randomised negatives, and no CVAE trains
            "point-robot.json",
            ["--corro_cvae_steps", "100"],
            "algo_params.corro_cvae_steps 100 with reward negatives (corro_negatives 'auto' on 'point-robot'): "
            "expected its value 5000 (only read with generative negatives)",
        ),
        (
            "point-robot.json",
            ["--corro_negatives", "generative", "--corro_reward_std", "0.3"],
            "algo_params.corro_reward_std 0.3 with generative negatives (corro_negatives 'generative'): expected "
            "its value 0.5 (only read with reward negatives)",
        ),
        (  # a dynamics family: 'auto' is generative there
            "walker_rand_params.json",
            ["--corro_reward_std", "0.2"],
            "algo_params.corro_reward_std 0.2 with generative negatives (corro_negatives 'auto' on "
            "'walker-rand-params'): expected its value 0.5 (only read with reward negatives)",
        ),
    ],
)
def test_corro_keys_of_the_negatives_it_does_not_draw_are_refused(config, args, message):
    """corro_cvae_steps is read with generative negatives only, corro_reward_std with reward ones only: an override
    of the other kind's key was accepted and did nothing. A run made with one before still resumes."""
    from rlkit.config import config_from_variant
    from rlkit.run_folder import config_differences

    with pytest.raises(UserError) as info:
        load_config(ROOT / "configs" / config, parse_override_args(["--algo_type", "CORRO", *args]))
    assert str(info.value) == message
    for ok in (["--corro_negatives", "generative", "--corro_cvae_steps", "100"], ["--corro_reward_std", "0.3"]):
        assert load_config(ROOT / "configs" / "point-robot.json", parse_override_args(["--algo_type", "CORRO", *ok]))
    cfg = load_config(ROOT / "configs" / "point-robot.json", {"algo_type": "CORRO"})
    old = json.loads(json.dumps(cfg.to_dict()))
    old["algo_params"]["corro_cvae_steps"] = 100  # accepted, and unread, before the refusal
    assert config_differences(old, cfg.to_dict()) == [] and config_from_variant(old).algo_params.corro_cvae_steps == 100
    # a reproduction profile's shrunk CVAE steps reach CORRO where it draws generative negatives only
    from rlkit.config import overrides_read_by

    shrunk = {"algo_params": {"corro_cvae_steps": 10, "corro_reward_std": 0.3}}
    assert overrides_read_by("CORRO", shrunk, "point-robot") == {"algo_params": {"corro_reward_std": 0.3}}
    assert overrides_read_by("CORRO", shrunk, "walker-rand-params") == {"algo_params": {"corro_cvae_steps": 10}}
    generative = {"algo_params": {"corro_negatives": "generative"}}  # a method's own setting, after the profile's
    assert overrides_read_by("CORRO", shrunk, "point-robot", generative) == {"algo_params": {"corro_cvae_steps": 10}}


def test_the_dynamics_families_are_the_registrys():
    from rlkit.config import DYNAMICS_FAMILIES
    from rlkit.tasks import ENVS, env_class

    dynamics = {name for name in ENVS if env_class(name).tasks_differ_in == "dynamics"}
    assert set(DYNAMICS_FAMILIES) == dynamics, f"rlkit.config.DYNAMICS_FAMILIES: expected {sorted(dynamics)}"


def test_corro_reads_next_observations():
    assert load_config(None, {"algo_type": "CORRO"}).algo_params.use_next_obs_in_context
    assert not load_config(None, {"algo_type": "UNICORN_SS"}).algo_params.use_next_obs_in_context


@pytest.mark.parametrize(
    "overrides, message",
    [
        (["--corro_aggregator", "max"], "algo_params.corro_aggregator 'max': expected one of ['attention', 'mean']"),
        (["--corro_reward_std", "0"], "algo_params.corro_reward_std 0.0: expected a value in > 0"),
        (["--corro_pretrain_steps", "-1"], "algo_params.corro_pretrain_steps -1: expected a value in >= 0"),
        (
            ["--corro_negatives", "gt"],
            "algo_params.corro_negatives 'gt': expected one of ['auto', 'reward', 'generative']",
        ),
        (["--corro_cvae_steps", "0"], "algo_params.corro_cvae_steps 0: expected a value in >= 1"),
    ],
)
def test_bad_corro_values_are_one_line(overrides, message):
    with pytest.raises(UserError, match=message.replace("(", r"\(").replace("[", r"\[")):
        load_config(None, parse_override_args(["--algo_type", "CORRO", *overrides]))


@pytest.mark.parametrize(
    "config, negatives, resolved",
    [
        ("hopper_rand_params.json", "auto", "generative"),
        ("walker_rand_params.json", "auto", "generative"),
        ("point-robot-wind.json", "auto", "generative"),  # one goal for every task: only the wind differs
        ("point-robot.json", "auto", "reward"),
        ("cheetah-vel.json", "auto", "reward"),
        ("point-robot.json", "generative", "generative"),
        ("walker_rand_params.json", "generative", "generative"),
    ],
)
def test_corro_negatives_by_family(config, negatives, resolved):
    cfg = load_config(ROOT / "configs" / config, {"algo_type": "CORRO", "algo_params": {"corro_negatives": negatives}})
    settings = TrainerSettings.from_config(cfg, range(30)).corro
    assert settings.negatives == resolved and settings.cvae_steps == (5000 if resolved == "generative" else 0)


@pytest.mark.parametrize(
    "config, env", [("hopper_rand_params.json", "hopper-rand-params"), ("point-robot-wind.json", "point-robot-wind")]
)
def test_reward_negatives_on_a_dynamics_family_are_refused(config, env):
    """At load, before the data is read (a launch, show_path and reproduce's plan all refuse it)."""
    with pytest.raises(
        UserError,
        match=rf"^algo_params\.corro_negatives 'reward' on '{env}': its tasks "
        r"differ in dynamics.*expected 'auto' or 'generative'",
    ) as err:
        load_config(ROOT / "configs" / config, {"algo_type": "CORRO", "algo_params": {"corro_negatives": "reward"}})
    assert "\n" not in str(err.value)


def test_a_run_made_before_its_family_counted_as_dynamics_is_still_read():
    """point-robot-wind joined the dynamics families on 2026-12-04: a CORRO run recorded with reward negatives there
    before is read (report, show_path, resume) as it was made, as every check added since a run was made."""
    from rlkit.config import config_from_variant

    cfg = load_config(ROOT / "configs" / "point-robot-wind.json", {"algo_type": "CORRO"})
    old = cfg.to_dict()
    old["algo_params"]["corro_negatives"] = "reward"
    assert config_from_variant(old).algo_params.corro_negatives == "reward"


# ---- end to end, and z after a few hundred steps -------------------------------------------------------------


def _tiny(tmp_path, algo, **algo_params):
    return load_config(
        TINY_CONFIG,
        {
            "algo_type": algo,
            "algo_params": dict({"num_iterations": 1}, **algo_params),
            "util_params": {"exp_name": algo, "base_log_dir": str(tmp_path)},
        },
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    "algo, extra",
    [
        ("CORRO", {}),
        ("CORRO", {"corro_pretrain_steps": 5}),
        ("CORRO", {"corro_negatives": "generative", "corro_cvae_steps": 3, "corro_pretrain_steps": 3}),
        ("CORRO", {"corro_standardize": True}),
        ("UNICORN_SS", {}),
        ("UNICORN_SUP", {}),
    ],
)
def test_tiny_run(tiny_data, tmp_path, monkeypatch, algo, extra):
    monkeypatch.chdir(tiny_data.parent.parent)
    MetaTrainer(prepare(_tiny(tmp_path, algo, **extra), 0, torch.device("cpu")), show_progress=False).run()
    df = pd.read_csv(tmp_path / "point-robot" / algo / "seed0" / "progress.csv")
    assert len(df) == 1 and np.isfinite(df.to_numpy()).all() and (df["Z Loss"] > 0).all()


@pytest.mark.slow
def test_corro_standardize_takes_the_training_datas_statistics(tiny_data, tmp_path, monkeypatch):
    """The run's E1 standardises by the training buffer's (s, a, r, s') column statistics, not by the test tasks'."""
    monkeypatch.chdir(tiny_data.parent.parent)
    setup = prepare(_tiny(tmp_path, "CORRO", corro_standardize=True), 0, torch.device("cpu"))
    enc = MetaTrainer(setup, show_progress=False).trainer.agent.encoder
    mean, std = setup.train_buffer.context_stats(use_next_obs=True)
    assert torch.equal(enc.input_mean, mean) and torch.equal(enc.input_std, std)
    assert not torch.equal(mean, setup.eval_buffer.context_stats(use_next_obs=True)[0])


def test_corro_with_a_one_row_context_is_refused_in_one_line():
    """CORRO's positive is another row of the task's context: with one row it reshaped 0 elements at its first step."""

    with pytest.raises(UserError, match=r"^algo_params.embedding_batch_size 1 with algo_type CORRO: expected >= 2"):
        load_config(None, parse_override_args(["--algo_type", "CORRO", "--embedding_batch_size", "1"]))
    assert load_config(None, parse_override_args(["--embedding_batch_size", "1"])).algo_params.embedding_batch_size == 1


TIMING = ["Train Time (s)", "(Previous) Eval Time (s)", "Epoch Time (s)", "Total Train Time (s)"]


@pytest.mark.slow
@pytest.mark.parametrize(
    "algo_type, algo",
    [
        ("FOCAL", {}),
        ("OFFPEARL", {}),
        ("OFFPEARL", {"sample_z_at_test": True}),
        ("CLASSIFIER", {}),
        ("UNICORN_SS", {}),
        ("UNICORN_SUP", {}),
        ("CORRO", {"corro_negatives": "generative", "corro_cvae_steps": 5, "corro_pretrain_steps": 5}),
        # stopped inside the CVAE stage (step 10 of 12), the resumed iteration crossing both stage boundaries
        ("CORRO", {"corro_negatives": "generative", "corro_cvae_steps": 12, "corro_pretrain_steps": 5}),
        ("BOREL", {"borel_vae_steps": 5}),
        ("CSRO", {"use_brac": True}),
        ("CSRO", {"train_z0_policy": True}),
        ("CSRO", {"use_hvar": True, "z_strategy": "poe"}),
    ],
    ids=[
        "FOCAL",
        "OFFPEARL",
        "OFFPEARL-sampled-z",
        "CLASSIFIER",
        "UNICORN_SS",
        "UNICORN_SUP",
        "CORRO",
        "CORRO-inside-a-stage",
        "BOREL",
        "CSRO-BRAC",
        "CSRO-z0-policy",
        "CSRO-poe",
    ],
)
def test_each_method_resumed_after_an_iteration_equals_a_run_straight_through(
    tiny_data, tmp_path, monkeypatch, algo_type, algo
):
    """Exact resume for every method, not only CSRO: a run stopped after its first iteration and resumed ends with
    the whole saved state (parameters, optimisers, generators, counters; timing aside) and the progress rows of
    one run straight through (CORRO resumes inside its stages, OFFPEARL's sampled meta-test z on its own stream)."""
    from tests.test_graphs import _params, _tiny_cfg, _trainer

    straight = _trainer(_tiny_cfg(tiny_data, tmp_path, monkeypatch, "straight", algo_type, **algo), "cpu", False)
    straight.run()
    cfg = _tiny_cfg(tiny_data, tmp_path, monkeypatch, "parts", algo_type, **algo)
    _trainer(cfg, "cpu", False).run(max_iterations=1)
    parts, iterations = _trainer(cfg, "cpu", False), []
    one_iteration = parts.iteration
    parts.iteration = lambda logger: (iterations.append(parts.counters["iteration"]), one_iteration(logger))[1]
    parts.run()
    assert iterations == [1]  # it resumed (a restart from scratch would also end equal)
    assert all(torch.equal(p, q) for p, q in zip(_params(straight), _params(parts)))
    rows = [
        pd.read_csv(tmp_path / "point-robot" / n / "seed0" / "progress.csv").drop(columns=TIMING)
        for n in ("straight", "parts")
    ]
    assert len(rows[0]) == 2
    pd.testing.assert_frame_equal(*rows)
    saved = [
        torch.load(tmp_path / "point-robot" / n / "seed0" / "latest.pt", weights_only=True)
        for n in ("straight", "parts")
    ]
    assert _differences(*saved) == []


def _differences(a, b, path: str = "") -> list[str]:
    """Where two saved states differ (tensors exactly, other values by ==), keys naming a time aside."""
    if isinstance(a, dict) and isinstance(b, dict):
        if set(a) != set(b):
            return [f"{path}: keys {sorted(set(a) ^ set(b))}"]
        return [d for k in a if "time" not in str(k) for d in _differences(a[k], b[k], f"{path}.{k}")]
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        if len(a) != len(b):
            return [f"{path}: lengths {len(a)} and {len(b)}"]
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in _differences(x, y, f"{path}[{i}]")]
    if isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor):
        return [] if a.shape == b.shape and torch.equal(a, b) else [path]
    return [] if a == b else [f"{path}: {a!r} != {b!r}"]


def test_decoder_loss_averages_over_rows_by_hand():
    """Each term of mean((D_s - (s' - s))^2) + mean((D_r - r)^2) is a mean over rows and dims; summing the reward term
    made its weight grow with the batch size (B rows per task) against the state term and unicorn_beta x the metric.
    tests/test_baselines.py's by-hand case has one row, where a sum is the mean.
    By hand, two rows: s' - s = (1, 0), (0, 0) against D_s = 0: state mean (1 + 0 + 0 + 0) / 4 = 0.25; r = 2, 0 against
    D_r = 0: reward mean (4 + 0) / 2 = 2; total 2.25."""
    zeros2, zeros1 = torch.zeros(2, 2), torch.zeros(2, 1)
    next_obs, rewards = torch.tensor([[1.0, 0.0], [0.0, 0.0]]), torch.tensor([[2.0], [0.0]])
    assert unicorn.decoder_loss(zeros2, zeros1, zeros2, next_obs, rewards).item() == pytest.approx(2.25)


def test_both_terms_of_the_loss_reach_z():
    """UNICORN-SS trains the encoder on the decoder's reconstruction AND on unicorn_beta x FOCAL's metric; the gradient
    with respect to z must carry both. Detaching z at the decoder's input, or at the metric, made the encoder silently
    learn from one term only (the method run would be another one). By hand: with beta 0 the gradient is the
    reconstruction's alone (non-zero); adding beta = 1 adds exactly the metric's own gradient."""
    g = torch.Generator().manual_seed(0)
    dec = unicorn.Decoder(latent_dim=3, obs_dim=2, action_dim=2, generator=g)
    z0, ids = torch.randn(2, 3, generator=g), torch.tensor([0, 1])
    obs, act, r, nxt = (torch.randn(4, d, generator=g) for d in (2, 2, 1, 2))  # 2 rows per task

    def grad_of_z(beta: float) -> torch.Tensor:
        z = z0.clone().requires_grad_(True)
        total, _ = unicorn.self_supervised_loss(dec, z, ids, obs, act, r, nxt, beta=beta)
        return torch.autograd.grad(total, z)[0]

    z = z0.clone().requires_grad_(True)
    metric = torch.autograd.grad(losses.focal_metric_loss(z, ids), z)[0]
    assert metric.abs().sum() > 0
    recon = grad_of_z(0.0)
    assert recon.abs().sum() > 0
    torch.testing.assert_close(grad_of_z(1.0) - recon, metric, rtol=1e-4, atol=1e-6)


def test_corros_step_randomises_the_reward_column_of_its_negatives(monkeypatch):
    """The trainer hands InfoNCE the reward column of the context rows (s, a, r, s'), |S| + |A|, not the column before
    it (|S| + |A| - 1, the last action). CORRO's reward-randomised negatives (docs/algorithm.md, "CORRO"; CORRO's
    `reward_randomize`) keep a query's (s, a, s') and change its r, so that E1 must tell tasks apart by their rewards;
    with the column off by one the negatives differ in an action instead, and E1 learns nothing about the task. The
    tests of `contrastive_loss` pass the column themselves; this one takes the trainer's step and reads what the sampler
    was given and gave back."""
    made = []
    original = corro.reward_randomized_negatives

    def recording(rows, count, reward_col, std, generator):
        out = original(rows, count, reward_col, std, generator)
        made.append((rows.clone(), out.clone()))
        return out

    monkeypatch.setattr(corro, "reward_randomized_negatives", recording)
    tr = make_trainer(algo_type="CORRO")
    assert tr.settings.corro.negatives == "reward"
    tr.train_step(*corro_inputs())
    assert made
    rows, negatives = made[0]
    differs = (negatives != rows[:, None, :]).any(dim=0).any(dim=0)  # [C]: the columns any negative changes
    reward_col = OBS + ACT  # context rows are (s, a, r, s')
    assert differs.tolist() == [c == reward_col for c in range(rows.shape[-1])]
    # by the configured std (`corro_reward_std`; every other test runs at the default 0.5, and a sampler handed the
    # default whatever the config said passed)
    made.clear()
    make_trainer(algo_type="CORRO", corro_reward_std=0.2).train_step(*corro_inputs())
    rows, negatives = made[0]
    noise = (negatives - rows[:, None, :])[..., reward_col]
    assert abs(noise.std().item() - 0.2) < 0.03, noise.std().item()


def test_corros_encoder_only_stage_logs_the_z_its_aggregator_makes():
    """CORRO's pretraining steps log the z its aggregator makes, and its `Z variance train` across the first task's
    context (the record's z_std: the std of the first task's embeddings over its context rows, mean over dims), not z as
    the plain mean of the embeddings, nor their `Z variance train` across the tasks' first rows. z is E2(sg E1(c)), the
    attention-weighted sum (docs/algorithm.md, "CORRO"; corro.py's module docstring), in every stage: the z that the
    later stages and meta-test read. A logged `Z mean train` of another function would show a z the agent never uses for
    the first `corro_pretrain_steps` steps. By hand: e = normalise(E1(c)), weights = softmax over the context of E2's
    score, z = sum of weights * e, before the step moves E1."""
    tr = make_trainer(algo_type="CORRO", corro_pretrain_steps=2)
    enc = tr.agent.encoder
    tasks, context, batch = corro_inputs()
    with torch.no_grad():
        e = F.normalize(enc.transition(context), dim=-1)
        weights = torch.softmax(enc.attention(e), dim=1)  # [T, b, 1]
        expected = (weights * e).sum(dim=1)
    assert not torch.allclose(expected, e.mean(dim=1), atol=1e-6)  # (the attention's weights are not uniform)
    record = tr.train_step(tasks, context, batch)
    assert record.qf_loss.item() == 0.0  # the encoder-only stage
    torch.testing.assert_close(record.z_mean, expected)
    torch.testing.assert_close(record.z_std, e[0].std(dim=0).mean())


def test_corro_draws_at_least_its_64_queries_a_step():
    """The queries per task are rounded up, not down. CORRO's contrastive batch is 64 queries (`QUERIES`, CORRO's
    contrastive_batch_size); split over T tasks each gets ceil(64 / T), so that the step has at least 64 (3 tasks: 22
    each, 66), capped at half the context (each query needs its own positive)."""
    assert corro.queries_per_task(3, 100) == 22
    assert corro.queries_per_task(5, 100) == 13
    assert corro.queries_per_task(64, 100) == 1
    assert corro.queries_per_task(3, 10) == 5  # half the context


def _negatives_per_query(monkeypatch, overrides, steps):
    """The number of negatives each query of InfoNCE met in `steps` training steps of a CORRO trainer."""
    seen = []
    original = corro.infonce_loss

    def recording(q, k, neg, temperature):
        seen.append((q.shape[0], neg.shape[:2]))
        return original(q, k, neg, temperature)

    monkeypatch.setattr(corro, "infonce_loss", recording)
    tr = make_trainer(**{"algo_type": "CORRO", **overrides})
    for i in range(steps):
        tr.train_step(*corro_inputs(seed=i))
    return seen


def test_corros_infonce_gives_each_query_16_negatives(monkeypatch):
    """CORRO's `NEGATIVES` (its n_negative_per_positive) is 16 (docs/algorithm.md, "CORRO"; corro.py's module
    docstring): each query's InfoNCE row is its positive and 16 negatives, with the reward-randomised and with the
    CVAE's negatives. The tests of `contrastive_loss` read the count from the module, so a changed constant passed
    them."""
    for overrides, steps in (({}, 1), (GENERATIVE_STAGES, 3)):  # (the CVAE's two steps come first)
        seen = _negatives_per_query(monkeypatch, overrides, steps)
        assert seen, overrides
        for n, shape in seen:
            assert tuple(shape) == (n, 16), overrides


def test_corros_cvae_is_initialised_from_the_seeded_generator_not_the_global_rng():
    """The CVAE of CORRO's generative negatives is built from the trainer's `init` generator. Built without it, its
    weights come from torch's global RNG: two runs of one seed start from different CVAEs (and the global RNG's state at
    that point is whatever ran before). Every network of the trainer is drawn from its seeded init stream
    (rlkit.seeding); here the same generator seed under two global seeds must give identical encoders."""
    settings = corro.CorroSettings("attention", pretrain_steps=0, reward_std=0.5, negatives="generative", cvae_steps=2)

    def build(global_seed):
        with torch.random.fork_rng():
            torch.manual_seed(global_seed)
            return corro.CorroEncoder(2, 2, 7, 4, settings, generator=torch.Generator().manual_seed(0))

    a, b = build(1), build(2)
    assert a.cvae is not None
    for (name, p), q in zip(a.named_parameters(), b.parameters()):
        assert torch.equal(p, q), name


def test_corro_standardize_from_the_config_reaches_the_trainers_encoder():
    """`CorroSettings.from_config` reads `corro_standardize`; were it dropped, the key would load and then be ignored
    (caught only by the slow tiny run in tests/test_baselines.py). The fast tests build the settings by hand; here the
    key goes through the config: the trainer's E1 standardises (it holds the column statistics to fill), and without the
    key it does not."""
    on = make_trainer(algo_type="CORRO", corro_standardize=True)
    assert on.settings.corro.standardize and on.agent.encoder.standardize
    assert hasattr(on.agent.encoder, "input_mean") and hasattr(on.agent.encoder, "input_std")
    off = make_trainer(algo_type="CORRO")
    assert not off.settings.corro.standardize and not off.agent.encoder.standardize


def test_unicorns_decoder_has_two_hidden_layers_of_64_by_default():
    """UNICORN's FOCALDecoder (num_layers 2 of aggregator_hidden_size 64): (z, s, a) of 2 + 3 + 1 inputs through two
    hidden layers of 64 to the 3 + 1 outputs (s' - s, r); a single hidden layer, or another default width, is another
    decoder than the paper's."""
    shapes = [tuple(layer.weight.shape) for layer in Decoder(2, 3, 1).net.layers]
    assert shapes == [(64, 6), (64, 64), (4, 64)]
    assert [tuple(layer.weight.shape) for layer in Decoder(2, 3, 1, hidden=128).net.layers][1] == (128, 128)


def _other_value(key: str):
    """A valid value of algo_params.KEY other than its default, as a command-line word."""
    default = getattr(AlgoParams(), key)
    by_key = {"corro_aggregator": "mean", "corro_negatives": "reward", "borel_decode_state": "true"}
    if key in by_key:
        return by_key[key]
    if isinstance(default, bool):
        return "false" if default else "true"
    if default is None or isinstance(default, int):
        return str((default or 2) + 1)
    return str(default * 2)


def test_every_baselines_own_key_is_refused_under_csro_naming_only_its_method():
    """Each corro_*, unicorn_* and borel_* key is read by its baseline alone (docs/algorithm.md, "Keys a method does not
    read"), so a CSRO override of any of them is refused naming that baseline only."""
    owners = {"corro_": "CORRO", "unicorn_": "UNICORN_SS", "borel_": "BOREL"}
    keys = [k for k in AlgoParams.__dataclass_fields__ if k.startswith(tuple(owners))]
    assert len(keys) >= 16
    for key in keys:
        owner = next(m for p, m in owners.items() if key.startswith(p))
        with pytest.raises(
            UserError, match=rf"^algo_params\.{key} .*algo_type 'CSRO' does not use it .*read by {owner}\)$"
        ):
            load_config(None, parse_override_args(["--algo_type", "CSRO", f"--{key}", _other_value(key)]))


def test_corro_accepts_its_standardised_input_and_unicorn_ss_its_decoder_width():
    """The baseline that reads corro_standardize / unicorn_decoder_hidden takes an override of it."""
    cfg = load_config(None, parse_override_args(["--algo_type", "CORRO", "--corro_standardize", "true"]))
    assert cfg.algo_params.corro_standardize is True
    cfg = load_config(None, parse_override_args(["--algo_type", "UNICORN_SS", "--unicorn_decoder_hidden", "32"]))
    assert cfg.algo_params.unicorn_decoder_hidden == 32


def test_the_classifier_takes_both_club_weights_and_focal_refuses_them_naming_csro_and_the_classifier():
    """CLASSIFIER trains a CLUB net (fit weight club_model_loss_weight) as CSRO does, so it accepts both CLUB weights;
    FOCAL reads neither."""
    for algo in ("CSRO", "CLASSIFIER"):
        args = ["--algo_type", algo, "--club_model_loss_weight", "5", "--club_loss_weight", "7"]
        a = load_config(None, parse_override_args(args)).algo_params
        assert (a.club_model_loss_weight, a.club_loss_weight) == (5.0, 7.0)
    with pytest.raises(UserError, match=r"^algo_params\.club_model_loss_weight .*read by CSRO, CLASSIFIER\)$"):
        load_config(None, parse_override_args(["--algo_type", "FOCAL", "--club_model_loss_weight", "5"]))


def test_unicorn_ss_on_the_sparse_walker_takes_unicorns_walker_settings():
    """sparse-walker-rand-params is UNICORN's walker (beta_encoder 0.7, decoder 128 wide), as on walker-rand-params; a
    value given still wins."""
    path = ROOT / "configs" / "sparse-walker-rand-params.json"
    a = load_config(path, parse_override_args(["--algo_type", "UNICORN_SS"])).algo_params
    assert (a.unicorn_beta, a.unicorn_decoder_hidden) == (0.7, 128)
    given = ["--algo_type", "UNICORN_SS", "--unicorn_beta", "0.2", "--unicorn_decoder_hidden", "32"]
    a = load_config(path, parse_override_args(given)).algo_params
    assert (a.unicorn_beta, a.unicorn_decoder_hidden) == (0.2, 32)


def test_corros_encoder_only_stage_measures_the_collapse_guard_on_the_attention_z():
    """CORRO's pretraining steps report the collapse guard (z_across, z_spread_ratio) of the z its aggregator makes, the
    attention-weighted sum of the embeddings, as its later stages do, not of their plain mean. By hand: z and each
    half's z by attention over its rows, across = population std over the tasks (mean over dims),
    ratio = across / (rms(z_a - z_b) / 2)."""
    tr = make_trainer(algo_type="CORRO", corro_pretrain_steps=2)
    enc = tr.agent.encoder
    tasks, context, batch = corro_inputs()
    with torch.no_grad():
        e = F.normalize(enc.transition(context), dim=-1)  # [T, b, L]

        def attend(part):
            return (torch.softmax(enc.attention(part), dim=1) * part).sum(dim=1)

        h = e.shape[1] // 2
        z, z_a, z_b = attend(e), attend(e[:, :h]), attend(e[:, h : 2 * h])
    across = z.std(dim=0, correction=0).mean()
    within = ((z_a - z_b) ** 2).mean().sqrt() / 2
    assert not torch.allclose(across, e.mean(dim=1).std(dim=0, correction=0).mean(), atol=1e-6)
    record = tr.train_step(tasks, context, batch)
    assert record.qf_loss.item() == 0.0  # the encoder-only stage
    torch.testing.assert_close(record.z_across, across)
    torch.testing.assert_close(record.z_spread_ratio, across / within)


def test_corros_cvae_has_corros_sizes():
    """CORRO's CVAE (`models/generative.py`, one hidden layer) of its relabel_model_config for the env: hidden 64 and
    z_dim 5 (point_robot_v1, cheetah_vel), hidden 128 and z_dim 64 (hopper_param, walker_param, ant_dir): the
    encoder (s, a, r, s') -> H -> (mean, logvar) of W dims each, the decoder (s, a, w) -> H -> (s', r). The other
    tests build the CVAE from the module's constants, so hidden layers of 32 passed them all, and the small CVAE on
    hopper and walker passed the whole suite."""
    from rlkit.config import load_config

    def sizes(mlp):
        return [(lin.in_features, lin.out_features) for lin in mlp.layers]

    cvae = corro.CVAE(obs_dim=3, action_dim=2, generator=torch.Generator().manual_seed(0))
    assert sizes(cvae.encoder) == [(3 + 2 + 1 + 3, 64), (64, 2 * 5)]
    assert sizes(cvae.decoder) == [(3 + 2 + 5, 64), (64, 3 + 1)]
    cvae = corro.CVAE(obs_dim=3, action_dim=2, generator=torch.Generator().manual_seed(0), hidden=128, latent=64)
    assert sizes(cvae.encoder) == [(3 + 2 + 1 + 3, 128), (128, 2 * 64)]
    assert sizes(cvae.decoder) == [(3 + 2 + 64, 128), (128, 3 + 1)]
    assert cvae.negatives(torch.zeros(4, 2 * 3 + 2 + 1), 5, torch.Generator().manual_seed(0)).shape == (4, 5, 9)
    small = ("point-robot", "sparse-point-robot", "point-robot-wind", "cheetah-vel", "cheetah-dir")
    large = ("hopper-rand-params", "walker-rand-params", "sparse-walker-rand-params", "ant-dir", "ant-goal")
    for env_name in (*small, *large, "humanoid-dir"):  # (the keys' values unless set: CORRO's for the env)
        given = {"algo_type": "CORRO", "env_name": env_name, "algo_params": {"corro_negatives": "generative"}}
        a = load_config(None, given).algo_params
        want = (64, 5) if env_name in small else (128, 64)
        assert (a.corro_cvae_hidden, a.corro_cvae_latent) == want, env_name
    a = load_config(None, {"algo_type": "CORRO", "env_name": "ant-dir"}).algo_params  # (reward negatives: unread)
    assert (a.corro_cvae_hidden, a.corro_cvae_latent) == (64, 5)
    given = {"algo_type": "CORRO", "env_name": "hopper-rand-params", "algo_params": {"corro_cvae_hidden": 32}}
    assert load_config(None, given).algo_params.corro_cvae_hidden == 32  # (a value set is kept)
    # a run's settings carry it: CORRO on hopper draws the CVAE's negatives from the large CVAE
    cfg = load_config(ROOT / "configs" / "hopper_rand_params.json", {"algo_type": "CORRO"})
    settings = corro.CorroSettings.from_config(cfg)
    assert settings.negatives == "generative" and (settings.cvae_hidden, settings.cvae_latent) == (128, 64)
    encoder = corro.CorroEncoder(11, 3, 2 * 11 + 3 + 1, 20, settings, torch.Generator().manual_seed(0))
    assert sizes(encoder.cvae.encoder) == [(2 * 11 + 3 + 1, 128), (128, 2 * 64)]
