"""Chapter 3's configs, typed and frozen: what a record depends on is what
the computation reads.

A split's record is computed from its ``SplitConfig`` (or the date curve's
``CurveConfig``) and a ``Machine`` (where it runs: device, data folder,
progress bars), nothing else: ``_Computer`` never sees the parameters. The
record's key is the hash of ``config.to_dict()``, and the caches (the pass
matrix, the pre-trained model, a fine-tuned model) are keyed by the specs
they read, so a parameter cannot change a result without changing its key.

Each spec's fields are its parameters' names in lower case (``SplitSpec``
holds ``VALID_FRACTION`` as ``valid_fraction``), and ``to_dict()`` gives
the dict the committed records hold under ``splits``, ``judge`` and
``model``; the records keep their keys (tests/test_records.py).

A known gap, kept so the keys stay: the pre-training corpus's sha256 is in
the pre-training cache's key (``pretrain._pretrain``) but not in a record's
config, which names the corpus only by ``corpus_cutoff``. A changed corpus
file would pre-train anew, yet a committed record would still be reused.
Adding it to ``ModelSpec`` changes every model config's key: do it with a ``VERSION`` bump.
"""

from __future__ import annotations

import dataclasses
import json
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
class ModelSpec(_Spec):
    """The code model: its pre-training, fine-tuning and sampling."""

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
    samples_per_problem: int
    temperature: float
    max_new_tokens: int
    submissions: tuple[int, ...]
    model_seed: int
    precision: str

    @property
    def bf16_on_cpu(self) -> bool:
        return self.precision == "bfloat16"

    def pretrain(self) -> PretrainSpec:
        return PretrainSpec(**{f.name: getattr(self, f.name) for f in fields(PretrainSpec)})


@dataclass(frozen=True)
class SplitConfig:
    """One split's record: which split, what its model does (``role``), on
    which problems, under which specs. Only a config with a role holds the
    model spec: a split without a model (and the date curve) never reads it,
    so a changed model keeps their records (``without_unread_model``)."""

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
    def from_dict(cls, config: dict) -> SplitConfig | CurveConfig:
        """The typed config of a record's config dict (the date curve's is a ``CurveConfig``)."""
        kind = CurveConfig if config["split"] == "date-curve" else SplitConfig
        specs = {"splits": SplitSpec, "judge": JudgeSpec, "model": ModelSpec}
        return kind(**{k: specs[k].from_dict(v) if k in specs else v for k, v in config.items()})

    def to_dict(self) -> dict:
        return {
            f.name: value.to_dict() if isinstance(value, _Spec) else value
            for f in fields(self)
            for value in [getattr(self, f.name)]
            if not (f.name == "model" and value is None)
        }


def without_unread_model(config: dict) -> dict:
    """A record's config dict as ``expand_configs`` now writes it: a config
    without a model (role None: the baseline-only splits, the date curve)
    drops the model spec its computation never read. The records of version
    2 computed before this change held it (``migrate_records``)."""
    if config.get("role") is None and "model" in config:
        return {k: v for k, v in config.items() if k != "model"}
    return config


@dataclass(frozen=True)
class CurveConfig(SplitConfig):
    """The date curve's record: its bins and the later problems (a mirror name and its sha256), if any."""

    date_bins: int = 0
    out_of_period: dict | None = None

    def __post_init__(self):
        super().__post_init__()
        if self.out_of_period is not None:
            # Frozen all the way down: a copy the caller cannot change under the record's key.
            object.__setattr__(self, "out_of_period", dict(self.out_of_period))


def migrate_records(results_dir: str | Path | None = None) -> list[tuple[str, str]]:
    """Give every stored chapter 3 record of this version the key of its
    config's current form (``without_unread_model``); results and provenance
    stay as computed. Returns (old key, new key) per record moved.
    Run once: ``python -c "from gobig.studies.alphacode.configs import migrate_records; print(migrate_records())"``."""
    from gobig.core.store import ResultStore
    from gobig.studies.alphacode.params import STUDY, VERSION  # params imports this module

    store = ResultStore(STUDY, VERSION, results_dir or paths.results_dir())
    moved = []
    for path in sorted(store.folder.glob("*.json")):
        record = json.loads(path.read_text())
        if record.get("version") != VERSION:
            continue
        config = without_unread_model(record["config"])
        if config != record["config"]:
            moved.append((path.stem, store.rekey(path, config).stem))
    return moved


#: Parameters that choose which configs a run holds (and so are in them as split, seed, role, problems, date bins).
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

    def with_progress(self, progress: bool) -> Machine:
        return dataclasses.replace(self, progress=progress)
