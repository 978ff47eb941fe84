"""Parts of the training step that the reference-step cases and the golden runs leave unchecked: BRAC's gradient
penalty and the alpha it logs, each optimiser's learning rate, CLASSIFIER's classes, the states UNICORN_SS decodes,
the encoder-only steps (CORRO's pretraining, BOREL's VAE) stepping on their own gradients, BOREL's spread statistic
and CORRO's attention initialisation."""

import dataclasses
import math

import pytest
import torch
from torch.nn import functional as F

from rlkit.config import load_config, parse_override_args
from rlkit.data.buffer import MultiTaskBuffer
from rlkit.data.sequences import SequenceIndex
from rlkit.torch.csro import corro, losses, unicorn
from rlkit.torch.csro.trainer import CSROTrainer, TrainerSettings, belief_spread, task_spread
from tests.test_baselines import corro_inputs
from tests.test_borel import episodes_data
from tests.test_borel import make_trainer as borel_trainer
from tests.test_gradient_flow import ACT, OBS, extra_batches, make_inputs, make_trainer
from tests.test_losses import gradient_penalty_case


def test_the_gradient_penalty_trains_the_dual_critic():
    """The gradient penalty's dc/da is taken with `create_graph` (and not detached after it), so the penalty trains
    c. Taken without it, its value is still right (tests/test_losses.py checks the value only), but it is then a
    constant for c's weights: the penalty that should keep c 1-Lipschitz in a
    (BRAC's `dual_critic_penalty: gradient`, docs/algorithm.md loss 7) stops training c at all, and c's D_hat grows
    without bound. Here c's loss is rebuilt by hand (dc/da row by row, kept in the graph) and its gradient on c's
    weights, penalty included, must equal the step's."""
    tr, obs, z, a_policy, a_data = gradient_penalty_case()
    n = len(obs)
    params = list(tr.dual_critic.parameters())

    state = tr.generator.get_state()
    got = torch.autograd.grad(tr._dual_critic_loss(obs, a_policy, a_data, z), params)

    tr.generator.set_state(state)  # the same u ~ U(0, 1) as the step drew
    u = torch.rand(n, 1, generator=tr.generator)
    a_int = a_policy + u * (a_data - a_policy)
    grads = []
    for i in range(n):  # dc/da at row i, kept in the graph: a function of c's weights
        a = a_int[i : i + 1].clone().requires_grad_(True)
        (grad,) = torch.autograd.grad(
            tr.dual_critic(torch.cat([obs[i : i + 1], a, z[i : i + 1]], -1)).sum(), a, create_graph=True
        )
        grads.append(grad[0])
    norm = torch.sqrt(1e-8 + (torch.stack(grads) ** 2).sum(-1))
    penalty = 5.0 * (F.relu(norm - 1.0) ** 2).mean()

    def c(a):
        return tr.dual_critic(torch.cat([obs, a, z], -1))

    divergence = -losses.kl_dual_estimate(c(a_policy), c(a_data)).mean()
    # (c's last bias shifts c, not dc/da: no gradient from the penalty there)
    from_penalty = torch.autograd.grad(penalty, params, retain_graph=True, allow_unused=True)
    expected = torch.autograd.grad(divergence + penalty, params)
    # the penalty's own share of c's gradient is not negligible, so that a step without it differs
    assert sum(p.norm() for p in from_penalty if p is not None) > 0.1 * sum(p.norm() for p in expected)
    for mine, theirs in zip(got, expected):
        torch.testing.assert_close(mine, theirs, rtol=1e-4, atol=1e-6)


