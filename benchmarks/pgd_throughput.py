"""PGD evaluation throughput: the whole test set in large batches against
the usual small-batch loop.

What is measured
----------------
Robust accuracy under l-inf PGD (eps 0.3, step 0.01, ``--steps`` 40, one
random start: chapter 1's attack) on the first ``--images`` MNIST test
images, for a model trained naturally for one epoch first (so the attack
has something to break; the training is not timed):

* **baseline**: ``torchattacks.PGD`` over the images in batches of 128 with
  the model in fp32, the way attack libraries are usually driven;
* **ours**: ``gobig.methods.robustness.attacks.robust_accuracy`` in batches of
  ``--batch-sizes`` (default 128, the baseline's, which tells our
  implementation from the batching; 2048, chapter 1's; and 10,000, the whole
  test set at once), bf16 autocast on CUDA.

Throughput is images x attack steps per second; the ratio is baseline time
over our time for the same images and steps. Both robust accuracies are
printed: the attacks draw different random starts, so they agree only
roughly (a gap of more than 2 points would say one attack is weaker).

Run it
------
``make bench``, or::

    .venv/bin/python benchmarks/pgd_throughput.py                 # auto: CUDA if present
    .venv/bin/python benchmarks/pgd_throughput.py --model madry:32 --images 10000

Each run writes ``benchmarks/results/pgd_throughput-<device>-<UTC time>.json``.
"""

from __future__ import annotations

import argparse
import sys

import torch

from gobig.core.runtime import DEVICE_CHOICES, resolve_device, set_seed
from gobig.data.mnist import load_mnist
from gobig.methods.robustness.attacks import accuracy, predict, robust_accuracy
from gobig.methods.robustness.models import build_model, num_params, parse_spec, to_device
from gobig.methods.robustness.train import TrainingSetup, train_model
from gobig.report import benchmarking

EPS, STEP_SIZE = 0.3, 0.01
BASELINE_BATCH = 128


def torchattacks_robust_accuracy(model, images, labels, steps: int, seed: int) -> float:
    import torchattacks

    torch.manual_seed(seed)
    attack = torchattacks.PGD(model, eps=EPS, alpha=STEP_SIZE, steps=steps, random_start=True)
    correct = 0
    for start in range(0, len(images), BASELINE_BATCH):
        x, y = images[start : start + BASELINE_BATCH], labels[start : start + BASELINE_BATCH]
        clean = predict(model, x) == y
        correct += (clean & (predict(model, attack(x, y)) == y)).sum().item()
    return correct / len(images)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--device", choices=DEVICE_CHOICES, default="auto")
    parser.add_argument("--model", default="madry:4", help="family:size (default %(default)s)")
    parser.add_argument(
        "--images", type=int, default=None, help="test images attacked (default 10,000 on CUDA, 1,000 on CPU)"
    )
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument(
        "--batch-sizes",
        default="128,2048,10000",
        help="our batch sizes, comma-separated (default %(default)s; 128 is the baseline's, to tell the implementation from the batching)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--profile",
        action="store_true",
        help="also profile 5 attack steps of each stage (torch.profiler) and record what bounds it",
    )
    args = parser.parse_args(argv)

    device = resolve_device(args.device)
    count = args.images or (10_000 if device.type == "cuda" else 1_000)
    data = load_mnist(device=device)
    images, labels = data.test_images[:count], data.test_labels[:count]
    set_seed(args.seed)
    model = to_device(build_model(*parse_spec(args.model)), device)
    train_model(
        model,
        data.train_images,
        data.train_labels,
        TrainingSetup(epochs=1, batch_size=256, learning_rate=2e-3),
        args.seed,
        progress=False,
    )
    model.eval()
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    clean = accuracy(model, images, labels)
    # Untimed warm-up of both (CUDA context, cuDNN autotuning).
    robust_accuracy(model, images[:256], labels[:256], EPS, 2, STEP_SIZE, batch_size=256)
    torchattacks_robust_accuracy(model, images[:BASELINE_BATCH], labels[:BASELINE_BATCH], 2, args.seed)

    work = count * args.steps
    baseline_accuracy, baseline_s = benchmarking.timed(
        device, torchattacks_robust_accuracy, model, images, labels, args.steps, args.seed
    )
    stages = [
        benchmarking.stage(
            f"torchattacks.PGD, batch {BASELINE_BATCH}, fp32",
            baseline_s,
            work,
            "image-steps/s",
            baseline_s,
            robust_accuracy=baseline_accuracy,
            batch_size=BASELINE_BATCH,
        )
    ]
    for batch_size in sorted({min(int(b), count) for b in args.batch_sizes.split(",")}):
        ours_accuracy, ours_s = benchmarking.timed(
            device, robust_accuracy, model, images, labels, EPS, args.steps, STEP_SIZE, "linf", 1, batch_size, args.seed
        )
        precision = "bf16 autocast" if device.type == "cuda" else "fp32"
        stages.append(
            benchmarking.stage(
                f"gobig robust_accuracy, batch {batch_size}, {precision}",
                ours_s,
                work,
                "image-steps/s",
                baseline_s,
                robust_accuracy=ours_accuracy,
                batch_size=batch_size,
            )
        )

    if args.profile:
        for row in stages:
            batch = row["batch_size"]
            if row is stages[0]:
                run = lambda b=batch: torchattacks_robust_accuracy(model, images[:b], labels[:b], 5, args.seed)  # noqa: E731
            else:
                run = lambda b=batch: robust_accuracy(
                    model, images[:b], labels[:b], EPS, 5, STEP_SIZE, batch_size=b, seed=args.seed
                )  # noqa: E731
            row["profile"] = benchmarking.profile_top(run, device)
            benchmarking.print_profile(row["stage"], row["profile"])

    title = f"PGD-{args.steps} (l-inf eps {EPS}) on {count} test images, {args.model} ({num_params(model):,} params, clean {clean:.4f}) on {device.type.upper()}"
    benchmarking.print_table(title, stages)
    print("robust accuracy: " + ", ".join(f"{row['stage']}: {row['robust_accuracy']:.4f}" for row in stages))
    path = benchmarking.write_record(
        "pgd_throughput", device, vars(args), stages, images=count, clean_accuracy=clean, num_params=num_params(model)
    )
    print(f"\nrecord: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
