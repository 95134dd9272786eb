"""The code is linted and formatted by ruff ([tool.ruff] in pyproject.toml):
every Python file of the library, the tests, the benchmarks and the GPU
scripts, nothing excluded."""

import subprocess
import sys

import pytest

from gobig.core import paths

pytestmark = pytest.mark.unit

#: Everything Python in the repository that is ours.
TARGETS = ["lib", "tests", "benchmarks", "gpu"]


def ruff(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ruff", *arguments, *TARGETS],
        cwd=paths.ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_ruff_check_passes():
    result = ruff("check", "--no-cache", "--output-format", "concise")
    assert result.returncode == 0, (
        f"ruff check found problems (`ruff check --fix` fixes some):\n{(result.stdout + result.stderr)[-6000:]}"
    )


def test_ruff_format_leaves_every_file_as_it_is():
    result = ruff("format", "--check", "--no-cache")
    assert result.returncode == 0, (
        f"files ruff would reformat (run `ruff format {' '.join(TARGETS)}`):\n{(result.stdout + result.stderr)[-6000:]}"
    )


def test_the_check_can_fail(tmp_path):
    """A file with an unused import and bad formatting fails both checks
    under the project's configuration (so the tests above can fail)."""
    bad = tmp_path / "bad.py"
    bad.write_text("import os\nx=1\n")
    config = str(paths.ROOT / "pyproject.toml")
    check = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "--config", config, str(bad)],
        capture_output=True,
        text=True,
    )
    form = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--check", "--no-cache", "--config", config, str(bad)],
        capture_output=True,
        text=True,
    )
    assert check.returncode == 1 and "F401" in check.stdout
    assert form.returncode == 1
