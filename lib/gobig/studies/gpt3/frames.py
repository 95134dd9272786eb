"""Chapter 2's tables and figure data, read from its record."""

from __future__ import annotations

import math
from dataclasses import asdict

import numpy as np
import pandas as pd

from gobig.core.jsonnum import from_json_number
from gobig.methods.scaling import law
from gobig.methods.scaling.fitting import (
    FIT_KINDS,
    Fit,
    clopper_pearson,
    cluster_bootstrap_mean,
    extrapolation_band,
    power_of_ten,
)
from gobig.studies.gpt3.data import load_accuracies, load_benchmarks
from gobig.studies.gpt3.study import MODEL_SIZES
from gobig.studies.gpt3.views import view

# ---- tables for the chapter ------------------------------------------------


def decades_text(value: float) -> str:
    """Signed decades with one decimal; -0.0 reads 0.0."""
    if not np.isfinite(value):
        return "no finite bound" if value > 0 else "–"
    return f"{round(value, 1) + 0.0:+.1f}"


def count_text(value: float) -> str:
    """A parameter count, or "no finite bound" for an interval without a
    meaningful upper end (inf), or "–" where nothing was extrapolated."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return "no finite bound" if math.isinf(value) else f"{value:.2g}"


#: plotting.table formats for fits_frame's columns.
FIT_FORMATS = {
    "fitted_at_175B": "{:.1f}",
    "params_needed": count_text,
    "params_low": count_text,
    "params_high": count_text,
    "decades_beyond_gpt3": decades_text,
    "share": "{:.2f}",
    "r_squared": "{:.2f}",
    "params_shifted": count_text,
}


def table_frame(sizes=MODEL_SIZES) -> pd.DataFrame:
    """The re-transcribed table, one row per benchmark and setting: the
    verified accuracy at each size (NaN: not verified), the count of
    verified sizes, and the sources."""
    data = load_accuracies()
    wide = data.pivot_table(
        index=["benchmark", "setting"], columns="params", values="accuracy", sort=False, dropna=False
    )
    wide = wide.reindex(columns=list(sizes))
    wide.columns = [f"{p / 1e9:g}B" for p in wide.columns]
    meta = data.groupby(["benchmark", "setting"], sort=False).agg(
        verified=("verified", "sum"), source=("source", lambda s: "; ".join(dict.fromkeys("; ".join(s).split("; "))))
    )
    return wide.join(meta).reset_index()


def changed_rows(old: pd.DataFrame) -> pd.DataFrame:
    """Rows of an earlier accuracy table whose value the re-transcription
    changes: benchmark, setting, params, old, new (NaN: not verified)."""
    new = load_accuracies().set_index(["benchmark", "setting", "params"])["accuracy"]
    rows = []
    for row in old.itertuples():
        value = new.get((row.benchmark, row.setting, int(row.params)), math.nan)
        if not (value == row.accuracy):
            rows.append(
                {
                    "benchmark": row.benchmark,
                    "setting": row.setting,
                    "params": int(row.params),
                    "old": float(row.accuracy),
                    "new": float(value),
                }
            )
    return pd.DataFrame(rows, columns=["benchmark", "setting", "params", "old", "new"])


def fit_from_record(record: dict, benchmark: str, setting: str, kind: str) -> Fit:
    """The stored ``Fit`` of one series, e.g. for ``extrapolation_band``."""
    return view(record).fit(benchmark, setting, kind).fit


def fits_frame(record: dict) -> pd.DataFrame:
    """One row per (benchmark, setting, kind). ``class``, ``share``,
    ``emergent_shape`` and ``selected`` (this kind is the series' selected
    fit) are ``classify_series``'s; ``r_squared`` (accuracy scale) and
    ``adequate`` are ``fit_quality``'s; ``slope`` is accuracy points per
    decade (log-linear) or logit units per decade (logistic, = k);
    ``midpoint_params`` = 10**x0 for the logistic fit. The ``params_*``
    columns are parameter counts for the target accuracy (NaN where the fit
    is not extrapolated, inf: no finite bound); ``params_shifted`` the count
    for the target plus the back-test's overshoot margin;
    ``decades_beyond_gpt3`` = log10(params_needed / 175e9)."""
    typed = view(record)
    rows = []
    for entry in typed.fits:
        fitted, needed = entry.fit, entry.params_for_target
        params_needed = needed.point if needed else math.nan
        x0 = fitted.x0 if fitted.kind == "logistic" else math.nan
        rows.append(
            {
                "benchmark": entry.benchmark,
                "setting": entry.setting,
                "kind": fitted.kind,
                "class": entry.series_class.kind,
                "share": entry.series_class.share,
                "emergent_shape": entry.series_class.emergent_shape,
                "r_squared": entry.quality.r_squared,
                "adequate": entry.quality.adequate,
                "selected": entry.series_class.selected == fitted.kind,
                "chance": math.nan if fitted.chance is None else fitted.chance,
                "ceiling": math.nan if fitted.ceiling is None else fitted.ceiling,
                "intercept": fitted.intercept,
                "slope": fitted.slope,
                "midpoint_params": power_of_ten(x0) if np.isfinite(x0) else math.nan,
                "residual_std": fitted.residual_std,
                "dof": fitted.dof,
                "accuracy_at_gpt3": entry.accuracy_at_gpt3,
                "target": typed.target_accuracy,
                "params_needed": params_needed,
                "params_low": needed.low if needed else math.nan,
                "params_high": needed.high if needed else math.nan,
                "share_unreachable": needed.share_unreachable if needed else math.nan,
                "params_shifted": entry.params_for_shifted_target,
                "decades_beyond_gpt3": math.log10(params_needed / typed.gpt3_params)
                if params_needed > 0
                else (math.nan if math.isnan(params_needed) else -math.inf),
            }
        )
    return pd.DataFrame(rows)


def selected_fits(record: dict) -> pd.DataFrame:
    """``fits_frame``'s rows of each series' selected fit (the ones verdicts read)."""
    frame = fits_frame(record)
    return frame[frame["selected"]].reset_index(drop=True)


def binomial_se(accuracy, examples):
    """Standard error (points) of an accuracy (percent) measured on
    ``examples`` independent examples: 100 sqrt(p (1 - p) / n)."""
    share = np.asarray(accuracy, dtype=float) / 100.0
    return 100.0 * np.sqrt(share * (1.0 - share) / np.asarray(examples, dtype=float))


def noise_frame(record: dict) -> pd.DataFrame:
    """How noisy each fitted series is: one row per (benchmark, setting) with
    the evaluation set (split, examples: Brown et al.'s Table C.1), the
    175B accuracy and its binomial standard error (points; one evaluation
    of that many independent examples), the selected fit's scatter about its
    points (root-mean-square residual, accuracy scale; NaN when no fit is
    selected) and the contamination flag of Sec. 4."""
    typed = view(record)
    sets = load_benchmarks().set_index("benchmark")
    rows = []
    for entry in typed.fits:
        if entry.kind != FIT_KINDS[0]:
            continue  # one row per series
        selected = entry.series_class.selected
        scatter = math.nan
        if selected:
            chosen = typed.fit(entry.benchmark, entry.setting, selected).fit
            residuals = np.asarray(entry.accuracy) - np.asarray(chosen.predict(np.asarray(entry.params, dtype=float)))
            scatter = float(np.sqrt(np.mean(residuals**2)))
        top = entry.accuracy[int(np.argmax(entry.params))]
        examples = sets.loc[entry.benchmark, "examples"]
        rows.append(
            {
                "benchmark": entry.benchmark,
                "setting": entry.setting,
                "split": sets.loc[entry.benchmark, "split"],
                "examples": examples,
                "accuracy_175B": top,
                "binomial_se": float(binomial_se(top, examples)),
                "fit_scatter": scatter,
                "contamination": sets.loc[entry.benchmark, "contamination"],
            }
        )
    return pd.DataFrame(rows)


def requirements_frame(record: dict) -> pd.DataFrame:
    """The law's smooth-interpolation count n*d for each (tokens, effective
    dimension): columns tokens, effective_dimension, required_params,
    ratio_to_gpt3, decades_beyond_gpt3."""
    frame = pd.DataFrame(
        [asdict(requirement) for requirement in view(record).requirements],
        columns=["tokens", "effective_dimension", "required_params", "ratio_to_gpt3"],
    )
    frame["decades_beyond_gpt3"] = np.log10(frame["ratio_to_gpt3"])
    return frame


def observations_frame(record: dict) -> pd.DataFrame:
    """The accuracies the record's fits used: benchmark, setting, params,
    accuracy, class (one row per point)."""
    rows = {}
    for entry in view(record).fits:
        for params, accuracy in zip(entry.params, entry.accuracy):
            rows[(entry.benchmark, entry.setting, params)] = {
                "benchmark": entry.benchmark,
                "setting": entry.setting,
                "params": params,
                "accuracy": accuracy,
                "class": entry.series_class.kind,
            }
    return pd.DataFrame(list(rows.values()), columns=["benchmark", "setting", "params", "accuracy", "class"])


def lacking_fits(record: dict) -> pd.DataFrame:
    """The fits of the benchmark/settings whose *published* 175B accuracy is
    below the target: what, in the blog's words, GPT-3 lacks."""
    typed = view(record)
    observed = observations_frame(typed)
    at_gpt3 = observed[observed.params == typed.gpt3_params]
    below = at_gpt3[at_gpt3.accuracy < typed.target_accuracy][["benchmark", "setting"]]
    return fits_frame(typed).merge(below, on=["benchmark", "setting"])


