"""Every papermill command the README shows runs as written.

The README's rerun examples are what a new user types first, so each one is
run here, from the repository root as the README says, against a private
copy of the committed records (GOBIG_RESULTS_DIR) and with
``COMPUTE_MISSING False``: nothing trains. A command whose configs are all
committed must run to the end. One that asks for something the committed
records do not hold says so in its README comment (``# computes: ...``); it
must get as far as the result store, i.e. its parameters were all accepted,
and stop with the store's "no record" message, not a parameter error.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.smoke

ROOT = Path(__file__).resolve().parents[1]
PAPERMILL = ".venv/bin/papermill"


def readme_examples() -> list[tuple[str, str]]:
    """The papermill command lines of the README's shell blocks, each with its comment ("" when none)."""
    blocks = re.findall(r"```bash\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.S)
    lines = [line.partition("   #") for block in blocks for line in block.splitlines()]
    return [(command.strip(), comment.strip()) for command, _, comment in lines if command.startswith(PAPERMILL)]


def readme_papermill_commands() -> list[str]:
    return [command for command, _ in readme_examples()]


def test_the_readme_shows_papermill_examples_of_every_chapter():
    commands = readme_papermill_commands()
    for chapter in sorted((ROOT / "chapters").glob("*.ipynb")):
        assert any(f"chapters/{chapter.name}" in command for command in commands), (
            f"no README example reruns {chapter.name}"
        )


@pytest.fixture(scope="module")
def results_copy(tmp_path_factory) -> Path:
    copy = tmp_path_factory.mktemp("readme") / "results"
    shutil.copytree(ROOT / "results", copy)
    return copy


@pytest.mark.parametrize(
    "command,comment", readme_examples(), ids=[" ".join(shlex.split(c)[1:]) for c, _ in readme_examples()]
)
def test_a_readme_papermill_command_runs_as_written(command, comment, results_copy, tmp_path):
    words = shlex.split(command)
    arguments = [str(tmp_path / "out.ipynb") if word == "out.ipynb" else word for word in words[1:]]
    if "--help-notebook" not in arguments:
        notebook = next(word for word in arguments if word.endswith(".ipynb"))  # after options like --log-output
        arguments += ["-p", "COMPUTE_MISSING", "False"] if "COMPUTE_MISSING" in _parameters(notebook) else []
    environment = {key: value for key, value in os.environ.items() if key != "MPLBACKEND"}
    environment["GOBIG_RESULTS_DIR"] = str(results_copy)
    completed = subprocess.run(
        [sys.executable, "-m", "papermill", *arguments],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=900,
        stdin=subprocess.DEVNULL,
    )
    output = completed.stdout + completed.stderr
    assert "ParameterError" not in output, output[-4000:]
    assert "Passed unknown parameter" not in output, output[-4000:]
    assert "Kernel is running over TCP without encryption" not in output  # etc/ipython/ipython_kernel_config.py
    if not comment.startswith("computes"):
        assert completed.returncode == 0, f"the README says nothing of computing, yet:\n{output[-4000:]}"
    elif completed.returncode != 0:
        assert "COMPUTE_MISSING is False" in output, output[-4000:]


def test_the_chapter_1_example_that_computes_trains_and_evaluates_nothing_again():
    """The example whose largest scale is 2 asks for scale 2's cross-check: its
    record exists without one, and the model's committed weights let the
    cross-check run alone (``extendable``), so nothing trains."""
    from gobig.core.store import ResultStore
    from gobig.studies import mnist
    from gobig.studies.mnist.compute import Computer, Machine

    (command,) = [c for c, comment in readme_examples() if "01_mnist" in c and "cross-check" in comment]
    words = shlex.split(command)
    values = dict(mnist.load_profile(mnist.DEFAULT_PROFILE))
    for index, word in enumerate(words):
        if word == "-p":
            values[words[index + 1]] = words[index + 2]
    params = mnist.validate_parameters({**values, "RESULTS_DIR": str(ROOT / "results")})
    store = ResultStore(mnist.STUDY, mnist.VERSION, ROOT / "results")
    missing = [config for config in mnist.expand_configs(params) if not store.exists(config)]
    assert [(c["size"], c["seed"], c["extras"]) for c in missing] == [(2, 0, ["checkpoint", "crosscheck"])]
    computer = Computer(Machine.from_params(params))
    assert computer.extendable(missing) is not None


def test_the_chapter_3_example_that_computes_samples_and_loads_the_rest():
    """The example with more samples per problem misses one record, random
    split 0's sampling: the baselines, the date curve and the fine-tuning's
    record load from the committed ones."""
    from gobig.core.store import ResultStore
    from gobig.studies import alphacode

    (command,) = [c for c, comment in readme_examples() if "03_alphacode" in c and comment.startswith("computes")]
    words = shlex.split(command)
    values = dict(alphacode.load_profile(alphacode.DEFAULT_PROFILE))
    for index, word in enumerate(words):
        if word == "-p":
            values[words[index + 1]] = yaml.safe_load(words[index + 2])
    params = alphacode.validate_parameters({**values, "RESULTS_DIR": str(ROOT / "results")})
    store = ResultStore(alphacode.STUDY, alphacode.VERSION, ROOT / "results")
    missing = [config for config in alphacode.expand_configs(params) if not store.exists(config)]
    assert [(c["stage"], c["split"], c["seed"]) for c in missing] == [("sample", "random", 0)]


def _parameters(notebook: str) -> str:
    """The text of a notebook's parameters cell (papermill's own reader)."""
    import nbformat

    cells = nbformat.read(ROOT / notebook, as_version=4).cells
    return "".join(cell.source for cell in cells if "parameters" in cell.metadata.get("tags", []))


@pytest.mark.parametrize(
    "arguments,message",
    [
        (
            ["-p", "TARGET_ACURACY", "90"],
            "unknown parameter(s) TARGET_ACURACY (misspelled?); known parameters: TOKEN_COUNTS",
        ),
        (["-p", "MODEL_SIZES", "[]"], "MODEL_SIZES: the list is empty"),
    ],
    ids=["misspelled name", "bad value"],
)
def test_a_mistyped_rerun_stops_with_a_short_message(arguments, message, tmp_path):
    """A misspelled name is not ignored, and a bad value is one line naming the
    parameter, not a traceback through the library."""
    environment = {key: value for key, value in os.environ.items() if key != "MPLBACKEND"}
    environment["GOBIG_RESULTS_DIR"] = str(tmp_path / "results")
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "papermill",
            "chapters/02_gpt3_extrapolation.ipynb",
            str(tmp_path / "out.ipynb"),
            *arguments,
        ],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
        stdin=subprocess.DEVNULL,
    )
    output = completed.stdout + completed.stderr
    assert completed.returncode != 0
    assert f"ParameterError: {message}" in output, output[-3000:]
    # papermill's own CLI prints its stack; what the notebook shows of the error is one line.
    shown = output.split("Exception encountered at", 1)[-1]
    assert "params.py" not in output and 'File "' not in shown, output[-3000:]
    assert not (tmp_path / "results").exists()  # stopped before any compute
