"""Chapter 2's record, typed: ``Record.from_record(record)`` reads the
stored JSON (``{key, study, version, config, result, provenance}``) into
frozen dataclasses, so tables and readings name fields instead of digging
into nested dicts, and a record whose shape the code does not know fails
here, naming what is missing or new, not as a KeyError deep in a table.

The view reads; it never changes what is stored: ``Config.to_dict()`` is
the stored config exactly, so ``Record.from_record(r).config.key(version)``
is the record's key (tests/test_records.py checks every committed record).
JSON numbers are decoded as ``gobig.core.jsonnum`` stores them (``"inf"``,
``None`` for NaN). The shape checks and ``RecordShapeError`` are
``gobig.core.views``'s, shared with chapter 3's view.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields

from gobig.core.jsonnum import from_json_number
from gobig.core.views import RecordShapeError, check_record, flat
from gobig.core.views import exact_fields as _exact_fields
from gobig.methods.scaling.fitting import Fit


def _number(value) -> float:
    return from_json_number(value)


@dataclass(frozen=True)
class Config:
    """The one config of a chapter-2 run (``gpt3.make_config``)."""

    token_counts: tuple[float, ...]
    effective_dimensions: tuple[float, ...]
    target_accuracy: float
    benchmarks: tuple[str, ...]
    settings: tuple[str, ...]
    model_sizes: tuple[int, ...]
    backtest_largest: int
    confidence_level: float
    uncertainty_samples: int
    seed: int
    data_sha256: str

    @classmethod
    def from_dict(cls, data: dict) -> Config:
        _exact_fields(cls, data, "config")
        values = {f.name: data[f.name] for f in fields(cls)}
        return cls(**{name: tuple(value) if isinstance(value, list) else value for name, value in values.items()})

    def to_dict(self) -> dict:
        """The config as stored (lists, not tuples): what the record's key hashes."""
        return {f.name: list(v) if isinstance(v := getattr(self, f.name), tuple) else v for f in fields(self)}

    def key(self, version: int) -> str:
        from gobig.core.store import config_key

        return config_key("gpt3", version, self.to_dict())


def _key(name: str):
    """A field stored under another name (``class`` is a Python keyword)."""
    return field(metadata={"key": name})


@dataclass(frozen=True)
class SeriesClass:
    """``classify_series``'s verdict on one series: smooth, irregular or
    flat; whether it looks emergent on the accuracy scale; the fit kind
    selected for verdicts (None: no adequate fit, or flat)."""

    kind: str = _key("class")
    early_gain: float = 0.0
    top_gain: float = 0.0
    share: float = math.nan
    emergent_shape: bool = False
    selected: str | None = None

    @classmethod
    def from_dict(cls, data: dict) -> SeriesClass:
        _exact_fields(cls, data, "fit class")
        return cls(
            data["class"],
            _number(data["early_gain"]),
            _number(data["top_gain"]),
            _number(data["share"]),
            bool(data["emergent_shape"]),
            data["selected"],
        )


@dataclass(frozen=True)
class FitQuality:
    """``fit_quality`` of one fit: accuracy-scale R-squared, the lower end of
    the slope's interval, and whether the fit describes its series."""

    r_squared: float
    slope_low: float
    adequate: bool


@dataclass(frozen=True)
class TargetParams:
    """Parameters a smooth series' fit needs for the target accuracy
    (``fitting.params_for_accuracy``): point and interval, inf = no finite bound."""

    target: float
    point: float
    low: float
    high: float
    share_unreachable: float

    @classmethod
    def from_dict(cls, data: dict) -> TargetParams:
        _exact_fields(cls, data, "params_for_target")
        return cls(**{f.name: _number(data[f.name]) for f in fields(cls)})


