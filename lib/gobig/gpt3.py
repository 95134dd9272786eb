"""Chapter 2's study: extrapolating GPT-3's accuracy, a back-test of that
extrapolation, the compute-optimal view of GPT-3's budget, and the law's
parameter arithmetic for GPT-3's training set.

The blog reads the 1.3B, 13B and 175B models of Brown et al. 2020
("Language Models are Few-Shot Learners", arXiv 2005.14165) as a trend and
argues that "at least another 3 orders of magnitude" of parameters would be
needed. This module holds the paper's Table H.1 at all eight sizes,
re-transcribed with a source and a verification per value (package data,
see ``load_accuracies``); two fits of accuracy against log10 parameters
with intervals; a stated rule that classifies each series as smooth,
emergent or flat before anything is extrapolated; the inversion "how many
parameters for a target accuracy"; a back-test (fit up to 13B, predict
175B) that measures how far such extrapolations miss and whether their
intervals hold; and the study API the chapter calls (``run`` and the
``*_frame`` helpers), after ``gobig.mnist``. The loss-law view is
``gobig.chinchilla``.

Everything is numpy: a fit is ordinary least squares on two coefficients,
and its uncertainty is the Student-t that OLS implies (with eight sizes,
six degrees of freedom; a residual bootstrap of eight points would
understate it).
"""

from __future__ import annotations

import hashlib
import math
import sys
from dataclasses import dataclass, field
from importlib import resources

import numpy as np
import pandas as pd

from gobig import law
from gobig import params as params_module
from gobig.params import ParameterError, Spec, validate

# ---- the paper's numbers -----------------------------------------------------

_DATA_PACKAGE = "gobig.data"
ACCURACY_FILE = "gpt3_accuracy.csv"
MODELS_FILE = "gpt3_models.csv"
TOKENS_FILE = "gpt3_tokens.csv"

#: Accuracy (percent) of guessing, per benchmark: the floor of the logistic
#: fit. Each is the benchmark's answer format:
CHANCE = {
    # predict a word or a free-form answer from the whole vocabulary: ~0
    "LAMBADA acc": 0.0,
    "TriviaQA": 0.0,
    "NaturalQuestions": 0.0,
    "WebQuestions": 0.0,
    # recover the word from its symbol-riddled spelling (Figure 1.2's task): ~0
    "Symbol Insertion": 0.0,
    # choose the right ending, answer or option among 4: 25
    "HellaSwag": 25.0,
    "ARC (Challenge)": 25.0,
    "ARC (Easy)": 25.0,
    "OpenBookQA": 25.0,
    "RACE-h": 25.0,
    "RACE-m": 25.0,
    # binary choices (two endings, referents, solutions, causes; yes/no;
    # entailment or not): 50
    "StoryCloze": 50.0,
    "Winograd": 50.0,
    "Winogrande": 50.0,
    "PIQA": 50.0,
    "BoolQ": 50.0,
    "COPA": 50.0,
    "RTE": 50.0,
    # average over SuperGLUE's tasks, most of them binary (BoolQ, COPA, RTE,
    # WiC, WSC; CB is 3-way, MultiRC and ReCoRD are scored otherwise): ~50,
    # a rough floor
    "SuperGLUE avg (dev)": 50.0,
}
#: Accuracy (percent) a perfect model would reach: the logistic fit's top.
CEILING = 100.0
SETTINGS = ("zero-shot", "one-shot", "few-shot")
#: The blog's chart: "3 versions of the GPT-3 model, one with 175B, one
#: with 13B and another with 1.3B parameters" that "didn't reach 70%".
#: Brown et al.'s Figure 1.2 shows exactly those three sizes, on the task
#: of removing random symbols from a word (Sec. 3.9.2), with and without a
#: task description, against the number of examples in context K. The
#: figure has no table; Table H.1's "Symbol Insertion" row and Table 3.10
#: give the same task at K = 0, 1 and 100 (zero-, one-, few-shot).
#: Figure 1.3, the ledger's old reading, is the 42-benchmark aggregate over
#: all eight sizes.
BLOG_CHART = {
    "figure": "Brown et al. 2020, Figure 1.2",
    "benchmark": "Symbol Insertion",
    "sizes": (1_300_000_000, 13_000_000_000, 175_000_000_000),
    "level": 70.0,
}

def _read_csv(name: str) -> pd.DataFrame:
    with resources.files(_DATA_PACKAGE).joinpath(name).open("r") as handle:
        return pd.read_csv(handle)


def load_accuracies() -> pd.DataFrame:
    """Brown et al. 2020's Table H.1 at all eight sizes, re-transcribed: one
    row per (benchmark, setting, size). Columns: benchmark, setting, params
    (int), accuracy (percent; NaN where not verified), verified (bool),
    reading_a and reading_b (the value in two independent transcriptions of
    Table H.1; reading_b NaN where B lacks the row), check (a third reading
    of the same number: the body tables 3.2-3.10 at 175B, or a third
    transcription for BoolQ), source (the tables it comes from) and note.

    A value is verified when two readings agree; ``accuracy`` holds only
    verified values, so nothing unverified reaches a fit. Which readings
    they are is said in the chapter (section "The table")."""
    frame = _read_csv(ACCURACY_FILE)
    return frame.astype({"params": "int64", "accuracy": "float64", "verified": "bool", "reading_a": "float64", "reading_b": "float64", "check": "float64"})


def load_models() -> pd.DataFrame:
    """Brown et al. 2020 Table 2.1: the eight GPT-3 sizes, all trained on
    300B tokens. Columns: name, params (int), training_tokens (int)."""
    return _read_csv(MODELS_FILE).astype({"params": "int64", "training_tokens": "int64"})


def load_token_mix() -> pd.DataFrame:
    """Brown et al. 2020 Table 2.2: tokens per data set (billions; Common
    Crawl after filtering), 499B in all: the blog's "~500B". Columns:
    dataset, tokens_billions."""
    return _read_csv(TOKENS_FILE).astype({"tokens_billions": "float64"})


def data_sha256() -> str:
    """Checksum of the accuracy table: part of the study's config, so an
    edited table never reuses a stale record."""
    content = resources.files(_DATA_PACKAGE).joinpath(ACCURACY_FILE).read_bytes()
    return hashlib.sha256(content.replace(b"\r\n", b"\n")).hexdigest()  # the same on a CRLF checkout


# ---- fits -------------------------------------------------------------------

FIT_KINDS = ("log-linear", "logistic")
#: Shares of the way from chance to ceiling are clipped into this open
#: interval before the logit, so a point at (or past) chance or ceiling has
#: a finite logit.
SHARE_CLIP = 1e-4


def _sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(z, dtype=float)))  # overflow-free form of 1 / (1 + exp(-z))


def _logit(share):
    share = np.asarray(share, dtype=float)
    return np.log(share) - np.log1p(-share)


def _to_generator(rng) -> np.random.Generator:
    return np.random.default_rng(rng)


