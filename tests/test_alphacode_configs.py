"""Chapter 3's typed configs (gobig.studies.alphacode.configs): every parameter has
one home, the configs are the records' keys unchanged, and the computation
reads the config and the machine, not the parameters."""

import ast
import inspect

import pytest

from gobig.core.params import ParameterError
from gobig.core.sweep import SWEEP_PARAMETERS
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
