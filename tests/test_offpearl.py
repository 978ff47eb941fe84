"""OFFPEARL = PEARL's probabilistic encoder and KL on CSRO's learner (docs/algorithm.md, "OFFPEARL"): the
settings it resolves to, the encoder's output, which parameters the KL moves, where the live posterior sample
goes, the meta-test z (posterior mean, or PEARL's sample), and the keys refused where they mean nothing."""

import dataclasses
import io
import json
import math

import pytest
import torch

from rlkit.config import config_from_variant, load_config, parse_override_args, pearl_bottleneck
from rlkit.errors import UserError
from rlkit.torch.csro.agent import MIN_VARIANCE, CSROAgent, inverse_variance_mean, product_of_gaussians
from rlkit.torch.csro.trainer import TrainerSettings
from tests.test_gradient_flow import changed, make_inputs, make_trainer, snapshot
from tests.test_variants import z_inputs_of_one_step

PEARL = {"algo_type": "OFFPEARL"}


def settings(*args: str) -> TrainerSettings:
    return TrainerSettings.from_config(load_config(None, parse_override_args(list(args))), range(30))


def test_offpearl_resolves_to_pearls_encoder_with_the_bottleneck_by_default():
    s = settings("--algo_type", "OFFPEARL")
    assert (s.use_hvar, s.z_strategy, s.identity_encoder, s.pearl_kl, s.kl_lambda, s.allow_backward_z) == (
        True,
        "poe",
        True,
        True,
        0.1,
        True,
    )
    assert not s.use_focal and not s.use_club and not s.sample_z_at_test
    s = settings("--algo_type", "OFFPEARL", "--use_information_bottleneck", "false")  # PEARL's deterministic z
    assert (s.use_hvar, s.z_strategy, s.identity_encoder, s.pearl_kl, s.kl_lambda) == (False, "mean", True, False, 0.0)
    s = settings("--algo_type", "OFFPEARL", "--kl_lambda", "1.0", "--sample_z_at_test", "true")
    assert (s.kl_lambda, s.sample_z_at_test) == (1.0, True)
    s = settings()  # CSRO: none of it
    assert (s.identity_encoder, s.pearl_kl, s.kl_lambda, s.sample_z_at_test) == (False, False, 0.0, False)


def test_pearls_encoder_has_an_identity_mean_and_a_softplus_variance():
    """No tanh: a large last-layer bias gives means above 1; variances softplus(raw), clamped at 1e-7."""
    tr = make_trainer(**PEARL)
    last = tr.agent.encoder.layers[-1]
    with torch.no_grad():
        last.bias[:4] = 5.0  # the mean half
        last.bias[4:] = -50.0  # the variance half: softplus(-50) < 1e-7
    _, context, _ = make_inputs()
    e, var = tr.agent.encode_with_var(context)
    raw = tr.agent.encoder(context)
    assert e.shape == var.shape == (3, 8, 4) and (e > 4).all()
    torch.testing.assert_close(e, raw[..., :4])
    assert (var == MIN_VARIANCE).all()
    det = make_trainer(**PEARL, use_information_bottleneck=False)  # PEARL's deterministic z: L identity outputs
    with torch.no_grad():
        det.agent.encoder.layers[-1].bias.fill_(5.0)
    e, var = det.agent.encode_with_var(context)
    assert var is None and (e > 4).all()
    torch.testing.assert_close(det.agent.infer_z(context), e.mean(dim=1))


