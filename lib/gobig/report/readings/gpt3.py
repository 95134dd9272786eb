"""Chapter 2's sentences that read its record (``gpt3_readings``)."""

from __future__ import annotations

import numpy as np

from gobig.studies import gpt3


def gpt3_readings(record: dict) -> dict[str, str]:
    """Chapter 2's sentences that read its record: the series' classes, what
    GPT-3 lacks at the target, the back-test and what it says of a 175T
    claim, the blog's chart, and the loss-law view."""
    result = record["result"]
    fits = gpt3.fits_frame(record)
    series = fits[["benchmark", "setting", "class"]].drop_duplicates()
    names = lambda frame: ", ".join(f"{r.benchmark} {r.setting}" for r in frame.itertuples()) or "none"  # noqa: E731
    counts = series["class"].value_counts()
    table = gpt3.load_accuracies()
    at = table.set_index(["benchmark", "setting", "params"])
    winogrande = at.loc[("Winogrande", "few-shot", 1_300_000_000)]
    superglue = at.loc[("SuperGLUE avg (dev)", "few-shot", result["gpt3_params"])]
    out = {
        "table_reading": (
            f"{int(table.verified.sum())} of the {len(table)} values are verified; "
            f"Winogrande few-shot at 1.3B reads {winogrande.reading_a:g} in one transcription and {winogrande.reading_b:g} in the other, so it is "
            f"{'verified' if winogrande.verified else 'not verified'}, and the SuperGLUE dev average, found in one transcription only, is verified at "
            f"{int(at.loc['SuperGLUE avg (dev)'].verified.sum())} of its {len(at.loc['SuperGLUE avg (dev)'])} sizes and settings "
            f"(its 175B few-shot reading, {superglue.reading_a:g}, is the test-server score of Table 3.8)"
        ),
        "classes_reading": (
            f"Of the {len(series)} series with every size verified, {counts.get('smooth', 0)} are smooth, "
            f"{counts.get('emergent', 0)} emergent ({names(series[series['class'] == 'emergent'])}) and "
            f"{counts.get('flat', 0)} flat ({names(series[series['class'] == 'flat'])}); {len(result['skipped'])} series are not fitted because a value is not verified"
        ),
    }

    lacking = gpt3.lacking_fits(record)
    smooth = lacking[lacking["class"] == "smooth"]
    count = len(lacking[["benchmark", "setting"]].drop_duplicates())
    if count == 0:
        out["lacking_reading"] = (
            f"none of the {len(series)} fitted series is below it at 175B in the paper's numbers, so there is nothing to extrapolate to"
        )
    else:
        below = f"{count} of the {len(series)} fitted series {'is' if count == 1 else 'are'} below it at 175B in the paper's numbers"
        unbounded = smooth[~np.isfinite(smooth.params_high)][["benchmark", "setting"]].drop_duplicates()
        beyond = smooth[smooth.params_low >= 1000 * result["gpt3_params"]][["benchmark", "setting"]].drop_duplicates()
        out["lacking_reading"] = (
            f"{below}, {len(smooth[['benchmark', 'setting']].drop_duplicates())} of them smooth. {'Its' if count == 1 else 'Their'} fits put the target anywhere from "
            f"{gpt3._count(smooth.params_needed.min())} to {gpt3._count(smooth.params_needed.max())} parameters; "
            f"{len(beyond)} series {'has' if len(beyond) == 1 else 'have'} a fit whose whole interval lies beyond 175T and {len(unbounded)} a fit with no finite bound"
            if not smooth.empty
            else f"{below}, none of them smooth, so none is extrapolated"
        )

    summary = gpt3.backtest_summary(record)
    level = result["confidence_level"]
    reach = np.log10(result["gpt3_params"] / record["config"]["backtest_largest"])
    row = summary[(summary.kind == "log-linear") & (summary.series == "smooth")]
    logistic = summary[(summary.kind == "logistic") & (summary.series == "smooth")]
    if row.empty:
        out["backtest_reading"] = "no smooth series was back-tested"
    else:
        row, logistic = row.iloc[0], logistic.iloc[0]
        frame = gpt3.backtest_frame(record)
        smooth_linear = frame[(frame.kind == "log-linear") & (frame["class"] == "smooth")]
        above = int((smooth_linear.error > 0).sum())
        calibrated = row.coverage_high >= level
        out["backtest_reading"] = (
            f"Fitted on the sizes up to {record['config']['backtest_largest'] / 1e9:g}B and asked for 175B, {reach:.1f} decades on, the log-linear fits of the "
            f"{int(row['count'])} smooth series miss by {row.mae:.1f} points on average ({level:.0%} interval {row.mae_low:.1f}-{row.mae_high:.1f}), "
            f"{above} of the {len(smooth_linear)} above the truth (mean signed error {row.mean_error:+.1f}), and the logistic fits by {logistic.mae:.1f} ({logistic.mae_low:.1f}-{logistic.mae_high:.1f}); "
            f"the mean over the series misses by {row.aggregate_error:+.1f} points. The {level:.0%} prediction intervals hold {row.coverage:.0%} of the 175B values "
            f"(exact interval {row.coverage_low:.0%}-{row.coverage_high:.0%}), "
            + (
                "consistent with their nominal level"
                if calibrated
                else f"well short of {level:.0%}: the intervals are too narrow to be taken at their word"
            )
            + f". Owen 2024 reports {gpt3.OWEN_2024['aggregate_mae']:g} points for an aggregate and {gpt3.OWEN_2024['task_mae']:g} for single tasks over {gpt3.OWEN_2024['span']}. "
            f"A claim that 175T parameters are needed extrapolates 3 decades beyond 175B, {3 / reach:.1f} times as far as this back-test reaches, "
            + (
                f"where its intervals are untested: the back-test vouches for {reach:.1f} decades, not 3"
                if calibrated
                else "with intervals that did not hold even here: that claim, and its opposite, deserve little belief"
            )
        )

    chart = gpt3.blog_chart_frame(record)
    top = chart[(chart.params == result["gpt3_params"]) & chart.verified]
    if top.empty:
        out["chart_reading"] = "the chart's 175B values are not verified"
    else:
        best = top.loc[top.accuracy.idxmax()]
        out["chart_reading"] = (
            f"at 175B the chart's task reaches {best.accuracy:g}% {best.setting} (K = 100 examples), "
            f"{gpt3.BLOG_CHART['level'] - best.accuracy:.1f} points short of {gpt3.BLOG_CHART['level']:g}%; "
            f"{int((~chart[chart.params < result['gpt3_params']].verified).sum())} of its {int((chart.params < result['gpt3_params']).sum())} values at 1.3B and 13B are in one transcription only"
        )

    optimal = gpt3.compute_optimal_frame(record).set_index("key")
    h, b = optimal["hoffmann"], optimal["besiroglu"]
    low, high = optimal["besiroglu_low"], optimal["besiroglu_high"]
    out["compute_reading"] = (
        f"Under Hoffmann et al.'s law (point estimates) GPT-3's budget ({h['compute']:.2g} FLOPs) reaches a loss of {h['loss']:.2f}; the same FLOPs split compute-optimally "
        f"({h['optimal_params'] / 1e9:.0f}B parameters on {h['optimal_tokens'] / 1e12:.1f}T tokens) reach {h['optimal_loss']:.2f}. "
        f"A thousand times the parameters on the same 300B tokens reach {h['scaled_loss_same_tokens']:.3f}, against a floor of {h['data_floor']:.3f} that no number of parameters "
        f"passes with those tokens; for 175T parameters to be compute-optimal they would need {h['scaled_optimal_tokens']:.1g} tokens. "
        f"Besiroglu et al.'s refit says a loss of {b['loss']:.2f} ({low['loss']:.2f}-{high['loss']:.2f}), {b['optimal_params'] / 1e9:.0f}B parameters ({low['optimal_params'] / 1e9:.0f}-{high['optimal_params'] / 1e9:.0f}B) "
        f"on {b['optimal_tokens'] / 1e12:.1f}T tokens, and {b['scaled_optimal_tokens']:.1g} tokens ({low['scaled_optimal_tokens']:.1g}-{high['scaled_optimal_tokens']:.1g}) for a compute-optimal 175T"
    )
    return out
