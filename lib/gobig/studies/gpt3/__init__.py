"""Chapter 2's study: extrapolating GPT-3's accuracy, a back-test of that
extrapolation, the compute-optimal view of GPT-3's budget, and the law's
parameter arithmetic for GPT-3's training set.

The blog reads the 1.3B, 13B and 175B models of Brown et al. 2020
("Language Models are Few-Shot Learners", arXiv 2005.14165) as a trend and
argues that "at least another 3 orders of magnitude" of parameters would be
needed. This module holds the paper's Table H.1 at all eight sizes,
re-transcribed with a source and a verification per value (package data,
see ``load_accuracies``); two fits of accuracy against log10 parameters
with intervals; a stated rule that says which fits describe a series (and
so may be extrapolated) and marks the series smooth, irregular or flat; the inversion "how many
parameters for a target accuracy"; a back-test (fit up to 13B, predict
175B) that measures how far such extrapolations miss and whether their
intervals hold; and the study API the chapter calls (``run`` and the
``*_frame`` helpers), after ``gobig.studies.mnist``. The loss-law view is
``gobig.methods.scaling.chinchilla``.

The package's parts, each one job: ``data`` (the paper's tables),
``study`` (parameters, the classification rule, the one record),
``frames`` (the chapter's tables), ``claims`` (the ledger's rows),
``views`` (the record typed: ``views.Record.from_record``); the
fits themselves are generic (``gobig.methods.scaling.fitting``), and so is the JSON number
codec (``gobig.core.jsonnum``). The names other packages use are
importable from ``gobig.studies.gpt3``; the rest from their module.
"""

from __future__ import annotations

# Re-exported: what the chapters, the readings, the tests, benchmarks/ and gpu/ use as
# gobig.studies.gpt3.NAME; everything else is imported from its own module.
from gobig.core.jsonnum import (  # noqa: F401
    from_json_number,
    json_number,
)
from gobig.core.study import records_only as load_results  # noqa: F401  (its claims read its records alone)
from gobig.methods.scaling.fitting import (  # noqa: F401
    FIT_KINDS,
    Fit,
    cap_accuracy,
    clopper_pearson,
    cluster_bootstrap_mean,
    extrapolation_band,
    fit_log_linear,
    fit_logistic,
    params_for_accuracy,
    r_squared,
    slope_interval,
)
from gobig.studies.gpt3.claims import (  # noqa: F401
    TABLE_D1_FLOPS,
    claims_table,
    needs_verdict,
)
from gobig.studies.gpt3.data import (  # noqa: F401
    BLOG_CHART,
    CHANCE,
    READINGS,
    SETTINGS,
    data_sha256,
    load_accuracies,
    load_benchmarks,
    load_models,
    load_token_mix,
)
from gobig.studies.gpt3.frames import (  # noqa: F401
    FIT_FORMATS,
    arithmetic_table,
    backtest_frame,
    backtest_summary,
    bands_frame,
    binomial_se,
    blog_chart_frame,
    changed_rows,
    compute_optimal_frame,
    count_text,
    decades_text,
    fit_from_record,
    fits_frame,
    lacking_fits,
    noise_frame,
    observations_frame,
    requirements_frame,
    selected_fits,
    table_frame,
    two_point_crossing,
)
from gobig.studies.gpt3.study import (  # noqa: F401
    BENCHMARKS,
    DEFAULT_PROFILE,
    GPT3_PARAMS,
    GPT3_TRAINING_TOKENS,
    OWEN_2024,
    PARAMETERS,
    R2_MIN,
    STUDY,
    VERSION,
    backtest_overshoot,
    backtest_series,
    classify_series,
    default_record,
    expand_configs,
    fit_quality,
    load_profile,
    make_config,
    run,
    series_with_data,
    validate_parameters,
)
