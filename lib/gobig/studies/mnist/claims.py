"""Chapter 1's claims table (the ledger's rows) and the verdicts behind it."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from gobig.methods.scaling import law
from gobig.methods.stats import intervals
from gobig.studies.mnist.frames import mean_by_model, runs_frame, seed_mean_text
from gobig.studies.mnist.params import CLAIM_EPS, COLLAPSE_PROFILE
from gobig.studies.mnist.views import Training, view

#: The blog's parameter thresholds: the claim's name, by robust accuracy level and claimed parameter count.
THRESHOLD_CLAIMS = {
    (0.90, 1e5): ("10^5 parameters reach 90% robust accuracy", "blog; B&S reading Madry (2e5 at s=4)"),
    (0.95, 1e6): ("10^6 parameters reach 95% robust accuracy", "blog; B&S reading Madry (3e6)"),
}


#: The robust readings of the thresholds: the column fitted, and the words it adds to a claim's name.
ROBUST_READINGS = {
    "robust_accuracy": "",
    "pgd_accuracy": " (PGD-40, as Madry et al. measure)",
}


def _threshold_claim(
    runs: pd.DataFrame, level: float, claimed_params: float, column: str = "robust_accuracy"
) -> tuple[str, str, str]:
    """The blog's thresholds read as robust accuracy (Bubeck & Sellke's
    reading of Madry et al.): where the saturating fit of PGD-trained Madry
    models' robust accuracy at eps 0.3 crosses ``level``, with its bootstrap
    interval over seeds (``_fitted_threshold``), beside the first model
    whose seed mean reaches it. ``column``: the worst case over every
    attack (``robust_accuracy``), or PGD-40's own accuracy
    (``pgd_accuracy``), the measure of Madry et al.'s figure that Bubeck &
    Sellke read. The why says how these models' training and attack differ
    from Madry et al.'s, since the crossing depends on both."""
    models = runs[(runs["family"] == "madry") & (runs["mode"] == "pgd")]
    if (
        models.empty
        or "robust_eps" not in runs
        or not np.isclose(models["robust_eps"].dropna(), CLAIM_EPS).all()
        or models["robust_eps"].isna().any()
    ):
        return "", "pending", "needs PGD-trained Madry models evaluated at eps 0.3"
    if models[column].isna().any():
        return (
            "",
            "pending",
            "needs records that keep PGD-40's own accuracy beside the worst case (the cpu60k profile's)",
        )
    means = mean_by_model(runs, "madry", "pgd")
    reached = means[means[column] >= level]
    if reached.empty:
        best = means.loc[means[column].idxmax()]
        first = (
            f"no model's seed mean reaches it (best {seed_mean_text(best, column)} at {best.num_params:,.0f} params)"
        )
    else:
        row = reached.iloc[0]
        first = f"{seed_mean_text(row, column)} first at {row.num_params:,.0f} params (scale {int(row['size'])})"
    if models["num_params"].nunique() < 3:
        return first, "inconclusive", "a fit needs PGD-trained Madry models of at least 3 sizes"
    measured, verdict, why = _fitted_threshold(models, column, level, claimed_params, first)
    return measured, verdict, why + _conditions(models, column)


def _conditions(models: pd.DataFrame, column: str) -> str:
    """How the fitted models' training and attack differ from Madry et al.'s."""
    stronger = column == "robust_accuracy" and models["robust_attacks"].str.contains("apgd").all()
    attack = (
        "; robust accuracy here is the worst case over PGD-40 and AutoAttack's attacks, which lies below PGD's "
        "(Madry et al.'s own network: 92.5% under 100-step PGD, 88.0% under the best attack on their challenge's leaderboard)"
        if stronger
        else ""
    )
    steps, pgd_steps = models["train_steps"].unique(), models["train_pgd_steps"].unique()
    training = (
        f"; trained here with PGD-{pgd_steps[0]:g} for {steps[0]:,} steps (Madry et al.: PGD-40 for 100,000), "
        "so the crossing is where this training reaches the level, not where the best training would"
        if len(steps) == 1 and len(pgd_steps) == 1 and pd.notna(pgd_steps[0])
        else ""
    )
    return attack + training


