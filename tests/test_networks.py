import math

import pytest
import torch

from rlkit.torch.networks import MLP, EnsembleMLP, TanhGaussianPolicy, tanh_gaussian


def test_reference_initialisation():
    net = MLP([5, 200, 200, 7], generator=torch.Generator().manual_seed(0))
    hidden = net.layers[0]
    assert hidden.weight.abs().max() <= 1 / math.sqrt(200)  # fan = output size (reference quirk)
    assert torch.all(hidden.bias == 0.1)
    assert net.layers[-1].weight.abs().max() <= 3e-3 and net.layers[-1].bias.abs().max() <= 3e-3


def test_ensemble_members_are_independent_mlps():
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
