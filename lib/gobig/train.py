"""Natural and PGD adversarial training on tensors resident on the device.

No DataLoader: the whole training set already sits on the device, so a
batch is an index into it. Adam with a cosine-decayed learning rate; bf16
autocast on CUDA.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from tqdm import tqdm

from gobig.attacks import accuracy, pgd_attack
from gobig.runtime import autocast

TRAINING_MODES = ("natural", "pgd")


@dataclass(frozen=True)
class TrainingSetup:
    mode: str = "natural"  # natural or pgd (Madry's min-max training)
    epochs: int = 1
    batch_size: int = 128
    learning_rate: float = 1e-3
    eps: float = 0.3  # l-inf radius of the training attack
    pgd_steps: int = 7
    pgd_step_size: float = 0.1
    # Ramp the training radius linearly from 0 to eps over this share of all
    # steps (the step size scales with it). Small budgets at eps 0.3 from a
    # random start otherwise often collapse to predicting one class.
    eps_warmup: float = 0.0


def train_model(
    model: nn.Module,
    train_images: torch.Tensor,
    train_labels: torch.Tensor,
    setup: TrainingSetup,
    seed: int,
    test_images: torch.Tensor | None = None,
    test_labels: torch.Tensor | None = None,
    progress: bool = True,
) -> list[dict]:
    """Train in place; return one history row per epoch (loss, time and, when
    test data is given, clean test accuracy)."""
    if setup.mode not in TRAINING_MODES:
        raise ValueError(f"TRAINING_MODES: {setup.mode!r} is not one of {TRAINING_MODES}")
    device = train_images.device
    generator = torch.Generator(device=device).manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=setup.learning_rate, **({"fused": True} if device.type == "cuda" else {}))
    steps_per_epoch = math.ceil(len(train_images) / setup.batch_size)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=setup.epochs * steps_per_epoch)
    total_steps = setup.epochs * steps_per_epoch
    warmup_steps = setup.eps_warmup * total_steps
    step = 0
    history = []
    elapsed = 0.0
    for epoch in range(1, setup.epochs + 1):
        start = time.perf_counter()
        model.train()
        order = torch.randperm(len(train_images), generator=generator, device=device)
        total_loss = torch.zeros((), device=device)
        for first in tqdm(range(0, len(order), setup.batch_size), desc=f"epoch {epoch}", disable=not progress, leave=False):
            index = order[first : first + setup.batch_size]
            images, labels = train_images[index], train_labels[index]
            if setup.mode == "pgd":
                ramp = min(1.0, (step + 1) / warmup_steps) if warmup_steps > 0 else 1.0
                images = pgd_attack(model, images, labels, setup.eps * ramp, setup.pgd_steps, setup.pgd_step_size * ramp, generator=generator)
            step += 1
            with autocast(device):
                loss = F.cross_entropy(model(images), labels)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            total_loss += loss.detach() * len(index)
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        elapsed += time.perf_counter() - start
        row = {"epoch": epoch, "train_loss": total_loss.item() / len(order), "train_time_s": round(elapsed, 3)}
        if test_images is not None:
            row["test_accuracy"] = accuracy(model, test_images, test_labels)
        history.append(row)
    return history
