import itertools
import math
import sys

import pytest
import torch

from rlkit.errors import UserError
from rlkit.torch import cpu_kernels, networks
from rlkit.torch.flops import count_flops
from rlkit.torch.networks import MLP, EnsembleMLP, TanhGaussianPolicy, tanh_gaussian


def test_reference_initialisation():
    net = MLP([5, 200, 200, 7], generator=torch.Generator().manual_seed(0))
    hidden = net.layers[0]
    assert hidden.weight.abs().max() <= 1 / math.sqrt(200)  # fan = output size (reference quirk)
    assert torch.all(hidden.bias == 0.1)
    assert net.layers[-1].weight.abs().max() <= 3e-3 and net.layers[-1].bias.abs().max() <= 3e-3


def test_ensemble_members_are_independent_mlps(kernels):
    ens = EnsembleMLP(3, [4, 8, 8, 2], generators=[torch.Generator().manual_seed(i) for i in range(3)])
    x = torch.randn(3, 5, 4)
    out = ens(x)
    for m in range(3):
        h = x[m]
        for k, (w, b) in enumerate(zip(ens.weights, ens.biases)):
            h = h @ w[m] + b[m]
            if k < 2:
                h = torch.relu(h)
        torch.testing.assert_close(out[m], h)
    torch.testing.assert_close(ens(x[0])[1], ens(x[0][None].expand(3, -1, -1))[1])  # shared 2-D input


def test_tanh_gaussian_log_prob():
    mean, log_std = torch.tensor([[0.2, -0.4]]), torch.tensor([[-0.5, -1.0]])
    noise = torch.tensor([[0.3, -1.2]])
    out = tanh_gaussian(mean, log_std, noise)
    pre = mean + log_std.exp() * noise
    base = torch.distributions.Normal(mean, log_std.exp()).log_prob(pre)
    expected = (base - torch.log(1 - torch.tanh(pre) ** 2 + 1e-6)).sum(-1, keepdim=True)
    torch.testing.assert_close(out.log_prob, expected)
    torch.testing.assert_close(tanh_gaussian(mean, log_std, None).action, torch.tanh(mean))


def test_policy_log_std_clamped_to_reference_bounds():
    pol = TanhGaussianPolicy(3, 2, [8])
    with torch.no_grad():
        pol.net.layers[-1].bias.fill_(50.0)
    out = pol(torch.zeros(1, 3), deterministic=True)
    assert out.log_std.max().item() == pytest.approx(0.0)


def _plain_hidden(x, w, b):
    return torch.relu(x @ w + b)


@pytest.fixture(params=["cpu-kernels", "cpu-kernels-no-onednn", "plain"])
def kernels(request, monkeypatch):
    """Each test on every path of the hidden layers: the CPU kernels (with the oneDNN linear, and with
    addmm where oneDNN is missing or the dtype is not float32) and plain PyTorch."""
    cpu_kernels.use_cpu_kernels(request.param != "plain")
    if request.param == "cpu-kernels-no-onednn":
        monkeypatch.setattr(cpu_kernels, "_ONEDNN_LINEAR", False)
    yield request.param
    cpu_kernels.use_cpu_kernels(None)


@pytest.mark.parametrize("shape", ["mlp", "ensemble", "ensemble-shared-input"])
def test_hidden_layer_matches_plain_ops(kernels, shape):
    """The hidden layer (custom forward and in-place masked backward, or plain) equals relu(x @ W + b)
    and its autograd."""
    g = torch.Generator().manual_seed(0)
    if shape == "mlp":
        x, w, b = torch.randn(64, 7, generator=g), torch.randn(7, 9, generator=g), torch.randn(9, generator=g)
    else:
        x, w, b = (
            torch.randn(3, 64, 7, generator=g),
            torch.randn(3, 7, 9, generator=g),
            torch.randn(3, 1, 9, generator=g),
        )
        if shape == "ensemble-shared-input":
            x = torch.randn(64, 7, generator=g)[None].expand(3, -1, -1)
    upstream = torch.randn(x.shape[:-1] + (9,), generator=g)
    results = []
    for fn in (networks._hidden_layer, _plain_hidden):
        leaves = [t.detach().clone().requires_grad_(True) for t in (x, w, b)]
        y = fn(*leaves)
        # a second layer on top, so the incoming gradient is an intermediate tensor as in an MLP
        w2, b2 = torch.full(w.shape[:-2] + (9, 9), 1 / 9), torch.zeros_like(b)
        (fn(y, w2, b2) * upstream).sum().backward()
        results.append((y.detach(), *(t.grad for t in leaves)))
    for got, want in zip(*results):
        torch.testing.assert_close(got, want)


