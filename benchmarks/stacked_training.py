"""Training a sweep's seeds together against one model at a time.

What is measured
----------------
For each model (``--models``, default Madry s=1 and s=4 and MLP widths 32
and 512, the small end of chapter 1's sweep where per-step overhead
dominates), ``--seeds`` models of that architecture are trained for
``--epochs`` on the first ``--train-subset`` MNIST images, in each of
``--modes`` (natural and PGD training, chapter 1's recipe):

* **baseline**: ``gobig.train.train_models`` on one model at a time, one
  after another (what chapter 1 did before stacking; ``STACK_SEEDS=False``);
* **stacked**: ``train_models`` on all seeds at once: parameters stacked with
  ``torch.func.stack_module_state``, one ``vmap``-ed ``functional_call``
  per step.

Both start from the same initial weights and draw the same data orders and
attack noise, so they must end with the same weights up to float summation
order: the script reports the largest weight difference and fails (exit 1)
above 1e-3 (bf16 on CUDA) or 1e-4 (fp32 on CPU). A warm-up step of each
runs first, untimed (CUDA context, cuDNN autotuning). Throughput is training
images per second summed over the models; the ratio is baseline time over
stacked time.

Run it
------
``make bench``, or::

    .venv/bin/python benchmarks/stacked_training.py                      # auto: CUDA if present
    .venv/bin/python benchmarks/stacked_training.py --modes pgd --models madry:1,mlp:32
    .venv/bin/python benchmarks/stacked_training.py --train-subset 60000 --epochs 1   # the GPU run

Each run writes ``benchmarks/results/stacked_training-<device>-<UTC time>.json``.
"""

from __future__ import annotations

import argparse
import sys
import time

import torch

from gobig import benchmarking
from gobig.data.mnist import load_mnist
from gobig.models import build_model, num_params
from gobig.runtime import DEVICE_CHOICES, resolve_device, set_seed
from gobig.train import TrainingSetup, train_models


def parse_model(text: str) -> tuple[str, int]:
    family, _, size = text.partition(":")
    return family, int(size or 0)


def fresh_models(family: str, size: int, seeds: list[int], device: torch.device) -> list[torch.nn.Module]:
    models = []
    for seed in seeds:
        set_seed(seed)
        models.append(build_model(family, size).to(device))
    return models


def timed(device: torch.device, function, *args) -> float:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    start = time.perf_counter()
    function(*args)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", choices=DEVICE_CHOICES, default="auto")
    parser.add_argument("--models", default="madry:1,madry:4,mlp:32,mlp:512", help="comma-separated family:size (default %(default)s)")
    parser.add_argument("--seeds", type=int, default=3, help="models trained together (default %(default)s, chapter 1's seeds)")
    parser.add_argument("--modes", default="natural,pgd", help="training modes, comma-separated (default %(default)s)")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=None, help="default 256 on CUDA (the full profile's), 128 on CPU")
    parser.add_argument("--train-subset", type=int, default=None, help="default all 60,000 on CUDA, 5,000 on CPU")
    parser.add_argument("--pgd-steps", type=int, default=7)
    args = parser.parse_args(argv)

    device = resolve_device(args.device)
    batch_size = args.batch_size or (256 if device.type == "cuda" else 128)
    subset = args.train_subset or (60_000 if device.type == "cuda" else 5_000)
    data = load_mnist(device=device)
    images, labels = data.train_images[:subset], data.train_labels[:subset]
    seeds = list(range(args.seeds))
    tolerance = 1e-3 if device.type == "cuda" else 1e-4

    stages, checks = [], []
    for mode, text in ((m, t) for m in args.modes.split(",") for t in args.models.split(",")):
        family, size = parse_model(text)
        label = f"{family}:{size}" if family != "blog" else "blog"
        setup = TrainingSetup(mode=mode, epochs=args.epochs, batch_size=batch_size, learning_rate=1e-3, pgd_steps=args.pgd_steps, eps_warmup=0.3)
        warm_setup = TrainingSetup(mode=mode, epochs=1, batch_size=batch_size, pgd_steps=1)
        # Untimed warm-up of both paths on one batch.
        train_models(fresh_models(family, size, seeds[:1], device), images[:batch_size], labels[:batch_size], warm_setup, seeds[:1], progress=False)
        train_models(fresh_models(family, size, seeds, device), images[:batch_size], labels[:batch_size], warm_setup, seeds, progress=False)

        def one_at_a_time(models):
            for model, seed in zip(models, seeds):
                train_models([model], images, labels, setup, [seed], progress=False)

        alone = fresh_models(family, size, seeds, device)
        baseline_s = timed(device, one_at_a_time, alone)
        stacked = fresh_models(family, size, seeds, device)
        stacked_s = timed(device, train_models, stacked, images, labels, setup, seeds, None, None, False)
        difference = max((p.float() - q.float()).abs().max().item() for a, b in zip(alone, stacked) for p, q in zip(a.parameters(), b.parameters()))
        work = args.seeds * subset * args.epochs
        params = num_params(alone[0])
        name = f"{mode} {label} ({params:,} params) x{args.seeds}"
        stages.append(benchmarking.stage(f"{name}, one at a time", baseline_s, work, "images/s", baseline_s, mode=mode, model=label, num_params=params))
        stages.append(benchmarking.stage(f"{name}, stacked", stacked_s, work, "images/s", baseline_s, mode=mode, model=label, num_params=params, max_weight_difference=difference))
        checks.append((f"{mode} {label}", difference))

    pgd = f", PGD-{args.pgd_steps} training" if "pgd" in args.modes else ""
    benchmarking.print_table(f"Training {args.seeds} seeds: one at a time vs stacked ({subset} images x {args.epochs} epoch(s), batch {batch_size}{pgd}) on {device.type.upper()}", stages)
    path = benchmarking.write_record("stacked_training", device, vars(args), stages, batch_size=batch_size, train_subset=subset, tolerance=tolerance)
    print(f"\nrecord: {path}")
    bad = [(label, difference) for label, difference in checks if difference > tolerance]
    for label, difference in bad:
        print(f"{label}: stacked and one-at-a-time weights differ by {difference:.2e} > {tolerance:.0e}", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
