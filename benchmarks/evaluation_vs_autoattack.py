"""Chapter 1's worst-case evaluation against AutoAttack as a researcher
would run it: the reference implementation and torchattacks', side by side
on the same committed checkpoint and the same test images.

What is measured
----------------
For each of ``--records`` (default: the first seeds of Madry's s = 4 and
s = 16, PGD-trained in the ``cpu60k`` profile, whose float16 weights are
committed under ``results/mnist/checkpoints``), the checkpoint is loaded as
``gobig evaluate`` loads it (float32 model, channels-last on a CPU) and
attacked at l-inf eps 0.3 on the first ``--images`` test images by

* **ours**: the book's worst-case pipeline, what chapter 1 runs on every
  adversarially trained model (``gobig.studies.mnist.evaluation.worst_case_mask``):
  PGD-40 of step 0.01 with 2 random starts on every image, then, on the
  examples still robust, each AutoAttack component of ``--attacks`` (default
  APGD-CE, APGD-T and Square, from torchattacks with Croce & Hein's
  settings: 100 steps, 9 target classes, 5,000 queries), all in float32;
* **reference**: Croce & Hein's own AutoAttack (github.com/fra31/auto-attack),
  ``version="standard"`` (APGD-CE, APGD-T, FAB-T, Square), imported from
  the local copy named by ``--reference-autoattack`` and run as its README
  runs it (``run_standard_evaluation``, its default batch of 250) with
  ``device="cpu"``; without that option the reference is skipped (the
  script says so) and the ratios are to torchattacks;
* **torchattacks**: ``torchattacks.AutoAttack(version="standard")``, as
  published: note that it leaves APGD, APGD-T and FAB at torchattacks'
  default of 10 steps, a weaker attack than the reference's 100.

All three attack the same weights (the checkpoint's float16 values in
float32) of the same module on the same images. With ``--peer-model
default`` (the default) the peers get the model as a researcher would load
the checkpoint for a published attack: the book's module with the weights
loaded, in PyTorch's default memory layout; ours puts it on the CPU as the
book does (``gobig.methods.robustness.models.to_device``: channels-last
convolutions, the layout oneDNN runs fastest), so the ratio counts that
choice as part of ours. With ``--peer-model ours`` the peers attack the
very object ours attacks, which isolates the attacks themselves; the
record names which (``peer_model``). Each side runs once
per seed of ``--seeds`` (default 0 and 1; ours draws its PGD starts and its
components' noise from the seed, the peers take it as their ``seed``), in
the order ours, reference, torchattacks, then the next seed, so that the
load of a shared machine falls on all alike; a side's time is the median of
its runs, and the ratio is the reference's time over the side's time
(torchattacks' where there is no reference). The CPU time of each run
(``time.process_time``) is kept too, with its own ratio (``cpu_ratio``):
on a machine shared with other jobs, wall time also counts the time a side
waited for a core, which the load of the moment decides, while CPU time
counts only the work done.

Strength: an example is robust if the model classifies it right and no
attack of the side broke it. Two runs of a peer with different seeds
disagree on some images (the attacks are randomised); that disagreement,
the number of images robust in one run and broken in the other, is the
yardstick: ours counts as at least as strong as a peer when its largest
robust count is no higher than the peer's smallest plus the disagreement.
The record also keeps, per peer, the images only the peer broke, and each
run's robust mask (hex, 4 images a digit).

The load of the machine (``os.getloadavg``) is kept with every run.
Threads: ``--threads`` (default 1) for every side; set OMP_NUM_THREADS=1
too when the machine is shared.

Run it
------
::

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/evaluation_vs_autoattack.py \
        --reference-autoattack ../peers/auto-attack --records 1da6848681d4c461 --images 200

Each run writes ``benchmarks/results/evaluation_vs_autoattack-cpu-<UTC time>.json``.
"""

from __future__ import annotations