def _plain_threshold(runs: pd.DataFrame, level: float, claimed_params: float) -> tuple[str, str, str]:
    """The blog's thresholds read as plain accuracy, its own word: the
    saturating fit of naturally trained Madry models' clean accuracy."""
    models = runs[(runs["family"] == "madry") & (runs["mode"] == "natural")]
    if models["num_params"].nunique() < 3:
        return "", "pending", "needs naturally trained Madry models of at least 3 sizes"
    means = mean_by_model(runs, "madry", "natural")
    reached = means[means["clean_accuracy"] >= level]
    if reached.empty:
        first = "no model's seed mean reaches it"
    else:
        row = reached.iloc[0]
        smallest = " (the smallest model)" if row.num_params == means.num_params.min() else ""
        first = f"{seed_mean_text(row, 'clean_accuracy')} at {row.num_params:,.0f} params{smallest}"
    return _fitted_threshold(models, "clean_accuracy", level, claimed_params, first)


def _fitted_threshold(
    models: pd.DataFrame, column: str, level: float, claimed_params: float, first: str = ""
) -> tuple[str, str, str]:
    """Where the saturating fit (gobig.methods.scaling.capacity) of ``column`` against log
    parameters crosses ``level``, with its bootstrap interval over seeds.
    Supported when the whole interval is within half a decade of the
    claimed count, not supported when it is wholly more than half a decade
    away, inconclusive otherwise (a curve that never reaches the level in
    some resamples leaves the interval open)."""
    from gobig.methods.scaling.capacity import fit_capacity

    fitted = fit_capacity(models, column, levels=(level,))
    low, high = fitted[f"cross_{level:g}_interval"]
    smallest, largest = models["num_params"].min(), models["num_params"].max()
    where = (
        "below the smallest model, extrapolated"
        if high < smallest
        else ("above the largest model, extrapolated" if low > largest else "within the measured sizes")
    )
    plateau_low, plateau_high = fitted["plateau_interval"]
    if math.isinf(fitted[f"cross_{level:g}"]):
        measured = f"fit plateau {fitted['plateau']:.1%} (95% bootstrap {100 * plateau_low:.1f}-{100 * plateau_high:.1f}) below {level:.0%}"
    else:
        upper = "never" if math.isinf(high) else f"{high:.2g}"
        measured = f"fit crosses {level:.0%} at {fitted[f'cross_{level:g}']:.2g} params (95% bootstrap over seeds {low:.2g}-{upper}, {where})"
    if first:
        measured += f"; {first}"
    distance = [abs(math.log10(x) - math.log10(claimed_params)) if math.isfinite(x) else math.inf for x in (low, high)]
    if max(distance) <= 0.5:
        return measured, "supported", "the fitted crossing lies within half a decade of the claim"
    if math.log10(high) < math.log10(claimed_params) - 0.5:
        # Below the smallest model too, the evidence is measured: that model already exceeds the level.
        return measured, "not supported", f"the whole interval lies more than half a decade below {claimed_params:.0e}"
    if math.isfinite(low) and math.log10(low) > math.log10(claimed_params) + 0.5:
        if low > largest:
            where = (
                f"the fitted curve levels off below {level:.0%}, and the resamples that reach it do so"
                if math.isinf(fitted[f"cross_{level:g}"])
                else "the fit puts the crossing"
            )
            return (
                measured,
                "inconclusive",
                f"{where} beyond the largest model trained ({largest:,.0f} parameters): an extrapolation these models cannot decide",
            )
        return measured, "not supported", f"the whole interval lies more than half a decade above {claimed_params:.0e}"
    if math.isinf(fitted[f"cross_{level:g}"]) or math.isinf(high):
        return (
            measured,
            "inconclusive",
            f"the fitted curve does not reach {level:.0%} in every resample, so these models cannot place the threshold",
        )
    return measured, "inconclusive", "the interval reaches both within and beyond half a decade of the claim"


