"""Chapter 1's computation reads its config and a Machine, never the
parameters: what is not in the config (so not in the record's key) can
only be where and how a config is computed."""

import ast
import inspect

import pytest

from gobig.studies import mnist
from gobig.studies.mnist import compute

pytestmark = pytest.mark.unit


def test_the_computer_never_reads_the_parameters():
    tree = ast.parse(inspect.getsource(compute.Computer))
    names = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    attributes = {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
    assert "params" not in names and "params" not in attributes
    assert list(inspect.signature(compute.Computer).parameters) == ["machine", "store"]  # the sweep's record store


@pytest.mark.parametrize(
    "name,value", [("COMPILE", True), ("DOWNLOAD", True), ("DEVICE", "cpu"), ("RESULTS_DIR", "/elsewhere")]
)
def test_a_machine_parameter_changes_no_config(name, value):
    """Each machine parameter is where or how, not what: the configs, and so
    the records' keys, are the same whatever its value."""
    assert name in compute.Machine.PARAMETERS
    params = mnist.validate_parameters(mnist.load_profile("smoke"))
    assert mnist.expand_configs({**params, name: value}) == mnist.expand_configs(params)


def test_the_machine_is_made_of_its_parameters():
    params = mnist.validate_parameters(
        {**mnist.load_profile("smoke"), "DEVICE": "cpu", "COMPILE": True, "RESULTS_DIR": "/r"}
    )
    machine = compute.Machine.from_params(params, progress=True)
    assert (machine.device.type, machine.compile, machine.results_dir, machine.progress) == ("cpu", True, "/r", True)
    with pytest.raises(AttributeError):
        machine.compile = False  # frozen: a computer's machine cannot change under it


def test_the_largest_scales_adversarial_seeds_can_be_cut_and_nothing_else_is():
    """LARGEST_SCALE_ADVERSARIAL_SEEDS drops the later seeds of the largest
    scale's adversarially trained model only, and leaves every key alone."""
    profile = mnist.validate_parameters(mnist.load_profile("cpu60k"))
    every = mnist.expand_configs({**profile, "LARGEST_SCALE_ADVERSARIAL_SEEDS": None})
    cut = mnist.expand_configs({**profile, "LARGEST_SCALE_ADVERSARIAL_SEEDS": 2})
    dropped = [c for c in every if c not in cut]
    assert [(c["family"], c["size"], c["mode"], c["seed"]) for c in dropped] == [("madry", 16, "pgd", 2)]
    assert all(c in every for c in cut)
