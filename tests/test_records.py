"""Every committed record still loads and keeps its key: the refactors of
issue 20 moved code, not records. A record's key is a hash of its study,
version and config (gobig.core.store.config_key); no key was migrated."""

import copy
import json
from dataclasses import asdict, fields

import pytest

from gobig.core import paths, registry
from gobig.core.store import ResultStore, config_key
from gobig.core.views import RecordShapeError as SharedRecordShapeError
from gobig.studies.gpt3.views import Record, RecordShapeError, view

pytestmark = pytest.mark.unit

RECORDS = [
    (entry, path) for entry in registry.STUDIES for path in sorted((paths.ROOT / "results" / entry.name).glob("*.json"))
]
GPT3_RECORDS = [path for entry, path in RECORDS if entry.name == "gpt3"]


def test_there_are_records_of_every_study():
    assert {entry.name for entry, _ in RECORDS} == set(registry.NAMES)


@pytest.mark.parametrize("entry,path", RECORDS, ids=lambda x: x.name if hasattr(x, "name") else None)
def test_every_committed_record_loads_and_maps_to_its_key(entry, path):
    record = json.loads(path.read_text())
    assert record["study"] == entry.name
    assert record["key"] == path.stem
    assert config_key(entry.name, record["version"], record["config"]) == record["key"]
    assert record["provenance"]["device_name"], "every record names its device"
    if record["version"] == entry.study.VERSION:  # a record of an older version is kept, and never read
        assert ResultStore(entry.name, record["version"], paths.ROOT / "results").load(record["config"]) == record


@pytest.mark.parametrize("path", GPT3_RECORDS, ids=lambda p: p.stem)
def test_every_gpt3_record_has_a_typed_view_with_the_same_key(path):
    record = json.loads(path.read_text())
    typed = Record.from_record(record)
    assert typed.config.to_dict() == record["config"]
    assert typed.config.key(typed.version) == record["key"] == typed.key
    assert len(typed.fits) == len(record["result"]["fits"]) and len(typed.backtests) == len(
        record["result"]["backtests"]
    )
    fit = record["result"]["fits"][0]
    assert typed.fit(fit["benchmark"], fit["setting"], fit["fit"]["kind"]).fit.to_dict() == fit["fit"]
    assert view(typed) is typed


def test_the_view_refuses_a_record_it_does_not_know():
    record = json.loads(GPT3_RECORDS[0].read_text())
    grown = copy.deepcopy(record)
    grown["result"]["new_number"] = 1.0
    with pytest.raises(RecordShapeError, match=r"not known to the view \['new_number'\]"):
        Record.from_record(grown)
    shrunk = copy.deepcopy(record)
    del shrunk["result"]["fits"][0]["accuracy_at_gpt3"]
    with pytest.raises(RecordShapeError, match=r"missing \['accuracy_at_gpt3'\]"):
        Record.from_record(shrunk)
    other = {**record, "study": "mnist"}
    with pytest.raises(RecordShapeError, match="expected 'gpt3'"):
        Record.from_record(other)


def test_both_views_raise_the_shared_record_shape_error():
    assert RecordShapeError is SharedRecordShapeError


def test_a_bare_computation_has_a_view_without_key_or_device():
    """Tests and readings view ``{"config", "result"}`` before it is stored."""
    record = json.loads(GPT3_RECORDS[0].read_text())
    bare = Record.from_record({"config": record["config"], "result": record["result"]})
    assert (bare.key, bare.version, bare.device_name) == (None, None, None)
    assert bare.config.key(record["version"]) == record["key"]


# ---- chapter 3's typed records (gobig.studies.alphacode.views) ----------------------------

ALPHACODE_RECORDS = [path for entry, path in RECORDS if entry.name == "alphacode"]


def _alphacode_record(stage: str, sampled: bool | None = None) -> dict:
    """A committed chapter-3 record of a stage (``baseline``, ``finetune``, ``sample``, ``curve``);
    a baseline whose split has a model that sampled, if ``sampled``."""
    records = [json.loads(path.read_text()) for path in ALPHACODE_RECORDS]
    for record in records:
        if record["config"]["stage"] != stage:
            continue
        if sampled is None or _stages_of(record, records).get("sample") is not None:
            return record
    raise LookupError(f"no committed alphacode record of stage {stage!r} (sampled {sampled})")


