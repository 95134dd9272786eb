"""Chapter 1's figures: accuracy and Lipschitz estimates against
parameters, robust accuracy against the radius, training histories."""

from __future__ import annotations

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from gobig.methods.scaling import law
from gobig.report.plotting.style import condition_colours, plain_log_ticks

MODE_ORDER = ["natural", "pgd", "fgsm"]


def _modes(runs: pd.DataFrame) -> list[str]:
    """The training modes present, in MODE_ORDER."""
    return [mode for mode in MODE_ORDER if mode in set(runs["mode"])]


def _seed_range(values) -> tuple[float, float]:
    """The seeds' range, widened to hold their mean: when the seeds agree,
    the mean can exceed the largest by a rounding error, and matplotlib
    refuses the negative error bar that would draw."""
    mean = values.mean()
    return min(values.min(), mean), max(values.max(), mean)


def _per_family_lines(long: pd.DataFrame, runs: pd.DataFrame, y: str, style: str):
    """One panel per model family: ``y`` against parameters, a line per
    training mode and ``style``, error bars spanning the seeds (bars, not
    bands: overlapping translucent bands blend into one colour)."""
    return sns.relplot(
        data=long,
        x="num_params",
        y=y,
        hue="mode",
        hue_order=_modes(runs),
        palette=condition_colours(_modes(runs)),
        style=style,
        col="family",
        kind="line",
        marker="o",
        errorbar=_seed_range,
        err_style="bars",
        err_kws={"capsize": 3},
        height=3.6,
        aspect=1.25,
        facet_kws={"sharex": False},
    )


def accuracy_vs_params(runs: pd.DataFrame, eps: float):
    """Clean and l-inf robust accuracy against parameter count, per family
    and training mode; error bars are the seeds' range."""
    long = runs.melt(
        id_vars=["family", "mode", "seed", "num_params"],
        value_vars=["clean_accuracy", "robust_accuracy"],
        var_name="metric",
        value_name="accuracy",
    )
    long["metric"] = long["metric"].map({"clean_accuracy": "clean", "robust_accuracy": f"robust, eps={eps:g}"})
    grid = _per_family_lines(long, runs, y="accuracy", style="metric")
    grid.set(xscale="log", ylim=(-0.02, 1.02), xlabel="parameters (count)", ylabel="accuracy (share of test images)")
    for axis in grid.axes.flat:
        plain_log_ticks(axis, "x")
        for level in (0.9, 0.95):
            axis.axhline(level, color="grey", lw=0.6, ls=":")
    return grid.figure


def lipschitz_vs_params(runs: pd.DataFrame):
    """Measured Lipschitz estimates next to the law's sqrt(n d / p), at the
    pixel dimension d = 784 and at Bubeck & Sellke's effective dimensions
    of MNIST (15 and 150); with records that hold it, the lower bound from
    pairs of training points too. In the law's units (inputs divided by
    their mean norm, outputs by the margins' largest value:
    law.rescale_lipschitz) when every record holds those scales, else in
    raw units; the axis label says which."""
    in_law_units = "law_units_factor" in runs and runs["law_units_factor"].notna().all()
    suffix = "_law" if in_law_units else ""
    estimates = ["local_lipschitz_max", "spectral_bound"]
    if "pairs_lower_bound" in runs and runs["pairs_lower_bound"].notna().any():
        estimates.append("pairs_lower_bound")
    runs = runs.drop(columns=estimates).rename(columns={name + "_law": name for name in estimates}) if suffix else runs
    long = runs.melt(
        id_vars=["family", "mode", "seed", "num_params"],
        value_vars=estimates,
        var_name="estimate",
        value_name="lipschitz",
    ).dropna(subset=["lipschitz"])
    long["estimate"] = long["estimate"].map(
        {
            "local_lipschitz_max": "local (max gradient norm)",
            "spectral_bound": "global upper bound",
            "pairs_lower_bound": "pairs of training points (lower bound)",
        }
    )
    grid = _per_family_lines(long, runs, y="lipschitz", style="estimate")
    # The law's line spans each panel's own range of parameter counts, with
    # the n its models were trained on.
    for family, axis in grid.axes_dict.items():
        counts = runs.loc[runs["family"] == family, "num_params"]
        n = int(runs.loc[runs["family"] == family, "train_images"].max()) if "train_images" in runs else law.MNIST_N
        grid_params = np.geomspace(counts.min(), counts.max(), 50)
        dimensions = (law.MNIST_D, *sorted(law.MNIST_EFFECTIVE_D_RANGE, reverse=True))
        for d, style in zip(dimensions, (":", "--", "-.")):
            axis.plot(
                grid_params,
                [law.lipschitz_lower_bound(p, n=n, d=d) for p in grid_params],
                color="black",
                lw=1.0,
                ls=style,
                label=f"law, d = {d}",
            )
        axis.legend(
            loc="upper left",
            fontsize="x-small",
            handles=axis.lines[-len(dimensions) :],
            title=f"sqrt(n d / p), n = {n:,}",
            title_fontsize="x-small",
        )
    units = (
        "law's units: x / mean ||x||, margin / max |margin|" if in_law_units else "raw units: pixels in [0, 1], logits"
    )
    grid.set(
        xscale="log", yscale="log", xlabel="parameters (count)", ylabel=f"Lipschitz constant of the margin\n({units})"
    )
    for axis in grid.axes.flat:
        plain_log_ticks(axis, "x")
    return grid.figure


