"""Re-attacking a committed checkpoint (``python -m gobig evaluate mnist KEY
--attack NAME``) and reading the strongest committed evaluation of a record."""

from __future__ import annotations

import json
import math
import time

import numpy as np
import torch

from gobig.core import checkpoints, paths
from gobig.core.params import ParameterError
from gobig.core.runtime import provenance, resolve_device
from gobig.core.store import ResultStore
from gobig.methods.robustness.attacks import (
    AUTOATTACK_COMPONENTS,
    STRONGER_COMPONENTS,
    predict,
    robust_mask,
)
from gobig.methods.robustness.models import build_model, to_device
from gobig.studies.mnist.compute import Computer, Machine, checkpoint_folder, trained_record, training_setup
from gobig.studies.mnist.evaluation import attack_stages, mask_from_hex, mask_to_hex
from gobig.studies.mnist.params import ADVERSARIAL, CLAIM_EPS, STUDY, VERSION

#: What ``python -m gobig evaluate mnist KEY --attack NAME`` runs at one
#: radius: one AutoAttack component, the whole standard suite in AutoAttack's
#: order, or a stronger setting of a component (``square-strong``).
REATTACKS = {
    **{name: (name,) for name in AUTOATTACK_COMPONENTS},
    "autoattack": AUTOATTACK_COMPONENTS,
    **{name: (name,) for name in STRONGER_COMPONENTS},
}
#: The other kind of re-attack: robust accuracy against the radius
#: (``eps_sweep``), ``--attack eps-sweep``.
EPS_SWEEP = "eps-sweep"
#: Its radii (l-inf), around Madry's 0.3.
SWEEP_EPS = (0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4)
#: Its attacks at each radius, after PGD with the record's own settings.
SWEEP_COMPONENTS = ("apgd-ce", "apgd-t")
#: Every allowed value of ``--attack``.
ATTACK_CHOICES = (*REATTACKS, EPS_SWEEP)


def evaluation_path(key: str, attack: str, results_dir=None):
    from pathlib import Path

    return Path(results_dir or paths.results_dir()) / STUDY / "evaluations" / f"{key}.{attack}.json"


def reattack(
    key: str,
    attack: str,
    results_dir=None,
    data_dir=None,
    device: str = "auto",
    eps: float = CLAIM_EPS,
    images: int | None = None,
) -> dict:
    """Attack the checkpoint of record ``key`` again, without retraining:
    the components of ``attack`` (see REATTACKS) at l-inf ``eps``, on the
    record's robust subset, starting from the examples the record's own
    attacks left robust, so the result is the per-example worst case over
    everything tried. Written to results/mnist/evaluations/KEY.ATTACK.json
    (components the record already ran are skipped). ``images``: attack
    only the first N of them (where a strong attack's budget cannot hold
    all): the others keep what earlier attacks left, so the worst case stays
    valid, and the evaluation says how many it attacked. ``attack`` may be
    ``eps-sweep`` (``eps_sweep``)."""
    from gobig.core.store import write_json

    if attack == EPS_SWEEP:
        return eps_sweep(key, results_dir=results_dir, data_dir=data_dir, device=device, images=images)
    check_attack(attack)
    root = results_dir or paths.results_dir()
    record, checkpoint = record_with_checkpoint(key, root)
    result = record["result"]
    entry = _masked_entry(result, eps)
    if entry is None:
        raise ParameterError(f"--eps: record {key} has no worst-case l-inf result at {eps}")
    count = entry["images"]
    attacked = _attacked_count(images, count)
    target = resolve_device(device)
    model, test_images, labels = _checkpoint_model(result, checkpoint, root, data_dir, target, count)
    mask = torch.from_numpy(mask_from_hex(entry["mask"], count)).to(target)
    _check_same_model(key, model, test_images, labels, mask)
    done = {stage["attack"] for stage in entry["stages"]}
    # Chain onto the re-attacks already committed for this checkpoint: start from the
    # examples all of them left robust, and skip every component one of them ran.
    previous = strongest_evaluation(key, checkpoint["sha256"], root)
    if previous is not None and math.isclose(previous["eps"], eps):
        mask &= torch.from_numpy(mask_from_hex(previous["mask"], count)).to(target)
        done |= {stage["attack"] for stage in previous["stages"]}
    start_robust = int(mask.sum())
    # Examples past the first `attacked` are left out of the attack, keeping what earlier attacks left.
    names = [name for name in REATTACKS[attack] if name not in done]
    mask[:attacked], stages = attack_stages(
        model, names, test_images[:attacked], labels[:attacked], mask[:attacked], eps, result["seed"]
    )
    # Each stage's robust count over all the record's images, not only the attacked ones.
    outside = int(mask[attacked:].sum())
    stages = [{**stage, "robust": stage["robust"] + outside} for stage in stages]
    robust = int(mask.sum())
    evaluation = {
        "key": key,
        "attack": attack,
        "norm": "linf",
        "eps": eps,
        "images": count,
        "attacked_images": attacked,
        "start": {"robust": start_robust, "attacks": sorted(done)},
        "stages": stages,
        "correct": robust,
        "accuracy": robust / count,
        "mask": mask_to_hex(mask),
        "checkpoint_sha256": checkpoint["sha256"],
        "provenance": provenance(target),
    }
    out = evaluation_path(key, attack, root)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_json(out, evaluation)
    return evaluation


