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
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

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
    snapshot: Path | None = None,
) -> list[list[dict]]:
    """Train models of one architecture together, in place, model k with
    ``seeds[k]``; return each model's history (one row per epoch: loss, time
    and, when test data is given, clean test accuracy). ``train_time_s`` is
    the time the whole stack trained (with ``compile``, its compilation too).

    With ``snapshot`` (a file path), the training state after each epoch
    (weights, optimizer, schedule, generators, histories) is written there,
    and a run that finds one for the same setup and seeds goes on from it:
    a run stopped mid-training loses at most an epoch, and ends with the
    weights and histories an uninterrupted run has (``train_time_s`` counts
    only the epochs trained). The file is removed when training ends."""
    if setup.mode not in TRAINING_MODES:
        raise ValueError(f"TRAINING_MODES: {setup.mode!r} is not one of {TRAINING_MODES}")
    if setup.lr_schedule not in LR_SCHEDULES:
        raise ValueError(f"LR_SCHEDULE: {setup.lr_schedule!r} is not one of {LR_SCHEDULES}")
    if setup.precision not in PRECISIONS:
        raise ValueError(f"precision {setup.precision!r} is not one of {PRECISIONS}")
    if len(seeds) != len(models):
        raise ValueError(f"{len(seeds)} seeds for {len(models)} models")
    device = train_images.device
    stack = StackedModels(models, compile=compile)
    generators = [torch.Generator(device=device).manual_seed(seed) for seed in seeds]
    steps_per_epoch = math.ceil(len(train_images) / setup.batch_size)
    optimizer, schedule = _optimizer_and_schedule(stack, setup, setup.epochs * steps_per_epoch, device)
    state = {"epoch": 0, "elapsed": 0.0, "histories": [[] for _ in models]}
    if snapshot is not None and snapshot.is_file():
        state = _resume(snapshot, stack, optimizer, schedule, generators, setup, seeds, device) or state
        if state["epoch"] and progress:
            say(f"training resumes after epoch {state['epoch']} of {setup.epochs}, from {snapshot.name}")
    histories = state["histories"]
    for epoch in range(state["epoch"] + 1, setup.epochs + 1):
        start = time.perf_counter()
        stack.train()
        total_loss = _train_epoch(
            stack, optimizer, schedule, generators, train_images, train_labels, setup, epoch, progress
        )
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        state["elapsed"] += time.perf_counter() - start
        _append_history(histories, total_loss / len(train_images), state["elapsed"], epoch)
        _evaluate_epoch(histories, stack, test_images, test_labels, setup, seeds)
        if progress:
            losses = ", ".join(f"{row[-1]['train_loss']:.3f}" for row in histories)
            say(f"epoch {epoch} of {setup.epochs} done in {state['elapsed']:.0f} s; training loss per seed {losses}")
        if snapshot is not None and epoch < setup.epochs:
            _save_snapshot(snapshot, stack, optimizer, schedule, generators, setup, seeds, epoch, state)
    stack.write_back()  # the stack's weights into the models, once they are final
    if snapshot is not None:
        snapshot.unlink(missing_ok=True)
    return histories


def _optimizer_and_schedule(stack: StackedModels, setup: TrainingSetup, total_steps: int, device: torch.device):
    """Adam over the stack's parameters and the setup's learning-rate schedule, stepped once per batch."""
    optimizer = torch.optim.Adam(
        stack.parameters, lr=setup.learning_rate, **({"fused": True} if device.type == "cuda" else {})
    )
    if setup.lr_schedule == "cosine":
        return optimizer, torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=total_steps)
    if setup.lr_schedule == "constant":
        return optimizer, torch.optim.lr_scheduler.LambdaLR(optimizer, lambda k: 1.0)
    # Wong et al. set lr(t) before each step, t = (step + 1) / steps_per_epoch epochs.
    peak = 0.4 * total_steps
    return optimizer, torch.optim.lr_scheduler.LambdaLR(
        optimizer,
        lambda k: (k + 1) / peak if k + 1 <= peak else max(0.0, (total_steps - k - 1) / (total_steps - peak)),
    )


