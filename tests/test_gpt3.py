"""GPT-3's tabulated accuracies, the fits and their inversion, and the
chapter 2 study's parameters and records."""

import math

import numpy as np
import pytest

from gobig.core.params import ParameterError
from gobig.studies import gpt3

pytestmark = pytest.mark.unit

SIZES = (
    125_000_000,
    350_000_000,
    760_000_000,
    1_300_000_000,
    2_700_000_000,
    6_700_000_000,
    13_000_000_000,
    175_000_000_000,
)

# Values read twice off two transcriptions of Brown et al. 2020 Table H.1
# that agree (and, at 175B, the body tables 3.2, 3.3, 3.10).
VERIFIED_VALUES = {
    ("TriviaQA", "zero-shot"): (4.15, 7.61, 14.0, 19.7, 31.3, 38.7, 41.8, 64.3),
    ("HellaSwag", "few-shot"): (33.5, 43.1, 51.3, 54.9, 62.9, 67.3, 71.3, 79.3),
    ("LAMBADA acc", "zero-shot"): (42.7, 54.3, 60.4, 63.6, 67.1, 70.3, 72.5, 76.2),
    ("Winogrande", "zero-shot"): (52.0, 52.1, 57.4, 58.7, 62.3, 64.5, 67.9, 70.2),
    ("PIQA", "few-shot"): (64.3, 69.4, 72.0, 74.3, 75.4, 77.8, 79.9, 82.3),
}


# ---- data ---------------------------------------------------------------------


def table():
    return gpt3.load_accuracies()


def test_table_has_every_benchmark_setting_and_size():
    data = table()
    assert list(data.columns) == [
        "benchmark",
        "setting",
        "params",
        "accuracy",
        "verified",
        "reading_a",
        "reading_b",
        "check",
        "reading_d",
        "source",
        "note",
    ]
    assert len(data) == len(gpt3.CHANCE) * len(gpt3.SETTINGS) * len(SIZES) == 19 * 3 * 8
    assert not data.duplicated(["benchmark", "setting", "params"]).any()
    assert tuple(sorted(data.params.unique())) == SIZES and data.params.dtype.kind == "i"
    assert set(data.benchmark) == set(gpt3.CHANCE) and set(data.setting) == set(gpt3.SETTINGS)
    assert data.source.str.startswith("Brown et al. 2020, Table H.1").all()


def test_verified_values():
    data = table()
    for (benchmark, setting), values in VERIFIED_VALUES.items():
        rows = data[(data.benchmark == benchmark) & (data.setting == setting)].sort_values("params")
        assert rows.verified.all(), (benchmark, setting)
        assert tuple(rows.accuracy) == pytest.approx(values, abs=1e-9), (benchmark, setting)
    at = data.set_index(["benchmark", "setting", "params"])
    # The blog's chart (Figure 1.2's task) at 175B, Table 3.10 = Table H.1.
    assert [at.loc[("Symbol Insertion", s, 175_000_000_000), "accuracy"] for s in gpt3.SETTINGS] == [8.26, 45.4, 67.2]
    # The transcriptions disagree (20.3, 25.3) and Table 3.3 decides.
    row = at.loc[("WebQuestions", "one-shot", 175_000_000_000)]
    assert row.verified and row.accuracy == 25.3 and "Table 3.3" in row.source
    # The chart's series at every size: transcription D agrees with A (B lacks the row).
    few = data[(data.benchmark == "Symbol Insertion") & (data.setting == "few-shot")].sort_values("params")
    assert few.verified.all() and tuple(few.accuracy) == (0.11, 0.28, 2.19, 4.18, 6.61, 11.0, 27.3, 67.2)
    assert (few.reading_a == few.reading_d).all() and few.reading_b.isna().all()


def test_a_value_is_verified_exactly_when_two_readings_agree():
    data = table()
    readings = data[list(gpt3.READINGS)].to_numpy()
    agree = [
        any(x == y for i, x in enumerate(r) for y in r[i + 1 :] if not (np.isnan(x) or np.isnan(y))) for r in readings
    ]
    assert list(data.verified) == agree
    assert data.accuracy.isna().equals(~data.verified)
    for row in data[data.verified].itertuples():
        assert [row.reading_a, row.reading_b, row.check, row.reading_d].count(row.accuracy) >= 2


def test_the_disputed_values_are_not_verified():
    at = table().set_index(["benchmark", "setting", "params"])
    winogrande = at.loc[("Winogrande", "few-shot", 1_300_000_000)]
    assert not winogrande.verified and (winogrande.reading_a, winogrande.reading_b) == (61.2, 59.1)
    # A's 175B few-shot SuperGLUE value is the test-server average (Table 3.8's 71.8); D's dev value differs.
    superglue = at.loc[("SuperGLUE avg (dev)", "few-shot", 175_000_000_000)]
    assert not superglue.verified and "test-server" in superglue.note
    assert (superglue.reading_a, superglue.reading_d) == (71.8, 73.2)
    row = at.loc["SuperGLUE avg (dev)"]
    assert row.loc["one-shot"].verified.all() and not row.loc["few-shot"].verified.all()
    assert row.verified.sum() == 20 and row.reading_b.isna().all()


