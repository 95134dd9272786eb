"""Benchmark records: one table of stages per run, with provenance.

Every script in ``benchmarks/`` measures a baseline and our way side by side
in one process and calls ``write_record``. A record's ``stages`` are rows of
``stage``, ``seconds``, ``throughput`` (with its ``unit``) and ``ratio``:
the baseline's time over this stage's time for the same work (1.0 for the
baseline itself; None where the stage has no baseline). ``performance_table``
reads the newest record of each benchmark and device type for the book's
Performance page, so every number there names the hardware it ran on.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from pathlib import Path

import pandas as pd
import torch

from gobig import paths
from gobig.runtime import provenance
from gobig.sweep import profile_records, sweep_wall_time

#: Where records go and are read from; GOBIG_BENCHMARK_RESULTS_DIR moves it
#: (the tests' quick runs write to a temporary folder).
RESULTS_DIR = Path(os.environ.get("GOBIG_BENCHMARK_RESULTS_DIR") or paths.ROOT / "benchmarks" / "results")
STAGE_FIELDS = ("stage", "seconds", "throughput", "unit", "ratio")


def clock(device: torch.device) -> float:
    """``time.perf_counter()`` once the device has finished its queued work
    (CUDA runs asynchronously, so an unsynchronized clock times the launches)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return time.perf_counter()


def timed(device: torch.device, function, *args) -> tuple[object, float]:
    """``function(*args)`` and its wall time on ``device``."""
    start = clock(device)
    result = function(*args)
    return result, clock(device) - start


def compiled_or_error(run, errors: list[str]):
    """``run()``, or None when it fails, its error appended to ``errors``:
    for the ``torch.compile`` runs beside eager ones, so that a compiler
    failing on some machine loses only its own row and the record keeps the
    error (in ``compile_errors``)."""
    try:
        return run()
    except Exception as error:  # compiler failures share no one type (dynamo, inductor, triton)
        message = f"{type(error).__name__}: {error}"[:4000]
        print(f"torch.compile failed; the record keeps the eager rows and this error:\n{message[:2000]}", flush=True)
        errors.append(message)
        return None


def stage(name: str, seconds: float, work: float | None, unit: str, baseline_seconds: float | None = None, **extra) -> dict:
    """One row: ``work`` units done in ``seconds`` (throughput = work /
    seconds); ``ratio`` = baseline_seconds / seconds for the same work."""
    return {
        "stage": name,
        "seconds": seconds,
        "throughput": work / seconds if work is not None and seconds > 0 else None,
        "unit": unit,
        "ratio": baseline_seconds / seconds if baseline_seconds is not None and seconds > 0 else None,
        **extra,
    }


def print_table(title: str, stages: list[dict]) -> None:
    header = ["stage", "seconds", "throughput", "unit", "ratio to baseline"]
    rows = [
        [
            row["stage"],
            f"{row['seconds']:.3f}",
            "-" if row["throughput"] is None else f"{row['throughput']:,.1f}",
            row["unit"],
            "-" if row["ratio"] is None else f"{row['ratio']:.2f}x",
        ]
        for row in stages
    ]
    widths = [max(len(header[i]), *(len(r[i]) for r in rows)) for i in range(len(header))]
    print(f"\n{title}")
    print("  ".join(h.ljust(w) for h, w in zip(header, widths)))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)))