import argparse
import importlib
import os
import re
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from gobig.core import checkpoints, paths
from gobig.data.mnist import load_mnist
from gobig.methods.robustness.attacks import AUTOATTACK_COMPONENTS, predict
from gobig.methods.robustness.models import build_model
from gobig.report import benchmarking
from gobig.studies.mnist.compute import checkpoint_folder
from gobig.studies.mnist.evaluation import mask_from_hex, mask_to_hex, worst_case_mask
from gobig.studies.mnist.params import CLAIM_EPS
from gobig.studies.mnist.reattack import checkpoint_model, record_with_checkpoint, strongest_evaluation

EPS = CLAIM_EPS  # 0.3, Madry's radius and AutoAttack's MNIST setting
#: The first seeds of Madry's s = 4 and s = 16, PGD-trained (cpu60k), with committed checkpoints.
DEFAULT_RECORDS = "1da6848681d4c461,704430819a64b103"
DEFAULT_ATTACKS = "apgd-ce,apgd-t,square"
#: The reference's default batch (run_standard_evaluation's bs); torchattacks gets the same.
PEER_BATCH = 250
PEERS = ("reference", "torchattacks")
#: The peers' model: as a researcher loads the checkpoint, or the object ours attacks.
PEER_MODELS = ("default", "ours")


def load_reference(path: Path):
    """The ``autoattack`` package of a local copy of fra31/auto-attack."""
    package = Path(path).resolve() / "autoattack"
    if not (package / "autoattack.py").is_file():
        raise SystemExit(
            f"--reference-autoattack: {path} holds no autoattack/autoattack.py (a copy of fra31/auto-attack)"
        )
    sys.path.insert(0, str(package.parent))
    module = importlib.import_module("autoattack")
    if Path(module.__file__).resolve().parent != package:
        raise SystemExit(f"--reference-autoattack: imported autoattack from {module.__file__}, not from {package}")
    return module


def load_record(key: str, results_dir: Path):
    """The record, its checkpoint and its model, as ``gobig evaluate`` loads them."""
    record, checkpoint = record_with_checkpoint(key, results_dir)
    return record, checkpoint, checkpoint_model(record["result"], checkpoint, results_dir, torch.device("cpu"))


def researcher_model(result: dict, checkpoint: dict, results_dir: Path):
    """The checkpoint as a researcher would load it for a published attack:
    the book's module, the checkpoint's weights (float32), PyTorch's default
    memory layout, evaluation mode; its parameters frozen as ours are, so
    neither side computes weight gradients it does not need."""
    model = build_model(result["family"], result["size"])
    model = checkpoints.load(model, checkpoint_folder(results_dir), checkpoint).eval()
    return model.requires_grad_(False)


def committed_worst_case(record: dict, checkpoint: dict, results_dir: Path, count: int) -> dict:
    """The book's committed robust counts on the first ``count`` images: the
    record's own evaluation and the worst case over its re-attacks."""
    entry = next(r for r in record["result"]["robust"] if r["norm"] == "linf" and np.isclose(r["eps"], EPS))
    found = {
        "record": int(mask_from_hex(entry["mask"], entry["images"])[:count].sum()) if count <= entry["images"] else None
    }
    strongest = strongest_evaluation(record["key"], checkpoint["sha256"], results_dir)
    if strongest is not None and count <= strongest["images"]:
        own = mask_from_hex(entry["mask"], entry["images"])
        found["with_reattacks"] = int((own & mask_from_hex(strongest["mask"], strongest["images"]))[:count].sum())
        found["reattacks"] = [stage["attack"] for stage in strongest["stages"]]
    return found


def run_ours(model, images, labels, evaluation: dict, seed: int) -> tuple[torch.Tensor, dict]:
    mask, stages = worst_case_mask(model, images, labels, evaluation, seed, EPS)
    return mask, {"stages": stages}