def test_switch_picks_the_path(kernels):
    """On: the CPU kernels' layer (its own backward node); off, or a tensor off the CPU: plain PyTorch."""
    x, w, b = torch.randn(4, 3, requires_grad=True), torch.randn(3, 5), torch.randn(5)
    node = type(networks._hidden_layer(x, w, b).grad_fn).__name__
    assert (node == "_HiddenLayerBackward") == (kernels != "plain"), node
    assert cpu_kernels.enabled_for(x) == (kernels != "plain")
    assert not cpu_kernels.enabled_for(torch.empty(4, 3, device="meta"))  # CUDA and any other device: plain
    out = networks.MLP([3, 5, 2]).to("meta")(torch.empty(4, 3, device="meta").requires_grad_())
    assert out.shape == (4, 2) and out.device.type == "meta"


def test_switch_from_the_environment(monkeypatch):
    """CSRO_CPU_KERNELS: unset or 1 is on, 0 is off, anything else one clear error naming the value."""
    try:
        for value, on in ((None, True), ("1", True), ("0", False)):
            if value is None:
                monkeypatch.delenv(cpu_kernels.ENV_VAR, raising=False)
            else:
                monkeypatch.setenv(cpu_kernels.ENV_VAR, value)
            cpu_kernels.use_cpu_kernels(None)
            assert cpu_kernels.cpu_kernels_on() is on
        assert not cpu_kernels.keep_freed_memory()  # off: the malloc setting too changes nothing
        monkeypatch.setenv(cpu_kernels.ENV_VAR, "yes")
        cpu_kernels.use_cpu_kernels(None)
        with pytest.raises(UserError, match=r"CSRO_CPU_KERNELS='yes': expected 1 .* or 0"):
            cpu_kernels.cpu_kernels_on()
    finally:
        monkeypatch.undo()
        cpu_kernels.use_cpu_kernels(None)


@pytest.mark.parametrize("where", ["input", "weight"])
def test_hidden_layer_propagates_nan_like_plain_ops(kernels, where):
    """A NaN in the input or a weight must come out as NaN, as relu(x @ W + b) gives, never as 0."""
    g = torch.Generator().manual_seed(0)
    x, w, b = torch.randn(8, 5, generator=g), torch.randn(5, 6, generator=g), torch.randn(6, generator=g)
    if where == "input":
        x[2, 1] = float("nan")
    else:
        w[3, 4] = float("nan")
    want = _plain_hidden(x, w, b)
    for got in (networks._hidden_layer(x, w, b), networks._hidden_layer(x.requires_grad_(), w, b)):
        assert torch.equal(got.isnan(), want.isnan()) and want.isnan().any()
        torch.testing.assert_close(got.detach().nan_to_num(), want.nan_to_num())
    mlp, ens = networks.MLP([5, 6, 1]), networks.EnsembleMLP(2, [5, 6, 1])
    with torch.no_grad():
        mlp.layers[0].weight[0, 0] = float("nan")
        ens.weights[0][1, 0, 0] = float("nan")
    assert mlp(torch.ones(4, 5)).isnan().all()
    out = ens(torch.ones(4, 5))
    assert out[1].isnan().all() and not out[0].isnan().any()


def test_hidden_layer_double_backward_matches_plain_ops(kernels):
    """A gradient penalty differentiates through the backward (create_graph): same values and grads."""
    g = torch.Generator().manual_seed(1)
    x0, w0, b0 = torch.randn(32, 5, generator=g), torch.randn(5, 6, generator=g), torch.randn(6, generator=g)
    v = torch.randn(6, 1, generator=g)
    results = []
    for fn in (networks._hidden_layer, _plain_hidden):
        x, w, b = (t.clone().requires_grad_(True) for t in (x0, w0, b0))
        out = fn(fn(x, w, b) @ torch.eye(6) * 0.7, torch.eye(6), torch.zeros(6)) @ v
        (gx,) = torch.autograd.grad(out.sum(), x, create_graph=True)
        (gx**2).sum().backward()
        results.append((gx.detach(), w.grad, b.grad))
    for got, want in zip(*results):
        torch.testing.assert_close(got, want)


