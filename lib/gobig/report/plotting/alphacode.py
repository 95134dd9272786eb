"""Chapter 3's figures: leakage, solve rates and validation loss by split,
solve rate against k, split variants, the date curve, memorization pairs."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from gobig.report.plotting.style import CONDITION_COLOURS, condition_colours, plain_log_ticks

SPLIT_KINDS = ["temporal", "random"]


def _stripplot(**kwargs):
    """seaborn's stripplot with the same jitter every time: it draws jitter
    from NumPy's global generator, so the stored figure would change on each
    run (and nbval compare a different picture). The caller's state is kept."""
    state = np.random.get_state()
    np.random.seed(0)
    try:
        return sns.stripplot(**kwargs)
    finally:
        np.random.set_state(state)


def _twin_strip(data: pd.DataFrame, y: str, axis) -> None:
    """One point per validation problem and split, coloured by whether its
    twin is in training, with the legend that says so."""
    _stripplot(
        data=data,
        x="split",
        y=y,
        hue="twin_in_train",
        hue_order=[False, True],
        palette={False: CONDITION_COLOURS["no twin in training"], True: CONDITION_COLOURS["twin in training"]},
        jitter=0.25,
        size=3.5,
        ax=axis,
    )
    axis.legend(title="twin in training", fontsize="small", title_fontsize="small")


def solve_rate_vs_k(curves: pd.DataFrame):
    """n@k and pass@k against k, one line per split."""
    grid = sns.relplot(
        data=curves,
        x="k",
        y="solve_rate",
        hue="split",
        palette=condition_colours(dict.fromkeys(curves["split"])),
        style="kind",
        col="metric",
        kind="line",
        marker="o",
        height=3.2,
        aspect=1.1,
    )
    # A fixed floor and a visible range even when nothing is solved.
    grid.set(
        xscale="log",
        xlabel="k (submissions per problem)",
        ylabel="problems solved (%)",
        ylim=(-0.5, max(5.0, 1.1 * float(curves["solve_rate"].max()))),
    )
    for axis in grid.axes.flat:
        plain_log_ticks(axis, "x")
    return grid.figure


SPLIT_VARIANT_ORDER = ["random", "twin-aware", "temporal", "temporal-cut", "random-untwinned"]


def split_variants(splits: pd.DataFrame):
    """The splits side by side: near-duplicate share (left) and the
    baseline's solve rate (right), each split a point with its 95%
    Clopper–Pearson interval, grouped by kind."""
    figure, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharex=True)
    kinds = [k for k in SPLIT_VARIANT_ORDER if k in set(splits["kind"])]
    colors = condition_colours(kinds)
    for axis, (column, label) in zip(
        axes,
        (
            ("near_duplicate", "validation problems with a\nnear duplicate in training (%)"),
            ("baseline", "solved by a training\nproblem's solution (%)"),
        ),
    ):
        value = f"{column}_share" if column == "near_duplicate" else f"{column}_rate"
        for i, kind in enumerate(kinds):
            part = splits[splits["kind"] == kind].reset_index(drop=True)
            x = i + np.linspace(-0.25, 0.25, len(part)) if len(part) > 1 else np.array([float(i)])
            axis.errorbar(
                x,
                part[value],
                yerr=[part[value] - part[f"{column}_low"], part[f"{column}_high"] - part[value]],
                fmt="o",
                capsize=3,
                color=colors[kind],
            )
        # Every hyphenated name on two lines: "twin-aware" beside "temporal" read "twin-awaretemporal".
        axis.set_xticks(range(len(kinds)), [k.replace("-", "-\n") for k in kinds])
        axis.set(ylabel=label, ylim=(-1, None))
    figure.tight_layout()
    return figure


def date_curve(bins: pd.DataFrame, cutoff: int):
    """Near-duplicate share and baseline solve rate against contest id,
    bins of problems with 95% Clopper–Pearson intervals; the temporal cutoff
    as a line, the later (out-of-period) problems in their own colour."""
    figure, axes = plt.subplots(1, 2, figsize=(10, 3.6), sharex=True)
    periods = list(dict.fromkeys(bins["period"]))
    colors = condition_colours(periods)
    for axis, (prefix, value, label) in zip(
        axes,
        (
            ("near_duplicate", "near_duplicate_share", "with a near duplicate\nin training (%)"),
            ("baseline", "baseline_rate", "solved by another training\nproblem's solution (%)"),
        ),
    ):
        for period in periods:
            part = bins[bins["period"] == period]
            x = (part["first_contest"] + part["last_contest"]) / 2
            axis.errorbar(
                x,
                part[value],
                yerr=[part[value] - part[f"{prefix}_low"], part[f"{prefix}_high"] - part[value]],
                fmt="o",
                capsize=3,
                color=colors[period],
                label=period,
            )
        axis.axvline(cutoff, color="grey", lw=0.8, ls=":")
        axis.set(xlabel="contest id (creation order)", ylabel=label, ylim=(-1, None))
    axes[1].legend(fontsize="small", loc="upper right")  # the right panel's corner is empty after the cutoff
    figure.tight_layout()
    return figure


def memorization_pairs(pairs: pd.DataFrame):
    """Each validation problem's loss under the model trained with its
    twin in training (x) and with the twin removed (y): above the diagonal,
    the twin made the solution easier to predict."""
    figure, axis = plt.subplots(figsize=(5.2, 4.2))
    for leaked, color, label in (
        (False, "0.6", "no twin in training"),
        (True, CONDITION_COLOURS["twin in training"], "twin was in training"),
    ):
        part = pairs[pairs["leaked"] == leaked]
        axis.scatter(
            part["loss_with"],
            part["loss_without"],
            s=18 if leaked else 10,
            color=color,
            label=label,
            zorder=3 if leaked else 2,
        )
    low = float(min(pairs["loss_with"].min(), pairs["loss_without"].min())) if len(pairs) else 0.0
    high = float(max(pairs["loss_with"].max(), pairs["loss_without"].max())) if len(pairs) else 1.0
    axis.plot([low, high], [low, high], color="grey", lw=0.8, ls=":")
    axis.set(
        xlabel="loss under the model of the random split",
        ylabel="loss under the model of the same split,\nseparated twins removed from training",
    )
    axis.legend(fontsize="small")
    figure.tight_layout()
    return figure
