"""Chapter 1's PGD adversarial training against Wong, Rice & Kolter's public
MNIST training script, side by side on the same model, batch, attack and
images.

What is measured
----------------
One epoch of PGD adversarial training (eps 0.3, ``--attack-steps`` signed
gradient steps of ``--step-size`` from a uniform random start, batch
``--batch-size``, Adam with the cyclic learning rate peaking at
``--lr-max``: chapter 1's ``cpu60k`` recipe, which is Wong et al.'s MNIST
settings with PGD-5) on the first ``--train-images`` MNIST training images
(default all 60,000: a whole epoch), for each model of ``--models``:

* **peer**: ``MNIST/train_mnist.py --attack pgd`` of locuslab/fast_adversarial
  (the code of Wong, Rice & Kolter 2020, "Fast is better than free"), its own
  ``main()`` imported from the local copy named by ``--fast-adversarial`` and
  run with its command-line options (``--epochs 1 --attack-iters K --alpha
  a --batch-size B --lr-max L --lr-type cyclic``). The script is written for
  a GPU, so three things are patched around it, none inside its loop:
  ``Tensor.cuda`` and ``Module.cuda`` return their object unchanged (the
  CPU is the device), its ``mnist_net()`` returns the model under test (the
  book's module, in PyTorch's default memory layout, as the script would
  build any model), and its ``../mnist-data`` folder is a temporary link to
  the MNIST files ``gobig`` reads (with ``--train-images`` below 60,000, its
  dataset is cut to the first N images). Its time is the epoch time the
  script itself logs (its ``DataLoader`` and ``ToTensor`` included, the
  dataset's construction not);
* **ours**: ``gobig.methods.robustness.train.train_models`` with the same
  settings (``mode="pgd"``, ``lr_schedule="cyclic"``, float32 as on every
  CPU run of the chapter), the model put on the CPU by
  ``gobig.methods.robustness.models.to_device`` (channels-last
  convolutions), the images resident as one tensor; its time is the wall
  time of ``train_models``. With ``--bf16``, a third side trains with
  ``precision="bfloat16"`` (the chapter's ``TRAIN_PRECISION: bfloat16``).

Both see every image once in an epoch, in their own random order, with
their own attack noise; the model's initial weights come from each side's
seed. The peer's cyclic schedule over one epoch peaks at its start
(``np.interp`` with ``epochs * 2 // 5 = 0``), ours at 2/5 of it, so the
losses both print are a sanity check, not a match. Without
``--fast-adversarial`` the peer is skipped (the script says so) and only
ours is timed.

The sides alternate (ours, peer, ours, peer, ...) ``--repeats`` times, so
that the load of a shared machine falls on both alike; a side's time is the
median of its runs, and the ratio is the peer's time over ours. The CPU
time of each run is kept too, with its own ratio (``cpu_ratio``): on a
shared machine wall time also counts the time a side waited for a core,
CPU time only the work (the peer's, from the CPU time at its epoch table's
header to its epoch line, read by a handler on its logger). With fewer
than 60,000 images the record also gives each time scaled to a 60,000-image
epoch (``per_epoch_s``, marked ``extrapolated``). The load
(``os.getloadavg``) is kept with every run; ``--threads`` (default 1) holds
for both sides: set OMP_NUM_THREADS=1 too on a shared machine.

Run it
------
::

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/training_vs_fast_adversarial.py \
        --fast-adversarial ../peers/fast_adversarial --models madry:4

Each run writes ``benchmarks/results/training_vs_fast_adversarial-cpu-<UTC time>.json``.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import subprocess
import sys
import tempfile
import time
import types
from pathlib import Path

import numpy as np
import torch
from torch import nn

from gobig.core import paths
from gobig.core.runtime import set_seed
from gobig.data.mnist import load_mnist, mirror_folder, prepare_from_mirror
from gobig.methods.robustness.models import build_model, num_params, parse_spec, to_device
from gobig.methods.robustness.train import TrainingSetup, train_models
from gobig.report import benchmarking

EPOCH_IMAGES = 60_000


def load_peer(path: Path):
    """``MNIST/train_mnist.py`` of a local copy of locuslab/fast_adversarial."""
    folder = Path(path).resolve() / "MNIST"
    if not (folder / "train_mnist.py").is_file():
        raise SystemExit(
            f"--fast-adversarial: {path} holds no MNIST/train_mnist.py (a copy of locuslab/fast_adversarial)"
        )
    sys.path.insert(0, str(folder))
    module = importlib.import_module("train_mnist")
    if Path(module.__file__).resolve().parent != folder:
        raise SystemExit(f"--fast-adversarial: imported train_mnist from {module.__file__}, not from {folder}")
    logging.getLogger().setLevel(logging.INFO)  # its basicConfig sets DEBUG for every library
    return module


def torchvision_root() -> Path:
    """The folder holding ``MNIST/raw``, as ``gobig.data.mnist.load_mnist`` prepares it."""
    data_dir = paths.data_dir()
    mirror = mirror_folder(data_dir)
    return prepare_from_mirror(mirror, paths.cache_dir() / "mnist") if mirror else data_dir


class _EpochLog(logging.Handler):
    """The peer's per-epoch log lines, (epoch, seconds, lr, loss, accuracy),
    each with the CPU time the process had used when it was logged; and the
    CPU time when the script logged the header of its epoch table, just
    before its loop."""

    def __init__(self):
        super().__init__()
        self.epochs, self.header_cpu = [], None

    def emit(self, record):
        if isinstance(record.args, tuple) and len(record.args) == 5:
            self.epochs.append((record.args, time.process_time()))
        elif str(record.msg).startswith("Epoch"):
            self.header_cpu = time.process_time()


def run_peer(peer, spec: str, args, seed: int) -> dict:
    """The peer's ``main()`` once, for one epoch; see the docstring for the
    three patches around it (device, model, data folder)."""
    family, size = parse_spec(spec)
    log = _EpochLog()
    saved = (torch.Tensor.cuda, nn.Module.cuda, peer.mnist_net, peer.datasets, sys.argv, os.getcwd())
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder) / "run"
        work.mkdir()
        (Path(folder) / "mnist-data").symlink_to(torchvision_root())
        argv = ["train_mnist.py", "--attack", "pgd", "--epochs", "1", "--seed", str(seed)]
        argv += ["--batch-size", str(args.batch_size), "--attack-iters", str(args.attack_steps)]
        argv += ["--alpha", str(args.step_size), "--epsilon", str(args.eps), "--lr-max", str(args.lr_max)]
        argv += ["--lr-type", "cyclic", "--fname", str(work / "peer_model.pth")]
        try:
            torch.Tensor.cuda = lambda self, *a, **k: self
            nn.Module.cuda = lambda self, *a, **k: self
            peer.mnist_net = lambda: build_model(family, size)
            if args.train_images < EPOCH_IMAGES:
                full = saved[3]
                peer.datasets = types.SimpleNamespace(
                    MNIST=lambda *a, **k: torch.utils.data.Subset(full.MNIST(*a, **k), range(args.train_images))
                )
            peer.logger.addHandler(log)
            sys.argv = argv
            os.chdir(work)
            start = time.perf_counter()
            peer.main()
            wall = time.perf_counter() - start
        finally:
            torch.Tensor.cuda, nn.Module.cuda, peer.mnist_net, peer.datasets, sys.argv = saved[:5]
            os.chdir(saved[5])
            peer.logger.removeHandler(log)
    ((epoch, cpu_at_end),) = log.epochs
    return {
        "seconds": float(epoch[1]),
        "cpu_s": cpu_at_end - log.header_cpu,
        "wall_s": wall,
        "final_loss": float(epoch[3]),
        "train_accuracy": float(epoch[4]),
    }


def run_ours(spec: str, data, args, seed: int, precision: str) -> dict:
    family, size = parse_spec(spec)
    set_seed(seed)
    model = to_device(build_model(family, size), "cpu")
    setup = TrainingSetup(
        mode="pgd",
        epochs=1,
        batch_size=args.batch_size,
        learning_rate=args.lr_max,
        eps=args.eps,
        pgd_steps=args.attack_steps,
        pgd_step_size=args.step_size,
        lr_schedule="cyclic",
        precision=precision,
    )
    images, labels = data.train_images[: args.train_images], data.train_labels[: args.train_images]
    start, cpu_start = time.perf_counter(), time.process_time()
    (history,) = train_models([model], images, labels, setup, [seed], progress=False)
    seconds, cpu_s = time.perf_counter() - start, time.process_time() - cpu_start
    return {"seconds": seconds, "cpu_s": cpu_s, "wall_s": seconds, "final_loss": history[-1]["train_loss"]}


def measure(spec: str, data, args, peer) -> list[dict]:
    family, size = parse_spec(spec)
    sides = ["ours", *(["ours, bf16 training"] if args.bf16 else []), *(["peer"] if peer else [])]
    runs = {side: [] for side in sides}
    for _ in range(args.repeats):
        for side in sides:
            load_before = os.getloadavg()
            if side == "peer":
                run = run_peer(peer, spec, args, args.seed)
            else:
                run = run_ours(spec, data, args, args.seed, "bfloat16" if "bf16" in side else "auto")
            run["load_before"], run["load_after"] = (
                [round(x, 2) for x in load_before],
                [round(x, 2) for x in os.getloadavg()],
            )
            runs[side].append(run)
            print(
                f"{spec}, {side}: {run['seconds']:.1f} s ({run['cpu_s']:.1f} s of CPU) for {args.train_images} images, "
                f"loss {run['final_loss']:.4f}, "
                f"load {run['load_before'][0]} -> {run['load_after'][0]}",
                flush=True,
            )
    base = "peer" if peer else None
    base_s = float(np.median([run["seconds"] for run in runs[base]])) if base else None
    base_cpu = float(np.median([run["cpu_s"] for run in runs[base]])) if base else None
    recipe = f"PGD-{args.attack_steps} of step {args.step_size} at eps {args.eps}, batch {args.batch_size}"
    params = num_params(build_model(family, size))
    names = {
        "peer": f"Wong et al.'s train_mnist.py --attack pgd ({recipe})",
        "ours": f"ours: train_models ({recipe}), float32",
        "ours, bf16 training": f"ours: train_models ({recipe}), bf16 training",
    }
    scale = EPOCH_IMAGES / args.train_images
    rows = []
    for side in [*([base] if base else []), *(s for s in sides if s != base)]:
        seconds = float(np.median([run["seconds"] for run in runs[side]]))
        cpu_s = float(np.median([run["cpu_s"] for run in runs[side]]))
        rows.append(
            benchmarking.stage(
                f"{names[side]}, {spec} ({params:,} params), {args.train_images} images",
                seconds,
                args.train_images,
                "images/s",
                base_s,
                side=side,
                model=spec,
                train_images=args.train_images,
                per_epoch_s=seconds * scale,
                cpu_s=cpu_s,
                cpu_ratio=base_cpu / cpu_s if base_cpu and cpu_s > 0 else None,
                extrapolated=args.train_images < EPOCH_IMAGES,
                seconds_each=[run["seconds"] for run in runs[side]],
                runs=runs[side],
            )
        )
        print(
            f"{rows[-1]['stage']}: median {seconds:.1f} s ({seconds * scale:.1f} s per 60,000-image epoch)"
            + (
                f", {rows[-1]['ratio']:.2f}x the peer ({rows[-1]['cpu_ratio']:.2f}x in CPU time)"
                if rows[-1]["ratio"]
                else ""
            ),
            flush=True,
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--device", choices=["cpu"], default="cpu", help="CPU only (default %(default)s)")
    parser.add_argument("--models", default="madry:4", help="comma-separated family:size (default %(default)s)")
    parser.add_argument(
        "--train-images",
        type=int,
        default=EPOCH_IMAGES,
        help="the first N training images (default %(default)s: an epoch)",
    )
    parser.add_argument("--batch-size", type=int, default=100, help="(default %(default)s)")
    parser.add_argument("--attack-steps", type=int, default=5, help="PGD steps per batch (default %(default)s)")
    parser.add_argument("--step-size", type=float, default=0.1, help="PGD step (default %(default)s)")
    parser.add_argument("--eps", type=float, default=0.3, help="l-inf radius (default %(default)s)")
    parser.add_argument("--lr-max", type=float, default=5e-3, help="peak of the cyclic rate (default %(default)s)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=2, help="runs of each side, alternating (default %(default)s)")
    parser.add_argument("--bf16", action="store_true", help="add ours with bf16 training as a third side")
    parser.add_argument(
        "--fast-adversarial",
        type=Path,
        default=None,
        help="a local copy of github.com/locuslab/fast_adversarial (without it the peer is skipped)",
    )
    parser.add_argument("--threads", type=int, default=1, help="torch threads for both sides (default %(default)s)")
    args = parser.parse_args(argv)
    for name in ("train_images", "batch_size", "attack_steps", "repeats", "threads"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')}: must be at least 1")
    if args.train_images > EPOCH_IMAGES:
        parser.error(f"--train-images: at most {EPOCH_IMAGES}")
    for spec in args.models.split(","):
        try:
            build_model(*parse_spec(spec))
        except ValueError as error:
            parser.error(f"--models: {error}")
    peer = None
    if args.fast_adversarial is None:
        print("no --fast-adversarial PATH: Wong et al.'s training script is skipped; only ours is timed", flush=True)
    else:
        peer = load_peer(args.fast_adversarial)
    torch.set_num_threads(args.threads)
    data = load_mnist(device=torch.device("cpu"))
    load_start = os.getloadavg()
    stages = []
    for spec in args.models.split(","):
        stages += measure(spec, data, args, peer)
    benchmarking.print_table(
        f"PGD adversarial training on the CPU ({args.threads} thread(s)), {args.train_images} images: ours vs Wong et al.",
        stages,
    )
    commit = None
    if peer is not None:
        done = subprocess.run(
            ["git", "-C", str(args.fast_adversarial), "rev-parse", "HEAD"], capture_output=True, text=True
        )
        commit = done.stdout.strip() if done.returncode == 0 else None
    path = benchmarking.write_record(
        "training_vs_fast_adversarial",
        torch.device("cpu"),
        vars(args),
        stages,
        threads=args.threads,
        omp_num_threads=os.environ.get("OMP_NUM_THREADS"),
        load_start=[round(x, 2) for x in load_start],
        load_end=[round(x, 2) for x in os.getloadavg()],
        peer_commit=commit,
    )
    print(f"\nrecord: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
