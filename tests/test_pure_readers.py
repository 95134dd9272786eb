"""Chapter 1's page reads only the results folder it is given: a run against
a copy of the committed results opens no file of the checkout's results/,
and reads the same values from the copy."""

import shutil
import sys
from pathlib import Path

import pytest

from gobig.report import readings
from gobig.studies import mnist

pytestmark = pytest.mark.smoke

ROOT = Path(__file__).resolve().parents[1]
_opened: list[str] | None = None


def _audit(event, args):
    if _opened is not None and event == "open" and isinstance(args[0], (str, bytes, Path)):
        _opened.append(str(args[0]))


sys.addaudithook(_audit)  # an audit hook cannot be removed; it records only while _opened is a list


def _glued(results_dir) -> tuple[dict, list[str]]:
    global _opened
    params = mnist.validate_parameters(
        {**mnist.load_profile(mnist.DEFAULT_PROFILE), "COMPUTE_MISSING": False, "RESULTS_DIR": str(results_dir)}
    )
    _opened = []
    try:
        results = mnist.load_results(mnist.run(params, progress=False), params["RESULTS_DIR"])
        glued = readings.mnist_glued(results, params=params)
        opened = [str(Path(p).resolve()) for p in _opened]
    finally:
        _opened = None
    return glued, opened


def test_a_page_run_against_a_copied_results_folder_reads_only_that_folder(tmp_path):
    copy = tmp_path / "results"
    shutil.copytree(ROOT / "results" / "mnist", copy / "mnist")
    glued, opened = _glued(copy)
    checkout = str((ROOT / "results").resolve())
    assert not [p for p in opened if p.startswith(checkout + "/")], "read from the checkout's results/"
    assert any(p.startswith(str(copy.resolve())) and "/evaluations/" in p for p in opened)  # it read the re-attacks
    from_checkout, _ = _glued(ROOT / "results")
    assert {k: str(v) for k, v in glued.items()} == {k: str(v) for k, v in from_checkout.items()}
