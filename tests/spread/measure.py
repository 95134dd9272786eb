"""Measure how far float summation order moves PGD-trained results.

PGD's sign steps turn last-bit differences (another reduction order: a
vmapped stack against one model, AVX2 against AVX-512 kernels, another
processor) into different attack trajectories, so two runs of the same
arithmetic in another order end at different weights. This script measures
how far, for the configurations that tests/test_train.py compares, so that
those tests assert a bound taken from a measured spread rather than from one
run on one processor:

* under every ATEN_CPU_CAPABILITY this processor supports, the stacked and
  the one-model-at-a-time runs of each test configuration;
* within one capability, runs whose initial weights are nudged by one float32
  ulp (relative 2**-23, random signs), which stands in for any other
  reduction order.

It writes tests/spread/float_order_spread.json (the largest deviation from
the reference run of each metric, per configuration). Rerun it after changing
what those tests train:

    .venv/bin/python tests/spread/measure.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
CAPABILITIES = ("default", "avx2", "avx512")
NUDGES = 5
#: Mirrors tests/test_train.py's test_stacked_training_equals_training_each_model_alone (PGD cases).
UNIT_CONFIGS = [("madry", 1), ("mlp", 32)]
SEEDS = [0, 1, 2]


def unit_metrics(stacked: bool, nudge: int | None) -> dict:
    import torch

    from gobig.core.runtime import set_seed
    from gobig.data.mnist import load_mnist
    from gobig.methods.robustness.models import build_model
    from gobig.methods.robustness.train import TrainingSetup, train_models

    torch.set_num_threads(2)
    data = load_mnist(device="cpu")
    images, labels = data.train_images[:1024], data.train_labels[:1024]
    setup = TrainingSetup(mode="pgd", epochs=2, batch_size=128, learning_rate=2e-3, pgd_steps=3, eps_warmup=0.5)
    out = {}
    for family, size in UNIT_CONFIGS:
        models = []
        for seed in SEEDS:
            set_seed(seed)
            models.append(build_model(family, size))
        if nudge is not None:
            generator = torch.Generator().manual_seed(1000 + nudge)
            with torch.no_grad():
                for model in models:
                    for p in model.parameters():
                        signs = torch.randint(0, 2, p.shape, generator=generator) * 2 - 1
                        p.mul_(1 + signs * 2.0**-23)
        if stacked:
            histories = train_models(
                models, images, labels, setup, SEEDS, data.test_images[:500], data.test_labels[:500], progress=False
            )
        else:
            histories = [
                train_models(
                    [m], images, labels, setup, [s], data.test_images[:500], data.test_labels[:500], progress=False
                )[0]
                for m, s in zip(models, SEEDS)
            ]
        out[f"{family}-{size}"] = {
            "test_accuracy": [h[-1]["test_accuracy"] for h in histories],
            "train_loss": [row["train_loss"] for h in histories for row in h],
        }
    return out


def sweep_metrics(stacked: bool) -> dict:
    """Mirrors test_a_stacked_sweep_gives_the_records_of_one_model_at_a_time."""
    import yaml

    from gobig.studies import mnist

    # The very config the tests run (tests/spread/tiny_sweep.yaml).
    tiny = {**mnist.load_profile("smoke"), **yaml.safe_load((Path(__file__).parent / "tiny_sweep.yaml").read_text())}
    with tempfile.TemporaryDirectory() as folder:
        records = mnist.run(
            {**tiny, "STACK_SEEDS": "always" if stacked else "never", "RESULTS_DIR": folder}, progress=False
        )
    return {
        "clean_accuracy": [r["result"]["clean_accuracy"] for r in records],
        "robust_accuracy": [x["accuracy"] for r in records for x in r["result"]["robust"]],
        "lipschitz_local_mean": [r["result"]["lipschitz"]["local_mean"] for r in records],
    }


def worker(mode: str) -> None:
    if mode == "sweep":
        result = {"stacked": sweep_metrics(True), "alone": sweep_metrics(False)}
    else:
        result = {"stacked": unit_metrics(True, None), "alone": unit_metrics(False, None)}
        result.update({f"nudge{k}": unit_metrics(False, k) for k in range(NUDGES)})
    print(json.dumps(result))


def deviations(runs: list[dict]) -> dict:
    """Largest |difference| (and largest relative one) from the first run, per metric."""
    reference = runs[0]
    largest: dict = {}
    for run in runs[1:]:
        for metric, values in run.items():
            ref = reference[metric]
            absolute = max(abs(a - b) for a, b in zip(values, ref))
            relative = max(abs(a - b) / abs(b) for a, b in zip(values, ref) if b)
            old = largest.get(metric, {"abs": 0.0, "rel": 0.0})
            largest[metric] = {"abs": max(old["abs"], absolute), "rel": max(old["rel"], relative)}
    return largest


def main() -> None:
    runs: dict = {"unit": [], "sweep": []}
    for capability in CAPABILITIES:
        environment = dict(os.environ, ATEN_CPU_CAPABILITY=capability)
        for mode in ("unit", "sweep"):
            output = subprocess.run(
                [sys.executable, __file__, "--worker", mode],
                env=environment,
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            result = json.loads(output.strip().splitlines()[-1])
            print(capability, mode, "done", flush=True)
            runs[mode].extend({"capability": capability, "run": name, **({"metrics": m})} for name, m in result.items())
    summary = {"capabilities": list(CAPABILITIES), "nudges": NUDGES, "processor": _processor()}
    # Unit configs: every run of a config against the first (default capability, stacked).
    for config in UNIT_CONFIGS:
        name = f"{config[0]}-{config[1]}"
        summary[f"unit/{name}"] = deviations([r["metrics"][name] for r in runs["unit"]])
    summary["sweep"] = deviations([r["metrics"] for r in runs["sweep"]])
    summary["runs"] = runs
    (HERE / "float_order_spread.json").write_text(json.dumps(summary, indent=1) + "\n")
    print(json.dumps({k: v for k, v in summary.items() if k != "runs"}, indent=1))


def _processor() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown"


if __name__ == "__main__":
    if sys.argv[1:2] == ["--worker"]:
        worker(sys.argv[2])
    else:
        main()
