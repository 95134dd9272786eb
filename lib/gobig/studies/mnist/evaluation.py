"""Evaluating trained MNIST models: clean and robust accuracy (PGD, l-inf and
l2), Lipschitz estimates, the per-example worst case over PGD and
AutoAttack's components, and the torchattacks cross-check."""

from __future__ import annotations

import math
import time

import numpy as np
import torch

from gobig.methods.robustness.attacks import (
    attack_survivors,
    autoattack_component,
    predict,
    robust_accuracy,
    robust_mask,
)
from gobig.methods.robustness.lipschitz import local_gradient_norms, spectral_norm_bound
from gobig.methods.robustness.stacking import StackedModels
from gobig.studies.mnist.params import ADVERSARIAL, CLAIM_EPS


def evaluate(
    models: list, test_images, test_labels, evaluation: dict, seeds: list[int], compile: bool = False
) -> list[dict]:
    """Clean accuracy on all test images; PGD robust accuracy on the first
    ``robust_eval_subset`` of them; Lipschitz estimates. One result per
    model; several models are attacked together as one stack (each with its
    own seed), so small models share every GPU pass."""
    for model in models:
        model.eval()
        for parameter in model.parameters():
            parameter.requires_grad_(False)  # only input gradients are needed from here on
    stack = StackedModels(models, compile=compile).requires_grad_(False)  # one model: the plain module
    predictions = predict(stack, test_images)
    robust_count = evaluation["robust_eval_subset"] or len(test_images)
    attack_images, attack_labels = test_images[:robust_count], test_labels[:robust_count]
    steps = evaluation["pgd_steps"]
    attacks = [("linf", eps, evaluation["pgd_step_size"]) for eps in evaluation["eps_list"]]
    # l2 step size 2.5 * eps / steps, the usual choice (Madry et al.'s robustness library).
    attacks += [("l2", eps, 2.5 * eps / steps) for eps in evaluation["l2_eps_list"]]
    robust = [
        (
            norm,
            eps,
            robust_accuracy(
                stack, attack_images, attack_labels, eps, steps, step_size, norm, evaluation["pgd_restarts"], seed=seeds
            ),
        )
        for norm, eps, step_size in attacks
    ]
    points = evaluation["lipschitz_points"]
    results = []
    for k, model in enumerate(models):
        norms = local_gradient_norms(model, test_images[:points], test_labels[:points])
        results.append(
            {
                "clean_accuracy": (predictions[k] == test_labels).float().mean().item(),
                "majority_class_share": torch.bincount(predictions[k], minlength=10).max().item()
                / predictions.shape[1],
                "robust_eval_images": robust_count,
                # Robust accuracy is measured on the first robust_eval_images only;
                # this is the clean accuracy on those same images (its upper bound).
                "robust_subset_clean_accuracy": (predictions[k, :robust_count] == attack_labels).float().mean().item(),
                "robust": [{"norm": norm, "eps": eps, "accuracy": shares[k]} for norm, eps, shares in robust],
                "lipschitz": {
                    "points": points,
                    "local_mean": norms.mean().item(),
                    "local_median": norms.median().item(),
                    "local_max": norms.max().item(),
                    "spectral_bound": spectral_norm_bound(model),
                },
            }
        )
    return results


def mask_to_hex(mask: torch.Tensor) -> str:
    """A per-example bool mask as hex (4 examples a digit), for records."""
    bits = "".join("1" if value else "0" for value in mask.tolist())
    bits += "0" * (-len(bits) % 4)
    return "".join(f"{int(bits[k : k + 4], 2):x}" for k in range(0, len(bits), 4))


def mask_from_hex(text: str, count: int) -> np.ndarray:
    bits = "".join(f"{int(digit, 16):04b}" for digit in text)
    return np.array([bit == "1" for bit in bits[:count]])


