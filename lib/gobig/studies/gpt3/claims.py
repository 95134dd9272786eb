"""Chapter 2's claims: the blog's GPT-3 and law sentences, each with the
value recomputed from the record (and the papers) and a verdict."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import pandas as pd

from gobig.core.study import mark_headlines
from gobig.methods.scaling import law
from gobig.studies.gpt3.data import BLOG_CHART, load_models
from gobig.studies.gpt3.frames import (
    backtest_summary,
    blog_chart_frame,
    count_text,
    decades_text,
    fits_frame,
    lacking_fits,
    requirements_frame,
    selected_fits,
    two_point_crossing,
)

# ---- claims -----------------------------------------------------------------

#: Numbers the claims quote from the papers, each as retrieved:
#: Brown et al. 2020, Sec. 1 lists GPT-2 [RWC+19] at "1.5 billion
#: parameters"; Sec. 3.9.2: "our BPE encoding operates on significant
#: fractions of a word (on average ~0.7 words per token)".
GPT2_PARAMS = 1.5e9
WORDS_PER_TOKEN = 0.7
#: MNIST images: 28 x 28 pixels of 256 grey levels.
MNIST_GREY_LEVELS = 256


#: Brown et al. 2020, Table 2.2: epochs elapsed per data set when training
#: for 300B tokens, from Books2 (0.43) to Wikipedia (3.4).
EPOCHS_RANGE = (0.43, 3.4)


def _chart_line(chart, setting: str, level: float) -> float:
    """Where the straight line (accuracy against log10 parameters) through
    the chart's 13B and 175B values of ``setting`` reaches ``level``."""
    two = chart[(chart.setting == setting) & chart.verified].sort_values("params").tail(2)
    return two_point_crossing(two.params, two.accuracy, level) if len(two) == 2 else float("nan")


#: The ``why`` of a row that rests on the law's premise: the reasoning is in ``_law_premise``.
NOT_INTERPOLATING = "GPT-3 is not shown to interpolate its training data"


def _law_premise(result: dict) -> str:
    passes = result["gpt3_training_tokens"] / (result["token_mix_billions"] * 1e9)
    return (
        "the law binds models that fit their training data below the noise level (interpolate it); "
        f"GPT-3 was trained on {result['gpt3_training_tokens'] / 1e9:.0f}B of its {result['token_mix_billions']:.0f}B tokens ({passes:.1f} passes on average, "
        f"{EPOCHS_RANGE[0]:g} to {EPOCHS_RANGE[1]:g} per data set, Table 2.2) and is not shown to interpolate them, so the arithmetic decides nothing"
    )


#: Brown et al. 2020, Sec. 3.7: "WiC is a notable weak spot with few-shot
#: performance at 49.4% (at random chance)" (Table 3.8, test set); Sec. 3.8:
#: models smaller than 175B "perform at almost exactly random chance on
#: ANLI". Tasks of the paper's own where GPT-3 is at chance.
WIC_FEW_SHOT = 49.4
#: Brown et al. 2020, Table D.1: GPT-3 175B's training compute, 3.14e23
#: FLOPs (3.64e3 petaflop/s-days), from 174,600M parameters and 300B tokens.
TABLE_D1_FLOPS = 3.14e23


def needs_verdict(selected, claim_params: float, reach_params: float, series_class: str = "smooth") -> tuple[str, str]:
    """The rule for a claim that reaching the target needs at least
    ``claim_params`` parameters, tested on one series' selected fit
    (a ``selected_fits`` row, or None when no fit describes the series):

    * "not supported" when the fit's interval for the crossing ends below
      ``claim_params`` and the fit, lowered by the back-test's overshoot
      margin, still reaches the target within ``reach_params`` (one
      back-test span beyond the largest size, as far as the margin was
      measured): the target is reached well before, even if this fit
      overshoots as much as 9 in 10 back-tested fits did;
    * "inconclusive" otherwise. The rule never returns "supported": a need
      three decades out cannot be shown by a fit that the back-test vouches
      for over one span, and a series no fit describes says nothing.

    Returns (verdict, reason); ``series_class`` names why there is no
    selected fit (flat: no rise; irregular: no fit describes it)."""
    if selected is None:
        if series_class == "flat":
            return "inconclusive", "the series has no rise to extrapolate (flat)"
        return "inconclusive", "no fit describes the series"
    if not selected["params_high"] < claim_params:
        return "inconclusive", "the crossing's interval reaches the claimed size"
    if not selected["params_shifted"] <= reach_params:
        return "inconclusive", "lowered by the margin, the fit reaches the target only beyond the back-tested reach"
    return "not supported", "reached within the back-tested reach even after the margin"


