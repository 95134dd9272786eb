"""The chapters' claim verdicts, and the sentences that read their results
(``gobig.report.readings``), in the cases the committed CPU records and the smoke
runs never reach: chapter 1 on records shaped like the full (GPU) profile's
(they reach only "pending" and "inconclusive"), chapter 3 when a model
solves something or the loss shows the leak. These are what the chapters
meet once the GPU records land, checked before they do."""

import copy
import json
import math
import re

import numpy as np
import pandas as pd
import pytest

from gobig.methods.robustness.models import build_model
from gobig.methods.scaling import law
from gobig.report import readings
from gobig.report.readings import alphacode as chapter3_readings
from gobig.studies import alphacode, mnist

pytestmark = pytest.mark.unit

SCALES = (1, 2, 4, 8, 16, 32)


def parameter_count(family: str, size: int) -> int:
    return sum(p.numel() for p in build_model(family, size).parameters())


def record(
    family: str,
    size: int,
    mode: str,
    seed: int,
    clean: float,
    robust: float,
    majority: float = 0.11,
    spectral: float = 100.0,
    training: dict | None = None,
    local: float = 2.0,
) -> dict:
    return {
        "config": {
            "family": family,
            "size": size,
            "mode": mode,
            "seed": seed,
            "training": {
                "train_subset": None,
                "epochs": 10,
                "batch_size": 128,
                "learning_rate": 1e-3,
                "lr_schedule": "cosine",
                "precision": "auto",
                **(training or {}),
            },
        },
        "provenance": {"device": "cuda", "device_name": "NVIDIA H200"},
        "result": {
            "family": family,
            "size": size,
            "mode": mode,
            "seed": seed,
            "num_params": parameter_count(family, size),
            "clean_accuracy": clean,
            "robust": [
                {"norm": "linf", "eps": 0.3, "accuracy": robust},
                {"norm": "l2", "eps": 1.5, "accuracy": robust / 2},
            ],
            "majority_class_share": majority,
            "lipschitz": {
                "local_mean": 1.0,
                "local_max": local,
                "local_median": 1.0,
                "points": 100,
                "spectral_bound": spectral,
            },
            "robust_eval_images": 10_000,
            "robust_subset_clean_accuracy": clean,
            "history": [],
            "train_time_s": 1.0,
            "eval_time_s": 1.0,
        },
    }


@pytest.fixture(scope="module")
def full_shaped_records():
    """Three seeds of every Madry scale in both modes, and the blog's model:
    PGD-trained robust accuracy crosses 90% at scale 4 (207K parameters,
    within half a decade of the claimed 1e5) and 95% only at scale 32 (13M,
    more than half a decade from the claimed 1e6)."""
    pgd_robust = {1: 0.10, 2: 0.55, 4: 0.91, 8: 0.93, 16: 0.935, 32: 0.955}
    records = []
    for seed in range(3):
        for size in SCALES:
            records.append(record("madry", size, "natural", seed, clean=0.99, robust=0.0, spectral=1e4))
            records.append(
                record(
                    "madry",
                    size,
                    "pgd",
                    seed,
                    clean=0.988 if size >= 16 else 0.95,
                    robust=pgd_robust[size],
                    majority=0.97 if size == 1 else 0.11,
                    spectral=5.0,
                )
            )
    records.append(
        record(
            "blog",
            1,
            "natural",
            0,
            clean=0.9925,
            robust=0.0,
            training={"train_subset": None, "epochs": 15, "batch_size": 5},
        )
    )
    return records


def verdicts(records) -> dict:
    """The verdicts as the chapter draws them: beside the committed collapse profile and its controls."""
    claims = mnist.claims_table(mnist.load_results(records))
    return dict(zip(claims["claim"], claims["verdict"]))


def test_every_claim_gets_a_verdict_from_full_shaped_records(full_shaped_records):
    assert verdicts(full_shaped_records) == {
        "n*d for MNIST is 4.7e7": "supported",
        "10^5 parameters reach 90% robust accuracy": "supported",
        # Scale 32 reaches 95.5% at 13M, but no model within half a decade of 1e6 does and the fit puts the
        # crossing above that half decade (or never): the models span it, so the claim is refuted, not left open.
        "10^6 parameters reach 95% robust accuracy": "not supported",
        # These hand-made records keep no PGD-40 accuracy beside the worst case.
        "10^5 parameters reach 90% robust accuracy (PGD-40, as Madry et al. measure)": "pending",
        "10^6 parameters reach 95% robust accuracy (PGD-40, as Madry et al. measure)": "pending",
        # Clean accuracy of natural training is 99% at every scale: both levels are reached far below the claims.
        "10^5 parameters reach 90% accuracy (plain reading: clean, natural training)": "not supported",
        "10^6 parameters reach 95% accuracy (plain reading: clean, natural training)": "not supported",
        "natural training gives ~0% PGD accuracy at eps 0.3": "supported",
        # The committed collapse profile and its controls: scale 1 stays one class with 4x the steps and
        # scale 8 learns on the budget, but scale 2 learns with 4x the steps (it was not trained yet).
        mnist.COLLAPSE_CLAIM: "partly",
        # Scale 1 stays at 10% in these records: below halfway up the jump, as a capacity threshold has it.
        mnist.RECIPE_CLAIM: "supported",
        "s=16 PGD-trained: 98.8% clean, 93.2% PGD-40": "supported",
        "a 688K model reaches 99.2% after 15 epochs at batch 5": "supported",
        # MNIST's labels are nearly clean: the law's premise (a fit below the noise level) is not met.
        "Lipschitz >= sqrt(n d / p) for models that fit noisy data": "not applicable",
    }


