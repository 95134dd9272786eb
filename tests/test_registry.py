"""One registry of studies (gobig.core.registry): every registered module keeps
the Study contract, the registry agrees with the book's table of contents
and the defaults file, and no other library module knows all the studies (tests/test_layout.py)."""

import pytest

from gobig.core import paths, registry
from gobig.core.params import DEFAULTS_FILE, default_profile, load_yaml
from gobig.core.study import Study

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("entry", registry.STUDIES, ids=lambda e: e.name)
def test_every_registered_study_keeps_the_contract(entry):
    study = entry.study
    assert isinstance(study, Study), f"gobig.studies.{entry.name} lacks some of {sorted(Study.__protocol_attrs__)}"
    assert study.STUDY == entry.name
    assert entry.chapter_path.is_file()
    configs = study.expand_configs(study.validate_parameters(study.load_profile(entry.default_profile)))
    assert configs and all(isinstance(config, dict) for config in configs)


def test_a_module_missing_a_name_is_not_a_study():
    import types

    module = types.ModuleType("fake")
    module.STUDY, module.VERSION = "fake", 1
    assert not isinstance(module, Study)


@pytest.mark.parametrize("entry", registry.STUDIES, ids=lambda e: e.name)
def test_the_default_profile_is_data_and_the_module_reads_it(entry):
    assert entry.default_profile == default_profile(entry.name)
    # Each study reads it with params.default_profile(STUDY): it must agree with the file promote writes.
    assert entry.study.DEFAULT_PROFILE == entry.default_profile, (
        f"gobig.studies.{entry.name}.DEFAULT_PROFILE disagrees with {DEFAULTS_FILE}"
    )


def test_the_defaults_file_names_exactly_the_registered_studies():
    assert sorted(load_yaml(DEFAULTS_FILE)) == sorted(registry.NAMES)


def test_names_are_unique_and_lookup_fails_clearly():
    assert len(set(registry.NAMES)) == len(registry.NAMES)
    assert registry.get("gpt3").name == "gpt3"
    with pytest.raises(ValueError, match="expected one of mnist, gpt3, alphacode"):
        registry.get("cifar")


def test_the_toc_lists_every_registered_chapter_in_order():
    toc = (paths.ROOT / "_toc.yml").read_text()
    positions = [toc.index(f"file: {entry.notebook}\n") for entry in registry.STUDIES]
    assert positions == sorted(positions)


def test_readings_names_resolve_to_their_chapter_module():
    """``readings.NAME`` is a lazy lookup in ``readings._MODULES``: every public function
    and constant of a chapter's readings module is listed there, and resolves to it; its
    private helpers are not (tests import them from the chapter's module)."""
    import importlib

    from gobig.report import readings

    for study in registry.NAMES:
        module = importlib.import_module(f"gobig.report.readings.{study}")
        own = {
            name
            for name, value in vars(module).items()
            if not name.startswith("_")
            and (
                getattr(value, "__module__", None) == module.__name__
                or (name.isupper() and isinstance(value, (int, float)))
            )
        }
        assert own == {name for name, where in readings._MODULES.items() if where == study}
        assert all(getattr(readings, name) is getattr(module, name) for name in own)
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        readings.nothing  # noqa: B018
