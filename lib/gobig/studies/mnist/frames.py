"""Chapter 1's tables: records turned into tidy frames for the plots, the
summary table and the claims."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd

from gobig.methods.scaling import law
from gobig.methods.stats import intervals
from gobig.studies.mnist.evaluation import mask_from_hex
from gobig.studies.mnist.params import CLAIM_EPS
from gobig.studies.mnist.reattack import strongest_evaluation
from gobig.studies.mnist.views import view


def runs_frame(records: list, results_dir=None) -> pd.DataFrame:
    """One row per trained model (records stored or typed: ``mnist.views``).
    Accuracies come with their counts (``*_correct`` of ``*_images``) for
    exact intervals; the robust accuracy at eps 0.3 is the worst case over
    every attack tried, a committed re-attack of the model's checkpoint
    included. ``train_images`` is the n the model was trained on, and the
    law's bound uses it."""
    rows = []
    for record in map(view, records):
        # The headline robust accuracy is at Madry's eps 0.3, or the nearest measured radius.
        linf = [r for r in record.robust if r.norm == "linf"]
        first_linf = min(linf, key=lambda r: abs(r.eps - CLAIM_EPS)) if linf else None
        clean_images = record.clean_images or 10_000
        robust_images = (first_linf.images or record.robust_eval_images or clean_images) if first_linf else np.nan
        robust_correct = np.nan
        attacks = ""
        if first_linf:
            robust_correct = (
                first_linf.correct
                if first_linf.correct is not None
                else intervals.count_of(first_linf.accuracy, robust_images)
            )
            attacks = first_linf.attacks
        stronger = (
            strongest_evaluation(record.key, record.checkpoint.sha256, results_dir)
            if first_linf and record.checkpoint
            else None
        )
        # Which examples stayed robust (None for records older than the masks): the images can then be resampled.
        robust_mask = mask_from_hex(first_linf.mask, int(robust_images)) if first_linf and first_linf.mask else None
        if stronger is not None and math.isclose(stronger["eps"], first_linf.eps):
            # A re-attack starts from the record's robust examples, so it can only keep or lower the count; it names its attacks either way.
            robust_correct = min(robust_correct, stronger["correct"])
            attacks += "".join(f"+{stage['attack']}" for stage in stronger["stages"])
            # Re-attacks stored without a mask leave only the count, and then no mask.
            robust_mask = (
                robust_mask & mask_from_hex(stronger["mask"], int(robust_images))
                if robust_mask is not None and "mask" in stronger
                else None
            )
        elif first_linf and not attacks:
            evaluation = record.config.get("evaluation", {})
            attacks = (
                f"pgd-{evaluation['pgd_steps']}x{evaluation['pgd_restarts']}" if "pgd_steps" in evaluation else "pgd"
            )
        lipschitz = record.lipschitz
        raw_lipschitz = {
            "local_lipschitz_max": lipschitz.local_max,
            "spectral_bound": lipschitz.spectral_bound,
            "pairs_lower_bound": np.nan if lipschitz.pairs_lower_bound is None else lipschitz.pairs_lower_bound,
        }
        # Multiplies a raw-unit Lipschitz constant into the law's units (law.rescale_lipschitz);
        # records older than the cpu60k profile lack the scales and stay in raw units only.
        law_factor = (
            law.rescale_lipschitz(1.0, lipschitz.input_norm_mean, lipschitz.margin_abs_max)
            if lipschitz.margin_abs_max is not None
            else np.nan
        )
        rows.append(
            {
                "family": record.family,
                "size": record.size,
                "mode": record.mode,
                "seed": record.seed,
                "num_params": record.num_params,
                "clean_accuracy": record.clean_accuracy,
                "clean_correct": record.clean_correct
                if record.clean_correct is not None
                else intervals.count_of(record.clean_accuracy, clean_images),
                "clean_images": clean_images,
                "robust_accuracy": robust_correct / robust_images if first_linf else np.nan,
                # PGD's own accuracy, before any stronger attack: what Madry et al.'s Table 1 reports.
                "pgd_accuracy": first_linf.pgd_accuracy
                if first_linf and first_linf.pgd_accuracy is not None
                else np.nan,
                "robust_correct": robust_correct,
                "robust_images": robust_images,
                "robust_mask": robust_mask,
                "robust_attacks": attacks,
                "robust_eps": first_linf.eps if first_linf else np.nan,
                "majority_class_share": record.majority_class_share,
                "local_lipschitz_mean": lipschitz.local_mean,
                **raw_lipschitz,
                "law_units_factor": law_factor,
                "train_images": record.train_images,
                "eps_warmup": np.nan if record.training.eps_warmup is None else record.training.eps_warmup,
                "training_recipe": training_recipe(record),
                "train_steps": record.training.epochs * math.ceil(record.train_images / record.training.batch_size),
                "train_pgd_steps": record.training.pgd_steps,
                "train_batch_size": record.training.batch_size,
                "law_lower_bound": law.lipschitz_lower_bound(record.num_params, n=record.train_images),
                **{f"{name}_law": value * law_factor for name, value in raw_lipschitz.items()},
                "train_time_s": record.train_time_s,
                "device_name": record.device_name,
            }
        )
    return pd.DataFrame(rows)