def test_the_threshold_rows_give_the_fitted_crossing_and_the_first_scale_that_reaches_the_level(full_shaped_records):
    measured = mnist.claims_table(mnist.Results.of(full_shaped_records)).set_index("claim")["measured"]
    ninety = measured["10^5 parameters reach 90% robust accuracy"]
    assert re.match(
        r"fit crosses 90% at 2\.\de\+05 params \(95% bootstrap over seeds 2\.\de\+05-2\.\de\+05, within the measured sizes\)",
        ninety,
    ), ninety
    assert ninety.endswith(f"; 91.0% (all 3 seeds) first at {parameter_count('madry', 4):,} params (scale 4)")
    ninety_five = measured["10^6 parameters reach 95% robust accuracy"]
    assert ninety_five.startswith("fit plateau ") and "below 95%" in ninety_five, ninety_five
    assert ninety_five.endswith(f"; 95.5% (all 3 seeds) first at {parameter_count('madry', 32):,} params (scale 32)")
    assert (
        "all 60,000 training images"
        in mnist.claims_table(mnist.Results.of(full_shaped_records)).set_index("claim")["measured"][
            "a 688K model reaches 99.2% after 15 epochs at batch 5"
        ]
    )


def test_results_below_the_papers_are_not_supported(full_shaped_records):
    weaker = []
    for r in full_shaped_records:
        result = r["result"]
        if result["family"] == "madry" and result["mode"] == "pgd" and result["size"] == 16:
            r = record("madry", 16, "pgd", result["seed"], clean=0.97, robust=0.85)
        elif result["family"] == "blog":
            r = record("blog", 1, "natural", 0, clean=0.985, robust=0.0, training=r["config"]["training"])
        weaker.append(r)
    found = verdicts(weaker)
    assert found["s=16 PGD-trained: 98.8% clean, 93.2% PGD-40"] == "not supported"
    assert found["a 688K model reaches 99.2% after 15 epochs at batch 5"] == "partly"


def test_the_madry_row_compares_pgd_40_with_pgd_40_and_shows_the_worst_case_beside_it(full_shaped_records):
    """Madry et al.'s 93.2% is PGD-40's accuracy: the row compares our
    PGD-40 stage with it, not the worst case over stronger attacks, which
    it shows beside; the why names how our training differs from theirs."""
    staged = []
    for r in full_shaped_records:
        result = r["result"]
        if result["family"] == "madry" and result["mode"] == "pgd" and result["size"] == 16:
            r = record("madry", 16, "pgd", result["seed"], clean=0.988, robust=0.85)
            r["result"]["robust"][0].update(pgd_accuracy=0.93, images=1000, correct=850)
            r["config"]["training"].update(pgd_steps=5, pgd_step_size=0.1, eps=0.3, eps_warmup=0.2)
        staged.append(r)
    row = (
        mnist.claims_table(mnist.Results.of(staged))
        .set_index("claim")
        .loc["s=16 PGD-trained: 98.8% clean, 93.2% PGD-40"]
    )
    assert row["verdict"] == "supported"
    # Each seed 930 of 1,000 on the same images: not 2,790 independent trials of 3,000 (pooled [92.0, 93.9])
    # but the seeds' exact intervals, scipy.stats.binomtest(930, 1000).proportion_ci() = [0.9124, 0.9450].
    assert "93.0% (all 3 seeds) under PGD-40 [91.2, 94.5]" in row["measured"], row["measured"]
    # 850 of 1,000 robust on each seed (no per-example results): the exact interval [0.8263, 0.8716].
    assert row["measured"].endswith(
        "; 85.0% (all 3 seeds) worst case over every attack [82.6, 87.2], beside Madry et al.'s network at "
        "88.50% under AutoAttack and 89.3% under PGD-100x20"
    ), row["measured"]
    assert len(row["why"]) <= 160 and "(chapter)" in row["why"]
    # Well below the paper on PGD-40 itself: not supported.
    for r in staged:
        if r["result"]["size"] == 16 and r["result"]["mode"] == "pgd":
            r["result"]["robust"][0]["pgd_accuracy"] = 0.80
    assert verdicts(staged)["s=16 PGD-trained: 98.8% clean, 93.2% PGD-40"] == "not supported"


def test_the_law_row_is_in_the_laws_units_when_the_records_hold_the_scales(full_shaped_records):
    """Inputs divided by their mean norm and outputs by the margins'
    largest value multiply a raw constant by mean ||x|| / max |margin|."""
    scaled = []
    for r in full_shaped_records:
        r = {**r, "result": {**r["result"], "lipschitz": dict(r["result"]["lipschitz"])}}
        r["result"]["lipschitz"].update(input_norm_mean=9.0, margin_abs_max=18.0, pairs_lower_bound=3.0)
        scaled.append(r)
    measured = mnist.claims_table(mnist.Results.of(scaled)).set_index("claim")["measured"][
        "Lipschitz >= sqrt(n d / p) for models that fit noisy data"
    ]
    # Raw: local 2, upper bound 5, pairs 3; times 9 / 18.
    assert "in the law's units: local 1, upper bound 2.5, pairs of training points 1.5;" in measured, measured
    assert (
        "in raw units: local 2, upper bound 5;"
        in mnist.claims_table(mnist.Results.of(full_shaped_records)).set_index("claim")["measured"][
            "Lipschitz >= sqrt(n d / p) for models that fit noisy data"
        ]
    )


def test_the_law_row_counts_the_pgd_models_with_a_bound_below_the_law(full_shaped_records):
    measured = mnist.claims_table(mnist.Results.of(full_shaped_records)).set_index("claim")["measured"][
        "Lipschitz >= sqrt(n d / p) for models that fit noisy data"
    ]
    # An upper bound of 5 is below sqrt(n d / p) up to about 1.9M parameters: scales 1-8, not 16 and 32,
    # counted per model (every seed), as the chapter's prose counts them.
    below = [s for s in SCALES if law.lipschitz_lower_bound(parameter_count("madry", s)) > 5.0]
    assert below == [1, 2, 4, 8]
    assert measured.endswith(
        f"upper bound below the law: {3 * len(below)} of {3 * len(SCALES)} Madry networks (every seed), at 95% clean accuracy"
    ), measured
    found = readings.mnist_readings(mnist.Results.of(full_shaped_records))["law_reading"]
    assert found.startswith(f"{3 * len(below)} of the {3 * len(SCALES)} PGD-trained Madry networks (every seed)"), found


