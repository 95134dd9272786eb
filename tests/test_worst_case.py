"""Issue 16's new machinery on tiny models: exact intervals, fast (FGSM)
training and its schedule, the per-example worst case over attacks,
float16 checkpoints, and the pairs-of-points Lipschitz lower bound."""

import math

import numpy as np
import pandas as pd
import pytest
import torch
from scipy import stats
from torch import nn

from gobig.core import checkpoints
from gobig.core.runtime import set_seed
from gobig.methods.robustness.attacks import attack_survivors, autoattack_component
from gobig.methods.robustness.lipschitz import spectral_norm_bound
from gobig.methods.robustness.models import build_model
from gobig.methods.robustness.train import TrainingSetup, train_models
from gobig.methods.stats import intervals
from gobig.studies import mnist

pytestmark = pytest.mark.unit


# ---- intervals ---------------------------------------------------------------


@pytest.mark.parametrize("correct,total", [(0, 10), (10, 10), (932, 1000), (1, 500), (9930, 10000)])
def test_clopper_pearson_is_scipys_exact_interval(correct, total):
    expected = stats.binomtest(correct, total).proportion_ci(confidence_level=0.95, method="exact")
    low, high = intervals.clopper_pearson(correct, total)
    assert low == pytest.approx(expected.low, abs=1e-12) and high == pytest.approx(expected.high, abs=1e-12)
    assert low <= correct / total <= high


def test_clopper_pearson_covers_at_least_95_percent():
    # Exact coverage for n = 50 at a few true rates: sum the binomial
    # probabilities of the counts whose interval holds the rate.
    total = 50
    bounds = [intervals.clopper_pearson(k, total) for k in range(total + 1)]
    for rate in (0.02, 0.3, 0.5, 0.9, 0.99):
        coverage = sum(stats.binom.pmf(k, total, rate) for k, (low, high) in enumerate(bounds) if low <= rate <= high)
        assert coverage >= 0.95


def test_a_stored_float32_rate_gives_back_its_count_and_a_non_count_is_refused():
    rate = float(torch.tensor(280 / 500, dtype=torch.float32))  # how old records store it
    assert intervals.count_of(rate, 500) == 280
    with pytest.raises(ValueError):
        intervals.count_of(0.5013, 500)
    with pytest.raises(ValueError):
        intervals.clopper_pearson(11, 10)


# ---- fast adversarial training ----------------------------------------------------


def test_the_cyclic_schedule_rises_to_the_rate_at_two_fifths_and_ends_at_zero(mnist_cpu):
    set_seed(0)
    model = build_model("mlp", 8)
    seen = []
    original = torch.optim.Adam.step

    def record(self, *args, **kwargs):
        seen.append(self.param_groups[0]["lr"])
        return original(self, *args, **kwargs)

    setup = TrainingSetup(
        mode="fgsm", epochs=1, batch_size=100, learning_rate=5e-3, lr_schedule="cyclic", eps=0.3, fgsm_step_size=0.375
    )
    torch.optim.Adam.step = record
    try:
        train_models([model], mnist_cpu.train_images[:1000], mnist_cpu.train_labels[:1000], setup, [0], progress=False)
    finally:
        torch.optim.Adam.step = original
    assert len(seen) == 10
    assert max(seen) == pytest.approx(5e-3) and seen.index(max(seen)) == 3  # step 4 of 10 = 2/5
    # Wong et al. set lr((i + 1) / steps) before step i: the last step's rate is 0.
    assert seen[0] == pytest.approx(5e-3 / 4) and seen[-2] == pytest.approx(5e-3 / 6) and seen[-1] == 0


def test_fgsm_training_makes_a_model_more_robust_than_natural_training(mnist_cpu):
    """On 5,000 images for 2 epochs an MLP trained with FGSM (random start)
    keeps far more PGD accuracy at eps 0.1 than the same MLP trained
    naturally (PGD-20 on 300 test images, seeds 0-2: 0.41-0.49 against
    0.08-0.09); the thresholds sit midway. The monitor records the PGD
    accuracy of each epoch."""
    from gobig.methods.robustness.attacks import robust_accuracy

    images, labels = mnist_cpu.train_images[:5000], mnist_cpu.train_labels[:5000]
    test_x, test_y = mnist_cpu.test_images[:300], mnist_cpu.test_labels[:300]
    robust = {}
    for mode in ("natural", "fgsm"):
        set_seed(0)
        model = build_model("mlp", 64)
        setup = TrainingSetup(
            mode=mode,
            epochs=2,
            batch_size=100,
            learning_rate=5e-3,
            lr_schedule="cyclic",
            eps=0.1,
            fgsm_step_size=0.125,
            monitor_images=100,
        )
        (history,) = train_models([model], images, labels, setup, [0], test_x, test_y, progress=False)
        assert [row["epoch"] for row in history] == [1, 2] and all("monitor_pgd_accuracy" in row for row in history)
        model.eval()
        robust[mode] = robust_accuracy(model, test_x, test_y, 0.1, 20, 0.025, seed=0)
    assert robust["natural"] < 0.2 < 0.3 < robust["fgsm"]


