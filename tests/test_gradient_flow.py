"""Which parameters each update moves (docs/algorithm.md: the encoder learns only from the max-MI and min-MI losses).

Through the trainer's public surface only (`train_step`, `latents`, `modules`, `optimizers`, `state_dict`) and
torch's own hooks, so that the trainer's private methods can change without these tests."""

import dataclasses
import io

import pytest
import torch

from rlkit.config import load_config, parse_override_args
from rlkit.data.buffer import RLBatch
from rlkit.tasks import train_eval_split
from rlkit.torch.csro.trainer import CSROTrainer, TrainerSettings

OBS, ACT = 2, 2
CLASSIFIER = {"algo_type": "CLASSIFIER", "n_train_tasks": 3, "n_eval_tasks": 1, "meta_batch": 3, "interpolation": False}


def assert_detached(record) -> None:
    """Every tensor a step returns (a `LossRecord`, BOREL's `ElboTerms`) is out of autograd: the runner adds them up
    on the device over an iteration, and one carrying its graph would keep every step's graph alive until the read."""
    for f in dataclasses.fields(record):
        v = getattr(record, f.name)
        assert not (isinstance(v, torch.Tensor) and (v.requires_grad or v.grad_fn is not None)), f.name


def make_trainer(seed: int = 0, unchecked: dict | None = None, **overrides) -> CSROTrainer:
    """A small trainer of the config `overrides` give; `unchecked`: `TrainerSettings` fields set after the config,
    for settings a config refuses (an encoder nothing trains) whose gradient flow is still checked here."""
    args = []
    for k, v in {"latent_size": 4, "net_size": 16, **overrides}.items():
        args += [f"--{k}", str(v).lower() if isinstance(v, bool) else str(v)]
    cfg = load_config(None, parse_override_args(args))
    settings = TrainerSettings.from_config(cfg, train_eval_split(cfg)[0])  # the run setup's training tasks
    settings = dataclasses.replace(settings, **(unchecked or {}))
    return CSROTrainer(settings, OBS, ACT, torch.device("cpu"), seed=seed)


def make_inputs(T=3, b=8, B=5, seed=0):
    g = torch.Generator().manual_seed(seed)
    context = torch.randn(T, b, OBS + ACT + 1, generator=g)
    batch = RLBatch(
        torch.randn(T, B, OBS, generator=g),
        torch.rand(T, B, ACT, generator=g) * 2 - 1,
        torch.randn(T, B, 1, generator=g),
        torch.randn(T, B, OBS, generator=g),
        torch.zeros(T, B, 1),
    )
    return torch.arange(T), context, batch


def extra_batches(tr: CSROTrainer) -> list[RLBatch]:
    """The 2nd and 3rd dual-critic steps' batches with BRAC (c_iter 3), else none."""
    return [make_inputs(seed=1)[2], make_inputs(seed=2)[2]] if tr.settings.use_brac else []


def snapshot(module):
    return [p.detach().clone() for p in module.parameters()]


def changed(module, before) -> bool:
    return any(not torch.equal(p, q) for p, q in zip(module.parameters(), before))


def owners(tr: CSROTrainer) -> dict[torch.Tensor, str]:
    """Each trainable parameter -> its network: a `modules()` name, the agent split into encoder and policy."""
    out = {}
    for name, module in tr.modules().items():
        for pname, p in module.named_parameters():
            if p.requires_grad:
                out[p] = pname.split(".")[0] if name == "agent" else name
    return out


def step_timeline(tr: CSROTrainer, *inputs) -> list[str]:
    """One `train_step`, as the sequence of the networks whose gradients a backward builds (consecutive
    repeats merged) and of the optimisers' steps ('step NAME', NAME a key of `optimizers()`)."""
    events, handles = [], []

    def grad_built(network):
        if not events or events[-1] != network:
            events.append(network)

    for p, network in owners(tr).items():
        handles.append(p.register_post_accumulate_grad_hook(lambda _, network=network: grad_built(network)))
    for name, opt in tr.optimizers().items():
        handles.append(opt.register_step_pre_hook(lambda *_, name=name: events.append(f"step {name}")))
    try:
        tr.train_step(*inputs)
    finally:
        for h in handles:
            h.remove()
    return events


CLUB = ["club_net", "step club"]  # 2: the CLUB net's fit builds its gradients only (sg(e))
# after 4: the encoder's step; 5: V's gradients only; 6: the policy's only (Q and c are constants in its loss)
ACTOR_CRITIC_TAIL = ["step qf", "step encoder", "vf", "step vf", "policy", "step policy"]