def split_frame(temporal: tuple[int, int], random: list[tuple[int, int]], column: str = "baseline") -> pd.DataFrame:
    rows = [{"split": "temporal", "kind": "temporal", f"{column}_solved": temporal[0], "trusted_valid": temporal[1]}]
    rows += [
        {"split": f"random-{i}", "kind": "random", f"{column}_solved": k, "trusted_valid": n}
        for i, (k, n) in enumerate(random)
    ]
    return pd.DataFrame(rows)


@pytest.mark.parametrize(
    "temporal, random, verdict, why",
    [
        ((0, 48), [(0, 48), (0, 50)], "inconclusive", "nothing is solved"),  # the model on CPU
        ((0, 100), [(5, 100), (6, 100)], "supported", "magnitude supported"),  # AlphaCode's 4.1% inside both intervals
        ((0, 48), [(8, 48), (9, 50)], "partly", "magnitude not supported"),  # direction yes, 4x the size
        ((0, 48), [(1, 48), (1, 50)], "inconclusive", "not significantly"),  # direction without significance
        ((1, 48), [(1, 48), (9, 50)], "not supported", "no larger share"),  # one random split no higher
    ],
)
def test_chapter_3_verdict_separates_direction_from_magnitude(temporal, random, verdict, why):
    found, reason = alphacode.direction_magnitude_verdict(
        split_frame(temporal, random), "baseline_solved", "trusted_valid", 4.1, 0.0
    )
    assert found == verdict and why in reason


def test_chapter_3_verdict_uses_a_given_p_value():
    frame = split_frame((0, 48), [(8, 48)])
    assert (
        alphacode.direction_magnitude_verdict(
            frame, "baseline_solved", "trusted_valid", 4.1, 0.0, p_value=0.2, test="randomization"
        )[0]
        == "inconclusive"
    )
    assert (
        alphacode.direction_magnitude_verdict(
            frame, "baseline_solved", "trusted_valid", 4.1, 0.0, p_value=0.001, test="randomization"
        )[0]
        == "partly"
    )


@pytest.mark.parametrize(
    "n, text", [(37_000, "37K"), (1_415_936, "1.4M"), (41.1e9, "41B"), (950, "950"), (12_345_678, "12M")]
)
def test_parameter_counts_read_as_a_reader_reads_them(n, text):
    assert alphacode.format_count(n) == text


# ---- chapter 1's readings ---------------------------------------------------


def pgd_records(
    robust_by_scale: dict, natural_robust: float = 0.0, natural_local: float = 2.0, pgd_local: float = 2.0
) -> list[dict]:
    records = []
    for size, robust in robust_by_scale.items():
        records.append(record("madry", size, "natural", 0, clean=0.99, robust=natural_robust, local=natural_local))
        records.append(record("madry", size, "pgd", 0, clean=0.95, robust=robust, local=pgd_local))
    return records


def test_chapter_1_readings_of_full_shaped_records(full_shaped_records):
    found = readings.mnist_readings(mnist.Results.of(full_shaped_records))
    assert (
        found["threshold_reading"]
        == "the capacity fit places the 90% level (supported) and the 95% level (not supported)"
    )
    assert (
        found["pgd_threshold_reading"] == "none is tested: these records keep no PGD-40 accuracy beside the worst case"
    )
    assert (
        found["natural_reading"]
        == "Natural training buys no robustness at ε = 0.3 at any size: at most 0.0% (all 3 seeds) for Madry's networks at every size"
    )
    assert (
        found["capacity_reading"]
        == f"Robust accuracy grows with capacity, from 10.0% (all 3 seeds) at the smallest scale to 95.5% (all 3 seeds) (clean 98.8% (all 3 seeds)) at {parameter_count('madry', 32):,} parameters, the largest"
    )
    assert found["lipschitz_reading"].startswith(
        "PGD training leaves the largest local gradient norm of Madry's networks about where natural training does"
    )
    assert found["tightness_reading"] == "how tight they are is not checked in these records"


def test_chapter_1_readings_follow_the_numbers():
    peaked = readings.mnist_readings(
        mnist.Results.of(pgd_records({1: 0.2, 2: 0.5, 4: 0.6, 8: 0.4}, natural_robust=0.2, natural_local=8.0))
    )
    assert peaked["capacity_reading"].endswith(
        f"then stops growing (40.0% (1 seed) at the largest, {parameter_count('madry', 8):,} parameters)"
    )
    assert peaked["natural_reading"].startswith(
        f"Natural training leaves up to 20.0% (1 seed) for Madry's networks at {parameter_count('madry', 1):,} parameters robust accuracy"
    )
    assert peaked["lipschitz_reading"].startswith(
        "PGD training lowers the largest local gradient norm of Madry's networks by a factor of 4.0"
    )
    # No model reaches 90% in the half decade around 1e5, which the models span; they stop inside 1e6's.
    assert (
        peaked["threshold_reading"]
        == "the capacity fit places the 90% level (not supported) and cannot place the 95% level"
    )
    flat = readings.mnist_readings(mnist.Results.of(pgd_records({1: 0.3, 2: 0.3, 4: 0.29}, pgd_local=8.0)))
    assert flat["capacity_reading"].startswith("Robust accuracy does not grow with capacity")
    assert flat["lipschitz_reading"].startswith("PGD training raises")
    checked = pgd_records({1: 0.2, 2: 0.5})
    checked[-1]["result"]["crosscheck"] = {
        **{"eps": 0.3, "steps": 40, "images": 1000},
        **{"gobig_pgd": 0.50, "torchattacks_pgd": 0.50, "torchattacks_apgd_ce": 0.38},
    }
    assert (
        readings.mnist_readings(mnist.Results.of(checked))["tightness_reading"]
        == "and on the checked model not tight ones"
    )
    checked[-1]["result"]["crosscheck"]["torchattacks_apgd_ce"] = 0.495
    assert readings.mnist_readings(mnist.Results.of(checked))["tightness_reading"].startswith(
        "and on the checked model tight ones"
    )


