"""Projected gradient descent (Madry et al. 2018) in l-inf and l2, and
robust accuracy over a whole test set in large batches.

An example counts as robust only if the model is right on the clean image
and on the adversarial image of every restart: more steps or restarts can
only lower robust accuracy, never raise it.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from gobig.runtime import autocast

NORMS = ("linf", "l2")


def _per_example_l2(tensor: torch.Tensor) -> torch.Tensor:
    return tensor.flatten(1).norm(dim=1).clamp_min(1e-12).view(-1, *([1] * (tensor.dim() - 1)))


def pgd_attack(
    model: nn.Module,
    images: torch.Tensor,
    labels: torch.Tensor,
    eps: float,
    steps: int,
    step_size: float,
    norm: str = "linf",
    random_start: bool = True,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Adversarial images within the ``eps`` ball (pixels stay in [0, 1])
    that maximise the cross-entropy loss."""
    if norm not in NORMS:
        raise ValueError(f"norm {norm!r} is not one of {NORMS}")
    images = images.detach()
    if random_start:
        # The generator must live on the images' device (see robust_accuracy).
        noise = torch.rand(images.shape, generator=generator, device=images.device)
        if norm == "linf":
            delta = (2 * noise - 1) * eps
        else:
            # A random direction at a random radius inside the l2 ball.
            direction = torch.randn_like(images)
            radius = noise.flatten(1)[:, :1].view(-1, *([1] * (images.dim() - 1))) * eps
            delta = direction / _per_example_l2(direction) * radius
    else:
        delta = torch.zeros_like(images)
    delta = (images + delta).clamp(0, 1) - images
    for _ in range(steps):
        delta.requires_grad_(True)
        with autocast(images.device):
            loss = F.cross_entropy(model(images + delta), labels, reduction="sum")
        (gradient,) = torch.autograd.grad(loss, delta)
        with torch.no_grad():
            if norm == "linf":
                delta = (delta + step_size * gradient.sign()).clamp(-eps, eps)
            else:
                delta = delta + step_size * gradient / _per_example_l2(gradient)
                delta = delta * (eps / _per_example_l2(delta)).clamp(max=1.0)
            delta = (images + delta).clamp(0, 1) - images
    return (images + delta).detach()


@torch.no_grad()
def predict(model: nn.Module, images: torch.Tensor, batch_size: int = 4096) -> torch.Tensor:
    outputs = []
    for start in range(0, len(images), batch_size):
        with autocast(images.device):
            outputs.append(model(images[start : start + batch_size]).argmax(dim=1))
    return torch.cat(outputs)


def accuracy(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, batch_size: int = 4096) -> float:
    return (predict(model, images, batch_size) == labels).float().mean().item()


def robust_accuracy(
    model: nn.Module,
    images: torch.Tensor,
    labels: torch.Tensor,
    eps: float,
    steps: int,
    step_size: float,
    norm: str = "linf",
    restarts: int = 1,
    batch_size: int = 2048,
    seed: int = 0,
) -> float:
    """Share of examples the model still classifies right under PGD with
    ``restarts`` random starts (worst case over restarts)."""
    model.eval()
    generator = torch.Generator(device=images.device).manual_seed(seed)
    robust = torch.empty(len(images), dtype=torch.bool, device=images.device)
    for start in range(0, len(images), batch_size):
        x, y = images[start : start + batch_size], labels[start : start + batch_size]
        correct = predict(model, x) == y
        for _ in range(restarts):
            adversarial = pgd_attack(model, x, y, eps, steps, step_size, norm, random_start=True, generator=generator)
            correct &= predict(model, adversarial) == y
        robust[start : start + batch_size] = correct
    return robust.float().mean().item()