def test_the_logged_alpha_is_the_clipped_alpha_the_step_uses():
    """The record's alpha is the clipped alpha the step uses, not the unclipped `alpha_var`. docs/data-format.md
    says the `alpha` columns are BRAC's alpha as used, clipped to [0, alpha_max] (docs/reference-differences.md: a
    change from the reference, which logs `_alpha_var`); the golden BRAC run never leaves that range, so nothing
    else sees a record read from `alpha_var`. By hand: with alpha_lr 0 alpha stays at its init 20, above alpha_max
    10, and is used (and logged) as 10; with a target divergence of 1000 one step takes alpha from 0 to about -1000,
    used (and logged) as 0."""
    tr = make_trainer(use_brac=True, alpha_init=20.0, alpha_max=10.0, alpha_lr=0.0)
    record = tr.train_step(*make_inputs(), extra_batches(tr))
    assert tr.alpha_var.item() == 20.0
    assert record.alpha.tolist() == [10.0]

    tr = make_trainer(use_brac=True, alpha_init=0.0, target_divergence=1000.0)  # alpha_lr 1
    record = tr.train_step(*make_inputs(), extra_batches(tr))
    assert tr.alpha_var.item() < -900
    assert record.alpha.tolist() == [0.0]


def test_each_optimiser_steps_at_the_learning_rate_its_key_names():
    """Each optimiser is built with the learning rate its key names, not another network's (the CLUB net's with
    `qf_lr`, c's with `policy_lr`). Every shipped config leaves policy_lr, qf_lr, vf_lr and context_lr at 3e-4, so
    the reference-step and golden runs cannot tell them apart; a run that tunes one (rlkit/config.py: context_lr is
    the encoder's, the CLUB net's and a method's own encoder parts', c_lr the dual critic's) would silently train
    another network with it. Five distinct rates, each optimiser must hold its own."""
    rates = {"policy_lr": 1e-4, "qf_lr": 2e-4, "vf_lr": 3e-4, "context_lr": 4e-4, "c_lr": 5e-4}
    tr = make_trainer(use_brac=True, **rates)
    got = {k: [group["lr"] for group in opt.param_groups] for k, opt in tr.optimizers().items()}
    assert got == {
        "encoder": [4e-4],
        "club": [4e-4],
        "qf": [2e-4],
        "vf": [3e-4],
        "policy": [1e-4],
        "dual_critic": [5e-4],
    }


@pytest.mark.parametrize("algo", ["CLASSIFIER", "UNICORN_SS"])
def test_a_methods_own_encoder_parts_step_at_context_lr(algo):
    """A method's own encoder parts step at context_lr, as each optimiser steps at the rate its key names
    (test_each_optimiser_steps_at_the_learning_rate_its_key_names): CLASSIFIER's head and UNICORN_SS's decoder are
    stepped by the encoder's optimiser, at context_lr (rlkit/config.py's description of context_lr), not at another
    network's rate (qf_lr differs here)."""
    small = {"n_train_tasks": 3, "n_eval_tasks": 1, "meta_batch": 3, "interpolation": False}
    extra = small if algo == "CLASSIFIER" else {}
    tr = make_trainer(algo_type=algo, context_lr=4e-4, qf_lr=2e-4, **extra)
    part = tr.modules()["classifier" if algo == "CLASSIFIER" else "decoder"]
    own = {id(p) for p in part.parameters()}
    groups = [grp for grp in tr.optimizers()["encoder"].param_groups if own & {id(p) for p in grp["params"]}]
    assert groups and all(grp["lr"] == 4e-4 for grp in groups)


def test_a_step_with_the_gradient_penalty_runs_and_moves_the_dual_critic():
    """The gradient penalty's dc/da through the public step: taken without `create_graph`, `autograd.grad` frees the
    graph of c's one batched pass, and c's backward then fails on the first step of any run with
    `dual_critic_penalty: gradient` (no test ran a whole step with it). One step must run and move c."""
    from tests.test_gradient_flow import changed, snapshot

    tr = make_trainer(use_brac=True, dual_critic_penalty="gradient")
    before = snapshot(tr.dual_critic)
    tr.train_step(*make_inputs(), extra_batches(tr))
    assert changed(tr.dual_critic, before)


