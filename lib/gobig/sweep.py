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
"""

from __future__ import annotations

import time
from typing import Callable, Hashable, Iterable

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
    together: Callable[[dict], Hashable] | None = None,
    compute_together: Callable[[list[dict]], list[tuple[dict, dict]]] | None = None,
) -> list[dict]:
    """Load or compute every config; return their records in order.

    With ``compute_missing=False`` a missing record is an error that lists
    what is missing, so building the book never trains anything by accident.
    """
    if (together is None) != (compute_together is None):
        raise ValueError("run_sweep: give both together and compute_together, or neither")
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
    units = _units(configs, missing, together)
    compute_unit = compute_together or (lambda unit: [compute(unit[0])])
    if executor == "ray" and units:
        _run_on_ray(units, compute_unit, store, ray_address, gpus_per_task, progress)
    for unit in tqdm(units, desc=f"{store.study} sweep", disable=not progress or executor == "ray", leave=False):
        if not all(store.exists(config) for config in unit):  # another process may have finished it
            _save_unit(store, unit, *_timed(compute_unit, unit, None))
    return [store.load(config) for config in configs]


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


def _timed(compute_unit, unit: list[dict], cpu_threads: int | None) -> tuple[list[tuple[dict, dict]], float]:
    if cpu_threads is not None:
        import torch

        # Ray starts workers with one thread; CPU float sums depend on the
        # thread count, so use the driver's to get bit-identical records.
        torch.set_num_threads(cpu_threads)
    start = time.perf_counter()
    outputs = compute_unit(unit)
    if len(outputs) != len(unit):
        raise RuntimeError(f"computing {len(unit)} configs together returned {len(outputs)} results")
    return outputs, time.perf_counter() - start


def _save_unit(store: ResultStore, unit: list[dict], outputs: list[tuple[dict, dict]], wall_time: float) -> None:
    """Write the unit's missing records (existing ones stay untouched)."""
    for config, (result, provenance) in zip(unit, outputs):
        if store.exists(config):
            continue
        if len(unit) > 1:
            provenance = {**provenance, "computed_together": len(unit)}
        store.save(config, result, provenance, wall_time / len(unit))


def _run_on_ray(units: list[list[dict]], compute_unit, store: ResultStore, address: str | None, gpus_per_task: float, progress: bool) -> None:
    import ray

    if not ray.is_initialized():
        # A cluster when an address is given; otherwise a local instance on this machine's cores.
        ray.init(address=address, include_dashboard=False, log_to_driver=False, ignore_reinit_error=True)
    import torch

    cpu_threads = torch.get_num_threads()
    # A CPU task takes the cores its threads use; a GPU task needs one core.
    task = ray.remote(num_gpus=gpus_per_task, num_cpus=1 if gpus_per_task else cpu_threads)(_timed)
    shared_compute = ray.put(compute_unit)
    pending = {task.remote(shared_compute, unit, cpu_threads): unit for unit in units}
    with tqdm(total=len(pending), desc=f"{store.study} on ray", disable=not progress, leave=False) as bar:
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            unit = pending.pop(done[0])
            _save_unit(store, unit, *ray.get(done[0]))
            bar.update()