def test_the_critic_gets_the_live_posterior_sample_and_the_rest_its_detached_copy():
    tr = make_trainer(**PEARL)
    _, context, _ = make_inputs()
    lat = tr.latents(context, rows_per_task=5)
    assert lat.critic_rows.requires_grad and not lat.rows.requires_grad
    assert torch.equal(lat.rows, lat.critic_rows.detach())
    assert not torch.equal(lat.rows, lat.z.detach().repeat_interleave(5, dim=0))  # a sample, not the mean
    torch.testing.assert_close(lat.z_var, product_of_gaussians(lat.e, lat.e_var)[1])
    # reparameterised: the sample's gradient reaches both the posterior mean's and the variance's parameters
    (w_mean, w_var) = torch.autograd.grad(lat.critic_rows.sum(), [tr.agent.encoder.layers[-1].weight])[0].chunk(2)
    assert w_mean.abs().sum() > 0 and w_var.abs().sum() > 0
    seen = z_inputs_of_one_step(tr, *make_inputs())  # V, target V and the policy see the same values as Q
    for name in ("policy", "vf", "target_vf"):
        torch.testing.assert_close(seen[name], seen["qf"], msg=name)


def test_the_kl_moves_the_encoder_only():
    """One step with kl_lambda 0.1 and with 0 from the same start: the encoder steps differently (the KL's
    gradient reaches it), and every other network ends the same (the KL reaches none of them)."""
    trainers = [make_trainer(**PEARL, kl_lambda=w) for w in (0.1, 0.0)]
    for tr in trainers:
        tr.train_step(*make_inputs())
    a, b = trainers
    assert changed(a.agent.encoder, snapshot(b.agent.encoder))
    # through both halves of the posterior: its means and its variances (a KL read with the variance detached moved
    # the means alone, and passed here)
    latent, (last_a, last_b) = a.settings.latent_size, (t.agent.encoder.layers[-1] for t in trainers)
    assert last_a.bias.shape[0] == 2 * latent
    assert not torch.equal(last_a.bias[:latent], last_b.bias[:latent])
    assert not torch.equal(last_a.bias[latent:], last_b.bias[latent:])
    for name, m in a.modules().items():
        if name != "agent":
            assert not changed(m, snapshot(b.modules()[name])), name
    assert not changed(a.agent.policy, snapshot(b.agent.policy))


def test_the_kl_pulls_the_posterior_towards_the_prior():
    """With the critic's gradient out of the way (reward_scale tiny, no Q signal on z), steps on the KL alone
    shrink KL(q(z|c) || N(0, I))."""
    tr = make_trainer(**PEARL, kl_lambda=1.0, reward_scale=1e-3)
    with torch.no_grad():
        tr.agent.encoder.layers[-1].bias[:4] = 2.0  # posterior means far from 0
    tasks, context, batch = make_inputs()
    first = tr.train_step(tasks, context, batch).z_loss  # "Z Loss" logs kl_lambda * KL
    for _ in range(20):
        last = tr.train_step(tasks, context, batch).z_loss
    assert first > 0 and last < 0.8 * first


def test_meta_test_z_is_the_posterior_mean_and_the_prior_mean_without_context():
    tr = make_trainer(**PEARL)
    _, context, _ = make_inputs()
    e, var = tr.agent.encode_with_var(context)
    torch.testing.assert_close(tr.agent.infer_z(context), inverse_variance_mean(e, var))
    assert torch.equal(tr.agent.infer_z(context), tr.agent.infer_z(context))
    z = tr.agent.infer_z_list([torch.zeros(0, context.shape[-1]), context[1]])
    assert torch.equal(z[0], torch.zeros(4))
    torch.testing.assert_close(z[1], inverse_variance_mean(e[1], var[1]))


def test_pearls_sampled_meta_test_z_is_an_option():
    """sample_z_at_test: z is drawn from the posterior (around its mean, with its variance), an empty context
    from N(0, I), on a stream of its own that a resumed trainer continues."""
    tr = make_trainer(**PEARL, sample_z_at_test=True)
    _, context, _ = make_inputs(b=4)
    e, var = tr.agent.encode_with_var(context)
    with torch.no_grad():
        samples = torch.stack([tr.agent.infer_z(context) for _ in range(4000)])
    torch.testing.assert_close(samples.mean(0), inverse_variance_mean(e, var).detach(), atol=0.05, rtol=0)
    torch.testing.assert_close(samples.var(0), product_of_gaussians(e, var)[1].detach(), atol=0, rtol=0.1)
    prior = tr.agent.prior_z(4000)
    assert abs(prior.mean().item()) < 0.05 and abs(prior.std().item() - 1) < 0.05
    other = make_trainer(seed=1, **PEARL, sample_z_at_test=True)
    buf = io.BytesIO()
    torch.save(tr.state_dict(), buf)
    buf.seek(0)
    other.load_state_dict(torch.load(buf, weights_only=True))
    assert torch.equal(tr.agent.prior_z(3), other.agent.prior_z(3))