def _stages_of(baseline: dict, records: list[dict]) -> dict:
    """The committed fine-tuning and sampling records of a baseline's split."""
    same = ("split", "seed", "problems_sha256", "splits")
    return {
        r["config"]["stage"]: r
        for r in records
        if r["config"]["stage"] in ("finetune", "sample") and all(r["config"][k] == baseline["config"][k] for k in same)
    }


@pytest.mark.parametrize("path", ALPHACODE_RECORDS, ids=lambda p: p.stem)
def test_every_alphacode_record_has_a_typed_config_with_the_same_key(path):
    from gobig.studies import alphacode

    record = json.loads(path.read_text())
    config = alphacode.stage_config(record["config"])
    assert config.to_dict() == record["config"]
    assert config_key(alphacode.STUDY, record["version"], config.to_dict()) == record["key"]


def test_the_committed_alphacode_records_join_into_one_view_per_split():
    """Each split's baseline record, joined with its model's fine-tuning and
    sampling records, gives the view the tables read: every field from the
    record that stores it, the timings of all three."""
    from gobig.studies import alphacode
    from gobig.studies.alphacode import views

    records = [json.loads(path.read_text()) for path in ALPHACODE_RECORDS]
    typed = views.typed_records(records)
    bases = [r for r in records if r["config"]["stage"] in ("baseline", "curve")]
    assert [t.key for t in typed] == [r["key"] for r in bases]
    for split, record in zip(typed, bases, strict=True):
        assert split.device_name == record["provenance"]["device_name"]
        assert views.view(split) is split
        result = record["result"]
        if record["config"]["stage"] == "curve":
            assert isinstance(split, views.CurveRecord) and split.config.to_dict() == record["config"]
            assert [row.to_dict() for row in split.rows] == result["rows"]
            assert split.passes == {k: tuple(v) for k, v in result["passes"].items()}
            assert (split.out_of_period is None) == (result["out_of_period"] is None)
            if split.out_of_period:
                assert [row.to_dict() for row in split.out_of_period.rows] == result["out_of_period"]["rows"]
                assert split.out_of_period.trust_rule.tries == result["out_of_period"]["trust_rule"]["tries"]
            continue
        stages = _stages_of(record, records)
        assert isinstance(split.config, alphacode.SplitConfig)
        assert split.config.role == ("sample" if "sample" in stages else "loss" if stages else None)
        assert split.model_keys == tuple(stages[s]["key"] for s in ("finetune", "sample") if s in stages)
        assert split.split.name == result["split"]["name"] and list(split.split.valid) == result["split"]["valid"]
        assert [asdict(n) for n in split.nearest] == result["nearest"]
        assert split.trusted() == [k for k, t in result["trust"].items() if t["trusted"]]
        assert [b.valid for b in split.baseline] == [b["valid"] for b in result["baseline"]]
        assert asdict(split.baseline_cost) == {"isolation": None, **result["baseline_cost"]}  # older: none named
        timings = {k: v for r in [record, *stages.values()] for k, v in r["result"]["timings"].items()}
        assert split.timings == timings
        assert (split.model is None) == (not stages)
        if split.model:
            tuned = stages["finetune"]["result"]
            assert split.model.valid_loss_per_problem == tuned["valid_loss_per_problem"]
            assert split.config.model.finetune_steps == stages["finetune"]["config"]["finetune"]["finetune_steps"]
            assert split.sampled == ("sample" in stages)
            if split.sampled:
                sample = stages["sample"]
                assert {k: asdict(o) for k, o in split.model.outcomes.items()} == sample["result"]["outcomes"]
                k = sample["config"]["sampling"]["samples_per_problem"]
                assert split.config.model.samples_per_problem == k


def test_the_alphacode_outcome_is_the_judges_sample_outcome_field_for_field():
    from gobig.methods.code import judge
    from gobig.studies.alphacode import views

    assert [f.name for f in fields(views.Outcome)] == [f.name for f in fields(judge.SampleOutcome)]


