"""Which parameters each update moves (docs/algorithm.md: the encoder learns only from the max-MI and min-MI losses)."""
import pytest
import torch

from rlkit.config import load_config, parse_override_args
from rlkit.data.buffer import RLBatch
from rlkit.torch.csro.trainer import CSROTrainer, TrainerSettings

OBS, ACT = 2, 2


def make_trainer(**overrides) -> CSROTrainer:
    args = []
    for k, v in {"latent_size": 4, "net_size": 16, **overrides}.items():
        args += [f"--{k}", str(v).lower() if isinstance(v, bool) else str(v)]
    cfg = load_config(None, parse_override_args(args))
    return CSROTrainer(TrainerSettings.from_config(cfg), OBS, ACT, torch.device("cpu"), seed=0)


def make_inputs(T=3, b=8, B=5, seed=0):
    g = torch.Generator().manual_seed(seed)
    context = torch.randn(T, b, OBS + ACT + 1, generator=g)
    batch = RLBatch(torch.randn(T, B, OBS, generator=g), torch.rand(T, B, ACT, generator=g) * 2 - 1,
                    torch.randn(T, B, 1, generator=g), torch.randn(T, B, OBS, generator=g), torch.zeros(T, B, 1))
    return torch.arange(T), context, batch


def snapshot(module):
    return [p.detach().clone() for p in module.parameters()]


def changed(module, before) -> bool:
    return any(not torch.equal(p, q) for p, q in zip(module.parameters(), before))


def test_critic_loss_leaves_encoder_untouched_without_backward_z():
    tr = make_trainer()
    _, context, batch = make_inputs()
    z = tr.agent.infer_z(context)
    z_rows = z.detach().repeat_interleave(5, 0)
    flat = RLBatch(*(x.reshape(15, -1) for x in (batch.obs, batch.actions, batch.rewards, batch.next_obs, batch.terminals)))
    tr.encoder_opt.zero_grad()
    enc, qf, pol = snapshot(tr.agent.encoder), snapshot(tr.qf), snapshot(tr.agent.policy)
    tr._update_critics(flat, z_rows, torch.zeros(15, 1))
    assert changed(tr.qf, qf)
    assert not changed(tr.agent.encoder, enc) and not changed(tr.agent.policy, pol)


def test_critic_loss_trains_encoder_with_backward_z():
    tr = make_trainer(allow_backward_z=True, use_club=False, use_FOCAL_cl=False)
    tasks, context, batch = make_inputs()
    enc = snapshot(tr.agent.encoder)
    tr.train_step(tasks, context, batch)
    assert changed(tr.agent.encoder, enc)


def test_without_encoder_losses_encoder_is_frozen():
    tr = make_trainer(use_club=False, use_FOCAL_cl=False)
    tasks, context, batch = make_inputs()
    enc = snapshot(tr.agent.encoder)
    tr.train_step(tasks, context, batch)
    assert not changed(tr.agent.encoder, enc)


def test_club_bound_does_not_update_club_net():
    tr = make_trainer()
    tasks, context, _ = make_inputs()
    e = tr.agent.encode(context)
    mu, var = tr._club_params(context[..., :OBS + ACT])
    club = snapshot(tr.club_net)
    tr.club_opt.zero_grad(set_to_none=True)
    tr._encoder_grads(e, e.mean(1), tasks, mu.detach(), var.detach())
    assert all(p.grad is not None for p in tr.agent.encoder.parameters())
    assert all(p.grad is None for p in tr.club_net.parameters())
    assert not changed(tr.club_net, club)


def test_club_net_fit_does_not_touch_encoder():
    tr = make_trainer()
    _, context, _ = make_inputs()
    e = tr.agent.encode(context)
    tr.encoder_opt.zero_grad(set_to_none=True)
    club = snapshot(tr.club_net)
    tr._update_club_net(context, e)
    assert changed(tr.club_net, club)
    assert all(p.grad is None for p in tr.agent.encoder.parameters())


def test_policy_update_moves_only_policy():
    tr = make_trainer()
    _, context, batch = make_inputs()
    obs = batch.obs.reshape(15, -1)
    z_rows = tr.agent.infer_z(context).detach().repeat_interleave(5, 0)
    pi = tr.agent.policy_output(obs, z_rows)
    min_q = tr._q(obs, pi.action, z_rows).min(0).values
    others = {n: snapshot(m) for n, m in [("qf", tr.qf), ("vf", tr.vf), ("enc", tr.agent.encoder)]}
    pol = snapshot(tr.agent.policy)
    tr._update_policy(pi, min_q, None)
    assert changed(tr.agent.policy, pol)
    for name, m in [("qf", tr.qf), ("vf", tr.vf), ("enc", tr.agent.encoder)]:
        assert not changed(m, others[name]), name
        assert all(p.grad is None for p in m.parameters()), name


@pytest.mark.parametrize("algo,use_brac", [("CSRO", False), ("CSRO", True), ("FOCAL", False), ("OFFPEARL", False)])
def test_full_step_moves_the_right_networks(algo, use_brac):
    tr = make_trainer(algo_type=algo, use_brac=use_brac)
    tasks, context, batch = make_inputs()
    mods = tr.modules()
    before = {k: snapshot(m) for k, m in mods.items()}
    extra = [make_inputs(seed=1)[2], make_inputs(seed=2)[2]] if use_brac else []
    rec = tr.train_step(tasks, context, batch, extra)
    moved = {k for k, m in mods.items() if changed(m, before[k])}
    expected = {"agent", "qf", "vf", "target_vf"} | ({"club_net"} if algo == "CSRO" else set())
    expected |= {"dual_critic"} if use_brac else set()
    assert moved == expected
    assert torch.isfinite(rec.qf_loss) and (rec.club_loss != 0) == (algo == "CSRO")
    if use_brac:
        assert rec.alpha.item() != 500.0  # alpha moved by alpha_lr * (D_hat - target)
    else:
        assert rec.dual_critic_loss.item() == 0.0
