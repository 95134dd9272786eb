"""n@k and pass@k against hand-computed values and the literal bootstrap."""

from __future__ import annotations

import numpy as np
import pytest

from gobig.methods.stats import passk

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    "K, F, S, n, k, expected",
    [
        (10, 4, 1, 1, 10, 1 / 4),  # all samples drawn, one of 4 filtered submitted at random
        (10, 4, 1, 1, 1, 1 / 10),  # one sample: it must be the correct one
        (10, 4, 1, 4, 10, 1.0),  # every filtered sample submitted
        (10, 4, 0, 10, 10, 0.0),  # nothing correct
        (5, 5, 1, 5, 2, 2 / 5),  # pass@2 of 1 correct in 5: 1 - C(4,2)/C(5,2)
    ],
)
def test_n_at_k_hand_computed(K, F, S, n, k, expected):
    assert passk.n_at_k(K, F, S, n, k) == pytest.approx(expected)


def test_two_of_four_drawn_is_five_twelfths():
    # K=4, F=2 (one correct), k=2, n=1. The 2 drawn hold f filtered samples
    # with P(f=0,1,2) = 1/6, 4/6, 1/6. f=1: the drawn filtered sample is the
    # correct one with prob 1/2; f=2: one of the two is submitted, correct
    # with prob 1/2. Total (4/6 + 1/6) / 2 = 5/12.
    assert passk.n_at_k(4, 2, 1, 1, 2) == pytest.approx(5 / 12)


def test_pass_at_k_is_the_unbiased_estimator():
    assert passk.pass_at_k(100, 3, 10) == pytest.approx(
        1 - (97 * 96 * 95 * 94 * 93 * 92 * 91 * 90 * 89 * 88) / (100 * 99 * 98 * 97 * 96 * 95 * 94 * 93 * 92 * 91)
    )


def test_closed_form_matches_the_literal_bootstrap():
    rng = np.random.default_rng(0)
    public = rng.random(40) < 0.3
    correct = public & (rng.random(40) < 0.4)
    for n, k in [(1, 5), (2, 10), (10, 20)]:
        exact = passk.n_at_k(40, int(public.sum()), int(correct.sum()), n, k)
        simulated = passk.bootstrap_n_at_k(public, correct, n, k, 20000, rng)
        assert simulated == pytest.approx(exact, abs=0.015)


def test_more_samples_never_hurt():
    rates = [passk.n_at_k(64, 10, 2, 1, k) for k in (1, 2, 4, 8, 16, 32, 64)]
    assert rates == sorted(rates)


def test_bad_counts_are_refused():
    with pytest.raises(ValueError, match="correct <= public_passing"):
        passk.n_at_k(10, 2, 3, 1, 5)
    with pytest.raises(ValueError, match="1 <= k <= samples"):
        passk.n_at_k(10, 2, 1, 1, 11)


def test_solve_rate_interval_covers_the_mean():
    mean, low, high = passk.solve_rate_interval(np.array([0, 0, 1, 0, 1, 0, 0, 0, 0, 1.0]))
    assert mean == pytest.approx(0.3) and low < mean < high and 0 <= low and high <= 1
    assert passk.solve_rate_interval(np.zeros(5)) == (0.0, 0.0, 0.0)


def test_clopper_pearson_matches_scipys_exact_interval_and_never_collapses():
    from scipy import stats

    low, high = passk.clopper_pearson(0, 48)
    assert low == 0.0 and high == pytest.approx(1 - 0.025 ** (1 / 48))  # closed form at zero successes: about 7.4%
    assert high > 0.041, "0 of 48 does not exclude AlphaCode's 4.1%"
    for k, n in ((1, 10), (8, 48), (47, 48), (48, 48)):
        exact = stats.binomtest(k, n).proportion_ci(0.95, method="exact")
        assert passk.clopper_pearson(k, n) == pytest.approx((exact.low, exact.high))
    with pytest.raises(ValueError, match="successes"):
        passk.clopper_pearson(5, 4)


def test_fisher_greater_is_one_sided():
    assert passk.fisher_greater(8, 48, 0, 48) < 0.01
    assert passk.fisher_greater(0, 48, 8, 48) == pytest.approx(1.0)
    assert passk.fisher_greater(1, 48, 0, 48) == pytest.approx(0.5)
