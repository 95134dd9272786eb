"""One plotting theme and the chapters' figures (seaborn on matplotlib).

Functions return their figure; in a notebook the inline backend shows it."""

from __future__ import annotations

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from gobig import law

MODE_ORDER = ["natural", "pgd", "fgsm"]


def _modes(runs: pd.DataFrame) -> list[str]:
    """The training modes present, in MODE_ORDER."""
    return [mode for mode in MODE_ORDER if mode in set(runs["mode"])]


def set_theme() -> None:
    sns.set_theme(
        context="notebook", style="whitegrid", palette="colorblind", rc={"figure.dpi": 110, "savefig.bbox": "tight"}
    )


def accuracy_vs_params(runs: pd.DataFrame, eps: float):
    """Clean and l-inf robust accuracy against parameter count, per family
    and training mode; bands are the spread over seeds."""
    long = runs.melt(
        id_vars=["family", "mode", "seed", "num_params"],
        value_vars=["clean_accuracy", "robust_accuracy"],
        var_name="metric",
        value_name="accuracy",
    )
    long["metric"] = long["metric"].map({"clean_accuracy": "clean", "robust_accuracy": f"robust, eps={eps:g}"})
    # Error bars, not bands: overlapping translucent bands blend into one colour.
    grid = sns.relplot(
        data=long,
        x="num_params",
        y="accuracy",
        hue="mode",
        hue_order=_modes(runs),
        style="metric",
        col="family",
        kind="line",
        marker="o",
        errorbar=("pi", 100),
        err_style="bars",
        err_kws={"capsize": 3},
        height=3.6,
        aspect=1.25,
        facet_kws={"sharex": False},
    )
    grid.set(xscale="log", ylim=(-0.02, 1.02), xlabel="parameters")
    for axis in grid.axes.flat:
        for level in (0.9, 0.95):
            axis.axhline(level, color="grey", lw=0.6, ls=":")
    return grid.figure


def lipschitz_vs_params(runs: pd.DataFrame):
    """Measured Lipschitz estimates next to the law's sqrt(n d / p), at the
    pixel dimension d = 784 and at Bubeck & Sellke's effective dimensions
    of MNIST (15 and 150); with records that hold it, the lower bound from
    pairs of training points too."""
    estimates = ["local_lipschitz_max", "spectral_bound"]
    if "pairs_lower_bound" in runs and runs["pairs_lower_bound"].notna().any():
        estimates.append("pairs_lower_bound")
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
    grid = sns.relplot(
        data=long,
        x="num_params",
        y="lipschitz",
        hue="mode",
        hue_order=_modes(runs),
        style="estimate",
        col="family",
        kind="line",
        marker="o",
        errorbar=("pi", 100),
        err_style="bars",
        err_kws={"capsize": 3},
        height=3.6,
        aspect=1.25,
        facet_kws={"sharex": False},
    )
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
    grid.set(xscale="log", yscale="log", xlabel="parameters", ylabel="Lipschitz constant of the logit margin")
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
        errorbar=("pi", 100),
        err_style="bars",
        err_kws={"capsize": 2},
        height=2.8,
        aspect=1.3,
        legend="full",  # every model size: the brief legend names two ticks of the colour scale, not the models
    )
    grid.set(ylim=(-0.02, 1.02), xlabel=f"{norm} radius eps")
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


#: A text column whose longest value is longer than this wraps as prose;
#: one no longer than LABEL_CHARACTERS holds labels, which never wrap
#: ("random-0" broken after its hyphen reads as two cells).
PROSE_CHARACTERS = 40
LABEL_CHARACTERS = 20
#: Padding and alignment travel with the table (its own <style> block, scoped
#: to its id), so it reads cleanly wherever the HTML is shown: the book, a
#: notebook, a papermill output. The book's _static/gobig.css adds the rest
#: (font size, rules, the scroll cue of .gobig-table-wrap).
TABLE_STYLES = [
    {"selector": "", "props": "border-collapse: collapse;"},
    {"selector": "th, td", "props": "padding: 0.3em 0.5em; vertical-align: top; text-align: left;"},
]
NUMBER_STYLES = "text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums;"
# Long words (module paths, file names) may break so the column stays narrow.
PROSE_STYLES = "min-width: 10em; overflow-wrap: anywhere;"


def default_formats(frame: pd.DataFrame) -> dict:
    """Readable formats for float columns the caller did not format: pandas'
    default prints 4.99e11 as 499000000000.000000. Whole numbers below 10^7
    get thousands separators, the rest four significant digits."""
    formats = {}
    for column in frame.columns:
        values = frame[column]
        if not pd.api.types.is_float_dtype(values):
            continue
        finite = values[np.isfinite(values)]
        whole = len(finite) > 0 and bool((finite == finite.round()).all()) and bool((finite.abs() < 1e7).all())
        formats[column] = "{:,.0f}" if whole else "{:.4g}"
    return formats