def test_piqa_zero_shot_records_that_the_paper_disagrees_with_itself():
    row = table().set_index(["benchmark", "setting", "params"]).loc[("PIQA", "zero-shot", 175_000_000_000)]
    # Table H.1 (both transcriptions) says 81.0; Table 3.6 prints 80.5.
    assert row.verified and row.accuracy == 81.0 and row.check == 80.5
    assert "80.5" in row.note and "disagrees" in row.note and "agrees" not in row.note.replace("disagrees", "")


def test_benchmark_sets_and_contamination_flags():
    sets = gpt3.load_benchmarks().set_index("benchmark")
    assert set(sets.index) == set(gpt3.CHANCE)
    assert (sets.loc["RTE", "examples"], sets.loc["COPA", "examples"], sets.loc["Winograd", "examples"]) == (
        277,
        100,
        273,
    )
    flagged = set(sets[sets.contamination != ""].index)
    assert flagged == {"PIQA", "Winograd", "LAMBADA acc", "Symbol Insertion"}
    assert "asterisk" in sets.loc["PIQA", "contamination"] and "asterisk" in sets.loc["Winograd", "contamination"]
    assert np.isnan(sets.loc["SuperGLUE avg (dev)", "examples"])
    assert gpt3.binomial_se(92.0, 100) == pytest.approx(100 * math.sqrt(0.92 * 0.08 / 100))


def test_changed_rows_against_the_old_table():
    import pandas as pd

    old = pd.DataFrame(
        {
            "benchmark": ["Winogrande", "TriviaQA"],
            "setting": ["few-shot", "zero-shot"],
            "params": [1_300_000_000, 175_000_000_000],
            "accuracy": [61.2, 64.3],
        }
    )
    changed = gpt3.changed_rows(old)
    assert len(changed) == 1 and changed.iloc[0].benchmark == "Winogrande" and np.isnan(changed.iloc[0].new)


def test_table_frame_is_one_row_per_series():
    frame = gpt3.table_frame()
    assert len(frame) == 19 * 3 and list(frame.columns[2:10]) == [f"{p / 1e9:g}B" for p in SIZES]
    trivia = frame[(frame.benchmark == "TriviaQA") & (frame.setting == "zero-shot")].iloc[0]
    assert trivia["175B"] == 64.3 and trivia.verified == 8


def test_models_and_token_mix():
    models = gpt3.load_models()
    assert list(models.params) == [
        125_000_000,
        350_000_000,
        760_000_000,
        1_300_000_000,
        2_700_000_000,
        6_700_000_000,
        13_000_000_000,
        175_000_000_000,
    ]
    assert (models.training_tokens == 300_000_000_000).all()
    mix = gpt3.load_token_mix()
    assert dict(zip(mix.dataset, mix.tokens_billions)) == {
        "Common Crawl": 410,
        "WebText2": 19,
        "Books1": 12,
        "Books2": 55,
        "Wikipedia": 3,
    }
    assert mix.tokens_billions.sum() == 499


# ---- fits ---------------------------------------------------------------------

GRID = np.logspace(8, 12, 12)


def test_log_linear_fit_is_exact_on_noiseless_data():
    accuracy = 7.0 + 4.5 * np.log10(GRID)
    fit = gpt3.fit_log_linear(GRID, accuracy)
    assert fit.kind == "log-linear" and fit.dof == len(GRID) - 2
    np.testing.assert_allclose(fit.coef, [7.0, 4.5], atol=1e-9)
    assert fit.residual_std == pytest.approx(0, abs=1e-9)
    np.testing.assert_allclose(fit.predict(GRID), accuracy, atol=1e-9)
    assert fit.predict(1e10) == pytest.approx(52.0)


def test_log_linear_fit_recovers_coefficients_from_noisy_data():
    rng = np.random.default_rng(0)
    params = np.logspace(6, 12, 400)
    accuracy = -20.0 + 8.0 * np.log10(params) + rng.normal(0, 1.0, params.size)
    fit = gpt3.fit_log_linear(params, accuracy)
    standard_errors = np.sqrt(np.diag(fit.cov))
    assert abs(fit.coef[0] + 20.0) < 4 * standard_errors[0] and abs(fit.coef[1] - 8.0) < 4 * standard_errors[1]
    assert standard_errors[1] < 0.1
    assert fit.residual_std == pytest.approx(1.0, rel=0.1)


def test_logistic_fit_recovers_k_and_x0():
    chance, ceiling, k, x0 = 25.0, 100.0, 0.8, 10.5
    accuracy = chance + (ceiling - chance) / (1 + np.exp(-k * (np.log10(GRID) - x0)))
    fit = gpt3.fit_logistic(GRID, accuracy, chance, ceiling)
    assert fit.kind == "logistic" and (fit.chance, fit.ceiling) == (chance, ceiling)
    assert fit.slope == pytest.approx(k, rel=1e-9)
    assert fit.x0 == pytest.approx(x0, rel=1e-9)
    np.testing.assert_allclose(fit.predict(GRID), accuracy, atol=1e-9)
    # The curve saturates inside (chance, ceiling).
    assert chance < fit.predict(1.0) < fit.predict(1e30) <= ceiling


def test_logistic_fit_clips_points_at_chance_and_ceiling():
    fit = gpt3.fit_logistic([1e9, 1e10, 1e11], [20.0, 60.0, 100.0], chance=25.0)
    assert np.isfinite(fit.coef).all() and fit.slope > 0


