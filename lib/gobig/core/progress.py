"""What a sweep tells the person who started it, where they are looking.

Before any compute, the plan: how many units will be computed and how many
load, and an estimate of how long the computed ones take, read from the
measured wall times of like configs (the same config but for its seeds) in
the records already there (this run's results folder and the committed
one). Where no record is like a config, a study's ``scale`` may still
estimate it: from records that differ from it only in how much work they
do (more epochs, more fine-tuning steps), their seconds per unit of work
times the config's work. Then one line as each unit starts and ends.

The lines go to the terminal. Inside a Jupyter kernel (papermill, ``jupyter
execute``, a notebook server) they are written to the kernel's own stderr
(``sys.__stderr__``), which ipykernel both forwards to the notebook, where
they stay as the run's final state, and echoes to the terminal that started
the kernel; a widget progress bar would show only in a live notebook and
be saved half-way.
"""

from __future__ import annotations

import json
import statistics
import sys
from collections.abc import Callable, Hashable
from pathlib import Path

from gobig.core import paths


def in_kernel() -> bool:
    """True inside a Jupyter kernel (papermill, jupyter execute, a notebook)."""
    return "ipykernel" in sys.modules


def say(line: str) -> None:
    """One line to the terminal (through the kernel's stderr in a notebook)."""
    if not in_kernel():
        from tqdm import tqdm

        tqdm.write(f"gobig: {line}", file=sys.stderr)  # above a running text bar, not inside it
        return
    if sys.__stderr__ is not None:  # None only without any console (pythonw)
        sys.__stderr__.write(f"gobig: {line}\n")
        sys.__stderr__.flush()


def without_seeds(config: dict) -> tuple:
    """A config's likeness: every field but its seeds (a seed changes the
    numbers, not the work)."""
    return tuple(sorted((k, json.dumps(v, sort_keys=True)) for k, v in config.items() if "seed" not in k.lower()))


def describe(config: dict) -> str:
    """A config in one short line: its top-level scalar fields, without
    hashes and other long strings."""
    return " ".join(
        f"{k}={v}"
        for k, v in config.items()
        if isinstance(v, int | float | bool) or v is None or (isinstance(v, str) and len(v) <= 32)
    )


def duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def measured_costs(folders: list[Path], like: Callable[[dict], Hashable]) -> dict[Hashable, list[tuple[float, str]]]:
    """Per likeness, the (seconds, device) of every record in ``folders``:
    its own share of its unit's wall time (``wall_time_s``)."""
    costs: dict[Hashable, list[tuple[float, str]]] = {}
    seen = set()
    for folder in folders:
        for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
            if path.name in seen:
                continue
            seen.add(path.name)
            try:
                record = json.loads(path.read_text())
                seconds, device = float(record["provenance"]["wall_time_s"]), record["provenance"]["device"]
                key = like(record["config"])
            except (ValueError, KeyError, TypeError):  # a record of another shape: no estimate from it
                continue
            costs.setdefault(key, []).append((seconds, device))
    return costs


#: A study's work scale: a config's kin (what it is apart from its seeds and
#: how much work it does) and its amount of work (steps, samples), or None
#: where the study cannot say.
Scale = Callable[[dict], "tuple[Hashable, float] | None"]


def measured_rates(folders: list[Path], scale: Scale) -> dict[Hashable, list[tuple[float, str]]]:
    """Per kin, the (seconds per unit of work, device) of every record in ``folders``."""

    def kin_and_work(config: dict):
        found = scale(config)
        return found if found is not None and found[1] > 0 else None

    rates: dict[Hashable, list[tuple[float, str]]] = {}
    for found, values in measured_costs(folders, kin_and_work).items():
        if found is not None:
            kin, work = found
            rates.setdefault(kin, []).extend((seconds / work, device) for seconds, device in values)
    return rates


class SweepLog:
    """The plan and one line per unit, for one sweep."""

    def __init__(
        self,
        store,
        units: list[list[dict]],
        total_configs: int,
        like: Callable[[dict], Hashable] | None,
        scale: Scale | None = None,
    ):
        self.store, self.units, self.done = store, units, 0
        self.like = like or without_seeds
        folders = [store.folder, Path(paths.results_dir()) / store.study]
        costs = measured_costs(folders, self.like) if units else {}
        rates = measured_rates(folders, scale) if units and scale is not None else {}
        self.scaled: set[int] = set()  # units estimated from records that did another amount of work
        self.estimates = [self._estimate(index, unit, costs, rates, scale) for index, unit in enumerate(units)]
        self.total_configs = total_configs

    @staticmethod
    def _median(values: list[tuple[float, str]]) -> tuple[float, str]:
        devices = sorted({device for _, device in values})
        return statistics.median(seconds for seconds, _ in values), "/".join(devices)

    def _estimate(self, index: int, unit: list[dict], costs, rates, scale: Scale | None) -> tuple[float, str] | None:
        found = [costs.get(self.like(config)) for config in unit]
        if all(found):
            medians = [self._median(values) for values in found]
        else:
            kin_work = [scale(config) if scale is not None else None for config in unit]
            if not all(k is not None and rates.get(k[0]) for k in kin_work):
                return None
            per_work = [self._median(rates[kin]) for kin, _ in kin_work]
            medians = [(rate * work, device) for (rate, device), (_, work) in zip(per_work, kin_work)]
            self.scaled.add(index)
        return sum(seconds for seconds, _ in medians), "/".join(sorted({device for _, device in medians}))

    def plan(self) -> None:
        if not self.units:
            return
        configs = sum(len(unit) for unit in self.units)
        known = [e for e in self.estimates if e is not None]
        line = (
            f"{self.store.study}: {len(self.units)} unit(s) ({configs} of {self.total_configs} configs) to compute, "
            f"the rest load from {self.store.folder}"
        )
        if known:
            devices = "/".join(sorted({device for _, device in known}))
            line += f"; estimate {duration(sum(s for s, _ in known))} from like records' wall times ({devices})"
            if self.scaled:
                line += f", {len(self.scaled)} unit(s) scaled from records that did another amount of work"
            unknown = len(self.units) - len(known)
            if unknown:
                line += f", plus {unknown} unit(s) no record is like"
        else:
            line += "; no record is like them, so no estimate"
        say(line)

    def start(self, index: int) -> None:
        unit, estimate = self.units[index], self.estimates[index]
        what = describe(unit[0]) + (f" (+{len(unit) - 1} computed together)" if len(unit) > 1 else "")
        took = (
            ""
            if not estimate
            else f"; like configs, scaled to its amount of work, take {duration(estimate[0])} ({estimate[1]})"
            if index in self.scaled
            else f"; like configs took {duration(estimate[0])} ({estimate[1]})"
        )
        say(f"{self.store.study}: unit {index + 1} of {len(self.units)} started: {what}{took}")

    def finish(self, index: int, seconds: float) -> None:
        self.done += 1
        say(
            f"{self.store.study}: unit {index + 1} of {len(self.units)} done in {duration(seconds)} "
            f"({self.done} of {len(self.units)} done)"
        )
