"""Run a list of configs through the results store.

Two executors give the same records:
- ``local`` (default): one config after another in this process.
- ``ray``: each missing config becomes a Ray task (asking for one GPU when
  the study computes on CUDA), on a local Ray instance or a cluster
  (``ray_address``). Workers only compute; this process writes each record
  as its task finishes, so the results folder need not be shared and the
  keys are the same as a local run's.

Either way every finished config is on disk before the sweep moves on, so an
interrupted sweep resumes where it stopped.
"""

from __future__ import annotations

import time
from typing import Callable, Iterable

from tqdm import tqdm

from gobig.params import Spec
from gobig.store import ResultStore

EXECUTORS = ("local", "ray")

#: Parameters every sweeping study shares: where records go, whether
#: missing ones may be computed, and how the sweep runs.
SWEEP_PARAMETERS = {
    "RESULTS_DIR": Spec(str, "folder for result records (None: gobig.paths.results_dir())", optional=True),
    "COMPUTE_MISSING": Spec(bool, "compute configs without a record (False: error instead)"),
    "EXECUTOR": Spec(str, "how to run the sweep: in this process, or as Ray tasks", allowed=EXECUTORS),
    "RAY_ADDRESS": Spec(str, "Ray cluster address for EXECUTOR='ray' (None: a local Ray instance)", optional=True),
}
#: Their values when a profile leaves them out (profiles stay portable).
SWEEP_DEFAULTS = {"RESULTS_DIR": None, "COMPUTE_MISSING": True, "EXECUTOR": "local", "RAY_ADDRESS": None}


def run_sweep(
    configs: Iterable[dict],
    compute: Callable[[dict], tuple[dict, dict]],
    store: ResultStore,
    executor: str = "local",
    compute_missing: bool = True,
    progress: bool = True,
    ray_address: str | None = None,
    gpus_per_task: float = 0,
) -> list[dict]:
    """Load or compute every config; return their records in order.

    With ``compute_missing=False`` a missing record is an error that lists
    what is missing, so building the book never trains anything by accident.
    """
    if executor not in EXECUTORS:
        raise ValueError(f"EXECUTOR: {executor!r} is not allowed; allowed values: {', '.join(EXECUTORS)}")
    configs = list(configs)
    missing = [config for config in configs if not store.exists(config)]
    if missing and not compute_missing:
        listing = "\n  ".join(f"{store.key(c)}: {c}" for c in missing[:10])
        raise FileNotFoundError(
            f"{len(missing)} of {len(configs)} configs have no record under {store.folder} and "
            f"COMPUTE_MISSING is False:\n  {listing}\nRun them with `python -m gobig run {store.study}` or set COMPUTE_MISSING=True."
        )
    if executor == "ray" and missing:
        _run_on_ray(missing, compute, store, ray_address, gpus_per_task, progress)
    records = []
    bar = tqdm(configs, desc=f"{store.study} sweep", disable=not progress or not missing, leave=False)
    for config in bar:
        records.append(store.load_or_compute(config, compute))
    return records


def _timed(compute: Callable[[dict], tuple[dict, dict]], config: dict, cpu_threads: int) -> tuple[dict, dict, float]:
    import torch

    # Ray starts workers with one thread; CPU float sums depend on the
    # thread count, so use the driver's to get bit-identical records.
    torch.set_num_threads(cpu_threads)
    start = time.perf_counter()
    result, provenance = compute(config)
    return result, provenance, time.perf_counter() - start


def _run_on_ray(missing: list[dict], compute, store: ResultStore, address: str | None, gpus_per_task: float, progress: bool) -> None:
    import ray

    if not ray.is_initialized():
        # A cluster when an address is given; otherwise a local instance on this machine's cores.
        ray.init(address=address, include_dashboard=False, log_to_driver=False, ignore_reinit_error=True)
    import torch

    cpu_threads = torch.get_num_threads()
    # A CPU task takes the cores its threads use; a GPU task needs one core.
    task = ray.remote(num_gpus=gpus_per_task, num_cpus=1 if gpus_per_task else cpu_threads)(_timed)
    shared_compute = ray.put(compute)
    pending = {task.remote(shared_compute, config, cpu_threads): config for config in missing}
    with tqdm(total=len(pending), desc=f"{store.study} on ray", disable=not progress, leave=False) as bar:
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            config = pending.pop(done[0])
            result, provenance, wall_time = ray.get(done[0])
            store.save(config, result, provenance, wall_time)
            bar.update()
