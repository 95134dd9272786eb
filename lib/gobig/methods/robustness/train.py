"""Natural, PGD and fast (FGSM with a random start) adversarial training on
tensors resident on the device.

No DataLoader: the whole training set already sits on the device, so a
batch is an index into it. Adam with a cosine-decayed learning rate; bf16
autocast on CUDA, and on a CPU when ``precision`` is "bfloat16".

Models of one architecture (a sweep's seeds) train together as one stacked
model (``gobig.methods.robustness.stacking``), so a small model no longer pays a whole GPU pass
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
from tqdm import tqdm  # text on a terminal; in a notebook the epoch lines (gobig.core.progress) stand instead

from gobig.core.progress import in_kernel, say
from gobig.core.runtime import autocast
from gobig.methods.robustness.attacks import pgd_attack, predict
from gobig.methods.robustness.stacking import StackedModels

TRAINING_MODES = ("natural", "pgd", "fgsm")
#: Learning-rate schedules: cosine decay from the rate (the default), or
#: Wong, Rice & Kolter's (2020) "cyclic" one: linear from 0 up to the rate
#: at 2/5 of training, then linear down to 0 (their MNIST script's
#: ``np.interp(t, [0, 2/5 epochs, epochs], [0, lr_max, 0])``).
LR_SCHEDULES = ("cosine", "cyclic", "constant")  # constant: Madry et al.'s Adam at a fixed rate
#: Training arithmetic (TrainingSetup.precision).
PRECISIONS = ("auto", "bfloat16")


@dataclass(frozen=True)
class TrainingSetup:
    # natural; pgd (Madry's min-max training); or fgsm: one FGSM step of
    # ``fgsm_step_size`` from a uniform random start in the eps ball (Wong,
    # Rice & Kolter 2020, "Fast is better than free"): two passes a step
    # instead of 1 + pgd_steps.
    mode: str = "natural"
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
    fgsm_step_size: float = 0.375  # Wong et al.'s MNIST alpha (1.25 eps at eps 0.3)
    lr_schedule: str = "cosine"
    # Catastrophic overfitting (Wong et al., Sec. 5) shows as PGD accuracy
    # falling to ~0 while FGSM accuracy stays high; with monitor_images > 0
    # each epoch's history row holds the PGD accuracy (monitor_pgd_steps of
    # size eps/4, random start) on the first monitor_images test images.
    monitor_images: int = 0
    monitor_pgd_steps: int = 20
    # "auto": bf16 autocast on CUDA, float32 on a CPU; "bfloat16": bf16 on
    # every device (1.8-2.4x faster on a CPU with native bf16, measured in
    # benchmarks/cpu_adversarial_training.py). Training only: attacks at
    # evaluation always run in float32.
    precision: str = "auto"


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
    if setup.lr_schedule not in LR_SCHEDULES:
        raise ValueError(f"LR_SCHEDULE: {setup.lr_schedule!r} is not one of {LR_SCHEDULES}")
    if len(seeds) != len(models):
        raise ValueError(f"{len(seeds)} seeds for {len(models)} models")
    device = train_images.device
    stack = StackedModels(models, compile=compile)
    count = len(models)
    generators = [torch.Generator(device=device).manual_seed(seed) for seed in seeds]
    optimizer = torch.optim.Adam(
        stack.parameters, lr=setup.learning_rate, **({"fused": True} if device.type == "cuda" else {})
    )
    steps_per_epoch = math.ceil(len(train_images) / setup.batch_size)
    total_steps = setup.epochs * steps_per_epoch
    if setup.lr_schedule == "cosine":
        schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=total_steps)
    elif setup.lr_schedule == "constant":
        schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda k: 1.0)
    else:
        # Wong et al. set lr(t) before each step, t = (step + 1) / steps_per_epoch epochs.
        peak = 0.4 * total_steps
        schedule = torch.optim.lr_scheduler.LambdaLR(
            optimizer,
            lambda k: (k + 1) / peak if k + 1 <= peak else max(0.0, (total_steps - k - 1) / (total_steps - peak)),
        )
    if setup.precision not in PRECISIONS:
        raise ValueError(f"precision {setup.precision!r} is not one of {PRECISIONS}")
    bf16_on_cpu = setup.precision == "bfloat16"
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
        for first in tqdm(
            range(0, orders.shape[1], setup.batch_size),
            desc=f"epoch {epoch}",
            disable=not progress or in_kernel(),
            leave=False,
        ):
            index = orders[:, first : first + setup.batch_size]
            images, labels = train_images[index], train_labels[index]
            if setup.mode == "pgd":
                ramp = min(1.0, (step + 1) / warmup_steps) if warmup_steps > 0 else 1.0
                images = pgd_attack(
                    stack,
                    images,
                    labels,
                    setup.eps * ramp,
                    setup.pgd_steps,
                    setup.pgd_step_size * ramp,
                    generator=generators,
                    bf16=True,
                    bf16_on_cpu=bf16_on_cpu,
                )
            elif setup.mode == "fgsm":
                # One signed-gradient step from a random start; like Wong et al.'s
                # code, clipped to the eps ball and to pixels in [0, 1].
                images = pgd_attack(
                    stack,
                    images,
                    labels,
                    setup.eps,
                    1,
                    setup.fgsm_step_size,
                    generator=generators,
                    bf16=True,
                    bf16_on_cpu=bf16_on_cpu,
                )
            step += 1
            with autocast(device, cpu=bf16_on_cpu):
                logits = stack(images)
                losses = (
                    F.cross_entropy(logits.flatten(0, 1), labels.flatten(), reduction="none")
                    .view(count, -1)
                    .mean(dim=1)
                )
            optimizer.zero_grad(set_to_none=True)
            losses.sum().backward()
            optimizer.step()
            schedule.step()
            total_loss += losses.detach() * index.shape[1]
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        elapsed += time.perf_counter() - start
        # One pass of the stack over the test set gives every model's accuracy.
        correct = (
            (predict(stack, test_images) == test_labels).float().mean(dim=1).tolist()
            if test_images is not None
            else None
        )
        monitored = (
            _monitor(stack, test_images, test_labels, setup, seeds)
            if setup.monitor_images and test_images is not None
            else None
        )
        for k in range(count):
            row = {
                "epoch": epoch,
                "train_loss": total_loss[k].item() / orders.shape[1],
                "train_time_s": round(elapsed, 3),
            }
            if correct is not None:
                row["test_accuracy"] = correct[k]
            if monitored is not None:
                row["monitor_pgd_accuracy"] = monitored[k]
            histories[k].append(row)
        if progress:
            losses = ", ".join(f"{row[-1]['train_loss']:.3f}" for row in histories)
            say(f"epoch {epoch} of {setup.epochs} done in {elapsed:.0f} s; training loss per seed {losses}")
    stack.write_back()  # the stack's weights into the models, once they are final
    return histories


def _monitor(stack: StackedModels, test_images, test_labels, setup: TrainingSetup, seeds: list[int]) -> list[float]:
    """PGD accuracy at the training radius on the first monitor_images test
    images (not counted in the training time): the check for catastrophic
    overfitting. It draws from its own generators, so training's random
    stream is the same with or without it."""
    from gobig.methods.robustness.attacks import robust_accuracy

    images, labels = test_images[: setup.monitor_images], test_labels[: setup.monitor_images]
    shares = robust_accuracy(
        stack,
        images,
        labels,
        setup.eps,
        setup.monitor_pgd_steps,
        setup.eps / 4,
        "linf",
        1,
        seed=[10_000 + s for s in seeds],
    )
    stack.train()
    return shares
