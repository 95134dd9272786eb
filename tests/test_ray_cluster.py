"""Chapter 1's sweep on a real Ray cluster: a head and a worker node on this
machine (tests/ray_cluster.py), one CPU each, token authentication on, each
node in a temporary folder of its own. The sweep connects through
RAY_ADDRESS, as a user's would; what a local Ray instance started by the
sweep itself cannot show (tasks that ask for more than a node has, a driver
without the cluster's token) is tried here."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from ray_cluster import TwoNodeCluster
from test_reliability import ONE_THREAD, alive, results_without_timing

pytestmark = pytest.mark.reliability

pytest.importorskip("ray", reason="ray is pinned in the test extra; `make test` installs it")


def smoke_sweep(results, *settings: str) -> list[str]:
    command = [sys.executable, "-m", "gobig", "run", "mnist", "--profile", "smoke", "--results-dir", str(results)]
    return command + [word for setting in settings for word in ("--set", setting)]


@pytest.fixture(scope="module")
def cluster():
    # Not under pytest's temporary folder: Ray's socket paths in a node's folder may have at most 107 bytes.
    folder = Path(tempfile.mkdtemp(prefix="gobig-ray-"))
    cluster = TwoNodeCluster(folder)
    try:
        yield cluster.start()
    finally:
        # Also when a test stopped it already (stop() then finds nothing), or start() failed half-way.
        survivors = cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)
        assert survivors == [], "Ray processes of the test's cluster outlived it"


@pytest.fixture(scope="module")
def in_process_smoke(tmp_path_factory):
    """The smoke sweep in this machine's one process, with one thread: the
    thread count of a task that asks for one CPU."""
    folder = tmp_path_factory.mktemp("in-process-smoke")
    subprocess.run(smoke_sweep(folder), check=True, capture_output=True, timeout=900, env={**os.environ, **ONE_THREAD})
    return folder


def test_the_smoke_sweep_on_a_two_node_cluster_gives_the_in_process_records(cluster, in_process_smoke, tmp_path):
    """Each task asks for one CPU, which each node has, and runs one thread:
    the same keys and, on one CPU model, the same bits as the in-process
    sweep with one thread. Both nodes compute."""
    folder = tmp_path / "results"
    completed = subprocess.run(
        smoke_sweep(folder, "EXECUTOR=ray", f"RAY_ADDRESS={cluster.address}"),
        capture_output=True,
        text=True,
        timeout=900,
        env=cluster.environment,
    )
    assert completed.returncode == 0, completed.stderr[-4000:]
    records = results_without_timing(folder)
    assert len(records) == 7 and records == results_without_timing(in_process_smoke)
    provenances = [json.loads(p.read_text())["provenance"] for p in (folder / "mnist").glob("*.json")]
    assert {p["threads_per_task"] for p in provenances} == {1}
    assert len({p["ray_node_id"] for p in provenances}) == 2, "one node computed every unit"


def test_a_task_no_node_can_run_stops_the_sweep_within_a_minute_with_one_line(cluster, tmp_path):
    """Two CPUs per task on nodes of one CPU each: an error naming the
    parameter, what was asked and what the nodes have, before any task is
    submitted (the tasks would otherwise wait forever)."""
    folder = tmp_path / "results"
    start = time.monotonic()
    completed = subprocess.run(
        smoke_sweep(folder, "EXECUTOR=ray", f"RAY_ADDRESS={cluster.address}", "RAY_CPUS_PER_TASK=2"),
        capture_output=True,
        text=True,
        timeout=120,
        env=cluster.environment,
    )
    seconds = time.monotonic() - start
    assert completed.returncode == 2, completed.stderr[-4000:]
    assert seconds < 60
    errors = [line for line in completed.stderr.splitlines() if line.startswith("error:")]
    assert errors == [completed.stderr.strip().splitlines()[-1]] and "Traceback" not in completed.stderr
    assert errors[0].startswith("error: RAY_CPUS_PER_TASK: each Ray task asks for 2 CPU")
    assert "2 live node(s): 1 CPU; 1 CPU" in errors[0]
    assert not list(folder.rglob("*.json"))


def test_a_driver_without_the_clusters_token_is_told_how_to_give_it(cluster, tmp_path):
    """The token is where the head found it (~/.ray/auth_token), but a driver
    given an address sends it only with RAY_AUTH_MODE=token."""
    environment = {name: value for name, value in cluster.environment.items() if name != "RAY_AUTH_MODE"}
    completed = subprocess.run(
        smoke_sweep(tmp_path / "results", "EXECUTOR=ray", f"RAY_ADDRESS={cluster.address}"),
        capture_output=True,
        text=True,
        timeout=300,
        env=environment,
    )
    assert completed.returncode == 2, completed.stderr[-4000:]
    last = completed.stderr.strip().splitlines()[-1]
    assert last.startswith(f"error: RAY_ADDRESS: the Ray cluster at {cluster.address} refused this process's token")
    assert "RAY_AUTH_MODE=token" in last and "Traceback" not in completed.stderr


def test_stopping_the_cluster_ends_exactly_the_processes_it_started(cluster):
    """Only the two sessions the nodes were started in are signalled (not
    `ray stop`, which would end every Ray instance on this machine); none
    of their processes is left, the task workers included."""
    started = cluster.processes()
    raylets = [pid for pid in started if Path(f"/proc/{pid}/comm").read_text().strip() == "raylet"]
    assert len(raylets) == 2, "the two nodes should be running"
    assert cluster.stop() == []
    assert not [pid for pid in started if Path(f"/proc/{pid}").exists() and alive(pid)]
