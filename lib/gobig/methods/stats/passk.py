"""n@k and pass@k (AlphaCode, Sec. 2.2 and Appendix A.3).

n@k: the share of problems solved when, from k samples per problem, at most
n are submitted. Samples that fail the public (statement) tests are
filtered out first, and the n submissions are drawn from those that pass;
a problem is solved if any submission passes all of its tests. pass@k is
k@k (every sample may be submitted, so filtering does not matter).

AlphaCode reports these as bootstrapped expectations: draw K >= k samples
once, then repeatedly subsample k of them. For random choice among the
filtered samples that expectation has a closed form (``n_at_k``); the
literal subsampling (``bootstrap_n_at_k``) is kept to check it, and a
bootstrap over problems gives the interval of a split's solve rate.
"""

from __future__ import annotations

from math import comb

import numpy as np


def _hypergeom_pmf(population: int, successes: int, draws: int) -> np.ndarray:
    """P(f of the draws are successes), f = 0..draws, sampling without replacement."""
    total = comb(population, draws)
    return np.array([comb(successes, f) * comb(population - successes, draws - f) / total for f in range(draws + 1)])


def n_at_k(samples: int, public_passing: int, correct: int, n: int, k: int) -> float:
    """Expected probability of solving one problem with n submissions from k
    samples, out of ``samples`` drawn, of which ``public_passing`` pass the
    public tests and ``correct`` (a subset of those) pass all tests.

    Given f public-passing samples among the k, the min(n, f) submissions
    are a uniformly random subset of the public-passing ones, so the chance
    that none is correct is C(F - S, m) / C(F, m) with m = min(n, f).
    """
    if not 0 <= correct <= public_passing <= samples:
        raise ValueError(f"need 0 <= correct <= public_passing <= samples; got {correct}, {public_passing}, {samples}")
    if not 1 <= k <= samples or n < 1:
        raise ValueError(f"need 1 <= k <= samples ({samples}) and n >= 1; got n={n}, k={k}")
    if correct == 0:
        return 0.0
    p_fail = 0.0
    for f, p_f in enumerate(_hypergeom_pmf(samples, public_passing, k)):
        if p_f == 0.0:
            continue
        m = min(n, f)
        p_fail += p_f * comb(public_passing - correct, m) / comb(public_passing, m)
    return 1.0 - p_fail


def pass_at_k(samples: int, correct: int, k: int) -> float:
    """pass@k = k@k: 1 - C(K - S, k) / C(K, k) (Chen et al. 2021's unbiased estimator)."""
    return n_at_k(samples, correct, correct, n=k, k=k)


def bootstrap_n_at_k(
    public_pass: np.ndarray, correct: np.ndarray, n: int, k: int, draws: int, rng: np.random.Generator
) -> float:
    """The literal estimator: subsample k of the K samples ``draws`` times,
    submit n random public-passing ones, count how often one is correct."""
    public_pass = np.asarray(public_pass, dtype=bool)
    correct = np.asarray(correct, dtype=bool) & public_pass
    solved = 0
    for _ in range(draws):
        chosen = rng.choice(len(public_pass), size=k, replace=False)
        candidates = chosen[public_pass[chosen]]
        submitted = rng.permutation(candidates)[:n]
        solved += bool(correct[submitted].any())
    return solved / draws


def solve_rate_interval(
    per_problem: np.ndarray, draws: int = 2000, level: float = 0.9, seed: int = 0
) -> tuple[float, float, float]:
    """Mean of per-problem solve probabilities and a percentile bootstrap
    interval over problems (the problems are the sample)."""
    values = np.asarray(per_problem, dtype=float)
    if values.size == 0:
        return (float("nan"),) * 3
    rng = np.random.default_rng(seed)
    means = values[rng.integers(0, values.size, size=(draws, values.size))].mean(axis=1)
    tail = (1 - level) / 2
    return float(values.mean()), float(np.quantile(means, tail)), float(np.quantile(means, 1 - tail))


def clopper_pearson(successes: int, trials: int, level: float = 0.95) -> tuple[float, float]:
    """Exact (Clopper–Pearson) interval of a binomial rate: it never
    collapses to [0, 0] at zero successes (0 of 48 gives [0, 7.4%] at 95%)."""
    from scipy import stats

    if trials <= 0:
        return float("nan"), float("nan")
    if not 0 <= successes <= trials:
        raise ValueError(f"successes must be between 0 and trials={trials}; got {successes}")
    tail = (1 - level) / 2
    low = 0.0 if successes == 0 else float(stats.beta.ppf(tail, successes, trials - successes + 1))
    high = 1.0 if successes == trials else float(stats.beta.ppf(1 - tail, successes + 1, trials - successes))
    return low, high


def fisher_greater(successes_a: int, trials_a: int, successes_b: int, trials_b: int) -> float:
    """One-sided exact (Fisher) p-value that rate a exceeds rate b."""
    from scipy import stats

    table = [[successes_a, trials_a - successes_a], [successes_b, trials_b - successes_b]]
    return float(stats.fisher_exact(table, alternative="greater").pvalue)