@dataclass(eq=False)
class Fit:
    """A straight line ``y = intercept + slope * log10(params)`` fitted by OLS.

    ``kind`` says what ``y`` is: for ``"log-linear"`` it is the accuracy in
    percent (the slope is points per decade of parameters); for
    ``"logistic"`` it is the logit of the share of the way from ``chance``
    to ``ceiling``, so that accuracy = chance + (ceiling - chance) *
    sigmoid(k * (log10 p - x0)) with ``k = slope`` and ``x0 = -intercept /
    slope``. ``cov`` is the OLS covariance of ``coef`` (NaN with 2 points),
    ``dof`` = points - 2, and ``residual_std`` is in ``y``'s units (logit
    units for the logistic fit). ``log10_params`` are the fitted sizes.
    """

    kind: str
    coef: np.ndarray
    cov: np.ndarray
    dof: int
    residual_std: float
    chance: float | None = None
    ceiling: float | None = None
    log10_params: np.ndarray = field(default_factory=lambda: np.array([]))

    def __post_init__(self):
        if self.kind not in FIT_KINDS:
            raise ValueError(f"kind must be one of {', '.join(FIT_KINDS)}; got {self.kind!r}")
        self.coef = np.asarray(self.coef, dtype=float).reshape(2)
        self.cov = np.asarray(self.cov, dtype=float).reshape(2, 2)
        self.log10_params = np.asarray(self.log10_params, dtype=float)

    @property
    def intercept(self) -> float:
        return float(self.coef[0])

    @property
    def slope(self) -> float:
        return float(self.coef[1])

    @property
    def x0(self) -> float:
        """log10 params where the logistic curve is halfway from chance to
        ceiling (NaN for the log-linear fit or a zero slope)."""
        if self.kind != "logistic" or self.slope == 0:
            return math.nan
        return -self.intercept / self.slope

    def _curve(self, coef: np.ndarray, log10_params) -> np.ndarray:
        """Accuracy for one or many coefficient pairs (``coef[..., 0]``,
        ``coef[..., 1]``) at ``log10_params`` (broadcast)."""
        coef = np.asarray(coef, dtype=float)
        linear = coef[..., 0] + coef[..., 1] * np.asarray(log10_params, dtype=float)
        if self.kind == "log-linear":
            return linear
        return self.chance + (self.ceiling - self.chance) * _sigmoid(linear)

    def predict(self, params):
        """Fitted accuracy (percent) at ``params`` (scalar or array). The
        log-linear line is unbounded and can pass 100."""
        result = self._curve(self.coef, np.log10(np.asarray(params, dtype=float)))
        return float(result) if np.ndim(result) == 0 else result

    def sample_coefficients(self, n: int, rng=None) -> np.ndarray:
        """``n`` coefficient pairs from the multivariate Student-t the OLS fit
        implies: ``coef + z / sqrt(w)`` with ``z ~ N(0, cov)`` and ``w ~
        chi2(dof) / dof``. Shape ``(n, 2)``. ``rng``: a numpy Generator or a
        seed."""
        if self.dof < 1:
            raise ValueError(f"no uncertainty can be estimated from {self.log10_params.size or 2} points: a 2-coefficient fit needs at least 3 points (dof = {self.dof})")
        generator = _to_generator(rng)
        eigenvalues, eigenvectors = np.linalg.eigh(self.cov)
        # Square root of the (possibly singular, e.g. noiseless) covariance.
        root = eigenvectors * np.sqrt(np.clip(eigenvalues, 0.0, None))
        normal = generator.standard_normal((n, 2)) @ root.T
        scale = np.sqrt(generator.chisquare(self.dof, n) / self.dof)
        return self.coef + normal / scale[:, None]

    def _target_value(self, target: float) -> float:
        """``target`` accuracy in the fit's ``y`` units; +inf when the
        logistic curve can never reach it (at or beyond chance or ceiling)."""
        if self.kind == "log-linear":
            return float(target)
        if target >= self.ceiling or target <= self.chance:
            return math.inf
        return float(_logit((target - self.chance) / (self.ceiling - self.chance)))

    def _solve_log10(self, coef: np.ndarray, target: float) -> np.ndarray:
        """log10 params where each coefficient pair reaches ``target``; +inf
        where it never does. A pair with slope <= 0 never rises, so a target
        above its value at the largest fitted size is unreachable."""
        coef = np.atleast_2d(np.asarray(coef, dtype=float))
        intercept, slope = coef[:, 0], coef[:, 1]
        wanted = self._target_value(target)
        if math.isinf(wanted):
            return np.full(len(coef), math.inf)
        largest = self.log10_params.max() if self.log10_params.size else 0.0
        at_largest = intercept + slope * largest
        with np.errstate(divide="ignore", invalid="ignore"):
            solved = (wanted - intercept) / slope
        solved = np.where(slope > 0, solved, np.where(wanted > at_largest, math.inf, np.where(slope < 0, solved, largest)))
        return solved

    def intervals(self, params, level: float = 0.9) -> dict:
        """Point prediction and two central ``level`` intervals at ``params``
        (OLS, Student-t with ``dof`` degrees of freedom), mapped to accuracy:
        ``band`` for the fitted curve itself (what ``extrapolation_band``
        draws) and ``prediction`` for a new observation there (the curve's
        uncertainty plus the scatter of the points about it, ``residual_std``).
        A new benchmark value should fall inside ``prediction`` at the stated
        rate if the fit's assumptions hold; the back-test checks that."""
        from scipy import stats

        if self.dof < 1:
            raise ValueError(f"no interval from {self.log10_params.size or 2} points: a 2-coefficient fit needs at least 3 (dof = {self.dof})")
        x = np.log10(np.atleast_1d(np.asarray(params, dtype=float)))
        design = np.column_stack([np.ones_like(x), x])
        centre = design @ self.coef
        var_curve = np.einsum("ij,jk,ik->i", design, self.cov, design)
        half = stats.t.ppf(0.5 + level / 2.0, self.dof)
        spread_curve = half * np.sqrt(var_curve)
        spread_new = half * np.sqrt(var_curve + self.residual_std**2)

        def accuracy(y):  # the fit's y units (accuracy or logit of the share) to accuracy
            return y if self.kind == "log-linear" else self.chance + (self.ceiling - self.chance) * _sigmoid(y)

        return {
            "point": accuracy(centre),
            "band_low": accuracy(centre - spread_curve),
            "band_high": accuracy(centre + spread_curve),
            "prediction_low": accuracy(centre - spread_new),
            "prediction_high": accuracy(centre + spread_new),
        }

    def to_dict(self) -> dict:
        """JSON-safe form (see ``json_number``); ``Fit.from_dict`` inverts it."""
        out = {
            "kind": self.kind,
            "intercept": json_number(self.intercept),
            "slope": json_number(self.slope),
            "cov": [[json_number(v) for v in row] for row in self.cov],
            "dof": int(self.dof),
            "residual_std": json_number(self.residual_std),
            "chance": None if self.chance is None else float(self.chance),
            "ceiling": None if self.ceiling is None else float(self.ceiling),
            "log10_params": [float(v) for v in self.log10_params],
        }
        if self.kind == "logistic":
            out["k"] = json_number(self.slope)
            out["x0"] = json_number(self.x0)
        return out

    @classmethod
    def from_dict(cls, data: dict) -> "Fit":
        return cls(
            kind=data["kind"],
            coef=[from_json_number(data["intercept"]), from_json_number(data["slope"])],
            cov=[[from_json_number(v) for v in row] for row in data["cov"]],
            dof=data["dof"],
            residual_std=from_json_number(data["residual_std"]),
            chance=data["chance"],
            ceiling=data["ceiling"],
            log10_params=data["log10_params"],
        )


