"""Training a sweep's seeds together against one model at a time.

What is measured
----------------
For each model (``--models``, default Madry s=1 and s=4 and MLP widths 32
and 512, the small end of chapter 1's sweep where per-step overhead
dominates), ``--seeds`` models of that architecture are trained for
``--epochs`` on the first ``--train-subset`` MNIST images, in each of
``--modes`` (natural and PGD training, chapter 1's recipe):

* **baseline**: ``gobig.methods.robustness.train.train_models`` on one model at a time, one
  after another (what chapter 1 did before stacking; ``STACK_SEEDS=False``);
* **stacked**: ``train_models`` on all seeds at once: parameters stacked with
  ``torch.func.stack_module_state``, one ``vmap``-ed ``functional_call``
  per step;
* **stacked, torch.compile** (with ``--compile``; chapter 1's ``COMPILE``):
  the same with the stack's forward pass compiled. Its compile time is an
  untimed warm-up at the timed run's shapes (the full and the last batch),
  reported apart as ``compile_s``, with ``calls_captured``, the graphs dynamo
  captured (0 would mean it fell back to eager).

With ``--eval-images`` (default on) the trained models are then attacked
the way chapter 1 evaluates them (PGD, l-inf eps 0.3, step 0.01), one at a
time and as one stack (``gobig.methods.robustness.attacks.robust_accuracy`` on a
``gobig.methods.robustness.stacking.StackedModels``); throughput is images x steps per second
over all seeds.

Both start from the same initial weights and draw the same data orders and
attack noise, and compute the same function with the same update; only the
kernels' summation order differs (a grouped convolution, a batched matmul).
That is float noise, but training amplifies it: Adam scales tiny gradients
up to a full step and PGD takes their sign, so two such runs drift apart the
way runs on two GPUs do (on CPU: 1e-6 after 16 steps, which
``tests/test_train.py`` checks; up to 1e-2 after 40). The script therefore
reports, not asserts, the largest weight difference at the end and each
side's mean final training loss. A warm-up step of each runs first, untimed
(CUDA context, cuDNN autotuning). Throughput is training
images per second summed over the models; the ratio is baseline time over
stacked time.

Run it
------
``make bench``, or::

    .venv/bin/python benchmarks/stacked_training.py                      # auto: CUDA if present
    .venv/bin/python benchmarks/stacked_training.py --modes pgd --models madry:1,mlp:32
    .venv/bin/python benchmarks/stacked_training.py --train-subset 60000 --epochs 1   # a whole epoch

Each run writes ``benchmarks/results/stacked_training-<device>-<UTC time>.json``.
"""

from __future__ import annotations

import argparse
import sys

import torch

from gobig.core.runtime import DEVICE_CHOICES, resolve_device, set_seed
from gobig.data.mnist import load_mnist
from gobig.methods.robustness.attacks import robust_accuracy
from gobig.methods.robustness.models import build_model, num_params, parse_spec
from gobig.methods.robustness.stacking import StackedModels
from gobig.methods.robustness.train import TrainingSetup, train_models
from gobig.report import benchmarking


def fresh_models(family: str, size: int, seeds: list[int], device: torch.device) -> list[torch.nn.Module]:
    models = []
    for seed in seeds:
        set_seed(seed)
        models.append(build_model(family, size).to(device))
    return models


@torch.no_grad()
def loss_of(models: list[torch.nn.Module], images: torch.Tensor, labels: torch.Tensor) -> float:
    """Mean clean training loss of the trained models (on the training images)."""
    losses = [
        torch.nn.functional.cross_entropy(model.eval()(images[:4096]).float(), labels[:4096]).item() for model in models
    ]
    return sum(losses) / len(losses)


def one_at_a_time(models, images, labels, setup, seeds) -> None:
    for model, seed in zip(models, seeds):
        train_models([model], images, labels, setup, [seed], progress=False)


def together(models, images, labels, setup, seeds, compile_models: bool = False) -> None:
    train_models(models, images, labels, setup, seeds, progress=False, compile=compile_models)


def largest_weight_difference(models: list[torch.nn.Module], others: list[torch.nn.Module]) -> float:
    return max(
        (p.float() - q.float()).abs().max().item()
        for a, b in zip(models, others)
        for p, q in zip(a.parameters(), b.parameters())
    )


def captured_graphs() -> int:
    from torch._dynamo.utils import counters

    return counters["stats"]["calls_captured"]