# ---- chapter 3's readings ---------------------------------------------------


def random_nearest(twin_losses, other_losses, solved_twins=0, solved_others=0) -> pd.DataFrame:
    """One random split's validation problems: some with their twin in training, others with no twin."""
    rows = [
        {
            "valid": f"t{i}",
            "kind": "random",
            "has_twin": True,
            "twin_in_train": True,
            "valid_loss": loss,
            "baseline_solved_by": "x" if i < solved_twins else None,
        }
        for i, loss in enumerate(twin_losses)
    ]
    rows += [
        {
            "valid": f"o{i}",
            "kind": "random",
            "has_twin": False,
            "twin_in_train": False,
            "valid_loss": loss,
            "baseline_solved_by": "x" if i < solved_others else None,
        }
        for i, loss in enumerate(other_losses)
    ]
    return pd.DataFrame(rows)


def memorization(leaked: np.ndarray, control: np.ndarray) -> pd.DataFrame:
    pairs = pd.DataFrame(
        [
            {
                "split": "random-0",
                "problem": f"t{i}",
                "leaked": True,
                "loss_with": 2.0,
                "loss_without": 2.0 + d,
                "difference": d,
            }
            for i, d in enumerate(leaked)
        ]
        + [
            {
                "split": "random-0",
                "problem": f"o{i}",
                "leaked": False,
                "loss_with": 3.0,
                "loss_without": 3.0 + d,
                "difference": d,
            }
            for i, d in enumerate(control)
        ]
    )
    return pairs


def test_the_memorization_reading_says_what_the_paired_interval_says(monkeypatch):
    rng = np.random.default_rng(0)
    losses = pd.DataFrame(
        [
            {"split": "random-0", "train_loss": 0.8, "valid_loss": 3.1},
            {"split": "random-0-untwinned", "train_loss": 0.8, "valid_loss": 3.2},
        ]
    )
    cases = {
        "the leak reaches it, before any problem is solved": (
            0.5 + 0.1 * rng.standard_normal(12),
            0.01 * rng.standard_normal(40),
        ),
        "shows no effect of the leak": (0.3 * rng.standard_normal(12), 0.01 * rng.standard_normal(40)),
        "harder to predict, not easier": (-0.5 + 0.1 * rng.standard_normal(12), 0.01 * rng.standard_normal(40)),
    }
    for ending, (leaked, control) in cases.items():
        pairs = memorization(leaked, control)
        monkeypatch.setattr(alphacode.analysis, "memorization_frame", lambda records, pairs=pairs: pairs)
        reading = chapter3_readings._memorization(alphacode.memorization_summary([]), losses)
        assert reading.endswith(ending), reading
        assert "training loss 0.80 against validation loss 3.10" in reading
    monkeypatch.setattr(
        alphacode.analysis, "memorization_frame", lambda records: memorization(np.array([0.5, 0.4]), np.zeros(5))
    )
    assert "too few to read a paired difference" in chapter3_readings._memorization(
        alphacode.memorization_summary([]), losses
    )


def test_the_gap_reading_uses_one_minus_f_and_the_pools_twin_share():
    gap = {
        "valid_fraction": 0.2,
        "pool": 300,
        "with_twin": 56,
        "twin_share_pool": 56 / 300,
        "twin_in_train_given_twin": (40, 50),
        "s": (8, 48),
        "a": (7, 8),
        "b": (1, 40),
        "implied_s": (0.041 - 1 / 40) / (7 / 8 - 1 / 40),
        "uniform_sample_twin_chance": 299 / 13327,
    }
    frame = pd.DataFrame({"kind": ["temporal", "random", "random"], "baseline_rate": [0.0, 16.0, 18.0]})
    reading = chapter3_readings._baseline_gap(gap, frame)
    assert reading.startswith("The random-split rate, 17.0% on average, is 4.1 times AlphaCode's 4.1%")
    assert "in 40 of 50 cases, near 1 - f = 0.80" in reading and "much less likely" not in reading
    assert "would need 1.9% of validation problems to have their twin in training" in reading


def test_the_baseline_readings_count_the_twins_among_the_solved():
    assert chapter3_readings._baseline_twins(random_nearest([3.0] * 5, [3.0] * 5, solved_twins=5)).endswith(
        "all 5 have their twin in training: the leak is the twins"
    )
    assert chapter3_readings._baseline_twins(
        random_nearest([3.0] * 5, [3.0] * 5, solved_twins=3, solved_others=2)
    ).endswith("3 have their twin in training: most of the leak is the twins")
    assert chapter3_readings._baseline_twins(
        random_nearest([3.0] * 5, [3.0] * 5, solved_twins=1, solved_others=4)
    ).endswith("only 1 have their twin in training: most of what it solves is not a twin's copy")
    assert (
        chapter3_readings._baseline_twins(random_nearest([3.0] * 5, [3.0] * 5))
        == "It solves no validation problem on the random splits"
    )


@pytest.mark.parametrize(
    "temporal, random, verdict, start",
    [
        (
            (0, 48),
            [(0, 46), (0, 46)],
            "inconclusive",
            "Solving nothing on either split (0 of 92 judged problems on the random splits and 0 of 48 on the temporal split)",
        ),
        (
            (0, 48),
            [(3, 46), (2, 46)],
            "partly",
            "It solves 5 of 92 judged problems on the random splits and 0 of 48 on the temporal split: the paper's direction",
        ),
        (
            (3, 48),
            [(1, 46), (0, 46)],
            "not supported",
            "It solves 1 of 92 judged problems on the random splits and 3 of 48 on the temporal split: not the paper's shape",
        ),
        (
            None,
            [(0, 46)],
            "inconclusive",
            "It solves 0 of 46 judged problems on the random split; the temporal split was not sampled in this run",
        ),
    ],
)
def test_the_model_reading_follows_the_verdict(temporal, random, verdict, start):
    """Counts of problems with a correct sample (the model frame's solved / judged), per kind of split."""
    rows = ([("temporal", *temporal)] if temporal else []) + [("random", *r) for r in random]
    frame = pd.DataFrame(rows, columns=["kind", "solved", "judged"])
    assert chapter3_readings._model(frame, verdict).startswith(start)


