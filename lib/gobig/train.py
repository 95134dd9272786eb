"""Natural and PGD adversarial training on tensors resident on the device.

No DataLoader: the whole training set already sits on the device, so a
batch is an index into it. Adam with a cosine-decayed learning rate; bf16
autocast on CUDA.

Models of one architecture (a sweep's seeds) train together as one stacked
model (``gobig.stacking``), so a small model no longer pays a whole GPU pass
(and the Python overhead of a step) on its own. Training stays what it
would be one model at a time: each model has its own seed, data order and attack noise;
the losses are independent, so the gradient of their sum is each model's own
gradient; and Adam and the schedule act elementwise. ``train_models([m], ...)``
with one model runs the plain module, no vmap.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm  # a widget in Jupyter, text on a terminal

from gobig.attacks import pgd_attack, predict
from gobig.runtime import autocast
from gobig.stacking import StackedModels

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
    """Train one model in place; return one history row per epoch."""
    return train_models([model], train_images, train_labels, setup, [seed], test_images, test_labels, progress)[0]


def train_models(
    models: list[nn.Module],
    train_images: torch.Tensor,
    train_labels: torch.Tensor,
    setup: TrainingSetup,
    seeds: list[int],
    test_images: torch.Tensor | None = None,
    test_labels: torch.Tensor | None = None,
    progress: bool = True,
    compile: bool = False,
) -> list[list[dict]]:
    """Train models of one architecture together, in place, model k with
    ``seeds[k]``; return each model's history (one row per epoch: loss, time
    and, when test data is given, clean test accuracy). ``train_time_s`` is
    the time the whole stack trained (with ``compile``, its compilation too)."""
    if setup.mode not in TRAINING_MODES:
        raise ValueError(f"TRAINING_MODES: {setup.mode!r} is not one of {TRAINING_MODES}")
    if len(seeds) != len(models):
        raise ValueError(f"{len(seeds)} seeds for {len(models)} models")
    device = train_images.device
    stack = StackedModels(models, compile=compile)
    count = len(models)
    generators = [torch.Generator(device=device).manual_seed(seed) for seed in seeds]
    optimizer = torch.optim.Adam(stack.parameters, lr=setup.learning_rate, **({"fused": True} if device.type == "cuda" else {}))
    steps_per_epoch = math.ceil(len(train_images) / setup.batch_size)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=setup.epochs * steps_per_epoch)
    total_steps = setup.epochs * steps_per_epoch
    warmup_steps = setup.eps_warmup * total_steps
    step = 0
    histories = [[] for _ in models]
    elapsed = 0.0
    for epoch in range(1, setup.epochs + 1):
        start = time.perf_counter()
        stack.train()
        # Each model its own data order, from its own generator.
        orders = torch.stack([torch.randperm(len(train_images), generator=g, device=device) for g in generators])
        total_loss = torch.zeros(count, device=device)
        for first in tqdm(range(0, orders.shape[1], setup.batch_size), desc=f"epoch {epoch}", disable=not progress, leave=False):
            index = orders[:, first : first + setup.batch_size]
            images, labels = train_images[index], train_labels[index]
            if setup.mode == "pgd":
                ramp = min(1.0, (step + 1) / warmup_steps) if warmup_steps > 0 else 1.0
                images = pgd_attack(stack, images, labels, setup.eps * ramp, setup.pgd_steps, setup.pgd_step_size * ramp, generator=generators)
            step += 1
            with autocast(device):
                logits = stack(images)
                losses = F.cross_entropy(logits.flatten(0, 1), labels.flatten(), reduction="none").view(count, -1).mean(dim=1)
            optimizer.zero_grad(set_to_none=True)
            losses.sum().backward()
            optimizer.step()
            schedule.step()
            total_loss += losses.detach() * index.shape[1]
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        elapsed += time.perf_counter() - start
        # One pass of the stack over the test set gives every model's accuracy.
        correct = (predict(stack, test_images) == test_labels).float().mean(dim=1).tolist() if test_images is not None else None
        for k in range(count):
            row = {"epoch": epoch, "train_loss": total_loss[k].item() / orders.shape[1], "train_time_s": round(elapsed, 3)}
            if correct is not None:
                row["test_accuracy"] = correct[k]
            histories[k].append(row)
    stack.write_back()  # the stack's weights into the models, once they are final
    return histories