def _ols(log10_params: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray, int, float]:
    if log10_params.shape != values.shape or log10_params.ndim != 1:
        raise ValueError("params and accuracy must be 1-d and of equal length")
    if np.unique(log10_params).size < 2:
        raise ValueError("a fit needs at least 2 distinct parameter counts")
    if not (np.isfinite(log10_params).all() and np.isfinite(values).all()):
        raise ValueError("params must be positive and accuracies finite")
    design = np.column_stack([np.ones_like(log10_params), log10_params])
    coef, *_ = np.linalg.lstsq(design, values, rcond=None)
    residuals = values - design @ coef
    dof = len(values) - 2
    if dof == 0:
        return coef, np.full((2, 2), math.nan), 0, math.nan
    variance = float(residuals @ residuals) / dof
    return coef, variance * np.linalg.inv(design.T @ design), dof, math.sqrt(variance)


def _log10_params(params) -> np.ndarray:
    params = np.asarray(params, dtype=float)
    if (params <= 0).any():
        raise ValueError("params must be positive")
    return np.log10(params)


def fit_log_linear(params, accuracy) -> Fit:
    """OLS of accuracy (percent) on log10(params): ``a + b * log10 p``, the
    straight line through a semi-log plot such as the blog's."""
    x = _log10_params(params)
    coef, cov, dof, residual_std = _ols(x, np.asarray(accuracy, dtype=float))
    return Fit("log-linear", coef, cov, dof, residual_std, None, None, x)


def fit_logistic(params, accuracy, chance: float, ceiling: float = CEILING) -> Fit:
    """The saturating fit ``accuracy = chance + (ceiling - chance) *
    sigmoid(k * (log10 p - x0))``, by OLS of ``logit(share)`` on log10(p)
    where ``share = (accuracy - chance) / (ceiling - chance)``. Shares are
    clipped into ``(SHARE_CLIP, 1 - SHARE_CLIP)`` = (1e-4, 1 - 1e-4) first,
    so points at or past chance or ceiling stay finite (and pull the fit
    less than they would unclipped). Coefficients are (intercept, slope) in
    logit space: ``k = slope``, ``x0 = -intercept / slope``. Least squares
    in logit space weights points near chance or ceiling more than OLS on
    accuracy would; with three points this is the fit we can afford."""
    if not ceiling > chance:
        raise ValueError(f"ceiling ({ceiling}) must be above chance ({chance})")
    x = _log10_params(params)
    share = (np.asarray(accuracy, dtype=float) - chance) / (ceiling - chance)
    share = np.clip(share, SHARE_CLIP, 1.0 - SHARE_CLIP)
    coef, cov, dof, residual_std = _ols(x, _logit(share))
    return Fit("logistic", coef, cov, dof, residual_std, float(chance), float(ceiling), x)


def fit(kind: str, params, accuracy, chance: float = 0.0, ceiling: float = CEILING) -> Fit:
    """``fit_log_linear`` or ``fit_logistic`` by name (``FIT_KINDS``)."""
    if kind == "log-linear":
        return fit_log_linear(params, accuracy)
    if kind == "logistic":
        return fit_logistic(params, accuracy, chance, ceiling)
    raise ValueError(f"kind must be one of {', '.join(FIT_KINDS)}; got {kind!r}")


def _power10(log10_value: float) -> float:
    with np.errstate(over="ignore"):
        return float(np.power(10.0, log10_value))


#: Farther than this many decades beyond the largest fitted size, an upper
#: end is an artefact of slopes near zero (1e50 parameters), not a bound:
#: it is reported as "no finite bound".
MEANINGFUL_DECADES = 10.0


def params_for_accuracy(fit: Fit, target: float, n_samples: int = 20000, seed: int = 0, level: float = 0.9) -> dict:
    """Parameter count at which ``fit`` reaches ``target`` accuracy
    (percent), with a central ``level`` interval over coefficients drawn by
    ``Fit.sample_coefficients``: the percentiles of each draw's log10 p*.

    Returns ``{target, point, low, high, share_unreachable}`` (counts, not
    logs). Unreachable is +inf: for the logistic fit every draw when target
    >= ceiling or <= chance; and any draw whose slope is <= 0 while the
    target is above its value at the largest fitted size. When more than
    ``(1 - level) / 2`` of the draws are unreachable, or have a slope <= 0
    (the slope's own interval reaches zero), or when it lies more than
    ``MEANINGFUL_DECADES`` beyond the largest fitted size, ``high`` is inf:
    no finite bound.
    Counts past 1e308 are inf too (computed in log10, so nothing overflows
    on the way)."""
    if not 0 < level < 1:
        raise ValueError("level must be in (0, 1)")
    point = fit._solve_log10(fit.coef, target)[0]
    samples = fit.sample_coefficients(n_samples, seed)
    solved = fit._solve_log10(samples, target)
    unreachable = np.isposinf(solved)
    tail = (1.0 - level) / 2.0
    # inverted_cdf picks sample values (no interpolation), so inf never mixes with finite values.
    low, high = np.quantile(solved, [tail, 1.0 - tail], method="inverted_cdf")
    # A slope interval that reaches zero has no meaningful upper end: slopes
    # near zero put the target at any size at all (1e61 parameters is such
    # a number, not a bound), so the upper end is "no finite bound" (inf).
    largest = fit.log10_params.max() if fit.log10_params.size else 0.0
    if unreachable.mean() > tail or (samples[:, 1] <= 0).mean() > tail or high > largest + MEANINGFUL_DECADES:
        high = math.inf
    return {
        "target": float(target),
        "point": _power10(point),
        "low": _power10(low),
        "high": _power10(high),
        "share_unreachable": float(unreachable.mean()),
    }


def extrapolation_band(fit: Fit, params_grid, level: float = 0.9, n_samples: int = 20000, seed: int = 0) -> pd.DataFrame:
    """Fitted accuracy over ``params_grid`` with a central ``level`` band
    from the same coefficient draws as ``params_for_accuracy`` (pointwise
    percentiles). Columns: params, point, low, high (percent; the
    log-linear band is not clipped to [0, 100])."""
    grid = np.asarray(params_grid, dtype=float).ravel()
    x = np.log10(grid)
    samples = fit.sample_coefficients(n_samples, seed)
    curves = fit._curve(samples[:, None, :], x[None, :])
    tail = (1.0 - level) / 2.0
    low, high = np.quantile(curves, [tail, 1.0 - tail], axis=0)
    return pd.DataFrame({"params": grid, "point": fit._curve(fit.coef, x), "low": low, "high": high})


# ---- smooth or emergent ---------------------------------------------------------

#: The classification rule, after Wei et al. 2022's description of emergent
#: abilities ("near-random until a certain critical threshold of scale is
#: reached, after which performance increases to substantially above
#: random"). On the sizes of a fit, with gain = accuracy - chance:
#: "flat" when the gain at the largest size is below FLAT_GAIN points (no
#: rise to extrapolate); "emergent" when the mean gain over the smaller
#: half of the sizes is below EMERGENT_SHARE of the gain at the largest
#: size (near chance, then the rise); else "smooth". On the verified series
#: the shares fall either below 0.05 or above 0.15, so any threshold in
#: between classifies them alike (tests/test_gpt3.py checks both).
FLAT_GAIN = 10.0
EMERGENT_SHARE = 0.10
CLASSES = ("smooth", "emergent", "flat")