@pytest.mark.parametrize(
    "overrides, expected",
    [
        # 3 + 1 build the encoder's gradients (the CLUB bound none of the CLUB net's), 4 the critics' only
        ({}, CLUB + ["encoder", "qf"] + ACTOR_CRITIC_TAIL),
        ({"use_brac": True}, ["dual_critic", "step dual_critic"] * 3 + CLUB + ["encoder", "qf"] + ACTOR_CRITIC_TAIL),
        ({"algo_type": "FOCAL"}, ["encoder", "qf"] + ACTOR_CRITIC_TAIL),
        # PEARL's KL builds the encoder's gradients, then the critic's loss adds to them (oyster sac.py: KL backward,
        # then the Q backward, then the Q and encoder steps)
        ({"algo_type": "OFFPEARL"}, ["encoder", "qf", "encoder"] + ACTOR_CRITIC_TAIL),
        # without the bottleneck (PEARL's deterministic z) only the critic's loss trains the encoder
        ({"algo_type": "OFFPEARL", "use_information_bottleneck": False}, ["qf", "encoder"] + ACTOR_CRITIC_TAIL),
        ({"allow_backward_z": True}, CLUB + ["encoder", "qf", "encoder"] + ACTOR_CRITIC_TAIL),  # its own losses + 4
        (CLASSIFIER, CLUB + ["classifier", "encoder", "qf"] + ACTOR_CRITIC_TAIL),
        # nothing trains the encoder (a config refuses it: rlkit.config._inert_settings_checks)
        ({"unchecked": {"use_club": False, "use_focal": False}}, ["qf"] + ACTOR_CRITIC_TAIL),
    ],
)
def test_each_backward_builds_gradients_for_what_is_stepped_next(overrides, expected):
    tr = make_trainer(**overrides)
    tasks, context, batch = make_inputs()
    assert step_timeline(tr, tasks, context, batch, extra_batches(tr)) == expected


def test_critic_loss_trains_encoder_with_backward_z():
    tr = make_trainer(allow_backward_z=True, use_club=False, use_FOCAL_cl=False)
    tasks, context, batch = make_inputs()
    enc = snapshot(tr.agent.encoder)
    tr.train_step(tasks, context, batch)
    assert changed(tr.agent.encoder, enc)


@pytest.mark.parametrize("algo", ["CSRO", "FOCAL"])
def test_backward_z_adds_the_critic_gradient_to_the_encoder_losses(algo):
    """With allow_backward_z on CSRO or FOCAL the encoder steps on its own losses plus the critic's: its
    step differs from the one without allow_backward_z (same seed, same inputs)."""
    encoders = []
    for backward_z in (False, True):
        tr = make_trainer(algo_type=algo, allow_backward_z=backward_z)
        tr.train_step(*make_inputs())
        encoders.append(snapshot(tr.agent.encoder))
    assert any(not torch.equal(p, q) for p, q in zip(*encoders))


def test_without_encoder_losses_encoder_is_frozen():
    tr = make_trainer(unchecked={"use_club": False, "use_focal": False})
    tasks, context, batch = make_inputs()
    enc = snapshot(tr.agent.encoder)
    tr.train_step(tasks, context, batch)
    assert not changed(tr.agent.encoder, enc)


@pytest.mark.parametrize("algo,use_brac", [("CSRO", False), ("CSRO", True), ("FOCAL", False), ("OFFPEARL", False)])
def test_full_step_moves_the_right_networks(algo, use_brac):
    tr = make_trainer(algo_type=algo, use_brac=use_brac)
    tasks, context, batch = make_inputs()
    mods = tr.modules()
    before = {k: snapshot(m) for k, m in mods.items()}
    rec = tr.train_step(tasks, context, batch, extra_batches(tr))
    moved = {k for k, m in mods.items() if changed(m, before[k])}
    expected = {"agent", "qf", "vf", "target_vf"} | ({"club_net"} if algo == "CSRO" else set())
    expected |= {"dual_critic"} if use_brac else set()
    assert moved == expected
    assert torch.isfinite(rec.qf_loss) and (rec.club_loss != 0) == (algo == "CSRO")
    if use_brac:
        assert rec.alpha.item() != 500.0  # alpha moved by alpha_lr * (D_hat - target)
    else:
        assert rec.dual_critic_loss.item() == 0.0