def robust_vs_eps(robust: pd.DataFrame, norm: str):
    data = robust[robust["norm"] == norm]
    grid = sns.relplot(
        data=data,
        x="eps",
        y="accuracy",
        hue="num_params",
        hue_norm=matplotlib.colors.LogNorm(),
        palette="viridis",
        col="mode",
        row="family",
        kind="line",
        marker="o",
        errorbar=_seed_range,
        err_style="bars",
        err_kws={"capsize": 2},
        height=2.8,
        aspect=1.3,
        legend="full",  # every model size: the brief legend names two ticks of the colour scale, not the models
    )
    grid.set(ylim=(-0.02, 1.02), xlabel=f"{norm} radius eps (pixel scale 0-1)", ylabel="robust accuracy (share)")
    grid.legend.set_title("parameters")
    for text in grid.legend.texts:
        text.set_text(f"{float(text.get_text()):,.0f}")
    return grid.figure


def training_history(history: pd.DataFrame, title: str):
    figure, axis = plt.subplots(figsize=(5.5, 3.4))
    sns.lineplot(data=history, x="epoch", y="test_accuracy", marker="o", ax=axis)
    axis.axhline(0.992, color="grey", ls=":", lw=1)
    # Room above the blog's line, so its label sits inside the axes, clear of the frame.
    low, high = axis.get_ylim()
    axis.set_ylim(low, max(high, 0.992 + 0.12 * (max(high, 0.992) - low)))
    axis.annotate(
        "blog: 99.2%",
        (history["epoch"].min(), 0.992),
        textcoords="offset points",
        xytext=(2, 3),
        va="bottom",
        fontsize="small",
        color="grey",
    )
    axis.set(xlabel="epoch", ylabel="clean test accuracy", title=title)
    return figure


def recipe_vs_params(recipes: dict[str, pd.DataFrame], worst_case: str | None = None):
    """Robust accuracy under PGD-40 at eps 0.3 against parameters, one
    series per training recipe on the same axes (``recipes``: label ->
    runs frame of PGD-trained Madry models; a frame's ``pgd_accuracy`` is
    used where it holds one, else its ``robust_accuracy``, which is PGD-40's
    own for records without stronger attacks): each seed a dot, the seed
    means a line. ``worst_case``: the label of a recipe whose worst case
    over every attack is drawn too (dashed)."""
    figure, axis = plt.subplots(figsize=(6.4, 4.0))
    palette = sns.color_palette(n_colors=len(recipes))
    for (label, runs), colour in zip(recipes.items(), palette):
        if runs.empty:
            continue
        column = "pgd_accuracy" if runs["pgd_accuracy"].notna().all() else "robust_accuracy"
        means = runs.groupby("num_params")[column].mean()
        axis.plot(means.index, means.values, marker="o", color=colour, label=label)
        axis.scatter(runs["num_params"], runs[column], color=colour, s=12, alpha=0.5)
        if label == worst_case and column == "pgd_accuracy":
            worst = runs.groupby("num_params")["robust_accuracy"].mean()
            axis.plot(worst.index, worst.values, ls="--", color=colour, label=f"{label}, worst case over every attack")
    for level in (0.1, 0.9):
        axis.axhline(level, color="grey", lw=0.6, ls=":")
    axis.set(
        xscale="log",
        ylim=(-0.02, 1.02),
        xlabel="parameters (Madry et al.'s scales 1-16)",
        ylabel="robust accuracy at eps 0.3 (PGD-40)",
    )
    # Below the axes: inside, it would hide the small networks' points.
    axis.legend(
        title="training recipe",
        fontsize="small",
        title_fontsize="small",
        loc="upper center",
        bbox_to_anchor=(0.5, -0.18),
        frameon=False,
    )
    return figure


def robust_vs_eps_sweep(sweep: pd.DataFrame, training_eps: float = 0.3):
    """Robust accuracy (worst case over PGD-40, APGD-CE and APGD-T) against
    the l-inf radius for each swept checkpoint, with exact 95% intervals;
    a dotted line marks the training radius."""
    figure, axis = plt.subplots(figsize=(6.0, 3.8))
    for (size, seed, images), group in sweep.groupby(["size", "seed", "images"]):
        group = group.sort_values("eps")
        errors = [group["accuracy"] - group["low"], group["high"] - group["accuracy"]]
        axis.errorbar(
            group["eps"],
            group["accuracy"],
            yerr=errors,
            marker="o",
            capsize=3,
            label=f"scale {size}, seed {seed} ({int(group['num_params'].iloc[0]):,} params, {images:,} images)",
        )
    axis.axvline(training_eps, color="grey", lw=0.8, ls=":")
    axis.set(ylim=(-0.02, 1.02), xlabel="l-inf radius eps", ylabel="robust accuracy (worst case)")
    axis.legend(fontsize="small", loc="lower left")
    return figure
