"""Bad parameters stop with an error naming the parameter and what is
allowed, before any data is read or anything is computed."""

import pytest

from gobig.__main__ import main
from gobig.core.params import ParameterError
from gobig.studies import mnist


@pytest.fixture
def smoke_values():
    return mnist.load_profile("smoke")


BAD_VALUES = [
    ("EPS_LIST", [-1], "EPS_LIST", "> 0"),
    ("EPS_LIST", [], "EPS_LIST", "non-empty list"),
    ("EPS_LIST", 0.3, "EPS_LIST", "list"),
    ("CAPACITY_SCALES", [3], "CAPACITY_SCALES", "1, 2, 4, 8, 16, 32"),
    ("DEVICE", "tpu", "DEVICE", "'auto', 'cpu', 'cuda'"),
    ("TRAINING_MODES", ["cw"], "TRAINING_MODES", "'natural', 'pgd', 'fgsm'"),
    ("SEEDS", [], "SEEDS", "non-empty"),
    ("EPOCHS", 0, "EPOCHS", ">= 1"),
    ("EPOCHS", 2.5, "EPOCHS", "an integer"),
    ("EPOCHS", True, "EPOCHS", "an integer"),
    ("BLOG_MODEL", 1, "BLOG_MODEL", "True or False"),
    ("LEARNING_RATE", "fast", "LEARNING_RATE", "a number"),
    ("PGD_RESTARTS", 0, "PGD_RESTARTS", ">= 1"),
    ("TRAIN_SUBSET", 70_000, "TRAIN_SUBSET", "<= 60000"),
    ("STACK_SEEDS", "sometimes", "STACK_SEEDS", "'auto', 'always', 'never'"),
    ("COMPILE", "maybe", "COMPILE", "True or False"),
    ("WORKERS", 0, "WORKERS", ">= 1"),
    ("WORKERS", 2.5, "WORKERS", "an integer"),
    ("RAY_CPUS_PER_TASK", 0, "RAY_CPUS_PER_TASK", ">= 1"),
    ("RAY_CPUS_PER_TASK", 0.5, "RAY_CPUS_PER_TASK", "an integer"),
]


@pytest.mark.unit
@pytest.mark.parametrize("name,value,named,allowed", BAD_VALUES)
def test_bad_value_names_the_parameter_and_the_allowed_values(smoke_values, name, value, named, allowed):
    with pytest.raises(ParameterError) as error:
        mnist.validate_parameters({**smoke_values, name: value})
    message = str(error.value)
    assert message.startswith(f"{named}:")
    assert allowed in message


@pytest.mark.unit
def test_unknown_parameter_is_named_with_the_known_ones(smoke_values):
    with pytest.raises(ParameterError, match=r"unknown parameter\(s\) EPSILON; known parameters: CAPACITY_SCALES"):
        mnist.validate_parameters({**smoke_values, "EPSILON": 0.3})


@pytest.mark.unit
def test_valid_profiles_pass(smoke_values):
    for name in ("smoke", "cpu", "full"):
        params = mnist.validate_parameters(mnist.load_profile(name))
        assert params["EPS_LIST"] and all(isinstance(e, float) for e in params["EPS_LIST"])


@pytest.mark.unit
def test_unknown_profile_lists_the_available_ones():
    with pytest.raises(
        ValueError, match="available profiles: collapse, collapse_larger, collapse_longer, cpu, cpu60k, full, smoke"
    ):
        mnist.load_profile("huge")


@pytest.mark.unit
def test_cli_refuses_bad_parameters_before_any_compute(tmp_path, capsys):
    results = tmp_path / "results"
    code = main(
        [
            "run",
            "mnist",
            "--profile",
            "smoke",
            "--set",
            "EPS_LIST=[-1]",
            "--results-dir",
            str(results),
            "--data-dir",
            str(tmp_path / "nowhere"),
        ]
    )
    assert code == 2
    assert "EPS_LIST" in capsys.readouterr().err
    assert not results.exists()  # nothing was computed or written


@pytest.mark.unit
def test_crosscheck_without_torchattacks_fails_before_training(smoke_values, tmp_path, monkeypatch):
    import importlib.util

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "torchattacks" else real_find_spec(name, *a)
    )
    with pytest.raises(ParameterError, match="CROSSCHECK"):
        mnist.run({**smoke_values, "RESULTS_DIR": str(tmp_path), "DATA_DIR": str(tmp_path / "nowhere")}, progress=False)
    assert not (tmp_path / "mnist").exists()