def noisy_line(noise_scale: float, points: int = 8) -> gpt3.Fit:
    params = np.logspace(8, 11, points)
    noise = np.random.default_rng(1).standard_normal(points)
    return gpt3.fit_log_linear(params, 10.0 + 5.0 * np.log10(params) + noise_scale * noise)


def test_params_for_accuracy_inverts_predict_and_brackets_the_point():
    fit = noisy_line(1.0)
    needed = gpt3.params_for_accuracy(fit, 80.0, n_samples=5000, seed=0, level=0.9)
    assert set(needed) == {"target", "point", "low", "high", "share_unreachable"}
    assert fit.predict(needed["point"]) == pytest.approx(80.0)
    assert needed["low"] < needed["point"] < needed["high"] < math.inf
    assert needed["share_unreachable"] == 0


def test_params_for_accuracy_inverts_the_logistic_fit():
    accuracy = 50 + 50 / (1 + np.exp(-0.7 * (np.log10(GRID) - 10))) + np.random.default_rng(2).normal(0, 0.3, GRID.size)
    fit = gpt3.fit_logistic(GRID, accuracy, chance=50)
    needed = gpt3.params_for_accuracy(fit, 90.0, n_samples=5000)
    assert fit.predict(needed["point"]) == pytest.approx(90.0)
    assert needed["low"] <= needed["point"] <= needed["high"]


def test_interval_is_reproducible_and_widens_with_noise():
    quiet = gpt3.params_for_accuracy(noisy_line(0.5), 80.0, n_samples=5000, seed=3)
    assert gpt3.params_for_accuracy(noisy_line(0.5), 80.0, n_samples=5000, seed=3) == quiet
    loud = gpt3.params_for_accuracy(noisy_line(3.0), 80.0, n_samples=5000, seed=3)
    width = lambda needed: math.log10(needed["high"]) - math.log10(needed["low"])  # noqa: E731
    assert width(loud) > 3 * width(quiet)


def test_unreachable_targets_are_infinite():
    accuracy = 25 + 75 / (1 + np.exp(-(np.log10(GRID) - 10)))
    fit = gpt3.fit_logistic(GRID, accuracy + np.random.default_rng(0).normal(0, 0.5, GRID.size), chance=25)
    for target in (100.0, 120.0, 25.0, 10.0):
        needed = gpt3.params_for_accuracy(fit, target, n_samples=1000)
        assert needed["point"] == needed["low"] == needed["high"] == math.inf
        assert needed["share_unreachable"] == 1.0

    falling = gpt3.fit_log_linear(
        GRID, 90.0 - 3.0 * np.log10(GRID) + np.random.default_rng(0).normal(0, 0.1, GRID.size)
    )
    needed = gpt3.params_for_accuracy(falling, 95.0, n_samples=1000)
    assert needed["point"] == math.inf and needed["high"] == math.inf
    assert needed["share_unreachable"] > 0.99


def test_high_is_infinite_when_too_many_draws_never_reach_the_target():
    # A nearly flat line through 3 points: many t(1) draws have slope <= 0.
    fit = gpt3.fit_log_linear([1e9, 1e10, 1e11], [60.0, 64.0, 58.0])
    needed = gpt3.params_for_accuracy(fit, 90.0, n_samples=4000, level=0.9)
    assert needed["share_unreachable"] > 0.05
    assert needed["high"] == math.inf


def test_two_points_give_no_uncertainty():
    fit = gpt3.fit_log_linear([1e9, 1e11], [40.0, 60.0])
    assert fit.dof == 0 and fit.predict(1e10) == pytest.approx(50.0)
    with pytest.raises(ValueError, match="no uncertainty can be estimated from 2 points"):
        fit.sample_coefficients(10, np.random.default_rng(0))
    with pytest.raises(ValueError, match="2 points"):
        gpt3.params_for_accuracy(fit, 90.0)


def test_sample_coefficients_follow_the_fit():
    fit = noisy_line(1.0, points=40)
    draws = fit.sample_coefficients(20000, np.random.default_rng(0))
    assert draws.shape == (20000, 2)
    np.testing.assert_allclose(np.median(draws, axis=0), fit.coef, atol=0.05 * np.sqrt(np.diag(fit.cov)).max() + 1e-6)
    np.testing.assert_allclose(np.cov(draws.T), fit.cov * fit.dof / (fit.dof - 2), rtol=0.1)  # t covariance


def test_extrapolation_band_brackets_the_fit():
    fit = noisy_line(1.0)
    band = gpt3.extrapolation_band(fit, [1e9, 1e12, 1e15], level=0.9, n_samples=2000)
    assert list(band.columns) == ["params", "point", "low", "high"]
    np.testing.assert_allclose(band.point, fit.predict(band.params))
    assert (band.low < band.point).all() and (band.point < band.high).all()
    assert (band.high - band.low).iloc[-1] > (band.high - band.low).iloc[0]  # wider further out


def test_fit_round_trips_through_json():
    fit = gpt3.fit_logistic([1e9, 1e10, 1e11], [30.0, 50.0, 75.0], chance=25)
    again = gpt3.Fit.from_dict(fit.to_dict())
    np.testing.assert_allclose(again.coef, fit.coef)
    np.testing.assert_allclose(again.cov, fit.cov)
    assert (again.kind, again.dof, again.chance, again.ceiling) == (fit.kind, fit.dof, fit.chance, fit.ceiling)
    assert gpt3.json_number(math.inf) == "inf" and gpt3.from_json_number("inf") == math.inf
    assert gpt3.json_number(math.nan) is None and math.isnan(gpt3.from_json_number(None))