def _collapse_verdict(records: list[dict]) -> tuple[str, str, str]:
    """Madry et al.'s recipe without a ramp at scales 1 and 2: supported when
    every seed of the smallest scale predicts one class for at least 90% of
    the test images, not supported when none does."""
    runs = runs_frame(records)
    training = view(records[0]).training
    shares = {int(size): group["majority_class_share"].tolist() for size, group in runs.groupby("size")}
    measured = "; ".join(
        f"scale {size}: "
        + ", ".join(f"{share:.0%}" for share in values)
        + " of test predictions in one class (per seed)"
        for size, values in shares.items()
    )
    smallest = shares[min(shares)]
    steps = training.epochs * math.ceil((training.train_subset or 60_000) / training.batch_size)
    why = f"PGD-{training.pgd_steps} training at eps {training.eps:g} from the first step, Adam {training.learning_rate:g}, batch {training.batch_size}, {steps:,} steps (Madry et al.: 100,000)"
    if all(share >= 0.9 for share in smallest):
        return measured, "supported", why
    if all(share < 0.9 for share in smallest):
        return measured, "not supported", why + "; a collapse after more steps is not ruled out"
    return measured, "inconclusive", why + "; the seeds disagree"


BLOG_ACCURACY = 0.992


#: Madry et al.'s Table 1 (MNIST, their PGD-trained s = 16 network): natural accuracy and white-box PGD-40 (1 restart).
MADRY_CLEAN, MADRY_PGD40 = 0.988, 0.932
#: How far a seed-pooled 95% interval may sit from the paper's value and still count as reproduced.
REPRODUCED_WITHIN = 0.03


def _madry_table_verdict(runs: pd.DataFrame) -> tuple[str, str, str]:
    """Madry et al.'s s = 16 numbers against ours, like for like: clean
    accuracy and PGD-40's own accuracy (before the stronger attacks), each
    with the exact 95% interval of the count pooled over seeds; the worst
    case over every attack is shown beside them. The why names how our
    training differs from theirs, since the verdict rests on it."""
    models = runs[(runs["family"] == "madry") & (runs["mode"] == "pgd") & (runs["size"] == 16)]
    clean = intervals.clopper_pearson(int(models.clean_correct.sum()), int(models.clean_images.sum()))
    pgd_column = "pgd_accuracy" if models["pgd_accuracy"].notna().all() else "robust_accuracy"
    pgd_correct = int(round((models[pgd_column] * models.robust_images).sum()))
    pgd = intervals.clopper_pearson(pgd_correct, int(models.robust_images.sum()))
    means = mean_by_model(runs, "madry", "pgd").set_index("size").loc[16]
    measured = (
        f"{seed_mean_text(means, 'clean_accuracy')} clean [{100 * clean[0]:.1f}, {100 * clean[1]:.1f}], "
        f"{seed_mean_text(means, pgd_column)} under PGD-40 [{100 * pgd[0]:.1f}, {100 * pgd[1]:.1f}]"
    )
    if pgd_column == "pgd_accuracy":
        measured += f"; {seed_mean_text(means, 'robust_accuracy')} worst case over every attack"
    near = [
        low - REPRODUCED_WITHIN <= paper <= high + REPRODUCED_WITHIN
        for paper, (low, high) in ((MADRY_CLEAN, clean), (MADRY_PGD40, pgd))
    ]
    below = pgd[1] + REPRODUCED_WITHIN < MADRY_PGD40 or clean[1] + REPRODUCED_WITHIN < MADRY_CLEAN
    verdict = "supported" if all(near) else ("not supported" if below else "partly")
    training = models["training_recipe"].iloc[0]
    why = (
        f"reproduced when each 95% interval comes within {100 * REPRODUCED_WITHIN:.0f} points of the paper's value; "
        f"our training: {training} (Madry et al.: PGD-40 at eps 0.3, 100,000 steps at batch 50)"
    )
    return measured, verdict, why


