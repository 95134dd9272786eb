"""The capacity curve as a fit: accuracy against log10(parameters) with a
saturating (logistic) curve,

    acc(p) = plateau / (1 + exp(-rate * (log10 p - middle))),

its plateau, and the parameter count where it crosses a level (90%, 95%):
``log10 p = middle - ln(plateau / level - 1) / rate``, none when the plateau
is below the level. Intervals come from a bootstrap over seeds: each model
size's seeds are resampled with replacement and the curve refitted, so the
spread between seeds, not the fit's residuals, sets the interval. When the
accuracies are measured on the same test images for every model and their
per-example results are given (``masks``), each resample also draws the
images with replacement (one draw shared by every model, which keeps the
models' agreement on easy and hard images), so the finite test set's
sampling error is in the interval too. This is a
saturating form in the spirit of Bartoldson et al. (2024), who fit
robustness scaling with a plateau on CIFAR-10; it is not their exact form.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
from scipy.optimize import OptimizeWarning, curve_fit

#: Bootstrap resamples (percentile intervals at 95%).
RESAMPLES = 400


def logistic(log_params, plateau, rate, middle):
    return plateau / (1.0 + np.exp(-rate * (log_params - middle)))


def _fit(log_params: np.ndarray, accuracy: np.ndarray) -> tuple[float, float, float] | None:
    start = (min(1.0, accuracy.max() + 0.02), 2.0, float(np.median(log_params)))
    try:
        # The fit's covariance is not used (the bootstrap gives the intervals), so its warning is noise.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", OptimizeWarning)
            values, _ = curve_fit(
                logistic, log_params, accuracy, p0=start, bounds=([0.0, 0.01, 0.0], [1.0, 50.0, 12.0]), maxfev=20_000
            )
    except (RuntimeError, ValueError):
        return None
    return tuple(float(v) for v in values)


def crossing(plateau: float, rate: float, middle: float, level: float) -> float:
    """Parameters where the curve reaches ``level`` (inf if it never does)."""
    if plateau <= level:
        return math.inf
    return 10 ** (middle - math.log(plateau / level - 1.0) / rate)


def fit_capacity(runs: pd.DataFrame, column: str, levels=(0.90, 0.95), seed: int = 0, masks: str | None = None) -> dict:
    """Fit ``column`` (an accuracy) of ``runs`` (one row per model and seed,
    with ``num_params`` and ``seed``) against log10 parameters; return the
    fit, the crossings of ``levels``, and bootstrap intervals. Needs at
    least three model sizes. ``masks``: a column of per-example results
    (bool arrays, one length for every row, ``column`` their mean) to
    resample the test images too; ``result["resampled"]`` says what was."""
    data = runs[["num_params", "seed", column] + ([masks] if masks else [])].dropna()
    per_example = None
    if masks:
        per_example = np.stack([np.asarray(mask, dtype=bool) for mask in data[masks]])
        if not np.allclose(per_example.mean(axis=1), data[column].to_numpy(float)):
            raise ValueError(f"fit_capacity: the masks of {masks} are not the per-example results of {column}")
    sizes = sorted(data["num_params"].unique())
    if len(sizes) < 3:
        raise ValueError(f"fit_capacity: {column} needs at least 3 model sizes, got {len(sizes)}")
    log_params = np.log10(data["num_params"].to_numpy(float))
    best = _fit(log_params, data[column].to_numpy(float))
    if best is None:
        raise RuntimeError(f"fit_capacity: the logistic fit of {column} did not converge")
    positions = [np.flatnonzero(data["num_params"].to_numpy() == size) for size in sizes]
    generator = np.random.default_rng(seed)
    draws = []
    for _ in range(RESAMPLES):
        rows = np.concatenate([group[generator.integers(0, len(group), len(group))] for group in positions])
        if per_example is None:
            accuracy = data[column].to_numpy(float)[rows]
        else:
            images = generator.integers(0, per_example.shape[1], per_example.shape[1])
            accuracy = per_example[np.ix_(rows, images)].mean(axis=1)
        fitted = _fit(np.log10(data["num_params"].to_numpy(float)[rows]), accuracy)
        if fitted is not None:
            draws.append(fitted)
    draws = np.array(draws)
    result = {
        "column": column,
        "plateau": best[0],
        "rate": best[1],
        "middle": best[2],
        "resamples": len(draws),
        "resampled": "seeds and images" if per_example is not None else "seeds",
        "plateau_interval": tuple(np.percentile(draws[:, 0], [2.5, 97.5])) if len(draws) else (math.nan, math.nan),
    }
    for level in levels:
        at = [crossing(*row, level) for row in draws]
        result[f"cross_{level:g}"] = crossing(*best, level)
        # Share of resamples whose curve never reaches the level; the interval is over all resamples (inf included).
        result[f"cross_{level:g}_never"] = float(np.mean(np.isinf(at))) if at else math.nan
        # Order statistics, not interpolation: inf (never crosses) must stay inf.
        result[f"cross_{level:g}_interval"] = (
            (float(np.percentile(at, 2.5, method="lower")), float(np.percentile(at, 97.5, method="higher")))
            if at
            else (math.nan, math.nan)
        )
    return result