def test_classifiers_step_scores_each_embedding_against_its_tasks_class():
    """The step's cross-entropy takes each embedding's task's class, not the task id, as its class. The classes are
    the training tasks in the order the run gives them (docs/algorithm.md, "Encoder variants"; `class_of_task`,
    whose mapping tests/test_variants.py checks, but not that the step reads it): with training tasks 0..n-1 in
    order the ids and the classes agree, so every other test passes; with any other split a head scored on the ids
    learns the wrong labels (or the ids run past the head's outputs). Training tasks (2, 0, 1): tasks 0 and 1 are
    classes 1 and 2. By hand: z_loss = z_loss_weight x mean cross-entropy of the head's logits on every embedding
    against its task's class."""
    args = ["--algo_type", "CLASSIFIER", "--latent_size", "4", "--net_size", "16"]
    cfg = load_config(None, parse_override_args(args))
    tr = CSROTrainer(TrainerSettings.from_config(cfg, [2, 0, 1]), OBS, ACT, torch.device("cpu"), seed=0)
    _, context, batch = make_inputs()
    task_ids = torch.tensor([0, 0, 1])  # a meta-batch may repeat a task; classes 1, 1, 2 (ids 0, 0, 1)
    with torch.no_grad():  # the head's logits far from uniform (at initialisation they are near 0 for every class)
        tr.classifier.layers[-1].bias.copy_(torch.tensor([5.0, 0.0, -5.0]))
        e, _ = tr.agent.encode_with_var(context)
        logits = tr.classifier(e)  # [T, b, 3]
        T, b, C = logits.shape
        classes = torch.tensor([1, 1, 2]).repeat_interleave(b)
        expected = cfg.algo_params.z_loss_weight * F.cross_entropy(logits.reshape(T * b, C), classes)
    record = tr.train_step(task_ids, context, batch)
    assert record.z_loss.item() == pytest.approx(expected.item(), rel=1e-5)


def test_unicorn_ss_step_decodes_s_prime_minus_s_from_the_rows_s_and_a():
    """The trainer hands UNICORN's self-supervised loss s where it reads s and s' where it reads s', not the two
    swapped. UNICORN's decoder (docs/algorithm.md, "Baselines"; unicorn.py) predicts (s' - s, r) from (z, s, a);
    swapped, it predicts s - s' from (z, s', a), the inverse dynamics' state, and the encoder is trained to
    reconstruct something else. The existing tests check the loss on hand-made tensors and which reward the step
    passes, not which states. By hand, at the step's first weights: z from the context, z_loss =
    mean((D_s(z, s, a) - (s' - s))^2) + mean((D_r(z, s, a) - r)^2) + beta x FOCAL's metric of z."""
    tr = make_trainer(algo_type="UNICORN_SS")
    task_ids, context, batch = make_inputs()
    batch = dataclasses.replace(batch, next_obs=batch.obs + 1.0)  # s' - s = 1 in every dim
    with torch.no_grad():  # the decoder starts predicting s' - s = 1 (at initialisation it predicts about 0,
        # equally far from s' - s and s - s')
        tr.decoder.net.layers[-1].bias[: batch.obs.shape[-1]] = 1.0
    T, B = batch.obs.shape[:2]
    s, a, r, s2 = (x.reshape(T * B, -1) for x in (batch.obs, batch.actions, batch.rewards, batch.next_obs))
    assert not torch.allclose(s, s2)
    with torch.no_grad():
        z = tr.agent.infer_z(context)
        delta, r_pred = tr.decoder(z.repeat_interleave(B, dim=0), s, a)
        expected = ((delta - (s2 - s)) ** 2).mean() + ((r_pred - r) ** 2).mean()
        expected = expected + tr.settings.unicorn_beta * losses.focal_metric_loss(z, task_ids)
    assert isinstance(tr.decoder, unicorn.Decoder)
    record = tr.train_step(task_ids, context, batch)
    assert record.z_loss.item() == pytest.approx(expected.item(), rel=1e-5)


BETAS, EPS = (0.9, 0.999), 1e-8  # torch.optim.Adam's defaults, which every optimiser of the trainer uses


def assert_second_adam_step(opt: torch.optim.Optimizer, params, before, state, grads, lr):
    """The move of `params` from `before` equals Adam's second step (Kingma and Ba, Algorithm 1) from the moments
    `state` [(m1, v1)] that its first step left, with the gradient `grads`."""
    (b1, b2), t = BETAS, 2
    for p, p0, (m1, v1), g in zip(params, before, state, grads):
        m, v = b1 * m1 + (1 - b1) * g, b2 * v1 + (1 - b2) * g * g
        update = -lr * (m / (1 - b1**t)) / ((v / (1 - b2**t)).sqrt() + EPS)
        torch.testing.assert_close(p.detach() - p0, update, rtol=1e-3, atol=1e-3 * lr)