@pytest.mark.parametrize(
    "kind, stage, change, message",
    [
        ("split", "baseline", lambda r: r["result"].update(new_number=1.0), r"not known to the view \['new_number'\]"),
        ("split", "baseline", lambda r: r["result"].pop("timings"), r"missing \['timings'\]"),
        (
            "split",
            "baseline",
            lambda r: r["result"]["baseline"][0].pop("candidates"),
            r"baseline: missing \['candidates'\]",
        ),
        (
            "split",
            "baseline",
            lambda r: r["result"]["split"].update(fold=3),
            r"split: missing \[\], not known to Split \['fold'\]",
        ),
        ("split", "sample", lambda r: r["result"].pop("outcomes"), r"missing \['outcomes'\]"),
        ("split", "sample", lambda r: r["result"].update(beam=4), r"not known to the view \['beam'\]"),
        ("split", "finetune", lambda r: r["result"].update(beam=4), r"not known to ModelResult \['beam'\]"),
        ("split", "finetune", lambda r: r["result"].update(cut_off={}), r"a fine-tuning's result holding samples"),
        (
            "split",
            "sample",
            lambda r: next(iter(r["result"]["outcomes"].values())).pop("correct"),
            r"outcome of \S+: missing \['correct'\]",
        ),
        ("split", "sample", lambda r: r["config"]["finetune"].update(finetune_steps=1), "another fine-tuning"),
        ("split", "sample", lambda r: r["config"].update(seed=99), "a sample stage without its split's baseline"),
        ("curve", "curve", lambda r: r["result"].pop("passes"), r"missing \['passes'\]"),
        ("curve", "curve", lambda r: r["result"].update(bins=[]), r"not known to the view \['bins'\]"),
        ("curve", "curve", lambda r: r["result"]["rows"][0].pop("similarity"), r"row: missing \['similarity'\]"),
        ("curve", "curve", lambda r: r.update(study="gpt3"), "expected 'alphacode'"),
    ],
)
def test_the_alphacode_view_refuses_a_record_it_does_not_know(kind, stage, change, message):
    from gobig.studies.alphacode import views

    records = [json.loads(path.read_text()) for path in ALPHACODE_RECORDS]
    base = copy.deepcopy(_alphacode_record("curve" if kind == "curve" else "baseline", sampled=kind == "split" or None))
    split = [base, *copy.deepcopy(list(_stages_of(base, records).values()))] if kind == "split" else [base]
    views.typed_records(split)  # the committed records themselves are read
    change(next(r for r in split if r["config"]["stage"] == stage))
    with pytest.raises(RecordShapeError, match=message):
        views.typed_records(split)


def test_a_stage_record_alone_is_not_a_split():
    from gobig.studies.alphacode import views

    with pytest.raises(RecordShapeError, match="read it with its split's baseline"):
        views.from_record(_alphacode_record("sample"))


def test_a_bare_alphacode_computation_has_a_view_without_key_or_device():
    from gobig.studies.alphacode import views

    record = _alphacode_record("baseline")
    bare = views.from_record({"config": record["config"], "result": record["result"]})
    assert (bare.key, bare.version, bare.device_name) == (None, None, None)
    assert (bare.config.split, bare.config.seed, bare.config.role) == (
        record["config"]["split"],
        record["config"]["seed"],
        None,
    )


def test_chapter_3_glues_from_the_views_what_the_book_shows():
    """``readings.alphacode_glued`` of the chapter's committed records is, name for
    name and value for value, what the chapter's stored outputs glue
    (tests/glued_values.json, checked against the notebook by test_glued_values)."""
    from gobig.core.sweep import profile_records
    from gobig.report import readings
    from gobig.studies import alphacode

    records = profile_records(alphacode, alphacode.DEFAULT_PROFILE)
    assert records is not None, "the chapter's default records are committed"
    snapshot = json.loads((paths.ROOT / "tests" / "glued_values.json").read_text())["chapters/03_alphacode_split"]
    glued = {name: repr(value) for name, value in readings.alphacode_glued(records).items()}
    # The Findings box is glued by the chapter itself, from its claims (summary.chapter_findings).
    assert glued == {name: value for name, value in snapshot.items() if name != "chapter_findings"}
    # Typed or stored, the records give the same values.
    assert readings.alphacode_glued(alphacode.typed_records(records)) == readings.alphacode_glued(records)


