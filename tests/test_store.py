"""The results store: keys, atomic writes, load-or-compute and resume."""

import functools
import json
from pathlib import Path

import pytest

from gobig.core.store import CorruptRecordError, MissingRecordsError, ResultStore, config_key
from gobig.core.sweep import run_sweep

pytestmark = pytest.mark.unit


def compute(config):
    return {"square": config["x"] ** 2}, {"device": "cpu", "device_name": "test"}


def test_key_depends_on_config_study_and_version():
    config = {"x": 1, "nested": {"a": [1, 2]}}
    assert config_key("s", 1, config) == config_key("s", 1, {"nested": {"a": [1, 2]}, "x": 1})
    assert config_key("s", 1, config) != config_key("s", 2, config)
    assert config_key("s", 1, config) != config_key("t", 1, config)
    assert config_key("s", 1, config) != config_key("s", 1, {**config, "x": 2})


def test_round_trip_and_provenance(tmp_path):
    store = ResultStore("demo", 1, tmp_path)
    record = store.load_or_compute({"x": 3}, compute)
    assert record["result"] == {"square": 9}
    assert record["provenance"]["device_name"] == "test" and record["provenance"]["wall_time_s"] >= 0
    assert store.load({"x": 3}) == record
    assert json.loads(store.path({"x": 3}).read_text())["key"] == store.key({"x": 3})


def test_resume_after_a_crash_reuses_finished_configs(tmp_path):
    store = ResultStore("demo", 1, tmp_path)
    calls = []

    def crashing(config):
        calls.append(config["x"])
        if config["x"] == 3:
            raise KeyboardInterrupt  # the process dies mid-sweep
        return compute(config)

    configs = [{"x": x} for x in range(5)]
    with pytest.raises(KeyboardInterrupt):
        run_sweep(configs, crashing, store, progress=False)
    assert calls == [0, 1, 2, 3]
    assert sorted(p.name for p in store.folder.iterdir()) == sorted(
        f"{store.key(c)}.json" for c in configs[:3]
    )  # no partial file

    calls.clear()

    def recording(config):
        calls.append(config["x"])
        return compute(config)

    records = run_sweep(configs, recording, store, progress=False)
    assert calls == [3, 4]  # only the missing configs were computed
    assert [r["result"]["square"] for r in records] == [0, 1, 4, 9, 16]


def test_compute_missing_false_lists_what_is_missing(tmp_path):
    store = ResultStore("demo", 1, tmp_path)
    store.load_or_compute({"x": 1}, compute)
    with pytest.raises(FileNotFoundError, match=r"1 of 2 configs have no record") as error:
        run_sweep([{"x": 1}, {"x": 2}], compute, store, compute_missing=False, progress=False)
    assert store.key({"x": 2}) in str(error.value)


def test_truncated_record_is_an_error_naming_the_file(tmp_path):
    store = ResultStore("demo", 1, tmp_path)
    store.load_or_compute({"x": 1}, compute)
    path = store.path({"x": 1})
    path.write_text(path.read_text()[:20])
    with pytest.raises(CorruptRecordError, match=str(path)):
        store.load_or_compute({"x": 1}, compute)


def test_record_for_another_config_is_refused(tmp_path):
    store = ResultStore("demo", 1, tmp_path)
    store.load_or_compute({"x": 1}, compute)
    store.path({"x": 1}).rename(store.path({"x": 2}))
    with pytest.raises(CorruptRecordError, match="does not match"):
        store.load({"x": 2})


