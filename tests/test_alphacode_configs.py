"""Chapter 3's typed configs (gobig.studies.alphacode.configs): every parameter has
one home, the configs are the records' keys unchanged, and the computation
reads the config and the machine, not the parameters."""

import ast
import inspect
import json

import pytest

from gobig.core.params import ParameterError
from gobig.core.sweep import SWEEP_PARAMETERS
from gobig.data import codecontests
from gobig.studies import alphacode
from gobig.studies.alphacode import compute, configs

pytestmark = pytest.mark.unit

SPECS = (configs.SplitSpec, configs.JudgeSpec, configs.ModelSpec)


def test_every_parameter_belongs_to_one_spec_the_machine_or_the_selection():
    homes = {
        **{spec.__name__: spec.parameters() for spec in SPECS},
        "Machine": configs.Machine.PARAMETERS,
        "sweep": tuple(SWEEP_PARAMETERS),
        "SELECTION": configs.SELECTION,
    }
    owners = {}
    for home, names in homes.items():
        for name in names:
            owners.setdefault(name, []).append(home)
    assert not {name: where for name, where in owners.items() if len(where) > 1}, "a parameter in two homes"
    assert sorted(owners) == sorted(alphacode.PARAMETERS), (
        f"without a home: {sorted(set(alphacode.PARAMETERS) - set(owners))}; "
        f"not a parameter: {sorted(set(owners) - set(alphacode.PARAMETERS))}"
    )
    # Pre-training reads a part of the model spec, and nothing else.
    assert set(configs.PretrainSpec.parameters()) < set(configs.ModelSpec.parameters())


@pytest.mark.parametrize("profile", ["smoke", "cpu", "full"])
def test_configs_round_trip_and_hold_each_spec_by_its_parameters(profile):
    try:
        params = alphacode.validate_parameters(alphacode.load_profile(profile))
    except ParameterError as error:  # a profile whose data is not mirrored here
        pytest.skip(str(error))
    expanded = alphacode.expand_configs(params)
    for config in expanded:
        typed = configs.SplitConfig.from_dict(config)
        assert typed.to_dict() == config
        assert isinstance(typed, configs.CurveConfig) == (config["split"] == "date-curve")
        for field, spec in zip(("splits", "judge", "model"), SPECS, strict=True):
            if field == "model" and config["role"] is None:
                # A split without a model (and the date curve) never reads the model spec.
                assert "model" not in config and typed.model is None
                continue
            assert config[field] == {name.lower(): params[name] for name in spec.parameters()}
    # A changed parameter of a spec changes every config's key.
    changed = alphacode.expand_configs({**params, "TWIN_THRESHOLD": params["TWIN_THRESHOLD"] / 2})
    assert all(a["splits"] != b["splits"] for a, b in zip(expanded, changed, strict=True))


def test_the_specs_are_frozen():
    spec = configs.JudgeSpec(2.0, 256, "tokens", 0)
    with pytest.raises(AttributeError):
        spec.compare = "exact"


def test_the_computer_never_reads_the_parameters():
    source = inspect.getsource(compute._Computer)
    names = {node.id for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Name)}
    attributes = {node.attr for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Attribute)}
    assert "params" not in names and "params" not in attributes
    assert list(inspect.signature(compute._Computer).parameters) == ["machine"]


def test_a_config_without_a_model_keeps_its_key_when_the_model_changes():
    params = alphacode.validate_parameters(alphacode.load_profile("cpu"))
    expanded = alphacode.expand_configs(params)
    changed = alphacode.expand_configs({**params, "FINETUNE_STEPS": params["FINETUNE_STEPS"] + 1})
    for before, after in zip(expanded, changed, strict=True):
        assert (before == after) == (before["role"] is None), before["split"]
    assert {c["split"] for c in expanded if c["role"] is None} >= {"date-curve", "temporal-cut"}
    with pytest.raises(ValueError, match="must not hold a model spec"):
        configs.SplitConfig.from_dict({**expanded[-1], "model": configs.ModelSpec.from_params(params).to_dict()})


def test_migrating_a_record_gives_it_the_key_of_its_current_config(tmp_path):
    """A record stored before the change (its config holding the unread model
    spec) moves to the key the current config has, its result untouched."""
    from gobig.core import paths
    from gobig.core.store import ResultStore

    params = alphacode.validate_parameters(alphacode.load_profile("cpu"))
    current = next(c for c in alphacode.expand_configs(params) if c["split"] == "temporal-cut")
    committed = ResultStore(alphacode.STUDY, alphacode.VERSION, paths.ROOT / "results").load(current)
    old_config = {**current, "model": configs.ModelSpec.from_params(params).to_dict()}
    store = ResultStore(alphacode.STUDY, alphacode.VERSION, tmp_path)
    store.folder.mkdir(parents=True)
    old_record = {**committed, "config": old_config, "key": store.key(old_config)}
    store.path(old_config).write_text(json.dumps(old_record))

    moved = configs.migrate_records(tmp_path)

    assert moved == [(store.key(old_config), store.key(current))]
    assert not store.exists(old_config)
    migrated = store.load(current)
    assert migrated["key"] == store.key(current) == committed["key"]
    assert (migrated["result"], migrated["provenance"]) == (committed["result"], committed["provenance"])
    assert configs.migrate_records(tmp_path) == []  # a second run moves nothing


def test_amending_a_date_curve_adds_the_test_counts_the_computation_gives(tmp_path):
    """A stored date curve without ``test_counts`` gets the counts ``date_curve``
    computes from the problems file, and keeps the rest of its record."""
    from gobig.core import paths
    from gobig.core.store import ResultStore

    params = alphacode.validate_parameters(alphacode.load_profile("cpu"))
    curve = next(c for c in alphacode.expand_configs(params) if c["split"] == "date-curve")
    if not configs.Machine(None, paths.data_dir()).problems_path(curve["problems"]).exists():
        pytest.skip("the problems mirror is not here")
    committed = ResultStore(alphacode.STUDY, alphacode.VERSION, paths.ROOT / "results").load(curve)
    store = ResultStore(alphacode.STUDY, alphacode.VERSION, tmp_path)
    older = {k: v for k, v in committed["result"].items() if k != "test_counts"}
    store.save(curve, older, {}, 1.0)

    assert compute.amend_test_counts(tmp_path) == [store.key(curve)]
    amended = store.load(curve)
    assert amended["result"] == committed["result"]
    problems = codecontests.load(paths.data_dir() / "codecontests" / f"{curve['problems']}.jsonl.gz")
    assert amended["result"]["test_counts"] == {p.key: compute._test_counts(p) for p in problems}
    assert "test_counts added" in amended["provenance"]["amended"]
    assert compute.amend_test_counts(tmp_path) == []
