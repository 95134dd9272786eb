"""GPT-3's tabulated accuracies, the fits and their inversion, and the
chapter 2 study's parameters and records."""

import math

import numpy as np
import pytest

from gobig import gpt3
from gobig.params import ParameterError

pytestmark = pytest.mark.unit

SIZES = (1_300_000_000, 13_000_000_000, 175_000_000_000)

# REFERENCES.md section 2 (Brown et al. 2020, Appendix H / Tables 3.2, 3.3).
REFERENCE_VALUES = {
    ("LAMBADA acc", "zero-shot"): (63.6, 72.5, 76.2),
    ("LAMBADA acc", "few-shot"): (57.0, 81.3, 86.4),
    ("TriviaQA", "zero-shot"): (19.7, 41.8, 64.3),
    ("TriviaQA", "few-shot"): (32.1, 57.5, 71.2),
    ("HellaSwag", "zero-shot"): (54.7, 70.9, 78.9),
    ("HellaSwag", "few-shot"): (54.9, 71.3, 79.3),
    ("Winogrande", "zero-shot"): (58.7, 67.9, 70.2),
    ("Winogrande", "few-shot"): (61.2, 70.0, 77.7),
    ("PIQA", "zero-shot"): (75.1, 78.5, 81.0),
    ("SuperGLUE avg (dev)", "few-shot"): (60.0, 66.3, 71.8),
}


# ---- data ---------------------------------------------------------------------


def test_accuracy_table_matches_the_references():
    table = gpt3.load_accuracies()
    assert list(table.columns) == ["benchmark", "setting", "params", "accuracy", "source", "uncertain"]
    # (4 benchmarks x 2 settings + PIQA zero-shot + SuperGLUE few-shot) x 3 sizes
    assert len(table) == 30
    assert not table.duplicated(["benchmark", "setting", "params"]).any()
    assert set(table.params) == set(SIZES) and table.params.dtype.kind == "i"
    for (benchmark, setting), values in REFERENCE_VALUES.items():
        rows = table[(table.benchmark == benchmark) & (table.setting == setting)].sort_values("params")
        assert tuple(rows.params) == SIZES
        assert tuple(rows.accuracy) == pytest.approx(values, abs=1e-9), (benchmark, setting)
    assert set(zip(table.benchmark, table.setting)) == set(REFERENCE_VALUES)
    assert set(table.benchmark) == set(gpt3.CHANCE)


def test_sources_and_uncertain_flags():
    table = gpt3.load_accuracies()
    superglue = table.benchmark == "SuperGLUE avg (dev)"
    assert table.uncertain.dtype == bool
    assert table[superglue].uncertain.all() and not table[~superglue].uncertain.any()
    assert table[superglue].source.str.contains("uncertain").all()
    cross_checked = table.benchmark.isin(["LAMBADA acc", "TriviaQA", "HellaSwag"])
    assert table[cross_checked].source.str.contains("Tables 3.2/3.3").all()
    assert table.source.str.startswith("Brown et al. 2020, Appendix H").all()


def test_models_and_token_mix():
    models = gpt3.load_models()
    assert list(models.params) == [125_000_000, 350_000_000, 760_000_000, 1_300_000_000, 2_700_000_000, 6_700_000_000, 13_000_000_000, 175_000_000_000]
    assert (models.training_tokens == 300_000_000_000).all()
    mix = gpt3.load_token_mix()
    assert dict(zip(mix.dataset, mix.tokens_billions)) == {"Common Crawl": 410, "WebText2": 19, "Books1": 12, "Books2": 55, "Wikipedia": 3}
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

    falling = gpt3.fit_log_linear(GRID, 90.0 - 3.0 * np.log10(GRID) + np.random.default_rng(0).normal(0, 0.1, GRID.size))
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


# ---- study parameters and records ------------------------------------------------


@pytest.fixture
def smoke_values():
    return gpt3.load_profile("smoke")