def _blog_verdict(blog: pd.DataFrame, training: Training) -> tuple[str, str, str]:
    """The blog's 99.2% against our seeds: reproduced when the seeds'
    accuracies, widened by each seed's exact 95% interval, reach it (the
    row says so when they lie wholly above it); partly when the mean
    reaches 98%. With one seed the spread over seeds is not measured, and
    the row says so."""
    bounds = [intervals.clopper_pearson(int(row.clean_correct), int(row.clean_images)) for row in blog.itertuples()]
    low, high = min(b[0] for b in bounds), max(b[1] for b in bounds)
    mean = blog["clean_accuracy"].mean()
    data_note = f"{training.train_subset:,} training images" if training.train_subset else "all 60,000 training images"
    spread = (
        f"seeds {100 * blog.clean_accuracy.min():.2f}-{100 * blog.clean_accuracy.max():.2f}%"
        if len(blog) > 1
        else "1 seed"
    )
    pooled_low, pooled_high = intervals.clopper_pearson(int(blog.clean_correct.sum()), int(blog.clean_images.sum()))
    intervals_note = (
        f"exact 95% interval {100 * low:.2f}-{100 * high:.2f}%"
        if len(blog) == 1
        else f"the seeds' exact 95% intervals span {100 * low:.2f}-{100 * high:.2f}%, the pooled count's {100 * pooled_low:.2f}-{100 * pooled_high:.2f}%"
    )
    measured = f"{mean:.2%} ({spread}; {intervals_note}; {blog.num_params.iloc[0]:,} params, {training.epochs} epochs at batch {training.batch_size}, {data_note})"
    # The claim is that the model reaches 99.2%: a stand-in that does better reaches it too.
    verdict = "supported" if high >= BLOG_ACCURACY else ("partly" if mean >= 0.98 else "not supported")
    why = "the seeds' exact 95% intervals reaching 99.2% counts as reproduced; a mean of 98% or more as partly"
    if low > BLOG_ACCURACY:
        why += "; every seed's interval lies above 99.2%: this stand-in does better than the blog reports"
    elif len(blog) > 1 and pooled_low > BLOG_ACCURACY:
        why += "; the pooled count's interval lies above 99.2%: this stand-in does better than the blog reports"
    if len(blog) == 1:
        why += "; one seed, so the spread over seeds is not measured"
    return measured, verdict, why


