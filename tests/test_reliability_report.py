"""The reliability page's record is current: it lists exactly the tests the
suite has now, and every one of them passed."""

import subprocess
import sys

import pytest

from gobig.core import paths
from gobig.report import reliability

pytestmark = pytest.mark.unit


def test_committed_report_covers_the_current_suite_and_all_passed():
    report = reliability.load_report()
    collected = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *reliability.SUITE],
        cwd=paths.ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    current = {line.split("::", 1)[1] for line in collected.splitlines() if "::" in line}
    recorded = {test["test"] for test in report["tests"]}
    assert recorded == current, "run `python -m gobig reliability-report` and commit results/reliability/report.json"
    assert {test["outcome"] for test in report["tests"]} == {"passed"}
    assert report["provenance"]["device_name"]