def write_record(benchmark: str, device: torch.device, args: dict, stages: list[dict], results_dir: Path | None = None, **extra) -> Path:
    """``benchmarks/results/<benchmark>-<device type>-<UTC time>.json``."""
    missing = [field for row in stages for field in STAGE_FIELDS if field not in row]
    if missing:
        raise ValueError(f"benchmark stages lack the fields {sorted(set(missing))}")
    folder = Path(results_dir or RESULTS_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    path = folder / f"{benchmark}-{device.type}-{stamp}.json"
    record = {"benchmark": benchmark, "provenance": provenance(device), "args": args, "stages": stages, **extra}
    path.write_text(json.dumps(record, indent=2, default=str) + "\n")
    return path


def load_records(results_dir: Path | None = None) -> list[dict]:
    """Every record with a stage table, newest first within each benchmark."""
    records = []
    for path in sorted(Path(results_dir or RESULTS_DIR).glob("*.json")):
        record = json.loads(path.read_text())
        if "stages" in record and all(field in row for row in record["stages"] for field in STAGE_FIELDS):
            records.append({**record, "file": path.name})
    return sorted(records, key=lambda r: (r["benchmark"], r["provenance"]["timestamp"]), reverse=True)


def newest_records(results_dir: Path | None = None) -> list[dict]:
    """The newest record of each (benchmark, device type): what the page shows."""
    newest = {}
    for record in load_records(results_dir):  # newest first
        newest.setdefault((record["benchmark"], record["provenance"]["device"]), record)
    return list(newest.values())


def trained_context(mode: str) -> str:
    """What tells apart stages that time the same work on differently
    trained models (stacked_training attacks the models of each training mode)."""
    return f" (models from {mode} training)"


def unique_stage_labels(stages: list[dict]) -> list[str]:
    """Each stage's label, made unique within its record: a label that repeats
    gets the training mode of its models (the row's ``trained``, else that of
    the nearest training row above it, as in records written before the
    attack rows named it), then a running number if it still repeats."""
    labels = [row["stage"] for row in stages]
    repeated = {label for label in labels if labels.count(label) > 1}
    mode = None
    for index, row in enumerate(stages):
        mode = row.get("mode", mode)
        trained = row.get("trained", mode)
        if labels[index] in repeated and trained and trained_context(trained) not in labels[index]:
            labels[index] += trained_context(trained)
    counts = {label: labels.count(label) for label in labels}
    seen: dict[str, int] = {}
    for index, label in enumerate(labels):
        seen[label] = seen.get(label, 0) + 1
        if counts[label] > 1:
            labels[index] = f"{label} (#{seen[label]})"
    return labels


def performance_table(results_dir: Path | None = None) -> pd.DataFrame:
    """The newest record per (benchmark, device type), one row per stage,
    each labelled uniquely (``unique_stage_labels``)."""
    rows = []
    for record in newest_records(results_dir):
        for row, label in zip(record["stages"], unique_stage_labels(record["stages"])):
            rows.append(
                {
                    "benchmark": record["benchmark"],
                    **{field: row[field] for field in STAGE_FIELDS},
                    "stage": label,
                    "device": record["provenance"]["device_name"],
                    "measured": record["provenance"]["timestamp"][:10],
                    "record": record["file"],
                }
            )
    columns = ["benchmark", *STAGE_FIELDS, "device", "measured", "record"]
    return pd.DataFrame(rows, columns=columns).sort_values(["benchmark", "device"], kind="stable").reset_index(drop=True)


# ---- targets (issue "Fast on GPU") -------------------------------------------

#: Wall-clock budgets on one GPU, in seconds.
SWEEP_BUDGET_S = {"mnist": 600}
BOOK_BUDGET_S = 1200
MNIST_SPEEDUP, MNIST_SECONDS, MFU_TARGET = 20.0, 2.0, 0.30


def study_wall_time(study, profile: str, results_dir: Path | None = None) -> dict | None:
    """The wall time of a study's records for one profile (``sweep.sweep_wall_time``:
    with several workers, not the sum), or None when any record is missing
    (a partial sweep would flatter the target)."""
    records = profile_records(study, profile, results_dir)
    if records is None:
        return None
    return {
        **sweep_wall_time(records),
        "devices": sorted({r["provenance"]["device_name"] for r in records}),
        "on_gpu": all(r["provenance"]["device"] == "cuda" for r in records),
        "records": len(records),
    }


def targets_table(results_dir: Path | None = None, study_results_dir: Path | None = None) -> pd.DataFrame:
    """Each speed target, what the newest GPU records measured, and whether
    it is met. CPU records never count: the targets are about one GPU."""
    from gobig import registry

    records = load_records(results_dir)  # newest first within each benchmark

    def gpu_record(benchmark: str) -> dict | None:
        return next((r for r in records if r["benchmark"] == benchmark and r["provenance"]["device"] == "cuda"), None)

    # The studies whose full sweep runs on one GPU; the book's target sums them.
    sweeps = {entry.name: study_wall_time(entry.study, "full", study_results_dir) for entry in registry.STUDIES if entry.gpu_sweep}
    rows = []

    def add(target: str, measured: str | None, met: bool | None, device: str | None) -> None:
        status = "not measured on a GPU" if measured is None else ("met" if met else "not met")
        rows.append({"target": target, "measured": measured or "–", "status": status, "device": device or "–"})

    record = gpu_record("mnist_time_to_99")
    # Our fastest row that reached 99% beside the baseline (eager, or compiled with --compile).
    ours = min((row for row in record["stages"][1:] if row["ratio"] is not None), key=lambda row: row["seconds"], default=None) if record else None
    if ours is not None:
        add(f"MNIST to 99%: at least {MNIST_SPEEDUP:.0f}x the pytorch/examples recipe, under {MNIST_SECONDS:.0f} s of training",
            f"{ours['ratio']:.1f}x, {ours['seconds']:.2f} s", ours["ratio"] >= MNIST_SPEEDUP and ours["seconds"] < MNIST_SECONDS, record["provenance"]["device_name"])
    else:
        add(f"MNIST to 99%: at least {MNIST_SPEEDUP:.0f}x the pytorch/examples recipe, under {MNIST_SECONDS:.0f} s of training", None, None, None)

    sweep = sweeps["mnist"]
    sweep_ok = sweep is not None and sweep["on_gpu"]
    add(f"Chapter 1 full sweep: under {SWEEP_BUDGET_S['mnist'] / 60:.0f} min",
        f"{sweep['seconds'] / 60:.1f} min ({sweep['records']} records" + (f", {sweep['workers']} workers, {sweep['summed_s'] / 60:.1f} min summed)" if sweep["workers"] > 1 else ")")
        if sweep_ok else None,
        sweep_ok and sweep["seconds"] < SWEEP_BUDGET_S["mnist"], ", ".join(sweep["devices"]) if sweep_ok else None)

    record = gpu_record("code_model")
    mfu = max((row.get("mfu") or 0 for row in record["stages"]), default=0) if record else None
    add(f"Code model training: at least {MFU_TARGET:.0%} MFU", f"{mfu:.1%}" if record else None, record is not None and mfu >= MFU_TARGET,
        record["provenance"]["device_name"] if record else None)

    book = list(sweeps.values())
    book_ok = all(part is not None and part["on_gpu"] for part in book)
    total = sum(part["seconds"] for part in book) if book_ok else None
    add(f"Every chapter's full profile: under {BOOK_BUDGET_S / 60:.0f} min", f"{total / 60:.1f} min" if book_ok else None,
        book_ok and total < BOOK_BUDGET_S, ", ".join(sorted({d for part in book for d in part["devices"]})) if book_ok else None)
    return pd.DataFrame(rows)


# ---- what bounds a stage ---------------------------------------------------------


def profile_top(function, device: torch.device, rows: int = 8) -> dict:
    """Run ``function()`` under torch.profiler; return its wall time, the
    ops with the most self time (device time on CUDA, CPU time otherwise)
    and, on CUDA, the share of the wall time the GPU was busy: well below 1
    means the stage is bound by the host (Python, kernel launches), not by
    the GPU's arithmetic or memory."""
    from torch.profiler import ProfilerActivity, profile

    cuda = device.type == "cuda"
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if cuda else [])
    with profile(activities=activities) as profiler:
        start = time.perf_counter()
        function()
        if cuda:
            torch.cuda.synchronize(device)
        wall = time.perf_counter() - start
    field = "self_device_time_total" if cuda else "self_cpu_time_total"
    events = [event for event in profiler.key_averages() if getattr(event, field) > 0]
    total_us = sum(getattr(event, field) for event in events)
    top = sorted(events, key=lambda event: getattr(event, field), reverse=True)[:rows]
    return {
        "wall_s": wall,
        "time_field": field,
        "busy_share": total_us / 1e6 / wall if cuda and wall > 0 else None,
        "top_ops": [{"op": e.key, "self_ms": getattr(e, field) / 1e3, "share": getattr(e, field) / total_us, "calls": e.count} for e in top],
    }


