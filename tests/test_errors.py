"""A user's mistake (a bad parameter, a damaged record, missing data, a
missing parameters file, an unwritable results folder) shows as the one line
that names the problem and the fix, with no stack: compared here as the user
sees it, on the command line and under papermill. ``GOBIG_DEBUG=1`` brings
the stack back."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _run(*args: str, env: dict | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if key not in ("GOBIG_DEBUG", "MPLBACKEND")}
    environment.update(env or {})
    return subprocess.run(
        list(args), cwd=cwd, env=environment, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=900
    )


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


@pytest.mark.unit
def test_a_missing_parameters_file_is_one_line():
    done = _run(sys.executable, "-m", "gobig", "run", "gpt3", "--params", "/nonexistent/params.yaml")
    assert done.returncode == 2
    assert _lines(done.stderr) == [
        "error: --params: /nonexistent/params.yaml does not exist; give a YAML file of NAME: value"
    ]


@pytest.mark.unit
def test_a_bad_parameter_on_the_command_line_is_one_line():
    done = _run(sys.executable, "-m", "gobig", "run", "mnist", "--profile", "smoke", "--set", "SEEDS=[-1]")
    assert done.returncode == 2
    assert _lines(done.stderr) == ["error: SEEDS: got -1; expected a non-empty list of an integer >= 0"]


@pytest.mark.unit
def test_missing_data_is_one_line_and_debug_shows_the_stack(tmp_path):
    args = (sys.executable, "-m", "gobig", "run", "mnist", "--profile", "smoke")
    args += ("--results-dir", str(tmp_path / "results"), "--data-dir", str(tmp_path / "no-data"))
    done = _run(*args)
    assert done.returncode == 2
    (line,) = _lines(done.stderr)
    assert line.startswith("error: ") and "Traceback" not in done.stderr and str(tmp_path / "no-data") in line
    debug = _run(*args, env={"GOBIG_DEBUG": "1"})
    assert "Traceback (most recent call last)" in debug.stderr and "MnistDataMissing" in debug.stderr


@pytest.mark.unit
def test_an_unwritable_results_folder_is_found_before_any_compute(tmp_path):
    # A file where the folder should be: unwritable for root too (a read-only mode is not).
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    done = _run(
        sys.executable, "-m", "gobig", "run", "mnist", "--profile", "smoke", "--results-dir", str(blocker / "results")
    )
    assert done.returncode == 2
    (line,) = _lines(done.stderr)
    assert line.startswith(f"error: RESULTS_DIR: cannot write records to {blocker}")
    assert "GOBIG_RESULTS_DIR" in line


@pytest.mark.unit
def test_a_damaged_record_stops_the_book_build_in_one_line(tmp_path):
    results = tmp_path / "results"
    shutil.copytree(ROOT / "results", results)
    record = sorted((results / "gpt3").glob("*.json"))[0]
    record.write_text(record.read_text()[:100])  # truncated, as by a full disk
    done = _run(sys.executable, "-m", "gobig", "check", "--results-dir", str(results))
    assert done.returncode == 2
    (line,) = _lines(done.stderr)
    assert line.startswith(f"error: {record}: not valid JSON (")
    assert line.endswith("restore it (git checkout -- <file>) or delete it to recompute")
    assert _run(sys.executable, "-m", "gobig", "check").returncode == 0  # the committed records are whole
    assert "gobig check" in (ROOT / "Makefile").read_text()  # make book runs it first


@pytest.mark.smoke
def test_a_bad_parameter_under_papermill_is_one_line(tmp_path):
    done = _run(
        sys.executable,
        "-m",
        "papermill",
        "chapters/02_gpt3_extrapolation.ipynb",
        str(tmp_path / "out.ipynb"),
        "-p",
        "TARGET_ACCURACY",
        "900",
        "--no-progress-bar",
        env={"GOBIG_RESULTS_DIR": str(tmp_path / "results")},
    )
    assert done.returncode == 1
    papermill_says = ("Input Notebook", "Output Notebook", "Executing notebook with kernel")
    errors = [line for line in _lines(done.stderr) if not line.startswith(papermill_says)]
    assert "Traceback" not in done.stderr
    assert errors == [
        "error: ParameterError: TARGET_ACCURACY: got 900; expected a number > 0 and <= 100 (GOBIG_DEBUG=1 shows the stack)"
    ]


@pytest.mark.unit
def test_a_record_of_an_older_version_is_named_by_the_check(tmp_path):
    """A results folder keeps one version of a study's records: one left from before a version bump
    (never read, since no config of the new version hashes to it) is named, with what to do."""
    import json

    from gobig.core.store import config_key
    from gobig.report.records_check import check_results

    results = tmp_path / "results"
    shutil.copytree(ROOT / "results" / "gpt3", results / "gpt3")
    config = {"old": True}
    key = config_key("gpt3", 1, config)
    (results / "gpt3" / f"{key}.json").write_text(
        json.dumps({"key": key, "study": "gpt3", "version": 1, "config": config, "result": {}})
    )
    problems = [p for p in check_results(results) if p.startswith(str(results / "gpt3"))]
    assert problems == [f"{results / 'gpt3' / key}.json: a record of gpt3 version 1, not 3; migrate it or delete it"]