def training_recipe(record) -> str:
    """How a model (a record, stored or typed) was trained, in words:
    ``"PGD-5 (step 0.1) at eps 0.3, radius ramped up over the first 20% of
    steps, Adam (cyclic, peak 0.005), batch 100, 5 epochs of 60,000 images
    (3,000 steps)"``."""
    record = view(record)
    training = record.training
    steps = training.epochs * math.ceil(record.train_images / training.batch_size)
    attack = {
        "natural": "natural training",
        "pgd": f"PGD-{training.pgd_steps} (step {training.pgd_step_size}) at eps {training.eps}",
        "fgsm": f"FGSM from a random start at eps {training.eps}",
    }[record.mode]
    if record.mode != "natural":
        ramp = training.eps_warmup
        attack += f", radius ramped up over the first {ramp:.0%} of steps" if ramp else ", no radius ramp"
    optimizer = f"Adam ({training.lr_schedule}, peak {training.learning_rate:g})"
    return (
        f"{attack}, {optimizer}, batch {training.batch_size}, "
        f"{training.epochs} epochs of {record.train_images:,} images ({steps:,} steps)"
    )


def crosscheck_frame(records: list) -> pd.DataFrame:
    """The independent check of the attack: per model that ran it, our
    PGD's robust accuracy beside torchattacks' PGD and APGD-CE on the same
    images (rates; ``images`` is their count)."""
    columns = ["model", "eps", "steps", "images", "gobig_pgd", "torchattacks_pgd", "torchattacks_apgd_ce"]
    rows = [
        {"model": f"{r.family} s={r.size} ({r.mode}, seed {r.seed})", **dataclasses.asdict(r.crosscheck)}
        for r in map(view, records)
        if r.crosscheck is not None
    ]
    return pd.DataFrame(rows, columns=columns)


def crosscheck_table(records: list) -> pd.DataFrame:
    """``crosscheck_frame`` for the page: each accuracy with its exact 95%
    interval on the attacked images."""
    frame = crosscheck_frame(records)
    attacks = ["gobig_pgd", "torchattacks_pgd", "torchattacks_apgd_ce"]
    return frame.assign(
        **{c: [intervals.format_rate(v, int(n)) for v, n in zip(frame[c], frame["images"])] for c in attacks}
    )


