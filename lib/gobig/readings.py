"""What the chapters' prose says about their records, computed from them.

A sentence that reads a result ("natural training buys no robustness", "the
leak is the twins") is true of one set of records. Typed into a chapter, it
would outlive them: when the GPU records replace the CPU ones, or when a
reader reruns the chapter with other parameters. These
functions return such sentences from the records; the chapters glue them
(``{glue:text}`name```), so the prose says what the records say.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gobig import alphacode, gpt3, mnist, passk

#: A gap or a robust accuracy under this is "none" (seed noise on 10,000 images is ~0.5 points).
NEGLIGIBLE = 0.01
#: Natural models under this robust accuracy at eps 0.3 count as not robust (Madry et al.: ~0%).
NOT_ROBUST = 0.05
#: Pairs of losses (one problem, validated with and without its twin in training) needed to read their interval.
MIN_PAIRS = 5
#: A ratio of local gradient norms within this factor of 1 counts as unchanged.
SAME_RATIO = 1.1


def mnist_readings(records: list[dict]) -> dict[str, str]:
    """Chapter 1's sentences that read its results (Madry family, eps 0.3)."""
    runs = mnist.runs_frame(records)
    madry = runs[runs["family"] == "madry"]
    # Robust accuracy is read at the radius nearest 0.3 that a rerun measured.
    eps = runs["robust_eps"].dropna()
    radius = f"ε = {eps.iloc[0]:g}" if len(eps) else "ε = 0.3"
    return {
        "threshold_reading": _thresholds(mnist.claims_table(records)),
        "natural_reading": _natural_robustness(mnist.mean_by_model(runs, "madry", "natural"), radius),
        "capacity_reading": _capacity_trend(mnist.mean_by_model(runs, "madry", "pgd")),
        "lipschitz_reading": _lipschitz_change(madry),
        "tightness_reading": _attack_tightness(records),
        "collapse_reading": _collapse(mnist.claims_table(records)),
    }


def _collapse(claims: pd.DataFrame) -> str:
    """Why the collapse row says what it says (the ramp, or the no-ramp runs)."""
    row = claims.set_index("claim").loc["small PGD-trained networks collapse to a constant class"]
    if row["verdict"] == "pending":
        return "The collapse claim is pending: no PGD-trained Madry model is in these records"
    if row["why"].startswith("these models were trained with an eps ramp"):
        return (
            "The collapse row is inconclusive because of how these models were trained: PGD training here ramps the radius up from 0 "
            "(`TRAIN_EPS_WARMUP`) so that short CPU runs learn at all, while Madry et al. train at ε = 0.3 from the first step, and their "
            f"claim is about that recipe; the `{mnist.COLLAPSE_PROFILE}` profile (scales 1 and 2 without the ramp) tests it as stated once its records are committed"
        )
    return f"The collapse row reads the `{mnist.COLLAPSE_PROFILE}` profile's models, trained as Madry et al. train ({row['why']}): {row['verdict']}"


def _thresholds(claims: pd.DataFrame) -> str:
    """Which of the blog's robust-accuracy levels the capacity fit places
    (a verdict either way) and which it leaves open (inconclusive)."""
    verdicts = claims.set_index("claim")["verdict"]
    levels = {f"{level:.0%}": claim for (level, _), (claim, _) in mnist.THRESHOLD_CLAIMS.items()}
    if all(verdicts[claim] == "pending" for claim in levels.values()):
        return "none is tested: no PGD-trained Madry model was evaluated at ε = 0.3"
    placed = [level for level, claim in levels.items() if verdicts[claim] in ("supported", "not supported")]
    open_ = [level for level in levels if level not in placed]
    if not placed:
        return "the capacity fit places neither the " + " nor the ".join(open_) + " level"
    if not open_:
        return "the capacity fit places the " + " and the ".join(placed) + " level" + ("s" if len(placed) > 1 else "")
    return f"the capacity fit places the {' and the '.join(placed)} level and cannot place the {' or the '.join(open_)} level"