def test_without_pgd_trained_models_no_threshold_is_tested():
    natural_only = [record("madry", size, "natural", 0, clean=0.99, robust=0.0) for size in (1, 2)]
    assert (
        readings.mnist_readings(mnist.Results.of(natural_only))["threshold_reading"]
        == "none is tested: no PGD-trained Madry model was evaluated at ε = 0.3"
    )
    assert (
        readings.mnist_readings(mnist.Results.of(natural_only))["capacity_reading"]
        == "No PGD-trained model is in these records"
    )


# ---- chapter 2's reading ----------------------------------------------------


@pytest.mark.parametrize(
    "target, expected",
    [
        (
            10.0,
            "1 of the 38 fitted series is below it at 175B in the paper's numbers, and it is not extrapolated (no fit describes it, or it does not rise)",
        ),
        (
            20.0,
            "2 of the 38 fitted series are below it at 175B in the paper's numbers, 1 of them described by a fit. Its selected fit puts the target at 6.8e+12 parameters; 0 reach it within the back-tested reach (2.4e+12) even 15.4 points lower, and 0 have an interval with no finite bound",
        ),
        (
            70.0,
            "18 of the 38 fitted series are below it at 175B in the paper's numbers, 16 of them described by a fit. Their selected fits put the target anywhere from 1.1e+11 to 3.6e+25 parameters; 4 reach it within the back-tested reach (2.4e+12) even 15.4 points lower, and 2 have an interval with no finite bound",
        ),
        (
            90.0,
            "36 of the 38 fitted series are below it at 175B in the paper's numbers, 34 of them described by a fit. Their selected fits put the target anywhere from 7e+10 to 4.4e+30 parameters; 0 reach it within the back-tested reach (2.4e+12) even 15.4 points lower, and 6 have an interval with no finite bound",
        ),
    ],
)
def test_chapter_2_reading_follows_the_target_accuracy(target, expected):
    """TARGET_ACCURACY is a parameter: a rerun at another target (the README
    shows 90) is read at that target, and an interval without a meaningful
    upper end is counted as "no finite bound", never quoted as a number. At
    90% the target plus the back-test's margin passes 100%, so no fit
    reaches it within the back-tested reach."""
    from gobig.studies import gpt3
    from gobig.studies.gpt3.study import _compute

    config = gpt3.make_config(gpt3.validate_parameters({**gpt3.load_profile("full"), "TARGET_ACCURACY": target}))
    result, _ = _compute(config)
    assert readings.gpt3_readings({"config": config, "result": result})["lacking_reading"] == expected


def test_a_rerun_at_another_radius_is_read_at_that_radius():
    """EPS_LIST is a parameter; the headline radius is the nearest to 0.3 that was measured."""
    records = pgd_records({1: 0.2, 2: 0.5})
    for r in records:
        r["result"]["robust"] = [
            {"norm": "linf", "eps": 0.1, "accuracy": 0.0 if r["result"]["mode"] == "natural" else 0.6}
        ]
    found = readings.mnist_readings(mnist.Results.of(records))
    assert (
        found["natural_reading"]
        == "Natural training buys no robustness at ε = 0.1 at any size: at most 0.0% (1 seed) for Madry's networks at every size"
    )
    assert found["threshold_reading"] == "none is tested: no PGD-trained Madry model was evaluated at ε = 0.3"


MADRY_RECIPE = {
    "train_subset": None,
    "epochs": 2,
    "batch_size": 50,
    "learning_rate": 1e-4,
    "eps": 0.3,
    "pgd_steps": 40,
    "pgd_step_size": 0.01,
    "eps_warmup": 0.0,
    "lr_schedule": "constant",
}


def collapse_record(size: int, seed: int, outcome: dict, epochs: int = 2) -> dict:
    """A network trained with Madry et al.'s recipe whose history and final predictions are ``outcome``'s."""
    r = record(
        "madry",
        size,
        "pgd",
        seed,
        clean=outcome["clean"],
        robust=0.1,
        majority=outcome["majority"],
        training={**MADRY_RECIPE, "epochs": epochs},
    )
    r["result"]["history"] = [
        {"epoch": k + 1, "train_loss": loss, "test_accuracy": accuracy, "train_time_s": 1.0}
        for k, (loss, accuracy) in enumerate(zip(outcome["losses"], outcome["accuracies"]))
    ]
    return r


# The loss of a uniform guess is ln 10 = 2.3026; MNIST's label frequencies reach 2.3010 as a constant guess.
NEVER_LEFT = {"majority": 1.0, "clean": 0.1135, "losses": (2.312, 2.3018), "accuracies": (0.101, 0.1135)}
LEFT_THEN_ONE_CLASS = {"majority": 0.99, "clean": 0.1135, "losses": (2.25, 2.302), "accuracies": (0.35, 0.1135)}
LEARNS = {"majority": 0.13, "clean": 0.9, "losses": (1.5, 0.8), "accuracies": (0.7, 0.9)}


def test_the_training_outcome_separates_a_collapse_after_learning_from_never_leaving_chance():
    assert mnist.training_outcome(collapse_record(1, 0, NEVER_LEFT)) == "one class, never left chance"
    assert mnist.training_outcome(collapse_record(1, 0, LEFT_THEN_ONE_CLASS)) == "one class after leaving chance"
    assert mnist.training_outcome(collapse_record(1, 0, LEARNS)) == "learns"
    # 0.005 nats under ln 10 is still chance (a constant guess gets 0.002 under); 0.02 under has left it.
    close = {**NEVER_LEFT, "losses": (2.312, 2.2976)}
    assert mnist.training_outcome(collapse_record(1, 0, close)) == "one class, never left chance"
    assert mnist.training_outcome(collapse_record(1, 0, {**close, "losses": (2.312, 2.2826)})) == (
        "one class after leaving chance"
    )
    # A spread guess at chance is neither a collapse nor learning.
    assert (
        mnist.training_outcome(collapse_record(1, 0, {**NEVER_LEFT, "majority": 0.3})) == "at chance without one class"
    )


