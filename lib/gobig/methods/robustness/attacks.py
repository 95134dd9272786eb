"""Projected gradient descent (Madry et al. 2018) in l-inf and l2, and
robust accuracy over a whole test set in batches (cache-sized on a CPU).

An example counts as robust only if the model is right on the clean image
and on the adversarial image of every restart: more steps or restarts can
only lower robust accuracy, never raise it.

``pgd_attack`` also attacks K stacked models at once
(``gobig.methods.robustness.stacking.StackedModels``): images ``[K, B, ...]``, labels
``[K, B]``, one random generator per model, so each model sees the noise it
would see alone. ``predict`` and ``robust_accuracy`` take a stack too, with
one seed per model, and return one answer per model.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from gobig.core.runtime import autocast
from gobig.methods.robustness.stacking import StackedModels

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


def draw_random_start(
    images: torch.Tensor, batch_dims: int, eps: float, norm: str, generator: Generators = None
) -> torch.Tensor:
    """A uniform random start inside the ``eps`` ball of ``norm`` for each
    image (a perturbation, clipped so that pixels stay in [0, 1]). The first
    ``batch_dims`` dimensions are batch ones (2 for stacked models)."""
    # Generators must live on the images' device (see robust_mask).
    noise = _draw(torch.rand, images.shape, images.device, generator)
    if norm == "linf":
        delta = (2 * noise - 1) * eps
    else:
        # A random direction at a random radius inside the l2 ball.
        direction = _draw(torch.randn, images.shape, images.device, generator)
        radius = (
            noise.flatten(batch_dims)[..., 0].view(*images.shape[:batch_dims], *([1] * (images.dim() - batch_dims)))
            * eps
        )
        delta = direction / _per_example_l2(direction, batch_dims) * radius
    return (images + delta).clamp(0, 1) - images


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
    bf16: bool = False,
    bf16_on_cpu: bool = False,
    start: torch.Tensor | None = None,
) -> torch.Tensor:
    """Adversarial images within the ``eps`` ball (pixels stay in [0, 1])
    that maximise the cross-entropy loss. ``labels`` has the images' batch
    dimensions (``[B]``, or ``[K, B]`` for K stacked models). In float32
    unless ``bf16`` (training's attack on CUDA, and on a CPU too with
    ``bf16_on_cpu``, where speed matters more than the last bits of a
    gradient); an evaluation never asks for bf16, which can weaken an
    attack's gradients. ``start``: a random start drawn beforehand
    (``draw_random_start``), so that cutting a set into batches leaves each
    image's start what it is for the whole set."""
    if norm not in NORMS:
        raise ValueError(f"norm {norm!r} is not one of {NORMS}")
    images = images.detach()
    batch_dims = labels.dim()
    if start is not None:
        delta = start
    elif random_start:
        delta = draw_random_start(images, batch_dims, eps, norm, generator)
    else:
        delta = torch.zeros_like(images)
    for _ in range(steps):
        delta.requires_grad_(True)
        with autocast(images.device, enabled=bf16, cpu=bf16_on_cpu):
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
    """Predicted classes, ``[N]``; for a stack of K models ``[K, N]`` (float32)."""
    outputs = []
    for start in range(0, len(images), batch_size):
        batch = images[start : start + batch_size]
        if isinstance(model, StackedModels):
            batch = batch.expand(len(model), *batch.shape)
        outputs.append(model(batch).argmax(dim=-1))
    return torch.cat(outputs, dim=-1)


def accuracy(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, batch_size: int = 4096) -> float:
    return (predict(model, images, batch_size) == labels).float().mean().item()


#: PGD's batch on a CPU: activations of ~200 MNIST images stay in the
#: caches, where 1,000 or more at once run 25-30% slower per image on
#: Madry's s = 16 (measured in benchmarks/cpu_adversarial_training.py).
CPU_ATTACK_BATCH = 200
#: On a GPU, large batches fill the device.
GPU_ATTACK_BATCH = 2048


def attack_batch_size(device: torch.device) -> int:
    return CPU_ATTACK_BATCH if device.type == "cpu" else GPU_ATTACK_BATCH


def robust_accuracy(
    model: nn.Module | StackedModels,
    images: torch.Tensor,
    labels: torch.Tensor,
    eps: float,
    steps: int,
    step_size: float,
    norm: str = "linf",
    restarts: int = 1,
    batch_size: int | None = None,
    seed: int | Sequence[int] = 0,
) -> float | list[float]:
    """Share of examples the model still classifies right under PGD with
    ``restarts`` random starts (worst case over restarts). For a stack of K
    models, ``seed`` holds one seed per model and the answer is a list."""
    robust = robust_mask(model, images, labels, eps, steps, step_size, norm, restarts, batch_size, seed)
    shares = robust.float().mean(dim=1).tolist()
    return shares if isinstance(model, StackedModels) else shares[0]


