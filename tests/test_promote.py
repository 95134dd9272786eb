"""``python -m gobig promote``: a profile becomes a chapter's defaults only
when all its records exist, and then the defaults file, the parameters cell
and the records agree."""

import ast
import shutil

import pytest
from papermill import inspect_notebook

from gobig.core import paths, registry
from gobig.core.params import default_profile
from gobig.core.store import CorruptRecordError, ResultStore
from gobig.report.promote import (
    CHAPTERS,
    DEFAULTS_PATH,
    INTERIM_PROSE,
    PromotionError,
    interim_prose_left,
    promote,
    rewrite_parameters,
)
from gobig.studies import mnist

pytestmark = pytest.mark.unit

STUDIES = {entry.name: entry.study for entry in registry.STUDIES}


def copy_of_the_book(tmp_path):
    """The files promote rewrites, in a scratch root."""
    for chapter in CHAPTERS.values():
        (tmp_path / chapter).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(paths.ROOT / chapter, tmp_path / chapter)
    (tmp_path / DEFAULTS_PATH).parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(paths.ROOT / DEFAULTS_PATH, tmp_path / DEFAULTS_PATH)
    return tmp_path


def chapter_defaults(root, study_name) -> dict:
    inspected = inspect_notebook(str(root / CHAPTERS[study_name]))
    return {name: ast.literal_eval(spec["default"]) for name, spec in inspected.items()}


@pytest.mark.parametrize("study_name", sorted(STUDIES))
def test_promoting_the_current_default_changes_nothing(tmp_path, study_name):
    root = copy_of_the_book(tmp_path)
    study = STUDIES[study_name]
    outcome = promote(study, study.DEFAULT_PROFILE, root, paths.ROOT / "results")
    for path in (CHAPTERS[study_name], DEFAULTS_PATH):
        assert (root / path).read_bytes() == (paths.ROOT / path).read_bytes(), path
    assert outcome["records"] > 0 and all(outcome["devices"])


def test_a_profile_with_missing_records_is_refused_and_nothing_changes(tmp_path):
    root = copy_of_the_book(tmp_path)
    empty = tmp_path / "no-records"
    with pytest.raises(
        PromotionError,
        match=r"81 of 81 configs of the 'full' profile have no record.*python -m gobig run mnist --profile full",
    ):
        promote(mnist, "full", root, empty)
    for path in (CHAPTERS["mnist"], DEFAULTS_PATH):
        assert (root / path).read_bytes() == (paths.ROOT / path).read_bytes()


def test_a_damaged_record_is_refused_before_anything_changes(tmp_path):
    root = copy_of_the_book(tmp_path)
    results = tmp_path / "results"
    store = ResultStore(mnist.STUDY, mnist.VERSION, results)
    configs = mnist.expand_configs(mnist.validate_parameters(mnist.load_profile("smoke")))
    for config in configs:
        store.save(config, {}, {"device_name": "NVIDIA H200"}, 1.0)
    store.path(configs[-1]).write_text("{truncated")
    with pytest.raises(CorruptRecordError, match="not valid JSON"):
        promote(mnist, "smoke", root, results)
    for path in (CHAPTERS["mnist"], DEFAULTS_PATH):
        assert (root / path).read_bytes() == (paths.ROOT / path).read_bytes()


def test_promotion_writes_the_profile_into_the_defaults_and_the_parameters_cell(tmp_path):
    root = copy_of_the_book(tmp_path)
    results = tmp_path / "results"
    profile = mnist.load_profile("smoke")
    store = ResultStore(mnist.STUDY, mnist.VERSION, results)
    for config in mnist.expand_configs(mnist.validate_parameters(profile)):
        store.save(
            config, {}, {"device_name": "NVIDIA H200"}, 1.0
        )  # stand-ins: promote reads only their presence and device
    outcome = promote(mnist, "smoke", root, results)
    assert default_profile("mnist", root / DEFAULTS_PATH) == "smoke"
    assert default_profile("alphacode", root / DEFAULTS_PATH) == default_profile("alphacode"), (
        "one study's line changes"
    )
    assert "# " in (root / DEFAULTS_PATH).read_text(), "the file keeps its comments"
    defaults = chapter_defaults(root, "mnist")
    assert {k: defaults[k] for k in profile if k != "DEVICE"} == {k: v for k, v in profile.items() if k != "DEVICE"}
    assert defaults["DEVICE"] == "auto"
    assert outcome["devices"] == ["NVIDIA H200"]
    assert outcome["interim_prose"] == list(INTERIM_PROSE["mnist"]), (
        "the chapter's interim sentences are still there to rewrite"
    )
    # Every line keeps its comment (papermill --help-notebook reads them).
    assert all(spec["help"] for spec in inspect_notebook(str(root / CHAPTERS["mnist"])).values())


def test_parameters_keep_their_annotations_and_comments():
    source = 'SEEDS: list = [0, 1]  # one run per seed\nTRAIN_SUBSET: "Optional[int]" = 10000  # first N images\nCUTOFF = None  # or an int\nOTHER: int = 3'
    rewritten = rewrite_parameters(source, {"SEEDS": [0, 1, 2], "TRAIN_SUBSET": None, "CUTOFF": 1500})
    assert (
        rewritten
        == 'SEEDS: list = [0, 1, 2]  # one run per seed\nTRAIN_SUBSET: "Optional[int]" = None  # first N images\nCUTOFF = 1500  # or an int\nOTHER: int = 3'
    )
    assert (
        rewrite_parameters('MODES: list = ["a"]', {"MODES": ["natural", "pgd"]}) == 'MODES: list = ["natural", "pgd"]'
    )
    with pytest.raises(PromotionError, match="no line for NEW_NAME"):
        rewrite_parameters(source, {"NEW_NAME": 1})


@pytest.mark.parametrize("study_name", sorted(INTERIM_PROSE))
def test_a_chapter_speaks_of_the_interim_run_exactly_while_its_default_is_not_full(study_name):
    """Once the full profile is the default, no sentence may still call the
    numbers an interim CPU run; until then every such sentence must be
    there (so this list stays true to the chapter's prose)."""
    left = interim_prose_left(study_name)
    if STUDIES[study_name].DEFAULT_PROFILE == "full":
        assert left == [], f"{CHAPTERS[study_name]} still calls its numbers interim: {left}"
    else:
        assert left == list(INTERIM_PROSE[study_name])
