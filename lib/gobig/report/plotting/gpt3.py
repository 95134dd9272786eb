"""Chapter 2's figures: the law's required parameters against the
effective dimension, the accuracy fits with their bands, the back-test."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from gobig.report.plotting.style import condition_colours, plain_log_ticks


def required_params_vs_dimension(requirements: pd.DataFrame, mnist_n: float, gpt3_params: float):
    """The law's n*d against the effective dimension d, for GPT-3's token
    counts and for MNIST, with GPT-3's 175B and the blog's 175T marked."""
    dimensions = np.geomspace(1, max(1e3, requirements["effective_dimension"].max()), 50)
    figure, axis = plt.subplots(figsize=(6.4, 4.0))
    for tokens in sorted(requirements["tokens"].unique()):
        axis.plot(dimensions, tokens * dimensions, label=f"GPT-3, n = {tokens / 1e9:.0f}B tokens")
        points = requirements[requirements["tokens"] == tokens]
        axis.scatter(points["effective_dimension"], points["required_params"], s=18, zorder=3)
    axis.plot(dimensions, mnist_n * dimensions, color="grey", label=f"MNIST, n = {mnist_n:,.0f}")
    # Each label sits at the end of its line that the GPT-3 curves are far from.
    for value, text, at_right in ((gpt3_params, "GPT-3: 175B", True), (1000 * gpt3_params, "blog: 175T", False)):
        axis.axhline(value, color="black", lw=0.8, ls=":")
        axis.annotate(
            text,
            (dimensions[-1] if at_right else dimensions[0], value),
            textcoords="offset points",
            xytext=(-2 if at_right else 2, 3),
            ha="right" if at_right else "left",
            fontsize="small",
        )
    axis.set(
        xscale="log",
        yscale="log",
        xlabel="effective dimension d (dimensions)",
        ylabel="parameters for smooth\ninterpolation, n*d (count)",
    )
    plain_log_ticks(axis, "x")
    plain_log_ticks(axis, "y")
    axis.legend(fontsize="small", loc="lower right")
    return figure


def accuracy_fits(observations: pd.DataFrame, bands: pd.DataFrame, target: float, gpt3_params: float):
    """GPT-3's published accuracies with the log-linear and logistic fits
    and their extrapolation bands, one panel per benchmark and setting."""
    series = observations[["benchmark", "setting"]].drop_duplicates().sort_values(["benchmark", "setting"])
    columns = 4
    rows = int(np.ceil(len(series) / columns))
    figure, axes = plt.subplots(rows, columns, figsize=(3.2 * columns, 2.7 * rows), sharex=True, squeeze=False)
    colors = condition_colours(["log-linear", "logistic"])
    for axis, (benchmark, setting) in zip(axes.flat, series.itertuples(index=False)):
        for kind, band in bands[(bands["benchmark"] == benchmark) & (bands["setting"] == setting)].groupby("kind"):
            axis.plot(band["params"], band["point"], color=colors[kind], label=kind)
            axis.fill_between(
                band["params"], band["low"].clip(0, 100), band["high"].clip(0, 100), color=colors[kind], alpha=0.2, lw=0
            )
        points = observations[(observations["benchmark"] == benchmark) & (observations["setting"] == setting)]
        axis.scatter(points["params"], points["accuracy"], color="black", s=16, zorder=3)
        axis.axhline(target, color="grey", lw=0.8, ls=":")
        for value in (gpt3_params, 1000 * gpt3_params):
            axis.axvline(value, color="grey", lw=0.6, ls="--")
        axis.set(xscale="log", ylim=(0, 100), title=f"{benchmark}, {setting}")
        axis.title.set_fontsize("small")
    for axis in axes.flat[len(series) :]:
        axis.set_visible(False)
    for axis in axes.flat[: len(series)]:
        axis.tick_params(labelbottom=True)  # panels above a hidden one need their own ticks
        axis.set_xlabel("parameters (count)")
        plain_log_ticks(axis, "x")
    for axis in axes[:, 0]:
        axis.set_ylabel("accuracy (%)")
    axes.flat[0].legend(fontsize="x-small", loc="lower right")
    figure.tight_layout()
    return figure


def backtest(frame: pd.DataFrame, level: float, largest: float):
    """The back-test: each series' 175B value against the prediction of its
    fit on the sizes up to ``largest``, with the prediction interval; one panel per
    fit kind, points outside their interval in a second colour, the
    diagonal where prediction equals truth and a dotted line at 100%, above
    which a prediction cannot come true."""
    kinds = list(dict.fromkeys(frame["kind"]))
    figure, axes = plt.subplots(1, len(kinds), figsize=(5.2 * len(kinds), 4.6), sharey=True, squeeze=False)
    inside, outside = "#0072B2", "#D55E00"
    for axis, kind in zip(axes.flat, kinds):
        part = frame[frame["kind"] == kind]
        for held, color, label in ((True, inside, f"inside its {level:.0%} interval"), (False, outside, "outside")):
            rows = part[part["in_prediction"] == held]
            axis.errorbar(
                rows["actual"],
                rows["predicted"],
                yerr=[rows["predicted"] - rows["prediction_low"], rows["prediction_high"] - rows["predicted"]],
                fmt="o",
                ms=4,
                color=color,
                ecolor=color,
                elinewidth=0.8,
                capsize=2,
                label=f"{label} ({len(rows)})",
            )
        axis.plot([0, 100], [0, 100], color="grey", lw=0.8, ls="--")
        axis.axhline(100, color="grey", lw=0.8, ls=":")  # no accuracy passes 100%
        axis.set(
            xlim=(0, 100),
            ylim=(0, 125),
            xlabel="actual accuracy at 175B (%)",
            title=f"{kind} fit up to {largest / 1e9:g}B",
        )
        axis.legend(fontsize="small", loc="upper left")
    axes.flat[0].set_ylabel("predicted accuracy at 175B (%)")
    figure.tight_layout()
    return figure