def test_an_unknown_schedule_is_refused_before_training(mnist_cpu):
    with pytest.raises(ValueError, match="LR_SCHEDULE"):
        train_models(
            [build_model("mlp", 8)],
            mnist_cpu.train_images[:10],
            mnist_cpu.train_labels[:10],
            TrainingSetup(lr_schedule="linear"),
            [0],
            progress=False,
        )


# ---- worst case over attacks ----------------------------------------------------


class _Fixed:
    """A stand-in attack that returns given images."""

    def __init__(self, change):
        self.change = change

    def __call__(self, images, labels):
        return self.change(images)


def test_the_worst_case_only_removes_examples_and_ignores_broken_ones(trained_mlp, mnist_cpu):
    images, labels = mnist_cpu.test_images[:200], mnist_cpu.test_labels[:200]
    clean = trained_mlp(images).argmax(dim=1) == labels
    start = clean.clone()
    start[:50] = False  # already broken by an earlier attack
    calls = []
    kept = attack_survivors(trained_mlp, _Fixed(lambda x: (calls.append(len(x)), x)[1]), images, labels, start, eps=0.3)
    assert torch.equal(kept, start)  # an attack that changes nothing breaks nothing
    assert sum(calls) == int(start.sum())  # and only the survivors were attacked
    noise = attack_survivors(
        trained_mlp,
        _Fixed(lambda x: (x + 0.3 * torch.sign(torch.randn_like(x))).clamp(0, 1)),
        images,
        labels,
        start,
        eps=0.3,
    )
    assert not (noise & ~start).any()


def test_an_attack_that_leaves_the_ball_is_an_error(trained_mlp, mnist_cpu):
    images, labels = mnist_cpu.test_images[:20], mnist_cpu.test_labels[:20]
    with pytest.raises(RuntimeError, match="l-inf ball"):
        attack_survivors(
            trained_mlp,
            _Fixed(lambda x: (x + 0.5).clamp(0, 1)),
            images,
            labels,
            torch.ones(20, dtype=torch.bool),
            eps=0.3,
        )


def test_apgd_breaks_a_natural_model_at_eps_03_where_pgd_does(trained_mlp, mnist_cpu):
    images, labels = mnist_cpu.test_images[:100], mnist_cpu.test_labels[:100]
    clean = trained_mlp(images).argmax(dim=1) == labels
    kept = attack_survivors(
        trained_mlp, autoattack_component(trained_mlp, "apgd-ce", 0.3, steps=20), images, labels, clean, eps=0.3
    )
    assert kept.float().mean() < 0.02 < clean.float().mean()


def test_masks_survive_their_hex_form():
    mask = torch.tensor([True, False, True, True, False, False, True])
    assert mnist.mask_from_hex(mnist.mask_to_hex(mask), len(mask)).tolist() == mask.tolist()


# ---- checkpoints -----------------------------------------------------------


def test_a_checkpoint_round_trips_in_parts_and_refuses_other_bytes(tmp_path, monkeypatch):
    set_seed(0)
    model = build_model("madry", 1)
    monkeypatch.setattr(checkpoints, "PART_BYTES", 10_000)  # 13,514 float16 weights: several parts
    info = checkpoints.save(model, tmp_path / "m.pt")
    assert info["parts"] > 1 and all((tmp_path / f"m.pt.{k}").stat().st_size <= 10_000 for k in range(info["parts"]))
    loaded = checkpoints.load(build_model("madry", 1), tmp_path, info)
    checkpoints.round_to_half(model)
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), loaded.state_dict().values()))
    (tmp_path / "m.pt.0").write_bytes(b"x" + (tmp_path / "m.pt.0").read_bytes()[1:])
    with pytest.raises(checkpoints.CheckpointError, match="SHA-256"):
        checkpoints.load(build_model("madry", 1), tmp_path, info)


# ---- Lipschitz lower bound from pairs ------------------------------------------------


def test_the_pairs_bound_lies_below_the_certified_upper_bound(trained_mlp, mnist_cpu):
    bound = mnist.pairs_lower_bound(trained_mlp, mnist_cpu.train_images[:300], mnist_cpu.train_labels[:300])
    assert 0 < bound["pairs_lower_bound"] <= spectral_norm_bound(trained_mlp)
    assert bound["input_norm_mean"] == pytest.approx(mnist_cpu.train_images[:300].flatten(1).norm(dim=1).mean().item())


