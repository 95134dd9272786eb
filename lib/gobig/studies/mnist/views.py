"""Chapter 1's records, typed: ``from_record(record)`` reads a stored record
(``{key, study, version, config, result, provenance}``) into a frozen
``Record``, so the frames, claims and readings name fields instead of
digging into ``record["result"][...]``; a record whose shape the view does
not know is refused with a ``RecordShapeError`` naming what is missing or
new (``gobig.core.views``, shared with chapters 2 and 3).

Two generations of records are committed: those of the ``cpu`` profile
(before issue 16) lack the counts, the attack stages, the Lipschitz
scales and the pairs bound, which later records hold. Those fields are
optional here (None or empty), never invented: a reader tests for them.

The view reads; it never changes what is stored. The config stays the
stored dict (its key is ``config_key`` of it; chapter 1's configs are
already the computation's only input, see ``mnist.compute``), with the
training settings typed as ``Training``. Kept as a plain dict because
nothing reads inside it: ``eval_times_s``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields

from gobig.core.params import declared_fields
from gobig.core.views import RecordShapeError, check_record, flat
from gobig.studies.mnist.params import PARAMETERS, STUDY


def _optional(cls, data: dict, where: str):
    return flat(cls, data, where, optional=True)


@dataclass(frozen=True)
class Stage:
    """One attack of a robust evaluation: how many images it left robust."""

    attack: str
    robust: int
    time_s: float


@dataclass(frozen=True)
class Robust:
    """Accuracy under attack at one radius of one norm. ``accuracy`` is the
    per-example worst case over ``stages``; ``pgd_accuracy`` PGD's own."""

    norm: str
    eps: float
    accuracy: float
    images: int | None = None
    correct: int | None = None
    pgd_accuracy: float | None = None
    stages: tuple[Stage, ...] = ()
    #: Which images stayed robust (hex bitmask), for re-attacks.
    mask: str | None = None

    @property
    def attacks(self) -> str:
        """The attacks run, joined: ``"pgd-40x2+apgd-ce+apgd-t"`` ('' for older records)."""
        return "+".join(stage.attack for stage in self.stages)


@dataclass(frozen=True)
class Lipschitz:
    """Lipschitz estimates of the logit margin in raw units, with the scales
    that carry them into the law's units (newer records only)."""

    local_max: float
    local_mean: float
    local_median: float
    points: int
    spectral_bound: float
    input_norm_mean: float | None = None
    input_norm_max: float | None = None
    margin_abs_max: float | None = None
    pairs_lower_bound: float | None = None
    pairs_points: int | None = None


@dataclass(frozen=True)
class Epoch:
    """One epoch of a training history."""

    epoch: int
    test_accuracy: float
    train_loss: float
    train_time_s: float
    monitor_pgd_accuracy: float | None = None


@dataclass(frozen=True)
class Checkpoint:
    """The committed float16 weights of a model (``gobig.core.checkpoints``)."""

    file: str
    folder: str
    sha256: str
    bytes: int
    dtype: str
    parts: object
    training_key: str


@dataclass(frozen=True)
class Crosscheck:
    """Our PGD beside torchattacks' PGD and APGD-CE on the same images (rates)."""

    eps: float
    steps: int
    images: int
    gobig_pgd: float
    torchattacks_pgd: float
    torchattacks_apgd_ce: float


@dataclass(frozen=True)
class Training:
    """How a model was trained (the config's ``training``): the adversarial
    settings are None for natural training, ``monitor_images`` 0 when no
    monitor ran."""

    batch_size: int
    epochs: int
    learning_rate: float
    lr_schedule: str
    precision: str  # "bfloat16" when trained so (TRAIN_PRECISION); "auto": the device's default
    train_subset: int | None
    eps: float | None = None
    eps_warmup: float | None = None
    pgd_steps: int | None = None
    pgd_step_size: float | None = None
    fgsm_step_size: float | None = None
    monitor_images: int | None = None