def _natural_robustness(natural: pd.DataFrame, radius: str) -> str:
    if natural.empty:
        return "No naturally trained model is in these records"
    most = natural["robust_accuracy"].max()
    top = natural.loc[natural["robust_accuracy"].idxmax()]
    if most < NOT_ROBUST:
        return f"Natural training buys no robustness at {radius} at any size (at most {mnist.seed_mean_text(top, 'robust_accuracy')})"
    return f"Natural training leaves up to {mnist.seed_mean_text(top, 'robust_accuracy')} robust accuracy at {radius}, where Madry et al. report ~0% at ε = 0.3: a reason to doubt the attack"


def _capacity_trend(pgd: pd.DataFrame) -> str:
    if pgd.empty:
        return "No PGD-trained model is in these records"
    first, last = pgd.iloc[0], pgd.iloc[-1]
    best = pgd.loc[pgd["robust_accuracy"].idxmax()]

    def text(row, column="robust_accuracy"):
        return mnist.seed_mean_text(row, column)  # the seed mean with the seeds' range

    at_best = f"{text(best)} (clean {text(best, 'clean_accuracy')}) at {best.num_params:,.0f} parameters"
    if best.robust_accuracy < first.robust_accuracy + NEGLIGIBLE:
        return f"Robust accuracy does not grow with capacity: {text(first)} at the smallest scale, {text(last)} at the largest"
    if best.num_params == last.num_params:
        return (
            f"Robust accuracy grows with capacity, from {text(first)} at the smallest scale to {at_best}, the largest"
        )
    return f"Robust accuracy grows with capacity from {text(first)} at the smallest scale to {at_best}, then stops growing ({text(last)} at the largest, {last.num_params:,.0f} parameters)"


def _lipschitz_change(madry: pd.DataFrame) -> str:
    by_mode = madry.groupby("mode")["local_lipschitz_max"].mean()
    if not {"natural", "pgd"} <= set(by_mode.index):
        return "With one training mode only, these records cannot compare the local gradient norms of natural and PGD training"
    ratio = by_mode["natural"] / by_mode["pgd"]
    if ratio > SAME_RATIO:
        return f"PGD training lowers the largest local gradient norm of Madry's networks by a factor of {ratio:.1f} on average against natural training"
    if ratio < 1 / SAME_RATIO:
        return f"PGD training raises the largest local gradient norm of Madry's networks by a factor of {1 / ratio:.1f} on average against natural training"
    return f"PGD training leaves the largest local gradient norm of Madry's networks about where natural training does (a ratio of {ratio:.2f})"


def _attack_tightness(records: list[dict]) -> str:
    checks = [r["result"]["crosscheck"] for r in records if "crosscheck" in r["result"]]
    if not checks:
        return "how tight they are is not checked in these records"
    gap = max(c["gobig_pgd"] - c["torchattacks_apgd_ce"] for c in checks)
    if gap > NEGLIGIBLE:
        # The chapter quotes the gap itself just before this sentence.
        return "and on the checked model not tight ones"
    return "and on the checked model tight ones: APGD finds at most one point more"


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


def alphacode_readings(records: list[dict]) -> dict[str, str]:
    """Chapter 3's sentences that read its results."""
    frame = alphacode.splits_frame(records)
    nearest = alphacode.nearest_frame(records)
    claims = alphacode.claims_table(records).set_index("claim")["verdict"]
    baseline_claim = next(c for c in claims.index if c.startswith("submitting training solutions"))
    model_claim = next((c for c in claims.index if c.startswith("a 1B model")), None)
    readings = {
        "baseline_twins_reading": _baseline_twins(nearest[nearest["kind"] == "random"]),
        "baseline_scale_reading": _baseline_gap(alphacode.gap_frame(records), frame),
        "baseline_reading": _baseline(claims[baseline_claim]),
        "loss_reading": _memorization(alphacode.memorization_summary(records), alphacode.losses_frame(records)),
        "model_reading": _model(frame, claims[model_claim])
        if model_claim
        else "No split of these records sampled programs",
    }
    if alphacode.curve_record(records) is not None:
        readings["curve_reading"] = _curve(alphacode.curve_bins(records))
    return readings


