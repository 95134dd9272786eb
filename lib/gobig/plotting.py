"""One plotting theme and the chapters' figures (seaborn on matplotlib).

Functions return their figure; in a notebook the inline backend shows it."""

from __future__ import annotations

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from gobig import law

MODE_ORDER = ["natural", "pgd"]


def set_theme() -> None:
    sns.set_theme(context="notebook", style="whitegrid", palette="colorblind", rc={"figure.dpi": 110, "savefig.bbox": "tight"})


def accuracy_vs_params(runs: pd.DataFrame, eps: float):
    """Clean and l-inf robust accuracy against parameter count, per family
    and training mode; bands are the spread over seeds."""
    long = runs.melt(
        id_vars=["family", "mode", "seed", "num_params"],
        value_vars=["clean_accuracy", "robust_accuracy"],
        var_name="metric",
        value_name="accuracy",
    )
    long["metric"] = long["metric"].map({"clean_accuracy": "clean", "robust_accuracy": f"PGD, eps={eps:g}"})
    grid = sns.relplot(
        data=long, x="num_params", y="accuracy", hue="mode", hue_order=MODE_ORDER, style="metric",
        col="family", kind="line", marker="o", errorbar=("pi", 100), height=3.6, aspect=1.25, facet_kws={"sharex": False},
    )
    grid.set(xscale="log", ylim=(-0.02, 1.02), xlabel="parameters")
    for axis in grid.axes.flat:
        for level in (0.9, 0.95):
            axis.axhline(level, color="grey", lw=0.6, ls=":")
    return grid.figure


def lipschitz_vs_params(runs: pd.DataFrame):
    """Measured Lipschitz estimates next to the law's sqrt(n d / p)."""
    long = runs.melt(
        id_vars=["family", "mode", "seed", "num_params"],
        value_vars=["local_lipschitz_max", "spectral_bound"],
        var_name="estimate",
        value_name="lipschitz",
    )
    long["estimate"] = long["estimate"].map({"local_lipschitz_max": "local (max gradient norm)", "spectral_bound": "global upper bound"})
    grid = sns.relplot(
        data=long, x="num_params", y="lipschitz", hue="mode", hue_order=MODE_ORDER, style="estimate",
        col="family", kind="line", marker="o", errorbar=("pi", 100), height=3.6, aspect=1.25, facet_kws={"sharex": False},
    )
    # The law's line spans each panel's own range of parameter counts.
    for family, axis in grid.axes_dict.items():
        counts = runs.loc[runs["family"] == family, "num_params"]
        grid_params = np.geomspace(counts.min(), counts.max(), 50)
        axis.plot(grid_params, [law.lipschitz_lower_bound(p) for p in grid_params], color="black", lw=1.2, ls=":", label="law: sqrt(n d / p)")
        axis.legend(loc="upper left", fontsize="small", handles=axis.lines[-1:])
    grid.set(xscale="log", yscale="log", xlabel="parameters", ylabel="Lipschitz constant of the logit margin")
    return grid.figure


def robust_vs_eps(robust: pd.DataFrame, norm: str):
    data = robust[robust["norm"] == norm]
    grid = sns.relplot(
        data=data, x="eps", y="accuracy", hue="num_params", hue_norm=matplotlib.colors.LogNorm(), palette="viridis",
        col="mode", row="family", kind="line", marker="o", errorbar=("pi", 100), height=2.8, aspect=1.3,
    )
    grid.set(ylim=(-0.02, 1.02), xlabel=f"{norm} radius eps")
    return grid.figure


def training_history(history: pd.DataFrame, title: str):
    figure, axis = plt.subplots(figsize=(5.5, 3.4))
    sns.lineplot(data=history, x="epoch", y="test_accuracy", marker="o", ax=axis)
    axis.axhline(0.992, color="grey", ls=":", lw=1)
    axis.annotate("blog: 99.2%", (history["epoch"].min(), 0.992), textcoords="offset points", xytext=(2, 4), fontsize="small", color="grey")
    axis.set(xlabel="epoch", ylabel="clean test accuracy", title=title)
    return figure


def table(frame: pd.DataFrame, formats: dict | None = None, name: str = "table"):
    """A DataFrame as HTML with a fixed element id, so stored notebook
    outputs are byte-stable (nbval compares them) and pages are tidy."""
    from IPython.display import HTML

    styler = frame.style.format(formats or {}, na_rep="–").hide(axis="index").set_uuid(name)
    return HTML(styler.to_html())