@dataclass(frozen=True)
class Record:
    """A chapter-1 record, typed. ``key`` and ``device_name`` are None for a
    bare ``{"config", "result"}`` (a computation not yet stored)."""

    key: str | None
    config: dict
    training: Training
    device_name: str | None
    family: str
    size: int
    mode: str
    seed: int
    num_params: int
    clean_accuracy: float
    robust: tuple[Robust, ...]
    robust_eval_images: int | None
    robust_subset_clean_accuracy: float
    majority_class_share: float
    lipschitz: Lipschitz
    history: tuple[Epoch, ...]
    train_time_s: float
    eval_time_s: float
    clean_correct: int | None = None
    clean_images: int | None = None
    eval_times_s: dict | None = None
    checkpoint: Checkpoint | None = None
    crosscheck: Crosscheck | None = None
    #: The key of the earlier record whose trained model this one re-evaluated.
    trained_in: str | None = None
    #: The committed re-attacks of its checkpoint, by attack name (``mnist.load_results`` fills them).
    reattacks: Mapping[str, dict] = field(default_factory=dict)

    REQUIRED = (
        "family",
        "size",
        "mode",
        "seed",
        "num_params",
        "clean_accuracy",
        "robust",
        "robust_eval_images",
        "robust_subset_clean_accuracy",
        "majority_class_share",
        "lipschitz",
        "history",
        "train_time_s",
        "eval_time_s",
    )
    OPTIONAL = ("clean_correct", "clean_images", "eval_times_s", "checkpoint", "crosscheck", "trained_in")

    @property
    def train_images(self) -> int:
        """The n the model was trained on (all 60,000 when no subset)."""
        return self.training.train_subset or 60_000


def _robust(entry: dict) -> Robust:
    data = dict(entry)
    data["stages"] = tuple(_optional(Stage, stage, "robust stage") for stage in entry.get("stages", ()))
    return _optional(Robust, data, "robust")


def from_record(record: dict) -> Record:
    """The typed view of a stored chapter-1 record; a record of another
    study, or of a shape this view does not know, is refused with what differs."""
    result = check_record(record, STUDY, Record.REQUIRED, Record.REQUIRED + Record.OPTIONAL)
    config = record["config"]
    if "training" not in config:
        raise RecordShapeError(f"record {record.get('key')}: config missing ['training']")
    return Record(
        key=record.get("key"),
        config=config,
        training=_optional(Training, _typed_training(config["training"]), "config training"),
        device_name=record.get("provenance", {}).get("device_name"),
        **{name: result[name] for name in Record.REQUIRED if name not in ("robust", "lipschitz", "history")},
        robust=tuple(_robust(entry) for entry in result["robust"]),
        lipschitz=_optional(Lipschitz, result["lipschitz"], "lipschitz"),
        history=tuple(_optional(Epoch, epoch, "history") for epoch in result["history"]),
        clean_correct=result.get("clean_correct"),
        clean_images=result.get("clean_images"),
        eval_times_s=result.get("eval_times_s"),
        checkpoint=_optional(Checkpoint, result["checkpoint"], "checkpoint") if "checkpoint" in result else None,
        crosscheck=_optional(Crosscheck, result["crosscheck"], "crosscheck") if "crosscheck" in result else None,
        trained_in=result.get("trained_in"),
    )


def _typed_training(training: dict) -> dict:
    """The training fields ``Training`` types; one a parameter declares (``Spec.config``) that no
    reader here needs yet passes untyped, while a field nobody declared is still refused."""
    typed = {f.name for f in fields(Training)}
    declared = declared_fields(PARAMETERS, "training")
    return {k: v for k, v in training.items() if k in typed or k not in declared}


def view(record) -> Record:
    """A record as its typed view (a view passes through unchanged)."""
    return record if isinstance(record, Record) else from_record(record)


def typed_records(records) -> list[Record]:
    """Records stored or typed, as typed views."""
    return [view(record) for record in records]
