"""Notebook tier: nbval re-executes each chapter against the committed
results and compares every stored output (figures' images excepted)."""

import os
import subprocess
import sys

import pytest

from gobig.core import paths

pytestmark = pytest.mark.notebooks

CHAPTERS = sorted((paths.ROOT / "chapters").glob("*.ipynb")) + [
    paths.ROOT / "intro.ipynb",
    paths.ROOT / "ledger.ipynb",
    paths.ROOT / "reliability.ipynb",
    paths.ROOT / "performance.ipynb",
]


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.name)
def test_stored_outputs_match_a_fresh_run(chapter):
    environment = {key: value for key, value in os.environ.items() if key != "MPLBACKEND"}
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--nbval",
            str(chapter),
            "-p",
            "no:cacheprovider",
            "-q",
            "--nbval-current-env",
        ],
        capture_output=True,
        text=True,
        env=environment,
        cwd=chapter.parent,
        timeout=900,
    )
    assert completed.returncode == 0, completed.stdout[-6000:]