def test_the_pairs_bound_of_a_linear_margin_is_reached_on_its_gradient_direction():
    # A 2-class linear model: the margin of class 0 is (w0 - w1) . x; pairs
    # along w0 - w1 attain its Lipschitz constant ||w0 - w1||.
    model = nn.Sequential(nn.Flatten(), nn.Linear(4, 2, bias=False))
    with torch.no_grad():
        model[1].weight.copy_(torch.tensor([[1.0, 2.0, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0]]))
    direction = torch.tensor([1.0, 2.0, 0.0, -1.0])
    images = torch.stack([0.1 * direction, 0.5 * direction]).view(2, 1, 2, 2)
    bound = mnist.pairs_lower_bound(model, images, torch.tensor([0, 0]))
    assert bound["pairs_lower_bound"] == pytest.approx(math.sqrt(6), rel=1e-5)


# ---- the capacity curve as a fit ------------------------------------------------


def _synthetic_runs(plateau, rate, middle, noise, seeds=3):
    from gobig.methods.scaling.capacity import logistic

    generator = np.random.default_rng(1)
    rows = []
    for params in (1e4, 3e4, 1e5, 3e5, 1e6, 3e6):
        for seed in range(seeds):
            value = logistic(np.log10(params), plateau, rate, middle) + generator.normal(0, noise)
            rows.append({"num_params": params, "seed": seed, "robust_accuracy": float(np.clip(value, 0, 1))})
    return pd.DataFrame(rows)


def test_the_fit_recovers_a_known_curve_and_its_crossing():
    from gobig.methods.scaling.capacity import crossing, fit_capacity

    fitted = fit_capacity(_synthetic_runs(0.96, 3.0, 4.8, noise=0.005), "robust_accuracy")
    assert fitted["plateau"] == pytest.approx(0.96, abs=0.01)
    true_cross = crossing(0.96, 3.0, 4.8, 0.90)
    low, high = fitted["cross_0.9_interval"]
    assert low <= true_cross <= high and high / low < 3
    assert fitted["cross_0.95_never"] < 0.5


def test_a_plateau_below_the_level_never_crosses_it():
    from gobig.methods.scaling.capacity import fit_capacity

    fitted = fit_capacity(_synthetic_runs(0.6, 3.0, 4.8, noise=0.01), "robust_accuracy")
    assert fitted["plateau"] < 0.7
    assert math.isinf(fitted["cross_0.9"]) and fitted["cross_0.9_never"] > 0.95


def test_the_fit_needs_three_sizes():
    from gobig.methods.scaling.capacity import fit_capacity

    runs = _synthetic_runs(0.9, 3.0, 4.8, noise=0.01)
    with pytest.raises(ValueError, match="3 model sizes"):
        fit_capacity(runs[runs["num_params"] < 3e4], "robust_accuracy")


def test_a_committed_reattack_lowers_the_worst_case_and_names_its_attacks(tmp_path):
    import json

    def record(correct):
        return {
            "key": "k" * 16,
            "config": {
                "training": {
                    "train_subset": None,
                    "epochs": 5,
                    "batch_size": 100,
                    "learning_rate": 5e-3,
                    "lr_schedule": "cyclic",
                    "precision": "auto",
                },
                "evaluation": {"pgd_steps": 40, "pgd_restarts": 2},
            },
            "provenance": {"device_name": "CPU"},
            "result": {
                "family": "madry",
                "size": 4,
                "mode": "pgd",
                "seed": 0,
                "num_params": 206_954,
                "clean_accuracy": 0.98,
                "clean_correct": 9800,
                "clean_images": 10_000,
                "majority_class_share": 0.11,
                "train_time_s": 1.0,
                "eval_time_s": 1.0,
                "history": [],
                "robust_subset_clean_accuracy": 0.98,
                "robust_eval_images": 1000,
                "robust": [
                    {
                        "norm": "linf",
                        "eps": 0.3,
                        "accuracy": correct / 1000,
                        "correct": correct,
                        "images": 1000,
                        "stages": [
                            {"attack": "pgd-40x2", "robust": correct, "time_s": 1.0},
                            {"attack": "apgd-t", "robust": correct, "time_s": 1.0},
                        ],
                        "mask": "0",
                    }
                ],
                "lipschitz": {
                    **{"local_mean": 1.0, "local_max": 2.0, "local_median": 1.0},
                    **{"points": 100, "spectral_bound": 100.0},
                },
                "checkpoint": {
                    **{"sha256": "abc", "file": "k.pt", "folder": "mnist/checkpoints", "bytes": 1},
                    **{"dtype": "float16", "parts": [], "training_key": "t"},
                },
            },
        }

    folder = tmp_path / "mnist" / "evaluations"
    folder.mkdir(parents=True)
    (folder / f"{'k' * 16}.fab-t.json").write_text(
        json.dumps({"eps": 0.3, "correct": 870, "stages": [{"attack": "fab-t"}], "checkpoint_sha256": "abc"})
    )
    (folder / f"{'k' * 16}.square.json").write_text(
        json.dumps(
            {"eps": 0.3, "correct": 860, "stages": [{"attack": "square"}], "checkpoint_sha256": "another checkpoint"}
        )
    )
    row = mnist.runs_frame(mnist.load_results([record(880)], tmp_path).records).iloc[0]
    assert (
        row["robust_correct"] == 870 and row["robust_accuracy"] == 0.87
    )  # the re-attack of this checkpoint, not of another
    assert row["robust_attacks"] == "pgd-40x2+apgd-t+fab-t"
    assert intervals.clopper_pearson(870, 1000)[0] < 0.87 < intervals.clopper_pearson(870, 1000)[1]