@dataclass(frozen=True)
class SeriesFit:
    """One fit of one (benchmark, setting) series."""

    benchmark: str
    setting: str
    series_class: SeriesClass = _key("class")
    params: tuple[int, ...] = ()
    accuracy: tuple[float, ...] = ()
    fit: Fit | None = None
    accuracy_at_gpt3: float = math.nan
    params_for_target: TargetParams | None = None  # None: not adequate (or flat), so not extrapolated
    quality: FitQuality | None = None
    params_for_shifted_target: float = math.nan  # the target plus the back-test's overshoot margin

    @property
    def kind(self) -> str:
        return self.fit.kind

    @classmethod
    def from_dict(cls, data: dict) -> SeriesFit:
        _exact_fields(cls, data, f"fit of {data.get('benchmark')} {data.get('setting')}")
        target = data["params_for_target"]
        return cls(
            benchmark=data["benchmark"],
            setting=data["setting"],
            series_class=SeriesClass.from_dict(data["class"]),
            params=tuple(int(p) for p in data["params"]),
            accuracy=tuple(float(a) for a in data["accuracy"]),
            fit=Fit.from_dict(data["fit"]),
            accuracy_at_gpt3=_number(data["accuracy_at_gpt3"]),
            params_for_target=None if target is None else TargetParams.from_dict(target),
            quality=_plain(FitQuality, data["quality"], "fit quality", {"r_squared": _number, "slope_low": _number}),
            params_for_shifted_target=_number(data["params_for_shifted_target"]),
        )


@dataclass(frozen=True)
class Backtest:
    """One back-test (``gpt3.backtest_series``): fitted up to a size, the largest predicted."""

    kind: str
    series_class: str = _key("class")
    adequate: bool = False
    selected: bool = False
    fitted_sizes: int = 0
    predicted_size: float = math.nan
    actual: float = math.nan
    predicted: float = math.nan
    predicted_capped: float = math.nan
    band_low: float = math.nan
    band_high: float = math.nan
    prediction_low: float = math.nan
    prediction_high: float = math.nan
    error: float = math.nan
    error_capped: float = math.nan
    in_band: bool = False
    in_prediction: bool = False
    benchmark: str | None = field(default=None, metadata={"optional": True})  # None for the aggregate's
    setting: str | None = field(default=None, metadata={"optional": True})

    @classmethod
    def from_dict(cls, data: dict) -> Backtest:
        required = {f.metadata.get("key", f.name) for f in fields(cls) if not f.metadata.get("optional")}
        known = {f.metadata.get("key", f.name) for f in fields(cls)}
        if not required <= set(data) <= known:
            raise RecordShapeError(
                f"backtest: missing {sorted(required - set(data))}, not known {sorted(set(data) - known)}"
            )
        return cls(**{f.name: data.get(f.metadata.get("key", f.name)) for f in fields(cls)})


@dataclass(frozen=True)
class Aggregate:
    """The mean over the fitted series at each size, and its back-tests."""

    params: tuple[int, ...]
    accuracy: tuple[float, ...]
    chance: float
    backtests: tuple[Backtest, ...]

    @classmethod
    def from_dict(cls, data: dict) -> Aggregate:
        _exact_fields(cls, data, "aggregate")
        return cls(
            tuple(int(p) for p in data["params"]),
            tuple(float(a) for a in data["accuracy"]),
            float(data["chance"]),
            tuple(Backtest.from_dict(b) for b in data["backtests"]),
        )


@dataclass(frozen=True)
class Skipped:
    benchmark: str
    setting: str
    reason: str


@dataclass(frozen=True)
class ChartPoint:
    """A value of the blog's chart (Figure 1.2's task); accuracy NaN where not verified."""

    setting: str
    params: int
    accuracy: float
    verified: bool
    reading_a: float


@dataclass(frozen=True)
class Requirement:
    """The law's smooth-interpolation count n*d for one (tokens, effective dimension)."""

    tokens: float
    effective_dimension: float
    required_params: float
    ratio_to_gpt3: float