def _backtest_note(record: dict) -> str:
    """A clause on the back-test of the selected fits."""
    summary = backtest_summary(record, n_boot=2000)
    row = summary[(summary.kind == "log-linear") & (summary.series == "adequate")]
    if row.empty:
        return "no series was back-tested"
    row = row.iloc[0]
    level = record["result"]["confidence_level"]
    return (
        f"back-test (fit to {record['config']['backtest_largest'] / 1e9:g}B, predict 175B): {level:.0%} prediction intervals "
        f"hold {row.coverage:.0%} [{row.coverage_low:.0%}, {row.coverage_high:.0%}] of {int(row['count'])} log-linear fits"
    )


#: The rows a reader needs first (the chapter's Findings box and the landing page), by their claim's start.
HEADLINE_CLAIMS = (
    "by the law, 175B parameters are not enough",
    "~3 more orders of magnitude (175T parameters) would be needed to reach 70% in the chart",
    "MNIST: smooth interpolation needs n*d = 10^9 parameters",
)


def claims_table(record: dict | list[dict]) -> pd.DataFrame:
    """The checkable sentences of the blog's GPT-3 and law paragraphs with
    the value recomputed from the record (and the papers) and a verdict
    that says what was tested. Takes the one record, or the list of it
    that every study's ``claims_table`` takes (``gobig.core.study.Study``).
    One function per group of rows, in the ledger's order."""
    if isinstance(record, list):
        (record,) = record
    fitted = Fitted.of(record)
    rows = [
        *_mnist_arithmetic_rows(),
        *_gpt3_fact_rows(record["result"]),
        *_law_requirement_rows(record),
        *_chart_rows(record),
        *_chart_needs_row(record, fitted),
        *_extension_row(record, fitted),
    ]
    return mark_headlines(pd.DataFrame(rows), HEADLINE_CLAIMS)


def _row(claim, source, measured, verdict, why, detail="") -> dict:
    """One ledger row. ``why``: one sentence within ledger.WHY_LIMIT; ``detail``: the reasoning folded under it."""
    return {"claim": claim, "source": source, "measured": measured, "verdict": verdict, "why": why, "detail": detail}


def _mnist_arithmetic_rows() -> Iterator[dict]:
    """The blog's MNIST arithmetic, redone with the law's functions."""
    blog_nd = law.smooth_interpolation_params(law.BLOG_MNIST_N, law.BLOG_MNIST_D)
    mnist_nd = law.smooth_interpolation_params(law.MNIST_N, law.MNIST_D)
    yield _row(
        "MNIST training data is 60K examples (10^4)",
        "blog",
        f"n = {law.MNIST_N:,} = 10^{math.log10(law.MNIST_N):.2f}",
        "partly",
        "60K is right; as a power of ten it is nearer 10^5 than 10^4 (10^4 understates it 6-fold)",
    )
    yield _row(
        "the image space alone would be on the order of 10^5",
        "blog",
        f"28x28 pixels: d = {law.MNIST_D} dimensions (10^{math.log10(law.MNIST_D):.1f}); {MNIST_GREY_LEVELS} grey levels give {MNIST_GREY_LEVELS}^{law.MNIST_D} = 10^{law.MNIST_D * math.log10(MNIST_GREY_LEVELS):.0f} distinct images",
        "not supported",
        "neither the input dimension (784) nor the number of possible images (10^1888) is 10^5; the law's d is the dimension, 784",
    )
    yield _row(
        "MNIST: smooth interpolation needs n*d = 10^9 parameters (n ~ 1e4, image space ~ 1e5)",
        "blog",
        f"n*d = {mnist_nd:.3g} with n = {law.MNIST_N:,} and d = {law.MNIST_D} (the blog's inputs give {blog_nd:.3g})",
        "not supported",
        "MNIST has 60,000 training images of 784 pixels, not 1e4 of 1e5: the count is 4.7e7, 21x below 1e9",
    )
    low, high = (law.smooth_interpolation_params(law.MNIST_N, d) for d in law.MNIST_EFFECTIVE_D_RANGE)
    blog_effective = law.smooth_interpolation_params(law.BLOG_MNIST_N, law.BLOG_MNIST_EFFECTIVE_D)
    yield _row(
        "MNIST: with effective dimension 10^3, 10^7 parameters",
        "blog; Bubeck & Sellke 2021, Sec. 1.1",
        f"blog's inputs: {blog_effective:.3g}; n = 60,000 with Bubeck & Sellke's effective dimension 15-150: {low:.2g}-{high:.2g}",
        "partly",
        "the order of magnitude matches the paper's 10^6-10^7, but from n ~ 1e4 and d_eff = 1e3 rather than n = 6e4 and d_eff = 15-150",
    )
    yield _row(
        "the law says 10^9 (or 10^7) parameters are needed to be 100% accurate on MNIST",
        "blog; Bubeck & Sellke 2021, Thm 1",
        f"the law's count n*d = {mnist_nd:.3g} is for an O(1)-Lipschitz interpolating model",
        "not applicable",
        "the law bounds the Lipschitz constant of a model that fits noisy data, not accuracy; it says nothing about what 100% accuracy needs",
    )
    yield _row(
        "'# parameters = # equations' suggests ~10^4-6x10^4 parameters",
        "blog",
        f"one equation per training label: {law.params_equal_equations(law.BLOG_MNIST_N):.0e}-{law.params_equal_equations(law.MNIST_N):.0e}",
        "supported",
        "p ~ n is the mere-interpolation count the law contrasts with n*d",
    )


