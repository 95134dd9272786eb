"""Faults injected on purpose: a sweep killed mid-run, two writers on one
results folder, damaged inputs. Each must end in complete, correct records
or a clear error naming the file, never a silent wrong number."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from gobig.data.mnist import MnistChecksumError, prepare_from_mirror
from gobig.studies import mnist

pytestmark = pytest.mark.reliability

#: A sweep of eight small CPU configs (two models x two modes x two seeds,
#: the seeds of a model trained as one stacked model), a few seconds each.
TINY = {
    **mnist.load_profile("smoke"),
    "SEEDS": [0, 1],
    "STACK_SEEDS": "always",  # the stacked path, though this is a CPU
    "CAPACITY_SCALES": [1],
    "MLP_WIDTHS": [16],
    "TRAIN_SUBSET": 1000,
    "ROBUST_EVAL_SUBSET": 100,
    "LIPSCHITZ_POINTS": 100,
    "BLOG_MODEL": False,
    "CROSSCHECK": False,
}
TIMING_FIELDS = {"train_time_s", "eval_time_s"}


def sweep_command(params_file, results):
    return [sys.executable, "-m", "gobig", "run", "mnist", "--params", str(params_file), "--results-dir", str(results)]


def results_without_timing(folder):
    """Each record's result, minus wall-clock fields (provenance is left out)."""
    records = {}
    for path in sorted((folder / "mnist").glob("*.json")):
        result = json.loads(path.read_text())["result"]
        result = {k: v for k, v in result.items() if k not in TIMING_FIELDS}
        result["history"] = [{k: v for k, v in row.items() if k != "train_time_s"} for row in result["history"]]
        records[path.name] = result
    return records


@pytest.fixture(scope="module")
def tiny_params(tmp_path_factory):
    path = tmp_path_factory.mktemp("params") / "tiny.yaml"
    path.write_text(yaml.safe_dump(TINY))
    return path


#: A pool of two workers splits its driver's two threads, one each; CPU float
#: sums depend on the thread count, so its bits are those of a one-thread run.
POOL_THREADS = {"OMP_NUM_THREADS": "2"}
ONE_THREAD = {"OMP_NUM_THREADS": "1"}


@pytest.fixture(scope="module")
def uninterrupted_one_thread(tmp_path_factory, tiny_params):
    folder = tmp_path_factory.mktemp("uninterrupted-one-thread")
    subprocess.run(
        sweep_command(tiny_params, folder),
        check=True,
        capture_output=True,
        timeout=600,
        env={**os.environ, **ONE_THREAD},
    )
    return folder


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory, tiny_params):
    folder = tmp_path_factory.mktemp("uninterrupted")
    subprocess.run(sweep_command(tiny_params, folder), check=True, capture_output=True, timeout=600)
    return folder


def test_sigkill_mid_sweep_then_resume_gives_the_uninterrupted_records(tmp_path, tiny_params, uninterrupted):
    folder = tmp_path / "results"
    process = subprocess.Popen(sweep_command(tiny_params, folder), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while not list((folder / "mnist").glob("*.json")) and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    finished = {p.name: p.stat().st_mtime_ns for p in (folder / "mnist").glob("*.json")}
    assert 1 <= len(finished) < 8, "the kill should land mid-sweep"
    for path in (folder / "mnist").glob("*.json"):
        json.loads(path.read_text())  # nothing half-written under a record's name

    subprocess.run(sweep_command(tiny_params, folder), check=True, capture_output=True, timeout=600)
    after = {p.name: p.stat().st_mtime_ns for p in (folder / "mnist").glob("*.json")}
    assert {name: after[name] for name in finished} == finished, "finished configs were recomputed"
    assert len(after) == 8
    # Same configs and seeds on CPU: bit-identical results to a run never interrupted.
    assert results_without_timing(folder) == results_without_timing(uninterrupted)


def test_two_concurrent_sweeps_into_one_folder_leave_valid_records(tmp_path, tiny_params, uninterrupted):
    folder = tmp_path / "results"
    processes = [
        subprocess.Popen(sweep_command(tiny_params, folder), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    for process in processes:
        assert process.wait(timeout=600) == 0, process.stderr.read().decode()[-2000:]
    assert results_without_timing(folder) == results_without_timing(uninterrupted)
    assert not [p for p in (folder / "mnist").iterdir() if p.suffix != ".json"], "temporary files left behind"


def child_pids(pid: int) -> set[int]:
    """The live children of ``pid`` (Linux /proc)."""
    children = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children |= {int(c) for c in (task / "children").read_text().split()}
        except OSError:
            pass
    return children


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has finished; only its parent has not reaped it


def test_a_pool_sweep_gives_the_one_process_records(tmp_path, tiny_params, uninterrupted_one_thread):
    """WORKERS=2: the units run in two spawned processes (one thread each),
    the driver writes the records: the same keys and bits as a one-process
    sweep with one thread."""
    folder = tmp_path / "results"
    command = sweep_command(tiny_params, folder) + ["--set", "WORKERS=2"]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=600, env={**os.environ, **POOL_THREADS})
    assert completed.returncode == 0, completed.stderr[-4000:]
    assert results_without_timing(folder) == results_without_timing(uninterrupted_one_thread)
    provenances = [json.loads(p.read_text())["provenance"] for p in (folder / "mnist").glob("*.json")]
    assert {(p["workers"], p["threads_per_worker"]) for p in provenances} == {(2, 1)}


def test_ctrl_c_stops_a_pool_sweep_keeps_its_records_and_leaves_no_worker(
    tmp_path, tiny_params, uninterrupted_one_thread
):
    """What gpu/session.sh does when a stage's time is up: SIGINT to the
    driver. Its workers are stopped with it (none computes on, unseen),
    finished records stay, and a rerun completes the sweep with the
    uninterrupted bits."""
    folder = tmp_path / "results"
    command = sweep_command(tiny_params, folder) + ["--set", "WORKERS=2"]
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ, **POOL_THREADS}
    )
    deadline = time.monotonic() + 300
    workers = set()
    while not list((folder / "mnist").glob("*.json")) and time.monotonic() < deadline:
        workers |= child_pids(process.pid)
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=60) != 0
    assert workers, "the sweep never started its pool"
    time.sleep(1)
    assert not [pid for pid in workers if alive(pid)], "a worker outlived its sweep"
    finished = {p.name: p.stat().st_mtime_ns for p in (folder / "mnist").glob("*.json")}
    assert 1 <= len(finished) < 8, "the interrupt should land mid-sweep"

    subprocess.run(command, check=True, capture_output=True, timeout=600, env={**os.environ, **POOL_THREADS})
    after = {p.name: p.stat().st_mtime_ns for p in (folder / "mnist").glob("*.json")}
    assert {name: after[name] for name in finished} == finished, "finished configs were recomputed"
    assert results_without_timing(folder) == results_without_timing(uninterrupted_one_thread)