def backtest_frame(record: dict) -> pd.DataFrame:
    """One row per (series, kind) of the back-test (``backtest_series``):
    predicted and actual accuracy at the largest size, the error and
    whether each interval holds the actual value."""
    return pd.DataFrame(record["result"]["backtests"])


def backtest_summary(record: dict, n_boot: int = 10000) -> pd.DataFrame:
    """Per fit kind, over three sets of series: the fits the chapter would
    extrapolate (``adequate`` on the fitted sizes, series not flat), the
    ``selected`` fits, and ``all``: count, mean absolute error (points) with
    a benchmark-clustered bootstrap interval, the same with each prediction
    capped into [0, 100] (``mae_capped``), mean signed errors both ways,
    and the share of actual values inside the prediction interval and the
    curve's band, each with its exact (Clopper-Pearson) interval, and the
    aggregate's error. Intervals at the record's confidence level."""
    level = record["result"]["confidence_level"]
    frame = backtest_frame(record)
    aggregate = {entry["kind"]: entry for entry in (record["result"]["aggregate"] or {}).get("backtests", [])}
    rows = []
    for kind, by_kind in frame.groupby("kind", sort=False):
        used = by_kind["adequate"] & (by_kind["class"] != "flat")
        for which, part in (("adequate", by_kind[used]), ("selected", by_kind[by_kind["selected"]]), ("all", by_kind)):
            if part.empty:
                continue
            errors = part.error.abs()
            capped = part.error_capped.abs()
            mae_low, mae_high = cluster_bootstrap_mean(errors, part.benchmark, n_boot, 0, level)
            capped_low, capped_high = cluster_bootstrap_mean(capped, part.benchmark, n_boot, 0, level)
            inside = int(part.in_prediction.sum())
            in_band = int(part.in_band.sum())
            cover_low, cover_high = clopper_pearson(inside, len(part), level)
            band_low, band_high = clopper_pearson(in_band, len(part), level)
            agg = aggregate.get(kind)
            rows.append(
                {
                    "kind": kind,
                    "series": which,
                    "count": len(part),
                    "mae": float(errors.mean()),
                    "mae_low": mae_low,
                    "mae_high": mae_high,
                    "mae_capped": float(capped.mean()),
                    "mae_capped_low": capped_low,
                    "mae_capped_high": capped_high,
                    "mean_error": float(part.error.mean()),
                    "mean_error_capped": float(part.error_capped.mean()),
                    "above_100": int((part.predicted > 100).sum()),
                    "coverage": inside / len(part),
                    "coverage_low": cover_low,
                    "coverage_high": cover_high,
                    "band_coverage": in_band / len(part),
                    "band_coverage_low": band_low,
                    "band_coverage_high": band_high,
                    "aggregate_error": math.nan if agg is None else agg["error"],
                }
            )
    return pd.DataFrame(rows)