GPT3_BAD_VALUES = [
    ("BENCHMARKS", ["MMLU"], "BENCHMARKS"),
    ("BENCHMARKS", [], "BENCHMARKS"),
    ("SETTINGS", ["two-shot"], "SETTINGS"),
    ("BACKTEST_LARGEST", 175000000000, "BACKTEST_LARGEST"),
    ("MODEL_SIZES", [1300000000, 175000000000], "MODEL_SIZES"),
    ("TARGET_ACCURACY", 120.0, "TARGET_ACCURACY"),
    ("TARGET_ACCURACY", "high", "TARGET_ACCURACY"),
    ("CONFIDENCE_LEVEL", 1.5, "CONFIDENCE_LEVEL"),
    ("TOKEN_COUNTS", [-300e9], "TOKEN_COUNTS"),
    ("EFFECTIVE_DIMENSIONS", [], "EFFECTIVE_DIMENSIONS"),
    ("UNCERTAINTY_SAMPLES", 10, "UNCERTAINTY_SAMPLES"),
    ("SEED", -1, "SEED"),
]


@pytest.mark.unit
@pytest.mark.parametrize("name,value,named", GPT3_BAD_VALUES)
def test_gpt3_bad_value_names_the_parameter(name, value, named):
    from gobig.studies import gpt3

    with pytest.raises(ParameterError) as error:
        gpt3.validate_parameters({**gpt3.load_profile("smoke"), name: value})
    assert str(error.value).startswith(f"{named}:")


ALPHACODE_BAD_VALUES = [
    ("VALID_FRACTION", 0.9, "VALID_FRACTION", "<= 0.5"),
    ("VALID_FRACTION", 0, "VALID_FRACTION", "> 0"),
    ("SPLIT_SEEDS", [], "SPLIT_SEEDS", "non-empty list"),
    ("SPLIT_SEEDS", 3, "SPLIT_SEEDS", "list"),
    ("TEMPORAL_TWINS", "all", "TEMPORAL_TWINS", "'simultaneous', 'none'"),
    ("COMPARE", "fuzzy", "COMPARE", "'exact', 'tokens'"),
    ("TIME_LIMIT_S", 0, "TIME_LIMIT_S", "> 0"),
    ("MEMORY_MB", 10, "MEMORY_MB", ">= 64"),
    ("BASELINE_NEAREST", -1, "BASELINE_NEAREST", ">= 0"),
    ("MODEL_SEEDS", [7], "MODEL_SEEDS", "not in SPLIT_SEEDS"),
    ("OUT_OF_PERIOD", "codeforces_2030", "OUT_OF_PERIOD", "'neocoder_codeforces'"),
    ("DATE_BINS", 1, "DATE_BINS", ">= 2"),
    ("SAMPLES_PER_PROBLEM", 0, "SAMPLES_PER_PROBLEM", ">= 1"),
    ("SAMPLES_PER_PROBLEM", 2.5, "SAMPLES_PER_PROBLEM", "an integer"),
    ("TEMPERATURE", "hot", "TEMPERATURE", "a number"),
    ("SUBMISSIONS", [0], "SUBMISSIONS", ">= 1"),
    ("MODEL_DIM", 33, "MODEL_DIM", "multiple of MODEL_HEADS"),
    ("MAX_NEW_TOKENS", 256, "MAX_NEW_TOKENS", "no room for a statement"),
    ("CORPUS_CUTOFF", "last year", "CORPUS_CUTOFF", "YYYY-MM-DD"),
    ("PROBLEMS", "codecontests_maxi", "PROBLEMS", "codecontests_mini"),
    ("DEVICE", "tpu", "DEVICE", "'auto', 'cpu', 'cuda'"),
    ("EXECUTOR", "dask", "EXECUTOR", "'local', 'ray'"),
]


@pytest.mark.unit
@pytest.mark.parametrize("name,value,named,allowed", ALPHACODE_BAD_VALUES)
def test_alphacode_bad_value_names_the_parameter(name, value, named, allowed):
    from gobig.studies import alphacode

    with pytest.raises(ParameterError) as error:
        alphacode.validate_parameters({**alphacode.load_profile("smoke"), name: value})
    message = str(error.value)
    assert message.startswith(f"{named}:") and allowed in message


@pytest.mark.unit
def test_alphacode_profiles_pass_and_unknown_names_fail():
    from gobig.studies import alphacode

    for name in ("smoke", "cpu", "full"):
        alphacode.validate_parameters(alphacode.load_profile(name))
    with pytest.raises(ParameterError, match=r"unknown parameter\(s\) SAMPLES"):
        alphacode.validate_parameters({**alphacode.load_profile("smoke"), "SAMPLES": 3})


