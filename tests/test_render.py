"""A rerun as a page: `python -m gobig render` resolves a papermill output's
glued sentences with the book's theme, executing nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from notebook_runs import glued_values

pytestmark = pytest.mark.smoke

ROOT = Path(__file__).resolve().parents[1]


def test_a_papermill_rerun_renders_as_a_page_with_its_numbers(tmp_path):
    environment = {key: value for key, value in os.environ.items() if key != "MPLBACKEND"}
    environment["GOBIG_RESULTS_DIR"] = str(tmp_path / "results")
    rerun = tmp_path / "out.ipynb"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "papermill",
            "chapters/02_gpt3_extrapolation.ipynb",
            str(rerun),
            "-p",
            "TARGET_ACCURACY",
            "90",
        ],
        cwd=ROOT,
        env=environment,
        check=True,
        capture_output=True,
        stdin=subprocess.DEVNULL,
        timeout=600,
    )
    raw = json.loads(rerun.read_text())
    prose = "".join("".join(cell["source"]) for cell in raw["cells"] if cell["cell_type"] == "markdown")
    assert "{glue:text}" in prose  # what Jupyter shows a rerunner
    completed = subprocess.run(
        [sys.executable, "-m", "gobig", "render", str(rerun), "--output", str(tmp_path / "page")],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=600,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    page = (tmp_path / "page" / "out.html").read_text()
    assert "{glue:text}" not in page and "glue:text" not in page
    assert 'class="bd-' in page or "sphinx-book-theme" in page  # the book's theme
    device = glued_values(raw)["device"].strip("'")
    assert device in page
    # Citations resolve to the bibliography (a lone page used to show each as "[]").
    assert "[]" not in page
    assert "Brown <em>et al.</em>" in page  # in the text, author-year
    assert "Language models are few-shot learners" in page  # its entry in the page's bibliography


def test_render_refuses_what_is_not_a_notebook(tmp_path):
    from gobig.report.render import render

    with pytest.raises(ValueError, match="is not a notebook file"):
        render(tmp_path / "missing.ipynb")