def moments(opt, params):
    return [(opt.state[p]["exp_avg"].clone(), opt.state[p]["exp_avg_sq"].clone()) for p in params]


def test_corros_pretraining_steps_on_each_steps_own_infonce_gradient():
    """CORRO's encoder-only step (`_corro_pretrain_step`) zeroes the encoder's gradients first. Without that, E1
    would step on the sum of every pretraining step's InfoNCE gradient so far (the first step's gradient kept in
    every later one): not CORRO's pretraining. The schedule tests only see that E1 moves. Here the second step's
    gradient is InfoNCE's alone, computed by hand at the weights and with the noise the step has, and E1's move must
    be Adam's second step with it."""
    tr = make_trainer(algo_type="CORRO", corro_pretrain_steps=3)
    enc, opt, lr = tr.agent.encoder, tr.optimizers()["encoder"], tr.settings.context_lr
    assert tr.settings.corro.negatives == "reward"
    tr.train_step(*corro_inputs(seed=0))  # the first pretraining step
    e1 = list(enc.transition.parameters())
    _, context, _ = corro_inputs(seed=1)
    gen = torch.Generator()
    gen.set_state(tr.generator.get_state())  # the reward noise the second step draws
    loss = corro.contrastive_loss(enc, enc(context), context, OBS + ACT, tr.settings.corro, gen)
    grads = torch.autograd.grad(loss, e1)
    before, state = [p.detach().clone() for p in e1], moments(opt, e1)
    tr.train_step(*corro_inputs(seed=1))
    assert_second_adam_step(opt, e1, before, state, grads, lr)


def test_borels_vae_steps_on_each_steps_own_elbo_gradient():
    """BOREL's `vae_step` zeroes the encoder's optimiser's gradients: without that, the belief VAE would step on the
    running sum of every VAE step's gradient. The second step's gradient is the negative ELBO's of its own batch,
    computed at the weights and with the random draws the step has; the VAE's move must be Adam's second step with
    it."""
    tr = borel_trainer(borel_decode_state=True)
    vae, opt, lr = tr.agent.encoder, tr.optimizers()["encoder"], tr.settings.context_lr
    buf = MultiTaskBuffer({t: episodes_data([4] * 6, t, seed=t) for t in range(3)}, OBS, ACT, torch.device("cpu"))
    index = SequenceIndex(buf, 2, 6)
    tr.vae_step(index.sample(torch.arange(3), 4, torch.Generator().manual_seed(0)))
    params = [p for p in vae.parameters() if p.requires_grad]
    batch = index.sample(torch.arange(3), 4, torch.Generator().manual_seed(1))
    gen = torch.Generator()
    gen.set_state(tr.generator.get_state())
    loss = vae.elbo(batch, tr.settings.borel.kl_weight, gen).loss
    grads = torch.autograd.grad(loss, params, allow_unused=True)
    grads = [torch.zeros_like(p) if g is None else g for p, g in zip(params, grads)]
    used = [p for p, g in zip(params, grads) if g.abs().sum() > 0]
    assert len(used) > len(params) // 2  # (most of the VAE has a gradient to step on)
    keep = [i for i, p in enumerate(params) if p in set(used)]
    before, state = [params[i].detach().clone() for i in keep], moments(opt, [params[i] for i in keep])
    tr.vae_step(batch)
    assert_second_adam_step(opt, [params[i] for i in keep], before, state, [grads[i] for i in keep], lr)


def test_belief_spread_with_one_sequence_a_task_is_the_population_std_across_tasks():
    """With a single sequence per task (no within-task estimate) `belief_spread` returns the std over the tasks with
    correction 0, as every other path (`task_spread`, the step's guard, docs/algorithm.md "When the tanh encoder
    collapses") takes it, not with torch's default (n - 1) correction. With that correction the logged `Z across`
    would jump by sqrt(T / (T - 1)) (41% with 2 tasks) depending on how many sequences each task had, and the
    collapse guard compares it across runs. By hand: tasks at 0 and 2 in both dims, population std 1."""
    across, ratio = belief_spread(torch.tensor([[0.0, 0.0], [2.0, 2.0]]), torch.tensor([0, 1]))
    assert across.item() == pytest.approx(1.0)
    assert math.isnan(ratio.item())
    # the same two task latents through the other path agree
    z = torch.tensor([[0.0, 0.0], [2.0, 2.0]])
    assert task_spread(z, z, z)[0].item() == pytest.approx(1.0)