def checkpoint_model(result: dict, checkpoint: dict, results_dir, device: torch.device):
    """The model of a record's ``result`` with the weights of its
    ``checkpoint`` (``record_checkpoint``), on ``device`` in evaluation mode,
    its parameters frozen (attacks need only input gradients)."""
    model = build_model(result["family"], result["size"])
    model = to_device(checkpoints.load(model, checkpoint_folder(results_dir), checkpoint), device).eval()
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    return model


def check_attack(attack: str) -> None:
    """A one-line error before any compute when ``attack`` is not a re-attack."""
    if attack not in ATTACK_CHOICES:
        raise ParameterError(f"--attack: {attack!r} is not allowed; allowed values: {', '.join(ATTACK_CHOICES)}")


def record_with_checkpoint(key: str, root) -> tuple[dict, dict]:
    """Record ``key`` and the checkpoint of its model, or a one-line error."""
    path = ResultStore(STUDY, VERSION, root).folder / f"{key}.json"
    if not path.is_file():
        raise ParameterError(f"KEY: no record {path}")
    record = json.loads(path.read_text())
    checkpoint = record_checkpoint(record, root)
    if checkpoint is None:
        raise ParameterError(
            f"KEY: record {key} has no checkpoint (only the first seed of adversarially trained models of a CHECKPOINTS "
            f"profile keep one); `python -m gobig retrain mnist {key}` reproduces its weights first"
        )
    return record, checkpoint


def _masked_entry(result: dict, eps: float) -> dict | None:
    """A record's worst-case l-inf evaluation at ``eps`` (with its mask), if any."""
    return next(
        (r for r in result["robust"] if r["norm"] == "linf" and math.isclose(r["eps"], eps) and "mask" in r), None
    )


def _attacked_count(images: int | None, count: int) -> int:
    if images is None:
        return count
    if not 1 <= images <= count:
        raise ParameterError(f"--images: {images} is not allowed; allowed values: 1 to {count} (the record's images)")
    return images


def _checkpoint_model(result: dict, checkpoint: dict, root, data_dir, target, count: int):
    """The record's model from its checkpoint, frozen, and the first ``count`` test images and labels."""
    from gobig.data.mnist import load_mnist

    model = checkpoint_model(result, checkpoint, root, target)
    data = load_mnist(data_dir, target)
    return model, data.test_images[:count], data.test_labels[:count]