def robust_mask(
    model: nn.Module | StackedModels,
    images: torch.Tensor,
    labels: torch.Tensor,
    eps: float,
    steps: int,
    step_size: float,
    norm: str = "linf",
    restarts: int = 1,
    batch_size: int | None = None,
    seed: int | Sequence[int] = 0,
) -> torch.Tensor:
    """Per example, ``[K, N]`` (K = 1 for one model): right on the clean
    image and on the adversarial image of every restart.

    Each restart's random starts are drawn for the whole set before it is
    cut into batches of ``batch_size`` (None: ``attack_batch_size`` of the
    images' device), so the batch size changes only the float order, never
    an image's start."""
    stacked = isinstance(model, StackedModels)
    seeds = list(seed) if stacked else [seed]
    if stacked and len(seeds) != len(model):
        raise ValueError(f"{len(seeds)} seeds for {len(model)} stacked models")
    batch_size = batch_size or attack_batch_size(images.device)
    model.eval()
    # Generators must live on the images' device.
    generators = [torch.Generator(device=images.device).manual_seed(s) for s in seeds]
    robust = predict(model, images).view(len(seeds), -1) == labels
    x_all, y_all = images, labels
    if stacked:
        x_all, y_all = images.expand(len(seeds), *images.shape), labels.expand(len(seeds), -1)
    batch_dims = y_all.dim()
    for _ in range(restarts):
        starts = draw_random_start(x_all, batch_dims, eps, norm, generators if stacked else generators[0])
        for first in range(0, len(images), batch_size):
            cut = (slice(None), slice(first, first + batch_size)) if stacked else slice(first, first + batch_size)
            x, y = x_all[cut], y_all[cut]
            adversarial = pgd_attack(model, x, y, eps, steps, step_size, norm, start=starts[cut])
            with torch.no_grad():
                robust[:, first : first + batch_size] &= model(adversarial).argmax(dim=-1).view(
                    len(seeds), -1
                ) == y.reshape(len(seeds), -1)
    return robust


# ---- AutoAttack's components (Croce & Hein 2020), from torchattacks ---------

#: The standard l-inf suite, in AutoAttack's order.
AUTOATTACK_COMPONENTS = ("apgd-ce", "apgd-t", "fab-t", "square")
#: Stronger settings of a component, for re-attacks of a few checkpoints (not
#: part of the standard suite): Square with twice the queries on the schedule
#: of its paper (``resc_schedule=False``, as AutoAttack's reference code runs
#: it; torchattacks' default rescales it to the budget) and two restarts from
#: fresh random draws: four times the standard budget per robust image.
STRONGER_COMPONENTS = {"square-strong": {"n_queries": 10_000, "n_restarts": 2}}


def autoattack_component(model: nn.Module, name: str, eps: float, seed: int = 0, steps: int = 100):
    """One component of AutoAttack's standard l-inf suite as a torchattacks
    attack, with Croce & Hein's settings: APGD-CE (100 steps, 1 restart),
    APGD-T (100 steps, the 9 other classes as targets), FAB-T (100 steps, 9
    targets) and Square (5,000 queries); or one of ``STRONGER_COMPONENTS``.
    torchattacks' own AutoAttack class leaves APGD and FAB at its default of
    10 steps, so it is not used."""
    import torchattacks

    common = {"norm": "Linf", "eps": eps, "seed": seed}
    if name == "apgd-ce":
        return torchattacks.APGD(model, steps=steps, n_restarts=1, loss="ce", **common)
    if name == "apgd-t":
        return torchattacks.APGDT(model, steps=steps, n_restarts=1, n_classes=10, **common)
    if name == "fab-t":
        return torchattacks.FAB(model, steps=steps, n_restarts=1, multi_targeted=True, n_classes=10, **common)
    if name == "square":
        return torchattacks.Square(model, n_queries=5000, n_restarts=1, **common)
    if name == "square-strong":
        # Seed offset: its restarts are new draws, not the standard run's first one again.
        return torchattacks.Square(
            model, resc_schedule=False, **STRONGER_COMPONENTS[name], **{**common, "seed": seed + 1}
        )
    raise ValueError(f"attack {name!r} is not one of {AUTOATTACK_COMPONENTS + tuple(STRONGER_COMPONENTS)}")


def attack_survivors(
    model: nn.Module,
    attack,
    images: torch.Tensor,
    labels: torch.Tensor,
    robust: torch.Tensor,
    eps: float,
    batch_size: int = 500,
) -> torch.Tensor:
    """``robust`` (bool ``[N]``: examples no attack has broken yet) after
    ``attack`` on the examples still robust: the per-example worst case, as
    AutoAttack builds it. The adversarial images are checked to lie in the
    eps ball and in [0, 1], so a broken attack cannot lower robust accuracy
    by leaving the threat model."""
    robust = robust.clone()
    model.eval()
    for chunk in robust.nonzero().squeeze(1).split(batch_size):
        if not len(chunk):
            continue
        x, y = images[chunk], labels[chunk]
        adversarial = attack(x, y).detach()
        if (
            (adversarial - x).abs().max().item() > eps + 1e-5
            or adversarial.min().item() < -1e-6
            or adversarial.max().item() > 1 + 1e-6
        ):
            raise RuntimeError(f"{type(attack).__name__} left the l-inf ball of radius {eps} or the pixel range [0, 1]")
        with torch.no_grad():
            robust[chunk] = model(adversarial).argmax(dim=-1) == y
    return robust
