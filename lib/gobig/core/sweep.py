"""Run a list of configs through the results store.

Two executors give the same records:
- ``local`` (default): on this machine; with ``workers=1`` one config after
  another in this process, with more a pool of that many worker processes,
  which share this machine's GPU: a small model's training step is bound
  by the Python and kernel-launch time of its process, not by the GPU, so
  several processes keep one GPU busier than one can.
- ``ray``: each missing config becomes a Ray task, on a local Ray instance
  or a cluster (``ray_address``). A task asks for ``ray_cpus_per_task``
  cores (one by default: what any node has, whatever the driver's machine
  is), plus one GPU when the study computes on CUDA, and runs as many torch
  threads as Ray granted it cores. A request no node of the cluster can
  meet stops the sweep before anything is submitted; when no task has
  finished for a minute, a status line says how many are done and how busy
  the cluster is (then less often).
Workers (pool processes, Ray tasks) only compute; this process writes each
record as its unit finishes, so the results folder need not be shared and
the keys are the same as a one-process run's.

Either way every finished config is on disk before the sweep moves on, so an
interrupted sweep resumes where it stopped.

A study may compute several configs in one go (chapter 1 trains a model's
seeds as one stacked model): it passes ``together(config)``, a key that is
equal for configs that can share a computation, and ``compute_together``,
which takes such a group and returns one ``(result, provenance)`` per config.
A group with any record missing is then one unit of work (one Ray task); its
missing records are written when the unit finishes, each with the unit's
wall time shared equally and ``computed_together`` (the group size) in its
provenance. The whole group is recomputed even when only some of it is
missing, because stacked computations differ in their last bits with the
group's size: a record's numbers must not depend on which other records
happened to exist (a resumed sweep gives an uninterrupted one's bits).

Each record's provenance says when its unit started and how long it took
(``unit_started``, ``unit_wall_time_s``), so the wall time of a sweep whose
units ran at once can be read back from its records (``sweep_wall_time``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import math
import os
import signal
import sys
import time
from collections.abc import Callable, Hashable, Iterable
from pathlib import Path

# A text bar on a terminal; in a Jupyter kernel the lines of gobig.core.progress replace it.
from tqdm import tqdm

from gobig.core import progress as progress_lines
from gobig.core.params import ParameterError, Spec
from gobig.core.store import MissingRecordsError, ResultStore

EXECUTORS = ("local", "ray")

#: Parameters every sweeping study shares: where records go, whether
#: missing ones may be computed, and how the sweep runs.
SWEEP_PARAMETERS = {
    "RESULTS_DIR": Spec(
        str, "folder for result records (None: gobig.core.paths.results_dir())", optional=True, default=None
    ),
    "COMPUTE_MISSING": Spec(bool, "compute configs without a record (False: error instead)", default=True),
    "EXECUTOR": Spec(str, "how to run the sweep: on this machine, or as Ray tasks", allowed=EXECUTORS, default="local"),
    "WORKERS": Spec(
        int,
        "processes when EXECUTOR is local (1: this process; more share this machine's GPU or cores)",
        minimum=1,
        maximum=64,
        default=1,
    ),
    "RAY_ADDRESS": Spec(
        str, "Ray cluster address when EXECUTOR is ray (None: a local Ray instance)", optional=True, default=None
    ),
    "RAY_CPUS_PER_TASK": Spec(
        int,
        "CPU cores each Ray task asks for and runs torch threads on (when EXECUTOR is ray; some node must have that many)",
        minimum=1,
        maximum=1024,
        default=1,
    ),
}
#: Their values when a profile leaves them out (profiles stay portable).
SWEEP_DEFAULTS = {name: spec.default for name, spec in SWEEP_PARAMETERS.items()}
#: A Ray sweep in which no unit finished for this many seconds prints a status
#: line; the next waits twice as long (up to RAY_STATUS_AT_MOST_S), so hours of
#: long units print a few lines, not hundreds.
RAY_STATUS_EVERY_S = 60.0
RAY_STATUS_AT_MOST_S = 600.0


def run_from_params(configs: Iterable[dict], compute, store: ResultStore, params: dict, **extra) -> list[dict]:
    """``run_sweep`` with the sweep parameters (SWEEP_PARAMETERS) read from a
    study's validated ``params``; ``extra`` passes what a study adds (its
    progress flag, GPUs per task, grouping, cost)."""
    return run_sweep(
        configs,
        compute,
        store,
        executor=params["EXECUTOR"],
        compute_missing=params["COMPUTE_MISSING"],
        ray_address=params["RAY_ADDRESS"],
        ray_cpus_per_task=params["RAY_CPUS_PER_TASK"],
        workers=params["WORKERS"],
        **extra,
    )


def profile_sweep(study, profile: str, results_dir=None) -> tuple[ResultStore, list[dict]]:
    """A sweeping study's result store and configs for one of its profiles
    (records under ``results_dir``, else the default results folder)."""
    params = study.validate_parameters(
        {**study.load_profile(profile), "RESULTS_DIR": str(results_dir) if results_dir else None}
    )
    return ResultStore.for_params(study.STUDY, study.VERSION, params), study.expand_configs(params)


def profile_records(study, profile: str, results_dir=None) -> list[dict] | None:
    """Every record of a study's profile, or None when any is missing (claims
    and sweep times are never read from part of a sweep)."""
    store, configs = profile_sweep(study, profile, results_dir)
    return store.load_all(configs)


def run_sweep(
    configs: Iterable[dict],
    compute: Callable[[dict], tuple[dict, dict]],
    store: ResultStore,
    *,
    executor: str = "local",
    compute_missing: bool = True,
    progress: bool = True,
    ray_address: str | None = None,
    ray_cpus_per_task: int = 1,
    gpus_per_task: float = 0,
    together: Callable[[dict], Hashable] | None = None,
    compute_together: Callable[[list[dict]], list[tuple[dict, dict]]] | None = None,
    workers: int = 1,
    cost: Callable[[dict], float] | None = None,
    like: Callable[[dict], Hashable] | None = None,
    scale: progress_lines.Scale | None = None,
) -> list[dict]:
    """Load or compute every config; return their records in order.

    With ``compute_missing=False`` a missing record is an error that lists
    what is missing, so building the book never trains anything by accident.
    ``cost`` (a config's rough relative cost) makes the costliest units
    start first, so that with several workers the longest unit does not
    start last and run on alone; the records do not depend on the order.
    ``compute`` and ``compute_together`` must pickle for ``workers > 1``.
    With ``progress``, the plan (units to compute, and an estimate from the
    wall times of records whose configs are ``like`` them: by default equal
    but for their seeds; else, with ``scale``, scaled from records that
    differ only in their amount of work) and a line per unit go to the terminal
    (``gobig.core.progress``). Everything after ``store`` is keyword-only: twelve positional arguments
    cannot be read at the call.
    """
    if (together is None) != (compute_together is None):
        raise ValueError("run_sweep: give both together and compute_together, or neither")
    if executor not in EXECUTORS:
        raise ValueError(f"EXECUTOR: {executor!r} is not allowed; allowed values: {', '.join(EXECUTORS)}")
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"WORKERS: {workers!r} is not allowed; allowed values: an integer >= 1")
    if isinstance(ray_cpus_per_task, bool) or not isinstance(ray_cpus_per_task, int) or ray_cpus_per_task < 1:
        raise ValueError(f"RAY_CPUS_PER_TASK: {ray_cpus_per_task!r} is not allowed; allowed values: an integer >= 1")
    configs = list(configs)
    found = [store.find(config) for config in configs]  # read once: a book build computes nothing
    missing = [config for config, record in zip(configs, found) if record is None]
    if missing and not compute_missing:
        raise MissingRecordsError(
            f"{len(missing)} of {len(configs)} configs have no record under {store.folder} (the first: "
            f"{store.key(missing[0])}) and COMPUTE_MISSING is False; compute them with `python -m gobig run "
            f"{store.study}` or set COMPUTE_MISSING=True"
        )
    units = _units(configs, missing, together)
    if units:
        store.check_writable()  # now, not after hours of compute whose records could not be kept
    if cost is not None:
        units.sort(key=lambda unit: -sum(cost(config) for config in unit))  # stable: ties keep config order
    compute_unit = compute_together or functools.partial(_compute_one, compute)
    log = progress_lines.SweepLog(store, units, len(configs), like, scale) if progress and units else None
    if log is not None:
        log.plan()
    if executor == "ray" and units:
        request = {"CPU": ray_cpus_per_task, **({"GPU": gpus_per_task} if gpus_per_task else {})}
        _run_on_ray(units, compute_unit, store, ray_address, request, progress, log)
    elif workers > 1 and units:
        _run_in_processes(units, compute_unit, store, workers, progress, log)
    # No bar at all when nothing is computed (a book build loads every record and shows none), nor in a
    # notebook, where the per-unit lines are what stays.
    bar = tqdm(
        total=len(units),
        desc=f"{store.study}: units computed",
        unit="unit",
        disable=not progress or not units or executor == "ray" or workers > 1 or progress_lines.in_kernel(),
    )
    # A unit another sweep is computing right now (its lock is held) waits
    # until the others are done; then its record is usually there to load.
    deferred = []
    for index, unit in enumerate(units):
        if not _compute_unless_done(store, unit, compute_unit, wait=False, log=log, index=index):
            deferred.append((index, unit))
            continue
        bar.update()
    for index, unit in deferred:
        _compute_unless_done(store, unit, compute_unit, wait=True, log=log, index=index)
        bar.update()
    bar.close()
    return [store.load(config) if record is None else record for config, record in zip(configs, found)]


def _compute_unless_done(
    store: ResultStore, unit: list[dict], compute_unit, wait: bool, log=None, index: int = 0
) -> bool:
    """Compute and save ``unit`` unless its records exist, holding the
    unit's lock file meanwhile, so that two sweeps over one results folder
    (two processes sharing a machine's cores) never compute the same unit
    twice. Without ``wait``, returns False when another process holds it."""
    with _unit_lock(store, unit, wait) as held:
        if not held:
            return False
        if not all(store.exists(config) for config in unit):  # another process may have finished it
            if log is not None:
                log.start(index)
            outputs, wall_time, started = _timed(compute_unit, unit)
            _save_unit(store, unit, outputs, wall_time, started)
            if log is not None:
                log.finish(index, wall_time)
    return True


def lock_folder(store: ResultStore) -> Path:
    """Where the unit locks of sweeps over ``store``'s results folder live."""
    import hashlib
    import tempfile

    results = hashlib.sha256(str(store.folder.resolve()).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / "gobig-unit-locks" / results


@contextlib.contextmanager
def _unit_lock(store: ResultStore, unit: list[dict], wait: bool):
    """An advisory lock (flock) on a file named by the unit's first
    config's key, in this machine's temporary folder (the results tree
    holds records only); the OS releases it when its holder exits, so a
    killed sweep leaves no stale lock, and the holder removes the file
    when it is done, so none pile up. Where flock does not exist
    (Windows) every unit counts as free."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not on Linux or macOS
        yield True
        return
    folder = lock_folder(store)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{store.key(unit[0])}.lock"
    while True:
        handle = open(path, "a")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            handle.close()
            yield False
            return
        # The holder before us may have removed the file after we opened it: then our lock is on a
        # file nobody else can find, so lock the file now at the path instead.
        try:
            same = os.fstat(handle.fileno()).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        handle.close()
    try:
        yield True
    finally:
        # Remove the file while still holding it (a waiter then retries on a fresh one): no lock files pile up.
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


def _compute_one(compute: Callable[[dict], tuple[dict, dict]], unit: list[dict]) -> list[tuple[dict, dict]]:
    return [compute(unit[0])]


def _units(configs: list[dict], missing: list[dict], together: Callable[[dict], Hashable] | None) -> list[list[dict]]:
    """The groups (by ``together``, in first-seen order) with a missing
    member, whole; without ``together``, one missing config per unit."""
    if together is None:
        return [[config] for config in missing]
    groups: dict[Hashable, list[dict]] = {}
    for config in configs:
        groups.setdefault(together(config), []).append(config)
    incomplete = {together(config) for config in missing}
    return [group for key, group in groups.items() if key in incomplete]


def _timed(compute_unit, unit: list[dict]) -> tuple[list[tuple[dict, dict]], float, str]:
    started = dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds")
    start = time.perf_counter()
    outputs = compute_unit(unit)
    if len(outputs) != len(unit):
        raise RuntimeError(f"computing {len(unit)} configs together returned {len(outputs)} results")
    return outputs, time.perf_counter() - start, started


def _save_unit(
    store: ResultStore,
    unit: list[dict],
    outputs: list[tuple[dict, dict]],
    wall_time: float,
    started: str,
    workers: int = 1,
    threads: int | None = None,
    ray_task: dict | None = None,
) -> None:
    """Write the unit's missing records (existing ones stay untouched);
    ``ray_task`` is where a Ray task ran (node, threads)."""
    for config, (result, provenance) in zip(unit, outputs):
        if store.exists(config):
            continue
        # A result only extended (an extra added to a stored one) keeps its first computation's times.
        provenance = {"unit_started": started, "unit_wall_time_s": round(wall_time, 3), **provenance}
        if len(unit) > 1:
            provenance["computed_together"] = len(unit)
        if workers > 1:
            provenance.update(workers=workers, threads_per_worker=threads)
        if ray_task is not None:
            provenance.update(ray_task)
        store.save(config, result, provenance, wall_time / len(unit))


def sweep_wall_time(records: list[dict]) -> dict:
    """How long computing these records took. ``summed_s`` adds up their
    units' wall times, which overcounts units that ran at once (several
    workers). ``seconds`` is the time during which at least one of their
    units was running (the union of the units' intervals): the wall time of
    a sweep run in one go, serial or not, without the time between the runs
    of a resumed one. Records made before units noted their start
    (``unit_started``) give only the sum."""
    provenances = [r["provenance"] for r in records]
    summed = sum(p["wall_time_s"] for p in provenances)
    union = None
    if provenances and all("unit_started" in p for p in provenances):
        # Records computed together share their unit's start and wall time.
        units = sorted(
            {(dt.datetime.fromisoformat(p["unit_started"]).timestamp(), p["unit_wall_time_s"]) for p in provenances}
        )
        union, reached = 0.0, -math.inf
        for start, seconds in units:
            end = start + seconds
            union += max(0.0, end - max(start, reached))
            reached = max(reached, end)
    return {
        "seconds": summed if union is None else union,
        "summed_s": summed,
        "workers": max((p.get("workers", 1) for p in provenances), default=1),
    }


# Set in each pool worker by _start_worker: the unit computation, sent once.
_worker_compute = None


def _start_worker(compute_unit, cpu_threads: int) -> None:
    global _worker_compute
    _worker_compute = compute_unit
    # The driver stops the pool on Ctrl-C; a worker must not die half-way on its own.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _exit_with_driver(os.getppid())
    import torch

    torch.set_num_threads(cpu_threads)


def _exit_with_driver(driver: int, every_s: float = 2.0) -> None:
    """End this worker when the driver process is gone. A driver killed
    outright (SIGKILL, a timeout) cannot terminate its pool, and its workers
    would compute on, orphaned, for as long as their unit takes."""
    import threading

    def watch() -> None:
        while os.getppid() == driver:
            time.sleep(every_s)
        os._exit(1)

    threading.Thread(target=watch, name="gobig-driver-watch", daemon=True).start()


def _compute_in_worker(task: tuple[int, list[dict]]):
    index, unit = task
    return (index, *_timed(_worker_compute, unit))


def _run_in_processes(
    units: list[list[dict]], compute_unit, store: ResultStore, workers: int, progress: bool, log=None
) -> None:
    """Units in a pool of ``workers`` processes; each record is written
    here as soon as its unit finishes, so an interrupted pool keeps them.
    The workers share this process's CPU threads: with as many threads each,
    two workers on two cores ran 3.3x slower than one process (CPU,
    benchmarks/sweep_workers.py). CPU float sums depend on the thread
    count, so on a CPU a pool's records equal a one-process run's bits only
    when that run had as many threads as each worker."""
    import multiprocessing

    import torch

    # spawn, not fork: a forked child cannot use CUDA, and fork copies locks held by threads.
    context = multiprocessing.get_context("spawn")
    tasks = list(enumerate(units))
    workers = min(workers, len(units))
    threads = max(1, torch.get_num_threads() // workers)
    # Leaving the block terminates the workers, also on an error or Ctrl-C.
    with context.Pool(workers, initializer=_start_worker, initargs=(compute_unit, threads)) as pool:
        finished = pool.imap_unordered(_compute_in_worker, tasks, chunksize=1)
        for index, outputs, wall_time, started in tqdm(
            finished,
            total=len(tasks),
            desc=f"{store.study}: units computed by {workers} workers",
            unit="unit",
            disable=not progress or progress_lines.in_kernel(),
        ):
            _save_unit(store, units[index], outputs, wall_time, started, workers, threads)
            if log is not None:
                log.finish(index, wall_time)


def _run_on_ray(
    units: list[list[dict]],
    compute_unit,
    store: ResultStore,
    address: str | None,
    request: dict,
    progress: bool,
    log=None,
) -> None:
    import ray

    started_here = not ray.is_initialized()
    if started_here:
        # A cluster when an address is given; otherwise a local instance on this machine's cores.
        try:
            ray.init(address=address, include_dashboard=False, log_to_driver=False, ignore_reinit_error=True)
        except (ConnectionError, ray.exceptions.AuthenticationError) as error:
            raise ParameterError(_connection_problem(ray, error, address)) from None
    try:
        _check_feasible(ray, request, address)
        _wait_on_ray(ray, units, compute_unit, store, request, address, progress, log)
    finally:
        # Leave no Ray processes behind: left to the kernel's exit, they print a
        # "SIGTERM received" stack dump into the rerun's output. A Ray session the
        # caller started is theirs to end.
        if started_here:
            ray.shutdown()


def _connection_problem(ray, error: Exception, address: str | None) -> str:
    """Why ``ray.init`` could not connect, in one line. A cluster whose head
    started with a token at ~/.ray/auth_token enforces it (Ray 2.60), and a
    driver given an address sends it only with RAY_AUTH_MODE=token; Ray
    then raises a ConnectionError whose cause quotes the refusal
    (InvalidAuthToken) in its text."""
    causes, cause = [], error
    while cause is not None and len(causes) < 10:
        causes.append(cause)
        cause = cause.__cause__ or cause.__context__
    if any(isinstance(c, ray.exceptions.AuthenticationError) or "InvalidAuthToken" in str(c) for c in causes):
        return (
            f"RAY_ADDRESS: the Ray cluster at {address} refused this process's token; set RAY_AUTH_MODE=token and "
            "give it the cluster's token (in ~/.ray/auth_token, the file RAY_AUTH_TOKEN_PATH names, or RAY_AUTH_TOKEN)"
        )
    first_line = (str(error).splitlines() or [type(error).__name__])[0]
    return f"RAY_ADDRESS: cannot connect to a Ray cluster at {address} ({first_line})"


def _describe_resources(resources: dict) -> str:
    """{'CPU': 2.0, 'GPU': 1.0, 'memory': ...} -> '2 CPU, 1 GPU' (cores and GPUs only)."""
    shown = [f"{amount:g} {name}" for name, amount in sorted(resources.items()) if name in ("CPU", "GPU")]
    return ", ".join(shown) or "no CPU"


def _infeasible_request(request: dict, nodes: list[dict]) -> str | None:
    """None when some live node of ``ray.nodes()`` has every resource a task
    asks for (in total: a busy node frees its cores eventually); otherwise
    why not, in one line."""
    alive = [node for node in nodes if node.get("Alive")]
    if any(all(node["Resources"].get(name, 0) >= amount for name, amount in request.items()) for node in alive):
        return None
    sizes = "; ".join(_describe_resources(node["Resources"]) for node in alive) or "none"
    parameter = "RAY_CPUS_PER_TASK" if "GPU" not in request else "RAY_CPUS_PER_TASK or DEVICE"
    return (
        f"{parameter}: each Ray task asks for {_describe_resources(request)}, which no node of the cluster has "
        f"(its {len(alive)} live node(s): {sizes}); ask for at most what one node has, or add a node that has it"
    )


def _check_feasible(ray, request: dict, address: str | None) -> None:
    """Stop before submitting tasks that would wait forever."""
    problem = _infeasible_request(request, ray.nodes())
    if problem:
        raise ParameterError(problem + (f" (RAY_ADDRESS={address})" if address else " (a local Ray instance)"))


def _ray_task(compute_unit, unit: list[dict]):
    """One unit in a Ray worker, with as many torch threads as Ray granted it
    cores (CPU float sums depend on the thread count: with one core a
    task's records have the bits of a one-thread run on the same CPU)."""
    import ray
    import torch

    context = ray.get_runtime_context()
    cores = context.get_assigned_resources().get("CPU", 1)
    threads = max(1, int(cores))
    torch.set_num_threads(threads)
    outputs, wall_time, started = _timed(compute_unit, unit)
    return outputs, wall_time, started, {"ray_node_id": context.get_node_id(), "threads_per_task": threads}


def _wait_on_ray(
    ray,
    units: list[list[dict]],
    compute_unit,
    store: ResultStore,
    request: dict,
    address: str | None,
    progress: bool,
    log=None,
) -> None:
    options = {"num_cpus": request["CPU"], "num_gpus": request.get("GPU", 0)}
    task = ray.remote(**options)(_ray_task)
    shared_compute = ray.put(compute_unit)
    pending = {task.remote(shared_compute, unit): (index, unit) for index, unit in enumerate(units)}
    total, start, quiet_for = len(pending), time.monotonic(), RAY_STATUS_EVERY_S
    with tqdm(
        total=total,
        desc=f"{store.study}: units computed on Ray",
        unit="unit",
        disable=not progress or progress_lines.in_kernel(),
    ) as bar:
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1, timeout=quiet_for)
            if not done:
                # Nothing finished for a while: stop if it never can (a node left), else say why it waits.
                _check_feasible(ray, request, address)
                _report_waiting(ray, store, total, len(pending), request, time.monotonic() - start)
                quiet_for = min(2 * quiet_for, RAY_STATUS_AT_MOST_S)
                continue
            quiet_for = RAY_STATUS_EVERY_S
            index, unit = pending.pop(done[0])
            outputs, wall_time, started, ray_task = ray.get(done[0])
            _save_unit(store, unit, outputs, wall_time, started, ray_task=ray_task)
            if log is not None:
                log.finish(index, wall_time)
            bar.update()


def _report_waiting(ray, store: ResultStore, total: int, left: int, request: dict, elapsed: float) -> None:
    """One status line (stderr): units done and left, and the cluster's free cores and GPUs."""
    available, capacity = ray.available_resources(), ray.cluster_resources()
    free = ", ".join(
        f"{available.get(name, 0):g} of {capacity[name]:g} {name} free" for name in ("CPU", "GPU") if name in capacity
    )
    live = sum(1 for node in ray.nodes() if node.get("Alive"))
    tqdm.write(
        f"{store.study} on Ray after {elapsed:.0f} s: {total - left} of {total} units done, {left} running or "
        f"waiting for a node; cluster: {live} node(s), {free}; each task asks for {_describe_resources(request)}",
        file=sys.stderr,
    )