def test_failed_write_leaves_no_file(tmp_path, monkeypatch):
    store = ResultStore("demo", 1, tmp_path)

    def broken_dump(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(json, "dump", broken_dump)
    with pytest.raises(OSError, match="disk full"):
        store.load_or_compute({"x": 1}, compute)
    assert list(store.folder.iterdir()) == []


def test_configs_computed_together_are_one_unit_with_their_own_records(tmp_path):
    store = ResultStore("demo", 1, tmp_path)
    units = []

    def together_compute(configs):
        units.append([c["x"] for c in configs])
        return [compute(c) for c in configs]

    configs = [{"x": x, "group": min(x, 2)} for x in range(5)]  # groups {0}, {1}, {2, 3, 4}
    store.save(configs[0], *compute(configs[0]), 0.0)  # a finished group is not recomputed
    store.save(configs[2], *compute(configs[2]), 0.0)  # a partial one is, whole, for the same bits
    before = store.path(configs[2]).read_text()
    records = run_sweep(
        configs, compute, store, progress=False, together=lambda c: c["group"], compute_together=together_compute
    )
    assert units == [[1], [2, 3, 4]]
    assert [r["result"]["square"] for r in records] == [0, 1, 4, 9, 16]
    assert store.path(configs[2]).read_text() == before  # an existing record is never rewritten
    assert [r["provenance"].get("computed_together") for r in records] == [None, None, None, 3, 3]
    with pytest.raises(ValueError, match="both together and compute_together"):
        run_sweep(configs, compute, store, progress=False, together=lambda c: c["group"])


def compute_with_pid(config):
    """Module level, so that a pool's spawned workers can unpickle it."""
    import os

    return {"square": config["x"] ** 2, "pid": os.getpid()}, {"device": "cpu", "device_name": "test"}


def test_a_pool_of_workers_writes_the_records_one_process_would(tmp_path):
    configs = [{"x": x} for x in range(6)]
    alone = run_sweep(configs, compute_with_pid, ResultStore("demo", 1, tmp_path / "alone"), progress=False)
    pooled = run_sweep(configs, compute_with_pid, ResultStore("demo", 1, tmp_path / "pool"), progress=False, workers=2)
    assert [r["result"]["square"] for r in pooled] == [r["result"]["square"] for r in alone]
    assert [r["key"] for r in pooled] == [r["key"] for r in alone]
    import os

    assert {r["result"]["pid"] for r in alone} == {os.getpid()}
    worker_pids = {r["result"]["pid"] for r in pooled}
    assert os.getpid() not in worker_pids and 1 <= len(worker_pids) <= 2, "the units ran in the pool, not here"
    assert {r["provenance"]["workers"] for r in pooled} == {2} and all("workers" not in r["provenance"] for r in alone)


def test_a_failing_unit_in_a_pool_is_raised_and_finished_records_stay(tmp_path):
    store = ResultStore("demo", 1, tmp_path)
    with pytest.raises(ZeroDivisionError):
        run_sweep([{"x": 1}, {"x": 0}], reciprocal, store, progress=False, workers=2)
    assert not store.exists({"x": 0})
    # The good unit may or may not have finished before the pool stopped; if it did, its record is whole.
    if store.exists({"x": 1}):
        assert store.load({"x": 1})["result"] == {"inverse": 1.0}


def reciprocal(config):
    return {"inverse": 1 / config["x"]}, {"device": "cpu", "device_name": "test"}


def test_costliest_units_run_first_and_records_keep_config_order(tmp_path):
    store = ResultStore("demo", 1, tmp_path)
    order = []

    def recording(config):
        order.append(config["x"])
        return compute(config)

    records = run_sweep([{"x": x} for x in (1, 3, 2)], recording, store, progress=False, cost=lambda c: c["x"])
    assert order == [3, 2, 1]
    assert [r["result"]["square"] for r in records] == [1, 9, 4]


@pytest.mark.parametrize("workers", [0, -1, 1.5, True])
def test_bad_workers_value_names_the_parameter(tmp_path, workers):
    with pytest.raises(ValueError, match="WORKERS: .* allowed values: an integer >= 1"):
        run_sweep([{"x": 1}], compute, ResultStore("demo", 1, tmp_path), progress=False, workers=workers)


def unit_record(started: str, unit_seconds: float, together: int = 1, workers: int = 1) -> dict:
    provenance = {"wall_time_s": unit_seconds / together, "unit_started": started, "unit_wall_time_s": unit_seconds}
    return {"provenance": {**provenance, **({"workers": workers} if workers > 1 else {})}}


def test_sweep_wall_time_counts_overlapping_units_once_and_skips_gaps_between_runs():
    from gobig.core.sweep import sweep_wall_time

    records = [
        unit_record("2026-01-01T00:00:00.000+00:00", 10.0, together=2, workers=2),  # one unit of two records
        unit_record("2026-01-01T00:00:00.000+00:00", 10.0, together=2, workers=2),
        unit_record("2026-01-01T00:00:05.000+00:00", 10.0, workers=2),  # overlaps the first by 5 s
        unit_record("2026-01-01T01:00:00.000+00:00", 3.0),  # a resumed run an hour later
    ]
    measured = sweep_wall_time(records)
    assert measured["seconds"] == pytest.approx(15.0 + 3.0)
    assert measured["summed_s"] == pytest.approx(23.0)
    assert measured["workers"] == 2
    older = [{"provenance": {"wall_time_s": 4.0}}, {"provenance": {"wall_time_s": 6.0}}]  # made before unit_started
    assert sweep_wall_time(older)["seconds"] == 10.0


@pytest.mark.reliability
def test_a_ray_sweep_shuts_down_the_ray_it_started_and_keeps_the_callers(tmp_path, monkeypatch):
    """Ray processes left to the kernel's exit print a SIGTERM stack dump into a
    rerun's output; a sweep ends the local Ray it started, and only that one."""
    ray = pytest.importorskip("ray", reason="ray is pinned in the test extra; `make test` installs it")
    import os
    import sys

    # A new local Ray writes its token to ~/.ray/auth_token: a temporary HOME, not the user's. It
    # also sets RAY_AUTH_MODE=token in this process's environment, which later tests must not inherit.
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    mode_before = os.environ.get("RAY_AUTH_MODE")
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])  # Ray's workers cannot import the test module
    try:
        records = run_sweep([{"x": 1}], compute, ResultStore("demo", 1, tmp_path / "a"), executor="ray", progress=False)
        assert [r["config"] for r in records] == [{"x": 1}]
        assert not ray.is_initialized()
        ray.init(include_dashboard=False, log_to_driver=False)
        try:
            run_sweep([{"x": 2}], compute, ResultStore("demo", 1, tmp_path / "b"), executor="ray", progress=False)
            assert ray.is_initialized()
        finally:
            ray.shutdown()
    finally:
        if mode_before is None:
            os.environ.pop("RAY_AUTH_MODE", None)