def _train_epoch(
    stack: StackedModels,
    optimizer,
    schedule,
    generators: list[torch.Generator],
    train_images: torch.Tensor,
    train_labels: torch.Tensor,
    setup: TrainingSetup,
    epoch: int,
    progress: bool,
) -> torch.Tensor:
    """One epoch over the training set (each model its own data order, from
    its own generator); returns each model's summed training loss."""
    device, count = train_images.device, len(stack)
    bf16_on_cpu = setup.precision == "bfloat16"
    steps_per_epoch = math.ceil(len(train_images) / setup.batch_size)
    warmup_steps = setup.eps_warmup * setup.epochs * steps_per_epoch
    step = (epoch - 1) * steps_per_epoch
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
                F.cross_entropy(logits.flatten(0, 1), labels.flatten(), reduction="none").view(count, -1).mean(dim=1)
            )
        optimizer.zero_grad(set_to_none=True)
        losses.sum().backward()
        optimizer.step()
        schedule.step()
        total_loss += losses.detach() * index.shape[1]
    return total_loss


def _append_history(histories: list[list[dict]], mean_loss: torch.Tensor, elapsed: float, epoch: int) -> None:
    for k, history in enumerate(histories):
        history.append({"epoch": epoch, "train_loss": mean_loss[k].item(), "train_time_s": round(elapsed, 3)})


def _evaluate_epoch(histories, stack: StackedModels, test_images, test_labels, setup: TrainingSetup, seeds) -> None:
    """Each model's clean test accuracy (one pass of the stack) and, with
    monitor_images, its PGD monitor's accuracy, into the epoch's rows."""
    if test_images is None:
        return
    correct = (predict(stack, test_images) == test_labels).float().mean(dim=1).tolist()
    monitored = _monitor(stack, test_images, test_labels, setup, seeds) if setup.monitor_images else None
    for k, history in enumerate(histories):
        history[-1]["test_accuracy"] = correct[k]
        if monitored is not None:
            history[-1]["monitor_pgd_accuracy"] = monitored[k]


def _snapshot_identity(setup: TrainingSetup, seeds: list[int], stack: StackedModels) -> dict:
    """What a snapshot must match to be resumed: the setup, the seeds and the parameters' shapes."""
    return {"setup": asdict(setup), "seeds": list(seeds), "shapes": [list(p.shape) for p in stack.parameters]}


def _save_snapshot(path: Path, stack, optimizer, schedule, generators, setup, seeds, epoch: int, state: dict) -> None:
    """The training state after ``epoch``, written atomically (a crash leaves the last whole snapshot)."""
    payload = {
        "identity": _snapshot_identity(setup, seeds, stack),
        "epoch": epoch,
        "elapsed": state["elapsed"],
        "histories": state["histories"],
        "parameters": [p.detach().cpu().clone() for p in stack.parameters],
        "optimizer": optimizer.state_dict(),
        "schedule": schedule.state_dict(),
        "generators": [g.get_state() for g in generators],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{os.getpid()}.partial")
    torch.save(payload, partial)
    partial.replace(path)


def _resume(path: Path, stack, optimizer, schedule, generators, setup, seeds, device) -> dict | None:
    """Load a snapshot into the stack, optimizer, schedule and generators;
    None (and the snapshot is ignored) when it is for another setup or seeds."""
    saved = torch.load(path, map_location="cpu", weights_only=False)
    if saved.get("identity") != _snapshot_identity(setup, seeds, stack):
        return None
    with torch.no_grad():
        for parameter, value in zip(stack.parameters, saved["parameters"]):
            parameter.copy_(value.to(device))
    optimizer.load_state_dict(saved["optimizer"])
    schedule.load_state_dict(saved["schedule"])
    for generator, state in zip(generators, saved["generators"]):
        generator.set_state(state)
    return {"epoch": saved["epoch"], "elapsed": saved["elapsed"], "histories": saved["histories"]}


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
