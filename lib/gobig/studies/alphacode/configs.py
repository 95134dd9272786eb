"""Chapter 3's configs, typed and frozen: what a record depends on is what
the computation reads.

Each stage of a split is its own record, computed from its stage's config
and a ``Machine`` (where it runs: device, data folder, progress bars),
nothing else: ``Computer`` never sees the parameters. The stages:

- ``BaselineConfig``: the split, its leakage, the judge's trust and the
  baseline read off the pass matrix (``SplitSpec``, ``JudgeSpec``); no
  model spec, so no model parameter moves its key;
- ``FinetuneConfig``: the split's model fine-tuned (``FinetuneSpec``: the
  pre-training's ``PretrainSpec`` and the fine-tuning's budget, with
  ``MAX_NEW_TOKENS``, which sets the statement budget and which training
  solutions fit); its losses;
- ``SampleConfig``: that model's samples, judged (the fine-tuning's spec,
  the judge's, and ``SamplingSpec``: k, the temperature, the n of n@k);
- ``CurveConfig``: the date curve.

A record's key is the hash of ``config.to_dict()``, and the caches (the pass
matrix, the pre-trained model, the fine-tuned weights) are keyed by the
specs they read, so a parameter cannot change a result without changing its
key, and a sampling parameter changes the sampling's key alone.
``SplitConfig`` (with the joined ``ModelSpec``) is a split's stages joined
for the tables (``views.typed_records``); it is never stored.

Each spec's fields are its parameters' names in lower case (``SplitSpec``
holds ``VALID_FRACTION`` as ``valid_fraction``), and ``to_dict()`` gives
the dict the records hold under ``splits``, ``judge``, ``finetune`` and
``sampling`` (tests/test_records.py checks every committed record's key).

A known gap: the pre-training corpus's sha256 is in the pre-training
cache's key (``pretrain.load_or_pretrain``) but not in a record's config, which
names the corpus only by ``corpus_cutoff``. A changed corpus file would
pre-train anew, yet a committed record would still be reused. Adding it to
``FinetuneSpec`` changes every model config's key: do it with a ``VERSION`` bump.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

import torch

from gobig.core import paths
from gobig.core.runtime import resolve_device
from gobig.data import codecontests


def _frozen(value):
    return tuple(value) if isinstance(value, list) else value


def _thawed(value):
    return list(value) if isinstance(value, tuple) else value


@dataclass(frozen=True)
class _Spec:
    """Fields named after parameters (lower case); ``to_dict`` is the record's form."""

    @classmethod
    def parameters(cls) -> tuple[str, ...]:
        """The chapter parameters this spec holds, by their names."""
        return tuple(f.name.upper() for f in fields(cls))

    @classmethod
    def from_params(cls, params: dict):
        return cls(**{f.name: _frozen(params[f.name.upper()]) for f in fields(cls)})

    @classmethod
    def from_dict(cls, values: dict):
        return cls(**{k: _frozen(v) for k, v in values.items()})

    def to_dict(self) -> dict:
        return {f.name: _thawed(getattr(self, f.name)) for f in fields(self)}

    def cache_inputs(self) -> dict:
        """The spec as the caches have always hashed it: by parameter name."""
        return {k.upper(): v for k, v in self.to_dict().items()}


@dataclass(frozen=True)
class SplitSpec(_Spec):
    """How the splits are drawn and leakage is read."""

    valid_fraction: float
    cutoff: int | None
    temporal_twins: str
    twin_threshold: float
    leak_threshold: float


@dataclass(frozen=True)
class JudgeSpec(_Spec):
    """How programs are judged, and how many training solutions the baseline tries."""

    time_limit_s: float
    memory_mb: int
    compare: str
    baseline_nearest: int

    def limits_inputs(self) -> dict:
        """What a verdict depends on (the fine-tuned model's cache reads these three)."""
        return {"TIME_LIMIT_S": self.time_limit_s, "MEMORY_MB": self.memory_mb, "COMPARE": self.compare}


@dataclass(frozen=True)
class PretrainSpec(_Spec):
    """What the pre-trained tokenizer and weights depend on (with the corpus and the device)."""

    corpus_cutoff: str
    vocab_size: int
    model_layers: int
    model_heads: int
    model_dim: int
    context: int
    pretrain_steps: int
    batch_size: int
    learning_rate: float
    model_seed: int
    precision: str

    @property
    def bf16_on_cpu(self) -> bool:
        return self.precision == "bfloat16"


