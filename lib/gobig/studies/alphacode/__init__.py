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
configs), ``compute`` (``_Computer``, ``run``), ``baseline`` (the pass
matrix read per split), ``pretrain`` (the cached pre-trained models), ``model`` (the model
stage: fine-tuning, sampling, judging, each reading the stage's own spec), ``configs`` (the typed,
frozen configs and the machine context: what a record depends on),
``views`` (a record typed: ``views.from_record(record)`` gives a frozen
``SplitRecord`` or ``CurveRecord`` and refuses an unknown shape), ``frames``
(the chapter's tables, read through the views), ``analysis`` (tests between
splits, the verdict rule, the gap decomposition, the memorization test),
``claims`` (the ledger's rows); what the chapter glues is the report's
(``gobig.report.readings.alphacode_glued``). Every name the chapter, the readings and the tests use
is importable from ``gobig.studies.alphacode``.
"""

from __future__ import annotations

from gobig.studies.alphacode.analysis import (  # noqa: F401
    ARM_KINDS,
    FIT_RATIO,
    MODEL_STAGES,
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
from gobig.studies.alphacode.baseline import (  # noqa: F401
    _baseline_from_matrix,
    _curve_rows,
    _matrix_cost,
    _passing_owners,
)
from gobig.studies.alphacode.claims import (  # noqa: F401
    PAPER_REF,
    SOURCES,
    _not_run,
    _row,
    claims_table,
    cutoff_scan,
    post_claims,
)
from gobig.studies.alphacode.compute import (  # noqa: F401
    _Computer,
    run,
)
from gobig.studies.alphacode.configs import (  # noqa: F401
    SELECTION,
    STAGES,
    BaselineConfig,
    CurveConfig,
    FinetuneConfig,
    FinetuneSpec,
    JudgeSpec,
    Machine,
    ModelSpec,
    PretrainSpec,
    SampleConfig,
    SamplingSpec,
    SplitConfig,
    SplitSpec,
    stage_config,
)
from gobig.studies.alphacode.frames import (  # noqa: F401
    SAMPLE_COUNTS,
    _contest_order,
    _per_problem_n_at_k,
    _per_problem_pass_at_k,
    _rate,
    _rates,
    baseline_cost,
    crossing_frame,
    curve_bins,
    curve_frame,
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

# Re-exported: chapters, tests, benchmarks, gpu/ and running sweeps use these as gobig.studies.alphacode.NAME.
from gobig.studies.alphacode.model import (  # noqa: F401
    FINETUNE_WEIGHT_DECAY,
    finetune,
    judge_programs,
    pool_token_lengths,
    sample_programs,
    statement_budget,
)
from gobig.studies.alphacode.params import (  # noqa: F401
    ALPHA,
    DEFAULT_PROFILE,
    KINDS,
    LEVEL,
    MIN_STATEMENT_TOKENS,
    PAPER,
    PAPER_MODEL,
    PARAMETERS,
    STUDY,
    TEMPORAL_VARIANTS,
    VERSION,
    _data_root,
    _mirror,
    _sha256,
    expand_configs,
    load_profile,
    problems_path,
    validate_parameters,
)
from gobig.studies.alphacode.pretrain import (  # noqa: F401
    _gpt_config,
    _pretrain,
    _pretrain_uncached,
    _sample_batch,
)
from gobig.studies.alphacode.views import (  # noqa: F401
    BaselineCost,
    BaselineSolve,
    CurveRecord,
    CurveRow,
    ModelResult,
    Outcome,
    OutOfPeriod,
    Split,
    SplitRecord,
    Trust,
    from_record,
    typed_records,
    view,
)