def test_a_unit_another_sweep_is_computing_is_loaded_when_it_finishes_not_computed_twice(tmp_path):
    """Two sweeps over one results folder (two processes sharing a
    machine): a unit whose lock another sweep holds waits until this sweep
    has done the rest, then its record is loaded, not recomputed."""
    import threading

    from gobig.core import sweep

    store = ResultStore("demo", 1, tmp_path)
    configs = [{"x": 1}, {"x": 2}]
    computed, rest_done, holding = [], threading.Event(), threading.Event()

    def recording(config):
        computed.append(config["x"])
        rest_done.set()
        return compute(config)

    def other_sweep():
        with sweep._unit_lock(store, [configs[0]], wait=False) as held:
            assert held
            holding.set()
            rest_done.wait(timeout=60)
            store.save(configs[0], *compute(configs[0]), 0.0)

    other = threading.Thread(target=other_sweep)
    other.start()
    holding.wait(timeout=60)
    records = run_sweep(configs, recording, store, progress=False)
    other.join()
    assert computed == [2]
    assert [r["result"]["square"] for r in records] == [1, 4]
    assert list(sweep.lock_folder(store).iterdir()) == [], "a finished sweep leaves its lock files behind"


class FakeRay:
    """What a Ray sweep uses of the ray module, on a cluster of ``nodes``
    (``ray.nodes()`` entries): every task is done once ``quiet`` waits
    have timed out, one per wait after that."""

    def __init__(self, nodes: list[dict], quiet: int, free_cpus: float = 0.0):
        self.node_list, self.quiet, self.free_cpus, self.waits = nodes, quiet, free_cpus, 0

    class Ref:
        def __init__(self, compute_unit, unit):
            self.compute_unit, self.unit = compute_unit, unit

    def remote(self, **options):
        self.options = options
        ref = self.Ref

        class Task:
            @staticmethod
            def remote(compute_unit, unit):
                return ref(compute_unit, unit)

        return lambda function: Task

    def put(self, value):
        return value

    def wait(self, refs, num_returns, timeout):
        self.waits += 1
        return ([], refs) if self.waits <= self.quiet else (refs[:1], refs[1:])

    def get(self, ref):
        outputs = ref.compute_unit(ref.unit)
        return outputs, 0.5, "2026-01-01T00:00:00.000+00:00", {"ray_node_id": "node-a", "threads_per_task": 1}

    def nodes(self):
        return self.node_list

    def available_resources(self):
        return {"CPU": self.free_cpus, "memory": 1e9}

    def cluster_resources(self):
        return {"CPU": sum(n["Resources"]["CPU"] for n in self.node_list if n["Alive"]), "memory": 2e9}