def test_profiles_are_valid():
    for name in ("smoke", "full"):
        params = gpt3.validate_parameters(gpt3.load_profile(name))
        assert params["MODEL_SIZES"] == list(SIZES) and all(type(size) is int for size in params["MODEL_SIZES"])
        assert all(isinstance(value, float) for value in params["TOKEN_COUNTS"])
    full = gpt3.validate_parameters(gpt3.load_profile("full"))
    assert full["TOKEN_COUNTS"] == [300e9, 499e9] and full["EFFECTIVE_DIMENSIONS"] == [1, 15, 150, 784, 1000]
    assert set(full["BENCHMARKS"]) == set(gpt3.CHANCE) and full["UNCERTAINTY_SAMPLES"] == 20000


BAD_VALUES = [
    ("BENCHMARKS", ["MMLU"], "BENCHMARKS", "'LAMBADA acc'"),
    ("BENCHMARKS", [], "BENCHMARKS", "non-empty"),
    ("SETTINGS", ["one-shot"], "SETTINGS", "'zero-shot', 'few-shot'"),
    ("MODEL_SIZES", [1_300_000_000, 175_000_000_000], "MODEL_SIZES", "at least 3"),
    ("MODEL_SIZES", [125_000_000], "MODEL_SIZES", "1300000000"),
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
    params = gpt3.validate_parameters({**smoke_values, "MODEL_SIZES": [175e9, 1.3e9, 13e9, 13e9]})
    assert params["MODEL_SIZES"] == list(SIZES) and all(type(size) is int for size in params["MODEL_SIZES"])


def test_a_choice_without_data_is_refused(smoke_values):
    with pytest.raises(ParameterError, match="^BENCHMARKS:"):
        gpt3.validate_parameters({**smoke_values, "BENCHMARKS": ["PIQA"], "SETTINGS": ["few-shot"]})


def test_unknown_profile_lists_the_available_ones():
    with pytest.raises(ValueError, match="available profiles: full, smoke"):
        gpt3.load_profile("huge")


def test_run_stores_one_record_and_reuses_it(tmp_path, smoke_values):
    values = {**smoke_values, "RESULTS_DIR": str(tmp_path)}
    record = gpt3.run(values)
    files = list((tmp_path / "gpt3").glob("*.json"))
    assert len(files) == 1 and files[0].stem == record["key"]
    before = files[0].stat().st_mtime_ns
    again = gpt3.run(values)
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
    assert set(fits.kind) == set(gpt3.FIT_KINDS) and (fits.dof == 1).all()
    assert (fits.target == smoke_values["TARGET_ACCURACY"]).all() and (fits.params_low <= fits.params_needed).all()
    # The stored numbers are those of a direct fit.
    table = gpt3.load_accuracies()
    rows = table[(table.benchmark == "TriviaQA") & (table.setting == "zero-shot")].sort_values("params")
    direct = gpt3.fit_log_linear(rows.params, rows.accuracy)
    stored = fits[(fits.benchmark == "TriviaQA") & (fits.setting == "zero-shot") & (fits.kind == "log-linear")].iloc[0]
    assert (stored.intercept, stored.slope) == pytest.approx(tuple(direct.coef))
    expected = gpt3.params_for_accuracy(direct, smoke_values["TARGET_ACCURACY"], n_samples=smoke_values["UNCERTAINTY_SAMPLES"], seed=0, level=0.9)
    assert (stored.params_needed, stored.params_low, stored.params_high) == pytest.approx((expected["point"], expected["low"], expected["high"]))
    np.testing.assert_allclose(gpt3.fit_from_record(record, "TriviaQA", "zero-shot", "log-linear").coef, direct.coef)

    assert gpt3.default_record(tmp_path) is None  # the smoke record is not the default one
    claims = gpt3.claims_table(record)
    assert list(claims.columns) == ["claim", "source", "measured", "verdict", "why"]
    assert claims.claim.str.contains("175T").any()


def test_inf_is_stored_as_a_string_and_read_back(tmp_path, smoke_values):
    # At 99.99% the logistic fits' intervals have no upper end.
    record = gpt3.run({**smoke_values, "TARGET_ACCURACY": 99.99, "RESULTS_DIR": str(tmp_path)})
    stored = [entry["params_for_target"]["high"] for entry in record["result"]["fits"]]
    assert "inf" in stored
    assert np.isinf(gpt3.fits_frame(record).params_high).any()
