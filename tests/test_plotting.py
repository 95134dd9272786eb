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