# ---- chapter 1's typed records (gobig.studies.mnist.views) -------------------------------
MNIST_RECORDS = [path for entry, path in RECORDS if entry.name == "mnist"]


@pytest.mark.parametrize("path", MNIST_RECORDS, ids=lambda p: p.stem)
def test_every_mnist_record_has_a_typed_view_that_reads_what_is_stored(path):
    from gobig.studies.mnist import views

    record = json.loads(path.read_text())
    typed = views.from_record(record)
    result = record["result"]
    assert typed.config is record["config"] and typed.key == record["key"] == path.stem
    assert config_key("mnist", record["version"], typed.config) == typed.key
    assert [asdict(r)["accuracy"] for r in typed.robust] == [r["accuracy"] for r in result["robust"]]
    assert [len(r.stages) for r in typed.robust] == [len(r.get("stages", [])) for r in result["robust"]]
    assert asdict(typed.lipschitz) == {f.name: result["lipschitz"].get(f.name) for f in fields(views.Lipschitz)}
    assert len(typed.history) == len(result["history"])
    assert (typed.checkpoint is None) == ("checkpoint" not in result)
    assert typed.train_images == (record["config"]["training"]["train_subset"] or 60_000)
    assert views.view(typed) is typed


def _mnist_record(newest: bool) -> dict:
    """A committed record of the cpu60k generation (counts, stages, scales) or an older one."""
    for path in MNIST_RECORDS:
        record = json.loads(path.read_text())
        if ("clean_correct" in record["result"]) == newest and "checkpoint" in record["result"]:
            return record
    for path in MNIST_RECORDS:
        record = json.loads(path.read_text())
        if ("clean_correct" in record["result"]) == newest:
            return record
    raise AssertionError("no such record committed")


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda r: r["result"].update(new_number=1.0), r"not known to the view \['new_number'\]"),
        (lambda r: r["result"].pop("history"), r"missing \['history'\]"),
        (lambda r: r["result"]["robust"][0].pop("eps"), r"robust: missing \['eps'\]"),
        (lambda r: r["result"]["robust"][1]["stages"][0].pop("robust"), r"robust stage: missing \['robust'\]"),
        (lambda r: r["result"]["lipschitz"].update(dual=1.0), r"not known to Lipschitz \['dual'\]"),
        (lambda r: r["result"]["checkpoint"].pop("sha256"), r"checkpoint: missing \['sha256'\]"),
        (lambda r: r["config"]["training"].pop("epochs"), r"config training: missing \['epochs'\]"),
        (lambda r: r.update(study="alphacode"), "expected 'mnist'"),
    ],
)
def test_the_mnist_view_refuses_a_record_it_does_not_know(change, message):
    from gobig.studies.mnist import views

    record = copy.deepcopy(_mnist_record(newest=True))
    views.from_record(record)  # the committed record itself is read
    change(record)
    with pytest.raises(RecordShapeError, match=message):
        views.from_record(record)


def test_an_older_mnist_record_reads_with_its_missing_fields_as_none():
    from gobig.studies.mnist import views

    typed = views.from_record(_mnist_record(newest=False))
    assert typed.clean_correct is None and typed.lipschitz.margin_abs_max is None
    assert all(r.stages == () and r.pgd_accuracy is None for r in typed.robust)


def test_every_checkpoint_a_committed_record_names_is_committed_with_its_hash():
    """``python -m gobig evaluate mnist KEY`` must find the weights a record
    names: every part, and the bytes whose SHA-256 the record holds."""
    import hashlib

    from gobig.core import checkpoints

    named = 0
    for path in MNIST_RECORDS:
        result = json.loads(path.read_text())["result"]
        if "checkpoint" not in result:
            continue
        info = result["checkpoint"]
        folder = path.parent / "checkpoints"
        parts = checkpoints._part_paths(folder / info["file"], info["parts"])
        assert all(part.is_file() for part in parts), f"{path.name}: checkpoint {info['file']} is not committed"
        data = b"".join(part.read_bytes() for part in parts)
        assert hashlib.sha256(data).hexdigest() == info["sha256"], f"{path.name}: checkpoint bytes differ"
        named += 1
    assert named >= 5  # at least one seed of each of Madry's scales