#: Below this share of wall time busy, a GPU stage is bound by its host.
HOST_BOUND_BELOW = 0.5


def bounds_table(results_dir: Path | None = None, top: int = 3) -> pd.DataFrame:
    """What bounded each profiled stage (scripts run with ``--profile``), from
    the newest record per (benchmark, device type): the profiled slice's wall
    time, on CUDA the share of it the GPU was busy, and the ops with the most
    self time. A GPU busy less than half the time waits on its host (Python,
    kernel launches); otherwise the top ops are what the GPU spends its time on."""
    rows = []
    for record in newest_records(results_dir):
        for row, label in zip(record["stages"], unique_stage_labels(record["stages"])):
            summary = row.get("profile")
            if not summary:
                continue
            ops = summary["top_ops"]
            busy = summary["busy_share"]
            if busy is not None and busy < HOST_BOUND_BELOW:
                bound = f"the host: the GPU idles {1 - busy:.0%} of the time"
            else:
                where = "GPU" if busy is not None else "CPU"
                bound = f"{where} time in {ops[0]['op']} ({ops[0]['share']:.0%})" if ops else "-"
            rows.append(
                {
                    "benchmark": record["benchmark"],
                    "stage": label,
                    "bound by": bound,
                    "GPU busy": busy,
                    "top ops": ", ".join(f"{op['op']} {op['share']:.0%}" for op in ops[:top]),
                    "profiled ms": summary["wall_s"] * 1e3,
                    "device": record["provenance"]["device_name"],
                }
            )
    columns = ["benchmark", "stage", "bound by", "GPU busy", "top ops", "profiled ms", "device"]
    return pd.DataFrame(rows, columns=columns).sort_values(["benchmark", "device"], kind="stable").reset_index(drop=True)


def print_profile(name: str, summary: dict) -> None:
    busy = "" if summary["busy_share"] is None else f", GPU busy {summary['busy_share']:.0%} of it"
    print(f"\nprofile of {name}: {summary['wall_s'] * 1e3:.1f} ms wall{busy}; top ops by {summary['time_field']}:")
    for op in summary["top_ops"]:
        print(f"  {op['share']:6.1%}  {op['self_ms']:9.2f} ms  {op['calls']:6d} calls  {op['op']}")