@pytest.mark.unit
def test_alphacode_cli_refuses_bad_parameters_before_any_compute(tmp_path, capsys):
    results = tmp_path / "results"
    code = main(["run", "alphacode", "--profile", "smoke", "--set", "COMPARE=fuzzy", "--results-dir", str(results)])
    assert code == 2
    assert "COMPARE" in capsys.readouterr().err
    assert not results.exists()


# What papermill's -p passes: everything but numbers, True/False and None arrives as text.
TYPED_TEXT = [
    ("SEEDS", "[0, 1]", [0, 1]),
    ("CAPACITY_SCALES", "[1, 2]", [1, 2]),
    ("EPS_LIST", "[0.1, 3e-1]", [0.1, 0.3]),
    ("EPOCHS", "3", 3),
    ("LEARNING_RATE", "1e-3", 1e-3),
    ("COMPILE", "true", True),
    ("TRAIN_SUBSET", "null", None),
    ("TRAINING_MODES", '["natural"]', ["natural"]),
]


@pytest.mark.unit
@pytest.mark.parametrize("name,text,value", TYPED_TEXT)
def test_text_that_spells_the_declared_type_is_that_value(smoke_values, name, text, value):
    assert mnist.validate_parameters({**smoke_values, name: text})[name] == value


@pytest.mark.unit
def test_text_that_does_not_spell_the_type_is_refused_with_what_was_given(smoke_values):
    with pytest.raises(ParameterError, match=r"^SEEDS: got '\[0, 1'; expected a non-empty list of an integer"):
        mnist.validate_parameters({**smoke_values, "SEEDS": "[0, 1"})
    with pytest.raises(ParameterError, match=r"^CAPACITY_SCALES: got 3"):
        mnist.validate_parameters({**smoke_values, "CAPACITY_SCALES": "[3]"})
    # A declared string stays the text it is, even when it would read as YAML.
    assert mnist.validate_parameters({**smoke_values, "DEVICE": "cpu"})["DEVICE"] == "cpu"


@pytest.mark.unit
def test_a_name_beside_the_parameters_is_refused_with_the_known_ones(smoke_values):
    """What papermill's injected cell does with -p SEDS "[0]": a new global."""
    from gobig.core.params import collect

    namespace = {**smoke_values, "SEDS": "[0]", "glue": print, "records": []}
    with pytest.raises(
        ParameterError, match=r"unknown parameter\(s\) SEDS \(misspelled\?\); known parameters: CAPACITY_SCALES"
    ):
        collect(namespace, mnist.PARAMETERS)
    del namespace["SEDS"]
    assert collect(namespace, mnist.PARAMETERS) == {
        name: smoke_values[name] for name in mnist.PARAMETERS if name in smoke_values
    }


@pytest.mark.unit
def test_a_parameter_error_shows_as_one_line_in_a_notebook():
    """IPython renders an exception with _render_traceback_ instead of its stack."""
    error = ParameterError("SEEDS: got 'x'; expected a non-empty list of an integer")
    assert error._render_traceback_() == ["ParameterError: SEEDS: got 'x'; expected a non-empty list of an integer"]


def test_a_parameters_file_that_gives_a_name_twice_is_refused_with_the_line(tmp_path):
    from gobig.core.params import load_yaml

    path = tmp_path / "twice.yaml"
    path.write_text("EPOCHS: 1\nSEEDS: [0]\nEPOCHS: 2\n")
    with pytest.raises(ParameterError, match=r"EPOCHS is given twice \(line 3\)"):
        load_yaml(path)


def test_every_profile_gives_each_parameter_once():
    from gobig.core.params import PROFILES_DIR, load_yaml

    for path in sorted(PROFILES_DIR.glob("*.yaml")):
        load_yaml(path)  # raises on a repeated name


def test_a_parameter_a_profile_leaves_out_takes_its_specs_default(smoke_values):
    values = {k: v for k, v in smoke_values.items() if k not in ("LR_SCHEDULE", "DEVICE", "WORKERS")}
    params = mnist.validate_parameters(values)
    assert (params["LR_SCHEDULE"], params["DEVICE"], params["WORKERS"]) == ("cosine", "auto", 1)
    values.pop("EPOCHS")
    with pytest.raises(ParameterError, match="missing parameter"):
        mnist.validate_parameters(values)
