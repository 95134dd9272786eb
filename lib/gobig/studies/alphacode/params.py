"""Chapter 3's parameters, profiles, data paths and the configs they expand to:
one config per stage of each split (its baseline, and where it has a model
the fine-tuning and the sampling) and one for the date curve, each keyed by
the parameters that change that stage's result (the specs of
``gobig.studies.alphacode.configs``)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from gobig.core import params as params_module
from gobig.core import paths
from gobig.core.params import ParameterError, Spec, validate
from gobig.core.runtime import DEVICE_CHOICES
from gobig.core.sweep import SWEEP_DEFAULTS, SWEEP_PARAMETERS
from gobig.data import codecontests, python_corpus
from gobig.methods.code import splits
from gobig.studies.alphacode.configs import (
    BaselineConfig,
    CurveConfig,
    FinetuneConfig,
    FinetuneSpec,
    JudgeSpec,
    SampleConfig,
    SamplingSpec,
    SplitSpec,
)

STUDY = "alphacode"
VERSION = 3
#: The profile whose records are committed and whose values the chapter uses.
DEFAULT_PROFILE = params_module.default_profile(STUDY)
#: AlphaCode's numbers (Appendix B.3), percent of validation problems solved.
PAPER = {
    ("baseline", "random"): 4.1,
    ("baseline", "temporal"): 0.0,
    ("model", "random"): 0.8,
    ("model", "temporal"): 0.0,
}
PAPER_MODEL = "1B parameters, 13k samples per problem, 13,328 training / 117 validation problems"

PARAMETERS = {
    "PROBLEMS": Spec(
        str, "problems: a mirror name (codecontests_mini, neocoder_codeforces) or a parquet/JSONL file or folder"
    ),
    "VALID_FRACTION": Spec(
        float, "share of problems in validation (sets the temporal cutoff when CUTOFF is None)", above=0, maximum=0.5
    ),
    "CUTOFF": Spec(
        int, "first contest id of the temporal validation side (None: from VALID_FRACTION)", minimum=1, optional=True
    ),
    "TEMPORAL_TWINS": Spec(
        str,
        "simultaneous twins: move to their earliest member's side, or leave as the cutoff falls",
        allowed=splits.TWIN_POLICIES,
    ),
    "SPLIT_SEEDS": Spec(int, "one random split per seed", is_list=True, minimum=0),
    "TWIN_THRESHOLD": Spec(
        float, "statement similarity (MinHash Jaccard) at which two problems are twins", above=0, maximum=1
    ),
    "LEAK_THRESHOLD": Spec(
        float, "similarity at which a validation problem has a near duplicate in training", above=0, maximum=1
    ),
    "TIME_LIMIT_S": Spec(float, "CPU seconds per test in the sandbox", above=0, maximum=60),
    "MEMORY_MB": Spec(int, "address-space limit per program in the sandbox", minimum=64, maximum=16384),
    "COMPARE": Spec(
        str,
        "output check: exact lines, or Codeforces-style tokens (integers exact, floats to 1e-6)",
        allowed=("exact", "tokens"),
    ),
    "BASELINE_NEAREST": Spec(
        int,
        "0: every training solution on every validation problem (the paper's baseline); k > 0: only the k most similar statements (a speed-up)",
        minimum=0,
    ),
    "MODEL_SEEDS": Spec(
        int,
        "random-split seeds (among SPLIT_SEEDS) whose split gets a model that samples programs",
        is_list=True,
        minimum=0,
        allow_empty=True,
    ),
    "CONTROL_SEEDS": Spec(
        int,
        "model seeds (among MODEL_SEEDS) whose controls get a model too: the same random split minus its separated twins (its loss, paired), and the twin-aware split of the seed (its samples)",
        is_list=True,
        minimum=0,
        allow_empty=True,
    ),
    "MODEL_TEMPORAL": Spec(
        bool, "fine-tune and sample on the temporal split too (the model's temporal-vs-random solve rates)"
    ),
    "OUT_OF_PERIOD": Spec(
        str,
        "later problems for the date curve (a mirror name, public tests only), or None",
        optional=True,
        allowed=("neocoder_codeforces",),
    ),
    "DATE_BINS": Spec(int, "contest-id bins of the date curve", minimum=2, maximum=100),
    "CORPUS_CUTOFF": Spec(str, "pre-training uses corpus files added before this date (YYYY-MM-DD)"),
    "VOCAB_SIZE": Spec(int, "BPE vocabulary size", minimum=300, maximum=100_000),
    "MODEL_LAYERS": Spec(int, "transformer layers", minimum=1, maximum=64),
    "MODEL_HEADS": Spec(int, "attention heads", minimum=1, maximum=64),
    "MODEL_DIM": Spec(int, "model width (a multiple of MODEL_HEADS)", minimum=16, maximum=8192),
    "CONTEXT": Spec(int, "tokens per sequence (statement + solution)", minimum=64, maximum=8192),
    "PRETRAIN_STEPS": Spec(int, "pre-training steps on the dated corpus (0 skips pre-training)", minimum=0),
    "FINETUNE_STEPS": Spec(int, "fine-tuning steps on each split's training problems", minimum=1),
    "BATCH_SIZE": Spec(int, "sequences per step", minimum=1, maximum=4096),
    "LEARNING_RATE": Spec(float, "peak AdamW learning rate", above=0, maximum=1),
    "SAMPLES_PER_PROBLEM": Spec(int, "k: programs sampled per validation problem", minimum=1, maximum=1_000_000),
    "TEMPERATURE": Spec(float, "sampling temperature", above=0, maximum=10),
    "MAX_NEW_TOKENS": Spec(int, "longest sampled program, in tokens", minimum=8, maximum=8192),
    "SUBMISSIONS": Spec(int, "n of n@k", is_list=True, minimum=1),
    "MODEL_SEED": Spec(int, "seed of initialisation, batches and sampling", minimum=0),
    "PRECISION": Spec(
        str,
        "the model's arithmetic on a CPU: float32, or bfloat16 autocast (fast where the CPU has AMX or AVX512-BF16); CUDA always autocasts to bfloat16",
        allowed=("float32", "bfloat16"),
    ),
    "DEVICE": Spec(str, "where to train and sample", allowed=DEVICE_CHOICES),
    "DATA_DIR": Spec(str, "data folder (None: gobig.core.paths.data_dir())", optional=True),
    **SWEEP_PARAMETERS,
}


#: Fewest statement tokens a prompt may keep (CONTEXT - MAX_NEW_TOKENS - 2).
MIN_STATEMENT_TOKENS = 16


def load_profile(name: str) -> dict:
    return params_module.load_profile(STUDY, name)


def validate_parameters(values: dict) -> dict:
    """Every parameter checked before any compute, plus the checks that
    involve two parameters."""
    portable = {"DEVICE": "auto", "DATA_DIR": None, **SWEEP_DEFAULTS}
    params = validate(PARAMETERS, {**portable, **values})
    if params["MODEL_DIM"] % params["MODEL_HEADS"]:
        raise ParameterError(
            f"MODEL_DIM: {params['MODEL_DIM']} is not a multiple of MODEL_HEADS={params['MODEL_HEADS']}"
        )
    if params["CONTEXT"] - params["MAX_NEW_TOKENS"] - 2 < MIN_STATEMENT_TOKENS:
        raise ParameterError(
            f"MAX_NEW_TOKENS: {params['MAX_NEW_TOKENS']} leaves no room for a statement of {MIN_STATEMENT_TOKENS} tokens in CONTEXT={params['CONTEXT']}; "
            f"at most {params['CONTEXT'] - 2 - MIN_STATEMENT_TOKENS}"
        )
    try:
        python_corpus.parse_date(params["CORPUS_CUTOFF"])
    except ValueError:
        raise ParameterError(f"CORPUS_CUTOFF: got {params['CORPUS_CUTOFF']!r}; expected a date YYYY-MM-DD") from None
    missing = sorted(set(params["MODEL_SEEDS"]) - set(params["SPLIT_SEEDS"]))
    if missing:
        raise ParameterError(
            f"MODEL_SEEDS: {missing} not in SPLIT_SEEDS={params['SPLIT_SEEDS']}; a model's split must be one of the random splits"
        )
    missing = sorted(set(params["CONTROL_SEEDS"]) - set(params["MODEL_SEEDS"]))
    if missing:
        raise ParameterError(
            f"CONTROL_SEEDS: {missing} not in MODEL_SEEDS={params['MODEL_SEEDS']}; a control pairs with a random split's model"
        )
    if params["PROBLEMS"] not in codecontests.MIRRORS and not Path(params["PROBLEMS"]).expanduser().exists():
        raise ParameterError(
            f"PROBLEMS: {params['PROBLEMS']!r} is neither a mirror ({', '.join(codecontests.MIRRORS)}) nor an existing path"
        )
    return params


def _data_root(params: dict) -> Path:
    return Path(params["DATA_DIR"]).expanduser() if params["DATA_DIR"] else paths.data_dir()


def problems_path(params: dict) -> Path:
    name = params["PROBLEMS"]
    if name in codecontests.MIRRORS:
        return _data_root(params) / "codecontests" / f"{name}.jsonl.gz"
    return Path(name).expanduser()


def path_sha256(path: Path) -> str:
    # An absent mirror file stands for its published checksum, so loading committed
    # records needs no data; a present file is hashed (and checked against SHA256SUMS on load).
    if not path.exists() and path.name in codecontests.MIRROR_SHA256:
        return codecontests.MIRROR_SHA256[path.name]
    if path.is_dir():
        return hashlib.sha256("".join(path_sha256(f) for f in sorted(path.rglob("*.parquet"))).encode()).hexdigest()
    return hashlib.sha256(path.read_bytes()).hexdigest()


#: The temporal variants: simultaneous twins together (as a date cutoff keeps
#: them), or simultaneous rounds cut where the contest-id cutoff falls.
TEMPORAL_VARIANTS = {"simultaneous": "temporal", "none": "temporal-cut"}
#: Split kinds, in table order, with what each isolates.
KINDS = {
    "random": "random: validation drawn uniformly",
    "twin-aware": "twin-aware random: each twin group whole on one side",
    "temporal": "temporal: simultaneous twins kept together",
    "temporal-cut": "temporal: simultaneous rounds cut at the cutoff",
    "random-untwinned": "random, training copies of separated twins removed",
}
#: Level of every interval in the chapter (Clopper–Pearson for rates).
LEVEL = 0.95
#: One-sided p-value under which a difference between splits counts as shown.
ALPHA = 0.05


def expand_configs(params: dict) -> list[dict]:
    """Per split, its stages' configs: the baseline (leakage, trust, the
    baseline read off the pass matrix), and for a split with a model the
    fine-tuning (role ``loss``: its loss only) and the sampling (role
    ``sample``); then the date curve. A random split of MODEL_SEEDS gets a
    model that samples; one of CONTROL_SEEDS also its two controls: the same
    split minus its separated twins (its loss pairs with the split's,
    problem by problem) and the twin-aware split of the seed (which
    samples). Each config holds what its stage's result depends on,
    including the data's sha256: a baseline holds no model spec, a
    fine-tuning no sampling spec, so a changed SAMPLES_PER_PROBLEM changes
    the sampling configs' keys alone (the typed configs of
    ``gobig.studies.alphacode.configs``, as dicts). A split's stages come in
    the order they are computed: the sampling reads the baseline's trust and
    the fine-tuned weights."""
    shared = {
        "problems": params["PROBLEMS"] if params["PROBLEMS"] in codecontests.MIRRORS else str(problems_path(params)),
        "problems_sha256": path_sha256(problems_path(params)),
        "splits": SplitSpec.from_params(params),
    }
    judge = JudgeSpec.from_params(params)
    finetune, sampling = FinetuneSpec.from_params(params), SamplingSpec.from_params(params)
    configs = []

    def stages(split: str, seed: int | None, role: str | None) -> None:
        where = {"split": split, "seed": seed, **shared}
        configs.append(BaselineConfig(stage=BaselineConfig.STAGE, judge=judge, **where))
        if role:
            configs.append(FinetuneConfig(stage=FinetuneConfig.STAGE, finetune=finetune, **where))
        if role == "sample":
            configs.append(
                SampleConfig(stage=SampleConfig.STAGE, judge=judge, finetune=finetune, sampling=sampling, **where)
            )

    for policy, name in TEMPORAL_VARIANTS.items():
        stages(name, None, "sample" if policy == params["TEMPORAL_TWINS"] and params["MODEL_TEMPORAL"] else None)
    for seed in params["SPLIT_SEEDS"]:
        stages("random", seed, "sample" if seed in params["MODEL_SEEDS"] else None)
    for seed in params["CONTROL_SEEDS"]:
        stages("random-untwinned", seed, "loss")
    for seed in params["SPLIT_SEEDS"]:
        stages("twin-aware", seed, "sample" if seed in params["CONTROL_SEEDS"] else None)
    later = None
    if params["OUT_OF_PERIOD"]:
        later = {
            "problems": params["OUT_OF_PERIOD"],
            "problems_sha256": path_sha256(_mirror(params, params["OUT_OF_PERIOD"])),
        }
    configs.append(
        CurveConfig(
            stage=CurveConfig.STAGE,
            split="date-curve",
            seed=None,
            judge=judge,
            date_bins=params["DATE_BINS"],
            out_of_period=later,
            **shared,
        )
    )
    # The store keys a record by its config's dict: the specs' fields, named as always.
    return [config.to_dict() for config in configs]


def _mirror(params: dict, name: str) -> Path:
    return _data_root(params) / "codecontests" / f"{name}.jsonl.gz"
