"""Re-attacking a committed checkpoint (``python -m gobig evaluate mnist KEY
--attack NAME``) and reading the strongest committed evaluation of a record."""

from __future__ import annotations

import json
import math
import time

import torch

from gobig.core import checkpoints, paths
from gobig.core.params import ParameterError
from gobig.core.runtime import provenance, resolve_device
from gobig.core.store import ResultStore
from gobig.methods.robustness.attacks import (
    AUTOATTACK_COMPONENTS,
    attack_survivors,
    autoattack_component,
    predict,
)
from gobig.methods.robustness.models import build_model, to_device
from gobig.studies.mnist.compute import checkpoint_folder
from gobig.studies.mnist.evaluation import _mask_hex, mask_from_hex
from gobig.studies.mnist.params import CLAIM_EPS, STUDY, VERSION

#: What ``python -m gobig evaluate mnist KEY --attack NAME`` runs: one
#: AutoAttack component, or the whole standard suite in AutoAttack's order.
REATTACKS = {**{name: (name,) for name in AUTOATTACK_COMPONENTS}, "autoattack": AUTOATTACK_COMPONENTS}


def evaluation_path(key: str, attack: str, results_dir=None):
    from pathlib import Path

    return Path(results_dir or paths.results_dir()) / STUDY / "evaluations" / f"{key}.{attack}.json"


def reattack(
    key: str, attack: str, results_dir=None, data_dir=None, device: str = "auto", eps: float = CLAIM_EPS
) -> dict:
    """Attack the checkpoint of record ``key`` again, without retraining:
    the components of ``attack`` (see REATTACKS) at l-inf ``eps``, on the
    record's robust subset, starting from the examples the record's own
    attacks left robust, so the result is the per-example worst case over
    everything tried. Written to results/mnist/evaluations/KEY.ATTACK.json
    (components the record already ran are skipped)."""
    from gobig.core.store import _atomic_write_json
    from gobig.data.mnist import load_mnist

    if attack not in REATTACKS:
        raise ParameterError(f"--attack: {attack!r} is not allowed; allowed values: {', '.join(REATTACKS)}")
    root = results_dir or paths.results_dir()
    path = ResultStore(STUDY, VERSION, root).folder / f"{key}.json"
    if not path.is_file():
        raise ParameterError(f"KEY: no record {path}")
    record = json.loads(path.read_text())
    result = record["result"]
    if "checkpoint" not in result:
        raise ParameterError(
            f"KEY: record {key} has no checkpoint (only the first seed of adversarially trained models of a CHECKPOINTS profile keep one)"
        )
    entry = next(
        (r for r in result["robust"] if r["norm"] == "linf" and math.isclose(r["eps"], eps) and "mask" in r), None
    )
    if entry is None:
        raise ParameterError(f"--eps: record {key} has no worst-case l-inf result at {eps}")
    target = resolve_device(device)
    model = build_model(result["family"], result["size"])
    model = to_device(checkpoints.load(model, checkpoint_folder(root), result["checkpoint"]), target).eval()
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    data = load_mnist(data_dir, target)
    count = entry["images"]
    images, labels = data.test_images[:count], data.test_labels[:count]
    mask = torch.from_numpy(mask_from_hex(entry["mask"], count)).to(target)
    # The checkpoint must be the model the record measured: same robust set start, same clean predictions.
    clean = predict(model, images) == labels
    if bool((mask & ~clean).any()):
        raise checkpoints.CheckpointError(
            f"record {key}: examples it counts as robust are misclassified by the checkpoint"
        )
    done = {stage["attack"] for stage in entry["stages"]}
    stages = []
    for name in REATTACKS[attack]:
        if name in done:
            continue
        start = time.perf_counter()
        mask = attack_survivors(
            model, autoattack_component(model, name, eps, seed=result["seed"]), images, labels, mask, eps
        )
        stages.append({"attack": name, "robust": int(mask.sum()), "time_s": round(time.perf_counter() - start, 3)})
    robust = int(mask.sum())
    evaluation = {
        "key": key,
        "attack": attack,
        "norm": "linf",
        "eps": eps,
        "images": count,
        "start": {"robust": entry["correct"], "attacks": [stage["attack"] for stage in entry["stages"]]},
        "stages": stages,
        "correct": robust,
        "accuracy": robust / count,
        "mask": _mask_hex(mask),
        "checkpoint_sha256": result["checkpoint"]["sha256"],
        "provenance": provenance(target),
    }
    out = evaluation_path(key, attack, root)
    out.parent.mkdir(parents=True, exist_ok=True)
    _atomic_write_json(out, evaluation)
    return evaluation


def strongest_evaluation(key: str, checkpoint_sha256: str, results_dir=None) -> dict | None:
    """The committed re-attack of record ``key`` with the fewest robust
    examples at eps 0.3 (each starts from the record's own worst case, so
    the fewest is the worst case over all), or None; only re-attacks of
    the checkpoint the record names (``checkpoint_sha256``) count."""
    folder = evaluation_path(key, "x", results_dir).parent
    found = [json.loads(p.read_text()) for p in sorted(folder.glob(f"{key}.*.json"))] if folder.is_dir() else []
    found = [e for e in found if e.get("checkpoint_sha256") == checkpoint_sha256]
    return min(found, key=lambda e: e["correct"]) if found else None