def compute_optimal_frame(record: dict) -> pd.DataFrame:
    """GPT-3's budget (175B parameters, 300B tokens) under Hoffmann et al.'s
    loss law and Besiroglu et al.'s refit (with its 90% spread from
    independent draws of the published standard errors): one row per
    quantity, columns quantity, hoffmann, besiroglu, besiroglu_low,
    besiroglu_high."""
    from gobig.methods.scaling import chinchilla

    view = record["result"]["compute_optimal"]
    labels = {
        "compute": "training FLOPs, 6 N D",
        "loss": "loss of GPT-3 (175B, 300B tokens)",
        "optimal_params": "compute-optimal parameters for those FLOPs",
        "optimal_tokens": "compute-optimal tokens for those FLOPs",
        "optimal_loss": "loss of the compute-optimal split",
        "scaled_loss_same_tokens": "loss of 175T parameters on the same 300B tokens",
        "data_floor": "loss floor with 300B tokens (infinitely many parameters)",
        "scaled_optimal_tokens": "tokens at which 175T parameters are compute-optimal",
        "scaled_optimal_compute": "FLOPs of that compute-optimal 175T run",
        "scaled_optimal_loss": "loss of that compute-optimal 175T run",
    }
    rows = []
    for key, label in labels.items():
        low, high = view["besiroglu_90"][key]
        rows.append(
            {
                "quantity": label,
                "key": key,
                "hoffmann": view["hoffmann"][key],
                "besiroglu": view["besiroglu"][key],
                "besiroglu_low": low,
                "besiroglu_high": high,
            }
        )
    frame = pd.DataFrame(rows)
    frame.attrs["sources"] = (chinchilla.HOFFMANN_SOURCE, chinchilla.BESIROGLU_SOURCE)
    return frame