@pytest.mark.parametrize(
    "overrides, message",
    [
        (
            ["--kl_lambda", "0.5"],
            "algo_params.kl_lambda 0.5 without the information bottleneck (algo_type OFFPEARL, "
            "use_information_bottleneck true or null): expected the default 0.1",
        ),
        (
            ["--algo_type", "OFFPEARL", "--use_information_bottleneck", "false", "--kl_lambda", "1"],
            "algo_params.kl_lambda 1.0 without the information bottleneck",
        ),
        (
            ["--algo_type", "FOCAL", "--use_information_bottleneck", "true"],
            "algo_params.use_information_bottleneck true with algo_type 'FOCAL': expected false or null",
        ),
        (["--sample_z_at_test", "true"], "algo_params.sample_z_at_test true without the information bottleneck"),
        (
            ["--algo_type", "OFFPEARL", "--use_information_bottleneck", "false", "--sample_z_at_test", "true"],
            "algo_params.sample_z_at_test true without the information bottleneck",
        ),
        (
            ["--algo_type", "OFFPEARL", "--z_strategy", "weighted"],
            "algo_params.z_strategy 'weighted' with OFFPEARL's information bottleneck: expected 'poe' or the default "
            "'mean' (it sets 'poe' itself)",
        ),
        (["--algo_type", "OFFPEARL", "--kl_lambda", "-1"], "algo_params.kl_lambda -1.0: expected a value in >= 0"),
    ],
)
def test_pearl_keys_are_refused_where_they_mean_nothing(overrides, message):
    with pytest.raises(UserError) as info:
        load_config(None, parse_override_args(overrides))
    assert str(info.value).startswith(message)


@pytest.mark.parametrize(
    "config, args, expected",
    [
        ("ant-goal.json", [], 1.0),  # PEARL's configs/ant-goal.json
        ("sparse-point-robot.json", [], 1.0),  # and sparse-point-robot.json
        ("point-robot.json", [], 0.1),  # PEARL's default elsewhere
        ("cheetah-vel.json", [], 0.1),
        ("ant-goal.json", ["--kl_lambda", "0.1"], 0.1),  # a value given wins, even PEARL's default
        ("ant-goal.json", ["--kl_lambda", "0.3"], 0.3),
        ("ant-goal.json", ["--use_information_bottleneck", "0"], 0.1),  # 0 is false: no bottleneck, no KL weight
    ],
)
def test_offpearls_kl_weight_is_pearls_for_the_env_unless_given(config, args, expected):
    """PEARL's kl_lambda is 1.0 on ant-goal and sparse-point-robot (its configs), 0.1 elsewhere; variant.json records
    the value used."""
    from tests.conftest import ROOT

    cfg = load_config(ROOT / "configs" / config, parse_override_args(["--algo_type", "OFFPEARL", *args]))
    assert cfg.algo_params.kl_lambda == expected
    assert TrainerSettings.from_config(cfg, range(30)).kl_lambda == (expected if pearl_bottleneck(cfg) else 0.0)
    for algo in (["--algo_type", "CSRO"], ["--algo_type", "OFFPEARL", "--use_information_bottleneck", "false"]):
        assert load_config(ROOT / "configs" / config, parse_override_args(algo)).algo_params.kl_lambda == 0.1


