"""The fault-injection and bad-input tests, run and recorded as data for the
book's reliability page.

``run_suite()`` runs pytest on the files below with a JUnit report and turns
it into one JSON record (every test's id, outcome and time, plus
provenance); the page loads the committed record, and a unit test checks
that it lists exactly the tests the suite has now, all passed.

A checkout tool: it runs ``tests/`` and writes ``results/`` of the
repository it lives in (``paths.ROOT``), so it works from a clone, not from
an installed wheel (as ``gobig.report.promote`` and the scripts in ``benchmarks/``).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pandas as pd
import torch

from gobig.core import paths
from gobig.core.runtime import provenance
from gobig.core.store import write_json

#: What each file injects: the page's groups.
SUITE = {
    "tests/test_reliability.py": "faults: a sweep killed with SIGKILL, two concurrent sweeps, damaged MNIST files, a sweep on a local Ray instance, sweeps of worker processes (chapters 1 and 3), one stopped with Ctrl-C",
    "tests/test_ray_cluster.py": "a two-node Ray cluster on this machine (one CPU each, token authentication): chapter 1's smoke sweep gives the in-process records; a task no node can run and a driver without the token stop with one line; the nodes' processes all end",
    "tests/test_params.py": "bad parameters: wrong types, out-of-range values, unknown names, empty lists, per chapter",
    "tests/test_resume_training.py": "a chapter 1 run stopped during its evaluation: resumed from the trained weights it kept, not retrained, to the uninterrupted record; one stopped mid-training: resumed from its last epoch's snapshot, to the same record",
    "tests/test_store.py": "results store: crash mid-sweep, failed writes, truncated and mismatched records, a unit another sweep is computing (waited for, not computed twice)",
    "tests/test_codecontests.py": "damaged chapter 3 inputs: malformed CodeContests records, truncated and altered files, a bad corpus record",
    "tests/test_sandbox.py": "hostile programs in the sandbox: infinite loop, fork bomb, memory bomb, huge output, writes and deletes outside its directory, reads of the problems file, the checkout, the home and cache folders, network, environment, escaping children, stdin closed early",
}


def report_path() -> Path:
    return paths.results_dir() / "reliability" / "report.json"


def run_suite(output: Path | None = None) -> dict:
    """Run the suite (its tests take about half an hour on 2 CPU cores shared with other jobs) and write its record."""
    output = output or report_path()
    with tempfile.TemporaryDirectory() as folder:
        junit = Path(folder) / "junit.xml"
        subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={junit}", *SUITE],
            cwd=paths.ROOT,
            check=False,
            stdout=subprocess.DEVNULL,
        )
        tests = _parse_junit(junit)
    from gobig.methods.code.sandbox import isolation_available

    # The hostile-program tests are only as strong as the isolation they ran under.
    record = {
        "suite": SUITE,
        "tests": tests,
        "sandbox_isolation": isolation_available(),
        "provenance": provenance(torch.device("cpu")),
    }
    output.parent.mkdir(parents=True, exist_ok=True)
    write_json(output, record)
    return record


def _parse_junit(path: Path) -> list[dict]:
    tests = []
    for case in ElementTree.parse(path).getroot().iter("testcase"):
        outcome = "passed"
        for child, name in (("failure", "failed"), ("error", "error"), ("skipped", "skipped")):
            if case.find(child) is not None:
                outcome = name
        module = case.get("classname", "").replace(".", "/") + ".py"
        tests.append(
            {
                "file": module,
                "test": case.get("name"),
                "outcome": outcome,
                "time_s": round(float(case.get("time", 0)), 3),
            }
        )
    return tests


def load_report(path: Path | None = None) -> dict:
    return json.loads((path or report_path()).read_text())


def summary_frame(report: dict) -> pd.DataFrame:
    """One row per file: what it injects, tests run, and their outcomes."""
    tests = pd.DataFrame(report["tests"])
    counts = tests.pivot_table(index="file", columns="outcome", values="test", aggfunc="count", fill_value=0)
    rows = []
    for file, what in report["suite"].items():
        row = counts.loc[file] if file in counts.index else pd.Series(dtype=int)
        rows.append(
            {
                "file": file,
                "what is injected": what,
                "tests": int(row.sum()),
                **{o: int(row.get(o, 0)) for o in ("passed", "failed", "error", "skipped")},
            }
        )
    return pd.DataFrame(rows)
