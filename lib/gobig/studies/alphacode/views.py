"""Chapter 3's records, typed: ``typed_records(records)`` reads stored
records (``{key, study, version, config, result, provenance}``) into frozen
dataclasses, a ``SplitRecord`` per split or a ``CurveRecord`` for the date
curve, so the frames, claims and readings name fields instead of digging
into ``record["result"][...]``; a record whose shape the view does not know
is refused with a ``RecordShapeError`` naming what is missing or new
(``gobig.core.views``, shared with chapter 2's view).

A split is stored as its stages' records (``configs.STAGES``): the baseline,
and where it has a model the fine-tuning and the sampling, each under its
own key. ``SplitRecord.from_stages`` joins them into one view: its config
is the ``SplitConfig`` joined from theirs (role ``sample``, ``loss`` or
None), its model the fine-tuning's result with the sampling's, its timings
all three's. ``from_record`` reads a record alone: a baseline or the curve.

The view reads; it never changes what is stored: each stage's typed config
(``configs.stage_config``) has ``to_dict()`` equal to the stored config (so
``config_key`` of it is the record's key: tests/test_records.py checks every
committed record), and values keep their stored types (JSON lists become
tuples, nothing else is converted).

Kept as plain dicts, because nothing reads inside them: a model's
``pretrain`` statistics, ``examples`` counts, training ``history`` and
``examples_of_samples``, the ``timings``, and the date curve's
``trust_reasons`` (reason -> count, shown whole).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from gobig.core.views import RecordShapeError, check_fields, check_record, exact_fields, flat
from gobig.methods.code.leakage import Nearest
from gobig.studies.alphacode.configs import (
    SAMPLE_RESULT_FIELDS,
    BaselineConfig,
    CurveConfig,
    FinetuneConfig,
    SampleConfig,
    SplitConfig,
    stage_config,
)
from gobig.studies.alphacode.params import STUDY


def _tuple(values) -> tuple:
    return tuple(values)


_plain = flat  # a flat dataclass from a dict of exactly its fields


# ---- the parts of a split's record ---------------------------------------------


@dataclass(frozen=True)
class Split:
    """The split itself: its name, kind, seed (None for temporal ones), cutoff
    (None for random ones), and its problems' keys on each side."""

    name: str
    kind: str
    seed: int | None
    cutoff: int | None
    train: tuple[str, ...]
    valid: tuple[str, ...]

    @property
    def pool(self) -> int:
        """Problems on either side (the pool every split of a record set draws from)."""
        return len(self.train) + len(self.valid)


@dataclass(frozen=True)
class Trust:
    """Whether the judge trusts a validation problem (its own solution passes all its tests), and why not."""

    trusted: bool
    reason: str


@dataclass(frozen=True)
class BaselineSolve:
    """One trusted validation problem under the baseline: solved when some
    training problem's solution (``solved_by``) passes all its tests."""

    valid: str
    solved: bool
    solved_by: tuple[str, ...]
    candidates: int
    test_runs: int


@dataclass(frozen=True)
class BaselineCost:
    """What the pass matrix cost, and its protocol (every solution, or the nearest k)."""

    test_runs: int
    wall_s: float
    pairs: int
    problems: int
    distinct_solutions: int
    nearest: int
    protocol: str
    # The sandbox the verdicts ran under (``sandbox.ISOLATION_MEANINGS``);
    # None in records made before records named it.
    isolation: str | None = None


@dataclass(frozen=True)
class Outcome:
    """A model's samples for one problem, judged (``judge.SampleOutcome``, frozen)."""

    samples: int
    syntax_ok: int
    unique: int
    public_passing: int
    correct: int