def test_belief_spread_compares_two_equal_halves_of_a_tasks_sequences():
    """With an odd number of sequences the two halves are equal and the leftover one is left out of the within
    estimate; the second half does not take it too. Within-task spread is rms(z_a - z_b) / 2 on the assumption
    z ~ (z_a + z_b) / 2 of two equal, disjoint halves (`task_spread`; the step's own guard drops the odd context row
    the same way, tests/test_collapse.py). By hand: task 0's finals 0, 2, 100 -> halves 0 and 2 (the third left out
    of the within estimate, kept in z = 34); task 1's 10, 14, 12 -> halves 10 and 14, z = 12. across = std(34, 12)
    = 11, within = sqrt((2^2 + 4^2) / 2) / 2."""
    final = torch.tensor([[0.0], [2.0], [100.0], [10.0], [14.0], [12.0]])
    across, ratio = belief_spread(final, torch.tensor([0, 0, 0, 1, 1, 1]))
    within = math.sqrt((2**2 + 4**2) / 2) / 2
    assert across.item() == pytest.approx(11.0)
    assert ratio.item() == pytest.approx(11.0 / within)


def test_corros_attention_score_starts_like_torchs_linear():
    """E2's linear score is initialised U(+-1/sqrt(L)), torch's nn.Linear default that CORRO's `SelfAttnEncoder` has
    (corro.py's comment), not U(+-1/L). A narrower init makes the softmax weights near uniform, so CORRO's aggregator
    would start as the plain mean. With L = 64 the weights lie in +-1/8, and of 64 uniform draws some exceed 0.1 (all
    below with probability 0.8^64 < 1e-6); under U(+-1/64) none can."""
    settings = corro.CorroSettings("attention", pretrain_steps=0, reward_std=0.5, negatives="reward", cvae_steps=0)
    enc = corro.CorroEncoder(2, 2, 7, 64, settings, generator=torch.Generator().manual_seed(0))
    w = torch.cat([p.detach().flatten() for p in enc.attention.parameters()])
    assert w.abs().max().item() <= 1 / 8
    assert w.abs().max().item() > 0.1


def test_corros_joint_stage_steps_e1_on_the_whole_infonce_gradient_queries_included(monkeypatch):
    """In CORRO's joint stage (no pretraining) E1's gradient is InfoNCE's through the queries and positives (the
    step's own embeddings e) as well as through the negatives; InfoNCE on sg(e) would leave E1 only the negatives'
    part. The gradient E1 holds after the step must equal InfoNCE's, computed at the step's weights with the reward
    noise the step drew (the critic's gradient stops before E1: the aggregator reads sg(e))."""
    tr = make_trainer(algo_type="CORRO", corro_pretrain_steps=0)
    enc = tr.agent.encoder
    assert enc.stage(tr.settings.corro) == "joint" and not tr.settings.use_club and not tr.settings.use_focal
    e1 = list(enc.transition.parameters())
    before = [p.detach().clone() for p in e1]
    noise_state = []
    original = corro.contrastive_loss

    def recording(encoder, e, context, reward_col, settings, generator):
        noise_state.append(generator.get_state())
        return original(encoder, e, context, reward_col, settings, generator)

    monkeypatch.setattr(corro, "contrastive_loss", recording)
    tasks, context, batch = corro_inputs(seed=0)
    tr.train_step(tasks, context, batch)
    assert len(noise_state) == 1
    # InfoNCE by hand at the weights before the step (the step moved E1 after its backward), with the same noise
    with torch.no_grad():
        for p, b in zip(e1, before):
            p.copy_(b)
    gen = torch.Generator()
    gen.set_state(noise_state[0])
    expected = torch.autograd.grad(original(enc, enc(context), context, OBS + ACT, tr.settings.corro, gen), e1)
    for p, g in zip(e1, expected):
        torch.testing.assert_close(p.grad, g)


