"""Straight-line fits of accuracy against log10 parameters, with the
uncertainty ordinary least squares implies.

Two kinds: ``log-linear`` (accuracy in points against log10 parameters) and
``logistic`` (the logit of the share of the way from chance to ceiling, so a
fitted curve stays between them). A fit's uncertainty is the Student-t that
OLS implies (with eight sizes, six degrees of freedom; a residual bootstrap
of eight points would understate it); ``params_for_accuracy`` inverts a fit
with an interval from coefficient draws, ``extrapolation_band`` draws its
curve; ``r_squared`` and ``slope_interval`` say whether a fit describes its
points at all, and ``cap_accuracy`` keeps a prediction inside [0, 100].
Everything is numpy (and scipy's t and beta quantiles); nothing here knows GPT-3 (``gobig.studies.gpt3``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from gobig.core.jsonnum import from_json_number, json_number

#: Accuracy (percent) a perfect model would reach: the logistic fit's top.
CEILING = 100.0

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
            raise ValueError(
                f"no uncertainty can be estimated from {self.log10_params.size or 2} points: a 2-coefficient fit needs at least 3 points (dof = {self.dof})"
            )
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

    def solve_log10(self, coef: np.ndarray, target: float) -> np.ndarray:
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
        solved = np.where(
            slope > 0, solved, np.where(wanted > at_largest, math.inf, np.where(slope < 0, solved, largest))
        )
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
            raise ValueError(
                f"no interval from {self.log10_params.size or 2} points: a 2-coefficient fit needs at least 3 (dof = {self.dof})"
            )
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
    def from_dict(cls, data: dict) -> Fit:
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


def r_squared(fit: Fit, params, accuracy) -> float:
    """Share of the variance of ``accuracy`` (percent) that the fitted curve
    explains, on the accuracy scale for both kinds: 1 - SS_res / SS_tot.
    Measured on one scale, the two kinds are comparable, and a logistic fit
    that only looks straight in logit space because points at chance were
    clipped (``SHARE_CLIP``) is not flattered. Negative when the curve
    describes the points worse than their mean."""
    accuracy = np.asarray(accuracy, dtype=float)
    residuals = accuracy - np.asarray(fit.predict(np.asarray(params, dtype=float)), dtype=float)
    total = float(((accuracy - accuracy.mean()) ** 2).sum())
    if total == 0:
        return math.nan
    return 1.0 - float(residuals @ residuals) / total


def slope_interval(fit: Fit, level: float = 0.9) -> tuple[float, float]:
    """Central ``level`` interval of the fit's slope (Student-t with the
    fit's degrees of freedom): points per decade (log-linear) or logit
    units per decade (logistic)."""
    from scipy import stats

    if fit.dof < 1:
        return math.nan, math.nan
    half = float(stats.t.ppf(0.5 + level / 2.0, fit.dof)) * math.sqrt(float(fit.cov[1, 1]))
    return fit.slope - half, fit.slope + half


def cap_accuracy(value, floor: float = 0.0, ceiling: float = CEILING):
    """A predicted accuracy clipped into [floor, ceiling]: a log-linear line
    passes 100% (or 0%) where no model can."""
    clipped = np.clip(np.asarray(value, dtype=float), floor, ceiling)
    return float(clipped) if np.ndim(clipped) == 0 else clipped


def power_of_ten(log10_value: float) -> float:
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
    point = fit.solve_log10(fit.coef, target)[0]
    samples = fit.sample_coefficients(n_samples, seed)
    solved = fit.solve_log10(samples, target)
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
        "point": power_of_ten(point),
        "low": power_of_ten(low),
        "high": power_of_ten(high),
        "share_unreachable": float(unreachable.mean()),
    }


def extrapolation_band(
    fit: Fit, params_grid, level: float = 0.9, n_samples: int = 20000, seed: int = 0
) -> pd.DataFrame:
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