def classify_series(params, accuracy, chance: float) -> dict:
    """``{"class", "early_gain", "top_gain", "share"}`` of one series by the
    rule above (sizes sorted here). Only a "smooth" series is extrapolated:
    an emergent one says nothing about where its rise goes next, and a flat
    one has no rise."""
    order = np.argsort(np.asarray(params, dtype=float))
    gain = np.asarray(accuracy, dtype=float)[order] - chance
    if gain.size < 3:
        raise ValueError("classifying a series needs at least 3 sizes")
    early = float(gain[: gain.size // 2].mean())
    top = float(gain[-1])
    share = early / top if top > 0 else math.nan
    if top < FLAT_GAIN:
        kind = "flat"
    elif share < EMERGENT_SHARE:
        kind = "emergent"
    else:
        kind = "smooth"
    return {"class": kind, "early_gain": early, "top_gain": top, "share": share}


# ---- back-test ----------------------------------------------------------------

#: Published back-tests of benchmark extrapolation to set ours beside:
#: Owen 2024, "How predictable is language model benchmark performance?"
#: (arXiv 2401.04757), abstract: extrapolating one order of magnitude of
#: compute, BIG-Bench Hard's aggregate is off by 6 percentage points on
#: average, individual BIG-Bench tasks by 18.
OWEN_2024 = {"aggregate_mae": 6.0, "task_mae": 18.0, "span": "one order of magnitude of compute", "source": "Owen 2024 (arXiv 2401.04757), abstract"}


def backtest_series(params, accuracy, chance: float, largest_fitted: float, kind: str, level: float = 0.9) -> dict:
    """Fit ``kind`` on the sizes up to ``largest_fitted`` and predict the
    largest size: the point, its ``level`` band (the curve's interval) and
    prediction interval (a new value's), the actual value, the error
    (predicted - actual, points) and whether each interval holds it. The
    class is the one the fitted sizes alone would give."""
    params = np.asarray(params, dtype=float)
    accuracy = np.asarray(accuracy, dtype=float)
    train = params <= largest_fitted
    target = int(np.argmax(params))
    if train.sum() < 3 or params[target] <= largest_fitted:
        raise ValueError(f"a back-test needs 3 or more sizes up to {largest_fitted:.3g} and a larger one to predict")
    fitted = fit(kind, params[train], accuracy[train], chance, CEILING)
    out = fitted.intervals(params[target], level)
    actual = float(accuracy[target])
    point = float(out["point"][0])
    return {
        "kind": kind,
        "class": classify_series(params[train], accuracy[train], chance)["class"],
        "fitted_sizes": int(train.sum()),
        "predicted_size": float(params[target]),
        "actual": actual,
        "predicted": point,
        "band_low": float(out["band_low"][0]),
        "band_high": float(out["band_high"][0]),
        "prediction_low": float(out["prediction_low"][0]),
        "prediction_high": float(out["prediction_high"][0]),
        "error": point - actual,
        "in_band": bool(out["band_low"][0] <= actual <= out["band_high"][0]),
        "in_prediction": bool(out["prediction_low"][0] <= actual <= out["prediction_high"][0]),
    }


def clopper_pearson(successes: int, trials: int, level: float = 0.9) -> tuple[float, float]:
    """Exact central ``level`` interval of a rate (Clopper-Pearson)."""
    from scipy import stats

    if trials <= 0:
        return math.nan, math.nan
    tail = (1.0 - level) / 2.0
    low = 0.0 if successes == 0 else float(stats.beta.ppf(tail, successes, trials - successes + 1))
    high = 1.0 if successes == trials else float(stats.beta.ppf(1.0 - tail, successes + 1, trials - successes))
    return low, high


def cluster_bootstrap_mean(values, clusters, n: int = 10000, seed: int = 0, level: float = 0.9) -> tuple[float, float]:
    """Percentile interval of the mean of ``values`` resampling whole
    ``clusters`` (benchmarks): the zero-, one- and few-shot series of one
    benchmark move together, so they are resampled together."""
    values = np.asarray(values, dtype=float)
    clusters = np.asarray(clusters)
    names = np.unique(clusters)
    if names.size < 2:
        return math.nan, math.nan
    members = [np.flatnonzero(clusters == name) for name in names]
    sums = np.array([values[m].sum() for m in members])
    counts = np.array([m.size for m in members])
    draws = _to_generator(seed).integers(0, names.size, size=(n, names.size))
    means = sums[draws].sum(axis=1) / counts[draws].sum(axis=1)
    tail = (1.0 - level) / 2.0
    low, high = np.quantile(means, [tail, 1.0 - tail])
    return float(low), float(high)


# ---- JSON-safe numbers --------------------------------------------------------


def json_number(value) -> float | str | None:
    """Records hold plain JSON: +inf is stored as the string ``"inf"`` (an
    unreachable target), -inf as ``"-inf"``, NaN as ``None``."""
    value = float(value)
    if math.isnan(value):
        return None
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return value


def from_json_number(value) -> float:
    """Inverse of ``json_number``: ``"inf"`` -> inf, ``None`` -> NaN."""
    return math.nan if value is None else float(value)  # float("inf") is inf


# ---- the study ----------------------------------------------------------------

STUDY = "gpt3"
#: Bump when a change alters what a record means.
VERSION = 2
#: The profile whose values are the chapter's defaults (data: profiles/defaults.yaml).
DEFAULT_PROFILE = params_module.default_profile(STUDY)
#: GPT-3's size and training tokens (Table 2.1), the yardstick of the claims.
GPT3_PARAMS = 175_000_000_000
GPT3_TRAINING_TOKENS = 300_000_000_000

_ACCURACIES = load_accuracies()
BENCHMARKS = tuple(_ACCURACIES["benchmark"].drop_duplicates())
MODEL_SIZES = tuple(int(p) for p in sorted(_ACCURACIES["params"].unique()))

PARAMETERS = {
    "TOKEN_COUNTS": Spec(float, "training-set sizes n in tokens for the law's n*d (300e9 trained on, 499e9 available)", is_list=True, above=0),
    "EFFECTIVE_DIMENSIONS": Spec(float, "effective dimensions d for the law's n*d", is_list=True, above=0),
    "TARGET_ACCURACY": Spec(float, "accuracy (percent) whose parameter count the fits extrapolate to", above=0, maximum=100),
    "BENCHMARKS": Spec(str, "benchmarks to fit (series with an unverified value at a chosen size are skipped)", is_list=True, allowed=BENCHMARKS),
    "SETTINGS": Spec(str, "zero-shot, one-shot and/or few-shot", is_list=True, allowed=SETTINGS),
    # A number type so 1.3e9 and 1_300_000_000 both pass; stored as ints.
    "MODEL_SIZES": Spec(float, "model sizes (parameters) to fit on; at least 3", is_list=True, allowed=MODEL_SIZES),
    "BACKTEST_LARGEST": Spec(float, "the back-test fits the sizes up to this one and predicts the largest of MODEL_SIZES", allowed=MODEL_SIZES),
    "CONFIDENCE_LEVEL": Spec(float, "central probability of the intervals", above=0, maximum=1),
    "UNCERTAINTY_SAMPLES": Spec(int, "coefficient draws for the intervals", minimum=100, maximum=10_000_000),
    "SEED": Spec(int, "seed of the coefficient draws", minimum=0),
    "RESULTS_DIR": Spec(str, "folder for result records (None: gobig.paths.results_dir())", optional=True),
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
        raise ParameterError(f"BENCHMARKS: none of {params['BENCHMARKS']} has verified accuracies in SETTINGS {params['SETTINGS']} for every size in MODEL_SIZES")
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
    from gobig import chinchilla

    def plain(view):
        return {key: float(value) for key, value in view.items()}

    hoffmann = plain(chinchilla.budget_view(chinchilla.HOFFMANN_2022, GPT3_PARAMS, GPT3_TRAINING_TOKENS))
    refit = plain(chinchilla.budget_view(chinchilla.BESIROGLU_2024, GPT3_PARAMS, GPT3_TRAINING_TOKENS))
    draws = chinchilla.budget_view(chinchilla.refit_draws(20000, 0), GPT3_PARAMS, GPT3_TRAINING_TOKENS)
    spread = {key: [float(v) for v in np.quantile(np.broadcast_to(value, (20000,)), [0.05, 0.95])] for key, value in draws.items()}
    return {"hoffmann": hoffmann, "besiroglu": refit, "besiroglu_90": spread}


def _compute(config: dict) -> tuple[dict, dict]:
    import torch

    from gobig.runtime import provenance

    data = load_accuracies()
    sizes = config["model_sizes"]
    level = config["confidence_level"]
    fits, backtests = [], []
    complete = series_with_data(config["benchmarks"], config["settings"], sizes)
    for benchmark, setting in complete:
        rows = data[(data.benchmark == benchmark) & (data.setting == setting) & data.params.isin(sizes)].sort_values("params")
        chance = CHANCE[benchmark]
        classified = classify_series(rows.params, rows.accuracy, chance)
        for kind in FIT_KINDS:
            fitted = fit(kind, rows.params, rows.accuracy, chance, CEILING)
            # Only a smooth series is extrapolated (classify_series).
            needed = None
            if classified["class"] == "smooth":
                needed = params_for_accuracy(fitted, config["target_accuracy"], config["uncertainty_samples"], config["seed"], level)
            fits.append(
                {
                    "benchmark": benchmark,
                    "setting": setting,
                    "class": classified,
                    "params": [int(p) for p in rows.params],
                    "accuracy": [float(a) for a in rows.accuracy],
                    "fit": fitted.to_dict(),
                    "accuracy_at_gpt3": json_number(fitted.predict(GPT3_PARAMS)),
                    "params_for_target": None if needed is None else {key: json_number(value) for key, value in needed.items()},
                }
            )
            backtests.append({"benchmark": benchmark, "setting": setting, **backtest_series(rows.params, rows.accuracy, chance, config["backtest_largest"], kind, level)})
    # The aggregate: the mean over the fitted series at each size, as Owen
    # 2024's aggregate is a mean over tasks; its floor the mean chance.
    aggregate = None
    if complete:
        table = data[data.params.isin(sizes) & data.verified].set_index(["benchmark", "setting"]).loc[complete].reset_index()
        mean = table.groupby("params")["accuracy"].mean().sort_index()
        chance = float(np.mean([CHANCE[b] for b, _ in complete]))
        aggregate = {
            "params": [int(p) for p in mean.index],
            "accuracy": [float(a) for a in mean],
            "chance": chance,
            "backtests": [backtest_series(mean.index, mean.values, chance, config["backtest_largest"], kind, level) for kind in FIT_KINDS],
        }
    skipped = [
        {"benchmark": benchmark, "setting": setting, "reason": _skip_reason(data, benchmark, setting, sizes)}
        for benchmark in config["benchmarks"]
        for setting in config["settings"]
        if (benchmark, setting) not in set(complete)
    ]
    requirements = []
    for tokens in config["token_counts"]:
        for dimension in config["effective_dimensions"]:
            required = law.params_for_lipschitz(1.0, n=tokens, d=dimension)
            requirements.append({"tokens": tokens, "effective_dimension": dimension, "required_params": required, "ratio_to_gpt3": required / GPT3_PARAMS})
    chart = data[(data.benchmark == BLOG_CHART["benchmark"]) & data.params.isin(BLOG_CHART["sizes"])]
    result = {
        "gpt3_params": GPT3_PARAMS,
        "gpt3_training_tokens": GPT3_TRAINING_TOKENS,
        "token_mix_billions": float(load_token_mix()["tokens_billions"].sum()),
        "target_accuracy": config["target_accuracy"],
        "confidence_level": level,
        "fits": fits,
        "skipped": skipped,
        "backtests": backtests,
        "aggregate": aggregate,
        "blog_chart": [
            {"setting": row.setting, "params": int(row.params), "accuracy": json_number(row.accuracy), "verified": bool(row.verified), "reading_a": json_number(row.reading_a)}
            for row in chart.sort_values(["setting", "params"]).itertuples()
        ],
        "compute_optimal": _compute_optimal(),
        "requirements": requirements,
    }
    return result, provenance(torch.device("cpu"))


def run(values: dict) -> dict:
    """Validate, then load the one record of this config or compute and
    store it (seconds on a CPU). Returns the record: ``{key, study,
    version, config, result, provenance}`` (see ``gobig.store``)."""
    from gobig.store import ResultStore

    params = validate_parameters(values)
    return ResultStore.for_params(STUDY, VERSION, params).load_or_compute(make_config(params), _compute)


def default_record(results_dir=None) -> dict | None:
    """The committed record of the chapter's default parameters, or None
    when it is missing."""
    from gobig.sweep import profile_records

    records = profile_records(sys.modules[__name__], DEFAULT_PROFILE, results_dir)
    return None if records is None else records[0]


# ---- tables for the chapter ------------------------------------------------


def _decades(value: float) -> str:
    """Signed decades with one decimal; -0.0 reads 0.0."""
    if not np.isfinite(value):
        return "no finite bound" if value > 0 else "–"
    return f"{round(value, 1) + 0.0:+.1f}"


def _count(value: float) -> str:
    """A parameter count, or "no finite bound" for an interval without a
    meaningful upper end (inf), or "–" where nothing was extrapolated."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return "no finite bound" if math.isinf(value) else f"{value:.2g}"


#: plotting.table formats for fits_frame's columns.
FIT_FORMATS = {
    "fitted_at_175B": "{:.1f}",
    "params_needed": _count,
    "params_low": _count,
    "params_high": _count,
    "decades_beyond_gpt3": _decades,
    "share": "{:.2f}",
}


def table_frame(sizes=MODEL_SIZES) -> pd.DataFrame:
    """The re-transcribed table, one row per benchmark and setting: the
    verified accuracy at each size (NaN: not verified), the count of
    verified sizes, and the sources."""
    data = load_accuracies()
    wide = data.pivot_table(index=["benchmark", "setting"], columns="params", values="accuracy", sort=False, dropna=False)
    wide = wide.reindex(columns=list(sizes))
    wide.columns = [f"{p / 1e9:g}B" for p in wide.columns]
    meta = data.groupby(["benchmark", "setting"], sort=False).agg(verified=("verified", "sum"), source=("source", lambda s: "; ".join(dict.fromkeys("; ".join(s).split("; ")))))
    return wide.join(meta).reset_index()


def changed_rows(old: pd.DataFrame) -> pd.DataFrame:
    """Rows of an earlier accuracy table whose value the re-transcription
    changes: benchmark, setting, params, old, new (NaN: not verified)."""
    new = load_accuracies().set_index(["benchmark", "setting", "params"])["accuracy"]
    rows = []
    for row in old.itertuples():
        value = new.get((row.benchmark, row.setting, int(row.params)), math.nan)
        if not (value == row.accuracy):
            rows.append({"benchmark": row.benchmark, "setting": row.setting, "params": int(row.params), "old": float(row.accuracy), "new": float(value)})
    return pd.DataFrame(rows, columns=["benchmark", "setting", "params", "old", "new"])


def fit_from_record(record: dict, benchmark: str, setting: str, kind: str) -> Fit:
    """The stored ``Fit`` of one series, e.g. for ``extrapolation_band``."""
    for entry in record["result"]["fits"]:
        if (entry["benchmark"], entry["setting"], entry["fit"]["kind"]) == (benchmark, setting, kind):
            return Fit.from_dict(entry["fit"])
    raise KeyError(f"no {kind} fit of {benchmark} {setting} in this record")


def fits_frame(record: dict) -> pd.DataFrame:
    """One row per (benchmark, setting, kind). ``class`` and ``share`` are
    ``classify_series``'s; ``slope`` is accuracy points per decade
    (log-linear) or logit units per decade (logistic, = k);
    ``midpoint_params`` = 10**x0 for the logistic fit. The ``params_*``
    columns are parameter counts for the target accuracy (NaN where the
    series is not smooth and so not extrapolated, inf: no finite bound);
    ``decades_beyond_gpt3`` = log10(params_needed / 175e9)."""
    rows = []
    for entry in record["result"]["fits"]:
        fitted, needed = entry["fit"], entry["params_for_target"] or {}
        params_needed = from_json_number(needed.get("point"))
        x0 = from_json_number(fitted.get("x0"))
        rows.append(
            {
                "benchmark": entry["benchmark"],
                "setting": entry["setting"],
                "kind": fitted["kind"],
                "class": entry["class"]["class"],
                "share": entry["class"]["share"],
                "chance": from_json_number(fitted["chance"]),
                "ceiling": from_json_number(fitted["ceiling"]),
                "intercept": from_json_number(fitted["intercept"]),
                "slope": from_json_number(fitted["slope"]),
                "midpoint_params": _power10(x0) if np.isfinite(x0) else math.nan,
                "residual_std": from_json_number(fitted["residual_std"]),
                "dof": fitted["dof"],
                "accuracy_at_gpt3": from_json_number(entry["accuracy_at_gpt3"]),
                "target": record["result"]["target_accuracy"],
                "params_needed": params_needed,
                "params_low": from_json_number(needed.get("low")),
                "params_high": from_json_number(needed.get("high")),
                "share_unreachable": from_json_number(needed.get("share_unreachable")),
                "decades_beyond_gpt3": math.log10(params_needed / record["result"]["gpt3_params"]) if params_needed > 0 else (math.nan if math.isnan(params_needed) else -math.inf),
            }
        )
    return pd.DataFrame(rows)


def requirements_frame(record: dict) -> pd.DataFrame:
    """The law's smooth-interpolation count n*d for each (tokens, effective
    dimension): columns tokens, effective_dimension, required_params,
    ratio_to_gpt3, decades_beyond_gpt3."""
    frame = pd.DataFrame(record["result"]["requirements"], columns=["tokens", "effective_dimension", "required_params", "ratio_to_gpt3"])
    frame["decades_beyond_gpt3"] = np.log10(frame["ratio_to_gpt3"])
    return frame



def observations_frame(record: dict) -> pd.DataFrame:
    """The accuracies the record's fits used: benchmark, setting, params,
    accuracy, class (one row per point)."""
    rows = {}
    for entry in record["result"]["fits"]:
        for params, accuracy in zip(entry["params"], entry["accuracy"]):
            rows[(entry["benchmark"], entry["setting"], params)] = {"benchmark": entry["benchmark"], "setting": entry["setting"], "params": params, "accuracy": accuracy, "class": entry["class"]["class"]}
    return pd.DataFrame(list(rows.values()), columns=["benchmark", "setting", "params", "accuracy", "class"])


def lacking_fits(record: dict) -> pd.DataFrame:
    """The fits of the benchmark/settings whose *published* 175B accuracy is
    below the target: what, in the blog's words, GPT-3 lacks."""
    observed = observations_frame(record)
    at_gpt3 = observed[observed.params == record["result"]["gpt3_params"]]
    below = at_gpt3[at_gpt3.accuracy < record["result"]["target_accuracy"]][["benchmark", "setting"]]
    return fits_frame(record).merge(below, on=["benchmark", "setting"])


def backtest_frame(record: dict) -> pd.DataFrame:
    """One row per (series, kind) of the back-test (``backtest_series``):
    predicted and actual accuracy at the largest size, the error and
    whether each interval holds the actual value."""
    return pd.DataFrame(record["result"]["backtests"])


def backtest_summary(record: dict, n_boot: int = 10000) -> pd.DataFrame:
    """Per fit kind, over the smooth series (the ones the chapter would
    extrapolate) and over all: count, mean absolute error (points) with a
    benchmark-clustered bootstrap interval, mean signed error, and the
    share of actual values inside the prediction interval and the curve's
    band, each with its exact (Clopper-Pearson) interval, and the
    aggregate's error. Intervals at the record's confidence level."""
    level = record["result"]["confidence_level"]
    frame = backtest_frame(record)
    aggregate = {entry["kind"]: entry for entry in (record["result"]["aggregate"] or {}).get("backtests", [])}
    rows = []
    for kind, by_kind in frame.groupby("kind", sort=False):
        for which, part in (("smooth", by_kind[by_kind["class"] == "smooth"]), ("all", by_kind)):
            if part.empty:
                continue
            errors = part.error.abs()
            mae_low, mae_high = cluster_bootstrap_mean(errors, part.benchmark, n_boot, 0, level)
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
                    "mean_error": float(part.error.mean()),
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
    from gobig import chinchilla

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
        rows.append({"quantity": label, "key": key, "hoffmann": view["hoffmann"][key], "besiroglu": view["besiroglu"][key], "besiroglu_low": low, "besiroglu_high": high})
    frame = pd.DataFrame(rows)
    frame.attrs["sources"] = (chinchilla.HOFFMANN_SOURCE, chinchilla.BESIROGLU_SOURCE)
    return frame


def blog_chart_frame(record: dict) -> pd.DataFrame:
    """The series behind the blog's chart (Figure 1.2's task, Table H.1's
    "Symbol Insertion" row) at 1.3B, 13B and 175B: setting, params,
    accuracy (NaN: not verified), verified, reading_a."""
    frame = pd.DataFrame(record["result"]["blog_chart"])
    for column in ("accuracy", "reading_a"):
        frame[column] = frame[column].map(from_json_number)
    return frame


# ---- claims -----------------------------------------------------------------

#: Numbers the claims quote from the papers, each as retrieved:
#: Brown et al. 2020, Sec. 1 lists GPT-2 [RWC+19] at "1.5 billion
#: parameters"; Sec. 3.9.2: "our BPE encoding operates on significant
#: fractions of a word (on average ~0.7 words per token)".
GPT2_PARAMS = 1.5e9
WORDS_PER_TOKEN = 0.7
#: MNIST images: 28 x 28 pixels of 256 grey levels.
MNIST_GREY_LEVELS = 256


#: Brown et al. 2020, Table 2.2: epochs elapsed per data set when training
#: for 300B tokens, from Books2 (0.43) to Wikipedia (3.4).
EPOCHS_RANGE = (0.43, 3.4)


def _law_premise(result: dict) -> str:
    passes = result["gpt3_training_tokens"] / (result["token_mix_billions"] * 1e9)
    return (
        "the law binds models that fit their training data below the noise level (interpolate it); "
        f"GPT-3 was trained on {result['gpt3_training_tokens'] / 1e9:.0f}B of its {result['token_mix_billions']:.0f}B tokens ({passes:.1f} passes on average, "
        f"{EPOCHS_RANGE[0]:g} to {EPOCHS_RANGE[1]:g} per data set, Table 2.2) and is not shown to interpolate them, so the arithmetic decides nothing"
    )


def _backtest_note(record: dict) -> tuple[str, bool]:
    """A clause on the back-test's smooth log-linear series, and whether
    its prediction intervals are calibrated (the exact interval of their
    coverage reaches the nominal level)."""
    summary = backtest_summary(record, n_boot=2000)
    row = summary[(summary.kind == "log-linear") & (summary.series == "smooth")]
    if row.empty:
        return "no smooth series to back-test", False
    row = row.iloc[0]
    level = record["result"]["confidence_level"]
    calibrated = row.coverage_high >= level
    clause = (
        f"back-test (fit to {record['config']['backtest_largest'] / 1e9:g}B, predict 175B): log-linear error {row.mae:.1f} points on average, "
        f"{level:.0%} prediction intervals hold {row.coverage:.0%} [{row.coverage_low:.0%}, {row.coverage_high:.0%}] of {int(row['count'])} smooth series"
    )
    return clause, bool(calibrated)


def claims_table(record: dict | list[dict]) -> pd.DataFrame:
    """The checkable sentences of the blog's GPT-3 and law paragraphs with
    the value recomputed from the record (and the papers) and a verdict
    that says what was tested. Takes the one record, or the list of it
    that every study's ``claims_table`` takes (``gobig.study.Study``)."""
    if isinstance(record, list):
        (record,) = record
    result = record["result"]
    gpt3_params = result["gpt3_params"]
    rows = []

    def add(claim, source, measured, verdict, why):
        rows.append({"claim": claim, "source": source, "measured": measured, "verdict": verdict, "why": why})

    # The blog's MNIST arithmetic, redone with the law's functions.
    blog_nd = law.smooth_interpolation_params(law.BLOG_MNIST_N, law.BLOG_MNIST_D)
    mnist_nd = law.smooth_interpolation_params(law.MNIST_N, law.MNIST_D)
    add(
        "MNIST training data is 60K examples (10^4)",
        "blog",
        f"n = {law.MNIST_N:,} = 10^{math.log10(law.MNIST_N):.2f}",
        "partly",
        "60K is right; as a power of ten it is nearer 10^5 than 10^4 (10^4 understates it 6-fold)",
    )
    add(
        "the image space alone would be on the order of 10^5",
        "blog",
        f"28x28 pixels: d = {law.MNIST_D} dimensions (10^{math.log10(law.MNIST_D):.1f}); {MNIST_GREY_LEVELS} grey levels give {MNIST_GREY_LEVELS}^{law.MNIST_D} = 10^{law.MNIST_D * math.log10(MNIST_GREY_LEVELS):.0f} distinct images",
        "not supported",
        "neither the input dimension (784) nor the number of possible images (10^1888) is 10^5; the law's d is the dimension, 784",
    )
    add(
        "MNIST: smooth interpolation needs n*d = 10^9 parameters (n ~ 1e4, image space ~ 1e5)",
        "blog",
        f"n*d = {mnist_nd:.3g} with n = {law.MNIST_N:,} and d = {law.MNIST_D} (the blog's inputs give {blog_nd:.3g})",
        "not supported",
        "MNIST has 60,000 training images of 784 pixels, not 1e4 of 1e5: the count is 4.7e7, 21x below 1e9",
    )
    low, high = (law.smooth_interpolation_params(law.MNIST_N, d) for d in law.MNIST_EFFECTIVE_D_RANGE)
    blog_effective = law.smooth_interpolation_params(law.BLOG_MNIST_N, law.BLOG_MNIST_EFFECTIVE_D)
    add(
        "MNIST: with effective dimension 10^3, 10^7 parameters",
        "blog; Bubeck & Sellke 2021, Sec. 1.1",
        f"blog's inputs: {blog_effective:.3g}; n = 60,000 with Bubeck & Sellke's effective dimension 15-150: {low:.2g}-{high:.2g}",
        "partly",
        "the order of magnitude matches the paper's 10^6-10^7, but from n ~ 1e4 and d_eff = 1e3 rather than n = 6e4 and d_eff = 15-150",
    )
    add(
        "the law says 10^9 (or 10^7) parameters are needed to be 100% accurate on MNIST",
        "blog; Bubeck & Sellke 2021, Thm 1",
        f"the law's count n*d = {mnist_nd:.3g} is for an O(1)-Lipschitz interpolating model",
        "not applicable",
        "the law bounds the Lipschitz constant of a model that fits noisy data, not accuracy; it says nothing about what 100% accuracy needs",
    )
    add(
        "'# parameters = # equations' suggests ~10^4-6x10^4 parameters",
        "blog",
        f"one equation per training label: {law.params_equal_equations(law.BLOG_MNIST_N):.0e}-{law.params_equal_equations(law.MNIST_N):.0e}",
        "supported",
        "p ~ n is the mere-interpolation count the law contrasts with n*d (gobig.law.params_equal_equations)",
    )

    models = load_models()
    add(
        "GPT-3 has 175B parameters",
        "blog; Brown et al. 2020, Table 2.1",
        f"{models.params.max() / 1e9:.1f}B, the largest of {len(models)} sizes",
        "supported",
        "Table 2.1",
    )
    add(
        "GPT-2 had only 1.5B parameters",
        "blog; Brown et al. 2020, Sec. 1",
        f"{GPT2_PARAMS / 1e9:g}B ({gpt3_params / GPT2_PARAMS:.0f}x fewer than GPT-3)",
        "supported",
        "Brown et al. list GPT-2 [RWC+19] at 1.5 billion parameters",
    )
    add(
        "they say GPT-4 will have over 100T parameters",
        "blog; OpenAI 2023 (GPT-4 report)",
        "GPT-4's report: 'this report contains no further details about the architecture (including model size)'",
        "not checkable",
        "OpenAI never published GPT-4's size, so no number can confirm or refute 100T; who first said 100T was not retrieved (not verified), and it was not OpenAI's report",
    )
    add(
        "GPT-3 was trained on ~500B tokens",
        "blog; Brown et al. 2020, Tables 2.1 and 2.2",
        f"the data mix holds {result['token_mix_billions']:.0f}B tokens; every model was trained on {result['gpt3_training_tokens'] / 1e9:.0f}B",
        "partly",
        "~500B is the size of the mix (Table 2.2); the models saw 300B tokens of it (Table 2.1)",
    )
    add(
        "each token probably represents an English word or word phrase",
        "blog; Brown et al. 2020, Sec. 3.9.2",
        f"~{WORDS_PER_TOKEN:g} words per token: {result['gpt3_training_tokens'] / 1e9:.0f}B tokens are ~{WORDS_PER_TOKEN * result['gpt3_training_tokens'] / 1e9:.0f}B words",
        "not supported",
        "GPT-3's byte-level BPE tokens are fractions of a word on average, not words or phrases",
    )

    requirements = requirements_frame(record)
    trained = requirements[requirements.tokens == result["gpt3_training_tokens"]]
    basis = trained if not trained.empty else requirements
    smallest = basis.loc[basis.required_params.idxmin()]
    add(
        "by the law, 175B parameters are not enough",
        "blog; Bubeck & Sellke 2021",
        f"n*d = {smallest.required_params:.3g} at n = {smallest.tokens:.3g} tokens, d = {smallest.effective_dimension:g}: {smallest.ratio_to_gpt3:.2g}x 175B",
        "not applicable",
        f"tested: only the arithmetic n*d > p, which holds for any d >= 1; {_law_premise(result)}",
    )
    n = basis.tokens.iloc[0]
    needed_dimension = 1000 * gpt3_params / n
    by_law = ", ".join(f"d = {row.effective_dimension:g}: {_decades(row.decades_beyond_gpt3)}" for row in basis.itertuples())
    add(
        "by the law, ~3 more orders of magnitude (175T parameters) are needed",
        "blog",
        f"decades beyond 175B at n = {n:.3g}: {by_law}",
        "not applicable",
        f"n*d reaches 175T only for an effective dimension d >= {needed_dimension:.0f}, which nobody knows for text; and {_law_premise(result)}",
    )

    # The blog's chart: Figure 1.2 (1.3B, 13B, 175B; Symbol Insertion).
    chart = blog_chart_frame(record)
    level_70 = BLOG_CHART["level"]
    verified_top = chart[(chart.params == gpt3_params) & chart.verified]
    if verified_top.empty:
        add("GPT-3 (175B) did not reach 70% in the blog's chart", f"blog; {BLOG_CHART['figure']}", "", "inconclusive", "no verified 175B value of the chart's task")
    else:
        best = verified_top.loc[verified_top.accuracy.idxmax()]
        values = ", ".join(f"{row.setting} {row.accuracy:g}%" for row in verified_top.itertuples())
        add(
            "GPT-3 (175B) did not reach 70% in the blog's chart",
            f"blog; {BLOG_CHART['figure']}, Table 3.10, Table H.1",
            f"the chart's task (removing random symbols from a word) at 175B: {values}",
            "supported" if best.accuracy < level_70 else "not supported",
            f"the chart is Figure 1.2 (three sizes, 1.3B/13B/175B, accuracy against examples in context, no table); the task's best 175B value in Tables 3.10 and H.1 ({best.setting}, K = 100) is {best.accuracy:g}%",
        )
    add(
        "the law is why GPT-3 did not reach 70% in the chart",
        "blog",
        "",
        "not applicable",
        f"the law bounds Lipschitz constants, not accuracy on a task; and {_law_premise(result)}",
    )
    smaller = chart[chart.params < gpt3_params]
    if smaller.verified.all() and not smaller.empty:
        chart_why, chart_verdict = "the chart's series is verified at all three sizes (see the fits)", "inconclusive"
    else:
        few = chart[chart.setting == "few-shot"].sort_values("params")
        readings_a = ", ".join(f"{row.params / 1e9:g}B {row.reading_a:g}%" for row in few.itertuples())
        chart_verdict = "inconclusive"
        chart_why = (
            f"{int((~smaller.verified).sum())} of the chart's {len(smaller)} values below 175B are in one transcription only (not verified), so the series is not fitted; "
            f"on that transcription (few-shot: {readings_a}) it stays near 0 and then rises, the emergent shape, which no extrapolation can carry; "
            f"the 175B value is {level_70 - verified_top.accuracy.max():.1f} points short of 70%" if not verified_top.empty else "the chart's values are not verified"
        )
    add("~3 more orders of magnitude (175T parameters) would reach 70% in the chart", "blog", "", chart_verdict, chart_why)

    fits = fits_frame(record)
    target = result["target_accuracy"]
    level = result["confidence_level"]
    if fits.empty:
        add("~3 more orders of magnitude (175T parameters) reach the accuracy GPT-3 lacks", "blog", "", "pending", "no benchmark was fitted")
    else:
        # What GPT-3 lacks: the fitted series still below the target at 175B.
        # Only smooth ones are extrapolated. 175T is "not supported" when every
        # smooth fit needs less, interval included; "supported" when every
        # interval lies at or beyond 175T; otherwise, or when the back-test
        # shows the intervals are not calibrated, the data cannot tell.
        lacking = lacking_fits(record)
        smooth = lacking[lacking["class"] == "smooth"]
        others = lacking[lacking["class"] != "smooth"][["benchmark", "setting", "class"]].drop_duplicates()
        blog_params = 1000 * gpt3_params
        note, calibrated = _backtest_note(record)
        not_extrapolated = "; not extrapolated: " + ", ".join(f"{r.benchmark} {r.setting} ({r['class']})" for _, r in others.iterrows()) if len(others) else ""
        if lacking.empty:
            measured = f"no fitted benchmark/setting is below {target:g}% at 175B"
            verdict, why = "not supported", "at this target there is nothing GPT-3 lacks on these benchmarks"
        elif smooth.empty:
            measured = f"below {target:g}% at 175B, none smooth{not_extrapolated}"
            verdict, why = "inconclusive", "no series GPT-3 lacks is smooth enough to extrapolate"
        else:
            below_blog = int((smooth.params_high < blog_params).sum())
            beyond_blog = int((smooth.params_low >= blog_params).sum())
            series = len(smooth[["benchmark", "setting"]].drop_duplicates())
            measured = (
                f"{series} smooth series below {target:g}% at 175B ({len(smooth)} fits): {target:g}% at {_count(smooth.params_needed.min())} to "
                f"{_count(smooth.params_needed.max())} parameters (points); {level:.0%} intervals wholly below 175T: {below_blog}, wholly beyond: {beyond_blog}, "
                f"straddling: {len(smooth) - below_blog - beyond_blog}{not_extrapolated}"
            )
            if (smooth.params_high < blog_params).all():
                verdict, why = "not supported", f"GPT-3's own smooth trends reach {target:g}% below 175T, interval included"
            elif (smooth.params_low >= blog_params).all():
                verdict, why = "supported", "every interval lies at or beyond 175T"
            else:
                verdict, why = "inconclusive", f"the intervals of fits through {len(result['fits'][0]['params'])} sizes straddle 175T"
            if not calibrated and verdict != "inconclusive":
                verdict, why = "inconclusive", f"{why}, but the intervals are not calibrated"
        add("~3 more orders of magnitude (175T parameters) reach the accuracy GPT-3 lacks", "blog", measured, verdict, f"{why}; {note}")
    return pd.DataFrame(rows)


def bands_frame(record: dict, num_points: int = 60, largest_params: float = 1e15) -> pd.DataFrame:
    """Every fit's prediction with its interval over a log grid from the
    smallest fitted size to ``largest_params`` (for the chapter's figure);
    a series that is not smooth gets its fit only up to its largest size
    (no extrapolation)."""
    result = record["result"]
    config = record["config"]
    frames = []
    for entry in result["fits"]:
        fitted = Fit.from_dict(entry["fit"])
        top = largest_params if entry["class"]["class"] == "smooth" else max(entry["params"])
        grid = np.geomspace(min(config["model_sizes"]), top, num_points)
        band = extrapolation_band(fitted, grid, level=result["confidence_level"], n_samples=config["uncertainty_samples"], seed=config["seed"])
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
    table = [{"model": m, "who": who, "formula": formula, "n": n, "d": d, "parameters": law.smooth_interpolation_params(n, d)} for m, who, formula, n, d in rows]
    table.append({"model": "MNIST", "who": "classical", "formula": "parameters = equations (one per label)", "n": law.MNIST_N, "d": np.nan, "parameters": law.params_equal_equations(law.MNIST_N)})
    gpt3_params = record["result"]["gpt3_params"]
    table.append({"model": "GPT-3", "who": "blog", "formula": "175B x 10^3 ('3 more orders of magnitude')", "n": np.nan, "d": np.nan, "parameters": 1000.0 * gpt3_params})
    for row in requirements_frame(record).itertuples():
        table.append({"model": "GPT-3", "who": "law", "formula": f"n*d, n = {row.tokens / 1e9:.0f}B tokens, d = {row.effective_dimension:g}", "n": row.tokens, "d": row.effective_dimension, "parameters": row.required_params})
    return pd.DataFrame(table)