def table(frame: pd.DataFrame, formats: dict | None = None, name: str = "table"):
    """A DataFrame as HTML with a fixed element id, so stored notebook
    outputs are byte-stable (nbval compares them) and pages are tidy.

    Numbers are right-aligned and never wrap (a wrapped "4.7e+07" reads as
    two numbers); long text columns wrap. The table sits in a
    ``gobig-table-wrap`` box that scrolls sideways when the page is narrower
    than the table (a phone), with a shadow on the hidden side as the cue."""
    import html

    from IPython.display import HTML

    formats = {**default_formats(frame), **(formats or {})}
    numbers = [
        c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])
    ]
    longest = {c: frame[c].astype(str).str.len().max() if len(frame) else 0 for c in frame.columns}
    prose = [c for c in frame.columns if c not in numbers and longest[c] > PROSE_CHARACTERS]
    labels = [c for c in frame.columns if c not in numbers and longest[c] <= LABEL_CHARACTERS]
    column_styles = {
        **{
            c: [{"selector": "td", "props": NUMBER_STYLES}, {"selector": "th", "props": "text-align: right;"}]
            for c in numbers
        },
        **{c: [{"selector": "td", "props": PROSE_STYLES}] for c in prose},
        **{c: [{"selector": "td", "props": "white-space: nowrap;"}] for c in labels},
    }
    styler = (
        frame.style.format(formats, na_rep="–", escape="html")
        .hide(axis="index")
        .set_uuid(name)
        # Headers such as near_duplicate_share may wrap after an underscore.
        .format_index(lambda label: html.escape(str(label)).replace("_", "_<wbr>"), axis=1)
        .set_table_attributes('class="gobig-table"')
        .set_table_styles(TABLE_STYLES)
    )
    if column_styles:
        styler = styler.set_table_styles(column_styles, overwrite=False)
    # A focusable, labelled region: keyboard users can scroll it too.
    return HTML(
        f'<div class="gobig-table-wrap" role="region" aria-label="table {name}" tabindex="0">\n{styler.to_html()}</div>'
    )


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
        xscale="log", yscale="log", xlabel="effective dimension d", ylabel="parameters for smooth interpolation, n*d"
    )
    axis.legend(fontsize="small", loc="lower right")
    return figure


def accuracy_fits(observations: pd.DataFrame, bands: pd.DataFrame, target: float, gpt3_params: float):
    """GPT-3's published accuracies with the log-linear and logistic fits
    and their extrapolation bands, one panel per benchmark and setting."""
    series = observations[["benchmark", "setting"]].drop_duplicates().sort_values(["benchmark", "setting"])
    columns = 4
    rows = int(np.ceil(len(series) / columns))
    figure, axes = plt.subplots(rows, columns, figsize=(3.2 * columns, 2.7 * rows), sharex=True, squeeze=False)
    colors = dict(zip(["log-linear", "logistic"], sns.color_palette("colorblind", 2)))
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
        axis.set_xlabel("parameters")
    for axis in axes[:, 0]:
        axis.set_ylabel("accuracy (%)")
    axes.flat[0].legend(fontsize="x-small", loc="lower right")
    figure.tight_layout()
    return figure


def backtest(frame: pd.DataFrame, level: float, largest: float):
    """The back-test: each series' 175B value against the prediction of its
    fit on the sizes up to ``largest``, with the prediction interval; one panel per
    fit kind, points outside their interval in a second colour, the
    diagonal where prediction equals truth."""
    kinds = list(dict.fromkeys(frame["kind"]))
    figure, axes = plt.subplots(1, len(kinds), figsize=(5.2 * len(kinds), 4.6), sharey=True, squeeze=False)
    inside, outside = sns.color_palette("colorblind", 2)
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


# ---- chapter 3 ----------------------------------------------------------------

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


def leakage_by_split(splits: pd.DataFrame, nearest: pd.DataFrame, threshold: float):
    """Left: share of validation problems with a near duplicate in training,
    per split. Right: every validation problem's nearest-statement
    similarity, twins that cross the split marked."""
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6), gridspec_kw={"width_ratios": [1, 1.6]})
    sns.barplot(
        data=splits,
        x="split",
        y="near_duplicate_share",
        hue="kind",
        hue_order=SPLIT_KINDS,
        dodge=False,
        errorbar=None,
        ax=left,
    )
    left.legend_.remove()  # the tick labels name each split and its kind; a legend would cover a bar
    left.set(ylabel=f"valid problems with a near duplicate (%)\n(statement similarity >= {threshold:g})", xlabel="")
    left.tick_params(axis="x", rotation=30)
    _stripplot(
        data=nearest,
        x="split",
        y="statement_similarity",
        hue="twin_in_train",
        hue_order=[False, True],
        jitter=0.25,
        size=3.5,
        ax=right,
    )
    right.axhline(threshold, color="grey", lw=0.8, ls=":")
    right.set(ylabel="similarity to the nearest\ntraining statement", xlabel="", ylim=(0, 1.05))
    right.legend(title="twin in training", fontsize="small", title_fontsize="small")
    right.tick_params(axis="x", rotation=30)
    figure.tight_layout()
    return figure