def _baseline_twins(random_nearest: pd.DataFrame) -> str:
    solved = random_nearest[random_nearest["baseline_solved_by"].notna()]
    twins = int(solved["twin_in_train"].sum())
    if solved.empty:
        return "It solves no validation problem on the random splits"
    if twins == len(solved):
        return f"Of the {len(solved)} problems it solves on the random splits, all {twins} have their twin in training: the leak is the twins"
    if 2 * twins >= len(solved):
        return f"Of the {len(solved)} problems it solves on the random splits, {twins} have their twin in training: most of the leak is the twins"
    return f"Of the {len(solved)} problems it solves on the random splits, only {twins} have their twin in training: most of what it solves is not a twin's copy"


def _baseline_gap(gap: dict, frame: pd.DataFrame) -> str:
    """Why the random-split rate is not AlphaCode's 4.1%, from measured parts.
    With validation fraction f, a validation problem's twin is in training
    with probability about 1 - f in a pool of any size: what sets the rate is
    how many problems have a twin at all (s), and how often a twin's
    solution passes (a) against how often another problem's does (b)."""
    paper = alphacode.PAPER[("baseline", "random")]
    rate = frame.loc[frame["kind"] == "random", "baseline_rate"].mean()
    s_k, s_n = gap["s"]
    a_k, a_n = gap["a"]
    b_k, b_n = gap["b"]
    t_k, t_n = gap["twin_in_train_given_twin"]
    sentence = (
        f"The random-split rate, {rate:.1f}% on average, is {rate / paper:.1f} times AlphaCode's {paper}%. It decomposes as measured on the random splits: "
        f"{s_k} of {s_n} judged validation problems ({100 * s_k / max(s_n, 1):.1f}%) have their twin in training, and the baseline solves {a_k} of those {a_n} "
        f"but {b_k} of the other {b_n}. A problem with a twin has it in training in {t_k} of {t_n} cases, near 1 - f = {1 - gap['valid_fraction']:.2f} as a random split implies "
        f"whatever the pool's size, so the twins are not rarer across a random split of a larger pool"
    )
    if np.isfinite(gap["implied_s"]):
        sentence += (
            f". What differs is how many problems have a twin at all: {gap['with_twin']} of our {gap['pool']} ({100 * gap['twin_share_pool']:.0f}%), "
            f"where a uniform sample of {gap['pool']} of CodeContests' {alphacode.PAPER_TRAIN_PROBLEMS:,} training problems would hold a given problem's twin with probability "
            f"{100 * gap['uniform_sample_twin_chance']:.1f}%, so this pool is far denser in twins than a uniform sample would be. With our solve rates, {paper}% would need "
            f"{100 * gap['implied_s']:.1f}% of validation problems to have their twin in training"
        )
    return sentence


def _baseline(verdict: str) -> str:
    if verdict in ("supported", "partly"):
        return "The baseline turns that into solved problems without any model"
    return "The baseline, submitting training solutions, does not turn that into more solved problems on the random splits here"