def test_the_logged_statistics_are_the_steps_own_predictions_on_its_batch():
    """The record's `Q Predictions`, `V Predictions`, `Log Pis`, `Policy mu` and `Policy log std` columns
    (docs/data-format.md: statistics over the last step's batch) are Q1(s, a, z) and V(s, z) as the step's critic
    and value losses saw them (before their updates), and the policy's log pi, pre-tanh mean and log std at the
    step's a~. The reference-step cases compare the scalar losses only, so a column read from Q2, V's target,
    std for log std or tanh(mean) for the mean changed no test. Recomputed here on a twin trainer (the same
    seed: the same weights and noise stream) before the step."""
    tr, twin = make_trainer(), make_trainer()
    for t in (tr, twin):  # a policy moved off its near-zero initial outputs, where tanh(mean) ~ mean
        g = torch.Generator().manual_seed(1)
        with torch.no_grad():
            for p in t.agent.policy.parameters():
                p.add_(0.5 * torch.randn(p.shape, generator=g))
    task_ids, context, batch = make_inputs()
    T, B = batch.obs.shape[:2]
    obs, actions = batch.obs.reshape(T * B, -1), batch.actions.reshape(T * B, -1)
    with torch.no_grad():
        rows = twin.latents(context, rows_per_task=B).rows
        pi = twin.agent.policy_output(obs, rows, generator=twin.generator)
        q1 = twin.qf(torch.cat([obs, actions, rows], -1))[0]
        v = twin.vf(torch.cat([obs, rows], -1))
    record = tr.train_step(task_ids, context, batch)
    assert record.q_predictions.shape == record.v_predictions.shape == (T * B, 1)
    torch.testing.assert_close(record.q_predictions, q1)
    torch.testing.assert_close(record.v_predictions, v)
    torch.testing.assert_close(record.log_pis, pi.log_prob)
    torch.testing.assert_close(record.policy_mu, pi.mean)
    torch.testing.assert_close(record.policy_log_std, pi.log_std)
    assert (pi.mean - pi.mean.tanh()).abs().max() > 0.01


def test_the_logged_div_estimate_is_each_rows_d_hat_of_the_fitted_dual_critic():
    """The record's `div_estimate` columns (docs/data-format.md: BRAC's dual KL estimate D_hat on the last step's
    batch) are D_hat row by row, from c after its c_iter steps (what the policy loss and alpha read), at the
    step's a~ against the data's actions. Nothing compared the field with a step's D_hat: logged as its batch mean
    (Std 0), or from c before its fit, the columns changed no test. Recomputed from the trained c (nothing steps
    c after D_hat) and a twin trainer's a~ (the same seed: the same policy and noise)."""
    tr, twin = make_trainer(use_brac=True), make_trainer(use_brac=True)
    task_ids, context, batch = make_inputs()
    T, B = batch.obs.shape[:2]
    obs, actions = batch.obs.reshape(T * B, -1), batch.actions.reshape(T * B, -1)
    with torch.no_grad():
        rows = twin.latents(context, rows_per_task=B).rows
        a_pi = twin.agent.policy_output(obs, rows, generator=twin.generator).action
    record = tr.train_step(task_ids, context, batch, extra_batches(tr))
    with torch.no_grad():
        c_pi = tr.dual_critic(torch.cat([obs, a_pi, rows], -1))
        c_data = tr.dual_critic(torch.cat([obs, actions, rows], -1))
    expected = losses.kl_dual_estimate(c_pi, c_data)
    assert record.div_estimate.shape == (T * B, 1) and expected.std() > 0
    torch.testing.assert_close(record.div_estimate, expected)


def test_a_step_without_brac_logs_a_div_estimate_of_zero():
    """Without BRAC there is no dual critic and no D_hat: the record's `div_estimate` (its Mean/Std/Max/Min columns
    in progress.csv) is a single 0, not some other filler."""
    tr = make_trainer()
    assert tr.dual_critic is None
    record = tr.train_step(*make_inputs())
    assert torch.equal(record.div_estimate, torch.zeros(1))