def _check_same_model(key: str, model, images, labels, mask) -> None:
    """The checkpoint must be the model the record measured: every example
    the record counts as robust is classified right by it."""
    clean = predict(model, images) == labels
    if bool((mask & ~clean).any()):
        raise checkpoints.CheckpointError(
            f"record {key}: examples it counts as robust are misclassified by the checkpoint"
        )


def eps_sweep(
    key: str, results_dir=None, data_dir=None, device: str = "auto", images: int | None = None, eps_list=SWEEP_EPS
) -> dict:
    """Robust accuracy of record ``key``'s checkpoint against the l-inf
    radius: at each of ``eps_list``, PGD with the record's own settings
    (steps, step size, restarts, seed), then APGD-CE and APGD-T on the
    examples it left robust, on the record's attacked images (the first
    ``images`` of them, when given). Where the record evaluated a radius
    already, the sweep starts from its robust examples and skips the
    attacks it ran. Written to results/mnist/evaluations/KEY.eps-sweep.json
    after each radius; a rerun resumes at the first radius missing. The
    headline worst case does not read it (``strongest_evaluation``)."""
    from gobig.core.store import write_json

    root = results_dir or paths.results_dir()
    record, checkpoint = record_with_checkpoint(key, root)
    result, evaluation = record["result"], record["config"]["evaluation"]
    if record["config"]["mode"] not in ADVERSARIAL:
        raise ParameterError(f"KEY: record {key} is naturally trained; the sweep is for adversarially trained models")
    count = _attacked_count(images, result["robust_eval_images"])
    out = evaluation_path(key, EPS_SWEEP, root)
    sweep = json.loads(out.read_text()) if out.is_file() else None
    if sweep is not None and (sweep["checkpoint_sha256"] != checkpoint["sha256"] or sweep["images"] != count):
        raise ParameterError(
            f"--images: {out} swept {sweep['images']} images of another checkpoint or subset; move it away to sweep again"
        )
    sweep = sweep or {"key": key, "attack": EPS_SWEEP, "norm": "linf", "images": count, "entries": []}
    sweep["checkpoint_sha256"] = checkpoint["sha256"]
    target = resolve_device(device)
    model, test_images, labels = _checkpoint_model(result, checkpoint, root, data_dir, target, count)
    steps, step_size, restarts = evaluation["pgd_steps"], evaluation["pgd_step_size"], evaluation["pgd_restarts"]
    pgd_name = f"pgd-{steps}x{restarts}"
    for eps in eps_list:
        if any(math.isclose(entry["eps"], eps) for entry in sweep["entries"]):
            continue
        entry = _masked_entry(result, eps)
        stages = []
        if entry is not None:
            mask = torch.from_numpy(mask_from_hex(entry["mask"], entry["images"])[:count]).to(target)
            _check_same_model(key, model, test_images, labels, mask)
            done = [stage["attack"] for stage in entry["stages"]]
            pgd_robust = int(mask.sum()) if done == [pgd_name] else None
        else:
            start = time.perf_counter()
            mask = robust_mask(
                model, test_images, labels, eps, steps, step_size, "linf", restarts, seed=result["seed"]
            )[0]
            stages.append(
                {"attack": pgd_name, "robust": int(mask.sum()), "time_s": round(time.perf_counter() - start, 3)}
            )
            done, pgd_robust = [], int(mask.sum())
        names = [name for name in SWEEP_COMPONENTS if name not in done]
        mask, component_stages = attack_stages(model, names, test_images, labels, mask, eps, result["seed"])
        stages += component_stages
        robust = int(mask.sum())
        sweep["entries"].append(
            {
                "eps": eps,
                "images": count,
                "correct": robust,
                "accuracy": robust / count,
                # The record's own attacks where it had evaluated this radius, then the sweep's.
                "start": {"attacks": done},
                "pgd_correct": pgd_robust,
                "stages": stages,
                "mask": mask_to_hex(mask),
            }
        )
        sweep["entries"].sort(key=lambda item: item["eps"])
        sweep["provenance"] = provenance(target)
        out.parent.mkdir(parents=True, exist_ok=True)
        write_json(out, sweep)
    return sweep


