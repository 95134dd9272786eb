"""Chapter 1's study: MNIST capacity against robustness and Lipschitz
constants.

``run(values)`` validates the chapter's parameters, expands them into one
config per (model, training mode, seed), loads each config's record or
computes it, and returns the records; the ``*_frame`` helpers turn records
into tidy tables for plots and the claims table.

The package's parts, each one job: ``params`` (the parameters, profiles and
the configs they expand to), ``compute`` (training one config or a stack of
seeds, checkpoints, ``run``), ``evaluation`` (attacks, Lipschitz estimates,
the worst-case evaluation), ``frames`` (the chapter's tables), ``claims``
(the ledger's rows and their verdicts), ``reattack`` (re-attacking a
committed checkpoint). Every name the chapter, the tests, the benchmarks and
gpu/ use is importable from ``gobig.studies.mnist``.
"""

from __future__ import annotations

from gobig.studies.mnist.claims import (  # noqa: F401
    BLOG_ACCURACY,
    COLLAPSE_CLAIM,
    FIT_ACCURACY,
    MADRY_AUTOATTACK,
    MADRY_PGD100X20,
    RECIPE_CLAIM,
    ROBUST_READINGS,
    THRESHOLD_CLAIMS,
    _blog_verdict,
    _collapse_verdict,
    _fitted_threshold,
    _plain_threshold,
    _threshold_claim,
    claim_window,
    claims_table,
    clean_range,
    law_comparison,
    madry_comparison,
    recipe_comparison,
    threshold_conditions,
    threshold_verdict,
    training_outcome,
)
from gobig.studies.mnist.compute import (  # noqa: F401
    _Computer,
    _parameter_count,
    checkpoint_folder,
    run,
    seedless,
    trained_record,
    training_config,
    training_cost,
    training_key,
)
from gobig.studies.mnist.evaluation import (  # noqa: F401
    _mask_hex,
    crosscheck_with_torchattacks,
    evaluate,
    evaluate_worst_case,
    mask_from_hex,
    pairs_lower_bound,
)
from gobig.studies.mnist.frames import (  # noqa: F401
    attacks_text,
    crosscheck_frame,
    crosscheck_table,
    devices,
    eps_sweep_frame,
    history_frame,
    mean_by_model,
    recipe_frames,
    robust_frame,
    robust_interval,
    runs_frame,
    seed_mean_text,
    seeds_exact_span,
    stronger_attack_frame,
    summary_frame,
    training_recipe,
)

# Re-exported: chapters, tests, benchmarks, gpu/ and running sweeps use these as gobig.studies.mnist.NAME.
from gobig.studies.mnist.params import (  # noqa: F401
    ADVERSARIAL,
    CHECKPOINT_CHOICES,
    CLAIM_EPS,
    COLLAPSE_LARGER,
    COLLAPSE_LONGER,
    COLLAPSE_PROFILE,
    DEFAULT_PROFILE,
    PARAMETERS,
    PILOT_KEY,
    STACKING,
    STUDY,
    VERSION,
    expand_configs,
    load_profile,
    validate_parameters,
)
from gobig.studies.mnist.reattack import (  # noqa: F401
    ATTACK_CHOICES,
    EPS_SWEEP,
    REATTACKS,
    SWEEP_EPS,
    eps_sweep,
    evaluation_path,
    outcome_text,
    reattack,
    reattack_profile,
    record_checkpoint,
    retrain,
    same_training,
    strongest_evaluation,
)
from gobig.studies.mnist.views import Record, from_record, typed_records, view  # noqa: F401