ONE_CPU_NODE = {"Alive": True, "Resources": {"CPU": 1.0, "memory": 1e9, "node:10.0.0.1": 1.0}}


def test_a_ray_sweep_that_waits_says_so_and_how_busy_the_cluster_is(tmp_path, monkeypatch, capsys):
    from gobig.core import sweep

    monkeypatch.setattr(sweep, "RAY_STATUS_EVERY_S", 0.01)
    fake = FakeRay([ONE_CPU_NODE, ONE_CPU_NODE], quiet=2)
    store = ResultStore("demo", 1, tmp_path)
    units = [[{"x": 1}], [{"x": 2}]]
    sweep._wait_on_ray(fake, units, functools.partial(sweep._compute_one, compute), store, {"CPU": 1}, "h:1", False)
    assert fake.options == {"num_cpus": 1, "num_gpus": 0}
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("demo on Ray after ")
    assert lines[0].endswith(
        "0 of 2 units done, 2 running or waiting for a node; cluster: 2 node(s), 0 of 2 CPU free; each task asks for 1 CPU"
    )
    records = [store.load(unit[0]) for unit in units]
    assert [r["result"]["square"] for r in records] == [1, 4]
    assert {(r["provenance"]["ray_node_id"], r["provenance"]["threads_per_task"]) for r in records} == {("node-a", 1)}


def test_a_ray_sweep_stops_when_no_live_node_can_run_its_tasks_any_more(tmp_path, monkeypatch):
    """The worker node with the GPU left mid-sweep: an error, not a wait forever."""
    from gobig.core import sweep
    from gobig.core.params import ParameterError

    monkeypatch.setattr(sweep, "RAY_STATUS_EVERY_S", 0.01)
    gone = {"Alive": False, "Resources": {"CPU": 8.0, "GPU": 1.0}}
    fake = FakeRay([ONE_CPU_NODE, gone], quiet=100)
    store = ResultStore("demo", 1, tmp_path)
    with pytest.raises(ParameterError, match=r"^RAY_CPUS_PER_TASK or DEVICE: each Ray task asks for 1 CPU, 1 GPU"):
        sweep._wait_on_ray(fake, [[{"x": 1}]], compute, store, {"CPU": 1, "GPU": 1}, "h:1", False)
    assert fake.waits == 1 and not store.exists({"x": 1})