def test_flops_counted_alike_on_every_path(kernels):
    """`count_flops` knows the CPU kernels' ops: an MLP's forward and backward count the same on each path."""
    net = networks.MLP([7, 16, 16, 3])
    x = torch.randn(10, 7)
    # forward: 2 * rows * (7*16 + 16*16 + 16*3); backward: weight gradients of all layers, input gradients but the first
    forward = 2 * 10 * (7 * 16 + 16 * 16 + 16 * 3)
    assert count_flops(lambda: net(x).sum().backward()) == forward + forward + 2 * 10 * (16 * 16 + 16 * 3)


def test_matmul_probe_rates_each_shape_by_its_flops_and_keeps_the_fastest(monkeypatch):
    """`MatmulProbe()` answers the best shape's rate, 2 x n x k x m FLOPs a product, 3 products timed together: with
    one shape timed at 1 ms and the others at 1 s it is 6 x 1024^3 / 1e-3 = 6.44e12 FLOP/s for the square shape,
    6 x 16384 x 200 x 200 / 1e-3 = 3.93e12 and 6 x 8192 x 256 x 256 / 1e-3 = 3.22e12 for a step's big shapes (the
    operands stood in for by their shapes, the clock by fixed times)."""
    from types import SimpleNamespace

    import rlkit.torch.flops as fl

    class Operand:
        def __init__(self, *shape):
            self.shape = shape

        def __matmul__(self, other):
            return None

    monkeypatch.setattr(fl, "torch", SimpleNamespace(randn=Operand))
    for fast, want in enumerate((6 * 1024**3 / 1e-3, 6 * 16384 * 200 * 200 / 1e-3, 6 * 8192 * 256 * 256 / 1e-3)):
        probe = fl.MatmulProbe()
        times = [1e-3 if i == fast else 1.0 for i in range(3)]
        ticks = iter([x for i, d in enumerate(times) for x in (10.0 * i, 10.0 * i + d)])  # each shape's start, end
        monkeypatch.setattr(fl, "time", SimpleNamespace(perf_counter=ticks.__next__))
        assert probe() == pytest.approx(want, rel=1e-9)


def test_mlp_equals_sequential_reference(kernels):
    net = MLP([4, 16, 16, 3], output_activation=torch.tanh, generator=torch.Generator().manual_seed(0))
    seq = torch.nn.Sequential(
        net.layers[0], torch.nn.ReLU(), net.layers[1], torch.nn.ReLU(), net.layers[2], torch.nn.Tanh()
    )
    x = torch.randn(2, 10, 4)
    grads = []
    for f in (net, seq):
        net.zero_grad()
        f(x).pow(2).sum().backward()
        grads.append([p.grad.clone() for p in net.parameters()])
    torch.testing.assert_close(net(x), seq(x))
    for a, b in zip(*grads):
        torch.testing.assert_close(a, b)


@pytest.mark.parametrize("net", [MLP([3, 8, 8, 1]), EnsembleMLP(2, [3, 8, 8, 1])])
def test_frozen_forward_same_value_gradient_to_input_only(kernels, net):
    x = torch.randn(5, 3, requires_grad=True)
    torch.testing.assert_close(net(x, frozen=True), net(x))
    (gx,) = torch.autograd.grad(net(x).sum(), x)
    net(x, frozen=True).sum().backward()
    torch.testing.assert_close(x.grad, gx)
    assert all(p.grad is None for p in net.parameters())


@pytest.mark.parametrize("bias,expected", [(-50.0, -20.0), (-10.0, -10.0), (50.0, 0.0)])
def test_policy_log_std_clamped_below_at_minus_20(bias, expected):
    """The policy's log-std is clamped below at LOG_STD_MIN = -20: a head pushed to -50 must read -20 (std e^-20),
    one at -10 must pass unclamped. This catches LOG_STD_MIN changed from -20 to -2 and the clamp's lower bound
    dropped, which the existing test, raising the log-std head only, does not (a lower floor would keep the
    meta-policy from ever becoming nearly deterministic; no floor lets log pi reach +inf and the losses NaN)."""
    pol = TanhGaussianPolicy(3, 2, [8])
    with torch.no_grad():
        pol.net.layers[-1].weight.zero_()
        pol.net.layers[-1].bias.fill_(bias)
    out = pol(torch.zeros(1, 3), deterministic=True)
    torch.testing.assert_close(out.log_std, torch.full((1, 2), expected))