@dataclass(frozen=True)
class ModelResult:
    """The fine-tuned model of a split with a role: its losses, and with role
    ``sample`` its judged samples (the ``SAMPLE_FIELDS``, None otherwise)."""

    parameters: int
    pretrain: dict  # opaque: the pre-training's statistics
    examples: dict  # opaque: train/valid example counts
    train_dropped: tuple[str, ...]  # training problems whose solution is too long to fine-tune on
    valid_loss_before: float
    valid_loss: float
    train_loss: float
    valid_loss_per_problem: dict[str, float]
    history: tuple  # opaque: the fine-tuning's loss history
    train_tokens_per_s: float
    mfu: float | None
    epochs: float  # passes over the fine-tuning examples
    token_lengths: dict[str, tuple[int, int | None]]  # every pool problem: statement and solution tokens
    samples_per_s: float | None = None
    sample_tokens: int | None = None
    programs_executed: int | None = None
    programs_per_s: float | None = None
    outcomes: dict[str, Outcome] | None = None
    cut_off: dict[str, int] | None = None  # samples that reached MAX_NEW_TOKENS without ending
    examples_of_samples: dict | None = None  # opaque: two samples per problem, for the reader

    #: Stored only when the model sampled programs (role ``sample``, the sampling stage's record): all or none.
    SAMPLE_FIELDS = SAMPLE_RESULT_FIELDS

    @property
    def sampled(self) -> bool:
        return self.outcomes is not None

    @classmethod
    def from_dict(cls, data: dict, where: str) -> ModelResult:
        base = [f.name for f in fields(cls) if f.name not in cls.SAMPLE_FIELDS]
        known = [f.name for f in fields(cls)]
        sampled = any(name in data for name in cls.SAMPLE_FIELDS)
        check_fields(data, known if sampled else base, known, f"{where}: model", cls.__name__)
        values = {name: data.get(name) for name in known}
        values["history"] = tuple(data["history"])
        values["valid_loss_per_problem"] = dict(data["valid_loss_per_problem"])
        values["train_dropped"] = tuple(data["train_dropped"])
        values["token_lengths"] = {key: tuple(pair) for key, pair in data["token_lengths"].items()}
        if sampled:
            values["cut_off"] = dict(data["cut_off"])
            values["outcomes"] = {
                key: _plain(Outcome, outcome, f"{where}: outcome of {key}") for key, outcome in data["outcomes"].items()
            }
        return cls(**values)


# ---- the records -------------------------------------------------------------------


def _header(record: dict) -> dict:
    return {
        "key": record.get("key"),
        "version": record.get("version"),
        "device_name": record.get("provenance", {}).get("device_name"),
    }


@dataclass(frozen=True)
class SplitRecord:
    """One split's records, typed and joined: its baseline's, and its
    model's fine-tuning and sampling where it has them. ``key``,
    ``version`` and ``device_name`` are the baseline record's, None for a
    bare ``{"config", "result"}`` (a computation not yet stored);
    ``model_keys`` are the fine-tuning's and the sampling's keys."""

    key: str | None
    version: int | None
    device_name: str | None
    config: SplitConfig
    split: Split
    twin_groups: tuple[tuple[str, ...], ...]
    crossing_twin_groups: tuple[tuple[str, ...], ...]
    nearest: tuple[Nearest, ...]
    trust: dict[str, Trust]
    baseline: tuple[BaselineSolve, ...]
    baseline_cost: BaselineCost
    model: ModelResult | None
    timings: dict  # opaque: seconds per stage, all the split's stages
    model_keys: tuple[str | None, ...] = ()

    #: The baseline record's result fields, each read by one field above.
    RESULT_FIELDS = (
        "split",
        "twin_groups",
        "crossing_twin_groups",
        "nearest",
        "trust",
        "baseline",
        "baseline_cost",
        "timings",
    )

    @classmethod
    def from_record(cls, record: dict) -> SplitRecord:
        """A split's baseline record alone (a split without a model)."""
        return cls.from_stages(record)

    @classmethod
    def from_stages(cls, baseline: dict, finetune: dict | None = None, sample: dict | None = None) -> SplitRecord:
        """A split's view from its stage records: the baseline's, and the
        fine-tuning's and the sampling's where the split has a model."""
        where = f"record {baseline.get('key')}"
        config = stage_config(baseline["config"])
        if isinstance(config, CurveConfig):
            raise RecordShapeError(f"{where}: the date curve's record, not a split's (read it with CurveRecord)")
        if not isinstance(config, BaselineConfig):
            raise RecordShapeError(
                f"{where}: a {config.stage} stage's record; read it with its split's baseline (typed_records)"
            )
        result = check_record(baseline, STUDY, cls.RESULT_FIELDS)
        stages = {"finetune": (finetune, FinetuneConfig), "sample": (sample, SampleConfig)}
        typed, model, timings = {}, {}, dict(result["timings"])
        for name, (record, kind) in stages.items():
            if record is None:
                continue
            stage_where = f"record {record.get('key')}"
            typed[name] = stage_config(record["config"])
            if not isinstance(typed[name], kind):
                raise RecordShapeError(f"{stage_where}: a {typed[name].stage} stage's record, not a {name} stage's")
            fields_ = (*SAMPLE_RESULT_FIELDS, "timings") if name == "sample" else None
            stage_result = record.get("result", {})
            if fields_ is not None:
                check_record(record, STUDY, fields_)
            elif any(field in stage_result for field in SAMPLE_RESULT_FIELDS):
                raise RecordShapeError(f"{stage_where}: a fine-tuning's result holding samples")
            model.update({k: v for k, v in stage_result.items() if k != "timings"})
            timings.update(stage_result.get("timings", {}))
        if "sample" in typed and "finetune" not in typed:
            raise RecordShapeError(f"record {sample.get('key')}: a sampling without its split's fine-tuning record")
        try:
            joined = SplitConfig.join(config, typed.get("finetune"), typed.get("sample"))
        except ValueError as error:
            raise RecordShapeError(f"{where}: {error}") from None
        return cls(
            **_header(baseline),
            config=joined,
            split=_plain(Split, result["split"], f"{where}: split", {"train": _tuple, "valid": _tuple}),
            twin_groups=tuple(tuple(g) for g in result["twin_groups"]),
            crossing_twin_groups=tuple(tuple(g) for g in result["crossing_twin_groups"]),
            nearest=tuple(_plain(Nearest, n, f"{where}: nearest") for n in result["nearest"]),
            trust={k: _plain(Trust, t, f"{where}: trust of {k}") for k, t in result["trust"].items()},
            baseline=tuple(
                _plain(BaselineSolve, b, f"{where}: baseline", {"solved_by": _tuple}) for b in result["baseline"]
            ),
            baseline_cost=_plain(BaselineCost, result["baseline_cost"], f"{where}: baseline_cost", optional=True),
            model=ModelResult.from_dict(model, where) if finetune is not None else None,
            timings=timings,
            model_keys=tuple(record.get("key") for record in (finetune, sample) if record is not None),
        )

    # -- what the tables read -----------------------------------------------------

    @property
    def name(self) -> str:
        return self.split.name

    @property
    def kind(self) -> str:
        return self.split.kind

    @property
    def role(self) -> str | None:
        return self.config.role

    @property
    def sampled(self) -> bool:
        """The split's model sampled programs (its outcomes are recorded)."""
        return self.model is not None and self.model.sampled

    def trusted(self) -> list[str]:
        """The validation problems the judge trusts, in the record's order."""
        return [key for key, trust in self.trust.items() if trust.trusted]

    def crossing(self) -> set[str]:
        """Problems of a twin group that the split puts on both sides."""
        return {key for group in self.crossing_twin_groups for key in group}