def collapse_profiles(smallest: tuple, larger: dict | None, longer: dict | None):
    """The collapse profile (scale 1 with ``smallest``'s outcome per seed, scale 2 never leaving
    chance) and its controls: scales 4 and 8 on the same budget (``larger``), scales 1 and 2 with
    four times the epochs (``longer``); None: not committed."""
    collapse = [collapse_record(1, seed, outcome) for seed, outcome in enumerate(smallest)]
    collapse += [collapse_record(2, seed, NEVER_LEFT) for seed in range(3)]
    larger_records = [collapse_record(size, 0, larger) for size in (4, 8)] if larger else None
    # ``longer``: one outcome for both scales, or a pair (scale 1's, scale 2's).
    per_scale = longer if isinstance(longer, tuple) else (longer, longer)
    longer_records = (
        [collapse_record(size, 0, outcome, epochs=8) for size, outcome in zip((1, 2), per_scale)] if longer else None
    )
    return collapse, larger_records, longer_records


@pytest.mark.parametrize(
    "smallest,larger,longer,verdict,because",
    [
        ((NEVER_LEFT,) * 3, LEARNS, NEVER_LEFT, "supported", "scale 1 stays one class at 9,600 steps; scale 8 learns"),
        ((LEFT_THEN_ONE_CLASS,) * 3, LEARNS, LEFT_THEN_ONE_CLASS, "supported", "scale 8 learns in 2,400"),
        ((NEVER_LEFT,) * 3, LEARNS, LEARNS, "not supported", "training not yet begun"),
        # What this CPU measured: scale 2, one class at 2,400 steps, learns at 9,600; scale 1 does not.
        ((NEVER_LEFT,) * 3, LEARNS, (NEVER_LEFT, LEARNS), "partly", "but scale 2 learns with them"),
        ((NEVER_LEFT,) * 3, NEVER_LEFT, NEVER_LEFT, "inconclusive", "fails at every size"),
        ((NEVER_LEFT,) * 3, None, NEVER_LEFT, "inconclusive", "not all committed"),
        ((NEVER_LEFT,) * 3, LEARNS, None, "inconclusive", "not all committed"),
        ((LEARNS,) * 3, None, None, "not supported", "does not end in one class"),
        ((NEVER_LEFT, LEARNS, NEVER_LEFT), LEARNS, NEVER_LEFT, "inconclusive", "seeds disagree"),
    ],
)
def test_the_collapse_verdict_reads_the_controls(smallest, larger, longer, verdict, because):
    from gobig.studies.mnist.claims import _collapse_verdict

    measured, found, why = _collapse_verdict(*collapse_profiles(smallest, larger, longer))
    assert (found, because in why) == (verdict, True), why
    assert len(why) <= 160
    assert measured.startswith("2,400 steps: scale 1: ")
    assert ("controls: larger scales, pending" in measured) == (larger is None)


def test_without_no_ramp_runs_the_ramped_collapse_row_is_inconclusive(full_shaped_records, tmp_path):
    """A results folder without the collapse profile's records (tmp_path):
    the row falls back on the ramped models and says why it cannot decide."""
    ramped = [
        dict(r, config={**r["config"], "training": {**r["config"]["training"], "eps_warmup": 0.5}})
        if r["result"]["mode"] == "pgd"
        else r
        for r in full_shaped_records
    ]
    row = mnist.claims_table(mnist.load_results(ramped, tmp_path)).set_index("claim").loc[mnist.COLLAPSE_CLAIM]
    assert row["verdict"] == "inconclusive" and "ramp" in row["why"]


def test_the_committed_collapse_runs_decide_the_collapse_row(full_shaped_records):
    """With the collapse profile's records committed (results/mnist/), the
    row reads them and its controls, whatever the chapter's own models were
    trained with; while a control is missing it cannot decide."""
    loaded = mnist.load_results(full_shaped_records)
    row = mnist.claims_table(loaded).set_index("claim").loc[mnist.COLLAPSE_CLAIM]
    assert row["measured"].startswith("2,400 steps: scale 1: ")
    controls = [loaded.controls[name] for name in (mnist.COLLAPSE_LARGER, mnist.COLLAPSE_LONGER)]
    if any(control is None for control in controls):
        assert row["verdict"] == "inconclusive" and "not all committed" in row["why"]


def _committed_alphacode(curve: bool) -> dict:
    """A committed chapter-3 record (the date curve's or a split's baseline): hand-made records take its shape."""
    from gobig.core import paths

    for path in sorted((paths.ROOT / "results" / "alphacode").glob("*.json")):
        record = json.loads(path.read_text())
        if record["config"]["stage"] == ("curve" if curve else "baseline"):
            return record
    raise LookupError("no committed alphacode record")


def _split_record(
    name: str, kind: str, train: list[str], valid: list[str], solved: set[str], groups: list[list[str]], cutoff=None
) -> dict:
    """A split's record of the stored shape (``alphacode.views`` reads it), its
    config a committed record's with this split."""
    crossing = [g for g in groups if set(g) & set(valid) and set(g) & set(train)]
    committed = _committed_alphacode(curve=False)
    return {
        "config": {**committed["config"], "split": kind, "seed": None if cutoff else 0},
        "provenance": {"device_name": "CPU"},
        "result": {
            "split": {
                "name": name,
                "kind": kind,
                "seed": None if cutoff else 0,
                "cutoff": cutoff,
                "train": train,
                "valid": valid,
            },
            "twin_groups": groups,
            "crossing_twin_groups": crossing,
            "nearest": [
                {
                    "valid": k,
                    "by_statement": train[0],
                    "statement_similarity": 0.9 if k in solved else 0.1,
                    "by_solution": None,
                    "solution_similarity": None,
                }
                for k in valid
            ],
            "trust": {k: {"trusted": True, "reason": ""} for k in valid},
            "baseline": [
                {
                    "valid": k,
                    "solved": k in solved,
                    "solved_by": ["x"] if k in solved else [],
                    "candidates": len(train),
                    "test_runs": len(train),
                }
                for k in valid
            ],
            "baseline_cost": committed["result"]["baseline_cost"],
            "timings": {},
        },
    }


