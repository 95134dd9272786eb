"""Helpers for the tiers that execute chapters with papermill."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def run_chapter(chapter: Path, params: Path, output: Path, results: Path) -> dict:
    """Execute ``chapter`` with the parameters file and a results folder;
    return its glued values."""
    command = [
        sys.executable,
        "-m",
        "papermill",
        str(chapter),
        str(output),
        "-f",
        str(params),
        "-p",
        "RESULTS_DIR",
        str(results),
        "--cwd",
        str(chapter.parent),
    ]
    # Kernels keep their inline backend only when MPLBACKEND is unset.
    environment = {key: value for key, value in os.environ.items() if key != "MPLBACKEND"}
    completed = subprocess.run(command, capture_output=True, text=True, env=environment, timeout=900)
    assert completed.returncode == 0, completed.stderr[-4000:]
    return glued_values(json.loads(output.read_text()))


def glued_values(notebook: dict) -> dict:
    """Values glued with myst_nb.glue, by name (their text/plain repr; glue
    stores it under a papermill-record mime type when display=False)."""
    values = {}
    for cell in notebook["cells"]:
        for output in cell.get("outputs", []):
            name = output.get("metadata", {}).get("scrapbook", {}).get("name")
            if name:
                values[name] = next(text for mime, text in output["data"].items() if mime.endswith("text/plain"))
    return values