# ---- intervals, classes, back-test ---------------------------------------------------


def test_prediction_interval_is_wider_than_the_band_and_holds_new_values_at_its_level():
    # Many data sets from one true line: the 90% prediction interval at a
    # size beyond the fitted ones holds a new value ~90% of the time (the
    # binomial sd over 2000 trials is 0.7 points; the tolerance is 3).
    rng = np.random.default_rng(5)
    params = np.array(SIZES[:-1], dtype=float)
    truth = lambda p: 10.0 + 6.0 * np.log10(p)  # noqa: E731
    inside, band_inside = 0, 0
    for _ in range(2000):
        fit = gpt3.fit_log_linear(params, truth(params) + rng.normal(0, 2.0, params.size))
        out = fit.intervals(SIZES[-1], level=0.9)
        assert (
            out["prediction_low"][0]
            < out["band_low"][0]
            < out["point"][0]
            < out["band_high"][0]
            < out["prediction_high"][0]
        )
        new = truth(SIZES[-1]) + rng.normal(0, 2.0)
        inside += out["prediction_low"][0] <= new <= out["prediction_high"][0]
        band_inside += out["band_low"][0] <= new <= out["band_high"][0]
    assert inside / 2000 == pytest.approx(0.9, abs=0.03)
    assert band_inside / 2000 < 0.85  # the curve's band is not an interval for a new value


def test_logistic_intervals_stay_between_chance_and_ceiling():
    fit = gpt3.fit_logistic(SIZES[:-1], [30, 33, 38, 45, 55, 62, 70], chance=25)
    out = fit.intervals([1e12, 1e15], level=0.9)
    assert (out["prediction_low"] > 25).all() and (out["prediction_high"] < 100).all()


def test_classify_series():
    sizes = np.array(SIZES, dtype=float)
    line = 20 + 8 * np.log10(sizes / 1e8)
    smooth = gpt3.classify_series(sizes, line, chance=0)
    # Near zero, then a rise: emergent-looking in accuracy, but a straight
    # line in logit space, so the logistic fit describes it and is selected.
    logit = -7 + 1.6 * (np.log10(sizes) - 8)
    emergent = gpt3.classify_series(sizes, 100 / (1 + np.exp(-logit)), chance=0)
    flat = gpt3.classify_series(sizes, [50, 51, 49, 52, 50, 53, 55, 57], chance=50)
    irregular = gpt3.classify_series(sizes, [50, 70, 52, 71, 53, 69, 54, 68], chance=25)
    assert [r["class"] for r in (smooth, emergent, flat, irregular)] == ["smooth", "smooth", "flat", "irregular"]
    assert smooth["selected"] == "log-linear" and emergent["selected"] == "logistic"
    assert emergent["emergent_shape"] and not smooth["emergent_shape"]
    assert emergent["quality"]["logistic"]["r_squared"] > 0.99 > emergent["quality"]["log-linear"]["r_squared"]
    assert flat["selected"] is None and irregular["selected"] is None
    assert not any(q["adequate"] for q in irregular["quality"].values())
    with pytest.raises(ValueError):
        gpt3.classify_series([1e9, 1e10], [1, 2], chance=0)


def test_a_fit_is_adequate_only_if_it_describes_a_rising_series():
    sizes = np.array(SIZES, dtype=float)
    rising = gpt3.fit_log_linear(sizes, 30 + 5 * np.log10(sizes / 1e8) + np.random.default_rng(0).normal(0, 0.5, 8))
    quality = gpt3.fit_quality(rising, sizes, rising.predict(sizes) + 0.1, level=0.9)
    assert quality["adequate"] and quality["r_squared"] > 0.99 and quality["slope_low"] > 0
    falling = 60 - 2 * np.log10(sizes / 1e8)
    assert not gpt3.fit_quality(gpt3.fit_log_linear(sizes, falling), sizes, falling)["adequate"]  # slope below zero
    assert gpt3.r_squared(rising, sizes, rising.predict(sizes)) == pytest.approx(1.0)
    low, high = gpt3.slope_interval(rising, 0.9)
    assert low < rising.slope < high


def verified_series():
    data = table()
    for benchmark, setting in gpt3.series_with_data(gpt3.BENCHMARKS, gpt3.SETTINGS, SIZES):
        rows = data[(data.benchmark == benchmark) & (data.setting == setting)].sort_values("params")
        yield benchmark, setting, rows


def test_the_verified_fits_classify_alike_for_any_r_squared_threshold_between_0_3_and_0_57():
    r2 = []
    for benchmark, _setting, rows in verified_series():
        result = gpt3.classify_series(rows.params, rows.accuracy, gpt3.CHANCE[benchmark])
        r2 += [q["r_squared"] for q in result["quality"].values()]
    r2 = np.array(r2)
    assert len(r2) == 2 * 38
    assert not ((r2 >= 0.30) & (r2 <= 0.57)).any() and 0.30 < gpt3.R2_MIN < 0.57