def reattack_profile(values: dict, attack: str, data_dir=None, device: str = "auto", report=print) -> list[dict]:
    """``reattack`` every adversarially trained record of a profile's
    configs that has a checkpoint, in the configs' order; a record that has
    faced every component of ``attack`` already costs only a check. A
    config without its record is skipped (compute it first: ``gobig run``)."""
    from gobig.studies.mnist.params import expand_configs, validate_parameters

    check_attack(attack)
    params = validate_parameters(values)
    store = ResultStore.for_params(STUDY, VERSION, params)
    outcomes = []
    for config in expand_configs(params):
        # Whatever extras the record holds: the checkpoint is what counts, and it is checked next.
        if config["mode"] not in ADVERSARIAL or not store.path(config).is_file():
            continue
        record = store.load_any(config)
        if record_checkpoint(record, params["RESULTS_DIR"]) is None:
            continue
        outcome = reattack(record["key"], attack, params["RESULTS_DIR"], data_dir or params["DATA_DIR"], device)
        report(f"{record['key']} ({config['family']} {config['size']}, seed {config['seed']}): {outcome_text(outcome)}")
        outcomes.append(outcome)
    return outcomes


def outcome_text(outcome: dict) -> str:
    """A re-attack's result in a line: the worst case, or each radius of a sweep."""
    if "entries" in outcome:
        return "; ".join(f"eps {e['eps']:g}: {e['correct']} of {e['images']} robust" for e in outcome["entries"])
    steps = ", ".join(f"{s['attack']} -> {s['robust']}" for s in outcome["stages"]) or "nothing new to run"
    return f"{outcome['start']['robust']} of {outcome['images']} robust before; {steps}; worst case {outcome['accuracy']:.1%}"


def record_checkpoint(record: dict, results_dir=None) -> dict | None:
    """The checkpoint of a record's model: the one the record names, else
    the one ``retrain`` reproduced for it (a training record whose history,
    every epoch's loss and test accuracy, equals the record's); None when
    neither exists."""
    result = record["result"]
    if "checkpoint" in result:
        return result["checkpoint"]
    trained = trained_record(record["config"], results_dir)
    if trained is None or not same_training(trained["history"], result["history"]):
        return None
    return trained["checkpoint"]


def same_training(history: list[dict], reference: list[dict]) -> bool:
    """Two training runs' histories agree in every epoch's loss and test
    accuracy (their times may differ): on a CPU, a rerun with the record's
    torch and thread count retraces it exactly."""
    fields = ("epoch", "train_loss", "test_accuracy", "monitor_pgd_accuracy")
    return len(history) == len(reference) and all(
        {k: row.get(k) for k in fields} == {k: ref.get(k) for k in fields} for row, ref in zip(history, reference)
    )