@dataclass(frozen=True)
class CurveRow:
    """One problem on the date curve: its nearest training statement, and
    whether a training solution (its own excluded) passes all its tests
    (``solved`` None when the judge does not trust it)."""

    problem: str
    contest_id: int
    side: str
    nearest: str
    similarity: float
    near_duplicate: bool
    trusted: bool
    solved: bool | None
    solved_by: tuple[str, ...]

    def to_dict(self) -> dict:
        """The row as stored (``solved_by`` a list)."""
        return {f.name: list(v) if isinstance(v := getattr(self, f.name), tuple) else v for f in fields(self)}

    @classmethod
    def from_dict(cls, data: dict, where: str) -> CurveRow:
        return _plain(cls, data, where, {"solved_by": _tuple})


@dataclass(frozen=True)
class TrustRule:
    """The public-tests-only trust rule of the later problems."""

    tries: int
    agreeing: int
    several_answers: str


@dataclass(frozen=True)
class LaterCost:
    """What judging the later problems cost."""

    test_runs: int
    wall_s: float
    pairs: int


@dataclass(frozen=True)
class OutOfPeriod:
    """The later problems (public tests only) against the same training side."""

    problems: str
    rows: tuple[CurveRow, ...]
    trust_reasons: dict  # opaque: reason -> count
    trust_rule: TrustRule
    baseline_cost: LaterCost

    @classmethod
    def from_dict(cls, data: dict, where: str) -> OutOfPeriod:
        exact_fields(cls, data, f"{where}: out_of_period")
        return cls(
            problems=data["problems"],
            rows=tuple(CurveRow.from_dict(row, f"{where}: out-of-period row") for row in data["rows"]),
            trust_reasons=dict(data["trust_reasons"]),
            trust_rule=_plain(TrustRule, data["trust_rule"], f"{where}: trust_rule"),
            baseline_cost=_plain(LaterCost, data["baseline_cost"], f"{where}: out-of-period baseline_cost"),
        )