def robust_frame(records: list) -> pd.DataFrame:
    """One row per (model, norm, eps), including eps = 0 (clean accuracy)."""
    rows = []
    for record in map(view, records):
        base = {"family": record.family, "size": record.size, "mode": record.mode, "seed": record.seed}
        base["num_params"] = record.num_params
        for norm in sorted({r.norm for r in record.robust}):
            rows.append({**base, "norm": norm, "eps": 0.0, "accuracy": record.robust_subset_clean_accuracy})
        rows += [{**base, "norm": r.norm, "eps": r.eps, "accuracy": r.accuracy} for r in record.robust]
    return pd.DataFrame(rows)


def history_frame(records: list) -> pd.DataFrame:
    """One row per (model, epoch); a column an epoch does not hold (the
    PGD monitor of natural training) is absent, not None."""
    rows = []
    for record in map(view, records):
        base = {"family": record.family, "size": record.size, "mode": record.mode, "seed": record.seed}
        for epoch in record.history:
            rows.append({**base, **{k: v for k, v in dataclasses.asdict(epoch).items() if v is not None}})
    return pd.DataFrame(rows)


def devices(records: list) -> list[str]:
    return sorted({view(record).device_name for record in records})


def mean_by_model(runs: pd.DataFrame, family: str, mode: str) -> pd.DataFrame:
    """Seed means of one family and training mode, one row per size, smallest first."""
    subset = runs[(runs["family"] == family) & (runs["mode"] == mode)]
    means = subset.groupby(["size", "num_params"], as_index=False)[
        [
            "clean_accuracy",
            "robust_accuracy",
            "pgd_accuracy",
            "majority_class_share",
            "local_lipschitz_max",
            "spectral_bound",
            "local_lipschitz_max_law",
            "spectral_bound_law",
            "pairs_lower_bound_law",
            "law_lower_bound",
        ]
    ].mean()
    # The seeds' spread, for every seed mean a reader sees.
    spread = subset.groupby(["size", "num_params"], as_index=False).agg(
        seeds=("seed", "count"),
        clean_min=("clean_accuracy", "min"),
        clean_max=("clean_accuracy", "max"),
        robust_min=("robust_accuracy", "min"),
        robust_max=("robust_accuracy", "max"),
        pgd_min=("pgd_accuracy", "min"),
        pgd_max=("pgd_accuracy", "max"),
        share_min=("majority_class_share", "min"),
        share_max=("majority_class_share", "max"),
    )
    return means.merge(spread, on=["size", "num_params"]).sort_values("num_params")


def seed_mean_text(row, column: str) -> str:
    """A seed mean with the seeds' range: ``"56.0% (51.4-60.0, 3 seeds)"``."""
    short = {
        "clean_accuracy": "clean",
        "robust_accuracy": "robust",
        "pgd_accuracy": "pgd",
        "majority_class_share": "share",
    }[column]
    if row["seeds"] == 1:
        return f"{row[column]:.1%} (1 seed)"
    if row[short + "_min"] == row[short + "_max"]:
        return f"{row[column]:.1%} (all {int(row['seeds'])} seeds)"
    return f"{row[column]:.1%} ({100 * row[short + '_min']:.1f}-{100 * row[short + '_max']:.1f}, {int(row['seeds'])} seeds)"


def attacks_text(seeds, attacks) -> str:
    """The attacks each seed of a model faced, in one cell: those every seed
    faced, then those only some did, with their seeds:
    ``"pgd-40x2+apgd-ce+apgd-t; +fab-t+square on seed 0"``."""
    faced = {int(seed): [name for name in text.split("+") if name] for seed, text in zip(seeds, attacks)}
    if not any(faced.values()):
        return "–"
    first = next(iter(faced.values()))
    common = [name for name in first if all(name in names for names in faced.values())]
    extras: dict[tuple[int, ...], list[str]] = {}
    for name in dict.fromkeys(name for names in faced.values() for name in names):
        if name not in common:
            extras.setdefault(tuple(sorted(seed for seed, names in faced.items() if name in names)), []).append(name)
    text = "+".join(common)
    for chosen, names in extras.items():
        which = f"seed {chosen[0]}" if len(chosen) == 1 else "seeds " + ", ".join(map(str, chosen))
        text += f"; +{'+'.join(names)} on {which}"
    return text


