"""The encoder variants (docs/algorithm.md, "Encoder variants"): CLASSIFIER, train_z0_policy, use_hvar,
z_strategy weighted / poe. Values on hand-made tensors, gradient flow, and the combinations refused."""

import math

import pytest
import torch
from torch.nn import functional as F

from rlkit.config import load_config, parse_override_args
from rlkit.errors import UserError
from rlkit.torch.csro import losses
from rlkit.torch.csro.agent import CSROAgent, inverse_variance_mean, product_of_gaussians
from rlkit.torch.csro.trainer import CSROTrainer, TrainerSettings
from tests.test_gradient_flow import changed, make_inputs, make_trainer, snapshot


def test_task_classification_loss_by_hand():
    logits = torch.tensor([[[2.0, 0.0], [0.0, 1.0]], [[1.0, 1.0], [3.0, -1.0]]])  # [T=2, b=2, C=2]
    classes = torch.tensor([0, 1])
    p = lambda row, k: math.exp(row[k]) / sum(math.exp(v) for v in row)  # noqa: E731
    expected = -(math.log(p([2, 0], 0)) + math.log(p([0, 1], 0)) + math.log(p([1, 1], 1)) + math.log(p([3, -1], 1))) / 4
    assert losses.task_classification_loss(logits, classes).item() == pytest.approx(expected, rel=1e-6)


def test_inverse_variance_mean_and_product_of_gaussians_by_hand():
    e = torch.tensor([[[1.0], [3.0]]])  # one task, two transitions, L = 1
    var = torch.tensor([[[1.0], [3.0]]])
    # weights 1 and 1/3: (1 + 1) / (1 + 1/3) = 1.5; posterior variance 1 / (1 + 1/3) = 0.75
    assert inverse_variance_mean(e, var).item() == pytest.approx(1.5)
    mean, post_var = product_of_gaussians(e, var)
    assert (mean.item(), post_var.item()) == (pytest.approx(1.5), pytest.approx(0.75))
    assert inverse_variance_mean(e, torch.ones_like(e)).item() == pytest.approx(2.0)  # equal variances: the mean


def test_classifier_trains_encoder_and_head_and_keeps_club():
    tr = make_trainer(algo_type="CLASSIFIER", n_train_tasks=3, n_eval_tasks=1, meta_batch=3, interpolation=False)
    assert tr.settings.use_club and not tr.settings.use_focal and tr.settings.classifier_tasks == (0, 1, 2)
    tasks, context, batch = make_inputs()
    enc, head, club = snapshot(tr.agent.encoder), snapshot(tr.classifier), snapshot(tr.club_net)
    rec = tr.train_step(tasks, context, batch)
    assert changed(tr.agent.encoder, enc) and changed(tr.classifier, head) and changed(tr.club_net, club)
    # Z Loss logs the weighted cross-entropy (of the pre-step encoder: compare the order of magnitude)
    assert 0 < rec.z_loss.item() < 10 * math.log(3) * 2 and "classifier" in tr.state_dict()["modules"]


def test_classifier_classes_are_the_training_tasks_given():
    """The run setup passes its training tasks in; the trainer does not recompute the split."""
    cfg = load_config(None, parse_override_args(["--algo_type", "CLASSIFIER", "--latent_size", "4"]))
    settings = TrainerSettings.from_config(cfg, [4, 1, 7])
    tr = CSROTrainer(settings, 2, 2, torch.device("cpu"), seed=0)
    assert settings.classifier_tasks == (4, 1, 7) and tr.class_of_task[[4, 1, 7, 0]].tolist() == [0, 1, 2, -1]
    csro = load_config(None, parse_override_args(["--latent_size", "4"]))
    assert TrainerSettings.from_config(csro, [4, 1, 7]).classifier_tasks == ()


@pytest.mark.parametrize(
    "overrides, resolved",
    [
        (
            [],
            {
                "use_brac": False,
                "value_penalty": False,
                "train_alpha": False,
                "z0_share": None,
                "dual_critic_penalty": "value",
            },
        ),
        (["--use_brac", "true", "--use_value_penalty", "true"], {"value_penalty": True, "train_alpha": True}),
        (["--train_z0_policy", "true", "--z0_policy_share", "0.5"], {"z0_share": 0.5}),
        (["--algo_type", "OFFPEARL"], {"allow_backward_z": True, "use_focal": False, "use_club": False}),
        (["--algo_type", "FOCAL"], {"allow_backward_z": False, "use_focal": True, "use_club": False}),
    ],
)
def test_settings_resolve_each_switch_once(overrides, resolved):
    settings = TrainerSettings.from_config(load_config(None, parse_override_args(overrides)), range(30))
    assert {k: getattr(settings, k) for k in resolved} == resolved