def solve_rates_by_split(splits: pd.DataFrame):
    """Baseline and model solve rates per split with 90% bootstrap intervals."""
    rows = []
    for row in splits.itertuples(index=False):
        for method, prefix in (("submit training solutions", "baseline"), ("model, 1@k", "model")):
            rows.append(
                {
                    "split": row.split,
                    "method": method,
                    "rate": getattr(row, f"{prefix}_rate"),
                    "low": getattr(row, f"{prefix}_low"),
                    "high": getattr(row, f"{prefix}_high"),
                }
            )
    frame = pd.DataFrame(rows)
    figure, axis = plt.subplots(figsize=(8, 3.6))
    methods = list(dict.fromkeys(frame["method"]))
    colors = dict(zip(methods, sns.color_palette("colorblind", len(methods))))
    positions = {split: i for i, split in enumerate(dict.fromkeys(frame["split"]))}
    for offset, method in zip((-0.15, 0.15), methods):
        part = frame[frame["method"] == method]
        x = [positions[s] + offset for s in part["split"]]
        axis.errorbar(
            x,
            part["rate"],
            yerr=[part["rate"] - part["low"], part["high"] - part["rate"]],
            fmt="o",
            capsize=4,
            color=colors[method],
            label=method,
        )
    axis.set_xticks(list(positions.values()), list(positions))
    axis.set(ylabel="validation problems solved (%)", ylim=(-0.5, None))
    axis.legend(fontsize="small")
    figure.tight_layout()
    return figure


def validation_loss_by_split(nearest: pd.DataFrame):
    """Per-problem validation loss of the fine-tuned model, per split, with
    problems whose twin is in training marked."""
    figure, axis = plt.subplots(figsize=(8, 3.6))
    data = nearest.dropna(subset=["valid_loss"])
    sns.boxplot(data=data, x="split", y="valid_loss", color="0.9", showfliers=False, ax=axis)
    _stripplot(
        data=data,
        x="split",
        y="valid_loss",
        hue="twin_in_train",
        hue_order=[False, True],
        jitter=0.25,
        size=3.5,
        ax=axis,
    )
    axis.set(ylabel="validation loss per token\n(reference solution | statement)", xlabel="")
    axis.legend(title="twin in training", fontsize="small", title_fontsize="small")
    figure.tight_layout()
    return figure


def solve_rate_vs_k(curves: pd.DataFrame):
    """n@k and pass@k against k, one line per split."""
    grid = sns.relplot(
        data=curves,
        x="k",
        y="solve_rate",
        hue="split",
        style="kind",
        col="metric",
        kind="line",
        marker="o",
        height=3.2,
        aspect=1.1,
    )
    # A fixed floor and a visible range even when nothing is solved.
    grid.set(xscale="log", ylabel="solved (%)", ylim=(-0.5, max(5.0, 1.1 * float(curves["solve_rate"].max()))))
    return grid.figure


SPLIT_VARIANT_ORDER = ["random", "twin-aware", "temporal", "temporal-cut", "random-untwinned"]


def split_variants(splits: pd.DataFrame):
    """The splits side by side: near-duplicate share (left) and the
    baseline's solve rate (right), each split a point with its 95%
    Clopper–Pearson interval, grouped by kind."""
    figure, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharex=True)
    kinds = [k for k in SPLIT_VARIANT_ORDER if k in set(splits["kind"])]
    colors = dict(zip(kinds, sns.color_palette("colorblind", len(kinds))))
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
        axis.set_xticks(range(len(kinds)), [k.replace("-", "-\n", 1) if len(k) > 10 else k for k in kinds])
        axis.set(ylabel=label, ylim=(-1, None))
    figure.tight_layout()
    return figure


def date_curve(bins: pd.DataFrame, cutoff: int):
    """Near-duplicate share and baseline solve rate against contest id,
    bins of problems with 95% Clopper–Pearson intervals; the temporal cutoff
    as a line, the later (out-of-period) problems in their own colour."""
    figure, axes = plt.subplots(1, 2, figsize=(10, 3.6), sharex=True)
    periods = list(dict.fromkeys(bins["period"]))
    colors = dict(zip(periods, sns.color_palette("colorblind", len(periods))))
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
        (True, sns.color_palette("colorblind")[3], "twin was in training"),
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
