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


def test_log_axes_read_as_plain_numbers():
    from gobig.report.plotting.style import plain_log_ticks, plain_number

    assert [plain_number(v) for v in (0.5, 2, 1000, 13_514, 4.7e6, 1.75e11, 1.75e14)] == [
        "0.5",
        "2",
        "1,000",
        "13.5K",
        "4.7M",
        "175B",
        "175T",
    ]
    figure, axis = plt.subplots()
    axis.plot([1, 2, 5, 8], [0, 1, 2, 3])  # an n@k axis: under one decade
    axis.set_xscale("log")
    plain_log_ticks(axis, "x")
    figure.canvas.draw()
    low, high = axis.get_xlim()
    shown = [t for t in axis.xaxis.get_major_ticks() if low <= t.get_loc() <= high]
    labels = [t.label1.get_text() for t in shown]
    minor = [
        t.label1.get_text() for t in axis.xaxis.get_minor_ticks() if low <= t.get_loc() <= high and t.label1.get_text()
    ]
    assert labels and set(labels) <= {"1", "2", "5", "10"}, labels
    assert not minor, f"minor ticks labelled: {minor}"
    assert not any("×" in label or "^" in label for label in labels)
    plt.close(figure)


def test_a_condition_keeps_its_colour_across_figures():
    from gobig.report.plotting.style import CONDITION_COLOURS, condition_colours

    assert condition_colours(["random", "temporal"])["temporal"] == CONDITION_COLOURS["temporal"]
    assert condition_colours(["temporal", "random-0", "other"])["random-0"] == CONDITION_COLOURS["random"]
    spare = condition_colours(["temporal", "something new", "another"])
    assert len(set(spare.values())) == 3, "unknown conditions get distinct colours, not a known one's"


def test_split_variants_tick_labels_do_not_collide():
    splits = pd.DataFrame(
        [
            {
                "kind": kind,
                "split": f"{kind}-{i}",
                **{f"{c}_{s}": v for c in ("near_duplicate", "baseline") for s, v in (("low", 5.0), ("high", 20.0))},
                "near_duplicate_share": 12.0,
                "baseline_rate": 11.0,
            }
            for kind in plotting.SPLIT_VARIANT_ORDER
            for i in range(2)
        ]
    )
    figure = plotting.split_variants(splits)
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    for axis in figure.axes:
        boxes = [label.get_window_extent(renderer) for label in axis.get_xticklabels() if label.get_text()]
        assert len(boxes) == len(plotting.SPLIT_VARIANT_ORDER)
        for a, b in zip(boxes, boxes[1:]):
            assert not a.overlaps(b), "two tick labels overlap"
    plt.close(figure)


def test_the_verdict_figure_names_each_verdict_by_symbol_and_word():
    from gobig.report import ledger
    from gobig.report.plotting.ledger import verdicts_by_chapter

    claims = pd.DataFrame(
        {
            "chapter": ["1. MNIST capacity"] * 3 + ["2. GPT-3 arithmetic"],
            "verdict": ["supported", "partly", "supported", "not supported"],
        }
    )
    figure = verdicts_by_chapter(claims)
    legend = [t.get_text() for t in figure.axes[0].get_legend().get_texts()]
    assert legend == [f"{ledger.VERDICT_STYLES[v]['symbol']} {v}" for v in ("supported", "partly", "not supported")]
    labels = [t.get_text() for t in figure.axes[0].texts]
    assert "✓2" in labels and "◐" in labels, labels


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