def test_brac_keys_a_config_file_sets_without_brac_resolve_off(tmp_path):
    """BRAC's switches need BRAC: a config file may set them with use_brac false (an override of one is refused,
    `SWITCHED_KEYS`), and the trainer leaves them off."""
    path = tmp_path / "c.json"
    path.write_text('{"algo_params": {"use_value_penalty": true, "use_brac": false}}')
    settings = TrainerSettings.from_config(load_config(path), range(30))
    assert (settings.use_brac, settings.value_penalty, settings.train_alpha) == (False, False, False)


def test_classifier_alone_moves_the_encoder():
    tr = make_trainer(
        algo_type="CLASSIFIER", use_club=False, n_train_tasks=3, n_eval_tasks=1, meta_batch=3, interpolation=False
    )
    tasks, context, batch = make_inputs()
    enc = snapshot(tr.agent.encoder)
    tr.train_step(tasks, context, batch)
    assert changed(tr.agent.encoder, enc)


def test_hvar_weighted_trains_the_variance_half():
    tr = make_trainer(use_hvar=True, z_strategy="weighted", use_club=False)
    tasks, context, batch = make_inputs()
    last = tr.agent.encoder.layers[-1]
    w_mean, w_var = (x.detach().clone() for x in last.weight.chunk(2, dim=0))
    tr.train_step(tasks, context, batch)
    new_mean, new_var = last.weight.chunk(2, dim=0)
    assert not torch.equal(new_var, w_var) and not torch.equal(new_mean, w_mean)
    e, var = tr.agent.encode_with_var(context)
    assert var.shape == e.shape and (var > 0).all()
    torch.testing.assert_close(tr.agent.infer_z(context), inverse_variance_mean(e, var))


def test_poe_samples_z_in_training_around_the_posterior():
    tr = make_trainer(use_hvar=True, z_strategy="poe")
    _, context, _ = make_inputs(b=4)
    e, var = tr.agent.encode_with_var(context)
    z = tr.agent.aggregate(e, var)
    samples = torch.stack([tr.latents(context, rows_per_task=1).rows for _ in range(4000)])
    torch.testing.assert_close(samples.mean(0), z, atol=0.05, rtol=0)
    torch.testing.assert_close(samples.var(0), product_of_gaussians(e, var)[1], atol=0, rtol=0.1)
    plain = make_trainer(use_hvar=True, z_strategy="weighted")
    assert torch.equal(plain.latents(context, 1).rows, plain.agent.infer_z(context))  # weighted: z itself
    tasks, context, batch = make_inputs()
    enc = snapshot(tr.agent.encoder)
    rec = tr.train_step(tasks, context, batch)  # a whole step with sampled z
    assert changed(tr.agent.encoder, enc) and torch.isfinite(rec.qf_loss)


def z_inputs_of_one_step(tr, *inputs, latent=4) -> dict[str, torch.Tensor]:
    """The z part of the first input each network sees in one `train_step`, as [T, B, L]."""
    seen, handles = {}, []
    for name, net in [("policy", tr.agent.policy), ("qf", tr.qf), ("vf", tr.vf), ("target_vf", tr.target_vf)]:

        def first_input(module, args, name=name):  # returns None: the input goes on unchanged
            seen.setdefault(name, args[0].detach()[..., -latent:].reshape(3, 5, latent))

        handles.append(net.register_forward_pre_hook(first_input))
    tr.train_step(*inputs)
    for h in handles:
        h.remove()
    return seen


@pytest.mark.parametrize("backward_z", [False, True])
def test_z0_policy_trains_on_the_prior_mean_for_a_share_of_each_batch(backward_z):
    """docs/algorithm.md: the first ceil(share x B) rows of each task's RL batch use z = 0 for the critics, V,
    the V target and the policy; with allow_backward_z the critics' z keeps the encoder's graph."""
    tr = make_trainer(train_z0_policy=True, z0_policy_share=0.25, allow_backward_z=backward_z)
    tasks, context, batch = make_inputs()
    lat = tr.latents(context, rows_per_task=5)
    for rows in (lat.rows, lat.critic_rows):
        z = rows.reshape(3, 5, 4)  # ceil(0.25 * 5) = 2 rows of each task's batch
        assert (z[:, :2] == 0).all() and (z[:, 2:] != 0).all()
    assert not lat.rows.requires_grad and lat.critic_rows.requires_grad == backward_z
    for name, z in z_inputs_of_one_step(tr, tasks, context, batch).items():
        assert (z[:, :2] == 0).all() and (z[:, 2:] != 0).all(), name
    without = make_trainer().latents(context, rows_per_task=5).rows.reshape(3, 5, 4)
    assert (without != 0).all()