def _memorization(summary: pd.DataFrame, losses: pd.DataFrame) -> str:
    """The memorization test: did the model memorize (training loss well
    below validation loss), and does a problem's loss fall when its twin is
    in training (paired: the same problem under two models that differ only
    by the twin's presence)? Bootstrap intervals over problems."""
    if summary.empty or losses.empty:
        return "These records have no paired models, so the memorization test was not run"
    trained = losses.set_index("split")
    memorized = ", ".join(
        f"{name}: training loss {r.train_loss:.2f} against validation loss {r.valid_loss:.2f}"
        for name, r in trained.iterrows()
    )
    leaked = summary[summary["problems"] == "twin was in training"]
    control = summary[summary["problems"] == "no twin in training"]
    if leaked.empty or leaked.iloc[0]["n"] < MIN_PAIRS:
        count = 0 if leaked.empty else int(leaked.iloc[0]["n"])
        return f"The models reach {memorized}. Only {count} validation problems had their twin in training, too few to read a paired difference"
    leak = leaked.iloc[0]
    sentence = (
        f"The models reach {memorized} nats per token. Paired on the same problem, removing its twin from training raises the loss of the {leak['n']:.0f} problems whose twin was there "
        f"by {leak['mean_difference']:+.3f} nats per token on average (95% bootstrap interval {leak['low']:+.3f} to {leak['high']:+.3f}; {leak['positive']:.0f} of {leak['n']:.0f} rise, sign test p = {leak['sign_test_p']:.2g})"
    )
    if len(control):
        c = control.iloc[0]
        sentence += f", and changes the {c['n']:.0f} others by {c['mean_difference']:+.3f} ({c['low']:+.3f} to {c['high']:+.3f})"
    if leak["low"] > 0 and (control.empty or leak["low"] > control.iloc[0]["high"]):
        meaning = "So the model has memorized the twins' solutions and uses them on the validation copies: the leak reaches it, before any problem is solved"
    elif leak["low"] > 0:
        meaning = "So the twin lowers the loss, though not clearly more than training on any other problem does"
    elif leak["high"] < 0:
        meaning = "So the twin makes the solution harder to predict, not easier"
    else:
        meaning = "So at this scale the loss shows no effect of the leak"
    return f"{sentence}. {meaning}"


def _model(frame: pd.DataFrame, verdict: str) -> str:
    sampled = frame[frame["role"] == "sample"] if "role" in frame else frame
    temporal_rows = sampled.loc[sampled["kind"] == "temporal", "model_rate"]
    random = sampled.loc[sampled["kind"] == "random", "model_rate"].mean()
    paper = alphacode.PAPER
    if temporal_rows.empty:
        if verdict == "inconclusive":
            return f"Solving nothing on the random split, it neither confirms nor refutes the {paper[('model', 'random')]:g}% against {paper[('model', 'temporal')]:g}% (the temporal split was not sampled in this run)"
        return f"It solves {random:.2f}% on the random split; the temporal split was not sampled in this run"
    temporal = temporal_rows.iloc[0]
    if verdict == "inconclusive":
        return f"Solving nothing on either split, it neither confirms nor refutes the {paper[('model', 'random')]:g}% against {paper[('model', 'temporal')]:g}%"
    if verdict in ("supported", "partly"):
        return f"It solves {random:.2f}% on the random splits on average and {temporal:.2f}% on the temporal split: the paper's direction, at a much smaller scale"
    return f"It solves {temporal:.2f}% on the temporal split and {random:.2f}% on the random splits on average: not the paper's shape"


def _curve(bins: pd.DataFrame) -> str:
    """The date curve in a sentence: contamination before the cutoff, none after."""
    before = bins[bins["period"] == "before cutoff"]
    after = bins[bins["period"] == "after cutoff"]
    later = bins[bins["period"] == "out of period"]

    def pooled(part: pd.DataFrame, count: str, total: str) -> str:
        k, n = int(part[count].sum()), int(part[total].sum())
        low, high = passk.clopper_pearson(k, n) if n else (float("nan"),) * 2
        return f"{k} of {n} ({100 * k / max(n, 1):.1f}%, 95% CI {100 * low:.1f} to {100 * high:.1f})"

    sentence = (
        f"Before the cutoff, {pooled(before, 'near_duplicates', 'problems')} problems have a near duplicate elsewhere in training and the baseline solves {pooled(before, 'solved', 'judged')} of the judged ones "
        f"with another problem's solution; after it, {pooled(after, 'near_duplicates', 'problems')} and {pooled(after, 'solved', 'judged')}"
    )
    if len(later):
        sentence += f"; among the later problems out of period, {pooled(later, 'near_duplicates', 'problems')} and {pooled(later, 'solved', 'judged')}"
    return sentence
