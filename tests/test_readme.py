"""Every papermill command the README shows runs as written.

The README's rerun examples are what a new user types first, so each one is
run here, from the repository root as the README says, against a private
copy of the committed records (GOBIG_RESULTS_DIR) and with
``COMPUTE_MISSING False``: nothing trains. A command whose configs are all
committed must run to the end; one that asks for configs the book does not
commit must get as far as the result store, i.e. its parameters were all
accepted, and stop with the store's "no record" message, not a parameter
error.
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

pytestmark = pytest.mark.smoke

ROOT = Path(__file__).resolve().parents[1]
PAPERMILL = ".venv/bin/papermill"


def readme_papermill_commands() -> list[str]:
    """The papermill command lines of the README's shell blocks, comments dropped."""
    blocks = re.findall(r"```bash\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.S)
    lines = [line.split("   #")[0].strip() for block in blocks for line in block.splitlines()]
    return [line for line in lines if line.startswith(PAPERMILL)]


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


@pytest.mark.parametrize("command", readme_papermill_commands(), ids=lambda command: " ".join(shlex.split(command)[1:]))
def test_a_readme_papermill_command_runs_as_written(command, results_copy, tmp_path):
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
    if completed.returncode != 0:
        assert "COMPUTE_MISSING is False" in output, output[-4000:]


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
