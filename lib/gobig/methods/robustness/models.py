"""The model families of chapter 1.

- ``madry``: Madry et al. (2018), Sec. "capacity": conv 5x5 with 2s filters,
  ReLU, 2x2 max-pool, conv 5x5 with 4s filters, ReLU, 2x2 max-pool, fully
  connected 64s, output 10, for capacity scale s. With SAME padding, s=1 has 13,514
  parameters and s=16 has 3,274,634.
- ``mlp``: two hidden ReLU layers of equal width h (h**2 + 796h + 10
  parameters): h=2 gives 1,606 and h=3072 gives 11.9M, spanning 1e3-1e7.
- ``blog``: a CNN of 687,800 parameters standing in for the blog author's
  unpublished "688K" model: conv 5x5x32, pool, conv 5x5x64, pool, FC 202,
  output 10 (the classic TensorFlow "deep MNIST" shape with its FC layer
  narrowed to land on 688K).

The CNNs apply each ReLU after its max-pool, not before: max-pooling and
ReLU commute (max(relu(a), relu(b)) = relu(max(a, b)), exactly in floating
point, and so do their gradients but for ties), so the function is the
papers', with a quarter of the ReLUs. The layer indices (``0.weight``,
``3.weight``, ``7.weight``, ``9.weight``) are those of the conv-ReLU-pool
order, so checkpoints load either way. On a CPU ``to_device`` also puts
the conv weights in channels-last layout, oneDNN's fast path
(``benchmarks/cpu_adversarial_training.py`` measures both changes).
"""

from __future__ import annotations

import torch
from torch import nn

FAMILIES = ("madry", "mlp", "blog")
CAPACITY_SCALES = (1, 2, 4, 8, 16, 32)


def madry_cnn(capacity_scale: int) -> nn.Sequential:
    s = capacity_scale
    return nn.Sequential(
        nn.Conv2d(1, 2 * s, 5, padding=2),
        nn.MaxPool2d(2),
        nn.ReLU(),
        nn.Conv2d(2 * s, 4 * s, 5, padding=2),
        nn.MaxPool2d(2),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(7 * 7 * 4 * s, 64 * s),
        nn.ReLU(),
        nn.Linear(64 * s, 10),
    )


def mlp(width: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(28 * 28, width),
        nn.ReLU(),
        nn.Linear(width, width),
        nn.ReLU(),
        nn.Linear(width, 10),
    )


def blog_cnn() -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(1, 32, 5, padding=2),
        nn.MaxPool2d(2),
        nn.ReLU(),
        nn.Conv2d(32, 64, 5, padding=2),
        nn.MaxPool2d(2),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(7 * 7 * 64, 202),
        nn.ReLU(),
        nn.Linear(202, 10),
    )


def build_model(family: str, size: int) -> nn.Sequential:
    """``size`` is the capacity scale (madry), the hidden width (mlp), or
    ignored (blog)."""
    if family == "madry":
        if size not in CAPACITY_SCALES:
            raise ValueError(f"capacity scale {size} is not one of {CAPACITY_SCALES}")
        return madry_cnn(size)
    if family == "mlp":
        return mlp(size)
    if family == "blog":
        return blog_cnn()
    raise ValueError(f"model family {family!r} is not one of {FAMILIES}")


def to_device(model: nn.Module, device: torch.device | str) -> nn.Module:
    """``model`` on ``device``; on a CPU with conv weights in channels-last
    layout, where oneDNN's convolutions (forward and backward) run 1.5-2.7x
    faster on these models (the values are the same; only the layout of
    memory changes)."""
    model = model.to(device)
    if torch.device(device).type == "cpu" and any(isinstance(m, nn.Conv2d) for m in model.modules()):
        model = model.to(memory_format=torch.channels_last)
    return model


def parse_spec(spec: str) -> tuple[str, int]:
    """``"madry:4"`` -> ("madry", 4); ``"blog"`` -> ("blog", 0): the command
    lines' way of naming a model for ``build_model``."""
    family, _, size = spec.partition(":")
    if family not in FAMILIES:
        raise ValueError(f"model {spec!r}: family {family!r} is not one of {FAMILIES}")
    return family, int(size) if size else 0


def num_params(model: nn.Module) -> int:
    return sum(parameter.numel() for parameter in model.parameters())