def _gpt3_fact_rows(result: dict) -> Iterator[dict]:
    """GPT-3's and GPT-2's sizes, GPT-4's rumoured one, what GPT-3 can do, and its training tokens."""
    gpt3_params = result["gpt3_params"]
    models = load_models()
    yield _row(
        "GPT-3 has 175B parameters",
        "blog; Brown et al. 2020, Table 2.1",
        f"{models.params.max() / 1e9:.1f}B, the largest of {len(models)} sizes",
        "supported",
        "Table 2.1",
    )
    yield _row(
        "GPT-2 had only 1.5B parameters",
        "blog; Brown et al. 2020, Sec. 1",
        f"{GPT2_PARAMS / 1e9:g}B ({gpt3_params / GPT2_PARAMS:.0f}x fewer than GPT-3)",
        "supported",
        "Brown et al. list GPT-2 [RWC+19] at 1.5 billion parameters",
    )
    yield _row(
        "they say GPT-4 will have over 100T parameters",
        "blog; OpenAI 2023 (GPT-4 report)",
        "GPT-4's report: 'this report contains no further details about the architecture (including model size)'",
        "not checkable",
        "OpenAI never published GPT-4's size, so no number can confirm or refute 100T",
        "who first said 100T could not be traced; it was not OpenAI's report",
    )
    yield _row(
        "per OpenAI's description, GPT-3 can complete 'almost any English language task' (text in ==> text out)",
        "blog; Brown et al. 2020, Secs. 3.7-3.8",
        f"the paper's own tasks include some at chance: WiC few-shot {WIC_FEW_SHOT:g}% on a two-way choice (Sec. 3.7), "
        "ANLI near chance below 175B (Sec. 3.8)",
        "not checkable",
        "'almost any' names no set of tasks and no accuracy to reach, and the OpenAI text the blog quotes was not retrieved",
    )
    yield _row(
        "GPT-3 was trained on ~500B tokens",
        "blog; Brown et al. 2020, Tables 2.1 and 2.2",
        f"the data mix holds {result['token_mix_billions']:.0f}B tokens; every model was trained on {result['gpt3_training_tokens'] / 1e9:.0f}B",
        "partly",
        "~500B is the size of the mix (Table 2.2); the models saw 300B tokens of it (Table 2.1)",
    )
    yield _row(
        "each token probably represents an English word or word phrase",
        "blog; Brown et al. 2020, Sec. 3.9.2",
        f"~{WORDS_PER_TOKEN:g} words per token: {result['gpt3_training_tokens'] / 1e9:.0f}B tokens are ~{WORDS_PER_TOKEN * result['gpt3_training_tokens'] / 1e9:.0f}B words",
        "not supported",
        "GPT-3's byte-level BPE tokens are fractions of a word on average, not words or phrases",
    )