def evaluate_worst_case(
    models: list,
    test_images,
    test_labels,
    evaluation: dict,
    seeds: list[int],
    modes: list[str],
    train_images,
    train_labels,
    compile: bool = False,
) -> list[dict]:
    """Clean accuracy on all test images; on the first
    ``robust_eval_subset``, PGD with restarts, then at Madry's eps 0.3, for
    adversarially trained models, each AutoAttack component of
    ``evaluation["attacks"]`` on the examples still robust: an example
    counts as robust only if every attack failed on it. Every accuracy
    keeps its count (exact intervals) and the robust examples' mask (later
    attacks on a checkpoint combine with it, ``gobig evaluate``). All
    attacks in float32. Lipschitz: the local gradient norms and the
    certified upper bound of ``evaluate``, and a data-based lower bound
    from pairs of training points (Khromov & Singh 2024): for same-label
    pairs, ``|m(x) - m(x')| / ||x - x'||_2`` of the label's margin."""
    for model in models:
        model.eval()
        for parameter in model.parameters():
            parameter.requires_grad_(False)
    stack = StackedModels(models, compile=compile).requires_grad_(False)
    predictions = predict(stack, test_images)
    count = evaluation["robust_eval_subset"] or len(test_images)
    images, labels = test_images[:count], test_labels[:count]
    steps, restarts = evaluation["pgd_steps"], evaluation["pgd_restarts"]
    attacks = [("linf", eps, evaluation["pgd_step_size"]) for eps in evaluation["eps_list"]]
    attacks += [("l2", eps, 2.5 * eps / steps) for eps in evaluation["l2_eps_list"]]
    results = [{"robust": [], "eval_times_s": {}} for _ in models]
    for norm, eps, step_size in attacks:
        start = time.perf_counter()
        masks = robust_mask(stack, images, labels, eps, steps, step_size, norm, restarts, seed=seeds)
        pgd_time = round(time.perf_counter() - start, 3)
        for k, model in enumerate(models):
            mask = masks[k]
            stages = [{"attack": f"pgd-{steps}x{restarts}", "robust": int(mask.sum()), "time_s": pgd_time}]
            if norm == "linf" and math.isclose(eps, CLAIM_EPS) and modes[k] in ADVERSARIAL:
                mask, more = attack_stages(model, evaluation["attacks"], images, labels, mask, eps, seeds[k])
                stages += more
            robust = int(mask.sum())
            results[k]["robust"].append(
                {
                    "norm": norm,
                    "eps": eps,
                    "accuracy": robust / count,
                    "correct": robust,
                    "images": count,
                    "pgd_accuracy": stages[0]["robust"] / count,
                    "stages": stages,
                    "mask": mask_to_hex(mask),
                }
            )
    points = evaluation["lipschitz_points"]
    for k, model in enumerate(models):
        norms = local_gradient_norms(model, test_images[:points], test_labels[:points])
        correct = int((predictions[k] == test_labels).sum())
        results[k].update(
            clean_accuracy=correct / len(test_labels),
            clean_correct=correct,
            clean_images=len(test_labels),
            majority_class_share=torch.bincount(predictions[k], minlength=10).max().item() / predictions.shape[1],
            robust_eval_images=count,
            robust_subset_clean_accuracy=(predictions[k, :count] == labels).float().mean().item(),
            lipschitz={
                "points": points,
                "local_mean": norms.mean().item(),
                "local_median": norms.median().item(),
                "local_max": norms.max().item(),
                "spectral_bound": spectral_norm_bound(model),
                **pairs_lower_bound(model, train_images, train_labels),
            },
        )
    return results


def attack_stages(
    model, names: list[str], images, labels, mask: torch.Tensor, eps: float, seed: int
) -> tuple[torch.Tensor, list[dict]]:
    """``mask`` (bool ``[N]``, the examples still robust) after each
    AutoAttack component of ``names`` in turn, each run on the examples
    still robust (``attack_survivors``); and one stage per component: its
    name, the robust count after it and its seconds."""
    stages = []
    for name in names:
        start = time.perf_counter()
        mask = attack_survivors(model, autoattack_component(model, name, eps, seed=seed), images, labels, mask, eps)
        stages.append({"attack": name, "robust": int(mask.sum()), "time_s": round(time.perf_counter() - start, 3)})
    return mask, stages


