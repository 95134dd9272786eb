"""A book that never goes stale: `make book` re-executes the pages when the
records they read changed, and stays incremental when nothing did.

Sphinx re-reads a page only when its own text changed, so before the
Makefile hashed the pages' inputs a second `make book` kept showing numbers
from records that had since changed. This builds the book with the README's
command into a temporary folder, from a private copy of the records
(GOBIG_RESULTS_DIR), edits one record, builds again and looks for the edit in
the HTML, then builds a third time with nothing changed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.book

ROOT = Path(__file__).resolve().parents[1]
FRESH = "every page is re-executed"


def make_book(output: Path, results: Path) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if key != "MPLBACKEND"}
    environment["GOBIG_RESULTS_DIR"] = str(results)
    completed = subprocess.run(
        ["make", "-C", str(ROOT), "book", f"BOOK_OUT={output}"],
        env=environment,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=3600,
    )
    assert completed.returncode == 0, f"make book failed:\n{completed.stdout[-8000:]}\n{completed.stderr[-8000:]}"
    return completed


def test_a_changed_record_reaches_the_next_make_book(tmp_path):
    results, output = tmp_path / "results", tmp_path / "book"
    shutil.copytree(ROOT / "results", results)
    first = make_book(output, results)
    assert FRESH in first.stdout  # no build yet
    chapter = output / "_build" / "html" / "chapters" / "02_gpt3_extrapolation.html"
    ledger = output / "_build" / "html" / "ledger.html"
    marker = "edited-device-for-the-rebuild-test"
    assert marker not in chapter.read_text()

    records = sorted((results / "gpt3").glob("*.json"))
    assert records, "chapter 2 has no committed record"
    for path in records:
        record = json.loads(path.read_text())
        record["provenance"]["device_name"] = marker
        path.write_text(json.dumps(record, indent=1))
    second = make_book(output, results)
    assert FRESH in second.stdout
    assert marker in chapter.read_text(), "chapter 2 still shows the old record after make book"
    assert marker in ledger.read_text(), "the ledger still shows the old record after make book"

    third = make_book(output, results)
    assert (
        FRESH not in third.stdout and "Executing notebook" not in third.stdout + third.stderr
    )  # nothing changed: incremental