def test_the_matmul_probe_counts_two_flops_per_multiply_add(monkeypatch):
    """An [n, k] @ [k, m] product is n * m dot products of k multiply-adds, 2 n k m FLOPs (as
    torch.utils.flop_counter counts the training step the probe is compared with). A 6x5 @ 5x4 product is 240
    FLOPs; once in 0.5 s (a clock stepping 0.5 s per read), 480 FLOP/s, the best of the probe's shapes. Counted once
    per multiply-add, every "% of the matmul peak" would read twice as high."""
    import rlkit.torch.flops as flops

    monkeypatch.setattr(flops.MatmulProbe, "SHAPES", [(4, 3, 2), (6, 5, 4)])  # (small: 48 and 240 FLOPs)
    probe = flops.MatmulProbe()
    clock = itertools.count(0.0, 0.5)
    monkeypatch.setattr(flops.time, "perf_counter", lambda: next(clock))
    assert probe(reps=1) == pytest.approx(480.0)


class _FakeLibc:
    def __init__(self, answers=None):
        self.calls, self.answers = [], answers or {}

    def mallopt(self, key, value):
        self.calls.append((key, value))
        return self.answers.get(key, 1)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc malloc settings")
def test_keep_freed_memory_sets_glibcs_three_settings_each_to_its_value(monkeypatch):
    """`keep_freed_memory` gives each of glibc's three settings its own value, names M_MMAP_THRESHOLD (-3), and
    applies every setting even where glibc refuses one. It guards against giving the values to the wrong settings,
    naming M_MMAP_MAX (-4) for M_MMAP_THRESHOLD (-3), or stopping at the first setting glibc refuses: the process
    then paged-faulted on fresh mmap pages every step (the 6-14 ms per step the setting is there to save) while
    reporting it applied, or returned memory to the OS at a 256 MB trim threshold. glibc's ids: M_TRIM_THRESHOLD -1,
    M_TOP_PAD -2, M_MMAP_THRESHOLD -3."""
    import ctypes

    libc = _FakeLibc()
    monkeypatch.setattr(ctypes, "CDLL", lambda name: libc)
    cpu_kernels.use_cpu_kernels(True)
    try:
        assert cpu_kernels.keep_freed_memory() is True
        assert sorted(libc.calls) == sorted([(-3, 256 << 20), (-1, 1 << 30), (-2, 64 << 20)])
        refusing = _FakeLibc(answers={-3: 0})  # one refused: False, and the others are still applied
        monkeypatch.setattr(ctypes, "CDLL", lambda name: refusing)
        assert cpu_kernels.keep_freed_memory() is False and len(refusing.calls) == 3
        cpu_kernels.use_cpu_kernels(False)  # switched off: nothing is set
        off = _FakeLibc()
        monkeypatch.setattr(ctypes, "CDLL", lambda name: off)
        assert cpu_kernels.keep_freed_memory() is False and off.calls == []
    finally:
        cpu_kernels.use_cpu_kernels(None)


def test_a_float64_hidden_layer_on_the_cpu_kernels_matches_plain_ops():
    """`_hidden_forward` sends float32 only to the oneDNN linear, not every dtype: oneDNN refuses float64, so with
    every dtype sent there a network in double precision (`net.double()`, for a gradient check) failed with a
    RuntimeError from inside oneDNN whenever the CPU kernels were on (the default)."""
    g = torch.Generator().manual_seed(0)
    x, w, b = (torch.randn(*s, generator=g, dtype=torch.float64) for s in ((8, 3), (3, 5), (5,)))
    cpu_kernels.use_cpu_kernels(True)
    try:
        y = cpu_kernels.hidden_layer(x, w, b)
    finally:
        cpu_kernels.use_cpu_kernels(None)
    assert y.dtype == torch.float64
    torch.testing.assert_close(y, torch.relu(x @ w + b))


def test_an_mlps_and_an_ensembles_last_layer_default_to_the_references_3e_3():
    """Without `init_w` the last layer's weights and biases are uniform in +-3e-3 (rlkit's default, not the hidden
    layers' init): within 3e-3, and of 800 weights most beyond 1e-3."""
    mlp = MLP([5, 16, 50], generator=torch.Generator().manual_seed(0))
    ens = EnsembleMLP(1, [5, 16, 50], generators=[torch.Generator().manual_seed(0)])
    for w, b in ((mlp.layers[-1].weight, mlp.layers[-1].bias), (ens.weights[-1], ens.biases[-1])):
        assert w.abs().max() <= 3e-3 and b.abs().max() <= 3e-3
        assert w.abs().max() > 2e-3 and (w.abs() > 1e-3).float().mean() > 0.5