def test_a_request_no_live_node_meets_is_named_with_what_the_nodes_have():
    from gobig.core.sweep import _infeasible_request

    big_but_dead = {"Alive": False, "Resources": {"CPU": 64.0}}
    gpu_node = {"Alive": True, "Resources": {"CPU": 4.0, "GPU": 2.0}}
    assert _infeasible_request({"CPU": 1}, [ONE_CPU_NODE]) is None
    assert _infeasible_request({"CPU": 2, "GPU": 1}, [ONE_CPU_NODE, gpu_node]) is None
    assert _infeasible_request({"CPU": 2}, [ONE_CPU_NODE, ONE_CPU_NODE, big_but_dead]) == (
        "RAY_CPUS_PER_TASK: each Ray task asks for 2 CPU, which no node of the cluster has "
        "(its 2 live node(s): 1 CPU; 1 CPU); ask for at most what one node has, or add a node that has it"
    )
    assert _infeasible_request({"CPU": 1, "GPU": 1}, [ONE_CPU_NODE]).startswith(
        "RAY_CPUS_PER_TASK or DEVICE: each Ray task asks for 1 CPU, 1 GPU, which no node of the cluster has "
        "(its 1 live node(s): 1 CPU)"
    )


def test_a_refused_token_is_told_apart_from_a_cluster_that_is_not_there():
    """Ray 2.60 quotes the refusal (InvalidAuthToken) in the text of the
    error under its ConnectionError."""
    ray = pytest.importorskip("ray", reason="ray is pinned in the test extra; `make test` installs it")
    from gobig.core.sweep import _connection_problem

    try:
        try:
            raise RuntimeError(
                "Failed to connect to GCS. ... RPC error: InvalidAuthToken: Authentication token is missing"
            )
        except RuntimeError as cause:
            raise ConnectionError("Failed to connect to Ray cluster at 10.0.0.1:6379") from cause
    except ConnectionError as error:
        refused = _connection_problem(ray, error, "10.0.0.1:6379")
    assert refused.startswith(
        "RAY_ADDRESS: the Ray cluster at 10.0.0.1:6379 refused this process's token; set RAY_AUTH_MODE=token"
    )
    absent = _connection_problem(
        ray, ConnectionError("Failed to connect to Ray cluster at 10.0.0.1:6379"), "10.0.0.1:6379"
    )
    assert (
        absent
        == "RAY_ADDRESS: cannot connect to a Ray cluster at 10.0.0.1:6379 (Failed to connect to Ray cluster at 10.0.0.1:6379)"
    )


@pytest.mark.parametrize("cpus", [0, 1.5, True])
def test_bad_ray_cpus_per_task_names_the_parameter(tmp_path, cpus):
    with pytest.raises(ValueError, match="RAY_CPUS_PER_TASK: .* allowed values: an integer >= 1"):
        run_sweep(
            [{"x": 1}],
            compute,
            ResultStore("demo", 1, tmp_path),
            progress=False,
            executor="ray",
            ray_cpus_per_task=cpus,
        )