@dataclass(frozen=True)
class CurveRecord:
    """The date curve's record, typed: every pool problem against the main
    temporal split's training side, the later problems, and the pass matrix
    (sparse: per problem, the problems whose solution passes its tests)."""

    key: str | None
    version: int | None
    device_name: str | None
    config: CurveConfig
    cutoff: int
    train: tuple[str, ...]
    rows: tuple[CurveRow, ...]
    out_of_period: OutOfPeriod | None
    baseline_cost: BaselineCost
    passes: dict[str, tuple[str, ...]]
    valid_size: int
    test_counts: dict[str, tuple[int, int, int]]  # per problem: tests, examples among them, distinct outputs
    timings: dict  # opaque: seconds

    RESULT_FIELDS = (
        "cutoff",
        "train",
        "rows",
        "out_of_period",
        "baseline_cost",
        "passes",
        "valid_size",
        "test_counts",
        "timings",
    )

    @classmethod
    def from_record(cls, record: dict) -> CurveRecord:
        result = check_record(record, STUDY, cls.RESULT_FIELDS)
        where = f"record {record.get('key')}"
        config = stage_config(record["config"])
        if not isinstance(config, CurveConfig):
            raise RecordShapeError(
                f"{where}: a split's stage record, not the date curve's (read it with typed_records)"
            )
        later = result["out_of_period"]
        return cls(
            **_header(record),
            config=config,
            cutoff=result["cutoff"],
            train=tuple(result["train"]),
            rows=tuple(CurveRow.from_dict(row, f"{where}: row") for row in result["rows"]),
            out_of_period=None if later is None else OutOfPeriod.from_dict(later, where),
            baseline_cost=_plain(BaselineCost, result["baseline_cost"], f"{where}: baseline_cost", optional=True),
            passes={key: tuple(owners) for key, owners in result["passes"].items()},
            valid_size=result["valid_size"],
            test_counts={key: tuple(counts) for key, counts in result["test_counts"].items()},
            timings=dict(result["timings"]),
        )


AlphacodeRecord = SplitRecord | CurveRecord


def _stage(record: dict) -> str:
    config = record.get("config")
    if not isinstance(config, dict) or "stage" not in config:
        raise RecordShapeError(f"record {record.get('key')}: config missing ['stage']")
    return config["stage"]


def from_record(record: dict) -> SplitRecord | CurveRecord:
    """The typed view of a chapter-3 record alone: the date curve's, or a
    split's baseline (a split with a model is read with ``typed_records``)."""
    return (CurveRecord if _stage(record) == CurveConfig.STAGE else SplitRecord).from_record(record)


def view(record: dict | SplitRecord | CurveRecord) -> SplitRecord | CurveRecord:
    """``record`` typed (a view passes through)."""
    return record if isinstance(record, SplitRecord | CurveRecord) else from_record(record)


def typed_records(records) -> list[SplitRecord | CurveRecord]:
    """Every split and the date curve typed, in the order of their baseline
    records (views pass through): each split's baseline joined with the
    fine-tuning and sampling records of the same split among ``records``."""
    records = list(records)
    models = [
        r for r in records if not isinstance(r, SplitRecord | CurveRecord) and _stage(r) in ("finetune", "sample")
    ]
    configs = {id(r): stage_config(r["config"]) for r in models}
    joined, used = [], set()
    for record in records:
        if isinstance(record, SplitRecord | CurveRecord):
            joined.append(record)
            continue
        stage = _stage(record)
        if stage in ("finetune", "sample"):
            continue
        if stage != BaselineConfig.STAGE:
            joined.append(from_record(record))
            continue
        config = stage_config(record["config"])
        mine = {"finetune": [], "sample": []}
        for model in models:
            if configs[id(model)].same_split(config):
                mine[configs[id(model)].stage].append(model)
                used.add(id(model))
        for name, found in mine.items():
            if len(found) > 1:
                raise RecordShapeError(
                    f"record {record.get('key')}: {len(found)} {name} records of its split "
                    f"({', '.join(str(r.get('key')) for r in found)}); a run holds one"
                )
        joined.append(SplitRecord.from_stages(record, *(found[0] if found else None for found in mine.values())))
    for model in models:
        if id(model) not in used:
            raise RecordShapeError(
                f"record {model.get('key')}: a {_stage(model)} stage without its split's baseline record"
            )
    return joined