def test_an_ensemble_of_one_holds_an_mlps_initial_values():
    """EnsembleMLP's doc: member m is initialised as an MLP is, the same bounds and draws filled into the [in, out]
    layout (an MLP's [out, in] weight's values in order, not its transpose: kept so, as every run's initial weights
    depend on it). Input narrower than the hidden layers (4 -> 64), so a hidden bound of 1/sqrt(in) (fan-in, not the
    reference's fan = output size) would differ; the critics' init was checked only by the slow golden test."""
    sizes = [4, 64, 64, 1]
    mlp = MLP(sizes, generator=torch.Generator().manual_seed(0))
    ens = EnsembleMLP(1, sizes, generators=[torch.Generator().manual_seed(0)])
    for layer, w, b in zip(mlp.layers, ens.weights, ens.biases):
        assert torch.equal(w[0].flatten(), layer.weight.flatten()) and torch.equal(b[0, 0], layer.bias)
    assert ens.weights[0].abs().max() <= 1 / math.sqrt(64) and ens.weights[0].abs().max() > 1 / math.sqrt(64) / 2


def test_the_policys_last_layer_is_drawn_within_1e_3():
    """TanhGaussianPolicy's last layer (the mean and log std heads) starts uniform in +-1e-3, the reference's
    TanhGaussianPolicy init_w, not the 3e-3 of the other networks: within 1e-3, and most of its weights beyond 3e-4."""
    last = TanhGaussianPolicy(6, 2, [32, 32], generator=torch.Generator().manual_seed(0)).net.layers[-1]
    assert last.weight.abs().max() <= 1e-3 and last.bias.abs().max() <= 1e-3
    assert (last.weight.abs() > 3e-4).float().mean() > 0.5


def test_an_ensemble_of_an_unknown_init_is_refused():
    """`init` other than "rlkit" or "orthogonal" (a typo) is a ValueError naming it, not silently rlkit's
    initialisation."""
    with pytest.raises(ValueError, match="init 'Orthogonal': expected 'rlkit' or 'orthogonal'"):
        EnsembleMLP(2, [3, 4], init="Orthogonal")


def test_the_matmul_probe_divides_the_work_of_all_its_reps_by_their_time(monkeypatch):
    """The probe times `reps` products and counts the FLOPs of `reps` products: each product of a [6, 5] @ [5, 4]
    shape (240 FLOPs) taking 1 s on the clock, 3 reps give 240 FLOP/s; timing one product fewer than it counts (or
    the reverse) would inflate the peak by 3/2."""
    import rlkit.torch.flops as flops

    clock = [0.0]

    class Operand:
        def __init__(self, shape):
            self.shape = shape

        def __matmul__(self, other):
            clock[0] += 1.0  # each product takes one second

    monkeypatch.setattr(flops.MatmulProbe, "SHAPES", [(6, 5, 4)])
    probe = flops.MatmulProbe()
    probe.operands = [(Operand((6, 5)), Operand((5, 4)))]
    monkeypatch.setattr(flops.time, "perf_counter", lambda: clock[0])
    assert probe(reps=3) == pytest.approx(240.0)


def test_every_network_has_the_layer_sizes_of_the_papers_table():
    """docs/algorithm.md's network table, weight by weight (BRAC, latent_size 4, net_size 16, s and a of size 2):
    q_phi and q_psi are 3 x 200 ReLU whatever net_size is, the critics, V and the policy 3 x net_size; q_phi is 2 x
    latent_size wide at its output with use_hvar. The reference-step test copies the trainer's own layers into its
    reference and the seed test compares the trainer with itself, so an encoder one layer short passed both."""
    from tests.test_gradient_flow import make_trainer

    def weights(module):
        return [tuple(p.shape) for name, p in module.named_parameters() if "bias" not in name]

    trainer = make_trainer(use_brac=True)
    mlp = [(16, 6), (16, 16), (16, 16), (1, 16)]  # (s, z) -> 3 x 16 -> 1
    want = {
        "agent": [(200, 5), (200, 200), (200, 200), (4, 200), (16, 6), (16, 16), (16, 16), (4, 16)],  # q_phi, pi
        "club_net": [(200, 4), (200, 200), (200, 200), (8, 200)],  # (s, a) -> 3 x 200 -> mean, raw variance
        "qf": [(2, 8, 16), (2, 16, 16), (2, 16, 16), (2, 16, 1)],  # twin (s, a, z) -> 3 x 16 -> 1
        "vf": mlp,
        "target_vf": mlp,
        "dual_critic": [(16, 8), (16, 16), (16, 16), (1, 16)],
    }
    assert {name: weights(m) for name, m in trainer.modules().items()} == want
    hvar = make_trainer(use_hvar=True, z_strategy="weighted").agent.encoder
    assert weights(hvar) == [(200, 5), (200, 200), (200, 200), (8, 200)]