def _law_requirement_rows(record: dict) -> Iterator[dict]:
    """The law's n*d against GPT-3's 175B parameters."""
    result = record["result"]
    gpt3_params = result["gpt3_params"]
    requirements = requirements_frame(record)
    trained = requirements[requirements.tokens == result["gpt3_training_tokens"]]
    basis = trained if not trained.empty else requirements
    smallest = basis.loc[basis.required_params.idxmin()]
    yield _row(
        "by the law, 175B parameters are not enough",
        "blog; Bubeck & Sellke 2021",
        f"n*d = {smallest.required_params:.3g} at n = {smallest.tokens:.3g} tokens, d = {smallest.effective_dimension:g}: {smallest.ratio_to_gpt3:.2g}x 175B",
        "not applicable",
        f"the arithmetic n*d > p holds for any d >= 1, but the law binds only interpolating models and {NOT_INTERPOLATING}",
        f"tested: only the arithmetic n*d > p, which holds for any d >= 1; {_law_premise(result)}",
    )
    n = basis.tokens.iloc[0]
    needed_dimension = 1000 * gpt3_params / n
    by_law = ", ".join(
        f"d = {row.effective_dimension:g}: {decades_text(row.decades_beyond_gpt3)}" for row in basis.itertuples()
    )
    yield _row(
        "by the law, ~3 more orders of magnitude (175T parameters) are needed",
        "blog",
        f"decades beyond 175B at n = {n:.3g}: {by_law}",
        "not applicable",
        f"n*d reaches 175T only for an effective dimension d >= {needed_dimension:.0f}, unknown for text, and {NOT_INTERPOLATING}",
        _law_premise(result),
    )


def _chart_rows(record: dict) -> Iterator[dict]:
    """The blog's chart, taken to be Figure 1.2 (Symbol Insertion; BLOG_CHART)."""
    result = record["result"]
    gpt3_params = result["gpt3_params"]
    chart = blog_chart_frame(record)
    level_70 = BLOG_CHART["level"]
    top = chart[(chart.params == gpt3_params) & chart.verified]
    chart_source = f"blog; {BLOG_CHART['figure']} (inferred), Table 3.10, Table H.1"
    if top.empty:
        yield _row(
            "GPT-3 (175B) did not reach 70% in the blog's chart",
            chart_source,
            "",
            "inconclusive",
            "no verified 175B value of the chart's task",
        )
    else:
        best = top.loc[top.accuracy.idxmax()]
        values = ", ".join(f"{row.setting} {row.accuracy:g}%" for row in top.itertuples())
        yield _row(
            "GPT-3 (175B) did not reach 70% in the blog's chart",
            chart_source,
            f"the chart's task (removing random symbols from a word) at 175B: {values}",
            "supported" if best.accuracy < level_70 else "not supported",
            "if the chart is Figure 1.2 (same three sizes, but plotted against examples in context): "
            f"{best.accuracy:g}% at K = 100",
        )
    yield _row(
        "the law is why GPT-3 did not reach 70% in the chart",
        "blog",
        "",
        "not applicable",
        f"the law bounds Lipschitz constants, not accuracy on a task, and {NOT_INTERPOLATING}",
        _law_premise(result),
    )


@dataclass(frozen=True)
class Fitted:
    """What the two fit-reading row groups share, computed once per table:
    every series' fits, the selected fit of each, the blog's 175T, and the
    back-test's reach and overshoot margin."""

    fits: pd.DataFrame
    selected: pd.DataFrame
    blog_params: float
    reach: float
    margin: float

    @classmethod
    def of(cls, record: dict) -> Fitted:
        result = record["result"]
        return cls(
            fits=fits_frame(record),
            selected=selected_fits(record),
            blog_params=1000 * result["gpt3_params"],
            reach=result["overshoot"]["reach_params"],
            margin=result["overshoot"]["selected"],
        )


