"""Lipschitz estimates: the global upper bound really bounds the local ones."""

import math

import pytest
import torch
from torch import nn

from gobig.methods.robustness.lipschitz import _operator_norm, local_gradient_norms, logit_margin, spectral_norm_bound
from gobig.methods.robustness.models import build_model

pytestmark = pytest.mark.unit


def test_logit_margin():
    logits = torch.tensor([[3.0, 1.0, 2.0], [0.0, 5.0, 1.0]])
    assert logit_margin(logits, torch.tensor([0, 0])).tolist() == [1.0, -5.0]


def test_conv_operator_norm_matches_the_dense_matrix():
    torch.manual_seed(0)
    conv = nn.Conv2d(2, 3, 5, padding=2)
    shape = torch.Size((1, 2, 8, 8))
    # The conv's linear part as an explicit matrix, column by column.
    basis = torch.eye(2 * 8 * 8).view(-1, 2, 8, 8)
    with torch.no_grad():
        matrix = (conv(basis) - conv.bias.view(1, -1, 1, 1)).flatten(1).T
    exact = torch.linalg.matrix_norm(matrix, ord=2).item()
    assert _operator_norm(conv, shape, iterations=200, generator=torch.Generator().manual_seed(0)) == pytest.approx(
        exact, rel=1e-3
    )


def test_bound_is_above_local_estimates_of_a_trained_model(trained_mlp, mnist_cpu):
    local = local_gradient_norms(trained_mlp, mnist_cpu.test_images[:500], mnist_cpu.test_labels[:500])
    bound = spectral_norm_bound(trained_mlp)
    assert 0 < local.max().item() <= bound


@pytest.mark.parametrize("family,size", [("madry", 1), ("madry", 2), ("blog", 0)])
def test_bound_is_above_local_estimates_of_random_cnns(family, size, mnist_cpu):
    torch.manual_seed(0)
    model = build_model(family, size)
    local = local_gradient_norms(model, mnist_cpu.test_images[:200], mnist_cpu.test_labels[:200])
    assert local.max().item() <= spectral_norm_bound(model)


def test_bound_of_a_single_linear_layer_is_sqrt2_times_its_norm():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
    expected = math.sqrt(2) * torch.linalg.matrix_norm(model[1].weight, ord=2).item()
    assert spectral_norm_bound(model) == pytest.approx(expected, rel=1e-6)