def test_the_goodness_of_fit_check_on_the_series_the_review_named():
    got = {(b, s): gpt3.classify_series(r.params, r.accuracy, gpt3.CHANCE[b]) for b, s, r in verified_series()}
    # BoolQ zero-shot falls from 66.2 at 13B to 60.5 at 175B: no fit describes it, so none is extrapolated.
    boolq = got[("BoolQ", "zero-shot")]
    assert boolq["class"] == "irregular" and boolq["selected"] is None
    # Symbol Insertion few-shot looks emergent in accuracy, yet its logit is a straight line.
    symbol = got[("Symbol Insertion", "few-shot")]
    assert symbol["emergent_shape"] and symbol["class"] == "smooth" and symbol["selected"] == "logistic"
    assert symbol["quality"]["logistic"]["r_squared"] > 0.9
    # Symbol Insertion zero-shot gains 8.26 points over chance at 175B: flat.
    assert got[("Symbol Insertion", "zero-shot")]["class"] == "flat"


def test_backtest_series_on_an_exact_line():
    sizes = np.array(SIZES, dtype=float)
    accuracy = 12.0 + 5.0 * np.log10(sizes / 1e8) + np.array([0.3, -0.2, 0.1, -0.3, 0.2, -0.1, 0.05, 0.0])
    result = gpt3.backtest_series(sizes, accuracy, 0.0, 13e9, "log-linear", level=0.9)
    assert result["fitted_sizes"] == 7 and result["predicted_size"] == 175e9
    assert abs(result["error"]) < 1.0 and result["in_prediction"]
    assert result["error"] == pytest.approx(result["predicted"] - result["actual"])
    assert result["predicted_capped"] == result["predicted"] and result["error_capped"] == result["error"]
    assert result["adequate"] and result["selected"] and result["class"] == "smooth"
    with pytest.raises(ValueError, match="back-test"):
        gpt3.backtest_series(sizes, accuracy, 0.0, 350e6, "log-linear")
    with pytest.raises(ValueError, match="back-test"):
        gpt3.backtest_series(sizes, accuracy, 0.0, 175e9, "log-linear")


def test_backtest_predictions_above_100_are_capped():
    # LAMBADA few-shot: the straight line through 125M-13B predicts 122.6 at 175B.
    rows = table().query("benchmark == 'LAMBADA acc' and setting == 'few-shot'").sort_values("params")
    result = gpt3.backtest_series(rows.params, rows.accuracy, 0.0, 13e9, "log-linear")
    assert result["predicted"] == pytest.approx(122.6, abs=0.05) and result["actual"] == 86.4
    assert result["predicted_capped"] == 100.0 and result["error_capped"] == pytest.approx(100.0 - 86.4)
    assert gpt3.cap_accuracy(-3.0) == 0.0 and gpt3.cap_accuracy(55.0) == 55.0


def test_backtest_overshoot_is_the_quantile_of_the_selected_fits_capped_errors():
    backtests = [{"selected": True, "error_capped": e} for e in range(1, 11)] + [
        {"selected": False, "error_capped": 99}
    ]
    out = gpt3.backtest_overshoot(backtests, quantile=0.9)
    # An observed error, rounded up ("higher"): the 10th of 10, not an interpolation.
    assert out == {"quantile": 0.9, "selected": 10.0, "count": 10}
    assert math.isnan(gpt3.backtest_overshoot([{"selected": False, "error_capped": 1.0}])["selected"])


def test_needs_verdict_rule():
    claim, reach = 175e12, 2.4e12
    row = {"params_high": 3e11, "params_shifted": 8e11}
    assert gpt3.needs_verdict(row, claim, reach)[0] == "not supported"
    # The crossing's interval reaches the claimed size: undecided.
    assert gpt3.needs_verdict({**row, "params_high": math.inf}, claim, reach)[0] == "inconclusive"
    # Lowered by the margin, the fit gets there only beyond the back-tested reach: undecided.
    assert gpt3.needs_verdict({**row, "params_shifted": 5e12}, claim, reach)[0] == "inconclusive"
    assert gpt3.needs_verdict({**row, "params_shifted": math.nan}, claim, reach)[0] == "inconclusive"
    # No fit, or no rise: undecided, and never "supported".
    assert gpt3.needs_verdict(None, claim, reach) == ("inconclusive", "no fit describes the series")
    assert "flat" in gpt3.needs_verdict(None, claim, reach, "flat")[1]


def test_two_point_crossing():
    assert gpt3.two_point_crossing([1e9, 1e10], [10.0, 20.0], 30.0) == pytest.approx(1e11)
    assert gpt3.two_point_crossing([1e9, 1e10], [20.0, 10.0], 30.0) == math.inf
    # The chart's few-shot series: 27.3% at 13B and 67.2% at 175B reach 70% near 2e11.
    assert gpt3.two_point_crossing([13e9, 175e9], [27.3, 67.2], 70.0) == pytest.approx(2.1e11, rel=0.05)


def test_clopper_pearson_and_cluster_bootstrap():
    low, high = gpt3.clopper_pearson(0, 10, level=0.9)
    assert low == 0 and high == pytest.approx(1 - 0.05**0.1)
    low, high = gpt3.clopper_pearson(5, 10, level=0.9)
    assert low < 0.5 < high and (low, high) == pytest.approx((1 - high, 1 - low))
    assert gpt3.cluster_bootstrap_mean([2.0] * 6, list("aabbcc")) == pytest.approx((2.0, 2.0))
    low, high = gpt3.cluster_bootstrap_mean([1, 1, 1, 5, 5, 5], list("aaabbb"), n=4000)
    assert low == pytest.approx(1.0) and high == pytest.approx(5.0)