def test_a_killed_drivers_pool_workers_end_with_it(tmp_path):
    """A driver killed outright (SIGKILL, a timeout) cannot stop its pool:
    its workers notice their parent is gone and exit, instead of computing
    on as orphans."""
    import signal
    import subprocess
    import sys
    import textwrap
    import time

    pids = tmp_path / "pids"
    pids.mkdir()
    driver = textwrap.dedent(
        f"""
        import os, sys, time
        from gobig.core.store import ResultStore
        from gobig.core.sweep import run_sweep

        def slow(config):
            open(os.path.join({str(pids)!r}, str(os.getpid())), "w").close()
            time.sleep(600)
            return {{}}, {{"device": "cpu", "device_name": "test"}}

        if __name__ == "__main__":
            sys.modules["__mp_main__"] = sys.modules["__main__"]
            run_sweep([{{"x": 1}}, {{"x": 2}}], slow, ResultStore("demo", 1, {str(tmp_path)!r}), workers=2, progress=False)
        """
    )
    script = tmp_path / "driver.py"
    script.write_text(driver)
    process = subprocess.Popen([sys.executable, str(script)], cwd=tmp_path)
    deadline = time.monotonic() + 120
    while len(list(pids.iterdir())) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    workers = [int(path.name) for path in pids.iterdir()]
    assert len(workers) == 2, "the pool's workers did not start"
    process.send_signal(signal.SIGKILL)
    process.wait()
    deadline = time.monotonic() + 30
    alive = workers
    while alive and time.monotonic() < deadline:
        time.sleep(0.5)
        alive = [pid for pid in workers if Path(f"/proc/{pid}").exists() and "Z" not in _state(pid)]
    assert not alive, f"workers {alive} outlived their killed driver"


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except FileNotFoundError:
        return "Z"


def test_extras_stay_out_of_the_key_and_a_record_with_more_serves_a_config_asking_for_fewer(tmp_path):
    store = ResultStore("demo", 1, tmp_path)
    plain, extended = {"x": 2}, {"x": 2, "extras": ["checkpoint"]}
    assert store.key(plain) == store.key(extended) == config_key("demo", 1, {"x": 2, "extras": ["other"]})
    store.save(extended, {"square": 4}, {"device_name": "test"}, 1.0)
    assert store.exists(plain) and store.exists(extended)
    assert store.load(plain)["config"] == extended  # the record says what it holds
    assert not store.exists({"x": 2, "extras": ["checkpoint", "crosscheck"]})


def test_a_record_lacking_an_extra_its_config_asks_for_is_computed_again(tmp_path):
    store = ResultStore("demo", 1, tmp_path)
    store.save({"x": 3}, {"square": 9}, {"device_name": "test"}, 1.0)
    asking = {"x": 3, "extras": ["crosscheck"]}
    assert not store.exists(asking)
    with pytest.raises(MissingRecordsError, match="lacks crosscheck"):
        store.load(asking)
    records = run_sweep([asking], compute, store, progress=False)
    assert records[0]["config"] == asking and store.exists(asking) and store.exists({"x": 3})


def test_a_result_only_extended_keeps_its_first_computations_times(tmp_path):
    store = ResultStore("demo", 1, tmp_path)
    first = store.save({"x": 4}, {"square": 16}, {"device_name": "test", "unit_started": "then"}, 100.0)

    def extend(config):
        return {**first["result"], "crosscheck": 1}, {**first["provenance"], "extended": {"crosscheck": {}}}

    record = run_sweep([{"x": 4, "extras": ["crosscheck"]}], extend, store, progress=False)[0]
    assert record["provenance"]["wall_time_s"] == 100.0 and record["provenance"]["unit_started"] == "then"
    assert record["result"]["crosscheck"] == 1


def test_a_sweep_that_computes_nothing_reads_each_record_once(tmp_path, monkeypatch):
    """A book build loads every record and computes none: each file is read
    once, extras or not (``find`` answers "is it there" and "what is it" in one read)."""
    store = ResultStore("demo", 1, tmp_path)
    configs = [{"x": 5}, {"x": 6, "extras": ["checkpoint"]}]
    for config in configs:
        store.save(config, {"square": config["x"] ** 2}, {"device_name": "test"}, 1.0)
    reads = []
    real_read = Path.read_text
    monkeypatch.setattr(Path, "read_text", lambda self, *a, **k: reads.append(self.name) or real_read(self, *a, **k))
    records = run_sweep(configs, compute, store, progress=False)
    assert [r["result"]["square"] for r in records] == [25, 36]
    assert sorted(reads) == sorted(store.path(c).name for c in configs)
    assert store.find({"x": 6, "extras": ["checkpoint", "crosscheck"]}) is None and store.find({"x": 7}) is None