def run_reference(autoattack, model, images, labels, seed: int) -> tuple[torch.Tensor, dict]:
    """The reference's standard evaluation; its log gives each component's
    robust accuracy and the time so far, kept as stages."""
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "log.txt"
        adversary = autoattack.AutoAttack(
            model, norm="Linf", eps=EPS, version="standard", seed=seed, device="cpu", verbose=True, log_path=str(log)
        )
        _, predicted = adversary.run_standard_evaluation(images, labels, bs=PEER_BATCH, return_labels=True)
        text = log.read_text()
    stages, before = [], 0.0
    for name, share, total in re.findall(r"robust accuracy after (\S+): ([\d.]+)% \(total time ([\d.]+) s\)", text):
        stages.append(
            {
                "attack": name.lower(),
                "robust": round(float(share) * len(images) / 100),
                "time_s": round(float(total) - before, 1),
            }
        )
        before = float(total)
    return (predicted == labels), {"stages": stages}


def run_torchattacks(model, images, labels, seed: int) -> tuple[torch.Tensor, dict]:
    import torchattacks

    attack = torchattacks.AutoAttack(model, norm="Linf", eps=EPS, version="standard", n_classes=10, seed=seed)
    robust = predict(model, images) == labels
    for first in range(0, len(images), PEER_BATCH):
        x, y = images[first : first + PEER_BATCH], labels[first : first + PEER_BATCH]
        adversarial = attack(x, y)
        if (adversarial - x).abs().max().item() > EPS + 1e-5:
            raise RuntimeError("torchattacks' AutoAttack left the eps ball")
        robust[first : first + PEER_BATCH] &= predict(model, adversarial) == y
    return robust, {}


def disagreement(masks: list[torch.Tensor]) -> int | None:
    """Images robust in one run and broken in another (None with one run)."""
    if len(masks) < 2:
        return None
    stacked = torch.stack(masks)
    return int((stacked.any(0) & ~stacked.all(0)).sum())


def strength(ours: list[torch.Tensor], peer: list[torch.Tensor]) -> dict:
    """Ours against one peer: at least as strong when our largest robust
    count is no higher than the peer's smallest plus the peer's own
    disagreement between seeds (0 when it ran once)."""
    ours_counts, peer_counts = [int(m.sum()) for m in ours], [int(m.sum()) for m in peer]
    spread = disagreement(peer)
    ours_all, peer_any = torch.stack(ours).all(0), torch.stack(peer).any(0)
    peer_all, ours_any = torch.stack(peer).all(0), torch.stack(ours).any(0)
    return {
        "peer_robust": peer_counts,
        "peer_disagreement": spread,
        "at_least_as_strong": max(ours_counts) <= min(peer_counts) + (spread or 0),
        # Images the peer broke in every run that ours left robust in some run, and the reverse.
        "only_peer_breaks": int((ours_any & ~peer_any).sum()),
        "only_ours_breaks": int((peer_all & ~ours_all).sum()),
    }