def test_no_finite_bound_when_the_upper_end_means_nothing():
    # Eight noisy points of a nearly flat line. Seed 2: the slope's 90%
    # interval reaches zero. Seed 0: it does not, but the upper end would
    # be ~1e50 parameters, 39 decades out. Both read "no finite bound".
    sizes = np.array(SIZES, dtype=float)
    for seed, slope_rule in ((2, True), (0, False)):
        rng = np.random.default_rng(seed)
        fit = gpt3.fit_log_linear(sizes, 60 + 0.3 * np.log10(sizes / 1e8) + rng.normal(0, 2.0, 8))
        assert ((fit.sample_coefficients(20000, 0)[:, 1] <= 0).mean() > 0.05) == slope_rule
        needed = gpt3.params_for_accuracy(fit, 70.0, n_samples=20000, seed=0, level=0.9)
        assert needed["high"] == math.inf and np.isfinite(needed["point"])
        assert gpt3.count_text(needed["high"]) == "no finite bound"
    # A well-determined line keeps its finite upper end.
    assert np.isfinite(gpt3.params_for_accuracy(noisy_line(1.0), 80.0, n_samples=5000)["high"])


def test_decades_never_print_minus_zero():
    assert (
        gpt3.decades_text(-0.04) == "+0.0"
        and gpt3.decades_text(-0.06) == "-0.1"
        and gpt3.decades_text(math.inf) == "no finite bound"
    )


# ---- the compute-optimal view ----------------------------------------------------------


def test_loss_law_and_its_compute_optimal_split():
    from gobig.methods.scaling import chinchilla

    h = chinchilla.HOFFMANN_2022
    assert chinchilla.loss(h, 175e9, 300e9) == pytest.approx(1.69 + 406.4 / 175e9**0.34 + 410.7 / 300e9**0.28)
    compute = 6 * 175e9 * 300e9
    for constants in (h, chinchilla.BESIROGLU_2024):
        n, d = chinchilla.optimal_split(constants, compute)
        assert 6 * n * d == pytest.approx(compute)
        # The optimum beats every other split of the same FLOPs on a grid.
        grid = n * np.logspace(-1, 1, 41)
        losses = chinchilla.loss(constants, grid, compute / (6 * grid))
        assert chinchilla.loss(constants, n, d) <= losses.min() + 1e-12
        assert chinchilla.optimal_split(constants, chinchilla.compute_for_optimal_params(constants, 175e12))[
            0
        ] == pytest.approx(175e12)
    view = chinchilla.budget_view(h, 175e9, 300e9)
    assert view["data_floor"] < view["scaled_loss_same_tokens"] < view["loss"]
    assert view["optimal_loss"] < view["loss"]
    draws = chinchilla.refit_draws(5000, 0)
    assert all((values > 0).all() and values.size == 5000 for values in draws.values())
    assert np.median(draws["alpha"]) == pytest.approx(0.3478, abs=0.002)
    with pytest.raises(ValueError):
        chinchilla.loss(h, 0, 1e9)


def test_the_additive_law_gains_the_same_whatever_the_tokens_and_kaplans_does_not():
    from gobig.methods.scaling import chinchilla

    for tokens in (3e9, 300e9, 3e13):
        gain = chinchilla.loss_gain(13e9, 175e9, tokens)
        assert gain["hoffmann"]["share"] == pytest.approx(1.0, abs=1e-9)
        assert gain["hoffmann"]["at_tokens"] == pytest.approx(
            chinchilla.HOFFMANN_2022["A"] * (13e9**-0.34 - 175e9**-0.34), rel=1e-9
        )
    # Kaplan et al.'s law: a fixed data budget shrinks the larger model's gain, less so with more data.
    shares = [chinchilla.loss_gain(13e9, 175e9, tokens)["kaplan"]["share"] for tokens in (30e9, 300e9, 3e12)]
    assert shares[0] < shares[1] < shares[2] < 1
    assert chinchilla.kaplan_loss(chinchilla.KAPLAN_2020, 175e9, np.inf) == pytest.approx(
        (6.4e13 / 175e9) ** (0.076 / 0.103 * 0.103)
    )


@pytest.fixture(scope="module")
def default_record():
    record = gpt3.default_record()
    assert record is not None, "the chapter's default record is not committed"
    return record


def test_the_chart_verdict_is_read_from_the_fit(default_record):
    claims = gpt3.claims_table(default_record).set_index("claim")
    row = claims.loc["~3 more orders of magnitude (175T parameters) would be needed to reach 70% in the chart"]
    chosen = gpt3.selected_fits(default_record).query("benchmark == 'Symbol Insertion' and setting == 'few-shot'")
    assert len(chosen) == 1  # the chart's series is verified at every size and fitted
    fit = chosen.iloc[0]
    expected = gpt3.needs_verdict(fit, 1000 * gpt3.GPT3_PARAMS, default_record["result"]["overshoot"]["reach_params"])
    assert row.verdict == expected[0]
    assert f"R² {fit.r_squared:.2f}" in row.measured and gpt3.count_text(fit.params_needed) in row.measured
    # The identification with Figure 1.2 is said to be an inference.
    assert "inferred" in claims.loc["GPT-3 (175B) did not reach 70% in the blog's chart"].source


