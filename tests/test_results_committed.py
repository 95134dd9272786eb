"""Results are data: the chapter's default parameters must have every
record committed, so building the book never trains anything."""

import ast

import pytest
from papermill import inspect_notebook

from gobig import mnist, paths
from gobig.store import ResultStore

pytestmark = pytest.mark.unit

CHAPTER = paths.ROOT / "chapters" / "01_mnist_capacity.ipynb"


def notebook_defaults() -> dict:
    return {name: ast.literal_eval(spec["default"]) for name, spec in inspect_notebook(str(CHAPTER)).items()}


def test_every_parameter_is_declared_and_commented():
    inspected = inspect_notebook(str(CHAPTER))
    assert set(inspected) == set(mnist.PARAMETERS)
    assert all(spec["help"] for spec in inspected.values()), "each parameter needs a comment (papermill --help-notebook)"


def test_chapter_defaults_are_the_default_profile():
    defaults = notebook_defaults()
    profile = mnist.load_profile(mnist.DEFAULT_PROFILE)
    assert {name: defaults[name] for name in profile if name != "DEVICE"} == {k: v for k, v in profile.items() if k != "DEVICE"}


def test_every_default_config_has_a_committed_record():
    params = mnist.validate_parameters(notebook_defaults())
    store = ResultStore(mnist.STUDY, mnist.VERSION, paths.ROOT / "results")
    configs = mnist.expand_configs(params)
    missing = [config for config in configs if not store.exists(config)]
    assert not missing, f"{len(missing)} default configs have no record; run `python -m gobig run mnist --profile {mnist.DEFAULT_PROFILE}`"
    for config in configs:
        record = store.load(config)
        assert record["provenance"]["device_name"], "every record names the device it ran on"
