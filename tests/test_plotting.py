"""Figures a reader has to decode: their legends name what they show."""

import itertools

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from gobig.report import plotting

pytestmark = pytest.mark.unit


def test_robust_vs_eps_legend_names_every_model_size():
    sizes = {"madry": [13_514, 52_506, 206_954, 821_706], "mlp": [6_442, 26_506, 118_282, 669_706]}
    rows = [
        {
            "family": family,
            "mode": mode,
            "seed": seed,
            "num_params": params,
            "norm": "linf",
            "eps": eps,
            "accuracy": 0.9 - eps,
        }
        for family, counts in sizes.items()
        for params, mode, seed, eps in itertools.product(counts, ("natural", "pgd"), (0, 1), (0.0, 0.1, 0.3))
    ]
    figure = plotting.robust_vs_eps(pd.DataFrame(rows), "linf")
    legend = figure.legends[0]
    assert legend.get_title().get_text() == "parameters"
    # seaborn's brief legend for a numeric hue would give two ticks of the
    # colour scale ('1e4', '1e+05'), so a reader could not tell the models apart.
    assert [t.get_text() for t in legend.texts] == [f"{n:,}" for n in sorted(sizes["madry"] + sizes["mlp"])]
    plt.close(figure)


def test_the_recipe_figure_names_each_recipe_and_draws_pgds_own_accuracy():
    """Both recipes on one axes: the legend names each, and a recipe whose
    records keep PGD-40's accuracy is drawn at it (the measure of Madry et
    al.'s figure), with its worst case dashed beside it."""
    params = [13_514, 52_506, 206_954]
    ours = pd.DataFrame(
        [
            {"num_params": p, "seed": s, "pgd_accuracy": 0.8, "robust_accuracy": 0.7}
            for p, s in itertools.product(params, (0, 1))
        ]
    )
    theirs = pd.DataFrame(
        [{"num_params": p, "seed": 0, "pgd_accuracy": float("nan"), "robust_accuracy": 0.1} for p in params]
    )
    figure = plotting.recipe_vs_params({"ramp": ours, "madry": theirs}, worst_case="ramp")
    axis = figure.axes[0]
    labels = [text.get_text() for text in axis.get_legend().texts]
    assert labels == ["ramp", "ramp, worst case over every attack", "madry"]
    lines = {line.get_label(): line for line in axis.get_lines()}
    assert list(lines["ramp"].get_ydata()) == [0.8] * 3 and list(lines["madry"].get_ydata()) == [0.1] * 3
    assert lines["ramp, worst case over every attack"].get_linestyle() == "--"
    plt.close(figure)


def test_the_sweep_figure_draws_each_checkpoints_interval():
    rows = [
        {
            "size": 4,
            "seed": 0,
            "images": 1000,
            "num_params": 206_954,
            "eps": eps,
            "accuracy": a,
            "low": a - 0.02,
            "high": a + 0.01,
        }
        for eps, a in ((0.1, 0.95), (0.3, 0.87), (0.4, 0.3))
    ]
    figure = plotting.robust_vs_eps_sweep(pd.DataFrame(rows))
    axis = figure.axes[0]
    assert [text.get_text() for text in axis.get_legend().texts] == ["scale 4, seed 0 (206,954 params, 1,000 images)"]
    caps = [collection for collection in axis.collections]
    assert caps, "error bars are drawn"
    plt.close(figure)