@pytest.mark.parametrize("overrides", [{}, {"use_brac": True}, CLASSIFIER])
def test_optimizers_step_every_module_parameter_once(overrides):
    """The contract `state_dict` relies on: `modules()` holds every parameter an optimiser steps, and each
    trainable parameter is stepped by exactly one optimiser (the target V by none: Polyak)."""
    tr = make_trainer(**overrides)
    stepped = [p for opt in tr.optimizers().values() for group in opt.param_groups for p in group["params"]]
    trainable = [p for name, m in tr.modules().items() if name != "target_vf" for p in m.parameters()]
    assert len(stepped) == len({id(p) for p in stepped}) == len(trainable)
    assert {id(p) for p in stepped} == {id(p) for p in trainable}
    assert not any(p.requires_grad for p in tr.target_vf.parameters())


@pytest.mark.parametrize("overrides", [{"use_brac": True}, {"use_hvar": True, "z_strategy": "poe"}])
def test_state_dict_round_trip_continues_the_same_steps(overrides):
    """Through a file, as `latest.pt`: a trainer of another seed continues exactly (weights, optimisers,
    alpha, the noise stream)."""
    a, b = make_trainer(**overrides), make_trainer(seed=1, **overrides)
    a.train_step(*make_inputs(), extra_batches(a))
    buf = io.BytesIO()
    torch.save(a.state_dict(), buf)
    buf.seek(0)
    b.load_state_dict(torch.load(buf, weights_only=True))
    tasks, context, batch = make_inputs(seed=3)
    rec_a, rec_b = (tr.train_step(tasks, context, batch, extra_batches(tr)) for tr in (a, b))
    assert all(torch.equal(x, y) for x, y in zip(vars(rec_a).values(), vars(rec_b).values()))
    for name, m in a.modules().items():
        assert not changed(b.modules()[name], snapshot(m)), name


# ---- BRAC's switches by hand (a mutation audit of the non-default switches) ---------------------------------------
def test_brac_keeps_alpha_at_its_init_without_train_alpha():
    tr = make_trainer(use_brac=True, train_alpha=False, alpha_init=2.5)
    tr.train_step(*make_inputs(), extra_batches(tr))
    assert tr.alpha_var.item() == 2.5
    tr = make_trainer(use_brac=True, alpha_init=2.5)  # and it moves with train_alpha (the default)
    tr.train_step(*make_inputs(), extra_batches(tr))
    assert tr.alpha_var.item() != 2.5


def test_the_interpolation_penalty_trains_the_dual_critic_by_hand():
    """c = 3 everywhere (its last layer: zero weights, bias 3), where the penalty acts (|c| > 1): d loss / d bias is
    d(-mean D_hat)/db + d penalty/db, with D_hat = -softplus(c_data) + log(softplus(c_policy) + 1e-8) + 1 and the
    penalty 5 mean((sqrt(1e-8 + c_int^2) - 1)^2): sigma(3) - sigma(3) / softplus(3) + 10 (s - 1) 3 / s with
    s = sqrt(1e-8 + 9), 0.640 + 20.0 (a penalty cut from the graph leaves 0.640)."""
    import math

    tr = make_trainer(use_brac=True)
    last = [m for m in tr.dual_critic.modules() if isinstance(m, torch.nn.Linear)][-1]
    with torch.no_grad():
        last.weight.zero_(), last.bias.fill_(3.0)
    _, _, batch = make_inputs()
    obs, actions = batch.obs.reshape(-1, 2), batch.actions.reshape(-1, 2)
    loss = tr._dual_critic_loss(obs, -actions, actions, torch.zeros(obs.shape[0], 4))
    (grad,) = torch.autograd.grad(loss, last.bias)
    sigma, softplus, s = 1 / (1 + math.exp(-3.0)), math.log1p(math.exp(3.0)), math.sqrt(1e-8 + 9.0)
    assert grad.item() == pytest.approx(sigma - sigma / (softplus + 1e-8) + 10 * (s - 1) * 3.0 / s, rel=1e-5)


def test_the_critic_learns_the_dense_reward_not_the_context_reward():
    """Under sparse_rewards a batch's context_rewards differ from its rewards; outside UNICORN_SS's decoder no part
    of the step reads them: the step is the same with context_rewards 100 above the rewards."""
    records = []
    for shift in (None, 100.0):
        tr = make_trainer(use_brac=True)
        tasks, context, b = make_inputs()
        batch = RLBatch(
            b.obs, b.actions, b.rewards, b.next_obs, b.terminals, None if shift is None else b.rewards + shift
        )
        records.append(tr.train_step(tasks, context, batch, extra_batches(tr)))
    assert torch.equal(records[0].qf_loss, records[1].qf_loss)
    assert torch.equal(records[0].policy_loss, records[1].policy_loss)


