"""Chapter 3's typed configs (gobig.studies.alphacode.configs): every parameter has
one home, each stage's config holds what its result depends on (so a changed
sampling parameter changes the sampling's key alone), and the computation
reads the config and the machine, not the parameters."""

import ast
import inspect

import pytest

from gobig.core.params import ParameterError
from gobig.core.store import ResultStore
from gobig.core.sweep import SWEEP_PARAMETERS
from gobig.studies import alphacode
from gobig.studies.alphacode import compute, configs

pytestmark = pytest.mark.unit

SPECS = (configs.SplitSpec, configs.JudgeSpec, configs.FinetuneSpec, configs.SamplingSpec)
#: The config field that holds each spec.
FIELDS = ("splits", "judge", "finetune", "sampling")


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
    # Pre-training reads a part of the fine-tuning's spec, and nothing else; the tables' model spec is both.
    assert set(configs.PretrainSpec.parameters()) < set(configs.FinetuneSpec.parameters())
    assert set(configs.ModelSpec.parameters()) == {
        *configs.FinetuneSpec.parameters(),
        *configs.SamplingSpec.parameters(),
    }


@pytest.mark.parametrize("profile", ["smoke", "cpu", "full"])
def test_configs_round_trip_and_hold_each_spec_by_its_parameters(profile):
    try:
        params = alphacode.validate_parameters(alphacode.load_profile(profile))
    except ParameterError as error:  # a profile whose data is not mirrored here
        pytest.skip(str(error))
    expanded = alphacode.expand_configs(params)
    for config in expanded:
        typed = configs.stage_config(config)
        assert typed.to_dict() == config
        assert isinstance(typed, configs.CurveConfig) == (config["split"] == "date-curve")
        held = {
            "baseline": ("splits", "judge"),
            "curve": ("splits", "judge"),
            "finetune": ("splits", "finetune"),
            "sample": ("splits", "judge", "finetune", "sampling"),
        }[config["stage"]]
        assert set(FIELDS) & set(config) == set(held), config["stage"]
        for field, spec in zip(FIELDS, SPECS, strict=True):
            if field in held:
                assert config[field] == {name.lower(): params[name] for name in spec.parameters()}
    # A changed parameter of a spec changes the key of every config holding it.
    changed = alphacode.expand_configs({**params, "TWIN_THRESHOLD": params["TWIN_THRESHOLD"] / 2})
    assert all(a["splits"] != b["splits"] for a, b in zip(expanded, changed, strict=True))


def test_the_specs_are_frozen():
    spec = configs.JudgeSpec(2.0, 256, "tokens", 0)
    with pytest.raises(AttributeError):
        spec.compare = "exact"


def test_the_computer_never_reads_the_parameters():
    source = inspect.getsource(compute.Computer)
    names = {node.id for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Name)}
    attributes = {node.attr for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Attribute)}
    assert "params" not in names and "params" not in attributes
    assert list(inspect.signature(compute.Computer).parameters) == ["machine", "store"]


def _keys_by_stage(params: dict) -> dict[tuple, str]:
    """Each config's store key, by (stage, split, seed)."""
    store = ResultStore(alphacode.STUDY, alphacode.VERSION)
    return {(c["stage"], c["split"], c["seed"]): store.key(c) for c in alphacode.expand_configs(params)}


@pytest.mark.parametrize(
    "parameter, change, moved",
    [
        # Sampling only: the baseline's and the fine-tuning's keys stay.
        ("SAMPLES_PER_PROBLEM", lambda v: 2 * v, {"sample"}),
        ("TEMPERATURE", lambda v: v / 2, {"sample"}),
        # Fine-tuning reads these (MAX_NEW_TOKENS sets the statement budget and which solutions fit).
        ("FINETUNE_STEPS", lambda v: v + 1, {"finetune", "sample"}),
        ("MAX_NEW_TOKENS", lambda v: v - 8, {"finetune", "sample"}),
        # The judge: the baselines, the curve and the samples' verdicts, not the fine-tuning.
        ("TIME_LIMIT_S", lambda v: v + 1, {"baseline", "curve", "sample"}),
    ],
)
def test_a_parameter_changes_the_keys_of_the_stages_that_read_it(parameter, change, moved):
    params = alphacode.validate_parameters(alphacode.load_profile("cpu"))
    before = _keys_by_stage(params)
    after = _keys_by_stage(alphacode.validate_parameters({**params, parameter: change(params[parameter])}))
    assert before.keys() == after.keys()
    assert {"baseline", "finetune", "sample", "curve"} == {stage for stage, _, _ in before}
    changed = {unit for unit in before if before[unit] != after[unit]}
    assert changed == {unit for unit in before if unit[0] in moved}, parameter