@dataclass(frozen=True)
class FinetuneSpec(_Spec):
    """What a split's fine-tuned model depends on besides its problems: the
    pre-training, the fine-tuning budget, and ``MAX_NEW_TOKENS``, which also
    sets the statement budget and which training solutions fit."""

    corpus_cutoff: str
    vocab_size: int
    model_layers: int
    model_heads: int
    model_dim: int
    context: int
    pretrain_steps: int
    finetune_steps: int
    batch_size: int
    learning_rate: float
    max_new_tokens: int
    model_seed: int
    precision: str

    @property
    def bf16_on_cpu(self) -> bool:
        return self.precision == "bfloat16"

    def pretrain(self) -> PretrainSpec:
        return PretrainSpec(**{f.name: getattr(self, f.name) for f in fields(PretrainSpec)})


@dataclass(frozen=True)
class SamplingSpec(_Spec):
    """How the fine-tuned model samples: nothing here changes the fine-tuning
    (``SUBMISSIONS``, the n of n@k, is read by the tables only, kept here with k)."""

    samples_per_problem: int
    temperature: float
    submissions: tuple[int, ...]


@dataclass(frozen=True)
class ModelSpec(FinetuneSpec):
    """The code model as the tables read it: its fine-tuning and, for a model
    that sampled, its sampling (None otherwise). Never stored: a record
    holds the ``FinetuneSpec`` or the ``SamplingSpec`` of its stage."""

    samples_per_problem: int | None = None
    temperature: float | None = None
    submissions: tuple[int, ...] | None = None

    @classmethod
    def of(cls, finetune: FinetuneSpec, sampling: SamplingSpec | None = None) -> ModelSpec:
        return cls(**finetune.to_dict() | (sampling.to_dict() if sampling else {}))


#: The stages of chapter 3, each stored as its own record under its own key.
STAGES = ("baseline", "finetune", "sample", "curve")


@dataclass(frozen=True)
class _StageConfig:
    """The fields every stage's config shares: which split of which problems."""

    stage: str
    split: str
    seed: int | None
    problems: str
    problems_sha256: str
    splits: SplitSpec

    def __post_init__(self):
        if self.stage != self.STAGE:
            raise ValueError(f"stage: {self.stage!r} is not {self.STAGE!r}")

    def to_dict(self) -> dict:
        return {
            f.name: value.to_dict() if isinstance(value, _Spec) else value
            for f in fields(self)
            for value in [getattr(self, f.name)]
        }

    def same_split(self, other: _StageConfig) -> bool:
        """Both configs are of one split (the stages of one split are joined for the tables)."""
        return (self.split, self.seed, self.problems_sha256, self.splits) == (
            other.split,
            other.seed,
            other.problems_sha256,
            other.splits,
        )


@dataclass(frozen=True, kw_only=True)
class BaselineConfig(_StageConfig):
    """A split's leakage, trust and baseline (read off the pass matrix): no model spec."""

    judge: JudgeSpec

    STAGE = "baseline"


@dataclass(frozen=True, kw_only=True)
class FinetuneConfig(_StageConfig):
    """A split's model fine-tuned on its training side: its losses (the
    weights go to the cache, keyed by this config and the device)."""

    finetune: FinetuneSpec

    STAGE = "finetune"


@dataclass(frozen=True, kw_only=True)
class SampleConfig(_StageConfig):
    """The fine-tuned model's samples for the split's trusted validation
    problems, judged: the fine-tuning's spec, the judge's, and the sampling's."""

    judge: JudgeSpec
    finetune: FinetuneSpec
    sampling: SamplingSpec

    STAGE = "sample"

    def finetune_config(self) -> FinetuneConfig:
        """The config of the fine-tuning this stage samples from."""
        shared = {f.name: getattr(self, f.name) for f in fields(_StageConfig) if f.name != "stage"}
        return FinetuneConfig(stage=FinetuneConfig.STAGE, finetune=self.finetune, **shared)

    def baseline_config(self) -> BaselineConfig:
        """The config of the split's baseline, whose trust says which problems are sampled."""
        shared = {f.name: getattr(self, f.name) for f in fields(_StageConfig) if f.name != "stage"}
        return BaselineConfig(stage=BaselineConfig.STAGE, judge=self.judge, **shared)


