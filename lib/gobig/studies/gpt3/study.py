"""Chapter 2's study: its parameters, the rule that classifies a series
as smooth, emergent or flat, and the one record a run computes (every fit,
the back-test, the compute-optimal view and the law's arithmetic)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from gobig.core import params as params_module
from gobig.core.jsonnum import json_number
from gobig.core.params import ParameterError, Spec, validate
from gobig.methods.scaling import law
from gobig.methods.scaling.fitting import (
    CEILING,
    FIT_KINDS,
    Fit,
    cap_accuracy,
    fit,
    params_for_accuracy,
    power_of_ten,
    r_squared,
    slope_interval,
)
from gobig.studies.gpt3.data import BLOG_CHART, CHANCE, SETTINGS, data_sha256, load_accuracies, load_token_mix

# ---- which fits describe a series ------------------------------------------------

#: The rule that decides which fits are extrapolated, stated once:
#:
#: * a series is "flat" when its gain (accuracy - chance) at the largest
#:   size is below FLAT_GAIN points: there is no rise to extrapolate;
#: * a fit is "adequate" when it describes the series: its curve explains
#:   at least R2_MIN of the variance of the accuracies (``fitting.r_squared``,
#:   on the accuracy scale for both kinds) and its slope's interval at the
#:   run's level lies above zero (the series rises);
#: * a series that is not flat is "smooth" when at least one fit is
#:   adequate, else "irregular"; its "selected" fit is the adequate one with
#:   the larger R-squared, and only selected fits enter a verdict.
#:
#: On the verified series the accuracy-scale R-squared of every fit lies
#: below 0.30 or above 0.57 (tests/test_gpt3.py checks that any threshold in
#: between classifies them alike); 0.5 sits in that gap.
#:
#: Whether a series looks emergent (Wei et al. 2022: "near-random until a
#: certain critical threshold of scale ... after which performance
#: increases to substantially above random") is reported as its
#: ``emergent_shape``, the mean gain over the smaller half of the sizes
#: under EMERGENT_SHARE of the gain at the largest, but it no longer keeps a
#: series from being extrapolated: the shape depends on the scale the
#: accuracies are drawn on (Schaeffer, Miranda & Koyejo 2023). Symbol
#: Insertion few-shot looks emergent in accuracy, yet its logit is nearly a
#: straight line in log parameters, and its logistic fit describes it.
FLAT_GAIN = 10.0
R2_MIN = 0.5
EMERGENT_SHARE = 0.10


def fit_quality(fitted, params, accuracy, level: float = 0.9) -> dict:
    """``{"r_squared", "slope_low", "adequate"}`` of one fit by the rule
    above (``slope_low``: the lower end of the slope's ``level`` interval)."""
    r2 = r_squared(fitted, params, accuracy)
    slope_low = slope_interval(fitted, level)[0]
    return {"r_squared": r2, "slope_low": slope_low, "adequate": bool(r2 >= R2_MIN and slope_low > 0)}


def classify_series(params, accuracy, chance: float, level: float = 0.9) -> dict:
    """``{"class", "early_gain", "top_gain", "share", "emergent_shape",
    "selected", "quality"}`` of one series (sizes sorted here): its class
    by the rule above, the fit kind selected for verdicts (None when no fit
    is adequate or the series is flat) and each kind's ``fit_quality``."""
    order = np.argsort(np.asarray(params, dtype=float))
    params = np.asarray(params, dtype=float)[order]
    accuracy = np.asarray(accuracy, dtype=float)[order]
    gain = accuracy - chance
    if gain.size < 3:
        raise ValueError("classifying a series needs at least 3 sizes")
    early = float(gain[: gain.size // 2].mean())
    top = float(gain[-1])
    share = early / top if top > 0 else math.nan
    quality = {
        kind: fit_quality(fit(kind, params, accuracy, chance, CEILING), params, accuracy, level) for kind in FIT_KINDS
    }
    adequate = [kind for kind in FIT_KINDS if quality[kind]["adequate"]]
    if top < FLAT_GAIN:
        kind, selected = "flat", None
    elif adequate:
        kind, selected = "smooth", max(adequate, key=lambda k: quality[k]["r_squared"])
    else:
        kind, selected = "irregular", None
    return {
        "class": kind,
        "early_gain": early,
        "top_gain": top,
        "share": share,
        "emergent_shape": bool(top >= FLAT_GAIN and share < EMERGENT_SHARE),
        "selected": selected,
        "quality": quality,
    }


#: Published back-tests of benchmark extrapolation to set ours beside:
#: Owen 2024, "How predictable is language model benchmark performance?"
#: (arXiv 2401.04757), abstract: extrapolating one order of magnitude of
#: compute, BIG-Bench Hard's aggregate is off by 6 percentage points on
#: average, individual BIG-Bench tasks by 18.
OWEN_2024 = {
    "aggregate_mae": 6.0,
    "task_mae": 18.0,
    "span": "one order of magnitude of compute",
    "source": "Owen 2024 (arXiv 2401.04757), abstract",
}


def backtest_series(params, accuracy, chance: float, largest_fitted: float, kind: str, level: float = 0.9) -> dict:
    """Fit ``kind`` on the sizes up to ``largest_fitted`` and predict the
    largest size: the point, its ``level`` band (the curve's interval) and
    prediction interval (a new value's), the actual value, the error
    (predicted - actual, points) and whether each interval holds it; the
    same with the prediction capped into [0, 100] (``predicted_capped``,
    ``error_capped``), since a log-linear line passes 100% where no model
    can. The class, the fit's adequacy and whether it is the selected fit
    are those the fitted sizes alone give (``classify_series``)."""
    params = np.asarray(params, dtype=float)
    accuracy = np.asarray(accuracy, dtype=float)
    train = params <= largest_fitted
    target = int(np.argmax(params))
    if train.sum() < 3 or params[target] <= largest_fitted:
        raise ValueError(f"a back-test needs 3 or more sizes up to {largest_fitted:.3g} and a larger one to predict")
    fitted = fit(kind, params[train], accuracy[train], chance, CEILING)
    classified = classify_series(params[train], accuracy[train], chance, level)
    out = fitted.intervals(params[target], level)
    actual = float(accuracy[target])
    point = float(out["point"][0])
    capped = cap_accuracy(point)
    return {
        "kind": kind,
        "class": classified["class"],
        "adequate": classified["quality"][kind]["adequate"],
        "selected": classified["selected"] == kind,
        "fitted_sizes": int(train.sum()),
        "predicted_size": float(params[target]),
        "actual": actual,
        "predicted": point,
        "predicted_capped": capped,
        "band_low": float(out["band_low"][0]),
        "band_high": float(out["band_high"][0]),
        "prediction_low": float(out["prediction_low"][0]),
        "prediction_high": float(out["prediction_high"][0]),
        "error": point - actual,
        "error_capped": capped - actual,
        "in_band": bool(out["band_low"][0] <= actual <= out["band_high"][0]),
        "in_prediction": bool(out["prediction_low"][0] <= actual <= out["prediction_high"][0]),
    }


#: The back-test's errors turned into a margin: the OVERSHOOT_QUANTILE
#: quantile of the capped signed errors (predicted - actual) of the
#: selected fits, "how far above the truth 9 in 10 extrapolations stayed".
#: A crossing computed for the target plus this margin is where a fit
#: reaches the target even if it overshoots as much as 9 in 10 back-tested
#: fits did; the back-test measured it one span (largest / BACKTEST_LARGEST)
#: beyond the fitted sizes, and it vouches for no farther.
OVERSHOOT_QUANTILE = 0.9


def backtest_overshoot(backtests, quantile: float = OVERSHOOT_QUANTILE) -> dict:
    """``{"quantile", "selected", "count"}``: the ``quantile`` of the capped
    signed errors of the back-tests whose fit was the selected one, taken as
    an observed error rounded up (numpy's "higher"), so the margin is never
    smaller than the errors it should cover (NaN when no fit was selected)."""
    errors = [b["error_capped"] for b in backtests if b["selected"]]
    value = float(np.quantile(errors, quantile, method="higher")) if errors else math.nan
    return {"quantile": quantile, "selected": value, "count": len(errors)}


# ---- the study ----------------------------------------------------------------

STUDY = "gpt3"
#: Bump when a change alters what a record means.
VERSION = 3
#: The profile whose values are the chapter's defaults (data: profiles/defaults.yaml).
DEFAULT_PROFILE = params_module.default_profile(STUDY)
#: GPT-3's size and training tokens (Table 2.1), the yardstick of the claims.
GPT3_PARAMS = 175_000_000_000
GPT3_TRAINING_TOKENS = 300_000_000_000

_ACCURACIES = load_accuracies()
BENCHMARKS = tuple(_ACCURACIES["benchmark"].drop_duplicates())
MODEL_SIZES = tuple(int(p) for p in sorted(_ACCURACIES["params"].unique()))

PARAMETERS = {
    "TOKEN_COUNTS": Spec(
        float,
        "training-set sizes n in tokens for the law's n*d (300e9 trained on, 499e9 available)",
        is_list=True,
        above=0,
    ),
    "EFFECTIVE_DIMENSIONS": Spec(float, "effective dimensions d for the law's n*d", is_list=True, above=0),
    "TARGET_ACCURACY": Spec(
        float, "accuracy (percent) whose parameter count the fits extrapolate to", above=0, maximum=100
    ),
    "BENCHMARKS": Spec(
        str,
        "benchmarks to fit (series with an unverified value at a chosen size are skipped)",
        is_list=True,
        allowed=BENCHMARKS,
    ),
    "SETTINGS": Spec(str, "zero-shot, one-shot and/or few-shot", is_list=True, allowed=SETTINGS),
    # A number type so 1.3e9 and 1_300_000_000 both pass; stored as ints.
    "MODEL_SIZES": Spec(float, "model sizes (parameters) to fit on; at least 3", is_list=True, allowed=MODEL_SIZES),
    "BACKTEST_LARGEST": Spec(
        float,
        "the back-test fits the sizes up to this one and predicts the largest of MODEL_SIZES",
        allowed=MODEL_SIZES,
    ),
    "CONFIDENCE_LEVEL": Spec(float, "central probability of the intervals", above=0, maximum=1),
    "UNCERTAINTY_SAMPLES": Spec(int, "coefficient draws for the intervals", minimum=100, maximum=10_000_000),
    "SEED": Spec(int, "seed of the coefficient draws", minimum=0),
    "RESULTS_DIR": Spec(str, "folder for result records (None: gobig.core.paths.results_dir())", optional=True),
}


def load_profile(name: str) -> dict:
    return params_module.load_profile(STUDY, name)


def _unique(values: list) -> list:
    return list(dict.fromkeys(values))


def series_with_data(benchmarks, settings, model_sizes) -> list[tuple[str, str]]:
    """(benchmark, setting) pairs with a verified accuracy for every chosen size."""
    data = _ACCURACIES[_ACCURACIES["params"].isin(model_sizes) & _ACCURACIES["verified"]]
    present = data.groupby(["benchmark", "setting"])["params"].nunique()
    return [(b, s) for b in benchmarks for s in settings if present.get((b, s), 0) == len(set(model_sizes))]


def validate_parameters(values: dict) -> dict:
    """Every chapter parameter checked (RESULTS_DIR defaults to None); lists
    are de-duplicated and MODEL_SIZES sorted."""
    params = validate(PARAMETERS, {"RESULTS_DIR": None, **values})
    for name, bound in (("TARGET_ACCURACY", 100), ("CONFIDENCE_LEVEL", 1)):
        if not params[name] < bound:
            raise ParameterError(f"{name}: got {params[name]!r}; expected a number > 0 and < {bound}")
    for name in ("TOKEN_COUNTS", "EFFECTIVE_DIMENSIONS", "BENCHMARKS", "SETTINGS"):
        params[name] = _unique(params[name])
    params["MODEL_SIZES"] = sorted({int(size) for size in params["MODEL_SIZES"]})
    if len(params["MODEL_SIZES"]) < 3:
        raise ParameterError(
            f"MODEL_SIZES: got {params['MODEL_SIZES']}; a fit with an uncertainty needs at least 3 distinct sizes "
            f"(2 points leave no degrees of freedom); choose 3 or more of {', '.join(map(str, MODEL_SIZES))}"
        )
    params["BACKTEST_LARGEST"] = int(params["BACKTEST_LARGEST"])
    fitted = [size for size in params["MODEL_SIZES"] if size <= params["BACKTEST_LARGEST"]]
    if len(fitted) < 3 or params["BACKTEST_LARGEST"] >= params["MODEL_SIZES"][-1]:
        raise ParameterError(
            f"BACKTEST_LARGEST: got {params['BACKTEST_LARGEST']}; expected a size below the largest of MODEL_SIZES "
            f"({params['MODEL_SIZES'][-1]}) with at least 3 of MODEL_SIZES at or below it"
        )
    if not series_with_data(params["BENCHMARKS"], params["SETTINGS"], params["MODEL_SIZES"]):
        raise ParameterError(
            f"BENCHMARKS: none of {params['BENCHMARKS']} has verified accuracies in SETTINGS {params['SETTINGS']} for every size in MODEL_SIZES"
        )
    return params


def make_config(params: dict) -> dict:
    """The one config of a run: every parameter but RESULTS_DIR, plus the
    accuracy table's checksum."""
    config = {name.lower(): value for name, value in params.items() if name != "RESULTS_DIR"}
    config["data_sha256"] = data_sha256()
    return config


def expand_configs(params: dict) -> list[dict]:
    """The study's configs: one (``make_config``), as a sweep's list."""
    return [make_config(params)]


def _skip_reason(data: pd.DataFrame, benchmark: str, setting: str, sizes) -> str:
    rows = data[(data.benchmark == benchmark) & (data.setting == setting) & data.params.isin(sizes)]
    missing = [int(p) for p in sizes if p not in set(rows[rows.verified].params)]
    return "not verified at " + ", ".join(f"{p / 1e9:g}B" for p in missing)


def _compute_optimal() -> dict:
    """Both loss laws on GPT-3's budget (``chinchilla.budget_view``); the
    refit with intervals from its standard errors."""
    from gobig.methods.scaling import chinchilla

    def plain(view):
        return {key: float(value) for key, value in view.items()}

    hoffmann = plain(chinchilla.budget_view(chinchilla.HOFFMANN_2022, GPT3_PARAMS, GPT3_TRAINING_TOKENS))
    refit = plain(chinchilla.budget_view(chinchilla.BESIROGLU_2024, GPT3_PARAMS, GPT3_TRAINING_TOKENS))
    draws = chinchilla.budget_view(chinchilla.refit_draws(20000, 0), GPT3_PARAMS, GPT3_TRAINING_TOKENS)
    spread = {
        key: [float(v) for v in np.quantile(np.broadcast_to(value, (20000,)), [0.05, 0.95])]
        for key, value in draws.items()
    }
    return {"hoffmann": hoffmann, "besiroglu": refit, "besiroglu_90": spread}


def _compute(config: dict) -> tuple[dict, dict]:
    """The record's result: every series' fits and back-tests, the back-test's
    overshoot and the crossings it shifts, the aggregate, the law's
    requirements and the blog's chart, one helper each."""
    import torch

    from gobig.core.runtime import provenance
    from gobig.methods.scaling import chinchilla

    data = load_accuracies()
    sizes = config["model_sizes"]
    complete = series_with_data(config["benchmarks"], config["settings"], sizes)
    fits, backtests = _series_fits(config, data, complete)
    overshoot = backtest_overshoot(backtests)
    overshoot["reach_params"] = float(max(sizes)) ** 2 / config["backtest_largest"]
    _add_crossings(fits, overshoot, config)
    result = {
        "gpt3_params": GPT3_PARAMS,
        "gpt3_training_tokens": GPT3_TRAINING_TOKENS,
        "token_mix_billions": float(load_token_mix()["tokens_billions"].sum()),
        "target_accuracy": config["target_accuracy"],
        "confidence_level": config["confidence_level"],
        "fits": fits,
        "skipped": [
            {"benchmark": benchmark, "setting": setting, "reason": _skip_reason(data, benchmark, setting, sizes)}
            for benchmark in config["benchmarks"]
            for setting in config["settings"]
            if (benchmark, setting) not in set(complete)
        ],
        "backtests": backtests,
        "aggregate": _aggregate(config, data, complete) if complete else None,
        "blog_chart": _blog_chart(data),
        "overshoot": overshoot,
        "compute_optimal": _compute_optimal(),
        "token_bend": chinchilla.loss_gain(config["backtest_largest"], max(sizes), GPT3_TRAINING_TOKENS),
        "requirements": _requirements(config),
    }
    return result, provenance(torch.device("cpu"))


def _series_fits(config: dict, data: pd.DataFrame, complete: list) -> tuple[list[dict], list[dict]]:
    """Each complete series' fits (every kind, with its class and quality)
    and back-tests; the crossings are added later (``_add_crossings``)."""
    sizes, level = config["model_sizes"], config["confidence_level"]
    fits, backtests = [], []
    for benchmark, setting in complete:
        rows = data[(data.benchmark == benchmark) & (data.setting == setting) & data.params.isin(sizes)].sort_values(
            "params"
        )
        chance = CHANCE[benchmark]
        classified = classify_series(rows.params, rows.accuracy, chance, level)
        quality = classified.pop("quality")
        for kind in FIT_KINDS:
            fitted = fit(kind, rows.params, rows.accuracy, chance, CEILING)
            fits.append(
                {
                    "benchmark": benchmark,
                    "setting": setting,
                    "class": classified,
                    "quality": quality[kind],
                    "params": [int(p) for p in rows.params],
                    "accuracy": [float(a) for a in rows.accuracy],
                    "fit": fitted.to_dict(),
                    "accuracy_at_gpt3": json_number(fitted.predict(GPT3_PARAMS)),
                    "params_for_target": None,
                    "params_for_shifted_target": None,
                }
            )
            backtests.append(
                {
                    "benchmark": benchmark,
                    "setting": setting,
                    **backtest_series(rows.params, rows.accuracy, chance, config["backtest_largest"], kind, level),
                }
            )
    return fits, backtests


def _add_crossings(fits: list[dict], overshoot: dict, config: dict) -> None:
    """Where each fit crosses the target. Only an adequate fit of a series
    that is not flat is extrapolated (classify_series); its crossing for the
    target plus the back-test's margin is where it gets there even after an
    overshoot as large as 9 in 10 back-tested fits made."""
    target = config["target_accuracy"]
    for entry in fits:
        if entry["class"]["class"] == "flat" or not entry["quality"]["adequate"]:
            continue
        fitted = Fit.from_dict(entry["fit"])
        needed = params_for_accuracy(
            fitted, target, config["uncertainty_samples"], config["seed"], config["confidence_level"]
        )
        entry["params_for_target"] = {key: json_number(value) for key, value in needed.items()}
        shifted = target + overshoot["selected"]
        if np.isfinite(shifted):
            if shifted < CEILING:  # a capped prediction never passes 100
                point = power_of_ten(fitted.solve_log10(fitted.coef, shifted)[0])
            else:
                point = math.inf
            entry["params_for_shifted_target"] = json_number(point)


def _aggregate(config: dict, data: pd.DataFrame, complete: list) -> dict:
    """The mean over the fitted series at each size, as Owen 2024's aggregate
    is a mean over tasks; its floor the mean chance; its back-tests."""
    table = (
        data[data.params.isin(config["model_sizes"]) & data.verified]
        .set_index(["benchmark", "setting"])
        .loc[complete]
        .reset_index()
    )
    mean = table.groupby("params")["accuracy"].mean().sort_index()
    chance = float(np.mean([CHANCE[b] for b, _ in complete]))
    return {
        "params": [int(p) for p in mean.index],
        "accuracy": [float(a) for a in mean],
        "chance": chance,
        "backtests": [
            backtest_series(
                mean.index, mean.values, chance, config["backtest_largest"], kind, config["confidence_level"]
            )
            for kind in FIT_KINDS
        ],
    }


def _requirements(config: dict) -> list[dict]:
    """The law's parameter count for Lipschitz 1, per token count and effective dimension."""
    rows = []
    for tokens in config["token_counts"]:
        for dimension in config["effective_dimensions"]:
            required = law.params_for_lipschitz(1.0, n=tokens, d=dimension)
            rows.append(
                {
                    "tokens": tokens,
                    "effective_dimension": dimension,
                    "required_params": required,
                    "ratio_to_gpt3": required / GPT3_PARAMS,
                }
            )
    return rows


def _blog_chart(data: pd.DataFrame) -> list[dict]:
    """The blog chart's series (the sizes it shows), as Table H.1 holds them."""
    chart = data[(data.benchmark == BLOG_CHART["benchmark"]) & data.params.isin(BLOG_CHART["sizes"])]
    return [
        {
            "setting": row.setting,
            "params": int(row.params),
            "accuracy": json_number(row.accuracy),
            "verified": bool(row.verified),
            "reading_a": json_number(row.reading_a),
        }
        for row in chart.sort_values(["setting", "params"]).itertuples()
    ]


def run(values: dict) -> list[dict]:
    """Validate, then load the one record of this config or compute and
    store it (seconds on a CPU). Returns the list of records every study's
    ``run`` returns, here of one: ``{key, study, version, config, result,
    provenance}`` (see ``gobig.core.store``)."""
    from gobig.core.store import ResultStore

    params = validate_parameters(values)
    return [ResultStore.for_params(STUDY, VERSION, params).load_or_compute(make_config(params), _compute)]


def default_record(results_dir=None) -> dict | None:
    """The committed record of the chapter's default parameters, or None
    when it is missing."""
    from gobig.core.sweep import profile_records
    from gobig.studies import gpt3

    records = profile_records(gpt3, DEFAULT_PROFILE, results_dir)
    return None if records is None else records[0]