@pytest.mark.parametrize("share, batch, zeroed", [(0.55, 100, 55), (0.3, 10, 3), (0.25, 5, 2), (0.07, 100, 7)])
def test_the_z0_rows_are_the_ceiling_of_the_exact_share_not_of_its_float_product(share, batch, zeroed):
    """ceil(share x B) in exact arithmetic: 0.55 x 100 is 55.00000000000001 and 0.07 x 100 is 7.000000000000001 in
    floating point, whose ceilings zeroed one row more than the share (56, 8); 0.25 x 5 = 1.25 still zeroes 2."""
    keep = make_trainer(train_z0_policy=True, z0_policy_share=share)._z0_keep(2, batch).reshape(2, batch)
    assert (keep[:, :zeroed] == 0).all() and (keep[:, zeroed:] == 1).all()


@pytest.mark.parametrize(
    "overrides, message",
    [
        (["--z_strategy", "weighted"], "z_strategy 'weighted' with use_hvar false: expected use_hvar true"),
        (["--z_strategy", "poe"], "z_strategy 'poe' with use_hvar false"),
        (["--use_hvar", "true"], "use_hvar true with z_strategy 'mean': expected z_strategy 'weighted' or 'poe'"),
        (["--z_strategy", "median"], "z_strategy 'median': expected one of ['mean', 'weighted', 'poe']"),
        (
            ["--algo_type", "CLASSIFY"],
            "algo_type 'CLASSIFY': expected one of ['CSRO', 'FOCAL', 'OFFPEARL', 'CLASSIFIER', "
            "'CORRO', 'UNICORN_SS', 'UNICORN_SUP', 'BOREL']",
        ),
        # (with train_z0_policy true: alone, "z0_policy_share ... with train_z0_policy false" matched as well)
        (
            ["--train_z0_policy", "true", "--z0_policy_share", "0"],
            "algo_params.z0_policy_share 0.0: expected a value in (0, 1]$",
        ),
    ],
)
def test_combinations_that_cannot_work_are_refused(overrides, message):
    with pytest.raises(UserError, match=message.replace("(", r"\(").replace("[", r"\[")):
        load_config(None, parse_override_args(overrides))


# CLASSIFIER with heteroscedastic embeddings and CLUB off: only the classification trains the variance half
CLASSIFIER_HVAR = dict(
    algo_type="CLASSIFIER",
    use_club=False,
    use_hvar=True,
    z_strategy="weighted",
    n_train_tasks=3,
    n_eval_tasks=1,
    meta_batch=3,
    interpolation=False,
)


def test_classifier_with_hvar_classifies_embeddings_with_noise_of_their_own_std():
    """Heteroscedastic classification, by hand: each embedding e_j is classified as e_j + sqrt(var_j) * eps (eps from
    the trainer's generator), weighted by z_loss_weight (a noise scaled by the variance itself passed)."""
    tr = make_trainer(**CLASSIFIER_HVAR)
    tasks, context, _ = make_inputs()
    lat = tr.latents(context, rows_per_task=1)
    state = tr.generator.get_state()
    _, z_loss = tr._encoder_grads(lat, tasks, None, None)
    tr.generator.set_state(state)
    noisy = lat.e + lat.e_var.sqrt() * torch.randn(lat.e.shape, generator=tr.generator)
    logits = tr.classifier(noisy)  # [T, b, classes]: every embedding labelled with its task's class
    labels = tr.class_of_task[tasks][:, None].expand(logits.shape[:2])
    want = tr.settings.z_loss_weight * F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1))
    assert not torch.allclose(lat.e_var.sqrt(), lat.e_var, rtol=0.05)
    torch.testing.assert_close(z_loss, want.detach())