def measure(key: str, data, args, autoattack) -> list[dict]:
    record, checkpoint, model = load_record(key, args.results_dir)
    result = record["result"]
    peer = model if args.peer_model == "ours" else researcher_model(result, checkpoint, args.results_dir)
    spec = f"{result['family']}:{result['size']}"
    images, labels = data.test_images[: args.images], data.test_labels[: args.images]
    clean = int((predict(model, images) == labels).sum())
    evaluation = {**record["config"]["evaluation"], "attacks": args.attacks.split(",")}
    pipeline = [f"pgd-{evaluation['pgd_steps']}x{evaluation['pgd_restarts']}", *evaluation["attacks"]]
    sides = [
        "ours",
        *(["reference"] if autoattack else []),
        *(["torchattacks"] if "torchattacks" in args.peers else []),
    ]
    runs = {side: [] for side in sides}
    for seed in args.seeds:
        for side in sides:
            load_before, start, cpu_start = os.getloadavg(), time.perf_counter(), time.process_time()
            if side == "ours":
                mask, extra = run_ours(model, images, labels, evaluation, seed)
            elif side == "reference":
                mask, extra = run_reference(autoattack, peer, images, labels, seed)
            else:
                mask, extra = run_torchattacks(peer, images, labels, seed)
            seconds, cpu_s = time.perf_counter() - start, time.process_time() - cpu_start
            run = {"seed": seed, "seconds": seconds, "cpu_s": cpu_s, "robust": int(mask.sum()), "mask": mask, **extra}
            run["load_before"], run["load_after"] = (
                [round(x, 2) for x in load_before],
                [round(x, 2) for x in os.getloadavg()],
            )
            runs[side].append(run)
            print(
                f"{spec} (record {key}), {side}, seed {seed}: {run['robust']} of {len(images)} robust (clean {clean}), "
                f"{seconds:.1f} s ({cpu_s:.1f} s of CPU), load {run['load_before'][0]} -> {run['load_after'][0]}",
                flush=True,
            )
    baseline = "reference" if "reference" in runs else ("torchattacks" if "torchattacks" in runs else "ours")
    base_s = float(np.median([run["seconds"] for run in runs[baseline]]))
    base_cpu = float(np.median([run["cpu_s"] for run in runs[baseline]]))
    names = {
        "ours": "ours: " + ", ".join([pipeline[0].replace("pgd", "PGD"), *(name.upper() for name in pipeline[1:])]),
        "reference": "reference AutoAttack (fra31/auto-attack), standard: APGD-CE, APGD-T, FAB-T, Square",
        "torchattacks": "torchattacks.AutoAttack, standard (APGD, APGD-T, FAB at 10 steps; Square)",
    }
    order = [baseline, *[side for side in sides if side != baseline]]
    committed = committed_worst_case(record, checkpoint, args.results_dir, args.images)
    rows = []
    for side in order:
        side_runs = runs[side]
        seconds = float(np.median([run["seconds"] for run in side_runs]))
        cpu_s = float(np.median([run["cpu_s"] for run in side_runs]))
        extra = {
            "cpu_s": cpu_s,
            "cpu_ratio": base_cpu / cpu_s if cpu_s > 0 else None,
            "side": side,
            "record_key": key,
            "model": spec,
            "images": len(images),
            "clean": clean,
            "eps": EPS,
            "baseline": baseline,
            "peer_model": args.peer_model,
            "robust": [run["robust"] for run in side_runs],
            "disagreement": disagreement([run["mask"] for run in side_runs]),
            "runs": [{k: (mask_to_hex(v) if k == "mask" else v) for k, v in run.items()} for run in side_runs],
        }
        if side == "ours":
            extra["pipeline"] = pipeline
            extra["committed_robust"] = committed
            extra["versus"] = {
                peer: strength([run["mask"] for run in side_runs], [run["mask"] for run in runs[peer]])
                for peer in sides
                if peer != "ours"
            }
        layout = (
            "" if side == "ours" else (", default layout" if args.peer_model == "default" else ", our model object")
        )
        rows.append(
            benchmarking.stage(
                f"{names[side]}{layout}, {spec}, {len(images)} images",
                seconds,
                len(images),
                "images/s",
                base_s,
                **extra,
            )
        )
    ours = next(row for row in rows if row["side"] == "ours")
    for peer, verdict in ours["versus"].items():
        peer_row = next(row for row in rows if row["side"] == peer)
        print(
            f"{spec}: ours {ours['robust']} robust vs {peer} {verdict['peer_robust']} "
            f"(its seeds disagree on {verdict['peer_disagreement']}); at least as strong: {verdict['at_least_as_strong']}; "
            f"ours {peer_row['seconds'] / ours['seconds']:.2f}x its speed in wall time, "
            f"{peer_row['cpu_s'] / ours['cpu_s']:.2f}x in CPU time",
            flush=True,
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--device", choices=["cpu"], default="cpu", help="CPU only (default %(default)s)")
    parser.add_argument(
        "--records",
        default=DEFAULT_RECORDS,
        help="keys of chapter 1 records with a checkpoint, comma-separated (default %(default)s: Madry s = 4 and s = 16, first seed)",
    )
    parser.add_argument("--images", type=int, default=200, help="the first N test images (default %(default)s)")
    parser.add_argument("--seeds", default="0,1", help="one run of each side per seed (default %(default)s)")
    parser.add_argument(
        "--attacks",
        default=DEFAULT_ATTACKS,
        help=f"our AutoAttack components after PGD, in order (default %(default)s; from {','.join(AUTOATTACK_COMPONENTS)})",
    )
    parser.add_argument(
        "--reference-autoattack",
        type=Path,
        default=None,
        help="a local copy of github.com/fra31/auto-attack (without it the reference is skipped)",
    )
    parser.add_argument(
        "--peers", default="reference,torchattacks", help="peers to run, comma-separated (default %(default)s)"
    )
    parser.add_argument(
        "--peer-model",
        choices=PEER_MODELS,
        default="default",
        help="the peers' model: 'default', as a researcher loads the checkpoint (PyTorch's default layout), "
        "or 'ours', the very object ours attacks (channels-last) (default %(default)s)",
    )
    parser.add_argument("--threads", type=int, default=1, help="torch threads for every side (default %(default)s)")
    parser.add_argument(
        "--results-dir", type=Path, default=None, help="the study results holding the records (default: results/)"
    )
    args = parser.parse_args(argv)
    peers = args.peers.split(",")
    if unknown := [p for p in peers if p not in PEERS]:
        parser.error(f"--peers: {unknown} not allowed; allowed values: {', '.join(PEERS)}")
    if unknown := [a for a in args.attacks.split(",") if a not in AUTOATTACK_COMPONENTS]:
        parser.error(f"--attacks: {unknown} not allowed; allowed values: {', '.join(AUTOATTACK_COMPONENTS)}")
    if args.images < 1:
        parser.error("--images: must be at least 1")
    try:
        args.seeds = [int(s) for s in args.seeds.split(",")]
    except ValueError:
        parser.error("--seeds: comma-separated integers, e.g. 0,1")
    args.results_dir = args.results_dir or paths.results_dir()
    autoattack = None
    if "reference" in peers:
        if args.reference_autoattack is None:
            print(
                "no --reference-autoattack PATH: the reference AutoAttack (fra31/auto-attack) is skipped; "
                "ratios are to torchattacks",
                flush=True,
            )
        else:
            autoattack = load_reference(args.reference_autoattack)
    torch.set_num_threads(args.threads)
    data = load_mnist(device=torch.device("cpu"))
    uptime_start = os.getloadavg()
    stages = []
    for key in args.records.split(","):
        stages += measure(key, data, args, autoattack)
    benchmarking.print_table(
        f"Worst-case evaluation at l-inf eps {EPS} on the CPU ({args.threads} thread(s)), first {args.images} test images",
        stages,
    )
    path = benchmarking.write_record(
        "evaluation_vs_autoattack",
        torch.device("cpu"),
        {**vars(args), "results_dir": str(args.results_dir)},
        stages,
        threads=args.threads,
        omp_num_threads=os.environ.get("OMP_NUM_THREADS"),
        load_start=[round(x, 2) for x in uptime_start],
        load_end=[round(x, 2) for x in os.getloadavg()],
        reference_commit=reference_commit(args.reference_autoattack) if autoattack else None,
    )
    print(f"\nrecord: {path}")
    return 0


def reference_commit(path: Path) -> str | None:
    """The commit of the reference's local copy, when it is a git checkout."""
    import subprocess

    done = subprocess.run(["git", "-C", str(path), "rev-parse", "HEAD"], capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 else None


if __name__ == "__main__":
    sys.exit(main())