def test_what_offpearl_and_corro_set_themselves_is_what_the_config_records():
    """variant.json is `dataclasses.asdict(cfg)`: it must hold the switches the trainer runs with, not the defaults
    it overrode (OFFPEARL's z came out recorded as 'mean' without a variance head, run as 'poe' with one)."""
    for args, expected in [
        (["--algo_type", "OFFPEARL"], (True, True, "poe", False)),
        (["--algo_type", "OFFPEARL", "--use_information_bottleneck", "false"], (True, False, "mean", False)),
        (["--algo_type", "CORRO"], (True, False, "mean", True)),
        (["--algo_type", "FOCAL"], (False, False, "mean", False)),
    ]:
        cfg = load_config(None, parse_override_args(args))
        a, s = cfg.algo_params, TrainerSettings.from_config(cfg, range(30))
        assert (a.allow_backward_z, a.use_hvar, a.z_strategy, a.use_next_obs_in_context) == expected, args
        assert (s.allow_backward_z, s.use_hvar, s.z_strategy) == expected[:3], args
        again = config_from_variant(json.loads(json.dumps(dataclasses.asdict(cfg))))  # read back from variant.json
        assert again == cfg, args


def test_offpearl_without_the_bottleneck_still_accepts_the_defaults():
    for args in (
        ["--algo_type", "OFFPEARL", "--use_information_bottleneck", "false"],
        ["--use_information_bottleneck", "false"],
    ):
        load_config(None, parse_override_args(args))


L, C = 3, 5  # latent and context widths of the hand-made encoders below


L, C = 3, 5


def constant_encoder(agent: CSROAgent, mean: float, var: float | None = None) -> None:
    """The encoder's last layer zeroed and its bias set: every transition embeds to `mean` in every dim (and, with
    use_hvar, to the variance `var`: softplus(raw) = var for raw = log(exp(var) - 1))."""
    last = agent.encoder.layers[-1]
    with torch.no_grad():
        last.weight.zero_()
        last.bias[:L] = mean
        if var is not None:
            last.bias[L:] = math.log(math.expm1(var))