def _curve_record(passes: dict[str, list[str]], valid_size: int) -> dict:
    """The date curve's record of the stored shape, with these passes (all the randomization test reads)."""
    committed = copy.deepcopy(_committed_alphacode(curve=True))
    committed["result"].update(passes=passes, valid_size=valid_size)
    return committed


@pytest.mark.parametrize(
    "isolations, start, hidden",
    [
        (["bwrap-minimal-fs"] * 2, "The judge ran each program in a sandbox (isolation bwrap-minimal-fs", True),
        (["rlimits-only"] * 2, "The machine that judged these records had no bubblewrap", False),
        ([None, None], "These records were judged before the sandbox hid the file system", False),
        (["bwrap", None], "These records were judged before the sandbox hid the file system", False),
        (["bwrap-minimal-fs", "rlimits-only"], "These records were judged under different sandboxes", False),
    ],
)
def test_the_judge_reading_claims_hidden_files_only_where_every_record_names_it(isolations, start, hidden):
    keys = [f"{i}_A" for i in range(1, 11)]
    records = []
    for isolation in isolations:
        record = _split_record("temporal", "temporal", keys[:8], keys[8:], set(), [], cutoff=9)
        if isolation is not None:  # None: a record made before records named it
            record["result"]["baseline_cost"] = {**record["result"]["baseline_cost"], "isolation": isolation}
        records.append(record)
    sentence = chapter3_readings._judge_isolation(alphacode.typed_records(records))
    assert sentence.startswith(start)
    assert ("no program could read the problems file" in sentence) == hidden
    assert ("a program could have read the problems file" in sentence) != hidden


def test_the_cutoff_scan_counts_cutoffs_that_separate_a_twin_group():
    keys = ["1_A", "2_A", "3_A", "4_A", "5_A", "10_A"]
    record = _split_record(
        "temporal", "temporal", keys[:4], keys[4:], set(), [["2_A", "3_A"], ["4_A", "10_A"]], cutoff=5
    )
    # Cutoffs 2, 3, 4, 5, 10: 3 separates (2, 3); 5 and 10 separate (4, 10).
    assert alphacode.cutoff_scan([record]) == {"cutoffs": 5, "separating": 3, "at_cutoff": 1, "cutoff": 5}


def test_the_randomization_test_finds_a_temporal_split_without_the_twins_unusual():
    # 40 problems, 10 twin pairs; the temporal split keeps every pair in training.
    keys = [f"{i}_A" for i in range(1, 41)]
    pairs = [[keys[2 * i], keys[2 * i + 1]] for i in range(10)]
    passes = {k: [k] for k in keys}
    for a, b in pairs:
        passes[a], passes[b] = [a, b], [a, b]
    temporal = _split_record("temporal", "temporal", keys[:30], keys[30:], set(), pairs, cutoff=31)
    curve = _curve_record(passes, valid_size=10)
    test = alphacode.randomization_test([temporal, curve], draws=2000)
    assert test["observed"] == 0 and test["p_value"] < 0.05 and test["mean"] > 20
    # Drop the twins: nothing is ever solved, and the temporal split is not unusual.
    flat = _curve_record({k: [k] for k in keys}, valid_size=10)
    assert alphacode.randomization_test([temporal, flat], draws=500)["p_value"] == 1.0


def test_a_crossing_the_fit_puts_beyond_the_largest_model_refutes_a_claim_the_models_span():
    """Robust accuracy still rising at the largest model (a short CPU
    budget): the fit extrapolates the 90% crossing beyond the models
    trained, but they span the claim's half decade (3.2e4-3.2e5) and none
    of them reaches 90% there, so the claim is not supported for this
    training, as it is when the fit levels off below the level."""
    robust = {1: 0.26, 2: 0.39, 4: 0.48, 8: 0.54}
    records = [
        record("madry", size, mode, seed, clean=0.97, robust=(value + 0.01 * (seed - 1)) if mode == "pgd" else 0.0)
        for seed in range(3)
        for size, value in robust.items()
        for mode in ("pgd", "natural")
    ]
    row = (
        mnist.claims_table(mnist.Results.of(records))
        .set_index("claim")
        .loc["10^5 parameters reach 90% robust accuracy"]
    )
    assert row["verdict"] == "not supported", row.to_dict()
    assert "no model's seed mean reaches it" in row["measured"]


@pytest.mark.parametrize(
    "interval,sizes,reached,verdict",
    [
        ((5e4, 2e5), (1e4, 3e6), False, "supported"),
        ((1e2, 1e4), (1e4, 3e6), False, "not supported"),  # below the window, the models span it
        ((1e6, 3e6), (1e4, 3e6), False, "not supported"),  # above it
        ((math.inf, math.inf), (1e4, 3e6), False, "not supported"),  # never: the strongest case of above
        ((1e6, math.inf), (1e4, 3e6), False, "not supported"),
        ((1e6, math.inf), (1e4, 3e6), True, "inconclusive"),  # a model in the window reaches the level
        ((1e6, math.inf), (1e4, 2e5), False, "inconclusive"),  # the models stop inside the window
        ((2e5, 1e6), (1e4, 3e6), False, "inconclusive"),  # reaches both inside and beyond
    ],
)
def test_the_threshold_rule_is_the_same_for_a_late_crossing_and_a_plateau(interval, sizes, reached, verdict):
    found, why = mnist.threshold_verdict(interval, 1e5, sizes, reached, 0.9)
    assert found == verdict, why
    assert len(why) <= 160


