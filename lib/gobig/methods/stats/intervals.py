"""Exact (Clopper–Pearson) intervals for accuracies.

An accuracy on n test images is a count k of n; its exact 95% interval
comes from beta quantiles (Clopper & Pearson 1934), the interval
``scipy.stats.binomtest(k, n).proportion_ci(method="exact")`` gives. It never
leaves [0, 1] and covers at least 95% for every true rate, also at 0% or
100%, where a normal approximation collapses to a point.
"""

from __future__ import annotations

from scipy import stats

LEVEL = 0.95


def clopper_pearson(correct: int, total: int, level: float = LEVEL) -> tuple[float, float]:
    """Exact two-sided interval for a rate of ``correct`` out of ``total``."""
    if isinstance(correct, bool) or isinstance(total, bool) or int(correct) != correct or int(total) != total:
        raise ValueError(f"clopper_pearson: counts must be integers, got {correct!r} of {total!r}")
    correct, total = int(correct), int(total)
    if total < 1 or not 0 <= correct <= total:
        raise ValueError(f"clopper_pearson: need 0 <= correct <= total and total >= 1, got {correct} of {total}")
    alpha = 1 - level
    low = 0.0 if correct == 0 else float(stats.beta.ppf(alpha / 2, correct, total - correct + 1))
    high = 1.0 if correct == total else float(stats.beta.ppf(1 - alpha / 2, correct + 1, total - correct))
    return low, high


def count_of(rate: float, total: int) -> int:
    """The count behind a stored rate (records written before counts were
    kept store ``correct / total`` as a float32 or float64): the nearest
    integer, which must be within rounding of the rate."""
    count = int(round(rate * total))
    if abs(count - rate * total) > 1e-3 * max(1.0, total) ** 0.5:
        raise ValueError(f"rate {rate!r} is not a count out of {total}")
    return count


def rate_interval(rate: float, total: int, level: float = LEVEL) -> tuple[float, float]:
    """Clopper–Pearson interval of a stored rate out of ``total``."""
    return clopper_pearson(count_of(rate, total), total, level)


def format_rate(rate: float, total: int, digits: int = 1) -> str:
    """``"93.2% [91.5, 94.7]"``: the rate with its exact 95% interval, in percent."""
    low, high = rate_interval(rate, total)
    return f"{100 * rate:.{digits}f}% [{100 * low:.{digits}f}, {100 * high:.{digits}f}]"