def test_pearls_sampled_meta_test_z_is_drawn_around_the_posterior_mean():
    """With `sample_z_at_test` (OFFPEARL) the meta-test z is a sample of the product-of-Gaussians posterior,
    mean + sqrt(var) * eps (PEARL's sample_z), not one without the mean: a slip that dropped the mean
    (z = sqrt(var) * eps) had the policy act on noise around 0 whatever the context said, and OFFPEARL's meta-test
    would not depend on the task. By hand: b = 4 transitions each N(2, 0.5) give the posterior N(2, 0.5 / 4) in
    every dim."""
    agent = CSROAgent(
        2,
        2,
        L,
        C,
        16,
        generator=torch.Generator().manual_seed(0),
        use_hvar=True,
        z_strategy="poe",
        identity_output=True,
    )
    constant_encoder(agent, 2.0, 0.5)
    context = torch.randn(1, 4, C, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        torch.testing.assert_close(agent.infer_z(context), torch.full((1, L), 2.0))  # the posterior mean
        agent.test_z_generator = torch.Generator().manual_seed(2)
        samples = torch.cat([agent.infer_z(context) for _ in range(4000)])
    torch.testing.assert_close(samples.mean(0), torch.full((L,), 2.0), atol=0.03, rtol=0)
    torch.testing.assert_close(samples.var(0), torch.full((L,), 0.125), atol=0, rtol=0.1)


def test_the_meta_test_z_is_the_product_of_unequal_gaussians_by_hand():
    """The posterior mean and the sampled z's variance are the product of the transitions' Gaussians, which equal
    variances (a constant encoder, a fresh one) cannot tell from their plain average. Four transitions N(1, 1),
    N(3, 3), N(1, 1), N(3, 3) in each dim: precision 1 + 1/3 + 1 + 1/3 = 8/3, so the posterior is N(1.5, 0.375),
    where the average gives mean 2 and the mean of the variances over 4, 0.5."""
    agent = CSROAgent(
        1, 1, 2, 4, 8, generator=torch.Generator().manual_seed(0), use_hvar=True, z_strategy="poe", identity_output=True
    )
    agent.encoder = torch.nn.Identity()  # a context row [mean half, raw half] is the encoder's output
    raw = {1.0: math.log(math.e - 1), 3.0: math.log(math.exp(3.0) - 1)}  # softplus(raw) = the variance
    context = torch.tensor([[[m, m, raw[m], raw[m]] for m in (1.0, 3.0, 1.0, 3.0)]])
    with torch.no_grad():
        torch.testing.assert_close(agent.infer_z(context), torch.full((1, 2), 1.5))
        agent.test_z_generator = torch.Generator().manual_seed(2)
        samples = torch.cat([agent.infer_z(context) for _ in range(4000)])
    torch.testing.assert_close(samples.mean(0), torch.full((2,), 1.5), atol=0.03, rtol=0)
    torch.testing.assert_close(samples.var(0), torch.full((2,), 0.375), atol=0, rtol=0.1)


def test_a_state_saved_before_the_encoder_output_record_loads_under_offpearl():
    """A trainer state without the `encoder_output` record (saved before it existed) is read as it is
    (`load_state_dict`'s docstring), under OFFPEARL's identity encoder too; taking a missing record for "tanh" would
    refuse every such OFFPEARL state. A state that does name another output is still refused."""
    a = make_trainer(algo_type="OFFPEARL")
    assert a.encoder_output == "identity"
    state = a.state_dict()
    del state["encoder_output"]
    b = make_trainer(seed=1, algo_type="OFFPEARL")
    b.load_state_dict(state)
    for p, q in zip(a.agent.encoder.parameters(), b.agent.encoder.parameters()):
        assert torch.equal(p, q)
    state["encoder_output"] = "tanh"
    with pytest.raises(RuntimeError, match="trained through tanh"):
        b.load_state_dict(state)


def test_the_per_transition_variance_is_floored_at_pearls_1e_7_only():
    """The per-transition variances are clamped at PEARL's 1e-7 (a floor against division by zero in
    the product of Gaussians), so a confident transition's small variance (softplus(-5) = 6.7e-3) is kept as it is;
    a larger floor flattens every such variance and with it the weighting of `weighted` and `poe`. The existing test
    compares with the constant itself, whatever its value."""
    agent = CSROAgent(1, 1, 2, 4, 8, generator=torch.Generator().manual_seed(0), use_hvar=True)
    agent.encoder = torch.nn.Identity()  # a context row [mean half, raw half] is the encoder's output
    context = torch.tensor([[[0.3, -0.2, -50.0, -5.0]]])
    e, var = agent.encode_with_var(context)
    torch.testing.assert_close(e, torch.tanh(torch.tensor([[[0.3, -0.2]]])))
    assert var[0, 0, 0].item() == pytest.approx(1e-7, rel=1e-6)
    assert var[0, 0, 1].item() == pytest.approx(float(torch.nn.functional.softplus(torch.tensor(-5.0))), rel=1e-6)


def test_a_state_without_a_test_z_stream_loads_into_a_sampling_trainer_and_keeps_its_own():
    """`load_state_dict` restores the meta-test z stream only where the state has one: a state of an OFFPEARL
    trainer that did not sample its meta-test z (no `test_z_generator`) loads, optimisers included, into one that
    does, which keeps its own stream; nothing checked a state without it, so a load that required it (a KeyError)
    changed no test."""
    plain = make_trainer(**PEARL)
    state = plain.state_dict()
    assert "test_z_generator" not in state
    sampling = make_trainer(seed=1, **PEARL, sample_z_at_test=True)
    own = sampling.agent.test_z_generator.get_state().clone()
    sampling.load_state_dict(state)
    assert torch.equal(sampling.agent.test_z_generator.get_state(), own)
    for p, q in zip(plain.agent.encoder.parameters(), sampling.agent.encoder.parameters()):
        assert torch.equal(p, q)
