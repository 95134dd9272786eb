"""One sweep of chapter 1 run by one process against a pool of worker processes.

What is measured
----------------
A slice of chapter 1's sweep (``--models``, default the small end: Madry
s=1 and s=4, MLP widths 32 and 512; ``--modes``; ``--seeds`` seeds of each,
stacked on CUDA as in the chapter), trained for one epoch on the first
``--train-subset`` MNIST images and evaluated with PGD-40 on
``--eval-images`` test images, is run through ``gobig.studies.mnist.run`` once per
entry of ``--workers``, each into its own empty results folder:

* **baseline**: ``WORKERS=1``, every unit in this process, one after
  another (chapter 1's default);
* **N workers**: ``WORKERS=N``, the units in a pool of N spawned processes
  on this machine, sharing its GPU (or cores).

Each side's time is the wall time of the whole ``run`` call: the pool's
process start-up, imports and data loading are counted, not only the units.
Throughput is models (records) per second; the ratio is the baseline's time
over the pool's. Small models are bound by their process's Python and
kernel launches, which is what extra processes hide; the costliest units
start first in both runs. The workers split the driver's CPU threads (on
two cores: one each), so on a CPU their float sums, and their last bits,
differ from the one-process run's; the script reports the largest
difference in any clean or robust accuracy between the two (on CUDA, kernel
noise).

Run it
------
``make bench``, or::

    .venv/bin/python benchmarks/sweep_workers.py                   # auto: CUDA if present
    .venv/bin/python benchmarks/sweep_workers.py --workers 1,2,4,8 --device cuda

Each run writes ``benchmarks/results/sweep_workers-<device>-<UTC time>.json``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from gobig.core.params import ParameterError
from gobig.core.runtime import DEVICE_CHOICES, resolve_device
from gobig.methods.robustness.models import parse_spec
from gobig.report import benchmarking
from gobig.studies import mnist


def sweep_values(args, device_type: str, results: Path, workers: int) -> dict:
    models = [parse_spec(text) for text in args.models.split(",")]
    return {
        **mnist.load_profile("full"),
        "CAPACITY_SCALES": [size for family, size in models if family == "madry"],
        "MLP_WIDTHS": [size for family, size in models if family == "mlp"],
        "TRAINING_MODES": args.modes.split(","),
        "SEEDS": list(range(args.seeds)),
        "EPOCHS": 1,
        "TRAIN_SUBSET": args.train_subset,
        "ROBUST_EVAL_SUBSET": args.eval_images,
        "LIPSCHITZ_POINTS": args.eval_images,
        "EPS_LIST": [0.3],
        "L2_EPS_LIST": [],
        "BLOG_MODEL": False,
        "CROSSCHECK": False,
        "DEVICE": device_type,
        "RESULTS_DIR": str(results),
        "WORKERS": workers,
    }


def accuracies(records: list[dict]) -> list[float]:
    """Every clean and robust accuracy the records measured, in order."""
    return [
        value
        for r in records
        for value in (r["result"]["clean_accuracy"], *(row["accuracy"] for row in r["result"]["robust"]))
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--device", choices=DEVICE_CHOICES, default="auto")
    parser.add_argument(
        "--workers",
        default=None,
        help="comma-separated worker counts, the first is the baseline (default 1,4 on CUDA, 1,2 on CPU)",
    )
    parser.add_argument(
        "--models",
        default="madry:1,madry:4,mlp:32,mlp:512",
        help="comma-separated family:size, at least one madry (default %(default)s)",
    )
    parser.add_argument("--modes", default="natural,pgd", help="training modes, comma-separated (default %(default)s)")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument(
        "--train-subset", type=int, default=None, help="training images (default 10,000 on CUDA, 2,000 on CPU)"
    )
    parser.add_argument(
        "--eval-images", type=int, default=None, help="attacked test images (default 2,000 on CUDA, 200 on CPU)"
    )
    args = parser.parse_args(argv)

    device = resolve_device(args.device)
    cuda = device.type == "cuda"
    args.workers = args.workers or ("1,4" if cuda else "1,2")
    args.train_subset = args.train_subset or (10_000 if cuda else 2_000)
    args.eval_images = args.eval_images or (2_000 if cuda else 200)
    counts = [int(text) for text in args.workers.split(",")]
    try:  # bad values stop here, before any training
        mnist.validate_parameters(sweep_values(args, device.type, Path("unused"), max(counts)))
    except ParameterError as error:
        parser.error(f"{error} (from --models, --modes, --seeds, --workers or the subsets)")

    stages, baseline_s, baseline_accuracies = [], None, None
    with tempfile.TemporaryDirectory() as folder:
        for workers in counts:
            values = sweep_values(args, device.type, Path(folder) / f"workers-{workers}", workers)
            records, seconds = benchmarking.timed(device, mnist.run, values, False)
            if baseline_s is None:
                baseline_s, baseline_accuracies = seconds, accuracies(records)
            difference = max(abs(a - b) for a, b in zip(accuracies(records), baseline_accuracies))
            label = "baseline: 1 process" if workers == 1 else f"{workers} worker processes"
            stages.append(
                benchmarking.stage(
                    label,
                    seconds,
                    len(records),
                    "models/s",
                    baseline_s,
                    workers=workers,
                    largest_accuracy_difference=difference,
                )
            )
            print(
                f"{label}: {len(records)} models in {seconds:.1f} s; largest accuracy difference from the baseline: {difference:.4f}",
                flush=True,
            )

    title = f"Chapter 1 sweep slice ({args.models}; {args.modes}; {args.seeds} seeds; {args.train_subset} images x 1 epoch) by worker processes on {device.type.upper()}"
    benchmarking.print_table(title, stages)
    path = benchmarking.write_record("sweep_workers", device, vars(args), stages)
    print(f"\nrecord: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