def retrain(key: str, results_dir=None, data_dir=None) -> dict:
    """Reproduce the weights of an adversarially trained record that kept no
    checkpoint, so it can be re-attacked: train its config again on the CPU,
    in the record's thread count, and keep the float16 checkpoint (and its
    training record, ``results/mnist/checkpoints/``) only if the new run's
    history equals the record's epoch by epoch. Returns the training record;
    one that exists already is returned as it is."""
    from gobig.core.runtime import set_seed
    from gobig.data.mnist import load_mnist
    from gobig.methods.robustness.train import train_models

    root = results_dir or paths.results_dir()
    path = ResultStore(STUDY, VERSION, root).folder / f"{key}.json"
    if not path.is_file():
        raise ParameterError(f"KEY: no record {path}")
    record = json.loads(path.read_text())
    config, result = record["config"], record["result"]
    if config["mode"] not in ADVERSARIAL:
        raise ParameterError(
            f"KEY: record {key} is naturally trained; only adversarially trained models are re-attacked"
        )
    if record_checkpoint(record, root) is not None:
        return trained_record(config, root) or {"checkpoint": result["checkpoint"]}
    threads = record["provenance"].get("threads")
    if threads and torch.get_num_threads() != threads:
        torch.set_num_threads(threads)  # the float order of the record's run
    device = torch.device("cpu")
    data = load_mnist(data_dir, device)
    subset = config["training"]["train_subset"] or len(data.train_images)
    set_seed(config["seed"])
    model = to_device(build_model(config["family"], config["size"]), device)
    history = train_models(
        [model],
        data.train_images[:subset],
        data.train_labels[:subset],
        training_setup(config),
        [config["seed"]],
        data.test_images,
        data.test_labels,
        progress=False,
    )[0]
    if not same_training(history, result["history"]):
        raise checkpoints.CheckpointError(
            f"record {key}: retraining did not reproduce its history (record {result['history']}, rerun {history}); "
            "no checkpoint kept"
        )
    Computer(Machine(device=device, data_dir=data_dir, results_dir=str(root))).save_trained(config, model, history)
    return trained_record(config, root)


def reattacks_of(key: str, checkpoint_sha256: str, results_dir=None) -> dict[str, dict]:
    """Every committed re-attack of record ``key``'s checkpoint, by attack
    name (``evaluations/KEY.ATTACK.json``): only those of the checkpoint the
    record names (``checkpoint_sha256``)."""
    folder = evaluation_path(key, "x", results_dir).parent
    found = {}
    for path in sorted(folder.glob(f"{key}.*.json")) if folder.is_dir() else []:
        evaluation = json.loads(path.read_text())
        if evaluation.get("checkpoint_sha256") == checkpoint_sha256:
            found[path.name[len(key) + 1 : -len(".json")]] = evaluation
    return found


def strongest_evaluation(key: str, checkpoint_sha256: str, results_dir=None) -> dict | None:
    """``combine_reattacks`` of record ``key``'s committed re-attacks."""
    return combine_reattacks(reattacks_of(key, checkpoint_sha256, results_dir).values(), checkpoint_sha256)


def combine_reattacks(evaluations, checkpoint_sha256: str | None = None) -> dict | None:
    """The per-example worst case over re-attacks of one checkpoint at one
    radius: an example counts as robust only if every re-attack left it
    robust (their masks combined), with the attacks they ran, in order;
    None when there are none. Each re-attack starts from the record's own
    worst case, so the result is the worst case over everything tried."""
    # An eps sweep (its "entries") is a curve, not a re-attack of the record's radius.
    found = [e for e in evaluations if "entries" not in e]
    if not found:
        return None
    # In the order they ran (a chained one starts from more attacks), so the attacks read as the chain they were.
    found.sort(key=lambda e: (e.get("provenance", {}).get("timestamp", ""), len(e.get("start", {}).get("attacks", []))))
    eps = found[0]["eps"]
    found = [e for e in found if math.isclose(e["eps"], eps)]
    stages = []
    for evaluation in found:
        stages += [stage for stage in evaluation["stages"] if stage["attack"] not in {s["attack"] for s in stages}]
    if not all("mask" in e for e in found):
        # Without masks the evaluations cannot be combined; the fewest robust is still a valid worst case.
        fewest = min(found, key=lambda e: e["correct"])
        return {**fewest, "stages": stages}
    count = found[0]["images"]
    robust = np.logical_and.reduce([mask_from_hex(e["mask"], count) for e in found])
    return {
        "eps": eps,
        "images": count,
        "correct": int(robust.sum()),
        "accuracy": float(robust.sum()) / count,
        "mask": mask_to_hex(torch.from_numpy(robust)),
        "stages": stages,
        "evaluations": [e.get("attack") for e in found],
        "checkpoint_sha256": checkpoint_sha256 or found[0].get("checkpoint_sha256"),
    }
