"""Chapter 1's tables: records turned into tidy frames for the plots, the
summary table and the claims."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd

from gobig.methods.scaling import law
from gobig.methods.stats import intervals
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
        if stronger is not None and math.isclose(stronger["eps"], first_linf.eps):
            # A re-attack starts from the record's robust examples, so it can only keep or lower the count; it names its attacks either way.
            robust_correct = min(robust_correct, stronger["correct"])
            attacks += "".join(f"+{stage['attack']}" for stage in stronger["stages"])
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
    optimizer = f"Adam ({training.lr_schedule or 'cosine'}, peak {training.learning_rate:g})"
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


def summary_frame(runs: pd.DataFrame) -> pd.DataFrame:
    """The chapter's table: per model, seed means with the seeds' range, and
    the exact 95% interval of the pooled count over the seeds (every seed's
    test images together)."""
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
        for name in ("clean", "robust"):
            values = group[f"{name}_accuracy"]
            if values.isna().all():
                row[name], row[f"{name} 95% CI (pooled)"] = "–", "–"
                continue
            spread = f" ({100 * values.min():.1f}-{100 * values.max():.1f})" if len(group) > 1 else ""
            row[name] = f"{values.mean():.1%}{spread}"
            low, high = intervals.clopper_pearson(
                int(group[f"{name}_correct"].sum()), int(group[f"{name}_images"].sum())
            )
            row[f"{name} 95% CI (pooled)"] = f"{100 * low:.1f}-{100 * high:.1f}"
        row["attacks at eps 0.3"] = group["robust_attacks"].iloc[0] or "–"
        rows.append(row)
    return pd.DataFrame(rows).sort_values(["family", "mode", "parameters"])
