"""Run a list of configs through the results store.

The in-process executor is the default; every finished config is on disk
before the next starts, so an interrupted sweep resumes where it stopped.
"""

from __future__ import annotations

from typing import Callable, Iterable

from tqdm import tqdm

from gobig.store import ResultStore

EXECUTORS = ("local",)


def run_sweep(
    configs: Iterable[dict],
    compute: Callable[[dict], tuple[dict, dict]],
    store: ResultStore,
    executor: str = "local",
    compute_missing: bool = True,
    progress: bool = True,
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
    records = []
    bar = tqdm(configs, desc=f"{store.study} sweep", disable=not progress or not missing, leave=False)
    for config in bar:
        records.append(store.load_or_compute(config, compute))
    return records