def test_the_extension_row_is_the_books_and_follows_the_rule(default_record):
    claims = gpt3.claims_table(default_record)
    row = claims[claims.claim.str.startswith("the book's extension")]
    assert len(row) == 1 and "175T" in row.iloc[0].claim and "the book" in row.iloc[0].source
    lacking = gpt3.lacking_fits(default_record)[["benchmark", "setting"]].drop_duplicates()
    selected = gpt3.selected_fits(default_record).set_index(["benchmark", "setting"])
    reach = default_record["result"]["overshoot"]["reach_params"]
    verdicts = [
        gpt3.needs_verdict(selected.loc[key] if key in selected.index else None, 175e12, reach)[0]
        for key in lacking.itertuples(index=False, name=None)
    ]
    expected = "not supported" if all(v == "not supported" for v in verdicts) else "inconclusive"
    assert row.iloc[0].verdict == expected
    assert f"{verdicts.count('not supported')} reach it" in row.iloc[0].measured


def test_every_blog_sentence_on_gpt3_has_a_row_and_whys_name_no_team_notes(default_record):
    claims = gpt3.claims_table(default_record)
    text = claims[claims.claim.str.contains("text in ==> text out", regex=False)]
    assert len(text) == 1 and text.iloc[0].verdict == "not checkable"
    for column in ("claim", "source", "measured", "why"):
        for value in claims[column]:
            assert not any(word in value for word in ("REFERENCES", "issue", "session", "tests/", "review")), value


# ---- study parameters and records ------------------------------------------------


@pytest.fixture
def smoke_values():
    return gpt3.load_profile("smoke")


def test_profiles_are_valid():
    for name in ("smoke", "full"):
        params = gpt3.validate_parameters(gpt3.load_profile(name))
        assert params["MODEL_SIZES"] == list(SIZES) and all(type(size) is int for size in params["MODEL_SIZES"])
        assert all(isinstance(value, float) for value in params["TOKEN_COUNTS"])
        assert params["BACKTEST_LARGEST"] == 13_000_000_000
    full = gpt3.validate_parameters(gpt3.load_profile("full"))
    assert full["TOKEN_COUNTS"] == [300e9, 499e9] and full["EFFECTIVE_DIMENSIONS"] == [1, 15, 150, 784, 1000]
    assert set(full["BENCHMARKS"]) == set(gpt3.CHANCE) and full["UNCERTAINTY_SAMPLES"] == 20000
    assert full["SETTINGS"] == list(gpt3.SETTINGS)


BAD_VALUES = [
    ("BENCHMARKS", ["MMLU"], "BENCHMARKS", "'LAMBADA acc'"),
    ("BENCHMARKS", [], "BENCHMARKS", "non-empty"),
    ("SETTINGS", ["two-shot"], "SETTINGS", "'zero-shot', 'one-shot', 'few-shot'"),
    ("MODEL_SIZES", [1_300_000_000, 175_000_000_000], "MODEL_SIZES", "at least 3"),
    ("MODEL_SIZES", [100_000_000], "MODEL_SIZES", "1300000000"),
    ("BACKTEST_LARGEST", 175_000_000_000, "BACKTEST_LARGEST", "below the largest"),
    ("BACKTEST_LARGEST", 350_000_000, "BACKTEST_LARGEST", "at least 3"),
    ("BACKTEST_LARGEST", 1e12, "BACKTEST_LARGEST", "13000000000"),
    ("TARGET_ACCURACY", 120, "TARGET_ACCURACY", "<= 100"),
    ("TARGET_ACCURACY", 100, "TARGET_ACCURACY", "< 100"),
    ("TARGET_ACCURACY", 0, "TARGET_ACCURACY", "> 0"),
    ("CONFIDENCE_LEVEL", 1.0, "CONFIDENCE_LEVEL", "< 1"),
    ("UNCERTAINTY_SAMPLES", 10, "UNCERTAINTY_SAMPLES", ">= 100"),
    ("TOKEN_COUNTS", [0], "TOKEN_COUNTS", "> 0"),
    ("EFFECTIVE_DIMENSIONS", "784", "EFFECTIVE_DIMENSIONS", "list"),
    ("SEED", -1, "SEED", ">= 0"),
]


@pytest.mark.parametrize("name,value,named,allowed", BAD_VALUES)
def test_bad_value_names_the_parameter(smoke_values, name, value, named, allowed):
    with pytest.raises(ParameterError) as error:
        gpt3.validate_parameters({**smoke_values, name: value})
    assert str(error.value).startswith(f"{named}:")
    assert allowed in str(error.value)


def test_model_sizes_may_be_written_as_floats(smoke_values):
    params = gpt3.validate_parameters({**smoke_values, "MODEL_SIZES": [175e9, 1.3e9, 7.6e8, 13e9, 13e9]})
    assert params["MODEL_SIZES"] == [760_000_000, 1_300_000_000, 13_000_000_000, 175_000_000_000] and all(
        type(size) is int for size in params["MODEL_SIZES"]
    )