# ---- intervals for seeds measured on the same images ----------------------------


def _shared_masks(seeds: int = 3, images: int = 1000, robust: float = 0.9, agree: float = 0.97, seed: int = 0):
    """Per-example robust sets of seeds attacked on the same images: one set
    of hard images every seed fails, and a few flips per seed."""
    generator = np.random.default_rng(seed)
    common = generator.random(images) < robust
    flips = generator.random((seeds, images)) > agree
    return common[None, :] ^ flips


def test_the_two_way_bootstrap_is_wider_than_a_pooled_count_of_agreeing_seeds():
    from gobig.methods.stats.resampling import image_seed_interval

    masks = _shared_masks()
    low, high = image_seed_interval(masks)
    pooled_low, pooled_high = intervals.clopper_pearson(int(masks.sum()), masks.size)
    assert low <= masks.mean() <= high
    # Three seeds that agree on 97% of 1,000 images carry about one seed's information, not three.
    assert high - low > 1.4 * (pooled_high - pooled_low)
    one_low, one_high = intervals.clopper_pearson(int(masks[0].sum()), masks.shape[1])
    assert high - low == pytest.approx(one_high - one_low, rel=0.3)
    # Seeds whose robust sets are independent could pool; the bootstrap, which counts the seed-by-image
    # interaction twice, is then somewhat wider than the pooled count, on the safe side, but not wildly.
    independent = np.random.default_rng(1).random((3, 1000)) < 0.9
    low, high = image_seed_interval(independent)
    pooled_low, pooled_high = intervals.clopper_pearson(int(independent.sum()), independent.size)
    assert pooled_high - pooled_low < high - low < 1.6 * (pooled_high - pooled_low)
    with pytest.raises(ValueError, match=r"\[seeds, images\]"):
        image_seed_interval(np.ones(10, dtype=bool))


def test_the_capacity_fit_resamples_images_when_given_the_masks():
    from gobig.methods.scaling.capacity import fit_capacity, logistic

    rows = []
    for k, params in enumerate((1e4, 3e4, 1e5, 3e5, 1e6, 3e6)):
        masks = _shared_masks(robust=logistic(np.log10(params), 0.95, 3.0, 4.8), seed=k)
        rows += [
            {"num_params": params, "seed": seed, "robust_accuracy": mask.mean(), "robust_mask": mask}
            for seed, mask in enumerate(masks)
        ]
    runs = pd.DataFrame(rows)
    seeds_only = fit_capacity(runs, "robust_accuracy", levels=(0.9,))
    both = fit_capacity(runs, "robust_accuracy", levels=(0.9,), masks="robust_mask")
    assert (seeds_only["resampled"], both["resampled"]) == ("seeds", "seeds and images")
    assert both["plateau"] == seeds_only["plateau"]  # the fit itself is the same
    width = lambda fitted: np.subtract(*fitted["plateau_interval"][::-1])  # noqa: E731
    assert width(both) > 1.5 * width(seeds_only)
    runs.loc[0, "robust_accuracy"] = 0.5
    with pytest.raises(ValueError, match="not the per-example results"):
        fit_capacity(runs, "robust_accuracy", masks="robust_mask")


def test_the_summary_names_the_attacks_each_seed_faced():
    assert (
        mnist.attacks_text(
            [0, 1, 2], ["pgd-40x2+apgd-ce+apgd-t+fab-t+square", "pgd-40x2+apgd-ce+apgd-t", "pgd-40x2+apgd-ce+apgd-t"]
        )
        == "pgd-40x2+apgd-ce+apgd-t; +fab-t+square on seed 0"
    )
    assert (
        mnist.attacks_text([0, 1], ["pgd-40x2+apgd-ce+square+fab-t", "pgd-40x2+apgd-ce+square"])
        == "pgd-40x2+apgd-ce+square; +fab-t on seed 0"
    )
    assert mnist.attacks_text([0, 1], ["pgd-40x2", "pgd-40x2"]) == "pgd-40x2"
    assert mnist.attacks_text([0], [""]) == "–"