def interval_text(low: float, high: float) -> str:
    return f"{100 * low:.1f}-{100 * high:.1f}"


def robust_interval(group: pd.DataFrame) -> tuple[float, float] | None:
    """The 95% interval of a model's seed-mean robust accuracy, resampling
    images and seeds (``methods.stats.resampling``): every seed was attacked
    on the same images, so their counts are not independent. None when a
    seed's record keeps no per-example results, and when no example or every
    example is robust (a bootstrap of a constant collapses to a point; the
    seeds' exact intervals do not)."""
    from gobig.methods.stats.resampling import image_seed_interval

    if "robust_mask" not in group or group["robust_mask"].isna().any():
        return None
    masks = list(group.sort_values("seed")["robust_mask"])
    if len({len(mask) for mask in masks}) != 1:
        return None
    masks = np.stack(masks)
    return image_seed_interval(masks) if 0 < masks.sum() < masks.size else None


def seeds_exact_span(correct, images) -> tuple[float, float]:
    """From the lowest seed's exact (Clopper-Pearson) 95% lower bound to the
    highest seed's upper bound: an interval for seeds measured on the same
    images that does not treat them as independent trials."""
    bounds = [intervals.clopper_pearson(int(k), int(n)) for k, n in zip(correct, images)]
    return min(b[0] for b in bounds), max(b[1] for b in bounds)


#: The summary table's interval columns, and what each holds.
CLEAN_INTERVAL = "clean 95% CI (seeds' exact)"
ROBUST_INTERVAL = "robust 95% CI (images and seeds resampled)"


def summary_frame(runs: pd.DataFrame) -> pd.DataFrame:
    """The chapter's table: per model, seed means with the seeds' range, and
    95% intervals that allow for every seed being measured on the same test
    images: for clean accuracy the span of the seeds' exact intervals, for
    robust accuracy the two-way bootstrap over images and seeds (the span of
    the seeds' exact intervals for records without per-example results);
    and the attacks each seed faced at eps 0.3."""
    rows = []
    for (family, mode, size, params), group in runs.groupby(["family", "mode", "size", "num_params"]):
        row = {
            "family": family,
            "mode": mode,
            "size": size,
            "parameters": params,
            "seeds": len(group),
            "train images": int(group["train_images"].iloc[0]),
        }
        for name, column in (("clean", CLEAN_INTERVAL), ("robust", ROBUST_INTERVAL)):
            values = group[f"{name}_accuracy"]
            if values.isna().all():
                row[name], row[column] = "–", "–"
                continue
            spread = f" ({100 * values.min():.1f}-{100 * values.max():.1f})" if len(group) > 1 else ""
            row[name] = f"{values.mean():.1%}{spread}"
            bounds = robust_interval(group) if name == "robust" else None
            row[column] = interval_text(
                *(bounds or seeds_exact_span(group[f"{name}_correct"], group[f"{name}_images"]))
            )
        row["attacks at eps 0.3"] = attacks_text(group["seed"], group["robust_attacks"].fillna(""))
        rows.append(row)
    return pd.DataFrame(rows).sort_values(["family", "mode", "parameters"])


def _checkpoint_evaluation(record, attack: str, results_dir) -> dict | None:
    """A committed re-attack of ``record``'s checkpoint (results/mnist/evaluations/KEY.ATTACK.json),
    if there is one and it attacked this very checkpoint."""
    import json

    from gobig.studies.mnist.reattack import evaluation_path

    if record.checkpoint is None:
        return None
    path = evaluation_path(record.key, attack, results_dir)
    if not path.is_file():
        return None
    found = json.loads(path.read_text())
    return found if found.get("checkpoint_sha256") == record.checkpoint.sha256 else None