def worst_case_mask(
    model, images, labels, evaluation: dict, seed: int, eps: float = CLAIM_EPS
) -> tuple[torch.Tensor, list[dict]]:
    """What ``evaluate_worst_case`` runs on one adversarially trained model
    at l-inf ``eps``: PGD (``pgd_steps`` of ``pgd_step_size``, worst case
    over ``pgd_restarts`` random starts) on every image, then each component
    of ``evaluation["attacks"]`` on the examples still robust. Returns the
    robust examples' mask and the stages (robust count and seconds each)."""
    steps, restarts = evaluation["pgd_steps"], evaluation["pgd_restarts"]
    start = time.perf_counter()
    mask = robust_mask(model, images, labels, eps, steps, evaluation["pgd_step_size"], "linf", restarts, seed=seed)[0]
    stages = [
        {
            "attack": f"pgd-{steps}x{restarts}",
            "robust": int(mask.sum()),
            "time_s": round(time.perf_counter() - start, 3),
        }
    ]
    mask, more = attack_stages(model, evaluation["attacks"], images, labels, mask, eps, seed)
    return mask, stages + more


@torch.no_grad()
def pairs_lower_bound(model, images, labels) -> dict:
    """Lower bound on the margin's l2 Lipschitz constant from pairs of
    training points (the data-based bound of Khromov & Singh 2024): for
    each label y, the margin m_y(x) = z_y(x) - max_{j != y} z_j(x) is one
    function of x, so ``max |m_y(x) - m_y(x')| / ||x - x'||_2`` over pairs
    of images of label y cannot exceed its Lipschitz constant. Also the
    scales that put it in Bubeck & Sellke's units: the images' l2 norms and
    the margins' largest absolute value."""
    from gobig.methods.robustness.lipschitz import logit_margin

    margins = logit_margin(model(images).float(), labels)
    flat = images.flatten(1).float()
    best = 0.0
    for label in labels.unique():
        chosen = labels == label
        m, x = margins[chosen], flat[chosen]
        distances = torch.cdist(x, x)
        ratio = (m[:, None] - m[None, :]).abs() / distances.clamp_min(1e-12)
        ratio[distances == 0] = 0.0
        best = max(best, ratio.max().item())
    norms = flat.norm(dim=1)
    return {
        "pairs_lower_bound": best,
        "pairs_points": len(images),
        "input_norm_mean": norms.mean().item(),
        "input_norm_max": norms.max().item(),
        "margin_abs_max": margins.abs().max().item(),
    }


def crosscheck_with_torchattacks(model, test_images, test_labels, evaluation: dict, seed: int) -> dict:
    """Our PGD next to torchattacks' PGD and APGD (AutoAttack's step-size-free
    PGD) at the l-inf eps nearest 0.3: an independent check that our attack
    is not weak."""
    import torchattacks

    eps = min(evaluation["eps_list"], key=lambda value: abs(value - 0.3))  # Madry's radius when present
    steps = evaluation["pgd_steps"]
    count = evaluation["robust_eval_subset"] or len(test_images)
    images, labels = test_images[:count], test_labels[:count]
    model = model.float()

    def attacked_accuracy(attack) -> float:
        correct = 0
        for start in range(0, count, 1000):
            adversarial = attack(images[start : start + 1000], labels[start : start + 1000])
            correct += (predict(model, adversarial) == labels[start : start + 1000]).sum().item()
        return correct / count

    torch.manual_seed(seed)
    return {
        "eps": eps,
        "steps": steps,
        "images": count,
        "gobig_pgd": robust_accuracy(
            model, images, labels, eps, steps, evaluation["pgd_step_size"], "linf", 1, seed=seed
        ),
        "torchattacks_pgd": attacked_accuracy(
            torchattacks.PGD(model, eps=eps, alpha=evaluation["pgd_step_size"], steps=steps, random_start=True)
        ),
        "torchattacks_apgd_ce": attacked_accuracy(
            torchattacks.APGD(model, norm="Linf", eps=eps, steps=steps, loss="ce", seed=seed)
        ),
    }
