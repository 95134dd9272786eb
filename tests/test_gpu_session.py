"""gpu/session.sh, dry-run on this CPU: the plumbing a GPU session depends
on, checked where CI can see it. GPU time is rare and short, so a session
must not be the first to find that its records cannot come back."""

import json
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from gobig.core import paths
from gobig.studies import mnist

pytestmark = pytest.mark.smoke


def test_a_dry_run_returns_every_record_in_one_archive_and_one_log(tmp_path):
    # A copy of what the call carries, so the records land in the copy, not in this checkout.
    tree = tmp_path / "tree"
    for part in ("gpu", "lib"):
        shutil.copytree(paths.ROOT / part, tree / part, ignore=shutil.ignore_patterns("__pycache__"))
    (tree / "results").mkdir()
    (tree / "benchmarks" / "results").mkdir(parents=True)
    out = tmp_path / "out"
    environment = {
        **{k: v for k, v in os.environ.items() if k not in ("GOBIG_RESULTS_DIR", "GOBIG_BENCHMARK_RESULTS_DIR")},
        "OUT": str(out),
        "GOBIG_SESSION_DEVICE": "cpu",
        "GOBIG_SESSION_PROFILE": "smoke",
        "GOBIG_SESSION_WORKERS": "2",
        "GOBIG_DATA_DIR": str(paths.data_dir()),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",  # python3 is this interpreter
    }
    completed = subprocess.run(
        ["bash", "gpu/session.sh", "500", "mnist"],
        cwd=tree,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]

    # The device tool returns at most 8 files a call: these two, however many records.
    assert sorted(p.name for p in out.iterdir()) == ["records.tgz", "session.log"]
    log = (out / "session.log").read_text()
    assert "== mnist-smoke: exit 0" in log and "== total" in log, log[-3000:]
    with tarfile.open(out / "records.tgz") as archive:
        names = sorted(archive.getnames())
        records = [json.load(archive.extractfile(name)) for name in names]
    configs = mnist.expand_configs(mnist.validate_parameters(mnist.load_profile("smoke")))
    assert len(names) == len(configs) and all(name.startswith("results/mnist/") for name in names)
    assert sorted(name for name in names) == sorted(
        p.relative_to(tree).as_posix() for p in (tree / "results" / "mnist").glob("*.json")
    )
    assert {record["provenance"]["workers"] for record in records} == {2}
    assert {record["provenance"]["device"] for record in records} == {"cpu"}


def test_a_bad_stage_name_stops_the_session_before_anything_runs(tmp_path):
    completed = subprocess.run(
        ["bash", str(paths.ROOT / "gpu" / "session.sh"), "60", "test benchmarks"],
        env={**os.environ, "OUT": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 2
    assert "unknown stage 'benchmarks' (allowed: test bench mnist alphacode)" in completed.stderr
    assert not list(tmp_path.iterdir()), "nothing may run, or be written, before the stages are checked"


def test_by_default_a_session_runs_the_chapters_before_the_benchmarks(tmp_path):
    """Device time is rare: each call should spend its budget on the book's
    records first. With a budget too small for any step, every step is
    skipped, in the order a real call would run them."""
    environment = {
        **os.environ,
        "OUT": str(tmp_path),
        "GOBIG_SESSION_DEVICE": "cpu",
        "GOBIG_SESSION_PROFILE": "smoke",
        "GOBIG_SESSION_WORKERS": "1",
    }
    completed = subprocess.run(
        ["bash", str(paths.ROOT / "gpu" / "session.sh"), "5"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    skipped = [
        line.split()[1].rstrip(":")
        for line in (tmp_path / "session.log").read_text().splitlines()
        if line.startswith("== ") and "skipped" in line
    ]
    assert skipped[:3] == ["gpu-tests", "mnist-smoke", "alphacode-smoke"], skipped
    assert skipped[3:] and all(name.startswith("bench-") for name in skipped[3:]), skipped