@dataclass(frozen=True)
class Overshoot:
    """The back-test's margin: the ``quantile`` of the capped signed errors
    of ``count`` selected fits, and ``reach_params``, the size one back-test
    span beyond the largest, as far as the margin was measured."""

    quantile: float
    selected: float
    count: int
    reach_params: float


_plain = flat  # a flat dataclass from a dict of exactly its fields


@dataclass(frozen=True)
class Record:
    """A chapter-2 record, typed. ``key``, ``version`` and ``device_name`` are
    None for a bare ``{"config", "result"}`` (a computation not yet stored)."""

    key: str | None
    version: int | None
    config: Config
    device_name: str | None
    gpt3_params: int
    gpt3_training_tokens: int
    token_mix_billions: float
    target_accuracy: float
    confidence_level: float
    fits: tuple[SeriesFit, ...]
    skipped: tuple[Skipped, ...]
    backtests: tuple[Backtest, ...]
    aggregate: Aggregate | None
    blog_chart: tuple[ChartPoint, ...]
    #: The back-test's margin (``gpt3.backtest_overshoot``) and the size it vouches to.
    overshoot: Overshoot
    #: The loss laws on GPT-3's budget (``gpt3.compute_optimal_frame`` reads it): law -> quantity -> value.
    compute_optimal: dict
    #: ``chinchilla.loss_gain`` from the back-test's largest size to the largest: law -> quantity -> value.
    token_bend: dict
    requirements: tuple[Requirement, ...]

    #: The result's fields, each read by one field above.
    RESULT_FIELDS = (
        "gpt3_params",
        "gpt3_training_tokens",
        "token_mix_billions",
        "target_accuracy",
        "confidence_level",
        "fits",
        "skipped",
        "backtests",
        "aggregate",
        "blog_chart",
        "overshoot",
        "compute_optimal",
        "token_bend",
        "requirements",
    )

    @classmethod
    def from_record(cls, record: dict) -> Record:
        """The typed view of a stored record; a record of another study, or of
        a shape this view does not know, is refused with what differs."""
        result = check_record(record, "gpt3", cls.RESULT_FIELDS)
        return cls(
            key=record.get("key"),
            version=record.get("version"),
            config=Config.from_dict(record["config"]),
            device_name=record.get("provenance", {}).get("device_name"),
            gpt3_params=int(result["gpt3_params"]),
            gpt3_training_tokens=int(result["gpt3_training_tokens"]),
            token_mix_billions=float(result["token_mix_billions"]),
            target_accuracy=float(result["target_accuracy"]),
            confidence_level=float(result["confidence_level"]),
            fits=tuple(SeriesFit.from_dict(entry) for entry in result["fits"]),
            skipped=tuple(_plain(Skipped, entry, "skipped") for entry in result["skipped"]),
            backtests=tuple(Backtest.from_dict(entry) for entry in result["backtests"]),
            aggregate=None if result["aggregate"] is None else Aggregate.from_dict(result["aggregate"]),
            blog_chart=tuple(
                _plain(ChartPoint, entry, "blog_chart", {"accuracy": _number, "reading_a": _number})
                for entry in result["blog_chart"]
            ),
            overshoot=_plain(Overshoot, result["overshoot"], "overshoot", {"selected": _number}),
            compute_optimal=result["compute_optimal"],
            token_bend=result["token_bend"],
            requirements=tuple(_plain(Requirement, entry, "requirements") for entry in result["requirements"]),
        )

    def fit(self, benchmark: str, setting: str, kind: str) -> SeriesFit:
        """The fit of one series of one kind."""
        for entry in self.fits:
            if (entry.benchmark, entry.setting, entry.kind) == (benchmark, setting, kind):
                return entry
        raise KeyError(f"no {kind} fit of {benchmark} {setting} in this record")


def view(record: dict | Record) -> Record:
    """``record`` typed (a view passes through)."""
    return record if isinstance(record, Record) else Record.from_record(record)