def claims_table(records: list[dict], results_dir=None) -> pd.DataFrame:
    """The collapse row comes from the COLLAPSE_PROFILE's records when all
    of them are committed (under ``results_dir``).

    Every claim of REFERENCES.md section 1 this chapter can test, with the
    measured value and a verdict computed from the records."""
    runs = runs_frame(records)
    rows = []

    def add(claim, source, measured, verdict, why):
        rows.append({"claim": claim, "source": source, "measured": measured, "verdict": verdict, "why": why})

    nd = law.smooth_interpolation_params(law.MNIST_N, law.MNIST_D)
    add(
        "n*d for MNIST is 4.7e7",
        "Bubeck & Sellke 2021, Sec. 1.1",
        f"{nd:.3g} (n = {law.MNIST_N:,}, d = {law.MNIST_D})",
        "supported",
        "arithmetic, gobig.methods.scaling.law",
    )
    for column, words in ROBUST_READINGS.items():
        for (level, claimed_params), (claim, source) in THRESHOLD_CLAIMS.items():
            add(claim + words, source, *_threshold_claim(runs, level, claimed_params, column))

    for (level, claimed_params), (claim, _source) in THRESHOLD_CLAIMS.items():
        add(
            claim.replace("robust accuracy", "accuracy (plain reading: clean, natural training)"),
            "blog (its words: 'accuracy')",
            *_plain_threshold(runs, level, claimed_params),
        )

    natural = mean_by_model(runs, "madry", "natural")
    if natural.empty or runs["robust_eps"].isna().all():
        add(
            "natural training gives ~0% PGD accuracy at eps 0.3",
            "Madry et al. 2018",
            "",
            "pending",
            "no naturally trained Madry model",
        )
    else:
        largest = natural.iloc[-1]
        verdict = "supported" if largest.robust_accuracy < 0.05 else "not supported"
        add(
            "natural training gives ~0% PGD accuracy at eps 0.3",
            "Madry et al. 2018",
            f"{seed_mean_text(largest, 'robust_accuracy')} at {largest.num_params:,.0f} params (clean {seed_mean_text(largest, 'clean_accuracy')})",
            verdict,
            "an attack that works drives a non-robust model to ~0%",
        )

    adversarial = mean_by_model(runs, "madry", "pgd")
    from gobig.core.sweep import profile_records
    from gobig.studies import mnist

    collapse = profile_records(mnist, COLLAPSE_PROFILE, results_dir)
    if collapse is not None:
        add(
            "small PGD-trained networks collapse to a constant class", "Madry et al. 2018", *_collapse_verdict(collapse)
        )
    elif adversarial.empty:
        add(
            "small PGD-trained networks collapse to a constant class",
            "Madry et al. 2018",
            "",
            "pending",
            "no PGD-trained Madry model",
        )
    else:
        smallest = adversarial.iloc[0]
        measured = f"scale {int(smallest['size'])}: {seed_mean_text(smallest, 'majority_class_share')} of test predictions are one class"
        ramp = runs.loc[(runs["family"] == "madry") & (runs["mode"] == "pgd"), "eps_warmup"].max()
        if ramp > 0:
            # The ramp exists to prevent exactly this collapse, so these runs cannot test the claim.
            add(
                "small PGD-trained networks collapse to a constant class",
                "Madry et al. 2018",
                measured,
                "inconclusive",
                f"these models were trained with an eps ramp (the radius grows from 0 over the first {ramp:.0%} of training), which prevents the collapse; Madry et al. train at eps 0.3 from the first step, the claim's own condition",
            )
        else:
            verdict = "supported" if smallest.majority_class_share >= 0.9 else "not supported"
            add(
                "small PGD-trained networks collapse to a constant class",
                "Madry et al. 2018",
                measured,
                verdict,
                "share of the most frequent predicted class, PGD training at eps 0.3 from the first step (no ramp)",
            )

    madry16 = adversarial[adversarial["size"] == 16] if not adversarial.empty else adversarial
    if madry16.empty:
        add(
            "s=16 PGD-trained: 98.8% clean, 93.2% PGD-40",
            "Madry et al. 2018, Table 1",
            "",
            "pending",
            "scale 16 is in the full (GPU) profile, not in this run",
        )
    else:
        add("s=16 PGD-trained: 98.8% clean, 93.2% PGD-40", "Madry et al. 2018, Table 1", *_madry_table_verdict(runs))

    blog = runs[runs["family"] == "blog"]
    if blog.empty:
        add("a 688K model reaches 99.2% after 15 epochs at batch 5", "blog", "", "pending", "BLOG_MODEL is off")
    else:
        training = next(r.training for r in map(view, records) if r.family == "blog")
        add("a 688K model reaches 99.2% after 15 epochs at batch 5", "blog", *_blog_verdict(blog, training))

    if adversarial.empty:
        add(
            "Lipschitz >= sqrt(n d / p) for models that fit noisy data",
            "Bubeck & Sellke 2021, Thm 1",
            "",
            "pending",
            "no PGD-trained model",
        )
    else:
        add(
            "Lipschitz >= sqrt(n d / p) for models that fit noisy data",
            "Bubeck & Sellke 2021, Thm 1",
            *_law_row(runs, adversarial),
        )
    return pd.DataFrame(rows)


def _law_row(runs: pd.DataFrame, adversarial: pd.DataFrame) -> tuple[str, str, str]:
    """The law's bound beside the PGD-trained Madry models' Lipschitz
    estimates, in the law's units where the records hold the scales
    (law.rescale_lipschitz), else in raw units, and says which."""
    in_law_units = adversarial["spectral_bound_law"].notna().all()
    suffix, units = ("_law", "in the law's units") if in_law_units else ("", "in raw units")
    below = (adversarial["spectral_bound" + suffix] < adversarial["law_lower_bound"]).sum()
    largest = adversarial.iloc[-1]
    measured = (
        f"largest PGD model ({largest.num_params:,.0f} params), {units}: local {largest['local_lipschitz_max' + suffix]:.3g}, "
        f"upper bound {largest['spectral_bound' + suffix]:.3g}"
    )
    if in_law_units and math.isfinite(largest["pairs_lower_bound_law"]):
        measured += f", pairs of training points {largest['pairs_lower_bound_law']:.3g}"
    measured += (
        f"; law {largest.law_lower_bound:.3g} (n = {int(runs['train_images'].max()):,} training images used, d = {law.MNIST_D}); "
        f"{below} of {len(adversarial)} PGD-trained Madry sizes (seed means) have an upper bound below the law"
    )
    return (
        measured,
        "not applicable",
        "the law covers models that fit noisy labels below the noise level; MNIST's labels are nearly clean, so its "
        "premise is not met and the comparison is one of scale, not a test",
    )
