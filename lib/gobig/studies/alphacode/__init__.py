"""Chapter 3's study: AlphaCode's temporal vs random split, rerun small.

Li et al. 2022 (Appendix B.3) found that a random train/validation split of
Codeforces problems leaks solutions: submitting training solutions solved
4.1% of validation problems on a random split and 0% on a temporal one, and
a 1B model solved 0.8% vs 0% (13k samples per problem). This package reruns
both on real CodeContests problems, one result record per stage of a split
(its baseline; where it has a model, the fine-tuning and the sampling, each
keyed by what determines it) and one for the date curve:

1. splits: a temporal split at a contest-id cutoff and random splits of
   the same sizes (``gobig.methods.code.splits``), with the twin groups (the same problem
   under two contest ids) found by statement similarity (``gobig.methods.code.leakage``);
2. leakage: each validation problem's nearest training problem by
   statement and by solution (MinHash);
3. trust: only problems whose own reference solution passes their tests
   under our judge enter the solve rates (``gobig.methods.code.judge``);
4. baseline: every training solution on every validation problem's tests,
   read off one pass matrix (every solution on every problem, computed
   once, ``judge.pass_matrix``) shared by all splits;
5. splits that isolate the mechanism: random, twin-aware random,
   temporal with simultaneous twins together, temporal cut at the cutoff;
6. a date curve: near duplicates and baseline solves against contest id,
   with later problems (public tests only) out of period;
7. model: one BPE tokenizer and one pre-trained model per corpus cutoff,
   fine-tuned with the same budget on the model splits until it fits its
   training solutions (the memorization arm, ``model``); per-problem
   validation loss, paired across a random split and the same split with
   its separated twins removed; k samples per validation problem, judged,
   on random, twin-aware and temporal splits alike.

The package's parts, each one job: ``params`` (parameters, profiles, the
configs), ``compute`` (``Computer``, ``run``), ``baseline`` (the pass
matrix read per split), ``pretrain`` (the cached pre-trained models), ``model`` (the model
stage: fine-tuning, sampling, judging, each reading the stage's own spec), ``configs`` (the typed,
frozen configs and the machine context: what a record depends on),
``views`` (a record typed: ``views.from_record(record)`` gives a frozen
``SplitRecord`` or ``CurveRecord`` and refuses an unknown shape), ``frames``
(the chapter's tables, read through the views), ``analysis`` (tests between
splits, the verdict rule, the gap decomposition, the memorization test),
``claims`` (the ledger's rows); what the chapter glues is the report's
(``gobig.report.readings.alphacode_glued``). The names other packages use
are importable from ``gobig.studies.alphacode``; the rest from their module.
"""

from __future__ import annotations

from gobig.core.study import records_only as load_results  # noqa: F401  (its claims read its records alone)

# Re-exported: what the chapters, the readings, the tests, benchmarks/ and gpu/ use as
# gobig.studies.alphacode.NAME; everything else is imported from its own module.
from gobig.studies.alphacode.analysis import (  # noqa: F401
    FIT_RATIO,
    PAPER_TRAIN_PROBLEMS,
    arm_fit_clause,
    arm_scope,
    direction_magnitude_verdict,
    false_positive_estimate,
    far_twin_summary,
    far_twins,
    gap_frame,
    losses_frame,
    mcnemar_greater,
    memorization_excluded,
    memorization_frame,
    memorization_summary,
    model_tests,
    randomization_test,
    split_tests,
    tests_frame,
    twin_aware_solves,
)
from gobig.studies.alphacode.claims import (  # noqa: F401
    claims_table,
    cutoff_scan,
)
from gobig.studies.alphacode.compute import run  # noqa: F401
from gobig.studies.alphacode.configs import (  # noqa: F401
    SplitConfig,
    stage_config,
)
from gobig.studies.alphacode.frames import (  # noqa: F401
    baseline_cost,
    crossing_frame,
    curve_bins,
    curve_record,
    exclusions_frame,
    format_count,
    model_frame,
    model_solves,
    nearest_frame,
    sampled_records,
    samples_frame,
    solve_rate_vs_k,
    split_records,
    splits_frame,
    token_coverage,
)
from gobig.studies.alphacode.params import (  # noqa: F401
    DEFAULT_PROFILE,
    PAPER,
    PARAMETERS,
    STUDY,
    VERSION,
    expand_configs,
    load_profile,
    validate_parameters,
)
from gobig.studies.alphacode.views import (  # noqa: F401
    ModelResult,
    SplitRecord,
    typed_records,
)
