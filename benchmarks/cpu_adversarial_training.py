"""Chapter 1's heaviest CPU job, adversarial training and its attacks: the
path before issue 16's speed work against today's, side by side.

What is measured
----------------
For each of ``--models`` (default Madry's scales 1, 4 and 16: the smallest,
the pilot's and Madry's own network), on the CPU with ``--threads`` threads
(default 1, what each process of a CPU sweep gets):

* **training**: the ``cpu60k`` profile's recipe (PGD-5 of step 0.1 at eps
  0.3 from a random start, batch 100, Adam with the cyclic rate peaking at
  5e-3) on the first ``--train-images`` training images, through
  ``gobig.methods.robustness.train.train_models``;
* **attack**: PGD-40 (eps 0.3, step 0.01, one random start: chapter 1's
  evaluation attack) on the first ``--eval-images`` test images of the
  trained model, through ``gobig.methods.robustness.attacks.robust_accuracy``.

The **baseline** is the model as built before (conv, ReLU, max-pool, in
PyTorch's default contiguous layout); **ours** is ``gobig.methods.robustness.models``' model
(ReLU after the max-pool, a quarter of the ReLUs, the same function) put on
the CPU by ``gobig.methods.robustness.models.to_device`` (channels-last conv weights, oneDNN's
fast path), and its attack cuts the images into batches of 200
(``attacks.CPU_ATTACK_BATCH``, which stay in the caches) where the baseline
attacks up to 2,048 at once; the random starts are drawn for the whole set
either way, so both attack the same starts. Both start from the same weights (same seed, same layer
indices) and see the same batches and attack noise, so their final losses
and robust accuracies must agree up to float rounding; the script prints
both and the record keeps them. A third side, **ours, bf16 training**, is
ours with ``TRAIN_PRECISION: bfloat16`` (the training's forward passes and
its PGD in bf16 autocast, which pays on CPUs with AVX512-BF16 or AMX); its
attack is the same float32 PGD-40 as ours, on the model it trained, so its
loss and robust accuracy differ from the others' by bf16 training, not by
float rounding. Each side runs ``--repeats`` times,
alternating with the other, and its median time counts, so that the load of
a shared machine falls on both alike. The ratio is the baseline's time over
ours for the same work.

Run it
------
::

    .venv/bin/python benchmarks/cpu_adversarial_training.py
    .venv/bin/python benchmarks/cpu_adversarial_training.py --models madry:4 --train-images 500 --eval-images 100

Each run writes ``benchmarks/results/cpu_adversarial_training-cpu-<UTC time>.json``.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from gobig.core.runtime import set_seed
from gobig.data.mnist import load_mnist
from gobig.methods.robustness.attacks import robust_accuracy
from gobig.methods.robustness.models import build_model, num_params, parse_spec, to_device
from gobig.methods.robustness.train import TrainingSetup, train_models
from gobig.report import benchmarking

RECIPE = TrainingSetup(
    mode="pgd",
    epochs=1,
    batch_size=100,
    learning_rate=5e-3,
    eps=0.3,
    pgd_steps=5,
    pgd_step_size=0.1,
    lr_schedule="cyclic",
)
EVAL_EPS, EVAL_STEPS, EVAL_STEP_SIZE = 0.3, 40, 0.01
BF16 = "ours, bf16 training"
SIDES = ("baseline", "ours", BF16)


def baseline_model(family: str, size: int) -> nn.Module:
    """The model as built before: each ReLU before its max-pool, contiguous
    weights. Same layers otherwise, so the same seed gives the same weights."""
    model = build_model(family, size)
    layers = list(model)
    for k in range(len(layers) - 1):
        if isinstance(layers[k], nn.MaxPool2d) and isinstance(layers[k + 1], nn.ReLU):
            layers[k], layers[k + 1] = layers[k + 1], layers[k]
    return nn.Sequential(*layers)


@torch.no_grad()
def training_loss(model: nn.Module, images: torch.Tensor, labels: torch.Tensor) -> float:
    return F.cross_entropy(model.eval()(images), labels).item()


def run_side(
    side: str, family: str, size: int, images, labels, attack_images, attack_labels
) -> tuple[float, float, float, float]:
    """One side once from the same initial weights: training seconds, attack
    seconds, final training loss, robust accuracy."""
    set_seed(0)
    model = baseline_model(family, size) if side == "baseline" else to_device(build_model(family, size), "cpu")
    recipe = dataclasses.replace(RECIPE, precision="bfloat16") if side == BF16 else RECIPE
    _, train_s = benchmarking.timed(
        torch.device("cpu"), train_models, [model], images, labels, recipe, [0], None, None, False
    )
    loss = training_loss(model, images[:1000], labels[:1000])
    model.requires_grad_(False)
    robust, attack_s = benchmarking.timed(
        torch.device("cpu"),
        robust_accuracy,
        model,
        attack_images,
        attack_labels,
        EVAL_EPS,
        EVAL_STEPS,
        EVAL_STEP_SIZE,
        "linf",
        1,
        2048 if side == "baseline" else None,  # ours: attacks.attack_batch_size, 200 images on a CPU
        0,
    )
    return train_s, attack_s, loss, robust


def measure(spec: str, data, args) -> list[dict]:
    """Both sides ``--repeats`` times, alternating (a shared machine's load
    then falls on both alike); each stage's time is the median of its runs."""
    family, size = parse_spec(spec)
    images, labels = data.train_images[: args.train_images], data.train_labels[: args.train_images]
    attack_images, attack_labels = data.test_images[: args.eval_images], data.test_labels[: args.eval_images]
    for side in SIDES:  # untimed warm-up on one batch (oneDNN picks its kernels)
        run_side(
            side,
            family,
            size,
            images[: RECIPE.batch_size],
            labels[: RECIPE.batch_size],
            attack_images[:8],
            attack_labels[:8],
        )
    runs = {side: [] for side in SIDES}
    for _ in range(args.repeats):
        for side in runs:
            runs[side].append(run_side(side, family, size, images, labels, attack_images, attack_labels))
    rows = []
    base_train, base_attack = (float(np.median([run[k] for run in runs["baseline"]])) for k in (0, 1))
    for side, results in runs.items():
        train_s, attack_s = (float(np.median([run[k] for run in results])) for k in (0, 1))
        _, _, loss, robust = results[0]  # every repeat starts from the same weights and noise
        name = f"{spec} ({num_params(build_model(family, size)):,} params), {side}"
        extra = {"model": spec, "side": side, "repeats": args.repeats}
        rows.append(
            benchmarking.stage(
                f"PGD-5 training, {name}",
                train_s,
                len(images),
                "images/s",
                base_train,
                final_loss=loss,
                train_s_each=[run[0] for run in results],
                **extra,
            )
        )
        rows.append(
            benchmarking.stage(
                f"PGD-40 attack, {name}",
                attack_s,
                len(attack_images) * EVAL_STEPS,
                "image-steps/s",
                base_attack,
                robust_accuracy=robust,
                attack_s_each=[run[1] for run in results],
                **extra,
            )
        )
        print(
            f"{name}: training loss {loss:.5f}, robust accuracy {robust:.4f}; median {train_s:.1f} s training, {attack_s:.1f} s attack",
            flush=True,
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--device", choices=["cpu"], default="cpu", help="CPU only: the GPU path has its own benchmarks"
    )
    parser.add_argument(
        "--models", default="madry:1,madry:4,madry:16", help="comma-separated family:size (default %(default)s)"
    )
    parser.add_argument(
        "--train-images", type=int, default=2000, help="training images, one epoch (default %(default)s: 20 steps)"
    )
    parser.add_argument("--eval-images", type=int, default=500, help="test images attacked (default %(default)s)")
    parser.add_argument(
        "--repeats", type=int, default=3, help="runs of each side, alternating; the median counts (default %(default)s)"
    )
    parser.add_argument(
        "--threads", type=int, default=1, help="torch threads (default %(default)s, as each process of a CPU sweep)"
    )
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    data = load_mnist(device=torch.device("cpu"))
    stages = []
    for spec in args.models.split(","):
        stages += measure(spec, data, args)
    benchmarking.print_table(
        f"Adversarial training and attack on the CPU ({args.threads} thread(s)): before vs after issue 16's speed work",
        stages,
    )
    path = benchmarking.write_record("cpu_adversarial_training", torch.device("cpu"), vars(args), stages)
    print(f"\nrecord: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