def measure(
    family: str,
    size: int,
    mode: str,
    images,
    labels,
    seeds: list[int],
    batch_size: int,
    args,
    device: torch.device,
    compile_errors: list[str],
) -> list[dict]:
    """The two stages (one at a time, stacked) for one model and mode."""
    label = f"{family}:{size}" if family != "blog" else "blog"
    setup = TrainingSetup(
        mode=mode,
        epochs=args.epochs,
        batch_size=batch_size,
        learning_rate=1e-3,
        pgd_steps=args.pgd_steps,
        eps_warmup=0.3,
    )
    warm_setup = TrainingSetup(mode=mode, epochs=1, batch_size=batch_size, pgd_steps=1)
    # Untimed warm-up of both paths on one batch.
    one_at_a_time(
        fresh_models(family, size, seeds[:1], device), images[:batch_size], labels[:batch_size], warm_setup, seeds[:1]
    )
    together(fresh_models(family, size, seeds, device), images[:batch_size], labels[:batch_size], warm_setup, seeds)

    alone = fresh_models(family, size, seeds, device)
    _, baseline_s = benchmarking.timed(device, one_at_a_time, alone, images, labels, setup, seeds)
    stacked = fresh_models(family, size, seeds, device)
    _, stacked_s = benchmarking.timed(device, together, stacked, images, labels, setup, seeds)
    alone_loss, stacked_loss = loss_of(alone, images, labels), loss_of(stacked, images, labels)
    difference = largest_weight_difference(alone, stacked)
    work = len(seeds) * len(images) * args.epochs
    params = num_params(alone[0])
    name = f"{mode} {label} ({params:,} params) x{len(seeds)}"
    rows = [
        benchmarking.stage(
            f"{name}, one at a time",
            baseline_s,
            work,
            "images/s",
            baseline_s,
            mode=mode,
            model=label,
            num_params=params,
            final_loss=alone_loss,
        ),
        benchmarking.stage(
            f"{name}, stacked",
            stacked_s,
            work,
            "images/s",
            baseline_s,
            mode=mode,
            model=label,
            num_params=params,
            final_loss=stacked_loss,
            max_weight_difference=difference,
        ),
    ]
    if args.compile:
        # The warm-up compiles every graph the timed run needs: the full batch and the last, shorter one.
        last = len(images) % batch_size
        warm_count = batch_size + last if last and len(images) > batch_size else batch_size
        warm_compile = TrainingSetup(mode=mode, epochs=1, batch_size=batch_size, pgd_steps=1)

        def compiled_run() -> dict:
            before = captured_graphs()
            _, compile_s = benchmarking.timed(
                device,
                together,
                fresh_models(family, size, seeds, device),
                images[:warm_count],
                labels[:warm_count],
                warm_compile,
                seeds,
                True,
            )
            compiled = fresh_models(family, size, seeds, device)
            _, compiled_s = benchmarking.timed(device, together, compiled, images, labels, setup, seeds, True)
            return benchmarking.stage(
                f"{name}, stacked, torch.compile",
                compiled_s,
                work,
                "images/s",
                baseline_s,
                mode=mode,
                model=label,
                num_params=params,
                final_loss=loss_of(compiled, images, labels),
                max_weight_difference=largest_weight_difference(alone, compiled),
                compile_s=compile_s,
                calls_captured=captured_graphs() - before,
            )

        row = benchmarking.compiled_or_error(compiled_run, compile_errors)
        rows += [row] if row else []
    if args.eval_images:
        rows += measure_attack(alone, seeds, name, mode, args, device, compile_errors)
    print(
        f"{name}: final training loss {alone_loss:.4f} one at a time, {stacked_loss:.4f} stacked; largest weight difference {difference:.1e}",
        flush=True,
    )
    if args.profile:
        short = images[: 20 * batch_size], labels[: 20 * batch_size]
        short_setup = TrainingSetup(mode=mode, epochs=1, batch_size=batch_size, pgd_steps=args.pgd_steps)
        for row, train in zip(rows, (one_at_a_time, together)):
            models = fresh_models(family, size, seeds, device)
            row["profile"] = benchmarking.profile_top(lambda: train(models, *short, short_setup, seeds), device)  # noqa: B023 (called at once)
            benchmarking.print_profile(row["stage"], row["profile"])
    return rows