@dataclass(frozen=True, kw_only=True)
class CurveConfig(BaselineConfig):
    """The date curve's record: its bins and the later problems (a mirror name and its sha256), if any."""

    date_bins: int
    out_of_period: dict | None

    STAGE = "curve"

    def __post_init__(self):
        super().__post_init__()
        if self.out_of_period is not None:
            # Frozen all the way down: a copy the caller cannot change under the record's key.
            object.__setattr__(self, "out_of_period", dict(self.out_of_period))


_STAGE_CLASSES = {cls.STAGE: cls for cls in (BaselineConfig, FinetuneConfig, SampleConfig, CurveConfig)}
_SPEC_CLASSES = {"splits": SplitSpec, "judge": JudgeSpec, "finetune": FinetuneSpec, "sampling": SamplingSpec}


def stage_config(config: dict) -> BaselineConfig | FinetuneConfig | SampleConfig | CurveConfig:
    """The typed config of a stored record's config dict, by its ``stage``."""
    stage = config.get("stage")
    if stage not in _STAGE_CLASSES:
        raise ValueError(f"stage: {stage!r} is not a chapter-3 stage; allowed values: {', '.join(STAGES)}")
    return _STAGE_CLASSES[stage](
        **{k: _SPEC_CLASSES[k].from_dict(v) if k in _SPEC_CLASSES else v for k, v in config.items()}
    )


@dataclass(frozen=True)
class SplitConfig:
    """One split as the tables read it: the split's baseline config joined
    with its model's (``role``: ``sample`` when a model fine-tuned and
    sampled, ``loss`` when it only fine-tuned, None without a model). Built
    from the stage records (``views.typed_records``), never stored."""

    split: str
    seed: int | None
    role: str | None
    problems: str
    problems_sha256: str
    splits: SplitSpec
    judge: JudgeSpec
    model: ModelSpec | None = None

    def __post_init__(self):
        if (self.role is None) != (self.model is None):
            raise ValueError(
                f"model: a config with role {self.role!r} must {'not ' if self.role is None else ''}hold a model spec"
            )

    @classmethod
    def join(
        cls, baseline: BaselineConfig, finetune: FinetuneConfig | None = None, sample: SampleConfig | None = None
    ) -> SplitConfig:
        for stage in (finetune, sample):
            if stage is not None and not baseline.same_split(stage):
                raise ValueError(f"{stage.stage}: a config of another split than the baseline's {baseline.split!r}")
        if sample is not None and finetune is not None and sample.finetune != finetune.finetune:
            raise ValueError("sample: samples from another fine-tuning than the split's")
        tuned = finetune.finetune if finetune else sample.finetune if sample else None
        return cls(
            split=baseline.split,
            seed=baseline.seed,
            role="sample" if sample else "loss" if finetune else None,
            problems=baseline.problems,
            problems_sha256=baseline.problems_sha256,
            splits=baseline.splits,
            judge=baseline.judge,
            model=ModelSpec.of(tuned, sample.sampling if sample else None) if tuned else None,
        )


#: Parameters that choose which configs a run holds (and so are in them as stage, split, seed, problems, date bins).
SELECTION = ("PROBLEMS", "SPLIT_SEEDS", "MODEL_SEEDS", "CONTROL_SEEDS", "MODEL_TEMPORAL", "OUT_OF_PERIOD", "DATE_BINS")


@dataclass(frozen=True)
class Machine:
    """Where a config is computed: nothing here changes a record (the device
    goes into the provenance, and into the model caches' keys)."""

    device: torch.device
    data_root: Path
    progress: bool = False

    #: The parameters a machine is made of (the sweep's own are in gobig.core.sweep).
    PARAMETERS = ("DEVICE", "DATA_DIR")

    @classmethod
    def from_params(cls, params: dict, progress: bool = False) -> Machine:
        data_root = Path(params["DATA_DIR"]).expanduser() if params["DATA_DIR"] else paths.data_dir()
        return cls(resolve_device(params["DEVICE"]), data_root, progress)

    def problems_path(self, problems: str) -> Path:
        """A problem set's file: a mirror's under the data folder, else the path the config names."""
        if problems in codecontests.MIRRORS:
            return self.mirror(problems)
        return Path(problems).expanduser()

    def mirror(self, name: str) -> Path:
        return self.data_root / "codecontests" / f"{name}.jsonl.gz"


#: The model result's fields that the sampling stage stores (the rest are the fine-tuning's).
SAMPLE_RESULT_FIELDS = (
    "samples_per_s",
    "sample_tokens",
    "programs_executed",
    "programs_per_s",
    "outcomes",
    "cut_off",
    "examples_of_samples",
)