def test_classifier_trains_the_variance_through_noisy_embeddings():
    """CLASSIFIER's objective is per transition; with use_hvar it classifies e_j + s_j * noise, so the
    variance half of the encoder's last layer learns from it too (CLUB off: nothing else could)."""
    tr = make_trainer(**CLASSIFIER_HVAR)
    tasks, context, batch = make_inputs()
    w_var = tr.agent.encoder.layers[-1].weight.chunk(2, dim=0)[1].detach().clone()
    tr.train_step(tasks, context, batch)
    assert not torch.equal(tr.agent.encoder.layers[-1].weight.chunk(2, dim=0)[1], w_var)


def test_infer_z_list_gives_each_context_its_own_mean_and_an_empty_one_the_prior():
    """`infer_z_list` takes contexts of different lengths; each non-empty one gets the mean of its own embeddings, an
    empty one the prior mean 0 (docstring). It guards against giving a one-transition context the prior (a job whose
    only context episode ended after one step would act as if it had seen nothing), and against sending a batch of only
    empty contexts to the encoder's mean over zero rows (NaN z). By hand: the mean of one embedding is that embedding;
    of three rows, their average; contexts of two lengths, none empty, each their own (not stacked as one batch)."""
    L, C = 3, 5  # latent and context widths
    agent = CSROAgent(2, 2, L, C, 16, generator=torch.Generator().manual_seed(0))
    g = torch.Generator().manual_seed(1)
    one, three = torch.randn(1, C, generator=g), torch.randn(3, C, generator=g)
    with torch.no_grad():
        e1, e3 = agent.encode(one), agent.encode(three)
        z = agent.infer_z_list([one, torch.zeros(0, C), three])
        torch.testing.assert_close(z[0], e1[0])
        assert torch.equal(z[1], torch.zeros(L))
        torch.testing.assert_close(z[2], (e3[0] + e3[1] + e3[2]) / 3)
        assert torch.equal(agent.infer_z_list([torch.zeros(0, C), torch.zeros(0, C)]), torch.zeros(2, L))
        z = agent.infer_z_list([three, one])  # different lengths, none empty (early-terminated episodes)
        torch.testing.assert_close(z, torch.stack([e3.mean(0), e1[0]]))


def test_a_misspelt_kind_of_dual_critic_penalty_is_refused_not_run_as_the_value_penalty():
    """dual_critic_penalty is 'value' or 'gradient'; another word (a typo) is a one-line error."""
    with pytest.raises(
        UserError, match=r"^algo_params\.dual_critic_penalty 'gradiant': expected one of \['value', 'gradient'\]$"
    ):
        load_config(None, parse_override_args(["--use_brac", "true", "--dual_critic_penalty", "gradiant"]))
    assert load_config(None, parse_override_args(["--use_brac", "true", "--dual_critic_penalty", "gradient"]))


# each numeric key the trainer copies from algo_params, with a value no other key of the table has (and none of them
# at its default), so that a field read from the wrong key, or a constant in place of a key, shows
PASSED_THROUGH = {
    "alpha_init": 3.0,
    "alpha_max": 7.0,
    "alpha_lr": 0.11,
    "target_divergence": 0.13,
    "reward_scale": 17.0,
    "discount": 0.77,
    "soft_target_tau": 0.019,
    "z_loss_weight": 2.3,
    "club_model_loss_weight": 2.9,
    "club_loss_weight": 3.1,
    "policy_mean_reg_weight": 0.037,
    "policy_std_reg_weight": 0.041,
    "policy_pre_activation_weight": 0.043,
    "context_lr": 4.7e-4,
    "qf_lr": 5.3e-4,
    "vf_lr": 5.9e-4,
    "policy_lr": 6.1e-4,
    "c_lr": 6.7e-4,
}


def test_every_weight_rate_and_constant_of_the_config_reaches_the_trainer_settings_unchanged():
    """Each numeric hyperparameter of algo_params (loss weights, learning rates, reward scale, discount, BRAC's alpha
    keys) reaches `TrainerSettings` from its own key, unchanged. The reference-step test's port reads the trainer's
    resolved settings, and the golden runs set reward_scale 1 and keep both policy regularisers at 1e-3, so a field
    taken from the wrong key, or a constant in place of its key, passed both."""
    cfg = load_config(None, {"algo_params": {"use_brac": True, "train_alpha": True, **PASSED_THROUGH}})
    settings = TrainerSettings.from_config(cfg, range(30))
    assert {k: getattr(settings, k) for k in PASSED_THROUGH} == PASSED_THROUGH