def _chart_needs_row(record: dict, fitted_all: Fitted) -> Iterator[dict]:
    """How many parameters the selected fit of the chart's series puts at its 70%."""
    chart = blog_chart_frame(record)
    level_70 = BLOG_CHART["level"]
    fits, selected, blog_params = fitted_all.fits, fitted_all.selected, fitted_all.blog_params
    reach, margin = fitted_all.reach, fitted_all.margin
    chart_setting = BLOG_CHART["setting"]
    series = fits[(fits.benchmark == BLOG_CHART["benchmark"]) & (fits.setting == chart_setting)]
    if series.empty:
        yield _row(
            "~3 more orders of magnitude (175T parameters) would be needed to reach 70% in the chart",
            "blog",
            "",
            "inconclusive",
            "the chart's series is not fitted (a value is not verified)",
        )
    else:
        fitted = _selected_fit(selected, BLOG_CHART["benchmark"], chart_setting)
        verdict, reason = needs_verdict(
            fitted, blog_params, reach, _series_class(fits, BLOG_CHART["benchmark"], chart_setting)
        )
        line = _chart_line(chart, chart_setting, level_70)
        if fitted is None:
            measured, why = f"straight line through 13B and 175B: {level_70:g}% at {count_text(line)}", reason
        else:
            measured = (
                f"{fitted.kind} fit of the {chart_setting} series (8 sizes, R² {fitted.r_squared:.2f}): {level_70:g}% at "
                f"{count_text(fitted.params_needed)} [{count_text(fitted.params_low)}, {count_text(fitted.params_high)}]; {margin:.1f} points lower "
                f"(the back-test margin): {count_text(fitted.params_shifted)}; a straight line through 13B and 175B: {count_text(line)}"
            )
            why = (
                f"the fit reaches {level_70:g}% by {count_text(fitted.params_high)} (its interval's end) and, {margin:.0f} points lower, "
                f"at {count_text(fitted.params_shifted)}: {math.log10(blog_params / fitted.params_shifted):.1f} decades short of 175T"
                if verdict == "not supported"
                else reason
            )
        yield _row(
            "~3 more orders of magnitude (175T parameters) would be needed to reach 70% in the chart",
            "blog",
            measured,
            verdict,
            why,
        )


def _extension_row(record: dict, fitted_all: Fitted) -> Iterator[dict]:
    """The book's extension of the chart's claim: every series GPT-3 leaves
    below the target accuracy, decided one by one."""
    fits, selected, blog_params = fitted_all.fits, fitted_all.selected, fitted_all.blog_params
    reach, margin = fitted_all.reach, fitted_all.margin
    target = record["result"]["target_accuracy"]
    lacking = lacking_fits(record)[["benchmark", "setting"]].drop_duplicates()
    claim = (
        f"the book's extension: ~3 more orders of magnitude (175T) are needed for {target:g}% where GPT-3 is below it"
    )
    source = "the book, extending the blog's chart claim to Table H.1"
    if fits.empty:
        yield _row(claim, source, "", "pending", "no benchmark was fitted")
    elif lacking.empty:
        yield _row(
            claim, source, f"no fitted series is below {target:g}% at 175B", "not applicable", "nothing to reach"
        )
    else:
        verdicts = []
        for row in lacking.itertuples():
            found = _selected_fit(selected, row.benchmark, row.setting)
            verdicts.append(
                (
                    row.benchmark,
                    row.setting,
                    *needs_verdict(found, blog_params, reach, _series_class(fits, row.benchmark, row.setting)),
                )
            )
        decided = [v for v in verdicts if v[2] == "not supported"]
        undecided = [v for v in verdicts if v[2] != "not supported"]
        reasons = pd.Series([v[3] for v in undecided]).value_counts()
        measured = (
            f"{len(verdicts)} series below {target:g}% at 175B; {len(decided)} reach it within the back-tested reach ({count_text(reach)}) "
            f"even {margin:.1f} points lower: "
            + (", ".join(f"{b} {s}" for b, s, *_ in decided) or "none")
            + "; undecided: "
            + ("; ".join(f"{n} ({r})" for r, n in reasons.items()) or "none")
        )
        verdict = "not supported" if not undecided else "inconclusive"
        why = (
            "every series reaches the target well before 175T"
            if verdict == "not supported"
            else f"the blog made the claim for its chart only; {len(undecided)} of {len(verdicts)} series cannot be decided this far out"
        )
        yield _row(claim, source, measured, verdict, why, _backtest_note(record))


def _selected_fit(selected: pd.DataFrame, benchmark: str, setting: str):
    """The series' selected fit (a row of ``selected_fits``), or None when no fit describes it."""
    rows = selected[(selected.benchmark == benchmark) & (selected.setting == setting)]
    return None if rows.empty else rows.iloc[0]


def _series_class(fits: pd.DataFrame, benchmark: str, setting: str) -> str:
    return fits[(fits.benchmark == benchmark) & (fits.setting == setting)]["class"].iloc[0]