def test_loading_weights_without_optimizers_keeps_the_fresh_optimisers_and_this_seeds_noise_stream():
    """`load_state_dict(state, with_optimizers=False)` (path_to_weights, show_path) loads the saved run's weights, not
    also its Adam moments and training-noise generator. A run started from another run's networks takes their weights
    only (tests/test_smoke.py's slow path_to_weights test says "not its optimisers" but compares the modules alone): its
    optimisers start empty and its noise stream is its own seed's."""
    a = make_trainer(use_brac=True)
    a.train_step(*make_inputs(), extra_batches(a))
    b = make_trainer(seed=1, use_brac=True)
    own_noise = b.generator.get_state().clone()
    b.load_state_dict(a.state_dict(), with_optimizers=False)
    for name, m in a.modules().items():
        for p, q in zip(m.parameters(), b.modules()[name].parameters()):
            assert torch.equal(p, q), name
    assert all(len(opt.state) == 0 for opt in b.optimizers().values())
    assert torch.equal(b.generator.get_state(), own_noise)
    assert any(len(opt.state) > 0 for opt in a.optimizers().values())  # (there were moments to copy)


def test_a_resume_continues_brac_alpha_from_its_unclipped_value():
    """The trainer's state saves the dual variable `alpha_var` it updates, not the clipped alpha (`alpha`, used in the
    losses) in its place. BRAC's alpha follows D_hat unclipped (losses.alpha_update: "unclipped; used clipped"), so a
    run resumed from the clipped alpha while alpha_var is outside [0, alpha_max] would restart the dual ascent from the
    clip and train on another alpha than the run that never stopped. By hand: alpha_init 0, alpha_lr 1 and a target
    divergence of 1000 take alpha_var to about -1000 in one step (used as 0); the resumed trainer must hold that value
    and take the same next step."""
    a = make_trainer(use_brac=True, alpha_init=0.0, target_divergence=1000.0)
    a.train_step(*make_inputs(), extra_batches(a))
    assert a.alpha_var.item() < -900 and a.alpha.item() == 0.0
    b = make_trainer(seed=1, use_brac=True, alpha_init=0.0, target_divergence=1000.0)
    b.load_state_dict(a.state_dict())
    assert b.alpha_var.item() == a.alpha_var.item()
    inputs = make_inputs(seed=3)
    a.train_step(*inputs, extra_batches(a))
    b.train_step(*inputs, extra_batches(b))
    assert a.alpha_var.item() < -1800
    assert b.alpha_var.item() == a.alpha_var.item()


def test_the_networks_initial_weights_follow_the_runs_seed():
    """Every network's initial weights come from the run's seed (its "init" stream): the same seed gives the same
    weights, another seed other weights. The tests build their trainers with seed 0, where an init stream that ignores
    the seed passes."""

    def weights(tr):
        return {f"{m}.{k}": v for m, mod in tr.modules().items() for k, v in mod.state_dict().items()}

    a, b, c = weights(make_trainer(seed=3)), weights(make_trainer(seed=3)), weights(make_trainer(seed=4))
    assert a.keys() == b.keys() == c.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)
    # every drawn tensor (the twin critics' `qf.weights.i` and each last layer's bias among them), not the constant
    # biases (0 or the reference's 0.1): filtering on names ending "weight" left the critics' ensemble uncompared
    drawn = [k for k in a if not torch.all(a[k] == a[k].flatten()[0])]
    assert {"qf.weights.0", "qf.weights.3", "qf.biases.3", "agent.policy.net.layers.3.bias"} <= set(drawn)
    assert [k for k in drawn if torch.equal(a[k], c[k])] == []


def test_loading_weights_without_optimizers_still_takes_the_saved_brac_alpha():
    """A start from another run's weights (`path_to_weights`: `load_state_dict(state, with_optimizers=False)`)
    takes that run's BRAC alpha with its networks: alpha is learned state of the method (loss 8), not an
    optimiser's, and the policy loss and the value penalty read it from the first step. Only the resume test
    checked alpha, so a load that restored it with the optimisers alone, leaving a weights-only start at
    alpha_init, changed no test. By hand: alpha_init 0, alpha_lr 1 and a target divergence of 1000 take alpha_var
    to about -1000 in one step; the trainer loaded from those weights holds that value, not its own init 0."""
    a = make_trainer(use_brac=True, alpha_init=0.0, target_divergence=1000.0)
    a.train_step(*make_inputs(), extra_batches(a))
    assert a.alpha_var.item() < -900
    b = make_trainer(seed=1, use_brac=True, alpha_init=0.0, target_divergence=1000.0)
    b.load_state_dict(a.state_dict(), with_optimizers=False)
    assert b.alpha_var.item() == a.alpha_var.item()