def test_a_chapter_3_pool_sweep_pretrains_once_and_trains_what_one_process_does(tmp_path):
    """Chapter 3's splits in two worker processes that start together with
    an empty cache: one pre-trains, the other waits for its weights (both
    records carry the same pre-training, wall time included), and each split
    fine-tunes the model a one-process run fine-tunes: same losses at every
    logged step and after. Samples are not compared: which problems get
    sampled depends on which reference solutions ran within their time
    limit, and that depends on the machine's load."""
    params = Path(__file__).parent / "params" / "03_alphacode_split.yaml"

    def run(name: str, workers: int) -> list[dict]:
        folder = tmp_path / name
        command = [
            sys.executable,
            "-m",
            "gobig",
            "run",
            "alphacode",
            "--params",
            str(params),
            "--results-dir",
            str(folder),
            "--set",
            f"WORKERS={workers}",
        ]
        threads = POOL_THREADS if workers == 2 else ONE_THREAD
        environment = {**os.environ, **threads, "GOBIG_CACHE_DIR": str(tmp_path / f"cache-{name}")}
        completed = subprocess.run(command, capture_output=True, text=True, timeout=600, env=environment)
        assert completed.returncode == 0, completed.stderr[-4000:]
        return [json.loads(p.read_text()) for p in sorted((folder / "alphacode").glob("*.json"))]

    pooled, alone = run("pool", 2), run("alone", 1)
    assert pooled and [r["key"] for r in pooled] == [r["key"] for r in alone]
    assert {r["provenance"]["workers"] for r in pooled} == {2}
    # The smoke profile's splits also include ones without a model (twin-aware, date curve, ...).
    trained = [(mine, theirs) for mine, theirs in zip(pooled, alone) if mine["config"]["stage"] == "finetune"]
    assert len(trained) >= 2
    assert len({json.dumps(mine["result"]["pretrain"], sort_keys=True) for mine, _ in trained}) == 1, (
        "pre-trained twice"
    )
    for mine, theirs in zip(pooled, alone):
        assert mine["result"].get("split") == theirs["result"].get("split")
    for mine, theirs in trained:
        assert mine["result"]["history"] == theirs["result"]["history"]
        assert mine["result"]["valid_loss"] == theirs["result"]["valid_loss"]


def test_truncated_mnist_file_is_an_error_naming_it(tmp_path, mirror_copy):
    damaged = mirror_copy
    target = damaged / "t10k-images-idx3-ubyte.gz"
    target.write_bytes(target.read_bytes()[: target.stat().st_size // 2])
    with pytest.raises(MnistChecksumError, match="t10k-images-idx3-ubyte.gz: cannot be decompressed"):
        prepare_from_mirror(damaged, tmp_path / "cache")
    assert not list((tmp_path / "cache").rglob("*.partial"))


def test_mnist_file_that_is_not_gzip_is_an_error_naming_it(tmp_path, mirror_copy):
    damaged = mirror_copy
    (damaged / "train-labels-idx1-ubyte.gz").write_bytes(b"not a gzip file")
    with pytest.raises(MnistChecksumError, match="train-labels-idx1-ubyte.gz"):
        prepare_from_mirror(damaged, tmp_path / "cache")


def test_a_ray_sweep_gives_the_local_records(tmp_path, tiny_params, uninterrupted_one_thread):
    """The Ray executor on a local Ray instance (CPU): each task asks for one
    core and runs one thread, so the keys and results are those of the
    in-process sweep with one thread, apart from timing and provenance.
    HOME is a temporary folder: a new local Ray writes its token to
    ~/.ray/auth_token, which the user's own ~/.ray must not get from a test."""
    pytest.importorskip("ray", reason="ray is pinned in the test extra; `make test` installs it")
    folder = tmp_path / "results"
    command = sweep_command(tiny_params, folder) + ["--set", "EXECUTOR=ray"]
    environment = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", "HOME": str(tmp_path / "home")}
    completed = subprocess.run(command, capture_output=True, text=True, timeout=600, env=environment)
    assert completed.returncode == 0, completed.stderr[-4000:]
    assert results_without_timing(folder) == results_without_timing(uninterrupted_one_thread)
    provenances = [json.loads(p.read_text())["provenance"] for p in (folder / "mnist").glob("*.json")]
    assert {p["threads_per_task"] for p in provenances} == {1}
