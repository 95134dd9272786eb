"""Chapter 1's study: MNIST capacity against robustness and Lipschitz
constants.

``run(values)`` validates the chapter's parameters, expands them into one
config per (model, training mode, seed), loads each config's record or
computes it, and returns the records; the ``*_frame`` helpers turn records
into tidy tables for plots and the claims table.

The package's parts, each one job: ``params`` (the parameters, profiles and
the configs they expand to), ``compute`` (training one config or a stack of
seeds, checkpoints, ``run``), ``evaluation`` (attacks, Lipschitz estimates,
the worst-case evaluation), ``loading`` (``load_results``: everything the
page reads, from the one results folder it is given), ``frames`` (the
chapter's tables), ``claims`` (the ledger's rows and their verdicts), which
open no file, and ``reattack`` (re-attacking a committed checkpoint). The names other packages use
are importable from ``gobig.studies.mnist``; the rest from their module.
"""

from __future__ import annotations

# Re-exported: what the chapters, the readings, the tests, benchmarks/ and gpu/ use as
# gobig.studies.mnist.NAME; everything else is imported from its own module.
from gobig.studies.mnist.claims import (  # noqa: F401
    COLLAPSE_CLAIM,
    FIT_ACCURACY,
    MADRY_AUTOATTACK,
    MADRY_PGD100X20,
    RECIPE_CLAIM,
    ROBUST_READINGS,
    THRESHOLD_CLAIMS,
    claims_table,
    clean_range,
    law_comparison,
    madry_comparison,
    recipe_comparison,
    threshold_conditions,
    threshold_verdict,
    training_outcome,
)
from gobig.studies.mnist.compute import run  # noqa: F401
from gobig.studies.mnist.evaluation import (  # noqa: F401
    mask_from_hex,
    mask_to_hex,
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
    runs_frame,
    seed_mean_text,
    stronger_attack_frame,
    summary_frame,
)
from gobig.studies.mnist.loading import CONTROL_PROFILES, Results, load_results, unpack, with_reattacks  # noqa: F401
from gobig.studies.mnist.params import (  # noqa: F401
    ADVERSARIAL,
    COLLAPSE_LARGER,
    COLLAPSE_LONGER,
    COLLAPSE_PROFILE,
    DEFAULT_PROFILE,
    PARAMETERS,
    PILOT_KEY,
    STUDY,
    VERSION,
    expand_configs,
    load_profile,
    validate_parameters,
)
from gobig.studies.mnist.reattack import (  # noqa: F401
    eps_sweep,
    outcome_text,
    reattack,
    reattack_profile,
    record_checkpoint,
    retrain,
    same_training,
    strongest_evaluation,
)
from gobig.studies.mnist.views import typed_records  # noqa: F401