def test_the_attack_gain_reading_is_pgds_accuracy_minus_the_worst_case(full_shaped_records):
    staged = []
    for r in full_shaped_records:
        if r["result"]["mode"] == "pgd" and r["result"]["family"] == "madry":
            r = {**r, "result": {**r["result"], "robust": [dict(x) for x in r["result"]["robust"]]}}
            linf = r["result"]["robust"][0]
            # The worst case is 2 points under PGD everywhere, 5 on scale 8's seed 1.
            linf["pgd_accuracy"] = linf["accuracy"] + (
                0.05 if (r["result"]["size"], r["result"]["seed"]) == (8, 1) else 0.02
            )
        staged.append(r)
    sentence = readings.mnist_readings(mnist.Results.of(staged))["attack_gain_reading"]
    pgd_models = sum(r["result"]["mode"] == "pgd" for r in staged)
    assert sentence == (
        f"On the {pgd_models} adversarially trained models, the attacks after PGD-40 lower its robust accuracy by "
        f"{(2 * (pgd_models - 1) + 5) / pgd_models:.1f} points on average and by at most 5.0 (madry 8, seed 1)"
    )
    assert readings.mnist_readings(mnist.Results.of(full_shaped_records))["attack_gain_reading"].startswith(
        "These records hold PGD's robust accuracy only"
    )


def test_chapter_1_glues_every_name_its_prose_shows():
    """The names the chapter's markdown shows ({glue:text}`name`) are the
    ones ``readings.mnist_glued`` returns for its committed default records."""
    import json
    from pathlib import Path

    chapter = Path(__file__).parents[1] / "chapters" / "01_mnist_capacity.ipynb"
    markdown = "".join(
        "".join(cell["source"]) for cell in json.loads(chapter.read_text())["cells"] if cell["cell_type"] == "markdown"
    )
    shown = set(re.findall(r"\{glue(?::text)?\}`([a-z0-9_]+)", markdown))
    params = mnist.validate_parameters({**mnist.load_profile(mnist.DEFAULT_PROFILE), "COMPUTE_MISSING": False})
    glued = readings.mnist_glued(mnist.load_results(mnist.run(params, progress=False)), params=params)
    assert shown and shown <= set(glued), sorted(shown - set(glued))


def test_the_pgd_reading_fits_pgds_own_accuracy_and_can_disagree_with_the_worst_case(full_shaped_records):
    """Madry et al.'s figure, which Bubeck & Sellke read, is PGD accuracy;
    the worst case over stronger attacks sits lower. Fitted apart, the two
    readings can reach different verdicts, and each row says how the
    models' training and attack differ from Madry et al.'s."""
    staged = []
    for r in full_shaped_records:
        if r["result"]["mode"] == "pgd" and r["result"]["family"] == "madry":
            r = {**r, "result": {**r["result"], "robust": [dict(x) for x in r["result"]["robust"]]}}
            linf = r["result"]["robust"][0]
            # PGD-40 leaves 4 points more than the worst case (less where that would pass 100%).
            linf["pgd_accuracy"] = min(linf["accuracy"] + 0.04, 0.99)
            linf["accuracy"] -= 0.03  # and the worst case 3 points less than before
            linf["stages"] = [{"attack": a, "robust": 0, "time_s": 1.0} for a in ("pgd-40x2", "apgd-ce", "apgd-t")]
            training = {**r["config"]["training"], "pgd_steps": 5, "pgd_step_size": 0.1, "eps": 0.3}
            r["config"] = {**r["config"], "training": training}
        staged.append(r)
    claims = mnist.claims_table(mnist.Results.of(staged)).set_index("claim")
    pgd = claims.loc["10^5 parameters reach 90% robust accuracy (PGD-40, as Madry et al. measure)"]
    worst = claims.loc["10^5 parameters reach 90% robust accuracy"]
    assert pgd["verdict"] == "supported", pgd.to_dict()
    assert pgd["measured"].endswith(f"; 95.0% (all 3 seeds) first at {parameter_count('madry', 4):,} params (scale 4)")
    assert worst["verdict"] != "supported" and "first at" in worst["measured"]
    # How the training and the attack differ from Madry et al.'s is said beside the rows, not in each why.
    conditions = mnist.threshold_conditions(mnist.runs_frame(staged))
    assert "trained with PGD-5 for" in conditions and "worst case over PGD-40 and AutoAttack" in conditions
    assert all(len(why) <= 160 for why in claims["why"]), claims["why"].str.len().max()


@pytest.mark.parametrize(
    "accuracies, verdict, above",
    [
        ((0.9943, 0.9945, 0.9940), "supported", True),  # every seed's interval above 99.2%: reached, and said
        ((0.9921, 0.9918, 0.9925), "supported", False),  # around 99.2%
        ((0.9936, 0.9939, 0.9943), "supported", True),  # one seed's interval dips below 99.2%, the pooled one does not
        ((0.9890, 0.9885, 0.9880), "partly", False),  # intervals below 99.2%, mean above 98%
        ((0.9700, 0.9710, 0.9690), "not supported", False),
    ],
)
def test_the_blog_model_row_asks_whether_the_seeds_reach_99_2(accuracies, verdict, above):
    blog = [
        record(
            "blog",
            1,
            "natural",
            seed,
            clean=accuracy,
            robust=0.0,
            training={"train_subset": None, "epochs": 15, "batch_size": 5},
        )
        for seed, accuracy in enumerate(accuracies)
    ]
    row = (
        mnist.claims_table(mnist.Results.of(blog))
        .set_index("claim")
        .loc["a 688K model reaches 99.2% after 15 epochs at batch 5"]
    )
    assert row["verdict"] == verdict, row.to_dict()
    assert ("does better than the blog reports" in row["why"]) == above


def test_chapter_1_readers_take_one_input_type_and_name_it(full_shaped_records):
    """Records alone would read no re-attack and no control profile without a word: refused, naming the loader."""
    with pytest.raises(TypeError, match=r"mnist\.load_results\(records, results_dir\)"):
        mnist.claims_table(full_shaped_records)
    with pytest.raises(TypeError, match=r"mnist\.Results\.of\(records\)"):
        readings.mnist_readings(full_shaped_records)