def two_point_crossing(params, accuracy, target: float) -> float:
    """Parameters at which the straight line (accuracy against log10
    parameters) through two points reaches ``target`` (inf when it never
    rises to it)."""
    (p1, p2), (a1, a2) = np.log10(np.asarray(params, dtype=float)), np.asarray(accuracy, dtype=float)
    slope = (a2 - a1) / (p2 - p1)
    if slope <= 0:
        return math.inf if target > max(a1, a2) else 10 ** float(p1)
    return power_of_ten(p2 + (target - a2) / slope)


def blog_chart_frame(record: dict) -> pd.DataFrame:
    """The series behind the blog's chart (Figure 1.2's task, Table H.1's
    "Symbol Insertion" row) at 1.3B, 13B and 175B: setting, params,
    accuracy (NaN: not verified), verified, reading_a."""
    frame = pd.DataFrame(record["result"]["blog_chart"])
    for column in ("accuracy", "reading_a"):
        frame[column] = frame[column].map(from_json_number)
    return frame


def bands_frame(record: dict, num_points: int = 60, largest_params: float = 1e15) -> pd.DataFrame:
    """Every fit's prediction with its interval over a log grid from the
    smallest fitted size to ``largest_params`` (for the chapter's figure);
    a fit that is not extrapolated (not adequate, or its series flat) is
    drawn only up to the largest size."""
    result = record["result"]
    config = record["config"]
    frames = []
    for entry in result["fits"]:
        fitted = Fit.from_dict(entry["fit"])
        extrapolated = entry["class"]["class"] != "flat" and entry["quality"]["adequate"]
        top = largest_params if extrapolated else max(entry["params"])
        grid = np.geomspace(min(config["model_sizes"]), top, num_points)
        band = extrapolation_band(
            fitted, grid, level=result["confidence_level"], n_samples=config["uncertainty_samples"], seed=config["seed"]
        )
        frames.append(band.assign(benchmark=entry["benchmark"], setting=entry["setting"], kind=fitted.kind))
    return pd.concat(frames, ignore_index=True)


def arithmetic_table(record: dict) -> pd.DataFrame:
    """The blog's numbers, the corrected numbers and the law's, side by
    side, each with its formula."""
    rows = [
        ("MNIST", "blog", "n*d, n ~ 1e4, image space d ~ 1e5", law.BLOG_MNIST_N, law.BLOG_MNIST_D),
        ("MNIST", "blog", "n*d, effective dimension d ~ 1e3", law.BLOG_MNIST_N, law.BLOG_MNIST_EFFECTIVE_D),
        ("MNIST", "corrected", "n*d, n = 60,000 images of d = 784 pixels", law.MNIST_N, law.MNIST_D),
        *[("MNIST", "law (B&S)", f"n*d, effective dimension {d}", law.MNIST_N, d) for d in law.MNIST_EFFECTIVE_D_RANGE],
    ]
    table = [
        {
            "model": m,
            "who": who,
            "formula": formula,
            "n": n,
            "d": d,
            "parameters": law.smooth_interpolation_params(n, d),
        }
        for m, who, formula, n, d in rows
    ]
    table.append(
        {
            "model": "MNIST",
            "who": "classical",
            "formula": "parameters = equations (one per label)",
            "n": law.MNIST_N,
            "d": np.nan,
            "parameters": law.params_equal_equations(law.MNIST_N),
        }
    )
    gpt3_params = record["result"]["gpt3_params"]
    table.append(
        {
            "model": "GPT-3",
            "who": "blog",
            "formula": "175B x 10^3 ('3 more orders of magnitude')",
            "n": np.nan,
            "d": np.nan,
            "parameters": 1000.0 * gpt3_params,
        }
    )
    for row in requirements_frame(record).itertuples():
        table.append(
            {
                "model": "GPT-3",
                "who": "law",
                "formula": f"n*d, n = {row.tokens / 1e9:.0f}B tokens, d = {row.effective_dimension:g}",
                "n": row.tokens,
                "d": row.effective_dimension,
                "parameters": row.required_params,
            }
        )
    return pd.DataFrame(table)