def test_a_hidden_layer_whose_bias_alone_learns_gets_its_gradient(kernels):
    """Frozen weights and input, a bias that learns: the layer still goes through the kernels' autograd function,
    since the oneDNN linear has no backward of its own (through it the bias would get no gradient, silently).
    The bias's gradient equals plain autograd's."""
    g = torch.Generator().manual_seed(0)
    x, w, b = torch.randn(8, 3, generator=g), torch.randn(3, 5, generator=g), torch.randn(5, generator=g)
    w2 = torch.randn(5, 2, generator=g)
    grads = []
    for fn in (networks._hidden_layer, _plain_hidden):
        bias = b.clone().requires_grad_(True)
        (fn(x, w, bias) @ w2).sum().backward()
        grads.append(bias.grad)
    assert grads[0] is not None
    torch.testing.assert_close(grads[0], grads[1])


def test_a_hidden_layer_summed_directly_gets_autograds_gradients(kernels):
    """y.sum() hands the layer an expanded gradient whose elements share one memory location: masking it in place
    (the kernels' shortcut for the fresh gradient a next layer's matmul gives) would zero it wherever any unit is
    off. hidden_layer used alone, with nothing after it, gives plain autograd's gradients on every path."""
    g = torch.Generator().manual_seed(0)
    x, w, b = torch.randn(8, 3, generator=g), torch.randn(3, 5, generator=g), torch.randn(5, generator=g)
    grads = []
    for fn in (networks._hidden_layer, _plain_hidden):
        leaves = [t.clone().requires_grad_(True) for t in (x, w, b)]
        fn(*leaves).sum().backward()
        grads.append([t.grad for t in leaves])
    assert grads[1][2].abs().sum() > 0  # some units are on: the wrong in-place mask gave a zero bias gradient
    for ours, plain in zip(*grads):
        torch.testing.assert_close(ours, plain)


def test_the_matmul_probe_gives_the_best_of_its_shapes_not_the_last(monkeypatch):
    """The probe's throughput is the best over its shapes: a [6, 5] @ [5, 4] product (240 FLOPs) and a [3, 5] @ [5, 4]
    one (120 FLOPs), each taking 1 s on the clock, give 240 FLOP/s (the first shape's), not the last shape's 120."""
    import rlkit.torch.flops as flops

    clock = [0.0]

    class Operand:
        def __init__(self, shape):
            self.shape = shape

        def __matmul__(self, other):
            clock[0] += 1.0

    monkeypatch.setattr(flops.MatmulProbe, "SHAPES", [(6, 5, 4)])
    probe = flops.MatmulProbe()
    probe.operands = [(Operand((6, 5)), Operand((5, 4))), (Operand((3, 5)), Operand((5, 4)))]
    monkeypatch.setattr(flops.time, "perf_counter", lambda: clock[0])
    assert probe(reps=2) == pytest.approx(240.0)


def test_each_ensemble_member_draws_every_layer_from_its_own_generator():
    """EnsembleMLP's doc: member m is initialised as an `MLP` is, with `generators[m]`: with two generators of
    different seeds, member 1 holds the values of an MLP drawn from the second, its last layer included. The tests
    gave every member the same generator (as the trainer's twin critics do), so a last layer drawn from member 0's
    generator for every member changed no test."""
    sizes = [4, 8, 1]
    ens = EnsembleMLP(2, sizes, generators=[torch.Generator().manual_seed(0), torch.Generator().manual_seed(1)])
    for m, seed in enumerate((0, 1)):
        mlp = MLP(sizes, generator=torch.Generator().manual_seed(seed))
        for layer, w, b in zip(mlp.layers, ens.weights, ens.biases):
            assert torch.equal(w[m].flatten(), layer.weight.flatten()) and torch.equal(b[m, 0], layer.bias)