def measure_attack(
    models: list, seeds: list[int], name: str, mode: str, args, device: torch.device, compile_errors: list[str]
) -> list[dict]:
    """PGD (l-inf, eps 0.3, chapter 1's step 0.01) on the first --eval-images
    test images for each trained model, one at a time and as one stack. The
    rows name the models' training mode: each mode's models are attacked."""
    data = load_mnist(device=device)
    images, labels = data.test_images[: args.eval_images], data.test_labels[: args.eval_images]
    for model in models:
        model.eval().requires_grad_(False)
    stack = StackedModels(models).requires_grad_(False)
    robust_accuracy(models[0], images[:256], labels[:256], 0.3, 1, 0.01, seed=0)  # untimed warm-up
    robust_accuracy(stack, images[:256], labels[:256], 0.3, 1, 0.01, seed=seeds)

    def each_alone() -> list[float]:
        return [
            robust_accuracy(model, images, labels, 0.3, args.eval_steps, 0.01, seed=seed)
            for model, seed in zip(models, seeds)
        ]

    alone, alone_s = benchmarking.timed(device, each_alone)
    together, together_s = benchmarking.timed(
        device, robust_accuracy, stack, images, labels, 0.3, args.eval_steps, 0.01, "linf", 1, 2048, seeds
    )
    work = len(models) * len(images) * args.eval_steps
    label = f"PGD-{args.eval_steps} on {len(images)} test images, {name.split(' ', 1)[1]}"
    context = benchmarking.trained_context(mode)
    print(
        f"{label}: robust accuracy {[round(a, 4) for a in alone]} one at a time, {[round(a, 4) for a in together]} stacked",
        flush=True,
    )
    rows = [
        benchmarking.stage(
            f"{label}, one at a time{context}",
            alone_s,
            work,
            "image-steps/s",
            alone_s,
            robust_accuracy=alone,
            trained=mode,
        ),
        benchmarking.stage(
            f"{label}, stacked{context}",
            together_s,
            work,
            "image-steps/s",
            alone_s,
            robust_accuracy=together,
            trained=mode,
        ),
    ]
    if args.compile:

        def compiled_attack() -> dict:
            before = captured_graphs()
            stack = StackedModels(models, compile=True).requires_grad_(False)
            # One step over the same images compiles the shapes the timed attack meets.
            _, compile_s = benchmarking.timed(
                device, robust_accuracy, stack, images, labels, 0.3, 1, 0.01, "linf", 1, 2048, seeds
            )
            accuracies, compiled_s = benchmarking.timed(
                device, robust_accuracy, stack, images, labels, 0.3, args.eval_steps, 0.01, "linf", 1, 2048, seeds
            )
            return benchmarking.stage(
                f"{label}, stacked, torch.compile{context}",
                compiled_s,
                work,
                "image-steps/s",
                alone_s,
                robust_accuracy=accuracies,
                compile_s=compile_s,
                calls_captured=captured_graphs() - before,
                trained=mode,
            )

        row = benchmarking.compiled_or_error(compiled_attack, compile_errors)
        rows += [row] if row else []
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--device", choices=DEVICE_CHOICES, default="auto")
    parser.add_argument(
        "--models", default="madry:1,madry:4,mlp:32,mlp:512", help="comma-separated family:size (default %(default)s)"
    )
    parser.add_argument(
        "--seeds", type=int, default=3, help="models trained together (default %(default)s, chapter 1's seeds)"
    )
    parser.add_argument("--modes", default="natural,pgd", help="training modes, comma-separated (default %(default)s)")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument(
        "--batch-size", type=int, default=None, help="default 256 on CUDA (the full profile's), 128 on CPU"
    )
    parser.add_argument("--train-subset", type=int, default=None, help="default 20,000 on CUDA, 5,000 on CPU")
    parser.add_argument("--pgd-steps", type=int, default=7)
    parser.add_argument(
        "--eval-images",
        type=int,
        default=None,
        help="also attack the trained models on this many test images, one at a time and stacked (default 10,000 on CUDA, 1,000 on CPU; 0: no attack)",
    )
    parser.add_argument(
        "--eval-steps", type=int, default=None, help="PGD steps of that attack (default 40 on CUDA, 10 on CPU)"
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="also profile 20 batches of each side (torch.profiler) and record what bounds it",
    )
    parser.add_argument(
        "--compile",
        action="store_true",
        help="also train and attack the stack with torch.compile (chapter 1's COMPILE); compile time reported apart",
    )
    args = parser.parse_args(argv)

    device = resolve_device(args.device)
    cuda = device.type == "cuda"
    args.eval_images = (10_000 if cuda else 1_000) if args.eval_images is None else args.eval_images
    args.eval_steps = args.eval_steps or (40 if cuda else 10)
    batch_size = args.batch_size or (256 if device.type == "cuda" else 128)
    subset = args.train_subset or (20_000 if device.type == "cuda" else 5_000)
    data = load_mnist(device=device)
    images, labels = data.train_images[:subset], data.train_labels[:subset]
    seeds = list(range(args.seeds))

    stages, compile_errors = [], []
    for mode in args.modes.split(","):
        for text in args.models.split(","):
            family, size = parse_spec(text)
            stages += measure(family, size, mode, images, labels, seeds, batch_size, args, device, compile_errors)

    pgd = f", PGD-{args.pgd_steps} training" if "pgd" in args.modes else ""
    benchmarking.print_table(
        f"Training {args.seeds} seeds: one at a time vs stacked ({subset} images x {args.epochs} epoch(s), batch {batch_size}{pgd}) on {device.type.upper()}",
        stages,
    )
    path = benchmarking.write_record(
        "stacked_training",
        device,
        vars(args),
        stages,
        batch_size=batch_size,
        train_subset=subset,
        compile_errors=compile_errors,
    )
    print(f"\nrecord: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
