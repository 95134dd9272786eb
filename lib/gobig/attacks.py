"""Projected gradient descent (Madry et al. 2018) in l-inf and l2, and
robust accuracy over a whole test set in large batches.

An example counts as robust only if the model is right on the clean image
and on the adversarial image of every restart: more steps or restarts can
only lower robust accuracy, never raise it.

``pgd_attack`` also attacks K stacked models at once
(``gobig.stacking.StackedModels``): images ``[K, B, ...]``, labels
``[K, B]``, one random generator per model, so each model sees the noise it
would see alone. ``predict`` and ``robust_accuracy`` take a stack too, with
one seed per model, and return one answer per model.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from gobig.runtime import autocast
from gobig.stacking import StackedModels

NORMS = ("linf", "l2")


Generators = torch.Generator | Sequence[torch.Generator] | None


def _per_example_l2(tensor: torch.Tensor, batch_dims: int) -> torch.Tensor:
    norms = tensor.flatten(batch_dims).norm(dim=-1).clamp_min(1e-12)
    return norms.view(*norms.shape, *([1] * (tensor.dim() - batch_dims)))


def _draw(sample, shape: torch.Size, device: torch.device, generator: Generators) -> torch.Tensor:
    """``sample(shape)`` from one generator, or slice k of dim 0 from the
    k-th of a list of generators (stacked models)."""
    if generator is None or isinstance(generator, torch.Generator):
        return sample(shape, generator=generator, device=device)
    if len(generator) != shape[0]:
        raise ValueError(f"{len(generator)} generators for {shape[0]} stacked models")
    return torch.stack([sample(shape[1:], generator=g, device=device) for g in generator])


def pgd_attack(
    model: nn.Module,
    images: torch.Tensor,
    labels: torch.Tensor,
    eps: float,
    steps: int,
    step_size: float,
    norm: str = "linf",
    random_start: bool = True,
    generator: Generators = None,
) -> torch.Tensor:
    """Adversarial images within the ``eps`` ball (pixels stay in [0, 1])
    that maximise the cross-entropy loss. ``labels`` has the images' batch
    dimensions (``[B]``, or ``[K, B]`` for K stacked models)."""
    if norm not in NORMS:
        raise ValueError(f"norm {norm!r} is not one of {NORMS}")
    images = images.detach()
    batch_dims = labels.dim()
    if random_start:
        # Generators must live on the images' device (see robust_accuracy).
        noise = _draw(torch.rand, images.shape, images.device, generator)
        if norm == "linf":
            delta = (2 * noise - 1) * eps
        else:
            # A random direction at a random radius inside the l2 ball.
            direction = _draw(torch.randn, images.shape, images.device, generator)
            radius = noise.flatten(batch_dims)[..., 0].view(*labels.shape, *([1] * (images.dim() - batch_dims))) * eps
            delta = direction / _per_example_l2(direction, batch_dims) * radius
    else:
        delta = torch.zeros_like(images)
    delta = (images + delta).clamp(0, 1) - images
    for _ in range(steps):
        delta.requires_grad_(True)
        with autocast(images.device):
            logits = model(images + delta)
            loss = F.cross_entropy(logits.flatten(0, -2), labels.flatten(), reduction="sum")
        # Stacked models' losses are independent, so the gradient of their
        # sum is each model's own gradient.
        (gradient,) = torch.autograd.grad(loss, delta)
        with torch.no_grad():
            if norm == "linf":
                delta = (delta + step_size * gradient.sign()).clamp(-eps, eps)
            else:
                delta = delta + step_size * gradient / _per_example_l2(gradient, batch_dims)
                delta = delta * (eps / _per_example_l2(delta, batch_dims)).clamp(max=1.0)
            delta = (images + delta).clamp(0, 1) - images
    return (images + delta).detach()


@torch.no_grad()
def predict(model: nn.Module | StackedModels, images: torch.Tensor, batch_size: int = 4096) -> torch.Tensor:
    """Predicted classes, ``[N]``; for a stack of K models ``[K, N]``."""
    outputs = []
    for start in range(0, len(images), batch_size):
        batch = images[start : start + batch_size]
        if isinstance(model, StackedModels):
            batch = batch.expand(len(model), *batch.shape)
        with autocast(images.device):
            outputs.append(model(batch).argmax(dim=-1))
    return torch.cat(outputs, dim=-1)


def accuracy(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, batch_size: int = 4096) -> float:
    return (predict(model, images, batch_size) == labels).float().mean().item()


def robust_accuracy(
    model: nn.Module | StackedModels,
    images: torch.Tensor,
    labels: torch.Tensor,
    eps: float,
    steps: int,
    step_size: float,
    norm: str = "linf",
    restarts: int = 1,
    batch_size: int = 2048,
    seed: int | Sequence[int] = 0,
) -> float | list[float]:
    """Share of examples the model still classifies right under PGD with
    ``restarts`` random starts (worst case over restarts). For a stack of K
    models, ``seed`` holds one seed per model and the answer is a list."""
    stacked = isinstance(model, StackedModels)
    seeds = list(seed) if stacked else [seed]
    if stacked and len(seeds) != len(model):
        raise ValueError(f"{len(seeds)} seeds for {len(model)} stacked models")
    model.eval()
    generators = [torch.Generator(device=images.device).manual_seed(s) for s in seeds]
    robust = torch.empty((len(seeds), len(images)), dtype=torch.bool, device=images.device)
    for start in range(0, len(images), batch_size):
        x, y = images[start : start + batch_size], labels[start : start + batch_size]
        correct = predict(model, x, batch_size).view(len(seeds), -1) == y
        if stacked:
            x, y = x.expand(len(seeds), *x.shape), y.expand(len(seeds), -1)
        for _ in range(restarts):
            adversarial = pgd_attack(model, x, y, eps, steps, step_size, norm, random_start=True, generator=generators if stacked else generators[0])
            with torch.no_grad(), autocast(images.device):
                correct &= model(adversarial).argmax(dim=-1).view(len(seeds), -1) == y.reshape(len(seeds), -1)
        robust[:, start : start + batch_size] = correct
    shares = robust.float().mean(dim=1).tolist()
    return shares if stacked else shares[0]