def test_a_choice_without_verified_data_is_refused(smoke_values):
    with pytest.raises(ParameterError, match="^BENCHMARKS:.*verified"):
        gpt3.validate_parameters({**smoke_values, "BENCHMARKS": ["SuperGLUE avg (dev)"]})


def test_unknown_profile_lists_the_available_ones():
    with pytest.raises(ValueError, match="available profiles: full, smoke"):
        gpt3.load_profile("huge")


def test_run_stores_one_record_and_reuses_it(tmp_path, smoke_values):
    values = {**smoke_values, "RESULTS_DIR": str(tmp_path)}
    (record,) = gpt3.run(values)
    files = list((tmp_path / "gpt3").glob("*.json"))
    assert len(files) == 1 and files[0].stem == record["key"]
    before = files[0].stat().st_mtime_ns
    (again,) = gpt3.run(values)
    assert again == record and files[0].stat().st_mtime_ns == before
    assert "results_dir" not in record["config"] and record["config"]["data_sha256"] == gpt3.data_sha256()
    assert record["provenance"]["device"] == "cpu"

    requirements = gpt3.requirements_frame(record)
    assert len(requirements) == 2 * 5
    row = requirements[(requirements.tokens == 300e9) & (requirements.effective_dimension == 784)].iloc[0]
    assert row.required_params == pytest.approx(2.352e14)
    assert row.ratio_to_gpt3 == pytest.approx(2.352e14 / 175e9)

    fits = gpt3.fits_frame(record)
    assert len(fits) == 2 * 2 * 2  # benchmarks x settings x kinds
    assert set(fits.kind) == set(gpt3.FIT_KINDS) and (fits.dof == 6).all() and (fits["class"] == "smooth").all()
    assert (fits.target == smoke_values["TARGET_ACCURACY"]).all() and (fits.params_low <= fits.params_needed).all()
    # The stored numbers are those of a direct fit.
    table = gpt3.load_accuracies()
    rows = table[(table.benchmark == "TriviaQA") & (table.setting == "zero-shot")].sort_values("params")
    direct = gpt3.fit_log_linear(rows.params, rows.accuracy)
    stored = fits[(fits.benchmark == "TriviaQA") & (fits.setting == "zero-shot") & (fits.kind == "log-linear")].iloc[0]
    assert (stored.intercept, stored.slope) == pytest.approx(tuple(direct.coef))
    expected = gpt3.params_for_accuracy(
        direct, smoke_values["TARGET_ACCURACY"], n_samples=smoke_values["UNCERTAINTY_SAMPLES"], seed=0, level=0.9
    )
    assert (stored.params_needed, stored.params_low, stored.params_high) == pytest.approx(
        (expected["point"], expected["low"], expected["high"])
    )
    np.testing.assert_allclose(gpt3.fit_from_record(record, "TriviaQA", "zero-shot", "log-linear").coef, direct.coef)

    assert gpt3.default_record(tmp_path) is None  # the smoke record is not the default one
    claims = gpt3.claims_table(record)
    # The ledger's contract (gobig.report.ledger): a short why, the reasoning beyond it in detail.
    assert list(claims.columns) == ["claim", "source", "measured", "verdict", "why", "detail", "headline"]
    assert claims.why.str.len().max() <= 160, claims.why.str.len().max()
    assert claims.claim.str.contains("175T").any()
    assert set(claims.verdict) <= {
        "supported",
        "partly",
        "not supported",
        "inconclusive",
        "not applicable",
        "not checkable",
        "pending",
    }
    law_rows = claims[claims.claim.str.startswith("by the law")]
    assert len(law_rows) == 2 and (law_rows.verdict == "not applicable").all()
    chart = claims[claims.claim == "GPT-3 (175B) did not reach 70% in the blog's chart"].iloc[0]
    assert chart.verdict == "supported" and "67.2%" in chart.measured and "Figure 1.2" in chart.source

    backtests = gpt3.backtest_frame(record)
    assert len(backtests) == 2 * 2 * 2 and (backtests.fitted_sizes == 7).all()
    summary = gpt3.backtest_summary(record, n_boot=500)
    assert set(summary.kind) == set(gpt3.FIT_KINDS)
    assert ((summary.coverage_low <= summary.coverage) & (summary.coverage <= summary.coverage_high)).all()
    bounded = summary.dropna(subset=["mae_low"])  # one benchmark alone gives no clustered interval
    assert not bounded.empty
    assert ((bounded.mae_low <= bounded.mae + 1e-9) & (bounded.mae <= bounded.mae_high + 1e-9)).all()
    assert (summary.mae_capped <= summary.mae + 1e-9).all()
    optimal = gpt3.compute_optimal_frame(record).set_index("key")
    assert optimal.loc["compute", "hoffmann"] == pytest.approx(6 * 175e9 * 300e9)
    assert (optimal.besiroglu_low <= optimal.besiroglu_high).all()


def test_inf_is_stored_as_a_string_and_read_back(tmp_path, smoke_values):
    # At 99.99% the logistic fits' intervals have no upper end.
    (record,) = gpt3.run({**smoke_values, "TARGET_ACCURACY": 99.99, "RESULTS_DIR": str(tmp_path)})
    stored = [entry["params_for_target"]["high"] for entry in record["result"]["fits"]]
    assert "inf" in stored
    assert np.isinf(gpt3.fits_frame(record).params_high).any()