def eps_sweep_frame(records: list, results_dir=None) -> pd.DataFrame:
    """The committed eps sweeps (``gobig evaluate mnist KEY --attack
    eps-sweep``) of the records' checkpoints: one row per (model, radius),
    the worst case over PGD, APGD-CE and APGD-T with its exact 95% interval
    on the swept images (one model's count)."""

    from gobig.studies.mnist.reattack import EPS_SWEEP

    columns = ["key", "family", "size", "seed", "num_params", "eps", "images", "correct", "accuracy", "low", "high"]
    rows = []
    for record in map(view, records):
        if record.checkpoint is None:
            continue
        sweep = _checkpoint_evaluation(record, EPS_SWEEP, results_dir)
        if sweep is None:
            continue
        for entry in sweep["entries"]:
            low, high = intervals.clopper_pearson(entry["correct"], entry["images"])
            rows.append(
                {
                    "key": record.key,
                    "family": record.family,
                    "size": record.size,
                    "seed": record.seed,
                    "num_params": record.num_params,
                    "eps": entry["eps"],
                    "images": entry["images"],
                    "correct": entry["correct"],
                    "accuracy": entry["accuracy"],
                    "low": low,
                    "high": high,
                }
            )
    return pd.DataFrame(rows, columns=columns)


def stronger_attack_frame(records: list, attack: str = "square-strong", results_dir=None) -> pd.DataFrame:
    """What a committed stronger re-attack (``attack``, e.g. Square with 4x
    the budget) did to each record's checkpoint: the images it attacked,
    the robust examples among them before and after, and the model's worst
    case over every attack before it ran and now."""

    columns = ["key", "family", "size", "seed", "attacked_images", "images", "before", "after", "removed", "queries_s"]
    rows = []
    for record in map(view, records):
        if record.checkpoint is None:
            continue
        found = _checkpoint_evaluation(record, attack, results_dir)
        if found is None:
            continue
        rows.append(
            {
                "key": record.key,
                "family": record.family,
                "size": record.size,
                "seed": record.seed,
                "attacked_images": found.get("attacked_images", found["images"]),
                "images": found["images"],
                "before": found["start"]["robust"],
                "after": found["correct"],
                "removed": found["start"]["robust"] - found["correct"],
                "queries_s": sum(stage["time_s"] for stage in found["stages"]),
            }
        )
    return pd.DataFrame(rows, columns=columns)


def recipe_frames(runs: pd.DataFrame, results_dir=None) -> dict[str, pd.DataFrame]:
    """The PGD-trained Madry networks by training recipe, for the figure
    that sets them on the same axes: this chapter's (``runs``), and Madry
    et al.'s from the collapse profile and its controls where their records
    are all committed (the collapse profile with the larger scales on the
    same budget; the longer budget apart). Labels name each recipe's steps."""
    from gobig.core.sweep import profile_records
    from gobig.studies import mnist

    ours = runs[(runs["family"] == "madry") & (runs["mode"] == "pgd")]
    frames = {}
    if not ours.empty:
        ramp = ours["eps_warmup"].max()
        ramp_text = f"radius ramp over {ramp:.0%}" if ramp else "no ramp"
        label = f"this chapter's: PGD-{ours['train_pgd_steps'].iloc[0]:g}, {ramp_text}, {ours['train_steps'].iloc[0]:,} steps"
        frames[label] = ours
    same_budget = [
        profile_records(mnist, name, results_dir) for name in (mnist.COLLAPSE_PROFILE, mnist.COLLAPSE_LARGER)
    ]
    for records in (
        [r for found in same_budget if found for r in found],
        profile_records(mnist, mnist.COLLAPSE_LONGER, results_dir),
    ):
        if records:
            theirs = runs_frame(records, results_dir)
            steps = sorted(theirs["train_steps"].unique())
            frames[f"Madry et al.'s: PGD-40, no ramp, {', '.join(f'{s:,}' for s in steps)} steps"] = theirs
    return frames
