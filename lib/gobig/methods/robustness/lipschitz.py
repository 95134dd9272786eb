"""Lipschitz estimates of a classifier's logit margin, in l2 on pixels in
[0, 1] (the norm the universal law is stated in).

The margin ``m(x) = z_y(x) - max_{j != y} z_j(x)`` decides whether the
prediction is right, and ``m(x) / L`` is a certified l2 radius, so its
Lipschitz constant is the quantity the law is about.

- local: ``||grad_x m(x)||_2`` at test points: a lower bound on the global
  constant, and what an attacker sees.
- global upper bound: ``sqrt(2) * prod_k ||W_k||_2``; each margin ``z_y - z_j``
  is ``(e_y - e_j)^T z`` with ``||e_y - e_j|| = sqrt(2)``, ReLU and
  non-overlapping max-pooling are 1-Lipschitz, and each conv or linear layer's
  operator norm comes from power iteration on the layer itself (with its
  real input shape, so padding is accounted for).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

ONE_LIPSCHITZ = (nn.ReLU, nn.MaxPool2d, nn.Flatten)


def logit_margin(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    true_logit = logits.gather(1, labels[:, None]).squeeze(1)
    others = logits.scatter(1, labels[:, None], float("-inf"))
    return true_logit - others.max(dim=1).values


def local_gradient_norms(
    model: nn.Module, images: torch.Tensor, labels: torch.Tensor, batch_size: int = 2048
) -> torch.Tensor:
    """Per-example ``||grad_x margin||_2`` (computed in fp32: the norms are
    the measurement, not a means to an attack)."""
    model.eval()
    norms = []
    for start in range(0, len(images), batch_size):
        x = images[start : start + batch_size].detach().clone().requires_grad_(True)
        margin = logit_margin(model(x).float(), labels[start : start + batch_size])
        (gradient,) = torch.autograd.grad(margin.sum(), x)
        norms.append(gradient.flatten(1).norm(dim=1).detach())
    return torch.cat(norms)


def _operator_norm(layer: nn.Module, input_shape: torch.Size, iterations: int, generator: torch.Generator) -> float:
    """Largest singular value of the layer's linear part (bias dropped)."""
    if isinstance(layer, nn.Linear):
        return torch.linalg.matrix_norm(layer.weight.detach().float(), ord=2).item()

    def forward(x):
        return F.conv2d(x, layer.weight.float(), None, layer.stride, layer.padding, layer.dilation, layer.groups)

    vector = torch.randn((1, *input_shape[1:]), generator=generator).to(layer.weight.device)
    vector /= vector.norm()
    sigma = 0.0
    for _ in range(iterations):
        vector.requires_grad_(True)
        output = forward(vector)
        # The adjoint of a linear map is its vector-Jacobian product.
        (adjoint,) = torch.autograd.grad(output, vector, grad_outputs=output)
        with torch.no_grad():
            sigma = output.norm().item()
            vector = adjoint / adjoint.norm().clamp_min(1e-30)
    return sigma


def spectral_norm_bound(
    model: nn.Sequential, input_shape=(1, 1, 28, 28), iterations: int = 100, seed: int = 0
) -> float:
    """Upper bound on the margin's l2 Lipschitz constant over all inputs."""
    shapes = {}
    hooks = [m.register_forward_pre_hook(lambda mod, args: shapes.__setitem__(mod, args[0].shape)) for m in model]
    device = next(model.parameters()).device
    with torch.no_grad():
        model(torch.zeros(input_shape, device=device))
    for hook in hooks:
        hook.remove()
    generator = torch.Generator().manual_seed(seed)
    bound = math.sqrt(2.0)
    for layer in model:
        if isinstance(layer, (nn.Linear, nn.Conv2d)):
            bound *= _operator_norm(layer, shapes[layer], iterations, generator)
        elif isinstance(layer, nn.MaxPool2d) and layer.stride != layer.kernel_size:
            raise ValueError("overlapping max-pooling is not 1-Lipschitz; this bound does not cover it")
        elif not isinstance(layer, ONE_LIPSCHITZ):
            raise ValueError(f"no Lipschitz bound for layer {layer}")
    return bound
