"""Results are data: each chapter's default parameters must have every
record committed, so building the book never computes anything."""

import ast

import pytest
from papermill import inspect_notebook

from gobig.core import paths, registry
from gobig.core.store import ResultStore

pytestmark = pytest.mark.unit

#: Every registered chapter (its file name in chapters/) and its study module.
CHAPTERS = {entry.chapter.removeprefix("chapters/"): entry.study for entry in registry.STUDIES}


def notebook_defaults(chapter: str) -> dict:
    inspected = inspect_notebook(str(paths.ROOT / "chapters" / chapter))
    return {name: ast.literal_eval(spec["default"]) for name, spec in inspected.items()}


@pytest.mark.parametrize("chapter,study", CHAPTERS.items())
def test_every_parameter_is_declared_and_commented(chapter, study):
    inspected = inspect_notebook(str(paths.ROOT / "chapters" / chapter))
    assert set(inspected) == set(study.PARAMETERS)
    assert all(spec["help"] for spec in inspected.values()), (
        "each parameter needs a comment (papermill --help-notebook)"
    )


@pytest.mark.parametrize("chapter,study", CHAPTERS.items())
def test_chapter_defaults_are_the_default_profile(chapter, study):
    defaults = notebook_defaults(chapter)
    profile = study.load_profile(study.DEFAULT_PROFILE)
    machine_specific = {"DEVICE"}  # "auto" in the chapter, whatever the profile ran with
    assert {k: defaults[k] for k in profile if k not in machine_specific} == {
        k: v for k, v in profile.items() if k not in machine_specific
    }


@pytest.mark.parametrize("chapter,study", CHAPTERS.items())
def test_every_default_config_has_a_committed_record(chapter, study):
    params = study.validate_parameters(notebook_defaults(chapter))
    store = ResultStore(study.STUDY, study.VERSION, paths.ROOT / "results")
    configs = study.expand_configs(params)
    missing = [config for config in configs if not store.exists(config)]
    assert configs and not missing, (
        f"{len(missing)} default configs have no record; run `python -m gobig run {study.STUDY} --profile {study.DEFAULT_PROFILE}`"
    )
    assert all(store.load(config)["provenance"]["device_name"] for config in configs), "every record names its device"


@pytest.mark.parametrize("chapter,study", CHAPTERS.items())
def test_each_parameters_comment_is_its_declarations_help(chapter, study):
    """What ``papermill --help-notebook`` shows is the declaration's text (``Spec.comment``), never a copy that drifts."""
    inspected = inspect_notebook(str(paths.ROOT / "chapters" / chapter))
    differ = {
        name: inspected[name]["help"]
        for name, spec in study.PARAMETERS.items()
        if inspected[name]["help"] != spec.comment()
    }
    assert not differ, f"rewrite these comments from the study's PARAMETERS (Spec.comment): {sorted(differ)}"
